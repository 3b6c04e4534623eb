/**
 * The metadata store backed by a real ZooKeeper ensemble (node-zookeeper-client), with Kafka's
 * ZooKeeperClient behaviour: the chroot of `zookeeper.connect` is created if missing, an unreachable ensemble
 * is retried with a log line rather than failing start-up, requests that fail with CONNECTIONLOSS are retried
 * once the connection is back, and an expired session is replaced by a new one, announced as 'newSession' so
 * that ephemeral registrations and watches can be re-established.
 *
 * Its waits (connection timeout, reconnect waits, retries) run on real time whatever scheduler the broker has:
 * ZooKeeper and the client's heartbeats keep real time, so a manual clock could only stall them.
 */
import { EventEmitter } from 'node:events'
import { createRequire } from 'node:module'
import type zookeeper from 'node-zookeeper-client'
import type { Logger } from '../../util/logger.js'
import { systemScheduler } from '../../util/scheduler.js'

/** ZooKeeper keeps real time: so do the client's timeouts. */
const clock = systemScheduler.clock
import {
  applyOps,
  StoreError,
  type CreateMode,
  type MetadataStore,
  type NodeStat,
  type StoreErrorCode,
  type StoreOp,
  type WatchEvent,
  type Watcher,
} from './store.js'

type ZkClient = zookeeper.Client

export interface ZkStoreOptions {
  /** `host:port[,host:port...][/chroot]` */
  readonly connect: string
  readonly sessionTimeoutMs: number
  readonly connectionTimeoutMs: number
  readonly log: Logger
  /** Aborts the connection attempts of `connect()` (a shutdown requested while ZooKeeper is still unreachable). */
  readonly signal?: AbortSignal
}

const CODE_NAMES = new Map<number, StoreErrorCode>([
  [-101, 'NO_NODE'],
  [-110, 'NODE_EXISTS'],
  [-103, 'BAD_VERSION'],
  [-111, 'NOT_EMPTY'],
  [-108, 'NO_CHILDREN_FOR_EPHEMERALS'],
  [-4, 'CONNECTION_LOSS'],
  [-7, 'CONNECTION_LOSS'], // operation timeout: treated like a lost connection and retried
  [-112, 'SESSION_EXPIRED'],
])

/** ZooKeeper's CreateMode flags (as the wire protocol numbers them). */
const MODES: Record<CreateMode, number> = {
  persistent: 0,
  ephemeral: 1,
  persistent_sequential: 2,
  ephemeral_sequential: 3,
}

let zookeeperModule: typeof zookeeper | undefined
/** node-zookeeper-client, loaded when the first ZooKeeper client is made: a standalone broker never pays for it. */
function zookeeperClient(): typeof zookeeper {
  return (zookeeperModule ??= createRequire(import.meta.url)('node-zookeeper-client') as typeof zookeeper)
}

const EVENT_TYPES = new Map<number, WatchEvent['type']>([
  [1, 'created'],
  [2, 'deleted'],
  [3, 'dataChanged'],
  [4, 'childrenChanged'],
])

function bufToNumber(b: Buffer): number {
  return b.length === 8 ? Number(b.readBigInt64BE(0)) : 0
}

function toStat(s: zookeeper.Stat): NodeStat {
  const owner = s.ephemeralOwner.toString('hex')
  return {
    version: s.version,
    cversion: s.cversion,
    czxid: bufToNumber(s.czxid),
    ctime: bufToNumber(s.ctime),
    mtime: bufToNumber(s.mtime),
    ephemeralOwner: /^0+$/.test(owner) ? '0' : owner,
    numChildren: s.numChildren,
  }
}

function toStoreError(e: unknown, path: string): Error {
  if (e && typeof e === 'object' && 'code' in e && typeof (e as { code: unknown }).code === 'number') {
    const code = (e as { code: number }).code
    return new StoreError(CODE_NAMES.get(code) ?? 'OTHER', path, `ZooKeeper ${String(e)} (${path})`)
  }
  return e instanceof Error ? e : new Error(String(e))
}

