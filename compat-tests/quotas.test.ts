/**
 * Client quotas with a real client: a kafkajs producer over its producer_byte_rate is held to the quota (within
 * 10 % over two quota windows, about 21.5 s, or one in CI) and the broker reports throttle_time_ms; quotas are set and
 * read with AlterClientQuotas / DescribeClientQuotas as kafka-configs.sh does; controller_mutation_rate refuses
 * topic creation, partition creation and deletion past the quota from the versions of KIP-599 and throttles kafkajs
 * (older versions) instead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Apis } from '../src/protocol/messages/index.js'
import { buildRecordBatch } from '../src/protocol/records/batch.js'
import { printBrokerLogsOnFailure, startBroker, type BrokerProcess } from './support/broker.js'
import { uniqueName } from './support/env.js'
import { logLevel } from 'kafkajs'
import { createTopic, kafkajs, withProducer } from './support/kafkajs.js'
import { decodeResponseFrame, RawConnection } from './support/raw.js'

printBrokerLogsOnFailure()

const QUOTA = 200_000 // bytes per second, for every client id (clients/<default>)
/**
 * Kafka's rate is measured over quota.window.num (11) samples of 1 s and never over less than 10 s, so a fresh
 * client first sends 10 s worth of its quota at once, and again whenever that burst's sample expires, 11 s later:
 * the rate holds over whole quota windows. Measured from the first send to just before the next burst: two
 * windows (about 21.5 s), one in CI.
 */
const WINDOW_MS = process.env.CI ? 10_500 : 21_500

let broker: BrokerProcess
let raw: RawConnection

beforeAll(async () => {
  broker = await startBroker()
  raw = await RawConnection.connect(broker.host, broker.port)
}, 60_000)

afterAll(async () => {
  raw?.close()
  await broker?.stop()
})

