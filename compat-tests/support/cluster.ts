/**
 * A ZooKeeper-mode Samsa cluster for the cluster / replication / ZooKeeper-fault tests: N brokers started as
 * real processes (bin/kafka-server-start.sh config/server.properties --override ...) in their own ZooKeeper
 * chroot, plus what those tests need on top of the shared harness:
 *  - reading and writing znodes of the cluster's chroot (writes are how kafka-topics.sh --zookeeper and
 *    kafka-configs.sh --zookeeper talked to a cluster),
 *  - raw Metadata / Produce / DescribeConfigs requests to one particular broker (client libraries route
 *    requests themselves; these tests need to ask a given broker),
 *  - a `kafka-topics.sh --describe` view of a topic from ZooKeeper and from each broker's Metadata,
 *  - the byte range of a partition's .log segment up to an offset (replica byte-for-byte comparisons),
 *  - pausing a broker (SIGSTOP/SIGCONT) to expire its ZooKeeper session or stop it fetching.
 * Everything started here is killed by `Cluster.stop()` (and by the harness' registry if a worker dies).
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import zookeeper from 'node-zookeeper-client'
import { afterEach, inject } from 'vitest'
import type { Infer, Input } from '../../src/protocol/codec/schema.js'
import { Apis } from '../../src/protocol/messages/index.js'
import { buildRecordBatch } from '../../src/protocol/records/batch.js'
import { BrokerProcess, type PropValue } from './broker.js'
import {
  KAFKA_SERVER_START,
  logsDir,
  REPO_ROOT,
  scratchDir,
  sleep,
  uniqueName,
  waitFor,
  ZK_MODE_PROPERTIES,
} from './env.js'
import { freePort, spawnLogged, type Spawned, stopProcess, tailFile } from './procs.js'
import { RawConnection } from './raw.js'
import { getChildren, getZnode, withZk, type Znode } from './zk-client.js'

/** Broker settings every cluster test uses: Kafka's production-like replication, short timeouts. */
export const CLUSTER_DEFAULTS: Readonly<Record<string, PropValue>> = {
  'offsets.topic.replication.factor': 3,
  'offsets.topic.num.partitions': 6,
  'default.replication.factor': 3,
  'min.insync.replicas': 2,
  'zookeeper.session.timeout.ms': 6000,
  'zookeeper.connection.timeout.ms': 5000,
  'replica.lag.time.max.ms': 5000,
  'group.initial.rebalance.delay.ms': 0,
  'num.partitions': 1,
}

/** The ZooKeeper the global setup started (host:port), or a clear failure. */
export function sharedZooKeeper(): string {
  let zk: string
  try {
    zk = inject('zkConnect')
  } catch {
    zk = process.env.SAMSA_ZK_CONNECT ?? ''
  }
  if (!zk) throw new Error('no ZooKeeper: the compat global setup could not start one (see its output)')
  return zk
}

// --------------------------------------------------------------------------------------------------------
// znodes

export interface PartitionStateZnode {
  controller_epoch: number
  leader: number
  version: number
  leader_epoch: number
  isr: number[]
}

export interface TopicZnode {
  version: number
  partitions: Record<string, number[]>
  topic_id?: string
  adding_replicas?: Record<string, number[]>
  removing_replicas?: Record<string, number[]>
}

function zkErr(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e))
}

export function zkCreate(
  client: zookeeper.Client,
  path: string,
  data: string | Buffer | null,
  mode: 'persistent' | 'persistent_sequential' | 'ephemeral' = 'persistent',
): Promise<string> {
  const m = {
    persistent: zookeeper.CreateMode.PERSISTENT,
    persistent_sequential: zookeeper.CreateMode.PERSISTENT_SEQUENTIAL,
    ephemeral: zookeeper.CreateMode.EPHEMERAL,
  }[mode]
  const buf = data === null ? null : Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8')
  return new Promise((resolve, reject) => {
    const cb = (err: unknown, p: string): void => (err ? reject(zkErr(err)) : resolve(p))
    if (buf === null) client.create(path, m, cb)
    else client.create(path, buf, m, cb)
  })
}

