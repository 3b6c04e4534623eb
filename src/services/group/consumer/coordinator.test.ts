import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ErrorCode } from '../../../protocol/errors.js'
import { ManualClock, ManualScheduler } from '../../../util/scheduler.js'
import { decodeGroupRecordKey } from '../../../protocol/messages/data/group-metadata.js'
import { GroupCoordinator } from '../coordinator.js'
import { InMemoryGroupLogStore } from '../memory-log-store.js'
import { joinParams } from '../test-helpers.js'
import type {
  ConsumerGroupHeartbeatParams,
  ConsumerGroupHeartbeatResult,
  TopicPartitions,
} from './coordinator.js'

/** A topic's id (a real Uuid: the records carry it as one), readable back with `label`. */
const topicId = (name: string): string => Buffer.from(name.padEnd(16, '~').slice(0, 16)).toString('base64url')
const label = (id: string): string => `id-${Buffer.from(id, 'base64url').toString().replace(/~+$/, '')}`

interface Topic {
  readonly id: string
  readonly partitions: { readonly size: number }
}

async function setup(
  config: Record<string, unknown> = {},
  store = new InMemoryGroupLogStore(),
  topics = new Map<string, Topic>(),
) {
  const clock = new ManualClock()
  const scheduler = new ManualScheduler(clock)
  const c = new GroupCoordinator({
    config: { brokerId: 1, offsetsTopicNumPartitions: 1, consumerGroupProtocolEnabled: true, ...config },
    logStore: store,
    scheduler,
    topics: () => topics,
  })
  c.startup()
  await c.onElection(0, 0)
  await scheduler.advance(0)
  const addTopic = (name: string, n: number): void => {
    topics.set(name, { id: topics.get(name)?.id ?? topicId(name), partitions: { size: n } })
  }
  return { c, scheduler, topics, addTopic, store }
}

const hb = (over: Partial<ConsumerGroupHeartbeatParams>): ConsumerGroupHeartbeatParams => ({
  apiVersion: 1,
  groupId: 'g',
  memberId: 'm1',
  memberEpoch: 0,
  instanceId: null,
  rackId: null,
  rebalanceTimeoutMs: 30_000,
  subscribedTopicNames: null,
  subscribedTopicRegex: null,
  serverAssignor: null,
  topicPartitions: null,
  clientId: 'client',
  clientHost: '/127.0.0.1',
  ...over,
})

const parts = (r: ConsumerGroupHeartbeatResult): string[] =>
  (r.assignment?.topicPartitions ?? []).flatMap((t) => t.partitions.map((p) => `${label(t.topicId)}-${p}`))

/** A well-behaved client: owns what it was last given, gives up revoked partitions at once. */
class Client {
  epoch = 0
  owned: TopicPartitions[] = []
  constructor(
    /** The coordinator it talks to (a fail-over changes it). */
    public c: GroupCoordinator,
    readonly memberId: string,
    readonly extra: Partial<ConsumerGroupHeartbeatParams> = { subscribedTopicNames: ['a', 'b'] },
  ) {}
  async beat(over: Partial<ConsumerGroupHeartbeatParams> = {}): Promise<ConsumerGroupHeartbeatResult> {
    const first = this.epoch === 0
    const r = await this.c.consumerGroupHeartbeat(
      hb({
        memberId: this.memberId,
        memberEpoch: this.epoch,
        topicPartitions: first ? [] : this.owned,
        ...(first ? this.extra : { rebalanceTimeoutMs: -1 }),
        ...over,
      }),
    )
    if (r.errorCode === ErrorCode.NONE) {
      this.epoch = r.memberEpoch
      if (r.assignment !== null) this.owned = r.assignment.topicPartitions
    }
    return r
  }
  ownedKeys(): string[] {
    return this.owned.flatMap((t) => t.partitions.map((p) => `${label(t.topicId)}-${p}`))
  }
}

