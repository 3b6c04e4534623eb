import { describe, expect, it } from 'vitest'
import { ErrorCode } from '../../protocol/errors.js'
import {
  decodeGroupMetadataValue,
  decodeGroupRecordKey,
} from '../../protocol/messages/data/group-metadata.js'
import {
  joinParams,
  protocols,
  setup,
  subscription,
  syncParams,
  track,
  flush,
  type TestEnv,
} from './test-helpers.js'
import type { JoinGroupResult } from './types.js'

/** Joins with the v4+ handshake, completes the rebalance and syncs; returns the member id. */
async function joinStable(
  env: TestEnv,
  over: Parameters<typeof joinParams>[0] = {},
): Promise<JoinGroupResult> {
  const first = await env.c.joinGroup(joinParams({ requireKnownMemberId: true, ...over }))
  expect(first.error).toBe(ErrorCode.MEMBER_ID_REQUIRED)
  const join = track(env.c.joinGroup(joinParams({ ...over, memberId: first.memberId })))
  await env.scheduler.advance(0)
  const r = await join.promise
  expect(r.error).toBe(ErrorCode.NONE)
  const sync = await env.c.syncGroup(
    syncParams({
      memberId: r.memberId,
      generationId: r.generationId,
      assignments: [{ memberId: r.memberId, assignment: Buffer.from('a') }],
    }),
  )
  expect(sync.error).toBe(ErrorCode.NONE)
  return r
}

