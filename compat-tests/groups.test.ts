/**
 * Consumer groups with kafkajs 2.2.4, unchanged, against one standalone Samsa broker (the classic group
 * protocol): partitions split between members, a member leaving or dying (`kill -9` of a consumer in a child
 * process) and the others continuing from the committed offsets, two groups on one topic, the admin views
 * (describe/list/fetch/reset/set/delete), offsets with metadata and leader epochs (raw OffsetCommit v8 built with
 * the repo's codec), the records in `__consumer_offsets`, and committed offsets surviving a `kill -9` of the broker.
 */
import { AssignerProtocol, type Kafka, logLevel } from 'kafkajs'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type BrokerProcess, printBrokerLogsOnFailure, startBroker } from './support/broker.js'
import { uniqueName } from './support/env.js'
import {
  duplicates,
  KafkajsMember,
  latestCommits,
  offsetsPartitionFor,
  rawOffsetCommit,
  rawOffsetFetch,
  reportForeignStops,
  readOffsetsPartition,
  type Received,
  waitAllDelivered,
  waitCoordinator,
  spread,
  startKafkajsChild,
  stopGroupProcesses,
  waitFor,
} from './support/groups.js'
import { createTopic, kafkajs, withAdmin, withProducer } from './support/kafkajs.js'

let broker: BrokerProcess
let kafka: Kafka
const members: KafkajsMember[] = []

printBrokerLogsOnFailure()
reportForeignStops(() => [broker])

beforeAll(async () => {
  broker = await startBroker({ overrides: { 'group.min.session.timeout.ms': 1000 } })
  kafka = kafkajs(broker.bootstrap, {
    logLevel: logLevel.NOTHING,
    retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 2000 },
  })
})

afterEach(async () => {
  await Promise.all(members.splice(0).map((m) => m.stop().catch(() => undefined)))
  await stopGroupProcesses()
})

afterAll(async () => {
  await stopGroupProcesses()
  await broker?.stop()
})

async function produce(topic: string, messages: Array<{ partition: number; value: string }>): Promise<void> {
  await withProducer(kafka, {}, async (p) => {
    for (let i = 0; i < messages.length; i += 500) {
      const r = await p.send({ topic, acks: -1, messages: messages.slice(i, i + 500) })
      expect(r.every((x) => x.errorCode === 0)).toBe(true)
    }
  })
}

async function committed(groupId: string, topic: string): Promise<Map<number, number>> {
  const r = await withAdmin(kafka, (a) => a.fetchOffsets({ groupId, topics: [topic] }))
  return new Map(r[0]!.partitions.map((p) => [p.partition, Number(p.offset)]))
}

function member(name: string, topic: string, groupId: string, sink: Received[]): KafkajsMember {
  const m = new KafkajsMember(name, kafka, topic, groupId, sink)
  members.push(m)
  return m
}

/**
 * Waits until the group is Stable with as many members as `assignments`, the members' latest assignments split
 * `partitions` evenly, and DescribeGroups reports the same assignments.
 */
async function waitBalanced(
  groupId: string,
  assignments: Array<() => number[]>,
  partitions: number,
  timeoutMs = 30_000,
): Promise<void> {
  const key = (xs: number[][]): string =>
    xs
      .map((x) => [...x].sort((p, q) => p - q).join(','))
      .sort()
      .join('|')
  await waitFor(
    `${assignments.length} members of ${groupId} to share ${partitions} partitions`,
    async () => {
      const local = assignments.map((f) => f())
      const all = local.flat().sort((p, q) => p - q)
      if (all.join() !== Array.from({ length: partitions }, (_, i) => i).join()) return undefined
      const sizes = local.map((x) => x.length)
      if (Math.max(...sizes) - Math.min(...sizes) > 1) return undefined
      const { groups } = await withAdmin(kafka, (admin) => admin.describeGroups([groupId]))
      const g = groups[0]
      if (!g || g.state !== 'Stable' || g.members.length !== assignments.length) return undefined
      const described = g.members.map((m) => {
        const a = AssignerProtocol.MemberAssignment.decode(m.memberAssignment)
        return Object.values(a?.assignment ?? {}).flat()
      })
      return key(described) === key(local) ? true : undefined
    },
    { timeoutMs, intervalMs: 200 },
  )
}

