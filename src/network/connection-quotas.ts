/**
 * Kafka's ConnectionQuotas (KIP-308 per-listener limits, KIP-402 protected inter-broker listener, KIP-612
 * connection creation rates): which new connection the socket server may take, and when.
 *
 * - `max.connections` (broker-wide) and `listener.name.<l>.max.connections` (per listener, falling back to the
 *   broker-wide value as Kafka's valuesWithPrefixOverride does): when a listener has no free slot its acceptor
 *   waits. Kafka's acceptor thread blocks and new connections wait in the kernel's backlog; here a connection that
 *   arrives is parked (not read, no TLS handshake) in its listener's queue, in arrival order, until a slot frees.
 *   The inter-broker listener is protected when there are several listeners: it ignores the broker-wide limit, and
 *   when it takes the broker over that limit the socket server closes the least recently active connection of
 *   another listener (maxConnectionsExceeded).
 * - `max.connection.creation.rate` (broker-wide, not for the protected listener) and
 *   `listener.name.<l>.max.connection.creation.rate`: each connection is recorded on a windowed rate
 *   (quota.window.num × quota.window.size.seconds); over the rate, the acceptor waits the throttle time
 *   (QuotaUtils.boundedThrottleTime, at most one quota window) before it takes the connection.
 * - `connection_creation_rate` of /config/ips/<ip> (or /config/ips/<default>): a connection from an IP over its rate
 *   is not taken; its socket is closed after the throttle time (Kafka's DelayedCloseSocket) and the connection is
 *   taken back from the broker and listener rates.
 * - `max.connections.per.ip` and `max.connections.per.ip.overrides`: a connection from an IP that already has its
 *   maximum is closed at once ("Rejected connection from …").
 */
import dns from 'node:dns'
import net from 'node:net'
import type { Logger } from '../util/logger.js'
import type { ScheduledTask, Scheduler } from '../util/scheduler.js'
import { recordAndThrottle, SampledRate, type RateConfig } from '../util/rate.js'

const INT_MAX = 2147483647

export interface ListenerConnectionLimits {
  /** listener.name.<l>.max.connections (or max.connections). */
  readonly maxConnections: number
  /** listener.name.<l>.max.connection.creation.rate (or max.connection.creation.rate). */
  readonly maxConnectionCreationRate: number
}

export interface ConnectionQuotaConfig {
  readonly maxConnections: number
  readonly maxConnectionsPerIp: number
  /** max.connections.per.ip.overrides with host names resolved to addresses (resolveOverrides). */
  readonly maxConnectionsPerIpOverrides: ReadonlyMap<string, number>
  readonly maxConnectionCreationRate: number
  /** Per-listener limits; a listener missing here has the broker-wide values. */
  readonly listeners: ReadonlyMap<string, ListenerConnectionLimits>
  readonly interBrokerListenerName?: string
  /** quota.window.num and quota.window.size.seconds. */
  readonly window: RateConfig
}

/** The verdict on a new connection. */
export type Admission =
  /** Take it; call `release` once when it closes. */
  | { readonly kind: 'accepted'; readonly release: () => void }
  /** Its IP is over connection_creation_rate: close it after `delayMs`. */
  | { readonly kind: 'throttled'; readonly delayMs: number }
  /** Its IP has its maximum of connections: close it now. */
  | { readonly kind: 'too-many'; readonly max: number }

interface Pending {
  readonly ip: string
  readonly decide: (a: Admission) => void
  cancelled: boolean
  /** When its rate throttle ends (set once its creation is recorded). */
  readyAt?: number
}

interface ListenerState {
  limits: ListenerConnectionLimits
  count: number
  readonly rate: SampledRate
  readonly queue: Pending[]
  timer?: ScheduledTask
}

/** An IPv4-mapped IPv6 address as the IPv4 address (as Java's InetAddress has it). */
export function normalizeIp(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  return m ? (m[1] as string) : address.toLowerCase()
}

/**
 * max.connections.per.ip.overrides keys resolved as Kafka resolves them (InetAddress.getByName: an address stays
 * itself, a host name becomes its first address). Rejects when a name does not resolve.
 */