describe('client quotas', () => {
  it('sets and describes quotas with AlterClientQuotas / DescribeClientQuotas', async () => {
    const altered = await raw.request(Apis.AlterClientQuotas, 1, {
      entries: [
        {
          entity: [{ entityType: 'client-id', entityName: null }],
          ops: [{ key: 'producer_byte_rate', value: QUOTA, remove: false }],
        },
        {
          entity: [{ entityType: 'user', entityName: 'alice' }],
          ops: [{ key: 'producer_byte_rate', value: 1.5, remove: false }],
        },
      ],
      validateOnly: false,
    })
    expect(altered.entries.map((e) => [e.errorCode, e.errorMessage])).toEqual([
      [0, null],
      [42, 'Configuration producer_byte_rate must be a Long value'],
    ])
    const described = await raw.request(Apis.DescribeClientQuotas, 1, {
      components: [{ entityType: 'client-id', matchType: 1, match: null }],
      strict: true,
    })
    expect(described.errorCode).toBe(0)
    expect(described.entries).toEqual([
      {
        entity: [{ entityType: 'client-id', entityName: null }],
        values: [{ key: 'producer_byte_rate', value: QUOTA }],
      },
    ])
    // A refused filter: the whole request fails (the dispatcher answers from the schema's errorResponse)
    const refused = await raw.request(Apis.DescribeClientQuotas, 1, {
      components: [{ entityType: 'broker', matchType: 1, match: null }],
      strict: false,
    })
    expect([refused.errorCode, refused.errorMessage, refused.entries]).toEqual([
      35,
      "Custom entity type 'broker' not supported",
      null,
    ])
  })

  it(`holds a kafkajs producer to its producer_byte_rate within 10 % over ${WINDOW_MS / 1000} s and reports throttle_time_ms`, async () => {
    const topic = uniqueName('quota')
    await createTopic(broker.bootstrap, topic)
    const value = Buffer.alloc(4096, 'q')
    let bytes = 0
    let elapsedMs = 0
    await withProducer(kafkajs(broker.bootstrap, { clientId: 'quota-producer' }), {}, async (p) => {
      const start = performance.now()
      while (elapsedMs < WINDOW_MS) {
        await p.send({ topic, acks: 1, messages: [{ value }] })
        bytes += value.length
        elapsedMs = performance.now() - start
      }
    })
    // Payload bytes; the quota counts whole requests (about 100 bytes of framing on each 4 KiB record).
    const rate = bytes / (elapsedMs / 1000)
    expect(Math.abs(rate - QUOTA) / QUOTA, `measured ${Math.round(rate)} B/s`).toBeLessThan(0.1)

    // A raw client (its own client id, its own meter) sees the throttle time in the Produce response.
    const produce = () =>
      raw.request(Apis.Produce, 7, {
        transactionalId: null,
        acks: 1,
        timeoutMs: 10_000,
        topicData: [
          {
            name: topic,
            partitionData: [
              { index: 0, records: buildRecordBatch({ records: [{ value: Buffer.alloc(QUOTA * 4) }] }) },
            ],
          },
        ],
      })
    // 800 KB a request (under max.message.bytes): the third within the 10 s minimum window is over the quota.
    const throttles: number[] = []
    for (let i = 0; i < 4; i++) {
      const r = await produce()
      expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(0)
      throttles.push(r.throttleTimeMs)
    }
    expect(throttles.slice(0, 2)).toEqual([0, 0])
    expect(throttles[2]).toBeGreaterThan(0)
    expect(Math.max(...throttles)).toBeLessThanOrEqual(11_000)
  }, 90_000)

  it('request_percentage: a client over its share of request handler time is throttled (throttle_time_ms, muted)', async () => {
    const set = (remove: boolean) =>
      raw.request(Apis.AlterClientQuotas, 1, {
        entries: [
          {
            entity: [{ entityType: 'client-id', entityName: 'busy-client' }],
            ops: [{ key: 'request_percentage', value: 0.0001, remove }],
          },
        ],
        validateOnly: false,
      })
    expect((await set(false)).entries[0]?.errorCode).toBe(0)
    const busy = await RawConnection.connect(broker.host, broker.port)
    try {
      // Any handler time at all is over 0.0001 % of a thread: the first answer already carries a throttle.
      const { correlationId, bytes } = busy.encodeRequest(Apis.Metadata, 9, { topics: [] }, 'busy-client')
      await busy.write(bytes)
      const r = await busy.readFrame()
      if (r.kind !== 'frame') throw new Error(`no Metadata response: ${r.kind}`)
      const res = decodeResponseFrame(Apis.Metadata, 9, r.frame, correlationId)
      expect(res.throttleTimeMs).toBeGreaterThan(0)
      const described = await raw.request(Apis.DescribeClientQuotas, 1, {
        components: [{ entityType: 'client-id', matchType: 0, match: 'busy-client' }],
        strict: false,
      })
      expect(described.entries?.[0]?.values).toEqual([{ key: 'request_percentage', value: 0.0001 }])
    } finally {
      busy.close()
      await set(true)
    }
  })

  it('controller_mutation_rate: CreateTopics v7 / CreatePartitions v3 / DeleteTopics v5 refused past the quota, kafkajs (CreateTopics v3) throttled', async () => {
    const setQuota = (clientId: string, rate: number, remove = false) =>
      raw.request(Apis.AlterClientQuotas, 1, {
        entries: [
          {
            entity: [{ entityType: 'client-id', entityName: clientId }],
            ops: [{ key: 'controller_mutation_rate', value: rate, remove }],
          },
        ],
        validateOnly: false,
      })
    // 0.5 partitions a second: the bucket holds 0.5 × 11 windows of 1 s = 5.5 partitions.
    expect((await setQuota('mutator', 0.5)).entries[0]?.errorCode).toBe(0)
    const described = await raw.request(Apis.DescribeClientQuotas, 1, {
      components: [{ entityType: 'client-id', matchType: 0, match: 'mutator' }],
      strict: false,
    })
    expect(described.entries?.[0]?.values).toEqual([{ key: 'controller_mutation_rate', value: 0.5 }])
    const t1 = uniqueName('mutations')
    const conns: RawConnection[] = []
    // A new connection for each request: a refused request also mutes its connection for the throttle time.
    const connect = async () => {
      const c = await RawConnection.connect(broker.host, broker.port)
      conns.push(c)
      return c
    }
    const read = async (c: RawConnection) => {
      const r = await c.readFrame()
      if (r.kind !== 'frame') throw new Error(`no response: ${r.kind}`)
      return r.frame
    }
    const createTopics = async (name: string, numPartitions: number) => {
      const c = await connect()
      const topic = { name, numPartitions, replicationFactor: 1, assignments: [], configs: [] }
      const req = { topics: [topic], timeoutMs: 10_000, validateOnly: false }
      const { correlationId, bytes } = c.encodeRequest(Apis.CreateTopics, 7, req, 'mutator')
      await c.write(bytes)
      return decodeResponseFrame(Apis.CreateTopics, 7, await read(c), correlationId)
    }
    try {
      // 12 partitions from a full bucket: accepted (the bucket was not below zero), leaving it at −6.5.
      const first = await createTopics(t1, 12)
      expect([first.throttleTimeMs, first.topics[0]?.errorCode]).toEqual([0, 0])
      const second = await createTopics(uniqueName('mutations'), 1)
      expect([second.topics[0]?.errorCode, second.topics[0]?.errorMessage]).toEqual([
        89,
        'The throttling quota has been exceeded.',
      ])
      // −6.5 partitions at 0.5 a second: 13 s to refill to zero, less the time since.
      expect(second.throttleTimeMs).toBeGreaterThan(10_000)
      expect(second.throttleTimeMs).toBeLessThanOrEqual(13_000)
      const cp = await connect()
      const grow = cp.encodeRequest(
        Apis.CreatePartitions,
        3,
        { topics: [{ name: t1, count: 13, assignments: null }], timeoutMs: 10_000, validateOnly: false },
        'mutator',
      )
      await cp.write(grow.bytes)
      const grown = decodeResponseFrame(Apis.CreatePartitions, 3, await read(cp), grow.correlationId)
      expect(grown.results.map((r) => r.errorCode)).toEqual([89])
      expect(grown.throttleTimeMs).toBeGreaterThan(10_000)
      const dt = await connect()
      const del = dt.encodeRequest(Apis.DeleteTopics, 5, { topicNames: [t1], timeoutMs: 10_000 }, 'mutator')
      await dt.write(del.bytes)
      const deleted = decodeResponseFrame(Apis.DeleteTopics, 5, await read(dt), del.correlationId)
      expect(deleted.responses.map((r) => r.errorCode)).toEqual([89])

      // kafkajs sends CreateTopics v3: accepted past the quota, throttled (client side as KIP-219, and muted).
      // 1 partition a second: a bucket of 11; 12 partitions leave it at −1, a throttle of about 1 s.
      expect((await setQuota('mutator-kafkajs', 1)).entries[0]?.errorCode).toBe(0)
      const throttles: string[] = []
      const admin = kafkajs(broker.bootstrap, {
        clientId: 'mutator-kafkajs',
        logLevel: logLevel.DEBUG,
        logCreator: () => (entry) => {
          if (entry.log.message.startsWith('Client side throttling')) throttles.push(entry.log.message)
        },
      }).admin()
      await admin.connect()
      try {
        const topics = [uniqueName('kjs-mutations'), uniqueName('kjs-mutations')]
        expect(await admin.createTopics({ topics: [{ topic: topics[0]!, numPartitions: 12 }] })).toBe(true)
        expect(throttles.length).toBeGreaterThan(0)
        expect(Number(/(\d+)ms/.exec(throttles[0]!)?.[1])).toBeGreaterThan(0)
        expect(await admin.createTopics({ topics: [{ topic: topics[1]!, numPartitions: 1 }] })).toBe(true)
      } finally {
        await admin.disconnect()
      }
    } finally {
      for (const c of conns) c.close()
      await setQuota('mutator', 0, true)
      await setQuota('mutator-kafkajs', 0, true)
    }
  }, 60_000)
})