const of = (...ms: KafkajsMember[]): Array<() => number[]> => ms.map((m) => () => m.assignment)

const values = (xs: readonly { value: string | null }[]): string[] => xs.map((x) => x.value ?? '').sort()

describe('kafkajs: one group, three members, a 6-partition topic', () => {
  const topic = uniqueName('grp-split')
  const groupId = uniqueName('grp-split-g')
  const sink: Received[] = []
  let a: KafkajsMember, b: KafkajsMember, c: KafkajsMember
  const sent: Array<{ partition: number; value: string }> = []

  beforeAll(async () => {
    await createTopic(broker.bootstrap, topic, { partitions: 6 })
  })

  afterAll(async () => {
    await Promise.all([a, b, c].map((m) => m?.stop().catch(() => undefined)))
  })

  it('the members split the partitions 2/2/2 and every message is delivered exactly once', async () => {
    a = new KafkajsMember('a', kafka, topic, groupId, sink)
    b = new KafkajsMember('b', kafka, topic, groupId, sink)
    c = new KafkajsMember('c', kafka, topic, groupId, sink)
    await Promise.all([a.start(), b.start(), c.start()])
    await waitBalanced(groupId, of(a, b, c), 6)
    for (const m of [a, b, c]) expect(m.assignment).toHaveLength(2)

    sent.push(...spread('split', 600, 6))
    await produce(topic, sent)
    await waitFor('600 messages', () => sink.length >= 600, { timeoutMs: 30_000 })
    await waitAllDelivered(kafka, topic, groupId, sink)
    expect(duplicates(sink, (r) => r.value)).toEqual([])
    expect(values(sink)).toEqual(values(sent))
    // each member got exactly the messages of its own partitions, in offset order per partition
    for (const m of [a, b, c]) {
      const mine = sink.filter((r) => r.member === m.name)
      expect(new Set(mine.map((r) => r.partition))).toEqual(new Set(m.assignment))
      expect(mine).toHaveLength(200)
      for (const p of m.assignment) {
        expect(mine.filter((r) => r.partition === p).map((r) => r.offset)).toEqual(
          Array.from({ length: 100 }, (_, i) => i),
        )
      }
    }
    // kafkajs commits after each batch: everything is committed
    expect([...(await committed(groupId, topic)).values()]).toEqual([100, 100, 100, 100, 100, 100])
  })

  it('a member that leaves (disconnect): the other two rebalance and continue from the committed offsets', async () => {
    const before = sink.length
    const joinsBefore = [a.joins.length, b.joins.length]
    const leftPartitions = c.assignment
    await c.stop()
    await waitFor(
      'a and b to rejoin',
      () => a.joins.length > joinsBefore[0]! && b.joins.length > joinsBefore[1]!,
    )
    await waitBalanced(groupId, of(a, b), 6)
    expect([...a.assignment, ...b.assignment].sort()).toEqual([0, 1, 2, 3, 4, 5])

    const more = spread('after-leave', 300, 6)
    sent.push(...more)
    await produce(topic, more)
    await waitFor('the 300 new messages', () => sink.length >= before + 300, { timeoutMs: 30_000 })
    await waitAllDelivered(kafka, topic, groupId, sink)
    const after = sink.slice(before)
    // nothing from before the leave was delivered again: c had committed everything it processed
    expect(after.filter((r) => !r.value.startsWith('after-leave'))).toEqual([])
    expect(duplicates(sink, (r) => r.value)).toEqual([])
    expect(values(sink)).toEqual(values(sent))
    // the partitions c had continue at offset 100, where c's commits left them
    for (const p of leftPartitions) {
      expect(after.filter((r) => r.partition === p).map((r) => r.offset)[0]).toBe(100)
    }
  })
})

