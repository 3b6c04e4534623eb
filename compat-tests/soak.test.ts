/**
 * The soak: a 3-broker cluster (RF 3, min.insync.replicas 2) on a ZooKeeper of its own, under mixed load, with
 * faults injected one after the other for SAMSA_SOAK_MINUTES (`npm run soak -- --minutes N`; CI runs the short
 * default), then judged by the fault checker (support/checker.ts):
 *  - load: the checker's two idempotent acks=all producers (kafkajs and librdkafka) and its consumer group on a
 *    6-partition topic, plus group churn: a second group whose kafkajs members join and leave all along;
 *  - faults, in turn on a rotating broker: kill -9 and restart, clean restart (SIGTERM), a short pause (SIGSTOP
 *    below the ZooKeeper session timeout), a freeze past the session timeout, and ZooKeeper killed -9 and
 *    restarted; after each, the cluster must register all brokers again and every producer must make progress;
 *  - measured: the checker's verdict (acknowledged records lost, duplicated, out of order, not delivered to the
 *    group), the longest time without an acknowledgement and without a delivery, each fault's recovery time,
 *    the brokers' RSS over time; replicas byte-identical up to the high watermark at the end.
 * The summary goes to the console and to <logs>/soak-summary.json (or SAMSA_SOAK_REPORT).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Consumer } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { printBrokerLogsOnFailure } from './support/broker.js'
import {
  faultTolerantMember,
  GroupConsumer,
  judge,
  KafkajsProducer,
  LibrdkafkaProducer,
  producerLookup,
  readBack,
  replicaDivergence,
  type CheckedProducer,
} from './support/checker.js'
import {
  type Cluster,
  highWatermarkOf,
  metadataOf,
  pauseBroker,
  reportForeignSignals,
  resumeBroker,
  startCluster,
} from './support/cluster.js'
import { logsDir, sleep, uniqueName, waitFor } from './support/env.js'
import { kafkajs, withAdmin } from './support/kafkajs.js'
import { startZooKeeper, type ZooKeeper } from './support/zookeeper.js'

printBrokerLogsOnFailure()

const MINUTES = Number(process.env.SAMSA_SOAK_MINUTES ?? 0.5)
const SOAK_MS = Math.round(MINUTES * 60_000)
const LONG = SOAK_MS > 120_000
const PARTITIONS = 6
const SESSION_TIMEOUT_MS = 6000
/** Calm time after a fault has been recovered from, before the next one. */
const CALM_MS = LONG ? 15_000 : 2000
const RSS_EVERY_MS = LONG ? 30_000 : 2000

type FaultKind = 'kill' | 'restart' | 'pause' | 'freeze' | 'zookeeper'
const FAULTS: readonly FaultKind[] = ['kill', 'zookeeper', 'pause', 'restart', 'freeze']

interface FaultRecord {
  kind: FaultKind
  broker?: number
  at: string
  /** From the fault's start to all brokers registered and every producer acknowledging again. */
  recoveredMs: number
}

interface RssSample {
  t: number
  /** broker id → RSS in MiB (absent while the broker is down). */
  rss: Record<number, number>
}

function rssMiB(pid: number | undefined): number | undefined {
  if (!pid) return undefined
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Math.round(Number(m[1]) / 1024) : undefined
  } catch {
    return undefined
  }
}

/** Members of a second group joining and leaving all along (group churn), each consuming the topic. */
class GroupChurn {
  private readonly members: Consumer[] = []
  private readonly groupId = uniqueName('soak-churn')
  joins = 0
  leaves = 0
  rebalances = 0
  consumed = 0
  crashes: string[] = []

  constructor(
    private readonly bootstrap: readonly string[],
    private readonly topic: string,
  ) {}

  /** Adds a member while there are fewer than 3, else removes the oldest. */
  async step(): Promise<void> {
    if (this.members.length < 3) {
      const c = faultTolerantMember(this.bootstrap, this.groupId)
      c.on(c.events.GROUP_JOIN, () => this.rebalances++)
      c.on(c.events.CRASH, (e) => {
        if (this.crashes.length < 10) this.crashes.push(String(e.payload.error))
      })
      this.members.push(c)
      this.joins++
      try {
        await c.connect()
        await c.subscribe({ topics: [this.topic], fromBeginning: true })
        await c.run({ eachMessage: async () => void this.consumed++ })
      } catch (e) {
        if (this.crashes.length < 10) this.crashes.push(`join: ${String((e as Error).message)}`)
      }
    } else {
      const c = this.members.shift()!
      this.leaves++
      await c.disconnect().catch(() => {})
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.splice(0).map((c) => c.disconnect().catch(() => {})))
  }
}

