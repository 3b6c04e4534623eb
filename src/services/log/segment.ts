/**
 * Kafka's LogSegment: `<base>.log` holding record batches exactly as appended, with its `.index`, `.timeindex` and
 * (when a transaction was aborted in it) `.txnindex`. File access is synchronous, except the writes of appends made
 * with `deferWrite` (write-behind.ts: they go to the file on libuv's thread pool, and reads see them meanwhile),
 * reads on the pool (readRangeAsync) and flushAsync.
 */
import { closeSync, existsSync, fdatasyncSync, fstatSync, statSync, renameSync, utimesSync } from 'node:fs'
import { basename, join } from 'node:path'
import {
  type BatchEntry,
  type BatchHeader,
  HEADER_SIZE_UP_TO_MAGIC,
  type LegacyEntryHeader,
  LOG_OVERHEAD,
  MIN_RECORD_OVERHEAD,
  readBatchHeader,
  readEndTxnMarker,
  readLegacyEntryHeader,
  readRecords,
  RECORD_BATCH_OVERHEAD,
  verifyCrc,
  verifyLegacyCrc,
} from '../../protocol/records/batch.js'
import { hasCompressionCodec } from '../../protocol/records/compression.js'
import { fetchBufferPool } from '../../util/buffer-pool.js'
import { type BudgetedFile, descriptorClosed, openBudgeted, touchDescriptor } from './descriptors.js'
import type { Clock } from '../../util/scheduler.js'
import type { Logger } from '../../util/logger.js'
import {
  deleteIfExists,
  fsyncFileIfExists,
  logFile,
  offsetIndexFile,
  readAt,
  readAtAsync,
  fdatasyncAsync,
  timeIndexFile,
  transactionIndexFile,
} from './file-utils.js'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import { WriteBehind } from './write-behind.js'
import { OffsetIndex, TimeIndex, type TimestampOffset, TransactionIndex, type AbortedTxn } from './indexes.js'
import type { LeaderEpochFileCache } from './leader-epoch-cache.js'
import type { CompletedTxn, ProducerStateManager } from './producer-state.js'

const SCAN_WINDOW = 64 * 1024
const RECOVERY_WINDOW = 4 * 1024 * 1024

/** A batch (or legacy entry) found in a segment file. `bytes()` reads the whole entry. */
export interface FileBatch {
  position: number
  size: number
  /** set for v2 batches */
  header: BatchHeader | undefined
  /** set for legacy (magic 0/1) entries */
  legacy: LegacyEntryHeader | undefined
  lastOffset: number
  maxTimestamp: number
  bytes(): Buffer
}

/** Where a scan stopped early: a partial entry at the end, or garbage. */
export interface ScanStop {
  kind: 'partial' | 'invalid'
  position: number
  reason: string
}

export function lastOffsetOf(e: BatchEntry): number {
  if (e.kind === 'v2') return e.header.lastOffset
  if (e.kind === 'legacy') return e.header.offset
  return -1
}

/**
 * Iterates the entries of `fd[start, end)`, reading through a window of `windowSize` bytes (an entry's bytes are
 * read separately when it does not fit in the window). `onStop` hears of a trailing partial entry or of garbage.
 */
export function* scanFile(
  fd: number | ((position: number, length: number) => Buffer),
  start: number,
  end: number,
  onStop?: (s: ScanStop) => void,
  windowSize = SCAN_WINDOW,
): Generator<FileBatch> {
  const read = typeof fd === 'number' ? (p: number, n: number): Buffer => readAt(fd, p, n) : fd
  let win: Buffer = Buffer.alloc(0)
  let winStart = 0
  const ensure = (pos: number, n: number): void => {
    if (pos < winStart || pos + n > winStart + win.length) {
      win = read(pos, Math.min(Math.max(windowSize, n), end - pos))
      winStart = pos
    }
  }
  let pos = start
  while (pos < end) {
    const available = end - pos
    const stop = (kind: 'partial' | 'invalid', reason: string): void =>
      onStop?.({ kind, position: pos, reason })
    if (available < LOG_OVERHEAD) return stop('partial', `${available} trailing bytes`)
    ensure(pos, Math.min(RECORD_BATCH_OVERHEAD, available))
    const off = pos - winStart
    const length = win.readInt32BE(off + 8)
    const size = length + LOG_OVERHEAD
    if (length < MIN_RECORD_OVERHEAD) {
      return stop(
        'invalid',
        `Record size ${length} is less than the minimum record overhead (${MIN_RECORD_OVERHEAD})`,
      )
    }
    if (available < HEADER_SIZE_UP_TO_MAGIC) return stop('partial', `${available} trailing bytes`)
    const magic = win.readInt8(off + 16)
    if (magic < 0 || magic > 2) return stop('invalid', `Invalid magic found in record: ${magic}`)
    if (size > available) return stop('partial', `partial batch of ${size} bytes, ${available} available`)
    let header: BatchHeader | undefined
    let legacy: LegacyEntryHeader | undefined
    if (magic === 2) {
      if (size < RECORD_BATCH_OVERHEAD)
        return stop(
          'invalid',
          `Record batch is corrupt (the size ${size} is smaller than the minimum allowed overhead ${RECORD_BATCH_OVERHEAD})`,
        )
      header = readBatchHeader(win, off)
    } else {
      if (size < LOG_OVERHEAD + (magic === 0 ? 14 : 22))
        return stop('invalid', `Legacy message of magic ${magic} is too short (${size})`)
      legacy = readLegacyEntryHeader(win, off)
    }
    const w = win
    const ws = winStart
    const p = pos
    yield {
      position: pos,
      size,
      header,
      legacy,
      lastOffset: header ? header.lastOffset : legacy!.offset,
      maxTimestamp: header ? header.maxTimestamp : legacy!.timestamp,
      bytes: () => (p + size <= ws + w.length ? w.subarray(p - ws, p - ws + size) : read(p, size)),
    }
    pos += size
  }
}