export function zkMkdirp(client: zookeeper.Client, path: string): Promise<void> {
  return new Promise((resolve, reject) =>
    client.mkdirp(path, (err) => (err ? reject(zkErr(err)) : resolve())),
  )
}

export function zkSetData(client: zookeeper.Client, path: string, data: string): Promise<void> {
  return new Promise((resolve, reject) =>
    client.setData(path, Buffer.from(data, 'utf8'), -1, (err) => (err ? reject(zkErr(err)) : resolve())),
  )
}

/** Creates or overwrites a persistent znode (parents created as needed). */
export async function zkWrite(client: zookeeper.Client, path: string, data: string): Promise<void> {
  const parent = path.slice(0, path.lastIndexOf('/'))
  if (parent) await zkMkdirp(client, parent)
  if ((await getZnode(client, path)) === undefined) await zkCreate(client, path, data)
  else await zkSetData(client, path, data)
}

// --------------------------------------------------------------------------------------------------------
// raw requests to one broker

export type Endpoint = { host: string; port: number }
export type MetadataResponse = Infer<typeof Apis.Metadata.response>
export type PartitionProduceResponse = Infer<
  typeof Apis.Produce.response
>['responses'][number]['partitionResponses'][number]

/** A raw protocol connection to one broker for the time of `fn`. */
export async function withConnection<T>(b: Endpoint, fn: (c: RawConnection) => Promise<T>): Promise<T> {
  const c = await RawConnection.connect(b.host, b.port)
  try {
    return await fn(c)
  } finally {
    c.close()
  }
}

/** Metadata (v9 unless told) from this very broker (null topics = all topics; no auto-creation). */
export function metadataOf(
  b: Endpoint,
  topics: string[] | null = null,
  version = 9,
): Promise<MetadataResponse> {
  return withConnection(b, (c) =>
    c.request(
      Apis.Metadata,
      version,
      {
        topics: topics === null ? null : topics.map((name) => ({ name })),
        allowAutoTopicCreation: false,
        includeTopicAuthorizedOperations: false,
      },
      10_000,
    ),
  )
}

/** Produce v8 of one record batch to this very broker; returns the partition's response. */
export function produceTo(
  b: Endpoint,
  topic: string,
  partition: number,
  acks: number,
  records: Array<{ key?: string; value: string }>,
  timeoutMs = 10_000,
): Promise<PartitionProduceResponse> {
  const batch = buildRecordBatch({ records: records.map((r) => ({ key: r.key ?? null, value: r.value })) })
  return withConnection(b, async (c) => {
    const res = await c.request(
      Apis.Produce,
      8,
      {
        transactionalId: null,
        acks,
        timeoutMs,
        topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }],
      } as Input<Infer<typeof Apis.Produce.request>>,
      timeoutMs + 5_000,
    )
    const pr = res.responses[0]?.partitionResponses[0]
    if (!pr) throw new Error(`empty produce response: ${JSON.stringify(res)}`)
    return pr
  })
}

/** DescribeConfigs v1 of a topic, asked of this very broker: name -> value. */
export async function topicConfigsOf(b: Endpoint, topic: string): Promise<Map<string, string | null>> {
  const res = await withConnection(b, (c) =>
    c.request(Apis.DescribeConfigs, 1, {
      resources: [{ resourceType: 2, resourceName: topic, configurationKeys: null }],
      includeSynonyms: false,
    }),
  )
  const r = res.results[0]
  if (!r) throw new Error('empty DescribeConfigs response')
  if (r.errorCode !== 0) throw new Error(`DescribeConfigs(${topic}) error ${r.errorCode}: ${r.errorMessage}`)
  return new Map(r.configs.map((x) => [x.name, x.value]))
}

