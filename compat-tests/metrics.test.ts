/**
 * The HTTP listener of a three-broker cluster: /healthz and /readyz, and /metrics with the JMX exporter's Kafka
 * names changing as they should when kafkajs produces and consumes in a group, a follower stops and comes back, and
 * a broker dies (kill -9) and is started again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { printBrokerLogsOnFailure } from './support/broker.js'
import { pauseBroker, resumeBroker, startCluster, type Cluster } from './support/cluster.js'
import { uniqueName, waitFor } from './support/env.js'
import { consumeWithGroup, kafkajs, withAdmin, withProducer } from './support/kafkajs.js'
import { freePort } from './support/procs.js'

printBrokerLogsOnFailure()

let cluster: Cluster
const httpPorts = new Map<number, number>()
/**
 * The broker the last test kills: a short ZooKeeper session, so that the controller sees it gone within seconds
 * (the others keep 30 s, so that a paused follower leaves the ISR through its leader first).
 */
const VICTIM = 3

beforeAll(async () => {
  for (const id of [1, 2, 3]) httpPorts.set(id, await freePort())
  cluster = await startCluster({
    ids: [1, 2, 3],
    // a paused follower falls out of the ISR (the leader shrinks it) long before its ZooKeeper session expires
    overrides: { 'zookeeper.session.timeout.ms': 30_000, 'replica.lag.time.max.ms': 3000 },
    brokerOverrides: (id) => ({
      'http.listeners': `http://127.0.0.1:${httpPorts.get(id)}`,
      ...(id === VICTIM ? { 'zookeeper.session.timeout.ms': 6000 } : {}),
    }),
  })
})
afterAll(async () => {
  await cluster?.stop()
})

const url = (id: number, path: string): string => `http://127.0.0.1:${httpPorts.get(id)}${path}`