describe('JoinGroup / SyncGroup / Heartbeat', () => {
  it('runs the MEMBER_ID_REQUIRED handshake, then a single-member rebalance', async () => {
    const env = await setup()
    const first = await env.c.joinGroup(joinParams({ requireKnownMemberId: true, clientId: 'my-client' }))
    expect(first.error).toBe(ErrorCode.MEMBER_ID_REQUIRED)
    expect(first.memberId).toMatch(/^my-client-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    expect(first.generationId).toBe(-1)
    expect(env.c.group('g')?.currentState).toBe('Empty')

    // the initial delayed rebalance (group.initial.rebalance.delay.ms=0 here) ends without time passing
    const r = await env.c.joinGroup(joinParams({ memberId: first.memberId, clientId: 'my-client' }))
    expect(r).toMatchObject({
      error: ErrorCode.NONE,
      memberId: first.memberId,
      generationId: 1,
      protocolType: 'consumer',
      protocolName: 'range',
      leaderId: first.memberId,
      skipAssignment: false,
    })
    expect(r.members.map((m) => m.memberId)).toEqual([first.memberId])
    expect(env.c.group('g')?.currentState).toBe('CompletingRebalance')

    const sync = await env.c.syncGroup(
      syncParams({
        memberId: r.memberId,
        assignments: [{ memberId: r.memberId, assignment: Buffer.from('x') }],
      }),
    )
    expect(sync).toEqual({
      error: ErrorCode.NONE,
      protocolType: 'consumer',
      protocolName: 'range',
      assignment: Buffer.from('x'),
    })
    expect(env.c.group('g')?.currentState).toBe('Stable')
    expect(
      env.c.heartbeat({ groupId: 'g', memberId: r.memberId, generationId: 1, groupInstanceId: null }),
    ).toBe(ErrorCode.NONE)

    // The assignment was stored as group metadata: the empty generation 0 never was.
    const last = env.store.records(0).at(-1)!
    expect(decodeGroupRecordKey(last.key!)).toMatchObject({ type: 'groupMetadata', key: { group: 'g' } })
    const value = decodeGroupMetadataValue(last.value)!.value
    expect(value).toMatchObject({
      protocolType: 'consumer',
      generation: 1,
      protocol: 'range',
      leader: r.memberId,
    })
    expect(value.members[0]).toMatchObject({
      memberId: r.memberId,
      clientId: 'my-client',
      sessionTimeout: 10_000,
    })
    expect(value.members[0]!.assignment).toEqual(Buffer.from('x'))
  })

  it('delays the initial rebalance and backs off while new members keep joining', async () => {
    const env = await setup({ groupInitialRebalanceDelayMs: 3000 })
    const a = track(env.c.joinGroup(joinParams({ clientId: 'a' })))
    await env.scheduler.advance(1000)
    const b = track(env.c.joinGroup(joinParams({ clientId: 'b' })))
    await env.scheduler.advance(2000) // t=3000: a new member joined meanwhile, so wait another 3000
    await flush()
    expect(a.done).toBe(false)
    await env.scheduler.advance(2999)
    await flush()
    expect(a.done).toBe(false)
    await env.scheduler.advance(1)
    const [ra, rb] = await Promise.all([a.promise, b.promise])
    expect(ra.generationId).toBe(1)
    expect(rb.generationId).toBe(1)
    expect(ra.leaderId).toBe(ra.memberId)
    expect(ra.members).toHaveLength(2)
    expect(rb.members).toHaveLength(0)
  })

  it('parks followers in SyncGroup until the leader sends the assignment', async () => {
    const env = await setup()
    const a = env.c.joinGroup(joinParams({ clientId: 'a' }))
    const b = env.c.joinGroup(joinParams({ clientId: 'b' }))
    await env.scheduler.advance(0)
    const [ra, rb] = await Promise.all([a, b])
    const leader = ra.leaderId === ra.memberId ? ra : rb
    const follower = leader === ra ? rb : ra
    const followerSync = track(env.c.syncGroup(syncParams({ memberId: follower.memberId })))
    await flush()
    expect(followerSync.done).toBe(false)
    const leaderSync = await env.c.syncGroup(
      syncParams({
        memberId: leader.memberId,
        assignments: [
          { memberId: leader.memberId, assignment: Buffer.from('L') },
          { memberId: follower.memberId, assignment: Buffer.from('F') },
        ],
      }),
    )
    expect(leaderSync.assignment).toEqual(Buffer.from('L'))
    expect((await followerSync.promise).assignment).toEqual(Buffer.from('F'))
    expect(env.c.group('g')?.currentState).toBe('Stable')
    // A later SyncGroup in Stable just gets the assignment back.
    expect((await env.c.syncGroup(syncParams({ memberId: follower.memberId }))).assignment).toEqual(
      Buffer.from('F'),
    )
  })

  it('selects the protocol all members support with the most votes', async () => {
    const env = await setup()
    const joins = [
      env.c.joinGroup(joinParams({ protocols: protocols('range', 'roundrobin') })),
      env.c.joinGroup(joinParams({ protocols: protocols('roundrobin', 'range') })),
      env.c.joinGroup(joinParams({ protocols: protocols('roundrobin', 'sticky') })),
    ]
    await env.scheduler.advance(0)
    for (const r of await Promise.all(joins)) expect(r.protocolName).toBe('roundrobin')

    const env2 = await setup()
    const joins2 = [
      env2.c.joinGroup(joinParams({ protocols: protocols('range', 'roundrobin') })),
      env2.c.joinGroup(joinParams({ protocols: protocols('range', 'roundrobin') })),
      env2.c.joinGroup(joinParams({ protocols: protocols('roundrobin', 'range') })),
    ]
    await env2.scheduler.advance(0)
    for (const r of await Promise.all(joins2)) expect(r.protocolName).toBe('range')
  })

  it('rejects inconsistent protocols, bad session timeouts and group ids', async () => {
    const env = await setup()
    expect((await env.c.joinGroup(joinParams({ protocolType: '' }))).error).toBe(
      ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    )
    expect((await env.c.joinGroup(joinParams({ protocols: [] }))).error).toBe(
      ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    )
    expect((await env.c.joinGroup(joinParams({ sessionTimeoutMs: 5999 }))).error).toBe(
      ErrorCode.INVALID_SESSION_TIMEOUT,
    )
    expect((await env.c.joinGroup(joinParams({ sessionTimeoutMs: 1_800_001 }))).error).toBe(
      ErrorCode.INVALID_SESSION_TIMEOUT,
    )
    expect((await env.c.joinGroup(joinParams({ groupId: '' }))).error).toBe(ErrorCode.INVALID_GROUP_ID)
    expect((await env.c.joinGroup(joinParams({ memberId: 'nobody' }))).error).toBe(
      ErrorCode.UNKNOWN_MEMBER_ID,
    )

    await joinStable(env)
    expect((await env.c.joinGroup(joinParams({ protocolType: 'connect' }))).error).toBe(
      ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    )
    expect((await env.c.joinGroup(joinParams({ protocols: protocols('other') }))).error).toBe(
      ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    )
  })

  it('rebalances when a member joins, telling the others through heartbeats', async () => {
    const env = await setup()
    const a = await joinStable(env, { clientId: 'a' })
    const b = track(env.c.joinGroup(joinParams({ clientId: 'b' })))
    await flush()
    expect(env.c.group('g')?.currentState).toBe('PreparingRebalance')
    expect(
      env.c.heartbeat({ groupId: 'g', memberId: a.memberId, generationId: 1, groupInstanceId: null }),
    ).toBe(ErrorCode.REBALANCE_IN_PROGRESS)
    expect((await env.c.syncGroup(syncParams({ memberId: a.memberId }))).error).toBe(
      ErrorCode.REBALANCE_IN_PROGRESS,
    )
    const a2 = await env.c.joinGroup(joinParams({ clientId: 'a', memberId: a.memberId }))
    const rb = await b.promise
    expect(a2.generationId).toBe(2)
    expect(rb.generationId).toBe(2)
    expect(a2.leaderId).toBe(a.memberId)
    expect(a2.members).toHaveLength(2)
    // The old generation is now illegal.
    expect(
      env.c.heartbeat({ groupId: 'g', memberId: a.memberId, generationId: 1, groupInstanceId: null }),
    ).toBe(ErrorCode.ILLEGAL_GENERATION)
    expect((await env.c.syncGroup(syncParams({ memberId: rb.memberId, generationId: 1 }))).error).toBe(
      ErrorCode.ILLEGAL_GENERATION,
    )
  })

  it('rebalances when a member leaves', async () => {
    const env = await setup()
    const ja = env.c.joinGroup(joinParams({ clientId: 'a' }))
    const jb = env.c.joinGroup(joinParams({ clientId: 'b' }))
    await env.scheduler.advance(0)
    const [a, b] = await Promise.all([ja, jb])
    const leader = a.leaderId === a.memberId ? a : b
    const other = leader === a ? b : a
    await Promise.all([
      env.c.syncGroup(syncParams({ memberId: other.memberId })),
      env.c.syncGroup(syncParams({ memberId: leader.memberId })),
    ])
    const leave = env.c.leaveGroup('g', [
      { memberId: other.memberId, groupInstanceId: null, reason: 'bye' },
      { memberId: 'unknown', groupInstanceId: null, reason: null },
    ])
    expect(leave).toEqual({
      error: ErrorCode.NONE,
      members: [
        { memberId: other.memberId, groupInstanceId: null, reason: 'bye', error: ErrorCode.NONE },
        { memberId: 'unknown', groupInstanceId: null, reason: null, error: ErrorCode.UNKNOWN_MEMBER_ID },
      ],
    })
    expect(env.c.group('g')?.currentState).toBe('PreparingRebalance')
    const r = await env.c.joinGroup(joinParams({ clientId: 'x', memberId: leader.memberId }))
    expect(r.generationId).toBe(2)
    expect(r.members.map((m) => m.memberId)).toEqual([leader.memberId])
  })

  it('removes a member whose session expires and rebalances', async () => {
    const env = await setup()
    const ja = env.c.joinGroup(joinParams({ clientId: 'a' }))
    const jb = env.c.joinGroup(joinParams({ clientId: 'b', sessionTimeoutMs: 30_000 }))
    await env.scheduler.advance(0)
    const [a, b] = await Promise.all([ja, jb])
    await Promise.all([a, b].map((m) => env.c.syncGroup(syncParams({ memberId: m.memberId }))))
    expect(env.c.group('g')?.currentState).toBe('Stable')
    await env.scheduler.advance(8000)
    expect(
      env.c.heartbeat({ groupId: 'g', memberId: b.memberId, generationId: 1, groupInstanceId: null }),
    ).toBe(ErrorCode.NONE)
    await env.scheduler.advance(4000)
    // a (10s session) never heartbeat: gone, and the group rebalances.
    expect(env.c.group('g')?.has(a.memberId)).toBe(false)
    expect(env.c.group('g')?.currentState).toBe('PreparingRebalance')
    expect(
      env.c.heartbeat({ groupId: 'g', memberId: a.memberId, generationId: 1, groupInstanceId: null }),
    ).toBe(ErrorCode.UNKNOWN_MEMBER_ID)
    expect(
      env.c.heartbeat({ groupId: 'g', memberId: b.memberId, generationId: 1, groupInstanceId: null }),
    ).toBe(ErrorCode.REBALANCE_IN_PROGRESS)
    const rb = await env.c.joinGroup(
      joinParams({ clientId: 'b', memberId: b.memberId, sessionTimeoutMs: 30_000 }),
    )
    expect(rb).toMatchObject({ generationId: 2, leaderId: b.memberId })
  })

  it('expires a pending member that never rejoins with its member id', async () => {
    const env = await setup()
    const first = await env.c.joinGroup(joinParams({ requireKnownMemberId: true }))
    expect(env.c.group('g')?.isPendingMember(first.memberId)).toBe(true)
    await env.scheduler.advance(10_000)
    expect(env.c.group('g')?.isPendingMember(first.memberId)).toBe(false)
  })

  it('removes members that do not send SyncGroup within the rebalance timeout', async () => {
    const env = await setup()
    const ja = env.c.joinGroup(joinParams({ clientId: 'a', rebalanceTimeoutMs: 20_000 }))
    const jb = env.c.joinGroup(joinParams({ clientId: 'b', rebalanceTimeoutMs: 20_000 }))
    await env.scheduler.advance(0)
    const [a, b] = await Promise.all([ja, jb])
    const leader = a.leaderId === a.memberId ? a : b
    const follower = leader === a ? b : a
    await env.c.syncGroup(syncParams({ memberId: leader.memberId }))
    // The follower heartbeats but never syncs.
    for (let i = 0; i < 5; i++) {
      await env.scheduler.advance(4000)
      env.c.heartbeat({ groupId: 'g', memberId: follower.memberId, generationId: 1, groupInstanceId: null })
      env.c.heartbeat({ groupId: 'g', memberId: leader.memberId, generationId: 1, groupInstanceId: null })
    }
    expect(env.c.group('g')?.has(follower.memberId)).toBe(false)
    expect(env.c.group('g')?.currentState).toBe('PreparingRebalance')
  })

  it('enforces group.max.size', async () => {
    const env = await setup({ groupMaxSize: 1 })
    await joinStable(env)
    const r = await env.c.joinGroup(joinParams())
    expect(r).toMatchObject({ error: ErrorCode.GROUP_MAX_SIZE_REACHED, memberId: '' })
  })

  it('answers SyncGroup and Heartbeat errors like Kafka', async () => {
    const env = await setup()
    expect((await env.c.syncGroup(syncParams({ memberId: 'x' }))).error).toBe(ErrorCode.UNKNOWN_MEMBER_ID)
    expect(env.c.heartbeat({ groupId: 'nope', memberId: 'x', generationId: 1, groupInstanceId: null })).toBe(
      ErrorCode.UNKNOWN_MEMBER_ID,
    )
    const r = await joinStable(env)
    expect((await env.c.syncGroup(syncParams({ memberId: 'x' }))).error).toBe(ErrorCode.UNKNOWN_MEMBER_ID)
    expect(
      (
        await env.c.syncGroup(
          syncParams({ memberId: r.memberId, protocolType: 'consumer', protocolName: 'roundrobin' }),
        )
      ).error,
    ).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    expect(
      (
        await env.c.syncGroup(
          syncParams({ memberId: r.memberId, protocolType: 'consumer', protocolName: 'range' }),
        )
      ).error,
    ).toBe(ErrorCode.NONE)
    expect(
      env.c.heartbeat({ groupId: 'g', memberId: r.memberId, generationId: 7, groupInstanceId: null }),
    ).toBe(ErrorCode.ILLEGAL_GENERATION)
  })

  it('fails a rebalance whose assignment cannot be stored', async () => {
    const env = await setup()
    const ja = env.c.joinGroup(joinParams({ clientId: 'a' }))
    const jb = env.c.joinGroup(joinParams({ clientId: 'b' }))
    await env.scheduler.advance(0)
    const [a, b] = await Promise.all([ja, jb])
    const leader = a.leaderId === a.memberId ? a : b
    const follower = leader === a ? b : a
    const f = env.c.syncGroup(syncParams({ memberId: follower.memberId }))
    env.store.failNextAppends(ErrorCode.NOT_LEADER_OR_FOLLOWER)
    const l = await env.c.syncGroup(syncParams({ memberId: leader.memberId }))
    expect(l.error).toBe(ErrorCode.NOT_COORDINATOR)
    expect((await f).error).toBe(ErrorCode.NOT_COORDINATOR)
    expect(env.c.group('g')?.currentState).toBe('PreparingRebalance')
  })
})

describe('static membership', () => {
  const staticJoin = (over: Parameters<typeof joinParams>[0] = {}) =>
    joinParams({ groupInstanceId: 'instance-1', requireKnownMemberId: false, ...over })

  it('replaces the member id of a known instance without a rebalance and fences the old id', async () => {
    const env = await setup()
    const j = track(env.c.joinGroup(staticJoin()))
    await env.scheduler.advance(0)
    const first = await j.promise
    expect(first.memberId).toMatch(/^instance-1-/)
    await env.c.syncGroup(
      syncParams({
        memberId: first.memberId,
        groupInstanceId: 'instance-1',
        assignments: [{ memberId: first.memberId, assignment: Buffer.from('A') }],
      }),
    )
    const appendsBefore = env.store.appends.length

    // The instance restarts and joins without its member id.
    const second = await env.c.joinGroup(staticJoin())
    expect(second.error).toBe(ErrorCode.NONE)
    expect(second.memberId).not.toBe(first.memberId)
    expect(second.generationId).toBe(1)
    // Before v9 the old leader id comes back, so the member does not run the assignor.
    expect(second.leaderId).toBe(first.memberId)
    expect(second.members).toEqual([])
    expect(env.c.group('g')?.currentState).toBe('Stable')
    expect(env.store.appends.length).toBe(appendsBefore + 1) // the new member id was persisted

    expect(
      env.c.heartbeat({
        groupId: 'g',
        memberId: first.memberId,
        generationId: 1,
        groupInstanceId: 'instance-1',
      }),
    ).toBe(ErrorCode.FENCED_INSTANCE_ID)
    expect((await env.c.joinGroup(staticJoin({ memberId: first.memberId }))).error).toBe(
      ErrorCode.FENCED_INSTANCE_ID,
    )
    expect(
      env.c.heartbeat({
        groupId: 'g',
        memberId: second.memberId,
        generationId: 1,
        groupInstanceId: 'instance-1',
      }),
    ).toBe(ErrorCode.NONE)
    // The assignment is kept.
    expect(
      (await env.c.syncGroup(syncParams({ memberId: second.memberId, groupInstanceId: 'instance-1' })))
        .assignment,
    ).toEqual(Buffer.from('A'))
  })

  it('tells a rejoining static leader to skip the assignment with JoinGroup v9', async () => {
    const env = await setup()
    const j = track(env.c.joinGroup(staticJoin()))
    await env.scheduler.advance(0)
    const first = await j.promise
    await env.c.syncGroup(syncParams({ memberId: first.memberId, groupInstanceId: 'instance-1' }))
    const second = await env.c.joinGroup(staticJoin({ supportSkippingAssignment: true }))
    expect(second).toMatchObject({ error: ErrorCode.NONE, leaderId: second.memberId, skipAssignment: true })
    expect(second.members.map((m) => m.memberId)).toEqual([second.memberId])
  })

  it('rebalances when a static member rejoins during CompletingRebalance or changes the selected protocol', async () => {
    const env = await setup()
    const ja = env.c.joinGroup(staticJoin({ protocols: protocols('range', 'roundrobin') }))
    const jb = env.c.joinGroup(joinParams({ protocols: protocols('range', 'roundrobin') }))
    await env.scheduler.advance(0)
    await Promise.all([ja, jb])
    expect(env.c.group('g')?.currentState).toBe('CompletingRebalance')
    const again = track(env.c.joinGroup(staticJoin({ protocols: protocols('range', 'roundrobin') })))
    await flush()
    expect(env.c.group('g')?.currentState).toBe('PreparingRebalance')
    expect(again.done).toBe(false)

    // A rejoining static member whose new protocol preference changes the group's protocol: rebalance.
    const env2 = await setup()
    const j = track(env2.c.joinGroup(staticJoin({ protocols: protocols('range', 'roundrobin') })))
    await env2.scheduler.advance(0)
    const first = await j.promise
    await env2.c.syncGroup(syncParams({ memberId: first.memberId, groupInstanceId: 'instance-1' }))
    expect(env2.c.group('g')?.protocolName).toBe('range')
    const second = track(env2.c.joinGroup(staticJoin({ protocols: protocols('roundrobin', 'range') })))
    await flush()
    expect(env2.c.group('g')?.currentState).toBe('CompletingRebalance') // a one-member rebalance completes at once
    const r = await second.promise
    expect(r).toMatchObject({ generationId: 2, protocolName: 'roundrobin', leaderId: r.memberId })
  })

  it('lets an admin remove a static member by instance id and leaves unknown instances alone', async () => {
    const env = await setup()
    const j = track(env.c.joinGroup(staticJoin()))
    await env.scheduler.advance(0)
    const first = await j.promise
    await env.c.syncGroup(syncParams({ memberId: first.memberId, groupInstanceId: 'instance-1' }))
    const res = env.c.leaveGroup('g', [
      { memberId: '', groupInstanceId: 'instance-1', reason: null },
      { memberId: '', groupInstanceId: 'instance-2', reason: null },
    ])
    expect(res.members.map((m) => m.error)).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID])
    // No member is left to wait for: the rebalance completes at once into an empty generation.
    expect(env.c.group('g')?.size).toBe(0)
    expect(env.c.group('g')?.currentState).toBe('Empty')
    expect(env.c.group('g')?.generationId).toBe(2)
  })

  it('keeps static members that miss a rebalance, removes dynamic ones', async () => {
    const env = await setup()
    const ja = env.c.joinGroup(staticJoin({ rebalanceTimeoutMs: 30_000, sessionTimeoutMs: 60_000 }))
    const jb = env.c.joinGroup(joinParams({ rebalanceTimeoutMs: 30_000, sessionTimeoutMs: 60_000 }))
    const jc = env.c.joinGroup(joinParams({ rebalanceTimeoutMs: 30_000, sessionTimeoutMs: 60_000 }))
    await env.scheduler.advance(0)
    const [a, b, c] = await Promise.all([ja, jb, jc])
    const leader = [a, b, c].find((x) => x.leaderId === x.memberId)!
    await Promise.all(
      [a, b, c].map((m) =>
        env.c.syncGroup(syncParams({ memberId: m.memberId, groupInstanceId: m === a ? 'instance-1' : null })),
      ),
    )
    expect(leader).toBeDefined()
    // b rejoins (metadata change forces a rebalance); a and c do not.
    const rb = track(
      env.c.joinGroup(
        joinParams({
          memberId: b.memberId,
          protocols: protocols('roundrobin', 'range'),
          rebalanceTimeoutMs: 30_000,
          sessionTimeoutMs: 60_000,
        }),
      ),
    )
    await env.scheduler.advance(30_000)
    const r = await rb.promise
    expect(r.generationId).toBe(2)
    const g = env.c.group('g')!
    expect(g.has(a.memberId)).toBe(true)
    expect(g.has(c.memberId)).toBe(false)
  })
})