/** The parts of node-zookeeper-client's connection manager used here (not in its typings). */
interface ConnectionManagerInternals {
  state: number
  socket?: { removeAllListeners(event: string): void; destroy(): void }
  /** The negotiated session timeout. */
  sessionTimeout: number
  /** How long a connection attempt may take (session timeout / number of servers, as Java's client). */
  connectTimeout: number
  /** The bytes of a frame not yet complete, kept between reads (and, unless cleared, between connections). */
  pendingBuffer: Buffer | null
  onSocketData: (buffer: Buffer) => void
  onSocketConnected: () => void
  onSocketClosed: (hadError: boolean) => void
}

const CLOSING_STATE = -1
const CONNECTING_STATE = 1
const CONNECTED_STATES = new Set([2, 3])

function internals(client: ZkClient): ConnectionManagerInternals | undefined {
  return (client as unknown as { connectionManager?: ConnectionManagerInternals }).connectionManager
}

/**
 * Makes a client that never connected inert: no further reconnects (the CLOSING state stops them), no parsing of
 * late data, and its socket destroyed.
 */
function abandon(client: ZkClient): void {
  const cm = internals(client)
  if (!cm) return
  cm.state = CLOSING_STATE
  cm.onSocketData = () => {}
  cm.onSocketConnected = function (this: ConnectionManagerInternals) {
    this.socket?.destroy()
  }
  cm.socket?.removeAllListeners('data')
  cm.socket?.destroy()
}

/**
 * The timeouts node-zookeeper-client lacks and Java's ClientCnxn has: a connection whose session handshake gets no
 * answer within the connect timeout, or an established connection that hears nothing from the server for two
 * thirds of the session timeout (the client pings every third), is closed, so the client connects again — to the
 * same session while the server still has it. Without them a ZooKeeper that accepts a connection and never answers
 * keeps the client waiting forever: a reconnect that lands on a ZooKeeper still starting up (seen after restarts)
 * left a broker disconnected until its session expired, and then unregistered for good; a ZooKeeper that hangs was
 * only noticed when it expired the session. Also drops what is left of a frame when its connection is lost (see
 * onSocketClosed below). Installed before the client connects; returns the function that ends the supervision.
 */
interface Supervision {
  stop(): void
  /** How long (ms) the server has not been heard from (counting on while the connection is down). */
  silentMs(): number
}

function superviseConnection(client: ZkClient, log: Logger, what: string): Supervision {
  const cm = internals(client)
  if (!cm) return { stop: () => {}, silentMs: () => 0 }
  let lastHeard = clock.monotonic()
  let socketOpen = false
  const onData = cm.onSocketData
  cm.onSocketData = function (this: ConnectionManagerInternals, buffer: Buffer) {
    lastHeard = clock.monotonic()
    onData.call(this, buffer)
  }
  const onConnected = cm.onSocketConnected
  cm.onSocketConnected = function (this: ConnectionManagerInternals) {
    lastHeard = clock.monotonic()
    socketOpen = true
    // A new connection starts a new byte stream (Java's ClientCnxn reads each into fresh buffers).
    this.pendingBuffer = null
    onConnected.call(this)
  }
  const onClosed = cm.onSocketClosed
  cm.onSocketClosed = function (this: ConnectionManagerInternals, hadError: boolean) {
    socketOpen = false
    // node-zookeeper-client keeps the unread part of a frame across connections: a connection lost in the middle of
    // a response (ZooKeeper stopped or restarted while answering, a socket closed by the supervision below) left
    // those bytes in front of the next connection's handshake answer, which was then never parsed — the client
    // stayed CONNECTING, reconnecting silently, until its session expired and for ever after (a broker that never
    // registered again). The tail of a lost connection's frame means nothing to the next one: drop it.
    this.pendingBuffer = null
    onClosed.call(this, hadError)
  }
  const check = (): void => {
    if (!socketOpen) return
    const silent = clock.monotonic() - lastHeard
    let why: string | undefined
    if (cm.state === CONNECTING_STATE && silent > cm.connectTimeout) {
      why = `no answer to the session handshake within ${cm.connectTimeout} ms`
    } else if (CONNECTED_STATES.has(cm.state) && silent > Math.floor((cm.sessionTimeout * 2) / 3)) {
      why = `have not heard from the server in ${silent} ms`
    }
    if (!why) return
    log.warn(
      `[ZooKeeperClient] ${what}: ${why} (session 0x${client.getSessionId().toString('hex')}); closing the ` +
        `socket connection and attempting to reconnect.`,
    )
    socketOpen = false
    cm.socket?.destroy()
  }
  const task = systemScheduler.schedule('zookeeper-connection-supervision', check, 250, 250)
  return { stop: () => task.cancel(), silentMs: () => clock.monotonic() - lastHeard }
}

