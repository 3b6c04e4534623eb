/**
 * Online migration between the classic and the consumer group protocol (KIP-848, Kafka 4.0's
 * group.consumer.migration.policy): a classic group joined by a consumer-protocol member becomes a consumer group
 * whose classic members keep going through JoinGroup/SyncGroup/Heartbeat/LeaveGroup, and goes back to a classic
 * group when the last consumer-protocol member leaves. Manual clock throughout.
 */
import { describe, expect, it } from 'vitest'
import { ErrorCode } from '../../../protocol/errors.js'
import { decodeAssignment, encodeAssignment } from '../../../protocol/messages/data/consumer-protocol.js'
import { decodeGroupRecordKey } from '../../../protocol/messages/data/group-metadata.js'
import type { ConsumerGroupMigrationPolicy } from '../config.js'
import { InMemoryGroupLogStore } from '../memory-log-store.js'
import { joinParams, setup, subscription, syncParams, track, type TestEnv } from '../test-helpers.js'
import type { ConsumerGroupHeartbeatParams, TopicInfo } from './coordinator.js'

const T1 = Buffer.from('t1'.padEnd(16, '~')).toString('base64url')
const topics = new Map<string, TopicInfo>([['t1', { id: T1, partitions: { size: 4 } }]])
const protocols = [{ name: 'range', metadata: subscription(['t1']) }]

async function env(
  policy: ConsumerGroupMigrationPolicy = 'bidirectional',
  store = new InMemoryGroupLogStore(),
): Promise<TestEnv> {
  return setup(
    { consumerGroupProtocolEnabled: true, consumerGroupMigrationPolicy: policy },
    store,
    () => topics,
  )
}

const assignment = (...ps: number[]): Buffer =>
  encodeAssignment({ assignedPartitions: [{ topic: 't1', partitions: ps }], userData: null })
const partitionsOf = (b: Buffer): number[] =>
  decodeAssignment(b).value.assignedPartitions.flatMap((t) => [...t.partitions])

/** Two kafkajs-like classic members A and B, Stable in generation 1 with t1-0,1 and t1-2,3; A committed t1-0. */
async function classicGroup(e: TestEnv): Promise<{ a: string; b: string }> {
  const ja = track(e.c.joinGroup(joinParams({ protocols })))
  const jb = track(e.c.joinGroup(joinParams({ protocols })))
  await e.scheduler.advance(0)
  const [ra, rb] = [await ja.promise, await jb.promise]
  const leader = ra.leaderId === ra.memberId ? ra : rb
  const other = leader === ra ? rb : ra
  const s1 = await e.c.syncGroup(
    syncParams({
      memberId: leader.memberId,
      generationId: 1,
      assignments: [
        { memberId: leader.memberId, assignment: assignment(0, 1) },
        { memberId: other.memberId, assignment: assignment(2, 3) },
      ],
    }),
  )
  const s2 = await e.c.syncGroup(syncParams({ memberId: other.memberId, generationId: 1 }))
  expect([s1.error, s2.error]).toEqual([ErrorCode.NONE, ErrorCode.NONE])
  const commit = await e.c.commitOffsets({
    groupId: 'g',
    memberId: leader.memberId,
    groupInstanceId: null,
    generationId: 1,
    retentionTimeMs: -1,
    partitions: [
      { topic: 't1', partition: 0, offset: 42, leaderEpoch: -1, metadata: null, commitTimestamp: -1 },
    ],
  })
  expect(commit.map((r) => r.error)).toEqual([ErrorCode.NONE])
  return { a: leader.memberId, b: other.memberId }
}

const hb = (over: Partial<ConsumerGroupHeartbeatParams>): ConsumerGroupHeartbeatParams => ({
  apiVersion: 1,
  groupId: 'g',
  memberId: 'c1',
  memberEpoch: 0,
  instanceId: null,
  rackId: null,
  rebalanceTimeoutMs: 30_000,
  subscribedTopicNames: ['t1'],
  subscribedTopicRegex: null,
  serverAssignor: null,
  topicPartitions: [],
  clientId: 'consumer',
  clientHost: '/127.0.0.1',
  ...over,
})