export async function resolveOverrides(overrides: ReadonlyMap<string, number>): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  for (const [host, n] of overrides) {
    if (net.isIP(host) !== 0) {
      out.set(normalizeIp(host), n)
      continue
    }
    try {
      const { address } = await dns.promises.lookup(host)
      out.set(normalizeIp(address), n)
    } catch (e) {
      throw new Error(`max.connections.per.ip.overrides: ${host}: unknown host (${(e as Error).message})`, {
        cause: e,
      })
    }
  }
  return out
}

/** No limits (Kafka's defaults: every limit Int.MaxValue, quota window 11 × 1 s), with `overrides`. */
export function connectionQuotaConfig(overrides: Partial<ConnectionQuotaConfig> = {}): ConnectionQuotaConfig {
  return {
    maxConnections: INT_MAX,
    maxConnectionsPerIp: INT_MAX,
    maxConnectionsPerIpOverrides: new Map(),
    maxConnectionCreationRate: INT_MAX,
    listeners: new Map(),
    window: { samples: 11, windowMs: 1000 },
    ...overrides,
  }
}

export class ConnectionQuotas {
  private config: ConnectionQuotaConfig
  private readonly listeners = new Map<string, ListenerState>()
  private readonly perIp = new Map<string, number>()
  private total = 0
  private readonly brokerRate: SampledRate
  private readonly ipRates = new Map<string, { rate: SampledRate; lastUsed: number }>()

  constructor(
    config: ConnectionQuotaConfig,
    /** connection_creation_rate of an IP (its /config/ips entity, else <default>; INT_MAX when unset). */
    private readonly ipConnectionRate: (ip: string) => number,
    private readonly scheduler: Scheduler,
    private readonly log: Logger,
  ) {
    this.config = config
    const now = this.now()
    this.brokerRate = new SampledRate(config.window, now)
  }

  /** A listener the socket server serves (Kafka's addListener). */
  addListener(name: string): void {
    this.listener(name)
  }

  /** Dynamic update of the limits (KIP-226: these configs are cluster-wide or per listener). */
  reconfigure(config: ConnectionQuotaConfig): void {
    this.config = config
    for (const [name, l] of this.listeners) l.limits = this.limitsOf(name)
    for (const name of this.listeners.keys()) this.drain(name)
  }

  /**
   * A new connection from `ip` on `listener`: `decide` is called (on this turn or later) with the verdict. Returns
   * a function that withdraws a connection still waiting (its socket closed meanwhile).
   */
  request(listener: string, ip: string, decide: (a: Admission) => void): () => void {
    const l = this.listener(listener)
    const p: Pending = { ip: normalizeIp(ip), decide, cancelled: false }
    l.queue.push(p)
    this.drain(listener)
    return () => {
      p.cancelled = true
    }
  }

  /** Open connections on the broker. */
  get totalCount(): number {
    return this.total
  }

  /** Open connections of an IP. */
  ipCount(ip: string): number {
    return this.perIp.get(normalizeIp(ip)) ?? 0
  }

  /** Connections waiting for a slot or a rate throttle on a listener. */
  waiting(listener: string): number {
    return this.listeners.get(listener)?.queue.filter((p) => !p.cancelled).length ?? 0
  }

  /** The protected listener may take the broker over max.connections; then others close their LRU connection. */
  maxConnectionsExceeded(listener: string): boolean {
    return this.total > this.config.maxConnections && !this.protectedListener(listener)
  }

  protectedListener(listener: string): boolean {
    return this.config.interBrokerListenerName === listener && this.listeners.size > 1
  }

  private now(): number {
    return this.scheduler.clock.monotonic()
  }

  private listener(name: string): ListenerState {
    let l = this.listeners.get(name)
    if (!l) {
      const limits = this.limitsOf(name)
      l = { limits, count: 0, rate: new SampledRate(this.config.window, this.now()), queue: [] }
      this.listeners.set(name, l)
    }
    return l
  }

