import type { ManualClock } from '../../util/clock.js'
import type { Logger } from '../../util/logger.js'
import { silentLogger } from '../../util/logger.js'

/** A scheduled task; `cancel` is idempotent. */
export interface ScheduledTask {
  cancel(): void
}

/**
 * Kafka's Scheduler: runs named background tasks once after `delayMs`, or every `periodMs` after that when a
 * period is given. Tasks run on the event loop; a task that throws is logged and (if periodic) keeps running.
 */
export interface Scheduler {
  schedule(name: string, task: () => void, delayMs: number, periodMs?: number): ScheduledTask
}

/** A scheduler on node timers (unref'd, so it never keeps the process alive). */
export class TimerScheduler implements Scheduler {
  private readonly tasks = new Set<{ cancel(): void }>()

  constructor(private readonly logger: Logger = silentLogger) {}

  schedule(name: string, task: () => void, delayMs: number, periodMs?: number): ScheduledTask {
    let timer: NodeJS.Timeout | undefined
    let cancelled = false
    const run = (): void => {
      try {
        task()
      } catch (e) {
        this.logger.error({ err: e }, `Uncaught exception in scheduled task '${name}'`)
      }
    }
    const handle = {
      cancel: () => {
        cancelled = true
        if (timer) clearTimeout(timer)
        this.tasks.delete(handle)
      },
    }
    const clampDelay = (ms: number): number => Math.min(Math.max(0, ms), 2 ** 31 - 1)
    timer = setTimeout(() => {
      if (cancelled) return
      if (periodMs !== undefined && periodMs > 0) {
        if (periodMs >= 2 ** 31 - 1) {
          run()
          this.tasks.delete(handle)
          return
        }
        timer = setInterval(() => {
          if (!cancelled) run()
        }, periodMs)
        timer.unref()
        run()
      } else {
        this.tasks.delete(handle)
        run()
      }
    }, clampDelay(delayMs))
    timer.unref()
    this.tasks.add(handle)
    return handle
  }

  /** Cancels every pending task. */
  shutdown(): void {
    for (const t of [...this.tasks]) t.cancel()
  }
}

interface ManualTask {
  name: string
  task: () => void
  due: number
  periodMs: number | undefined
  cancelled: boolean
}

/** A scheduler for tests: tasks run only when `tick` advances the clock past their due time. */
export class ManualScheduler implements Scheduler {
  private tasks: ManualTask[] = []

  constructor(readonly clock: ManualClock) {}

  schedule(name: string, task: () => void, delayMs: number, periodMs?: number): ScheduledTask {
    const t: ManualTask = {
      name,
      task,
      due: this.clock.now() + Math.max(0, delayMs),
      periodMs,
      cancelled: false,
    }
    this.tasks.push(t)
    return {
      cancel: () => {
        t.cancelled = true
      },
    }
  }

  /** Advances the clock by `ms` and runs every task that became due, in due order. */
  tick(ms = 0): void {
    const target = this.clock.now() + ms
    for (;;) {
      this.tasks = this.tasks.filter((t) => !t.cancelled)
      const due = this.tasks.filter((t) => t.due <= target).sort((a, b) => a.due - b.due)[0]
      if (!due) break
      if (due.due > this.clock.now()) this.clock.advance(due.due - this.clock.now())
      if (due.periodMs !== undefined && due.periodMs > 0) due.due += due.periodMs
      else due.cancelled = true
      due.task()
    }
    if (target > this.clock.now()) this.clock.advance(target - this.clock.now())
  }

  /** Names of tasks still pending. */
  pending(): string[] {
    return this.tasks.filter((t) => !t.cancelled).map((t) => t.name)
  }
}