describe('kafkajs: a member killed with -9', () => {
  it('the others rebalance after the session timeout and re-deliver only what the dead member had not committed', async () => {
    const topic = uniqueName('grp-kill')
    const groupId = uniqueName('grp-kill-g')
    await createTopic(broker.bootstrap, topic, { partitions: 6 })
    const sink: Received[] = []
    const a = member('a', topic, groupId, sink)
    const b = member('b', topic, groupId, sink)
    await Promise.all([a.start(), b.start()])
    await waitBalanced(groupId, of(a, b), 6)
    // the third member: a kafkajs consumer in its own process, committing each message right after it processed
    // it, except messages whose value starts with "nocommit"
    const child = startKafkajsChild({
      brokers: [broker.bootstrap],
      topic,
      groupId,
      name: 'victim',
      manualCommit: true,
      sessionTimeout: 6000,
      heartbeatInterval: 500,
    })
    const childAssignment = (): number[] => {
      const joins = child.all('join') as unknown as Array<{ assignment: Record<string, number[]> }>
      return [...(joins[joins.length - 1]?.assignment[topic] ?? [])].sort((p, q) => p - q)
    }
    await child.until('the child to join', () => child.all('join').length > 0)
    await waitBalanced(groupId, [...of(a, b), childAssignment], 6)
    const childPartitions = childAssignment()
    expect(childPartitions).toHaveLength(2)
    expect([...a.assignment, ...b.assignment, ...childPartitions].sort()).toEqual([0, 1, 2, 3, 4, 5])

    const childMessages = (): Array<{ partition: number; offset: number; value: string }> =>
      child.all('message') as unknown as Array<{ partition: number; offset: number; value: string }>
    const phase1 = spread('commit', 60, 6) // 10 per partition, committed by whoever processes them
    await produce(topic, phase1)
    await child.until(
      'the child to commit its 20 messages',
      (ev) => ev.filter((e) => e.event === 'committed').length >= 20,
    )
    await waitFor('a and b to process their 40', () => sink.length >= 40)
    const phase2 = spread('nocommit', 60, 6) // the child processes its share without committing
    await produce(topic, phase2)
    await child.until(
      'the child to process 20 nocommit messages',
      () => childMessages().filter((m) => m.value.startsWith('nocommit')).length >= 20,
    )
    await waitFor('a and b to process their 40 nocommit messages', () => sink.length >= 80)
    const childUncommitted = childMessages().filter((m) => m.value.startsWith('nocommit'))
    expect(childUncommitted).toHaveLength(20)

    const killedAt = Date.now()
    await child.kill()
    // The child's last commits are on the broker: offset 10 on each of its partitions.
    const afterKill = await committed(groupId, topic)
    for (const p of childPartitions) expect(afterKill.get(p)).toBe(10)

    const joinsBefore = [a.joins.length, b.joins.length]
    await waitFor(
      'a and b to rejoin',
      () => a.joins.length > joinsBefore[0]! && b.joins.length > joinsBefore[1]!,
      { timeoutMs: 30_000 },
    )
    await waitBalanced(groupId, of(a, b), 6)
    const rebalanceMs = Math.max(a.joins.at(-1)!.at, b.joins.at(-1)!.at) - killedAt
    // Nothing rebalances before the dead member's session (6 s) expires.
    expect(rebalanceMs).toBeGreaterThan(5_000)
    expect(rebalanceMs).toBeLessThan(20_000)

    await waitFor('the re-delivered messages', () => sink.length >= 100, { timeoutMs: 20_000 })
    const phase3 = spread('after-kill', 60, 6)
    await produce(topic, phase3)
    await waitFor('the last 60 messages', () => sink.length >= 160, { timeoutMs: 20_000 })
    await waitAllDelivered(kafka, topic, groupId, sink)

    const everything = [...sink, ...childMessages().map((m) => ({ ...m, member: 'victim' }))]
    // no message lost
    expect([...new Set(everything.map((m) => m.value))].sort()).toEqual(
      values([...phase1, ...phase2, ...phase3]),
    )
    // at-least-once: the duplicates are exactly the messages the dead member processed after its last commit
    const dups = duplicates(everything, (m) => m.value).sort()
    console.log(
      `[groups] kill -9 of a member: rebalance after ${rebalanceMs} ms; ${dups.length} duplicates ` +
        `(= the ${childUncommitted.length} messages it had processed but not committed)`,
    )
    expect(dups).toEqual(childUncommitted.map((m) => m.value).sort())
    // the survivors started the dead member's partitions exactly at its committed offset (10)
    for (const p of childPartitions) {
      const offsets = sink.filter((r) => r.partition === p).map((r) => r.offset)
      expect(offsets).toEqual(Array.from({ length: 20 }, (_, i) => 10 + i))
    }
  })
})

