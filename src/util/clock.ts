/** Wall-clock and monotonic time, injectable so that tests can control time. */
export interface Clock {
  /** Milliseconds since the epoch (Kafka's `time.milliseconds()`). */
  now(): number
  /** Monotonic milliseconds, for timeouts (Kafka's `time.hiResClockMs()`). */
  monotonic(): number
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
}

/** A clock that only moves when told to. */
export class ManualClock implements Clock {
  constructor(private t = 1_700_000_000_000) {}
  now(): number {
    return this.t
  }
  monotonic(): number {
    return this.t
  }
  advance(ms: number): void {
    this.t += ms
  }
}
