/**
 * The in-process test cluster (`startCluster()` from src/index.ts): several real brokers in this process on the
 * in-process ZooKeeper (and on the real one the global setup started), driven by unchanged kafkajs clients, with the
 * test's fault controls — kill, restart, pause, network partitions — and manual time.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { startCluster, type Cluster } from '../src/index.js'
import { sharedZooKeeper } from './support/cluster.js'
import { uniqueName } from './support/env.js'
import { consumeWithGroup, kafkajs, withAdmin, withProducer } from './support/kafkajs.js'

const clusters: Cluster[] = []
afterAll(async () => {
  for (const c of clusters) await c.stop().catch(() => undefined)
})

async function cluster(opts: Parameters<typeof startCluster>[0]): Promise<{ c: Cluster; ms: number }> {
  const t0 = performance.now()
  const c = await startCluster(opts)
  const ms = performance.now() - t0
  clusters.push(c)
  return { c, ms }
}

const values = (n: number, prefix: string): { key: string; value: string }[] =>
  Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `${prefix}-${i}` }))

describe('startCluster() on the in-process ZooKeeper', () => {
  it('starts 3 brokers, serves kafkajs with acks=all and a group, and logs the requests it served', async () => {
    const { c, ms } = await cluster({ brokers: 3 })
    console.log(`in-process cluster of 3 brokers started in ${Math.round(ms)} ms`)
    expect(c.bootstrapServers).toHaveLength(3)
    expect(c.controller).not.toBeNull()
    const topic = uniqueName('ipc')
    await c.createTopic(topic, { partitions: 3, replicationFactor: 3 })
    const kafka = kafkajs(c.bootstrapServers, { clientId: 'ipc-test' })
    const sent = values(30, 'a')
    await withProducer(kafka, {}, (p) => p.send({ topic, acks: -1, messages: sent }))
    for (let p = 0; p < 3; p++) expect(await c.waitForIsr(topic, p, 3)).toHaveLength(3)

    const groupId = uniqueName('ipc-g')
    const got = await consumeWithGroup(kafka, { topic, groupId, count: 30 })
    expect(got.map((m) => m.value).sort()).toEqual(sent.map((m) => m.value).sort())

    // read directly: every record is on its partition's leader, and on every follower (to its log end: a follower
    // learns the high watermark with its next fetch's answer, up to replica.fetch.wait.max.ms later when idle)
    const direct = [0, 1, 2].flatMap((p) => c.readPartition(topic, p))
    expect(direct.map((r) => r.value!.toString()).sort()).toEqual(sent.map((m) => m.value).sort())
    for (let p = 0; p < 3; p++)
      for (const b of c.brokers)
        expect(c.readPartition(topic, p, { broker: b.id, to: 'logEnd' }).length).toBe(
          c.readPartition(topic, p).length,
        )

    const produced = c.requests({ api: 'Produce', clientId: 'ipc-test' })
    expect(produced.length).toBeGreaterThan(0)
    expect(produced.every((r) => r.version >= 3 && r.listener === 'PLAINTEXT')).toBe(true)
    // the followers fetched as brokers
    expect(c.requests({ api: 'Fetch' }).some((r) => /^broker-\d+-fetcher/.test(r.clientId ?? ''))).toBe(true)
  })

  it('kill(): the leader dies without a shutdown, its session expires, a new leader serves; restart() recovers it into the ISR', async () => {
    const { c } = await cluster({ brokers: 3, properties: { 'zookeeper.session.timeout.ms': 1500 } })
    const topic = uniqueName('ipc-kill')
    await c.createTopic(topic, { partitions: 1, replicationFactor: 3, config: { 'min.insync.replicas': 2 } })
    const kafka = kafkajs(c.bootstrapServers)
    await withProducer(kafka, {}, (p) => p.send({ topic, acks: -1, messages: values(10, 'before') }))
    await c.waitForIsr(topic, 0, 3)
    const old = c.leader(topic, 0)!

    await c.broker(old).kill()
    expect(c.broker(old).state).toBe('killed')
    const leader = await c.waitForLeader(topic, 0, { notIn: [old] })
    expect(await c.waitForIsr(topic, 0, 2)).not.toContain(old)
    await withProducer(kafka, {}, (p) => p.send({ topic, acks: -1, messages: values(10, 'after') }))

    await c.broker(old).restart()
    const isr = await c.waitForIsr(topic, 0, 3)
    expect(isr).toContain(old)
    // what the killed broker had, it recovered as after a crash; what it missed, it fetched from the new leader
    const all = c.readPartition(topic, 0, { broker: old }).map((r) => r.value!.toString())
    expect(all).toEqual([...values(10, 'before'), ...values(10, 'after')].map((m) => m.value))
    expect(c.leader(topic, 0)).toBe(leader)
  })

  it('pause(): a frozen broker answers nothing, loses its session and leadership; resume() brings it back', async () => {
    const { c } = await cluster({ brokers: 3, properties: { 'zookeeper.session.timeout.ms': 1500 } })
    const topic = uniqueName('ipc-pause')
    await c.createTopic(topic, { partitions: 1, replicationFactor: 3 })
    await c.waitForIsr(topic, 0, 3)
    const old = c.leader(topic, 0)!
    await c.broker(old).pause()
    expect(c.broker(old).state).toBe('paused')
    await c.waitForLeader(topic, 0, { notIn: [old] })
    // Bootstrapped from the others: a frozen seed broker accepts the connection and never answers, as a stopped
    // process whose kernel still completes the TCP handshake, and kafkajs would wait for its request timeout.
    const others = c.brokers.filter((b) => b.id !== old).map((b) => b.bootstrap)
    await withProducer(kafkajs(others), {}, (p) =>
      p.send({ topic, acks: -1, messages: values(5, 'while-paused') }),
    )
    await c.broker(old).resume()
    expect(await c.waitForIsr(topic, 0, 3)).toContain(old)
    expect(c.readPartition(topic, 0, { broker: old }).length).toBe(5)
  })

  it('failDisk(): the leader whose disk breaks halts as Kafka does, leadership moves at once; it restarts on its files', async () => {
    // Kafka's default session timeout: the new leader comes from the closed session, not from its expiry
    const { c } = await cluster({ brokers: 3, properties: { 'zookeeper.session.timeout.ms': 18_000 } })
    const topic = uniqueName('ipc-disk')
    await c.createTopic(topic, { partitions: 1, replicationFactor: 3 })
    const kafka = kafkajs(c.bootstrapServers)
    await withProducer(kafka, {}, (p) => p.send({ topic, acks: -1, messages: values(5, 'before') }))
    await c.waitForIsr(topic, 0, 3)
    const old = c.leader(topic, 0)!
    const t0 = performance.now()
    await c.broker(old).failDisk()
    expect(c.broker(old).state).toBe('killed')
    await c.waitForLeader(topic, 0, { notIn: [old] })
    expect(performance.now() - t0).toBeLessThan(18_000)
    await withProducer(kafka, {}, (p) => p.send({ topic, acks: -1, messages: values(5, 'after') }))
    await c.broker(old).start()
    expect(await c.waitForIsr(topic, 0, 3)).toContain(old)
    expect(c.readPartition(topic, 0, { broker: old }).map((r) => r.value!.toString())).toEqual(
      [...values(5, 'before'), ...values(5, 'after')].map((m) => m.value),
    )
  })

  it("failDisk({ error: 'ENOSPC' }): a full disk refuses appends with KAFKA_STORAGE_ERROR, keeps the broker up, and takes writes again once healed", async () => {
    const { c } = await cluster({ brokers: 3 })
    const topic = uniqueName('ipc-full')
    await c.createTopic(topic, { partitions: 1, replicationFactor: 3 })
    const kafka = kafkajs(c.bootstrapServers, { retry: { retries: 0 } })
    await withProducer(kafka, {}, (p) => p.send({ topic, acks: -1, messages: values(3, 'before') }))
    const leader = c.leader(topic, 0)!
    await c.broker(leader).failDisk(undefined, { error: 'ENOSPC' })
    const refused = await withProducer(kafka, {}, (p) =>
      p.send({ topic, acks: -1, messages: values(2, 'full') }).then(
        () => undefined,
        (e: Error & { cause?: { type?: string } }) => e.cause?.type,
      ),
    )
    expect(refused).toBe('KAFKA_STORAGE_ERROR')
    expect(c.broker(leader).state).toBe('running')
    expect(c.leader(topic, 0)).toBe(leader) // a full disk moves no leadership
    await c.broker(leader).healDisk()
    await withProducer(kafka, {}, (p) => p.send({ topic, acks: -1, messages: values(3, 'after') }))
    await c.waitForIsr(topic, 0, 3)
    const want = [...values(3, 'before'), ...values(3, 'after')].map((m) => m.value)
    for (const b of [0, 1, 2])
      expect(c.readPartition(topic, 0, { broker: b, to: 'logEnd' }).map((r) => r.value!.toString())).toEqual(
        want,
      )
  })

  it('partitionNetwork(): a broker cut from ZooKeeper, its peers and the clients loses its leadership; heal() lets it rejoin', async () => {
    const { c } = await cluster({ brokers: 3, properties: { 'zookeeper.session.timeout.ms': 1500 } })
    const topic = uniqueName('ipc-part')
    await c.createTopic(topic, { partitions: 1, replicationFactor: 3 })
    await c.waitForIsr(topic, 0, 3)
    const old = c.leader(topic, 0)!
    const others = c.brokers.map((b) => b.id).filter((id) => id !== old)
    // Clients stay with the majority: a client that still reached the old leader would be answered from its stale
    // metadata and its acks=all produce would time out, as against a real zombie leader.
    await c.partitionNetwork([[old], [...others, 'zookeeper', 'clients']])
    const leader = await c.waitForLeader(topic, 0, { notIn: [old] })
    expect(others).toContain(leader)
    // bootstrapped from the majority: the cut broker holds what is sent to it (see the pause test)
    await withProducer(kafkajs(others.map((id) => c.broker(id).bootstrap)), {}, (p) =>
      p.send({ topic, acks: -1, messages: values(5, 'split') }),
    )
    await c.heal()
    expect(await c.waitForIsr(topic, 0, 3)).toContain(old)
    expect(c.readPartition(topic, 0, { broker: old }).map((r) => r.value!.toString())).toEqual(
      values(5, 'split').map((m) => m.value),
    )
  })
})

describe('startCluster() on manual time', () => {
  it('replicates with acks=all and rolls and deletes by retention on every replica only when the test advances', async () => {
    const t0 = performance.now()
    const { c } = await cluster({
      brokers: 3,
      manualTime: true,
      properties: { 'log.retention.check.interval.ms': 60_000, 'replica.fetch.wait.max.ms': 10_000 },
    })
    const topic = uniqueName('ipc-time')
    await c.createTopic(topic, {
      replicationFactor: 3,
      config: { 'segment.ms': 60_000, 'retention.ms': 600_000 },
    })
    const kafka = kafkajs(c.bootstrapServers)
    const clock = c.scheduler.clock
    // record timestamps from the cluster's clock, so that retention counts from the time the test controls
    const send = (tag: string) =>
      withProducer(kafka, {}, (p) =>
        p.send({
          topic,
          acks: -1,
          messages: values(5, tag).map((m) => ({ ...m, timestamp: String(clock.now()) })),
        }),
      )
    await send('first')
    expect(await c.waitForIsr(topic, 0, 3)).toHaveLength(3)
    await c.advanceTime(60_001) // segment.ms has passed: the next append rolls, on the leader and the followers
    await send('second')
    const offsets = () => withAdmin(kafka, (a) => a.fetchTopicOffsets(topic))
    expect(await offsets()).toMatchObject([{ partition: 0, low: '0', high: '10' }])
    await c.advanceTime(600_000) // the first segment is past retention.ms
    expect(await offsets()).toMatchObject([{ partition: 0, low: '5', high: '10' }])
    for (const b of c.brokers) {
      // a follower learns the new log start offset with its next fetch
      await c.until(
        () => `broker ${b.id} to delete the first segment`,
        () => c.readPartition(topic, 0, { broker: b.id })[0]?.offset === 5,
        30_000,
      )
    }
    console.log(`retention on manual time, 3 brokers: ${Math.round(performance.now() - t0)} ms in all`)
  })
})

describe('replica fetchers', () => {
  it('a follower fetches a partition it starts to follow at once, not after its long poll on the others has ended', async () => {
    // followers long-poll for 30 s: a poll that carried on until then would hold the new topic's acks=all writes
    const { c } = await cluster({ brokers: 3, properties: { 'replica.fetch.wait.max.ms': 30_000 } })
    const ids = c.brokers.map((b) => b.id)
    const leader = c.broker(ids[0]!)
    const fetchedByAll = (topic: string): boolean => {
      const p = leader.services.replicas.hostedPartitions.get(`${topic}-0`)
      return (
        p !== undefined && p.isLeader && [...p.followers.values()].every((f) => f.lastFetchLeaderLeo >= 0)
      )
    }
    const idle = uniqueName('ipc-idle')
    await c.createTopic(idle, { assignment: [ids] })
    // both followers have fetched the idle topic and wait in a long poll at its leader
    await c.until(
      () => `both followers to poll ${idle} (parked fetches: ${leader.services.replicas.delayedFetch.size})`,
      () => fetchedByAll(idle) && leader.services.replicas.delayedFetch.size >= 2,
      15_000,
    )
    const fresh = uniqueName('ipc-fresh')
    const t0 = performance.now()
    await c.createTopic(fresh, { assignment: [ids] })
    await c.until(
      () => `both followers to fetch ${fresh}`,
      () => fetchedByAll(fresh),
      15_000,
    )
    const kafka = kafkajs(c.bootstrapServers)
    await withProducer(kafka, {}, (p) => p.send({ topic: fresh, acks: -1, messages: values(3, 'fresh') }))
    console.log(
      `new topic fetched by both followers and written with acks=all in ${Math.round(performance.now() - t0)} ms`,
    )
    expect(c.readPartition(fresh, 0, { broker: ids[1]!, to: 'logEnd' })).toHaveLength(3)
  })
})

describe('startCluster() with a real ZooKeeper', () => {
  it('registers its brokers in the given chroot and serves kafkajs', async () => {
    const { c, ms } = await cluster({ brokers: 3, zookeeper: `${sharedZooKeeper()}/${uniqueName('ipc-zk')}` })
    console.log(`in-process cluster of 3 brokers on a real ZooKeeper started in ${Math.round(ms)} ms`)
    const topic = uniqueName('ipc-zk-t')
    await c.createTopic(topic, { partitions: 2, replicationFactor: 3 })
    const kafka = kafkajs(c.bootstrapServers)
    await withProducer(kafka, {}, (p) => p.send({ topic, acks: -1, messages: values(10, 'zk') }))
    const got = await consumeWithGroup(kafka, { topic, groupId: uniqueName('ipc-zk-g'), count: 10 })
    expect(got).toHaveLength(10)
  })
})
