/**
 * Replication on a three-broker ZooKeeper-mode cluster (RF 3, min.insync.replicas=2), checked with real clients
 * and the brokers' own files:
 *  - with two of three brokers stopped, acks=all is refused with NOT_ENOUGH_REPLICAS (19); restarted, the ISR
 *    expands back to all three and writes resume;
 *  - a follower that was down while the leader moved rejoins, truncates what was never committed and catches
 *    up; the .log segments of all replicas are byte-identical up to the high watermark;
 *  - Metadata and the partition state znodes agree (kafka-topics.sh --describe, both ways).
 * Idempotent producers across two leader kills run on an in-process cluster: failover-in-process.test.ts.
 */
import { logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { printBrokerLogsOnFailure } from './support/broker.js'
import { replicaDivergence } from './support/checker.js'
import {
  type Cluster,
  highWatermarkOf,
  logBytesUpTo,
  logLines,
  pauseBroker,
  produceTo,
  resumeBroker,
  startCluster,
  reportForeignSignals,
} from './support/cluster.js'
import { uniqueName, waitFor } from './support/env.js'
import { kafkajs, withAdmin, withProducer } from './support/kafkajs.js'
import { kcatConsume, kcatProduce } from './support/kcat.js'

printBrokerLogsOnFailure()
reportForeignSignals(() => [cluster])

let cluster: Cluster
const topicsToDescribe: string[] = []

beforeAll(async () => {
  cluster = await startCluster({ size: 3 })
}, 90_000)

afterAll(async () => {
  await cluster?.stop()
})

async function createTopic(
  name: string,
  assignment: number[][],
  configs: Record<string, string> = {},
): Promise<void> {
  await withAdmin(kafkajs(cluster.bootstrapAll()), async (admin) => {
    const ok = await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic: name,
          replicaAssignment: assignment.map((replicas, partition) => ({ partition, replicas })),
          configEntries: Object.entries(configs).map(([n, value]) => ({ name: n, value })),
        },
      ],
    })
    expect(ok).toBe(true)
  })
  await cluster.waitForTopic(name, assignment.length)
  topicsToDescribe.push(name)
}

/**
 * Controller id and the two other brokers. Waits for a controller: right after the cluster starts there may be none
 * yet, and an undefined id in a replica assignment is one kafkajs encodes as no bytes at all — a malformed
 * CreateTopics the broker rightly closes the connection on ("Closed connection" in the first test of the file).
 */
async function roles(): Promise<{ ctrl: number; others: [number, number] }> {
  const { ctrl } = await waitFor(
    'a controller',
    async () => {
      const id = await cluster.controllerId()
      return id === undefined ? undefined : { ctrl: id }
    },
    { timeoutMs: 30_000 },
  )
  const others = cluster.brokers.map((b) => b.id).filter((id) => id !== ctrl)
  return { ctrl, others: [others[0]!, others[1]!] }
}

/** Waits until all replicas' .log bytes up to the leader's high watermark are identical; returns the HW. */
async function expectReplicasIdentical(
  topic: string,
  partition: number,
): Promise<{ hw: number; bytes: number }> {
  const s = (await cluster.partitionState(topic, partition))!
  const hw = await highWatermarkOf(cluster.broker(s.leader), topic, partition)
  let detail: string | undefined
  try {
    await waitFor(
      `byte-identical replicas of ${topic}-${partition} up to offset ${hw}`,
      () => (detail = replicaDivergence(cluster.brokers, s.leader, topic, partition, hw)) === undefined,
      { timeoutMs: 20_000, intervalMs: 250 },
    )
  } catch (e) {
    throw new Error(`${(e as Error).message}: ${detail}`, { cause: e })
  }
  const b = cluster.broker(s.leader)
  return { hw, bytes: logBytesUpTo(b.dataDir, topic, partition, hw).length }
}

