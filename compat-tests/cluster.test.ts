/**
 * ZooKeeper mode: three Samsa brokers (real processes, bin/kafka-server-start.sh config/server.properties) in
 * their own chroot of the shared ZooKeeper form one Kafka cluster, and what they write to ZooKeeper is what
 * ZooKeeper-mode Apache Kafka writes:
 *  - registration (/brokers/ids/<id>, /cluster/id, /brokers/seqid for broker.id=-1, duplicate ids refused,
 *    the chroot created), the controller (/controller, /controller_epoch), topics and partition states in
 *    Kafka's JSON, rack-aware assignment;
 *  - the ZooKeeper admin path of old tools: topics created by writing /brokers/topics/<t>, configs changed
 *    through /config/topics/<t> + /config/changes, deletions requested under /admin/delete_topics, all
 *    picked up by every broker;
 *  - every broker answers Metadata for the whole cluster, produce to a non-leader is NOT_LEADER_OR_FOLLOWER,
 *    kafkajs / kcat / confluent-kafka work through one bootstrap address;
 *  - kill -9 of a broker and of the controller: registrations expire, leadership moves (RF 3) or partitions
 *    go offline (RF 1), clients keep working, the broker rejoins with its data, a new controller is elected.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrokerProcess, printBrokerLogsOnFailure } from './support/broker.js'
import {
  type Cluster,
  CLUSTER_DEFAULTS,
  metadataOf,
  produceTo,
  runBrokerExpectingExit,
  segmentFiles,
  startCluster,
  topicConfigsOf,
  zkCreate,
  zkWrite,
  reportForeignSignals,
  withConnection,
} from './support/cluster.js'
import { Apis } from '../src/protocol/messages/index.js'
import { consumerFetchBody } from '../src/server/test-helpers.js'
import { scratchDir, uniqueName, waitFor, ZK_MODE_PROPERTIES } from './support/env.js'
import { consumeWithGroup, kafkajs, withAdmin, withProducer } from './support/kafkajs.js'
import { kcatConsume, kcatProduce } from './support/kcat.js'
import { freePort } from './support/procs.js'
import { pyConsume, pyProduce } from './support/python.js'
import { getZnode, withZk } from './support/zk-client.js'

printBrokerLogsOnFailure()
reportForeignSignals(() => [cluster, racked])

const UUID_RE = /^[A-Za-z0-9_-]{22}$/
let cluster: Cluster
let racked: Cluster

beforeAll(async () => {
  cluster = await startCluster({ size: 3 })
}, 90_000)

afterAll(async () => {
  await cluster?.stop()
})

/** Creates a topic with kafkajs (through `bootstrap`), waiting until every broker knows its leaders. */
async function createTopic(
  name: string,
  opts: {
    partitions?: number
    replicationFactor?: number
    assignment?: number[][]
    configs?: Record<string, string>
  } = {},
): Promise<void> {
  await withAdmin(kafkajs(cluster.bootstrapAll()), async (admin) => {
    const ok = await admin.createTopics({
      waitForLeaders: true,
      timeout: 20_000,
      topics: [
        {
          topic: name,
          ...(opts.assignment
            ? { replicaAssignment: opts.assignment.map((replicas, partition) => ({ partition, replicas })) }
            : { numPartitions: opts.partitions ?? 1, replicationFactor: opts.replicationFactor ?? 3 }),
          configEntries: Object.entries(opts.configs ?? {}).map(([n, value]) => ({ name: n, value })),
        },
      ],
    })
    expect(ok, `createTopics(${name})`).toBe(true)
  })
  await cluster.waitForTopic(name, opts.assignment?.length ?? opts.partitions ?? 1)
}

const keyed = (prefix: string, n: number): Array<{ key: string; value: string }> =>
  Array.from({ length: n }, (_, i) => ({ key: `${prefix}-k${i}`, value: `${prefix} value ${i}` }))

