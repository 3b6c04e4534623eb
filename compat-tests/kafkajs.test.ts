/**
 * kafkajs 2.2.4, unchanged, against one standalone Samsa broker: admin APIs, produce with every codec (keys and
 * headers), consuming with a group from the beginning, seek, the idempotent producer, and acks 0/1/-1.
 * Produced data is read back with kcat too (no group needed), so produce results do not depend on the group
 * coordinator.
 */
import { CompressionTypes, ConfigResourceTypes, type Kafka } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BrokerProcess, printBrokerLogsOnFailure, startBroker } from './support/broker.js'
import { uniqueName, waitFor } from './support/env.js'
import { consumeWithGroup, createTopic, kafkajs, withAdmin, withProducer } from './support/kafkajs.js'
import { kcatConsume, type KcatMessage } from './support/kcat.js'

let broker: BrokerProcess
let kafka: Kafka

printBrokerLogsOnFailure()

beforeAll(async () => {
  broker = await startBroker()
  kafka = kafkajs(broker.bootstrap)
})

afterAll(async () => {
  await broker?.stop()
})

/** kcat -J prints headers as a flat [name, value, name, value, ...] list. */
function kcatHeaders(m: KcatMessage): Record<string, string> {
  const out: Record<string, string> = {}
  const h = m.headers ?? []
  for (let i = 0; i + 1 < h.length; i += 2) out[h[i]!] = h[i + 1]!
  return out
}