describe('kafkajs: two groups on one topic', () => {
  it('each group sees every message once', async () => {
    const topic = uniqueName('grp-two')
    await createTopic(broker.bootstrap, topic, { partitions: 6 })
    const g1 = uniqueName('grp-two-g1')
    const g2 = uniqueName('grp-two-g2')
    const sink1: Received[] = []
    const sink2: Received[] = []
    const m1a = member('1a', topic, g1, sink1)
    const m1b = member('1b', topic, g1, sink1)
    const m2a = member('2a', topic, g2, sink2)
    await Promise.all([m1a.start(), m1b.start(), m2a.start()])
    await waitBalanced(g1, of(m1a, m1b), 6)
    await waitBalanced(g2, of(m2a), 6)
    const sent = spread('two', 240, 6)
    await produce(topic, sent)
    await waitFor('both groups to get 240 messages', () => sink1.length >= 240 && sink2.length >= 240)
    await waitAllDelivered(kafka, topic, g1, sink1)
    await waitAllDelivered(kafka, topic, g2, sink2)
    for (const sink of [sink1, sink2]) {
      expect(duplicates(sink, (r) => r.value)).toEqual([])
      expect(values(sink)).toEqual(values(sent))
    }
    expect(new Set(sink1.map((r) => r.member))).toEqual(new Set(['1a', '1b']))
  })
})

