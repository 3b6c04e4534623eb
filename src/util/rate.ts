/**
 * Kafka's windowed rate (org.apache.kafka.common.metrics.stats.Rate over a SampledStat) and the throttle time a
 * quota violation costs (QuotaUtils.throttleTime), on an injected time.
 *
 * A rate keeps `samples` samples of `windowMs` each. A value is added to the current sample; a sample is complete
 * once `windowMs` has passed since it started, and the next record starts a new one (reusing the oldest slot) at
 * the start of the window it falls in, on the grid of windows that follow the previous sample.
 * Samples older than `samples * windowMs` are reset before measuring. The rate is the sum of the samples divided
 * by the time from the start of the oldest sample to now — but never by less than `samples - 1` full windows, so
 * a burst right after start-up does not measure as an enormous rate.
 */

export interface RateConfig {
  /** quota.window.num */
  readonly samples: number
  /** quota.window.size.seconds in milliseconds */
  readonly windowMs: number
  /**
   * Kafka's SimpleRate (replication quotas): the window is the time since the oldest sample, at least one window,
   * instead of being padded to `samples - 1` windows.
   */
  readonly simple?: boolean
}

interface Sample {
  value: number
  /** When this sample's window started. */
  start: number
}

export class SampledRate {
  private readonly slots: Sample[]
  private current = 0

  constructor(
    private readonly config: RateConfig,
    now: number,
  ) {
    this.slots = [{ value: 0, start: now }]
  }

  record(value: number, now: number): void {
    let s = this.slots[this.current]!
    if (now >= s.start + this.config.windowMs) {
      // The new sample starts on the grid of windows that follow the previous one, not at `now` (SampledStat).
      const previousEnd = s.start + this.config.windowMs
      const start = now - ((now - previousEnd) % this.config.windowMs)
      this.current = (this.current + 1) % this.config.samples
      s = this.slots[this.current] ?? { value: 0, start }
      this.slots[this.current] = s
      s.value = 0
      s.start = start
    }
    s.value += value
  }

  /** Takes back a recorded value (Kafka unrecords a throttled fetch's bytes that were not sent). */
  unrecord(value: number, now: number): void {
    this.record(-value, now)
  }

  /** The rate per second at `now`. */
  measure(now: number): number {
    this.purge(now)
    let total = 0
    for (const s of this.slots) total += s.value
    return total / (this.windowSize(now) / 1000)
  }

  /** The measured window in ms (Rate.windowSize): elapsed since the oldest sample, at least samples - 1 windows. */
  windowSize(now: number): number {
    this.purge(now)
    let oldest = now
    for (const s of this.slots) oldest = Math.min(oldest, s.start)
    let elapsed = now - oldest
    if (this.config.simple) return Math.max(elapsed, this.config.windowMs)
    const fullWindows = Math.floor(elapsed / this.config.windowMs)
    const minFullWindows = this.config.samples - 1
    if (fullWindows < minFullWindows) elapsed += (minFullWindows - fullWindows) * this.config.windowMs
    return elapsed
  }

  private purge(now: number): void {
    const expireAge = this.config.samples * this.config.windowMs
    for (const s of this.slots) {
      if (now - s.start >= expireAge) {
        s.value = 0
        s.start = now
      }
    }
  }
}

/**
 * Records `value` and returns how long the client must be throttled (0 when the rate stays within `bound` per
 * second): the excess over the bound as a fraction of it, times the measured window (QuotaUtils.throttleTime),
 * capped at `maxThrottleMs`.
 */
export function recordAndThrottle(
  rate: SampledRate,
  value: number,
  bound: number,
  now: number,
  maxThrottleMs: number,
): number {
  rate.record(value, now)
  const measured = rate.measure(now)
  if (measured <= bound) return 0
  const throttle = Math.round(((measured - bound) / bound) * rate.windowSize(now))
  return Math.min(Math.max(throttle, 0), maxThrottleMs)
}
