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