export function splitChroot(connect: string): { hosts: string; chroot: string } {
  const i = connect.indexOf('/')
  if (i < 0) return { hosts: connect, chroot: '' }
  const chroot = connect.slice(i).replace(/\/+$/, '')
  return { hosts: connect.slice(0, i), chroot }
}

export class ZkMetadataStore extends EventEmitter implements MetadataStore {
  private client: ZkClient | undefined
  private connected = false
  private closed = false
  /** Set by beginClose(): waits for the connection are bounded and an expired session is not replaced. */
  private closing = false
  /** The session ended while closing (no new one is opened then). */
  private sessionEnded = false
  private waiters: (() => void)[] = []
  private readonly supervisors = new Map<ZkClient, Supervision>()

  private constructor(private readonly opts: ZkStoreOptions) {
    super()
  }

  get description(): string {
    return `ZooKeeper ${this.opts.connect}`
  }

  get sessionId(): string {
    return this.client ? this.client.getSessionId().toString('hex') : '0'
  }

  /** Connects (retrying until the ensemble answers, with a log line per attempt), creating the chroot first. */
  static async connect(opts: ZkStoreOptions): Promise<ZkMetadataStore> {
    const store = new ZkMetadataStore(opts)
    const { hosts, chroot } = splitChroot(opts.connect)
    if (chroot) await store.ensureChroot(hosts, chroot)
    await store.openSession(opts.connect, false)
    return store
  }

  private async ensureChroot(hosts: string, chroot: string): Promise<void> {
    const client = await this.connectClient(hosts)
    try {
      await new Promise<void>((resolve, reject) => {
        client.mkdirp(chroot, (err) => (err ? reject(toStoreError(err, chroot)) : resolve()))
      })
    } finally {
      this.unsupervise(client)
      client.close()
    }
  }

  /**
   * Creates a client and waits until it is connected, retrying forever (until close or abort) with a log line per
   * attempt.
   * Each attempt gets a fresh client: one stuck on a connection that was accepted but never answered (a hung
   * ZooKeeper) never gives up by itself. The previous attempt's client is abandoned — made inert — rather than
   * closed: closing a client whose handshake is still pending makes node-zookeeper-client mistake a late handshake
   * answer for a reply and throw outside any handler.
   */
  private async connectClient(connectString: string): Promise<ZkClient> {
    const log = this.opts.log
    const signal = this.opts.signal
    for (let attempt = 1; ; attempt++) {
      if (this.closed) throw new StoreError('SESSION_EXPIRED', '/', 'metadata store closed')
      if (signal?.aborted) throw new StoreError('SESSION_EXPIRED', '/', 'connecting to ZooKeeper was aborted')
      const client = zookeeperClient().createClient(connectString, {
        sessionTimeout: this.opts.sessionTimeoutMs,
        spinDelay: 500,
        retries: 0,
      })
      this.supervisors.set(client, superviseConnection(client, log, connectString))
      const ok = await new Promise<boolean>((resolve) => {
        const done = (connected: boolean): void => {
          timer.cancel()
          signal?.removeEventListener('abort', onAbort)
          resolve(connected)
        }
        const onAbort = (): void => done(false)
        const timer = systemScheduler.schedule(
          'zookeeper-connection-timeout',
          () => done(false),
          this.opts.connectionTimeoutMs,
        )
        signal?.addEventListener('abort', onAbort)
        client.once('connected', () => done(true))
        client.connect()
      })
      if (ok) return client
      this.unsupervise(client)
      abandon(client)
      if (signal?.aborted) continue
      log.warn(
        `[ZooKeeperClient] Timed out waiting for connection to ${connectString} after ` +
          `${this.opts.connectionTimeoutMs} ms (attempt ${attempt}); retrying.`,
      )
    }
  }

  silentForMs(): number {
    const c = this.client
    return c ? (this.supervisors.get(c)?.silentMs() ?? 0) : 0
  }