describe('ConsumerGroupHeartbeat', () => {
  it('validates requests as Kafka', async () => {
    const { c } = await setup()
    const err = async (p: Partial<ConsumerGroupHeartbeatParams>) => {
      const r = await c.consumerGroupHeartbeat(hb(p))
      return [r.errorCode, r.errorMessage]
    }
    expect(await err({ groupId: '' })).toEqual([ErrorCode.INVALID_REQUEST, "GroupId can't be empty."])
    expect(await err({ memberId: '' })).toEqual([ErrorCode.INVALID_REQUEST, "MemberId can't be empty."])
    expect((await err({ rebalanceTimeoutMs: -1, subscribedTopicNames: ['a'], topicPartitions: [] }))[1]).toBe(
      'RebalanceTimeoutMs must be provided in first request.',
    )
    expect((await err({ subscribedTopicNames: ['a'] }))[1]).toBe(
      'TopicPartitions must be empty when (re-)joining.',
    )
    expect((await err({ topicPartitions: [] }))[1]).toBe(
      'SubscribedTopicNames or SubscribedTopicRegex must be set in first request.',
    )
    expect((await err({ memberEpoch: -2, topicPartitions: [] }))[1]).toBe("InstanceId can't be null.")
    expect((await err({ memberEpoch: -3 }))[1]).toBe('MemberEpoch is invalid.')
    expect(
      (await err({ topicPartitions: [], subscribedTopicNames: ['a'], subscribedTopicRegex: 'a.*' }))[1],
    ).toBe('SubscribedTopicNames and SubscribedTopicRegex cannot be used together.')
    expect((await err({ topicPartitions: [], subscribedTopicRegex: '(?<=a)b' }))[0]).toBe(
      ErrorCode.INVALID_REGULAR_EXPRESSION,
    )
    expect(await err({ topicPartitions: [], subscribedTopicNames: ['a'], serverAssignor: 'sticky' })).toEqual(
      [
        ErrorCode.UNSUPPORTED_ASSIGNOR,
        'ServerAssignor sticky is not supported. Supported assignors: uniform, range.',
      ],
    )
    expect(await err({ memberEpoch: 5, topicPartitions: [] })).toEqual([
      ErrorCode.GROUP_ID_NOT_FOUND,
      'Consumer group g not found.',
    ])
    // v0 lets the coordinator pick the member id
    const v0 = await c.consumerGroupHeartbeat(
      hb({ apiVersion: 0, memberId: '', topicPartitions: [], subscribedTopicNames: ['a'] }),
    )
    expect(v0.errorCode).toBe(ErrorCode.NONE)
    expect(v0.memberId).toMatch(/^[A-Za-z0-9_-]{22}$/)
  })

  it('sends the assignment on a full request and when it changed, as Kafka', async () => {
    const { c, addTopic } = await setup()
    addTopic('a', 2)
    const m1 = new Client(c, 'm1', { subscribedTopicNames: ['a'] })
    expect(parts(await m1.beat())).toEqual(['id-a-0', 'id-a-1'])
    // a heartbeat with only what changed: nothing changed, so no assignment
    expect((await m1.beat()).assignment).toBeNull()
    // a full request (rebalance timeout, subscription and owned partitions all set) always gets it, even when
    // the owned partitions match: a client that lost a response recovers from its next full heartbeat
    const full = { rebalanceTimeoutMs: 30_000, subscribedTopicNames: ['a'] }
    expect(parts(await m1.beat(full))).toEqual(['id-a-0', 'id-a-1'])
    expect(parts(await m1.beat({ ...full, topicPartitions: [] }))).toEqual(['id-a-0', 'id-a-1'])
    expect((await m1.beat({ subscribedTopicNames: ['a'] })).assignment).toBeNull()
    // a changed assignment is sent on a partial heartbeat too
    addTopic('a', 3)
    expect(parts(await m1.beat())).toEqual(['id-a-0', 'id-a-1', 'id-a-2'])
  })

  it('three members join and leave; partitions move only after they were revoked', async () => {
    const { c, addTopic } = await setup()
    addTopic('a', 4)
    addTopic('b', 2)
    const m1 = new Client(c, 'm1')
    const r1 = await m1.beat()
    expect([r1.memberEpoch, r1.heartbeatIntervalMs]).toEqual([1, 5000])
    expect(parts(r1).sort()).toEqual(['id-a-0', 'id-a-1', 'id-a-2', 'id-a-3', 'id-b-0', 'id-b-1'])
    expect(c.consumerGroupDescribe(['g'])[0]?.groupState).toBe('Stable')

    const m2 = new Client(c, 'm2')
    const r2 = await m2.beat()
    // m1 still owns everything: m2 is at the new epoch but gets nothing yet
    expect(r2.memberEpoch).toBe(2)
    expect(parts(r2)).toEqual([])
    expect(c.consumerGroupDescribe(['g'])[0]?.groupState).toBe('Reconciling')
    // m1 is told to revoke; keeps its epoch until it has
    const r1b = await m1.beat()
    expect(r1b.memberEpoch).toBe(1)
    expect(parts(r1b)).toHaveLength(3)
    const r1c = await m1.beat()
    expect(r1c.memberEpoch).toBe(2)
    expect((await m2.beat()).assignment?.topicPartitions.length).toBeGreaterThan(0)
    expect(m1.ownedKeys()).toHaveLength(3)
    expect(m2.ownedKeys()).toHaveLength(3)
    expect(c.consumerGroupDescribe(['g'])[0]?.groupState).toBe('Stable')

    const m3 = new Client(c, 'm3')
    await m3.beat()
    for (let i = 0; i < 3; i++) for (const m of [m1, m2, m3]) await m.beat()
    expect([m1, m2, m3].map((m) => m.ownedKeys().length)).toEqual([2, 2, 2])
    expect([m1, m2, m3].map((m) => m.epoch)).toEqual([3, 3, 3])

    // m2 leaves: epoch -1, the others share its partitions at the next epoch
    const leave = await c.consumerGroupHeartbeat(hb({ memberId: 'm2', memberEpoch: -1 }))
    expect([leave.errorCode, leave.memberId, leave.memberEpoch]).toEqual([0, 'm2', -1])
    for (let i = 0; i < 2; i++) for (const m of [m1, m3]) await m.beat()
    expect([m1, m3].map((m) => m.ownedKeys().length)).toEqual([3, 3])
    expect(new Set([...m1.ownedKeys(), ...m3.ownedKeys()]).size).toBe(6)
    const d = c.consumerGroupDescribe(['g'])[0]
    expect([d?.groupState, d?.groupEpoch, d?.assignmentEpoch, d?.assignorName]).toEqual([
      'Stable',
      4,
      4,
      'uniform',
    ])
    expect(d?.members.map((m) => m.memberId).sort()).toEqual(['m1', 'm3'])
    expect(d?.members[0]?.assignment.topicPartitions[0]?.topicName).toMatch(/^[ab]$/)
  })

  it('fences stale and unknown members', async () => {
    const { c, addTopic } = await setup()
    addTopic('a', 2)
    const m1 = new Client(c, 'm1')
    await m1.beat()
    const m2 = new Client(c, 'm2')
    await m2.beat()
    const ahead = await c.consumerGroupHeartbeat(hb({ memberId: 'm1', memberEpoch: 9, topicPartitions: [] }))
    expect(ahead.errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH)
    expect(ahead.errorMessage).toContain('greater member epoch (9)')
    expect(
      (await c.consumerGroupHeartbeat(hb({ memberId: 'zz', memberEpoch: 1, topicPartitions: [] }))).errorCode,
    ).toBe(ErrorCode.UNKNOWN_MEMBER_ID)
    // m1 revokes and moves to epoch 2; a heartbeat with the previous epoch is fine while it owns no more than
    // it is assigned (the response may have been lost), not when it claims more
    await m1.beat()
    await m1.beat()
    expect(m1.epoch).toBe(2)
    const lost = await c.consumerGroupHeartbeat(
      hb({ memberId: 'm1', memberEpoch: 1, topicPartitions: m1.owned }),
    )
    expect(lost.errorCode).toBe(ErrorCode.NONE)
    expect(lost.memberEpoch).toBe(2)
    const stale = await c.consumerGroupHeartbeat(
      hb({
        memberId: 'm1',
        memberEpoch: 1,
        topicPartitions: [{ topicId: topicId('a'), partitions: [0, 1] }],
      }),
    )
    expect(stale.errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH)
    // a fenced member rejoins with epoch 0 and gets its assignment again
    const rejoin = await c.consumerGroupHeartbeat(
      hb({ memberId: 'm1', memberEpoch: 0, topicPartitions: [], subscribedTopicNames: ['a', 'b'] }),
    )
    expect([rejoin.errorCode, rejoin.memberEpoch]).toEqual([0, 2])
    expect(rejoin.assignment).not.toBeNull()
  })

  it('expires sessions and fences members that do not revoke in time', async () => {
    const { c, scheduler, addTopic } = await setup()
    addTopic('a', 2)
    const m1 = new Client(c, 'm1')
    await m1.beat({ rebalanceTimeoutMs: 10_000 })
    await scheduler.advance(40_000)
    await m1.beat()
    const m2 = new Client(c, 'm2')
    await m2.beat()
    await m1.beat() // told to revoke one partition
    expect(c.consumerGroupDescribe(['g'])[0]?.members.length).toBe(2)
    // m1 keeps heartbeating while still claiming the revoked partition: fenced after its rebalance timeout
    for (let i = 0; i < 3; i++) {
      await scheduler.advance(4000)
      const keep = await c.consumerGroupHeartbeat(
        hb({
          memberId: 'm1',
          memberEpoch: 1,
          topicPartitions: [{ topicId: topicId('a'), partitions: [0, 1] }],
        }),
      )
      expect(keep.errorCode).toBe(i < 2 ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID)
      await m2.beat()
    }
    expect(c.consumerGroupDescribe(['g'])[0]?.members.map((m) => m.memberId)).toEqual(['m2'])
    await m2.beat()
    expect(m2.ownedKeys().sort()).toEqual(['id-a-0', 'id-a-1'])
    // m2 stops heartbeating: gone after group.consumer.session.timeout.ms
    await scheduler.advance(44_999)
    expect(c.consumerGroupDescribe(['g'])[0]?.members).toHaveLength(1)
    await scheduler.advance(1)
    const d = c.consumerGroupDescribe(['g'])[0]
    expect([d?.groupState, d?.members.length]).toEqual(['Empty', 0])
  })

  it('static members: temporary leave, take-over, unreleased and fenced instance ids', async () => {
    const { c, scheduler, addTopic } = await setup()
    addTopic('a', 2)
    const s1 = new Client(c, 's1', { subscribedTopicNames: ['a'], instanceId: 'i1' })
    await s1.beat()
    const s1epoch = s1.epoch
    const other = await c.consumerGroupHeartbeat(
      hb({ memberId: 'x', instanceId: 'i1', topicPartitions: [], subscribedTopicNames: ['a'] }),
    )
    expect(other.errorCode).toBe(ErrorCode.UNRELEASED_INSTANCE_ID)
    const leave = await c.consumerGroupHeartbeat(hb({ memberId: 's1', memberEpoch: -2, instanceId: 'i1' }))
    expect([leave.errorCode, leave.memberEpoch]).toEqual([0, -2])
    // the group epoch does not move: the assignment waits for the member to come back
    expect(c.consumerGroupDescribe(['g'])[0]?.groupEpoch).toBe(1)
    const back = await c.consumerGroupHeartbeat(
      hb({ memberId: 's1-new', instanceId: 'i1', topicPartitions: [], subscribedTopicNames: ['a'] }),
    )
    expect([back.errorCode, back.memberEpoch, parts(back).sort()]).toEqual([0, s1epoch, ['id-a-0', 'id-a-1']])
    expect(c.consumerGroupDescribe(['g'])[0]?.groupEpoch).toBe(1)
    const old = await c.consumerGroupHeartbeat(
      hb({ memberId: 's1', memberEpoch: 1, instanceId: 'i1', topicPartitions: [] }),
    )
    expect(old.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID)
    // a static member that left temporarily and never comes back is removed after the session timeout
    await c.consumerGroupHeartbeat(hb({ memberId: 's1-new', memberEpoch: -2, instanceId: 'i1' }))
    await scheduler.advance(45_000)
    expect(c.consumerGroupDescribe(['g'])[0]?.groupState).toBe('Empty')
  })

  it('follows topics created, grown and matched by a regular expression', async () => {
    const { c, addTopic } = await setup()
    addTopic('orders-eu', 1)
    addTopic('other', 1)
    addTopic('__consumer_offsets', 1)
    const m = new Client(c, 'm1', { subscribedTopicRegex: 'orders-.*|__consumer.*' })
    expect(parts(await m.beat())).toEqual(['id-orders-eu-0'])
    addTopic('orders-us', 2)
    addTopic('orders-eu', 2)
    const r = await m.beat()
    expect(r.memberEpoch).toBe(2)
    expect(parts(r).sort()).toEqual(['id-orders-eu-0', 'id-orders-eu-1', 'id-orders-us-0', 'id-orders-us-1'])
    expect(c.consumerGroupDescribe(['g'])[0]?.members[0]?.subscribedTopicRegex).toBe('orders-.*|__consumer.*')
  })

  it("narrows a regular expression to the topics each member's principal may describe", async () => {
    const { c, addTopic } = await setup()
    addTopic('orders-eu', 1)
    addTopic('orders-us', 1)
    const euOnly = { topicDescribable: (name: string) => name === 'orders-eu' }
    const m1 = new Client(c, 'm1', { subscribedTopicRegex: 'orders-.*', ...euOnly })
    expect(parts(await m1.beat(euOnly))).toEqual(['id-orders-eu-0'])
    // the same expression for a principal allowed everything brings orders-us in, for that member only
    const m2 = new Client(c, 'm2', { subscribedTopicRegex: 'orders-.*' })
    expect(parts(await m2.beat())).toEqual(['id-orders-us-0'])
    await m1.beat(euOnly)
    expect(m1.ownedKeys()).toEqual(['id-orders-eu-0'])
    // the grant taken away: orders-us leaves the group's subscription once m2 heartbeats with it
    await m2.beat(euOnly)
    const targets = (c.consumerGroupDescribe(['g'])[0]?.members ?? []).map((m) =>
      m.targetAssignment.topicPartitions.map((t) => `${t.topicName}-${t.partitions.join(',')}`),
    )
    expect(targets).toEqual([['orders-eu-0'], []])
  })

  it('caps the group at group.consumer.max.size and picks the assignor most members ask for', async () => {
    const { c, addTopic } = await setup({ consumerGroupMaxSize: 2 })
    addTopic('a', 3)
    await new Client(c, 'm1', { subscribedTopicNames: ['a'], serverAssignor: 'range' }).beat()
    await new Client(c, 'm2', { subscribedTopicNames: ['a'], serverAssignor: 'range' }).beat()
    const r = await new Client(c, 'm3').beat()
    expect([r.errorCode, r.errorMessage]).toEqual([
      ErrorCode.GROUP_MAX_SIZE_REACHED,
      'The consumer group has reached its maximum capacity of 2 members.',
    ])
    expect(c.consumerGroupDescribe(['g'])[0]?.assignorName).toBe('range')
  })

  it('shares the group namespace with classic groups', async () => {
    const { c, addTopic } = await setup({ consumerGroupMigrationPolicy: 'disabled' })
    addTopic('a', 1)
    await new Client(c, 'm1').beat()
    // a classic member joining a non-empty consumer group is served by it (migration.test.ts)
    const j = await c.joinGroup(joinParams({ groupId: 'g', protocolType: 'connect' }))
    expect(j.error).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    void c.joinGroup(joinParams({ groupId: 'classic' }))
    const r = await c.consumerGroupHeartbeat(
      hb({ groupId: 'classic', topicPartitions: [], subscribedTopicNames: ['a'] }),
    )
    expect([r.errorCode, r.errorMessage]).toEqual([
      ErrorCode.GROUP_ID_NOT_FOUND,
      'Group classic is not a consumer group.',
    ])
    const d = c.consumerGroupDescribe(['classic', 'nope'])
    expect(d.map((x) => [x.errorCode, x.errorMessage])).toEqual([
      [ErrorCode.GROUP_ID_NOT_FOUND, 'Group classic is not a consumer group.'],
      [ErrorCode.GROUP_ID_NOT_FOUND, 'Group nope not found.'],
    ])
    const all = c.listGroups([], [])
    expect(all.groups.map((g) => [g.groupId, g.groupType, g.protocolType]).sort()).toEqual([
      ['classic', 'classic', 'consumer'],
      ['g', 'consumer', 'consumer'],
    ])
    expect(c.listGroups([], ['consumer']).groups.map((g) => g.groupId)).toEqual(['g'])
    expect(c.listGroups(['stable'], ['consumer']).groups.map((g) => g.groupId)).toEqual(['g'])
    expect(c.listGroups(['empty'], ['consumer']).groups).toEqual([])
  })

  it('commits and fetches offsets with member epochs (OffsetCommit/OffsetFetch v9)', async () => {
    const { c, addTopic } = await setup()
    addTopic('a', 2)
    const m1 = new Client(c, 'm1')
    await m1.beat()
    const commit = (memberId: string, generationId: number, apiVersion = 9) =>
      c
        .commitOffsets({
          groupId: 'g',
          memberId,
          groupInstanceId: null,
          generationId,
          retentionTimeMs: -1,
          partitions: [
            { topic: 'a', partition: 0, offset: 42, leaderEpoch: -1, metadata: '', commitTimestamp: -1 },
          ],
          apiVersion,
        })
        .then((r) => r.map((x) => x.error))
    expect(await commit('m1', 1)).toEqual([ErrorCode.NONE])
    expect(await commit('m1', 2)).toEqual([ErrorCode.FENCED_MEMBER_EPOCH])
    expect(await commit('m1', 0)).toEqual([ErrorCode.STALE_MEMBER_EPOCH])
    expect(await commit('m1', 1, 8)).toEqual([ErrorCode.UNSUPPORTED_VERSION])
    expect(await commit('zz', 1)).toEqual([ErrorCode.UNKNOWN_MEMBER_ID])
    expect(await commit('', -1)).toEqual([ErrorCode.UNKNOWN_MEMBER_ID]) // the group has members
    const fetch = (memberId: string | null, memberEpoch: number) =>
      c.fetchOffsets('g', true, [{ topic: 'a', partition: 0 }], { memberId, memberEpoch })
    expect(fetch('m1', 1).partitions.map((p) => p.offset)).toEqual([42])
    expect(fetch(null, -1).partitions.map((p) => p.offset)).toEqual([42])
    expect(fetch('m1', 0).error).toBe(ErrorCode.STALE_MEMBER_EPOCH)
    expect(fetch('zz', 1).error).toBe(ErrorCode.UNKNOWN_MEMBER_ID)
    // the offsets' classic holder is not a group of its own
    expect(c.listGroups([], []).groups.map((g) => [g.groupId, g.groupType])).toEqual([['g', 'consumer']])
    expect(c.describeGroup('g').summary.state).toBe('Dead')
    // once empty, admin commits (epoch -1) are allowed
    await c.consumerGroupHeartbeat(hb({ memberId: 'm1', memberEpoch: -1 }))
    expect(await commit('', -1)).toEqual([ErrorCode.NONE])
  })

  it('drops the groups of a partition it resigns from', async () => {
    const { c, addTopic } = await setup()
    addTopic('a', 1)
    await new Client(c, 'm1').beat()
    await c.onResignation(0, 1)
    const r = await c.consumerGroupHeartbeat(hb({ memberEpoch: 1, topicPartitions: [] }))
    expect(r.errorCode).toBe(ErrorCode.NOT_COORDINATOR)
    expect(c.consumerGroupDescribe(['g'])[0]?.errorCode).toBe(ErrorCode.NOT_COORDINATOR)
  })
})

