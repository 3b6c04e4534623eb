/**
 * A ZooKeeper inside this process, for several brokers at once (an in-process test cluster without a real
 * ZooKeeper): one znode tree (`ZnodeTree`) that any number of clients share, each through a session with
 * ZooKeeper's semantics — ephemeral nodes owned by the session and removed when it ends, watches that belong to
 * the session and are delivered in order, asynchronously, after the change that fired them, and a session timeout:
 * a client that stops heartbeating (cut off from ZooKeeper, frozen, or dead) keeps its session only until the
 * timeout passes, on the ZooKeeper's scheduler (a `ManualScheduler` makes sessions expire when the test advances
 * time).
 *
 * Each client (`InProcessZkClient`) is a `MetadataStore` that behaves as `ZkMetadataStore` does against a real
 * ensemble: operations wait while it is disconnected and run once it is back; a session that expired meanwhile is
 * learned on reconnecting and replaced by a new one, announced as 'newSession'; 'disconnected' and 'connected'
 * tell the link's state. The faults a test injects act on the client as they would on a real broker's connection:
 * `setConnected(false)` (the network to ZooKeeper is down), `freeze()` (the process is paused: nothing is sent or
 * delivered), `halt()` (the process died without closing its session).
 */
import { EventEmitter } from 'node:events'
import { systemScheduler, type ScheduledTask, type Scheduler } from '../../util/scheduler.js'
import {
  StoreError,
  type CreateMode,
  type MetadataStore,
  type NodeStat,
  type StoreOp,
  type Watcher,
} from './store.js'
import { ZnodeTree, type FiredWatch } from './znode-tree.js'

export interface InProcessZooKeeperOptions {
  /** Session expiry runs on it. */
  readonly scheduler: Scheduler
  /** The server's wall clock, for znode ctime and mtime (default: the system clock, as ZooKeeper's own). */
  readonly now?: () => number
}

export interface SessionOptions {
  /** zookeeper.session.timeout.ms */
  readonly sessionTimeoutMs: number
  /** zookeeper.connection.timeout.ms: once its owner is shutting down, how long an operation waits for the link. */
  readonly connectionTimeoutMs: number
  /** Who holds the session, for `description` ('broker 1'). */
  readonly name?: string
}

/** One session, as the server knows it. */
class Session {
  alive = true
  /** The expiry armed while its client does not heartbeat. */
  expiry: ScheduledTask | undefined
  /** Watchers bound to this session, by the watcher the client passed (one registration per watcher and path). */
  readonly bound = new WeakMap<Watcher, Watcher>()

  constructor(
    readonly id: string,
    readonly timeoutMs: number,
    readonly client: InProcessZkClient,
  ) {}
}

export class InProcessZooKeeper {
  readonly tree: ZnodeTree
  private readonly sessions = new Map<string, Session>()
  private readonly owner = new WeakMap<Watcher, Session>()
  private readonly idBase: bigint
  private nextId = 1n

  constructor(private readonly opts: InProcessZooKeeperOptions) {
    // eslint-disable-next-line no-restricted-properties -- ZooKeeper's own wall clock, as a real server's
    const now = opts.now ?? (() => Date.now())
    this.tree = new ZnodeTree(now)
    this.idBase = BigInt(now()) << 20n
  }

  /** A new client with a new session (ZooKeeper's `new ZooKeeper(connectString, sessionTimeout, ...)`). */
  connect(opts: SessionOptions): InProcessZkClient {
    return new InProcessZkClient(this, opts)
  }

  /** The ids of the sessions alive now. */
  get sessionIds(): string[] {
    return [...this.sessions.keys()]
  }

  /** Ends a session as if its timeout had passed (its client learns it when it next talks to the server). */
  expire(sessionId: string): void {
    const s = this.sessions.get(sessionId)
    if (s) this.end(s)
  }

  /** @internal */
  openSession(client: InProcessZkClient, timeoutMs: number): Session {
    const s = new Session((this.idBase + this.nextId++).toString(16), timeoutMs, client)
    this.sessions.set(s.id, s)
    return s
  }

  /** @internal The session's client stopped (or resumed) heartbeating: the server's expiry timer. */
  heartbeating(s: Session, yes: boolean): void {
    if (!s.alive) return
    if (yes) {
      s.expiry?.cancel()
      s.expiry = undefined
    } else {
      s.expiry ??= this.opts.scheduler.schedule('zookeeper-session-expiry', () => this.end(s), s.timeoutMs)
    }
  }

