/**
 * A standalone broker in this process with Kafka's ACL authorizer, spoken to over its PLAINTEXT listener (where
 * every client is User:ANONYMOUS): denied by default, and allowed exactly what ACLs grant it — checked request by
 * request as KafkaApis checks them. ACLs are granted through the broker's authorizer service (as a super user's
 * CreateAcls would).
 */
import { describe, expect, it } from 'vitest'
import type { RunningBroker } from '../index.js'
import type { BrokerClient } from '../network/broker-client.js'
import { ErrorCode } from '../protocol/errors.js'
import { Apis } from '../protocol/messages/index.js'
import {
  AclOperation as O,
  AclPermissionType,
  CLUSTER_NAME,
  operationsBitField,
  PatternType,
  supportedOperations,
  ResourceType,
  type ResourcePattern,
} from '../services/security/acl.js'
import { fetchPartition0, producePartition0, useManualBrokers } from './test-helpers.js'

const startManual = useManualBrokers()

const broker = (properties: Record<string, string> = {}) =>
  startManual({
    'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer',
    'super.users': 'User:admin',
    ...properties,
  })

/** DescribeAcls v3 with a filter (everything not given: ANY / null). */
function describeAcls(
  c: BrokerClient,
  filter: {
    resourceTypeFilter?: number
    resourceNameFilter?: string | null
    principalFilter?: string | null
  } = {},
) {
  const api = Apis.DescribeAcls
  return c.send(api, c.version(api.key, 3), {
    resourceTypeFilter: ResourceType.ANY,
    resourceNameFilter: null,
    patternTypeFilter: PatternType.ANY,
    principalFilter: null,
    hostFilter: null,
    operation: O.ANY,
    permissionType: AclPermissionType.ANY,
    ...filter,
  })
}

async function createTopic(b: RunningBroker, name: string): Promise<void> {
  await b.broker.services.topicAdmin.createTopic(
    { name, numPartitions: 1, replicationFactor: 1, assignments: new Map(), configs: new Map() },
    false,
  )
  await b.broker.services.topicAdmin.waitFor(() => b.broker.services.topicAdmin.hasLeaders(name, 1), 30_000)
}

async function grant(
  b: RunningBroker,
  pattern: ResourcePattern,
  operation: O,
  permissionType: AclPermissionType = AclPermissionType.ALLOW,
): Promise<void> {
  const [r] = await b.broker.services.authorizer.createAcls([
    { pattern, entry: { principal: 'User:ANONYMOUS', host: '*', operation, permissionType } },
  ])
  expect(r!.errorCode).toBe(0)
}

const topic = (name: string, patternType: PatternType = PatternType.LITERAL): ResourcePattern => ({
  resourceType: ResourceType.TOPIC,
  name,
  patternType,
})
const cluster: ResourcePattern = {
  resourceType: ResourceType.CLUSTER,
  name: CLUSTER_NAME,
  patternType: PatternType.LITERAL,
}