describe('consumer groups in __consumer_offsets (record types 3-8)', () => {
  const types = (store: InMemoryGroupLogStore, from = 0): [number, boolean][] =>
    store
      .records(0)
      .slice(from)
      .map((r) => [decodeGroupRecordKey(r.key!).version, r.value === null])

  it('writes what a heartbeat changed before answering, in Kafka order', async () => {
    const { c, addTopic, store } = await setup()
    addTopic('a', 2)
    const m1 = new Client(c, 'm1', { subscribedTopicNames: ['a'] })
    await m1.beat()
    // subscription, group epoch, subscribed topics, target assignment, its epoch, current assignment
    expect(types(store)).toEqual([5, 3, 4, 7, 6, 8].map((t) => [t, false]))
    const n = store.records(0).length
    await m1.beat()
    expect(store.records(0)).toHaveLength(n) // nothing changed, nothing written
    const m2 = new Client(c, 'm2', { subscribedTopicNames: ['a'] })
    await m2.beat()
    await m1.beat() // m1 is asked to revoke a partition: its current assignment changes
    expect(types(store, n)).toEqual([5, 3, 7, 7, 6, 8, 8].map((t) => [t, false]))
    // the member that leaves is tombstoned: current assignment, target assignment, subscription; new epoch
    const before = store.records(0).length
    await m2.beat({ memberEpoch: -1 })
    expect(types(store, before).slice(0, 4)).toEqual([
      [8, true],
      [7, true],
      [5, true],
      [3, false],
    ])
  })

  it('a new coordinator replays the records: members keep their epochs and assignments', async () => {
    const first = await setup()
    first.addTopic('a', 4)
    const ms = ['m1', 'm2'].map((id) => new Client(first.c, id, { subscribedTopicNames: ['a'] }))
    for (let i = 0; i < 4; i++) for (const m of ms) await m.beat()
    const described = first.c.consumerGroupDescribe(['g'])[0]
    expect(described?.groupState).toBe('Stable')
    await first.c.shutdown()

    // the partition moves to another broker, which reads the same log
    const second = await setup({}, first.store, first.topics)
    expect(second.c.consumerGroupDescribe(['g'])[0]).toEqual(described)
    for (const m of ms) {
      m.c = second.c
      const r = await m.beat()
      expect([r.errorCode, r.memberEpoch]).toEqual([ErrorCode.NONE, described?.groupEpoch])
    }
    expect(ms.map((m) => m.ownedKeys().length)).toEqual([2, 2])
    // loaded members' sessions run on the new coordinator
    const beforeExpiry = second.store.records(0).length
    await second.scheduler.advance(45_001)
    expect(second.c.consumerGroupDescribe(['g'])[0]?.members).toEqual([])
    // and their expiry is written: both members tombstoned, a new group epoch
    const written = types(second.store, beforeExpiry)
    expect(written.filter(([t, tomb]) => t === 5 && tomb)).toHaveLength(2)
  })

  it('DeleteGroups: NON_EMPTY_GROUP with members; an empty group is tombstoned and gone after a reload', async () => {
    const { c, addTopic, store, topics } = await setup()
    addTopic('a', 2)
    const m1 = new Client(c, 'm1', { subscribedTopicNames: ['a'] })
    await m1.beat()
    expect(await c.deleteGroups(['g'])).toEqual(new Map([['g', ErrorCode.NON_EMPTY_GROUP]]))
    await m1.beat({ memberEpoch: -1 })
    const n = store.records(0).length
    expect(await c.deleteGroups(['g'])).toEqual(new Map([['g', ErrorCode.NONE]]))
    // no members left: the target assignment epoch, subscribed topics and group epoch are tombstoned
    expect(types(store, n)).toEqual([
      [6, true],
      [4, true],
      [3, true],
    ])
    expect(c.consumerGroupDescribe(['g'])[0]?.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND)
    const reloaded = await setup({}, store, topics)
    expect(reloaded.c.consumerGroupDescribe(['g'])[0]?.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND)
  })

  it('a failed write undoes the change and answers with the write error', async () => {
    const { c, addTopic, store } = await setup()
    addTopic('a', 2)
    const m1 = new Client(c, 'm1', { subscribedTopicNames: ['a'] })
    store.failNextAppends(ErrorCode.NOT_ENOUGH_REPLICAS)
    const r = await m1.beat()
    expect([r.errorCode, r.assignment]).toEqual([ErrorCode.COORDINATOR_NOT_AVAILABLE, null])
    expect(c.consumerGroupDescribe(['g'])[0]?.members ?? []).toEqual([])
    store.failNextAppends(ErrorCode.NOT_LEADER_OR_FOLLOWER)
    expect((await m1.beat()).errorCode).toBe(ErrorCode.NOT_COORDINATOR)
    const ok = await m1.beat()
    expect([ok.errorCode, ok.memberEpoch]).toEqual([ErrorCode.NONE, 1])
    // a heartbeat answered from a state a failed write undid gets the error too
    const m2 = new Client(c, 'm2', { subscribedTopicNames: ['a'] })
    store.hold()
    store.failNextAppends(ErrorCode.REQUEST_TIMED_OUT)
    const joining = m2.beat()
    const other = m1.beat()
    store.release()
    await Promise.resolve()
    store.release()
    expect((await joining).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    expect((await other).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    expect(c.consumerGroupDescribe(['g'])[0]?.members.map((m) => m.memberId)).toEqual(['m1'])
  })
})

describe('ConsumerGroupHeartbeat properties', () => {
  it('never lets two members own a partition, and converges to Stable', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant('beat' as const), who: fc.integer({ min: 0, max: 4 }) }),
            fc.record({ kind: fc.constant('leave' as const), who: fc.integer({ min: 0, max: 4 }) }),
            fc.record({ kind: fc.constant('grow' as const), n: fc.integer({ min: 1, max: 8 }) }),
          ),
          { maxLength: 60 },
        ),
        fc.constantFrom('uniform', 'range'),
        async (steps, assignor) => {
          const { c, addTopic } = await setup()
          addTopic('a', 3)
          addTopic('b', 2)
          let bSize = 2
          const clients = new Map<number, Client>()
          const check = (): void => {
            const seen = new Set<string>()
            for (const cl of clients.values()) {
              for (const k of cl.ownedKeys()) {
                expect(seen.has(k)).toBe(false)
                seen.add(k)
              }
            }
          }
          for (const s of steps) {
            if (s.kind === 'grow') {
              bSize = Math.max(bSize, s.n)
              addTopic('b', bSize)
            } else if (s.kind === 'leave') {
              const cl = clients.get(s.who)
              if (cl !== undefined) {
                await c.consumerGroupHeartbeat(hb({ memberId: cl.memberId, memberEpoch: -1 }))
                clients.delete(s.who)
              }
            } else {
              let cl = clients.get(s.who)
              if (cl === undefined) {
                cl = new Client(c, `m${s.who}`, {
                  subscribedTopicNames: ['a', 'b'],
                  serverAssignor: assignor,
                })
                clients.set(s.who, cl)
              }
              expect((await cl.beat()).errorCode).toBe(ErrorCode.NONE)
            }
            check()
          }
          for (let round = 0; round < 4; round++) {
            for (const cl of clients.values()) expect((await cl.beat()).errorCode).toBe(ErrorCode.NONE)
            check()
          }
          const d = c.consumerGroupDescribe(['g'])[0]
          if (clients.size > 0) {
            expect(d?.groupState).toBe('Stable')
            const owned = [...clients.values()].flatMap((cl) => cl.ownedKeys())
            expect(owned.length).toBe(3 + bSize)
          }
        },
      ),
      { numRuns: 60 },
    )
  })
})
