/**
 * A slow disk (issue 12): one broker of three (RF 3, min.insync.replicas 2) keeps its log on an ext4 whose loop
 * device does direct I/O and is slowed by the block layer's throttle (support/disk.ts throttleDisk: write IOPS and
 * bandwidth capped; 20 O_DSYNC 4 KiB writes take ~15-50x longer), with a flush-heavy setting on that broker
 * (log.flush.interval.messages=1: an fdatasync after every append). The checker (acks=all idempotent kafkajs +
 * librdkafka, a consumer group) writes and reads throughout; the topic has one partition led by the slow broker and
 * one led by another broker with the slow one as its follower. A sequential acks=all writer per partition measures
 * produce latency on the unthrottled disk, throttled, and unthrottled again, in the same test; every broker's
 * event-loop delay (nodejs_eventloop_lag_max_seconds of its /metrics, reset by each scrape) and both ISRs are
 * sampled every second. Required: nothing acknowledged lost, duplicated or out of order, every acknowledged record
 * delivered, identical replicas, and the slow leader's partition keeps taking acks=all writes (its followers'
 * fetches are not starved by its fsyncs: before they were capped at half of libuv's pool, its ISR shrank to itself
 * within seconds) and its event loop does not wait for the disk (the periodic checkpoints used to fsync on it). A
 * follower that falls behind may leave the ISR (counted and printed). What still waits on the loop: the appends'
 * writes to the page cache (synchronous by design), up to ~0.1 s each on this disk (strace).
 *
 * dm-delay is not available here (no device mapper in this kernel); the throttle is shown to bite by the test itself
 * (the O_DSYNC writes before and after).
 *
 * ~90 s: `npm run test:faults` (SAMSA_FAULTS_FULL=1) only.
 */
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Apis } from '../src/protocol/messages/index.js'
import { buildRecordBatch } from '../src/protocol/records/batch.js'
import { printBrokerLogsOnFailure } from './support/broker.js'
import { type Cluster, reportForeignSignals, startCluster } from './support/cluster.js'
import type { Checker } from './support/checker.js'
import { canThrottle, mountExt4, throttleDisk, unmount, unmountAll } from './support/disk.js'
import { scratchDir, sleep, uniqueName } from './support/env.js'
import { finish, PARTITIONS, startChecker } from './support/fault-scenario.js'
import { kafkajs, withAdmin } from './support/kafkajs.js'
import { freePort } from './support/procs.js'
import { RawConnection } from './support/raw.js'
import { run } from './support/run.js'

printBrokerLogsOnFailure()

const FULL = process.env.SAMSA_FAULTS_FULL === '1'
/** The slow disk: what a congested spinning disk does (tens of writes a second, little bandwidth). */
const SLOW = { writeIops: 40, writeBps: 2 * 1024 * 1024, readIops: 100, readBps: 4 * 1024 * 1024 }
const NORMAL_MS = 10_000
const NOT_ENOUGH_REPLICAS = 19
const SLOW_MS = 30_000

let cluster: Cluster | undefined
reportForeignSignals(() => [cluster])

afterAll(async () => {
  try {
    await cluster?.stop({ removeData: false }) // the slow broker's log dir is a mount point
  } finally {
    await unmountAll()
  }
})

/** Percentile `p` (0..1) of `xs`. */
const pct = (xs: readonly number[], p: number): number => {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!
}

/** Milliseconds `dd` takes for `n` 4 KiB O_DSYNC writes in `dir` (how slow the disk is; not on this event loop). */
async function dsyncWritesMs(dir: string, n: number): Promise<number> {
  const t0 = performance.now()
  await run('dd', ['if=/dev/zero', `of=${join(dir, 'dsync-probe')}`, 'bs=4k', `count=${n}`, 'oflag=dsync'], {
    timeoutMs: 60_000,
  })
  return performance.now() - t0
}

