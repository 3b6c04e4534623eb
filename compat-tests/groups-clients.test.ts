/**
 * Consumer groups with the other real clients, unchanged, against one standalone Samsa broker:
 *  - librdkafka with the cooperative-sticky assignor (confluent-kafka 1.7 on librdkafka 2.0.2, and `kcat -G`),
 *    kafka-python 2.0.2's group consumer and Sarama 1.22's ConsumerGroup: consume with commits, stop, start
 *    again, and resume exactly after the last commit (no gap; nothing committed is delivered again; what was
 *    processed but not committed is delivered again);
 *  - cooperative (incremental) rebalancing between two librdkafka members;
 *  - static membership (confluent-kafka's group.instance.id): a member restarted within the session timeout
 *    gets its partitions back without rebalancing the others; one that stays away is replaced;
 *  - the clients' admin views of groups (confluent-kafka AdminClient.list_groups, kafka-python's
 *    KafkaAdminClient, Sarama's ClusterAdmin).
 */
import { type Kafka, logLevel } from 'kafkajs'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type BrokerProcess, printBrokerLogsOnFailure, startBroker } from './support/broker.js'
import { uniqueName } from './support/env.js'
import {
  buildSaramaGroup,
  type ClientEvent,
  type EventProcess,
  rawDescribeGroup,
  reportForeignStops,
  runPyGroup,
  runSaramaGroup,
  spread,
  startPyGroup,
  stopGroupProcesses,
  waitFor,
} from './support/groups.js'
import { createTopic, kafkajs, withAdmin, withProducer } from './support/kafkajs.js'
import { type KcatMessage } from './support/kcat.js'
import { jsonLines, run } from './support/run.js'

let broker: BrokerProcess
let kafka: Kafka

printBrokerLogsOnFailure()
reportForeignStops(() => [broker])

beforeAll(async () => {
  await buildSaramaGroup()
  broker = await startBroker()
  kafka = kafkajs(broker.bootstrap, { logLevel: logLevel.NOTHING })
})

afterEach(async () => {
  await stopGroupProcesses()
})

afterAll(async () => {
  await stopGroupProcesses()
  await broker?.stop()
})

const PARTITIONS = 4
const PER_PARTITION = 20
const TOTAL = PARTITIONS * PER_PARTITION

interface Msg {
  partition: number
  offset: number
  value: string
  committed?: boolean
}

async function topicWithMessages(prefix: string): Promise<string> {
  const topic = uniqueName(prefix)
  await createTopic(broker.bootstrap, topic, { partitions: PARTITIONS })
  await withProducer(kafka, {}, (p) =>
    p.send({ topic, acks: -1, messages: spread(prefix, TOTAL, PARTITIONS) }),
  )
  return topic
}

async function fetchCommitted(
  groupId: string,
  topic: string,
): Promise<Map<number, { offset: number; metadata: string | null }>> {
  const r = await withAdmin(kafka, (a) => a.fetchOffsets({ groupId, topics: [topic] }))
  return new Map(
    r[0]!.partitions.map((p) => [p.partition, { offset: Number(p.offset), metadata: p.metadata }]),
  )
}

const messagesOf = (p: EventProcess): Msg[] => p.all('message') as unknown as Msg[]

/** The partitions a member owns after its assign/revoke/lost events (incremental or eager alike). */
function owned(p: EventProcess): number[] {
  const set = new Set<number>()
  for (const e of p.events) {
    const ps = (e.partitions ?? []) as number[]
    if (e.event === 'assign') for (const x of ps) set.add(x)
    else if (e.event === 'revoke' || e.event === 'lost') for (const x of ps) set.delete(x)
  }
  return [...set].sort((a, b) => a - b)
}
const key = (m: Msg): string => `${m.partition}:${m.offset}`

/** Offset after the last message of each partition in `ms` (the position a commit of all of them leaves). */
function nextOffsets(ms: Msg[]): Map<number, number> {
  const m = new Map<number, number>()
  for (const x of ms) m.set(x.partition, Math.max(m.get(x.partition) ?? 0, x.offset + 1))
  return m
}

/**
 * The resume contract: the second run starts each partition exactly at the first run's committed offset
 * (so it re-delivers what the first run processed without committing), and the committed messages of the
 * first run plus the second run are every message exactly once.
 */
