/**
 * The broker's metrics, in the Prometheus text format, named as the Prometheus JMX exporter's standard Kafka rules
 * (example_configs/kafka-2_0_0.yml, lowercased) name Kafka's MBeans — kafka.server:type=BrokerTopicMetrics,
 * name=MessagesInPerSec,topic=T becomes kafka_server_brokertopicmetrics_messagesin_total{topic="T"} — and consumer
 * group lag as kafka_exporter names it, so dashboards and alerts built for Kafka work unchanged.
 *
 * Two kinds of metric:
 * - counters and the request latency histogram, updated on the hot path once per request or per partition
 *   (never per record): each series is a plain cell looked up once and kept, so an increment is an addition
 *   (families.ts; prom-client only reads them when /metrics is scraped);
 * - gauges computed when /metrics is scraped, from the `MetricSources` the broker wires in (partition, log,
 *   controller, connection and group state): nothing is kept up to date between scrapes.
 *
 * Every broker has its own registry (several brokers may share a process); process and Node.js metrics
 * (prom-client's defaults) are added when asked for.
 */
import { createRequire } from 'node:module'
import type * as PromClient from 'prom-client'
import type { MetricObject, Registry } from 'prom-client'
import { ErrorCode } from '../../protocol/errors.js'
import {
  CounterFamily,
  HistogramFamily,
  ScrapedGaugeFamily,
  type CounterCell,
  type HistogramCell,
} from './families.js'

/** Series rendered between two turns of the event loop when a family is large (see BrokerMetrics.renderFamily). */
export const RENDER_CHUNK = 1000

const yieldToLoop = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve))

/** What the registry's renderer reads of a metric: its name, help, type and values. */
interface PromMetric {
  get(): Promise<{ name: string; help: string; type: string; values: readonly unknown[] }>
  getForPromString?: () => Promise<unknown>
}

/** prom-client's Registry renders one metric object with getMetricsAsString (not in its type definitions). */
interface ChunkRenderer {
  getMetricsAsString(metric: Pick<PromMetric, 'get'>): Promise<string>
}

/** Counts of one broker's partition replicas (kafka.server:type=ReplicaManager). */
export interface ReplicaStats {
  readonly partitions: number
  readonly leaders: number
  readonly underReplicated: number
  readonly underMinIsr: number
  readonly atMinIsr: number
  readonly offlineReplicas: number
}

/** The controller's view (kafka.controller:type=KafkaController); zeros on a broker that is not the controller. */
export interface ControllerStats {
  readonly active: boolean
  readonly offlinePartitions: number
  readonly topics: number
  readonly partitions: number
  readonly preferredReplicaImbalance: number
  readonly brokers: number
}

export interface LogStats {
  readonly topic: string
  readonly partition: number
  readonly size: number
  readonly logStartOffset: number
  readonly logEndOffset: number
  readonly segments: number
}

/** A partition led by this broker, for kafka_exporter's kafka_topic_partition_* offsets. */
export interface LedPartition {
  readonly topic: string
  readonly partition: number
  readonly oldestOffset: number
  readonly currentOffset: number
}

/** A consumer group coordinated by this broker, with its committed offsets and, where known, the end offsets. */
export interface GroupStats {
  readonly group: string
  readonly members: number
  readonly offsets: Iterable<{
    readonly topic: string
    readonly partition: number
    readonly offset: number
    /** The partition's high watermark, when this broker has a replica of it; undefined otherwise. */
    readonly endOffset: number | undefined
  }>
}

/** Where the scrape-time gauges read their values. */
export interface MetricSources {
  replicas(): ReplicaStats
  /** The measured rates of the replication throttles for throttled partitions, bytes/s (KIP-73). */
  replicationByteRates(): { readonly leader: number; readonly follower: number }
  controller(): ControllerStats
  logs(): Iterable<LogStats>
  ledPartitions(): Iterable<LedPartition>
  /** Partition counts of every topic (reported by the controller only, to count each topic once). */
  topicPartitionCounts(): Iterable<{ readonly topic: string; readonly partitions: number }>
  connections(): Iterable<{ readonly listener: string; readonly count: number }>
  groups(): Iterable<GroupStats>
}

/** Request latency buckets in milliseconds (Kafka's TotalTimeMs). */
const LATENCY_BUCKETS_MS = [0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000]

/**
 * Errors that do not count as failed produce or fetch requests: Kafka's ReplicaManager leaves these out, as the
 * failure metrics are meant to show the broker failing to handle a request, not a client asking the wrong broker.
 */
