/**
 * Kafka's LeaderEpochFileCache: (leader epoch → start offset) for one partition, checkpointed to
 * `leader-epoch-checkpoint`. Entries stay monotonic in both epoch and offset.
 */
import { existsSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Logger } from '../../util/logger.js'
import { silentLogger } from '../../util/logger.js'
import { CheckpointFile, epochEntryFormatter, type EpochEntry } from './checkpoint-file.js'
import { storageFault } from './storage-faults.js'

export const UNDEFINED_EPOCH = -1
export const UNDEFINED_EPOCH_OFFSET = -1

export class LeaderEpochFileCache {
  private epochs: EpochEntry[] = []
  private checkpoint: CheckpointFile<EpochEntry> | undefined
  /** The file lags behind the entries (a write failed for a full disk). */
  private dirty = false

  /** `path` undefined keeps the cache in memory only. */
  constructor(
    path: string | undefined,
    private readonly logger: Logger = silentLogger,
    private readonly logPrefix = '',
  ) {
    this.checkpoint = path === undefined ? undefined : new CheckpointFile(path, 0, epochEntryFormatter)
    if (this.checkpoint) for (const e of this.checkpoint.read()) this.assignEntry(e)
  }

  /** Assigns `epoch` to `startOffset`; an entry once assigned is not reassigned. Conflicting later entries go. */
  assign(epoch: number, startOffset: number): void {
    if (this.assignEntry({ epoch, startOffset })) this.writeToFile()
  }

  private isUpdateNeeded(e: EpochEntry): boolean {
    const latest = this.latestEntry()
    return latest === undefined || e.epoch !== latest.epoch || e.startOffset < latest.startOffset
  }

  private assignEntry(e: EpochEntry): boolean {
    if (e.epoch < 0 || e.startOffset < 0) {
      throw new Error(
        `Received invalid partition leader epoch entry EpochEntry(epoch=${e.epoch}, startOffset=${e.startOffset})`,
      )
    }
    if (!this.isUpdateNeeded(e)) return false
    // maybeTruncateNonMonotonicEntries
    const removed: EpochEntry[] = []
    while (this.epochs.length > 0) {
      const last = this.epochs[this.epochs.length - 1]!
      if (last.epoch >= e.epoch || last.startOffset >= e.startOffset) removed.push(this.epochs.pop()!)
      else break
    }
    if (removed.length > 1 || (removed.length === 1 && removed[0]!.startOffset !== e.startOffset)) {
      this.logger.warn(
        `${this.logPrefix}New epoch entry ${fmt(e)} caused truncation of conflicting entries ${removed.map(fmt).join(', ')}. ` +
          `Cache now contains ${this.epochs.length} entries.`,
      )
    }
    this.epochs.push({ epoch: e.epoch, startOffset: e.startOffset })
    return true
  }

  nonEmpty(): boolean {
    return this.epochs.length > 0
  }

  latestEntry(): EpochEntry | undefined {
    return this.epochs[this.epochs.length - 1]
  }

  latestEpoch(): number | undefined {
    return this.latestEntry()?.epoch
  }

  earliestEntry(): EpochEntry | undefined {
    return this.epochs[0]
  }

  /** The epoch before the latest one. */
  previousEpoch(): number | undefined {
    return this.epochs.length >= 2 ? this.epochs[this.epochs.length - 2]!.epoch : undefined
  }

  epochEntry(epoch: number): EpochEntry | undefined {
    return this.epochs.find((e) => e.epoch === epoch)
  }

  entries(): EpochEntry[] {
    return this.epochs.map((e) => ({ ...e }))
  }

