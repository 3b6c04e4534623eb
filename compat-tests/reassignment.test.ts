/**
 * Partition reassignment (KIP-455) on a 4-broker ZooKeeper cluster, with real clients writing and reading
 * throughout (the checker: idempotent acks=all producers of kafkajs and librdkafka, a kafkajs consumer group):
 *  - kafkajs alterPartitionReassignments moves a partition holding SAMSA_REASSIGN_RECORDS records (default 20 000;
 *    `npm run test:reassign` runs 100 000) from three brokers to two of them and the fourth (e.g. {0,1,2} to
 *    {1,2,3}; the broker joining is never the controller, so that it can be held back): listPartitionReassignments shows the
 *    adding / removing replicas while the new replica is held back, the move completes, the old replica's log is
 *    deleted, the new replicas hold the same bytes, nothing acknowledged is lost or duplicated;
 *  - the same move written to /admin/reassign_partitions as kafka-reassign-partitions.sh does, and started with the
 *    Admin API, each with the controller killed (kill -9) while the move is under way and restarted: the next
 *    controller finishes it (and removes the znode);
 *  - a move with a replication throttle (KIP-73) set as kafka-reassign-partitions.sh --throttle does: the copy
 *    keeps within 20 % of it;
 *  - bad reassignments (a broker that does not exist, duplicates, an empty list, a cancel with nothing to cancel)
 *    are refused with Kafka's errors and change nothing.
 */
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigResourceTypes } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { printBrokerLogsOnFailure } from './support/broker.js'
import { Checker, type CheckerOptions, replicaDivergence } from './support/checker.js'
import {
  type Cluster,
  highWatermarkOf,
  pauseBroker,
  reportForeignSignals,
  resumeBroker,
  startCluster,
  zkCreate,
} from './support/cluster.js'
import { uniqueName, waitFor } from './support/env.js'
import { kafkajs, withAdmin, withProducer } from './support/kafkajs.js'
import { freePort } from './support/procs.js'

printBrokerLogsOnFailure()
reportForeignSignals(() => [cl])

const RECORDS = Number(process.env.SAMSA_REASSIGN_RECORDS ?? 20_000)
let cl: Cluster
const httpPorts = new Map<number, number>()

beforeAll(async () => {
  for (const id of [0, 1, 2, 3]) httpPorts.set(id, await freePort())
  // Follower fetches of 64 kB per partition (Kafka's default is 1 MB): a throttle lets the first fetches of a copy
  // through before its rate is measured (Kafka's SimpleRate), which must stay small next to the copy measured.
  cl = await startCluster({
    ids: [0, 1, 2, 3],
    overrides: { 'log.segment.delete.delay.ms': 500, 'replica.fetch.max.bytes': 65_536 },
    brokerOverrides: (id) => ({ 'http.listeners': `http://127.0.0.1:${httpPorts.get(id)}` }),
  })
}, 120_000)

afterAll(async () => {
  await cl?.stop()
})

/** The checker on a topic of 1 partition at 200 records/s, reading producer epochs from the brokers' logs. */
function startChecker(topic: string, opts: Partial<CheckerOptions> = {}): Promise<Checker> {
  return Checker.start({
    bootstrap: cl.bootstrapAll(),
    topic,
    partitions: 1,
    rate: 200,
    logDirs: () => cl.brokers.map((b) => b.dataDir),
    ...opts,
  })
}

async function createTopic(topic: string, replicas: number[]): Promise<void> {
  await withAdmin(kafkajs(cl.bootstrapAll()), (admin) =>
    admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, replicaAssignment: [{ partition: 0, replicas }] }],
    }),
  )
  await cl.waitForTopic(topic, 1)
}

/** One sample of a broker's /metrics (a metric without labels). */
async function metric(id: number, name: string): Promise<number> {
  const body = await (await fetch(`http://127.0.0.1:${httpPorts.get(id)}/metrics`)).text()
  const line = body.split('\n').find((l) => l.startsWith(`${name} `))
  if (line === undefined) throw new Error(`broker ${id} has no ${name}`)
  return Number(line.slice(name.length + 1))
}