/** Whether a batch from a file passes its checksum. */
export function isValidFileBatch(b: FileBatch): boolean {
  const bytes = b.bytes()
  return b.header ? verifyCrc(bytes, 0) : verifyLegacyCrc(bytes, 0)
}

export interface RollParams {
  maxSegmentMs: number
  maxSegmentBytes: number
  maxTimestampInMessages: number
  maxOffsetInMessages: number
  messagesSize: number
  now: number
}

export interface SegmentOptions {
  dir: string
  baseOffset: number
  indexIntervalBytes: number
  maxIndexSize: number
  rollJitterMs: number
  clock: Clock
  logger: Logger
  /**
   * A deferred write failed on the thread pool (see write-behind.ts): everything from `firstOffset` must go (the
   * log truncates itself there). Without it the segment truncates itself.
   */
  onWriteError?: (firstOffset: number, err: unknown) => void
  /** true to open existing files, false to create the segment afresh (replacing any files) */
  fileAlreadyExists: boolean
  /** file name suffix (e.g. '.deleted', '.swap') */
  suffix?: string
  /** whether the offset and time index files exist, when the caller listed the directory already */
  indexFilesExist?: boolean
}

export interface SegmentReadPlan {
  /** the position of the first batch to read */
  position: number
  /** how many bytes to read from there */
  length: number
  /** true when minOneMessage was false and the first batch did not fit */
  firstEntryIncomplete: boolean
}

export interface SegmentReadResult {
  records: Buffer
  /** the position of the first batch read */
  position: number
  /** true when minOneMessage was false and the first batch did not fit */
  firstEntryIncomplete: boolean
}

export interface OffsetAndEpoch {
  offset: number
  timestamp: number
  leaderEpoch: number
}

export class LogSegment implements BudgetedFile {
  readonly baseOffset: number
  readonly offsetIndex: OffsetIndex
  readonly timeIndex: TimeIndex
  readonly txnIndex: TransactionIndex
  readonly rollJitterMs: number
  private logPath: string
  /** The open descriptor, if any: the descriptor budget (descriptors.ts) closes it while idle; `file` reopens it. */
  private fd: number | undefined
  private closed = false
  /** Work on libuv's thread pool using `fd` (reads, fsyncs): the budget leaves it open meanwhile. */
  private pins = 0
  /**
   * Written since the last fsync (which must then happen even if the descriptor was closed meanwhile). An existing
   * file counts as unsynced until the loader knows better (markSynced: it lies below the recovery point), so that
   * flush() fsyncs only what may not be on disk — a log loaded after a clean shutdown costs no fsync to close.
   */
  private unsynced = true
  private writtenSinceOpen = false
  private _size: number
  private readonly indexIntervalBytes: number
  private readonly clock: Clock
  private readonly logger: Logger
  private bytesSinceLastIndexEntry = 0
  private created: number
  private rollingBasedTimestamp: number | undefined
  private maxTimestampAndOffset: TimestampOffset | undefined
  private indexesChecked = false
  private indexesMissing = false
  /** appends whose bytes are on their way to the file (write-behind.ts) */
  private readonly writes: WriteBehind

