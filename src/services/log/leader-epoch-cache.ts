/**
 * Kafka's LeaderEpochFileCache: (leader epoch → start offset) for one partition, checkpointed to
 * `leader-epoch-checkpoint`. Entries stay monotonic in both epoch and offset.
 */
import { close, existsSync, openSync, renameSync, unlinkSync, write } from 'node:fs'
import { dirname } from 'node:path'
import { promisify } from 'node:util'
import type { Logger } from '../../util/logger.js'
import { silentLogger } from '../../util/logger.js'
import { CheckpointFile, epochEntryFormatter, type EpochEntry } from './checkpoint-file.js'
import {
  fdatasyncAsync,
  flushDirAsync,
  isErrno,
  simulatedDiskFaults,
  withSmallFileSlot,
} from './file-utils.js'
import { storageFault } from './storage-faults.js'

export const UNDEFINED_EPOCH = -1
export const UNDEFINED_EPOCH_OFFSET = -1

export class LeaderEpochFileCache {
  private epochs: EpochEntry[] = []
  private checkpoint: CheckpointFile<EpochEntry> | undefined
  /** The file lags behind the entries (a write failed for a full disk). */
  private dirty = false
  /**
   * Versions of the entries: bumped by every change; `written` is the version the file was last replaced with,
   * `durable` the version known to be on disk (file and directory entry fsynced). An asynchronous write renames its
   * file into place only while it is still newer than what a synchronous write put there.
   */
  private version = 0
  private writtenVersion = 0
  private durableVersion = 0
  /** the chain of asynchronous writes (assign's); `writeQueued` while one waits that has not taken its snapshot */
  private asyncWrites: Promise<void> = Promise.resolve()
  private writeQueued = false
  private closed = false

  /**
   * `path` undefined keeps the cache in memory only. `onAsyncWriteError` hears of an asynchronous write that
   * failed other than for a full disk or a deleted directory (the log reports it as a storage fault).
   */
  constructor(
    path: string | undefined,
    private readonly logger: Logger = silentLogger,
    private readonly logPrefix = '',
    private readonly onAsyncWriteError: (e: unknown) => void = () => undefined,
  ) {
    this.checkpoint = path === undefined ? undefined : new CheckpointFile(path, 0, epochEntryFormatter)
    if (this.checkpoint) for (const e of this.checkpoint.read()) this.assignEntry(e)
    // the file holds what was just read from it: not lagging (else every log's first flush after a start-up, and
    // its close at shutdown, rewrote an unchanged file — 11,000 writes of two fsyncs each with 10,000 partitions)
    this.writtenVersion = this.durableVersion = this.version
  }