const EXPECTED_PRODUCE_ERRORS: ReadonlySet<number> = new Set([
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.MESSAGE_TOO_LARGE,
  ErrorCode.RECORD_LIST_TOO_LARGE,
  ErrorCode.CORRUPT_MESSAGE,
  ErrorCode.KAFKA_STORAGE_ERROR,
])
const EXPECTED_FETCH_ERRORS: ReadonlySet<number> = new Set([
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.REPLICA_NOT_AVAILABLE,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.OFFSET_OUT_OF_RANGE,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.UNKNOWN_TOPIC_ID,
  ErrorCode.INCONSISTENT_TOPIC_ID,
])

interface TopicSeries {
  readonly messagesIn: CounterCell
  readonly bytesIn: CounterCell
  readonly bytesOut: CounterCell
  readonly totalProduce: CounterCell
  readonly failedProduce: CounterCell
  readonly totalFetch: CounterCell
  readonly failedFetch: CounterCell
}

/**
 * prom-client (with its dependencies the largest module tree the broker imports) loads when the registry is first
 * needed: at start when the web console serves /metrics (http.listeners), else never.
 */
function promClient(): typeof PromClient {
  return createRequire(import.meta.url)('prom-client') as typeof PromClient
}

export class BrokerMetrics {
  private registryValue: Registry | undefined
  /** What goes into the registry when it is made, in this order (the exposition's order). */
  private readonly registrations: Array<(registry: Registry) => void> = []
  private readonly processMetrics: boolean
  private sources: MetricSources | undefined

  private readonly topicFamilies: Record<keyof TopicSeries, CounterFamily>
  private readonly replicationBytesIn: CounterCell
  private readonly replicationBytesOut: CounterCell
  private readonly isrShrinks: CounterCell
  private readonly isrExpands: CounterCell
  private readonly requests: CounterFamily
  private readonly totalTime: HistogramFamily

  private readonly all: TopicSeries
  private readonly byTopic = new Map<string, TopicSeries>()
  /** Per request metric name: its counter cell per version, and its latency histogram. */
  private readonly requestSeries = new Map<string, { byVersion: CounterCell[]; latency: HistogramCell }>()

  constructor(options: { readonly processMetrics?: boolean } = {}) {
    this.processMetrics = options.processMetrics ?? false
    const counter = (name: string, help: string): CounterFamily => this.later(new CounterFamily(name, help))
    const topicCounter = (name: string, help: string): CounterFamily =>
      counter(`kafka_server_brokertopicmetrics_${name}_total`, help)
    this.topicFamilies = {
      messagesIn: topicCounter('messagesin', 'Messages appended to partition leaders (MessagesInPerSec).'),
      bytesIn: topicCounter('bytesin', 'Bytes appended to partition leaders (BytesInPerSec).'),
      bytesOut: topicCounter('bytesout', 'Bytes sent to consumers (BytesOutPerSec).'),
      totalProduce: topicCounter('totalproducerequests', 'Partition appends (TotalProduceRequestsPerSec).'),
      failedProduce: topicCounter(
        'failedproducerequests',
        'Partition appends that failed unexpectedly (FailedProduceRequestsPerSec).',
      ),
      totalFetch: topicCounter('totalfetchrequests', 'Partition reads (TotalFetchRequestsPerSec).'),
      failedFetch: topicCounter(
        'failedfetchrequests',
        'Partition reads that failed unexpectedly (FailedFetchRequestsPerSec).',
      ),
    }
    this.replicationBytesIn = counter(
      'kafka_server_brokertopicmetrics_replicationbytesin_total',
      'Bytes appended by follower replicas (ReplicationBytesInPerSec).',
    ).cell()
    this.replicationBytesOut = counter(
      'kafka_server_brokertopicmetrics_replicationbytesout_total',
      'Bytes sent to follower replicas (ReplicationBytesOutPerSec).',
    ).cell()
    this.isrShrinks = counter(
      'kafka_server_replicamanager_isrshrinks_total',
      'ISR shrinks (IsrShrinksPerSec).',
    ).cell()
    this.isrExpands = counter(
      'kafka_server_replicamanager_isrexpands_total',
      'ISR expands (IsrExpandsPerSec).',
    ).cell()
    this.requests = counter(
      'kafka_network_requestmetrics_requests_total',
      'Requests handled, by API and version (RequestsPerSec).',
    )
    this.totalTime = this.later(
      new HistogramFamily(
        'kafka_network_requestmetrics_totaltimems',
        'Request time in milliseconds, from the whole request read to the response ready (TotalTimeMs).',
        LATENCY_BUCKETS_MS,
      ),
    )
    // the all-topics series exist (at 0) from the start, so rate() and alerts see them before the first event
    this.all = this.seriesFor({})
    // the process metrics (event-loop lag, ...) sample from the start
    if (this.processMetrics) this.makeRegistry()
  }