function expectResumedExactly(
  first: { committed: Msg[]; uncommitted: Msg[] },
  second: Msg[],
  committedAfterFirst: Map<number, number>,
): void {
  // the first run's commits are exactly its committed messages
  expect([...committedAfterFirst.entries()].sort()).toEqual(
    [...nextOffsets(first.committed).entries()].sort(),
  )
  // the second run starts each partition at the committed offset (0 where nothing was committed)
  for (let p = 0; p < PARTITIONS; p++) {
    const offsets = second.filter((m) => m.partition === p).map((m) => m.offset)
    const from = committedAfterFirst.get(p) ?? 0
    expect(offsets, `partition ${p}`).toEqual(
      Array.from({ length: PER_PARTITION - from }, (_, i) => from + i),
    )
  }
  // no gap, no re-delivery of committed messages
  const all = [...first.committed, ...second].map(key).sort()
  expect(new Set(all).size).toBe(all.length)
  expect(all).toHaveLength(TOTAL)
  // what was processed without a commit came again
  const again = new Set(second.map(key))
  for (const m of first.uncommitted) expect(again.has(key(m)), `re-delivery of ${key(m)}`).toBe(true)
}

describe('consume, commit, stop, resume exactly after the last commit', () => {
  it('confluent-kafka (librdkafka) with partition.assignment.strategy=cooperative-sticky', async () => {
    const topic = await topicWithMessages('cf-resume')
    const group = uniqueName('cf-resume-g')
    const config = { 'partition.assignment.strategy': 'cooperative-sticky' }
    const run1 = await runPyGroup('confluent-kafka', 'resume-1', {
      action: 'consume',
      bootstrap: broker.bootstrap,
      topic,
      group,
      config,
      count: 30,
      tail: 6,
    })
    const first = messagesOf(run1)
    expect(first.filter((m) => m.committed)).toHaveLength(30)
    expect(first.filter((m) => !m.committed)).toHaveLength(6)
    const committed1 = await fetchCommitted(group, topic)
    const run2 = await runPyGroup('confluent-kafka', 'resume-2', {
      action: 'consume',
      bootstrap: broker.bootstrap,
      topic,
      group,
      config,
      count: TOTAL - 30,
    })
    expect(run2.all('assign').length).toBeGreaterThan(0)
    expectResumedExactly(
      { committed: first.filter((m) => m.committed), uncommitted: first.filter((m) => !m.committed) },
      messagesOf(run2),
      new Map([...committed1].filter(([, v]) => v.offset >= 0).map(([p, v]) => [p, v.offset])),
    )
    expect([...(await fetchCommitted(group, topic)).values()].map((v) => v.offset)).toEqual([20, 20, 20, 20])
  })

  it('kcat -G with cooperative-sticky: -c N, then again from where it stopped', async () => {
    const topic = await topicWithMessages('kcat-resume')
    const group = uniqueName('kcat-resume-g')
    const kcatGroup = async (n: number): Promise<Msg[]> => {
      const r = await run(
        'kcat',
        [
          '-b',
          broker.bootstrap,
          '-G',
          group,
          '-X',
          'partition.assignment.strategy=cooperative-sticky',
          '-X',
          'auto.offset.reset=earliest',
          '-X',
          'session.timeout.ms=6000',
          '-X',
          'socket.timeout.ms=20000',
          '-c',
          String(n),
          '-J',
          '-q',
          topic,
        ],
        { timeoutMs: 45_000 },
      )
      return jsonLines<KcatMessage>(r.stdout).map((m) => ({
        partition: m.partition,
        offset: m.offset,
        value: m.payload ?? '',
      }))
    }
    const first = await kcatGroup(30)
    expect(first).toHaveLength(30)
    const committed1 = new Map(
      [...(await fetchCommitted(group, topic))]
        .filter(([, v]) => v.offset >= 0)
        .map(([p, v]) => [p, v.offset]),
    )
    const second = await kcatGroup(TOTAL - 30)
    expectResumedExactly({ committed: first, uncommitted: [] }, second, committed1)
  })

  it('kafka-python 2.0.2 (commits with metadata)', async () => {
    const topic = await topicWithMessages('kpy-resume')
    const group = uniqueName('kpy-resume-g')
    const run1 = await runPyGroup('kafka-python', 'resume-1', {
      action: 'consume',
      bootstrap: broker.bootstrap,
      topic,
      group,
      count: 30,
      tail: 6,
      metadata: 'kafka-python was here',
    })
    const first = messagesOf(run1)
    const committed1 = await fetchCommitted(group, topic)
    for (const [, v] of committed1) if (v.offset >= 0) expect(v.metadata).toBe('kafka-python was here')
    const run2 = await runPyGroup('kafka-python', 'resume-2', {
      action: 'consume',
      bootstrap: broker.bootstrap,
      topic,
      group,
      count: TOTAL - 30,
      metadata: 'second run',
    })
    expectResumedExactly(
      { committed: first.filter((m) => m.committed), uncommitted: first.filter((m) => !m.committed) },
      messagesOf(run2),
      new Map([...committed1].filter(([, v]) => v.offset >= 0).map(([p, v]) => [p, v.offset])),
    )
    // every partition ends at 20, with the metadata of the run that committed it last
    const secondTouched = new Set(messagesOf(run2).map((m) => m.partition))
    const end = await fetchCommitted(group, topic)
    expect([...end.entries()].sort()).toEqual(
      Array.from({ length: PARTITIONS }, (_, p) => [
        p,
        { offset: 20, metadata: secondTouched.has(p) ? 'second run' : 'kafka-python was here' },
      ]),
    )
  })

  it('Sarama 1.22 ConsumerGroup (MarkMessage with metadata; offsets flushed on Close)', async () => {
    const topic = await topicWithMessages('sarama-resume')
    const group = uniqueName('sarama-resume-g')
    const args = { action: 'consume', brokers: [broker.bootstrap], topic, group, version: '2.1.0' }
    const run1 = await runSaramaGroup('resume-1', { ...args, count: 30, tail: 6, metadata: 'sarama-1' })
    const first = messagesOf(run1)
    const result1 = run1.all('result')[0] as ClientEvent & { committed: Record<string, [number, string]> }
    const committed1 = await fetchCommitted(group, topic)
    // Sarama's own OffsetFetch agrees with kafkajs'
    for (const [p, [offset, metadata]] of Object.entries(result1.committed)) {
      if (offset < 0) continue // a partition the first run did not get to
      expect(committed1.get(Number(p))).toEqual({ offset, metadata })
      expect(metadata).toBe('sarama-1')
    }
    const run2 = await runSaramaGroup('resume-2', { ...args, count: TOTAL - 30, metadata: 'sarama-2' })
    expectResumedExactly(
      { committed: first.filter((m) => m.committed), uncommitted: first.filter((m) => !m.committed) },
      messagesOf(run2),
      new Map([...committed1].filter(([, v]) => v.offset >= 0).map(([p, v]) => [p, v.offset])),
    )
    expect([...(await fetchCommitted(group, topic)).values()].map((v) => v.offset)).toEqual([20, 20, 20, 20])

    // Sarama's ClusterAdmin views of the (now empty) group
    const admin = await runSaramaGroup('admin', {
      action: 'admin',
      brokers: [broker.bootstrap],
      topic,
      group,
      version: '2.1.0',
    })
    const r = admin.all('result')[0] as ClientEvent & {
      groups: Record<string, string>
      describe: { error_code: number; state: string; protocol_type: string; members: unknown[] }
      offsets: Record<string, [number, string]>
    }
    expect(r.groups[group]).toBe('consumer')
    expect(r.describe).toMatchObject({
      error_code: 0,
      state: 'Empty',
      protocol_type: 'consumer',
      members: [],
    })
    // every partition at 20, with the metadata of the run that marked it last
    const secondTouched = new Set(messagesOf(run2).map((m) => m.partition))
    expect(r.offsets).toEqual(
      Object.fromEntries(
        Array.from({ length: PARTITIONS }, (_, p) => [
          String(p),
          [20, secondTouched.has(p) ? 'sarama-2' : 'sarama-1'],
        ]),
      ),
    )
  })
})

