/**
 * Library mode: `startBroker()` from src/index.ts in this process (ephemeral port, temp data dir by default),
 * kafkajs produce/consume against it, and `stop()`.
 */
import { existsSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { startBroker } from '../src/index.js'
import { scratchDir, uniqueName } from './support/env.js'
import { consumeWithGroup, createTopic, kafkajs, withProducer } from './support/kafkajs.js'
import { kcatConsume } from './support/kcat.js'
import { canConnect } from './support/procs.js'

type Started = Awaited<ReturnType<typeof startBroker>>
const started: Started[] = []

afterAll(async () => {
  for (const b of started) await b.stop().catch(() => undefined)
})

describe('startBroker() in-process', () => {
  it('starts on an ephemeral port with a temp data dir, serves kafkajs, and stops', async () => {
    const b = await startBroker({ logLevel: 'warn' })
    started.push(b)
    expect(b.host).toBe('127.0.0.1')
    expect(b.port).toBeGreaterThan(0)
    expect(b.bootstrap).toBe(`${b.host}:${b.port}`)
    expect(typeof b.brokerId).toBe('number')
    expect(b.logDirs.length).toBeGreaterThan(0)
    for (const d of b.logDirs) expect(existsSync(d)).toBe(true)

    const topic = uniqueName('lib')
    await createTopic(b.bootstrap, topic, { partitions: 2 })
    const kafka = kafkajs(b.bootstrap)
    const messages = Array.from({ length: 20 }, (_, i) => ({
      key: `k${i}`,
      value: `library ${i}`,
      headers: { i: String(i) },
    }))
    const md = await withProducer(kafka, {}, (p) => p.send({ topic, acks: -1, messages }))
    expect(md.every((r) => r.errorCode === 0)).toBe(true)

    // without a group (librdkafka) ...
    const all = [
      ...(await kcatConsume(b.bootstrap, topic, { partition: 0 })),
      ...(await kcatConsume(b.bootstrap, topic, { partition: 1 })),
    ]
    expect(all.map((m) => m.payload).sort()).toEqual(messages.map((m) => m.value).sort())

    // ... and with a kafkajs consumer group
    const got = await consumeWithGroup(kafka, { topic, groupId: uniqueName('lib-g'), count: 20 })
    expect(got.map((m) => m.value).sort()).toEqual(messages.map((m) => m.value).sort())
    for (const m of got) expect(m.headers.i).toBe(m.key!.slice(1))

    await b.stop()
    started.pop()
    expect(await canConnect(b.host, b.port)).toBe(false)
  })

  it('accepts properties, a port and a log dir; data survives stop/start in the same process', async () => {
    const logDir = await scratchDir('lib-explicit')
    const first = await startBroker({
      logDir,
      port: 0,
      logLevel: 'warn',
      properties: { 'broker.id': 7, 'num.partitions': 3, 'auto.create.topics.enable': true },
    })
    started.push(first)
    expect(first.brokerId).toBe(7)
    expect(first.logDirs).toEqual([logDir])
    const topic = uniqueName('lib-auto')
    // auto-created with num.partitions=3
    await withProducer(kafkajs(first.bootstrap), { allowAutoTopicCreation: true }, (p) =>
      p.send({ topic, acks: -1, messages: [{ partition: 2, value: 'persisted' }] }),
    )
    await first.stop()
    started.pop()

    const second = await startBroker({ logDir, logLevel: 'warn', properties: { 'broker.id': 7 } })
    started.push(second)
    const got = await kcatConsume(second.bootstrap, topic, { partition: 2 })
    expect(got.map((m) => m.payload)).toEqual(['persisted'])
    await second.stop()
    started.pop()
  })
})
