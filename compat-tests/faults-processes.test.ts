/**
 * Frozen and flapping processes (issue 12) on a 3-broker cluster (RF 3, min.insync.replicas 2, ZooKeeper session
 * 6 s) with the checker (support/checker.ts) writing and reading throughout; every scenario ends with nothing
 * acknowledged lost or duplicated, per-key order kept, the group given every acknowledged record, and replicas
 * byte-identical up to the high watermark.
 *  - a frozen leader (SIGSTOP past its ZooKeeper session, SIGCONT later): librdkafka's producing resumes on every
 *    partition within 15 s of the freeze (its request timeout is 5 s), and the zombie acknowledges nothing that is
 *    then lost (an acks=all probe straight to it after SIGCONT is judged with the rest);
 *  - flapping: one broker killed (-9) and restarted every 10 s for 3 minutes;
 *  - ZooKeeper killed (-9) and restarted under load (its own ZooKeeper), for 4 s and for longer than the session
 *    timeout.
 * Only `npm run test:faults` (SAMSA_FAULTS_FULL=1) runs them: each takes a minute or more, beyond CI's budget (CI
 * runs the ZooKeeper-cut leader of faults-partitions.test.ts, the same deposition in a shorter form).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { printBrokerLogsOnFailure } from './support/broker.js'
import {
  type Cluster,
  pauseBroker,
  reportForeignSignals,
  resumeBroker,
  startCluster,
} from './support/cluster.js'
import { sleep } from './support/env.js'
import {
  finish,
  notTheController,
  PARTITIONS,
  probeWrite,
  startChecker,
  topicLedBy,
} from './support/fault-scenario.js'
import { startZooKeeper, type ZooKeeper } from './support/zookeeper.js'

printBrokerLogsOnFailure()

const FULL = process.env.SAMSA_FAULTS_FULL === '1'
const FLAP_MS = 180_000
const ZK_DOWN_MS = [4_000, 12_000, 4_000, 20_000]

let cluster: Cluster | undefined
let zkCluster: Cluster | undefined
let zk: ZooKeeper | undefined
reportForeignSignals(() => [cluster, zkCluster])

afterAll(async () => {
  await cluster?.stop()
  await zkCluster?.stop()
  await zk?.stop()
})

describe.skipIf(!FULL)('frozen and flapping brokers', () => {
  beforeAll(async () => {
    cluster = await startCluster({ ids: [1, 2, 3] })
    await cluster.waitForController()
  }, 120_000)

  it('a leader frozen past its ZooKeeper session: producing resumes within 15 s, the zombie loses nothing', async () => {
    const cl = cluster!
    await cl.ensureRunning()
    const leader = await notTheController(cl)
    const topic = await topicLedBy(cl, leader, 'frozen')
    // bootstrapped from the brokers that stay up: kafkajs asks its seed broker for metadata, and a frozen seed holds
    // it for a request timeout per retry (as a stopped process does), whatever the brokers do
    const others = cl.brokers.filter((x) => x.id !== leader).map((x) => x.bootstrap)
    // librdkafka only: the checker's kafkajs producer (2.2.4) stays stuck for more than 30 s after the freeze (open
    // in issue 12: the client's reconnect or the checker's disconnect of the frozen broker, not yet known which)
    const checker = await startChecker(others, topic, { requestTimeoutMs: 5000, producers: ['librdkafka'] })
    const b = cl.broker(leader)
    let resumedIn: number
    const probes: number[] = []
    try {
      pauseBroker(b)
      resumedIn = await checker.waitForProgress('writes while the leader is frozen', 20, {
        everyPartition: true,
        timeoutMs: 30_000,
      })
      await cl.waitForState(topic, 0, 'led by another broker', (s) => s.leader !== leader)
      await sleep(Math.max(0, 20_000 - resumedIn)) // frozen for 20 s in all
      resumeBroker(b)
      for (let q = 0; q < PARTITIONS; q++) probes.push(await probeWrite(checker, b, topic, q))
      await cl.waitForRegistered([1, 2, 3], 60_000)
      for (let q = 0; q < PARTITIONS; q++) await cl.waitForIsr(topic, q, [1, 2, 3], 60_000)
      await checker.waitForProgress('writes after the thaw', 100, { everyPartition: true })
    } finally {
      resumeBroker(b)
    }
    await finish(
      cl,
      checker,
      topic,
      'frozen leader',
      `producing resumed ${resumedIn} ms after the freeze; acks=all probes to the thawed zombie: ${probes}`,
    )
    expect(resumedIn).toBeLessThanOrEqual(15_000)
  }, 300_000)

  it(
    `a broker killed (-9) and restarted every 10 s for ${FLAP_MS / 1000} s: nothing lost, service comes back`,
    async () => {
      const cl = cluster!
      await cl.ensureRunning()
      const victim = await notTheController(cl)
      const topic = await topicLedBy(cl, victim, 'flapping')
      const checker = await startChecker(cl.bootstrapAll(), topic, {
        requestTimeoutMs: 5000,
        maxSeconds: FLAP_MS / 1000 + 200,
      })
      const b = cl.broker(victim)
      let kills = 0
      try {
        const until = Date.now() + FLAP_MS
        while (Date.now() < until) {
          const at = Date.now()
          await b.kill()
          kills++
          await b.start()
          await sleep(Math.max(0, at + 10_000 - Date.now())) // the next kill, 10 s after this one
        }
        for (let q = 0; q < PARTITIONS; q++) await cl.waitForIsr(topic, q, [1, 2, 3], 60_000)
        await checker.waitForProgress('writes after the flapping', 200, { everyPartition: true })
      } finally {
        if (!b.isRunning) await b.start()
      }
      await finish(cl, checker, topic, 'flapping', `${kills} kills of broker ${victim}`)
    },
    FLAP_MS + 300_000,
  )
})

describe.skipIf(!FULL)('ZooKeeper killed under load', () => {
  beforeAll(async () => {
    zk = await startZooKeeper()
    zkCluster = await startCluster({ ids: [1, 2, 3], zkHosts: zk.connectString })
    await zkCluster.waitForController()
  }, 180_000)

  it(`ZooKeeper killed (-9) and restarted under load (down ${ZK_DOWN_MS.join(', ')} ms): nothing lost`, async () => {
    const cl = zkCluster!
    const leader = await notTheController(cl)
    const topic = await topicLedBy(cl, leader, 'zk-kill')
    const checker = await startChecker(cl.bootstrapAll(), topic)
    const pauses: number[] = []
    try {
      for (const down of ZK_DOWN_MS) {
        await zk!.down({ kill: true })
        await sleep(down) // the length of the outage
        await zk!.up()
        await cl.waitForRegistered([1, 2, 3], 60_000)
        pauses.push(
          await checker.waitForProgress(`writes after a ${down} ms outage`, 100, {
            everyPartition: true,
            timeoutMs: 60_000,
          }),
        )
      }
      for (let q = 0; q < PARTITIONS; q++) await cl.waitForIsr(topic, q, [1, 2, 3], 60_000)
    } finally {
      await zk!.up()
    }
    await finish(cl, checker, topic, 'zookeeper kill', `writes ${pauses.join(' / ')} ms after each restart`)
  }, 600_000)
})
