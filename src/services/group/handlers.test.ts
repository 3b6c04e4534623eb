/**
 * The group handlers, driven through the real codec: each request is encoded and decoded at the version
 * under test and each response too, so fields a version lacks are really absent.
 */
import { describe, expect, it } from 'vitest'
import { decodeBuffer, encodeToBuffer } from '../../protocol/codec/codec.js'
import type { Input, MessageSchema } from '../../protocol/codec/schema.js'
import { ErrorCode } from '../../protocol/errors.js'
import { decodeOffsetCommitValue } from '../../protocol/messages/data/group-metadata.js'
import { OffsetCommitRequest, OffsetCommitResponse } from '../../protocol/messages/08-offset-commit.js'
import { OffsetFetchRequest, OffsetFetchResponse } from '../../protocol/messages/09-offset-fetch.js'
import { JoinGroupRequest, JoinGroupResponse } from '../../protocol/messages/11-join-group.js'
import { HeartbeatRequest, HeartbeatResponse } from '../../protocol/messages/12-heartbeat.js'
import { LeaveGroupRequest, LeaveGroupResponse } from '../../protocol/messages/13-leave-group.js'
import { SyncGroupRequest, SyncGroupResponse } from '../../protocol/messages/14-sync-group.js'
import { DescribeGroupsRequest, DescribeGroupsResponse } from '../../protocol/messages/15-describe-groups.js'
import { ListGroupsRequest, ListGroupsResponse } from '../../protocol/messages/16-list-groups.js'
import { DeleteGroupsRequest, DeleteGroupsResponse } from '../../protocol/messages/42-delete-groups.js'
import { OffsetDeleteRequest, OffsetDeleteResponse } from '../../protocol/messages/47-offset-delete.js'
import {
  ConsumerGroupHeartbeatRequest,
  ConsumerGroupHeartbeatResponse,
} from '../../protocol/messages/68-consumer-group-heartbeat.js'
import {
  ConsumerGroupDescribeRequest,
  ConsumerGroupDescribeResponse,
} from '../../protocol/messages/69-consumer-group-describe.js'
import { handleRequest } from '../../handlers/dispatcher.js'
import { NO_RESPONSE, type Handler } from '../../handlers/handler.js'
import { testRequestContext } from '../../handlers/test-context.js'
import { silentLogger } from '../../util/logger.js'
import { offsetCommitHandler } from '../../handlers/08-offset-commit.js'
import { offsetFetchHandler } from '../../handlers/09-offset-fetch.js'
import { joinGroupHandler } from '../../handlers/11-join-group.js'
import { heartbeatHandler } from '../../handlers/12-heartbeat.js'
import { leaveGroupHandler } from '../../handlers/13-leave-group.js'
import { syncGroupHandler } from '../../handlers/14-sync-group.js'
import { describeGroupsHandler } from '../../handlers/15-describe-groups.js'
import { listGroupsHandler } from '../../handlers/16-list-groups.js'
import { deleteGroupsHandler } from '../../handlers/42-delete-groups.js'
import { offsetDeleteHandler } from '../../handlers/47-offset-delete.js'
import { consumerGroupHeartbeatHandler } from '../../handlers/68-consumer-group-heartbeat.js'
import { consumerGroupDescribeHandler } from '../../handlers/69-consumer-group-describe.js'
import { DISABLED_AUTHORIZER } from '../security/authorizer.js'
import type { TopicMetadataView } from './types.js'
import { InMemoryConsumerOffsets } from './zk-offsets.js'
import { flush, setup, subscription, track, type TestEnv } from './test-helpers.js'

/** Topics t1 and t2 with partitions 0-2. */
const metadata: TopicMetadataView = {
  topic: (name) => (name === 't1' || name === 't2' ? {} : undefined),
  partition: (topic, p) => ((topic === 't1' || topic === 't2') && p >= 0 && p < 3 ? {} : undefined),
}

/** Encodes the request at `version`, runs the handler, and decodes its response as a client would. */
async function call<Q, R>(
  h: Handler,
  reqSchema: MessageSchema<Q>,
  resSchema: MessageSchema<R>,
  version: number,
  req: Input<Q>,
): Promise<R> {
  const decodedReq = decodeBuffer(reqSchema, version, encodeToBuffer(reqSchema, version, req))
  const res = await handleRequest(
    h,
    decodedReq,
    testRequestContext(h.api.key, version, { clientId: 'client', remoteAddress: '::ffff:127.0.0.1' }),
    silentLogger,
  )
  if (res === NO_RESPONSE) throw new Error('no response')
  return decodeBuffer(resSchema, version, encodeToBuffer(resSchema, version, res as Input<R>))
}