describe('registration', () => {
  it('each broker registers an ephemeral /brokers/ids/<id> with Kafka broker JSON (version 5)', async () => {
    expect(await cluster.registeredIds()).toEqual([0, 1, 2])
    for (const b of cluster.brokers) {
      const z = await cluster.znode(`/brokers/ids/${b.id}`)
      expect(z, `/brokers/ids/${b.id}`).toBeDefined()
      expect(z!.ephemeralOwner, 'registration must be ephemeral').not.toBe('0')
      const j = JSON.parse(z!.data!) as Record<string, unknown>
      expect(Object.keys(j).sort()).toEqual([
        'endpoints',
        'features',
        'host',
        'jmx_port',
        'listener_security_protocol_map',
        'port',
        'timestamp',
        'version',
      ])
      expect(j).toMatchObject({
        version: 5,
        host: '127.0.0.1',
        port: b.port,
        endpoints: [`PLAINTEXT://127.0.0.1:${b.port}`],
        listener_security_protocol_map: { PLAINTEXT: 'PLAINTEXT' },
        jmx_port: -1,
      })
      expect(typeof j.features).toBe('object')
      expect(typeof j.timestamp, 'timestamp is a string in Kafka JSON').toBe('string')
      expect(j.timestamp).toMatch(/^\d{13}$/)
      expect(Math.abs(Number(j.timestamp) - Date.now())).toBeLessThan(10 * 60_000)
    }
  })

  it('the chroot of zookeeper.connect is created, and /cluster/id is created once and shared', async () => {
    const root = await withZk(cluster.zkHosts, (c) => getZnode(c, cluster.chroot))
    expect(root, `chroot ${cluster.chroot}`).toBeDefined()
    const z = await cluster.znode('/cluster/id')
    expect(z).toBeDefined()
    expect(z!.ephemeralOwner).toBe('0')
    expect(z!.version, '/cluster/id is written once').toBe(0)
    const j = JSON.parse(z!.data!) as { version: string; id: string }
    expect(Object.keys(j).sort()).toEqual(['id', 'version'])
    expect(j.version).toBe('1')
    expect(j.id).toMatch(UUID_RE)
    for (const b of cluster.brokers) {
      const meta = readFileSync(join(b.dataDir, 'meta.properties'), 'utf8')
      expect(meta).toMatch(new RegExp(`^cluster\\.id=${j.id}$`, 'm'))
      expect(meta).toMatch(new RegExp(`^broker\\.id=${b.id}$`, 'm'))
      const md = await metadataOf(b)
      expect(md.clusterId, `clusterId from broker ${b.id}`).toBe(j.id)
    }
  })

  it('broker.id=-1 gets an id from /brokers/seqid above reserved.broker.max.id, and keeps it', async () => {
    const seqBefore = (await cluster.znode('/brokers/seqid'))?.version ?? 0
    const dataDir = await scratchDir('cluster-seqid')
    // zookeeper.connect as an override (not BrokerProcess.zkConnect): readiness cannot wait for /brokers/ids/-1
    const b = new BrokerProcess({
      id: -1,
      port: await freePort(),
      dataDir,
      propertiesFile: ZK_MODE_PROPERTIES,
      overrides: { ...CLUSTER_DEFAULTS, 'zookeeper.connect': cluster.zkConnect },
    })
    try {
      await b.start()
      const ids = await waitFor('a generated broker id in /brokers/ids', async () => {
        const got = (await cluster.registeredIds()).filter((i) => i > 2)
        return got.length === 1 ? got : undefined
      })
      const id = ids[0]!
      expect(id).toBeGreaterThan(1000)
      const seqAfter = (await cluster.znode('/brokers/seqid'))!.version
      expect(seqAfter).toBeGreaterThan(seqBefore)
      expect(id).toBe(1000 + seqAfter)
      const reg = await cluster.json<{ port: number }>(`/brokers/ids/${id}`)
      expect(reg!.port).toBe(b.port)
      expect(readFileSync(join(dataDir, 'meta.properties'), 'utf8')).toMatch(
        new RegExp(`^broker\\.id=${id}$`, 'm'),
      )
      // every broker sees it
      for (const x of cluster.brokers) {
        await waitFor(`broker ${x.id} to list broker ${id}`, async () =>
          (await metadataOf(x)).brokers.some((y) => y.nodeId === id),
        )
      }
      // a clean stop deregisters; a restart on the same data keeps the id (meta.properties)
      expect(await b.stop()).toBe(0)
      expect(await cluster.registeredIds()).toEqual([0, 1, 2])
      await b.start()
      await waitFor(`broker ${id} back`, async () => (await cluster.registeredIds()).includes(id))
      expect((await cluster.registeredIds()).filter((i) => i > 2)).toEqual([id])
    } finally {
      await b.stop()
    }
    await cluster.waitForRegistered([0, 1, 2])
  })
})

