/**
 * Transaction coordinator fail-over in a ZooKeeper-mode cluster of three brokers (every topic and
 * `__transaction_state` with replication factor 3 and min.insync.replicas 2): confluent-kafka (librdkafka)
 * runs a stream of transactions while the broker coordinating its transactional id is killed with -9. A new
 * leader of the `__transaction_state` partition loads the state and finishes (or aborts) what was in flight;
 * the producer carries on. Afterwards read_committed consumers get exactly the committed transactions — each
 * whole, none twice — and nothing of the aborted ones.
 */
import { join } from 'node:path'
import { type Kafka } from 'kafkajs'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Apis } from '../src/protocol/messages/index.js'
import { printBrokerLogsOnFailure } from './support/broker.js'
import { SUPPORT_DIR, SYSTEM_PYTHON, uniqueName } from './support/env.js'
import {
  type Cluster,
  EventProcess,
  resultOf,
  startCluster,
  stopGroupProcesses,
  waitFor,
  withRaw,
} from './support/groups.js'
import { consumeWithGroup, kafkajs, withAdmin, withProducer } from './support/kafkajs.js'

let cluster: Cluster
let kafka: Kafka

printBrokerLogsOnFailure()

beforeAll(async () => {
  cluster = await startCluster(3, {
    'min.insync.replicas': 2,
    'transaction.state.log.replication.factor': 3,
    'transaction.state.log.min.isr': 2,
    'transaction.state.log.num.partitions': 3,
  })
  kafka = kafkajs(cluster.bootstrap)
})

afterEach(async () => {
  await stopGroupProcesses()
})

afterAll(async () => {
  await cluster?.stop()
})

const PARTITIONS = 3
const TXNS = 40
const KEYS = 6
const SENTINEL = 'end'

function records(i: number): { key: string; value: string }[] {
  return Array.from({ length: KEYS }, (_, j) => ({ key: `k${j}`, value: `k${j}:${i}` }))
}

describe('transaction coordinator fail-over (3 brokers, RF 3, min.insync.replicas 2)', () => {
  it('kill -9 of the coordinator during a stream of transactions: exactly the committed ones are visible', async () => {
    const topic = uniqueName('txn-failover')
    await withAdmin(kafka, (admin) =>
      admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 3 }],
      }),
    )
    const transactionalId = uniqueName('failover')
    const producer = new EventProcess('txn-confluent-failover', SYSTEM_PYTHON, [
      join(SUPPORT_DIR, 'python', 'txn_confluent.py'),
      JSON.stringify({
        action: 'transactions',
        bootstrap: cluster.bootstrap.join(','),
        topic,
        transactional_id: transactionalId,
        config: { 'transaction.timeout.ms': 60_000, 'message.timeout.ms': 60_000 },
        transactions: Array.from({ length: TXNS }, (_, i) => ({ messages: records(i), commit: i % 4 !== 3 })),
      }),
    ])
    await producer.until('init_transactions', (events) => events.find((e) => e.event === 'ready'), 60_000)
    const coordinator = await waitFor('the transaction coordinator', () =>
      withRaw(cluster.brokers[0]!, async (c) => {
        const r = await c.request(Apis.FindCoordinator, 3, { key: transactionalId, keyType: 1 })
        return r.errorCode === 0 ? r.nodeId : undefined
      }),
    )
    await producer.until('some committed transactions', (events) =>
      events.filter((e) => e.event === 'committed').length >= 5 ? true : undefined,
    )
    const killedAt = Date.now()
    const before = producer.all('committed').length
    await cluster.broker(coordinator).kill()
    await producer.until(
      'a commit after the kill',
      () => producer.all('committed').length > before || undefined,
      90_000,
    )
    const resumedMs = Date.now() - killedAt
    await producer.waitExit(120_000)
    const r = resultOf<{ committed: number[]; aborted: number[] }>(producer)
    expect(r.committed.length + r.aborted.length).toBe(TXNS)
    // the ones asked to abort are aborted; the others commit unless the client had to abort them
    for (let i = 3; i < TXNS; i += 4) expect(r.aborted).toContain(i)

    // back with its data (and, like a fresh broker, no longer the coordinator: the leader moved); the cluster
    // needs all three brokers to create __consumer_offsets (RF 3) for the consumer group below
    await cluster.broker(coordinator).start()
    const survivor = cluster.brokers.find((b) => b.id !== coordinator)!
    await withProducer(
      kafkajs(survivor.bootstrap),
      { transactionalId: uniqueName('sentinel'), idempotent: true, maxInFlightRequests: 1 },
      async (p) => {
        const t = await p.transaction()
        await t.send({
          topic,
          messages: Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, value: SENTINEL })),
        })
        await t.commit()
      },
    )
    const got = await consumeWithGroup(kafkajs(survivor.bootstrap), {
      topic,
      groupId: uniqueName('failover-read'),
      count: r.committed.length * KEYS + PARTITIONS,
      timeoutMs: 60_000,
    })
    console.log(
      `[transactions] coordinator ${coordinator} killed after ${before} commits; the next commit came ` +
        `${resumedMs} ms later; ${r.committed.length} committed, ${r.aborted.length} aborted`,
    )
    const values = got.map((m) => m.value).filter((v) => v !== SENTINEL)
    const expected = r.committed.flatMap((i) => records(i).map((m) => m.value))
    expect(values.sort()).toEqual(expected.sort())
  })
})
