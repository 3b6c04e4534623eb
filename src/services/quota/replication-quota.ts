/**
 * Replication throttles (KIP-73), as Kafka's ReplicationQuotaManager: one quota for what this broker sends to
 * followers as a leader and one for what it fetches as a follower.
 *
 *  - The bound is the broker's `leader.replication.throttled.rate` / `follower.replication.throttled.rate` (bytes/s,
 *    dynamic), read on every check so that a change applies at once.
 *  - A partition is throttled on this broker when the topic's `leader.replication.throttled.replicas` /
 *    `follower.replication.throttled.replicas` is `*` or names `partition:<this broker>`
 *    (TopicConfigHandler.parseThrottledPartitions).
 *  - Every byte replicated for a throttled partition is recorded — in-sync replicas included, so that the total
 *    replication traffic stays within the bound — but only replicas that are not in sync are ever held back
 *    (ReplicaManager.shouldLeaderThrottle, ReplicaFetcherThread.shouldFollowerThrottle).
 *  - The rate is Kafka's SimpleRate over `replication.quota.window.num` samples of
 *    `replication.quota.window.size.seconds`; the quota is exceeded while the measured rate is above the bound.
 */
import type { Clock } from '../../util/scheduler.js'
import { SampledRate } from '../../util/rate.js'

/** Kafka's default replication throttle (Long.MAX_VALUE): no throttle. */
export const UNTHROTTLED = Number.MAX_SAFE_INTEGER // any bound from here up (Long.MAX_VALUE included) never binds

export interface ReplicationQuotaOptions {
  readonly brokerId: number
  /** The bound in bytes per second (the broker's current *.replication.throttled.rate). */
  readonly rate: () => number
  /** The topic's *.replication.throttled.replicas entries ('*' or 'partition:broker' pairs). */
  readonly throttledReplicas: (topic: string) => readonly string[]
  readonly samples: number
  readonly windowMs: number
  readonly clock: Clock
}

const ALL = 'all'

export class ReplicationQuotaManager {
  private readonly measured: SampledRate
  /** The parsed throttled replicas of a topic config value (configs are replaced, never mutated, on a change). */
  private readonly parsed = new WeakMap<readonly string[], ReadonlySet<number> | typeof ALL>()

  constructor(private readonly opts: ReplicationQuotaOptions) {
    this.measured = new SampledRate(
      { samples: opts.samples, windowMs: opts.windowMs, simple: true },
      opts.clock.now(),
    )
  }

  /** Whether this broker's replica of the partition is throttled by the topic's config. */
  isThrottled(topic: string, partition: number): boolean {
    const list = this.opts.throttledReplicas(topic)
    if (list.length === 0) return false
    let set = this.parsed.get(list)
    if (set === undefined) {
      set = parseThrottledPartitions(list, this.opts.brokerId)
      this.parsed.set(list, set)
    }
    return set === ALL || set.has(partition)
  }

  /** Whether the measured rate is above the bound (never, while the bound is Kafka's default). */
  isQuotaExceeded(): boolean {
    const bound = this.opts.rate()
    if (bound >= UNTHROTTLED) return false
    return this.measured.measure(this.opts.clock.now()) > bound
  }

  /** Records replicated bytes of a throttled partition. */
  record(bytes: number): void {
    if (bytes > 0) this.measured.record(bytes, this.opts.clock.now())
  }

  /** The measured rate in bytes per second. */
  rate(): number {
    return this.measured.measure(this.opts.clock.now())
  }

  /**
   * Whether a replica's replication is held back now: it is throttled, not in sync, and the quota is exceeded.
   */
  shouldThrottle(topic: string, partition: number, inSync: boolean): boolean {
    return !inSync && this.isThrottled(topic, partition) && this.isQuotaExceeded()
  }
}

/** The partitions of `broker` that a *.replication.throttled.replicas value names, or 'all' for `*`. */
export function parseThrottledPartitions(
  list: readonly string[],
  broker: number,
): ReadonlySet<number> | typeof ALL {
  const entries = list.map((s) => s.trim()).filter((s) => s !== '')
  if (entries.length === 1 && entries[0] === '*') return ALL
  const partitions = new Set<number>()
  for (const e of entries) {
    const [p, b] = e.split(':')
    if (Number(b) === broker) partitions.add(Number(p))
  }
  return partitions
}
