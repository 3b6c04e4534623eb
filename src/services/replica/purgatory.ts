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
  /** The level each key must reach before the operation can complete through it (see tryCompleteElseWatch). */
  readonly levels: readonly number[] | undefined
  done: boolean
  timer: ScheduledTask | undefined
}

interface Leveled {
  readonly level: number
  readonly entry: Entry
}

export class Purgatory {
  private readonly watchers = new Map<string, Set<Entry>>()
  /** Per key, the operations that gave a level for it, by level (lowest first); finished ones are dropped lazily. */
  private readonly byLevel = new Map<string, Leveled[]>()
  /** Per key, how many watching operations gave no level for it (a levelled check must try those too). */
  private readonly unleveled = new Map<string, number>()

  /** `name` is Kafka's purgatory name (Produce, Fetch, ...), also that of its expiration tasks. */
  constructor(
    readonly name: string,
    private readonly scheduler: Scheduler,
  ) {}

  /**
   * Completes the operation right away if it can; otherwise parks it on `keys` for at most `timeoutMs`.
   * Returns true when it completed immediately.
   *
   * `levels` (one per key), when given, promise that the operation cannot complete through keys[i] before that key
   * reaches levels[i] (an acks=all produce: the partition's high watermark passing its records), so that a levelled
   * checkAndComplete(key, reached) tries only the operations it can complete — in level order — instead of every
   * operation parked on the key (hundreds of pipelined produces re-checked at every high watermark step).
   */
  tryCompleteElseWatch(
    op: DelayedOperation,
    keys: readonly string[],
    timeoutMs: number,
    levels?: readonly number[],
  ): boolean {
    if (op.tryComplete()) return true
    const entry: Entry = { op, keys, levels, done: false, timer: undefined }
    keys.forEach((k, i) => {
      let s = this.watchers.get(k)
      if (!s) this.watchers.set(k, (s = new Set()))
      s.add(entry)
      const level = levels?.[i]
      if (level === undefined) {
        this.unleveled.set(k, (this.unleveled.get(k) ?? 0) + 1)
        return
      }
      let list = this.byLevel.get(k)
      if (!list) this.byLevel.set(k, (list = []))
      // usually the highest level yet (offsets grow): appended; otherwise inserted in order
      let at = list.length
      while (at > 0 && list[at - 1]!.level > level) at--
      if (at === list.length) list.push({ level, entry })
      else list.splice(at, 0, { level, entry })
      // operations that finished otherwise (timed out, completed through another key) stay listed until their
      // level is reached: drop them once they are the majority, so a level that stays put cannot grow the list
      if (list.length > 64 && list.length > 2 * s.size)
        this.byLevel.set(
          k,
          list.filter((l) => !l.entry.done),
        )
    })
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
    entry.keys.forEach((k, i) => {
      const s = this.watchers.get(k)
      if (!s) return
      s.delete(entry)
      if (entry.levels?.[i] === undefined) {
        const n = (this.unleveled.get(k) ?? 1) - 1
        if (n > 0) this.unleveled.set(k, n)
        else this.unleveled.delete(k)
      }
      if (s.size === 0) {
        this.watchers.delete(k)
        this.byLevel.delete(k) // only finished operations were left in it
      }
    })
  }

  /**
   * Re-checks the operations waiting on `key`; returns how many completed. With `reached` (the key's new level,
   * e.g. a high watermark that moved), only those whose level for the key it reaches, and those that gave none;
   * without, every one (a leadership or ISR change can complete any of them).
   */
  checkAndComplete(key: string, reached?: number): number {
    const s = this.watchers.get(key)
    if (!s) return 0
    if (reached !== undefined) return this.checkLeveled(key, s, reached)
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

  private checkLeveled(key: string, s: Set<Entry>, reached: number): number {
    let n = 0
    const list = this.byLevel.get(key)
    if (list) {
      let i = 0
      while (i < list.length && list[i]!.level <= reached) i++
      // this key no longer holds these back: off the level list whether they complete now or wait on other keys
      const due = list.splice(0, i)
      for (const { entry } of due) {
        if (entry.done) continue
        if (entry.op.tryComplete()) {
          this.finish(entry)
          n++
        }
      }
    }
    if (this.unleveled.has(key)) {
      for (const entry of [...s]) {
        if (entry.done || entry.levels?.[entry.keys.indexOf(key)] !== undefined) continue
        if (entry.op.tryComplete()) {
          this.finish(entry)
          n++
        }
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
