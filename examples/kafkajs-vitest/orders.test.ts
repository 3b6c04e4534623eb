/**
 * Testing an application against a 3-broker Samsa cluster started in the test's process: one cluster per test
 * file (about 0.3 s to start), a topic namespace per test so tests never see each other's data, and the cluster's
 * fault controls to check what the application does when a broker dies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCluster, type Cluster } from 'samsa'
import { OrderService, OrdersPerCustomer, kafkaFor } from './orders.js'

let cluster: Cluster
let tests = 0
/** A namespace of its own for each test: its topics and groups are `<namespace>.<name>`. */
const namespace = (): string => `t${++tests}-${process.pid}`

beforeAll(async () => {
  // a short ZooKeeper session: a killed broker is noticed in 1.5 s instead of Kafka's 18 s
  cluster = await startCluster({
    brokers: 3,
    logLevel: 'error',
    properties: { 'zookeeper.session.timeout.ms': 1500 },
  })
})
afterAll(() => cluster?.stop())

describe('orders', () => {
  it('counts the orders per customer', async () => {
    const ns = namespace()
    const topic = `${ns}.orders`
    await cluster.createTopic(topic, { partitions: 3, replicationFactor: 3 })
    const kafka = kafkaFor(cluster.bootstrapServers)
    const service = new OrderService(kafka, topic)
    const projection = new OrdersPerCustomer(kafka, topic, `${ns}.projection`)
    await Promise.all([service.start(), projection.start()])
    try {
      for (let i = 0; i < 6; i++)
        await service.place({ id: `o${i}`, customer: i % 2 ? 'ada' : 'bob', amount: i })
      await cluster.waitForGroup(`${ns}.projection`, { members: 1 })
      await cluster.waitForLag(`${ns}.projection`, { topics: [topic] })
      expect(Object.fromEntries(projection.counts)).toEqual({ ada: 3, bob: 3 })
      // the cluster saw the application's own client id on its produce requests
      expect(cluster.requests({ api: 'Produce', clientId: 'orders-app' }).length).toBeGreaterThanOrEqual(6)
    } finally {
      await Promise.all([service.stop(), projection.stop()])
    }
  })

  it('loses no acknowledged order when the leader of its partition is killed', async () => {
    const ns = namespace()
    const topic = `${ns}.orders`
    await cluster.createTopic(topic, {
      partitions: 1,
      replicationFactor: 3,
      config: { 'min.insync.replicas': 2 },
    })
    const service = new OrderService(kafkaFor(cluster.bootstrapServers), topic)
    await service.start()
    try {
      await service.place({ id: 'o1', customer: 'ada', amount: 1 })
      await cluster.waitForIsr(topic, 0, 3)
      const leader = cluster.leader(topic, 0)!
      await cluster.broker(leader).kill()
      await service.place({ id: 'o2', customer: 'ada', amount: 2 }) // the producer fails over by itself
      const ids = cluster
        .readPartition(topic, 0)
        .map((r) => (JSON.parse(r.value!.toString()) as { id: string }).id)
      expect(ids).toEqual(['o1', 'o2'])
      await cluster.broker(leader).restart()
      await cluster.waitForIsr(topic, 0, 3)
    } finally {
      await service.stop()
    }
  })
})