describe('admin', () => {
  const topic = uniqueName('admin')
  const t0 = Date.now() - 60_000

  it('createTopics with configs, listTopics', async () => {
    await withAdmin(kafka, async (admin) => {
      const created = await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic,
            numPartitions: 3,
            replicationFactor: 1,
            configEntries: [
              { name: 'retention.ms', value: '86400000' },
              { name: 'cleanup.policy', value: 'delete' },
              { name: 'max.message.bytes', value: '2000000' },
            ],
          },
        ],
      })
      expect(created).toBe(true)
      expect(await admin.listTopics()).toContain(topic)
      // Creating it again: kafkajs reports false (TOPIC_ALREADY_EXISTS is not an error for it)
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] })).toBe(false)
    })
  })

  it('fetchTopicMetadata', async () => {
    await withAdmin(kafka, async (admin) => {
      const md = await admin.fetchTopicMetadata({ topics: [topic] })
      expect(md.topics).toHaveLength(1)
      const t = md.topics[0]!
      expect(t.name).toBe(topic)
      expect(t.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2])
      for (const p of t.partitions) {
        expect(p.partitionErrorCode).toBe(0)
        expect(p.leader).toBe(broker.id)
        expect(p.replicas).toEqual([broker.id])
        expect(p.isr).toEqual([broker.id])
      }
    })
  })

  it('describeConfigs shows the topic overrides', async () => {
    await withAdmin(kafka, async (admin) => {
      const res = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
      })
      expect(res.resources).toHaveLength(1)
      const r = res.resources[0]!
      expect(r.errorCode).toBe(0)
      const byName = new Map(r.configEntries.map((e) => [e.configName, e]))
      expect(byName.get('retention.ms')?.configValue).toBe('86400000')
      expect(byName.get('retention.ms')?.isDefault).toBe(false)
      expect(byName.get('cleanup.policy')?.configValue).toBe('delete')
      expect(byName.get('max.message.bytes')?.configValue).toBe('2000000')
      // a config set nowhere comes back with its default (segment.bytes would not do: standalone.properties
      // sets log.segment.bytes, so its source is STATIC_BROKER_CONFIG, not DEFAULT_CONFIG)
      expect(byName.get('compression.type')).toMatchObject({ configValue: 'producer', isDefault: true })
      // only the requested names
      const one = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] }],
      })
      expect(one.resources[0]!.configEntries.map((e) => e.configName)).toEqual(['retention.ms'])
    })
  })

  it('createPartitions', async () => {
    await withAdmin(kafka, async (admin) => {
      await admin.createPartitions({ topicPartitions: [{ topic, count: 5 }] })
      await waitFor('5 partitions in metadata', async () => {
        const md = await admin.fetchTopicMetadata({ topics: [topic] })
        return md.topics[0]!.partitions.length === 5
      })
      const md = await admin.fetchTopicMetadata({ topics: [topic] })
      expect(md.topics[0]!.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2, 3, 4])
    })
  })

  it('fetchTopicOffsets and fetchTopicOffsetsByTimestamp', async () => {
    await withProducer(kafka, {}, async (producer) => {
      await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: 6 }, (_, i) => ({
          partition: 4,
          key: `k${i}`,
          value: `v${i}`,
          timestamp: String(t0 + i * 1000),
        })),
      })
    })
    await withAdmin(kafka, async (admin) => {
      const offsets = await admin.fetchTopicOffsets(topic)
      const byPartition = new Map(offsets.map((o) => [o.partition, o]))
      expect(offsets).toHaveLength(5)
      expect(byPartition.get(4)).toMatchObject({ low: '0', high: '6', offset: '6' })
      for (const p of [0, 1, 2, 3]) expect(byPartition.get(p)).toMatchObject({ low: '0', high: '0' })

      const byTs = await admin.fetchTopicOffsetsByTimestamp(topic, t0 + 2500)
      // first offset whose timestamp >= t0 + 2500 is offset 3
      expect(byTs.find((o) => o.partition === 4)?.offset).toBe('3')
      const exact = await admin.fetchTopicOffsetsByTimestamp(topic, t0 + 2000)
      expect(exact.find((o) => o.partition === 4)?.offset).toBe('2')
      // past every timestamp: kafkajs substitutes the high watermark for -1
      const late = await admin.fetchTopicOffsetsByTimestamp(topic, t0 + 3_600_000)
      expect(late.find((o) => o.partition === 4)?.offset).toBe('6')
    })
  })

  it('deleteTopicRecords moves the log start offset', async () => {
    await withAdmin(kafka, async (admin) => {
      // kafkajs' deleteTopicRecords needs the topic's metadata already loaded in this admin client
      await admin.fetchTopicMetadata({ topics: [topic] })
      await admin.deleteTopicRecords({ topic, partitions: [{ partition: 4, offset: '4' }] })
      const offsets = await admin.fetchTopicOffsets(topic)
      expect(offsets.find((o) => o.partition === 4)).toMatchObject({ low: '4', high: '6' })
    })
    const rest = await kcatConsume(broker.bootstrap, topic, { partition: 4 })
    expect(rest.map((m) => [m.offset, m.key, m.payload])).toEqual([
      [4, 'k4', 'v4'],
      [5, 'k5', 'v5'],
    ])
  })

  it('deleteTopics', async () => {
    await withAdmin(kafka, async (admin) => {
      await admin.deleteTopics({ topics: [topic], timeout: 20_000 })
      await waitFor(
        'topic to disappear from listTopics',
        async () => !(await admin.listTopics()).includes(topic),
      )
    })
  })
})

const CODECS = [
  ['none', CompressionTypes.None],
  ['gzip', CompressionTypes.GZIP],
  ['snappy', CompressionTypes.Snappy],
  ['lz4', CompressionTypes.LZ4],
  ['zstd', CompressionTypes.ZSTD],
] as const