  /** @internal The watcher to register for `w` in session `s`: it delivers through the session's client. */
  bind(s: Session, w: Watcher): Watcher {
    let b = s.bound.get(w)
    if (!b) {
      b = (e) => s.client.notify(s, w, e)
      s.bound.set(w, b)
      this.owner.set(b, s)
    }
    return b
  }

  /** @internal Runs a change and delivers the watches it fired. */
  change<T>(f: () => T): T {
    const { result, fired } = this.tree.transact(f)
    deliver(fired)
    return result
  }

  /** @internal Ends a session: its ephemeral nodes go (firing the watches on them) and so do its watches. */
  end(s: Session): void {
    if (!s.alive) return
    s.alive = false
    s.expiry?.cancel()
    this.sessions.delete(s.id)
    this.tree.dropWatches((w) => this.owner.get(w) === s)
    const paths = this.tree.ephemeralsOf(s.id).sort((a, b) => b.length - a.length)
    this.change(() => {
      for (const p of paths) this.tree.delete(p, -1)
    })
    s.client.sessionEnded(s)
  }
}

function deliver(fired: readonly FiredWatch[]): void {
  for (const f of fired) f.watcher(f.event)
}

/** A connection to the in-process ZooKeeper (see the file comment). */
export class InProcessZkClient extends EventEmitter implements MetadataStore {
  private session: Session
  private linkUp = true
  private frozen = false
  private halted = false
  private closed = false
  private closing = false
  /** 'disconnected' was emitted and 'connected' has not followed yet. */
  private toldDisconnected = false
  private waiters: (() => void)[] = []
  /** Watch notifications not delivered yet (their session must still be ours when they are). */
  private queue: { session: Session; watcher: Watcher; event: FiredWatch['event'] }[] = []
  private flushing = false

  /** @internal use `InProcessZooKeeper.connect` */
  constructor(
    private readonly zk: InProcessZooKeeper,
    private readonly opts: SessionOptions,
  ) {
    super()
    this.session = zk.openSession(this, opts.sessionTimeoutMs)
  }

  get description(): string {
    return `in-process ZooKeeper${this.opts.name ? ` (${this.opts.name})` : ''}`
  }

  get sessionId(): string {
    return this.session.id
  }

  /** Whether the client talks to the server now (connected, not frozen, not dead). */
  private get heartbeating(): boolean {
    return this.linkUp && !this.frozen && !this.halted && !this.closed
  }

  // --- faults ---

  /** The network between this client and ZooKeeper goes down (false) or comes back (true). */
  setConnected(up: boolean): void {
    if (this.linkUp === up) return
    this.linkUp = up
    if (!up && !this.frozen && !this.halted && !this.closed) {
      this.toldDisconnected = true
      this.emitLater('disconnected')
    }
    this.update()
  }

  /** The process is paused: it sends no heartbeats and hears nothing; what it asks waits until `thaw()`. */
  freeze(): void {
    this.frozen = true
    this.update()
  }

  thaw(): void {
    if (!this.frozen) return
    this.frozen = false
    this.update()
  }

  /** The process died: its session is not closed (it expires after its timeout) and nothing completes any more. */
  halt(): void {
    this.halted = true
    this.queue = []
    this.waiters = []
    this.update()
  }

  private update(): void {
    this.zk.heartbeating(this.session, this.heartbeating)
    if (!this.heartbeating) return
    if (!this.session.alive) {
      if (this.closing) return this.wake()
      // The server expired the session while we could not hear: ZooKeeper tells us now; a new session replaces it.
      this.session = this.zk.openSession(this, this.opts.sessionTimeoutMs)
      this.emitLater('newSession')
    }
    if (this.toldDisconnected) {
      this.toldDisconnected = false
      this.emitLater('connected')
    }
    this.wake()
    this.flush()
  }

  /** @internal The server ended our session (expired, or closed by us). */
  sessionEnded(s: Session): void {
    if (s !== this.session) return
    this.queue = this.queue.filter((q) => q.session !== s)
    // A client that is heartbeating hears of it at once; one that is not, when it is back.
    if (this.heartbeating) this.update()
  }

  private emitLater(event: string): void {
    setImmediate(() => {
      if (!this.halted) this.emit(event)
    })
  }

  private wake(): void {
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
  }

  /** @internal A watch of session `s` fired. */
  notify(s: Session, watcher: Watcher, event: FiredWatch['event']): void {
    if (this.halted || this.closed || !s.alive) return
    this.queue.push({ session: s, watcher, event })
    this.flush()
  }

