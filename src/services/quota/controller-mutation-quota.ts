/**
 * controller_mutation_rate (KIP-599): partitions created or deleted per second by a user/client-id, as Kafka's
 * ControllerMutationQuotaManager keeps it.
 *
 * The quota of a request is resolved like the other client quotas (resolveQuota: Kafka's DefaultQuotaCallback
 * order and sharing). The meter is Kafka's TokenBucket: the bucket holds at most `quota × samples × window
 * seconds` tokens (controller.quota.window.num × controller.quota.window.size.seconds), starts full, refills at
 * `quota` tokens a second, and each mutation takes one token per partition — the balance may go negative. The
 * quota is exhausted while the balance is below zero; the throttle time is the time to refill it to zero
 * (−tokens / quota, in ms).
 *
 * A request gets a ControllerMutationQuota for its lifetime:
 *  - strict (CreateTopics v6+, CreatePartitions v3+, DeleteTopics v5+): a mutation is refused with
 *    THROTTLING_QUOTA_EXCEEDED when the bucket is already below zero, else recorded even if it goes below zero;
 *  - permissive (older versions): every mutation is recorded and accepted, the request is throttled once the
 *    balance is below zero.
 * The response carries the throttle time left (what was recorded, minus the time since) and the channel is muted
 * for it.
 */
import type { ChannelControl } from '../../network/channel.js'
import { KafkaError, ErrorCode, errorInfo } from '../../protocol/errors.js'
import type { Scheduler } from '../../util/scheduler.js'
import {
  ChannelThrottler,
  QuotaMeters,
  resolveQuota,
  type QuotaConfigSource,
  type QuotaRequestIdentity,
} from './client-quota-manager.js'

export const CONTROLLER_MUTATION_RATE = 'controller_mutation_rate'

export interface TokenBucketConfig {
  /** controller.quota.window.num */
  readonly samples: number
  /** controller.quota.window.size.seconds in milliseconds */
  readonly windowMs: number
}

/** Kafka's TokenBucket stat: the current bound is read at every use, so a changed quota applies at once. */
export class TokenBucket {
  private tokens = 0
  /** Undefined until first used: the bucket starts full (Kafka's starts at lastUpdateMs = 0, epoch time). */
  private lastUpdateMs: number | undefined

  constructor(private readonly config: TokenBucketConfig) {}

  /** The balance at `now` under `quota` tokens a second. */
  measure(quota: number, now: number): number {
    this.refill(quota, now)
    return this.tokens
  }

  record(quota: number, value: number, now: number): void {
    this.refill(quota, now)
    this.tokens = Math.min(this.burst(quota), this.tokens - value)
  }

  private burst(quota: number): number {
    return ((this.config.samples * this.config.windowMs) / 1000) * quota
  }

  private refill(quota: number, now: number): void {
    const burst = this.burst(quota)
    const elapsed = this.lastUpdateMs === undefined ? undefined : Math.max(0, now - this.lastUpdateMs)
    this.tokens = elapsed === undefined ? burst : Math.min(burst, this.tokens + (quota * elapsed) / 1000)
    this.lastUpdateMs = now
  }
}

/** The quota of one request (Kafka's ControllerMutationQuota). */
export interface ControllerMutationQuota {
  /** Whether a strict quota has refused a mutation of this request. */
  readonly isExceeded: boolean
  /** Records `permits` partitions; a strict quota throws KafkaError THROTTLING_QUOTA_EXCEEDED instead when exhausted. */
  record(permits: number): void
  /** The throttle time left, in ms (0 within the quota). */
  throttleTime(): number
}

export const UNBOUNDED_CONTROLLER_MUTATION_QUOTA: ControllerMutationQuota = {
  isExceeded: false,
  record: () => {},
  throttleTime: () => 0,
}

/** −tokens / quota in ms: the time until the bucket is back at zero. */
function throttleTimeMs(tokens: number, quota: number): number {
  return Math.round((-tokens / quota) * 1000)
}

export class ControllerMutationQuotaManager {
  private readonly buckets: QuotaMeters<TokenBucket>
  private readonly throttler: ChannelThrottler

  constructor(
    private readonly o: TokenBucketConfig & {
      readonly source: QuotaConfigSource
      readonly scheduler: Scheduler
    },
  ) {
    this.throttler = new ChannelThrottler(CONTROLLER_MUTATION_RATE, o.scheduler)
    this.buckets = new QuotaMeters(() => new TokenBucket(o))
  }

  /** Strict from `strictSinceVersion` on, permissive before it; unbounded when no quota applies to the sender. */
  newQuotaFor(
    ctx: {
      readonly principal: { readonly name: string }
      readonly clientId: string | null
      readonly apiVersion: number
    },
    strictSinceVersion: number,
  ): ControllerMutationQuota {
    const who: QuotaRequestIdentity = { user: ctx.principal.name, clientId: ctx.clientId ?? '' }
    if (!resolveQuota(this.o.source, CONTROLLER_MUTATION_RATE, who))
      return UNBOUNDED_CONTROLLER_MUTATION_QUOTA
    const clock = this.o.scheduler.clock
    const strict = ctx.apiVersion >= strictSinceVersion
    let lastThrottleMs = 0
    let lastRecordedAt = 0
    const violated = (tokens: number, bound: number, now: number): void => {
      lastThrottleMs = throttleTimeMs(tokens, bound)
      lastRecordedAt = now
    }
    return {
      get isExceeded() {
        return strict && lastThrottleMs > 0
      },
      record: (permits) => {
        // The quota is resolved again at each use: an AlterClientQuotas in between applies at once, as in Kafka.
        const q = resolveQuota(this.o.source, CONTROLLER_MUTATION_RATE, who)
        if (!q) return
        const now = clock.now()
        const b = this.buckets.get(`${q.meterUser}\u0000${q.meterClientId}`, now)
        if (strict) {
          const tokens = b.measure(q.bound, now)
          if (tokens < 0) {
            violated(tokens, q.bound, now)
            throw new KafkaError(
              ErrorCode.THROTTLING_QUOTA_EXCEEDED,
              errorInfo(ErrorCode.THROTTLING_QUOTA_EXCEEDED).message,
            )
          }
          b.record(q.bound, permits, now)
        } else {
          b.record(q.bound, permits, now)
          const tokens = b.measure(q.bound, now)
          if (tokens < 0) violated(tokens, q.bound, now)
        }
      },
      throttleTime: () => Math.max(0, lastThrottleMs - (clock.now() - lastRecordedAt)),
    }
  }

  /** Mutes the channel for `throttleMs` (Kafka throttles with the controller quota when its time is the larger). */
  throttle(channel: ChannelControl, throttleMs: number): void {
    this.throttler.throttle(channel, throttleMs)
  }
}