  /**
   * OffsetForLeaderEpoch: the largest epoch ≤ `requestedEpoch` and its end offset (the start offset of the next
   * higher epoch, or the log end offset for the latest epoch). UNDEFINED (-1, -1) when the requested epoch is
   * undefined or above every known epoch; a requested epoch below every known epoch answers (requested, first start).
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: number): { epoch: number; endOffset: number } {
    if (requestedEpoch === UNDEFINED_EPOCH)
      return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET }
    const latest = this.latestEpoch()
    if (latest !== undefined && latest === requestedEpoch)
      return { epoch: requestedEpoch, endOffset: logEndOffset }
    const higher = this.epochs.find((e) => e.epoch > requestedEpoch)
    if (!higher) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET }
    let floor: EpochEntry | undefined
    for (const e of this.epochs) if (e.epoch <= requestedEpoch) floor = e
    if (!floor) return { epoch: requestedEpoch, endOffset: higher.startOffset }
    return { epoch: floor.epoch, endOffset: higher.startOffset }
  }

  /** Removes every entry whose start offset is ≥ `endOffset`. */
  truncateFromEnd(endOffset: number): void {
    const last = this.latestEntry()
    if (endOffset >= 0 && last !== undefined && last.startOffset >= endOffset) {
      const before = this.epochs.length
      this.epochs = this.epochs.filter((e) => e.startOffset < endOffset)
      this.logger.debug(
        `${this.logPrefix}Cleared ${before - this.epochs.length} entries from epoch cache after truncating to end offset ${endOffset}, leaving ${this.epochs.length} entries in the cache.`,
      )
      this.writeToFile()
    }
  }

  /**
   * Clears entries below `startOffset`: the last entry starting at or before it is kept, moved to `startOffset`
   * (exclusive: truncateFromStart(6) keeps an entry at offset 6).
   */
  truncateFromStart(startOffset: number): void {
    let lastRemoved: EpochEntry | undefined
    let removed = 0
    while (this.epochs.length > 0 && this.epochs[0]!.startOffset <= startOffset) {
      lastRemoved = this.epochs.shift()
      removed++
    }
    if (lastRemoved) {
      this.epochs.unshift({ epoch: lastRemoved.epoch, startOffset })
      // Only the first entry starting exactly at startOffset was "removed" and put back: nothing changed, and the
      // file already says so (a log loading at its start offset, each start-up: an fsync per partition saved).
      if (removed === 1 && lastRemoved.startOffset === startOffset && !this.dirty) return
      this.writeToFile()
    }
  }

  /** The epoch of `offset`: the latest entry starting at or before it. */
  epochForOffset(offset: number): number | undefined {
    let previous: number | undefined
    for (const e of this.epochs) {
      if (e.startOffset === offset) return e.epoch
      if (e.startOffset > offset) return previous
      previous = e.epoch
    }
    return previous
  }

  clearAndFlush(): void {
    this.epochs = []
    this.writeToFile()
  }

  clear(): void {
    this.epochs = []
  }

  /** Points the checkpoint at a new path (the partition directory was renamed). */
  relocate(path: string): void {
    if (this.checkpoint) this.checkpoint = new CheckpointFile(path, 0, epochEntryFormatter)
  }

  /**
   * Writes the checkpoint (skipped when the partition directory no longer exists, e.g. after deletion). On a full
   * disk the cache stays right in memory and the file is written again at the next change or flush
   * (writeIfDirty): it only matters after a restart, and must not fail the append or truncation that changed it.
   */
  writeToFile(): void {
    if (!this.checkpoint) return
    if (!existsSync(dirname(this.checkpoint.path))) return
    try {
      this.checkpoint.write(this.epochs)
      this.dirty = false
    } catch (e) {
      if (storageFault(e) !== 'full') throw e
      if (!this.dirty)
        this.logger.warn(`${this.logPrefix}Could not write ${this.checkpoint.path}: the disk is full`)
      this.dirty = true
    }
  }

  /** Writes the checkpoint if an earlier write was skipped for a full disk. */
  writeIfDirty(): void {
    if (this.dirty) this.writeToFile()
  }
}

function fmt(e: EpochEntry): string {
  return `EpochEntry(epoch=${e.epoch}, startOffset=${e.startOffset})`
}