  private flush(): void {
    if (this.flushing || !this.heartbeating || this.queue.length === 0) return
    this.flushing = true
    setImmediate(() => {
      this.flushing = false
      while (this.queue.length > 0 && this.heartbeating) {
        const q = this.queue.shift()!
        if (q.session !== this.session || !q.session.alive) continue
        try {
          q.watcher(q.event)
        } catch {
          // a watcher's failure is its own; the others still run
        }
      }
    })
  }

  /**
   * Runs `op` in the current session once the client can talk to the server; while it cannot, waits (as
   * ZkMetadataStore retries after a lost connection). With `pinned`, only in that session.
   */
  private async run<T>(op: (s: Session) => T, pinned?: Session): Promise<T> {
    const since = systemScheduler.clock.monotonic()
    for (;;) {
      if (this.halted) return new Promise<never>(() => {})
      if (this.closed) throw new StoreError('SESSION_EXPIRED', '/', 'metadata store closed')
      if (pinned && this.session !== pinned)
        throw new StoreError('SESSION_EXPIRED', '/', 'the session this operation belongs to has ended')
      if (this.heartbeating && this.session.alive) return op(this.session)
      if (this.closing) {
        if (!this.session.alive)
          throw new StoreError('SESSION_EXPIRED', '/', 'the session expired while shutting down')
        if (systemScheduler.clock.monotonic() - since >= this.opts.connectionTimeoutMs)
          throw new StoreError(
            'CONNECTION_LOSS',
            '/',
            `ZooKeeper unreachable for zookeeper.connection.timeout.ms (${this.opts.connectionTimeoutMs} ms) while shutting down`,
          )
      }
      await new Promise<void>((resolve) => {
        // Real time: a shutdown never waits for a manual clock (see DEVELOPERS.md).
        const timer = this.closing
          ? systemScheduler.schedule('zookeeper-reconnect-wait', resolve, 100)
          : undefined
        this.waiters.push(() => {
          timer?.cancel()
          resolve()
        })
      })
    }
  }

  private watch(s: Session, w: Watcher | undefined): Watcher | undefined {
    return w ? this.zk.bind(s, w) : undefined
  }

  create(path: string, data: Buffer | null, mode: CreateMode = 'persistent'): Promise<string> {
    return this.run((s) => this.zk.change(() => this.zk.tree.create(path, data, mode, s.id)))
  }

  getData(path: string, watcher?: Watcher): Promise<{ data: Buffer; stat: NodeStat } | null> {
    return this.run((s) => {
      const n = this.zk.tree.get(path)
      if (!n) return null
      this.zk.tree.watchData(path, this.watch(s, watcher))
      return { data: n.data, stat: this.zk.tree.stat(n) }
    })
  }

  exists(path: string, watcher?: Watcher): Promise<NodeStat | null> {
    return this.run((s) => {
      this.zk.tree.watchData(path, this.watch(s, watcher))
      const n = this.zk.tree.get(path)
      return n ? this.zk.tree.stat(n) : null
    })
  }

  setData(path: string, data: Buffer, version = -1): Promise<NodeStat> {
    return this.run(() => this.zk.tree.stat(this.zk.change(() => this.zk.tree.setData(path, data, version))))
  }

  delete(path: string, version = -1): Promise<void> {
    return this.run(() => this.zk.change(() => this.zk.tree.delete(path, version)))
  }

  getChildren(path: string, watcher?: Watcher): Promise<string[] | null> {
    return this.run((s) => {
      const n = this.zk.tree.get(path)
      if (!n) return null
      this.zk.tree.watchChildren(path, this.watch(s, watcher))
      return [...n.children]
    })
  }

  multi(ops: readonly StoreOp[]): Promise<void> {
    return this.run((s) => this.zk.change(() => this.zk.tree.apply(ops, s.id)))
  }

  deleteEphemeral(path: string): Promise<boolean> {
    const session = this.session
    return this.run((s) => {
      const n = this.zk.tree.get(path)
      if (!n || n.ephemeralOwner !== s.id) return false
      this.zk.change(() => this.zk.tree.delete(path, n.version))
      return true
    }, session)
  }

  beginClose(): void {
    this.closing = true
  }

  /** Closes the session (its ephemeral nodes go now) — if the server can be reached; else it expires later. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closing = true
    const reachable = this.heartbeating
    this.closed = true
    if (reachable) this.zk.end(this.session)
    else this.zk.heartbeating(this.session, false)
    this.queue = []
    this.wake()
  }
}