/** ListOffsets v4 latest (high watermark) of one partition, asked of this very broker. */
export async function highWatermarkOf(b: Endpoint, topic: string, partition: number): Promise<number> {
  const res = await withConnection(b, (c) =>
    c.request(Apis.ListOffsets, 4, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [
        { name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1 }] },
      ],
    }),
  )
  const p = res.topics[0]?.partitions[0]
  if (!p) throw new Error('empty ListOffsets response')
  if (p.errorCode !== 0) throw new Error(`ListOffsets(${topic}-${partition}) error ${p.errorCode}`)
  return Number(p.offset)
}

// --------------------------------------------------------------------------------------------------------
// the cluster

export interface ClusterOptions {
  /** Broker ids (default 0..size-1). */
  ids?: number[]
  size?: number
  /** ZooKeeper host:port (default: the shared one of the global setup). */
  zkHosts?: string
  /** The cluster's chroot (default: a new unique one). */
  chroot?: string
  /** Extra --override for every broker (on top of CLUSTER_DEFAULTS). */
  overrides?: Record<string, PropValue>
  /** Per-broker --override (given the broker's id and its PLAINTEXT port). */
  brokerOverrides?: (id: number, port: number) => Record<string, PropValue>
  /** Start the brokers (default true); false leaves them created but not started. */
  start?: boolean
  startTimeoutMs?: number
}

/** A describe line in kafka-topics.sh's format (ISR sorted, so the two views compare regardless of order). */
export interface DescribeRow {
  partition: number
  leader: number
  replicas: number[]
  isr: number[]
}

export function describeText(topic: string, rows: DescribeRow[]): string {
  return rows
    .slice()
    .sort((a, b) => a.partition - b.partition)
    .map(
      (r) =>
        `Topic: ${topic}\tPartition: ${r.partition}\tLeader: ${r.leader === -1 ? 'none' : r.leader}\t` +
        `Replicas: ${r.replicas.join(',')}\tIsr: ${[...r.isr].sort((a, b) => a - b).join(',')}`,
    )
    .join('\n')
}

export class Cluster {
  readonly brokers: BrokerProcess[]

  constructor(
    readonly zkHosts: string,
    readonly chroot: string,
    brokers: BrokerProcess[],
  ) {
    this.brokers = brokers
  }

  /** zookeeper.connect of the brokers (with the chroot). */
  get zkConnect(): string {
    return `${this.zkHosts}${this.chroot}`
  }

  broker(id: number): BrokerProcess {
    const b = this.brokers.find((x) => x.id === id)
    if (!b) throw new Error(`no broker ${id} in this cluster`)
    return b
  }

  running(): BrokerProcess[] {
    return this.brokers.filter((b) => b.isRunning)
  }

  /** One bootstrap address (the first running broker, or `id`'s). */
  bootstrap(id?: number): string {
    if (id !== undefined) return this.broker(id).bootstrap
    const b = this.running()[0]
    if (!b) throw new Error('no broker of the cluster is running')
    return b.bootstrap
  }

  /** Every broker's address. */
  bootstrapAll(): string[] {
    return this.brokers.map((b) => b.bootstrap)
  }

  /** Runs `fn` with a ZooKeeper client rooted at the cluster's chroot. */
  zk<T>(fn: (c: zookeeper.Client) => Promise<T>): Promise<T> {
    return withZk(this.zkConnect, fn)
  }

  znode(path: string): Promise<Znode | undefined> {
    return this.zk((c) => getZnode(c, path))
  }

  children(path: string): Promise<string[] | undefined> {
    return this.zk((c) => getChildren(c, path))
  }

  async json<T>(path: string): Promise<T | undefined> {
    const z = await this.znode(path)
    if (!z || z.data === null || z.data === '') return undefined
    return JSON.parse(z.data) as T
  }

  async registeredIds(): Promise<number[]> {
    return ((await this.children('/brokers/ids')) ?? []).map(Number).sort((a, b) => a - b)
  }

  async controllerId(): Promise<number | undefined> {
    return (await this.json<{ brokerid: number }>('/controller'))?.brokerid
  }

  async controllerEpoch(): Promise<number | undefined> {
    const z = await this.znode('/controller_epoch')
    return z?.data ? Number(z.data) : undefined
  }

