/**
 * The KIP-848 consumer group protocol against a real broker process: @platformatic/kafka (the pinned version speaks
 * ConsumerGroupHeartbeat v0 with `groupProtocol: 'consumer'`) runs three members of one group; the broker computes
 * the assignment, the members reconcile, consume every record once between them and commit with their member
 * epochs; one member leaves and the others take over its partitions. ConsumerGroupDescribe v1, DescribeGroups v5/v6
 * and ListGroups v5 are read with the repo's own codec. A second broker with Kafka's ACL authorizer checks that
 * ConsumerGroupDescribe hides a group holding a topic the client may not describe and that a regular expression
 * subscription resolves only to describable topics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { pino } from 'pino'
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka'
import { startBroker, type RunningBroker } from '../src/index.js'
import { Apis } from '../src/protocol/messages/index.js'
import { RawConnection } from './support/raw.js'
import { requestVersionRecorder } from './support/request-versions.js'
import { uniqueName, waitFor } from './support/env.js'
import { withRaw } from './support/groups.js'
import { HeartbeatMember } from './support/heartbeat-member.js'
import { kafkajs, withAdmin } from './support/kafkajs.js'

const { used, sink } = requestVersionRecorder()
let broker: RunningBroker

beforeAll(async () => {
  broker = await startBroker({
    logger: pino({ level: 'trace' }, sink),
    properties: {
      'group.coordinator.rebalance.protocols': 'classic,consumer',
      'group.initial.rebalance.delay.ms': 0,
      // members reconcile on their heartbeats: a short interval keeps the test short
      'group.consumer.min.heartbeat.interval.ms': 200,
      'group.consumer.heartbeat.interval.ms': 200,
    },
  })
})

afterAll(async () => {
  await broker?.stop()
})

async function describeGroup(groupId: string) {
  const [host, port] = broker.bootstrap.split(':')
  const conn = await RawConnection.connect(host!, Number(port))
  try {
    const r = await conn.request(Apis.ConsumerGroupDescribe, 1, {
      groupIds: [groupId],
      includeAuthorizedOperations: false,
    })
    return r.groups[0]!
  } finally {
    conn.close()
  }
}

/** The group once Stable with `members` members holding `each` partitions each. */
async function balanced(groupId: string, members: number, each: number) {
  const g = await describeGroup(groupId)
  const sizes = g.members.map((m) =>
    m.assignment.topicPartitions.reduce((n, t) => n + t.partitions.length, 0),
  )
  return g.groupState === 'Stable' && g.members.length === members && sizes.every((n) => n === each)
    ? g
    : undefined
}