  /** prom-client's registry of every metric, made (and prom-client loaded) on first use. */
  get registry(): Registry {
    return this.makeRegistry()
  }

  private makeRegistry(): Registry {
    if (this.registryValue === undefined) {
      const prom = promClient()
      const registry = new prom.Registry()
      this.registryValue = registry
      for (const register of this.registrations) register(registry)
      this.defineGauges(prom, registry)
      if (this.processMetrics) prom.collectDefaultMetrics({ register: registry })
    }
    return this.registryValue
  }

  /** `family`, registered when the registry is made. */
  private later<F extends { register(registry: Registry): F }>(family: F): F {
    this.registrations.push((registry) => family.register(registry))
    return family
  }

  /**
   * What the gauges of the scrape under way have computed and share: the six ReplicaManager gauges read one
   * pass over the hosted partitions (`replicas()`) instead of one pass each. Undefined outside a scrape.
   */
  private scrapeMemo: { replicas?: ReplicaStats } | undefined

  /** The state the scrape-time gauges read (set once the broker's services exist). */
  setSources(sources: MetricSources): void {
    this.sources = sources
  }

  // ---- hot path -------------------------------------------------------------------------------------------------

  private seriesFor(labels: { readonly topic?: string }): TopicSeries {
    const f = this.topicFamilies
    return {
      messagesIn: f.messagesIn.cell(labels),
      bytesIn: f.bytesIn.cell(labels),
      bytesOut: f.bytesOut.cell(labels),
      totalProduce: f.totalProduce.cell(labels),
      failedProduce: f.failedProduce.cell(labels),
      totalFetch: f.totalFetch.cell(labels),
      failedFetch: f.failedFetch.cell(labels),
    }
  }

  private topic(topic: string): TopicSeries {
    let s = this.byTopic.get(topic)
    if (!s) {
      s = this.seriesFor({ topic })
      this.byTopic.set(topic, s)
    }
    return s
  }

  /** One partition append to a leader: `messages` records in `bytes` bytes, or a failure with a Kafka error code. */
  produced(topic: string, messages: number, bytes: number, errorCode: number): void {
    const t = this.topic(topic)
    const all = this.all
    t.totalProduce.value++
    all.totalProduce.value++
    if (errorCode === ErrorCode.NONE) {
      t.messagesIn.value += messages
      all.messagesIn.value += messages
      t.bytesIn.value += bytes
      all.bytesIn.value += bytes
    } else if (!EXPECTED_PRODUCE_ERRORS.has(errorCode)) {
      t.failedProduce.value++
      all.failedProduce.value++
    }
  }

  /** One partition read for a fetch: `bytes` of records returned, to a consumer or to a follower replica. */
  fetched(topic: string, bytes: number, errorCode: number, fromFollower: boolean): void {
    const t = this.topic(topic)
    const all = this.all
    t.totalFetch.value++
    all.totalFetch.value++
    if (errorCode !== ErrorCode.NONE && !EXPECTED_FETCH_ERRORS.has(errorCode)) {
      t.failedFetch.value++
      all.failedFetch.value++
    }
    if (fromFollower) {
      this.replicationBytesOut.value += bytes
    } else {
      t.bytesOut.value += bytes
      all.bytesOut.value += bytes
    }
  }

  /** Bytes a follower replica of this broker appended. */
  replicated(bytes: number): void {
    this.replicationBytesIn.value += bytes
  }

  isrShrunk(): void {
    this.isrShrinks.value++
  }

  isrExpanded(): void {
    this.isrExpands.value++
  }

  /** One request handled: Kafka's request metric name, the version, and its time in milliseconds. */
  requestCompleted(request: string, version: number, ms: number): void {
    let r = this.requestSeries.get(request)
    if (!r) {
      r = { byVersion: [], latency: this.totalTime.cell({ request }) }
      this.requestSeries.set(request, r)
    }
    const c = (r.byVersion[version] ??= this.requests.cell({ request, version: String(version) }))
    c.value++
    r.latency.observe(ms)
  }

  /** Drops the per-topic series of a deleted topic (as Kafka removes its topic metrics). */
  topicDeleted(topic: string): void {
    if (!this.byTopic.delete(topic)) return
    for (const f of Object.values(this.topicFamilies)) f.remove({ topic })
  }

  // ---- scrape ---------------------------------------------------------------------------------------------------

