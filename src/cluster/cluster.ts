/**
 * An in-process Kafka cluster for test suites: `startCluster({ brokers: 3 })` runs several real Samsa brokers in
 * this Node process — each with its own listeners and log directories — coordinated through one in-process
 * ZooKeeper (`InProcessZooKeeper`: sessions, expiry, ephemeral and sequential nodes, watches, conditional writes)
 * or a real one, with exactly the controller and replication code of a ZooKeeper-mode cluster.
 *
 * The test controls it:
 *  - brokers: `kill()` (kill -9: no shutdown step, the session left to expire), `stop()` (SIGTERM: a clean,
 *    controlled shutdown), `start()`, `restart()`, `pause(ms?)` / `resume()` (SIGSTOP/SIGCONT: nothing runs, nothing
 *    is answered, the ZooKeeper session expires past its timeout);
 *  - the network, per link and direction, between brokers, clients and ZooKeeper: `partitionNetwork`,
 *    `setLink`, `heal` (see network.ts);
 *  - injected latency per request type (`injectLatency`), and a log of the requests each broker served;
 *  - time: with `manualTime`, every broker runs on one `ManualScheduler` and `advanceTime(ms)` moves it.
 *
 * Every connection to a broker goes through a `FaultLink` (a relay on 127.0.0.1): one per broker and listener for
 * the clients — its address is what the broker advertises, stable across restarts — and one per pair of brokers
 * for inter-broker traffic (each broker is routed to its own link to every other), plus one per broker to a real
 * ZooKeeper. That is where partitions, latency and the effects of a paused or dead broker are applied.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { BrokerConfig } from '../config/broker-config.js'
import { ConfigException } from '../config/config-def.js'
import type { InterceptedRequest } from '../handlers/dispatcher.js'
import { Apis } from '../protocol/messages/index.js'
import { Broker } from '../server/broker.js'
import { simulatedDiskFaults } from '../services/log/file-utils.js'
import { InProcessZooKeeper, type InProcessZkClient } from '../services/metadata/in-process-zookeeper.js'
import type { Services } from '../services/services.js'
import { createLogger, type Logger } from '../util/logger.js'
import { ManualScheduler, SystemScheduler, systemScheduler, type Scheduler } from '../util/scheduler.js'
import { FaultLink, type LinkMode } from './fault-link.js'
import { NetworkModel, type LinkOptions, type NodeId, type PartitionOptions } from './network.js'
import {
  groupOf,
  isrOf,
  lagOf,
  leaderOf,
  readPartitionOf,
  running,
  type ClusterRecord,
  type GroupView,
  type ReadPartitionOptions,
  type WaitOptions,
} from './observe.js'
import { PausableScheduler } from './pausable-scheduler.js'

export type PropValue = string | number | boolean
export type Props = Readonly<Record<string, PropValue>>

export interface ClusterOptions {
  /** How many brokers (default 3), with ids 0, 1, 2, ... */
  readonly brokers?: number
  /**
   * A real ZooKeeper (`host:port[/chroot]`) to coordinate through; by default an in-process one. Give each test
   * its own chroot.
   */
  readonly zookeeper?: string
  /** Broker properties with Kafka's names, for every broker; they win over the cluster's defaults. */
  readonly properties?: Props
  /** Properties of one broker (over `properties`). */
  readonly brokerProperties?: (id: number) => Props | undefined
  /**
   * Run every broker on manual time: segment rolls, retention, session and transaction timeouts, offset expiry,
   * delayed fetches... happen only when the test calls `advanceTime(ms)`. `true` for a new `ManualScheduler`, or
   * one of your own.
   */
  readonly manualTime?: boolean | ManualScheduler
  /** Where the brokers keep their data (`<dataDir>/broker-<id>`); default a temporary directory removed by stop(). */
  readonly dataDir?: string
  /**
   * Log directories per broker (JBOD, `log.dirs`): 1 (the default) is `<dataDir>/broker-<id>` itself, more are
   * `<dataDir>/broker-<id>/dir-<n>`. `failDisk(dirs)` fails some of them.
   */
  readonly logDirs?: number
  /** pino level of the brokers' logs (default 'warn'). */
  readonly logLevel?: string
  /** Where the brokers' logs go: a file descriptor (default 1, stdout; 2 for stderr). */
  readonly logFd?: number
  /** A logger of your own (overrides logLevel and logFd); each broker logs through a child. */
  readonly logger?: Logger
}

/** The cluster's settings, under the test's `properties` (Kafka's defaults otherwise). */
function clusterDefaults(brokers: number): Props {
  const rf = Math.min(3, brokers)
  return {
    'offsets.topic.replication.factor': rf,
    'transaction.state.log.replication.factor': rf,
    'transaction.state.log.min.isr': Math.min(2, rf),
    'group.initial.rebalance.delay.ms': 0,
    // A test kill is noticed in seconds, not Kafka's 18 s.
    'zookeeper.session.timeout.ms': 6000,
  }
}