describe('librdkafka cooperative-sticky: incremental rebalancing between two members', () => {
  it('the second member takes half the partitions without the first giving up the rest, and gives them back when it leaves', async () => {
    const topic = uniqueName('coop')
    const group = uniqueName('coop-g')
    await createTopic(broker.bootstrap, topic, { partitions: PARTITIONS })
    const args = {
      action: 'consume',
      bootstrap: broker.bootstrap,
      topic,
      group,
      timeout_ms: 60_000,
      config: { 'partition.assignment.strategy': 'cooperative-sticky' },
    }
    const m1 = startPyGroup('confluent-kafka', 'coop-1', args)
    await m1.until('m1 to get all partitions', (ev) =>
      ev.some((e) => e.event === 'assign' && (e.partitions as number[]).length === PARTITIONS),
    )
    const m2 = startPyGroup('confluent-kafka', 'coop-2', args)
    await m2.until('m2 to get two partitions', () =>
      m2.all('assign').some((e) => (e.partitions as number[]).length > 0),
    )
    await m1.until('m1 to give up two partitions', () => m1.all('revoke').length > 0)
    // incremental: m1 revoked exactly the two partitions m2 got, and kept the other two
    const revoked = m1.all('revoke').flatMap((e) => e.partitions as number[])
    const m2Partitions = m2
      .all('assign')
      .flatMap((e) => e.partitions as number[])
      .sort()
    expect(revoked.sort()).toEqual(m2Partitions)
    expect(m2Partitions).toHaveLength(PARTITIONS / 2)
    expect(m1.all('lost')).toEqual([])

    const batch1 = spread('coop-1', 40, PARTITIONS)
    await withProducer(kafka, {}, (p) => p.send({ topic, acks: -1, messages: batch1 }))
    await waitFor('40 messages between the two', () => messagesOf(m1).length + messagesOf(m2).length >= 40)
    for (const m of messagesOf(m2)) expect(m2Partitions).toContain(m.partition)
    for (const m of messagesOf(m1)) expect(m2Partitions).not.toContain(m.partition)

    expect(await m2.stop()).toBe(0)
    await m1.until('m1 to get the two partitions back', () => owned(m1).length === PARTITIONS)
    // incrementally: one assign of exactly m2's partitions, and nothing else was taken from m1
    expect(
      m1
        .all('assign')
        .filter((e) => (e.partitions as number[]).length > 0)
        .map((e) => e.partitions),
    ).toEqual([[0, 1, 2, 3], m2Partitions])
    expect(m1.all('revoke')).toHaveLength(1)

    const batch2 = spread('coop-2', 40, PARTITIONS)
    await withProducer(kafka, {}, (p) => p.send({ topic, acks: -1, messages: batch2 }))
    await waitFor('m1 to get the 40 new messages', () => messagesOf(m1).length + messagesOf(m2).length >= 80)
    const everything = [...messagesOf(m1), ...messagesOf(m2)].map((m) => m.value).sort()
    expect(everything).toEqual([...batch1, ...batch2].map((m) => m.value).sort())
    expect(await m1.stop()).toBe(0)
    expect([...(await fetchCommitted(group, topic)).values()].map((v) => v.offset)).toEqual([20, 20, 20, 20])
  })
})

