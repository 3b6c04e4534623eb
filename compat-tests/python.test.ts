/**
 * Python clients, unchanged, against one standalone Samsa broker: kafka-python 2.0.2 and confluent-kafka
 * (librdkafka) produce, then consume with assign/seek (no group) and with a consumer group.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BrokerProcess, printBrokerLogsOnFailure, startBroker } from './support/broker.js'
import { uniqueName } from './support/env.js'
import { createTopic } from './support/kafkajs.js'
import { kcatConsume } from './support/kcat.js'
import { pyConsume, pyProduce } from './support/python.js'

let broker: BrokerProcess

printBrokerLogsOnFailure()

beforeAll(async () => {
  broker = await startBroker()
})

afterAll(async () => {
  await broker?.stop()
})

const messages = (
  prefix: string,
  n: number,
): Array<{ key: string; value: string; headers: Record<string, string> }> =>
  Array.from({ length: n }, (_, i) => ({
    key: `${prefix}-k${i}`,
    value: `${prefix} value ${i}`,
    headers: { n: String(i) },
  }))

describe('kafka-python 2.0.2', () => {
  const topic = uniqueName('kpy')
  const sent = messages('kpy', 10)

  beforeAll(async () => {
    await createTopic(broker.bootstrap, topic, { partitions: 2 })
  })

  it('produces (acks=all) to a chosen partition, with keys and headers', async () => {
    const r = await pyProduce(
      'kafka-python',
      broker.bootstrap,
      topic,
      sent.map((m) => ({ ...m, partition: 0 })),
      { acks: -1 },
    )
    expect(r.results).toEqual(sent.map((_, i) => ({ partition: 0, offset: i })))
    const got = await kcatConsume(broker.bootstrap, topic, { partition: 0 })
    expect(got.map((m) => [m.key, m.payload])).toEqual(sent.map((m) => [m.key, m.value]))
  })

  it('produces gzip (acks=1)', async () => {
    const r = await pyProduce(
      'kafka-python',
      broker.bootstrap,
      topic,
      messages('kpy-gzip', 5).map((m) => ({ ...m, partition: 1 })),
      { acks: 1, compression: 'gzip' },
    )
    expect(r.results.map((x) => x.offset)).toEqual([0, 1, 2, 3, 4])
  })

  it('consumes with assign + seek (no group)', async () => {
    const r = await pyConsume('kafka-python', broker.bootstrap, topic, 7, { partition: 0, offset: 3 })
    expect(r.messages.map((m) => [m.offset, m.key, m.value, m.headers])).toEqual(
      sent.slice(3).map((m, i) => [i + 3, m.key, m.value, m.headers]),
    )
    const fromStart = await pyConsume('kafka-python', broker.bootstrap, topic, 5, {
      partition: 1,
      offset: 'beginning',
    })
    expect(fromStart.messages.map((m) => m.value)).toEqual(messages('kpy-gzip', 5).map((m) => m.value))
  })

  it('consumes with a consumer group and commits', async () => {
    const group = uniqueName('kpy-group')
    const r = await pyConsume('kafka-python', broker.bootstrap, topic, 15, { group, timeout_ms: 40_000 })
    expect(r.messages).toHaveLength(15)
    expect(new Set(r.messages.map((m) => `${m.partition}/${m.offset}`)).size).toBe(15)
    expect(r.committed).toEqual({ '0': 10, '1': 5 })
  })
})

describe('confluent-kafka (librdkafka)', () => {
  const topic = uniqueName('ckpy')
  const sent = messages('ck', 20)

  beforeAll(async () => {
    await createTopic(broker.bootstrap, topic)
  })

  it('idempotent producer (enable.idempotence=True)', async () => {
    const r = await pyProduce('confluent-kafka', broker.bootstrap, topic, sent, {
      config: { 'enable.idempotence': true, acks: 'all', 'compression.type': 'lz4' },
    })
    expect(r.results).toEqual(sent.map((_, i) => ({ partition: 0, offset: i })))
    // and a second idempotent producer session continues the log
    const r2 = await pyProduce('confluent-kafka', broker.bootstrap, topic, messages('ck2', 3), {
      config: { 'enable.idempotence': true },
    })
    expect(r2.results.map((x) => x.offset)).toEqual([20, 21, 22])
  })

  it('consumes with assign at an offset (no group membership)', async () => {
    const r = await pyConsume('confluent-kafka', broker.bootstrap, topic, 13, { partition: 0, offset: 10 })
    expect(r.messages.map((m) => m.offset)).toEqual(Array.from({ length: 13 }, (_, i) => i + 10))
    expect(r.messages.slice(0, 10).map((m) => [m.key, m.value, m.headers])).toEqual(
      sent.slice(10).map((m) => [m.key, m.value, m.headers]),
    )
    const begin = await pyConsume('confluent-kafka', broker.bootstrap, topic, 23, { offset: 'beginning' })
    expect(begin.messages).toHaveLength(23)
  })

  it('consumes with a consumer group and commits', async () => {
    const group = uniqueName('ck-group')
    const r = await pyConsume('confluent-kafka', broker.bootstrap, topic, 23, { group, timeout_ms: 40_000 })
    expect(r.messages.map((m) => m.offset)).toEqual(Array.from({ length: 23 }, (_, i) => i))
    expect(r.committed).toEqual({ '0': 23 })
    // the same group resumes from its committed offset: nothing new to read
    const again = await pyConsume('confluent-kafka', broker.bootstrap, topic, 1, { group, timeout_ms: 8_000 })
    expect(again.messages).toEqual([])
  })

  it('reads what kafka-python wrote and vice versa', async () => {
    const t = uniqueName('cross')
    await createTopic(broker.bootstrap, t)
    await pyProduce('kafka-python', broker.bootstrap, t, messages('from-kpy', 3), { acks: -1 })
    await pyProduce('confluent-kafka', broker.bootstrap, t, messages('from-ck', 3), {
      config: { 'compression.type': 'gzip' },
    })
    const viaCk = await pyConsume('confluent-kafka', broker.bootstrap, t, 6, { offset: 'beginning' })
    const viaKpy = await pyConsume('kafka-python', broker.bootstrap, t, 6, { offset: 'beginning' })
    const expected = [...messages('from-kpy', 3), ...messages('from-ck', 3)].map((m) => m.value)
    expect(viaCk.messages.map((m) => m.value)).toEqual(expected)
    expect(viaKpy.messages.map((m) => m.value)).toEqual(expected)
  })
})
