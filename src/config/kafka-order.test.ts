import { describe, expect, it } from 'vitest'
import { TOPIC_CONFIG_DEFS } from './topic-config.js'
import { inKafkaMapOrder, javaStringHash } from './kafka-order.js'

describe("Kafka's config order", () => {
  it("hashes strings as Java's String.hashCode", () => {
    expect(javaStringHash('')).toBe(0)
    expect(javaStringHash('a')).toBe(97)
    expect(javaStringHash('hello')).toBe(99162322)
    expect(javaStringHash('polygenelubricants')).toBe(-2147483648) // Integer.MIN_VALUE, a known Java example
  })

  it('depends on the keys only, not on the order they are given in', () => {
    const names = TOPIC_CONFIG_DEFS.map((d) => d.name)
    const once = inKafkaMapOrder(names, (n) => n)
    expect(inKafkaMapOrder([...names].reverse(), (n) => n)).toEqual(once)
    expect(once[0]).toBe('compression.type')
    expect(once.at(-1)).toBe('segment.index.bytes')
  })
})
