import { type Clock, systemClock } from './scheduler.js'

/**
 * Cooperative time slicing for work that is long only when a request is huge (a Metadata request naming a
 * million topics, a response listing as many): the work calls `due()` once per item (or per chunk of items) and awaits what it returns,
 * so after every `sliceMs` of work the event loop runs (other connections' requests, timers, replication) before
 * the work goes on. `due()` reads the clock only every 64 items; when the slice is not used up it returns
 * undefined, so the common case costs no promise at all.
 */
export class TimeSlicer {
  private started: number
  private calls = 0
  /** How many times the work gave way to the event loop. */
  yields = 0

  constructor(
    private readonly sliceMs = 5,
    private readonly clock: Clock = systemClock,
  ) {
    this.started = clock.monotonic()
  }

  /**
   * A promise to await when this slice is used up (it settles once the event loop has run), else undefined.
   * `items`: how much work was done since the last call, when it was more than one item (a chunk).
   */
  due(items = 1): Promise<void> | undefined {
    if ((this.calls += items) < 64) return undefined
    this.calls = 0
    if (this.clock.monotonic() - this.started < this.sliceMs) return undefined
    this.yields++
    return new Promise((resolve) =>
      setImmediate(() => {
        this.started = this.clock.monotonic()
        resolve()
      }),
    )
  }
}
