/**
 * One broker's view of the cluster's scheduler that can be frozen, as a process is by SIGSTOP: while paused,
 * nothing it scheduled runs — a task or a sleep that falls due waits — and on `resume()` everything that fell
 * due runs, once each (a periodic task that missed several periods runs once, then keeps its period). The clock
 * keeps moving meanwhile, as the wall clock does for a stopped process.
 */
import { sleepOn, type Clock, type ScheduledTask, type Scheduler, type Task } from '../util/scheduler.js'

interface Deferred {
  readonly name: string
  readonly task: Task
  /** The run scheduled at `resume()`, to cancel with the task. */
  handle?: ScheduledTask
}

export class PausableScheduler implements Scheduler {
  private paused = false
  /** Tasks that fell due while paused, in the order they did. */
  private readonly deferred = new Set<Deferred>()

  constructor(private readonly parent: Scheduler) {}

  get clock(): Clock {
    return this.parent.clock
  }

  get isPaused(): boolean {
    return this.paused
  }

  schedule(name: string, task: Task, delayMs: number, periodMs?: number): ScheduledTask {
    let missed: Deferred | undefined
    const inner = this.parent.schedule(
      name,
      () => {
        if (!this.paused) return task()
        if (!missed || !this.deferred.has(missed)) {
          missed = { name, task }
          this.deferred.add(missed)
        }
        return undefined
      },
      delayMs,
      periodMs,
    )
    return {
      cancel: () => {
        inner.cancel()
        if (missed) {
          this.deferred.delete(missed)
          missed.handle?.cancel()
        }
      },
    }
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal)
  }

  pause(): void {
    this.paused = true
  }

  /** Runs what fell due while paused (in the order it fell due, with no delay), then runs normally again. */
  resume(): void {
    if (!this.paused) return
    this.paused = false
    const due = [...this.deferred]
    this.deferred.clear()
    for (const d of due) d.handle = this.parent.schedule(d.name, d.task, 0)
  }
}