  /**
   * The Prometheus text exposition of every metric: the same text as prom-client's `registry.metrics()`, rendered
   * one metric family (and at most RENDER_CHUNK series) at a time with a turn of the event loop in between
   * (prom-client's own render only awaits promises, so a scrape of many partitions would hold the Kafka listeners'
   * I/O until it is done).
   */
  async scrape(): Promise<{ contentType: string; body: string }> {
    const families: string[] = []
    const memo = {}
    try {
      for (const metric of this.registry.getMetricsAsArray()) {
        this.scrapeMemo = memo // a scrape running alongside may have replaced or dropped it
        families.push(await this.renderFamily(metric))
        await yieldToLoop()
      }
    } finally {
      if (this.scrapeMemo === memo) this.scrapeMemo = undefined
    }
    return { contentType: this.registry.contentType, body: `${families.join('\n\n')}\n` }
  }

  /**
   * One family in the text format, as the registry renders it, but a family of more than RENDER_CHUNK series (the
   * per-partition ones: tens of thousands of series on a large broker) is rendered RENDER_CHUNK series at a time
   * with the event loop given back between the pieces, so a scrape never holds the Kafka listeners for long.
   */
  private async renderFamily(metric: MetricObject): Promise<string> {
    const render = (this.registry as unknown as Partial<ChunkRenderer>).getMetricsAsString
    const m = metric as unknown as Partial<PromMetric>
    if (typeof render !== 'function' || typeof m.get !== 'function' || m.getForPromString !== undefined)
      return this.registry.getSingleMetricAsString(metric.name)
    const data = await m.get()
    if (data.values.length <= RENDER_CHUNK)
      return render.call(this.registry, { get: () => Promise.resolve(data) })
    const parts: string[] = []
    for (let i = 0; i < data.values.length; i += RENDER_CHUNK) {
      const piece = { ...data, values: data.values.slice(i, i + RENDER_CHUNK) }
      const text = await render.call(this.registry, { get: () => Promise.resolve(piece) })
      // every piece starts with the family's # HELP and # TYPE lines: keep the first piece's only
      parts.push(i === 0 ? text : text.slice(text.indexOf('\n', text.indexOf('\n') + 1) + 1))
      await yieldToLoop()
    }
    return parts.join('\n')
  }

