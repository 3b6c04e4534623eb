/**
 * Produce frames go back to the buffer pool as soon as their request is handled. With the pool poisoning every
 * released buffer, a broker that kept a view of a frame past its lease (a deferred write of the records, say)
 * would store or serve 0xDE bytes: this produces large pipelined batches through a real client and reads every
 * record back intact.
 */
import { createHash } from 'node:crypto'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startBroker, type RunningBroker } from '../index.js'
import { fetchBufferPool } from '../util/buffer-pool.js'

let broker: RunningBroker

beforeAll(async () => {
  fetchBufferPool.poisonOnRelease = true
  broker = await startBroker({ properties: { 'group.initial.rebalance.delay.ms': 0 } })
})

afterAll(async () => {
  await broker.stop()
  fetchBufferPool.poisonOnRelease = false
})

it('never reads a produce frame after its lease ends', async () => {
  const kafka = new Kafka({ brokers: [`${broker.host}:${broker.port}`], logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: 'leases', numPartitions: 2 }], waitForLeaders: true })
  await admin.disconnect()
  const producer = kafka.producer({ maxInFlightRequests: 5 })
  await producer.connect()
  const value = (i: number) => Buffer.alloc(90_000 + (i % 7) * 1_000, i % 251)
  const digest = (b: Buffer) => createHash('sha1').update(b).digest('hex')
  const want = new Map<string, string>()
  const sends: Promise<unknown>[] = []
  for (let i = 0; i < 40; i++) {
    want.set(`k${i}`, digest(value(i)))
    sends.push(
      producer.send({
        topic: 'leases',
        acks: 1,
        messages: [
          { key: `k${i}`, value: value(i) },
          { key: `x${i}`, value: 'y' },
        ],
      }),
    )
  }
  await Promise.all(sends)
  await producer.disconnect()

  const consumer = kafka.consumer({ groupId: 'leases' })
  await consumer.connect()
  await consumer.subscribe({ topic: 'leases', fromBeginning: true })
  const got = new Map<string, string>()
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ message }) => {
          const k = message.key!.toString()
          if (k.startsWith('k')) got.set(k, digest(message.value!))
          if (got.size === want.size) resolve()
        },
      })
      .catch(reject)
  })
  await consumer.disconnect()
  expect(got).toEqual(want)
})