describe('kafkajs admin views of groups', () => {
  const topic = uniqueName('grp-admin')
  const groupId = uniqueName('grp-admin-g')
  const sink: Received[] = []

  beforeAll(async () => {
    await createTopic(broker.bootstrap, topic, { partitions: 3 })
    await produce(topic, spread('admin', 30, 3))
  })

  it('describeGroups, listGroups and fetchOffsets of a live group; deleteGroups refuses it (NON_EMPTY_GROUP)', async () => {
    const m1 = member('m1', topic, groupId, sink)
    const m2 = member('m2', topic, groupId, sink)
    await Promise.all([m1.start(), m2.start()])
    await waitBalanced(groupId, of(m1, m2), 3)
    await waitFor('30 messages', () => sink.length >= 30)
    await waitFor('all committed', async () =>
      [...(await committed(groupId, topic)).values()].every((o) => o === 10),
    )

    await withAdmin(kafka, async (admin) => {
      const { groups } = await admin.describeGroups([groupId])
      expect(groups).toHaveLength(1)
      const g = groups[0]!
      expect(g).toMatchObject({
        groupId,
        errorCode: 0,
        state: 'Stable',
        protocolType: 'consumer',
        protocol: 'RoundRobinAssigner',
      })
      expect(g.members).toHaveLength(2)
      const assigned: number[] = []
      for (const m of g.members) {
        expect(m.clientId).toBe('samsa-compat')
        expect(m.clientHost).toMatch(/127\.0\.0\.1/)
        const meta = AssignerProtocol.MemberMetadata.decode(m.memberMetadata)
        expect(meta?.topics).toEqual([topic])
        const asg = AssignerProtocol.MemberAssignment.decode(m.memberAssignment)
        assigned.push(...(asg?.assignment[topic] ?? []))
      }
      expect(assigned.sort()).toEqual([0, 1, 2])
      expect(new Set(g.members.map((m) => m.memberId))).toEqual(new Set([m1.memberId, m2.memberId]))

      const listed = await admin.listGroups()
      expect(listed.groups).toContainEqual({ groupId, protocolType: 'consumer' })

      const offsets = await admin.fetchOffsets({ groupId, topics: [topic] })
      expect(offsets).toEqual([
        {
          topic,
          partitions: [0, 1, 2].map((partition) => ({ partition, offset: '10', metadata: null })),
        },
      ])

      const err = await admin.deleteGroups([groupId]).then(
        () => undefined,
        (e: { groups?: Array<{ groupId: string; errorCode: number }> }) => e,
      )
      expect(err?.groups).toEqual([expect.objectContaining({ groupId, errorCode: 68 })]) // NON_EMPTY_GROUP
    })
  })

  it('an empty group: describe says Empty; resetOffsets earliest/latest, setOffsets, deleteGroups', async () => {
    await Promise.all(members.splice(0).map((m) => m.stop()))
    await withAdmin(kafka, async (admin) => {
      const { groups } = await admin.describeGroups([groupId])
      expect(groups[0]).toMatchObject({ groupId, errorCode: 0, state: 'Empty', members: [] })
      expect((await admin.listGroups()).groups).toContainEqual({ groupId, protocolType: 'consumer' })

      // earliest: kafkajs commits the EARLIEST sentinel; resolveOffsets turns it into the log start offsets
      await admin.resetOffsets({ groupId, topic, earliest: true })
      const early = await admin.fetchOffsets({ groupId, topics: [topic], resolveOffsets: true })
      expect(early[0]!.partitions.map((p) => [p.partition, p.offset])).toEqual([
        [0, '0'],
        [1, '0'],
        [2, '0'],
      ])
      expect([...(await committed(groupId, topic)).values()]).toEqual([0, 0, 0])

      // a consumer of the group now reads everything again
      const again: Received[] = []
      const r1 = member('r1', topic, groupId, again)
      await r1.start()
      await waitFor('30 messages again', () => again.length >= 30)
      await r1.stop()
      members.splice(members.indexOf(r1), 1)
      expect(again.map((m) => m.offset).filter((o) => o === 0)).toHaveLength(3)

      // latest, then a new message on each partition: a consumer sees only those (they are the last records of
      // their partitions: once they are in, nothing earlier can still come)
      await admin.resetOffsets({ groupId, topic, earliest: false })
      const late = await admin.fetchOffsets({ groupId, topics: [topic], resolveOffsets: true })
      expect(late[0]!.partitions.map((p) => p.offset)).toEqual(['10', '10', '10'])
      await produce(topic, [
        { partition: 0, value: 'late-0' },
        { partition: 1, value: 'late-1' },
        { partition: 2, value: 'late-2' },
      ])
      const latest: Received[] = []
      const r2 = member('r2', topic, groupId, latest)
      await r2.start()
      await waitAllDelivered(kafka, topic, undefined, latest)
      await r2.stop()
      members.splice(members.indexOf(r2), 1)
      expect(latest.map((m) => m.value).sort()).toEqual(['late-0', 'late-1', 'late-2'])

      // setOffsets to explicit positions
      await admin.setOffsets({
        groupId,
        topic,
        partitions: [
          { partition: 0, offset: '3' },
          { partition: 1, offset: '7' },
          { partition: 2, offset: '11' },
        ],
      })
      expect([...(await committed(groupId, topic)).entries()].sort()).toEqual([
        [0, 3],
        [1, 7],
        [2, 11],
      ])
      const fromSet: Received[] = []
      const r3 = member('r3', topic, groupId, fromSet)
      await r3.start()
      await waitFor('8 + 4 messages', () => fromSet.length >= 12)
      await r3.stop()
      members.splice(members.indexOf(r3), 1)
      const firstOf = (p: number): number | undefined => fromSet.find((m) => m.partition === p)?.offset
      expect([firstOf(0), firstOf(1), firstOf(2)]).toEqual([3, 7, undefined])

      // deleteGroups: the empty group goes; a second delete (or an unknown group) is GROUP_ID_NOT_FOUND
      expect(await admin.deleteGroups([groupId])).toEqual([
        expect.objectContaining({ groupId, errorCode: 0 }),
      ])
      const { groups: after } = await admin.describeGroups([groupId])
      expect(after[0]).toMatchObject({ groupId, state: 'Dead', members: [] })
      expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain(groupId)
      expect([...(await committed(groupId, topic)).values()]).toEqual([-1, -1, -1])
      for (const g of [groupId, uniqueName('never-existed')]) {
        const err = await admin.deleteGroups([g]).then(
          () => undefined,
          (e: { groups?: Array<{ groupId: string; errorCode: number }> }) => e,
        )
        expect(err?.groups).toEqual([expect.objectContaining({ groupId: g, errorCode: 69 })]) // GROUP_ID_NOT_FOUND
      }
    })
  })
})

