/**
 * Kafka's ReplicaAlterLogDirsManager / ReplicaAlterLogDirsThread: moves a replica between the log directories of this
 * broker (AlterReplicaLogDirs). The log manager holds a future log in the target directory
 * (`<topic>-<partition>.<uniqueId>-future`); one copy loop per moving partition fills it from the current log as a
 * follower would from a leader:
 *
 *  - it reads the current log from the future log's end on libuv's thread pool (Log.planRead / readPlanned), in
 *    chunks of at most replica.fetch.max.bytes (one second's worth of the throttle, one segment), and appends them with
 *    their offsets and epochs (appendAsFollower), so that leader epochs, producer state and transaction indexes are
 *    rebuilt in the future log as on a follower;
 *  - what the current log loses meanwhile is lost in the future log too: a truncation (leader-epoch based, as a
 *    follower's against its leader, repeated until it converges) and a raised log start offset;
 *  - `replica.alter.log.dirs.io.max.bytes.per.second` bounds the copy (a quota over every move of the broker);
 *  - once the future log has caught up with the current log's end, `swap` replaces the current log in the same
 *    synchronous step (nothing can append in between: appends are synchronous on the event loop).
 *
 * Produce and fetch go on against the current log throughout. The loop stops when the partition's current or future
 * log goes away (replica stopped or deleted, move cancelled, directory failed) or on shutdown.
 */
import type { Logger } from '../../util/logger.js'
import type { Scheduler } from '../../util/scheduler.js'
import { fetchBufferPool } from '../../util/buffer-pool.js'
import type { Log } from '../log/log.js'
import type { Partition } from './partition.js'
import { completeBatchesLength } from '../../protocol/records/batch.js'

/** The throttle of replica moves (a ReplicationQuotaManager bound to replica.alter.log.dirs.io.max.bytes.per.second). */
export interface AlterLogDirsQuota {
  isQuotaExceeded(): boolean
  record(bytes: number): void
}

export interface AlterLogDirsOptions {
  readonly scheduler: Scheduler
  readonly log: Logger
  /** The future log of a partition now (undefined once the move was cancelled or the replica deleted). */
  readonly futureLogOf: (p: Partition) => Log | undefined
  /** Replaces the partition's current log with its future log; called when the future log has caught up. */
  readonly swap: (p: Partition) => void
  readonly quota?: AlterLogDirsQuota
  /** The bound of the quota, bytes per second (to size the chunks); Long.MAX_VALUE: none. */
  readonly rate?: () => number
  /** replica.fetch.max.bytes: the largest chunk */
  readonly chunkBytes: number
  /** How long the loop waits while the throttle is exceeded or after an error (replica.fetch.backoff.ms). */
  readonly backoffMs: number
}

interface Move {
  readonly p: Partition
  readonly future: Log
  readonly abort: AbortController
  done: Promise<void>
}

/** At most this many truncation rounds per step (each one strictly shortens the future log or its epochs). */
const MAX_TRUNCATION_ROUNDS = 64

export class ReplicaAlterLogDirsManager {
  private readonly moves = new Map<string, Move>()
  private stopped = false

  constructor(private readonly opts: AlterLogDirsOptions) {}

  /** Starts (or keeps) copying `p`'s current log into its future log `future`. */
  add(p: Partition, future: Log): void {
    if (this.stopped) return
    const existing = this.moves.get(p.key)
    if (existing?.future === future && existing.p === p) return
    if (existing) existing.abort.abort()
    const m: Move = { p, future, abort: new AbortController(), done: Promise.resolve() }
    this.moves.set(p.key, m)
    this.opts.log.info(
      `[ReplicaAlterLogDirsManager] Moving ${p.key} from ${p.log?.parentDir} to ${future.parentDir} (future log ${future.dir})`,
    )
    m.done = this.run(m).finally(() => {
      if (this.moves.get(p.key) === m) this.moves.delete(p.key)
    })
  }

  /** Stops the copy of a partition (the future log stays where it is). */
  remove(key: string): void {
    const m = this.moves.get(key)
    if (!m) return
    this.moves.delete(key)
    m.abort.abort()
  }

  /** Whether a copy loop runs for the partition. */
  has(key: string): boolean {
    return this.moves.has(key)
  }

  async shutdown(): Promise<void> {
    this.stopped = true
    const all = [...this.moves.values()]
    this.moves.clear()
    for (const m of all) m.abort.abort()
    await Promise.all(all.map((m) => m.done))
  }

