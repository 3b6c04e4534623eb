/**
 * Time and scheduling for every service of the broker: one injectable `Scheduler` (with its `Clock`), as Kafka's
 * services share one `Time` and one `KafkaScheduler`.
 *
 * - `SystemScheduler` runs tasks on Node's timers (unref'd, so they never keep the process alive; delays above
 *   Node's 2^31-1 ms limit are chained).
 * - `ManualScheduler` moves time only inside `await advance(ms)`, which runs what falls due in deadline order (then
 *   scheduling order) with its clock set to each task's deadline; it awaits a task's promise and lets pending
 *   promise jobs run before the next task, so a test sees time move as if every task took no time at all. A task
 *   scheduled with no delay needs no time to pass: it runs by itself on a later turn.
 * - `ScopedScheduler` is one owner's view of a shared scheduler: `shutdown()` cancels what was scheduled through it
 *   and wakes its sleepers (a broker's tasks end with the broker, as Kafka's `kafkaScheduler.shutdown()`).
 *
 * Rules for tasks (see DEVELOPERS.md, "Time and scheduling"):
 * - A task runs on a later turn of the event loop, never synchronously inside `schedule`.
 * - An error thrown (or a promise rejected) by a task is logged; a periodic task keeps running.
 * - A periodic task never overlaps itself: a run whose promise is still pending delays the next run until it settles.
 * - The promise a task returns must settle without more time passing (disk or network work, not a wait on this
 *   scheduler): `ManualScheduler.advance` awaits it before it moves the clock on. Work that waits on time (an append
 *   waiting for acks, a sleep) is started by the task, not returned from it.
 */
import type { Logger } from './logger.js'
import { silentLogger } from './logger.js'

/** Wall-clock and monotonic time (Kafka's `Time`). */
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

/**
 * A clock that only moves when told to. On its own it serves code that only reads time; with a `ManualScheduler`
 * move time with the scheduler's `advance`, which runs what falls due on the way.
 */
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

/** A scheduled task; `cancel` is idempotent and a no-op once a one-shot task ran. */
export interface ScheduledTask {
  cancel(): void
}

/** What a task may return: nothing, or a promise the scheduler waits for (see the rules above). */
export type Task = () => unknown

export interface Scheduler {
  /** The clock this scheduler's deadlines are measured on. */
  readonly clock: Clock
  /**
   * Kafka's `Scheduler.schedule`: runs `task` once after `delayMs` or, with a positive `periodMs`, after `delayMs` and
   * then every `periodMs`. `name` identifies it in logs and in `ManualScheduler.pending()`.
   */
  schedule(name: string, task: Task, delayMs: number, periodMs?: number): ScheduledTask
  /** Resolves after `ms`, or early when `signal` aborts (or the scope it came from shuts down); never rejects. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

/** Node's setTimeout fires at once for delays above 2^31-1 ms; longer delays are chained. */
const MAX_NODE_DELAY = 2_147_483_647

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function'

/** Runs a task, logging what it throws; returns its promise (never rejecting) when it returned one. */
function runTask(name: string, task: Task, logger: Logger): Promise<void> | undefined {
  const fail = (e: unknown): void =>
    logger.error({ err: e }, `Uncaught exception in scheduled task '${name}'`)
  try {
    const r = task()
    if (isThenable(r)) return Promise.resolve(r).then(() => undefined, fail)
  } catch (e) {
    fail(e)
  }
  return undefined
}

/** `sleep` in terms of `schedule`, for any scheduler. */
export function sleepOn(s: Scheduler, ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.resolve()
  return new Promise((resolve) => {
    const wake = (): void => {
      task.cancel()
      signal?.removeEventListener('abort', wake)
      resolve()
    }
    const task = s.schedule('sleep', wake, ms)
    signal?.addEventListener('abort', wake, { once: true })
  })
}

/**
 * One task's life on a scheduler: its next deadline, whether a run is in flight, its cancellation. Both
 * implementations share it so that one-shot, periodic and overlapping-run behaviour is the same on both.
 */
class TaskState implements ScheduledTask {
  cancelled = false
  running = false

  constructor(
    readonly name: string,
    readonly task: Task,
    /** the next deadline, on the scheduler clock's monotonic time */
    public due: number,
    readonly periodMs: number | undefined,
    private readonly onCancel: (t: TaskState) => void,
  ) {}

