/**
 * In-process clusters on manual time (`startCluster({ manualTime: true })` + `cluster.advanceTime(ms)`): the
 * coordinators' timeouts that take seconds to days of real time — a group member's session timeout, a transaction
 * timeout, offset expiry — happen at the millisecond the test moves the clock to, and not before.
 * (Retention and segment rolling on manual time: in-process-cluster.test.ts.)
 */
import { afterAll, describe, expect, it } from 'vitest'
import { startCluster, type Cluster } from '../src/index.js'
import { Apis } from '../src/protocol/messages/index.js'
import { uniqueName, waitFor } from './support/env.js'
import { consumeWithGroup, kafkajs, withAdmin, withProducer } from './support/kafkajs.js'
import { RawConnection } from './support/raw.js'

const clusters: Cluster[] = []
afterAll(async () => {
  for (const c of clusters) await c.stop().catch(() => undefined)
})

const REPLICA_FETCH_WAIT_MS = 10_000

async function manualCluster(properties: Record<string, string | number>): Promise<Cluster> {
  const c = await startCluster({
    brokers: 3,
    manualTime: true,
    // a follower's long poll is woken by new data; a long wait keeps advanceTime from stepping through idle polls
    // and small internal topics are created (and their coordinators loaded) in a few ms, not seconds
    properties: {
      'replica.fetch.wait.max.ms': REPLICA_FETCH_WAIT_MS,
      'offsets.topic.num.partitions': 3,
      'transaction.state.log.num.partitions': 3,
      ...properties,
    },
  })
  clusters.push(c)
  return c
}

const hostPort = (bootstrap: string): { host: string; port: number } => {
  const i = bootstrap.lastIndexOf(':')
  return { host: bootstrap.slice(0, i), port: Number(bootstrap.slice(i + 1)) }
}

/** A raw connection to the coordinator of `key` (0: group, 1: transaction), found as a client finds it. */
async function coordinator(c: Cluster, key: string, keyType: 0 | 1): Promise<RawConnection> {
  const any = await RawConnection.connect('127.0.0.1', hostPort(c.brokers[0]!.bootstrap).port)
  try {
    const f = await waitFor(
      `a coordinator for ${key}`,
      async () => {
        const r = await any.request(Apis.FindCoordinator, 3, { key, keyType })
        return r.errorCode === 0 ? r : undefined
      },
      { timeoutMs: 30_000, intervalMs: 20 },
    )
    return await RawConnection.connect(f.host, f.port)
  } finally {
    any.close()
  }
}

/**
 * Creates the internal topics the test will use (as a client's first FindCoordinator does) and `topic`, then moves
 * the clock on by replica.fetch.wait.max.ms until every follower of their partitions has fetched them once. A
 * follower that starts to follow a partition drops its long poll and fetches again at once, but one that asked
 * before the leader knew the partition backs off (replica.fetch.backoff.ms) on the manual clock, and an acks=all
 * write to the partition would wait for it.
 */
async function prepare(c: Cluster, topic: string, coordinators: Array<[string, 0 | 1]>): Promise<void> {
  for (const [key, type] of coordinators) (await coordinator(c, key, type)).close()
  await c.createTopic(topic, { replicationFactor: 3 })
  const lagging = () =>
    c.brokers.flatMap((b) =>
      [...b.services.replicas.hostedPartitions.values()].flatMap((p) =>
        p.isLeader
          ? [...p.followers].filter(([, f]) => f.lastFetchLeaderLeo < 0).map(([id]) => `${p.key}@${id}`)
          : [],
      ),
    )
  await waitFor(
    'every follower to fetch every partition',
    async () => {
      if (lagging().length === 0) return true
      await c.advanceTime(REPLICA_FETCH_WAIT_MS)
      return false
    },
    { timeoutMs: 15_000, intervalMs: 20 },
  )
}

const NONE = 0
const REBALANCE_IN_PROGRESS = 27
const MEMBER_ID_REQUIRED = 79