describe('the KIP-848 consumer group protocol (@platformatic/kafka, group.protocol=consumer)', () => {
  it('three members share the partitions, consume everything once, and one leaves', async () => {
    const bootstrapBrokers = [broker.bootstrap]
    const topic = uniqueName('kip848')
    const groupId = uniqueName('kip848-g')
    const admin = new Admin({ clientId: 'kip848-admin', bootstrapBrokers })
    await admin.createTopics({ topics: [topic], partitions: 6, replicas: 1 })
    const producer = new Producer({ clientId: 'kip848-p', bootstrapBrokers, serializers: stringSerializers })
    const values = Array.from({ length: 60 }, (_, i) => `v${i}`)
    await producer.send({ messages: values.map((value, i) => ({ topic, key: `k${i}`, value })) })
    await producer.close()

    const seen = new Map<string, number>()
    const consumers = [0, 1, 2].map(
      (i) =>
        new Consumer({
          groupId,
          clientId: `kip848-c${i}`,
          bootstrapBrokers,
          deserializers: stringDeserializers,
          maxWaitTime: 200,
          groupProtocol: 'consumer',
        }),
    )
    // Each stream gets its 'data' listener the moment it exists, not once all three have joined: when a member
    // has partitions revoked, the client pauses and then resumes its streams, and resume() puts a stream that has
    // no listener yet into flowing mode — records it then fetches are emitted to nobody (and committed).
    // A stream's errors are recorded and judged at the end: an autocommit racing a hand-over is answered
    // STALE_MEMBER_EPOCH (113), as Kafka answers a commit with an epoch the member has just moved past; the client
    // reports that on its stream. Any other error fails the test.
    const streamErrors: unknown[] = []
    const streams = await Promise.all(
      consumers.map((c) =>
        c.consume({ autocommit: 100, topics: [topic], mode: 'earliest' }).then((s) => {
          s.on('data', (m: { value: string }) => seen.set(m.value, (seen.get(m.value) ?? 0) + 1))
          s.on('error', (e: unknown) => streamErrors.push(e))
          return s
        }),
      ),
    )
    const stable = await waitFor('three members, two partitions each, Stable', () => balanced(groupId, 3, 2))
    expect(stable.errorCode).toBe(0)
    expect(stable.assignorName).toBe('uniform')
    expect(stable.members.every((m) => m.memberType === 1 && m.subscribedTopicNames.includes(topic))).toBe(
      true,
    )
    await waitFor('every record', () => values.every((v) => seen.has(v)))

    // one member leaves (heartbeat with epoch -1): the other two take over its partitions
    await streams[2]!.close()
    await consumers[2]!.close()
    const after = await waitFor('two members, three partitions each', () => balanced(groupId, 2, 3))
    expect(after.groupEpoch).toBeGreaterThan(stable.groupEpoch)

    const [host, port] = broker.bootstrap.split(':')
    const conn = await RawConnection.connect(host!, Number(port))
    const listed = await conn.request(Apis.ListGroups, 5, { statesFilter: [], typesFilter: ['consumer'] })
    // DescribeGroups: a consumer group is "Dead" before v6, GROUP_ID_NOT_FOUND from v6 (KIP-1043), as Kafka 4.0
    const classic = async (v: number) =>
      (await conn.request(Apis.DescribeGroups, v, { groups: [groupId], includeAuthorizedOperations: false }))
        .groups[0]!
    expect(await classic(5)).toMatchObject({ errorCode: 0, groupState: 'Dead', members: [] })
    expect(await classic(6)).toMatchObject({
      errorCode: 69,
      errorMessage: `Group ${groupId} is not a classic group.`,
      groupState: 'Dead',
    })
    conn.close()
    expect(
      listed.groups.filter((g) => g.groupId === groupId).map((g) => [g.groupState, g.groupType]),
    ).toEqual([['Stable', 'consumer']])

    await Promise.all(streams.slice(0, 2).map((s) => s.close()))
    await Promise.all(consumers.slice(0, 2).map((c) => c.close()))
    await admin.close()
    expect(streamErrors.flatMap(protocolErrorIds).filter((id) => id !== 'STALE_MEMBER_EPOCH')).toEqual([])
    expect(used.get('ConsumerGroupHeartbeat')).toContain(0)
    expect([...(used.get('OffsetCommit') ?? [])].some((v) => v >= 9)).toBe(true)
  })
})