function handlers(env: TestEnv, zk?: InMemoryConsumerOffsets) {
  const d = {
    groups: env.c,
    cache: metadata,
    authorizer: DISABLED_AUTHORIZER,
    ...(zk ? { zkOffsets: zk } : {}),
  }
  return {
    commit: offsetCommitHandler(d),
    fetch: offsetFetchHandler(d),
    join: joinGroupHandler(d),
    heartbeat: heartbeatHandler(d),
    leave: leaveGroupHandler(d),
    sync: syncGroupHandler(d),
    describe: describeGroupsHandler(d),
    list: listGroupsHandler(d),
    del: deleteGroupsHandler(d),
    offsetDelete: offsetDeleteHandler(d),
  }
}

const consumerProtocols = [{ name: 'range', metadata: subscription(['t1']) }]

describe('JoinGroup handler', () => {
  it('asks for a member id from v4 only, and never for static members', async () => {
    const env = await setup({ groupInitialRebalanceDelayMs: 100 })
    const h = handlers(env)
    const base = {
      groupId: 'g',
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 20_000,
      memberId: '',
      protocolType: 'consumer',
      protocols: consumerProtocols,
    }
    const v4 = await call(h.join, JoinGroupRequest, JoinGroupResponse, 4, base)
    expect(v4).toMatchObject({
      errorCode: ErrorCode.MEMBER_ID_REQUIRED,
      generationId: -1,
      protocolName: '',
      leader: '',
    })
    expect(v4.memberId).toMatch(/^client-/)

    const v3 = track(call(h.join, JoinGroupRequest, JoinGroupResponse, 3, base))
    const v5 = track(call(h.join, JoinGroupRequest, JoinGroupResponse, 5, { ...base, groupInstanceId: 'i1' }))
    await flush()
    await env.scheduler.advance(200) // the second new member extends the initial delay once
    const [r3, r5] = await Promise.all([v3.promise, v5.promise])
    expect(r3.errorCode).toBe(ErrorCode.NONE)
    expect(r5.errorCode).toBe(ErrorCode.NONE)
    expect(r5.memberId).toMatch(/^i1-/)
    const leader = [r3, r5].find((r) => r.leader === r.memberId)!
    // v5+ carries the members' instance ids; v3 does not.
    if (leader === r5) expect(r5.members.map((m) => m.groupInstanceId).sort()).toEqual([null, 'i1'].sort())
    else expect(r3.members.every((m) => m.groupInstanceId === null)).toBe(true)
    expect(env.c.describeGroup('g').summary.members.map((m) => m.clientHost)).toEqual([
      '/127.0.0.1',
      '/127.0.0.1',
    ])
  })

  it('uses the session timeout as rebalance timeout in v0, and nulls the protocol name from v7', async () => {
    const env = await setup()
    const h = handlers(env)
    const r = track(
      call(h.join, JoinGroupRequest, JoinGroupResponse, 0, {
        groupId: 'g',
        sessionTimeoutMs: 12_345,
        memberId: '',
        protocolType: 'consumer',
        protocols: consumerProtocols,
      }),
    )
    await flush()
    await env.scheduler.advance(0)
    const res = await r.promise
    expect(res.errorCode).toBe(ErrorCode.NONE)
    expect(env.c.group('g')?.get(res.memberId).rebalanceTimeoutMs).toBe(12_345)

    const bad = {
      groupId: 'g',
      sessionTimeoutMs: 1,
      memberId: 'x',
      protocolType: 'consumer',
      protocols: consumerProtocols,
    }
    expect(await call(h.join, JoinGroupRequest, JoinGroupResponse, 6, bad)).toMatchObject({
      errorCode: ErrorCode.INVALID_SESSION_TIMEOUT,
      protocolName: '',
      memberId: 'x',
    })
    expect(await call(h.join, JoinGroupRequest, JoinGroupResponse, 7, bad)).toMatchObject({
      errorCode: ErrorCode.INVALID_SESSION_TIMEOUT,
      protocolName: null,
      protocolType: null,
    })
  })
})

