/**
 * Network partitions (issue 12) on a 3-broker cluster (RF 3, min.insync.replicas 2, ZooKeeper session 6 s) whose
 * every link goes through a fault proxy (support/net-faults.ts: each broker advertises its proxy, and reaches
 * ZooKeeper through a proxy of its own), with the checker (support/checker.ts) writing and reading throughout:
 * nothing acknowledged may be lost or duplicated, per-key order holds, the group gets every acknowledged record,
 * replicas end byte-identical, and service comes back by itself once the network heals.
 *  - a leader cut off from its followers but still in ZooKeeper: cut from one follower, the ISR shrinks to
 *    min.insync.replicas and writes go on; cut from the second too, the ISR shrinks to the leader alone and
 *    acks=all writes fail with NOT_ENOUGH_REPLICAS; healed, the followers catch up and rejoin the ISR;
 *  - a leader cut off from ZooKeeper but not from its clients or followers: its session expires, the controller
 *    elects another leader, the other brokers follow it, and the old leader — deposed in its own view once it has
 *    been cut off for longer than the session timeout and its followers stopped fetching — refuses writes with
 *    NOT_LEADER_OR_FOLLOWER and names no leader in its Metadata answers; the new leaders take acks=all writes
 *    (a client that asks only the deposed broker for metadata waits for the heal: see the test); healed, it
 *    registers again with a new session and follows;
 *  - the clients cut off from a leader (which keeps its followers and ZooKeeper): its partitions make no
 *    progress, nothing is lost, and producing resumes after the heal.
 * CI runs the followers' and the clients' cut both ways; `npm run test:faults` (SAMSA_FAULTS_FULL=1) adds the
 * one-way cuts (only requests lost; only answers lost — the request is acted on and its answer never arrives) and
 * the ZooKeeper cut.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { printBrokerLogsOnFailure } from './support/broker.js'
import { metadataOf, reportForeignSignals } from './support/cluster.js'
import {
  finish,
  notTheController,
  PARTITIONS,
  probeWrite,
  startChecker,
  topicLedBy,
} from './support/fault-scenario.js'
import { sleep, waitFor } from './support/env.js'
import { type CutDirection, type ProxiedCluster, startProxiedCluster } from './support/net-faults.js'

printBrokerLogsOnFailure()

const FULL = process.env.SAMSA_FAULTS_FULL === '1'
const DIRECTIONS: CutDirection[] = FULL ? ['both', 'requests', 'answers'] : ['both']
const NOT_ENOUGH_REPLICAS = 19
/** How long the clients stay cut off from a leader. */
const CLIENT_CUT_MS = FULL ? 20_000 : 8_000

let pc: ProxiedCluster | undefined
reportForeignSignals(() => [pc?.cluster])

beforeAll(async () => {
  pc = await startProxiedCluster({ ids: [1, 2, 3] })
  await pc.cluster.waitForController()
}, 120_000)

afterAll(async () => {
  await pc?.stop()
})

function sorted(ids: readonly number[]): string {
  return [...ids].sort((a, b) => a - b).join(',')
}

async function ready(): Promise<ProxiedCluster> {
  const p = pc!
  p.healAll()
  await p.cluster.ensureRunning()
  await p.cluster.waitForController()
  return p
}