  private unsupervise(client: ZkClient): void {
    this.supervisors.get(client)?.stop()
    this.supervisors.delete(client)
  }

  private async openSession(connectString: string, replacing: boolean): Promise<void> {
    const client = await this.connectClient(connectString)
    this.client = client
    this.connected = true
    this.opts.log.info(`[ZooKeeperClient] Connected to ${this.opts.connect}, session 0x${this.sessionId}.`)
    client.on('disconnected', () => {
      if (this.client !== client) return
      this.connected = false
      this.opts.log.warn(`[ZooKeeperClient] Disconnected from ZooKeeper; waiting to reconnect.`)
      this.emit('disconnected')
    })
    client.on('connected', () => {
      if (this.client !== client) return
      this.connected = true
      this.opts.log.info(`[ZooKeeperClient] Reconnected to ZooKeeper, session 0x${this.sessionId}.`)
      this.wakeWaiters()
      this.emit('connected')
    })
    client.on('expired', () => {
      if (this.client !== client || this.closed) return
      this.connected = false
      this.unsupervise(client)
      client.close()
      if (this.closing) {
        // Shutting down: ZooKeeper has removed our ephemeral nodes with the session; nothing to come back for.
        this.opts.log.warn(`[ZooKeeperClient] Session expired while shutting down; not creating a new one.`)
        this.sessionEnded = true
        this.wakeWaiters()
        return
      }
      this.opts.log.warn(`[ZooKeeperClient] Session expired; creating a new session.`)
      void this.openSession(connectString, true).catch((err: unknown) => this.emit('error', err))
    })
    this.wakeWaiters()
    if (replacing) this.emit('newSession')
    this.emit('connected')
  }

  private wakeWaiters(): void {
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
  }

  /**
   * The connected client, once there is one. While shutting down (beginClose) the wait is bounded by
   * zookeeper.connection.timeout.ms, as Kafka's ZooKeeperClient bounds its waits for a connection.
   */
  private async ready(pinned?: ZkClient): Promise<ZkClient> {
    const since = clock.monotonic()
    while (!this.connected || !this.client || (pinned && this.client !== pinned)) {
      if (this.closed) throw new StoreError('SESSION_EXPIRED', '/', 'metadata store closed')
      if (this.sessionEnded)
        throw new StoreError('SESSION_EXPIRED', '/', 'the session expired while shutting down')
      if (pinned && this.client !== pinned) {
        throw new StoreError('SESSION_EXPIRED', '/', 'the session this operation belongs to has ended')
      }
      if (this.closing && clock.monotonic() - since >= this.opts.connectionTimeoutMs) {
        throw new StoreError(
          'CONNECTION_LOSS',
          '/',
          `ZooKeeper unreachable for zookeeper.connection.timeout.ms (${this.opts.connectionTimeoutMs} ms) while shutting down`,
        )
      }
      await new Promise<void>((resolve) => {
        const timer = systemScheduler.schedule('zookeeper-reconnect-wait', resolve, 500)
        this.waiters.push(() => {
          timer.cancel()
          resolve()
        })
      })
    }
    return this.client
  }

  /**
   * Runs an operation, retrying it after reconnecting when the connection was lost underneath it. With `pinned` it
   * runs only in that client's session: if the session ends, it fails rather than being retried in a new one.
   */
  private async run<T>(
    path: string,
    op: (c: ZkClient, cb: (err: unknown, v?: T) => void) => void,
    pinned?: ZkClient,
  ): Promise<T> {
    for (;;) {
      const client = await this.ready(pinned)
      try {
        return await new Promise<T>((resolve, reject) => {
          op(client, (err, v) => (err ? reject(toStoreError(err, path)) : resolve(v as T)))
        })
      } catch (e) {
        if (e instanceof StoreError && e.code === 'CONNECTION_LOSS' && !this.closed) {
          // The 'disconnected' event (if the connection really went) pauses `ready()` until reconnected.
          await systemScheduler.sleep(100)
          continue
        }
        throw e
      }
    }
  }

  private wrap(w: Watcher | undefined): ((e: zookeeper.Event) => void) | undefined {
    if (!w) return undefined
    return (e) => {
      const type = EVENT_TYPES.get(e.getType())
      if (type) w({ type, path: e.getPath() })
    }
  }