  get periodic(): boolean {
    return this.periodMs !== undefined && this.periodMs > 0
  }

  cancel(): void {
    if (this.cancelled) return
    this.cancelled = true
    this.onCancel(this)
  }

  /**
   * Runs the task once; calls `next` with the following deadline when it is periodic (after the run's promise
   * settled, never earlier than `now()` then), or retires it.
   */
  fire(logger: Logger, now: () => number, next: (t: TaskState) => void): Promise<void> | undefined {
    if (!this.periodic) this.cancelled = true
    this.running = true
    const p = runTask(this.name, this.task, logger)
    const after = (): void => {
      this.running = false
      if (this.cancelled) return
      this.due = Math.max(this.due + this.periodMs!, now())
      next(this)
    }
    if (!this.periodic) {
      if (!p) this.running = false
      else return p.then(() => void (this.running = false))
      return undefined
    }
    if (p) return p.then(after)
    after()
    return undefined
  }
}

/** The real scheduler: Node's timers, unref'd; the clock is `systemClock` unless another is given. */
export class SystemScheduler implements Scheduler {
  private readonly timers = new Map<TaskState, NodeJS.Timeout>()

  constructor(
    private readonly logger: Logger = silentLogger,
    readonly clock: Clock = systemClock,
  ) {}

  schedule(name: string, task: Task, delayMs: number, periodMs?: number): ScheduledTask {
    const t = new TaskState(name, task, this.clock.monotonic() + Math.max(0, delayMs), periodMs, (s) => {
      clearTimeout(this.timers.get(s))
      this.timers.delete(s)
    })
    this.arm(t)
    return t
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal)
  }

  private arm(t: TaskState): void {
    const wait = Math.max(0, t.due - this.clock.monotonic())
    const step = Math.min(wait, MAX_NODE_DELAY)
    const timer = setTimeout(() => {
      if (t.cancelled) return
      if (wait > step) return this.arm(t)
      this.timers.delete(t)
      void t.fire(
        this.logger,
        () => this.clock.monotonic(),
        (s) => this.arm(s),
      )
    }, step)
    timer.unref()
    this.timers.set(t, timer)
  }
}

/**
 * Node's timers, for the few waits that must stay on real time whatever scheduler a broker runs on (see
 * DEVELOPERS.md): bounds on what the operating system or an outside process (ZooKeeper) does. Its tasks must not
 * throw (it logs nothing).
 */
export const systemScheduler: Scheduler = new SystemScheduler()

/**
 * A scheduler for tests and for brokers on manual time: the clock moves only with `advance`, and a task runs when
 * an `advance` reaches its deadline — or, when it was scheduled with a delay of 0, on a later turn by itself. The
 * clock starts at the current wall-clock time unless one is given (so that record timestamps of real clients are
 * not in its future).
 */
export class ManualScheduler implements Scheduler {
  readonly clock: ManualClock
  private readonly tasks = new Set<TaskState>()
  private seq = 0
  private readonly order = new WeakMap<TaskState, number>()
  private advancing: Promise<void> = Promise.resolve()
  private dueSoon = false

  constructor(
    clock?: ManualClock,
    private readonly logger: Logger = silentLogger,
  ) {
    this.clock = clock ?? new ManualClock(Date.now())
  }

