import { VerificationGuard } from '../log/producer-state.js'
import { describe, expect, it } from 'vitest'
import { ErrorCode } from '../../protocol/errors.js'
import {
  decodeGroupRecordKey,
  decodeOffsetCommitValue,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
} from '../../protocol/messages/data/group-metadata.js'
import { encodeControlRecordKey, ControlRecordType } from '../../protocol/messages/data/control-records.js'
import { GroupCoordinator } from './coordinator.js'
import { InMemoryGroupLogStore } from './memory-log-store.js'
import { ManualClock, ManualScheduler } from '../../util/scheduler.js'
import type { GroupLogRecord, GroupLogStore } from './log-store.js'
import { flush, joinParams, setup, subscription, syncParams, type TestEnv } from './test-helpers.js'
import type { OffsetCommitParams, OffsetCommitPartition } from './types.js'

const part = (
  topic: string,
  partition: number,
  offset: number,
  over: Partial<OffsetCommitPartition> = {},
) => ({
  topic,
  partition,
  offset,
  leaderEpoch: -1,
  metadata: null,
  commitTimestamp: -1,
  ...over,
})

const commit = (env: TestEnv, over: Partial<OffsetCommitParams>) =>
  env.c.commitOffsets({
    groupId: 'g',
    memberId: '',
    groupInstanceId: null,
    generationId: -1,
    retentionTimeMs: -1,
    partitions: [part('t1', 0, 10)],
    ...over,
  })

/** A one-member consumer group, Stable in generation 1. */
async function stableGroup(env: TestEnv, topics: readonly string[] = ['t1']): Promise<string> {
  const j = env.c.joinGroup(joinParams({ protocols: [{ name: 'range', metadata: subscription(topics) }] }))
  await env.scheduler.advance(0)
  const r = await j
  await env.c.syncGroup(syncParams({ memberId: r.memberId }))
  return r.memberId
}

