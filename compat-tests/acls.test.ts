/**
 * ACLs with real, unchanged clients on a 3-broker ZooKeeper cluster with Kafka's ACL authorizer. Clients log in
 * with SASL PLAIN on a CLIENT listener (admin is a super user, alice is not); the brokers talk to each other on
 * PLAINTEXT as User:ANONYMOUS, a super user, as Kafka's documentation sets brokers up. An admin grants alice Write
 * and Read on one topic and Read on one group with kafkajs' admin client; alice produces and consumes there and
 * nowhere else, and metadata hides the other topics. A prefixed ACL covers topics created later (kcat). The ACLs
 * are in ZooKeeper as Kafka stores them, reach every broker (each broker's own metadata answer is checked) and
 * survive a restart of the whole cluster.
 */
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  type Kafka,
  ResourcePatternTypes,
} from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { printBrokerLogsOnFailure } from './support/broker.js'
import { metadataOf, startCluster, type Cluster } from './support/cluster.js'
import { uniqueName, waitFor } from './support/env.js'
import { consumeWithGroup, kafkajs, withAdmin, withProducer } from './support/kafkajs.js'
import { kcatConsume, kcatMetadata, kcatProduce } from './support/kcat.js'
import { freePort } from './support/procs.js'
import { listenerJaasProps, PLAIN_USERS } from './support/security.js'

printBrokerLogsOnFailure()

let cluster: Cluster
/** Each broker's CLIENT (SASL_PLAINTEXT) listener. */
const clientPorts = new Map<number, number>()
const clientAddress = (id: number): string => `127.0.0.1:${clientPorts.get(id)!}`
const clientAddresses = (): string[] => [...clientPorts.keys()].map(clientAddress)

const as = (user: 'admin' | 'alice'): Kafka =>
  kafkajs(clientAddresses(), {
    clientId: `acl-${user}`,
    sasl: { mechanism: 'plain', username: user, password: PLAIN_USERS[user]! },
    retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 1000 },
  })
const kcatAs = (user: 'admin' | 'alice') => ({
  'security.protocol': 'sasl_plaintext',
  'sasl.mechanisms': 'PLAIN',
  'sasl.username': user,
  'sasl.password': PLAIN_USERS[user]!,
})

/** The topics one broker's Metadata answer shows alice (kcat -L bootstrapped to that broker alone). */
async function visibleTo(id: number, user: 'admin' | 'alice' = 'alice'): Promise<string[]> {
  const md = await kcatMetadata(clientAddress(id), undefined, kcatAs(user))
  return md.topics.map((t) => t.topic).filter((t) => !t.startsWith('__'))
}

/** Waits until every broker shows alice exactly whether `topic` is visible. */
async function everyBrokerShows(topic: string, visible: boolean): Promise<void> {
  for (const id of clientPorts.keys()) {
    await waitFor(
      `broker ${id} to ${visible ? 'show' : 'hide'} ${topic} to alice`,
      async () => (await visibleTo(id)).includes(topic) === visible,
      { timeoutMs: 20_000, intervalMs: 200 },
    )
  }
}

