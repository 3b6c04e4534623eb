/**
 * Kafka's delayed-operation purgatory, reduced to what a single-threaded broker needs: an operation waits on
 * some keys (partitions) until `tryComplete` says it is done or its timeout fires; `checkAndComplete(key)` is
 * called whenever something it may be waiting for changes (an append, a high watermark move, a leader change).
 */
import type { ScheduledTask, Scheduler } from '../../util/scheduler.js'

export interface DelayedOperation {
  /** Returns true when the operation completed (it then produced its result itself). */
  tryComplete(): boolean
  /** Called once when the timeout fires before completion. */
  onExpiration(): void
}

interface Entry {
  readonly op: DelayedOperation
  readonly keys: readonly string[]
  done: boolean
  timer: ScheduledTask | undefined
}

export class Purgatory {
  private readonly watchers = new Map<string, Set<Entry>>()

  /** `name` is Kafka's purgatory name (Produce, Fetch, ...), also that of its expiration tasks. */
  constructor(
    readonly name: string,
    private readonly scheduler: Scheduler,
  ) {}

  /**
   * Completes the operation right away if it can; otherwise parks it on `keys` for at most `timeoutMs`.
   * Returns true when it completed immediately.
   */
  tryCompleteElseWatch(op: DelayedOperation, keys: readonly string[], timeoutMs: number): boolean {
    if (op.tryComplete()) return true
    const entry: Entry = { op, keys, done: false, timer: undefined }
    for (const k of keys) {
      let s = this.watchers.get(k)
      if (!s) this.watchers.set(k, (s = new Set()))
      s.add(entry)
    }
    entry.timer = this.scheduler.schedule(
      `${this.name}Purgatory`,
      () => {
        if (entry.done) return
        this.finish(entry)
        entry.op.onExpiration()
      },
      timeoutMs,
    )
    return false
  }

  private finish(entry: Entry): void {
    entry.done = true
    entry.timer?.cancel()
    for (const k of entry.keys) {
      const s = this.watchers.get(k)
      if (!s) continue
      s.delete(entry)
      if (s.size === 0) this.watchers.delete(k)
    }
  }

  /** Re-checks every operation waiting on `key`; returns how many completed. */
  checkAndComplete(key: string): number {
    const s = this.watchers.get(key)
    if (!s) return 0
    let n = 0
    for (const entry of [...s]) {
      if (entry.done) continue
      if (entry.op.tryComplete()) {
        this.finish(entry)
        n++
      }
    }
    return n
  }

  get size(): number {
    let n = 0
    for (const s of this.watchers.values()) n += s.size
    return n
  }

  /** Expires everything now (shutdown). */
  shutdown(): void {
    const all = new Set<Entry>()
    for (const s of this.watchers.values()) for (const e of s) all.add(e)
    for (const e of all) {
      if (e.done) continue
      this.finish(e)
      e.op.onExpiration()
    }
  }
}