  partitionState(topic: string, partition: number): Promise<PartitionStateZnode | undefined> {
    return this.json<PartitionStateZnode>(`/brokers/topics/${topic}/partitions/${partition}/state`)
  }

  topicZnode(topic: string): Promise<TopicZnode | undefined> {
    return this.json<TopicZnode>(`/brokers/topics/${topic}`)
  }

  /** The topic as kafka-topics.sh --zookeeper --describe shows it: assignment + state znodes. */
  async describeFromZk(topic: string): Promise<DescribeRow[]> {
    const t = await this.topicZnode(topic)
    if (!t) throw new Error(`/brokers/topics/${topic} does not exist`)
    const rows: DescribeRow[] = []
    for (const [p, replicas] of Object.entries(t.partitions)) {
      const s = await this.partitionState(topic, Number(p))
      rows.push({ partition: Number(p), leader: s?.leader ?? -1, replicas, isr: s?.isr ?? [] })
    }
    return rows.sort((a, b) => a.partition - b.partition)
  }

  /** The topic as one broker's Metadata shows it (what kafka-topics.sh --bootstrap-server --describe prints). */
  async describeFromBroker(b: Endpoint, topic: string): Promise<DescribeRow[]> {
    const md = await metadataOf(b, [topic])
    const t = md.topics.find((x) => x.name === topic)
    if (!t || t.errorCode !== 0) throw new Error(`broker ${b.port}: topic ${topic} error ${t?.errorCode}`)
    return t.partitions
      .map((p) => ({
        partition: p.partitionIndex,
        leader: p.leaderId,
        replicas: [...p.replicaNodes],
        isr: [...p.isrNodes],
      }))
      .sort((a, b) => a.partition - b.partition)
  }

  /** Partition states of `topic` (all partitions) once they exist. */
  async states(topic: string): Promise<Map<number, PartitionStateZnode>> {
    const t = await this.topicZnode(topic)
    const out = new Map<number, PartitionStateZnode>()
    for (const p of Object.keys(t?.partitions ?? {})) {
      const s = await this.partitionState(topic, Number(p))
      if (s) out.set(Number(p), s)
    }
    return out
  }

  /**
   * Waits until every partition of `topic` has a leader in its state znode and every running broker's
   * Metadata shows the same leaders.
   */
  async waitForTopic(
    topic: string,
    partitions: number,
    timeoutMs = 30_000,
  ): Promise<Map<number, PartitionStateZnode>> {
    return waitFor(
      `topic ${topic} (${partitions} partitions) led and known to every running broker`,
      async () => {
        const states = await this.states(topic)
        if (states.size !== partitions) return undefined
        for (const s of states.values()) if (s.leader < 0) return undefined
        for (const b of this.running()) {
          const md = await metadataOf(b, [topic])
          const t = md.topics.find((x) => x.name === topic)
          if (!t || t.errorCode !== 0 || t.partitions.length !== partitions) return undefined
          for (const p of t.partitions)
            if (p.leaderId !== states.get(p.partitionIndex)?.leader) return undefined
        }
        return states
      },
      { timeoutMs, intervalMs: 200 },
    )
  }

  /** Waits until the state znode of a partition satisfies `pred`. */
  waitForState(
    topic: string,
    partition: number,
    what: string,
    pred: (s: PartitionStateZnode) => boolean,
    timeoutMs = 30_000,
  ): Promise<PartitionStateZnode> {
    let last: PartitionStateZnode | undefined
    return waitFor(
      `${topic}-${partition} ${what} (last state ${JSON.stringify(last)})`,
      async () => {
        last = await this.partitionState(topic, partition)
        return last && pred(last) ? last : undefined
      },
      { timeoutMs, intervalMs: 200 },
    ).catch((e: Error) => {
      throw new Error(`${e.message}; last state ${JSON.stringify(last)}`, { cause: e })
    })
  }

