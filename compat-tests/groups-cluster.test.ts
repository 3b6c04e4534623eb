/**
 * Consumer groups on a three-broker ZooKeeper-mode Samsa cluster (`__consumer_offsets` replicated three
 * times): the group coordinator is the leader of the group's `__consumer_offsets` partition, every broker says
 * so in FindCoordinator, and the other brokers answer NOT_COORDINATOR (16) to group requests (raw requests built
 * with the repo's codec). Then the coordinator's broker is killed with -9 in the middle of consumption:
 * FindCoordinator moves to the partition's new leader, the committed offsets (with metadata and leader epochs)
 * are intact there, the running kafkajs consumer continues after its commits, and the restarted broker has
 * the offset records in its replica of the partition.
 */
import { type Kafka, logLevel } from 'kafkajs'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { printBrokerLogsOnFailure } from './support/broker.js'
import { uniqueName } from './support/env.js'
import {
  type Cluster,
  duplicates,
  KafkajsMember,
  latestCommits,
  offsetsPartitionFor,
  offsetsPartitionState,
  rawFindCoordinator,
  rawGroupErrors,
  rawOffsetCommit,
  rawOffsetFetch,
  reportForeignStops,
  readOffsetsPartition,
  type Received,
  spread,
  startCluster,
  stopGroupProcesses,
  waitAllDelivered,
  waitFor,
} from './support/groups.js'
import { kafkajs, withAdmin, withProducer } from './support/kafkajs.js'

const NOT_COORDINATOR = 16

let cluster: Cluster
let kafka: Kafka

printBrokerLogsOnFailure()
reportForeignStops(() => cluster?.brokers ?? [])

beforeAll(async () => {
  cluster = await startCluster(3)
  kafka = kafkajs(cluster.bootstrap, {
    logLevel: logLevel.NOTHING,
    retry: { retries: 15, initialRetryTime: 200, maxRetryTime: 2000 },
  })
})

afterEach(async () => {
  await stopGroupProcesses()
})

afterAll(async () => {
  await cluster?.stop()
})