describe('controller and topics', () => {
  const topic = uniqueName('six')

  it('/controller and /controller_epoch: one ephemeral controller, known to every broker', async () => {
    const z = await cluster.znode('/controller')
    expect(z).toBeDefined()
    expect(z!.ephemeralOwner).not.toBe('0')
    const j = JSON.parse(z!.data!) as Record<string, unknown>
    expect([0, 1, 2]).toContain(j.brokerid)
    expect(j.version).toBeGreaterThanOrEqual(1)
    expect(typeof j.timestamp).toBe('string')
    const epoch = await cluster.controllerEpoch()
    expect(epoch).toBeGreaterThanOrEqual(1)
    // the controller's session owns /controller: the same session owns its registration
    const reg = await cluster.znode(`/brokers/ids/${String(j.brokerid)}`)
    expect(z!.ephemeralOwner).toBe(reg!.ephemeralOwner)
    for (const b of cluster.brokers) expect((await metadataOf(b)).controllerId).toBe(j.brokerid)
  })

  it('a topic with 6 partitions (RF 3) gets leaders on all three brokers, in Kafka JSON', async () => {
    await createTopic(topic, { partitions: 6, replicationFactor: 3 })
    const z = await cluster.znode(`/brokers/topics/${topic}`)
    const t = JSON.parse(z!.data!) as Record<string, unknown>
    expect(Object.keys(t).sort()).toEqual([
      'adding_replicas',
      'partitions',
      'removing_replicas',
      'topic_id',
      'version',
    ])
    expect(t.version).toBe(3)
    expect(t.adding_replicas).toEqual({})
    expect(t.removing_replicas).toEqual({})
    expect(t.topic_id).toMatch(UUID_RE)
    const parts = t.partitions as Record<string, number[]>
    expect(Object.keys(parts).sort()).toEqual(['0', '1', '2', '3', '4', '5'])
    for (const r of Object.values(parts)) expect([...r].sort()).toEqual([0, 1, 2])
    // preferred leaders spread evenly (Kafka's assignReplicasToBrokers)
    const firsts = Object.values(parts).map((r) => r[0]!)
    for (const id of [0, 1, 2]) expect(firsts.filter((x) => x === id)).toHaveLength(2)

    const epoch = await cluster.controllerEpoch()
    const leaders = new Set<number>()
    for (const [p, replicas] of Object.entries(parts)) {
      const sz = await cluster.znode(`/brokers/topics/${topic}/partitions/${p}/state`)
      expect(sz, `state of partition ${p}`).toBeDefined()
      const s = JSON.parse(sz!.data!) as Record<string, unknown>
      expect(Object.keys(s).sort()).toEqual(['controller_epoch', 'isr', 'leader', 'leader_epoch', 'version'])
      expect(s).toMatchObject({ version: 1, leader: replicas[0], leader_epoch: 0, controller_epoch: epoch })
      expect([...(s.isr as number[])].sort()).toEqual([0, 1, 2])
      leaders.add(s.leader as number)
    }
    expect([...leaders].sort()).toEqual([0, 1, 2])

    // Metadata v10 carries the same topic id
    for (const b of cluster.brokers) {
      const md = await metadataOf(b, [topic], 10)
      expect(md.topics[0]!.topicId, `topic id from broker ${b.id}`).toBe(t.topic_id)
    }
    await cluster.waitForAgreement(topic)
  })

  it('every broker answers Metadata for the whole cluster', async () => {
    const ctrl = await cluster.controllerId()
    const clusterId = (await cluster.json<{ id: string }>('/cluster/id'))!.id
    for (const b of cluster.brokers) {
      const md = await metadataOf(b)
      expect(md.clusterId).toBe(clusterId)
      expect(md.controllerId).toBe(ctrl)
      expect(
        md.brokers.map((x) => ({ id: x.nodeId, host: x.host, port: x.port })).sort((x, y) => x.id - y.id),
      ).toEqual(cluster.brokers.map((x) => ({ id: x.id, host: '127.0.0.1', port: x.port })))
      expect(md.topics.map((x) => x.name)).toContain(topic)
    }
    await cluster.waitForAgreement(topic)
  })

  it('produce to a broker that is not the leader: NOT_LEADER_OR_FOLLOWER (6)', async () => {
    const s = (await cluster.partitionState(topic, 0))!
    const follower = cluster.brokers.find((b) => b.id !== s.leader)!
    const onFollower = await produceTo(follower, topic, 0, -1, [{ value: 'to a follower' }])
    expect(onFollower.errorCode).toBe(6)
    const onLeader = await produceTo(cluster.broker(s.leader), topic, 0, -1, [{ value: 'to the leader' }])
    expect(onLeader.errorCode).toBe(0)

    // a broker that does not host the partition at all
    const rf1 = uniqueName('rf1-nonleader')
    await createTopic(rf1, { assignment: [[1]], configs: { 'min.insync.replicas': '1' } })
    for (const id of [0, 2]) {
      const r = await produceTo(cluster.broker(id), rf1, 0, 1, [{ value: 'nowhere' }])
      expect(r.errorCode, `produce to broker ${id} for a partition only broker 1 hosts`).toBe(6)
    }
    expect((await produceTo(cluster.broker(1), rf1, 0, -1, [{ value: 'here' }])).errorCode).toBe(0)
  })

  it('a duplicate broker.id is refused (non-zero exit, clear log) and disturbs nothing', async () => {
    const before = await cluster.znode('/brokers/ids/1')
    const statesBefore = await cluster.states(topic)
    const r = await runBrokerExpectingExit('duplicate-broker-1', {
      ...CLUSTER_DEFAULTS,
      'broker.id': 1,
      listeners: `PLAINTEXT://127.0.0.1:${await freePort()}`,
      'log.dirs': await scratchDir('cluster-dup'),
      'zookeeper.connect': cluster.zkConnect,
    })
    expect(r.exit, `exit of the duplicate broker; log ${r.logFile}:\n${r.log.slice(-3000)}`).not.toBe(0)
    expect(typeof r.exit === 'number' && r.exit > 0, `exit ${String(r.exit)}`).toBe(true)
    expect(r.log).toMatch(/broker\.id 1|\/brokers\/ids\/1.*(already exists|NodeExists)/i)
    // the original registration is untouched and its broker still serves
    const after = await cluster.znode('/brokers/ids/1')
    expect(after).toEqual(before)
    expect((await metadataOf(cluster.broker(1))).brokers).toHaveLength(3)
    // and no partition state was touched by the impostor
    expect(await cluster.states(topic)).toEqual(statesBefore)
  })
})