  /** Waits until the ISR of a partition is exactly `isr` (any order). */
  waitForIsr(
    topic: string,
    partition: number,
    isr: number[],
    timeoutMs = 30_000,
  ): Promise<PartitionStateZnode> {
    const want = [...isr].sort((a, b) => a - b).join(',')
    return this.waitForState(
      topic,
      partition,
      `ISR = [${want}]`,
      (s) => [...s.isr].sort((a, b) => a - b).join(',') === want,
      timeoutMs,
    )
  }

  /** Waits until ZooKeeper and every running broker's Metadata describe `topic` the same way; returns the text. */
  async waitForAgreement(topic: string, timeoutMs = 20_000): Promise<string> {
    let last = ''
    try {
      return await waitFor(
        `Metadata of every broker to agree with ZooKeeper on ${topic}`,
        async () => {
          const zk = describeText(topic, await this.describeFromZk(topic))
          const diffs: string[] = []
          for (const b of this.running()) {
            const md = describeText(topic, await this.describeFromBroker(b, topic))
            if (md !== zk) diffs.push(`broker ${b.id} Metadata:\n${md}`)
          }
          last = `ZooKeeper:\n${zk}\n${diffs.join('\n')}`
          return diffs.length === 0 ? zk : undefined
        },
        { timeoutMs, intervalMs: 250 },
      )
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${last}`, { cause: e })
    }
  }

  /** Waits until /brokers/ids lists exactly `ids`. */
  waitForRegistered(ids: number[], timeoutMs = 30_000): Promise<number[]> {
    const want = [...ids].sort((a, b) => a - b).join(',')
    let last: number[] = []
    return waitFor(
      `/brokers/ids = [${want}]`,
      async () => {
        last = await this.registeredIds()
        return last.join(',') === want ? last : undefined
      },
      { timeoutMs, intervalMs: 200 },
    ).catch((e: unknown) => {
      const running = this.running().map((b) => b.id)
      throw new Error(
        `${(e as Error).message} (last seen [${last.join(',')}], running [${running.join(',')}])`,
      )
    })
  }

  /**
   * Waits until a controller is elected (/controller) and every running broker names it in its Metadata answers:
   * until then a Metadata response says controller -1, and admin clients (kafkajs's createTopics, ...) give up
   * ("Broker -1 not found") — as they would against a Kafka cluster that has just started.
   */
  waitForController(timeoutMs = 30_000): Promise<number> {
    let last = ''
    return waitFor(
      'a controller every running broker knows',
      async () => {
        const id = await this.controllerId()
        if (id === undefined) {
          last = 'no /controller'
          return undefined
        }
        for (const b of this.running()) {
          const seen = (await metadataOf(b, [])).controllerId
          if (seen !== id) {
            last = `/controller names ${id}, broker ${b.id} says ${seen}`
            return undefined
          }
        }
        return { id } // (an object: broker id 0 is falsy)
      },
      { timeoutMs, intervalMs: 200 },
    ).then(
      (r) => r.id,
      (e: unknown) => {
        throw new Error(`${(e as Error).message} (last: ${last})`)
      },
    )
  }

  /**
   * Starts every broker that is not running (after a failed test) and waits until all are registered and every
   * one of them lists all in its Metadata: a broker learns of the others from a ZooKeeper watch, and until then it
   * refuses a replica assignment naming one it has not seen (INVALID_REPLICA_ASSIGNMENT "Unknown broker(s)"), as
   * Kafka's controller does — seen as "Topic creation errors" right after a start under load.
   */
  async ensureRunning(): Promise<void> {
    await Promise.all(this.brokers.filter((b) => !b.isRunning).map((b) => b.start()))
    const ids = this.brokers.map((b) => b.id)
    await this.waitForRegistered(ids, 30_000)
    await this.waitForMembers(ids)
  }

  /** Waits until every running broker's Metadata lists exactly `ids`. */
  waitForMembers(ids: number[], timeoutMs = 30_000): Promise<void> {
    const want = [...ids].sort((a, b) => a - b).join(',')
    let last = ''
    return waitFor(
      `every running broker's Metadata to list brokers [${want}]`,
      async () => {
        for (const b of this.running()) {
          const seen = (await metadataOf(b, [])).brokers
            .map((x) => x.nodeId)
            .sort((x, y) => x - y)
            .join(',')
          if (seen !== want) {
            last = `broker ${b.id} lists [${seen}]`
            return undefined
          }
        }
        return true
      },
      { timeoutMs, intervalMs: 100 },
    ).then(
      () => undefined,
      (e: unknown) => {
        throw new Error(`${(e as Error).message} (last: ${last})`)
      },
    )
  }