/**
 * `n` records of 100 bytes with distinct values (the checker counts every value in the log), in batches of `batch`
 * (1000 by default).
 */
async function preload(topic: string, n: number, batch = 1000): Promise<void> {
  await withProducer(kafkajs(cl.bootstrapAll()), { idempotent: true }, async (p) => {
    for (let i = 0; i < n; i += batch) {
      const messages = Array.from({ length: Math.min(batch, n - i) }, (_, j) => ({
        key: `pre-${i + j}`,
        value: `pre-${i + j}-`.padEnd(100, 'r'),
      }))
      await p.send({ topic, acks: -1, messages })
    }
  })
}

/**
 * A move that suits the current controller: the broker joining is one that is not the controller (it is held
 * back with SIGSTOP), the one leaving is the first of the others.
 */
async function plan(): Promise<{ controller: number; adding: number; original: number[]; target: number[] }> {
  const controller = (await cl.controllerId())!
  const ids = cl.brokers.map((b) => b.id)
  const adding = Math.max(...ids.filter((id) => id !== controller))
  const original = ids.filter((id) => id !== adding)
  return { controller, adding, original, target: [...original.slice(1), adding] }
}

/** Waits until the topic znode says [target] with nothing adding or removing, and the ISR is the target. */
async function waitForMove(topic: string, target: number[], timeoutMs = 90_000): Promise<void> {
  await waitFor(
    `${topic}-0 moved to [${target}]`,
    async () => {
      const z = await cl.topicZnode(topic)
      const s = await cl.partitionState(topic, 0)
      return (
        z?.partitions['0']?.join() === target.join() &&
        Object.keys(z.adding_replicas ?? {}).length === 0 &&
        Object.keys(z.removing_replicas ?? {}).length === 0 &&
        s !== undefined &&
        target.includes(s.leader) &&
        [...s.isr].sort().join() === [...target].sort().join()
      )
    },
    { timeoutMs, intervalMs: 200 },
  )
}

/** The removed replica's log directory is gone (renamed for deletion, then deleted). */
async function waitForLogGone(broker: number, topic: string): Promise<void> {
  const dir = cl.broker(broker).dataDir
  await waitFor(
    `log of ${topic}-0 deleted from broker ${broker}`,
    () => !readdirSync(dir).some((f) => f === `${topic}-0` || f.startsWith(`${topic}-0.`)),
    { timeoutMs: 30_000, intervalMs: 200 },
  )
}

async function expectReplicasIdentical(topic: string, target: number[]): Promise<void> {
  const s = (await cl.partitionState(topic, 0))!
  const hw = await highWatermarkOf(cl.broker(s.leader), topic, 0)
  expect(hw).toBeGreaterThanOrEqual(RECORDS)
  const brokers = cl.brokers.filter((b) => target.includes(b.id))
  await waitFor(
    `replicas of ${topic}-0 byte-identical up to ${hw}`,
    () => replicaDivergence(brokers, s.leader, topic, 0, hw) === undefined,
    { timeoutMs: 20_000, intervalMs: 250 },
  )
}

/** Bytes in the segments of `topic`-0 on `broker`. */
function logBytes(broker: number, topic: string): number {
  const dir = join(cl.broker(broker).dataDir, `${topic}-0`)
  return readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .reduce((sum, f) => sum + statSync(join(dir, f)).size, 0)
}

/**
 * Sets (or, with `rate` undefined, clears) leader/follower.replication.throttled.rate on every broker — each one
 * told directly, as Kafka's admin client does for a broker resource — and the topic's throttled replicas, then
 * waits until every broker describes them.
 */
