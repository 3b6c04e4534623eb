/**
 * What every fault scenario of faults-partitions / faults-processes does around its fault: a topic of two
 * partitions (RF 3) led by a chosen broker, the checker (support/checker.ts) writing and reading it throughout,
 * and afterwards the verdict (nothing acknowledged lost, nothing duplicated, order kept, every acknowledged record
 * delivered to the group) and byte-identical replicas up to the high watermark. Also a raw acks=all "probe"
 * write to one broker, whose acknowledgement, if it gets one, is judged with the rest.
 */
import { expect } from 'vitest'
import { Checker, type CheckerOptions, waitForIdenticalReplicas, type Verdict } from './checker.js'
import { type Cluster, type Endpoint, produceTo } from './cluster.js'
import { uniqueName } from './env.js'
import { kafkajs, withAdmin } from './kafkajs.js'

export const PARTITIONS = 2

/**
 * Creates a topic of PARTITIONS partitions on `cluster`, replicas `[leader, ...others]` (so `leader` is the
 * preferred leader of every partition), waits until it is led everywhere and returns its name.
 */
export async function topicLedBy(cluster: Cluster, leader: number, prefix: string): Promise<string> {
  const topic = uniqueName(prefix)
  const others = cluster.brokers.map((b) => b.id).filter((id) => id !== leader)
  await withAdmin(kafkajs(cluster.bootstrapAll()), (admin) =>
    admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          replicaAssignment: Array.from({ length: PARTITIONS }, (_, p) => ({
            partition: p,
            replicas: [leader, ...(p % 2 ? [...others].reverse() : others)],
          })),
        },
      ],
    }),
  )
  await cluster.waitForTopic(topic, PARTITIONS)
  return topic
}

/** A broker that is not the controller (a fault on it does not also move the controller). */
export async function notTheController(cluster: Cluster): Promise<number> {
  const controller = await cluster.waitForController()
  return cluster.brokers.map((b) => b.id).find((id) => id !== controller)!
}

/** The checker on `topic` (both producers, a group), warmed up: every producer acknowledged on every partition. */
export async function startChecker(
  bootstrap: readonly string[],
  topic: string,
  extra: Partial<CheckerOptions> = {},
): Promise<Checker> {
  const checker = await Checker.start({ bootstrap, topic, partitions: PARTITIONS, ...extra })
  try {
    await checker.waitForProgress('warm-up', 200, { everyPartition: true, timeoutMs: 60_000 })
  } catch (e) {
    await checker.stop().catch(() => {})
    throw e
  }
  return checker
}

/** An acks=all write of one record straight to broker `to`; its acknowledgement (if any) joins the verdict. */
export async function probeWrite(
  checker: Checker,
  to: Endpoint,
  topic: string,
  partition: number,
  timeoutMs = 3000,
): Promise<number> {
  const key = uniqueName('probe')
  try {
    const r = await produceTo(to, topic, partition, -1, [{ key, value: `${key}:0` }], timeoutMs)
    if (r.errorCode === 0)
      checker.recordAck({ key, seq: 0, partition, offset: Number(r.baseOffset), at: Date.now() })
    return r.errorCode
  } catch {
    return -1 // no answer
  }
}

/** Stops the checker, prints its verdict under `tag`, and expects no violation and identical replicas. */
export async function finish(
  cluster: Cluster,
  checker: Checker,
  topic: string,
  tag: string,
  extra = '',
): Promise<Verdict> {
  const verdict = await checker.stop()
  console.log(`[${tag}] ${verdict.summary}${extra ? `; ${extra}` : ''}`)
  expect(verdict.problems.slice(0, 20), verdict.summary).toEqual([])
  expect(verdict.acknowledged).toBeGreaterThan(0)
  await waitForIdenticalReplicas(cluster, topic, PARTITIONS)
  return verdict
}

/**
 * The verdict of a checker run under faults: no acknowledged record lost, duplicated, out of order or undelivered,
 * no fatal client error, and every producer acknowledged more than `minAcked` records.
 */
export function expectCleanVerdict(verdict: Verdict, checker: Checker, minAcked: number): void {
  expect(verdict.problems.slice(0, 30), verdict.summary).toEqual([])
  expect(
    verdict.clientProblems.filter((p) => p.includes('FATAL')),
    'fatal client errors',
  ).toEqual([])
  for (const p of checker.producers)
    expect(p.acked(), `${p.name} acknowledged messages`).toBeGreaterThan(minAcked)
}