  /**
   * SIGTERMs that brokers of this cluster logged although no test code stopped them: the sign of someone
   * running bin/kafka-server-stop.sh on the same machine (it signals every Samsa broker it finds).
   */
  foreignSignals(): string[] {
    const out: string[] = []
    for (const b of this.brokers) {
      const mine = stopCalls.get(b) ?? []
      for (const line of logLines(b.logFile, /Received SIG(TERM|INT)/)) {
        const t = Number(/"time":(\d+)/.exec(line)?.[1] ?? 0)
        if (!mine.some((m) => Math.abs(m - t) < 3000)) {
          out.push(
            `broker ${b.id} (${b.bootstrap}) got a signal nobody in this test sent at ${new Date(t).toISOString()}`,
          )
        }
      }
    }
    return out
  }

  /** Kills every broker (kill -9: fast, and nothing in these tests depends on a clean stop at the end). */
  async stop(opts: { removeData?: boolean } = {}): Promise<void> {
    await Promise.all(this.brokers.map((b) => b.kill().catch(() => {})))
    for (const b of this.brokers) resumeBroker(b)
    if (opts.removeData ?? true)
      for (const b of this.brokers) rmSync(b.dataDir, { recursive: true, force: true })
  }

  /** Prints the tail of every broker's log (for failures). */
  logTails(maxBytes = 3000): string {
    return this.brokers.map((b) => `----- broker ${b.id} (${b.logFile})\n${b.logTail(maxBytes)}`).join('\n')
  }
}

/** When test code asked each broker to stop (SIGTERM), to tell them from signals sent from elsewhere. */
const stopCalls = new Map<BrokerProcess, number[]>()

/**
 * An afterEach hook: when a test failed and a broker of `clusters()` received a SIGTERM no test code sent,
 * say so (someone ran bin/kafka-server-stop.sh on this machine meanwhile: the failure may not be Samsa's).
 */
export function reportForeignSignals(clusters: () => Array<Cluster | undefined>): void {
  afterEach((ctx) => {
    if (ctx.task.result?.state !== 'fail') return
    const found = clusters().flatMap((c) => c?.foreignSignals() ?? [])
    if (found.length) {
      console.log(
        `[cluster] WARNING: brokers were stopped from outside the test (bin/kafka-server-stop.sh elsewhere?):\n  ${found.join('\n  ')}`,
      )
    }
  })
}

/** Builds (and by default starts, in parallel) a cluster in a fresh chroot of the shared ZooKeeper. */
export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const ids = opts.ids ?? Array.from({ length: opts.size ?? 3 }, (_, i) => i)
  const zkHosts = opts.zkHosts ?? sharedZooKeeper()
  const chroot = opts.chroot ?? `/${uniqueName('samsa-cluster')}`
  const zkConnect = `${zkHosts}${chroot}`
  const brokers: BrokerProcess[] = []
  for (const id of ids) {
    const port = await freePort()
    const dataDir = await scratchDir(`cluster-b${id}`)
    brokers.push(
      new BrokerProcess({
        id,
        port,
        dataDir,
        zkConnect,
        startTimeoutMs: opts.startTimeoutMs ?? 60_000,
        overrides: { ...CLUSTER_DEFAULTS, ...opts.overrides, ...opts.brokerOverrides?.(id, port) },
      }),
    )
  }
  for (const b of brokers) {
    const stop = b.stop.bind(b)
    b.stop = (timeoutMs?: number) => {
      stopCalls.set(b, [...(stopCalls.get(b) ?? []), Date.now()])
      return stop(timeoutMs)
    }
  }
  const cluster = new Cluster(zkHosts, chroot, brokers)
  if (opts.start ?? true) {
    try {
      await Promise.all(brokers.map((b) => b.start()))
    } catch (e) {
      await cluster.stop()
      throw e
    }
  }
  return cluster
}