async function setThrottle(
  topic: string,
  rate: number | undefined,
  leaders: number[],
  followers: number[],
): Promise<void> {
  const rateEntries =
    rate === undefined
      ? []
      : ['leader.replication.throttled.rate', 'follower.replication.throttled.rate'].map((name) => ({
          name,
          value: String(rate),
        }))
  const replicaEntries =
    rate === undefined
      ? []
      : [
          { name: 'leader.replication.throttled.replicas', value: leaders.map((b) => `0:${b}`).join(',') },
          {
            name: 'follower.replication.throttled.replicas',
            value: followers.map((b) => `0:${b}`).join(','),
          },
        ]
  for (const b of cl.brokers) {
    await withAdmin(kafkajs(b.bootstrap), (admin) =>
      admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.BROKER, name: String(b.id), configEntries: rateEntries }],
      }),
    )
  }
  await withAdmin(kafkajs(cl.bootstrapAll()), (admin) =>
    admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: replicaEntries }],
    }),
  )
  for (const b of cl.brokers) {
    await waitFor(
      `broker ${b.id} to apply the replication throttle ${rate ?? 'removal'}`,
      () =>
        withAdmin(kafkajs(b.bootstrap), async (admin) => {
          const { resources } = await admin.describeConfigs({
            includeSynonyms: false,
            resources: [
              { type: ConfigResourceTypes.BROKER, name: String(b.id) },
              { type: ConfigResourceTypes.TOPIC, name: topic },
            ],
          })
          const value = (name: string) =>
            resources.flatMap((r) => r.configEntries).find((e) => e.configName === name)?.configValue
          const want = (name: string) =>
            rateEntries.concat(replicaEntries).find((e) => e.name === name)?.value
          const rateNow = value('leader.replication.throttled.rate')
          const rateWanted = want('leader.replication.throttled.rate')
          return (
            (rateWanted !== undefined
              ? rateNow === rateWanted
              : rateNow === undefined || rateNow === String(2n ** 63n - 1n)) &&
            (value('follower.replication.throttled.replicas') ?? '') ===
              (want('follower.replication.throttled.replicas') ?? '')
          )
        }),
      { timeoutMs: 20_000, intervalMs: 200 },
    )
  }
}

/**
 * A move started through the Admin API (kafkajs) or by writing /admin/reassign_partitions, with the controller killed
 * (kill -9) while it is under way and restarted: the next controller finishes it.
 */
async function moveWithControllerKilled(via: 'admin' | 'znode'): Promise<void> {
  await cl.ensureRunning()
  const { controller, adding, original, target } = await plan()
  const topic = uniqueName(`${via}move`)
  await createTopic(topic, original)
  await preload(topic, RECORDS)
  const checker = await startChecker(topic)
  let verdict
  try {
    await checker.waitForProgress('warm-up', 100)
    pauseBroker(cl.broker(adding))
    try {
      if (via === 'znode')
        await cl.zk((c) =>
          zkCreate(
            c,
            '/admin/reassign_partitions',
            JSON.stringify({ version: 1, partitions: [{ topic, partition: 0, replicas: target }] }),
          ),
        )
      else
        // Bootstrapped from the controller alone: the broker joining is frozen.
        await withAdmin(kafkajs(cl.bootstrap(controller)), (admin) =>
          admin.alterPartitionReassignments({
            topics: [{ topic, partitionAssignment: [{ partition: 0, replicas: target }] }],
          }),
        )
      await waitFor(
        'the controller started the move',
        async () => (await cl.topicZnode(topic))?.adding_replicas?.['0']?.join() === String(adding),
        { timeoutMs: 4000, intervalMs: 50 },
      )
      await cl.broker(controller).kill()
    } finally {
      resumeBroker(cl.broker(adding))
    }
    // Restarted once its old registration expired (before that it could not register, as in Kafka).
    await waitFor(
      `broker ${controller}'s registration expired`,
      async () => !(await cl.registeredIds()).includes(controller),
      { timeoutMs: 30_000, intervalMs: 100 },
    )
    await cl.broker(controller).start()
    await waitForMove(topic, target)
    if (via === 'znode')
      await waitFor(
        '/admin/reassign_partitions removed',
        async () => (await cl.znode('/admin/reassign_partitions')) === undefined,
        {
          timeoutMs: 20_000,
        },
      )
    await checker.waitForProgress('after the move', 100)
  } finally {
    verdict = await checker.stop()
  }
  console.log(`[reassignment] ${via} move with controller ${controller} killed: ${verdict.summary}`)
  expect(verdict.problems.slice(0, 20), verdict.summary).toEqual([])
  await waitForLogGone(original[0]!, topic)
  await expectReplicasIdentical(topic, target)
}

