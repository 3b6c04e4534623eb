/**
 * One network path of an in-process cluster, as a TCP relay on 127.0.0.1: the connections of one source (the
 * clients, or one broker) to one listener of one broker (or to ZooKeeper). Every byte between them passes here, so
 * a test decides what the network does, per direction:
 *  - 'pass'  bytes go through (after `delayMs`, when set);
 *  - 'hold'  bytes wait, the connection staying up, and are delivered in order once the direction passes again —
 *            what TCP does across a network partition (segments retransmitted until they get through), and what a
 *            frozen process looks like from outside;
 *  - 'drop'  bytes are discarded, the connection staying up (a peer that never answers).
 * A connection's end (FIN) or reset travels the same way, in order behind its bytes: a peer that closed behind a
 * partition is seen closing only when the partition heals.
 *
 * `refuse()` stops listening and resets every connection (the host answers "connection refused": a dead process,
 * or a partition with `refuse` semantics), `listen()` listens again on the same port, `cut()` resets the current
 * connections, `retarget()` sends new connections elsewhere (a broker restarted on a new port).
 * Delays run on the cluster's scheduler: with manual time, delayed bytes move when the test advances the clock.
 *
 * Sources: a link may carry the connections of several sources to one destination (the compat tests' proxy in front
 * of a broker process carries its clients' and the other brokers' connections). With `classify`, a connection's
 * source is named from its first bytes (it waits until `classify` returns a name) and `set(state, source)` decides
 * per source; a source without its own rule follows the link's rule (`set(state)`).
 */
import net from 'node:net'
import type { Scheduler, ScheduledTask } from '../util/scheduler.js'

export type LinkMode = 'pass' | 'hold' | 'drop'

export interface LinkState {
  /** source → destination (requests); default 'pass' */
  readonly up?: LinkMode
  /** destination → source (responses); default 'pass' */
  readonly down?: LinkMode
  /** added to every chunk that passes, each way */
  readonly delayMs?: number
}

export interface Target {
  readonly host: string
  readonly port: number
}

type Item = Buffer | 'end' | 'reset'

export interface FaultLinkOptions {
  /** The port to listen on (default: a free one). */
  readonly port?: number
  /** Names a connection's source from the bytes it sent first; undefined: not enough bytes yet. */
  readonly classify?: (firstBytes: Buffer) => string | undefined
  /** The source of every connection when there is no `classify` (default 'client'). */
  readonly source?: string
}

/** One direction of one relayed connection. */
class Pipe {
  private readonly queue: { item: Item; due: number }[] = []
  private timer: ScheduledTask | undefined

  constructor(
    private readonly scheduler: Scheduler,
    private readonly state: () => { mode: LinkMode; delayMs: number },
    private readonly to: () => net.Socket | undefined,
    private readonly dropped: (bytes: number) => void,
  ) {}

  push(item: Item): void {
    const { mode, delayMs } = this.state()
    if (mode === 'drop' && Buffer.isBuffer(item)) {
      this.dropped(item.length)
      return
    }
    this.queue.push({ item, due: this.scheduler.clock.monotonic() + delayMs })
    this.pump()
  }

  /** Delivers what may pass now; arms a timer for what is delayed. */
  pump(): void {
    this.timer?.cancel()
    this.timer = undefined
    const { mode } = this.state()
    if (mode === 'drop') {
      // what was held is lost, but not the end of the connection
      for (const q of this.queue) if (Buffer.isBuffer(q.item)) this.dropped(q.item.length)
      const rest = this.queue.filter((q) => !Buffer.isBuffer(q.item))
      this.queue.length = 0
      this.queue.push(...rest)
      return
    }
    const to = this.to()
    if (mode === 'hold' || !to) return
    while (this.queue.length > 0) {
      const head = this.queue[0]!
      const wait = head.due - this.scheduler.clock.monotonic()
      if (wait > 0) {
        this.timer = this.scheduler.schedule('fault-link-delay', () => this.pump(), wait)
        return
      }
      this.queue.shift()
      if (to.destroyed) continue
      if (head.item === 'end') to.end()
      else if (head.item === 'reset') to.resetAndDestroy()
      else to.write(head.item)
    }
  }