describe('min.insync.replicas', () => {
  it('with two of three brokers stopped, acks=all fails with NOT_ENOUGH_REPLICAS; restarted, the ISR expands and writes resume', async () => {
    await cluster.ensureRunning()
    const topic = uniqueName('minisr')
    const { ctrl, others } = await roles()
    await createTopic(topic, [[ctrl, ...others]])
    const leader = cluster.broker(ctrl)
    expect((await produceTo(leader, topic, 0, -1, [{ value: 'all three' }])).errorCode).toBe(0)

    const t0 = Date.now()
    await Promise.all(others.map((id) => cluster.broker(id).stop(20_000)))
    const stopMs = Date.now() - t0
    await cluster.waitForIsr(topic, 0, [ctrl], 20_000)
    const hw = await highWatermarkOf(leader, topic, 0)

    const refused = await produceTo(leader, topic, 0, -1, [{ value: 'must not be accepted' }])
    expect(refused.errorCode, 'acks=all with ISR [leader] < min.insync.replicas 2').toBe(19)
    // kafkajs reports it too (after its retries)
    await withProducer(
      kafkajs(leader.bootstrap, {
        logLevel: logLevel.NOTHING,
        retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 200 },
      }),
      {},
      async (p) => {
        const err = await p
          .send({ topic, acks: -1, messages: [{ value: 'kafkajs must not be accepted' }] })
          .then(
            () => undefined,
            (e: Error & { cause?: { type?: string } }) => e,
          )
        expect(err, 'kafkajs send with acks=-1 must fail').toBeDefined()
        expect(`${err!.message} ${String(err!.cause?.type)}`).toMatch(/NOT_ENOUGH_REPLICAS|replicas/i)
      },
    )
    // kcat (librdkafka) sees the delivery fail
    await expect(
      kcatProduce(leader.bootstrap, topic, [{ value: 'kcat must not be accepted' }], {
        acks: -1,
        props: { 'message.timeout.ms': 3000, 'retry.backoff.ms': 200 },
        timeoutMs: 20_000,
      }),
    ).rejects.toThrow(/NOT_ENOUGH_REPLICAS|Not enough in-sync replicas|Delivery failed/i)
    expect(await highWatermarkOf(leader, topic, 0), 'nothing was appended').toBe(hw)
    // acks=1 is still accepted (as in Kafka)
    const one = await produceTo(leader, topic, 0, 1, [{ value: 'acks=1 while alone' }])
    expect(one.errorCode).toBe(0)

    await Promise.all(others.map((id) => cluster.broker(id).start()))
    await cluster.waitForIsr(topic, 0, [ctrl, ...others], 30_000)
    const again = await produceTo(leader, topic, 0, -1, [{ value: 'all three again' }])
    expect(again.errorCode).toBe(0)
    const got = await kcatConsume(cluster.bootstrap(others[0]), topic, { partition: 0 })
    expect(got.map((m) => m.payload)).toEqual(['all three', 'acks=1 while alone', 'all three again'])
    await expectReplicasIdentical(topic, 0)
    console.log(`[replication] two clean broker stops took ${stopMs} ms`)
  })
})