describe('the ZooKeeper admin path (kafka-topics.sh / kafka-configs.sh --zookeeper)', () => {
  const zkTopic = uniqueName('zk-written')

  it('a topic created by writing /brokers/topics/<t> is served by every broker within seconds', async () => {
    await cluster.zk(async (c) => {
      await zkWrite(
        c,
        `/config/topics/${zkTopic}`,
        JSON.stringify({ version: 1, config: { 'retention.ms': '3600000' } }),
      )
      await zkCreate(
        c,
        `/brokers/topics/${zkTopic}`,
        JSON.stringify({ version: 1, partitions: { '0': [0, 1, 2], '1': [1, 2, 0], '2': [2, 0, 1] } }),
      )
    })
    const t0 = Date.now()
    const states = await cluster.waitForTopic(zkTopic, 3, 15_000)
    expect(Date.now() - t0).toBeLessThan(10_000)
    expect([...states.values()].map((s) => s.leader).sort()).toEqual([0, 1, 2])
    for (const b of cluster.brokers) {
      const cfg = await topicConfigsOf(b, zkTopic)
      expect(cfg.get('retention.ms'), `retention.ms from broker ${b.id}`).toBe('3600000')
    }
    const msgs = keyed('zkt', 30)
    await kcatProduce(cluster.bootstrap(0), zkTopic, msgs, { acks: -1 })
    const got = await kcatConsume(cluster.bootstrap(2), zkTopic)
    expect(got.map((m) => m.key).sort()).toEqual(msgs.map((m) => m.key).sort())
    await cluster.waitForAgreement(zkTopic)
  })

  it('a topic written without topic_id is given one (Kafka 2.8+ controller), the same on every broker', async () => {
    const t = await waitFor(
      `/brokers/topics/${zkTopic} to get a topic_id`,
      async () => {
        const z = await cluster.topicZnode(zkTopic)
        return z?.topic_id ? z : undefined
      },
      { timeoutMs: 10_000 },
    )
    expect(t.topic_id).toMatch(UUID_RE)
    expect(t.version).toBe(3)
    for (const b of cluster.brokers) {
      const md = await metadataOf(b, [zkTopic], 10)
      expect(md.topics[0]!.topicId).toBe(t.topic_id)
    }
  })

  it('a config change written to /config/topics/<t> + /config/changes/config_change_ reaches every broker', async () => {
    await cluster.zk(async (c) => {
      await zkWrite(
        c,
        `/config/topics/${zkTopic}`,
        JSON.stringify({ version: 1, config: { 'retention.ms': '7200000', 'max.message.bytes': '2048' } }),
      )
      await zkCreate(
        c,
        '/config/changes/config_change_',
        JSON.stringify({ version: 2, entity_path: `topics/${zkTopic}` }),
        'persistent_sequential',
      )
    })
    for (const b of cluster.brokers) {
      await waitFor(
        `broker ${b.id} to describe retention.ms=7200000, max.message.bytes=2048 for ${zkTopic}`,
        async () => {
          const cfg = await topicConfigsOf(b, zkTopic)
          return cfg.get('retention.ms') === '7200000' && cfg.get('max.message.bytes') === '2048'
        },
        { timeoutMs: 10_000 },
      )
    }
    // and the logs apply it: a 3000-byte record is too large now, on every leader
    const states = await cluster.states(zkTopic)
    for (const [p, s] of states) {
      const r = await produceTo(cluster.broker(s.leader), zkTopic, p, 1, [{ value: 'x'.repeat(3000) }])
      expect(r.errorCode, `partition ${p} on leader ${s.leader}: MESSAGE_TOO_LARGE`).toBe(10)
    }
  })

  it('a deletion requested by creating /admin/delete_topics/<t> takes effect on every broker', async () => {
    await cluster.zk((c) => zkCreate(c, `/admin/delete_topics/${zkTopic}`, null))
    const t0 = Date.now()
    for (const b of cluster.brokers) {
      await waitFor(
        `broker ${b.id} to forget ${zkTopic}`,
        async () => {
          const md = await metadataOf(b, [zkTopic])
          return md.topics[0]?.errorCode === 3
        },
        { timeoutMs: 15_000 },
      )
    }
    expect(Date.now() - t0).toBeLessThan(15_000)
    await waitFor('the deletion znodes to be cleaned up', async () => {
      return (
        (await cluster.znode(`/brokers/topics/${zkTopic}`)) === undefined &&
        (await cluster.znode(`/config/topics/${zkTopic}`)) === undefined &&
        (await cluster.znode(`/admin/delete_topics/${zkTopic}`)) === undefined
      )
    })
    for (const b of cluster.brokers) {
      await waitFor(`broker ${b.id} to remove the logs of ${zkTopic}`, () =>
        [0, 1, 2].every((p) => segmentFiles(b.dataDir, zkTopic, p).length === 0),
      )
    }
  })
})