  schedule(name: string, task: Task, delayMs: number, periodMs?: number): ScheduledTask {
    const t = new TaskState(name, task, this.clock.monotonic() + Math.max(0, delayMs), periodMs, (s) =>
      this.tasks.delete(s),
    )
    this.enlist(t)
    if (delayMs <= 0) this.runDueSoon()
    return t
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal)
  }

  /**
   * A task due now (a delay of 0) needs no time to pass: it runs on a later turn by itself, as `advance(0)` would
   * run it — otherwise a broker on manual time would wait for the test even for what Kafka does at once (a
   * JoinGroup with group.initial.rebalance.delay.ms=0, a produce with timeout 0).
   */
  private runDueSoon(): void {
    if (this.dueSoon) return
    this.dueSoon = true
    setImmediate(() => {
      this.dueSoon = false
      void this.advance(0)
    })
  }

  private enlist(t: TaskState): void {
    this.order.set(t, this.seq++)
    this.tasks.add(t)
  }

  /** The task to run next: the earliest deadline at or before `limit`, then the earliest scheduled. */
  private nextDue(limit: number): TaskState | undefined {
    let next: TaskState | undefined
    for (const t of this.tasks) {
      if (t.cancelled || t.running || t.due > limit) continue
      if (
        next === undefined ||
        t.due < next.due ||
        (t.due === next.due && this.order.get(t)! < this.order.get(next)!)
      )
        next = t
    }
    return next
  }

  /**
   * Moves time forward by `ms` (0 runs what is due now), running every task that falls due on the way — including
   * those scheduled by the tasks themselves — one at a time with the clock at its deadline. After each task its
   * promise is awaited and pending promise jobs and immediates run, so what it started has happened before the next
   * task and before `advance` resolves. Calls made while one is in progress run after it.
   */
  advance(ms: number): Promise<void> {
    const run = this.advancing.then(() => this.doAdvance(ms))
    this.advancing = run.catch(() => {})
    return run
  }

  private async doAdvance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new Error(`cannot advance time by ${ms} ms`)
    const target = this.clock.monotonic() + ms
    await settle()
    for (;;) {
      const t = this.nextDue(target)
      if (!t) break
      const now = this.clock.monotonic()
      if (t.due > now) this.clock.advance(t.due - now)
      this.tasks.delete(t)
      const p = t.fire(
        this.logger,
        () => this.clock.monotonic(),
        (s) => this.enlist(s),
      )
      if (p) await p
      await settle()
    }
    const now = this.clock.monotonic()
    if (target > now) this.clock.advance(target - now)
    await settle()
  }

  /** Names of the tasks still to run (sleeps included, as 'sleep'), in deadline order. */
  pending(): string[] {
    return [...this.tasks]
      .filter((t) => !t.cancelled)
      .sort((a, b) => a.due - b.due || this.order.get(a)! - this.order.get(b)!)
      .map((t) => t.name)
  }

  /** Milliseconds until the earliest pending task is due (0 when overdue), undefined when nothing is pending. */
  nextDeadlineIn(): number | undefined {
    let min: number | undefined
    for (const t of this.tasks) if (!t.cancelled && (min === undefined || t.due < min)) min = t.due
    return min === undefined ? undefined : Math.max(0, min - this.clock.monotonic())
  }
}

/** Lets every pending promise job, and whatever it queues with setImmediate, run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/**
 * One owner's tasks on a shared scheduler: `shutdown()` cancels every task scheduled through it and wakes every
 * sleeper; tasks scheduled after that never run. Errors of its tasks are logged with its logger.
 */
export class ScopedScheduler implements Scheduler {
  private readonly tasks = new Set<ScheduledTask>()
  private readonly stop = new AbortController()

  constructor(
    readonly parent: Scheduler,
    private readonly logger: Logger = silentLogger,
  ) {}

  get clock(): Clock {
    return this.parent.clock
  }

  get isShutdown(): boolean {
    return this.stop.signal.aborted
  }

  schedule(name: string, task: Task, delayMs: number, periodMs?: number): ScheduledTask {
    if (this.isShutdown) return { cancel: () => {} }
    const periodic = periodMs !== undefined && periodMs > 0
    const inner = this.parent.schedule(
      name,
      () => {
        if (!periodic) this.tasks.delete(handle)
        return runTask(name, task, this.logger)
      },
      delayMs,
      periodMs,
    )
    const handle: ScheduledTask = {
      cancel: () => {
        inner.cancel()
        this.tasks.delete(handle)
      },
    }
    this.tasks.add(handle)
    return handle
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (!signal) return this.parent.sleep(ms, this.stop.signal)
    if (signal.aborted || this.isShutdown) return Promise.resolve()
    const both = new AbortController()
    const wake = (): void => both.abort()
    signal.addEventListener('abort', wake, { once: true })
    this.stop.signal.addEventListener('abort', wake, { once: true })
    return this.parent.sleep(ms, both.signal).finally(() => {
      signal.removeEventListener('abort', wake)
      this.stop.signal.removeEventListener('abort', wake)
    })
  }

  /** Cancels every task of this scope and wakes its sleepers. */
  shutdown(): void {
    this.stop.abort()
    for (const t of [...this.tasks]) t.cancel()
  }
}