describe('kafkajs deleteTopicRecords and a group', () => {
  it('a committed offset below the new log start: the group resumes at the log start', async () => {
    const topic = uniqueName('grp-delrec')
    const groupId = uniqueName('grp-delrec-g')
    await createTopic(broker.bootstrap, topic, { partitions: 1 })
    await produce(topic, spread('delrec', 20, 1))
    await waitCoordinator(broker, groupId)
    expect(await rawOffsetCommit(broker, groupId, topic, [{ partition: 0, offset: 3 }])).toEqual([
      { partition: 0, errorCode: 0 },
    ])
    await withAdmin(kafka, async (a) => {
      await a.fetchTopicMetadata({ topics: [topic] }) // kafkajs needs the topic's metadata loaded first
      await a.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '10' }] })
    })
    // the commit itself is untouched
    expect((await committed(groupId, topic)).get(0)).toBe(3)
    const sink: Received[] = []
    const m = member('delrec', topic, groupId, sink)
    await m.start()
    await waitAllDelivered(kafka, topic, groupId, sink)
    // offset 3 is out of range now: kafkajs resets to the earliest offset (fromBeginning), the new log start
    expect(sink.map((r) => r.offset)).toEqual(Array.from({ length: 10 }, (_, i) => 10 + i))
    expect((await committed(groupId, topic)).get(0)).toBe(20)
  })
})