export type BrokerState = 'starting' | 'running' | 'paused' | 'killed' | 'stopped'

/** One request a broker served (its request log). */
export interface ServedRequest {
  readonly broker: number
  /** The API's name: Produce, Fetch, Metadata, ... */
  readonly api: string
  readonly apiKey: number
  readonly version: number
  readonly clientId: string | null
  readonly correlationId: number
  /** The listener it came in on. */
  readonly listener: string
  /** When it arrived, on the cluster's clock. */
  readonly at: number
}

/** The most requests a broker's log keeps (the oldest go first). */
const REQUEST_LOG_LIMIT = 20_000

interface LatencyRule {
  readonly apis: ReadonlySet<string> | undefined
  readonly brokers: ReadonlySet<number> | undefined
  readonly ms: number
}

/** What a broker is while it runs: one incarnation, from a start to a kill or stop. */
interface Incarnation {
  readonly broker: Broker
  readonly scheduler: PausableScheduler
  readonly zkClient: InProcessZkClient | undefined
  /** The port each listener is bound to. */
  readonly ports: ReadonlyMap<string, number>
  readonly logger: Logger
}

const LISTENER_NAME = /^\s*([A-Za-z0-9_]+):\/\//

/** A free TCP port of 127.0.0.1 (bound and released). */
async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ port: 0, host: '127.0.0.1' }, () => resolve())
  })
  const port = (server.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** One broker of the cluster; its client address stays the same across restarts. */
export class ClusterBroker {
  private inc: Incarnation | undefined
  private _state: BrokerState = 'stopped'
  private pauseTimer: { cancel(): void } | undefined
  private readonly served: ServedRequest[] = []
  private starting: Promise<void> | undefined
  /** Its log directories that are full (failDisk with ENOSPC) until healDisk(). */
  private readonly fullDirs = new Set<string>()

  /** @internal */
  constructor(
    readonly id: number,
    /** The broker's data directory: its log directory, or the parent of its `logDirs` when it has several. */
    readonly logDir: string,
    private readonly cluster: Cluster,
    /** Its log directories (`log.dirs`). */
    readonly logDirs: readonly string[] = [logDir],
  ) {}

  get state(): BrokerState {
    return this._state
  }

  /** Whether it serves (running) or would once resumed (paused). */
  get isUp(): boolean {
    return this._state === 'running' || this._state === 'paused' || this._state === 'starting'
  }

  /** `host:port` clients use for this broker (its first listener); the same after a restart. */
  get bootstrap(): string {
    return this.cluster.clientLink(this.id).address
  }

  get host(): string {
    return this.cluster.clientLink(this.id).host
  }

  get port(): number {
    return this.cluster.clientLink(this.id).port
  }

  /** The running broker (throws while it is killed or stopped). */
  get broker(): Broker {
    if (!this.inc) throw new Error(`broker ${this.id} is ${this._state}`)
    return this.inc.broker
  }

  /** Its services (throws while it is killed or stopped). */
  get services(): Services {
    return this.broker.services
  }

  /** @internal */
  get incarnation(): Incarnation | undefined {
    return this.inc
  }

  /** The requests it served (all incarnations), oldest first; see also `Cluster.requests`. */
  get requests(): readonly ServedRequest[] {
    return this.served
  }

  clearRequests(): void {
    this.served.length = 0
  }

  /** Starts it (after `kill()` or `stop()`) on the same data, ports and network state. */
  start(): Promise<void> {
    if (this.isUp) return this.starting ?? Promise.resolve()
    this._state = 'starting'
    this.starting = (async () => {
      try {
        this.inc = await this.cluster.launch(this, (r) => this.log(r))
        this._state = 'running'
      } catch (e) {
        this._state = 'stopped'
        throw e
      } finally {
        this.starting = undefined
        await this.cluster.applyNetwork()
      }
    })()
    return this.starting
  }

  /**
   * kill -9: the broker stops at once without any shutdown step — connections reset, nothing flushed, its
   * registration left until its ZooKeeper session expires (zookeeper.session.timeout.ms on the cluster's clock).
   */
  async kill(): Promise<void> {
    await this.starting?.catch(() => {})
    const inc = this.inc
    if (!inc) return
    this.inc = undefined
    this._state = 'killed'
    this.pauseTimer?.cancel()
    inc.scheduler.resume()
    inc.broker.kill()
    this.cluster.silence(inc.logger)
    await this.cluster.applyNetwork()
  }

  /**
   * SIGTERM: a clean shutdown (controlled shutdown — unless `controlled` is false —, flushed logs, deregistration).
   */
  async stop(opts: { controlled?: boolean } = {}): Promise<void> {
    await this.starting?.catch(() => {})
    const inc = this.inc
    if (!inc) return
    this.pauseTimer?.cancel()
    if (this._state === 'paused') this.resumeIncarnation(inc)
    this._state = 'stopped'
    try {
      await inc.broker.shutdown(opts)
    } finally {
      this.inc = undefined
      await this.cluster.applyNetwork()
    }
  }

  /**
   * The disk breaks or fills up.
   *
   * `error: 'EIO'` (the default): every log directory fails as on an I/O error, as Kafka's LogDirFailureChannel
   * takes a directory offline on its first failed read or write — its replicas answer KAFKA_STORAGE_ERROR and the
   * controller is told through /log_dir_event_notification. With no directory left the broker halts as Kafka does
   * (its ZooKeeper session closed, so leadership moves at once) and this resolves once it has: its state is then
   * 'killed', and `start()` brings it back on the same files (a replaced disk).
   *
   * `error: 'ENOSPC'`: the disk is full — every write to its log directories fails with ENOSPC from now on (the
   * log's file writes go through `simulatedDiskFaults`), which the broker treats as Kafka does a full disk it
   * survives: appends are refused with KAFKA_STORAGE_ERROR and undone, followers stop fetching, what frees space
   * keeps working, and writes resume by themselves after `healDisk()`. It stays full across restarts until then.
   *
   * `dirs` fails only those of its log directories.
   */
  async failDisk(dirs?: readonly string[], opts: { error?: 'EIO' | 'ENOSPC' } = {}): Promise<void> {
    const inc = this.inc
    if (!inc || this._state !== 'running') throw new Error(`broker ${this.id} is ${this._state}, not running`)
    const logs = inc.broker.services.logManager
    if (opts.error === 'ENOSPC') {
      for (const d of dirs ?? logs.liveLogDirs) {
        simulatedDiskFaults.set(d, 'ENOSPC')
        this.fullDirs.add(d)
      }
      return
    }
    const err = Object.assign(
      new Error('EIO: i/o error, write (a disk failure injected by the test cluster)'),
      {
        code: 'EIO',
        errno: -5,
        syscall: 'write',
      },
    )
    for (const d of dirs ?? logs.liveLogDirs) logs.failDir(d, err)
    if (logs.liveLogDirs.length === 0)
      await this.cluster.until(
        () => `broker ${this.id} to halt after its disk failed`,
        () => this._state === 'killed',
        30_000,
      )
  }

  /** A full disk (`failDisk(..., { error: 'ENOSPC' })`) has room again: writes succeed from now on. */
  async healDisk(): Promise<void> {
    for (const d of this.fullDirs) simulatedDiskFaults.set(d, undefined)
    this.fullDirs.clear()
    return Promise.resolve()
  }

  /** @internal The broker halted by itself (every log directory failed): what remains of it ends as on kill -9. */
  onFatal(): void {
    void this.kill()
  }

  /** Stops (cleanly, or with `{ kill: true }` as kill -9) and starts again. */
  async restart(opts: { kill?: boolean } = {}): Promise<void> {
    if (opts.kill) await this.kill()
    else await this.stop()
    await this.start()
  }

  /**
   * SIGSTOP: nothing of the broker runs — no timer, no answer, no heartbeat to ZooKeeper (its session expires past
   * the timeout) — and what reaches it waits. With `ms`, it resumes by itself after `ms` on the cluster's clock.
   */
  async pause(ms?: number): Promise<void> {
    const inc = this.inc
    if (!inc || this._state !== 'running') throw new Error(`broker ${this.id} is ${this._state}, not running`)
    this._state = 'paused'
    inc.scheduler.pause()
    inc.zkClient?.freeze()
    await this.cluster.applyNetwork()
    if (ms !== undefined)
      this.pauseTimer = this.cluster.scheduler.schedule(`resume-broker-${this.id}`, () => this.resume(), ms)
  }

  /** SIGCONT: what fell due runs, what was held is delivered, and the broker learns what happened meanwhile. */
  async resume(): Promise<void> {
    const inc = this.inc
    if (!inc || this._state !== 'paused') return
    this.pauseTimer?.cancel()
    this.pauseTimer = undefined
    this._state = 'running'
    await this.cluster.applyNetwork()
    this.resumeIncarnation(inc)
  }

  private resumeIncarnation(inc: Incarnation): void {
    inc.scheduler.resume()
    // Like a process resumed by SIGCONT, it reads what its sockets hold first and hears from ZooKeeper (that its
    // session expired, if it did) a moment later.
    if (inc.zkClient) setImmediate(() => inc.zkClient!.thaw())
  }

  private log(r: ServedRequest): void {
    if (this.served.length >= REQUEST_LOG_LIMIT)
      this.served.splice(0, this.served.length - REQUEST_LOG_LIMIT + 1)
    this.served.push(r)
  }
}

export class Cluster {
  /** The scheduler every broker runs on (a `ManualScheduler` with `manualTime`). */
  readonly scheduler: Scheduler
  /** The in-process ZooKeeper (undefined with a real one). */
  readonly zooKeeper: InProcessZooKeeper | undefined
  readonly network = new NetworkModel()
  private readonly members = new Map<number, ClusterBroker>()
  /** Client links, by broker and listener name. */
  private readonly clientLinks = new Map<number, Map<string, FaultLink>>()
  /** Inter-broker links, by `<from>><to>`. */
  private readonly peerLinks = new Map<string, FaultLink>()
  /** Links from each broker to a real ZooKeeper. */
  private readonly zkLinks = new Map<number, FaultLink>()
  private latency: LatencyRule[] = []
  private listenerNames: string[] = []
  private stopped = false
  private applying: Promise<void> = Promise.resolve()

  /** @internal use `startCluster` */
  constructor(
    private readonly opts: ClusterOptions,
    readonly dataDir: string,
    private readonly tempDir: boolean,
    private readonly logger: Logger,
    /** Loggers whose lines are dropped (those of killed incarnations; see startCluster). */
    private readonly silenced: Set<object> = new Set(),
  ) {
    const manual = opts.manualTime
    this.scheduler =
      manual instanceof ManualScheduler
        ? manual
        : manual
          ? new ManualScheduler(undefined, logger)
          : new SystemScheduler(logger)
    this.zooKeeper = opts.zookeeper ? undefined : new InProcessZooKeeper({ scheduler: this.scheduler })
  }

  // --- the brokers ---

  get brokers(): readonly ClusterBroker[] {
    return [...this.members.values()]
  }

  broker(id: number): ClusterBroker {
    const b = this.members.get(id)
    if (!b)
      throw new Error(`no broker ${id} in this cluster (brokers ${[...this.members.keys()].join(', ')})`)
    return b
  }

  /** Every broker's client address, comma separated (a client's bootstrap.servers). */
  get bootstrap(): string {
    return this.bootstrapServers.join(',')
  }

  get bootstrapServers(): string[] {
    return this.brokers.map((b) => b.bootstrap)
  }

  /** The cluster id (from the first broker that runs). */
  get clusterId(): string {
    const b = this.brokers.find((x) => x.incarnation)
    if (!b) throw new Error('no broker is running')
    return b.broker.clusterId
  }

  // --- time ---

  /** Whether the brokers run on manual time (`advanceTime`). */
  get manualTime(): boolean {
    return this.scheduler instanceof ManualScheduler
  }

  /** Moves manual time forward, running everything that falls due on every broker (`manualTime` only). */
  advanceTime(ms: number): Promise<void> {
    if (!(this.scheduler instanceof ManualScheduler))
      throw new Error('advanceTime needs a cluster started with manualTime')
    return this.scheduler.advance(ms)
  }

  // --- the network ---

  /**
   * Splits the cluster: nodes in different groups cannot reach each other (`mode`: 'hold' by default, as a real
   * partition; 'drop'; 'refuse'). Nodes are broker ids, 'clients' and 'zookeeper'; one listed in no group reaches
   * every other. `partitionNetwork([[0], [1, 2]])` cuts broker 0 from 1 and 2, leaving clients and ZooKeeper
   * connected to all three.
   */
  async partitionNetwork(groups: readonly (readonly NodeId[])[], opts: PartitionOptions = {}): Promise<void> {
    for (const g of groups) for (const n of g) this.checkNode(n)
    this.network.partition(groups, opts)
    await this.applyNetwork()
  }

  /** Sets (or, with no mode and no delay, clears) the fault of one link: `setLink(0, 'clients', { delayMs: 200 })`. */
  async setLink(a: NodeId, b: NodeId, fault: LinkOptions): Promise<void> {
    this.checkNode(a)
    this.checkNode(b)
    this.network.set(a, b, fault)
    await this.applyNetwork()
  }

  /** Every link passes again; held bytes are delivered. */
  async heal(): Promise<void> {
    this.network.heal()
    await this.applyNetwork()
  }

  private checkNode(n: NodeId): void {
    if (n === 'clients' || n === 'zookeeper') return
    this.broker(n)
  }

  /**
   * Holds every request of the given APIs (names as in Kafka's protocol: 'Produce', 'Fetch', ...; all when omitted)
   * on the given brokers (all when omitted) for `ms` before it is handled, on the cluster's clock. Returns a function
   * that removes this rule.
   */
  injectLatency(opts: { ms: number; apis?: readonly string[]; brokers?: readonly number[] }): () => void {
    const known = new Set(Object.values(Apis).map((a) => a.name))
    for (const a of opts.apis ?? [])
      if (!known.has(a)) throw new Error(`unknown API '${a}' (known: ${[...known].sort().join(', ')})`)
    for (const b of opts.brokers ?? []) this.broker(b)
    const rule: LatencyRule = {
      ms: opts.ms,
      apis: opts.apis ? new Set(opts.apis) : undefined,
      brokers: opts.brokers ? new Set(opts.brokers) : undefined,
    }
    this.latency.push(rule)
    return () => {
      this.latency = this.latency.filter((r) => r !== rule)
    }
  }

  clearLatency(): void {
    this.latency = []
  }

  private latencyFor(broker: number, api: string): number {
    let ms = 0
    for (const r of this.latency) {
      if (r.brokers && !r.brokers.has(broker)) continue
      if (r.apis && !r.apis.has(api)) continue
      ms = Math.max(ms, r.ms)
    }
    return ms
  }

  /** The requests the brokers served, oldest first, optionally only some (a broker, an API, a client id). */
  requests(filter: { broker?: number; api?: string; clientId?: string } = {}): ServedRequest[] {
    const all = this.brokers
      .filter((b) => filter.broker === undefined || b.id === filter.broker)
      .flatMap((b) => b.requests)
    return all
      .filter(
        (r) =>
          (filter.api === undefined || r.api === filter.api) &&
          (filter.clientId === undefined || r.clientId === filter.clientId),
      )
      .sort((a, b) => a.at - b.at)
  }

  // --- links ---

  /** @internal The link clients use to reach a broker's first listener. */
  clientLink(id: number, listener?: string): FaultLink {
    const links = this.clientLinks.get(id)
    const l = links?.get(listener ?? this.listenerNames[0]!)
    if (!l) throw new Error(`no client link to broker ${id}${listener ? ` listener ${listener}` : ''}`)
    return l
  }

  /** @internal Opens every link (before the first start). */
  async openLinks(ids: readonly number[], listenerNames: readonly string[]): Promise<void> {
    this.listenerNames = [...listenerNames]
    for (const id of ids) {
      const m = new Map<string, FaultLink>()
      for (const name of listenerNames)
        m.set(name, await FaultLink.open(`clients>${id}/${name}`, this.scheduler, undefined))
      this.clientLinks.set(id, m)
      for (const from of ids) {
        if (from !== id)
          this.peerLinks.set(
            `${from}>${id}`,
            await FaultLink.open(`${from}>${id}`, this.scheduler, undefined),
          )
      }
      if (this.opts.zookeeper) {
        const hosts = this.opts.zookeeper.split('/')[0]!.split(',')
        const [host, port] = hosts[0]!.split(':') as [string, string]
        this.zkLinks.set(
          id,
          await FaultLink.open(`${id}>zookeeper`, this.scheduler, { host, port: Number(port) }),
        )
      }
    }
  }

  /** @internal Drops what a killed incarnation logs from now on. */
  silence(logger: Logger): void {
    this.silenced.add(logger)
  }

  /** @internal Adds a broker (before it starts). */
  add(b: ClusterBroker): void {
    this.members.set(b.id, b)
  }

  /**
   * @internal Starts one incarnation of a broker: free ports for its listeners, its links pointed at them, and the
   * broker on the cluster's scheduler (pausable), the shared ZooKeeper, its own routes and request interceptor.
   */
  async launch(member: ClusterBroker, log: (r: ServedRequest) => void): Promise<Incarnation> {
    if (this.stopped) throw new Error('the cluster is stopped')
    const id = member.id
    for (let attempt = 1; ; attempt++) {
      const ports = new Map<string, number>()
      for (const name of this.listenerNames) ports.set(name, await freePort())
      const props = this.brokerProps(id, member.logDirs, ports)
      const config = new BrokerConfig(props)
      const interBroker = config.interBrokerListenerName
      for (const [name, port] of ports) {
        const target = { host: '127.0.0.1', port }
        this.clientLink(id, name).retarget(target)
        if (name === interBroker)
          for (const [k, l] of this.peerLinks) if (k.endsWith(`>${id}`)) l.retarget(target)
      }
      const scheduler = new PausableScheduler(this.scheduler)
      let zkClient: InProcessZkClient | undefined
      const zk = this.zooKeeper
      const logger = this.logger.child({ broker: id })
      try {
        const broker = await Broker.start({
          config,
          logger,
          scheduler,
          metadataStore: zk
            ? (cfg) =>
                (zkClient = zk.connect({
                  sessionTimeoutMs: cfg.zkSessionTimeoutMs,
                  connectionTimeoutMs: cfg.zkConnectionTimeoutMs,
                  name: `broker ${id}`,
                }))
            : undefined,
          route: (to, ep) => {
            const l = this.peerLinks.get(`${id}>${to}`)
            return l ? { host: l.host, port: l.port } : ep
          },
          requestInterceptor: (req) => this.intercept(id, scheduler, req, log),
          onFatal: () => member.onFatal(),
        })
        const inc: Incarnation = { broker, scheduler, zkClient, ports, logger }
        return inc
      } catch (e) {
        // Another process took a port between our check and the broker's bind: try other ports.
        if (e instanceof ConfigException && /Address already in use/.test(e.message) && attempt < 5) continue
        throw e
      }
    }
  }

  private intercept(
    broker: number,
    scheduler: Scheduler,
    req: InterceptedRequest,
    log: (r: ServedRequest) => void,
  ): Promise<void> | undefined {
    log({
      broker,
      api: req.api,
      apiKey: req.apiKey,
      version: req.apiVersion,
      clientId: req.clientId,
      correlationId: req.correlationId,
      listener: req.connection.listenerName,
      at: scheduler.clock.now(),
    })
    const ms = this.latencyFor(broker, req.api)
    return ms > 0 ? scheduler.sleep(ms) : undefined
  }

  private brokerProps(
    id: number,
    logDirs: readonly string[],
    ports: ReadonlyMap<string, number>,
  ): Map<string, string> {
    const props = new Map<string, string>()
    const put = (p: Props | undefined): void => {
      for (const [k, v] of Object.entries(p ?? {})) props.set(k, String(v))
    }
    put(clusterDefaults(this.members.size))
    put(this.opts.properties)
    put(this.opts.brokerProperties?.(id))
    const names = this.listenerNames
    props.set('broker.id', String(id))
    props.set('log.dirs', logDirs.join(','))
    props.set('listeners', names.map((n) => `${n}://127.0.0.1:${ports.get(n)}`).join(','))
    props.set('advertised.listeners', names.map((n) => `${n}://${this.clientLink(id, n).address}`).join(','))
    if (this.opts.zookeeper) {
      const chroot = this.opts.zookeeper.includes('/')
        ? this.opts.zookeeper.slice(this.opts.zookeeper.indexOf('/'))
        : ''
      props.set('zookeeper.connect', `${this.zkLinks.get(id)!.address}${chroot}`)
    } else {
      props.delete('zookeeper.connect')
    }
    return props
  }

  /**
   * @internal Applies the network model and the brokers' states to every link: a killed or stopped broker refuses
   * connections, a paused one holds what is sent to it and sends nothing, the rest is the test's network.
   */
  applyNetwork(): Promise<void> {
    const run = this.applying.then(() => this.doApplyNetwork())
    this.applying = run.catch(() => {})
    return run
  }

  private async doApplyNetwork(): Promise<void> {
    if (this.stopped) return
    const state = (n: NodeId): BrokerState | 'up' => (typeof n === 'number' ? this.broker(n).state : 'up')
    const apply = async (link: FaultLink, from: NodeId, to: NodeId): Promise<void> => {
      const s = { from: state(from), to: state(to) }
      const down = (x: BrokerState | 'up'): boolean => x === 'killed' || x === 'stopped'
      const there = this.network.fault(from, to)
      const back = this.network.fault(to, from)
      if (down(s.to) || there?.mode === 'refuse' || back?.mode === 'refuse') {
        await link.refuse()
        return
      }
      if (down(s.from)) link.cut()
      await link.listen()
      const frozen = s.from === 'paused' || s.to === 'paused'
      const mode = (f: typeof there): LinkMode =>
        frozen ? 'hold' : f?.mode === 'hold' ? 'hold' : f?.mode === 'drop' ? 'drop' : 'pass'
      link.set({
        up: mode(there),
        down: mode(back),
        delayMs: Math.max(there?.delayMs ?? 0, back?.delayMs ?? 0),
      })
    }
    for (const [id, links] of this.clientLinks) for (const l of links.values()) await apply(l, 'clients', id)
    for (const [k, l] of this.peerLinks) {
      const [from, to] = k.split('>').map(Number) as [number, number]
      await apply(l, from, to)
    }
    for (const [id, l] of this.zkLinks) {
      // A dead broker's ZooKeeper connection is gone (its session left to expire); the rest as any link.
      if (state(id) === 'killed') l.cut()
      await apply(l, id, 'zookeeper')
    }
    if (this.zooKeeper) {
      for (const b of this.brokers)
        b.incarnation?.zkClient?.setConnected(!this.network.cut(b.id, 'zookeeper'))
    }
  }

  // --- observing ---

  /** The controller's id, as the running brokers know it (null while there is none they agree on). */
  get controller(): number | null {
    const ids = new Set(running(this.brokers).map((b) => b.services.cache.controllerId))
    return ids.size === 1 ? [...ids][0]! : null
  }

  /** The broker leading a partition, when every running broker agrees on it. */
  leader(topic: string, partition = 0): number | undefined {
    return leaderOf(this.brokers, topic, partition)
  }

  /** The ISR of a partition, as its leader holds it. */
  isr(topic: string, partition = 0): readonly number[] | undefined {
    return isrOf(this.brokers, topic, partition)
  }

  /** A group as its coordinator describes it. */
  group(groupId: string): GroupView | undefined {
    return groupOf(this.brokers, groupId)
  }

  /** A group's lag per partition (see `lagOf`). */
  lag(groupId: string, topics?: readonly string[]): Map<string, number> | undefined {
    return lagOf(this.brokers, groupId, topics)
  }

  /** The records of a partition (the leader's replica up to the high watermark by default). */
  readPartition(topic: string, partition = 0, opts: ReadPartitionOptions = {}): ClusterRecord[] {
    return readPartitionOf(this.brokers, topic, partition, opts)
  }

  /** Waits until a partition has a leader every running broker knows (optionally not one of `notIn`). */
  async waitForLeader(
    topic: string,
    partition = 0,
    opts: WaitOptions & { notIn?: readonly number[] } = {},
  ): Promise<number> {
    let leader: number | undefined
    await this.until(
      () =>
        `a leader of ${topic}-${partition}${opts.notIn ? ` other than ${opts.notIn.join(', ')}` : ''} (last: ${String(leader)})`,
      () => {
        leader = this.leader(topic, partition)
        return leader !== undefined && !opts.notIn?.includes(leader)
      },
      opts.timeoutMs ?? 30_000,
    )
    return leader!
  }

  /** Waits until a partition's ISR has `size` members. */
  async waitForIsr(
    topic: string,
    partition: number,
    size: number,
    opts: WaitOptions = {},
  ): Promise<readonly number[]> {
    let isr: readonly number[] | undefined
    await this.until(
      () =>
        `the ISR of ${topic}-${partition} to have ${size} members (last: ${isr ? `[${isr.join(',')}]` : 'no leader'})`,
      () => (isr = this.isr(topic, partition))?.length === size,
      opts.timeoutMs ?? 30_000,
    )
    return isr!
  }

  /** Waits until a group is in `state` (default Stable), with `members` members when given. */
  async waitForGroup(
    groupId: string,
    opts: WaitOptions & { state?: string; members?: number } = {},
  ): Promise<GroupView> {
    const state = opts.state ?? 'Stable'
    let g: GroupView | undefined
    await this.until(
      () =>
        `group ${groupId} to be ${state}${opts.members !== undefined ? ` with ${opts.members} members` : ''} (last: ${g ? `${g.state} with ${g.members.length}` : 'no coordinator'})`,
      () => {
        g = this.group(groupId)
        return (
          g !== undefined &&
          g.state === state &&
          (opts.members === undefined || g.members.length === opts.members)
        )
      },
      opts.timeoutMs ?? 30_000,
    )
    return g!
  }

  /** Waits until a group's lag is at most `lag` (default 0) on every partition (of `topics`, when given). */
  async waitForLag(
    groupId: string,
    opts: WaitOptions & { topics?: readonly string[]; lag?: number } = {},
  ): Promise<void> {
    const max = opts.lag ?? 0
    let last: Map<string, number> | undefined
    await this.until(
      () =>
        `the lag of group ${groupId} to be at most ${max} (last: ${last ? JSON.stringify(Object.fromEntries(last)) : 'unknown'})`,
      () => {
        last = this.lag(groupId, opts.topics)
        return last !== undefined && last.size > 0 && [...last.values()].every((l) => l <= max)
      },
      opts.timeoutMs ?? 30_000,
    )
  }

  /**
   * Creates a topic through the controller (as CreateTopics does) and waits until every partition has a leader
   * that every running broker knows.
   */
  async createTopic(
    name: string,
    opts: WaitOptions & {
      partitions?: number
      replicationFactor?: number
      /** The replicas of each partition, preferred leader first (instead of `partitions` / `replicationFactor`). */
      assignment?: readonly (readonly number[])[]
      config?: Props
    } = {},
  ): Promise<void> {
    const b = running(this.brokers)[0]
    if (!b) throw new Error('no broker is running')
    const assignment = opts.assignment
    await b.services.topicAdmin.createTopic(
      {
        name,
        numPartitions: assignment ? -1 : (opts.partitions ?? 1),
        replicationFactor: assignment
          ? -1
          : (opts.replicationFactor ?? Math.min(3, running(this.brokers).length)),
        assignments: assignment ? new Map(assignment.map((r, i) => [i, [...r]])) : undefined,
        configs: new Map(Object.entries(opts.config ?? {}).map(([k, v]) => [k, String(v)])),
      },
      false,
    )
    const partitions = assignment?.length ?? opts.partitions ?? 1
    for (let p = 0; p < partitions; p++) await this.waitForLeader(name, p, opts)
  }

  // --- the end ---

  /**
   * Stops every broker, closes the links and removes the data directory if it is a temporary one. With `clean`
   * (the default when the data stays: a `dataDir` of the test's own, or a real ZooKeeper) each broker shuts down
   * cleanly, one after the other and the controller last, as an operator would; otherwise they are killed, which
   * is instant.
   */
  async stop(opts: { clean?: boolean } = {}): Promise<void> {
    if (this.stopped) return
    const clean = opts.clean ?? (!this.tempDir || this.opts.zookeeper !== undefined)
    if (clean) {
      // The controller last; and the last broker up has no one to move its leadership to, so no controlled
      // shutdown for it (which would retry controlled.shutdown.max.retries times in vain, as Kafka's would).
      const controller = this.controller
      const order = this.brokers
        .filter((b) => b.isUp)
        .sort((a, b) => Number(a.id === controller) - Number(b.id === controller))
      for (const [i, b] of order.entries()) await b.stop({ controlled: i < order.length - 1 }).catch(() => {})
    } else {
      for (const b of this.brokers) await b.kill()
    }
    this.stopped = true
    for (const b of this.brokers) await b.healDisk()
    for (const l of this.allLinks()) await l.close()
    if (this.tempDir) rmSync(this.dataDir, { recursive: true, force: true })
  }

  private allLinks(): FaultLink[] {
    return [
      ...[...this.clientLinks.values()].flatMap((m) => [...m.values()]),
      ...this.peerLinks.values(),
      ...this.zkLinks.values(),
    ]
  }

  /** @internal Waits (real time) until `ok()` holds; fails naming `what` after `timeoutMs`. */
  async until(what: () => string, ok: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = systemScheduler.clock.monotonic() + timeoutMs
    while (!ok()) {
      if (systemScheduler.clock.monotonic() > deadline)
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`)
      await systemScheduler.sleep(5)
    }
  }
}

/** The listener names of the `listeners` property (default PLAINTEXT). */
function listenerNamesOf(props: Props | undefined): string[] {
  const value = props?.listeners
  if (value === undefined) return ['PLAINTEXT']
  const names = String(value)
    .split(',')
    .filter((s) => s.trim() !== '')
    .map((s) => {
      const m = LISTENER_NAME.exec(s)
      if (!m) throw new ConfigException(`Invalid listener '${s}': expected NAME://host:port`, 'listeners')
      return m[1]!.toUpperCase()
    })
  return names.length > 0 ? names : ['PLAINTEXT']
}

/**
 * Starts an in-process cluster (see the file comment) and resolves once every broker runs, a controller is
 * elected and every broker knows every other. On failure, whatever was started is stopped and the temporary
 * directory removed.
 */
export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const n = opts.brokers ?? 3
  if (!Number.isInteger(n) || n < 1) throw new Error(`brokers must be a positive integer (got ${n})`)
  const tempDir = opts.dataDir === undefined
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'samsa-cluster-'))
  // A killed broker logs nothing more: what its leftover work (a fetch that was in flight...) logs is dropped.
  const silenced = new Set<object>()
  const logger =
    opts.logger ??
    createLogger({
      level: opts.logLevel ?? 'warn',
      fd: opts.logFd,
      hooks: {
        logMethod(args, method) {
          for (const s of silenced) if (s === this || Object.prototype.isPrototypeOf.call(s, this)) return
          method.apply(this, args)
        },
      },
    })
  const cluster = new Cluster(opts, dataDir, tempDir, logger, silenced)
  try {
    const ids = Array.from({ length: n }, (_, i) => i)
    await cluster.openLinks(ids, listenerNamesOf(opts.properties))
    for (const id of ids) {
      const dir = path.join(dataDir, `broker-${id}`)
      const n = opts.logDirs ?? 1
      const logDirs = n > 1 ? Array.from({ length: n }, (_, i) => path.join(dir, `dir-${i}`)) : [dir]
      for (const d of logDirs) mkdirSync(d, { recursive: true })
      cluster.add(new ClusterBroker(id, dir, cluster, logDirs))
    }
    await Promise.all(cluster.brokers.map((b) => b.start()))
    await cluster.until(
      () => 'every broker to know every other and the controller',
      () =>
        cluster.brokers.every((b) => {
          const cache = b.services.cache
          return cache.brokers.size === n && cache.controllerId !== null
        }),
      30_000,
    )
  } catch (e) {
    await cluster.stop().catch(() => {})
    throw e
  }
  return cluster
}