/** A classic member rejoining (JoinGroup then SyncGroup) inside the consumer group: its partitions. */
async function rejoin(e: TestEnv, memberId: string): Promise<{ generation: number; partitions: number[] }> {
  const j = await e.c.joinGroup(joinParams({ memberId, protocols }))
  expect(j).toMatchObject({
    error: ErrorCode.NONE,
    memberId,
    leaderId: '',
    protocolName: 'range',
    members: [],
  })
  const s = await e.c.syncGroup(syncParams({ memberId, generationId: j.generationId, protocolName: 'range' }))
  expect(s.error).toBe(ErrorCode.NONE)
  return { generation: j.generationId, partitions: partitionsOf(s.assignment) }
}

const committed = (e: TestEnv): number[] => e.c.fetchOffsets('g', false, null).partitions.map((p) => p.offset)

describe('online migration (group.consumer.migration.policy)', () => {
  it('upgrade: the classic group becomes a consumer group; its members rejoin and every partition has one owner', async () => {
    const e = await env()
    const { a, b } = await classicGroup(e)
    const recordsBefore = e.store.records(0).length
    const r = await e.c.consumerGroupHeartbeat(hb({}))
    expect(r.errorCode).toBe(ErrorCode.NONE)
    expect(r.memberEpoch).toBe(2) // the classic generation 1, bumped by the joining member
    // the classic members' partitions are still theirs: c1 gets nothing until they rejoin
    expect(r.assignment?.topicPartitions).toEqual([])
    expect(e.c.group('g')?.size).toBe(0) // the classic entry only keeps the offsets
    expect(committed(e)).toEqual([42])
    // the classic group's tombstone goes first, then the consumer group's records
    const written = e.store.records(0).slice(recordsBefore)
    expect(decodeGroupRecordKey(written[0]!.key!).version).toBe(2)
    expect(written[0]!.value).toBeNull()
    const d = e.c.consumerGroupDescribe(['g'])[0]!
    expect(d.members.map((m) => [m.memberId, m.memberType]).sort()).toEqual(
      [
        [a, 0],
        [b, 0],
        ['c1', 1],
      ].sort(),
    )

    // the classic members are told to rejoin; a stale generation is ILLEGAL_GENERATION
    expect(e.c.heartbeat({ groupId: 'g', memberId: a, generationId: 1, groupInstanceId: null })).toBe(
      ErrorCode.REBALANCE_IN_PROGRESS,
    )
    expect(e.c.heartbeat({ groupId: 'g', memberId: a, generationId: 7, groupInstanceId: null })).toBe(
      ErrorCode.ILLEGAL_GENERATION,
    )
    expect(e.c.heartbeat({ groupId: 'g', memberId: 'nope', generationId: 1, groupInstanceId: null })).toBe(
      ErrorCode.UNKNOWN_MEMBER_ID,
    )
    const ra = await rejoin(e, a)
    const rb = await rejoin(e, b)
    expect([ra.generation, rb.generation]).toEqual([2, 2])
    expect(e.c.heartbeat({ groupId: 'g', memberId: a, generationId: 2, groupInstanceId: null })).toBe(
      ErrorCode.NONE,
    )
    const again = await e.c.consumerGroupHeartbeat(hb({ memberEpoch: 2, topicPartitions: [] }))
    const mine = again.assignment?.topicPartitions.flatMap((t) => t.partitions) ?? []
    const all = [...ra.partitions, ...rb.partitions, ...mine].sort()
    expect(all).toEqual([0, 1, 2, 3])
    expect(mine.length).toBeGreaterThan(0)
    // a classic member commits with its generation (the member epoch)
    const commit = (generationId: number) =>
      e.c.commitOffsets({
        groupId: 'g',
        memberId: a,
        groupInstanceId: null,
        generationId,
        retentionTimeMs: -1,
        partitions: [
          {
            topic: 't1',
            partition: ra.partitions[0]!,
            offset: 7,
            leaderEpoch: -1,
            metadata: null,
            commitTimestamp: -1,
          },
        ],
      })
    expect((await commit(1)).map((x) => x.error)).toEqual([ErrorCode.ILLEGAL_GENERATION])
    expect((await commit(2)).map((x) => x.error)).toEqual([ErrorCode.NONE])
  })

  it('disabled: a consumer member cannot join a classic group; a classic member still joins a consumer group', async () => {
    const e = await env('disabled')
    await classicGroup(e)
    const r = await e.c.consumerGroupHeartbeat(hb({}))
    expect([r.errorCode, r.errorMessage]).toEqual([
      ErrorCode.GROUP_ID_NOT_FOUND,
      'Group g is not a consumer group.',
    ])

    const r2 = await e.c.consumerGroupHeartbeat(hb({ groupId: 'cg' }))
    expect(r2.errorCode).toBe(ErrorCode.NONE)
    const j = await e.c.joinGroup(joinParams({ groupId: 'cg', protocols }))
    expect(j).toMatchObject({ error: ErrorCode.NONE, generationId: 2, leaderId: '' })
    const wrong = await e.c.joinGroup(joinParams({ groupId: 'cg', protocolType: 'connect', protocols }))
    expect(wrong.error).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    // a subscription that does not decode: Kafka's IllegalStateException, answered UNKNOWN_SERVER_ERROR
    const garbage = [{ name: 'range', metadata: Buffer.from([0, 9, 0xff]) }]
    const malformed = await e.c.joinGroup(joinParams({ groupId: 'cg', protocols: garbage }))
    expect(malformed.error).toBe(ErrorCode.UNKNOWN_SERVER_ERROR)
    // v4+ handshake: MEMBER_ID_REQUIRED with the member id to come back with
    const first = await e.c.joinGroup(joinParams({ groupId: 'cg', requireKnownMemberId: true, protocols }))
    expect(first.error).toBe(ErrorCode.MEMBER_ID_REQUIRED)
    expect(first.memberId).not.toBe('')
    // the consumer member leaves: under `disabled` the classic member keeps the consumer group
    await e.c.consumerGroupHeartbeat(hb({ groupId: 'cg', memberId: r2.memberId!, memberEpoch: -1 }))
    expect(e.c.consumerGroupDescribe(['cg'])[0]!.members).toHaveLength(1)
  })

  it('downgrade: when the last consumer member leaves, the classic members rebalance as a classic group', async () => {
    const e = await env()
    const { a, b } = await classicGroup(e)
    await e.c.consumerGroupHeartbeat(hb({}))
    await rejoin(e, a)
    await rejoin(e, b)
    const leave = await e.c.consumerGroupHeartbeat(hb({ memberEpoch: -1 }))
    expect(leave.errorCode).toBe(ErrorCode.NONE)
    expect(e.c.consumerGroupDescribe(['g'])[0]!.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND)
    const g = e.c.group('g')!
    expect(g.currentState).toBe('PreparingRebalance')
    expect(g.allMembers.sort()).toEqual([a, b].sort())
    expect(committed(e)).toEqual([42])
    // the classic rebalance: both rejoin, the leader assigns, both sync
    const ja = track(e.c.joinGroup(joinParams({ memberId: a, protocols })))
    const jb = track(e.c.joinGroup(joinParams({ memberId: b, protocols })))
    await e.scheduler.advance(0)
    const [ra, rb] = [await ja.promise, await jb.promise]
    expect([ra.error, rb.error, ra.generationId]).toEqual([ErrorCode.NONE, ErrorCode.NONE, 3]) // group epoch 2, then the rebalance
    expect(ra.leaderId).toBe(rb.leaderId)
    expect(g.currentState).toBe('CompletingRebalance')
  })

  it('upgrade only: the group stays a consumer group when the consumer members are gone', async () => {
    const e = await env('upgrade')
    const { a } = await classicGroup(e)
    await e.c.consumerGroupHeartbeat(hb({}))
    await e.c.consumerGroupHeartbeat(hb({ memberEpoch: -1 }))
    expect(e.c.consumerGroupDescribe(['g'])[0]!.members.map((m) => m.memberType)).toEqual([0, 0])
    expect(e.c.heartbeat({ groupId: 'g', memberId: a, generationId: 1, groupInstanceId: null })).toBe(
      ErrorCode.REBALANCE_IN_PROGRESS,
    )
  })

  it('classic members inside a consumer group: their own session timeout, join timeout and LeaveGroup', async () => {
    const e = await env('upgrade')
    const { a, b } = await classicGroup(e) // session timeout 10 s (joinParams)
    await e.c.consumerGroupHeartbeat(hb({}))
    await rejoin(e, a)
    // b does not rejoin after being told to: fenced after its rebalance timeout (60 s)... but first its session
    // (10 s) runs out, as it sends no heartbeat either
    await e.scheduler.advance(9_000)
    await e.c.consumerGroupHeartbeat(hb({ memberEpoch: 3, topicPartitions: null, rebalanceTimeoutMs: -1 }))
    expect(e.c.heartbeat({ groupId: 'g', memberId: a, generationId: 2, groupInstanceId: null })).not.toBe(
      ErrorCode.UNKNOWN_MEMBER_ID,
    )
    await e.scheduler.advance(1_500)
    const ids = e.c.consumerGroupDescribe(['g'])[0]!.members.map((m) => m.memberId)
    expect(ids).not.toContain(b)
    expect(ids).toContain(a)
    // LeaveGroup by member id: gone, the group epoch bumped
    const epoch = e.c.consumerGroupDescribe(['g'])[0]!.groupEpoch
    const l = await e.c.leaveGroupAsync('g', [
      { memberId: a, groupInstanceId: null, reason: null },
      { memberId: 'nope', groupInstanceId: null, reason: null },
    ])
    expect(l.members.map((m) => m.error)).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID])
    const d = e.c.consumerGroupDescribe(['g'])[0]!
    expect(d.members.map((m) => m.memberId)).toEqual(['c1'])
    expect(d.groupEpoch).toBe(epoch + 1)
  })

  it('a new coordinator replays a migrated group with its classic members', async () => {
    const store = new InMemoryGroupLogStore()
    const e = await env('bidirectional', store)
    const { a } = await classicGroup(e)
    await e.c.consumerGroupHeartbeat(hb({}))
    const ra = await rejoin(e, a)
    await e.c.shutdown()
    const e2 = await env('bidirectional', store)
    const d = e2.c.consumerGroupDescribe(['g'])[0]!
    expect(d.errorCode).toBe(ErrorCode.NONE)
    expect(d.members.map((m) => m.memberType).sort()).toEqual([0, 0, 1])
    expect(e2.c.group('g')?.size ?? 0).toBe(0) // the classic group's tombstone
    expect(committed(e2)).toEqual([42])
    // the classic member carries on with its generation, within its own session timeout (10 s, not 45 s)
    expect(
      e2.c.heartbeat({ groupId: 'g', memberId: a, generationId: ra.generation, groupInstanceId: null }),
    ).toBe(ErrorCode.NONE)
    const s = await e2.c.syncGroup(syncParams({ memberId: a, generationId: ra.generation }))
    expect(partitionsOf(s.assignment)).toEqual(ra.partitions)
    await e2.scheduler.advance(10_001)
    expect(e2.c.consumerGroupDescribe(['g'])[0]!.members.map((m) => m.memberId)).not.toContain(a)
  })
  it('a failed write of the upgrade rolls both sides back: the classic group is back with its members', async () => {
    const e = await env()
    const { a, b } = await classicGroup(e)
    e.store.failNextAppends(ErrorCode.NOT_LEADER_OR_FOLLOWER)
    const r = await e.c.consumerGroupHeartbeat(hb({}))
    expect(r.errorCode).toBe(ErrorCode.NOT_COORDINATOR)
    expect(e.c.consumerGroupDescribe(['g'])[0]!.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND)
    const g = e.c.group('g')!
    expect([g.currentState, g.generationId, g.allMembers.sort()]).toEqual(['Stable', 1, [a, b].sort()])
    expect(e.c.heartbeat({ groupId: 'g', memberId: a, generationId: 1, groupInstanceId: null })).toBe(
      ErrorCode.NONE,
    )
    const s = await e.c.syncGroup(syncParams({ memberId: b, generationId: 1 }))
    expect(partitionsOf(s.assignment)).toEqual([2, 3])
    expect(committed(e)).toEqual([42])
    // their sessions run again: b, silent, expires and the group rebalances
    await e.scheduler.advance(10_001)
    expect(g.allMembers).not.toContain(b)
    // the next heartbeat upgrades the group
    const again = await e.c.consumerGroupHeartbeat(hb({}))
    expect(again.errorCode).toBe(ErrorCode.NONE)
    expect(e.c.group('g')?.size ?? 0).toBe(0)
  })

  it('a failed write of the downgrade rolls both sides back: the consumer group is back, the classic one gone', async () => {
    const e = await env()
    const { a, b } = await classicGroup(e)
    await e.c.consumerGroupHeartbeat(hb({}))
    const ra = await rejoin(e, a)
    await rejoin(e, b)
    e.store.failNextAppends(ErrorCode.NOT_LEADER_OR_FOLLOWER)
    const leave = await e.c.consumerGroupHeartbeat(hb({ memberEpoch: -1 }))
    expect(leave.errorCode).toBe(ErrorCode.NOT_COORDINATOR)
    const d = e.c.consumerGroupDescribe(['g'])[0]!
    expect(d.errorCode).toBe(ErrorCode.NONE)
    expect(d.members.map((m) => m.memberId).sort()).toEqual([a, b, 'c1'].sort())
    expect(e.c.group('g')?.size ?? 0).toBe(0) // the classic entry only keeps the offsets again
    expect(e.c.group('g')?.currentState).toBe('Empty')
    expect(committed(e)).toEqual([42])
    expect(
      e.c.heartbeat({ groupId: 'g', memberId: a, generationId: ra.generation, groupInstanceId: null }),
    ).toBe(ErrorCode.NONE)
    // the leave, retried, downgrades the group
    const again = await e.c.consumerGroupHeartbeat(hb({ memberEpoch: -1 }))
    expect(again.errorCode).toBe(ErrorCode.NONE)
    expect(e.c.consumerGroupDescribe(['g'])[0]!.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND)
    expect(e.c.group('g')!.allMembers.sort()).toEqual([a, b].sort())
  })
  it('downgrade when a classic static member replaces the last consumer-protocol static member', async () => {
    const staticGroup = async (policy: ConsumerGroupMigrationPolicy) => {
      const e = await env(policy)
      const { a, b } = await classicGroup(e)
      await e.c.consumerGroupHeartbeat(hb({ instanceId: 'i1' }))
      await rejoin(e, a)
      await rejoin(e, b)
      const c1 = await e.c.consumerGroupHeartbeat(hb({ instanceId: 'i1', memberEpoch: 2 }))
      const mine = c1.assignment?.topicPartitions.flatMap((t) => t.partitions) ?? []
      expect(mine.length).toBeGreaterThan(0)
      const j = await e.c.joinGroup(joinParams({ groupInstanceId: 'i1', protocols }))
      expect(j).toMatchObject({
        error: ErrorCode.NONE,
        generationId: c1.memberEpoch,
        leaderId: '',
        members: [],
      })
      expect(j.memberId).not.toBe('c1')
      return { e, a, b, j, mine }
    }
    const { e, a, b, j, mine } = await staticGroup('bidirectional')
    expect(e.c.consumerGroupDescribe(['g'])[0]!.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND)
    const g = e.c.group('g')!
    // no rebalance: the joining member took the replaced member's assignment
    expect([g.currentState, g.allMembers.sort()]).toEqual(['Stable', [a, b, j.memberId].sort()])
    const s = await e.c.syncGroup(syncParams({ memberId: j.memberId, generationId: j.generationId }))
    expect([s.error, partitionsOf(s.assignment).sort()]).toEqual([ErrorCode.NONE, [...mine].sort()])
    expect(committed(e)).toEqual([42])

    // the policy does not allow a downgrade: the member replaces c1 inside the consumer group
    const u = await staticGroup('upgrade')
    const d = u.e.c.consumerGroupDescribe(['g'])[0]!
    expect(d.members.map((m) => [m.memberId, m.memberType]).sort()).toEqual(
      [
        [u.a, 0],
        [u.b, 0],
        [u.j.memberId, 0],
      ].sort(),
    )
  })
})