describe('soak', () => {
  let zk: ZooKeeper | undefined
  let cluster: Cluster | undefined
  reportForeignSignals(() => [cluster])

  beforeAll(async () => {
    zk = await startZooKeeper()
    cluster = await startCluster({
      ids: [1, 2, 3],
      zkHosts: zk.connectString,
      overrides: { 'zookeeper.session.timeout.ms': SESSION_TIMEOUT_MS },
    })
  }, 180_000)

  afterAll(async () => {
    await cluster?.stop()
    await zk?.stop()
  })

  it(
    `${MINUTES} minute(s) of produce/consume/group churn with kills, restarts, pauses and ZooKeeper restarts: nothing acknowledged lost or duplicated`,
    async () => {
      const cl = cluster!
      const zoo = zk!
      const topic = uniqueName('soak')
      // RF 3 needs every broker in the controller's view (the brokers registered is not enough)
      await cl.waitForController()
      await waitFor('every broker to know all three brokers', async () => {
        for (const b of cl.brokers) if ((await metadataOf(b)).brokers.length !== 3) return false
        return true
      })
      await withAdmin(kafkajs(cl.bootstrapAll()), (admin) =>
        admin.createTopics({
          waitForLeaders: true,
          topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 3 }],
        }),
      )
      await cl.waitForTopic(topic, PARTITIONS)

      const bootstrap = cl.bootstrapAll()
      const producers: CheckedProducer[] = [
        new KafkajsProducer({
          bootstrap,
          topic,
          prefix: 'js',
          partitions: PARTITIONS,
          pauseMs: LONG ? 40 : 5,
        }),
        new LibrdkafkaProducer({
          bootstrap,
          topic,
          prefix: 'rd',
          keys: 12,
          rate: LONG ? 100 : 300,
          maxSeconds: Math.ceil(SOAK_MS / 1000) + 600,
        }),
      ]
      const group = new GroupConsumer(bootstrap, topic, uniqueName('soak-check'))
      const churn = new GroupChurn(bootstrap, topic)
      const rss: RssSample[] = []
      const faults: FaultRecord[] = []
      const sample = (): void => {
        const s: RssSample = { t: Date.now(), rss: {} }
        for (const b of cl.brokers) {
          const v = b.isRunning ? rssMiB(b.pid) : undefined
          if (v !== undefined) s.rss[b.id] = v
        }
        rss.push(s)
      }
      sample()
      const rssTimer = setInterval(sample, RSS_EVERY_MS)

      const acked = (): number[] => producers.map((p) => p.acked())
      /** Every producer acknowledges `n` more than at `base` (the sign that service came back). */
      const progressed = (what: string, base: number[], n: number, timeoutMs = 90_000): Promise<unknown> =>
        waitFor(
          `${what}: ${n} more acknowledgements from every producer (from ${base.join('/')}, now ${acked().join('/')})`,
          () => acked().every((a, i) => a >= base[i]! + n),
          { timeoutMs, intervalMs: 250 },
        )

      const startedAt = Date.now()
      for (const p of producers) p.start()
      await group.start()
      await progressed('warm-up', [0, 0], 100)

      const soakEnd = Date.now() + SOAK_MS
      let churnNext = Date.now()
      let i = 0
      let failure: unknown
      try {
        while (Date.now() < soakEnd || i < FAULTS.length) {
          if (Date.now() >= churnNext) {
            await churn.step()
            churnNext = Date.now() + (LONG ? 20_000 : 4000)
          }
          const kind = FAULTS[i % FAULTS.length]!
          const victim = cl.brokers[i % cl.brokers.length]!
          i++
          const t0 = Date.now()
          const base = acked()
          switch (kind) {
            case 'kill':
              // As Kafka, a broker restarted while its old session's /brokers/ids znode exists refuses to start
              // (the znode belongs to another session): restart it once ZooKeeper has expired that session.
              await victim.kill()
              await waitFor(
                `broker ${victim.id}'s registration to expire after kill -9`,
                async () => !(await cl.registeredIds()).includes(victim.id),
                { timeoutMs: 30_000, intervalMs: 200 },
              )
              await victim.start()
              break
            case 'restart':
              await victim.stop()
              await victim.start()
              break
            case 'pause':
              pauseBroker(victim)
              await sleep(SESSION_TIMEOUT_MS / 2)
              resumeBroker(victim)
              break
            case 'freeze':
              pauseBroker(victim)
              await sleep(SESSION_TIMEOUT_MS + 3000)
              resumeBroker(victim)
              break
            case 'zookeeper':
              await zoo.restart({ kill: true })
              break
          }
          await cl.waitForRegistered([1, 2, 3], 60_000)
          const down = cl.brokers.filter((b) => !b.isRunning).map((b) => b.id)
          if (down.length) throw new Error(`after ${kind}: broker(s) ${down.join(', ')} exited`)
          await progressed(`after ${kind}${kind === 'zookeeper' ? '' : ` of broker ${victim.id}`}`, base, 20)
          faults.push({
            kind,
            ...(kind === 'zookeeper' ? {} : { broker: victim.id }),
            at: new Date(t0).toISOString(),
            recoveredMs: Date.now() - t0,
          })
          await sleep(Math.min(CALM_MS, Math.max(0, soakEnd - Date.now())))
        }
      } catch (e) {
        failure = e
      }
      const stoppedAt = Date.now()
      clearInterval(rssTimer)
      sample()
      await churn.stop()

      // Everything back up before the verdict: the log is read back from a full cluster.
      await cl.ensureRunning()
      const reports = await Promise.all(producers.map((p) => p.stop()))
      const want = new Set(reports.flatMap((r) => r.acked.map((a) => `${a.key}:${a.seq}`)))
      await waitFor(
        'the group to have every acknowledged record',
        () => {
          const got = new Set(group.records.map((r) => r.value))
          for (const w of want) if (!got.has(w)) return false
          return true
        },
        { timeoutMs: 90_000, intervalMs: 500 },
      ).catch(() => {})
      await group.stop()
      const log = await readBack(cl.bootstrap(), topic, PARTITIONS)
      const producerOf = producerLookup(() => cl.brokers.map((b) => b.dataDir), topic)
      const verdict = judge(reports, log, group.records, { from: startedAt, to: stoppedAt }, producerOf)

      const divergent: string[] = []
      for (let p = 0; p < PARTITIONS; p++) {
        const s = await cl.waitForIsr(topic, p, [1, 2, 3], 60_000)
        const hw = await highWatermarkOf(cl.broker(s.leader), topic, p)
        await waitFor(
          `replicas of ${topic}-${p} byte-identical up to ${hw}`,
          () => replicaDivergence(cl.brokers, s.leader, topic, p, hw) === undefined,
          { timeoutMs: 30_000, intervalMs: 250 },
        ).catch(() => divergent.push(`${p}: ${replicaDivergence(cl.brokers, s.leader, topic, p, hw) ?? ''}`))
      }

      const perBroker = Object.fromEntries(
        cl.brokers.map((b) => {
          const v = rss.map((s) => s.rss[b.id]).filter((x): x is number => x !== undefined)
          return [b.id, { firstMiB: v[0], maxMiB: Math.max(...v), lastMiB: v[v.length - 1] }]
        }),
      )
      const series = rss
        .filter((_, k) => k % Math.max(1, Math.round(rss.length / 12)) === 0 || k === rss.length - 1)
        .map((s) => `+${Math.round((s.t - startedAt) / 1000)}s ${JSON.stringify(s.rss)}`)
      const recoveries = faults.map((f) => f.recoveredMs)
      const summary = {
        minutes: MINUTES,
        ranMs: stoppedAt - startedAt,
        verdict: verdict.summary,
        acknowledged: verdict.acknowledged,
        inLog: verdict.inLog,
        delivered: verdict.delivered,
        lost: verdict.lost.length,
        duplicated: verdict.duplicated.length,
        resentUnderNewEpoch: verdict.resentUnderNewEpoch,
        outOfOrder: verdict.outOfOrder.length,
        notDelivered: verdict.notDelivered.length,
        longestProducePauseMs: verdict.longestProducePauseMs,
        longestProducePauseAt: new Date(verdict.longestProducePauseAt).toISOString(),
        longestConsumePauseMs: verdict.longestConsumePauseMs,
        failedSends: verdict.failedSends,
        faults: faults.length,
        faultsByKind: Object.fromEntries(FAULTS.map((k) => [k, faults.filter((f) => f.kind === k).length])),
        longestRecoveryMs: recoveries.length ? Math.max(...recoveries) : 0,
        medianRecoveryMs: recoveries.length
          ? [...recoveries].sort((a, b) => a - b)[recoveries.length >> 1]
          : 0,
        churn: {
          joins: churn.joins,
          leaves: churn.leaves,
          rebalances: churn.rebalances,
          consumed: churn.consumed,
          crashes: churn.crashes,
        },
        rssMiB: perBroker,
        rssSeries: series,
        divergentReplicas: divergent,
        clientProblems: verdict.clientProblems.slice(0, 10),
        faultLog: faults,
        failure: failure === undefined ? undefined : String((failure as Error).message ?? failure),
      }
      const out = process.env.SAMSA_SOAK_REPORT ?? join(logsDir(), 'soak-summary.json')
      writeFileSync(out, JSON.stringify({ ...summary, rssSamples: rss }, null, 2))
      const { faultLog: _omit, ...brief } = summary
      console.log(`[soak] ${JSON.stringify(brief, null, 1)}\n[soak] full summary: ${out}`)

      if (failure) throw failure
      expect(verdict.problems.slice(0, 20), verdict.summary).toEqual([])
      expect(divergent).toEqual([])
      expect(group.crash, 'the checker group crashed').toBeUndefined()
      expect(churn.crashes).toEqual([])
      expect(faults.length).toBeGreaterThanOrEqual(FAULTS.length)
    },
    SOAK_MS + 900_000,
  )
})