describe('manual time: a classic group member that stops heartbeating', () => {
  it('stays a member until its session.timeout.ms has passed to the millisecond, then is removed and the group rebalances', async () => {
    const c = await manualCluster({ 'group.initial.rebalance.delay.ms': 0 })
    const groupId = uniqueName('mt-group')
    const clock = c.scheduler.clock
    const a = await coordinator(c, groupId, 0)
    const b = await coordinator(c, groupId, 0)
    try {
      const join = async (conn: RawConnection, memberId: string, sessionTimeoutMs: number) => {
        const body = {
          groupId,
          sessionTimeoutMs,
          rebalanceTimeoutMs: 30_000,
          memberId,
          protocolType: 'consumer',
          protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
        }
        let r = await conn.request(Apis.JoinGroup, 5, body)
        if (r.errorCode === MEMBER_ID_REQUIRED)
          r = await conn.request(Apis.JoinGroup, 5, { ...body, memberId: r.memberId })
        return r
      }
      const sync = (
        conn: RawConnection,
        memberId: string,
        generationId: number,
        leader: boolean,
        members: string[],
      ) =>
        conn.request(Apis.SyncGroup, 3, {
          groupId,
          generationId,
          memberId,
          assignments: leader ? members.map((m) => ({ memberId: m, assignment: Buffer.from(m) })) : [],
        })
      const heartbeat = (conn: RawConnection, memberId: string, generationId: number) =>
        conn.request(Apis.Heartbeat, 3, { groupId, generationId, memberId })
      const describe = () =>
        withAdmin(kafkajs(c.bootstrapServers), (admin) => admin.describeGroups([groupId])).then(
          (d) => d.groups[0]!,
        )

      // A joins alone (generation 1) with a 10 s session; B joins with a 60 s one, A rejoins: generation 2
      const a1 = await join(a, '', 10_000)
      expect(a1.errorCode).toBe(NONE)
      const aId = a1.memberId
      expect((await sync(a, aId, a1.generationId, true, [aId])).errorCode).toBe(NONE)
      const bJoin = join(b, '', 60_000)
      await waitFor(
        'the group to start rebalancing for B',
        async () => (await heartbeat(a, aId, a1.generationId)).errorCode === REBALANCE_IN_PROGRESS,
        { timeoutMs: 10_000, intervalMs: 20 },
      )
      const a2 = await join(a, aId, 10_000)
      const b2 = await bJoin
      expect([a2.errorCode, b2.errorCode]).toEqual([NONE, NONE])
      expect(b2.generationId).toBe(a2.generationId)
      const bId = b2.memberId
      const leaderIsA = a2.leader === aId
      const [sa, sb] = await Promise.all([
        sync(a, aId, a2.generationId, leaderIsA, [aId, bId]),
        sync(b, bId, b2.generationId, !leaderIsA, [aId, bId]),
      ])
      expect([sa.errorCode, sb.errorCode]).toEqual([NONE, NONE])
      const t0 = clock.now() // A's last contact with the coordinator: it never heartbeats again

      await c.advanceTime(9_999)
      expect((await heartbeat(b, bId, b2.generationId)).errorCode).toBe(NONE)
      let g = await describe()
      expect(g.state).toBe('Stable')
      expect(g.members.map((m) => m.memberId).sort()).toEqual([aId, bId].sort())

      await c.advanceTime(1) // A's session.timeout.ms has passed
      expect(clock.now() - t0).toBe(10_000)
      // the coordinator removed A when the clock reached its deadline: B's next heartbeat is told to rejoin
      expect((await heartbeat(b, bId, b2.generationId)).errorCode).toBe(REBALANCE_IN_PROGRESS)
      const b3 = await join(b, bId, 60_000)
      expect(b3.errorCode).toBe(NONE)
      expect(b3.generationId).toBe(b2.generationId + 1)
      expect(b3.leader).toBe(bId)
      expect(b3.members.map((m) => m.memberId)).toEqual([bId])
      expect((await sync(b, bId, b3.generationId, true, [bId])).errorCode).toBe(NONE)
      g = await describe()
      expect(g.state).toBe('Stable')
      expect(g.members.map((m) => m.memberId)).toEqual([bId])
      // A, back from its stall, is no longer known (UNKNOWN_MEMBER_ID, 25)
      expect((await heartbeat(a, aId, a2.generationId)).errorCode).toBe(25)
    } finally {
      a.close()
      b.close()
    }
  })
})