async function metadata(c: BrokerClient, topics: string[] | null, allowAutoTopicCreation = false) {
  const api = Apis.Metadata
  return c.send(api, c.version(api.key, 12), {
    topics: topics === null ? null : topics.map((name) => ({ name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' })),
    allowAutoTopicCreation,
    includeTopicAuthorizedOperations: true,
  })
}

async function produce(c: BrokerClient, name: string): Promise<number> {
  return (await producePartition0(c, name)).errorCode
}

async function fetchError(c: BrokerClient, name: string): Promise<number> {
  const r = await fetchPartition0(c, name, { maxWaitMs: 0, minBytes: 0 })
  return r.responses[0]!.partitions[0]!.errorCode
}

const bits = (...ops: O[]): number => operationsBitField(ops)

describe('a broker with an authorizer', () => {
  it('denies by default: topics are hidden, reads and writes refused, ACL and admin APIs need cluster rights', async () => {
    const { b, c } = await broker()
    await createTopic(b, 'secret')
    expect((await metadata(c, null)).topics).toEqual([])
    const named = await metadata(c, ['secret'])
    expect(named.topics.map((t) => [t.name, t.errorCode])).toEqual([
      ['secret', ErrorCode.TOPIC_AUTHORIZATION_FAILED],
    ])
    expect(await produce(c, 'secret')).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
    expect(await fetchError(c, 'secret')).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED)

    const acls = await describeAcls(c)
    expect(acls.errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED)

    const create = Apis.CreateTopics
    const created = await c.send(create, c.version(create.key, 7), {
      topics: [{ name: 'mine', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 30_000,
      validateOnly: false,
    })
    expect(created.topics[0]).toMatchObject({
      errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
      errorMessage: 'Authorization failed.',
      topicConfigErrorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    })

    const init = Apis.InitProducerId
    await expect(
      c.send(init, c.version(init.key, 4), {
        transactionalId: null,
        transactionTimeoutMs: 60_000,
        producerId: -1,
        producerEpoch: -1,
      }),
    ).resolves.toMatchObject({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED })
    // Without Describe on the cluster, only the groups one may describe are listed (none).
    const list = Apis.ListGroups
    expect(
      (await c.send(list, c.version(list.key, 4), { statesFilter: [], typesFilter: [] })).groups,
    ).toEqual([])
  })

  it('allows what ACLs grant: Write implies Describe, a prefixed Read covers new topics, Create lets auto-creation happen', async () => {
    const { b, c } = await broker({ 'auto.create.topics.enable': 'true' })
    await createTopic(b, 'orders')
    await createTopic(b, 'other')
    await grant(b, topic('orders'), O.WRITE)
    expect(await produce(c, 'orders')).toBe(ErrorCode.NONE)
    expect(await fetchError(c, 'orders')).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
    const all = await metadata(c, null)
    expect(all.topics.map((t) => t.name)).toEqual(['orders'])
    expect(all.topics[0]!.topicAuthorizedOperations).toBe(bits(O.WRITE, O.DESCRIBE))

    await grant(b, topic('ord', PatternType.PREFIXED), O.READ)
    expect(await fetchError(c, 'orders')).toBe(ErrorCode.NONE)
    await createTopic(b, 'ordinal')
    expect(await fetchError(c, 'ordinal')).toBe(ErrorCode.NONE)
    expect((await metadata(c, null)).topics.map((t) => t.name)).toEqual(['orders', 'ordinal'])

    // Auto-creation needs Create on the cluster or on the topic.
    await grant(b, topic('auto-', PatternType.PREFIXED), O.DESCRIBE)
    const refused = await metadata(c, ['auto-1'], true)
    expect(refused.topics[0]).toMatchObject({
      name: 'auto-1',
      errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    })
    expect(b.broker.services.cache.topic('auto-1')).toBeUndefined()
    await grant(b, topic('auto-', PatternType.PREFIXED), O.CREATE)
    const made = await metadata(c, ['auto-1'], true)
    expect(made.topics[0]).toMatchObject({ name: 'auto-1', errorCode: ErrorCode.LEADER_NOT_AVAILABLE })

    // An idempotent producer needs IdempotentWrite on the cluster, or Write on some topic (it has one).
    const init = Apis.InitProducerId
    const pid = await c.send(init, c.version(init.key, 4), {
      transactionalId: null,
      transactionTimeoutMs: 60_000,
      producerId: -1,
      producerEpoch: -1,
    })
    expect(pid.errorCode).toBe(ErrorCode.NONE)
  })

  it('administers ACLs through the API once allowed to alter the cluster', async () => {
    const { b, c } = await broker()
    await grant(b, cluster, O.ALTER)
    const create = Apis.CreateAcls
    const r = await c.send(create, c.version(create.key, 3), {
      creations: [
        {
          resourceType: ResourceType.GROUP,
          resourceName: 'app',
          resourcePatternType: PatternType.LITERAL,
          principal: 'User:alice',
          host: '*',
          operation: O.READ,
          permissionType: AclPermissionType.ALLOW,
        },
        {
          resourceType: ResourceType.TOPIC,
          resourceName: '',
          resourcePatternType: PatternType.LITERAL,
          principal: 'User:alice',
          host: '*',
          operation: O.READ,
          permissionType: AclPermissionType.ALLOW,
        },
      ],
    })
    expect(r.results).toEqual([
      { errorCode: 0, errorMessage: null },
      { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Invalid empty resource name' },
    ])
    // Alter grants Describe on the cluster, so DescribeAcls is allowed too.
    const listed = await describeAcls(c, { resourceTypeFilter: ResourceType.GROUP })
    expect(listed.resources).toEqual([
      {
        resourceType: ResourceType.GROUP,
        resourceName: 'app',
        patternType: PatternType.LITERAL,
        acls: [
          { principal: 'User:alice', host: '*', operation: O.READ, permissionType: AclPermissionType.ALLOW },
        ],
      },
    ])
    const del = Apis.DeleteAcls
    const deleted = await c.send(del, c.version(del.key, 3), {
      filters: [
        {
          resourceTypeFilter: ResourceType.GROUP,
          resourceNameFilter: 'app',
          patternTypeFilter: PatternType.MATCH,
          principalFilter: 'User:alice',
          hostFilter: null,
          operation: O.ANY,
          permissionType: AclPermissionType.ANY,
        },
      ],
    })
    expect(deleted.filterResults[0]!.matchingAcls).toMatchObject([
      { errorCode: 0, resourceType: ResourceType.GROUP, resourceName: 'app', principal: 'User:alice' },
    ])
    expect(
      b.broker.services.authorizer.acls({
        patternFilter: { resourceType: ResourceType.GROUP, name: null, patternType: PatternType.ANY },
        entryFilter: { principal: null, host: null, operation: O.ANY, permissionType: AclPermissionType.ANY },
      }),
    ).toEqual([])
  })
})

describe('every API Kafka authorizes, without ACLs', () => {
  it("answers with Kafka's code: topic, group, transactional id and cluster rights", async () => {
    const { b, c } = await broker({
      'group.coordinator.rebalance.protocols': 'classic,consumer',
      'group.consumer.migration.policy': 'disabled',
    })
    await createTopic(b, 'secret')
    const T = ErrorCode.TOPIC_AUTHORIZATION_FAILED
    const G = ErrorCode.GROUP_AUTHORIZATION_FAILED
    const X = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    const C = ErrorCode.CLUSTER_AUTHORIZATION_FAILED
    const p0 = [{ partitionIndex: 0 }]
    const codes: [string, number | undefined, number][] = []
    const check = (name: string, got: number | undefined, want: number) => codes.push([name, got, want])

    // Topics: Describe, Delete, Alter, Read, DescribeConfigs/AlterConfigs on the topic.
    const lo = await c.send(Apis.ListOffsets, 7, {
      replicaId: -1,
      topics: [{ name: 'secret', partitions: p0 }],
    })
    check('ListOffsets', lo.topics[0]?.partitions[0]?.errorCode, T)
    const ole = await c.send(Apis.OffsetForLeaderEpoch, 4, {
      replicaId: -1,
      topics: [{ topic: 'secret', partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }],
    })
    check('OffsetForLeaderEpoch', ole.topics[0]?.partitions[0]?.errorCode, T)
    const dr = await c.send(Apis.DeleteRecords, 2, {
      topics: [{ name: 'secret', partitions: [{ partitionIndex: 0, offset: 0 }] }],
      timeoutMs: 1000,
    })
    check('DeleteRecords', dr.topics[0]?.partitions[0]?.errorCode, T)
    const dt = await c.send(Apis.DeleteTopics, 6, { topics: [{ name: 'secret' }], timeoutMs: 1000 })
    check('DeleteTopics', dt.responses[0]?.errorCode, T)
    const cp = await c.send(Apis.CreatePartitions, 3, {
      topics: [{ name: 'secret', count: 2 }],
      timeoutMs: 1000,
    })
    check('CreatePartitions', cp.results[0]?.errorCode, T)
    const dp = await c.send(Apis.DescribeProducers, 0, {
      topics: [{ name: 'secret', partitionIndexes: [0] }],
    })
    check('DescribeProducers', dp.topics[0]?.partitions[0]?.errorCode, T)
    const dc = await c.send(Apis.DescribeConfigs, 4, {
      resources: [
        { resourceType: 2, resourceName: 'secret' },
        { resourceType: 4, resourceName: '0' },
      ],
    })
    check('DescribeConfigs topic', dc.results[0]?.errorCode, T)
    check('DescribeConfigs broker', dc.results[1]?.errorCode, C)
    const ac = await c.send(Apis.AlterConfigs, 2, {
      resources: [
        { resourceType: 2, resourceName: 'secret', configs: [{ name: 'retention.ms', value: '1' }] },
      ],
    })
    check('AlterConfigs topic', ac.responses[0]?.errorCode, T)
    const iac = await c.send(Apis.IncrementalAlterConfigs, 1, {
      resources: [
        {
          resourceType: 4,
          resourceName: '0',
          configs: [{ name: 'log.cleaner.threads', configOperation: 0, value: '2' }],
        },
      ],
    })
    check('IncrementalAlterConfigs broker', iac.responses[0]?.errorCode, C)

    // Groups: Read (Describe for DescribeGroups and FindCoordinator, Delete for DeleteGroups).
    const oc = await c.send(Apis.OffsetCommit, 8, {
      groupId: 'g',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      topics: [{ name: 'secret', partitions: [{ partitionIndex: 0, committedOffset: 1 }] }],
    })
    check('OffsetCommit', oc.topics[0]?.partitions[0]?.errorCode, G)
    const of = await c.send(Apis.OffsetFetch, 8, { groups: [{ groupId: 'g', topics: null }] })
    check('OffsetFetch', of.groups[0]?.errorCode, G)
    const fc = await c.send(Apis.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ['g'] })
    check('FindCoordinator group', fc.coordinators[0]?.errorCode, G)
    const ft = await c.send(Apis.FindCoordinator, 4, { keyType: 1, coordinatorKeys: ['tx'] })
    check('FindCoordinator transaction', ft.coordinators[0]?.errorCode, X)
    const jg = await c.send(Apis.JoinGroup, 9, {
      groupId: 'g',
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      memberId: '',
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
    })
    check('JoinGroup', jg.errorCode, G)
    check(
      'Heartbeat',
      (await c.send(Apis.Heartbeat, 4, { groupId: 'g', generationId: 1, memberId: 'm' })).errorCode,
      G,
    )
    const sg = await c.send(Apis.SyncGroup, 5, {
      groupId: 'g',
      generationId: 1,
      memberId: 'm',
      // v5 without the protocol type and name is INCONSISTENT_GROUP_PROTOCOL before authorization, as in Kafka
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: [],
    })
    check('SyncGroup', sg.errorCode, G)
    const lg = await c.send(Apis.LeaveGroup, 5, { groupId: 'g', members: [{ memberId: 'm' }] })
    check('LeaveGroup', lg.errorCode, G)
    const dg = await c.send(Apis.DescribeGroups, 5, { groups: ['g'] })
    check('DescribeGroups', dg.groups[0]?.errorCode, G)
    const dlg = await c.send(Apis.DeleteGroups, 2, { groupsNames: ['g'] })
    check('DeleteGroups', dlg.results[0]?.errorCode, G)
    const cgh = await c.send(Apis.ConsumerGroupHeartbeat, 0, {
      groupId: 'g',
      memberId: 'm',
      memberEpoch: 0,
      rebalanceTimeoutMs: 10_000,
      subscribedTopicNames: ['secret'],
      topicPartitions: [],
    })
    check('ConsumerGroupHeartbeat', cgh.errorCode, G)
    const cgd = await c.send(Apis.ConsumerGroupDescribe, 0, { groupIds: ['g'] })
    check('ConsumerGroupDescribe', cgd.groups[0]?.errorCode, G)
    const od = await c.send(Apis.OffsetDelete, 0, {
      groupId: 'g',
      topics: [{ name: 'secret', partitions: p0 }],
    })
    check('OffsetDelete', od.errorCode, G)

    // Transactional ids: Write (Describe for DescribeTransactions).
    const ip = await c.send(Apis.InitProducerId, 4, { transactionalId: 'tx', transactionTimeoutMs: 60_000 })
    check('InitProducerId', ip.errorCode, X)
    const ap = await c.send(Apis.AddPartitionsToTxn, 3, {
      v3AndBelowTransactionalId: 'tx',
      v3AndBelowProducerId: 1,
      v3AndBelowProducerEpoch: 0,
      v3AndBelowTopics: [{ name: 'secret', partitions: [0] }],
    })
    check('AddPartitionsToTxn', ap.resultsByTopicV3AndBelow[0]?.resultsByPartition[0]?.partitionErrorCode, X)
    const ao = await c.send(Apis.AddOffsetsToTxn, 3, {
      transactionalId: 'tx',
      producerId: 1,
      producerEpoch: 0,
      groupId: 'g',
    })
    check('AddOffsetsToTxn', ao.errorCode, X)
    const et = await c.send(Apis.EndTxn, 3, {
      transactionalId: 'tx',
      producerId: 1,
      producerEpoch: 0,
      committed: true,
    })
    check('EndTxn', et.errorCode, X)
    const to = await c.send(Apis.TxnOffsetCommit, 3, {
      transactionalId: 'tx',
      groupId: 'g',
      producerId: 1,
      producerEpoch: 0,
      topics: [{ name: 'secret', partitions: [{ partitionIndex: 0, committedOffset: 1 }] }],
    })
    check('TxnOffsetCommit', to.topics[0]?.partitions[0]?.errorCode, X)
    const dtx = await c.send(Apis.DescribeTransactions, 0, { transactionalIds: ['tx'] })
    check('DescribeTransactions', dtx.transactionStates[0]?.errorCode, X)

    const ltx = await c.send(Apis.ListTransactions, 0, {})
    check('ListTransactions (only what one may describe)', ltx.transactionStates.length, 0)

    // The cluster: Alter, Describe, DescribeConfigs, AlterConfigs, ClusterAction.
    const el = await c.send(Apis.ElectLeaders, 2, { electionType: 0, topicPartitions: null, timeoutMs: 1000 })
    check('ElectLeaders', el.errorCode, C)
    const apr = await c.send(Apis.AlterPartitionReassignments, 0, { timeoutMs: 1000, topics: [] })
    check('AlterPartitionReassignments', apr.errorCode, C)
    const lpr = await c.send(Apis.ListPartitionReassignments, 0, { timeoutMs: 1000, topics: null })
    check('ListPartitionReassignments', lpr.errorCode, C)
    check('DescribeLogDirs', (await c.send(Apis.DescribeLogDirs, 4, { topics: null })).errorCode, C)
    const arl = await c.send(Apis.AlterReplicaLogDirs, 2, {
      dirs: [{ path: '/d', topics: [{ name: 'secret', partitions: [0] }] }],
    })
    check('AlterReplicaLogDirs', arl.results[0]?.partitions[0]?.errorCode, C)
    const dq = await c.send(Apis.DescribeClientQuotas, 1, { components: [], strict: false })
    check('DescribeClientQuotas', dq.errorCode, C)
    const aq = await c.send(Apis.AlterClientQuotas, 1, {
      entries: [
        { entity: [{ entityType: 'user', entityName: 'u' }], ops: [{ key: 'producer_byte_rate', value: 1 }] },
      ],
    })
    check('AlterClientQuotas', aq.entries[0]?.errorCode, C)
    const dsc = await c.send(Apis.DescribeUserScramCredentials, 0, { users: null })
    check('DescribeUserScramCredentials', dsc.errorCode, C)
    const asc = await c.send(Apis.AlterUserScramCredentials, 0, { deletions: [{ name: 'u', mechanism: 1 }] })
    check('AlterUserScramCredentials', asc.results[0]?.errorCode, C)
    const wm = await c.send(Apis.WriteTxnMarkers, 1, {
      markers: [
        {
          producerId: 1,
          producerEpoch: 0,
          transactionResult: true,
          topics: [{ name: 'secret', partitionIndexes: [0] }],
          coordinatorEpoch: 0,
        },
      ],
    })
    check('WriteTxnMarkers', wm.markers[0]?.topics[0]?.partitions[0]?.errorCode, C)

    expect(codes.filter(([, got, want]) => got !== want)).toEqual([])
  })
})

describe('a broker without an authorizer', () => {
  it('answers the ACL APIs with SECURITY_DISABLED and reports every operation as authorized', async () => {
    const { c } = await startManual()
    const r = await describeAcls(c)
    expect(r).toMatchObject({
      errorCode: ErrorCode.SECURITY_DISABLED,
      errorMessage: 'No Authorizer is configured on the broker',
    })
    const create = Apis.CreateAcls
    const created = await c.send(create, c.version(create.key, 1), {
      creations: [
        {
          resourceType: ResourceType.TOPIC,
          resourceName: 't',
          resourcePatternType: PatternType.LITERAL,
          principal: 'User:a',
          host: '*',
          operation: O.READ,
          permissionType: AclPermissionType.ALLOW,
        },
      ],
    })
    expect(created.results).toEqual([
      { errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: 'No Authorizer is configured.' },
    ])
    const api = Apis.DescribeCluster
    const dc = await c.send(api, c.version(api.key, 1), {
      includeClusterAuthorizedOperations: true,
      endpointType: 1,
    })
    expect(dc.clusterAuthorizedOperations).toBe(operationsBitField(supportedOperations(ResourceType.CLUSTER)))
  })
})