/** One broker's samples of `name` from its /metrics (label set -> value). */
async function samples(port: number, name: string): Promise<number[]> {
  const r = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) })
  const text = await r.text()
  const out: number[] = []
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`))
      out.push(Number(line.slice(line.lastIndexOf(' ') + 1)))
  }
  return out
}

/**
 * Sequential acks=all writes of one record to `partition` on broker `port`, until `stop()`: their latencies. Every
 * acknowledged write joins the checker's verdict (key `lat-<tag>-p<partition>`, increasing sequence numbers).
 */
function latencyWriter(
  checker: Checker,
  port: number,
  topic: string,
  partition: number,
  tag: string,
): { stop: () => Promise<{ ms: number[]; errors: number[] }> } {
  let running = true
  const ms: number[] = []
  const errors: number[] = []
  const key = `lat-${tag}-p${partition}`
  const done = (async () => {
    const c = await RawConnection.connect('127.0.0.1', port)
    try {
      for (let seq = 0; running; seq++) {
        const batch = buildRecordBatch({ records: [{ key, value: `${key}:${seq}` }] })
        const t0 = performance.now()
        const res = await c.request(
          Apis.Produce,
          8,
          {
            transactionalId: null,
            acks: -1,
            timeoutMs: 10_000,
            topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }],
          },
          15_000,
        )
        const took = performance.now() - t0
        const pr = res.responses[0]?.partitionResponses[0]
        if (pr?.errorCode === 0) {
          ms.push(took)
          checker.recordAck({ key, seq, partition, offset: Number(pr.baseOffset), at: Date.now() })
        } else {
          errors.push(pr?.errorCode ?? -1)
          await sleep(100)
        }
      }
    } finally {
      c.close()
    }
  })()
  return {
    stop: async () => {
      running = false
      await done
      return { ms, errors }
    },
  }
}

describe.runIf(canThrottle && FULL)('a slow disk', () => {
  it('one broker on a throttled disk with an fsync after every append: nothing lost, its event loop keeps turning, latency and ISR reported', async () => {
    const ids = [1, 2, 3]
    const slowId = 2
    const http = new Map<number, number>()
    for (const id of ids) http.set(id, await freePort())
    cluster = await startCluster({
      ids,
      start: false,
      brokerOverrides: (id) => ({
        'http.listeners': `http://127.0.0.1:${http.get(id)}`,
        ...(id === slowId ? { 'log.flush.interval.messages': 1 } : {}),
      }),
    })
    const cl = cluster
    const slow = cl.broker(slowId)
    await mountExt4(slow.dataDir, join(await scratchDir('slow-disk-image'), 'ext4.img'), 1024, {
      directIo: true,
    })
    await Promise.all(cl.brokers.map((b) => b.start()))
    await cl.waitForController()
    const fastId = 1
    const topic = uniqueName('slow-disk')
    await withAdmin(kafkajs(cl.bootstrapAll()), (admin) =>
      admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic,
            replicaAssignment: [
              { partition: 0, replicas: [slowId, 1, 3] },
              { partition: 1, replicas: [fastId, slowId, 3] },
            ],
          },
        ],
      }),
    )
    await cl.waitForTopic(topic, PARTITIONS)
    const checker = await startChecker(cl.bootstrapAll(), topic)
    const leaderPort = (q: number): number => cl.broker(q === 0 ? slowId : fastId).port
    const loopLag = async (id = slowId): Promise<number> =>
      Math.max(...(await samples(http.get(id)!, 'nodejs_eventloop_lag_max_seconds')))
    const isrCounters = async (): Promise<string> => {
      const out: string[] = []
      for (const id of [slowId, fastId]) {
        const s = (await samples(http.get(id)!, 'kafka_server_replicamanager_isrshrinks_total'))[0]
        const e = (await samples(http.get(id)!, 'kafka_server_replicamanager_isrexpands_total'))[0]
        out.push(`broker ${id}: shrinks ${s}, expands ${e}`)
      }
      return out.join('; ')
    }

    /**
     * A phase: latency writers on both partitions; every broker's event-loop delay (the largest of each second: its
     * /metrics resets the histogram on every scrape) and both partitions' ISR sampled every second.
     */
    const phase = async (tag: string, ms: number) => {
      for (const id of ids) await loopLag(id) // resets the histograms
      const writers = [0, 1].map((q) => latencyWriter(checker, leaderPort(q), topic, q, tag))
      const lags = new Map<number, number[]>(ids.map((id) => [id, []]))
      const isrSeen = [new Set<string>(), new Set<string>()]
      const t0 = Date.now()
      while (Date.now() - t0 < ms) {
        await sleep(1000)
        for (const id of ids) lags.get(id)!.push(await loopLag(id))
        for (let q = 0; q < PARTITIONS; q++) {
          const s = await cl.partitionState(topic, q)
          if (s) isrSeen[q]!.add(`[${[...s.isr].sort((x, y) => x - y).join(',')}]`)
        }
      }
      const res = await Promise.all(writers.map((w) => w.stop()))
      return { res, lags, isrSeen }
    }
    const ms = (x: number): string => `${x.toFixed(x < 10 ? 1 : 0)} ms`
    const codes = (errors: number[]): string => {
      const n = new Map<number, number>()
      for (const e of errors) n.set(e, (n.get(e) ?? 0) + 1)
      return [...n].map(([e, k]) => `${k} x ${e}`).join(', ') || 'none'
    }
    const fmt = (tag: string, r: Awaited<ReturnType<typeof phase>>): string =>
      `${tag}: ` +
      r.res
        .map(
          (x, q) =>
            `p${q} (leader ${q === 0 ? slowId : fastId}) ${x.ms.length} acks=all writes, p50 ${ms(pct(x.ms, 0.5))}, ` +
            `p99 ${ms(pct(x.ms, 0.99))}, max ${ms(Math.max(0, ...x.ms))}, errors ${codes(x.errors)}, ISR seen ${[...r.isrSeen[q]!].join(' ')}`,
        )
        .join('; ') +
      '; event-loop delay (p50 / max of the 1 s maxima) ' +
      ids
        .map((id) => {
          const l = r.lags.get(id)!
          return `broker ${id}${id === slowId ? ' (slow disk)' : ''} ${ms(pct(l, 0.5) * 1000)} / ${ms(Math.max(...l) * 1000)}`
        })
        .join(', ')

    const diskNormal = await dsyncWritesMs(slow.dataDir, 20)
    const normal = await phase('normal', NORMAL_MS)
    await throttleDisk(slow.dataDir, SLOW)
    const diskSlow = await dsyncWritesMs(slow.dataDir, 20)
    const isrBefore = await isrCounters()
    const slowed = await phase('slow', SLOW_MS)
    const isrAfterSlow = await isrCounters()
    await throttleDisk(slow.dataDir, {})
    for (let q = 0; q < PARTITIONS; q++) await cl.waitForIsr(topic, q, ids, 60_000)
    await checker.waitForProgress('writes after the disk is fast again', 100, { everyPartition: true })
    const after = await phase('after', NORMAL_MS)
    await finish(
      cl,
      checker,
      topic,
      'slow disk',
      `disk: 20 O_DSYNC 4 KiB writes ${diskNormal.toFixed(0)} ms unthrottled, ${diskSlow.toFixed(0)} ms throttled. ` +
        `${fmt('normal disk', normal)}. ${fmt('slow disk', slowed)}. ${fmt('normal again', after)}. ` +
        `ISR counters before the slow phase ${isrBefore}; after it ${isrAfterSlow}`,
    )
    await cl.stop({ removeData: false })
    await unmount(slow.dataDir)
    expect(diskSlow, 'the throttle slows the disk').toBeGreaterThan(5 * diskNormal)
    for (const r of slowed.res)
      expect(r.ms.length, 'acks=all writes during the slow phase').toBeGreaterThan(0)
    // the slow broker's fsyncs do not starve the reads that answer its followers' fetches: they stay in sync and its
    // partition keeps taking acks=all writes (before the fsyncs were capped at half of libuv's pool, its ISR shrank
    // to itself within seconds and it answered NOT_ENOUGH_REPLICAS for the whole slow phase)
    expect(
      slowed.res[0]!.errors.filter((e) => e === NOT_ENOUGH_REPLICAS),
      'NOT_ENOUGH_REPLICAS from the slow leader',
    ).toEqual([])
    // its event loop does not wait for the disk: the largest delay of a second on the slow broker stays within twice
    // the other brokers' (the machine's own noise) + 250 ms. With the periodic checkpoints' fsyncs on the event loop
    // it was 1.2-1.4 s (0.2-1.0 s per checkpoint fsync, strace) against 0.15-0.24 s on the others.
    const worst = (r: Awaited<ReturnType<typeof phase>>, id: number): number =>
      Math.max(...r.lags.get(id)!) * 1000
    const others = Math.max(...ids.filter((id) => id !== slowId).map((id) => worst(slowed, id)))
    expect(worst(slowed, slowId), "the slow broker's longest event-loop delay (ms)").toBeLessThanOrEqual(
      2 * others + 250,
    )
  }, 300_000)
})