describe('a topic deleted while one of its replicas was down', () => {
  it('the returning broker removes its stray logs (confirmed against ZooKeeper) and keeps the rest', async () => {
    await cluster.ensureRunning()
    const doomed = uniqueName('doomed')
    const kept = uniqueName('kept')
    await createTopic(doomed, { partitions: 3, replicationFactor: 3 })
    await createTopic(kept, { partitions: 3, replicationFactor: 3 })
    await kcatProduce(cluster.bootstrap(), doomed, keyed('doomed', 9), { acks: -1 })
    await kcatProduce(cluster.bootstrap(), kept, keyed('kept', 9), { acks: -1 })
    const ctrl = (await cluster.controllerId())!
    const away = cluster.brokers.find((b) => b.id !== ctrl)!
    await waitFor(`${away.id} to hold ${doomed}`, () =>
      [0, 1, 2].every((p) => segmentFiles(away.dataDir, doomed, p).length > 0),
    )
    expect(await away.stop()).toBe(0)
    await cluster.zk((c) => zkCreate(c, `/admin/delete_topics/${doomed}`, null))
    await waitFor(
      `${doomed} to be gone from ZooKeeper`,
      async () => (await cluster.znode(`/brokers/topics/${doomed}`)) === undefined,
    )
    await away.start()
    await waitFor(`broker ${away.id} to delete its stray logs of ${doomed}`, () =>
      [0, 1, 2].every((p) => segmentFiles(away.dataDir, doomed, p).length === 0),
    )
    for (const p of [0, 1, 2]) expect(segmentFiles(away.dataDir, kept, p).length).toBeGreaterThan(0)
  })
})

describe('clients through one bootstrap address', () => {
  it('kafkajs, kcat and confluent-kafka produce and consume across the cluster', async () => {
    const topic = uniqueName('clients')
    await createTopic(topic, { partitions: 6, replicationFactor: 3 })
    // one address: a broker that is not the controller
    const ctrl = await cluster.controllerId()
    const one = cluster.brokers.find((b) => b.id !== ctrl)!.bootstrap

    const fromKcat = keyed('kcat', 40)
    const fromPy = keyed('py', 40)
    const fromJs = keyed('js', 40)
    await kcatProduce(one, topic, fromKcat, { acks: -1 })
    const py = await pyProduce('confluent-kafka', one, topic, fromPy, { config: { acks: 'all' } })
    expect(new Set(py.results.map((r) => r.partition)).size).toBeGreaterThan(1)
    await withProducer(kafkajs(one), {}, async (p) => {
      const res = await p.send({ topic, acks: -1, messages: fromJs })
      expect(res.every((r) => r.errorCode === 0)).toBe(true)
    })
    const all = [...fromKcat, ...fromPy, ...fromJs].map((m) => `${m.key}=${m.value}`).sort()

    const viaKcat = await kcatConsume(one, topic)
    expect(viaKcat.map((m) => `${m.key}=${m.payload}`).sort()).toEqual(all)
    expect(new Set(viaKcat.map((m) => m.partition)).size).toBe(6)

    const viaPy = await pyConsume('confluent-kafka', one, topic, all.length, {
      group: uniqueName('py-group'),
      timeout_ms: 40_000,
    })
    expect(viaPy.messages.map((m) => `${m.key}=${m.value}`).sort()).toEqual(all)

    const viaJs = await consumeWithGroup(kafkajs(one), {
      topic,
      count: all.length,
      groupId: uniqueName('js-group'),
      timeoutMs: 40_000,
    })
    expect(viaJs.map((m) => `${m.key}=${m.value}`).sort()).toEqual(all)
  })
})

