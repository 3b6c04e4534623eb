/**
 * Client quotas as Kafka's ClientQuotaManager keeps them (KIP-55, KIP-219), for one quota type
 * (`producer_byte_rate` or `consumer_byte_rate`).
 *
 * The quota of a request comes from the first of these entities that sets the quota type (Kafka's
 * DefaultQuotaCallback), with `<default>` the default entity of its type:
 *   /config/users/<user>/clients/<client-id>, /config/users/<user>/clients/<default>, /config/users/<user>,
 *   /config/users/<default>/clients/<client-id>, /config/users/<default>/clients/<default>, /config/users/<default>,
 *   /config/clients/<client-id>, /config/clients/<default>.
 * Which entity matched decides who shares the measured rate: a user+client entity meters each (user, client-id)
 * pair, a user entity all clients of the user together, a client entity all users of the client id together.
 *
 * A request over the quota is still served; its response carries the throttle time and the connection is muted
 * (reads no further requests) for that long — the client also waits on its own from the versions of KIP-219.
 */
import type { ChannelControl } from '../../network/channel.js'
import type { Scheduler, ScheduledTask } from '../../util/scheduler.js'
import { sanitizeEntityName } from '../metadata/znodes.js'
import { recordAndThrottle, SampledRate, type RateConfig } from '../../util/rate.js'

export const DEFAULT_ENTITY = '<default>'

export type ClientQuotaType =
  | 'producer_byte_rate'
  | 'consumer_byte_rate'
  /** Kafka's request quota: percent of one request handler thread's time (values: ms / 10 per request). */
  | 'request_percentage'

/** The quota configs as stored (sanitized entity names, `<default>` for defaults). */
export interface QuotaConfigSource {
  user(sanitizedUser: string): ReadonlyMap<string, string> | undefined
  client(sanitizedClientId: string): ReadonlyMap<string, string> | undefined
  userClient(sanitizedUser: string, sanitizedClientId: string): ReadonlyMap<string, string> | undefined
}

export interface QuotaRequestIdentity {
  /** The principal's name (Kafka meters by name, whatever the principal type). */
  readonly user: string
  readonly clientId: string
}

/** The quota that applies to a request and the metering key it shares with others. */
export interface ResolvedQuota {
  readonly bound: number
  readonly meterUser: string
  readonly meterClientId: string
}

type EntityConfig = (
  source: QuotaConfigSource,
  user: string,
  clientId: string,
) => ReadonlyMap<string, string> | undefined

/** Kafka's DefaultQuotaCallback order: the entity, and who shares its meter (see the top of this file). */
const RESOLUTION_ORDER: ReadonlyArray<readonly [EntityConfig, 'both' | 'user' | 'client']> = [
  [(s, u, c) => s.userClient(u, c), 'both'],
  [(s, u) => s.userClient(u, DEFAULT_ENTITY), 'both'],
  [(s, u) => s.user(u), 'user'],
  [(s, _u, c) => s.userClient(DEFAULT_ENTITY, c), 'both'],
  [(s) => s.userClient(DEFAULT_ENTITY, DEFAULT_ENTITY), 'both'],
  [(s) => s.user(DEFAULT_ENTITY), 'user'],
  [(s, _u, c) => s.client(c), 'client'],
  [(s) => s.client(DEFAULT_ENTITY), 'client'],
]

/** Kafka's quota resolution order for one quota type; undefined when no entity sets it (unlimited). */
export function resolveQuota(
  source: QuotaConfigSource,
  type: string,
  who: QuotaRequestIdentity,
): ResolvedQuota | undefined {
  const u = sanitizeEntityName(who.user)
  const c = sanitizeEntityName(who.clientId)
  for (const [config, meters] of RESOLUTION_ORDER) {
    const v = config(source, u, c)?.get(type)
    if (v === undefined) continue
    const bound = Number(v)
    if (Number.isFinite(bound)) {
      return {
        bound,
        meterUser: meters === 'client' ? '' : who.user,
        meterClientId: meters === 'user' ? '' : who.clientId,
      }
    }
  }
  return undefined
}

export interface ClientQuotaManagerOptions extends RateConfig {
  readonly type: ClientQuotaType
  readonly source: QuotaConfigSource
  readonly scheduler: Scheduler
}

/** Meters not used for this long are dropped (Kafka expires quota sensors after an hour of inactivity). */
const METER_EXPIRY_MS = 3_600_000

