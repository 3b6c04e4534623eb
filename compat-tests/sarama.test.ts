/**
 * Sarama 1.22, unchanged, against one standalone Samsa broker: the SyncProducer and a partition consumer, with
 * config.Version = V2_1_0_0 (record batches, headers, zstd) and with Sarama's default version (V0_8_2_0 in 1.22:
 * Produce v0 / Fetch v0 with magic-0 message sets, which the broker has to up- and down-convert).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BrokerProcess, printBrokerLogsOnFailure, startBroker } from './support/broker.js'
import { uniqueName } from './support/env.js'
import { createTopic } from './support/kafkajs.js'
import { kcatConsume } from './support/kcat.js'
import { buildSaramaClient, saramaConsume, saramaProduce } from './support/sarama.js'

let broker: BrokerProcess

printBrokerLogsOnFailure()

beforeAll(async () => {
  await buildSaramaClient()
  broker = await startBroker()
})

afterAll(async () => {
  await broker?.stop()
})

describe('Sarama with Version = V2_1_0_0', () => {
  const version = '2.1.0'

  it.each(['none', 'gzip', 'snappy', 'lz4'])(
    'SyncProducer (%s, acks=all) and partition consumer',
    async (compression) => {
      const topic = uniqueName(`sarama-${compression}`)
      await createTopic(broker.bootstrap, topic, { partitions: 2 })
      const messages = Array.from({ length: 10 }, (_, i) => ({
        key: `k${i}`,
        value: `sarama ${compression} ${i}`,
        headers: { h: `v${i}` },
        partition: 1,
      }))
      const r = await saramaProduce(broker.bootstrap, topic, messages, { version, compression, acks: -1 })
      expect(r.results).toEqual(messages.map((_, i) => ({ partition: 1, offset: i })))

      const c = await saramaConsume(broker.bootstrap, topic, {
        version,
        partition: 1,
        offset: 'oldest',
        count: 10,
      })
      expect(c.timed_out).toBeUndefined()
      expect(c.messages.map((m) => [m.offset, m.key, m.value, m.headers])).toEqual(
        messages.map((m, i) => [i, m.key, m.value, m.headers]),
      )
      // timestamps are CreateTime set by the producer: within the last minute
      for (const m of c.messages) expect(Math.abs(Date.now() - m.timestamp)).toBeLessThan(60_000)

      // the same data through librdkafka
      const k = await kcatConsume(broker.bootstrap, topic, { partition: 1 })
      expect(k.map((m) => m.payload)).toEqual(messages.map((m) => m.value))
    },
  )

  it('zstd: Sarama 1.22 sends it in Produce v3, which Kafka rejects with UNSUPPORTED_COMPRESSION_TYPE (76)', async () => {
    // Kafka only accepts zstd from Produce v7 on (KIP-110); Sarama added v7 in 1.23. A broker that accepted it
    // would hand zstd batches to Fetch < v10 readers.
    const topic = uniqueName('sarama-zstd')
    await createTopic(broker.bootstrap, topic)
    await expect(
      saramaProduce(broker.bootstrap, topic, [{ key: 'k', value: 'v' }], { version, compression: 'zstd' }),
    ).rejects.toThrow(/does not support the compression type/)
    expect(await kcatConsume(broker.bootstrap, topic)).toEqual([])
  })

  it('partition consumer from an offset', async () => {
    const topic = uniqueName('sarama-offset')
    await createTopic(broker.bootstrap, topic)
    const messages = Array.from({ length: 6 }, (_, i) => ({ key: null, value: `m${i}` }))
    await saramaProduce(broker.bootstrap, topic, messages, { version })
    const c = await saramaConsume(broker.bootstrap, topic, { version, offset: 4, count: 2 })
    expect(c.messages.map((m) => [m.offset, m.key, m.value])).toEqual([
      [4, null, 'm4'],
      [5, null, 'm5'],
    ])
  })
})

describe('Sarama with its default Version (1.22: V0_8_2_0, magic-0 message sets)', () => {
  it.each(['none', 'gzip', 'snappy'])('SyncProducer (%s) and partition consumer', async (compression) => {
    const topic = uniqueName(`sarama-old-${compression}`)
    await createTopic(broker.bootstrap, topic)
    const messages = Array.from({ length: 8 }, (_, i) => ({
      key: `old-k${i}`,
      value: `old ${compression} ${i}`,
    }))
    const r = await saramaProduce(broker.bootstrap, topic, messages, {
      version: 'default',
      compression,
      acks: 1,
    })
    expect(r.results).toEqual(messages.map((_, i) => ({ partition: 0, offset: i })))

    const c = await saramaConsume(broker.bootstrap, topic, { version: 'default', offset: 'oldest', count: 8 })
    expect(c.timed_out).toBeUndefined()
    expect(c.messages.map((m) => [m.offset, m.key, m.value])).toEqual(
      messages.map((m, i) => [i, m.key, m.value]),
    )

    // stored in a form modern clients read too
    const k = await kcatConsume(broker.bootstrap, topic)
    expect(k.map((m) => [m.offset, m.key, m.payload])).toEqual(messages.map((m, i) => [i, m.key, m.value]))
  })

  it('reads (down-converted) what a modern client wrote', async () => {
    const topic = uniqueName('sarama-down')
    await createTopic(broker.bootstrap, topic)
    await saramaProduce(
      broker.bootstrap,
      topic,
      Array.from({ length: 4 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, headers: { x: 'y' } })),
      { version: '2.1.0', compression: 'gzip' },
    )
    const c = await saramaConsume(broker.bootstrap, topic, { version: 'default', count: 4 })
    expect(c.messages.map((m) => [m.offset, m.key, m.value])).toEqual(
      [0, 1, 2, 3].map((i) => [i, `k${i}`, `v${i}`]),
    )
  })
})