describe('OffsetCommit / OffsetFetch', () => {
  it('lets a simple consumer commit to a group that does not exist, then fetches', async () => {
    const env = await setup()
    const res = await commit(env, {
      partitions: [
        part('t1', 0, 10, { metadata: 'm', leaderEpoch: 3 }),
        part('t1', 1, 20),
        part('t2', 0, 30),
      ],
    })
    expect(res.map((r) => r.error)).toEqual([ErrorCode.NONE, ErrorCode.NONE, ErrorCode.NONE])
    expect(env.c.group('g')?.currentState).toBe('Empty')

    const f = env.c.fetchOffsets('g', false, [
      { topic: 't1', partition: 0 },
      { topic: 't1', partition: 9 },
    ])
    expect(f).toEqual({
      error: ErrorCode.NONE,
      partitions: [
        { topic: 't1', partition: 0, offset: 10, leaderEpoch: 3, metadata: 'm', error: ErrorCode.NONE },
        { topic: 't1', partition: 9, offset: -1, leaderEpoch: -1, metadata: '', error: ErrorCode.NONE },
      ],
    })
    expect(
      env.c.fetchOffsets('g', false, null).partitions.map((p) => [p.topic, p.partition, p.offset]),
    ).toEqual([
      ['t1', 0, 10],
      ['t1', 1, 20],
      ['t2', 0, 30],
    ])
    expect(env.c.fetchOffsets('other', false, [{ topic: 't1', partition: 0 }]).partitions[0]!.offset).toBe(-1)
    expect(env.c.fetchOffsets('other', false, null).partitions).toEqual([])

    // The records are Kafka's: key version 1, value version 3 (no expire timestamp).
    const rec = env.store.records(0)[0]!
    expect(decodeGroupRecordKey(rec.key!)).toEqual({
      type: 'offsetCommit',
      version: 1,
      key: { group: 'g', topic: 't1', partition: 0 },
    })
    expect(decodeOffsetCommitValue(rec.value)).toEqual({
      version: 3,
      value: {
        offset: 10,
        leaderEpoch: 3,
        metadata: 'm',
        commitTimestamp: env.clock.now(),
        expireTimestamp: -1,
      },
    })
  })

  it('rejects a commit with a generation for a group that does not exist', async () => {
    const env = await setup()
    const res = await commit(env, { generationId: 3, memberId: 'm' })
    expect(res[0]!.error).toBe(ErrorCode.ILLEGAL_GENERATION)
    expect(env.c.group('g')).toBeUndefined()
  })

  it('validates members and generations once the group has members', async () => {
    const env = await setup()
    const memberId = await stableGroup(env)
    expect((await commit(env, {}))[0]!.error).toBe(ErrorCode.UNKNOWN_MEMBER_ID) // simple commit, non-empty group
    expect((await commit(env, { memberId: 'x', generationId: 1 }))[0]!.error).toBe(
      ErrorCode.UNKNOWN_MEMBER_ID,
    )
    expect((await commit(env, { memberId, generationId: 2 }))[0]!.error).toBe(ErrorCode.ILLEGAL_GENERATION)
    expect((await commit(env, { memberId, generationId: 1 }))[0]!.error).toBe(ErrorCode.NONE)

    // A second member joins: the group prepares a rebalance; the old generation may still commit.
    void env.c.joinGroup(joinParams({ clientId: 'b' }))
    await flush()
    expect(env.c.group('g')?.currentState).toBe('PreparingRebalance')
    expect((await commit(env, { memberId, generationId: 1 }))[0]!.error).toBe(ErrorCode.NONE)
    // After the JoinGroup responses, until the SyncGroup: REBALANCE_IN_PROGRESS.
    const r = await env.c.joinGroup(joinParams({ memberId }))
    expect(env.c.group('g')?.currentState).toBe('CompletingRebalance')
    expect((await commit(env, { memberId, generationId: r.generationId }))[0]!.error).toBe(
      ErrorCode.REBALANCE_IN_PROGRESS,
    )
  })

  it('rejects metadata over offset.metadata.max.bytes per partition', async () => {
    const env = await setup({ offsetMetadataMaxBytes: 5 })
    const res = await commit(env, {
      partitions: [part('t1', 0, 1, { metadata: '12345' }), part('t1', 1, 1, { metadata: '123456' })],
    })
    expect(res.map((r) => r.error)).toEqual([ErrorCode.NONE, ErrorCode.OFFSET_METADATA_TOO_LARGE])
    expect(env.store.records(0)).toHaveLength(1)
    const appends = env.store.appends.length
    const all = await commit(env, { partitions: [part('t1', 1, 1, { metadata: 'x'.repeat(6) })] })
    expect(all[0]!.error).toBe(ErrorCode.OFFSET_METADATA_TOO_LARGE)
    expect(env.store.appends.length).toBe(appends)
  })

  it('writes v2-v4 retention as an expire timestamp (value version 1) and v1 commit timestamps as given', async () => {
    const env = await setup()
    await commit(env, { retentionTimeMs: 60_000, partitions: [part('t1', 0, 1)] })
    expect(decodeOffsetCommitValue(env.store.records(0)[0]!.value)).toMatchObject({
      version: 1,
      value: { expireTimestamp: env.clock.now() + 60_000 },
    })
    await commit(env, { partitions: [part('t1', 1, 1, { commitTimestamp: 1234 })] })
    expect(decodeOffsetCommitValue(env.store.records(0)[1]!.value)).toMatchObject({
      version: 3,
      value: { commitTimestamp: 1234 },
    })
  })

  it('acknowledges only after the append and answers UNSTABLE_OFFSET_COMMIT for require_stable meanwhile', async () => {
    const env = await setup()
    env.store.hold()
    const pending = commit(env, { partitions: [part('t1', 0, 7)] })
    await flush()
    expect(env.c.fetchOffsets('g', true, [{ topic: 't1', partition: 0 }]).partitions[0]!.error).toBe(
      ErrorCode.UNSTABLE_OFFSET_COMMIT,
    )
    expect(env.c.fetchOffsets('g', false, [{ topic: 't1', partition: 0 }]).partitions[0]).toMatchObject({
      offset: -1,
      error: ErrorCode.NONE,
    })
    env.store.release()
    expect((await pending)[0]!.error).toBe(ErrorCode.NONE)
    expect(env.c.fetchOffsets('g', true, [{ topic: 't1', partition: 0 }]).partitions[0]).toMatchObject({
      offset: 7,
      error: ErrorCode.NONE,
    })
  })

  it('maps append errors as Kafka does', async () => {
    const env = await setup()
    env.store.failNextAppends(
      ErrorCode.NOT_LEADER_OR_FOLLOWER,
      ErrorCode.NOT_ENOUGH_REPLICAS,
      ErrorCode.MESSAGE_TOO_LARGE,
      ErrorCode.REQUEST_TIMED_OUT,
    )
    expect((await commit(env, {}))[0]!.error).toBe(ErrorCode.NOT_COORDINATOR)
    expect((await commit(env, {}))[0]!.error).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    expect((await commit(env, {}))[0]!.error).toBe(ErrorCode.INVALID_COMMIT_OFFSET_SIZE)
    expect((await commit(env, {}))[0]!.error).toBe(ErrorCode.REQUEST_TIMED_OUT)
    expect(env.c.fetchOffsets('g', true, [{ topic: 't1', partition: 0 }]).partitions[0]).toMatchObject({
      offset: -1,
      error: ErrorCode.NONE,
    })
  })

  it('keeps transactional offsets pending until the marker', async () => {
    const env = await setup()
    const res = await env.c.commitTransactionalOffsets(txnCommit)
    expect(res[0]!.error).toBe(ErrorCode.NONE)
    expect(env.store.appends.at(-1)!.options).toMatchObject({ producerId: 42, transactional: true })
    expect(env.c.fetchOffsets('g', true, null).partitions).toEqual([])
    expect(env.c.fetchOffsets('g', true, [{ topic: 't1', partition: 0 }]).partitions[0]!.error).toBe(
      ErrorCode.UNSTABLE_OFFSET_COMMIT,
    )
    env.c.onTransactionCompleted(42, [0], true)
    expect(env.c.fetchOffsets('g', true, [{ topic: 't1', partition: 0 }]).partitions[0]).toMatchObject({
      offset: 99,
      error: ErrorCode.NONE,
    })
  })
})