describe('online migration from a kafkajs classic group (group.consumer.migration.policy=bidirectional)', () => {
  it('upgrades when a consumer-protocol member joins and downgrades when it leaves, keeping every offset', async () => {
    const [host, port] = broker.bootstrap.split(':')
    const addr = { host: host!, port: Number(port) }
    const topic = uniqueName('mig848')
    const groupId = uniqueName('mig848-g')
    const kafka = kafkajs(broker.bootstrap)
    await withAdmin(kafka, (a) =>
      a.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: true }),
    )
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({
      topic,
      messages: Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
    })
    await producer.disconnect()

    // two kafkajs members (the classic protocol, eager): what each was last given, from its GROUP_JOIN event
    const given = new Map<number, number[]>()
    const seen = new Set<string>()
    const consumers = [0, 1].map((i) => {
      const c = kafka.consumer({
        groupId,
        heartbeatInterval: 200,
        maxWaitTimeInMs: 200,
        sessionTimeout: 10_000,
      })
      c.on(c.events.GROUP_JOIN, (e) => given.set(i, e.payload.memberAssignment[topic] ?? []))
      return c
    })
    for (const c of consumers) {
      await c.connect()
      await c.subscribe({ topic, fromBeginning: true })
      await c.run({
        autoCommitInterval: 100,
        eachMessage: async ({ message }) => void seen.add(String(message.value)),
      })
    }
    const offsets = async () =>
      new Map(
        (await withAdmin(kafka, (a) => a.fetchOffsets({ groupId, topics: [topic] })))[0]!.partitions.map(
          (p) => [p.partition, Number(p.offset)],
        ),
      )
    const sum = (o: Map<number, number>) => [...o.values()].reduce((n, x) => n + Math.max(0, x), 0)
    const before = await waitFor('the classic group consumed and committed everything', async () => {
      const o = await offsets()
      return seen.size === 40 && sum(o) === 40 ? o : undefined
    })
    /** The partitions held, when each is held by exactly one of the holders. */
    const exactlyOnce = (held: number[][]) => {
      const all = held.flat().sort()
      return all.length === 4 && new Set(all).size === 4
    }

    // upgrade: a consumer-protocol member joins; the kafkajs members rejoin inside the consumer group
    const member = new HeartbeatMember(groupId, topic)
    expect((await member.beat(addr)).errorCode).toBe(0)
    const settled = await waitFor(
      'a Stable consumer group of three, every partition owned once',
      async () => {
        await member.beat(addr)
        const g = await describeGroup(groupId)
        const owned = g.members.map((m) => m.assignment.topicPartitions.flatMap((t) => t.partitions))
        const kafkajsOwned = [...given.values()]
        return g.groupState === 'Stable' &&
          g.members.length === 3 &&
          member.count > 0 &&
          exactlyOnce(owned) &&
          exactlyOnce([...kafkajsOwned, member.owned.flatMap((t) => t.partitions)])
          ? g
          : undefined
      },
      { intervalMs: 200 },
    )
    expect(settled.members.map((m) => m.memberType).sort()).toEqual([0, 0, 1])
    for (const [p, o] of before) expect((await offsets()).get(p)).toBeGreaterThanOrEqual(o)

    // downgrade: the consumer-protocol member leaves; the kafkajs members rebalance as a classic group
    expect((await member.beat(addr, true)).errorCode).toBe(0)
    const classic = await waitFor(
      'a Stable classic group of the two kafkajs members, every partition owned once',
      async () => {
        const g = await withRaw(addr, (c) =>
          c.request(Apis.DescribeGroups, 5, { groups: [groupId], includeAuthorizedOperations: false }),
        )
        const d = g.groups[0]!
        return d.groupState === 'Stable' && d.members.length === 2 && exactlyOnce([...given.values()])
          ? d
          : undefined
      },
      { intervalMs: 200 },
    )
    expect(classic.protocolType).toBe('consumer')
    const after = await offsets()
    for (const [p, o] of before) expect(after.get(p)).toBeGreaterThanOrEqual(o)
    await Promise.all(consumers.map((c) => c.disconnect()))
  })
})