describe('group coordination on a 3-broker cluster', () => {
  const topic = uniqueName('cl-grp')
  const groupId = uniqueName('cl-grp-g')
  const partition = offsetsPartitionFor(groupId)
  // a second group on the same __consumer_offsets partition (same coordinator), committed to with raw requests
  let rawGroup = ''
  for (let i = 0; offsetsPartitionFor(rawGroup) !== partition || !rawGroup; i++)
    rawGroup = `${groupId}-raw-${i}`
  const sink: Received[] = []
  let consumer: KafkajsMember
  let coordinator = -1

  beforeAll(async () => {
    await withAdmin(kafka, (admin) =>
      admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic, numPartitions: 6, replicationFactor: 3 }],
      }),
    )
  })

  afterAll(async () => {
    await consumer?.stop().catch(() => undefined)
  })

  it('FindCoordinator names the leader of the group’s __consumer_offsets partition; other brokers answer NOT_COORDINATOR', async () => {
    // the first FindCoordinator creates __consumer_offsets (COORDINATOR_NOT_AVAILABLE until it has leaders)
    const found = await waitFor(
      'a coordinator',
      async () => {
        const r = await rawFindCoordinator(cluster.brokers[0]!, groupId)
        return r.errorCode === 0 ? r : undefined
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    )
    coordinator = found.nodeId
    const state = await offsetsPartitionState(cluster.zkConnect, partition)
    expect(state?.leader).toBe(coordinator)
    expect(state?.isr.sort()).toEqual([1, 2, 3])
    const c = cluster.broker(coordinator)
    expect({ host: found.host, port: found.port }).toEqual({ host: c.host, port: c.port })
    for (const b of cluster.brokers) {
      expect(await rawFindCoordinator(b, groupId)).toMatchObject({ errorCode: 0, nodeId: coordinator })
    }
    for (const b of cluster.brokers.filter((x) => x.id !== coordinator)) {
      expect(await rawGroupErrors(b, groupId, topic), `broker ${b.id}`).toEqual({
        offsetFetch: NOT_COORDINATOR,
        offsetCommit: NOT_COORDINATOR,
        joinGroup: NOT_COORDINATOR,
        heartbeat: NOT_COORDINATOR,
        describeGroups: NOT_COORDINATOR,
      })
    }
    expect((await rawOffsetFetch(c, groupId, topic, [0])).errorCode).toBe(0)
  })

  it('kill -9 of the coordinator’s broker mid-consumption: the coordinator moves, offsets are intact, the consumer continues', async () => {
    consumer = new KafkajsMember('c', kafka, topic, groupId, sink, {
      sessionTimeout: 6000,
      rebalanceTimeout: 6000,
    })
    await consumer.start()
    const first = spread('before', 120, 6)
    await withProducer(kafka, {}, (p) => p.send({ topic, acks: -1, messages: first }))
    await waitFor('120 messages', () => sink.length >= 120, { timeoutMs: 30_000 })
    const old = cluster.broker(coordinator)
    await waitFor('all committed', async () => {
      const r = await rawOffsetFetch(old, groupId, topic, [0, 1, 2, 3, 4, 5])
      return r.partitions.every((p) => p.offset === 20)
    })
    const stateBefore = (await offsetsPartitionState(cluster.zkConnect, partition))!
    const groupBefore = await rawOffsetFetch(old, groupId, topic, [0, 1, 2, 3, 4, 5])
    // A commit acknowledged right before the crash: OffsetCommit waits for the whole ISR (acks=-1), so the
    // followers have these records when the commit succeeds.
    expect(
      await rawOffsetCommit(old, rawGroup, topic, [
        { partition: 0, offset: 17, leaderEpoch: 3, metadata: 'raw on the old coordinator' },
        { partition: 5, offset: 2, leaderEpoch: 0, metadata: '' },
      ]),
    ).toEqual([
      { partition: 0, errorCode: 0 },
      { partition: 5, errorCode: 0 },
    ])
    const rawBefore = {
      errorCode: 0,
      partitions: [
        { partition: 0, offset: 17, leaderEpoch: 3, metadata: 'raw on the old coordinator', errorCode: 0 },
        { partition: 5, offset: 2, leaderEpoch: 0, metadata: '', errorCode: 0 },
      ],
    }

    await old.kill()
    const killedAt = Date.now()
    const survivors = cluster.brokers.filter((b) => b.id !== coordinator)

    // the controller elects a new leader for the partition (after the ZooKeeper session of the dead broker ends)
    const state = await waitFor(
      'a new leader of the group’s __consumer_offsets partition',
      async () => {
        const s = await offsetsPartitionState(cluster.zkConnect, partition)
        return s && s.leader >= 0 && s.leader !== coordinator ? s : undefined
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    )
    expect(state.leader_epoch).toBeGreaterThan(stateBefore.leader_epoch)
    const newCoordinator = state.leader
    const found = await waitFor(
      'FindCoordinator to name the new leader',
      async () => {
        const r = await rawFindCoordinator(survivors[0]!, groupId)
        return r.errorCode === 0 && r.nodeId === newCoordinator ? r : undefined
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    )
    const failoverMs = Date.now() - killedAt
    expect(await rawFindCoordinator(survivors[1]!, groupId)).toMatchObject({
      errorCode: 0,
      nodeId: newCoordinator,
    })
    const nc = cluster.broker(found.nodeId)
    const other = survivors.find((b) => b.id !== newCoordinator)!
    expect(await rawGroupErrors(other, groupId, topic)).toEqual({
      offsetFetch: NOT_COORDINATOR,
      offsetCommit: NOT_COORDINATOR,
      joinGroup: NOT_COORDINATOR,
      heartbeat: NOT_COORDINATOR,
      describeGroups: NOT_COORDINATOR,
    })

    // the new coordinator loaded the partition: the same committed offsets, metadata and leader epochs
    const after = await waitFor('OffsetFetch on the new coordinator', async () => {
      const group = await rawOffsetFetch(nc, groupId, topic, [0, 1, 2, 3, 4, 5])
      if (group.errorCode !== 0) return undefined // COORDINATOR_LOAD_IN_PROGRESS while loading
      return { group, raw: await rawOffsetFetch(nc, rawGroup, topic, [0, 5]) }
    })
    expect(after.group).toEqual(groupBefore)
    // the last commit is in the new leader's log (it was replicated before it was acknowledged) ...
    const inNewLog = latestCommits(readOffsetsPartition(nc.dataDir, partition), rawGroup, topic)
    expect([...inNewLog.entries()].sort()).toEqual([
      [0, 17],
      [5, 2],
    ])
    // ... and OffsetFetch on the new coordinator returns it (soft: the rest of the scenario still runs)
    expect.soft(after.raw, 'OffsetFetch of a commit made just before the failover').toEqual(rawBefore)

    // the consumer, which was running all along, carries on after its commits: only new messages arrive
    const more = spread('after', 60, 6)
    await withProducer(kafka, {}, (p) => p.send({ topic, acks: -1, messages: more }))
    await waitFor('the 60 new messages', () => sink.length >= 180, { timeoutMs: 45_000 })
    await waitAllDelivered(kafka, topic, groupId, sink)
    const dups = duplicates(sink, (m) => m.value)
    console.log(
      `[groups-cluster] coordinator ${coordinator} killed; broker ${newCoordinator} coordinates after ${failoverMs} ms; ` +
        `${dups.length} messages delivered twice`,
    )
    expect(dups).toEqual([])
    expect(
      sink
        .slice(120)
        .map((m) => m.value)
        .sort(),
    ).toEqual(more.map((m) => m.value).sort())
    const committedNow = await waitFor('the new messages committed', async () => {
      const r = await rawOffsetFetch(nc, groupId, topic, [0, 1, 2, 3, 4, 5])
      return r.partitions.every((p) => p.offset === 30) ? r : undefined
    })
    expect(committedNow.errorCode).toBe(0)

    // the old coordinator comes back as a follower: it is not the coordinator, and its replica of the
    // partition has the commits made on the new coordinator
    await old.start()
    const fromOld = await waitFor('FindCoordinator on the restarted broker', async () => {
      const r = await rawFindCoordinator(old, groupId)
      return r.errorCode === 0 ? r : undefined
    })
    expect(fromOld.nodeId).toBe(newCoordinator)
    expect((await rawGroupErrors(old, groupId, topic)).offsetFetch).toBe(NOT_COORDINATOR)
    await waitFor(
      'the restarted broker’s replica to have the latest commits',
      () => {
        const commits = latestCommits(readOffsetsPartition(old.dataDir, partition), groupId, topic)
        return [...commits.values()].length === 6 && [...commits.values()].every((o) => o === 30)
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    )
  })
})