/** A TxnOffsetCommit of producer 42 (no group membership: generation -1). */
const txnCommit = {
  groupId: 'g',
  transactionalId: 'tx',
  producerId: 42,
  producerEpoch: 0,
  memberId: '',
  groupInstanceId: null,
  generationId: -1,
  partitions: [{ topic: 't1', partition: 0, offset: 99, leaderEpoch: -1, metadata: null }],
}

describe('transactional offsets: KIP-890 verification', () => {
  it('writes with the guard of a verification of the group offsets partition', async () => {
    const env = await setup()
    const guard = new VerificationGuard(42, 0)
    const asked: number[] = []
    const res = await env.c.commitTransactionalOffsets(txnCommit, (partition) => {
      asked.push(partition)
      return Promise.resolve({ errorCode: ErrorCode.NONE, guard })
    })
    expect(res[0]!.error).toBe(ErrorCode.NONE)
    expect(asked).toEqual([0])
    expect(env.store.appends.at(-1)!.options.verificationGuard).toBe(guard)
  })

  it('a failed verification writes nothing and answers with the offset commit form of the error', async () => {
    const env = await setup()
    const before = env.store.appends.length
    const fail = (errorCode: number) => () => Promise.resolve({ errorCode })
    expect(
      (await env.c.commitTransactionalOffsets(txnCommit, fail(ErrorCode.NETWORK_EXCEPTION)))[0]!.error,
    ).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
    expect(
      (await env.c.commitTransactionalOffsets(txnCommit, fail(ErrorCode.NOT_LEADER_OR_FOLLOWER)))[0]!.error,
    ).toBe(ErrorCode.NOT_COORDINATOR)
    expect(
      (await env.c.commitTransactionalOffsets(txnCommit, fail(ErrorCode.INVALID_TXN_STATE)))[0]!.error,
    ).toBe(ErrorCode.INVALID_TXN_STATE)
    expect(env.store.appends.length).toBe(before)
  })
})

