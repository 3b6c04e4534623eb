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

/** One direction of one relayed connection. */
class Pipe {
  private readonly queue: { item: Item; due: number }[] = []
  private timer: ScheduledTask | undefined

  constructor(
    private readonly scheduler: Scheduler,
    private readonly state: () => { mode: LinkMode; delayMs: number },
    private readonly to: () => net.Socket | undefined,
  ) {}

  push(item: Item): void {
    const { mode, delayMs } = this.state()
    if (mode === 'drop' && Buffer.isBuffer(item)) return
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
  readonly up: Pipe
  readonly down: Pipe

  constructor(
    readonly client: net.Socket,
    target: Target,
    private readonly link: FaultLink,
  ) {
    this.up = new Pipe(
      link.scheduler,
      () => link.effective('up'),
      () => this.upstream,
    )
    this.down = new Pipe(
      link.scheduler,
      () => link.effective('down'),
      () => this.client,
    )
    client.setNoDelay(true)
    let clientEnded = false
    client.on('data', (d: Buffer) => this.up.push(d))
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
    upstream.on('data', (d: Buffer) => this.down.push(d))
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
    if (this.client.destroyed && (this.upstream?.destroyed ?? true)) this.link.forget(this)
  }

  reset(): void {
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
  private state: LinkState = {}
  private _port = 0

  private constructor(
    readonly name: string,
    readonly scheduler: Scheduler,
    private _target: Target | undefined,
    readonly host: string,
  ) {}

  /** A link listening on `host` (127.0.0.1) at a free port, relaying to `target` (none yet: refused). */
  static async open(
    name: string,
    scheduler: Scheduler,
    target: Target | undefined,
    host = '127.0.0.1',
  ): Promise<FaultLink> {
    const l = new FaultLink(name, scheduler, target, host)
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

  /** @internal */
  effective(dir: 'up' | 'down'): { mode: LinkMode; delayMs: number } {
    return { mode: this.state[dir] ?? 'pass', delayMs: this.state.delayMs ?? 0 }
  }

  get current(): LinkState {
    return this.state
  }

  /** What the network does on this link from now on (what was held moves on once its direction passes). */
  set(state: LinkState): void {
    this.state = state
    for (const r of this.relays) {
      r.up.pump()
      r.down.pump()
    }
  }

  /** New connections go to `target` from now on. */
  retarget(target: Target | undefined): void {
    this._target = target
  }

  /** Resets the current connections (each side sees its connection reset). */
  cut(): void {
    for (const r of [...this.relays]) r.reset()
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
      this.relays.add(new Relay(client, target, this))
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
