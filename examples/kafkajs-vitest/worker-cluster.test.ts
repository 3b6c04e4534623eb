/**
 * The cluster of this vitest worker (`clusterForWorker`): started by the first test file the worker runs and shared
 * by the next ones (a setupFiles module can call it too), a namespace per test from `namespace()`.
 */
import { beforeAll, expect, it } from 'vitest'
import { Kafka, logLevel } from 'kafkajs'
import { clusterForWorker, namespace, type Cluster } from 'samsa'

let cluster: Cluster
beforeAll(async () => {
  cluster = await clusterForWorker({ brokers: 3 })
})

it('gives each test its own topics on the shared cluster', async () => {
  const a = `${namespace()}.events`
  const b = `${namespace()}.events`
  expect(a).not.toBe(b)
  await cluster.createTopic(a, { partitions: 1, replicationFactor: 3 })
  const kafka = new Kafka({ brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING })
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic: a, acks: -1, messages: [{ value: 'one' }] })
  await producer.disconnect()
  expect(cluster.readPartition(a, 0).map((r) => r.value!.toString())).toEqual(['one'])
  expect(await clusterForWorker()).toBe(cluster) // the same cluster for every later call in this worker
})