  create(path: string, data: Buffer | null, mode: CreateMode = 'persistent'): Promise<string> {
    return this.run(path, (c, cb) =>
      c.create(path, data ?? Buffer.alloc(0), MODES[mode], (err, p) => cb(err, p)),
    )
  }

  async getData(path: string, watcher?: Watcher): Promise<{ data: Buffer; stat: NodeStat } | null> {
    try {
      return await this.run(path, (c, cb) => {
        const done = (err: unknown, data: Buffer, stat: zookeeper.Stat): void =>
          cb(err, err ? undefined : { data: data ?? Buffer.alloc(0), stat: toStat(stat) })
        const w = this.wrap(watcher)
        if (w) c.getData(path, w, done)
        else c.getData(path, done)
      })
    } catch (e) {
      if (e instanceof StoreError && e.code === 'NO_NODE') return null
      throw e
    }
  }

  exists(path: string, watcher?: Watcher): Promise<NodeStat | null> {
    return this.run(path, (c, cb) => {
      const done = (err: unknown, stat: zookeeper.Stat): void =>
        cb(err, err ? undefined : stat ? toStat(stat) : null)
      const w = this.wrap(watcher)
      if (w) c.exists(path, w, done)
      else c.exists(path, done)
    })
  }

  setData(path: string, data: Buffer, version = -1): Promise<NodeStat> {
    return this.run(path, (c, cb) =>
      c.setData(path, data, version, (err, stat) => cb(err, err ? undefined : toStat(stat))),
    )
  }

  delete(path: string, version = -1): Promise<void> {
    return this.run(path, (c, cb) => c.remove(path, version, (err) => cb(err)))
  }

  async getChildren(path: string, watcher?: Watcher): Promise<string[] | null> {
    try {
      return await this.run(path, (c, cb) => {
        const done = (err: unknown, children: string[]): void => cb(err, children)
        const w = this.wrap(watcher)
        if (w) c.getChildren(path, w, done)
        else c.getChildren(path, done)
      })
    } catch (e) {
      if (e instanceof StoreError && e.code === 'NO_NODE') return null
      throw e
    }
  }

  multi(ops: readonly StoreOp[]): Promise<void> {
    return this.run(ops[0]?.path ?? '/', (c, cb) => {
      const t = c.transaction()
      applyOps(ops, {
        create: (path, data, mode) => void t.create(path, data ?? Buffer.alloc(0), MODES[mode]),
        setData: (path, data, version) => void t.setData(path, data, version),
        delete: (path, version) => void t.remove(path, version),
        check: (path, version) => void t.check(path, version),
      })
      t.commit((err) => cb(err))
    })
  }

  /**
   * Deletes an ephemeral node only if this session owns it: the check and the delete run in the same session, and
   * are never retried in a new one. A node owned by another session — another broker, or this broker's own next
   * session after an expiry — is left alone: ephemeral nodes are removed by their owner or by ZooKeeper when the
   * owning session ends. Returns whether it deleted the node.
   */
  async deleteEphemeral(path: string): Promise<boolean> {
    const client = await this.ready()
    const owner = client.getSessionId().toString('hex')
    const stat = await this.run<zookeeper.Stat | null>(
      path,
      (c, cb) => c.exists(path, (err, st) => cb(err, err ? undefined : (st ?? null))),
      client,
    )
    if (!stat || toStat(stat).ephemeralOwner !== owner) return false
    try {
      await this.run<void>(path, (c, cb) => c.remove(path, stat.version, (err) => cb(err)), client)
      return true
    } catch (e) {
      if (e instanceof StoreError && e.code === 'NO_NODE') return false
      throw e
    }
  }

  beginClose(): void {
    this.closing = true
  }

  halt(): void {
    this.closed = true
    this.closing = true
    for (const s of this.supervisors.values()) s.stop()
    this.supervisors.clear()
    if (this.client) abandon(this.client)
    this.wakeWaiters()
  }

  async close(): Promise<void> {
    this.closed = true
    this.closing = true
    this.wakeWaiters()
    for (const s of this.supervisors.values()) s.stop()
    this.supervisors.clear()
    this.client?.close()
  }
}
