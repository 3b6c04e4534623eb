/* global fetch */
/**
 * kafkajs + jest against the Samsa cluster the global setup started: the test files run in parallel workers, each
 * test in a namespace of its own, and the cluster's controls (create a topic, wait for a group, kill a broker) are
 * reached through its HTTP control API.
 */
import { expect, test } from '@jest/globals'
import kafkajs from 'kafkajs'

const { Kafka, logLevel } = kafkajs
const brokers = process.env.SAMSA_BOOTSTRAP_SERVERS.split(',')
const control = process.env.SAMSA_CLUSTER_URL

async function api(method, path, body) {
  const r = await fetch(control + path, { method, body: body && JSON.stringify(body) })
  const json = await r.json()
  if (!r.ok) throw new Error(`${method} ${path}: ${json.error}`)
  return json
}

let n = 0
const namespace = () => `j${process.env.JEST_WORKER_ID}-${++n}-${Math.random().toString(36).slice(2, 6)}`
const kafka = new Kafka({ clientId: 'orders-jest', brokers, logLevel: logLevel.NOTHING })

test('a consumer group reads what was produced', async () => {
  const ns = namespace()
  const topic = `${ns}.orders`
  await api('POST', '/topics', { name: topic, partitions: 2, replicationFactor: 3 })
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({
    topic,
    acks: -1,
    messages: [1, 2, 3].map((i) => ({ key: `k${i}`, value: `order-${i}` })),
  })
  await producer.disconnect()

  const seen = []
  const consumer = kafka.consumer({ groupId: `${ns}.readers`, maxWaitTimeInMs: 100 })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value.toString()) })
  try {
    await api('POST', '/wait/group', { group: `${ns}.readers`, members: 1 })
    await api('POST', '/wait/lag', { group: `${ns}.readers`, topics: [topic] })
    expect(seen.sort()).toEqual(['order-1', 'order-2', 'order-3'])
  } finally {
    await consumer.disconnect()
  }
})

test('the request log shows the client id of the application', async () => {
  const ns = namespace()
  const topic = `${ns}.audit`
  await api('POST', '/topics', { name: topic, partitions: 1, replicationFactor: 3 })
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic, messages: [{ value: 'x' }] })
  await producer.disconnect()
  const { requests } = await api('GET', '/requests?api=Produce&clientId=orders-jest')
  expect(requests.length).toBeGreaterThan(0)
  const { records } = await api('GET', `/topics/${topic}/partitions/0/records`)
  expect(records.map((r) => r.value.text)).toEqual(['x'])
})