describe('committed offsets: metadata, leader epochs, __consumer_offsets, and a kill -9 of the broker', () => {
  const topic = uniqueName('grp-offsets')
  const rawGroup = uniqueName('grp-raw')
  const liveGroup = uniqueName('grp-live')
  const pausedGroup = uniqueName('grp-paused')
  const sink: Received[] = []
  const pausedSink: Received[] = []
  let live: KafkajsMember

  beforeAll(async () => {
    await createTopic(broker.bootstrap, topic, { partitions: 2 })
    await produce(topic, spread('off', 40, 2))
  })

  afterAll(async () => {
    await live?.stop().catch(() => undefined)
  })

  it('OffsetCommit v8 with metadata and leader epochs round-trips through OffsetFetch (v5, v7, kafkajs)', async () => {
    await waitCoordinator(broker, rawGroup)
    const r = await rawOffsetCommit(broker, rawGroup, topic, [
      { partition: 0, offset: 12, leaderEpoch: 7, metadata: 'checkpoint κ-1' },
      { partition: 1, offset: 5, leaderEpoch: -1, metadata: null },
    ])
    expect(r).toEqual([
      { partition: 0, errorCode: 0 },
      { partition: 1, errorCode: 0 },
    ])
    for (const version of [5, 7]) {
      const f = await rawOffsetFetch(broker, rawGroup, topic, [0, 1], version)
      expect(f.errorCode).toBe(0)
      expect(f.partitions).toEqual([
        { partition: 0, offset: 12, leaderEpoch: 7, metadata: 'checkpoint κ-1', errorCode: 0 },
        { partition: 1, offset: 5, leaderEpoch: -1, metadata: '', errorCode: 0 },
      ])
    }
    const viaKafkajs = await withAdmin(kafka, (a) => a.fetchOffsets({ groupId: rawGroup, topics: [topic] }))
    expect(viaKafkajs[0]!.partitions).toEqual([
      { partition: 0, offset: '12', metadata: 'checkpoint κ-1' },
      { partition: 1, offset: '5', metadata: null },
    ])
  })

  it('the commits are records in the group’s __consumer_offsets partition', async () => {
    // kafkajs groups: one keeps running, one commits part of the topic and stops
    live = new KafkajsMember('live', kafka, topic, liveGroup, sink)
    await live.start()
    await waitFor('40 messages', () => sink.length >= 40)
    await waitFor('live group committed', async () =>
      [...(await committed(liveGroup, topic)).values()].every((o) => o === 20),
    )
    await waitCoordinator(broker, pausedGroup)
    // the other group commits as a simple consumer (no member id, generation -1), as kafkajs' admin would
    expect(
      await rawOffsetCommit(broker, pausedGroup, topic, [
        { partition: 0, offset: 4 },
        { partition: 1, offset: 9, metadata: 'paused' },
      ]),
    ).toEqual([
      { partition: 0, errorCode: 0 },
      { partition: 1, errorCode: 0 },
    ])

    for (const [group, expected] of [
      [
        rawGroup,
        [
          [0, 12],
          [1, 5],
        ],
      ],
      [
        liveGroup,
        [
          [0, 20],
          [1, 20],
        ],
      ],
      [
        pausedGroup,
        [
          [0, 4],
          [1, 9],
        ],
      ],
    ] as const) {
      const p = offsetsPartitionFor(group)
      const entries = readOffsetsPartition(broker.dataDir, p)
      expect([...latestCommits(entries, group, topic).entries()].sort()).toEqual(expected)
      // the live group's metadata record is there too (generation of the last rebalance)
      if (group === liveGroup) {
        const groupRecords = entries.filter((e) => e.type === 'group' && e.group === group)
        expect(groupRecords.at(-1)).toMatchObject({ protocol: 'RoundRobinAssigner', members: 1 })
      }
    }
    const rawEntries = readOffsetsPartition(broker.dataDir, offsetsPartitionFor(rawGroup)).filter(
      (e) => e.type === 'offset' && e.group === rawGroup,
    )
    expect(rawEntries.map((e) => (e.type === 'offset' ? [e.partition, e.value] : null))).toEqual([
      [0, expect.objectContaining({ offset: 12, leaderEpoch: 7, metadata: 'checkpoint κ-1' })],
      [1, expect.objectContaining({ offset: 5, leaderEpoch: -1, metadata: '' })],
    ])
  })

  it('kill -9 of the broker: OffsetFetch returns the same offsets afterwards and consumers resume from them', async () => {
    const before = {
      raw: await rawOffsetFetch(broker, rawGroup, topic, [0, 1]),
      live: await rawOffsetFetch(broker, liveGroup, topic, [0, 1]),
      paused: await rawOffsetFetch(broker, pausedGroup, topic, [0, 1]),
    }
    const liveBefore = sink.length
    await broker.kill()
    await broker.start()
    // the coordinator reloads __consumer_offsets
    // (each group's __consumer_offsets partition loads on its own: COORDINATOR_LOAD_IN_PROGRESS until it has)
    const after = await waitFor('OffsetFetch after the restart', async () => {
      const r = {
        raw: await rawOffsetFetch(broker, rawGroup, topic, [0, 1]),
        live: await rawOffsetFetch(broker, liveGroup, topic, [0, 1]),
        paused: await rawOffsetFetch(broker, pausedGroup, topic, [0, 1]),
      }
      return Object.values(r).every((x) => x.errorCode === 0) ? r : undefined
    })
    expect(after).toEqual(before)
    expect(after.raw.partitions[0]).toMatchObject({ offset: 12, leaderEpoch: 7, metadata: 'checkpoint κ-1' })

    // the kafkajs consumer that was running through the crash reconnects and continues after its commits
    const more = spread('after-crash', 10, 2)
    await produce(topic, more)
    await waitFor('the running consumer to get the 10 new messages', () => sink.length >= liveBefore + 10, {
      timeoutMs: 45_000,
    })
    await waitAllDelivered(kafka, topic, liveGroup, sink)
    expect(values(sink.slice(liveBefore))).toEqual(values(more))

    // a consumer of the paused group starts exactly at 4 and 9
    const p = member('paused', topic, pausedGroup, pausedSink)
    await p.start()
    await waitFor('the rest of the topic for the paused group', () => pausedSink.length >= 16 + 11 + 10)
    await waitAllDelivered(kafka, topic, pausedGroup, pausedSink)
    expect(duplicates(pausedSink, (r) => r.value)).toEqual([])
    expect(pausedSink.filter((r) => r.partition === 0).map((r) => r.offset)).toEqual(
      Array.from({ length: 25 - 4 }, (_, i) => 4 + i),
    )
    expect(pausedSink.filter((r) => r.partition === 1).map((r) => r.offset)).toEqual(
      Array.from({ length: 25 - 9 }, (_, i) => 9 + i),
    )
  })
})
