/**
 * The newest protocol versions, as the Java 4.x client sends them (Metadata v12, Produce v11, Fetch v17 with topic
 * ids, ListOffsets v9, JoinGroup v9, ...): the Java console tools are not installable here, so
 * @platformatic/kafka — a client that only speaks flexible versions and negotiates the newest ones — stands in
 * for it. The broker's own trace log records which versions were actually used.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka'
import { startBroker, type RunningBroker } from '../src/index.js'
import { requestVersionRecorder } from './support/request-versions.js'
import { uniqueName } from './support/env.js'

const { used, sink } = requestVersionRecorder()
let broker: RunningBroker

beforeAll(async () => {
  broker = await startBroker({ logger: pino({ level: 'trace' }, sink) })
})

afterAll(async () => {
  await broker?.stop()
})

describe('a client that negotiates the newest versions (@platformatic/kafka)', () => {
  it('creates topics, produces idempotently with headers, consumes in a group and lists offsets', async () => {
    const bootstrapBrokers = [broker.bootstrap]
    const topic = uniqueName('modern')
    const admin = new Admin({ clientId: 'modern-admin', bootstrapBrokers })
    await admin.createTopics({ topics: [topic], partitions: 3, replicas: 1 })
    const md = await admin.metadata({ topics: [topic] })
    const t = md.topics.get(topic)!
    expect(t.partitionsCount).toBe(3)

    const producer = new Producer({
      clientId: 'modern-p',
      bootstrapBrokers,
      serializers: stringSerializers,
      idempotent: true,
    })
    const messages = Array.from({ length: 60 }, (_, i) => ({
      topic,
      key: `k${i}`,
      value: `v${i}`,
      headers: { n: String(i) },
    }))
    await producer.send({ messages })
    await producer.close()

    const consumer = new Consumer({
      groupId: uniqueName('modern-g'),
      clientId: 'modern-c',
      bootstrapBrokers,
      deserializers: stringDeserializers,
      maxWaitTime: 500,
    })
    const stream = await consumer.consume({
      autocommit: true,
      topics: [topic],
      sessionTimeout: 10000,
      heartbeatInterval: 500,
      mode: 'earliest',
    })
    const got: { key: string; value: string; n: string }[] = []
    for await (const m of stream) {
      got.push({ key: m.key, value: m.value, n: String(m.headers.get('n')) })
      if (got.length === messages.length) break
    }
    await stream.close()
    expect(got.map((m) => m.value).sort()).toEqual(messages.map((m) => m.value).sort())
    for (const m of got) expect(m.n).toBe(m.key.slice(1))

    const offsets = await consumer.listOffsets({ topics: [topic], timestamp: -1n })
    const total = (offsets.get(topic) ?? []).reduce((sum, o) => sum + Number(o), 0)
    expect(total).toBe(messages.length)
    await consumer.close()
    await admin.close()

    // the versions the Java 4.x client uses for the same operations
    expect(used.get('ApiVersions')).toContain(3)
    expect(used.get('Metadata')).toContain(12)
    expect(used.get('Produce')).toContain(11)
    expect(used.get('Fetch')).toContain(17)
    expect(used.get('ListOffsets')).toContain(9)
    expect(used.get('InitProducerId')).toContain(5)
    expect(used.get('JoinGroup')).toContain(9)
    expect(used.get('FindCoordinator')).toContain(6)
  })
})