/** kafkajs's admin asks the controller named by Metadata; wait until every broker names one. */
async function waitForKnownController(): Promise<void> {
  await waitFor(
    'every broker names a controller in Metadata',
    async () => {
      const answers = await Promise.all(cluster.brokers.map((b) => metadataOf(b, [])))
      return answers.every((md) => md.controllerId >= 0)
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  )
}

const topicAcl = (
  resourceName: string,
  operation: AclOperationTypes,
  resourcePatternType: ResourcePatternTypes = ResourcePatternTypes.LITERAL,
) => ({
  resourceType: AclResourceTypes.TOPIC,
  resourceName,
  resourcePatternType,
  principal: 'User:alice',
  host: '*',
  operation,
  permissionType: AclPermissionTypes.ALLOW,
})

const orders = uniqueName('acl-orders')
const secret = uniqueName('acl-secret')
const group = uniqueName('acl-group')
const prefix = `${uniqueName('acl-new')}-`

beforeAll(async () => {
  for (const id of [0, 1, 2]) clientPorts.set(id, await freePort())
  const jaas = listenerJaasProps('CLIENT')['listener.name.client.plain.sasl.jaas.config']!
  cluster = await startCluster({
    overrides: {
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CLIENT:SASL_PLAINTEXT',
      'inter.broker.listener.name': 'PLAINTEXT',
      'sasl.enabled.mechanisms': 'PLAIN',
      'listener.name.client.plain.sasl.jaas.config': jaas,
      'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer',
      'super.users': 'User:admin;User:ANONYMOUS',
    },
    brokerOverrides: (id, port) => ({
      listeners: `PLAINTEXT://127.0.0.1:${port},CLIENT://${clientAddress(id)}`,
    }),
  })
  await waitForKnownController()
}, 120_000)

afterAll(async () => {
  await cluster?.stop()
})

describe('ACLs with kafkajs and kcat on a 3-broker cluster', () => {
  it('denies by default; alice may use the one topic and group an admin grants her, and nothing else', async () => {
    await withAdmin(as('admin'), (admin) =>
      admin.createTopics({
        waitForLeaders: true,
        topics: [
          { topic: orders, numPartitions: 3, replicationFactor: 3 },
          { topic: secret, numPartitions: 1, replicationFactor: 3 },
        ],
      }),
    )
    await cluster.waitForTopic(orders, 3)
    const alice = as('alice')
    // Nothing is granted: every broker hides both topics, and writes are refused.
    for (const id of clientPorts.keys()) expect(await visibleTo(id)).toEqual([])
    expect((await visibleTo(0, 'admin')).sort()).toEqual([orders, secret].sort())
    await expect(
      withProducer(alice, {}, (p) => p.send({ topic: orders, messages: [{ value: 'x' }] })),
    ).rejects.toThrow(/authoriz/i)

    await withAdmin(as('admin'), (admin) =>
      admin.createAcls({
        acl: [
          topicAcl(orders, AclOperationTypes.WRITE),
          topicAcl(orders, AclOperationTypes.READ),
          {
            resourceType: AclResourceTypes.GROUP,
            resourceName: group,
            resourcePatternType: ResourcePatternTypes.LITERAL,
            principal: 'User:alice',
            host: '*',
            operation: AclOperationTypes.READ,
            permissionType: AclPermissionTypes.ALLOW,
          },
        ],
      }),
    )
    // The grant reaches every broker (ZooKeeper change notifications); each shows alice her topic only.
    await everyBrokerShows(orders, true)
    for (const id of clientPorts.keys()) expect(await visibleTo(id)).toEqual([orders])

    const messages = Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `order ${i}` }))
    await withProducer(alice, {}, (p) => p.send({ topic: orders, acks: -1, messages }))
    const got = await consumeWithGroup(alice, { topic: orders, groupId: group, count: messages.length })
    expect(got.map((m) => m.value).sort()).toEqual(messages.map((m) => m.value).sort())

    // Nowhere else: another topic, another group, topic creation.
    await expect(
      withProducer(alice, {}, (p) => p.send({ topic: secret, messages: [{ value: 'x' }] })),
    ).rejects.toThrow(/authoriz/i)
    await expect(
      consumeWithGroup(alice, { topic: secret, groupId: group, count: 1, timeoutMs: 15_000 }),
    ).rejects.toThrow(/authoriz/i)
    // kafkajs reports the GROUP_AUTHORIZATION_FAILED of FindCoordinator as a coordinator it cannot find.
    await expect(
      consumeWithGroup(alice, {
        topic: orders,
        groupId: uniqueName('acl-other-group'),
        count: 1,
        timeoutMs: 15_000,
      }),
    ).rejects.toThrow(/authoriz|Failed to find group coordinator/i)
    const refused = await withAdmin(alice, (admin) =>
      admin.createTopics({ topics: [{ topic: uniqueName('acl-mine') }] }),
    ).catch((e: unknown) => e as { errors?: { type: string }[] })
    expect((refused as { errors?: { type: string }[] }).errors?.map((e) => e.type)).toEqual([
      'TOPIC_AUTHORIZATION_FAILED',
    ])
    // Without Alter on the cluster alice may not manage ACLs either.
    await expect(
      withAdmin(alice, (admin) => admin.createAcls({ acl: [topicAcl(secret, AclOperationTypes.ALL)] })),
    ).rejects.toThrow(/authoriz/i)

    const described = await withAdmin(as('admin'), (admin) =>
      admin.describeAcls({
        resourceType: AclResourceTypes.ANY,
        resourcePatternType: ResourcePatternTypes.ANY,
        principal: 'User:alice',
        operation: AclOperationTypes.ANY,
        permissionType: AclPermissionTypes.ANY,
      }),
    )
    expect(
      described.resources
        .flatMap((r) => r.acls.map((a) => `${r.resourceType}:${r.resourceName}:${a.operation}`))
        .sort(),
    ).toEqual(
      [
        `${AclResourceTypes.GROUP}:${group}:${AclOperationTypes.READ}`,
        `${AclResourceTypes.TOPIC}:${orders}:${AclOperationTypes.READ}`,
        `${AclResourceTypes.TOPIC}:${orders}:${AclOperationTypes.WRITE}`,
      ].sort(),
    )
  })

  it('a prefixed ACL covers topics created after it (kcat / librdkafka)', async () => {
    await withAdmin(as('admin'), (admin) =>
      admin.createAcls({
        acl: [
          topicAcl(prefix, AclOperationTypes.WRITE, ResourcePatternTypes.PREFIXED),
          topicAcl(prefix, AclOperationTypes.READ, ResourcePatternTypes.PREFIXED),
        ],
      }),
    )
    const later = `${prefix}1`
    await withAdmin(as('admin'), (admin) =>
      admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic: later, numPartitions: 1, replicationFactor: 3 }],
      }),
    )
    await everyBrokerShows(later, true)
    await kcatProduce(clientAddress(1), later, [{ value: 'covered by the prefix' }], {
      props: kcatAs('alice'),
    })
    const got = await kcatConsume(clientAddress(2), later, { props: kcatAs('alice'), count: 1 })
    expect(got.map((m) => m.payload)).toEqual(['covered by the prefix'])
  })

  it('stores the ACLs in ZooKeeper as Kafka does; they survive a restart of every broker and can be deleted', async () => {
    const stored = await cluster.json<{
      version: number
      acls: { principal: string; permissionType: string; operation: string; host: string }[]
    }>(`/kafka-acl/Topic/${orders}`)
    expect(stored?.version).toBe(1)
    expect(
      stored?.acls.map((a) => `${a.principal} ${a.permissionType} ${a.operation} ${a.host}`).sort(),
    ).toEqual(['User:alice Allow Read *', 'User:alice Allow Write *'])
    expect(await cluster.json(`/kafka-acl-extended/prefixed/Topic/${prefix}`)).toBeDefined()
    expect(await cluster.json(`/kafka-acl/Group/${group}`)).toBeDefined()
    expect((await cluster.children('/kafka-acl-changes'))?.length).toBeGreaterThan(0)
    expect((await cluster.children('/kafka-acl-extended-changes'))?.length).toBeGreaterThan(0)

    for (const b of cluster.brokers) await b.restart()
    await cluster.waitForRegistered([0, 1, 2])
    await waitForKnownController()
    await cluster.waitForTopic(orders, 3)
    for (const id of clientPorts.keys()) {
      expect((await visibleTo(id)).sort()).toEqual([orders, `${prefix}1`].sort())
    }
    const alice = as('alice')
    await withProducer(alice, {}, (p) => p.send({ topic: orders, messages: [{ value: 'after restart' }] }))
    await expect(
      withProducer(alice, {}, (p) => p.send({ topic: secret, messages: [{ value: 'x' }] })),
    ).rejects.toThrow(/authoriz/i)

    const deleted = await withAdmin(as('admin'), (admin) =>
      admin.deleteAcls({
        filters: [
          {
            resourceType: AclResourceTypes.TOPIC,
            resourceName: orders,
            resourcePatternType: ResourcePatternTypes.MATCH,
            principal: 'User:alice',
            host: '*',
            operation: AclOperationTypes.ANY,
            permissionType: AclPermissionTypes.ANY,
          },
        ],
      }),
    )
    expect(deleted.filterResponses[0]!.matchingAcls).toHaveLength(2)
    await everyBrokerShows(orders, false)
    expect(await cluster.znode(`/kafka-acl/Topic/${orders}`)).toBeUndefined()
  })
})