  get waiting(): boolean {
    return this.queue.length > 0
  }

  clear(): void {
    this.timer?.cancel()
    this.queue.length = 0
  }
}

class Relay {
  upstream: net.Socket | undefined
  source: string | undefined
  readonly up: Pipe
  readonly down: Pipe
  private firstBytes: Buffer[] = []
  private answerWaiters: (() => void)[] = []

  constructor(
    readonly client: net.Socket,
    target: Target,
    private readonly link: FaultLink,
    classify: ((firstBytes: Buffer) => string | undefined) | undefined,
    defaultSource: string,
  ) {
    if (!classify) this.source = defaultSource
    this.up = new Pipe(
      link.scheduler,
      () => link.effective('up', this.source ?? defaultSource),
      () => this.upstream,
      (n) => link.countDropped('up', n),
    )
    this.down = new Pipe(
      link.scheduler,
      () => link.effective('down', this.source ?? defaultSource),
      () => this.client,
      (n) => link.countDropped('down', n),
    )
    client.setNoDelay(true)
    let clientEnded = false
    client.on('data', (d: Buffer) => {
      if (this.source === undefined) {
        this.firstBytes.push(d)
        const all = Buffer.concat(this.firstBytes)
        this.source = classify!(all)
        if (this.source === undefined) return
        this.firstBytes = []
        d = all
      }
      this.up.push(d)
    })
    client.on('end', () => {
      clientEnded = true
      this.up.push('end')
    })
    client.on('error', () => {})
    client.on('close', () => {
      if (!clientEnded) this.up.push('reset')
      this.maybeForget()
    })
    const upstream = net.connect({ host: target.host, port: target.port, noDelay: true })
    upstream.on('connect', () => {
      this.upstream = upstream
      this.up.pump()
    })
    let upstreamEnded = false
    upstream.on('data', (d: Buffer) => {
      this.answered()
      this.down.push(d)
    })
    upstream.on('end', () => {
      upstreamEnded = true
      this.down.push('end')
    })
    upstream.on('error', () => {})
    upstream.on('close', () => {
      // Never connected (the destination is down): the source sees its connection reset.
      if (this.upstream === undefined) this.upstream = upstream
      if (!upstreamEnded) this.down.push('reset')
      this.maybeForget()
    })
  }

  private maybeForget(): void {
    if (this.client.destroyed && (this.upstream?.destroyed ?? true)) {
      this.answered()
      this.link.forget(this)
    }
  }

  /** Resolves at the destination's next bytes on this connection, or when the connection is gone. */
  nextAnswer(): Promise<void> {
    return new Promise((resolve) => this.answerWaiters.push(resolve))
  }

  private answered(): void {
    const w = this.answerWaiters
    this.answerWaiters = []
    for (const f of w) f()
  }

  reset(): void {
    this.answered()
    this.up.clear()
    this.down.clear()
    this.client.resetAndDestroy()
    this.upstream?.resetAndDestroy()
    this.link.forget(this)
  }
}

export class FaultLink {
  private server: net.Server | undefined
  private readonly relays = new Set<Relay>()
  private readonly droppedBytes = { up: 0, down: 0 }
  private state: LinkState = {}
  private readonly bySource = new Map<string, LinkState>()
  private heldAnswers: Promise<void>[] = []
  private _port: number

  private constructor(
    readonly name: string,
    readonly scheduler: Scheduler,
    private _target: Target | undefined,
    readonly host: string,
    private readonly opts: FaultLinkOptions,
  ) {
    this._port = opts.port ?? 0
  }