  private constructor(o: SegmentOptions) {
    const suffix = o.suffix ?? ''
    this.baseOffset = o.baseOffset
    this.indexIntervalBytes = o.indexIntervalBytes
    this.rollJitterMs = o.rollJitterMs
    this.clock = o.clock
    this.logger = o.logger
    this.created = o.clock.now()
    this.logPath = logFile(o.dir, o.baseOffset, suffix)
    const onWriteError = o.onWriteError
    this.writes = new WriteBehind({
      fd: () => this.openFd(),
      path: () => this.logPath,
      pin: () => this.pins++,
      unpin: () => this.pins--,
      closeNow: () => this.closeFd(),
      failed: (firstOffset, err) =>
        onWriteError ? onWriteError(firstOffset, err) : void this.truncateTo(firstOffset),
    })
    this.offsetIndex = new OffsetIndex(
      offsetIndexFile(o.dir, o.baseOffset, suffix),
      o.baseOffset,
      o.maxIndexSize,
    )
    this.timeIndex = new TimeIndex(timeIndexFile(o.dir, o.baseOffset, suffix), o.baseOffset, o.maxIndexSize)
    this.txnIndex = new TransactionIndex(transactionIndexFile(o.dir, o.baseOffset, suffix), o.baseOffset)
    if (o.fileAlreadyExists) {
      this.fd = openBudgeted(this, this.logPath, 'r+')
      this._size = fstatSync(this.fd).size
      this.indexesMissing =
        o.indexFilesExist !== undefined
          ? !o.indexFilesExist
          : !this.offsetIndex.exists() || !this.timeIndex.exists()
    } else {
      for (const f of [this.offsetIndex, this.timeIndex, this.txnIndex]) f.deleteIfExists()
      this.fd = openBudgeted(this, this.logPath, 'w+')
      this._size = 0
      this.offsetIndex.reset()
      this.timeIndex.reset()
      this.indexesChecked = true
    }
  }

  static open(o: SegmentOptions): LogSegment {
    return new LogSegment(o)
  }

  get size(): number {
    return this._size
  }

  get path(): string {
    return this.logPath
  }

  /**
   * Everything in the file is known to be on disk (it lies below the log's recovery point): flush() skips it, unless
   * it was written since it was opened (a recovery that truncated it).
   */
  markSynced(): void {
    if (!this.writtenSinceOpen) this.unsynced = false
  }

  private markWritten(): void {
    this.unsynced = true
    this.writtenSinceOpen = true
  }

  /** True when an index file was missing at open (the loader recovers such a segment). */
  get hasMissingIndex(): boolean {
    return this.indexesMissing
  }

  /** The first offset of an append whose bytes are on their way to the file, if any (write-behind.ts). */
  get firstPendingOffset(): number | undefined {
    return this.writes.firstPendingOffset
  }

  private get file(): number {
    if (this.closed) throw new Error(`Log segment ${this.logPath} is closed`)
    return this.openFd()
  }

  /** The descriptor, also while a closed segment's last deferred write lands. */
  private openFd(): number {
    if (this.fd === undefined) this.fd = openBudgeted(this, this.logPath, 'r+')
    else touchDescriptor(this)
    return this.fd
  }

