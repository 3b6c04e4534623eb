import { readFileSync } from 'node:fs'
import net from 'node:net'
import { describe, expect, it } from 'vitest'
import { ErrorCode } from '../../protocol/errors.js'
import { BrokerMetrics, RENDER_CHUNK, type MetricSources } from './broker-metrics.js'

/** name{labels} -> value, from the text exposition (comments dropped). */
async function samples(m: BrokerMetrics): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  for (const line of (await m.scrape()).body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const i = line.lastIndexOf(' ')
    out.set(line.slice(0, i), Number(line.slice(i + 1)))
  }
  return out
}

const sources: MetricSources = {
  replicas: () => ({
    partitions: 4,
    leaders: 3,
    underReplicated: 1,
    underMinIsr: 1,
    atMinIsr: 2,
    offlineReplicas: 0,
  }),
  replicationByteRates: () => ({ leader: 1500, follower: 250 }),
  controller: () => ({
    active: true,
    offlinePartitions: 2,
    topics: 2,
    partitions: 5,
    preferredReplicaImbalance: 1,
    brokers: 3,
  }),
  logs: () => [{ topic: 't', partition: 0, size: 1234, logStartOffset: 5, logEndOffset: 42, segments: 2 }],
  ledPartitions: () => [{ topic: 't', partition: 0, oldestOffset: 5, currentOffset: 40 }],
  topicPartitionCounts: () => [{ topic: 't', partitions: 3 }],
  connections: () => [{ listener: 'PLAINTEXT', count: 7 }],
  groups: () => [
    {
      group: 'g',
      members: 2,
      offsets: [
        { topic: 't', partition: 0, offset: 30, endOffset: 40 },
        { topic: 't', partition: 1, offset: 8, endOffset: 10 },
        { topic: 'elsewhere', partition: 0, offset: 1, endOffset: undefined },
      ],
    },
  ],
}

