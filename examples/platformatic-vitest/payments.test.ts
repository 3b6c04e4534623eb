/**
 * Testing a @platformatic/kafka application against a 3-broker Samsa cluster in the test's process: one cluster
 * for the file, a namespace per test for its topics and groups, assertions on the cluster's own state (ISR, group
 * lag, the records on disk, the requests the application sent) instead of sleeps, and a partitioned leader.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCluster, type Cluster } from 'samsa'
import { Ledger, PaymentService } from './payments.js'

let cluster: Cluster
let tests = 0
const namespace = (): string => `pf${++tests}-${process.pid}`

beforeAll(async () => {
  cluster = await startCluster({
    brokers: 3,
    logLevel: 'error',
    properties: {
      'zookeeper.session.timeout.ms': 1500,
      // a lagging follower leaves the ISR after 1 s instead of Kafka's 30 s
      'replica.lag.time.max.ms': 1000,
      // the first group's coordinator is ready in about a second, not after creating Kafka's 50 partitions × 3
      'offsets.topic.num.partitions': 3,
    },
  })
})
afterAll(() => cluster?.stop())

describe('payments (@platformatic/kafka)', () => {
  it('keeps every account balance; the group catches up to the end of the topic', async () => {
    const ns = namespace()
    const topic = `${ns}.payments`
    await cluster.createTopic(topic, { partitions: 3, replicationFactor: 3 })
    const service = new PaymentService(cluster.bootstrapServers, topic)
    const ledger = new Ledger(cluster.bootstrapServers, topic, `${ns}.ledger`)
    try {
      await service.record(
        { id: 'p1', account: 'ada', cents: 500 },
        { id: 'p2', account: 'bob', cents: 250 },
        { id: 'p3', account: 'ada', cents: -200 },
      )
      await ledger.start()
      await cluster.waitForGroup(`${ns}.ledger`, { members: 1 })
      // @platformatic/kafka 1.22 commits the offset of the last record it processed, where Kafka's clients commit
      // the next one to read: its lag never drops below 1 on a partition it consumed from (the brokers' view)
      await cluster.waitForLag(`${ns}.ledger`, { topics: [topic], lag: 1, timeoutMs: 10_000 })
      expect(Object.fromEntries(ledger.balances)).toEqual({ ada: 300, bob: 250 })
      // an account's payments share a partition, in the order they were recorded (read from the brokers' logs)
      const ada = [0, 1, 2].flatMap((p) =>
        cluster
          .readPartition(topic, p)
          .filter((r) => r.key?.toString() === 'ada')
          .map((r) => (JSON.parse(r.value!.toString()) as { id: string }).id),
      )
      expect(ada).toEqual(['p1', 'p3'])
      // the client negotiated flexible versions of Produce (v9+), as the brokers' request log shows
      const produce = cluster.requests({ api: 'Produce', clientId: 'payments-app' })
      expect(produce.length).toBeGreaterThan(0)
      expect(produce.every((r) => r.version >= 9)).toBe(true)
    } finally {
      await ledger.close()
      await service.close()
    }
  })

  it('a leader cut off from its followers cannot take an acks=all payment alone; after the heal it is recorded once', async () => {
    const ns = namespace()
    const topic = `${ns}.payments`
    await cluster.createTopic(topic, {
      partitions: 1,
      replicationFactor: 3,
      config: { 'min.insync.replicas': 2 },
    })
    await cluster.waitForIsr(topic, 0, 3)
    const service = new PaymentService(cluster.bootstrapServers, topic)
    try {
      await service.record({ id: 'p1', account: 'ada', cents: 100 })
      const leader = cluster.leader(topic, 0)!
      const others = cluster.brokers.map((b) => b.id).filter((id) => id !== leader)
      // the clients and ZooKeeper still reach the leader; its followers do not
      await cluster.partitionNetwork([[leader], others])
      const pending = service.record({ id: 'p2', account: 'ada', cents: 100 })
      await cluster.waitForIsr(topic, 0, 1)
      await cluster.heal()
      await pending
      await cluster.waitForIsr(topic, 0, 3)
      const ids = cluster
        .readPartition(topic, 0)
        .map((r) => (JSON.parse(r.value!.toString()) as { id: string }).id)
      expect(ids).toEqual(['p1', 'p2'])
    } finally {
      await service.close()
    }
  })
})