// --------------------------------------------------------------------------------------------------------
// processes

/** SIGSTOP: the broker freezes (no heartbeats to ZooKeeper, no fetching, no answers). */
export function pauseBroker(b: BrokerProcess): void {
  if (b.pid && b.isRunning) process.kill(b.pid, 'SIGSTOP')
}

/** SIGCONT. */
export function resumeBroker(b: BrokerProcess): void {
  if (!b.pid) return
  try {
    process.kill(b.pid, 'SIGCONT')
  } catch {
    /* not running */
  }
}

/**
 * Starts a broker process that is expected to fail (e.g. a duplicate broker.id) and waits for it to exit.
 * Returns the exit code and its log. Kills it after `timeoutMs`.
 */
export async function runBrokerExpectingExit(
  what: string,
  overrides: Record<string, PropValue>,
  timeoutMs = 30_000,
): Promise<{ exit: number | string; log: string; logFile: string }> {
  const logFile = join(logsDir(), `${what}-${Date.now()}.log`)
  const args = [ZK_MODE_PROPERTIES]
  for (const [k, v] of Object.entries(overrides)) args.push('--override', `${k}=${String(v)}`)
  const proc: Spawned = spawnLogged(what, KAFKA_SERVER_START, args, logFile, { cwd: REPO_ROOT })
  let timer: NodeJS.Timeout | undefined
  const r = await Promise.race([
    proc.exited,
    new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs))),
  ])
  clearTimeout(timer)
  if (r === 'timeout') {
    await stopProcess(proc, 'SIGKILL')
    return { exit: `still running after ${timeoutMs} ms`, log: tailFile(logFile, 20_000), logFile }
  }
  return { exit: r, log: tailFile(logFile, 20_000), logFile }
}

/** Lines of a broker's log matching `re` (pino JSON lines are matched on their text). */
export function logLines(file: string, re: RegExp): string[] {
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => re.test(l))
}

// --------------------------------------------------------------------------------------------------------
// log segments

/** The .log segment files of a partition replica, in offset order. */
export function segmentFiles(dataDir: string, topic: string, partition: number): string[] {
  const dir = join(dataDir, `${topic}-${partition}`)
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((f) => /^\d{20}\.log$/.test(f))
    .sort()
    .map((f) => join(dir, f))
}

/**
 * The bytes of a replica's log holding offsets [0, upTo): whole batches, walked through the batch headers
 * (baseOffset int64, length int32, ..., lastOffsetDelta int32 at byte 23), across segments.
 */
export function logBytesUpTo(dataDir: string, topic: string, partition: number, upTo: number): Buffer {
  const parts: Buffer[] = []
  for (const f of segmentFiles(dataDir, topic, partition)) {
    const buf = readFileSync(f)
    let pos = 0
    while (pos + 27 <= buf.length) {
      const base = Number(buf.readBigInt64BE(pos))
      const len = buf.readInt32BE(pos + 8)
      const lastDelta = buf.readInt32BE(pos + 23)
      // a header that is not one (a torn or foreign tail) would walk backwards or stand still: stop there
      if (len < 49 || base < 0)
        throw new Error(`no batch header at ${f}:${pos} (baseOffset ${base}, length ${len})`)
      if (base >= upTo || pos + 12 + len > buf.length) break
      if (base + lastDelta >= upTo) {
        throw new Error(`offset ${upTo} is inside the batch at ${f}:${pos} (${base}..${base + lastDelta})`)
      }
      pos += 12 + len
    }
    parts.push(buf.subarray(0, pos))
    if (pos < buf.length) break
  }
  return Buffer.concat(parts)
}

export { sleep }