/** The samples of one broker's /metrics: `name{labels}` -> value. */
async function scrape(id: number): Promise<Map<string, number>> {
  const r = await fetch(url(id, '/metrics'))
  expect(r.status).toBe(200)
  const out = new Map<string, number>()
  for (const line of (await r.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const i = line.lastIndexOf(' ')
    out.set(line.slice(0, i), Number(line.slice(i + 1)))
  }
  return out
}

async function metric(id: number, sample: string): Promise<number | undefined> {
  return (await scrape(id)).get(sample)
}

describe('the HTTP listener of each broker', () => {
  it('answers /healthz and /readyz', async () => {
    for (const id of [1, 2, 3]) {
      expect((await fetch(url(id, '/healthz'))).status).toBe(200)
      await waitFor(`broker ${id} ready`, async () => (await fetch(url(id, '/readyz'))).status === 200)
    }
    const active = await Promise.all(
      [1, 2, 3].map((id) => metric(id, 'kafka_controller_kafkacontroller_activecontrollercount')),
    )
    expect(active.reduce((a, b) => a! + b!, 0)).toBe(1)
  })

  it('/metrics follows produce, consume, group lag, and a follower stopping and coming back', async () => {
    const topic = uniqueName('metrics')
    const kafka = kafkajs(cluster.bootstrapAll())
    await withAdmin(kafka, (a) =>
      a.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, replicationFactor: 3 }] }),
    )
    const { leader, isr } = await cluster.waitForIsr(topic, 0, [1, 2, 3])
    const messages = Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `value ${i}` }))
    await withProducer(kafka, {}, (p) => p.send({ topic, acks: -1, messages }))

    const t = `topic="${topic}"`
    const b = 'kafka_server_brokertopicmetrics_'
    const onLeader = await scrape(leader)
    expect(onLeader.get(`${b}messagesin_total{${t}}`)).toBe(10)
    expect(onLeader.get(`${b}bytesin_total{${t}}`)).toBeGreaterThan(10 * 7)
    expect(onLeader.get(`${b}messagesin_total`)).toBeGreaterThanOrEqual(10)
    expect(onLeader.get(`${b}totalproducerequests_total{${t}}`)).toBeGreaterThanOrEqual(1)
    expect(onLeader.get(`${b}failedproducerequests_total{${t}}`) ?? 0).toBe(0)
    expect(
      onLeader.get('kafka_network_requestmetrics_requests_total{request="Produce",version="7"}'),
    ).toBeGreaterThan(0)
    expect(onLeader.get('kafka_network_requestmetrics_totaltimems_count{request="Produce"}')).toBeGreaterThan(
      0,
    )
    expect(onLeader.get('kafka_server_replicamanager_underreplicatedpartitions')).toBe(0)
    expect(
      onLeader.get(
        'kafka_server_socket_server_metrics_connection_count{listener="PLAINTEXT",networkProcessor="0"}',
      ),
    ).toBeGreaterThan(0)
    expect(onLeader.get('process_cpu_seconds_total')).toBeGreaterThan(0)
    for (const id of isr)
      await waitFor(
        `the log of ${topic}-0 on broker ${id} to hold the records`,
        async () => (await metric(id, `kafka_log_log_logendoffset{${t},partition="0"}`)) === 10,
      )
    expect(await metric(leader, `kafka_log_log_size{${t},partition="0"}`)).toBeGreaterThan(0)

    // a group consumes everything and commits: lag 0 on its coordinator, bytes out on the leader
    const groupId = uniqueName('metrics-g')
    await consumeWithGroup(kafka, { topic, groupId, count: 10 })
    expect(await metric(leader, `${b}bytesout_total{${t}}`)).toBeGreaterThan(10 * 7)
    const g = `consumergroup="${groupId}",${t},partition="0"`
    const coordinator = await waitFor('the group coordinator to report the committed offset', async () => {
      for (const id of [1, 2, 3])
        if ((await metric(id, `kafka_consumergroup_current_offset{${g}}`)) === 10) return id
      return undefined
    })
    expect(await metric(coordinator, `kafka_consumergroup_lag{${g}}`)).toBe(0)
    // five more records, not consumed: lag 5
    await withProducer(kafka, {}, (p) => p.send({ topic, acks: -1, messages: messages.slice(0, 5) }))
    await waitFor('lag 5', async () => (await metric(coordinator, `kafka_consumergroup_lag{${g}}`)) === 5)

    // a follower stops (SIGSTOP): the leader shrinks the ISR, counts it, and reports the partition under-replicated
    const paused = (id: number): boolean => id !== leader && id !== VICTIM
    const follower = isr.find((id) => paused(id) && id !== coordinator) ?? isr.find(paused)!
    const shrinksBefore = (await metric(leader, 'kafka_server_replicamanager_isrshrinks_total'))!
    const expandsBefore = (await metric(leader, 'kafka_server_replicamanager_isrexpands_total'))!
    pauseBroker(cluster.broker(follower))
    await waitFor(
      'the leader to shrink the ISR',
      async () => (await metric(leader, 'kafka_server_replicamanager_isrshrinks_total'))! > shrinksBefore,
      { timeoutMs: 30_000 },
    )
    expect(
      await metric(leader, 'kafka_server_replicamanager_underreplicatedpartitions'),
    ).toBeGreaterThanOrEqual(1)
    // ... and it comes back: the ISR expands again
    resumeBroker(cluster.broker(follower))
    await waitFor(
      'the leader to expand the ISR',
      async () =>
        (await metric(leader, 'kafka_server_replicamanager_isrexpands_total'))! > expandsBefore &&
        (await metric(leader, 'kafka_server_replicamanager_underreplicatedpartitions')) === 0,
      { timeoutMs: 30_000 },
    )
  })

  it('a broker dies: under-replicated and an ISR shrink on the leader, offline partitions on the controller', async () => {
    const kafka = kafkajs(cluster.bootstrapAll())
    const shared = uniqueName('metrics-rf3')
    const solo = uniqueName('metrics-solo')
    await withAdmin(kafka, (a) =>
      a.createTopics({
        waitForLeaders: true,
        topics: [
          { topic: shared, replicaAssignment: [{ partition: 0, replicas: [1, VICTIM, 2] }] },
          { topic: solo, replicaAssignment: [{ partition: 0, replicas: [VICTIM] }] },
        ],
      }),
    )
    const { leader } = await cluster.waitForIsr(shared, 0, [1, 2, VICTIM])
    expect(leader).not.toBe(VICTIM)
    await cluster.waitForIsr(solo, 0, [VICTIM])
    const gauge = 'kafka_server_replicamanager_underreplicatedpartitions'
    const offline = 'kafka_controller_kafkacontroller_offlinepartitionscount'
    /** The offline partitions the active controller among the running brokers reports. */
    const controllerOffline = async (): Promise<number | undefined> => {
      for (const b of cluster.running())
        if ((await metric(b.id, 'kafka_controller_kafkacontroller_activecontrollercount')) === 1)
          return metric(b.id, offline)
      return undefined
    }
    await waitFor('no partition offline', async () => (await controllerOffline()) === 0)
    // Nothing under-replicated on the leader to begin with. The test before paused a broker: thawed, a leader finds
    // its followers' last fetches older than replica.lag.time.max.ms (they could not fetch from it while it was
    // frozen) and shrinks its ISRs, as Kafka's isr-expiration does; their next fetches expand them again.
    await waitFor('nothing under-replicated on the leader', async () => (await metric(leader, gauge)) === 0, {
      timeoutMs: 30_000,
    })
    const shrinksBefore = (await metric(leader, 'kafka_server_replicamanager_isrshrinks_total'))!

    await cluster.broker(VICTIM).kill()
    await waitFor(
      'the leader to shrink the ISR of the partition the dead broker followed',
      async () =>
        (await metric(leader, 'kafka_server_replicamanager_isrshrinks_total'))! > shrinksBefore &&
        (await metric(leader, gauge))! >= 1,
      { timeoutMs: 30_000 },
    )
    await waitFor(
      'the controller to count the dead broker’s partition offline',
      async () => (await controllerOffline())! >= 1,
      {
        timeoutMs: 30_000,
      },
    )
    await cluster.waitForState(solo, 0, 'leaderless', (s) => s.leader === -1)

    // back: nothing offline, nothing under-replicated
    await cluster.broker(VICTIM).start()
    await waitFor('the partition back online', async () => (await controllerOffline()) === 0, {
      timeoutMs: 30_000,
    })
    await waitFor('the ISR whole again', async () => (await metric(leader, gauge)) === 0, {
      timeoutMs: 30_000,
    })
  })
})
