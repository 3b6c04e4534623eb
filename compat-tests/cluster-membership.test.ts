/**
 * Growing and shrinking a ZooKeeper cluster with partition reassignment (KIP-455), under idempotent acks=all
 * producers and a consumer group (the checker):
 *  - a fourth broker joins a running three-broker cluster and receives replicas of a topic through
 *    AlterPartitionReassignments (kafkajs);
 *  - a broker is drained — every replica it holds, __consumer_offsets included, moved to the others — and then
 *    leaves with a controlled shutdown; no partition goes offline at any point, nothing acknowledged is lost or
 *    duplicated, and its logs are deleted once their replicas moved away.
 */
import { readdirSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { printBrokerLogsOnFailure } from './support/broker.js'
import { Checker } from './support/checker.js'
import { type Cluster, reportForeignSignals, startCluster } from './support/cluster.js'
import { uniqueName, waitFor } from './support/env.js'
import { kafkajs, withAdmin } from './support/kafkajs.js'

printBrokerLogsOnFailure()
reportForeignSignals(() => [cl])

const OFFSETS = '__consumer_offsets'
let cl: Cluster

beforeAll(async () => {
  cl = await startCluster({
    ids: [0, 1, 2, 3],
    start: false,
    overrides: { 'log.segment.delete.delay.ms': 500 },
  })
  await Promise.all([0, 1, 2].map((id) => cl.broker(id).start()))
}, 120_000)

afterAll(async () => {
  await cl?.stop()
})

/** partition -> replicas of a topic, from its znode. */
async function assignment(topic: string): Promise<Map<number, number[]>> {
  const z = await cl.topicZnode(topic)
  return new Map(Object.entries(z?.partitions ?? {}).map(([p, r]) => [Number(p), r]))
}

/** Moves partitions with AlterPartitionReassignments and waits until every one is at its target, fully in sync. */
async function reassign(moves: { topic: string; partition: number; replicas: number[] }[]): Promise<void> {
  const byTopic = new Map<string, { partition: number; replicas: number[] }[]>()
  for (const m of moves) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), m])
  await withAdmin(kafkajs(cl.bootstrap(1)), (admin) =>
    admin.alterPartitionReassignments({
      topics: [...byTopic].map(([topic, partitionAssignment]) => ({ topic, partitionAssignment })),
      timeout: 30_000,
    }),
  )
  await waitFor(
    `${moves.length} partitions moved`,
    async () => {
      for (const m of moves) {
        const z = await cl.topicZnode(m.topic)
        const s = await cl.partitionState(m.topic, m.partition)
        const key = String(m.partition)
        if (
          z?.partitions[key]?.join() !== m.replicas.join() ||
          z.adding_replicas?.[key] !== undefined ||
          z.removing_replicas?.[key] !== undefined ||
          !s ||
          [...s.isr].sort().join() !== [...m.replicas].sort().join()
        )
          return false
      }
      return true
    },
    { timeoutMs: 120_000, intervalMs: 250 },
  )
}

/** Polls every partition's state until stopped; collects any moment a partition had no leader. */
function watchOffline(topics: string[]): { stop: () => Promise<string[]> } {
  const offline: string[] = []
  let running = true
  const loop = (async () => {
    while (running) {
      for (const t of topics) {
        for (const p of (await assignment(t)).keys()) {
          const s = await cl.partitionState(t, p)
          if (s && s.leader < 0) offline.push(`${t}-${p} offline (ISR [${s.isr.join(',')}])`)
        }
      }
    }
  })()
  return {
    stop: async () => {
      running = false
      await loop
      return offline
    },
  }
}

describe('adding and removing brokers', () => {
  it('a fourth broker joins and takes replicas; a drained broker leaves without a partition going offline', async () => {
    const topic = uniqueName('members')
    await withAdmin(kafkajs(cl.bootstrap(0)), (admin) =>
      admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic,
            replicaAssignment: Array.from({ length: 6 }, (_, p) => ({
              partition: p,
              replicas: [0, 1, 2].map((i) => (p + i) % 3),
            })),
          },
        ],
      }),
    )
    await cl.waitForTopic(topic, 6)
    // Brokers 1 and 2 stay throughout: the clients (and the verdict's read-back) bootstrap from them.
    const checker = await Checker.start({
      bootstrap: [cl.bootstrap(1), cl.bootstrap(2)],
      topic,
      partitions: 6,
      rate: 200,
      logDirs: () => cl.brokers.map((b) => b.dataDir),
    })
    let verdict
    let offline: string[] | undefined
    try {
      await checker.waitForProgress('warm-up', 200)
      await waitFor('__consumer_offsets created', async () => (await assignment(OFFSETS)).size > 0)

      // 1. Broker 3 joins and gets one replica of every partition (the last one, so leaders stay put).
      await cl.broker(3).start()
      await cl.waitForRegistered([0, 1, 2, 3])
      const before = await assignment(topic)
      await reassign(
        [...before].map(([partition, replicas]) => ({
          topic,
          partition,
          replicas: [...replicas.slice(0, 2), 3],
        })),
      )
      await checker.waitForProgress('after broker 3 joined', 200)

      // 2. Broker 0 is drained: each replica it holds goes to a broker that has none of that partition.
      const watch = watchOffline([topic, OFFSETS])
      try {
        const drain: { topic: string; partition: number; replicas: number[] }[] = []
        for (const t of [topic, OFFSETS]) {
          for (const [partition, replicas] of await assignment(t)) {
            if (!replicas.includes(0)) continue
            const spare = [1, 2, 3].find((b) => !replicas.includes(b))!
            drain.push({ topic: t, partition, replicas: replicas.map((r) => (r === 0 ? spare : r)) })
          }
        }
        expect(drain.length).toBeGreaterThan(0)
        await reassign(drain)
        for (const t of [topic, OFFSETS])
          for (const replicas of (await assignment(t)).values()) expect(replicas).not.toContain(0)
        await waitFor(
          "broker 0's logs deleted",
          () => !readdirSync(cl.broker(0).dataDir).some((f) => f.startsWith(topic) || f.startsWith(OFFSETS)),
          { timeoutMs: 30_000, intervalMs: 250 },
        )
        // 3. It leaves with a controlled shutdown.
        expect(await cl.broker(0).stop()).toBe(0)
        await waitFor('broker 0 deregistered', async () => !(await cl.registeredIds()).includes(0))
        await checker.waitForProgress('after broker 0 left', 200)
      } finally {
        offline = await watch.stop()
      }
    } finally {
      verdict = await checker.stop()
    }
    console.log(`[membership] ${verdict.summary}`)
    expect(offline).toEqual([])
    expect(verdict.problems.slice(0, 20), verdict.summary).toEqual([])
  }, 300_000)
})