  private closeFd(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd)
      this.fd = undefined
    }
  }

  /** `length` bytes of the file at `position`, with the bytes of appends not written yet (write-behind.ts). */
  private readSync(position: number, length: number, alloc?: (n: number) => Buffer): Buffer {
    const buf = readAt(this.file, position, length, alloc)
    if (!this.writes.pending) return buf
    if (buf.length === length) {
      this.writes.patch(position, buf, length)
      return buf
    }
    const full = alloc ? alloc(length) : Buffer.allocUnsafe(length)
    buf.copy(full)
    if (alloc === fetchAlloc) fetchBufferPool.release(buf)
    return full.subarray(0, this.writes.patch(position, full, buf.length))
  }

  /** The descriptor budget closes an idle descriptor (see descriptors.ts); the next use opens it again. */
  closeIdleDescriptor(): boolean {
    if (this.fd === undefined || this.pins > 0) return false
    closeSync(this.fd)
    this.fd = undefined
    return true
  }

  /** Runs `op` with the descriptor pinned open (work on the thread pool). */
  private async pinned<T>(op: (fd: number) => Promise<T>): Promise<T> {
    const fd = this.file
    this.pins++
    try {
      return await op(fd)
    } finally {
      this.pins--
    }
  }

  /** Loads the indexes; a corrupt or missing one is rebuilt from the log. */
  ensureIndexes(): void {
    if (this.indexesChecked) return
    this.indexesChecked = true
    const ok =
      !this.indexesMissing &&
      this.offsetIndex.load() &&
      this.timeIndex.load() &&
      this.txnIndex.load() &&
      this.offsetIndex.validatePositions(this._size)
    if (!ok) {
      const why =
        this.offsetIndex.corruption ??
        this.timeIndex.corruption ??
        this.txnIndex.corruption ??
        'an index file is missing'
      this.logger.warn(
        `Found a corrupted index file corresponding to log file ${this.logPath} due to ${why}, rebuilding index files...`,
      )
      this.rebuildIndexes()
    }
  }

  /** Loads the indexes on libuv's thread pool, so that ensureIndexes() then reads nothing from disk. */
  async loadIndexesAsync(): Promise<void> {
    if (this.indexesChecked || this.indexesMissing) return
    await Promise.all([this.offsetIndex.loadAsync(), this.timeIndex.loadAsync(), this.txnIndex.loadAsync()])
  }

  /** Rebuilds .index and .timeindex from the log without touching the data. */
  rebuildIndexes(): void {
    this.indexesChecked = true
    this.indexesMissing = false
    this.offsetIndex.reset()
    this.timeIndex.reset()
    let validBytes = 0
    let lastIndexEntry = 0
    let max: TimestampOffset = { timestamp: -1, offset: this.baseOffset }
    for (const b of this.batches(0, undefined, RECOVERY_WINDOW)) {
      if (b.maxTimestamp > max.timestamp) max = { timestamp: b.maxTimestamp, offset: b.lastOffset }
      if (
        validBytes - lastIndexEntry > this.indexIntervalBytes &&
        this.offsetIndex.canAppendOffset(b.lastOffset)
      ) {
        this.offsetIndex.append(b.lastOffset, validBytes)
        this.timeIndex.maybeAppend(max.timestamp, max.offset)
        lastIndexEntry = validBytes
      }
      validBytes += b.size
    }
    this.maxTimestampAndOffset = max
    this.timeIndex.maybeAppend(max.timestamp, max.offset, true)
    this.releaseIndexHandles()
  }

  /** Closes the index files' descriptors (they reopen on the next write). */
  releaseIndexHandles(): void {
    this.offsetIndex.close()
    this.timeIndex.close()
    this.txnIndex.close()
  }

  /** The entries of the log from `position` (stopping at a partial or invalid one). */
  batches(position = 0, onStop?: (s: ScanStop) => void, windowSize?: number): Generator<FileBatch> {
    return scanFile((p, n) => this.readSync(p, n), position, this._size, onStop, windowSize)
  }

  readMaxTimestampAndOffsetSoFar(): TimestampOffset {
    if (this.maxTimestampAndOffset === undefined) {
      this.ensureIndexes()
      this.maxTimestampAndOffset = this.timeIndex.lastEntry()
    }
    return this.maxTimestampAndOffset
  }

  maxTimestampSoFar(): number {
    return this.readMaxTimestampAndOffsetSoFar().timestamp
  }

  private offsetOfMaxTimestampSoFar(): number {
    return this.readMaxTimestampAndOffsetSoFar().offset
  }

  canConvertToRelativeOffset(offset: number): boolean {
    return this.offsetIndex.canAppendOffset(offset)
  }

  /**
   * Appends `records` (whose last offset is `largestOffset`), adding index entries every index.interval.bytes the
   * way Kafka 3.x does: (largest offset of the append → its start position).
   */
  append(
    largestOffset: number,
    largestTimestamp: number,
    shallowOffsetOfMaxTimestamp: number,
    records: Buffer,
    deferWrite = false,
  ): Promise<void> | undefined {
    if (records.length === 0) return undefined
    this.ensureIndexes()
    const physicalPosition = this._size
    const before = {
      maxTimestampAndOffset: this.maxTimestampAndOffset,
      bytesSinceLastIndexEntry: this.bytesSinceLastIndexEntry,
      rollingBasedTimestamp: this.rollingBasedTimestamp,
    }
    if (physicalPosition === 0) this.rollingBasedTimestamp = largestTimestamp
    if (!this.canConvertToRelativeOffset(largestOffset)) {
      throw new Error(`Detected offset overflow at offset ${largestOffset} in segment ${this.logPath}`)
    }
    let written: Promise<void> | undefined
    try {
      if (this.closed) throw new Error(`Log segment ${this.logPath} is closed`)
      if (deferWrite && WriteBehind.hasRoom(records.length)) {
        written = this.writes.enqueue(physicalPosition, records, Number(records.readBigInt64BE(0)))
      } else {
        // (a deferred one when the queues are full: it waits for the file, with what is queued before it)
        if (deferWrite) this.writes.drainSync()
        this.writes.writeSync(physicalPosition, records)
      }
      this.markWritten()
      this._size += records.length
      if (largestTimestamp > this.maxTimestampSoFar()) {
        this.maxTimestampAndOffset = { timestamp: largestTimestamp, offset: shallowOffsetOfMaxTimestamp }
      }
      if (this.bytesSinceLastIndexEntry > this.indexIntervalBytes) {
        this.offsetIndex.append(largestOffset, physicalPosition)
        this.timeIndex.maybeAppend(this.maxTimestampSoFar(), this.offsetOfMaxTimestampSoFar())
        this.bytesSinceLastIndexEntry = 0
      }
      this.bytesSinceLastIndexEntry += records.length
      return written
    } catch (e) {
      // A write that failed part-way (a full disk) leaves the segment as it was, so that the next append — once
      // there is room — goes where this one would have: the bytes, and index entries of this append, go.
      // A deferred write already queued (the index write failed after it) is failed by the truncation below; its
      // promise never reaches the caller, who gets this throw instead: it must not reject unhandled.
      written?.catch(noop)
      const firstOffset = Number(records.readBigInt64BE(0))
      try {
        this.writes.truncate(physicalPosition, e)
        this.markWritten()
        this.offsetIndex.truncateTo(firstOffset)
        this.timeIndex.truncateTo(firstOffset)
      } catch {
        // the directory has failed: the caller reports it
      }
      this._size = physicalPosition
      this.maxTimestampAndOffset = before.maxTimestampAndOffset
      this.bytesSinceLastIndexEntry = before.bytesSinceLastIndexEntry
      this.rollingBasedTimestamp = before.rollingBasedTimestamp
      throw e
    }
  }

  /** Position and size of the first batch whose last offset is ≥ `offset`, or undefined. */
  translateOffset(
    offset: number,
    startingPosition = 0,
  ): { offset: number; position: number; size: number } | undefined {
    // at or before the base offset: the first batch, without loading the indexes (a reader entering the segment)
    const position =
      offset <= this.baseOffset ? 0 : (this.ensureIndexes(), this.offsetIndex.lookup(offset).position)
    for (const b of this.batches(Math.max(position, startingPosition))) {
      if (b.lastOffset >= offset) return { offset: b.lastOffset, position: b.position, size: b.size }
    }
    return undefined
  }

  /**
   * Where read() would read: the position and length of the bytes from the first batch with an offset ≥
   * `startOffset`, at most `maxSize` bytes (the whole first batch when `minOneMessage`), never past `maxPosition`.
   * Undefined when the segment has nothing at or after `startOffset`. Only the index and batch headers are read.
   */
  locate(
    startOffset: number,
    maxSize: number,
    maxPosition = this._size,
    minOneMessage = false,
  ): SegmentReadPlan | undefined {
    if (maxSize < 0) throw new Error(`Invalid max size ${maxSize} for log read from segment ${this.logPath}`)
    const start = this.translateOffset(startOffset)
    return start ? this.locateFrom(start, maxSize, maxPosition, minOneMessage) : undefined
  }

  /** locate() from the first batch to read, already found (its position and size): reads nothing. */
  locateFrom(
    start: { position: number; size: number },
    maxSize: number,
    maxPosition = this._size,
    minOneMessage = false,
  ): SegmentReadPlan {
    if (maxSize < 0) throw new Error(`Invalid max size ${maxSize} for log read from segment ${this.logPath}`)
    const adjustedMaxSize = minOneMessage ? Math.max(maxSize, start.size) : maxSize
    return {
      position: start.position,
      length:
        adjustedMaxSize === 0 ? 0 : Math.max(0, Math.min(maxPosition - start.position, adjustedMaxSize)),
      firstEntryIncomplete: adjustedMaxSize < start.size,
    }
  }

  /**
   * Reads from the first batch with an offset ≥ `startOffset`: at most `maxSize` bytes (the whole first batch when
   * `minOneMessage`), never past `maxPosition`. The bytes may end in a partial batch. Undefined when the segment has
   * nothing at or after `startOffset`.
   */
  read(
    startOffset: number,
    maxSize: number,
    maxPosition = this._size,
    minOneMessage = false,
  ): SegmentReadResult | undefined {
    const plan = this.locate(startOffset, maxSize, maxPosition, minOneMessage)
    if (!plan) return undefined
    return { ...plan, records: this.readRange(plan.position, plan.length) }
  }

  /** `length` bytes at `position`, in a buffer from the fetch pool (the connection gives it back once sent). */
  readRange(position: number, length: number): Buffer {
    return length > 0 ? this.readSync(position, length, fetchAlloc) : Buffer.alloc(0)
  }

  /**
   * readRange() on libuv's thread pool. The segment may be closed (its descriptor even reused) or truncated while
   * the read runs: the caller compares Log.segmentsGeneration before and after and discards the bytes if it moved.
   */
  readRangeAsync(position: number, length: number): Promise<Buffer> {
    if (length <= 0) return Promise.resolve(Buffer.alloc(0))
    // the tail whose bytes are still on their way: from memory and the page cache (they were just written)
    if (this.writes.overlaps(position, length)) return Promise.resolve(this.readRange(position, length))
    return this.pinned((fd) => readAtAsync(fd, position, length, (n) => fetchBufferPool.acquire(n)))
  }

  /** Raw bytes of the file. */
  readBytes(position: number, length: number): Buffer {
    return this.readSync(position, Math.max(0, Math.min(length, this._size - position)))
  }

  /**
   * Rebuilds the indexes from the log, truncating at the first invalid or partial batch, replaying batches into
   * the producer state and the leader epoch cache (LogSegment.recover). Returns the number of bytes truncated.
   */
  recover(
    producerStateManager: ProducerStateManager,
    leaderEpochCache: LeaderEpochFileCache | undefined,
  ): number {
    this.indexesChecked = true
    this.indexesMissing = false
    this.offsetIndex.reset()
    this.timeIndex.reset()
    this.txnIndex.reset()
    let validBytes = 0
    let lastIndexEntry = 0
    let max: TimestampOffset = { timestamp: -1, offset: this.baseOffset }
    this.maxTimestampAndOffset = max
    let problem: string | undefined
    for (const b of this.batches(0, (s) => (problem = s.reason), RECOVERY_WINDOW)) {
      if (!isValidFileBatch(b)) {
        problem = `Record is corrupt (stored crc does not match the computed one) at position ${b.position}`
        break
      }
      if (!this.canConvertToRelativeOffset(b.lastOffset)) {
        problem = `offset ${b.lastOffset} cannot be stored relative to base offset ${this.baseOffset}`
        break
      }
      if (b.maxTimestamp > max.timestamp) max = { timestamp: b.maxTimestamp, offset: b.lastOffset }
      this.maxTimestampAndOffset = max
      if (validBytes - lastIndexEntry > this.indexIntervalBytes) {
        this.offsetIndex.append(b.lastOffset, validBytes)
        this.timeIndex.maybeAppend(max.timestamp, max.offset)
        lastIndexEntry = validBytes
      }
      validBytes += b.size
      const h = b.header
      if (h) {
        if (leaderEpochCache && h.partitionLeaderEpoch >= 0) {
          const latest = leaderEpochCache.latestEpoch()
          if (latest === undefined || h.partitionLeaderEpoch > latest)
            leaderEpochCache.assign(h.partitionLeaderEpoch, h.baseOffset)
        }
        this.updateProducerState(producerStateManager, h, b)
      }
    }
    const truncated = this._size - validBytes
    if (truncated > 0) {
      this.logger.warn(
        `Found invalid messages in log segment ${this.logPath} at byte offset ${validBytes}: ${problem ?? 'unknown'}. Truncating ${truncated} bytes.`,
      )
      this.writes.truncate(validBytes, truncatedError(this.logPath))
      this.markWritten()
      this._size = validBytes
    }
    this.timeIndex.maybeAppend(max.timestamp, max.offset, true)
    this.bytesSinceLastIndexEntry = 0
    this.releaseIndexHandles()
    return truncated
  }

  private updateProducerState(psm: ProducerStateManager, h: BatchHeader, b: FileBatch): void {
    if (h.producerId >= 0) {
      const info = psm.prepareUpdate(h.producerId, 'replication')
      const completed = info.append(h, h.isControl ? readEndTxnMarker(b.bytes(), 0) : undefined)
      psm.update(info)
      if (completed) {
        const lso = psm.lastStableOffset(completed)
        this.updateTxnIndex(completed, lso)
        psm.completeTxn(completed)
      }
    }
    psm.updateMapEndOffset(h.lastOffset + 1)
  }

  updateTxnIndex(completed: CompletedTxn, lastStableOffset: number): void {
    if (completed.isAborted) {
      this.txnIndex.append({
        producerId: completed.producerId,
        firstOffset: completed.firstOffset,
        lastOffset: completed.lastOffset,
        lastStableOffset,
      })
    }
  }

  collectAbortedTxns(
    fetchOffset: number,
    upperBoundOffset: number,
  ): { abortedTxns: AbortedTxn[]; isComplete: boolean } {
    return this.txnIndex.collectAbortedTxns(fetchOffset, upperBoundOffset)
  }

  /** Removes everything at or after `offset`; returns the bytes truncated from the log. */
  truncateTo(offset: number): number {
    const mapping = this.translateOffset(offset)
    this.offsetIndex.truncateTo(offset)
    this.timeIndex.truncateTo(offset)
    this.txnIndex.truncateTo(offset)
    let truncated = 0
    if (mapping) {
      truncated = this._size - mapping.position
      this.writes.truncate(mapping.position, truncatedError(this.logPath))
      this.markWritten()
      this._size = mapping.position
    }
    if (this._size === 0) {
      this.created = this.clock.now()
      this.rollingBasedTimestamp = undefined
    }
    this.bytesSinceLastIndexEntry = 0
    if (this.maxTimestampSoFar() >= 0) this.maxTimestampAndOffset = this.readLargestTimestamp()
    return truncated
  }

  private readLargestTimestamp(): TimestampOffset {
    const last = this.timeIndex.lastEntry()
    const position = this.offsetIndex.lookup(last.offset).position
    let best = last
    for (const b of this.batches(position)) {
      if (b.maxTimestamp > best.timestamp) best = { timestamp: b.maxTimestamp, offset: b.lastOffset }
    }
    return best
  }

  /** The offset after the last batch (the base offset when empty). */
  readNextOffset(): number {
    // Only the offset index is needed here (the loader asks this of every log's active segment): the time and
    // transaction indexes load on first use, as Kafka opens a segment's indexes lazily.
    if (
      !this.indexesChecked &&
      (this.indexesMissing || !this.offsetIndex.load() || !this.offsetIndex.validatePositions(this._size))
    ) {
      this.ensureIndexes()
    }
    let next = this.baseOffset
    for (const b of this.batches(this.offsetIndex.lookup(this.offsetIndex.lastOffset).position))
      next = b.lastOffset + 1
    return next
  }

  flush(): void {
    if (!this.closed) this.writes.drainSync()
    if (this.unsynced && !this.closed) {
      this.unsynced = false
      fdatasyncSync(this.file)
    }
    this.offsetIndex.flush()
    this.timeIndex.flush()
    this.txnIndex.flush()
  }

  /**
   * Like flush(), but the fsync of the (large) log file runs on libuv's thread pool, so the event loop keeps
   * serving requests meanwhile — Kafka flushes rolled segments on a background thread for the same reason.
   */
  async flushAsync(): Promise<void> {
    await this.writes.whenWritten()
    if (this.unsynced && !this.closed) {
      this.unsynced = false
      await this.pinned((fd) => fdatasyncAsync(fd))
    }
    if (this.closed) return // closed meanwhile: its close flushed it
    await Promise.all([
      this.offsetIndex.flushAsync(),
      this.timeIndex.flushAsync(),
      this.txnIndex.flushAsync(),
    ])
  }

  /** Writes the final time index entry and trims the indexes (LogSegment.onBecomeInactiveSegment). */
  onBecomeInactiveSegment(): void {
    // only the active segment has writes on their way, so that they land (and fail) in offset order
    this.writes.drainSync()
    this.ensureIndexes()
    this.timeIndex.maybeAppend(this.maxTimestampSoFar(), this.offsetOfMaxTimestampSoFar(), true)
    // trims the files and releases their descriptors; the contents stay readable (cached or re-read)
    this.releaseIndexHandles()
  }

  shouldRoll(p: RollParams): boolean {
    this.ensureIndexes()
    const reachedRollMs =
      this.timeWaitedForRoll(p.now, p.maxTimestampInMessages) > p.maxSegmentMs - this.rollJitterMs
    return (
      this._size > p.maxSegmentBytes - p.messagesSize ||
      (this._size > 0 && reachedRollMs) ||
      this.offsetIndex.isFull() ||
      this.timeIndex.isFull() ||
      !this.canConvertToRelativeOffset(p.maxOffsetInMessages)
    )
  }

  private loadFirstBatchTimestamp(): void {
    if (this.rollingBasedTimestamp === undefined) {
      for (const b of this.batches()) {
        this.rollingBasedTimestamp = b.maxTimestamp
        break
      }
    }
  }

  /** Time waited for a time-based roll: from the first batch's timestamp, or from creation if it has none. */
  timeWaitedForRoll(now: number, messageTimestamp: number): number {
    this.loadFirstBatchTimestamp()
    const ts = this.rollingBasedTimestamp ?? -1
    return ts >= 0 ? messageTimestamp - ts : now - this.created
  }

  /** The first batch's timestamp, or Long.MAX when there is none. */
  getFirstBatchTimestamp(): number {
    this.loadFirstBatchTimestamp()
    const ts = this.rollingBasedTimestamp
    return ts !== undefined && ts >= 0 ? ts : Number.MAX_VALUE
  }

  lastModified(): number {
    if (this.closed) return 0
    return this.fd !== undefined ? fstatSync(this.fd).mtimeMs : statSync(this.logPath).mtimeMs
  }

  /** Sets the modification time of the log and index files (the cleaner keeps the replaced segments' time). */
  setLastModified(ms: number): void {
    const t = ms / 1000
    for (const p of [this.logPath, this.offsetIndex.path, this.timeIndex.path]) {
      if (existsSync(p)) utimesSync(p, t, t)
    }
  }

  /** fsyncs the index files too, whether or not they are open for writing (before a cleaned segment is swapped in). */
  flushAll(): void {
    this.flush()
    for (const p of [this.offsetIndex.path, this.timeIndex.path, this.txnIndex.path]) fsyncFileIfExists(p)
  }

  /** The largest record timestamp, or the file's modification time when no batch has a timestamp. */
  largestTimestamp(): number {
    const ts = this.maxTimestampSoFar()
    return ts >= 0 ? ts : this.lastModified()
  }

  largestRecordTimestamp(): number | undefined {
    const ts = this.maxTimestampSoFar()
    return ts >= 0 ? ts : undefined
  }

  /**
   * The first record with timestamp ≥ `timestampMs` and offset ≥ `startingOffset` (LogSegment.findOffsetByTimestamp,
   * FileRecords.searchForTimestamp).
   */
  findOffsetByTimestamp(timestampMs: number, startingOffset: number): OffsetAndEpoch | undefined {
    this.ensureIndexes()
    const tsOffset = this.timeIndex.lookup(timestampMs)
    const position = this.offsetIndex.lookup(Math.max(tsOffset.offset, startingOffset)).position
    for (const b of this.batches(position)) {
      if (b.maxTimestamp < timestampMs || b.lastOffset < startingOffset) continue
      const h = b.header
      if (!h) {
        // legacy: an uncompressed entry is one record; a compressed wrapper is answered at its own offset
        return { offset: Math.max(b.lastOffset, startingOffset), timestamp: b.maxTimestamp, leaderEpoch: -1 }
      }
      const epoch = h.partitionLeaderEpoch >= 0 ? h.partitionLeaderEpoch : -1
      if (h.timestampType === 'LogAppendTime') {
        return {
          offset: Math.max(h.baseOffset, startingOffset),
          timestamp: h.maxTimestamp,
          leaderEpoch: epoch,
        }
      }
      if (!hasCompressionCodec(h.compression)) {
        this.logger.warn(
          `Cannot decompress batch at offset ${h.baseOffset} of ${this.logPath} (compression ${h.compression}); ` +
            'answering the timestamp search with the batch start',
        )
        return {
          offset: Math.max(h.baseOffset, startingOffset),
          timestamp: h.maxTimestamp,
          leaderEpoch: epoch,
        }
      }
      for (const r of readRecords(b.bytes(), 0)) {
        if (r.timestamp >= timestampMs && r.offset >= startingOffset) {
          return { offset: r.offset, timestamp: r.timestamp, leaderEpoch: epoch }
        }
      }
    }
    return undefined
  }

  /** The offset of the record carrying the segment's max timestamp (ListOffsets MAX_TIMESTAMP). */
  findMaxTimestampRecord(): OffsetAndEpoch | undefined {
    const max = this.readMaxTimestampAndOffsetSoFar()
    if (max.timestamp < 0) return undefined
    const position = this.offsetIndex.lookup(max.offset).position
    for (const b of this.batches(position)) {
      if (b.maxTimestamp !== max.timestamp) continue
      const h = b.header
      if (!h) return { offset: b.lastOffset, timestamp: b.maxTimestamp, leaderEpoch: -1 }
      const epoch = h.partitionLeaderEpoch >= 0 ? h.partitionLeaderEpoch : -1
      if (h.timestampType === 'LogAppendTime' || !hasCompressionCodec(h.compression)) {
        return { offset: h.baseOffset, timestamp: h.maxTimestamp, leaderEpoch: epoch }
      }
      const r = readRecords(b.bytes(), 0).find((x) => x.timestamp === h.maxTimestamp)
      return { offset: r ? r.offset : h.lastOffset, timestamp: h.maxTimestamp, leaderEpoch: epoch }
    }
    return undefined
  }

  /** Renames the files from `oldSuffix` to `newSuffix` (e.g. '' → '.deleted'). */
  changeFileSuffixes(oldSuffix: string, newSuffix: string): void {
    const swap = (p: string): string =>
      (p.endsWith(oldSuffix) ? p.slice(0, p.length - oldSuffix.length) : p) + newSuffix
    const newLog = swap(this.logPath)
    if (existsSync(this.logPath)) renameSync(this.logPath, newLog)
    this.logPath = newLog
    this.offsetIndex.renameTo(swap(this.offsetIndex.path))
    this.timeIndex.renameTo(swap(this.timeIndex.path))
    this.txnIndex.renameTo(swap(this.txnIndex.path))
  }

  /** Points the file names at a renamed partition directory. */
  updateParentDir(dir: string): void {
    this.logPath = join(dir, basename(this.logPath))
    this.offsetIndex.path = join(dir, basename(this.offsetIndex.path))
    this.timeIndex.path = join(dir, basename(this.timeIndex.path))
    this.txnIndex.path = join(dir, basename(this.txnIndex.path))
  }

  /** Appends the final time index entry, trims the indexes and closes the files. */
  close(): void {
    if (this.maxTimestampAndOffset !== undefined && this.indexesChecked) {
      try {
        this.timeIndex.maybeAppend(this.maxTimestampSoFar(), this.offsetOfMaxTimestampSoFar(), true)
      } catch (e) {
        this.logger.warn({ err: e }, `Failed to append the final time index entry of ${this.logPath}`)
      }
    }
    this.offsetIndex.close()
    this.timeIndex.close()
    this.txnIndex.close()
    this.closeHandlers()
  }

  /** Closes file descriptors without writing. */
  closeHandlers(): void {
    this.offsetIndex.closeHandler()
    this.timeIndex.closeHandler()
    this.txnIndex.closeHandler()
    if (this.closed) return
    let now = true
    try {
      now = this.writes.close()
    } finally {
      this.closed = true
      descriptorClosed(this)
      if (now) this.closeFd()
    }
  }

  deleteIfExists(): void {
    this.writes.discard(truncatedError(this.logPath))
    this.closeHandlers()
    deleteIfExists(this.logPath)
    this.offsetIndex.deleteIfExists()
    this.timeIndex.deleteIfExists()
    this.txnIndex.deleteIfExists()
  }

  toString(): string {
    return `LogSegment(baseOffset=${this.baseOffset}, size=${this._size}, lastModifiedTime=${Math.floor(this.lastModified())}, largestRecordTimestamp=${this.maxTimestampAndOffset?.timestamp ?? -1})`
  }
}

const fetchAlloc = (n: number): Buffer => fetchBufferPool.acquire(n)

/** What a deferred append whose bytes were truncated (or deleted) before they reached the file fails with. */
function truncatedError(path: string): KafkaError {
  return new KafkaError(
    ErrorCode.NOT_LEADER_OR_FOLLOWER,
    `the records were truncated from ${path} before they were written`,
  )
}

function noop(): void {}