/** One meter per metering key, dropped after METER_EXPIRY_MS unused (pruned every 1000 uses). */
export class QuotaMeters<T> {
  private readonly meters = new Map<string, { readonly meter: T; lastUsed: number }>()
  private usesSincePrune = 0

  constructor(private readonly create: (now: number) => T) {}

  get(key: string, now: number): T {
    if (++this.usesSincePrune >= 1000) {
      this.usesSincePrune = 0
      for (const [k, m] of this.meters) if (now - m.lastUsed > METER_EXPIRY_MS) this.meters.delete(k)
    }
    let m = this.meters.get(key)
    if (!m) {
      m = { meter: this.create(now), lastUsed: now }
      this.meters.set(key, m)
    }
    m.lastUsed = now
    return m.meter
  }
}

/** Mutes channels for one quota type's throttle times (Kafka's ThrottledChannel per quota manager). */
export class ChannelThrottler {
  private readonly unmutes = new WeakMap<ChannelControl, { task: ScheduledTask; until: number }>()

  constructor(
    private readonly type: string,
    private readonly scheduler: Scheduler,
  ) {}

  /** Mutes the channel for `throttleMs`, extending a mute already held by this quota type. */
  throttle(channel: ChannelControl, throttleMs: number): void {
    if (throttleMs <= 0) return
    const key = `quota:${this.type}`
    const until = this.scheduler.clock.now() + throttleMs
    const held = this.unmutes.get(channel)
    if (held && held.until >= until) return
    held?.task.cancel()
    channel.mute(key)
    const task = this.scheduler.schedule(
      `throttle-${this.type}`,
      () => {
        this.unmutes.delete(channel)
        channel.unmute(key)
      },
      throttleMs,
    )
    this.unmutes.set(channel, { task, until })
  }
}

export class ClientQuotaManager {
  private readonly meters: QuotaMeters<SampledRate>
  private readonly throttler: ChannelThrottler
  /** Kafka caps a throttle at the whole quota window (quota.window.num × quota.window.size.seconds). */
  readonly maxThrottleMs: number

  constructor(private readonly o: ClientQuotaManagerOptions) {
    this.maxThrottleMs = o.samples * o.windowMs
    this.throttler = new ChannelThrottler(o.type, o.scheduler)
    this.meters = new QuotaMeters((now) => new SampledRate(o, now))
  }

  /** The quota that applies to `who`, if any (for DescribeClientQuotas-like views and tests). */
  quotaFor(who: QuotaRequestIdentity): ResolvedQuota | undefined {
    return resolveQuota(this.o.source, this.o.type, who)
  }

  /** Records `value` (bytes) against the quota of `who`; the throttle time in ms, 0 when within the quota. */
  record(who: QuotaRequestIdentity, value: number): number {
    const q = this.quotaFor(who)
    if (!q) return 0
    const now = this.o.scheduler.clock.now()
    const m = this.meter(`${q.meterUser}\u0000${q.meterClientId}`, now)
    return recordAndThrottle(m, value, q.bound, now, this.maxThrottleMs)
  }

  /** Takes back bytes recorded for a response that was not sent (a throttled fetch answers empty). */
  unrecord(who: QuotaRequestIdentity, value: number): void {
    const q = this.quotaFor(who)
    if (!q) return
    const now = this.o.scheduler.clock.now()
    this.meter(`${q.meterUser}\u0000${q.meterClientId}`, now).unrecord(value, now)
  }

  /**
   * Records `value` for the sender of a request and, when over its quota, mutes the connection for the throttle
   * time (Kafka's maybeRecordAndGetThrottleTimeMs + throttle); returns the throttle time for the response.
   */
  recordAndThrottle(
    ctx: {
      readonly principal: { readonly name: string }
      readonly clientId: string | null
      readonly channel: ChannelControl
    },
    value: number,
  ): number {
    const ms = this.record({ user: ctx.principal.name, clientId: ctx.clientId ?? '' }, value)
    this.throttle(ctx.channel, ms)
    return ms
  }

  /** Mutes the channel for `throttleMs` (extending a mute already held by this quota type). */
  throttle(channel: ChannelControl, throttleMs: number): void {
    this.throttler.throttle(channel, throttleMs)
  }

  private meter(key: string, now: number): SampledRate {
    return this.meters.get(key, now)
  }
}
