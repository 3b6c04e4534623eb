/**
 * Unclean leader election on a two-broker ZooKeeper cluster. Three topics on brokers [0, 1] (0 leading) get records
 * both replicas hold, then — with broker 1 stopped — records only broker 0 holds; broker 0 is killed and broker 1
 * comes back alone:
 *  - with unclean.leader.election.enable off, the partitions stay offline and say so: Metadata
 *    LEADER_NOT_AVAILABLE, the controller's offlinepartitionscount, a log line; when broker 0 returns it leads again
 *    and nothing is lost;
 *  - turned on for one topic (AlterConfigs, dynamic), broker 1 becomes its leader at once, and ElectLeaders with
 *    type UNCLEAN does the same for another: new records are accepted, and the records only broker 0 had are gone
 *    — from broker 0 too once it returns and follows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Apis } from '../src/protocol/messages/index.js'
import { ErrorCode } from '../src/protocol/errors.js'
import { printBrokerLogsOnFailure } from './support/broker.js'
import {
  type Cluster,
  logLines,
  metadataOf,
  reportForeignSignals,
  startCluster,
  withConnection,
} from './support/cluster.js'
import { uniqueName, waitFor } from './support/env.js'
import { kcatConsume } from './support/kcat.js'
import { runPython } from './support/python.js'
import { kafkajs, withAdmin, withProducer } from './support/kafkajs.js'
import { freePort } from './support/procs.js'

printBrokerLogsOnFailure()
reportForeignSignals(() => [cl])

let cl: Cluster
const httpPorts = new Map<number, number>()

beforeAll(async () => {
  for (const id of [0, 1]) httpPorts.set(id, await freePort())
  cl = await startCluster({
    ids: [0, 1],
    overrides: { 'min.insync.replicas': 1, 'default.replication.factor': 2 },
    brokerOverrides: (id) => ({ 'http.listeners': `http://127.0.0.1:${httpPorts.get(id)}` }),
  })
}, 120_000)

afterAll(async () => {
  await cl?.stop()
})

async function produce(topic: string, prefix: string, n = 10): Promise<void> {
  await withProducer(kafkajs(cl.bootstrapAll()), {}, (p) =>
    p.send({
      topic,
      acks: -1,
      messages: Array.from({ length: n }, (_, i) => ({ value: `${prefix}-${i}` })),
    }),
  )
}

async function values(topic: string): Promise<string[]> {
  const got = await kcatConsume(cl.bootstrapAll().join(','), topic, { partition: 0, timeoutMs: 30_000 })
  return got.map((m) => m.payload ?? '')
}

async function offlinePartitions(broker: number): Promise<number | undefined> {
  const r = await fetch(`http://127.0.0.1:${httpPorts.get(broker)}/metrics`)
  const line = (await r.text())
    .split('\n')
    .find((l) => l.startsWith('kafka_controller_kafkacontroller_offlinepartitionscount'))
  return line === undefined ? undefined : Number(line.split(' ').pop())
}

const expected = (prefix: string) => Array.from({ length: 10 }, (_, i) => `${prefix}-${i}`)

describe('unclean leader election', () => {
  it('keeps a partition whose ISR is gone offline while it is off, and elects an out-of-sync replica, losing data, only when on', async () => {
    const [off, dynamic, elect] = ['off', 'dynamic', 'elect'].map((n) => uniqueName(`unclean-${n}`))
    const topics = [off!, dynamic!, elect!]
    await withAdmin(kafkajs(cl.bootstrapAll()), (admin) =>
      admin.createTopics({
        waitForLeaders: true,
        topics: topics.map((topic) => ({ topic, replicaAssignment: [{ partition: 0, replicas: [0, 1] }] })),
      }),
    )
    for (const t of topics) await cl.waitForTopic(t, 1)
    for (const t of topics) await produce(t, 'both')
    // Broker 1 leaves (controlled shutdown): the ISR shrinks to [0], which alone gets the next records.
    await cl.broker(1).stop()
    await waitFor('ISR [0]', async () => {
      for (const t of topics) if ((await cl.partitionState(t, 0))?.isr.join() !== '0') return false
      return true
    })
    for (const t of topics) await produce(t, 'only0')
    // Broker 0 dies; broker 1 returns alone and becomes the controller.
    await cl.broker(0).kill()
    await waitFor(`broker 0's registration expired`, async () => !(await cl.registeredIds()).includes(0), {
      timeoutMs: 30_000,
    })
    await cl.broker(1).start()
    await waitFor(
      'every partition offline',
      async () => {
        for (const t of topics) if ((await cl.partitionState(t, 0))?.leader !== -1) return false
        return true
      },
      { timeoutMs: 30_000 },
    )
    // It says so: Metadata, the controller's gauge, the log.
    const md = await metadataOf(cl.broker(1), topics)
    for (const t of md.topics) {
      expect(t.partitions.map((p) => [p.errorCode, p.leaderId])).toEqual([
        [ErrorCode.LEADER_NOT_AVAILABLE, -1],
      ])
    }
    await waitFor('offlinepartitionscount 3', async () => (await offlinePartitions(1)) === 3)
    expect(
      logLines(cl.broker(1).logFile, new RegExp(`Partition ${off}-0 is offline`)).length,
    ).toBeGreaterThan(0)

    // Turned on for one topic (dynamic topic config): broker 1 leads it at once, without broker 0's last records.
    // (confluent-kafka's AdminClient: kafkajs's refuses to work while any partition of the cluster has no leader.)
    await runPython('confluent-kafka', {
      action: 'alter_configs',
      bootstrap: cl.bootstrap(1),
      topic: dynamic,
      configs: { 'unclean.leader.election.enable': 'true' },
    })
    await waitFor(
      `${dynamic} led by broker 1`,
      async () => (await cl.partitionState(dynamic!, 0))?.leader === 1,
    )
    // ElectLeaders with type UNCLEAN (KIP-460) for another, while the topic config stays off.
    const res = await withConnection(cl.broker(1), (c) =>
      c.request(Apis.ElectLeaders, 2, {
        electionType: 1,
        topicPartitions: [{ topic: elect!, partitions: [0] }],
        timeoutMs: 30_000,
      }),
    )
    expect(res.replicaElectionResults).toEqual([
      { topic: elect, partitionResult: [{ partitionId: 0, errorCode: 0, errorMessage: null }] },
    ])
    await waitFor(`${elect} led by broker 1`, async () => (await cl.partitionState(elect!, 0))?.leader === 1)
    // The one left alone stays offline.
    expect((await cl.partitionState(off!, 0))?.leader).toBe(-1)
    await waitFor('offlinepartitionscount 1', async () => (await offlinePartitions(1)) === 1)
    expect(logLines(cl.broker(1).logFile, /Unclean leader election for/).length).toBeGreaterThan(0)
    for (const t of [dynamic!, elect!]) await produce(t, 'after')

    // Broker 0 returns: it leads `off` again with everything, and follows (truncated) on the others.
    await cl.broker(0).start()
    await waitFor(
      'all partitions led, with ISR [0, 1]',
      async () => {
        for (const t of topics) {
          const s = await cl.partitionState(t, 0)
          if (!s || s.leader < 0 || [...s.isr].sort().join() !== '0,1') return false
        }
        return true
      },
      { timeoutMs: 60_000 },
    )
    expect((await cl.partitionState(off!, 0))?.leader).toBe(0)
    expect(await values(off!)).toEqual([...expected('both'), ...expected('only0')])
    for (const t of [dynamic!, elect!])
      expect(await values(t)).toEqual([...expected('both'), ...expected('after')])
    // Broker 0 dropped what only it had: read with broker 0 leading again (a preferred election).
    await withConnection(cl.broker(1), (c) =>
      c.request(Apis.ElectLeaders, 2, {
        electionType: 0,
        topicPartitions: [{ topic: dynamic!, partitions: [0] }],
        timeoutMs: 30_000,
      }),
    )
    await waitFor(
      `${dynamic} led by broker 0 again`,
      async () => (await cl.partitionState(dynamic!, 0))?.leader === 0,
    )
    expect(await values(dynamic!)).toEqual([...expected('both'), ...expected('after')])
  }, 240_000)
})