describe('static membership (confluent-kafka group.instance.id)', () => {
  it('a static member restarted within the session timeout gets its partitions back without a rebalance; AdminClient.list_groups', async () => {
    const topic = uniqueName('static')
    const group = uniqueName('static-g')
    await createTopic(broker.bootstrap, topic, { partitions: PARTITIONS })
    const member = (id: string, name: string): EventProcess =>
      startPyGroup('confluent-kafka', name, {
        action: 'consume',
        bootstrap: broker.bootstrap,
        topic,
        group,
        timeout_ms: 60_000,
        config: { 'group.instance.id': id, 'session.timeout.ms': 6000 },
      })
    const hasAssignment = (p: EventProcess) => () =>
      p.all('assign').some((e) => (e.partitions as number[]).length > 0)
    const a = member('static-a', 'static-a-1')
    await a.until('a to be assigned', hasAssignment(a))
    const b = member('static-b', 'static-b')
    await b.until('b to be assigned', hasAssignment(b))
    await a.until('a to be reassigned', () => a.all('assign').length >= 2)
    const aPartitions = a.all('assign').at(-1)!.partitions as number[]
    const bPartitions = b.all('assign').at(-1)!.partitions as number[]
    expect([...aPartitions, ...bPartitions].sort()).toEqual([0, 1, 2, 3])
    const bEvents = b.all('assign').length + b.all('revoke').length

    // confluent-kafka's AdminClient.list_groups (ListGroups + DescribeGroups) sees both members
    const listed = await runPyGroup('confluent-kafka', 'list-groups', {
      action: 'list_groups',
      bootstrap: broker.bootstrap,
      group,
    })
    const groups = listed.all('result')[0]!.groups as Array<{
      id: string
      state: string
      protocol_type: string
      protocol: string
      members: unknown[]
    }>
    expect(groups).toHaveLength(1)
    expect(groups[0]).toMatchObject({
      id: group,
      state: 'Stable',
      protocol_type: 'consumer',
      protocol: 'range',
    })
    expect(groups[0]!.members).toHaveLength(2)

    // kill -9 a, start it again with the same group.instance.id
    await a.kill()
    const restartedAt = Date.now()
    const a2 = member('static-a', 'static-a-2')
    await a2.until('the restarted a to be assigned', hasAssignment(a2), 15_000)
    const tookMs = Date.now() - restartedAt
    expect(a2.all('assign').at(-1)!.partitions).toEqual(aPartitions)
    expect(tookMs).toBeLessThan(6000) // within the session timeout: no waiting for the old member to expire
    const batch = spread('static', 40, PARTITIONS)
    await withProducer(kafka, {}, (p) => p.send({ topic, acks: -1, messages: batch }))
    await waitFor('40 messages', () => messagesOf(a2).length + messagesOf(b).length >= 40)
    // b was not rebalanced
    expect(b.all('assign').length + b.all('revoke').length).toBe(bEvents)
    for (const m of messagesOf(a2)) expect(aPartitions).toContain(m.partition)
    for (const m of messagesOf(b)) expect(bPartitions).toContain(m.partition)
    // DescribeGroups v4 shows the static members with their instance ids
    const described = await rawDescribeGroup(broker, group)
    expect(described).toMatchObject({ errorCode: 0, state: 'Stable', protocol: 'range' })
    expect(described.members.map((m) => m.groupInstanceId).sort()).toEqual(['static-a', 'static-b'])
    for (const m of described.members) expect(m.memberId.startsWith(`${m.groupInstanceId!}-`)).toBe(true)

    // a static member that does not come back within its session timeout is removed: the other takes over
    await b.kill()
    const killedAt = Date.now()
    await a2.until(
      'a to get all partitions',
      () => (a2.all('assign').at(-1)!.partitions as number[]).length === PARTITIONS,
      20_000,
    )
    expect(Date.now() - killedAt).toBeGreaterThan(4000)
    expect(await a2.stop()).toBe(0)
  })
})