describe('network partitions', () => {
  for (const dir of DIRECTIONS) {
    it(`a leader cut off from its followers (${dir}) but still in ZooKeeper: ISR to min.insync, then NOT_ENOUGH_REPLICAS; nothing acknowledged lost`, async () => {
      const p = await ready()
      const cl = p.cluster
      const leader = await notTheController(cl)
      const [f1, f2] = cl.brokers.map((b) => b.id).filter((id) => id !== leader) as [number, number]
      const topic = await topicLedBy(cl, leader, 'cut-followers')
      const checker = await startChecker(p.bootstrapAll(), topic)
      const enr: number[] = []
      try {
        p.cutBrokers(leader, f1, dir)
        for (let q = 0; q < PARTITIONS; q++) await cl.waitForIsr(topic, q, [leader, f2], 30_000)
        await checker.waitForProgress(`writes with ISR [${leader},${f2}]`, 50, { everyPartition: true })
        p.cutBrokers(leader, f2, dir)
        for (let q = 0; q < PARTITIONS; q++) await cl.waitForIsr(topic, q, [leader], 30_000)
        for (let q = 0; q < PARTITIONS; q++) enr.push(await probeWrite(checker, cl.broker(leader), topic, q))
        for (let q = 0; q < PARTITIONS; q++)
          expect((await cl.partitionState(topic, q))!.leader, 'the leader stays (it is in ZooKeeper)').toBe(
            leader,
          )
        p.healAll()
        for (let q = 0; q < PARTITIONS; q++) await cl.waitForIsr(topic, q, [1, 2, 3], 60_000)
        await checker.waitForProgress('writes after the heal', 100, {
          everyPartition: true,
          timeoutMs: 60_000,
        })
      } finally {
        p.healAll()
      }
      await finish(cl, checker, topic, `followers-cut ${dir}`, `acks=all probes with ISR [${leader}]: ${enr}`)
      expect(enr).toEqual(Array(PARTITIONS).fill(NOT_ENOUGH_REPLICAS))
    }, 300_000)
  }

  // Only in `npm run test:faults` (~20 s, beyond CI's budget). What is required of the cluster: the old leader
  // refuses writes once another is elected, the new leaders take acks=all writes while it is cut off, nothing
  // acknowledged is lost, and the clients write again after the heal. The checker's kafkajs producer is not required
  // to move to the new leaders during the cut, because Kafka gives it no such promise: kafkajs 2.2.4 asks one broker
  // for metadata and, on LEADER_NOT_AVAILABLE, asks that same broker again for its whole retry budget
  // (cluster/brokerPool.js refreshMetadata: findConnectedBroker() is called once, outside the retrier). When the
  // broker it picks (at random among its connections) is the deposed one, whose Metadata names no leader for the
  // partitions it led, kafkajs waits until the heal — in 3 of 6 runs. A Kafka zombie would do no better: its metadata
  // cache, no longer updated by the controller, names itself leader and its acks=all writes time out. The
  // producers' progress during the cut is reported. librdkafka 2.0.2 makes next to none (+0, +3, +0, +0, +2, +3
  // acknowledgements in six runs) for the same reason, every time: traced with
  // SAMSA_CHECKER_LIBRDKAFKA_DEBUG=metadata,eos,broker,topic,protocol (run of 2026-12-06 22:28, cut 'both', old
  // leader 2), its first Produce after the deposition gets NOT_LEADER_OR_FOLLOWER (actions Refresh,MsgNotPersisted),
  // it starts a fast leader query, and 94 of the 95 Metadata requests it sends until the heal go to broker 2 (61
  // "partition leader query", 17 periodic refreshes, 16 "refresh unavailable topics"; the other one went to broker 3
  // after the heal); broker 2 answers "partition 0 Leader -1", "partition 1 Leader -1" each time, librdkafka
  // delegates both partitions to its internal broker and never opens a connection to the new leaders until a Metadata
  // answer names them (15 s later, after the heal). Its choice of broker is its own rule: metadata goes to "any
  // usable" broker, weighted towards the most recently used connection (rdkafka_broker.c
  // rd_kafka_broker_weight_usable: "Will prefer the most recently used broker connection"), which is the connection
  // it has just used, to the deposed broker; with sparse connections it holds no other. The same in the 'requests'
  // cut (119 Metadata requests to broker 2 during the cut, the first to broker 1 after the heal). Nothing Kafka would
  // answer differently moves it: a Kafka zombie names itself leader (its metadata cache is no longer updated), so
  // librdkafka would stay on it with its acks=all writes timing out. Leader epochs do not come into it: librdkafka
  // never got an answer naming the new leaders before the heal, so it had nothing newer to move to.
  for (const dir of FULL ? DIRECTIONS.filter((d) => d !== 'answers') : []) {
    it(`a leader cut off from ZooKeeper (${dir}) but not from clients or followers stops taking writes once another is elected`, async () => {
      const p = await ready()
      const cl = p.cluster
      const leader = await notTheController(cl)
      const topic = await topicLedBy(cl, leader, 'cut-zk')
      const checker = await startChecker(p.bootstrapAll(), topic)
      const probes: number[] = []
      const onNewLeaders: string[] = []
      let moved: number
      let duringCut: string
      try {
        const cutAt = Date.now()
        p.cutZooKeeper(leader, dir)
        const others = cl.brokers.filter((b) => b.id !== leader)
        for (let q = 0; q < PARTITIONS; q++) {
          const s = await cl.waitForState(
            topic,
            q,
            'led by another broker',
            (x) => x.leader !== leader,
            45_000,
          )
          // the other brokers know (and follow) the new leader
          await waitFor(`the other brokers to know ${s.leader} leads ${topic}-${q}`, async () => {
            for (const b of others) {
              const md = await metadataOf(b, [topic])
              const pm = md.topics[0]?.partitions.find((x) => x.partitionIndex === q)
              if (pm?.leaderId !== s.leader) return false
            }
            return true
          })
        }
        moved = Date.now() - cutAt
        for (let q = 0; q < PARTITIONS; q++)
          probes.push(await probeWrite(checker, cl.broker(leader), topic, q))
        // the new leaders take acks=all writes while the old one is still cut off
        const ackedAtMove = checker.progress()
        for (let q = 0; q < PARTITIONS; q++) {
          const now = (await cl.partitionState(topic, q))!.leader
          const t0 = Date.now()
          await waitFor(
            `an acks=all write to ${topic}-${q} on its new leader ${now}`,
            async () => (await probeWrite(checker, cl.broker(now), topic, q)) === 0,
            { timeoutMs: 30_000, intervalMs: 200 },
          )
          onNewLeaders.push(`${topic}-${q} on ${now} after ${Date.now() - t0} ms`)
        }
        // kafkajs's own progress on the new leaders, for the report (see above)
        await checker
          .waitForProgress('kafkajs on the new leaders', 100, { everyPartition: true, timeoutMs: 15_000 })
          .catch(() => {})
        const acked = checker.progress()
        duringCut = Object.keys(acked)
          .map((k) => `${k} +${acked[k]! - (ackedAtMove[k] ?? 0)}`)
          .join(', ')
        p.healAll()
        await cl.waitForRegistered([1, 2, 3], 60_000)
        for (let q = 0; q < PARTITIONS; q++) await cl.waitForIsr(topic, q, [1, 2, 3], 60_000)
        await checker.waitForProgress('writes after the heal', 100, { everyPartition: true })
      } finally {
        p.healAll()
      }
      await finish(
        cl,
        checker,
        topic,
        `zk-cut ${dir}`,
        `leadership moved ${moved} ms after the cut; acks=all probes to the old leader: ${probes}; ` +
          `acks=all writes to the new leaders: ${onNewLeaders.join(', ')}; the checker's producers while cut: ` +
          duringCut,
      )
      expect(probes.filter((e) => e === 0)).toEqual([])
    }, 300_000)
  }

  for (const dir of DIRECTIONS) {
    it(`the clients cut off from a leader (${dir}): its partitions wait, nothing is lost or duplicated, producing resumes after the heal`, async () => {
      const p = await ready()
      const cl = p.cluster
      const leader = await notTheController(cl)
      const topic = await topicLedBy(cl, leader, 'cut-clients')
      const checker = await startChecker(p.bootstrapAll(), topic)
      let back: number
      try {
        p.cutClients(leader, dir)
        await sleep(CLIENT_CUT_MS) // the length of the fault
        for (let q = 0; q < PARTITIONS; q++)
          expect(sorted((await cl.partitionState(topic, q))!.isr), 'the followers still follow').toBe('1,2,3')
        p.healAll()
        back = await checker.waitForProgress('writes after the heal', 100, {
          everyPartition: true,
          timeoutMs: 90_000,
        })
      } finally {
        p.healAll()
      }
      await finish(
        cl,
        checker,
        topic,
        `clients-cut ${dir}`,
        `cut ${CLIENT_CUT_MS} ms, back ${back} ms after the heal`,
      )
    }, 300_000)
  }
})
