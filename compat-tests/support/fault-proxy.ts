/**
 * A fault-injecting TCP proxy: put one in front of a broker's advertised listener (or of ZooKeeper) and the test
 * decides, per direction and per source, what the network does:
 *  - 'pass'  forwards bytes (after `delayMs`, if set);
 *  - 'hold'  keeps them, the connection staying up, and delivers them in order once the link passes again — what
 *            TCP does across a network partition (segments retransmitted until they get through), and what a peer
 *            that hangs looks like;
 *  - 'drop'  reads and discards them for good, the connection staying up — a peer that never answers (a
 *            connection accepted by a process that will never serve it).
 * `up` is client → server, `down` is server → client. New connections are accepted and connected upstream under
 * the same rules (with 'hold' or 'drop' their bytes go nowhere until healed). `refuse()` stops listening and cuts
 * every connection (a host that is down), `cut()` resets the current connections, `retarget()` points new
 * connections elsewhere (a restarted service on another port).
 *
 * Sources: with `classify`, the proxy reads the client id of a connection's first Kafka request and calls the
 * connection 'broker-<id>' when it comes from a broker (Samsa's inter-broker client ids are `broker-<id>-...`)
 * and 'client' otherwise; rules can then differ per source — a partition between two brokers is the proxy of
 * one refusing to pass the other's traffic. Without `classify` every connection has the proxy's `source` name.
 */
import net from 'node:net'
import { freePort } from './procs.js'

export type LinkMode = 'pass' | 'hold' | 'drop'

export interface LinkFault {
  /** client → server (default 'pass') */
  readonly up?: LinkMode
  /** server → client (default 'pass') */
  readonly down?: LinkMode
  /** Delay added to every chunk that passes, each way. */
  readonly delayMs?: number
}

export interface Endpoint {
  readonly host: string
  readonly port: number
}

interface Chunk {
  readonly data: Buffer | 'end'
  readonly at: number
}

/** One direction of one proxied connection. */
class Pipe {
  private readonly queue: Chunk[] = []
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly to: () => net.Socket | undefined,
    private readonly fault: () => { mode: LinkMode; delayMs: number },
  ) {}

  push(data: Buffer | 'end'): void {
    const { mode, delayMs } = this.fault()
    if (mode === 'drop' && data !== 'end') return
    this.queue.push({ data, at: Date.now() + delayMs })
    this.pump()
  }

  /** Delivers what may pass now; re-arms itself for delayed chunks. */
  pump(): void {
    if (this.timer) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    const { mode } = this.fault()
    if (mode === 'drop') {
      // what was held is lost too, except an end of stream
      const ended = this.queue.some((c) => c.data === 'end')
      this.queue.length = 0
      if (ended) this.queue.push({ data: 'end', at: 0 })
      return
    }
    if (mode === 'hold') return
    const to = this.to()
    if (!to) return
    while (this.queue.length > 0) {
      const head = this.queue[0]!
      const wait = head.at - Date.now()
      if (wait > 0) {
        this.timer = setTimeout(() => this.pump(), wait)
        return
      }
      this.queue.shift()
      if (head.data === 'end') to.end()
      else if (!to.destroyed) to.write(head.data)
    }
  }

  get pending(): number {
    return this.queue.length
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer)
    this.queue.length = 0
  }
}

class ProxiedConnection {
  source: string | undefined
  upstream: net.Socket | undefined
  /** Called at the next bytes from the server (or the end of the connection). */
  private answerWaiters: (() => void)[] = []
  private firstBytes: Buffer[] = []
  readonly up: Pipe
  readonly down: Pipe
  /** Bytes from the client wait in the up pipe (held, or not yet connected upstream). */
  get waiting(): boolean {
    return this.up.pending > 0
  }

  constructor(
    readonly client: net.Socket,
    private readonly proxy: FaultProxy,
    classify: boolean,
    defaultSource: string,
  ) {
    this.up = new Pipe(
      () => this.upstream,
      () => proxy.effective(this.source ?? defaultSource, 'up'),
    )
    this.down = new Pipe(
      () => this.client,
      () => proxy.effective(this.source ?? defaultSource, 'down'),
    )
    if (!classify) this.source = defaultSource
    client.on('data', (d: Buffer) => {
      if (this.source === undefined) {
        this.firstBytes.push(d)
        this.source = sourceOf(Buffer.concat(this.firstBytes))
        if (this.source === undefined) return
        d = Buffer.concat(this.firstBytes)
        this.firstBytes = []
      }
      this.up.push(d)
    })
    client.on('end', () => this.up.push('end'))
    client.on('error', () => this.destroy())
    client.on('close', () => this.destroy())
    this.connectUpstream(proxy.target)
  }