describe('SyncGroup / Heartbeat / LeaveGroup handlers', () => {
  it('requires protocol type and name in SyncGroup v5', async () => {
    const env = await setup()
    const h = handlers(env)
    const res = await call(h.sync, SyncGroupRequest, SyncGroupResponse, 5, {
      groupId: 'g',
      generationId: 1,
      memberId: 'm',
    })
    expect(res.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    const res4 = await call(h.sync, SyncGroupRequest, SyncGroupResponse, 4, {
      groupId: 'g',
      generationId: 1,
      memberId: 'm',
    })
    expect(res4.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID)
  })

  it('runs a whole v9/v5/v4 cycle', async () => {
    const env = await setup()
    const h = handlers(env)
    const j1 = await call(h.join, JoinGroupRequest, JoinGroupResponse, 9, {
      groupId: 'g',
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      memberId: '',
      protocolType: 'consumer',
      protocols: consumerProtocols,
    })
    const j2 = track(
      call(h.join, JoinGroupRequest, JoinGroupResponse, 9, {
        groupId: 'g',
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 10_000,
        memberId: j1.memberId,
        protocolType: 'consumer',
        protocols: consumerProtocols,
      }),
    )
    await flush()
    await env.scheduler.advance(0)
    const r = await j2.promise
    expect(r).toMatchObject({
      errorCode: ErrorCode.NONE,
      generationId: 1,
      protocolType: 'consumer',
      protocolName: 'range',
      skipAssignment: false,
    })
    const s = await call(h.sync, SyncGroupRequest, SyncGroupResponse, 5, {
      groupId: 'g',
      generationId: 1,
      memberId: r.memberId,
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: [{ memberId: r.memberId, assignment: Buffer.from('asg') }],
    })
    expect(s).toMatchObject({ errorCode: ErrorCode.NONE, protocolType: 'consumer', protocolName: 'range' })
    expect(s.assignment).toEqual(Buffer.from('asg'))
    expect(
      (
        await call(h.heartbeat, HeartbeatRequest, HeartbeatResponse, 4, {
          groupId: 'g',
          generationId: 1,
          memberId: r.memberId,
        })
      ).errorCode,
    ).toBe(ErrorCode.NONE)
    const leave = await call(h.leave, LeaveGroupRequest, LeaveGroupResponse, 5, {
      groupId: 'g',
      members: [{ memberId: r.memberId, reason: 'shutting down' }],
    })
    expect(leave).toMatchObject({
      errorCode: ErrorCode.NONE,
      members: [{ memberId: r.memberId, groupInstanceId: null, errorCode: ErrorCode.NONE }],
    })
  })

  it('answers LeaveGroup v0-v2 with a single error code', async () => {
    const env = await setup()
    const h = handlers(env)
    // A group that does not exist: the member's UNKNOWN_MEMBER_ID becomes the response error.
    const v0 = await call(h.leave, LeaveGroupRequest, LeaveGroupResponse, 0, { groupId: 'g', memberId: 'm' })
    expect(v0.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID)
    const v3 = await call(h.leave, LeaveGroupRequest, LeaveGroupResponse, 3, {
      groupId: 'g',
      members: [{ memberId: 'm' }],
    })
    expect(v3).toMatchObject({
      errorCode: ErrorCode.NONE,
      members: [{ memberId: 'm', errorCode: ErrorCode.UNKNOWN_MEMBER_ID }],
    })
    const empty = await call(h.leave, LeaveGroupRequest, LeaveGroupResponse, 2, {
      groupId: '',
      memberId: 'm',
    })
    expect(empty.errorCode).toBe(ErrorCode.INVALID_GROUP_ID)
  })
})

describe('OffsetCommit / OffsetFetch handlers', () => {
  it('stores v0 commits in ZooKeeper and reads them back with OffsetFetch v0', async () => {
    const env = await setup()
    const zk = new InMemoryConsumerOffsets()
    const h = handlers(env, zk)
    const res = await call(h.commit, OffsetCommitRequest, OffsetCommitResponse, 0, {
      groupId: 'old',
      topics: [
        { name: 't1', partitions: [{ partitionIndex: 0, committedOffset: 42, committedMetadata: null }] },
        { name: 'nope', partitions: [{ partitionIndex: 0, committedOffset: 1, committedMetadata: null }] },
      ],
    })
    expect(res.topics).toEqual([
      { name: 'nope', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }] },
      { name: 't1', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.NONE }] },
    ])
    expect(zk.offsets.get('/consumers/old/offsets/t1/0')).toBe(42)
    expect(env.c.group('old')).toBeUndefined() // the coordinator is not involved

    const f = await call(h.fetch, OffsetFetchRequest, OffsetFetchResponse, 0, {
      groupId: 'old',
      topics: [{ name: 't1', partitionIndexes: [0, 1] }],
    })
    expect(f.topics).toEqual([
      {
        name: 't1',
        partitions: [
          {
            partitionIndex: 0,
            committedOffset: 42,
            committedLeaderEpoch: -1,
            metadata: '',
            errorCode: ErrorCode.NONE,
          },
          {
            partitionIndex: 1,
            committedOffset: -1,
            committedLeaderEpoch: -1,
            metadata: '',
            errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          },
        ],
      },
    ])
  })

  it('answers v0 with UNSUPPORTED_VERSION without a ZooKeeper store', async () => {
    const env = await setup()
    const h = handlers(env)
    const res = await call(h.commit, OffsetCommitRequest, OffsetCommitResponse, 0, {
      groupId: 'old',
      topics: [
        { name: 't1', partitions: [{ partitionIndex: 0, committedOffset: 42, committedMetadata: null }] },
      ],
    })
    expect(res.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION)
    const f = await call(h.fetch, OffsetFetchRequest, OffsetFetchResponse, 0, {
      groupId: 'old',
      topics: [{ name: 't1', partitionIndexes: [0] }],
    })
    expect(f.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION)
  })

  it('commits through the coordinator from v1, with v1 commit timestamps and v2 retention', async () => {
    const env = await setup()
    const h = handlers(env)
    const v1 = await call(h.commit, OffsetCommitRequest, OffsetCommitResponse, 1, {
      groupId: 'g',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      topics: [
        {
          name: 't1',
          partitions: [
            { partitionIndex: 0, committedOffset: 5, commitTimestamp: 777, committedMetadata: 'x' },
          ],
        },
      ],
    })
    expect(v1.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE)
    expect(decodeOffsetCommitValue(env.store.records(0).at(-1)!.value)?.value.commitTimestamp).toBe(777)
    const v2 = await call(h.commit, OffsetCommitRequest, OffsetCommitResponse, 2, {
      groupId: 'g',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      retentionTimeMs: 1000,
      topics: [
        { name: 't1', partitions: [{ partitionIndex: 1, committedOffset: 6, committedMetadata: null }] },
      ],
    })
    expect(v2.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE)
    expect(decodeOffsetCommitValue(env.store.records(0).at(-1)!.value)).toMatchObject({
      version: 1,
      value: { expireTimestamp: env.clock.now() + 1000 },
    })
    const v8 = await call(h.commit, OffsetCommitRequest, OffsetCommitResponse, 8, {
      groupId: 'g',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [
        {
          name: 't1',
          partitions: [
            { partitionIndex: 2, committedOffset: 7, committedLeaderEpoch: 4, committedMetadata: '' },
            { partitionIndex: 9, committedOffset: 1, committedMetadata: '' },
          ],
        },
      ],
    })
    expect(v8.topics).toEqual([
      {
        name: 't1',
        partitions: [
          { partitionIndex: 9, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
          { partitionIndex: 2, errorCode: ErrorCode.NONE },
        ],
      },
    ])

    // v5 shows the committed leader epoch; v4 does not have it.
    const f5 = await call(h.fetch, OffsetFetchRequest, OffsetFetchResponse, 5, {
      groupId: 'g',
      topics: [{ name: 't1', partitionIndexes: [2] }],
    })
    expect(f5.topics[0]!.partitions[0]).toMatchObject({ committedOffset: 7, committedLeaderEpoch: 4 })
    const f2 = await call(h.fetch, OffsetFetchRequest, OffsetFetchResponse, 2, { groupId: 'g', topics: null })
    expect(f2.errorCode).toBe(ErrorCode.NONE)
    expect(f2.topics[0]!.partitions.map((p) => [p.partitionIndex, p.committedOffset])).toEqual([
      [0, 5],
      [1, 6],
      [2, 7],
    ])
  })

  it('reports group errors per partition below v2, top-level from v2, per group from v8', async () => {
    const env = await setup()
    const h = handlers(env)
    await env.c.onResignation(0, 1)
    const f1 = await call(h.fetch, OffsetFetchRequest, OffsetFetchResponse, 1, {
      groupId: 'g',
      topics: [{ name: 't1', partitionIndexes: [0, 1] }],
    })
    expect(f1.topics[0]!.partitions.map((p) => [p.committedOffset, p.errorCode])).toEqual([
      [-1, ErrorCode.NOT_COORDINATOR],
      [-1, ErrorCode.NOT_COORDINATOR],
    ])
    const f3 = await call(h.fetch, OffsetFetchRequest, OffsetFetchResponse, 3, {
      groupId: 'g',
      topics: [{ name: 't1', partitionIndexes: [0] }],
    })
    expect(f3).toMatchObject({ errorCode: ErrorCode.NOT_COORDINATOR, topics: [] })
    const c1 = await call(h.commit, OffsetCommitRequest, OffsetCommitResponse, 3, {
      groupId: 'g',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      topics: [
        { name: 't1', partitions: [{ partitionIndex: 0, committedOffset: 1, committedMetadata: null }] },
      ],
    })
    expect(c1.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NOT_COORDINATOR)

    const env2 = await setup()
    const h2 = handlers(env2)
    await env2.c.commitOffsets({
      groupId: 'a',
      memberId: '',
      groupInstanceId: null,
      generationId: -1,
      retentionTimeMs: -1,
      partitions: [
        { topic: 't1', partition: 0, offset: 3, leaderEpoch: -1, metadata: null, commitTimestamp: -1 },
      ],
    })
    const f8 = await call(h2.fetch, OffsetFetchRequest, OffsetFetchResponse, 8, {
      groups: [
        { groupId: 'a', topics: null },
        { groupId: '', topics: [{ name: 't1', partitionIndexes: [0] }] },
      ],
      requireStable: true,
    })
    expect(f8.groups).toEqual([
      {
        groupId: 'a',
        errorCode: 0,
        topics: [
          {
            name: 't1',
            partitions: [
              { partitionIndex: 0, committedOffset: 3, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
            ],
          },
        ],
      },
      {
        groupId: '',
        errorCode: 0,
        topics: [
          {
            name: 't1',
            partitions: [
              {
                partitionIndex: 0,
                committedOffset: -1,
                committedLeaderEpoch: -1,
                metadata: '',
                errorCode: 0,
              },
            ],
          },
        ],
      },
    ])
  })
})