describe('loading and ownership', () => {
  it('loads groups and offsets on election (last record wins, tombstones delete) and drops them on resignation', async () => {
    const store = new InMemoryGroupLogStore()
    const ts = 1_700_000_000_000
    const offsetRecord = (
      group: string,
      topic: string,
      p: number,
      offset: number | null,
    ): Omit<GroupLogRecord, 'offset'> => ({
      key: encodeOffsetCommitKey({ group, topic, partition: p }),
      value:
        offset === null
          ? null
          : encodeOffsetCommitValue({
              offset,
              leaderEpoch: 2,
              metadata: 'meta',
              commitTimestamp: ts,
              expireTimestamp: -1,
            }),
      timestamp: ts,
    })
    const groupRecord = (group: string, generation: number | null): Omit<GroupLogRecord, 'offset'> => ({
      key: encodeGroupMetadataKey({ group }),
      value:
        generation === null
          ? null
          : encodeGroupMetadataValue({
              protocolType: 'consumer',
              generation,
              protocol: 'range',
              leader: 'm-1',
              currentStateTimestamp: ts,
              members: [
                {
                  memberId: 'm-1',
                  groupInstanceId: null,
                  clientId: 'c',
                  clientHost: '/10.0.0.1',
                  rebalanceTimeout: 30_000,
                  sessionTimeout: 10_000,
                  subscription: subscription(['t1']),
                  assignment: Buffer.from('asg'),
                },
              ],
            }),
      timestamp: ts,
    })
    store.seed(0, [
      offsetRecord('g1', 't1', 0, 1),
      offsetRecord('g1', 't1', 0, 5), // newer wins
      offsetRecord('g1', 't1', 1, 3),
      offsetRecord('g1', 't1', 1, null), // tombstone
      groupRecord('g1', 4),
      offsetRecord('g2', 't1', 0, 8), // offsets only: an Empty group
      groupRecord('g3', 2),
      groupRecord('g3', null), // deleted group
      { key: Buffer.from([0, 9, 1, 2]), value: Buffer.from([0]), timestamp: ts }, // unknown key version: skipped
    ])
    const scheduler = new ManualScheduler(new ManualClock(ts))
    const c = new GroupCoordinator({
      config: { brokerId: 2, offsetsTopicNumPartitions: 1 },
      logStore: store,
      scheduler,
    })
    c.startup()
    expect(c.heartbeat({ groupId: 'g1', memberId: 'm-1', generationId: 4, groupInstanceId: null })).toBe(
      ErrorCode.NOT_COORDINATOR,
    )
    await c.onElection(0, 5)
    expect(c.isCoordinatorFor('g1')).toBe(true)
    expect(c.fetchOffsets('g1', false, null).partitions).toEqual([
      { topic: 't1', partition: 0, offset: 5, leaderEpoch: 2, metadata: 'meta', error: ErrorCode.NONE },
    ])
    expect(c.group('g1')?.currentState).toBe('Stable')
    expect(c.group('g1')?.generationId).toBe(4)
    expect(c.describeGroup('g1').summary.members[0]).toMatchObject({
      memberId: 'm-1',
      clientHost: '/10.0.0.1',
    })
    expect(c.heartbeat({ groupId: 'g1', memberId: 'm-1', generationId: 4, groupInstanceId: null })).toBe(
      ErrorCode.NONE,
    )
    expect(c.group('g2')?.currentState).toBe('Empty')
    expect(c.fetchOffsets('g2', false, null).partitions[0]!.offset).toBe(8)
    expect(c.group('g3')).toBeUndefined()

    // Loaded members must heartbeat: without one, m-1 expires after its session timeout.
    await scheduler.advance(10_001)
    expect(c.group('g1')?.has('m-1')).toBe(false)

    await c.onResignation(0, 5)
    expect(c.isCoordinatorFor('g1')).toBe(false)
    expect(c.fetchOffsets('g1', false, null).error).toBe(ErrorCode.NOT_COORDINATOR)
    expect((await c.joinGroup(joinParams({ groupId: 'g1' }))).error).toBe(ErrorCode.NOT_COORDINATOR)
    expect(c.group('g1')).toBeUndefined()
    await c.shutdown()
  })

  it('answers COORDINATOR_LOAD_IN_PROGRESS while loading, except Heartbeat and SyncGroup', async () => {
    let release: () => void = () => {}
    const gate = new Promise<void>((r) => (release = r))
    const inner = new InMemoryGroupLogStore()
    const slow: GroupLogStore = {
      append: (p, r, o) => inner.append(p, r, o),
      async *read(p) {
        await gate
        yield* inner.read(p)
      },
    }
    const c = new GroupCoordinator({
      config: { brokerId: 1, offsetsTopicNumPartitions: 1 },
      logStore: slow,
      scheduler: new ManualScheduler(new ManualClock()),
    })
    c.startup()
    const loaded = c.onElection(0, 1)
    await flush()
    expect(c.isCoordinatorLoadInProgress('g')).toBe(true)
    expect((await c.joinGroup(joinParams())).error).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
    expect(c.fetchOffsets('g', false, null).error).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
    expect(c.heartbeat({ groupId: 'g', memberId: 'm', generationId: 1, groupInstanceId: null })).toBe(
      ErrorCode.NONE,
    )
    expect((await c.syncGroup(syncParams({ memberId: 'm' }))).error).toBe(ErrorCode.REBALANCE_IN_PROGRESS)
    expect(c.listGroups([], []).error).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
    release()
    await loaded
    expect(c.isCoordinatorFor('g')).toBe(true)
    expect(c.listGroups([], []).error).toBe(ErrorCode.NONE)
    await c.shutdown()
  })

  it('restores what another coordinator wrote, including committed transactional offsets', async () => {
    const env = await setup()
    const memberId = await stableGroup(env)
    await commit(env, { memberId, generationId: 1, partitions: [part('t1', 0, 11)] })
    await env.c.commitTransactionalOffsets({
      groupId: 'tx-group',
      transactionalId: 'tx',
      producerId: 7,
      producerEpoch: 0,
      memberId: '',
      groupInstanceId: null,
      generationId: -1,
      partitions: [{ topic: 't1', partition: 0, offset: 50, leaderEpoch: -1, metadata: null }],
    })
    // The transaction commits: its marker lands in the log.
    env.store.seed(0, [
      {
        key: encodeControlRecordKey(ControlRecordType.COMMIT),
        value: null,
        timestamp: 0,
        producerId: 7,
        isControl: true,
      },
    ])
    await env.c.shutdown()

    const other = await setup({}, env.store)
    expect(other.c.group('g')).toMatchObject({ generationId: 1 })
    expect(other.c.group('g')?.currentState).toBe('Stable')
    expect(other.c.group('g')?.has(memberId)).toBe(true)
    expect(other.c.fetchOffsets('g', false, null).partitions[0]!.offset).toBe(11)
    expect(other.c.fetchOffsets('tx-group', true, null).partitions[0]).toMatchObject({
      offset: 50,
      error: ErrorCode.NONE,
    })
  })

  it('ignores an election with a stale epoch and a resignation for an old epoch', async () => {
    const env = await setup()
    await env.c.onResignation(0, 0)
    expect(env.c.isPartitionOwned(0)).toBe(false)
    await env.c.onElection(0, 3)
    expect(env.c.isPartitionOwned(0)).toBe(true)
    await env.c.onResignation(0, 2)
    expect(env.c.isPartitionOwned(0)).toBe(true)
    await env.c.onResignation(0, 3)
    await env.c.onElection(0, 2)
    expect(env.c.isPartitionOwned(0)).toBe(false)
    expect(env.c.isPartitionLoading(0)).toBe(false)
  })
})