  private live(m: Move): Log | undefined {
    const current = m.p.log
    if (m.abort.signal.aborted || !current || current.isClosed || m.future.isClosed) return undefined
    if (this.opts.futureLogOf(m.p) !== m.future) return undefined
    return current
  }

  /** At most replica.fetch.max.bytes, one second of the throttle, and one segment (an append never spans two). */
  private chunkBytes(future: Log): number {
    const rate = this.opts.rate?.() ?? Number.MAX_SAFE_INTEGER
    return Math.max(1, Math.min(this.opts.chunkBytes, rate, future.config.segmentBytes))
  }

  private async run(m: Move): Promise<void> {
    const { future } = m
    const signal = m.abort.signal
    let flushed = false
    let lastError: string | undefined
    for (;;) {
      const current = this.live(m)
      if (!current) return
      let wait = false
      try {
        this.reconcile(current, future)
        if (future.logEndOffset === current.logEndOffset) {
          if (!flushed) {
            // Most of the copy reaches the disk off the event loop before the swap; what is appended after this
            // is recovered like any log's unflushed tail.
            flushed = true
            await future.flushAsync(future.logEndOffset)
            continue
          }
          this.opts.swap(m.p)
          return
        }
        if (this.opts.quota?.isQuotaExceeded()) {
          await this.opts.scheduler.sleep(this.opts.backoffMs, signal)
          continue
        }
        const from = future.logEndOffset
        const plan = current.planRead(from, { maxBytes: this.chunkBytes(future), minOneMessage: true })
        const records = await current.readPlanned(plan)
        if (records === undefined) continue // the current log changed while it was read: plan again
        try {
          if (this.live(m) !== current || future.logEndOffset !== from) continue
          const n = completeBatchesLength(records)
          if (n > 0) {
            this.append(current, future, records.subarray(0, n))
            this.opts.quota?.record(n)
          } else wait = true
        } finally {
          fetchBufferPool.release(records)
        }
        lastError = undefined
      } catch (e) {
        if (!this.live(m)) return
        const msg = (e as Error).message
        if (msg !== lastError) {
          lastError = msg
          this.opts.log.warn(
            { err: e },
            `[ReplicaAlterLogDirsThread] Error copying ${m.p.key} into its future log ${future.dir}; retrying`,
          )
        }
        wait = true
      }
      if (wait) await this.opts.scheduler.sleep(this.opts.backoffMs, signal)
    }
  }

  /** Appends batches read from the current log to the future log, as a follower appends its leader's. */
  private append(current: Log, future: Log, records: Buffer): void {
    const base = Number(records.readBigInt64BE(0))
    if (base < future.logEndOffset) {
      // The batch holding the log start offset may begin below it: an empty future log starts at the batch.
      if (future.logEndOffset === future.logStartOffset) future.truncateFullyAndStartAt(base)
      else future.truncateTo(base)
    }
    future.appendAsFollower(records)
    future.updateHighWatermark(Math.min(current.highWatermark, future.logEndOffset))
    if (current.logStartOffset > future.logStartOffset && current.logStartOffset <= future.highWatermark)
      future.maybeIncrementLogStartOffset(current.logStartOffset, 'LeaderOffsetIncremented')
  }

  /**
   * Makes the future log a prefix of the current one again after the current log was truncated (a follower's
   * truncation, a leader change) or lost its start (retention, DeleteRecords): the leader-epoch comparison a follower
   * makes against its leader (OffsetForLeaderEpoch), repeated until the epochs agree.
   */
  private reconcile(current: Log, future: Log): void {
    for (let round = 0; round < MAX_TRUNCATION_ROUNDS; round++) {
      if (future.logEndOffset > current.logEndOffset) {
        future.truncateTo(current.logEndOffset)
        continue
      }
      const entries = future.leaderEpochEntries()
      const last = entries[entries.length - 1]
      if (last === undefined) break
      const ours = current.endOffsetForEpoch(last.epoch)
      // The current log no longer has this epoch: everything of it in the future log diverged.
      const target =
        ours === undefined || ours.epoch !== last.epoch
          ? last.startOffset
          : Math.min(ours.endOffset, future.logEndOffset)
      if (target >= future.logEndOffset) break
      this.opts.log.info(
        `[ReplicaAlterLogDirsThread] Truncating the future log of ${future.name} to ${target} (epoch ${last.epoch} of the current log ends at ${ours?.endOffset ?? 'none'})`,
      )
      future.truncateTo(target)
    }
    if (future.logEndOffset < current.logStartOffset) future.truncateFullyAndStartAt(current.logStartOffset)
  }
}