  /**
   * Assigns `epoch` to `startOffset`; an entry once assigned is not reassigned. Conflicting later entries go.
   * The checkpoint is written on libuv's pool, not on the event loop (a leader election over thousands of
   * partitions must not wait for two fsyncs per partition): until it is, a crash loses the entry from the file, and
   * nothing Kafka would keep goes with it — the load truncates the cache to the log end offset, so an entry with no
   * records after it goes anyway, and records after it lie above the recovery point (the log waits for
   * `flushed()` before its recovery point passes them), where recovery reassigns their epochs from the batches.
   */
  assign(epoch: number, startOffset: number): void {
    if (this.assignEntry({ epoch, startOffset })) this.writeLater()
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
    this.version++
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

  /** Removes every entry whose start offset is ≥ `endOffset`, and writes the file at once. */
  truncateFromEnd(endOffset: number): void {
    if (this.removeFrom(endOffset)) this.writeToFile()
  }

  /**
   * truncateFromEnd() with the file written off the event loop (Kafka's truncateFromEndAsyncFlush, as its log
   * loader uses it): a log's load drops entries at or above its end offset, and a crash before the write lands drops
   * the same entries at the next load. With thousands of partitions, each empty log with an entry cost two fsyncs
   * on the event loop at every start-up.
   */
  truncateFromEndAsyncFlush(endOffset: number): void {
    if (this.removeFrom(endOffset)) this.writeLater()
  }

  private removeFrom(endOffset: number): boolean {
    const last = this.latestEntry()
    if (endOffset < 0 || last === undefined || last.startOffset < endOffset) return false
    const before = this.epochs.length
    this.epochs = this.epochs.filter((e) => e.startOffset < endOffset)
    this.version++
    this.logger.debug(
      `${this.logPrefix}Cleared ${before - this.epochs.length} entries from epoch cache after truncating to end offset ${endOffset}, leaving ${this.epochs.length} entries in the cache.`,
    )
    return true
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
      // file already says so, or will once a pending write lands (a log loading at its start offset, each
      // start-up: an fsync per partition saved).
      const unchanged = removed === 1 && lastRemoved.startOffset === startOffset
      if (unchanged && !this.dirty) return
      if (!unchanged) this.version++
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
    this.version++
    this.writeToFile()
  }

  clear(): void {
    this.epochs = []
    this.version++
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
      const version = this.version
      this.checkpoint.write(this.epochs)
      this.writtenVersion = this.durableVersion = version
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

  /** The file is not known to hold the entries (an asynchronous write pending or failed). */
  private lagging(): boolean {
    return this.checkpoint !== undefined && this.durableVersion < this.version
  }

  /**
   * Makes the checkpoint durable now, on the event loop, if it is not yet (Log.flush(), which is synchronous:
   * its recovery point must not pass entries the file lacks).
   */
  flushSync(): void {
    if (this.dirty || this.lagging()) this.writeToFile()
  }

  /**
   * Resolves once the entries as they are now are on disk (waiting for the asynchronous write, writing again if
   * it failed), or a write failed and was reported; never rejects. The log awaits this before its recovery point
   * moves past entries.
   */
  async flushed(): Promise<void> {
    const target = this.version
    await this.asyncWrites
    if (this.durableVersion >= target || !this.checkpoint) return
    this.writeLater()
    await this.asyncWrites
  }

  /**
   * The log is closing: writes that have not started are dropped, and the entries are written now if the file
   * lags (`write`, unless the partition is being deleted).
   */
  close(write = true): void {
    this.closed = true
    if (write) this.flushSync()
  }

  private writeLater(): void {
    if (!this.checkpoint || this.writeQueued || this.closed) return
    this.writeQueued = true
    this.asyncWrites = this.asyncWrites.then(() => withSmallFileSlot(() => this.writeAsync()))
  }

  /**
   * checkpoint.write() with the write and fsync on libuv's pool, into a temporary file of its own. The file is
   * created, renamed and removed on the event loop (never from the pool, so a close() followed by the removal of the
   * directory finds nothing added behind its back); the rename happens only if no synchronous write (a truncation)
   * replaced the file with newer entries meanwhile. Runs within a small-file write slot (withSmallFileSlot), and
   * takes the entries only then: writes asked for while it waits for its slot are this one.
   */
  private async writeAsync(): Promise<void> {
    this.writeQueued = false
    const checkpoint = this.checkpoint
    if (!checkpoint || this.closed || this.writtenVersion >= this.version) return
    const version = this.version
    const path = checkpoint.path
    const tmp = `${path}.async.tmp`
    const data = Buffer.from(checkpoint.format(this.epochs), 'utf8')
    try {
      simulatedDiskFaults.check(tmp)
      const fd = openSync(tmp, 'w')
      try {
        for (let done = 0; done < data.length;) done += await writeP(fd, data, done, data.length - done, done)
        await fdatasyncAsync(fd)
      } finally {
        await closeP(fd)
      }
      if (this.writtenVersion >= version || this.checkpoint?.path !== path || this.closed) {
        removeQuietly(tmp)
        if (this.checkpoint?.path !== path) this.writeLater() // relocated meanwhile: write it in the new place
        return
      }
      renameSync(tmp, path)
      this.writtenVersion = version
    } catch (e) {
      removeQuietly(tmp)
      if (this.checkpoint?.path !== path) return this.writeLater()
      if (isErrno(e, 'ENOENT') && !existsSync(dirname(path))) return // the partition was deleted
      if (storageFault(e) === 'full') {
        if (!this.dirty) this.logger.warn(`${this.logPrefix}Could not write ${path}: the disk is full`)
        this.dirty = true
        return
      }
      this.logger.error({ err: e }, `${this.logPrefix}Error while writing ${path}`)
      this.onAsyncWriteError(e)
      return
    }
    await flushDirAsync(dirname(path))
    if (version > this.durableVersion) this.durableVersion = version
  }
}

const writeP = promisify(
  (
    fd: number,
    buf: Buffer,
    offset: number,
    length: number,
    position: number,
    cb: (err: NodeJS.ErrnoException | null, written: number) => void,
  ) => write(fd, buf, offset, length, position, cb),
)
const closeP = promisify(close)

function removeQuietly(path: string): void {
  try {
    unlinkSync(path)
  } catch {
    // not there, or the directory went
  }
}

function fmt(e: EpochEntry): string {
  return `EpochEntry(epoch=${e.epoch}, startOffset=${e.startOffset})`
}