describe('ListGroups / DescribeGroups', () => {
  it('lists and describes groups', async () => {
    const env = await setup()
    const r = await joinStable(env)
    await env.c.commitOffsets({
      groupId: 'simple',
      memberId: '',
      groupInstanceId: null,
      generationId: -1,
      retentionTimeMs: -1,
      partitions: [
        { topic: 't1', partition: 0, offset: 5, leaderEpoch: -1, metadata: null, commitTimestamp: -1 },
      ],
    })
    expect(env.c.listGroups([], []).groups).toEqual([
      { groupId: 'g', protocolType: 'consumer', state: 'Stable', groupType: 'classic' },
      { groupId: 'simple', protocolType: '', state: 'Empty', groupType: 'classic' },
    ])
    expect(env.c.listGroups(['stable'], []).groups.map((g) => g.groupId)).toEqual(['g'])
    expect(env.c.listGroups(['Empty'], ['Classic']).groups.map((g) => g.groupId)).toEqual(['simple'])
    expect(env.c.listGroups([], ['consumer']).groups).toEqual([])

    const d = env.c.describeGroup('g')
    expect(d.error).toBe(ErrorCode.NONE)
    expect(d.summary).toMatchObject({ state: 'Stable', protocolType: 'consumer', protocol: 'range' })
    expect(d.summary.members[0]).toMatchObject({
      memberId: r.memberId,
      clientId: 'client',
      clientHost: '/127.0.0.1',
    })
    expect(d.summary.members[0]!.metadata).toEqual(subscription(['t1']))
    expect(d.summary.members[0]!.assignment).toEqual(Buffer.from('a'))
    expect(env.c.describeGroup('missing')).toEqual({
      error: ErrorCode.NONE,
      summary: { state: 'Dead', protocolType: '', protocol: '', members: [] },
      notFound: 'Group missing not found.',
    })
  })
})