  private connectUpstream(target: Endpoint): void {
    const upstream = net.connect({ host: target.host, port: target.port })
    upstream.on('connect', () => {
      this.upstream = upstream
      this.up.pump()
    })
    upstream.on('data', (d: Buffer) => {
      this.answered()
      this.down.push(d)
    })
    upstream.on('end', () => this.down.push('end'))
    upstream.on('error', () => this.destroy())
    upstream.on('close', () => this.destroy())
  }

  /** Resolves at the server's next bytes on this connection, or when it ends. */
  nextAnswer(): Promise<void> {
    return new Promise((resolve) => this.answerWaiters.push(resolve))
  }

  private answered(): void {
    const w = this.answerWaiters
    this.answerWaiters = []
    for (const f of w) f()
  }

  destroy(): void {
    this.answered()
    this.up.clear()
    this.down.clear()
    this.client.destroy()
    this.upstream?.destroy()
    this.proxy.forget(this)
  }
}

/** The source of a Kafka connection from its first request's client id, once enough bytes are there. */
function sourceOf(b: Buffer): string | undefined {
  // size int32, api key int16, api version int16, correlation id int32, client id (int16 length + bytes)
  if (b.length < 14) return undefined
  const len = b.readInt16BE(12)
  if (len < 0) return 'client'
  if (b.length < 14 + len) return undefined
  const id = /^broker-(\d+)-/.exec(b.toString('utf8', 14, 14 + len))
  return id ? `broker-${id[1]}` : 'client'
}

export class FaultProxy {
  private server: net.Server | undefined
  private readonly conns = new Set<ProxiedConnection>()
  private everyone: LinkFault = {}
  private readonly bySource = new Map<string, LinkFault>()
  private heldAnswers: Promise<void>[] = []

  private constructor(
    readonly port: number,
    public target: Endpoint,
    private readonly classify: boolean,
    private readonly source: string,
    readonly host = '127.0.0.1',
  ) {}

  /** A proxy listening on a free port of 127.0.0.1 (or `port`), forwarding to `target`. */
  static async start(
    target: Endpoint,
    opts: { port?: number; classify?: boolean; source?: string } = {},
  ): Promise<FaultProxy> {
    const p = new FaultProxy(
      opts.port ?? (await freePort()),
      target,
      opts.classify ?? false,
      opts.source ?? 'client',
    )
    await p.listen()
    return p
  }

  get address(): string {
    return `${this.host}:${this.port}`
  }

  /** Connections currently proxied, by source. */
  connections(): Map<string, number> {
    const m = new Map<string, number>()
    for (const c of this.conns) m.set(c.source ?? '?', (m.get(c.source ?? '?') ?? 0) + 1)
    return m
  }

  /** What applies to a source's traffic in one direction: its own rule, else the rule for everyone. */
  effective(source: string, dir: 'up' | 'down'): { mode: LinkMode; delayMs: number } {
    const f = this.bySource.get(source) ?? this.everyone
    return { mode: f[dir] ?? 'pass', delayMs: f.delayMs ?? 0 }
  }

  /** Sets the fault for one source ('client', 'broker-<id>') or, without one, for everyone without a rule. */
  set(fault: LinkFault, source?: string): void {
    if (source === undefined) this.everyone = fault
    else this.bySource.set(source, fault)
    this.pumpAll()
  }

  /** Every link passes again; held bytes are delivered. */
  heal(): void {
    this.everyone = {}
    this.bySource.clear()
    this.heldAnswers = [...this.conns].filter((c) => c.waiting).map((c) => c.nextAnswer())
    this.pumpAll()
  }

  /**
   * Resolves once the server has answered (or closed) every connection whose client bytes were held when the
   * proxy last healed: what was held has been delivered and acted on.
   */
  async heldConnectionsAnswered(): Promise<void> {
    await Promise.all(this.heldAnswers)
  }

  private pumpAll(): void {
    for (const c of this.conns) {
      c.up.pump()
      c.down.pump()
    }
  }

  /** Resets the current connections (of one source, or all). */
  cut(source?: string): void {
    for (const c of [...this.conns]) if (source === undefined || c.source === source) c.destroy()
  }

  /** New connections go to `target` from now on. */
  retarget(target: Endpoint): void {
    this.target = target
  }

  /** Stops listening and cuts every connection: the service looks down (connections refused). */
  async refuse(): Promise<void> {
    const s = this.server
    this.server = undefined
    this.cut()
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()))
  }

  /** Listens again (after `refuse`). */
  async listen(): Promise<void> {
    if (this.server) return
    const server = net.createServer({ noDelay: true }, (client) => {
      client.setNoDelay(true)
      this.conns.add(new ProxiedConnection(client, this, this.classify, this.source))
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.port, this.host, () => resolve())
    })
    this.server = server
  }

  /** @internal */
  forget(c: ProxiedConnection): void {
    this.conns.delete(c)
  }

  async close(): Promise<void> {
    await this.refuse()
  }
}