  private defineGauges({ Gauge }: typeof PromClient, registry: Registry): void {
    const registers = [registry]
    const sources = (): MetricSources | undefined => this.sources
    /** A gauge without labels whose value is read at scrape time. */
    const value = (name: string, help: string, read: (s: MetricSources) => number): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const s = sources()
          this.set(s ? read(s) : 0)
        },
      })
    }
    /** A gauge with labels whose series are rebuilt at every scrape (`_labelNames` types and documents `fill`'s). */
    const series = <L extends string>(
      name: string,
      help: string,
      _labelNames: L[],
      fill: (s: MetricSources, set: (labels: Record<L, string | number>, v: number) => void) => void,
    ): void => {
      new ScrapedGaugeFamily(name, help, (set) => {
        const s = sources()
        if (s) fill(s, set)
      }).register(registry)
    }

    /** replicas(), once per scrape */
    const replicas = (s: MetricSources): ReplicaStats => {
      const memo = this.scrapeMemo
      return memo ? (memo.replicas ??= s.replicas()) : s.replicas()
    }
    const rm = 'kafka_server_replicamanager_'
    value(`${rm}partitioncount`, 'Partitions with a replica on this broker.', (s) => replicas(s).partitions)
    value(`${rm}leadercount`, 'Partitions led by this broker.', (s) => replicas(s).leaders)
    value(
      `${rm}underreplicatedpartitions`,
      'Partitions led here whose ISR is smaller than their replica set.',
      (s) => replicas(s).underReplicated,
    )
    value(
      `${rm}underminisrpartitioncount`,
      'Partitions led here whose ISR is below min.insync.replicas.',
      (s) => replicas(s).underMinIsr,
    )
    value(
      `${rm}atminisrpartitioncount`,
      'Partitions led here whose ISR is at min.insync.replicas.',
      (s) => replicas(s).atMinIsr,
    )
    value(
      `${rm}offlinereplicacount`,
      'Replicas of this broker that are offline.',
      (s) => replicas(s).offlineReplicas,
    )

    // The replication quotas' sensors (kafka.server:type=LeaderReplication / FollowerReplication, byte-rate)
    value(
      'kafka_server_leaderreplication_byte_rate',
      'Bytes per second this leader sends to followers of throttled partitions (leader.replication.throttled.replicas).',
      (s) => s.replicationByteRates().leader,
    )
    value(
      'kafka_server_followerreplication_byte_rate',
      'Bytes per second this follower fetches for throttled partitions (follower.replication.throttled.replicas).',
      (s) => s.replicationByteRates().follower,
    )

    const kc = 'kafka_controller_kafkacontroller_'
    value(`${kc}activecontrollercount`, '1 on the active controller, else 0.', (s) =>
      s.controller().active ? 1 : 0,
    )
    value(
      `${kc}offlinepartitionscount`,
      'Partitions without a live leader (active controller only).',
      (s) => s.controller().offlinePartitions,
    )
    value(
      `${kc}globaltopiccount`,
      'Topics in the cluster (active controller only).',
      (s) => s.controller().topics,
    )
    value(
      `${kc}globalpartitioncount`,
      'Partitions in the cluster (active controller only).',
      (s) => s.controller().partitions,
    )
    value(
      `${kc}preferredreplicaimbalancecount`,
      'Partitions whose leader is not their preferred replica (active controller only).',
      (s) => s.controller().preferredReplicaImbalance,
    )

    const lg = 'kafka_log_log_'
    const logSeries = (name: string, help: string, read: (l: LogStats) => number): void =>
      series(`${lg}${name}`, help, ['topic', 'partition'], (s, set) => {
        for (const l of s.logs()) set({ topic: l.topic, partition: l.partition }, read(l))
      })
    logSeries('size', 'Size of the partition log on disk, in bytes.', (l) => l.size)
    logSeries('logstartoffset', 'Log start offset of the partition.', (l) => l.logStartOffset)
    logSeries('logendoffset', 'Log end offset of the partition.', (l) => l.logEndOffset)
    logSeries('numlogsegments', 'Segments of the partition log.', (l) => l.segments)

    series(
      'kafka_server_socket_server_metrics_connection_count',
      'Open client connections, by listener.',
      ['listener', 'networkProcessor'],
      (s, set) => {
        for (const c of s.connections()) set({ listener: c.listener, networkProcessor: 0 }, c.count)
      },
    )

    // kafka_exporter's names
    value('kafka_brokers', 'Brokers in the cluster (active controller only).', (s) => s.controller().brokers)
    series(
      'kafka_topic_partitions',
      'Partitions of each topic (active controller only).',
      ['topic'],
      (s, set) => {
        if (!s.controller().active) return
        for (const t of s.topicPartitionCounts()) set({ topic: t.topic }, t.partitions)
      },
    )
    series(
      'kafka_topic_partition_current_offset',
      'High watermark of each partition led by this broker.',
      ['topic', 'partition'],
      (s, set) => {
        for (const p of s.ledPartitions()) set({ topic: p.topic, partition: p.partition }, p.currentOffset)
      },
    )
    series(
      'kafka_topic_partition_oldest_offset',
      'Log start offset of each partition led by this broker.',
      ['topic', 'partition'],
      (s, set) => {
        for (const p of s.ledPartitions()) set({ topic: p.topic, partition: p.partition }, p.oldestOffset)
      },
    )
    const groupLabels: ('consumergroup' | 'topic' | 'partition')[] = ['consumergroup', 'topic', 'partition']
    series(
      'kafka_consumergroup_current_offset',
      'Committed offset of each partition of each group coordinated by this broker.',
      groupLabels,
      (s, set) => {
        for (const g of s.groups())
          for (const o of g.offsets)
            set({ consumergroup: g.group, topic: o.topic, partition: o.partition }, o.offset)
      },
    )
    series(
      'kafka_consumergroup_lag',
      'High watermark minus committed offset (partitions this broker has a replica of).',
      groupLabels,
      (s, set) => {
        for (const g of s.groups())
          for (const o of g.offsets)
            if (o.endOffset !== undefined)
              set(
                { consumergroup: g.group, topic: o.topic, partition: o.partition },
                Math.max(0, o.endOffset - o.offset),
              )
      },
    )
    series(
      'kafka_consumergroup_lag_sum',
      'Lag of each group on each topic, summed over its partitions.',
      ['consumergroup', 'topic'],
      (s, set) => {
        for (const g of s.groups()) {
          const sums = new Map<string, number>()
          for (const o of g.offsets)
            if (o.endOffset !== undefined)
              sums.set(o.topic, (sums.get(o.topic) ?? 0) + Math.max(0, o.endOffset - o.offset))
          for (const [topic, v] of sums) set({ consumergroup: g.group, topic }, v)
        }
      },
    )
    series('kafka_consumergroup_members', 'Members of each group.', ['consumergroup'], (s, set) => {
      for (const g of s.groups()) set({ consumergroup: g.group }, g.members)
    })
  }
}