describe('retention, DeleteGroups and OffsetDelete', () => {
  it('expires the offsets of an empty group after the retention and removes the group with tombstones', async () => {
    const env = await setup({ offsetsRetentionMinutes: 1, offsetsRetentionCheckIntervalMs: 10_000 })
    const memberId = await stableGroup(env)
    await commit(env, { memberId, generationId: 1 })
    env.c.leaveGroup('g', [{ memberId, groupInstanceId: null, reason: null }])
    expect(env.c.group('g')?.currentState).toBe('Empty')
    await env.scheduler.advance(50_000)
    await flush()
    expect(env.c.fetchOffsets('g', false, null).partitions).toHaveLength(1)
    await env.scheduler.advance(10_000) // the group has been empty for 60s
    await flush()
    expect(env.c.group('g')).toBeUndefined()
    expect(env.c.fetchOffsets('g', false, null).partitions).toEqual([])
    const tail = env.store.records(0).slice(-2)
    expect(tail.map((r) => [decodeGroupRecordKey(r.key!).type, r.value])).toEqual([
      ['offsetCommit', null],
      ['groupMetadata', null],
    ])
  })

  it('expires simple-consumer offsets by commit time, without a group tombstone', async () => {
    const env = await setup({ offsetsRetentionMinutes: 1, offsetsRetentionCheckIntervalMs: 10_000 })
    await commit(env, { partitions: [part('t1', 0, 1)] })
    await env.scheduler.advance(30_000)
    await commit(env, { partitions: [part('t1', 1, 1)] })
    await env.scheduler.advance(30_000)
    await flush()
    expect(env.c.fetchOffsets('g', false, null).partitions.map((p) => p.partition)).toEqual([1])
    await env.scheduler.advance(30_000)
    await flush()
    expect(env.c.group('g')).toBeUndefined()
    expect(
      env.store
        .records(0)
        .slice(-1)
        .map((r) => decodeGroupRecordKey(r.key!).type),
    ).toEqual(['offsetCommit'])
  })

  it('expires only unsubscribed topics of a stable consumer group', async () => {
    const env = await setup({ offsetsRetentionMinutes: 1, offsetsRetentionCheckIntervalMs: 10_000 })
    const memberId = await stableGroup(env, ['t1'])
    await commit(env, { memberId, generationId: 1, partitions: [part('t1', 0, 1), part('t2', 0, 1)] })
    for (let i = 0; i < 14; i++) {
      await env.scheduler.advance(5000)
      env.c.heartbeat({ groupId: 'g', memberId, generationId: 1, groupInstanceId: null })
    }
    await flush()
    expect(env.c.group('g')?.currentState).toBe('Stable')
    expect(env.c.fetchOffsets('g', false, null).partitions.map((p) => p.topic)).toEqual(['t1'])
  })

  it('deletes empty groups only', async () => {
    const env = await setup()
    await stableGroup(env)
    await commit(env, { groupId: 'empty' })
    const res = await env.c.deleteGroups(['g', 'empty', 'missing', 'empty'])
    expect([...res]).toEqual([
      ['g', ErrorCode.NON_EMPTY_GROUP],
      ['empty', ErrorCode.NONE],
      ['missing', ErrorCode.GROUP_ID_NOT_FOUND],
    ])
    expect(env.c.group('empty')).toBeUndefined()
    expect(env.c.fetchOffsets('empty', false, null).partitions).toEqual([])
    expect(env.store.records(0).at(-1)).toMatchObject({ value: null })
    expect((await env.c.deleteGroups([''])).get('')).toBe(ErrorCode.GROUP_ID_NOT_FOUND)
  })

  it('deletes offsets of topics a consumer group does not subscribe to', async () => {
    const env = await setup()
    const memberId = await stableGroup(env, ['t1'])
    await commit(env, { memberId, generationId: 1, partitions: [part('t1', 0, 1), part('t2', 0, 1)] })
    const res = await env.c.deleteOffsets('g', [
      { topic: 't1', partition: 0 },
      { topic: 't2', partition: 0 },
    ])
    expect(res).toEqual({
      error: ErrorCode.NONE,
      partitions: [
        { topic: 't1', partition: 0, error: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC },
        { topic: 't2', partition: 0, error: ErrorCode.NONE },
      ],
    })
    expect(env.c.fetchOffsets('g', false, null).partitions.map((p) => p.topic)).toEqual(['t1'])
    expect((await env.c.deleteOffsets('missing', [{ topic: 't1', partition: 0 }])).error).toBe(
      ErrorCode.GROUP_ID_NOT_FOUND,
    )
    expect((await env.c.deleteOffsets('', [])).error).toBe(ErrorCode.INVALID_GROUP_ID)

    // An Empty group: everything may go, and without offsets left the group is gone too.
    await commit(env, { groupId: 'e', partitions: [part('t1', 0, 1)] })
    expect((await env.c.deleteOffsets('e', [{ topic: 't1', partition: 0 }])).partitions[0]!.error).toBe(
      ErrorCode.NONE,
    )
    expect(env.c.group('e')).toBeUndefined()
  })

  it('removes the offsets of deleted partitions from every group', async () => {
    const env = await setup()
    await commit(env, { groupId: 'a', partitions: [part('t1', 0, 1), part('t2', 0, 1)] })
    await commit(env, { groupId: 'b', partitions: [part('t1', 0, 1)] })
    await env.c.onPartitionsDeleted([{ topic: 't1', partition: 0 }])
    expect(env.c.fetchOffsets('a', false, null).partitions.map((p) => p.topic)).toEqual(['t2'])
    expect(env.c.group('b')).toBeUndefined() // an Empty group left without offsets is removed
  })

  it('clears every timer on shutdown', async () => {
    const env = await setup()
    await stableGroup(env)
    void env.c.joinGroup(joinParams({ requireKnownMemberId: true }))
    await flush()
    expect(env.scheduler.pending().length).toBeGreaterThan(0)
    await env.c.shutdown()
    expect(env.scheduler.pending().length).toBe(0)
    expect((await env.c.joinGroup(joinParams())).error).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE)
  })
})