describe('produce and consume', () => {
  const topic = uniqueName('codecs')
  const produced: Array<{ key: string; value: string; headers: Record<string, string> }> = []

  beforeAll(async () => {
    await createTopic(broker.bootstrap, topic)
  })

  it.each(CODECS)('produces a %s batch with keys and headers', async (name, compression) => {
    const messages = Array.from({ length: 5 }, (_, i) => ({
      key: `${name}-key-${i}`,
      value: `${name}-value-${i}-${'x'.repeat(200)}`,
      headers: { codec: name, index: String(i) },
    }))
    const before = produced.length
    const md = await withProducer(kafka, {}, (p) => p.send({ topic, compression, acks: -1, messages }))
    expect(md).toHaveLength(1)
    expect(md[0]).toMatchObject({ topicName: topic, partition: 0, errorCode: 0, baseOffset: String(before) })
    produced.push(...messages)

    // read back with librdkafka (no consumer group involved)
    const got = await kcatConsume(broker.bootstrap, topic, { partition: 0, offset: before })
    expect(
      got.map((m) => ({ offset: m.offset, key: m.key, value: m.payload, headers: kcatHeaders(m) })),
    ).toEqual(messages.map((m, i) => ({ offset: before + i, ...m })))
  })

  it('consumes everything from the beginning with a consumer group (all codecs)', async () => {
    expect(produced.length).toBe(25)
    const got = await consumeWithGroup(kafka, {
      topic,
      groupId: uniqueName('g-all'),
      count: produced.length,
      fromBeginning: true,
    })
    expect(got.map((m) => ({ key: m.key, value: m.value, headers: m.headers }))).toEqual(produced)
    expect(got.map((m) => m.offset)).toEqual(produced.map((_, i) => String(i)))
  })

  it('seek', async () => {
    const got = await consumeWithGroup(kafka, {
      topic,
      groupId: uniqueName('g-seek'),
      count: 5,
      fromBeginning: true,
      seek: [{ partition: 0, offset: '20' }],
    })
    expect(got.map((m) => m.offset)).toEqual(['20', '21', '22', '23', '24'])
    expect(got[0]!.key).toBe('zstd-key-0')
  })
})

describe('producer modes', () => {
  it('idempotent producer', async () => {
    const topic = uniqueName('idem')
    await createTopic(broker.bootstrap, topic, { partitions: 2 })
    const results = await withProducer(kafka, { idempotent: true, maxInFlightRequests: 1 }, async (p) => {
      const out = []
      for (let round = 0; round < 4; round++) {
        out.push(
          await p.send({
            topic,
            acks: -1,
            messages: Array.from({ length: 10 }, (_, i) => ({
              partition: i % 2,
              key: `r${round}-${i}`,
              value: `round ${round} message ${i}`,
            })),
          }),
        )
      }
      return out
    })
    for (const [round, md] of results.entries()) {
      for (const r of md) {
        expect(r.errorCode).toBe(0)
        expect(r.baseOffset).toBe(String(round * 5))
      }
    }
    for (const partition of [0, 1]) {
      const got = await kcatConsume(broker.bootstrap, topic, { partition })
      expect(got.map((m) => m.offset)).toEqual(Array.from({ length: 20 }, (_, i) => i))
      expect(new Set(got.map((m) => m.key)).size).toBe(20)
    }
  })

  it.each([0, 1, -1])('acks=%i', async (acks) => {
    const topic = uniqueName(`acks${acks < 0 ? 'all' : acks}`)
    await createTopic(broker.bootstrap, topic)
    const md = await withProducer(kafka, {}, async (p) => {
      const out = []
      for (let i = 0; i < 3; i++) {
        out.push(
          await p.send({
            topic,
            acks,
            messages: [{ key: `k${i}`, value: `acks ${acks} #${i}` }],
          }),
        )
      }
      return out
    })
    if (acks !== 0) {
      expect(md.map((r) => r[0]?.baseOffset)).toEqual(['0', '1', '2'])
      for (const r of md) expect(r[0]?.errorCode).toBe(0)
    }
    // acks=0 gets no response: wait until the records are there
    await withAdmin(kafka, async (admin) => {
      await waitFor(
        '3 records in the log',
        async () => (await admin.fetchTopicOffsets(topic)).find((o) => o.partition === 0)?.high === '3',
        { timeoutMs: 10_000 },
      )
    })
    const got = await kcatConsume(broker.bootstrap, topic)
    expect(got.map((m) => m.payload)).toEqual([0, 1, 2].map((i) => `acks ${acks} #${i}`))
  })
})