describe('BrokerMetrics', () => {
  it('counts appends and reads per topic and for all topics, failures only when unexpected', async () => {
    const m = new BrokerMetrics()
    m.produced('a', 10, 1000, ErrorCode.NONE)
    m.produced('a', 5, 500, ErrorCode.NONE)
    m.produced('b', 1, 100, ErrorCode.NONE)
    m.produced('a', 0, 0, ErrorCode.NOT_LEADER_OR_FOLLOWER) // a client asking the wrong broker
    m.produced('a', 0, 0, ErrorCode.NOT_ENOUGH_REPLICAS) // a broker failing to serve it
    m.fetched('a', 300, ErrorCode.NONE, false)
    m.fetched('a', 200, ErrorCode.NONE, true)
    m.fetched('b', 0, ErrorCode.UNKNOWN_SERVER_ERROR, false)
    m.replicated(64)
    m.isrShrunk()
    m.isrExpanded()
    m.isrExpanded()
    const s = await samples(m)
    const b = 'kafka_server_brokertopicmetrics_'
    expect(s.get(`${b}messagesin_total{topic="a"}`)).toBe(15)
    expect(s.get(`${b}messagesin_total`)).toBe(16)
    expect(s.get(`${b}bytesin_total{topic="b"}`)).toBe(100)
    expect(s.get(`${b}bytesin_total`)).toBe(1600)
    expect(s.get(`${b}totalproducerequests_total{topic="a"}`)).toBe(4)
    expect(s.get(`${b}failedproducerequests_total{topic="a"}`)).toBe(1)
    expect(s.get(`${b}failedproducerequests_total`)).toBe(1)
    expect(s.get(`${b}bytesout_total{topic="a"}`)).toBe(300)
    expect(s.get(`${b}bytesout_total`)).toBe(300)
    expect(s.get(`${b}replicationbytesout_total`)).toBe(200)
    expect(s.get(`${b}replicationbytesin_total`)).toBe(64)
    expect(s.get(`${b}totalfetchrequests_total`)).toBe(3)
    expect(s.get(`${b}failedfetchrequests_total{topic="b"}`)).toBe(1)
    expect(s.get('kafka_server_replicamanager_isrshrinks_total')).toBe(1)
    expect(s.get('kafka_server_replicamanager_isrexpands_total')).toBe(2)

    m.topicDeleted('a')
    const after = await samples(m)
    expect([...after.keys()].filter((k) => k.includes('topic="a"'))).toEqual([])
    expect(after.get(`${b}messagesin_total`)).toBe(16)
  })

  it('starts the all-topics series at zero', async () => {
    const s = await samples(new BrokerMetrics())
    expect(s.get('kafka_server_brokertopicmetrics_failedproducerequests_total')).toBe(0)
    expect(s.get('kafka_server_brokertopicmetrics_messagesin_total')).toBe(0)
  })

  it('counts requests per API and version and observes their time in a histogram per API', async () => {
    const m = new BrokerMetrics()
    m.requestCompleted('Produce', 9, 3)
    m.requestCompleted('Produce', 9, 7)
    m.requestCompleted('Produce', 3, 0.2)
    m.requestCompleted('FetchConsumer', 12, 600)
    const s = await samples(m)
    const r = 'kafka_network_requestmetrics_'
    expect(s.get(`${r}requests_total{request="Produce",version="9"}`)).toBe(2)
    expect(s.get(`${r}requests_total{request="Produce",version="3"}`)).toBe(1)
    expect(s.get(`${r}totaltimems_count{request="Produce"}`)).toBe(3)
    expect(s.get(`${r}totaltimems_bucket{le="5",request="Produce"}`)).toBe(2)
    expect(s.get(`${r}totaltimems_bucket{le="500",request="FetchConsumer"}`)).toBe(0)
    expect(s.get(`${r}totaltimems_bucket{le="1000",request="FetchConsumer"}`)).toBe(1)
  })

  it('a large scrape gives the event loop back between metric families and pieces of large ones (the Kafka listeners keep serving)', async () => {
    const m = new BrokerMetrics()
    const logs = Array.from({ length: 2_000 }, (_, i) => ({
      topic: `t${i % 20}`,
      partition: Math.floor(i / 20),
      size: i,
      logStartOffset: 0,
      logEndOffset: i,
      segments: 1,
    }))
    m.setSources({ ...sources, logs: () => logs })
    // a socket on another listener: its round trip needs the event loop's I/O phase while the scrape runs
    const echo = net.createServer((c) => c.on('data', (d) => c.write(d)))
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve))
    const port = (echo.address() as net.AddressInfo).port
    const client = net.connect(port, '127.0.0.1')
    await new Promise((resolve) => client.once('connect', resolve))
    try {
      let turns = 0
      let scraping = true
      const turn = (): void => {
        turns++
        if (scraping) setImmediate(turn)
      }
      let echoedDuringScrape = false
      client.once('data', () => (echoedDuringScrape = scraping))
      setImmediate(turn)
      const scrape = m.scrape()
      client.write('ping')
      const { body } = await scrape
      scraping = false
      expect(echoedDuringScrape).toBe(true)
      // one turn per piece at least — a family, or RENDER_CHUNK series of a larger one (a render in one piece gives
      // none); the per-partition families of 2,000 series are split
      let pieces = 0
      for (const metric of m.registry.getMetricsAsArray()) {
        const n = (await (metric as unknown as { get(): Promise<{ values: unknown[] }> }).get()).values.length
        pieces += Math.max(1, Math.ceil(n / RENDER_CHUNK))
      }
      expect(pieces).toBeGreaterThan(m.registry.getMetricsAsArray().length)
      expect(turns).toBeGreaterThanOrEqual(pieces)
      expect(body).toBe(await m.registry.metrics())
      expect(body).toContain('kafka_log_log_size{topic="t19",partition="99"} 1999')
    } finally {
      client.destroy()
      echo.close()
    }
  })

  it('reads the gauges from its sources at scrape time', async () => {
    const m = new BrokerMetrics()
    m.setSources(sources)
    const s = await samples(m)
    expect(s.get('kafka_server_replicamanager_partitioncount')).toBe(4)
    expect(s.get('kafka_server_replicamanager_leadercount')).toBe(3)
    expect(s.get('kafka_server_replicamanager_underreplicatedpartitions')).toBe(1)
    expect(s.get('kafka_server_leaderreplication_byte_rate')).toBe(1500)
    expect(s.get('kafka_server_followerreplication_byte_rate')).toBe(250)
    expect(s.get('kafka_controller_kafkacontroller_activecontrollercount')).toBe(1)
    expect(s.get('kafka_controller_kafkacontroller_offlinepartitionscount')).toBe(2)
    expect(s.get('kafka_log_log_size{topic="t",partition="0"}')).toBe(1234)
    expect(s.get('kafka_log_log_logendoffset{topic="t",partition="0"}')).toBe(42)
    expect(
      s.get('kafka_server_socket_server_metrics_connection_count{listener="PLAINTEXT",networkProcessor="0"}'),
    ).toBe(7)
    expect(s.get('kafka_consumergroup_current_offset{consumergroup="g",topic="t",partition="0"}')).toBe(30)
    expect(s.get('kafka_consumergroup_lag{consumergroup="g",topic="t",partition="0"}')).toBe(10)
    expect(
      s.get('kafka_consumergroup_lag{consumergroup="g",topic="elsewhere",partition="0"}'),
    ).toBeUndefined()
    expect(s.get('kafka_consumergroup_lag_sum{consumergroup="g",topic="t"}')).toBe(12)
    expect(s.get('kafka_consumergroup_members{consumergroup="g"}')).toBe(2)
    expect(s.get('kafka_topic_partitions{topic="t"}')).toBe(3)
    expect(s.get('kafka_topic_partition_current_offset{topic="t",partition="0"}')).toBe(40)
    expect(s.get('kafka_brokers')).toBe(3)
  })

  it('passes over the hosted partitions once per scrape for the six ReplicaManager gauges', async () => {
    const m = new BrokerMetrics()
    let passes = 0
    m.setSources({ ...sources, replicas: () => (passes++, sources.replicas()) })
    const s = await samples(m)
    expect(passes).toBe(1)
    expect(s.get('kafka_server_replicamanager_atminisrpartitioncount')).toBe(2)
    expect(s.get('kafka_server_replicamanager_underminisrpartitioncount')).toBe(1)
    expect(s.get('kafka_server_replicamanager_offlinereplicacount')).toBe(0)
    await Promise.all([m.scrape(), m.scrape()]) // overlapping scrapes: each reads fresh state, at most once
    expect(passes).toBeLessThanOrEqual(3)
    expect(passes).toBeGreaterThanOrEqual(2)
  })

  it('has every metric the issue names and every metric the Grafana dashboard uses', async () => {
    const m = new BrokerMetrics({ processMetrics: true })
    m.setSources(sources)
    m.requestCompleted('Produce', 9, 1)
    m.produced('t', 1, 1, ErrorCode.NONE)
    m.fetched('t', 1, ErrorCode.NONE, false)
    const body = (await m.scrape()).body
    const names = new Set(
      body
        .split('\n')
        .filter((l) => l.startsWith('# TYPE '))
        .map((l) => l.split(' ')[2]!),
    )
    for (const n of [
      'kafka_server_brokertopicmetrics_messagesin_total',
      'kafka_server_brokertopicmetrics_bytesin_total',
      'kafka_server_brokertopicmetrics_bytesout_total',
      'kafka_server_brokertopicmetrics_failedproducerequests_total',
      'kafka_server_replicamanager_underreplicatedpartitions',
      'kafka_server_replicamanager_partitioncount',
      'kafka_server_replicamanager_leadercount',
      'kafka_server_replicamanager_isrshrinks_total',
      'kafka_server_replicamanager_isrexpands_total',
      'kafka_controller_kafkacontroller_activecontrollercount',
      'kafka_controller_kafkacontroller_offlinepartitionscount',
      'kafka_network_requestmetrics_requests_total',
      'kafka_network_requestmetrics_totaltimems',
      'kafka_log_log_size',
      'kafka_server_socket_server_metrics_connection_count',
      'kafka_consumergroup_lag',
      'kafka_consumergroup_current_offset',
      'process_cpu_seconds_total',
      'nodejs_eventloop_lag_p99_seconds',
    ])
      expect(names, n).toContain(n)

    const dashboard = readFileSync(new URL('../../../config/grafana-dashboard.json', import.meta.url), 'utf8')
    const used = new Set(
      [...dashboard.matchAll(/\b((?:kafka|process|nodejs)_[a-z0-9_]+)\{/g)].map((x) => x[1]!),
    )
    expect(used.size).toBeGreaterThan(20)
    for (const n of used) expect(names, `dashboard metric ${n}`).toContain(n.replace(/_bucket$/, ''))
  })
})
