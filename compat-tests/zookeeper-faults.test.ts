/**
 * ZooKeeper faults, with a ZooKeeper of this file's own (the shared one must stay up for the other files):
 *  - ZooKeeper unreachable when the brokers start: they keep retrying with a clear log line, do not crash,
 *    and start once ZooKeeper comes up;
 *  - a ZooKeeper restart loses nothing: topics (and their ids), configs, committed offsets survive, brokers
 *    reconnect, the controller keeps working;
 *  - ZooKeeper down for longer than the session timeout, then back: brokers are registered again and serve;
 *  - ZooKeeper hanging (accepting connections, not answering) while a broker starts, then answering: the
 *    broker's timed-out connection attempts must not take it down (made exact with a TCP gate in front of
 *    ZooKeeper);
 *  - a real session expiry (the brokers frozen with SIGSTOP past the session timeout: ZooKeeper drops their
 *    registrations and /controller): they open new sessions, re-register, elect a controller and serve.
 */
import { logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrokerProcess, printBrokerLogsOnFailure } from './support/broker.js'
import {
  type Cluster,
  CLUSTER_DEFAULTS,
  logLines,
  metadataOf,
  pauseBroker,
  resumeBroker,
  startCluster,
  topicConfigsOf,
  reportForeignSignals,
} from './support/cluster.js'
import { scratchDir, uniqueName, waitFor } from './support/env.js'
import { consumeWithGroup, kafkajs, withAdmin, withProducer } from './support/kafkajs.js'
import { kcatConsume, kcatProduce } from './support/kcat.js'
import { FaultProxy } from './support/fault-proxy.js'
import { freePort } from './support/procs.js'
import { startZooKeeper, type ZooKeeper } from './support/zookeeper.js'

printBrokerLogsOnFailure()
reportForeignSignals(() => [cluster])

const SESSION_TIMEOUT_MS = 6000
const DISCONNECTED = /Disconnected from ZooKeeper/
let zk: ZooKeeper | undefined
let cluster: Cluster | undefined

beforeAll(async () => {
  zk = await startZooKeeper()
}, 120_000)

afterAll(async () => {
  await cluster?.stop()
  await zk?.stop()
})

function c(): Cluster {
  if (!cluster) throw new Error('the cluster did not start (see the first test)')
  return cluster
}

/**
 * The state the later tests start from, whatever happened before: ZooKeeper up, all three brokers running,
 * the topic created with its first 30 messages.
 */
async function ready(): Promise<Cluster> {
  await zk!.up()
  const cl = c()
  for (const b of cl.brokers) if (!b.isRunning) await b.start()
  await cl.waitForRegistered([0, 1, 2], 30_000)
  if (!(await cl.topicZnode(topic))) await createTopicWithData(cl)
  return cl
}

async function createTopicWithData(cl: Cluster): Promise<void> {
  await cl.waitForController()
  await withAdmin(kafkajs(cl.bootstrapAll(), { logLevel: logLevel.NOTHING }), (admin) =>
    admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: 3, replicationFactor: 3 }],
    }),
  )
  await cl.waitForTopic(topic, 3)
  const first = keyed('first', 30)
  await kcatProduce(cl.bootstrap(), topic, first, { acks: -1 })
  produced = first.length
}

const keyed = (prefix: string, n: number): Array<{ key: string; value: string }> =>
  Array.from({ length: n }, (_, i) => ({ key: `${prefix}-k${i}`, value: `${prefix} value ${i}` }))

/** Every broker registered, a controller, and `topic` led everywhere; then an acks=all round trip. */
async function expectServing(
  topic: string,
  partitions: number,
  expectedCount: number,
  tag: string,
): Promise<void> {
  const cl = c()
  await cl.waitForRegistered([0, 1, 2], 30_000)
  await cl.waitForController()
  await cl.waitForTopic(topic, partitions, 30_000)
  const more = keyed(tag, 12)
  await kcatProduce(cl.bootstrap(), topic, more, { acks: -1 })
  const got = await kcatConsume(cl.bootstrap(), topic)
  expect(got).toHaveLength(expectedCount + more.length)
  for (let p = 0; p < partitions; p++) await cl.waitForIsr(topic, p, [0, 1, 2], 30_000)
  await cl.waitForAgreement(topic)
}

const topic = uniqueName('zkf')
const group = uniqueName('zkf-group')
let produced = 0
/** What the group committed in the restart test (0 if that test did not get so far). */
let groupCommitted = 0