describe("consumer groups under Kafka's ACL authorizer", () => {
  it('hides a group holding a topic the client may not describe, and narrows a regular expression', async () => {
    const secured = await startBroker({
      logger: pino({ level: 'warn' }),
      properties: {
        'group.coordinator.rebalance.protocols': 'classic,consumer',
        'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer',
        'allow.everyone.if.no.acl.found': 'true',
      },
    })
    const [host, port] = secured.bootstrap.split(':')
    const conn = await RawConnection.connect(host!, Number(port))
    try {
      const prefix = uniqueName('acl848')
      const [open, hidden] = [`${prefix}-open`, `${prefix}-hidden`]
      const created = await conn.request(Apis.CreateTopics, 5, {
        topics: [open, hidden].map((name) => ({
          name,
          numPartitions: 1,
          replicationFactor: 1,
          assignments: [],
          configs: [],
        })),
        timeoutMs: 10_000,
        validateOnly: false,
      })
      expect(created.topics.map((t) => t.errorCode)).toEqual([0, 0])
      /** Joins `groupId` and heartbeats until the assignment holds `n` partitions; their topic ids. */
      const member = async (
        groupId: string,
        sub: { subscribedTopicNames?: string[]; subscribedTopicRegex?: string },
        n: number,
      ) => {
        // as a client does: FindCoordinator first (it creates __consumer_offsets on a fresh broker)
        await waitFor(`${groupId}: coordinator`, async () => {
          const fc = await conn.request(Apis.FindCoordinator, 4, { keyType: 0, coordinatorKeys: [groupId] })
          return fc.coordinators[0]?.errorCode === 0 ? true : undefined
        })
        const memberId = randomBytes(16).toString('base64url')
        let epoch = 0
        let owned: { topicId: string; partitions: number[] }[] = []
        return waitFor(`${groupId}: ${n} partition(s)`, async () => {
          const r = await conn.request(Apis.ConsumerGroupHeartbeat, 1, {
            groupId,
            memberId,
            memberEpoch: epoch,
            rebalanceTimeoutMs: epoch === 0 ? 30_000 : -1,
            topicPartitions: owned,
            ...(epoch === 0 ? sub : {}),
          })
          expect(r.errorCode).toBe(0)
          epoch = r.memberEpoch
          if (r.assignment !== null) owned = r.assignment.topicPartitions
          return owned.length === n ? owned.map((t) => t.topicId) : undefined
        })
      }
      // before any ACL: group h takes the topic that is about to be hidden
      await member(`${prefix}-h`, { subscribedTopicNames: [hidden] }, 1)
      // ANONYMOUS may no longer describe `hidden` (everything else stays open: no ACL found)
      const acl = await conn.request(Apis.CreateAcls, 1, {
        creations: [
          {
            resourceType: 2,
            resourceName: hidden,
            resourcePatternType: 3,
            principal: 'User:ANONYMOUS',
            host: '*',
            operation: 8,
            permissionType: 2,
          },
        ],
      })
      expect(acl.results.map((r) => r.errorCode)).toEqual([0])
      // ACLs reach the authorizer through a change notification: wait until `hidden` is gone from Metadata
      await waitFor('the ACL in force', async () => {
        const md = await conn.request(Apis.Metadata, 12, {
          topics: [{ name: hidden }],
          allowAutoTopicCreation: false,
          includeTopicAuthorizedOperations: false,
        })
        return md.topics[0]?.errorCode === 29 ? true : undefined
      })
      // a regular expression matching both topics resolves to the open one only
      const regexTopics = await member(`${prefix}-g`, { subscribedTopicRegex: `${prefix}-.*` }, 1)
      expect(regexTopics).toHaveLength(1)
      const described = await conn.request(Apis.ConsumerGroupDescribe, 1, {
        groupIds: [`${prefix}-h`],
        includeAuthorizedOperations: false,
      })
      expect(described.groups.map((x) => [x.errorCode, x.errorMessage, x.members.length])).toEqual([
        [29, 'The group has described topic(s) that the client is not authorized to describe.', 0],
      ])
    } finally {
      conn.close()
      await secured.stop()
    }
  })
})

/** The protocol error ids inside a client error (nested AggregateErrors and causes); 'other' for anything else. */
function protocolErrorIds(e: unknown): string[] {
  if (typeof e !== 'object' || e === null) return ['other']
  const err = e as { apiId?: unknown; errors?: unknown; cause?: unknown }
  if (typeof err.apiId === 'string') return [err.apiId]
  if (Array.isArray(err.errors) && err.errors.length > 0) return err.errors.flatMap(protocolErrorIds)
  if (err.cause !== undefined) return protocolErrorIds(err.cause)
  return ['other']
}