  private limitsOf(name: string): ListenerConnectionLimits {
    return (
      this.config.listeners.get(name) ?? {
        maxConnections: this.config.maxConnections,
        maxConnectionCreationRate: this.config.maxConnectionCreationRate,
      }
    )
  }

  private slotAvailable(name: string, l: ListenerState): boolean {
    if (l.count >= l.limits.maxConnections) return false
    if (this.protectedListener(name)) return true
    return this.total < this.config.maxConnections
  }

  /** The rate throttle of one more connection on a listener, recorded (recordConnectionAndGetThrottleTimeMs). */
  private recordConnection(name: string, l: ListenerState, now: number): number {
    const maxThrottle = this.config.window.windowMs
    const broker = this.protectedListener(name)
      ? 0
      : recordAndThrottle(this.brokerRate, 1, this.config.maxConnectionCreationRate, now, maxThrottle)
    const listener = recordAndThrottle(l.rate, 1, l.limits.maxConnectionCreationRate, now, maxThrottle)
    return Math.max(broker, listener)
  }

  /** Takes the waiting connections of a listener that may go now, in order (the acceptor's loop). */
  private drain(name: string): void {
    const l = this.listeners.get(name)
    if (!l) return
    while (l.queue.length > 0) {
      const p = l.queue[0] as Pending
      if (p.cancelled) {
        l.queue.shift()
        continue
      }
      const now = this.now()
      if (p.readyAt === undefined) {
        const throttleMs = this.recordConnection(name, l, now)
        p.readyAt = now + throttleMs
        if (throttleMs > 0)
          this.log.debug(`Connection creation on listener ${name} throttled for ${throttleMs} ms`)
      }
      if (p.readyAt > now) {
        if (!l.timer) {
          l.timer = this.scheduler.schedule(
            `connection-throttle-${name}`,
            () => {
              l.timer = undefined
              this.drain(name)
            },
            p.readyAt - now,
          )
        }
        return
      }
      if (!this.slotAvailable(name, l)) return // a release or a reconfiguration drains again
      l.queue.shift()
      p.decide(this.admit(name, l, p.ip, now))
    }
  }

  /** Kafka's inc after the slot wait: the IP's creation rate, then its connection count. */
  private admit(name: string, l: ListenerState, ip: string, now: number): Admission {
    const ipRate = this.ipConnectionRate(ip)
    if (ipRate !== INT_MAX) {
      const m = this.ipRate(ip, now)
      const throttleMs = recordAndThrottle(m, 1, ipRate, now, this.config.window.windowMs)
      if (throttleMs > 0) {
        // Not taken: out of every rate it was recorded on.
        m.record(-1, now)
        if (!this.protectedListener(name)) this.brokerRate.record(-1, now)
        l.rate.record(-1, now)
        return { kind: 'throttled', delayMs: throttleMs }
      }
    }
    const count = this.perIp.get(ip) ?? 0
    const max = this.config.maxConnectionsPerIpOverrides.get(ip) ?? this.config.maxConnectionsPerIp
    if (count >= max) return { kind: 'too-many', max }
    this.perIp.set(ip, count + 1)
    this.total++
    l.count++
    let released = false
    return {
      kind: 'accepted',
      release: () => {
        if (released) return
        released = true
        const n = (this.perIp.get(ip) ?? 1) - 1
        if (n <= 0) this.perIp.delete(ip)
        else this.perIp.set(ip, n)
        this.total--
        l.count--
        // A freed slot may let a waiting connection in, on this listener or (broker-wide limit) another.
        for (const other of this.listeners.keys()) this.drain(other)
      },
    }
  }

  private ipRate(ip: string, now: number): SampledRate {
    let m = this.ipRates.get(ip)
    if (!m) {
      // Kafka expires an IP's sensor after an hour without connections.
      for (const [k, v] of this.ipRates) if (now - v.lastUsed > 3_600_000) this.ipRates.delete(k)
      m = { rate: new SampledRate(this.config.window, now), lastUsed: now }
      this.ipRates.set(ip, m)
    }
    m.lastUsed = now
    return m.rate
  }
}