describe('manual time: a transaction left open', () => {
  it('is aborted by its coordinator once transaction.timeout.ms has passed; the producer is fenced and read_committed sees none of it', async () => {
    const c = await manualCluster({
      'transaction.abort.timed.out.transaction.cleanup.interval.ms': 1_000,
      'group.initial.rebalance.delay.ms': 0,
    })
    const topic = uniqueName('mt-txn')
    const transactionalId = uniqueName('mt-tid')
    const groupId = uniqueName('mt-txn-g')
    await prepare(c, topic, [
      [transactionalId, 1],
      [groupId, 0],
    ])
    const clock = c.scheduler.clock
    const kafka = kafkajs(c.bootstrapServers)
    const producer = kafka.producer({
      transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: 10_000,
      retry: { retries: 2 },
    })
    await producer.connect()
    const tc = await coordinator(c, transactionalId, 1)
    try {
      const describeTxn = async () => {
        const r = await tc.request(Apis.DescribeTransactions, 0, { transactionalIds: [transactionalId] })
        const s = r.transactionStates[0]!
        expect(s.errorCode).toBe(NONE)
        return s
      }
      const txn = await producer.transaction()
      await txn.send({
        topic,
        acks: -1,
        messages: [0, 1, 2].map((i) => ({ key: `k${i}`, value: `doomed-${i}` })),
      })
      const open = await describeTxn()
      expect(open).toMatchObject({ transactionState: 'Ongoing', transactionTimeoutMs: 10_000 })
      const started = Number(open.transactionStartTimeMs)

      // up to and including start + transaction.timeout.ms the transaction stays open (Kafka aborts once start +
      // timeout < now, checking every transaction.abort.timed.out.transaction.cleanup.interval.ms)
      await c.advanceTime(started + 10_000 - clock.now())
      expect((await describeTxn()).transactionState).toBe('Ongoing')
      await c.advanceTime(1_000) // one cleanup interval later it has been aborted, with the producer epoch bumped
      const aborted = await waitFor(
        'the timed-out transaction to complete its abort',
        async () => {
          const s = await describeTxn()
          return s.transactionState === 'CompleteAbort' ? s : undefined
        },
        { timeoutMs: 10_000, intervalMs: 20 },
      )
      expect(aborted.producerEpoch).toBe(open.producerEpoch + 1)

      // the producer's next call (EndTxn with its old epoch) is refused as Kafka refuses it: a fenced epoch
      // (PRODUCER_FENCED, given to EndTxn below v2 — kafkajs's versions — as INVALID_PRODUCER_EPOCH)
      const err = await txn.commit().then(
        () => undefined,
        (e: unknown) => e as { type?: string; name?: string },
      )
      expect(err?.type).toBe('INVALID_PRODUCER_EPOCH')

      // the records were written and then aborted: a read_committed consumer sees only what came after
      expect(c.readPartition(topic, 0).map((r) => r.value?.toString())).toEqual([
        'doomed-0',
        'doomed-1',
        'doomed-2',
      ])
      await withProducer(kafka, {}, (p) =>
        p.send({ topic, acks: -1, messages: [0, 1].map((i) => ({ key: `k${i}`, value: `after-${i}` })) }),
      )
      const got = await consumeWithGroup(kafka, {
        topic,
        groupId,
        count: 2,
        timeoutMs: 10_000,
        consumerConfig: { readUncommitted: false, maxWaitTimeInMs: 0 },
      })
      expect(got.map((m) => m.value)).toEqual(['after-0', 'after-1'])
    } finally {
      tc.close()
      await producer.disconnect().catch(() => undefined)
    }
  })
})

describe('manual time: offsets of an empty group', () => {
  it('are kept for offsets.retention.minutes after the group emptied, then expire and the group is removed', async () => {
    const c = await manualCluster({
      'group.initial.rebalance.delay.ms': 0,
      'offsets.retention.minutes': 1,
      'offsets.retention.check.interval.ms': 1_000,
    })
    const topic = uniqueName('mt-offs')
    const groupId = uniqueName('mt-offs-g')
    await prepare(c, topic, [[groupId, 0]])
    const clock = c.scheduler.clock
    const kafka = kafkajs(c.bootstrapServers)
    await withProducer(kafka, {}, (p) =>
      p.send({ topic, acks: -1, messages: [0, 1, 2, 3, 4].map((i) => ({ key: `k${i}`, value: `v${i}` })) }),
    )
    // kafkajs consumes, commits and leaves: the group is Empty from now on
    await consumeWithGroup(kafka, {
      topic,
      groupId,
      count: 5,
      timeoutMs: 10_000,
      consumerConfig: { maxWaitTimeInMs: 0 },
    })
    const emptied = clock.now()
    const committed = () =>
      withAdmin(kafka, (a) => a.fetchOffsets({ groupId, topics: [topic] })).then((r) =>
        r.flatMap((t) => t.partitions.map((p) => ({ partition: p.partition, offset: p.offset }))),
      )
    const state = () => withAdmin(kafka, (a) => a.describeGroups([groupId])).then((d) => d.groups[0]!.state)
    expect(await committed()).toEqual([{ partition: 0, offset: '5' }])
    expect(await state()).toBe('Empty')

    await c.advanceTime(59_999) // offsets.retention.minutes (60,000 ms) less 1 ms after the group emptied
    expect(clock.now() - emptied).toBe(59_999)
    expect(await committed()).toEqual([{ partition: 0, offset: '5' }])

    await c.advanceTime(1_001) // past the retention, and one offsets.retention.check.interval.ms later
    expect(await committed()).toEqual([{ partition: 0, offset: '-1' }])
    // an empty group left with no offsets is removed (Dead)
    expect(await state()).toBe('Dead')
  })
})