describe('broker failures', () => {
  const rf3 = uniqueName('rf3')
  const rf1 = uniqueName('rf1')
  const before3 = keyed('before3', 60)
  const before1 = [0, 1, 2].map((p) => keyed(`before1-p${p}`, 5))

  beforeAll(async () => {
    await createTopic(rf3, { partitions: 6, replicationFactor: 3 })
    await createTopic(rf1, { assignment: [[0], [1], [2]], configs: { 'min.insync.replicas': '1' } })
    await kcatProduce(cluster.bootstrap(), rf3, before3, { acks: -1 })
    for (const p of [0, 1, 2])
      await kcatProduce(cluster.bootstrap(), rf1, before1[p]!, { partition: p, acks: -1 })
  })

  it('kill -9 a broker: registration expires, leaders move (RF 3), RF 1 goes offline; it rejoins with its data', async () => {
    await cluster.ensureRunning()
    const ctrl = (await cluster.controllerId())!
    const victim = cluster.brokers.find((b) => b.id !== ctrl)!
    const survivors = cluster.brokers.filter((b) => b !== victim)
    const statesBefore = await cluster.states(rf3)
    const led = [...statesBefore].filter(([, s]) => s.leader === victim.id).map(([p]) => p)
    expect(led.length, `broker ${victim.id} leads some partitions of ${rf3}`).toBeGreaterThan(0)
    const regBefore = await cluster.znode(`/brokers/ids/${victim.id}`)

    const t0 = Date.now()
    await victim.kill()
    await cluster.waitForRegistered(
      survivors.map((b) => b.id),
      20_000,
    )
    const expiredAfter = Date.now() - t0
    expect(expiredAfter, 'registration gone within the session timeout (+ margin)').toBeLessThan(15_000)

    // RF 3: every partition led by a survivor, the victim out of every ISR
    for (let p = 0; p < 6; p++) {
      const s = await cluster.waitForState(
        rf3,
        p,
        `a live leader and no broker ${victim.id} in the ISR`,
        (x) => x.leader !== victim.id && x.leader >= 0 && !x.isr.includes(victim.id),
        15_000,
      )
      if (led.includes(p)) expect(s.leader_epoch).toBeGreaterThan(statesBefore.get(p)!.leader_epoch)
    }
    // RF 1: the victim's partition is offline (leader -1), the others still led
    const off = await cluster.waitForState(
      rf1,
      victim.id,
      'offline (leader -1)',
      (x) => x.leader === -1,
      15_000,
    )
    expect(off.isr).toEqual([victim.id])
    for (const b of survivors) {
      await waitFor(`broker ${b.id} Metadata: ${rf1}-${victim.id} without leader`, async () => {
        const md = await metadataOf(b, [rf1])
        const p = md.topics[0]!.partitions.find((x) => x.partitionIndex === victim.id)
        return p?.leaderId === -1
      })
    }
    await cluster.waitForAgreement(rf3)

    // clients keep working on the rest
    const during = keyed('during', 60)
    await withProducer(kafkajs(survivors.map((b) => b.bootstrap)), {}, async (p) => {
      const res = await p.send({ topic: rf3, acks: -1, messages: during })
      expect(res.every((r) => r.errorCode === 0)).toBe(true)
    })
    const got3 = await kcatConsume(survivors[0]!.bootstrap, rf3)
    expect(got3.map((m) => m.key).sort()).toEqual([...before3, ...during].map((m) => m.key).sort())
    for (const b of survivors) {
      const r = await produceTo(b, rf1, b.id, -1, [{ key: 'during', value: `during on ${b.id}` }])
      expect(r.errorCode).toBe(0)
    }

    // restart: it re-registers and takes its data back
    await victim.start()
    const regAfter = await cluster.znode(`/brokers/ids/${victim.id}`)
    expect(regAfter!.ephemeralOwner).not.toBe(regBefore!.ephemeralOwner)
    await cluster.waitForState(
      rf1,
      victim.id,
      `led by ${victim.id} again`,
      (x) => x.leader === victim.id,
      20_000,
    )
    const back = await kcatConsume(victim.bootstrap, rf1, { partition: victim.id })
    expect(back.map((m) => m.payload)).toEqual(before1[victim.id]!.map((m) => m.value))
    for (let p = 0; p < 6; p++) await cluster.waitForIsr(rf3, p, [0, 1, 2], 30_000)
    await cluster.waitForAgreement(rf3)
    await cluster.waitForAgreement(rf1)
  })

  it('kill -9 the controller: a new one is elected (new /controller, /controller_epoch + 1)', async () => {
    await cluster.ensureRunning()
    const ctrl = (await cluster.controllerId())!
    const epoch = (await cluster.controllerEpoch())!
    const old = cluster.broker(ctrl)
    const survivors = cluster.brokers.filter((b) => b !== old)
    const statesBefore = await cluster.states(rf3)

    await old.kill()
    const t0 = Date.now()
    const { next } = await waitFor(
      'a new controller',
      async () => {
        const id = await cluster.controllerId()
        return id !== undefined && id !== ctrl ? { next: id } : undefined
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    )
    expect(Date.now() - t0, 'new controller within the session timeout (+ margin)').toBeLessThan(15_000)
    expect(survivors.map((b) => b.id)).toContain(next)
    const z = await cluster.znode('/controller')
    expect(z!.ephemeralOwner).toBe((await cluster.znode(`/brokers/ids/${next}`))!.ephemeralOwner)
    expect(await cluster.controllerEpoch()).toBe(epoch + 1)
    for (const b of survivors) {
      await waitFor(
        `broker ${b.id} to report controller ${next}`,
        async () => (await metadataOf(b)).controllerId === next,
      )
    }
    // the new controller moves the old one's partitions
    for (const [p, s] of statesBefore) {
      await cluster.waitForState(
        rf3,
        p,
        `led by a survivor without ${ctrl} in the ISR`,
        (x) => x.leader !== ctrl && x.leader >= 0 && !x.isr.includes(ctrl),
        15_000,
      )
      void s
    }
    const after = keyed('after-controller', 30)
    await kcatProduce(survivors[0]!.bootstrap, rf3, after, { acks: -1 })

    await old.start()
    // The restarted broker's own election runs during its start-up; once it reports the controller, it has lost.
    await waitFor(
      `broker ${old.id} to report controller ${next}`,
      async () => (await metadataOf(old)).controllerId === next,
    )
    expect(await cluster.controllerId(), 'the restarted broker does not take over').toBe(next)
    for (let p = 0; p < 6; p++) await cluster.waitForIsr(rf3, p, [0, 1, 2], 30_000)
    const all = await kcatConsume(old.bootstrap, rf3)
    expect(all).toHaveLength(before3.length + 60 + after.length)
    await cluster.waitForAgreement(rf3)
  })
})

describe('racks: rack-aware assignment, fetch from follower', () => {
  // Three racks: a = {10, 13}, b = {11}, c = {12}; consumers may read from their rack's follower (KIP-392).
  const rackOf = (id: number): string => (id === 11 ? 'rack-b' : id === 12 ? 'rack-c' : 'rack-a')
  const httpPorts = new Map<number, number>()
  beforeAll(async () => {
    for (const id of [10, 11, 12, 13]) httpPorts.set(id, await freePort())
    racked = await startCluster({
      ids: [10, 11, 12, 13],
      overrides: { 'replica.selector.class': 'org.apache.kafka.common.replica.RackAwareReplicaSelector' },
      brokerOverrides: (id) => ({
        'broker.rack': rackOf(id),
        'http.listeners': `http://127.0.0.1:${httpPorts.get(id)}`,
      }),
    })
    // the placement below needs all four brokers in the controller's view, and Metadata in every broker's
    // (registered is not enough: the controller's broker-change handling and UpdateMetadata come after)
    await racked.waitForController()
    await waitFor('every broker to know all four brokers', async () => {
      for (const b of racked.brokers) if ((await metadataOf(b)).brokers.length !== 4) return false
      return true
    })
  }, 90_000)

  afterAll(async () => {
    await racked?.stop()
  })

  it('broker.rack is registered, and replicas of each partition span two racks', async () => {
    for (const b of racked.brokers) {
      const reg = await racked.json<Record<string, unknown>>(`/brokers/ids/${b.id}`)
      expect(reg!.rack).toBe(rackOf(b.id))
    }
    const md = await metadataOf(racked.brokers[0]!)
    expect(md.brokers.map((x) => [x.nodeId, x.rack]).sort()).toEqual([
      [10, 'rack-a'],
      [11, 'rack-b'],
      [12, 'rack-c'],
      [13, 'rack-a'],
    ])
    const topic = uniqueName('racks')
    await withAdmin(kafkajs(racked.bootstrapAll()), (admin) =>
      admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic, numPartitions: 8, replicationFactor: 2 }],
      }),
    )
    const t = await waitFor(`/brokers/topics/${topic}`, () => racked.topicZnode(topic))
    for (const [p, replicas] of Object.entries(t.partitions)) {
      expect(new Set(replicas.map(rackOf)).size, `partition ${p} replicas ${replicas.join(',')}`).toBe(2)
    }
    const firsts = Object.values(t.partitions).map((r) => r[0]!)
    for (const id of [10, 11, 12, 13]) expect(firsts.filter((x) => x === id)).toHaveLength(2)
    await racked.waitForTopic(topic, 8)
  })

  it("a consumer with client.rack reads every record once from its rack's follower (kafkajs rackId, librdkafka client.rack)", async () => {
    const topic = uniqueName('ffj')
    const n = 600
    await withAdmin(kafkajs(racked.bootstrapAll()), (admin) =>
      admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic, replicaAssignment: [{ partition: 0, replicas: [10, 11, 12] }] }],
      }),
    )
    await racked.waitForTopic(topic, 1)
    const values = Array.from({ length: n }, (_, i) => `ffj-${i}`)
    await withProducer(kafkajs(racked.bootstrapAll()), {}, async (p) => {
      for (let i = 0; i < n; i += 200) {
        await p.send({ topic, acks: -1, messages: values.slice(i, i + 200).map((value) => ({ value })) })
      }
    })
    await racked.waitForIsr(topic, 0, [10, 11, 12], 30_000)
    // A follower learns the high watermark from its next fetch's answer, so it can lag the leader's for up to
    // replica.fetch.wait.max.ms after the last acks=all write; it serves consumers up to its own (kcat -e reads to
    // it and stops). Wait until the followers' high watermarks reached the end, as a consumer of a lagging follower
    // would wait for more.
    for (const id of [11, 12]) {
      await waitFor(
        `broker ${id}'s high watermark of ${topic}-0 to reach ${n}`,
        async () => {
          const r = await withConnection(racked.broker(id), (c) =>
            c.request(Apis.Fetch, 11, consumerFetchBody(topic, { fetchOffset: 0, rackId: 'rack-b' })),
          )
          return r.responses[0]!.partitions[0]!.highWatermark === n
        },
        { timeoutMs: 15_000, intervalMs: 50 },
      )
    }
    const bytesOut = async (id: number): Promise<number> => {
      const text = await (await fetch(`http://127.0.0.1:${httpPorts.get(id)}/metrics`)).text()
      const line = text
        .split('\n')
        .find((l) => l.startsWith(`kafka_server_brokertopicmetrics_bytesout_total{topic="${topic}"}`))
      return line === undefined ? 0 : Number(line.split(' ').pop())
    }
    const [viaKafkajs, viaKcat] = await Promise.all([
      consumeWithGroup(kafkajs(racked.bootstrapAll()), {
        topic,
        count: n,
        groupId: uniqueName('ffj-group'),
        consumerConfig: { rackId: 'rack-b' },
      }),
      kcatConsume(racked.bootstrapAll().join(','), topic, {
        partition: 0,
        props: { 'client.rack': 'rack-c' },
        timeoutMs: 30_000,
      }),
    ])
    const kafkajsValues = viaKafkajs.map((m) => m.value)
    expect(kafkajsValues).toHaveLength(n)
    expect(new Set(kafkajsValues).size).toBe(n)
    expect(kafkajsValues.sort()).toEqual([...values].sort())
    expect(viaKcat.map((m) => m.payload)).toEqual(values)
    // The followers of the consumers' racks sent the records; the leader (rack-a) and broker 13 sent none.
    expect(await bytesOut(11)).toBeGreaterThan(0)
    expect(await bytesOut(12)).toBeGreaterThan(0)
    expect(await bytesOut(10)).toBe(0)
    expect(await bytesOut(13)).toBe(0)
    // The rules on the wire: the leader names the rack's follower (no records); the follower answers a v11+ fetch
    // past its log end with OFFSET_OUT_OF_RANGE (the client goes back to the leader) and a v10 one with
    // NOT_LEADER_OR_FOLLOWER.
    const fetchFrom = async (id: number, version: number, fetchOffset: number, rackId: string) => {
      const r = await withConnection(racked.broker(id), (c) =>
        c.request(Apis.Fetch, version, consumerFetchBody(topic, { fetchOffset, rackId })),
      )
      const p = r.responses[0]!.partitions[0]!
      return { errorCode: p.errorCode, preferred: p.preferredReadReplica, bytes: p.records?.length ?? 0 }
    }
    expect(await fetchFrom(10, 11, 0, 'rack-b')).toEqual({ errorCode: 0, preferred: 11, bytes: 0 })
    expect(await fetchFrom(10, 11, 0, 'rack-a')).toMatchObject({ errorCode: 0, preferred: -1 })
    expect(await fetchFrom(11, 11, n + 10, 'rack-b')).toMatchObject({ errorCode: 1 })
    expect(await fetchFrom(11, 10, 0, 'rack-b')).toMatchObject({ errorCode: 6 })
  })
})
