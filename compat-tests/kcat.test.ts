/**
 * kcat (librdkafka 2.0.2), unchanged, against one standalone Samsa broker: -L metadata, a keyed produce/consume
 * round trip, every codec librdkafka has, a topic's compression.type overriding the producer's codec, -o beginning
 * -e, and offsets by timestamp (-o s@<ts>).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BrokerProcess, printBrokerLogsOnFailure, startBroker } from './support/broker.js'
import { sleep, uniqueName } from './support/env.js'
import { createTopic } from './support/kafkajs.js'
import { kcatConsume, kcatMetadata, kcatProduce } from './support/kcat.js'

let broker: BrokerProcess

printBrokerLogsOnFailure()

beforeAll(async () => {
  broker = await startBroker()
})

afterAll(async () => {
  await broker?.stop()
})

describe('kcat', () => {
  it('-L -J lists the broker and topics', async () => {
    const topic = uniqueName('meta')
    await createTopic(broker.bootstrap, topic, { partitions: 3 })
    const md = await kcatMetadata(broker.bootstrap)
    expect(md.brokers).toEqual([{ id: broker.id, name: broker.bootstrap }])
    expect(md.originating_broker.id).toBe(broker.id)
    const t = md.topics.find((x) => x.topic === topic)
    expect(t, `topic ${topic} in ${JSON.stringify(md.topics.map((x) => x.topic))}`).toBeDefined()
    expect(t!.partitions.map((p) => p.partition).sort()).toEqual([0, 1, 2])
    for (const p of t!.partitions) {
      expect(p.leader).toBe(broker.id)
      expect(p.replicas).toEqual([{ id: broker.id }])
      expect(p.isrs).toEqual([{ id: broker.id }])
    }
    // one topic only
    const one = await kcatMetadata(broker.bootstrap, topic)
    expect(one.topics.map((x) => x.topic)).toEqual([topic])
  })

  it('produces keyed messages and consumes them back (-o beginning -e)', async () => {
    const topic = uniqueName('roundtrip')
    await createTopic(broker.bootstrap, topic)
    const messages = Array.from({ length: 50 }, (_, i) => ({ key: `key-${i}`, value: `value ${i}` }))
    await kcatProduce(broker.bootstrap, topic, messages, { partition: 0, acks: -1 })
    const got = await kcatConsume(broker.bootstrap, topic, { partition: 0, offset: 'beginning' })
    expect(got.map((m) => ({ offset: m.offset, key: m.key, value: m.payload }))).toEqual(
      messages.map((m, i) => ({ offset: i, key: m.key, value: m.value })),
    )
    // a second produce continues the offsets
    await kcatProduce(broker.bootstrap, topic, [{ key: 'late', value: 'late value' }], { partition: 0 })
    const tail = await kcatConsume(broker.bootstrap, topic, { partition: 0, offset: 50 })
    expect(tail.map((m) => [m.offset, m.key, m.payload])).toEqual([[50, 'late', 'late value']])
    // and -o -N reads the last N
    const last2 = await kcatConsume(broker.bootstrap, topic, { partition: 0, offset: -2 })
    expect(last2.map((m) => m.offset)).toEqual([49, 50])
  })

  it('auto-creates a topic on produce (auto.create.topics.enable=true)', async () => {
    const topic = uniqueName('auto')
    await kcatProduce(broker.bootstrap, topic, [{ value: 'hello' }], { acks: 1 })
    const got = await kcatConsume(broker.bootstrap, topic)
    expect(got.map((m) => m.payload)).toEqual(['hello'])
  })

  it.each(['gzip', 'snappy', 'lz4', 'zstd'])('-z %s', async (codec) => {
    const topic = uniqueName(`kcat-${codec}`)
    await createTopic(broker.bootstrap, topic)
    const messages = Array.from({ length: 200 }, (_, i) => ({
      key: `${codec}-${i}`,
      value: `${codec} payload ${i} ${'abcdefghij'.repeat(10)}`,
    }))
    await kcatProduce(broker.bootstrap, topic, messages, {
      partition: 0,
      compression: codec,
      acks: -1,
      headers: { codec },
    })
    const got = await kcatConsume(broker.bootstrap, topic, { partition: 0 })
    expect(got).toHaveLength(messages.length)
    expect(got.map((m) => ({ key: m.key, value: m.payload }))).toEqual(messages)
    expect(got.map((m) => m.offset)).toEqual(messages.map((_, i) => i))
    expect(got[0]!.headers).toEqual(['codec', codec])
  })

  it.each([
    ['gzip', 'none'],
    ['uncompressed', 'lz4'],
  ])('compression.type=%s: the broker stores its codec whatever kcat sends (-z %s)', async (target, sent) => {
    const topic = uniqueName(`kcat-ct-${target}`)
    await createTopic(broker.bootstrap, topic, { configs: { 'compression.type': target } })
    const messages = Array.from({ length: 20 }, (_, i) => ({
      key: `k${i}`,
      value: `v${i} ${'x'.repeat(100)}`,
    }))
    await kcatProduce(broker.bootstrap, topic, messages, { partition: 0, acks: -1, compression: sent })
    const got = await kcatConsume(broker.bootstrap, topic, { partition: 0 })
    expect(got.map((m) => ({ key: m.key, value: m.payload }))).toEqual(messages)
    // the codec of every stored batch (attributes, bits 0-2, at byte 21 of a v2 batch) is the topic's
    const seg = readFileSync(join(broker.dataDir, `${topic}-0`, '00000000000000000000.log'))
    const codecs = new Set<number>()
    for (let p = 0; p + 61 <= seg.length; p += 12 + seg.readInt32BE(p + 8))
      codecs.add(seg.readInt16BE(p + 21) & 7)
    expect([...codecs]).toEqual([target === 'gzip' ? 1 : 0])
  })

  it('consumes from a timestamp (-o s@<ts>)', async () => {
    const topic = uniqueName('ts')
    await createTopic(broker.bootstrap, topic)
    await kcatProduce(
      broker.bootstrap,
      topic,
      Array.from({ length: 5 }, (_, i) => ({ value: `early ${i}` })),
      { partition: 0 },
    )
    await sleep(50)
    const cut = Date.now()
    await sleep(50)
    await kcatProduce(
      broker.bootstrap,
      topic,
      Array.from({ length: 3 }, (_, i) => ({ value: `late ${i}` })),
      { partition: 0 },
    )
    const all = await kcatConsume(broker.bootstrap, topic, { partition: 0 })
    expect(all).toHaveLength(8)
    expect(all.slice(0, 5).every((m) => m.ts < cut) && all.slice(5).every((m) => m.ts > cut)).toBe(true)
    expect(all[0]!.tstype).toBe('create')

    const fromCut = await kcatConsume(broker.bootstrap, topic, { partition: 0, offset: `s@${cut}` })
    expect(fromCut.map((m) => [m.offset, m.payload])).toEqual([
      [5, 'late 0'],
      [6, 'late 1'],
      [7, 'late 2'],
    ])
    // from the first message's exact timestamp: everything
    const fromFirst = await kcatConsume(broker.bootstrap, topic, { partition: 0, offset: `s@${all[0]!.ts}` })
    expect(fromFirst[0]!.offset).toBe(0)
  })
})