describe('DescribeGroups / ListGroups / DeleteGroups / OffsetDelete handlers', () => {
  it('describes with authorized operations from v3 when asked', async () => {
    const env = await setup()
    const h = handlers(env)
    const d0 = await call(h.describe, DescribeGroupsRequest, DescribeGroupsResponse, 0, { groups: ['x'] })
    expect(d0.groups[0]).toMatchObject({
      errorCode: 0,
      groupId: 'x',
      groupState: 'Dead',
      protocolType: '',
      protocolData: '',
      members: [],
    })
    const d3 = await call(h.describe, DescribeGroupsRequest, DescribeGroupsResponse, 3, {
      groups: ['x', ''],
      includeAuthorizedOperations: true,
    })
    // Without an authorizer: Read, Describe and Delete (codes 3, 8, 6).
    const everything = (1 << 3) | (1 << 8) | (1 << 6)
    expect(d3.groups.map((g) => g.authorizedOperations)).toEqual([everything, everything])
    const d5 = await call(h.describe, DescribeGroupsRequest, DescribeGroupsResponse, 5, {
      groups: ['x'],
      includeAuthorizedOperations: false,
    })
    expect(d5.groups[0]!.authorizedOperations).toBe(-2147483648)
  })

  it('answers GROUP_ID_NOT_FOUND from v6 for a group that is absent or a consumer group (KIP-1043)', async () => {
    const env = await setup({ consumerGroupProtocolEnabled: true })
    await env.c.consumerGroupHeartbeat({
      apiVersion: 1,
      groupId: 'cg',
      memberId: 'm',
      memberEpoch: 0,
      instanceId: null,
      rackId: null,
      rebalanceTimeoutMs: 1000,
      subscribedTopicNames: ['t1'],
      subscribedTopicRegex: null,
      serverAssignor: null,
      topicPartitions: [],
      clientId: 'c',
      clientHost: '/127.0.0.1',
    })
    const h = handlers(env)
    await env.c.commitOffsets({
      groupId: 'classic',
      memberId: '',
      groupInstanceId: null,
      generationId: -1,
      retentionTimeMs: -1,
      partitions: [
        { topic: 't1', partition: 0, offset: 1, leaderEpoch: -1, metadata: null, commitTimestamp: -1 },
      ],
    })
    const row = (g: { errorCode: number; errorMessage?: string | null; groupState: string }) => [
      g.errorCode,
      g.errorMessage ?? null,
      g.groupState,
    ]
    const d5 = await call(h.describe, DescribeGroupsRequest, DescribeGroupsResponse, 5, {
      groups: ['cg', 'x'],
    })
    expect(d5.groups.map(row)).toEqual([
      [0, null, 'Dead'],
      [0, null, 'Dead'],
    ])
    const d6 = await call(h.describe, DescribeGroupsRequest, DescribeGroupsResponse, 6, {
      groups: ['cg', 'x', 'classic'],
    })
    expect(d6.groups.map(row)).toEqual([
      [ErrorCode.GROUP_ID_NOT_FOUND, 'Group cg is not a classic group.', 'Dead'],
      [ErrorCode.GROUP_ID_NOT_FOUND, 'Group x not found.', 'Dead'],
      [0, null, 'Empty'],
    ])
  })

  it('lists with state and type filters by version', async () => {
    const env = await setup()
    const h = handlers(env)
    await env.c.commitOffsets({
      groupId: 'a',
      memberId: '',
      groupInstanceId: null,
      generationId: -1,
      retentionTimeMs: -1,
      partitions: [
        { topic: 't1', partition: 0, offset: 3, leaderEpoch: -1, metadata: null, commitTimestamp: -1 },
      ],
    })
    expect((await call(h.list, ListGroupsRequest, ListGroupsResponse, 0, {})).groups).toEqual([
      { groupId: 'a', protocolType: '', groupState: '', groupType: '' },
    ])
    expect(
      (await call(h.list, ListGroupsRequest, ListGroupsResponse, 4, { statesFilter: ['EMPTY'] })).groups,
    ).toEqual([{ groupId: 'a', protocolType: '', groupState: 'Empty', groupType: '' }])
    expect(
      (await call(h.list, ListGroupsRequest, ListGroupsResponse, 4, { statesFilter: ['Stable'] })).groups,
    ).toEqual([])
    expect(
      (await call(h.list, ListGroupsRequest, ListGroupsResponse, 5, { typesFilter: ['classic'] })).groups,
    ).toEqual([{ groupId: 'a', protocolType: '', groupState: 'Empty', groupType: 'classic' }])
    expect(
      (await call(h.list, ListGroupsRequest, ListGroupsResponse, 5, { typesFilter: ['consumer'] })).groups,
    ).toEqual([])
  })

  it('deletes groups once per name', async () => {
    const env = await setup()
    const h = handlers(env)
    await env.c.commitOffsets({
      groupId: 'a',
      memberId: '',
      groupInstanceId: null,
      generationId: -1,
      retentionTimeMs: -1,
      partitions: [
        { topic: 't1', partition: 0, offset: 3, leaderEpoch: -1, metadata: null, commitTimestamp: -1 },
      ],
    })
    const res = await call(h.del, DeleteGroupsRequest, DeleteGroupsResponse, 2, {
      groupsNames: ['a', 'a', 'b'],
    })
    expect(res.results).toEqual([
      { groupId: 'a', errorCode: ErrorCode.NONE },
      { groupId: 'b', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
    ])
  })

  it('deletes offsets, reporting unknown partitions, and drops them for group errors', async () => {
    const env = await setup()
    const h = handlers(env)
    await env.c.commitOffsets({
      groupId: 'a',
      memberId: '',
      groupInstanceId: null,
      generationId: -1,
      retentionTimeMs: -1,
      partitions: [
        { topic: 't1', partition: 0, offset: 3, leaderEpoch: -1, metadata: null, commitTimestamp: -1 },
        { topic: 't1', partition: 1, offset: 3, leaderEpoch: -1, metadata: null, commitTimestamp: -1 },
      ],
    })
    const res = await call(h.offsetDelete, OffsetDeleteRequest, OffsetDeleteResponse, 0, {
      groupId: 'a',
      topics: [
        { name: 'nope', partitions: [{ partitionIndex: 0 }] },
        { name: 't1', partitions: [{ partitionIndex: 0 }, { partitionIndex: 7 }] },
      ],
    })
    expect(res).toEqual({
      errorCode: 0,
      throttleTimeMs: 0,
      topics: [
        {
          name: 'nope',
          partitions: [{ partitionIndex: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }],
        },
        {
          name: 't1',
          partitions: [
            { partitionIndex: 7, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
            { partitionIndex: 0, errorCode: 0 },
          ],
        },
      ],
    })
    expect(env.c.fetchOffsets('a', false, null).partitions.map((p) => p.partition)).toEqual([1])
    const missing = await call(h.offsetDelete, OffsetDeleteRequest, OffsetDeleteResponse, 0, {
      groupId: 'zzz',
      topics: [{ name: 'nope', partitions: [{ partitionIndex: 0 }] }],
    })
    expect(missing).toEqual({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, throttleTimeMs: 0, topics: [] })
  })
})

describe('KIP-848 APIs with only the classic protocol', () => {
  it('answers UNSUPPORTED_VERSION', async () => {
    const env = await setup()
    const hb = await call(
      consumerGroupHeartbeatHandler({ groups: env.c, authorizer: DISABLED_AUTHORIZER }),
      ConsumerGroupHeartbeatRequest,
      ConsumerGroupHeartbeatResponse,
      0,
      {
        groupId: 'g',
        memberId: '',
        memberEpoch: 0,
        rebalanceTimeoutMs: 1000,
        subscribedTopicNames: ['t1'],
      },
    )
    expect(hb).toEqual({
      throttleTimeMs: 0,
      errorCode: ErrorCode.UNSUPPORTED_VERSION,
      errorMessage: null,
      memberId: null,
      memberEpoch: 0,
      heartbeatIntervalMs: 0,
      assignment: null,
    })
    const d = await call(
      consumerGroupDescribeHandler({ groups: env.c, authorizer: DISABLED_AUTHORIZER }),
      ConsumerGroupDescribeRequest,
      ConsumerGroupDescribeResponse,
      0,
      {
        groupIds: ['a', 'b'],
        includeAuthorizedOperations: false,
      },
    )
    expect(d.groups.map((g) => [g.groupId, g.errorCode, g.members.length])).toEqual([
      ['a', ErrorCode.UNSUPPORTED_VERSION, 0],
      ['b', ErrorCode.UNSUPPORTED_VERSION, 0],
    ])
  })
})

describe('KIP-848 APIs with the consumer protocol enabled', () => {
  it('joins through ConsumerGroupHeartbeat v1 and describes the group (v1 member type)', async () => {
    const env = await setup({ consumerGroupProtocolEnabled: true })
    const hb = await call(
      consumerGroupHeartbeatHandler({ groups: env.c, authorizer: DISABLED_AUTHORIZER }),
      ConsumerGroupHeartbeatRequest,
      ConsumerGroupHeartbeatResponse,
      1,
      {
        groupId: 'g',
        memberId: 'AAAAAAAAAAAAAAAAAAAAAA',
        memberEpoch: 0,
        rebalanceTimeoutMs: 1000,
        subscribedTopicNames: ['t1'],
        topicPartitions: [],
      },
    )
    expect(hb).toEqual({
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      memberId: 'AAAAAAAAAAAAAAAAAAAAAA',
      memberEpoch: 1,
      heartbeatIntervalMs: 5000,
      assignment: { topicPartitions: [] },
    })
    const d = await call(
      consumerGroupDescribeHandler({ groups: env.c, authorizer: DISABLED_AUTHORIZER }),
      ConsumerGroupDescribeRequest,
      ConsumerGroupDescribeResponse,
      1,
      { groupIds: ['g'], includeAuthorizedOperations: false },
    )
    expect(d.groups.map((g) => [g.groupId, g.errorCode, g.groupState, g.members[0]?.memberType])).toEqual([
      ['g', 0, 'Stable', 1],
    ])
  })
})

describe('KIP-848 APIs with an authorizer', () => {
  it('needs Read on the group and Describe on the subscribed topics; Describe per group', async () => {
    const env = await setup({ consumerGroupProtocolEnabled: true })
    // allowed: group "g" and topic "t1"
    const authorizer = {
      ...DISABLED_AUTHORIZER,
      enabled: true,
      authorize: (_p: unknown, _h: string, _op: unknown, r: { name: string }) =>
        r.name === 'g' || r.name === 't1',
    }
    const beat = (groupId: string, topics: string[]) =>
      call(
        consumerGroupHeartbeatHandler({ groups: env.c, authorizer }),
        ConsumerGroupHeartbeatRequest,
        ConsumerGroupHeartbeatResponse,
        1,
        {
          groupId,
          memberId: 'm',
          memberEpoch: 0,
          rebalanceTimeoutMs: 1000,
          subscribedTopicNames: topics,
          topicPartitions: [],
        },
      ).then((r) => r.errorCode)
    expect(await beat('h', ['t1'])).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED)
    expect(await beat('g', ['t1', 't2'])).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
    expect(await beat('g', ['t1'])).toBe(ErrorCode.NONE)
    const d = await call(
      consumerGroupDescribeHandler({ groups: env.c, authorizer }),
      ConsumerGroupDescribeRequest,
      ConsumerGroupDescribeResponse,
      1,
      { groupIds: ['g', 'h'], includeAuthorizedOperations: false },
    )
    expect(d.groups.map((g) => [g.groupId, g.errorCode])).toEqual([
      ['h', ErrorCode.GROUP_AUTHORIZATION_FAILED],
      ['g', ErrorCode.NONE],
    ])
  })

  it('hides a group holding topics the principal may not describe; narrows regular expressions', async () => {
    const topics = new Map([
      ['t1', { id: 'AAAAAAAAAAAAAAAAAAAAAQ', partitions: { size: 1 } }],
      ['t2', { id: 'AAAAAAAAAAAAAAAAAAAAAg', partitions: { size: 1 } }],
    ])
    const env = await setup({ consumerGroupProtocolEnabled: true }, undefined, () => topics)
    // allowed: groups "g" and "h", topic "t1"
    const authorizer = {
      ...DISABLED_AUTHORIZER,
      enabled: true,
      authorize: (_p: unknown, _h: string, _op: unknown, r: { name: string }) =>
        ['g', 'h', 't1'].includes(r.name),
    }
    const beat = (groupId: string, a: typeof authorizer | typeof DISABLED_AUTHORIZER) =>
      call(
        consumerGroupHeartbeatHandler({ groups: env.c, authorizer: a }),
        ConsumerGroupHeartbeatRequest,
        ConsumerGroupHeartbeatResponse,
        1,
        {
          groupId,
          memberId: 'm',
          memberEpoch: 0,
          rebalanceTimeoutMs: 1000,
          subscribedTopicRegex: 't.*',
          topicPartitions: [],
        },
      )
    // the expression matches t1 and t2; the principal may describe t1 only
    const g = await beat('g', authorizer)
    expect(g.assignment?.topicPartitions.map((t) => t.topicId)).toEqual(['AAAAAAAAAAAAAAAAAAAAAQ'])
    // a member without an authorizer gets both; a principal who may not describe t2 cannot see that group
    const h = await beat('h', DISABLED_AUTHORIZER)
    expect(h.assignment?.topicPartitions.length).toBe(2)
    const d = await call(
      consumerGroupDescribeHandler({ groups: env.c, authorizer }),
      ConsumerGroupDescribeRequest,
      ConsumerGroupDescribeResponse,
      1,
      { groupIds: ['g', 'h'], includeAuthorizedOperations: true },
    )
    expect(d.groups.map((x) => [x.groupId, x.errorCode, x.errorMessage, x.members.length])).toEqual([
      ['g', ErrorCode.NONE, null, 1],
      [
        'h',
        ErrorCode.TOPIC_AUTHORIZATION_FAILED,
        'The group has described topic(s) that the client is not authorized to describe.',
        0,
      ],
    ])
    expect(d.groups[1]).toMatchObject({ groupState: '', groupEpoch: 0, authorizedOperations: -2147483648 })
  })
})