  /** A link listening on `host` (127.0.0.1) at a free port, relaying to `target` (none yet: refused). */
  static async open(
    name: string,
    scheduler: Scheduler,
    target: Target | undefined,
    host = '127.0.0.1',
    opts: FaultLinkOptions = {},
  ): Promise<FaultLink> {
    const l = new FaultLink(name, scheduler, target, host, opts)
    await l.listen()
    return l
  }

  get port(): number {
    return this._port
  }

  get address(): string {
    return `${this.host}:${this._port}`
  }

  get target(): Target | undefined {
    return this._target
  }

  get listening(): boolean {
    return this.server !== undefined
  }

  get connectionCount(): number {
    return this.relays.size
  }

  /** Bytes discarded by 'drop' rules since the link opened, per direction (a test waits for its bytes to be lost). */
  dropped(dir: 'up' | 'down'): number {
    return this.droppedBytes[dir]
  }

  /** @internal for the link's pipes */
  countDropped(dir: 'up' | 'down', bytes: number): void {
    this.droppedBytes[dir] += bytes
  }

  /** Current connections by source ('?' while a connection's source is not known yet). */
  connections(): Map<string, number> {
    const m = new Map<string, number>()
    for (const r of this.relays) m.set(r.source ?? '?', (m.get(r.source ?? '?') ?? 0) + 1)
    return m
  }

  /** What applies to one direction of a source's connections: the source's own rule, else the link's. */
  effective(dir: 'up' | 'down', source?: string): { mode: LinkMode; delayMs: number } {
    const st = (source !== undefined ? this.bySource.get(source) : undefined) ?? this.state
    return { mode: st[dir] ?? 'pass', delayMs: st.delayMs ?? 0 }
  }

  get current(): LinkState {
    return this.state
  }

  /**
   * What the network does on this link from now on — for one source's connections, or (without `source`) for
   * every source without a rule of its own. What was held moves on once its direction passes.
   */
  set(state: LinkState, source?: string): void {
    if (source === undefined) this.state = state
    else this.bySource.set(source, state)
    this.pumpAll()
  }

  /**
   * Every rule is lifted: what was held is delivered. `heldConnectionsAnswered()` then resolves once the
   * destination has answered (or closed) every connection whose bytes were waiting.
   */
  heal(): void {
    this.state = {}
    this.bySource.clear()
    this.heldAnswers = [...this.relays].filter((r) => r.up.waiting).map((r) => r.nextAnswer())
    this.pumpAll()
  }

  /** Resolves once every connection whose bytes were held at the last `heal()` has been answered or closed. */
  async heldConnectionsAnswered(): Promise<void> {
    await Promise.all(this.heldAnswers)
  }

  private pumpAll(): void {
    for (const r of this.relays) {
      r.up.pump()
      r.down.pump()
    }
  }

  /** New connections go to `target` from now on. */
  retarget(target: Target | undefined): void {
    this._target = target
  }

  /** Resets the current connections (of one source, or all): each side sees its connection reset. */
  cut(source?: string): void {
    for (const r of [...this.relays]) if (source === undefined || r.source === source) r.reset()
  }

  /** Stops listening and resets every connection: the destination refuses connections. */
  async refuse(): Promise<void> {
    const s = this.server
    this.server = undefined
    this.cut()
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()))
  }

  /** Listens (again, on the same port once it has one). */
  async listen(): Promise<void> {
    if (this.server) return
    const server = net.createServer({ noDelay: true }, (client) => {
      const target = this._target
      if (!target) {
        client.resetAndDestroy()
        return
      }
      this.relays.add(new Relay(client, target, this, this.opts.classify, this.opts.source ?? 'client'))
    })
    server.on('error', () => {})
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen({ port: this._port, host: this.host, exclusive: true }, () => {
        server.off('error', reject)
        resolve()
      })
    })
    this._port = (server.address() as net.AddressInfo).port
    this.server = server
  }

  /** @internal */
  forget(r: Relay): void {
    this.relays.delete(r)
  }

  async close(): Promise<void> {
    await this.refuse()
  }
}