describe('truncation of a rejoining follower', () => {
  it('a replica that was down while the leader moved truncates what was never committed and catches up; logs end byte-identical', async () => {
    await cluster.ensureRunning()
    const topic = uniqueName('diverge')
    const { ctrl, others } = await roles()
    // A leads, B (the controller) follows and takes over, C is down during the change
    const [A, C] = others
    const B = ctrl
    // partition 0 is the one under test; partition 1 (same replicas) only serves to answer B's waiting fetch below
    await createTopic(topic, [
      [A, B, C],
      [A, B, C],
    ])
    const msgs = (tag: string, n: number): Array<{ key: string; value: string }> =>
      Array.from({ length: n }, (_, i) => ({ key: `${tag}-${i}`, value: `${tag} ${i}` }))

    await kcatProduce(cluster.bootstrap(A), topic, msgs('committed-1', 20), { partition: 0, acks: -1 })
    await cluster.broker(C).kill()
    await cluster.waitForIsr(topic, 0, [A, B], 20_000)
    await kcatProduce(cluster.bootstrap(A), topic, msgs('committed-2', 20), { partition: 0, acks: -1 })
    expect(await highWatermarkOf(cluster.broker(A), topic, 0)).toBe(40)
    const epochBefore = (await cluster.partitionState(topic, 0))!.leader_epoch

    // B stops fetching; A appends three batches with acks=1 that nobody else gets; then A dies.
    // A fetch B sent before it stopped may still wait at A (replica.fetch.wait.max.ms) and would carry those
    // batches to B. A record on partition 1 answers it: A completes a waiting fetch when an append gives it data,
    // before it acknowledges that append. Once acknowledged, nothing of B's waits at A any more.
    pauseBroker(cluster.broker(B))
    let resumed = false
    try {
      const flush = await produceTo(cluster.broker(A), topic, 1, 1, [
        { key: 'flush', value: "answers B's fetch" },
      ])
      expect(flush.errorCode).toBe(0)
      for (let i = 0; i < 3; i++) {
        const r = await produceTo(cluster.broker(A), topic, 0, 1, [
          { key: `lost-${i}`, value: `never committed ${i}` },
        ])
        expect(r.errorCode).toBe(0)
        expect(Number(r.baseOffset)).toBe(40 + i)
      }
      await cluster.broker(A).kill()
      resumeBroker(cluster.broker(B))
      resumed = true
    } finally {
      if (!resumed) resumeBroker(cluster.broker(B))
    }

    // B becomes leader (A's session expires), alone in the ISR
    const s = await cluster.waitForState(topic, 0, `led by ${B}`, (x) => x.leader === B, 20_000)
    expect(s.isr).toEqual([B])
    expect(s.leader_epoch).toBeGreaterThan(epochBefore)
    expect(await highWatermarkOf(cluster.broker(B), topic, 0)).toBe(40)
    for (let i = 0; i < 5; i++) {
      const r = await produceTo(cluster.broker(B), topic, 0, 1, [
        { key: `new-${i}`, value: `new leader ${i}` },
      ])
      expect(r.errorCode).toBe(0)
      expect(Number(r.baseOffset)).toBe(40 + i)
    }

    // A (with three uncommitted records) and C (20 records behind) come back
    await cluster.broker(A).start()
    await cluster.broker(C).start()
    await cluster.waitForIsr(topic, 0, [A, B, C], 30_000)
    const { hw, bytes } = await expectReplicasIdentical(topic, 0)
    expect(hw).toBe(45)
    const got = await kcatConsume(cluster.bootstrap(A), topic, { partition: 0 })
    expect(got.map((m) => m.payload)).toEqual([
      ...msgs('committed-1', 20).map((m) => m.value),
      ...msgs('committed-2', 20).map((m) => m.value),
      ...Array.from({ length: 5 }, (_, i) => `new leader ${i}`),
    ])
    const truncations = logLines(cluster.broker(A).logFile, /[Tt]runcat/)
    console.log(
      `[replication] ${topic}: replicas identical for ${bytes} bytes up to offset ${hw}; broker ${A} log: ${truncations.slice(-2).join(' ')}`,
    )
  })
})

describe('Metadata and ZooKeeper agree', () => {
  it('leader / replicas / ISR of every topic, from every broker, match the state znodes', async () => {
    await cluster.ensureRunning()
    const topic = uniqueName('describe')
    await withAdmin(kafkajs(cluster.bootstrapAll()), (admin) =>
      admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic, numPartitions: 6, replicationFactor: 3 }],
      }),
    )
    await cluster.waitForTopic(topic, 6)
    topicsToDescribe.push(topic, '__consumer_offsets')
    const texts: string[] = []
    for (const t of topicsToDescribe) {
      if (t === '__consumer_offsets' && !(await cluster.topicZnode(t))) continue
      texts.push(await cluster.waitForAgreement(t))
    }
    console.log(
      `[replication] kafka-topics.sh --describe (ZooKeeper = Metadata of every broker):\n${texts.join('\n')}`,
    )
  })
})