describe('partition reassignment (KIP-455)', () => {
  it(`moves a partition of ${RECORDS} records off a broker onto a new one with kafkajs, under producers and a group`, async () => {
    const { adding, original, target } = await plan()
    const topic = uniqueName('move')
    await createTopic(topic, original)
    const t0 = Date.now()
    await preload(topic, RECORDS)
    const preloadMs = Date.now() - t0
    const checker = await startChecker(topic)
    let verdict
    let moveMs: number | undefined
    try {
      await checker.waitForProgress('warm-up', 100)
      const admin = kafkajs(cl.bootstrapAll()).admin()
      await admin.connect()
      try {
        // The joining broker is held (SIGSTOP, well within its ZooKeeper session) so the move is seen under way.
        pauseBroker(cl.broker(adding))
        const started = Date.now()
        try {
          await admin.alterPartitionReassignments({
            topics: [{ topic, partitionAssignment: [{ partition: 0, replicas: target }] }],
          })
          const listed = await admin.listPartitionReassignments({ topics: [{ topic, partitions: [0] }] })
          // kafkajs hands back the decoded response (name / partition, not its typings' topic / partitionIndex).
          expect(listed.topics as unknown).toEqual([
            {
              name: topic,
              partitions: [
                {
                  partition: 0,
                  replicas: [...target, original[0]],
                  addingReplicas: [adding],
                  removingReplicas: [original[0]],
                },
              ],
            },
          ])
        } finally {
          resumeBroker(cl.broker(adding))
        }
        await waitForMove(topic, target)
        moveMs = Date.now() - started
        expect(await admin.listPartitionReassignments({})).toEqual({ topics: [] })
      } finally {
        await admin.disconnect()
      }
      await checker.waitForProgress('after the move', 100)
    } finally {
      verdict = await checker.stop()
    }
    console.log(
      `[reassignment] ${RECORDS} records preloaded in ${preloadMs} ms, moved in ${moveMs} ms; ${verdict.summary}`,
    )
    expect(verdict.problems.slice(0, 20), verdict.summary).toEqual([])
    await waitForLogGone(original[0]!, topic)
    await expectReplicasIdentical(topic, target)
  }, 300_000)

  it('finishes a move written to /admin/reassign_partitions after the controller is killed during it', async () => {
    await moveWithControllerKilled('znode')
  }, 300_000)

  it('finishes a move started with the Admin API after the controller is killed during it', async () => {
    await moveWithControllerKilled('admin')
  }, 300_000)

  it(`copies a moved partition of ${RECORDS} records within 20 % of its replication throttle (KIP-73)`, async () => {
    await cl.ensureRunning()
    const { adding, original, target } = await plan()
    const topic = uniqueName('throttled')
    await createTopic(topic, original)
    await preload(topic, RECORDS, 200)
    // 1 MB/s for 100 000 records (npm run test:reassign); the same copy time (about 13 s) for fewer.
    const rate = Math.round(1_000_000 * Math.min(1, RECORDS / 100_000))
    // As kafka-reassign-partitions.sh --throttle sets them: the rates on every broker, the existing replicas
    // throttled as leaders and the one joining as a follower.
    await setThrottle(topic, rate, original, [adding])
    // A slow producer: the leader's quota counts what the in-sync followers fetch of a throttled partition too
    // (Kafka's ReplicationQuotaManager), so a fast one would leave the joining replica little of the bound.
    const checker = await startChecker(topic, { producers: ['librdkafka'], rate: 50 })
    let verdict
    let copyMs: number | undefined
    let followerRate: number | undefined
    let leaderRate: number | undefined
    try {
      await checker.waitForProgress('warm-up', 100)
      const leader = (await cl.partitionState(topic, 0))?.leader ?? -1 // a replica that leaves with the move
      const started = Date.now()
      await withAdmin(kafkajs(cl.bootstrapAll()), (admin) =>
        admin.alterPartitionReassignments({
          topics: [{ topic, partitionAssignment: [{ partition: 0, replicas: target }] }],
        }),
      )
      await waitForMove(topic, target, 120_000)
      copyMs = Date.now() - started
      // The quotas' measured rates (LeaderReplication / FollowerReplication byte-rate) still cover the copy's last
      // seconds (replication.quota.window.num x replication.quota.window.size.seconds).
      followerRate = await metric(adding, 'kafka_server_followerreplication_byte_rate')
      leaderRate = leader >= 0 ? await metric(leader, 'kafka_server_leaderreplication_byte_rate') : 0
      await checker.waitForProgress('after the move', 100)
    } finally {
      verdict = await checker.stop()
    }
    const copied = logBytes(adding, topic)
    const measured = copied / ((copyMs ?? Infinity) / 1000)
    console.log(
      `[reassignment] throttled move: ${copied} bytes copied to broker ${adding} in ${copyMs} ms = ${Math.round(measured)} B/s (throttle ${rate} B/s, ${((measured / rate) * 100).toFixed(1)} %); byte-rate: follower ${followerRate}, leader ${leaderRate}; ${verdict.summary}`,
    )
    expect(verdict.problems.slice(0, 20), verdict.summary).toEqual([])
    // The throttle holds the copy to its rate (within 20 %). How close below it the copy gets depends on the machine's
    // load (a follower turned away by the leader's quota waits replica.fetch.wait.max.ms, as in Kafka): at least
    // half of it says that the throttle does not starve the copy.
    expect(measured).toBeLessThanOrEqual(rate * 1.2)
    expect(measured).toBeGreaterThanOrEqual(rate * 0.5)
    expect(followerRate ?? 0, 'follower byte-rate of the joining replica').toBeGreaterThan(0)
    expect(leaderRate ?? 0, 'leader byte-rate').toBeGreaterThan(0)
    await setThrottle(topic, undefined, original, [adding])
  }, 300_000)

  it("refuses bad reassignments with Kafka's errors and changes nothing", async () => {
    await cl.ensureRunning()
    const topic = uniqueName('badmove')
    await createTopic(topic, [0, 1])
    const before = await cl.topicZnode(topic)
    const admin = kafkajs(cl.bootstrapAll()).admin()
    await admin.connect()
    const attempt = async (replicas: number[] | undefined) => {
      try {
        await admin.alterPartitionReassignments({
          topics: [{ topic, partitionAssignment: [{ partition: 0, replicas: replicas as number[] }] }],
        })
        return 'accepted'
      } catch (e) {
        const err = e as { type?: string; errors?: { type?: string }[] }
        return err.errors?.[0]?.type ?? err.type ?? String(e)
      }
    }
    try {
      expect(await attempt([0, 9])).toBe('INVALID_REPLICA_ASSIGNMENT')
      expect(await attempt([1, 1])).toBe('INVALID_REPLICA_ASSIGNMENT')
      expect(await attempt([])).toBe('INVALID_REPLICA_ASSIGNMENT')
    } finally {
      await admin.disconnect()
    }
    expect(await cl.topicZnode(topic)).toEqual(before)
    expect(existsSync(`${cl.broker(2).dataDir}/${topic}-0`)).toBe(false)
  }, 60_000)
})
