import { describe, expect, it } from 'vitest'
import { defaultLogConfig, formatLong, LONG_MAX, overriddenConfigsString } from './log-config.js'

describe('overriddenConfigsString', () => {
  it('lists what differs from Kafka’s defaults, with Kafka’s names, as Kafka logs it', () => {
    expect(overriddenConfigsString(defaultLogConfig())).toBe('{}')
    expect(
      overriddenConfigsString({
        ...defaultLogConfig(),
        cleanupPolicy: ['compact'],
        segmentBytes: 104857600,
        flushMs: 1000,
      }),
    ).toBe('{cleanup.policy=compact, flush.ms=1000, segment.bytes=104857600}')
    expect(formatLong(LONG_MAX)).toBe('9223372036854775807')
  })
})
