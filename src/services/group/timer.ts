/**
 * Cancellable timers for the coordinator's delayed operations (Kafka's heartbeat and rebalance purgatories).
 * The coordinator takes a `Timer` so that tests can drive time with `ManualTimer`.
 */
import type { ManualClock } from '../../util/clock.js'

export interface TimerHandle {
  /** Prevents the task from running; a no-op once it ran or was cancelled. */
  cancel(): void
}

export interface Timer {
  /** Runs `fn` once after `delayMs` (a delay of 0 or less runs it on a later turn, never synchronously). */
  schedule(delayMs: number, fn: () => void): TimerHandle
}

/** Node's setTimeout fires at once for delays above 2^31-1 ms; longer delays are chained. */
const MAX_NODE_DELAY = 2_147_483_647

/** Node's timers; they do not keep the process alive. */
export const systemTimer: Timer = {
  schedule(delayMs, fn) {
    let t: NodeJS.Timeout | undefined
    const arm = (remaining: number): void => {
      const step = Math.min(Math.max(0, remaining), MAX_NODE_DELAY)
      t = setTimeout(() => (remaining > step ? arm(remaining - step) : fn()), step)
      t.unref()
    }
    arm(delayMs)
    return { cancel: () => clearTimeout(t) }
  },
}

interface ManualTask {
  readonly at: number
  readonly seq: number
  readonly fn: () => void
  cancelled: boolean
}

/**
 * A timer driven by a `ManualClock`: tasks run only inside `advance`, in deadline order (then scheduling
 * order), with the clock set to each task's deadline while it runs.
 */
export class ManualTimer implements Timer {
  private tasks: ManualTask[] = []
  private seq = 0

  constructor(readonly clock: ManualClock) {}

  schedule(delayMs: number, fn: () => void): TimerHandle {
    const task: ManualTask = {
      at: this.clock.monotonic() + Math.max(0, delayMs),
      seq: this.seq++,
      fn,
      cancelled: false,
    }
    this.tasks.push(task)
    return {
      cancel: () => {
        task.cancelled = true
      },
    }
  }

  /** Moves time forward by `ms` (0 runs what is due now), running every task that falls due on the way. */
  advance(ms: number): void {
    const target = this.clock.monotonic() + ms
    for (;;) {
      this.tasks = this.tasks.filter((t) => !t.cancelled)
      let next: ManualTask | undefined
      for (const t of this.tasks) {
        if (
          t.at <= target &&
          (next === undefined || t.at < next.at || (t.at === next.at && t.seq < next.seq))
        ) {
          next = t
        }
      }
      if (next === undefined) break
      const now = this.clock.monotonic()
      if (next.at > now) this.clock.advance(next.at - now)
      next.cancelled = true
      next.fn()
    }
    const now = this.clock.monotonic()
    if (target > now) this.clock.advance(target - now)
  }

  /** Number of scheduled tasks that have neither run nor been cancelled. */
  get pending(): number {
    return this.tasks.filter((t) => !t.cancelled).length
  }
}