describe('ZooKeeper faults', () => {
  it('ZooKeeper unreachable at start-up: brokers retry with a clear log line, then start when it comes up', async () => {
    await zk!.down()
    const cl = await startCluster({
      zkHosts: zk!.connectString,
      start: false,
      overrides: { 'zookeeper.connection.timeout.ms': 1500 },
    })
    cluster = cl
    const starting = Promise.all(cl.brokers.map((b) => b.start()))
    starting.catch(() => {}) // awaited below
    const retryLine = new RegExp(`${zk!.host.replace(/\./g, '\\.')}:${zk!.port}.*(retry|retrying|again)`, 'i')
    await waitFor(
      'every broker to log at least two ZooKeeper connection retries',
      () => cl.brokers.every((b) => logLines(b.logFile, retryLine).length >= 2),
      { timeoutMs: 20_000, intervalMs: 250 },
    )
    for (const b of cl.brokers) {
      expect(b.isRunning, `broker ${b.id} keeps running while ZooKeeper is down`).toBe(true)
      expect(logLines(b.logFile, /"level":(50|60)/), `broker ${b.id}: no error/fatal lines`).toEqual([])
    }
    console.log(`[zookeeper-faults] retry line: ${logLines(cl.brokers[0]!.logFile, retryLine)[0]}`)
    await zk!.up()
    await starting
    expect(await cl.registeredIds()).toEqual([0, 1, 2])
    await createTopicWithData(cl)
    expect(await kcatConsume(cl.bootstrap(), topic)).toHaveLength(produced)
  })

  it('ZooKeeper answering only after a connection attempt timed out (it hung): the starting broker does not crash', async () => {
    await zk!.up()
    const gate = await FaultProxy.start({ host: zk!.host, port: zk!.port })
    gate.set({ up: 'hold', down: 'hold' }) // ZooKeeper accepts connections but does not answer (e.g. a long GC pause)
    const b = new BrokerProcess({
      id: 7,
      port: await freePort(),
      dataDir: await scratchDir('zk-gate'),
      zkConnect: `${gate.address}/${uniqueName('samsa-gate')}`,
      overrides: {
        ...CLUSTER_DEFAULTS,
        'zookeeper.connection.timeout.ms': 1500,
        'offsets.topic.replication.factor': 1,
        'default.replication.factor': 1,
        'min.insync.replicas': 1,
      },
    })
    try {
      const starting = b.start()
      starting.catch(() => {}) // awaited below
      const retryLine = new RegExp(`${gate.address.replace(/\./g, '\\.')}.*(retry|retrying|again)`, 'i')
      await waitFor('a timed-out connection attempt', () => logLines(b.logFile, retryLine).length >= 1, {
        timeoutMs: 15_000,
        intervalMs: 50,
      })
      gate.heal() // ZooKeeper answers again, also on the connections it held
      await starting
      // ZooKeeper's late answers reach the abandoned attempts' clients; two requests answered after that show the
      // broker went through them without crashing (the second is read only after the first was answered).
      await gate.heldConnectionsAnswered()
      // (its own registration reaches its metadata cache through a watch, a moment after it is written)
      await waitFor('broker 7 to list itself in its Metadata', async () =>
        (await metadataOf(b)).brokers.some((x) => x.nodeId === 7),
      )
      expect((await metadataOf(b)).brokers.map((x) => x.nodeId)).toEqual([7])
      expect(b.isRunning, `broker 7 still running; log:\n${b.logTail(3000)}`).toBe(true)
    } finally {
      await b.kill()
      await gate.close()
    }
  })

  it('a ZooKeeper restart loses nothing: topics, configs and offsets survive, brokers reconnect', async () => {
    const cl = await ready()
    const kafka = kafkajs(cl.bootstrapAll(), { logLevel: logLevel.NOTHING })
    await withAdmin(kafka, (admin) =>
      admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: 2, // TOPIC
            name: topic,
            configEntries: [
              { name: 'retention.ms', value: '86400123' },
              { name: 'min.insync.replicas', value: '2' },
            ],
          },
        ],
      }),
    )
    for (const b of cl.brokers) {
      await waitFor(
        `broker ${b.id} to apply retention.ms`,
        async () => (await topicConfigsOf(b, topic)).get('retention.ms') === '86400123',
      )
    }
    await consumeWithGroup(kafka, { topic, groupId: group, count: produced, timeoutMs: 30_000 })
    const committed = async (): Promise<number> =>
      withAdmin(kafka, async (admin) => {
        const r = await admin.fetchOffsets({ groupId: group, topics: [topic] })
        return r[0]!.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0)
      })
    await waitFor('the group to have committed everything', async () => (await committed()) === produced)
    groupCommitted = produced
    const topicBefore = await cl.topicZnode(topic)
    const sessionsBefore = await Promise.all(
      cl.brokers.map(async (b) => (await cl.znode(`/brokers/ids/${b.id}`))!.ephemeralOwner),
    )

    await zk!.restart()

    const topicAfter = await waitFor('the topic znode after the restart', () => cl.topicZnode(topic))
    expect(topicAfter).toEqual(topicBefore)
    await cl.waitForRegistered([0, 1, 2], 30_000)
    const sessionsAfter = await Promise.all(
      cl.brokers.map(async (b) => (await cl.znode(`/brokers/ids/${b.id}`))!.ephemeralOwner),
    )
    console.log(
      `[zookeeper-faults] after a ZooKeeper restart, sessions ${sessionsBefore.join(',')} -> ${sessionsAfter.join(',')}`,
    )
    for (const b of cl.brokers) {
      const cfg = await topicConfigsOf(b, topic)
      expect(cfg.get('retention.ms'), `retention.ms from broker ${b.id}`).toBe('86400123')
    }
    expect(await committed()).toBe(produced)
    await expectServing(topic, 3, produced, 'after-restart')
    produced += 12
    // the controller still works: a new topic gets leaders
    const another = uniqueName('zkf-after-restart')
    await withAdmin(kafka, (admin) =>
      admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic: another, numPartitions: 3, replicationFactor: 3 }],
      }),
    )
    await cl.waitForTopic(another, 3)
  })

  it('ZooKeeper down for longer than the session timeout: brokers are registered again and serve', async () => {
    const cl = await ready()
    const epochBefore = await cl.controllerEpoch()
    const seen = cl.brokers.map((b) => logLines(b.logFile, DISCONNECTED).length)
    const downAt = Date.now()
    await zk!.down()
    // The outage lasts until every broker has seen ZooKeeper go (its own "Disconnected" line) more than a session
    // timeout ago; all along the brokers stay up and answer Metadata from their cache.
    const disconnectedAt = (i: number): number | undefined => {
      const line = logLines(cl.brokers[i]!.logFile, DISCONNECTED)[seen[i]!]
      return line === undefined ? undefined : (JSON.parse(line) as { time: number }).time
    }
    await waitFor(
      `every broker disconnected from ZooKeeper for over ${SESSION_TIMEOUT_MS} ms`,
      async () => {
        for (const b of cl.brokers) {
          if (!b.isRunning) throw new Error(`broker ${b.id} stopped during the outage`)
          const md = await metadataOf(b, [topic])
          expect(md.brokers.length, `broker ${b.id} Metadata during the outage`).toBeGreaterThan(0)
        }
        return cl.brokers.every((_b, i) => Date.now() - (disconnectedAt(i) ?? Infinity) > SESSION_TIMEOUT_MS)
      },
      { timeoutMs: SESSION_TIMEOUT_MS + 20_000, intervalMs: 500 },
    )
    for (const b of cl.brokers) expect(b.isRunning, `broker ${b.id} survives the outage`).toBe(true)
    const outageMs = Date.now() - downAt
    await zk!.up()
    await expectServing(topic, 3, produced, 'after-outage')
    produced += 12
    console.log(
      `[zookeeper-faults] controller epoch ${String(epochBefore)} -> ${String(await cl.controllerEpoch())} across a ${outageMs} ms outage`,
    )
    for (const b of cl.brokers) {
      expect(logLines(b.logFile, /"level":60/), `broker ${b.id}: no fatal lines`).toEqual([])
    }
  })

  it('session expiry (brokers frozen past the session timeout): they re-register, elect a controller and serve', async () => {
    const cl = await ready()
    const before = await Promise.all(
      cl.brokers.map(async (b) => (await cl.znode(`/brokers/ids/${b.id}`))!.ephemeralOwner),
    )
    const epochBefore = (await cl.controllerEpoch())!
    for (const b of cl.brokers) pauseBroker(b)
    try {
      await waitFor(
        'ZooKeeper to expire the sessions (no /brokers/ids/*, no /controller)',
        async () => (await cl.registeredIds()).length === 0 && (await cl.controllerId()) === undefined,
        { timeoutMs: SESSION_TIMEOUT_MS + 10_000, intervalMs: 250 },
      )
    } finally {
      for (const b of cl.brokers) resumeBroker(b)
    }
    await cl.waitForRegistered([0, 1, 2], 30_000)
    const after = await Promise.all(
      cl.brokers.map(async (b) => (await cl.znode(`/brokers/ids/${b.id}`))!.ephemeralOwner),
    )
    for (let i = 0; i < 3; i++)
      expect(after[i], `broker ${i} registered with a new session`).not.toBe(before[i])
    await waitFor('a new controller', async () => (await cl.controllerId()) !== undefined, {
      timeoutMs: 30_000,
    })
    expect(await cl.controllerEpoch()).toBeGreaterThan(epochBefore)
    await expectServing(topic, 3, produced, 'after-expiry')
    produced += 12
    // producing through kafkajs with acks=all, and the group's offsets are still there
    await withProducer(kafkajs(cl.bootstrapAll(), { logLevel: logLevel.NOTHING }), {}, async (p) => {
      const r = await p.send({ topic, acks: -1, messages: keyed('kafkajs-after-expiry', 9) })
      expect(r.every((x) => x.errorCode === 0)).toBe(true)
    })
    produced += 9
    if (groupCommitted > 0) {
      const rest = await consumeWithGroup(kafkajs(cl.bootstrapAll(), { logLevel: logLevel.NOTHING }), {
        topic,
        groupId: group,
        count: produced - groupCommitted,
        timeoutMs: 30_000,
      })
      // the group resumes after its committed offsets: only what came after the first 30
      expect(rest.every((m) => !m.key!.startsWith('first-'))).toBe(true)
    }
  })
})