describe('kafka-python KafkaAdminClient views of a live group', () => {
  it('list_consumer_groups, describe_consumer_groups, list_consumer_group_offsets', async () => {
    const topic = await topicWithMessages('kpy-admin')
    const group = uniqueName('kpy-admin-g')
    const m = startPyGroup('kafka-python', 'admin-member', {
      action: 'consume',
      bootstrap: broker.bootstrap,
      topic,
      group,
      metadata: 'live',
      timeout_ms: 60_000,
    })
    await m.until('all messages', () => messagesOf(m).length >= TOTAL)
    const admin = await runPyGroup('kafka-python', 'admin', {
      action: 'admin',
      bootstrap: broker.bootstrap,
      group,
    })
    const r = admin.all('result')[0] as ClientEvent & {
      groups: Array<[string, string]>
      describe: {
        error_code: number
        state: string
        protocol_type: string
        protocol: string
        members: Array<{ client_id: string; assignment: Record<string, number[]> }>
      }
      offsets: Record<string, [number, string]>
    }
    expect(r.groups).toContainEqual([group, 'consumer'])
    expect(r.describe).toMatchObject({
      error_code: 0,
      state: 'Stable',
      protocol_type: 'consumer',
      protocol: 'range',
    })
    expect(r.describe.members).toHaveLength(1)
    expect(r.describe.members[0]!.client_id).toBe('samsa-compat-group-kafka-python')
    expect(r.describe.members[0]!.assignment).toEqual({ [topic]: [0, 1, 2, 3] })
    expect(r.offsets).toEqual(Object.fromEntries([0, 1, 2, 3].map((p) => [`${topic}:${p}`, [20, 'live']])))
    expect(await m.stop()).toBe(0)
  })
})
