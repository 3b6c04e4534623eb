/**
 * One partition's log, Kafka's UnifiedLog (local part only) with its LocalLog and LogLoader: a directory
 * `<topic>-<partition>` of segments plus `leader-epoch-checkpoint`, `partition.metadata` and producer snapshots.
 *
 * Appends write synchronously so that offset assignment and the write that follows happen without any other
 * request interleaving (the process is single-threaded); they go to the page cache. fsync happens on libuv's thread
 * pool after a roll and on flush.messages / flush.ms (flushAsync), synchronously only at shutdown, and the recovery
 * point follows the flushes. Fetches read in two steps (planRead, then readPlanned on the thread pool), so reading
 * data that is not in the page cache never stalls the event loop.
 */
import { isDescriptorExhaustion } from './descriptors.js'
import { type Dirent, existsSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import {
  type BatchHeader,
  INT32_MAX,
  iterateBatches,
  LAST_OFFSET_DELTA_OFFSET,
  LENGTH_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MIN_RECORD_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
  type LegacyEntryHeader,
  readEndTxnMarker,
  rebuildBatch,
  type RecordScan,
  scanRecords,
  setLastOffset,
  setMaxTimestamp,
  setPartitionLeaderEpoch,
  verifyCrc,
  verifyLegacyCrc,
} from '../../protocol/records/batch.js'
import {
  allowRecordBytes,
  Compression,
  compressionCodeOf,
  levelFor,
} from '../../protocol/records/compression.js'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import {
  type Clock,
  type ScheduledTask,
  type Scheduler,
  ScopedScheduler,
  SystemScheduler,
} from '../../util/scheduler.js'
import { fetchBufferPool } from '../../util/buffer-pool.js'
import {
  addReadAhead,
  dropReadAhead,
  mayReadAhead,
  READ_AHEAD_DEPTH,
  READ_AHEAD_MAX_AGE_MS,
  READ_AHEAD_MIN,
  type ReadAhead,
  readAheadKey,
  takeReadAhead,
} from './read-ahead.js'
import { readInt64 } from '../../protocol/codec/writer.js'
import { mkdirs } from '../../util/fs.js'
import { type Logger, silentLogger } from '../../util/logger.js'
import {
  OffsetsOutOfOrderError,
  type RecordError,
  RecordValidationError,
  UnexpectedAppendOffsetError,
} from './errors.js'
import {
  CLEANED_FILE_SUFFIX,
  DELETE_DIR_SUFFIX,
  FUTURE_DIR_SUFFIX,
  DELETED_FILE_SUFFIX,
  deleteIfExists,
  flushDir,
  flushDirAsync,
  fsyncFileIfExists,
  INDEX_FILE_SUFFIX,
  LEADER_EPOCH_CHECKPOINT_FILENAME,
  LOG_FILE_SUFFIX,
  isErrno,
  logFile,
  offsetFromFileName,
  offsetIndexFile,
  parseTopicPartitionName,
  SWAP_FILE_SUFFIX,
  TIME_INDEX_FILE_SUFFIX,
  timeIndexFile,
  type TopicPartition,
  transactionIndexFile,
  TXN_INDEX_FILE_SUFFIX,
} from './file-utils.js'
import type { AbortedTxn } from './indexes.js'
import { LeaderEpochFileCache } from './leader-epoch-cache.js'
import {
  isCompacted,
  isDeleteEnabled,
  isUnbounded,
  type LogConfig,
  randomSegmentJitter,
} from './log-config.js'
import { readPartitionMetadata, writePartitionMetadataAsync } from './partition-metadata.js'
import {
  type AppendOrigin,
  type BatchMetadata,
  type CompletedTxn,
  type VerificationGuard,
  firstOffsetOf,
  type ProducerAppendInfo,
  ProducerStateManager,
} from './producer-state.js'
import { LogSegment, type OffsetAndEpoch } from './segment.js'
import { asStorageError, type StorageFault, storageFault } from './storage-faults.js'

export type { AppendOrigin } from './producer-state.js'

/** ListOffsets special timestamps. */
export const EARLIEST_TIMESTAMP = -2
export const LATEST_TIMESTAMP = -1
export const MAX_TIMESTAMP = -3
export const EARLIEST_LOCAL_TIMESTAMP = -4
export const LATEST_TIERED_TIMESTAMP = -5

export interface LogOptions {
  /** the partition directory, `<log.dir>/<topic>-<partition>` */
  dir: string
  config: LogConfig
  /** from log-start-offset-checkpoint (default 0) */
  logStartOffset?: number
  /** from recovery-point-offset-checkpoint (default 0) */
  recoveryPoint?: number
  /** whether the log directory had a clean shutdown marker; false runs recovery from the recovery point */
  hadCleanShutdown?: boolean
  /** runs the log's background tasks and tells the time (default: Node's timers; a log of its own then) */
  scheduler?: Scheduler
  logger?: Logger
  /** the topic id to record in partition.metadata (checked against an existing one) */
  topicId?: string
  /** producer.id.expiration.ms (1 day) */
  producerIdExpirationMs?: number
  /** producer.id.expiration.check.interval.ms (10 minutes) */
  producerIdExpirationCheckIntervalMs?: number
  /** transaction.max.timeout.ms (15 minutes) */
  maxTransactionTimeoutMs?: number
  /** transaction.partition.verification.enable (KIP-890; Kafka's default is true, a bare log's false) */
  transactionVerificationEnabled?: boolean
  /** Told of storage faults on appends (and of the first append that works again afterwards): the LogManager. */
  storageFaults?: StorageFaultListener
}

export interface StorageFaultListener {
  /** An append failed for a storage fault (a full disk, an I/O error). */
  onFault(log: Log, fault: StorageFault, err: unknown): void
  /** An append worked after a fault had been reported for this log. */
  onRecovered(log: Log): void
}

export interface AppendOptions {
  leaderEpoch: number
  origin?: AppendOrigin
  /** KIP-890: the guard obtained by verifying the batch's transaction with its coordinator */
  verificationGuard?: VerificationGuard
  /** the append time (LogAppendTime and timestamp bounds); defaults to the clock */
  now?: number
  /**
   * Write the bytes on libuv's thread pool, gathered with the other appends of this turn (write-behind.ts), instead
   * of synchronously: `written` settles once they are in the file. The caller keeps `records` unchanged until then
   * (a produce request's frame: its lease is held until the produce is answered, after `written`).
   */
  deferWrite?: boolean
}

export interface LogAppendResult {
  /** offset of the first record (of the original batch, for a duplicate); -1 when nothing was appended */
  firstOffset: number
  lastOffset: number
  /** the LogAppendTime written into the batch, or -1 for CreateTime */
  logAppendTime: number
  logStartOffset: number
  recordCount: number
  /** true when the batch was a retry of one already in the log (nothing was written) */
  duplicate?: boolean
  maxTimestamp: number
  /** bytes appended */
  validBytes: number
  /**
   * With AppendOptions.deferWrite: settles once the bytes are in the file; fails if the write failed (the log has
   * then truncated them and everything appended after them, and reported the storage fault).
   */
  written?: Promise<void>
}

export interface ReadOptions {
  maxBytes: number
  /** exclusive upper bound on what may be returned (the high watermark for consumers); defaults to the LEO */
  maxOffset?: number
  /** return the whole first batch even when it is larger than maxBytes */
  minOneMessage?: boolean
}

export interface LogReadResult {
  /** a byte range of one segment; may end in a partial batch */
  records: Buffer
  /** the offset read from and where it was found */
  fetchOffset: number
  segmentBaseOffset: number
  position: number
  /** true when the first batch did not fit in maxBytes (minOneMessage false) */
  firstEntryIncomplete: boolean
  highWatermark: number
  logStartOffset: number
  logEndOffset: number
  lastStableOffset: number
}

/** Log.readHints: where the batch holding an offset lies. */
interface ReadHint {
  segment: LogSegment
  position: number
  size: number
  generation: number
}

/** How many read positions a log remembers (a few readers each: consumers of several groups, followers). */
const MAX_READ_HINTS = 32

/** Where a read will read (Log.planRead): the result without its bytes. */
export interface LogReadPlan extends Omit<LogReadResult, 'records'> {
  /** the segment to read from; undefined when there is nothing to read */
  segment: LogSegment | undefined
  length: number
  /** Log.segmentsGeneration when planned */
  generation: number
  /** what it was planned with (a read-ahead plans the next read with the same) */
  options?: ReadOptions
}

export interface SegmentInfo {
  baseOffset: number
  size: number
  largestTimestamp: number
}

/** What the cleaner must keep of an active producer (Kafka's LastRecord). */
export interface LastRecord {
  /** the last offset of the producer's last data batch; undefined when its last entry is a transaction marker */
  lastDataOffset: number | undefined
  producerEpoch: number
}

export interface ActiveProducerState {
  producerId: number
  producerEpoch: number
  lastSequence: number
  lastTimestamp: number
  coordinatorEpoch: number
  /** -1 when no transaction is in progress */
  currentTxnFirstOffset: number
  /** the same, under DescribeProducers' name */
  currentTxnStartOffset: number
}

interface AnalyzedBatch {
  position: number
  size: number
  header: BatchHeader | undefined
  legacy: LegacyEntryHeader | undefined
}

interface AppendInfo {
  validBytes: number
  batches: AnalyzedBatch[]
  /** base offset of the first v2 batch, -1 when unknown (legacy) */
  firstOffset: number
  lastOffset: number
  lastOffsetOfFirstBatch: number
  maxTimestamp: number
  shallowOffsetOfMaxTimestamp: number
  recordCount: number
}

type SegmentDeletionReason =
  | 'RetentionMsBreach'
  | 'RetentionSizeBreach'
  | 'StartOffsetBreach'
  | 'LogTruncation'
  | 'LogRoll'
  | 'LogDeletion'

/** Whether a directory entry is a regular file (a stat when readdir could not tell, or for a symbolic link). */
function isFile(d: Dirent | undefined, path: string): boolean {
  if (d?.isFile()) return true
  if (d?.isDirectory()) return false
  return statSync(path).isFile()
}

function batchLastOffset(b: AnalyzedBatch): number {
  return b.header ? b.header.lastOffset : b.legacy!.offset
}

export class Log {
  readonly topicPartition: TopicPartition
  private _dir: string
  private _config: LogConfig
  private readonly scheduler: Scheduler
  private readonly ownScheduler: ScopedScheduler | undefined
  private readonly clock: Clock
  private readonly logger: Logger
  private segments: LogSegment[] = []
  private _logStartOffset = 0
  private _recoveryPoint = 0
  private _nextOffset = 0
  private _highWatermark = 0
  private _lastFlushTime: number
  private _topicId: string | undefined
  /** partition.metadata's write on libuv's pool (see writeTopicIdLater); `topicIdDirty` while it is not on disk */
  private topicIdWrite: Promise<void> = Promise.resolve()
  private topicIdDirty = false
  private firstUnstableOffsetValue: number | undefined
  private closed = false
  /** bumped whenever segments are removed, replaced or truncated (the cleaner aborts a pass that saw a change) */
  private _segmentsGeneration = 0
  /**
   * Where readers go on (fetch offset → the batch holding it), learnt from the bytes of earlier reads
   * (readPlanned): a consumer or follower reading on asks next for the offset after the last whole batch it got,
   * and planning that read then needs neither the offset index nor a batch header from disk — for data no longer
   * in the page cache each of those is a synchronous disk read on the event loop. Bounded (oldest out); valid only
   * while the segments do not change (generation).
   */
  private readonly readHints = new Map<number, ReadHint>()
  /** Bytes read ahead for sequential readers, by where they start (read-ahead.ts). */
  private readonly readAheads = new Map<string, ReadAhead>()
  /** The segments whose successor prepareNextSegment() has read ahead. */
  private readonly preparedSegments = new WeakSet<LogSegment>()
  private flushScheduled = false
  /** the lowest offset truncated to since the cleaner last asked */
  private truncatedTo: number | undefined
  private readonly producerExpireCheck: ScheduledTask
  readonly leaderEpochCache: LeaderEpochFileCache
  readonly producerStateManager: ProducerStateManager

  private readonly storageFaults: StorageFaultListener | undefined
  /**
   * The directory's entries while loading, so that one readdir serves every check (undefined for a file created
   * since); dropped as soon as the load changes the directory in a way the checks care about, and after the load.
   */
  private listing: Map<string, Dirent | undefined> | undefined
  /** A storage fault was reported and no append has worked since. */
  private faulted = false

  private constructor(o: LogOptions) {
    this.storageFaults = o.storageFaults
    this._dir = o.dir
    this._config = o.config
    allowRecordBytes(o.config.maxMessageBytes)
    this.ownScheduler = o.scheduler ? undefined : new ScopedScheduler(new SystemScheduler(o.logger), o.logger)
    this.scheduler = o.scheduler ?? this.ownScheduler!
    this.clock = this.scheduler.clock
    this.topicPartition = parseTopicPartitionName(o.dir)
    this.logger = o.logger ?? silentLogger
    this._lastFlushTime = this.clock.now()
    mkdirs(o.dir)
    const listing = this.listDir()
    const epochFile = join(o.dir, LEADER_EPOCH_CHECKPOINT_FILENAME)
    if (!listing.has(LEADER_EPOCH_CHECKPOINT_FILENAME)) {
      writeFileSync(epochFile, '')
      listing.set(LEADER_EPOCH_CHECKPOINT_FILENAME, undefined)
    }
    this.leaderEpochCache = new LeaderEpochFileCache(
      epochFile,
      this.logger,
      `[LeaderEpochCache ${this.name}] `,
      (e) => {
        if (storageFault(e) === 'failed') this.storageFaults?.onFault(this, 'failed', e)
      },
    )
    this.producerStateManager = new ProducerStateManager(
      this.name,
      o.dir,
      {
        producerIdExpirationMs: o.producerIdExpirationMs ?? 86400000,
        maxTransactionTimeoutMs: o.maxTransactionTimeoutMs ?? 900000,
        transactionVerificationEnabled: o.transactionVerificationEnabled ?? false,
      },
      this.clock,
      this.logger,
      listing.keys(),
    )
    try {
      this.load(o.logStartOffset ?? 0, o.recoveryPoint ?? 0, o.hadCleanShutdown ?? false)
    } finally {
      this.listing = undefined
    }
    this._highWatermark = this._logStartOffset
    this.updateLogStartOffset(Math.max(this._logStartOffset, this.segments[0]!.baseOffset))
    this.maybeIncrementFirstUnstableOffset()
    this.initializeTopicId(o.topicId)
    const interval = o.producerIdExpirationCheckIntervalMs ?? 600000
    this.producerExpireCheck = this.scheduler.schedule(
      'PeriodicProducerExpirationCheck',
      () => this.removeExpiredProducers(this.clock.now()),
      interval,
      interval,
    )
  }

  /** Opens (creating if needed) the log in `o.dir`, recovering it unless it had a clean shutdown. */
  static open(o: LogOptions): Log {
    return new Log(o)
  }

  // -------------------------------------------------------------------------------------------------------------
  // identity and state

  get name(): string {
    return `${this.topicPartition.topic}-${this.topicPartition.partition}`
  }
  get topic(): string {
    return this.topicPartition.topic
  }
  get partition(): number {
    return this.topicPartition.partition
  }
  get dir(): string {
    return this._dir
  }
  /** the log directory this partition lives in */
  get parentDir(): string {
    return dirname(this._dir)
  }
  get config(): LogConfig {
    return this._config
  }
  get topicId(): string | undefined {
    return this._topicId
  }
  get logStartOffset(): number {
    return this._logStartOffset
  }
  get logEndOffset(): number {
    return this._nextOffset
  }
  get highWatermark(): number {
    return this._highWatermark
  }
  get recoveryPoint(): number {
    return this._recoveryPoint
  }
  get lastFlushTime(): number {
    return this._lastFlushTime
  }
  get unflushedMessages(): number {
    return this._nextOffset - this._recoveryPoint
  }
  get isClosed(): boolean {
    return this.closed
  }
  /** bytes in all segments */
  get size(): number {
    let s = 0
    for (const seg of this.segments) s += seg.size
    return s
  }
  get numberOfSegments(): number {
    return this.segments.length
  }
  get activeSegment(): LogSegment {
    return this.segments[this.segments.length - 1]!
  }
  /** the segments, oldest first */
  get logSegments(): readonly LogSegment[] {
    return this.segments
  }

  segmentInfos(): SegmentInfo[] {
    return this.segments.map((s) => ({
      baseOffset: s.baseOffset,
      size: s.size,
      largestTimestamp: s.largestTimestamp(),
    }))
  }

  private get ident(): string {
    return `[Log partition=${this.name}, dir=${this.parentDir}] `
  }

  private checkOpen(): void {
    if (this.closed)
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `The log for partition ${this.name} is closed`)
  }

  updateConfig(config: LogConfig): LogConfig {
    allowRecordBytes(config.maxMessageBytes)
    const old = this._config
    this._config = config
    return old
  }

  private initializeTopicId(topicId: string | undefined): void {
    const fileTopicId = readPartitionMetadata(this._dir)
    if (fileTopicId !== undefined) {
      if (topicId !== undefined && topicId !== fileTopicId) {
        throw new KafkaError(
          ErrorCode.INCONSISTENT_TOPIC_ID,
          `Tried to assign topic ID ${topicId} to log for topic partition ${this.name},but log already contained topic ID ${fileTopicId}`,
        )
      }
      this._topicId = fileTopicId
    } else if (topicId !== undefined) {
      this._topicId = topicId
      this.writeTopicIdLater()
    }
  }

  /**
   * Writes partition.metadata off the event loop, as Kafka schedules its flush (KAFKA-15046): creating a topic of
   * thousands of partitions must not wait for two fsyncs per partition on the event loop. Until it is written, a
   * crash loses only the file, and the controller's metadata assigns the id again (assignTopicId).
   */
  private writeTopicIdLater(): void {
    this.topicIdDirty = true
    this.topicIdWrite = this.topicIdWrite.then(() => this.writeTopicId())
  }

  private async writeTopicId(): Promise<void> {
    const topicId = this._topicId
    if (!this.topicIdDirty || topicId === undefined) return
    const dir = this._dir
    this.topicIdDirty = false
    try {
      await writePartitionMetadataAsync(dir, topicId)
    } catch (e) {
      this.topicIdDirty = true
      if (dir !== this._dir) return this.writeTopicId() // renamed meanwhile: write it in the new place
      if (this.closed && isErrno(e, 'ENOENT')) return // deleted
      const fault = storageFault(e)
      if (fault === 'failed') this.storageFaults?.onFault(this, fault, e)
      this.logger.error(
        { err: e },
        `${this.ident}Error while writing the partition metadata file of ${this.name}`,
      )
    }
  }

  /** Resolves once partition.metadata holds the topic id (or its write failed and was logged); never rejects. */
  async topicIdWritten(): Promise<void> {
    await this.topicIdWrite
    if (this.topicIdDirty) {
      this.topicIdWrite = this.topicIdWrite.then(() => this.writeTopicId())
      await this.topicIdWrite
    }
  }

  /** Records the topic id (ZooKeeper clusters assign ids to existing topics). */
  assignTopicId(topicId: string): void {
    if (this._topicId !== undefined) {
      if (this._topicId !== topicId) {
        throw new KafkaError(
          ErrorCode.INCONSISTENT_TOPIC_ID,
          `Tried to assign topic ID ${topicId} to log for topic partition ${this.name},but log already contained topic ID ${this._topicId}`,
        )
      }
      return
    }
    this._topicId = topicId
    if (existsSync(this._dir)) this.writeTopicIdLater()
  }

  // -------------------------------------------------------------------------------------------------------------
  // loading (LogLoader)

  /** The directory's entries, listed once while loading (see `listing`). */
  private listDir(): Map<string, Dirent | undefined> {
    this.listing ??= new Map(readdirSync(this._dir, { withFileTypes: true }).map((d) => [d.name, d]))
    return this.listing
  }

  private openSegment(
    baseOffset: number,
    fileAlreadyExists: boolean,
    suffix = '',
    indexFilesExist?: boolean,
  ): LogSegment {
    if (!fileAlreadyExists) this.listing = undefined
    return LogSegment.open({
      dir: this._dir,
      baseOffset,
      indexIntervalBytes: this._config.indexIntervalBytes,
      maxIndexSize: this._config.segmentIndexBytes,
      rollJitterMs: randomSegmentJitter(this._config),
      clock: this.clock,
      logger: this.logger,
      fileAlreadyExists,
      suffix,
      indexFilesExist,
      onWriteError: (firstOffset, err) => this.onDeferredWriteFailed(firstOffset, err),
    })
  }

  private load(
    logStartOffsetCheckpoint: number,
    recoveryPointCheckpoint: number,
    hadCleanShutdown: boolean,
  ): void {
    this.removeTempFilesAndRecoverSwapFiles()
    this.loadSegmentFiles(logStartOffsetCheckpoint, recoveryPointCheckpoint, hadCleanShutdown)
    let nextOffset: number
    let newRecoveryPoint: number
    const isDeleteDir = this._dir.endsWith(DELETE_DIR_SUFFIX)
    if (!isDeleteDir) {
      const r = this.recoverLog(logStartOffsetCheckpoint, recoveryPointCheckpoint, hadCleanShutdown)
      nextOffset = r.nextOffset
      newRecoveryPoint = r.newRecoveryPoint
    } else {
      if (this.segments.length === 0) this.segments.push(this.openSegment(0, false))
      nextOffset = 0
      newRecoveryPoint = 0
    }
    this.leaderEpochCache.truncateFromEndAsyncFlush(nextOffset)
    const newLogStartOffset = Math.max(logStartOffsetCheckpoint, this.segments[0]!.baseOffset)
    this.leaderEpochCache.truncateFromStart(logStartOffsetCheckpoint)
    this.producerStateManager.removeStraySnapshots(
      this.segments.map((s) => s.baseOffset),
      this.listing?.keys(),
    )
    this._logStartOffset = newLogStartOffset
    this._nextOffset = nextOffset
    this._recoveryPoint = newRecoveryPoint
    // What lies below the recovery point was flushed before (that is what the checkpoint, or the clean shutdown
    // marker, says): those segments need no fsync until they are written again.
    for (let i = 0; i < this.segments.length; i++) {
      const end = this.segments[i + 1]?.baseOffset ?? nextOffset
      if (end <= newRecoveryPoint) this.segments[i]!.markSynced()
    }
    rebuildProducerState(
      this.producerStateManager,
      this.segments,
      newLogStartOffset,
      nextOffset,
      hadCleanShutdown,
      this.clock,
      this.logger,
      this.ident,
    )
  }

  private removeTempFilesAndRecoverSwapFiles(): void {
    const names = [...this.listDir().keys()]
    const swapFiles: string[] = []
    let minCleaned = Number.POSITIVE_INFINITY
    const cleaned: string[] = []
    for (const name of names) {
      if (name.endsWith(DELETED_FILE_SUFFIX) && !name.endsWith('.checkpoint.deleted')) {
        this.logger.debug(`${this.ident}Deleting stray temporary file ${join(this._dir, name)}`)
        deleteIfExists(join(this._dir, name))
      } else if (name.endsWith(CLEANED_FILE_SUFFIX)) {
        minCleaned = Math.min(minCleaned, offsetFromFileName(name) ?? Number.POSITIVE_INFINITY)
        cleaned.push(name)
      } else if (name.endsWith(SWAP_FILE_SUFFIX)) {
        swapFiles.push(name)
      }
    }
    const validSwap: string[] = []
    for (const name of swapFiles) {
      if ((offsetFromFileName(name) ?? 0) >= minCleaned) deleteIfExists(join(this._dir, name))
      else validSwap.push(name)
    }
    for (const name of cleaned) deleteIfExists(join(this._dir, name))
    if (swapFiles.length > 0 || cleaned.length > 0 || names.some((n) => n.endsWith(DELETED_FILE_SUFFIX))) {
      this.listing = undefined
    }
    // segments replaced by a compaction/split that was interrupted: drop the old files, rename the swaps
    let minSwap = Number.POSITIVE_INFINITY
    let maxSwap = Number.NEGATIVE_INFINITY
    for (const name of validSwap) {
      if (!name.endsWith(LOG_FILE_SUFFIX + SWAP_FILE_SUFFIX)) continue
      const base = offsetFromFileName(name)!
      const seg = this.openSegment(base, true, SWAP_FILE_SUFFIX)
      this.logger.info(
        `${this.ident}Found log file ${join(this._dir, name)} from interrupted swap operation, which is recoverable from ${SWAP_FILE_SUFFIX} files by renaming.`,
      )
      minSwap = Math.min(minSwap, base)
      maxSwap = Math.max(maxSwap, seg.readNextOffset())
      seg.closeHandlers()
    }
    if (validSwap.length > 0) {
      for (const name of readdirSync(this._dir)) {
        if (name.endsWith(SWAP_FILE_SUFFIX)) continue
        const o = offsetFromFileName(name)
        if (o !== undefined && o >= minSwap && o < maxSwap) {
          this.logger.info(
            `${this.ident}Deleting segment files ${name} that is compacted but has not been deleted yet.`,
          )
          deleteIfExists(join(this._dir, name))
        }
      }
      for (const name of readdirSync(this._dir)) {
        if (!name.endsWith(SWAP_FILE_SUFFIX)) continue
        this.logger.info(`${this.ident}Recovering file ${name} by renaming from ${SWAP_FILE_SUFFIX} files.`)
        renameSync(join(this._dir, name), join(this._dir, name.slice(0, -SWAP_FILE_SUFFIX.length)))
      }
    }
  }

  private loadSegmentFiles(
    logStartOffsetCheckpoint: number,
    recoveryPointCheckpoint: number,
    hadCleanShutdown: boolean,
  ): void {
    const listing = this.listDir()
    const has = (path: string): boolean => listing.has(basename(path))
    for (const name of [...listing.keys()].sort()) {
      const full = join(this._dir, name)
      const isIndex =
        name.endsWith(INDEX_FILE_SUFFIX) ||
        name.endsWith(TIME_INDEX_FILE_SUFFIX) ||
        name.endsWith(TXN_INDEX_FILE_SUFFIX)
      const offset = offsetFromFileName(name)
      if (offset === undefined) continue
      if (isIndex) {
        if (!has(logFile(this._dir, offset))) {
          this.logger.warn(
            `${this.ident}Found an orphaned index file ${full}, with no corresponding log file.`,
          )
          deleteIfExists(full)
        }
      } else if (name.endsWith(LOG_FILE_SUFFIX) && isFile(listing.get(name), full)) {
        const segment = this.openSegment(
          offset,
          true,
          '',
          has(offsetIndexFile(this._dir, offset)) && has(timeIndexFile(this._dir, offset)),
        )
        this.segments.push(segment)
        if (segment.hasMissingIndex) {
          if (hadCleanShutdown || segment.baseOffset < recoveryPointCheckpoint) {
            this.logger.error(
              `${this.ident}Could not find offset index file corresponding to log file ${segment.path}, recovering segment and rebuilding index files...`,
            )
          }
          this.recoverSegment(segment, logStartOffsetCheckpoint)
        }
      }
    }
  }

  /** Recovers one segment with producer state rebuilt up to its base offset. */
  private recoverSegment(segment: LogSegment, logStartOffsetCheckpoint: number): number {
    this.listing = undefined // it writes a producer snapshot
    const psm = new ProducerStateManager(
      this.name,
      this._dir,
      this.producerStateManager.config,
      this.clock,
      this.logger,
    )
    const before = this.segments.filter((s) => s.baseOffset < segment.baseOffset)
    rebuildProducerState(
      psm,
      before,
      logStartOffsetCheckpoint,
      segment.baseOffset,
      false,
      this.clock,
      this.logger,
      this.ident,
    )
    const truncated = segment.recover(psm, this.leaderEpochCache)
    psm.takeSnapshot()
    return truncated
  }

  private recoverLog(
    logStartOffsetCheckpoint: number,
    recoveryPointCheckpoint: number,
    hadCleanShutdown: boolean,
  ): { newRecoveryPoint: number; nextOffset: number } {
    if (!hadCleanShutdown) {
      const unflushed = segmentsInRange(this.segments, recoveryPointCheckpoint, Number.MAX_SAFE_INTEGER)
      for (let i = 0; i < unflushed.length; i++) {
        const segment = unflushed[i]!
        this.logger.info(
          `${this.ident}Recovering unflushed segment ${segment.baseOffset}. ${i}/${unflushed.length} recovered for ${this.name}.`,
        )
        let truncatedBytes: number
        try {
          truncatedBytes = this.recoverSegment(segment, logStartOffsetCheckpoint)
        } catch (e) {
          this.logger.warn(
            { err: e },
            `${this.ident}Found invalid offset during recovery. Deleting the corrupt segment and creating an empty one with starting offset ${segment.baseOffset}`,
          )
          truncatedBytes = segment.truncateTo(segment.baseOffset)
        }
        if (truncatedBytes > 0) {
          this.logger.warn(
            `${this.ident}Corruption found in segment ${segment.baseOffset}, truncating to offset ${segment.readNextOffset()}`,
          )
          const remaining = unflushed.slice(i + 1)
          this.removeAndDeleteSegments(remaining, true, 'LogTruncation')
          break
        }
      }
    }
    let logEndOffset: number | undefined
    if (this.segments.length > 0) {
      const leo = this.activeSegment.readNextOffset()
      if (leo >= logStartOffsetCheckpoint) logEndOffset = leo
      else {
        this.logger.warn(
          `${this.ident}Deleting all segments because logEndOffset (${leo}) is smaller than logStartOffset ${logStartOffsetCheckpoint}. ` +
            'This could happen if segment files were deleted from the file system.',
        )
        this.removeAndDeleteSegments([...this.segments], true, 'LogDeletion')
        this.leaderEpochCache.clearAndFlush()
        this.producerStateManager.truncateFullyAndStartAt(logStartOffsetCheckpoint)
      }
    }
    if (this.segments.length === 0) this.segments.push(this.openSegment(logStartOffsetCheckpoint, false))
    if (hadCleanShutdown && logEndOffset !== undefined)
      return { newRecoveryPoint: logEndOffset, nextOffset: logEndOffset }
    const leo = logEndOffset ?? this.activeSegment.readNextOffset()
    return { newRecoveryPoint: Math.min(recoveryPointCheckpoint, leo), nextOffset: leo }
  }

  // -------------------------------------------------------------------------------------------------------------
  // high watermark, log start offset, LSO

  /**
   * The end of what is in the segment files: the log end offset, or the first offset of a deferred append still on
   * its way (only the active segment has such appends). Reads stop there and the high watermark never passes it,
   * so nobody sees records that a failed write could still take back.
   */
  get writtenEndOffset(): number {
    const pending = this.activeSegment.firstPendingOffset
    return pending === undefined ? this._nextOffset : Math.min(pending, this._nextOffset)
  }

  /** Sets the high watermark, bounded by [logStartOffset, logEndOffset]; returns the value set. */
  updateHighWatermark(hw: number): number {
    const v =
      hw < this._logStartOffset ? this._logStartOffset : hw >= this._nextOffset ? this._nextOffset : hw
    this.setHighWatermark(v)
    return v
  }

  /** Raises the high watermark (leader side); returns the old value when it moved. Above the LEO is an error. */
  maybeIncrementHighWatermark(hw: number): number | undefined {
    if (hw > this._nextOffset) {
      throw new Error(`High watermark ${hw} update exceeds current log end offset ${this._nextOffset}`)
    }
    const old = this._highWatermark
    if (old < hw) {
      this.setHighWatermark(hw)
      return old
    }
    return undefined
  }

  private setHighWatermark(hw: number): void {
    if (hw < 0) throw new Error('High watermark offset should be non-negative')
    if (hw < this._highWatermark)
      this.logger.warn(
        `${this.ident}Non-monotonic update of high watermark from ${this._highWatermark} to ${hw}`,
      )
    this._highWatermark = hw
    this.producerStateManager.onHighWatermarkUpdated(hw)
    this.maybeIncrementFirstUnstableOffset()
  }

  private updateHighWatermarkWithLogEndOffset(): void {
    if (this._highWatermark >= this._nextOffset) this.setHighWatermark(this._nextOffset)
  }

  private updateLogStartOffset(offset: number): void {
    this._logStartOffset = offset
    if (this._highWatermark < offset) this.updateHighWatermark(offset)
    if (this._recoveryPoint < offset) this._recoveryPoint = offset
  }

  /** The first offset of an open transaction (or of a completed one not yet below the high watermark). */
  get firstUnstableOffset(): number | undefined {
    return this.firstUnstableOffsetValue
  }

  /** Consumers in read_committed read up to here. */
  get lastStableOffset(): number {
    const fuo = this.firstUnstableOffsetValue
    return fuo !== undefined && fuo < this._highWatermark ? fuo : this._highWatermark
  }

  private maybeIncrementFirstUnstableOffset(): void {
    const o = this.producerStateManager.firstUnstableOffset()
    this.firstUnstableOffsetValue = o === undefined ? undefined : Math.max(o, this._logStartOffset)
  }

  /**
   * Moves the log start offset forward (DeleteRecords, retention). OFFSET_OUT_OF_RANGE above the high watermark.
   * Returns true when it moved.
   */
  maybeIncrementLogStartOffset(newLogStartOffset: number, reason = 'ClientRecordDeletion'): boolean {
    this.checkOpen()
    if (newLogStartOffset > this._highWatermark) {
      throw new KafkaError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `Cannot increment the log start offset to ${newLogStartOffset} of partition ${this.name} since it is larger than the high watermark ${this._highWatermark}`,
      )
    }
    if (newLogStartOffset > this._logStartOffset) {
      this.updateLogStartOffset(newLogStartOffset)
      this.logger.info(`${this.ident}Incremented log start offset to ${newLogStartOffset} due to ${reason}`)
      this.leaderEpochCache.truncateFromStart(this._logStartOffset)
      this.producerStateManager.onLogStartOffsetIncremented(newLogStartOffset)
      this.maybeIncrementFirstUnstableOffset()
      return true
    }
    return false
  }

  // -------------------------------------------------------------------------------------------------------------
  // leader epochs

  /** Records that `leaderEpoch` starts at `startOffset` (Partition.makeLeader does this at the LEO). */
  assignLeaderEpoch(leaderEpoch: number, startOffset: number): void {
    if (leaderEpoch >= 0) this.leaderEpochCache.assign(leaderEpoch, startOffset)
  }

  latestEpoch(): number | undefined {
    return this.leaderEpochCache.latestEpoch()
  }

  /** The leader epochs of this log and where each starts (leader-epoch-checkpoint), oldest first. */
  leaderEpochEntries(): { epoch: number; startOffset: number }[] {
    return this.leaderEpochCache.entries()
  }

  /** OffsetForLeaderEpoch: the epoch ≤ `leaderEpoch` and its end offset, or undefined when unknown. */
  endOffsetForEpoch(leaderEpoch: number): { epoch: number; endOffset: number } | undefined {
    const r = this.leaderEpochCache.endOffsetFor(leaderEpoch, this._nextOffset)
    return r.endOffset === -1 ? undefined : r
  }

  // -------------------------------------------------------------------------------------------------------------
  // producers

  removeExpiredProducers(now: number): void {
    if (!this.closed) this.producerStateManager.removeExpiredProducers(now)
  }

  /** The producers DescribeProducers reports. */
  activeProducers(): ActiveProducerState[] {
    return this.producerStateManager.describeProducers().map((p) => ({
      producerId: p.producerId,
      producerEpoch: p.producerEpoch,
      lastSequence: p.lastSequence,
      lastTimestamp: p.lastTimestamp,
      coordinatorEpoch: p.coordinatorEpoch,
      currentTxnFirstOffset: p.currentTxnStartOffset,
      currentTxnStartOffset: p.currentTxnStartOffset,
    }))
  }

  hasOngoingTransaction(producerId: number): boolean {
    return this.producerStateManager.lastEntry(producerId)?.currentTxnFirstOffset !== undefined
  }

  /**
   * KIP-890: before the first transactional write of a producer to this partition, the leader verifies with the
   * transaction coordinator that the transaction includes the partition. Returns the guard to append with, or
   * undefined when the producer already has a transaction open here (nothing to verify).
   */
  maybeStartTransactionVerification(
    producerId: number,
    sequence: number,
    epoch: number,
  ): VerificationGuard | undefined {
    if (this.hasOngoingTransaction(producerId)) return undefined
    return this.producerStateManager.maybeCreateVerificationStateEntry(producerId, sequence, epoch).guard
  }

  // -------------------------------------------------------------------------------------------------------------
  // appends

  /**
   * Validates the batches as Kafka's LogValidator does, assigns offsets and the leader epoch by rewriting the batch
   * headers in `records` (in place, unless the batch is re-encoded: a codec other than the topic's compression.type,
   * or compressed with inner offsets out of order), sets LogAppendTime where configured, and appends.
   * A retried idempotent batch is answered with its original offsets (`duplicate: true`) without being written.
   */
  appendAsLeader(records: Buffer, opts: AppendOptions): LogAppendResult {
    return this.append(
      records,
      opts.origin ?? 'client',
      true,
      opts.leaderEpoch,
      false,
      opts.now ?? this.clock.now(),
      opts.verificationGuard,
      opts.deferWrite,
    )
  }

  /** Appends batches fetched from the leader, keeping their offsets and epochs. */
  appendAsFollower(records: Buffer): LogAppendResult {
    return this.append(records, 'replication', false, -1, true, this.clock.now())
  }

  private append(
    records: Buffer,
    origin: AppendOrigin,
    assignOffsets: boolean,
    leaderEpoch: number,
    ignoreRecordSize: boolean,
    now: number,
    verificationGuard?: VerificationGuard,
    deferWrite = false,
  ): LogAppendResult {
    this.checkOpen()
    let info = this.analyzeAndValidateRecords(records, origin, ignoreRecordSize, !assignOffsets)
    if (info.validBytes <= 0) {
      return {
        firstOffset: -1,
        lastOffset: -1,
        logAppendTime: -1,
        logStartOffset: this._logStartOffset,
        recordCount: 0,
        maxTimestamp: -1,
        validBytes: 0,
      }
    }
    let valid = info.validBytes === records.length ? records : records.subarray(0, info.validBytes)
    let firstOffset: number
    let lastOffset: number
    let maxTimestamp: number
    let shallowOffsetOfMaxTimestamp: number
    let logAppendTime = -1
    if (assignOffsets) {
      firstOffset = this._nextOffset
      const v = this.validateAndAssignOffsets(valid, info, firstOffset, leaderEpoch, origin, now)
      if (v.rebuilt) ({ records: valid, info } = v.rebuilt)
      lastOffset = v.lastOffset
      maxTimestamp = v.maxTimestamp
      shallowOffsetOfMaxTimestamp = v.shallowOffsetOfMaxTimestamp
      if (this._config.messageTimestampType === 'LogAppendTime') logAppendTime = now
    } else {
      const firstOrLast = info.firstOffset >= 0 ? info.firstOffset : info.lastOffsetOfFirstBatch
      if (firstOrLast < this._nextOffset) {
        throw new UnexpectedAppendOffsetError(
          `Unexpected offset in append to ${this.name}. ${info.firstOffset >= 0 ? 'First offset' : 'Last offset of the first batch'} ` +
            `${firstOrLast} is less than the next offset ${this._nextOffset}. Log start offset = ${this._logStartOffset}`,
          info.firstOffset >= 0 ? info.firstOffset : info.lastOffsetOfFirstBatch,
          info.lastOffset,
        )
      }
      firstOffset = info.firstOffset
      lastOffset = info.lastOffset
      maxTimestamp = info.maxTimestamp
      shallowOffsetOfMaxTimestamp = info.shallowOffsetOfMaxTimestamp
    }

    if (valid.length > this._config.segmentBytes) {
      throw new KafkaError(
        ErrorCode.RECORD_LIST_TOO_LARGE,
        `Message batch size is ${valid.length} bytes in append to partition ${this.name}, which exceeds the maximum configured segment size of ${this._config.segmentBytes}.`,
      )
    }

    // producer state: sequence/epoch checks and duplicate detection, before anything is written
    const { updatedProducers, completedTxns, duplicate } = this.analyzeAndValidateProducerState(
      valid,
      info,
      origin,
      verificationGuard,
    )
    if (duplicate) {
      return {
        firstOffset: firstOffsetOf(duplicate),
        lastOffset: duplicate.lastOffset,
        logAppendTime: duplicate.timestamp,
        logStartOffset: this._logStartOffset,
        recordCount: duplicate.offsetDelta + 1,
        duplicate: true,
        maxTimestamp: duplicate.timestamp,
        validBytes: 0,
      }
    }

    try {
      return this.write(valid, info, {
        updatedProducers,
        completedTxns,
        firstOffset,
        lastOffset,
        maxTimestamp,
        shallowOffsetOfMaxTimestamp,
        logAppendTime,
        assignOffsets,
        now,
        deferWrite,
      })
    } catch (e) {
      // out of file descriptors is no fault of the disk: the write is refused (see descriptors.ts), the dir stays
      if (isDescriptorExhaustion(e)) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, (e as Error).message)
      const fault = storageFault(e)
      if (!fault) throw e
      this.faulted = true
      this.storageFaults?.onFault(this, fault, e)
      throw asStorageError(e, `Error while appending records to ${this.name} in dir ${this.parentDir}`)
    }
  }

  /** The disk part of an append (see append): nothing of it stays when it fails. */
  private write(
    valid: Buffer,
    info: AppendInfo,
    a: {
      updatedProducers: Map<number, ProducerAppendInfo>
      completedTxns: CompletedTxn[]
      firstOffset: number
      lastOffset: number
      maxTimestamp: number
      shallowOffsetOfMaxTimestamp: number
      logAppendTime: number
      assignOffsets: boolean
      now: number
      deferWrite: boolean
    },
  ): LogAppendResult {
    const { updatedProducers, completedTxns, firstOffset, lastOffset, maxTimestamp } = a
    const logEndOffset = this._nextOffset
    // leader epoch cache, with the epoch stamped on the batches
    for (const b of info.batches) {
      if (b.header) {
        const h = readBatchHeaderFresh(valid, b.position)
        if (h.partitionLeaderEpoch >= 0) this.leaderEpochCache.assign(h.partitionLeaderEpoch, h.baseOffset)
      } else if (this.leaderEpochCache.nonEmpty()) {
        this.logger.warn(
          `${this.ident}Clearing leader epoch cache after unexpected append with message format v${b.legacy!.magic}`,
        )
        this.leaderEpochCache.clearAndFlush()
      }
    }

    const segment = this.maybeRoll(valid.length, firstOffset, lastOffset, maxTimestamp, a.now)
    const written = segment.append(
      lastOffset,
      maxTimestamp,
      a.shallowOffsetOfMaxTimestamp,
      valid,
      a.deferWrite,
    )
    if (this.faulted) {
      this.faulted = false
      this.storageFaults?.onRecovered(this)
    }
    this._nextOffset = lastOffset + 1
    this.updateHighWatermarkWithLogEndOffset()
    for (const p of updatedProducers.values()) this.producerStateManager.update(p)
    // a transactional data batch opened the transaction, a marker ended it: either way the guard is spent
    for (const b of info.batches) {
      if (b.header?.isTransactional)
        this.producerStateManager.clearVerificationStateEntry(b.header.producerId)
    }
    try {
      for (const c of completedTxns) {
        const lso = this.producerStateManager.lastStableOffset(c)
        segment.updateTxnIndex(c, lso)
        this.producerStateManager.completeTxn(c)
      }
    } catch (e) {
      // An aborted transaction's entry could not go into the transaction index (a full disk) after the records
      // did: the append is undone as a failed segment write is — the log stays as it was and the caller gets
      // KAFKA_STORAGE_ERROR — and the deferred write the truncation fails is no unhandled rejection.
      written?.catch(noop)
      if (!storageFault(e)) throw e
      try {
        // (the producer state has taken the append in part: it covers it, so that the truncation reloads it)
        this.producerStateManager.updateMapEndOffset(lastOffset + 1)
        this.truncateTo(logEndOffset)
      } catch (t) {
        this.logger.error(
          { err: t },
          `${this.ident}Error while truncating ${this.name} after a failed append`,
        )
      }
      throw e
    }
    this.producerStateManager.updateMapEndOffset(lastOffset + 1)
    this.maybeIncrementFirstUnstableOffset()
    if (this.unflushedMessages >= this._config.flushMessages) this.scheduleFlush()
    return {
      firstOffset: a.assignOffsets
        ? firstOffset
        : info.firstOffset >= 0
          ? info.firstOffset
          : info.lastOffsetOfFirstBatch,
      lastOffset,
      logAppendTime: a.logAppendTime,
      logStartOffset: this._logStartOffset,
      recordCount: info.recordCount,
      maxTimestamp,
      validBytes: valid.length,
      written,
    }
  }

  /**
   * A deferred append's write failed on the thread pool (see LogSegment.append): the log is truncated where its
   * bytes began — they, and whatever was appended after them, are gone, and their `written` promises fail — and the
   * fault is reported as a synchronous append's would be.
   */
  private onDeferredWriteFailed(firstOffset: number, err: unknown): void {
    // (logged once per episode by the storage fault listener, as a synchronous append's failure)
    this.logger.debug(
      { err },
      `${this.ident}Error while writing records at offset ${firstOffset} to ${this.name}`,
    )
    if (!this.closed && firstOffset < this._nextOffset) {
      try {
        this.truncateTo(firstOffset)
      } catch (e) {
        this.logger.error({ err: e }, `${this.ident}Error while truncating ${this.name} after a failed write`)
      }
    }
    const fault = storageFault(err)
    if (fault) {
      this.faulted = true
      this.storageFaults?.onFault(this, fault, err)
    }
  }

  /**
   * UnifiedLog.analyzeAndValidateRecords: per batch (in order) the client base offset, size against
   * max.message.bytes, and CRC. A trailing partial batch is dropped, as Kafka's iterator does.
   */
  private analyzeAndValidateRecords(
    records: Buffer,
    origin: AppendOrigin,
    ignoreRecordSize: boolean,
    requireOffsetsMonotonic: boolean,
  ): AppendInfo {
    const batches: AnalyzedBatch[] = []
    let validBytes = 0
    let firstOffset = -1
    let lastOffset = -1
    let lastOffsetOfFirstBatch = -1
    let monotonic = true
    let maxTimestamp = -1
    let shallowOffsetOfMaxTimestamp = -1
    let recordCount = 0
    for (const e of iterateBatches(records)) {
      if (e.kind === 'partial') {
        this.logger.debug(
          `${this.ident}Dropping ${e.available} trailing bytes of a partial batch in an append`,
        )
        break
      }
      if (e.kind === 'invalid')
        throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `${e.reason} in topic partition ${this.name}.`)
      if (e.kind === 'legacy' && origin !== 'replication') {
        throw new KafkaError(
          ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
          `Message format v${e.header.magic} is not accepted here (${this.name}); it must be converted to v2 first`,
        )
      }
      const h = e.kind === 'v2' ? e.header : undefined
      const legacy = e.kind === 'legacy' ? e.header : undefined
      if (h && origin === 'client' && h.baseOffset !== 0) {
        throw new KafkaError(
          ErrorCode.INVALID_RECORD,
          `The baseOffset of the record batch in the append to ${this.name} should be 0, but it is ${h.baseOffset}`,
        )
      }
      const batchLast = h ? h.lastOffset : legacy!.offset
      if (batches.length === 0) {
        if (h) firstOffset = h.baseOffset
        lastOffsetOfFirstBatch = batchLast
      }
      if (lastOffset >= batchLast) monotonic = false
      lastOffset = batchLast
      if (!ignoreRecordSize && e.size > this._config.maxMessageBytes) {
        throw new KafkaError(
          ErrorCode.MESSAGE_TOO_LARGE,
          `The record batch size in the append to ${this.name} is ${e.size} bytes which exceeds the maximum configured value of ${this._config.maxMessageBytes}.`,
        )
      }
      const crcOk = h ? verifyCrc(records, e.position) : verifyLegacyCrc(records, e.position)
      if (!crcOk) {
        const stored = h ? h.crc : legacy!.crc
        throw new KafkaError(
          ErrorCode.CORRUPT_MESSAGE,
          `Record is corrupt (stored crc = ${stored}) in topic partition ${this.name}.`,
        )
      }
      const ts = h ? h.maxTimestamp : legacy!.timestamp
      if (ts > maxTimestamp) {
        maxTimestamp = ts
        shallowOffsetOfMaxTimestamp = lastOffset
      }
      validBytes += e.size
      recordCount += h ? h.recordCount : 1
      batches.push({ position: e.position, size: e.size, header: h, legacy })
    }
    if (requireOffsetsMonotonic && !monotonic) {
      throw new OffsetsOutOfOrderError(
        `Out of order offsets found in append to ${this.name}: ${batches.map(batchLastOffset).join(', ')}`,
      )
    }
    return {
      validBytes,
      batches,
      firstOffset,
      lastOffset,
      lastOffsetOfFirstBatch,
      maxTimestamp,
      shallowOffsetOfMaxTimestamp,
      recordCount,
    }
  }

  /**
   * LogValidator for magic 2: batch checks, record checks (every record is parsed: see validateRecords), then the
   * in-place header rewrite. A batch whose codec is not the topic's compression.type is rebuilt in that codec, and a
   * compressed batch whose inner offsets are not 0..n-1 in its own, as Kafka does (`rebuilt`: the new bytes and their
   * analysis); anything else keeps the producer's bytes.
   */
  private validateAndAssignOffsets(
    records: Buffer,
    info: AppendInfo,
    firstOffset: number,
    leaderEpoch: number,
    origin: AppendOrigin,
    now: number,
  ): {
    lastOffset: number
    maxTimestamp: number
    shallowOffsetOfMaxTimestamp: number
    rebuilt?: { records: Buffer; info: AppendInfo }
  } {
    if (info.batches.length === 0)
      throw new KafkaError(ErrorCode.INVALID_RECORD, 'Record batch has no batches at all')
    if (info.batches.length > 1)
      throw new KafkaError(ErrorCode.INVALID_RECORD, 'Compressed outer record has more than one batch')
    let b = info.batches[0]!
    let h = b.header!
    const tp = this.name
    if (origin === 'client') {
      const countFromOffsets = h.lastOffsetDelta + 1
      if (countFromOffsets <= 0) {
        throw new KafkaError(
          ErrorCode.INVALID_RECORD,
          `Batch has an invalid offset range: [${h.baseOffset}, ${h.lastOffset}] in topic partition ${tp}`,
        )
      }
      if (h.recordCount <= 0) {
        throw new KafkaError(
          ErrorCode.INVALID_RECORD,
          `Invalid reported count for record batch: ${h.recordCount} in topic partition ${tp}`,
        )
      }
      if (countFromOffsets !== h.recordCount) {
        throw new KafkaError(
          ErrorCode.INVALID_RECORD,
          `Inconsistent batch offset range [${h.baseOffset}, ${h.lastOffset}] and count of records ${h.recordCount} in topic partition ${tp}`,
        )
      }
      if (h.isControl)
        throw new KafkaError(
          ErrorCode.INVALID_RECORD,
          `Clients are not allowed to write control records in topic partition ${tp}`,
        )
      if (h.producerId >= 0 && h.baseSequence < 0) {
        throw new KafkaError(
          ErrorCode.INVALID_RECORD,
          `Invalid sequence number ${h.baseSequence} in record batch with producerId ${h.producerId} in topic partition ${tp}`,
        )
      }
    }
    const scan = this.validateRecords(records, b.position, h, now)
    let rebuilt: { records: Buffer; info: AppendInfo } | undefined
    // the topic's compression.type ('producer': the batch's own); control batches keep theirs (never compressed)
    const c = this._config
    const target = h.isControl ? h.compression : (compressionCodeOf(c.compressionType) ?? h.compression)
    if (target !== h.compression || (!scan.offsetsInOrder && h.compression !== Compression.NONE)) {
      // a batch in another codec is re-encoded in the topic's; "some older clients do not implement the V1 internal
      // offsets correctly": Kafka rewrites those too, never refuses
      const level = levelFor(target, {
        gzip: c.compressionGzipLevel,
        lz4: c.compressionLz4Level,
        zstd: c.compressionZstdLevel,
      })
      const bytes = rebuildBatch(records, b.position, target, level)
      const again = this.analyzeAndValidateRecords(bytes, origin, false, false)
      rebuilt = { records: bytes, info: again }
      records = bytes
      b = again.batches[0]!
      h = b.header!
    }

    const lastOffset = firstOffset + Math.max(h.recordCount, 1) - 1
    setLastOffset(records, b.position, lastOffset)
    setPartitionLeaderEpoch(records, b.position, leaderEpoch)
    if (this._config.messageTimestampType === 'LogAppendTime') {
      setMaxTimestamp(records, b.position, 'LogAppendTime', now)
      return { lastOffset, maxTimestamp: now, shallowOffsetOfMaxTimestamp: lastOffset, rebuilt }
    }
    // MaxTimestamp is what the records say, as Kafka sets it (the CRC is recomputed only if it changes)
    setMaxTimestamp(records, b.position, 'CreateTime', scan.maxTimestamp)
    return { lastOffset, maxTimestamp: scan.maxTimestamp, shallowOffsetOfMaxTimestamp: lastOffset, rebuilt }
  }

  /**
   * Record-level checks (LogValidator.validateRecord), on every record of the batch as Kafka's validator iterates
   * them: each record must parse (a compressed batch is inflated within its inflateLimit; see scanRecords), keys
   * on compacted topics, CreateTime timestamps within message.timestamp.before/after.max.ms, no LogAppendTime
   * from a producer where it would count.
   */
  private validateRecords(records: Buffer, position: number, h: BatchHeader, now: number): RecordScan {
    const c = this._config
    const compacted = isCompacted(c)
    const createTime = c.messageTimestampType === 'CreateTime'
    const boundedTimestamps =
      createTime && !(isUnbounded(c.messageTimestampBeforeMaxMs) && isUnbounded(c.messageTimestampAfterMaxMs))
    // Nothing below can fail for a record of a CreateTime batch when the topic is not compacted and timestamps are
    // unbounded (Kafka's defaults): no visit per record then.
    if (!compacted && !boundedTimestamps && h.timestampType !== 'LogAppendTime')
      return scanRecords(records, position)
    let errors: RecordError[] | undefined
    let timestampError = false
    const scan = scanRecords(records, position, (index, offsetDelta, ts, hasKey) => {
      if (compacted && !hasKey) {
        ;(errors ??= []).push({
          batchIndex: index,
          message: `Compacted topic cannot accept message without key in topic partition ${this.name}`,
        })
        return
      }
      if (createTime && ts !== -1) {
        const diff = now - ts
        if (
          boundedTimestamps &&
          (diff > c.messageTimestampBeforeMaxMs || -diff > c.messageTimestampAfterMaxMs)
        ) {
          timestampError = true
          ;(errors ??= []).push({
            batchIndex: index,
            message:
              `Timestamp ${ts} of message with offset ${offsetDelta} is out of range. The timestamp should be within ` +
              `[${now - c.messageTimestampBeforeMaxMs}, ${now + c.messageTimestampAfterMaxMs}]`,
          })
        }
      } else if (h.timestampType === 'LogAppendTime') {
        timestampError = true
        ;(errors ??= []).push({
          batchIndex: index,
          message:
            'Invalid timestamp type in message. Producer should not set timestamp type to LogAppendTime.',
        })
      }
    })
    if (errors !== undefined) {
      if (timestampError) {
        throw new RecordValidationError(
          ErrorCode.INVALID_TIMESTAMP,
          'One or more records have been rejected due to invalid timestamp',
          errors,
        )
      }
      const shown = errors
        .slice(0, 3)
        .map((e) => `RecordError(batchIndex=${e.batchIndex}, message='${e.message}')`)
        .join(', ')
      throw new RecordValidationError(
        ErrorCode.INVALID_RECORD,
        `One or more records have been rejected due to ${errors.length} record errors in total, and only showing the first three errors at most: [${shown}]`,
        errors,
      )
    }
    return scan
  }

  private analyzeAndValidateProducerState(
    records: Buffer,
    info: AppendInfo,
    origin: AppendOrigin,
    verificationGuard: VerificationGuard | undefined,
  ): {
    updatedProducers: Map<number, ProducerAppendInfo>
    completedTxns: CompletedTxn[]
    duplicate?: BatchMetadata
  } {
    const psm = this.producerStateManager
    const updatedProducers = new Map<number, ProducerAppendInfo>()
    const completedTxns: CompletedTxn[] = []
    for (const b of info.batches) {
      if (!b.header) continue
      const h = readBatchHeaderFresh(records, b.position)
      if (h.producerId < 0) continue
      if (origin === 'client') {
        const dup = psm.lastEntry(h.producerId)?.findDuplicateBatch(h)
        if (dup) return { updatedProducers, completedTxns, duplicate: dup }
      }
      // KIP-890: a transactional write never opens a transaction the coordinator does not know of — the first
      // write of a transaction here needs the guard of a successful verification (subsequent ones find it open).
      if (
        origin !== 'replication' &&
        h.isTransactional &&
        !h.isControl &&
        psm.config.transactionVerificationEnabled === true &&
        !this.hasOngoingTransaction(h.producerId) &&
        (verificationGuard === undefined ||
          psm.verificationStateEntry(h.producerId)?.guard !== verificationGuard)
      ) {
        throw new KafkaError(ErrorCode.INVALID_TXN_STATE, 'Record was not part of an ongoing transaction')
      }
      let appendInfo = updatedProducers.get(h.producerId)
      if (!appendInfo) {
        appendInfo = psm.prepareUpdate(h.producerId, origin)
        updatedProducers.set(h.producerId, appendInfo)
      }
      const completed = appendInfo.append(h, h.isControl ? readEndTxnMarker(records, b.position) : undefined)
      if (completed) completedTxns.push(completed)
    }
    return { updatedProducers, completedTxns }
  }

  // -------------------------------------------------------------------------------------------------------------
  // rolling and flushing

  private maybeRoll(
    messagesSize: number,
    firstOffset: number,
    lastOffset: number,
    maxTimestamp: number,
    now: number,
  ): LogSegment {
    const segment = this.activeSegment
    if (
      segment.shouldRoll({
        maxSegmentMs: this._config.segmentMs,
        maxSegmentBytes: this._config.segmentBytes,
        maxTimestampInMessages: maxTimestamp,
        maxOffsetInMessages: lastOffset,
        messagesSize,
        now,
      })
    ) {
      this.logger.debug(
        `${this.ident}Rolling new log segment (log_size = ${segment.size}/${this._config.segmentBytes}, ` +
          `offset_index_size = ${segment.offsetIndex.entries}/${segment.offsetIndex.maxEntries}, ` +
          `time_index_size = ${segment.timeIndex.entries}/${segment.timeIndex.maxEntries}, ` +
          `inactive_time_ms = ${segment.timeWaitedForRoll(now, maxTimestamp)}/${this._config.segmentMs - segment.rollJitterMs}).`,
      )
      return this.roll(firstOffset >= 0 ? firstOffset : lastOffset - INT32_MAX)
    }
    return segment
  }

  /**
   * Starts a new active segment at max(expectedNextOffset, LEO), takes a producer snapshot there, and flushes the
   * previous segments in the background.
   */
  roll(expectedNextOffset?: number): LogSegment {
    this.checkOpen()
    const start = this.clock.monotonic()
    const newOffset = Math.max(expectedNextOffset ?? 0, this._nextOffset)
    const active = this.activeSegment
    let newSegment: LogSegment
    if (this.segments.some((s) => s.baseOffset === newOffset)) {
      if (active.baseOffset === newOffset && active.size === 0) {
        this.logger.warn(
          `${this.ident}Trying to roll a new log segment with start offset ${newOffset} =max(provided offset = ${expectedNextOffset}, LEO = ${this._nextOffset}) while it already exists and is active with size 0. ` +
            `Size of time index: ${active.timeIndex.entries}, size of offset index: ${active.offsetIndex.entries}.`,
        )
        this.segments.pop()
        active.changeFileSuffixes('', DELETED_FILE_SUFFIX)
        this.scheduleSegmentDeletion([active])
        newSegment = this.openSegment(newOffset, false)
        this.segments.push(newSegment)
      } else {
        throw new KafkaError(
          ErrorCode.KAFKA_STORAGE_ERROR,
          `Trying to roll a new log segment for topic partition ${this.name} with start offset ${newOffset} =max(provided offset = ${expectedNextOffset}, LEO = ${this._nextOffset}) while it already exists.`,
        )
      }
    } else if (newOffset < active.baseOffset) {
      throw new KafkaError(
        ErrorCode.KAFKA_STORAGE_ERROR,
        `Trying to roll a new log segment for topic partition ${this.name} with start offset ${newOffset} =max(provided offset = ${expectedNextOffset}, LEO = ${this._nextOffset}) lower than start offset of the active segment ${active}`,
      )
    } else {
      for (const f of [
        logFile(this._dir, newOffset),
        offsetIndexFile(this._dir, newOffset),
        timeIndexFile(this._dir, newOffset),
        transactionIndexFile(this._dir, newOffset),
      ]) {
        if (existsSync(f)) {
          this.logger.warn(`${this.ident}Newly rolled segment file ${f} already exists; deleting it first`)
          deleteIfExists(f)
        }
      }
      active.onBecomeInactiveSegment()
      newSegment = this.openSegment(newOffset, false)
      this.segments.push(newSegment)
    }
    this.logger.info(
      `${this.ident}Rolled new log segment at offset ${newOffset} in ${Math.round(this.clock.monotonic() - start)} ms.`,
    )
    this.producerStateManager.updateMapEndOffset(newSegment.baseOffset)
    let snapshot: string | undefined
    try {
      snapshot = this.producerStateManager.takeSnapshot(false)
    } catch (e) {
      // A snapshot only shortens recovery: on a full disk the roll goes on without it.
      if (storageFault(e) !== 'full') throw e
      this.logger.warn(
        `${this.ident}No producer snapshot at offset ${newSegment.baseOffset}: the disk is full`,
      )
    }
    this.updateHighWatermarkWithLogEndOffset()
    const base = newSegment.baseOffset
    this.scheduler.schedule(
      'flush-log',
      () => {
        if (this.closed) return
        if (snapshot) fsyncFileIfExists(snapshot)
        return this.flushAsync(base).catch((e: unknown) =>
          this.logger.error({ err: e }, `${this.ident}Error flushing rolled segments below offset ${base}`),
        )
      },
      0,
    )
    return newSegment
  }

  /**
   * Flushes (fsync) every segment holding offsets below `offset` (exclusive; default the LEO), or up to and including
   * it with `includingOffset` (which also flushes an empty active segment), and moves the recovery point to `offset`.
   */
  flush(offset = this._nextOffset, includingOffset = false): void {
    this.checkOpen()
    this.leaderEpochCache.flushSync()
    const flushOffset = includingOffset ? offset + 1 : offset
    if (flushOffset > this._recoveryPoint) {
      this.logger.debug(
        `${this.ident}Flushing log up to offset ${offset} (${includingOffset ? 'inclusive' : 'exclusive'}) with recovery point ${offset}, ` +
          `last flushed: ${this._lastFlushTime}, current time: ${this.clock.now()}, unflushed: ${this.unflushedMessages}`,
      )
      const toFlush = segmentsInRange(this.segments, this._recoveryPoint, flushOffset)
      for (const s of toFlush) s.flush()
      if (toFlush.some((s) => s.baseOffset >= this._recoveryPoint)) flushDir(this._dir)
      if (offset > this._recoveryPoint) {
        this._recoveryPoint = offset
        this._lastFlushTime = this.clock.now()
      }
    }
  }

  /**
   * flush() for rolled segments, with the fsyncs off the event loop (see LogSegment.flushAsync). The segments may
   * change while it waits (a truncation, retention, a cleaning): then it starts over with the segments as they are
   * now, so the recovery point never passes data it did not flush nor the log end offset.
   */
  async flushAsync(offset: number, includingOffset = false): Promise<void> {
    for (;;) {
      const target = Math.min(offset, this._nextOffset)
      const flushOffset = includingOffset ? target + 1 : target
      if (this.closed || flushOffset <= this._recoveryPoint) return
      const generation = this._segmentsGeneration
      const toFlush = segmentsInRange(this.segments, this._recoveryPoint, flushOffset)
      for (const s of toFlush) {
        await s.flushAsync()
        if (this.closed || this._segmentsGeneration !== generation) break
      }
      if (this.closed) return
      if (this._segmentsGeneration !== generation) continue
      // as flush(): a new segment's directory entry needs the directory fsynced
      if (toFlush.some((s) => s.baseOffset >= this._recoveryPoint)) await flushDirAsync(this._dir)
      // the leader epoch checkpoint's asynchronous write (assign), before the recovery point passes its entries
      await this.leaderEpochCache.flushed()
      if (this.closed) return
      if (this._segmentsGeneration !== generation) continue
      if (target > this._recoveryPoint) {
        this._recoveryPoint = target
        this._lastFlushTime = this.clock.now()
      }
      return
    }
  }

  /**
   * flush.messages reached: fsyncs what is appended so far on libuv's thread pool, on a later turn (Kafka flushes
   * inline in the append; here the event loop never waits for the disk). One flush is scheduled at a time; appends
   * meanwhile are covered by it or schedule the next.
   */
  private scheduleFlush(): void {
    if (this.flushScheduled) return
    this.flushScheduled = true
    this.scheduler.schedule(
      'flush-log',
      () => {
        this.flushScheduled = false
        if (this.closed) return
        return this.flushAsync(this._nextOffset).catch((e: unknown) =>
          this.logger.error({ err: e }, `${this.ident}Error flushing log up to offset ${this._nextOffset}`),
        )
      },
      0,
    )
  }

  /** Flushes everything including the active segment (shutdown). */
  flushAll(): void {
    this.flush(this._nextOffset, true)
  }

  /**
   * flushAll() and the producer snapshot close() takes, with the fsyncs on libuv's thread pool: the log manager's
   * shutdown runs many of these at once, then close() finds nothing left to write.
   */
  async flushForClose(): Promise<void> {
    this.checkOpen()
    this.leaderEpochCache.writeIfDirty()
    await this.leaderEpochCache.flushed()
    await this.topicIdWritten()
    await this.flushAsync(this._nextOffset, true)
    if (!this.closed && existsSync(this._dir)) await this.producerStateManager.takeSnapshotAsync()
  }

  // -------------------------------------------------------------------------------------------------------------
  // reads

  /**
   * Reads from `startOffset`: a raw byte range of the segment holding it, at most `maxBytes` (the whole first batch
   * with `minOneMessage`), never at or past `maxOffset`. OFFSET_OUT_OF_RANGE outside [logStartOffset, logEndOffset].
   */
  read(startOffset: number, opts: ReadOptions): LogReadResult {
    const { segment, length, generation: _, options: __, ...info } = this.planRead(startOffset, opts)
    return { ...info, records: segment ? segment.readRange(info.position, length) : Buffer.alloc(0) }
  }

  /**
   * read() in two steps, so that the bytes can be read off the event loop: planRead() finds, synchronously, the
   * segment, position and length (from the in-memory index and the batch headers near the start); readPlanned()
   * reads those bytes on libuv's thread pool.
   */
  planRead(startOffset: number, opts: ReadOptions): LogReadPlan {
    this.checkOpen()
    const base = {
      fetchOffset: startOffset,
      highWatermark: this._highWatermark,
      logStartOffset: this._logStartOffset,
      logEndOffset: this._nextOffset,
      lastStableOffset: this.lastStableOffset,
      generation: this._segmentsGeneration,
    }
    if (startOffset < this._logStartOffset || startOffset > this._nextOffset) {
      throw new KafkaError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `Received request for offset ${startOffset} for partition ${this.name}, but we only have log segments upto ${this._nextOffset} starting from offset ${this._logStartOffset}.`,
      )
    }
    let idx = floorIndex(this.segments, startOffset)
    if (idx < 0) {
      throw new KafkaError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `Received request for offset ${startOffset} for partition ${this.name}, but no segment holds it.`,
      )
    }
    const readEnd = this.writtenEndOffset
    const maxOffset = Math.min(opts.maxOffset ?? readEnd, readEnd)
    const empty = (segment: LogSegment | undefined): LogReadPlan => ({
      ...base,
      segment: undefined,
      length: 0,
      segmentBaseOffset: segment?.baseOffset ?? this.activeSegment.baseOffset,
      position: segment ? segment.size : this.activeSegment.size,
      firstEntryIncomplete: false,
    })
    if (startOffset >= maxOffset) return empty(this.segments[idx])
    // where maxOffset lies: reads stop at the start of the batch holding it
    let maxSegmentBase = this.activeSegment.baseOffset
    let maxPosition = this.activeSegment.size
    if (maxOffset < this._nextOffset) {
      const mi = floorIndex(this.segments, maxOffset)
      const ms = this.segments[Math.max(0, mi)]!
      maxSegmentBase = ms.baseOffset
      maxPosition = ms.translateOffset(maxOffset)?.position ?? ms.size
    }
    for (; idx < this.segments.length; idx++) {
      const segment = this.segments[idx]!
      if (segment.baseOffset > maxSegmentBase) break
      const limit = segment.baseOffset < maxSegmentBase ? segment.size : maxPosition
      const minOne = opts.minOneMessage ?? false
      const hint = this.readHints.get(startOffset)
      const r =
        hint?.segment === segment && hint.generation === this._segmentsGeneration
          ? segment.locateFrom(hint, opts.maxBytes, limit, minOne)
          : segment.locate(startOffset, opts.maxBytes, limit, minOne)
      if (r) {
        return {
          ...base,
          segment: r.length > 0 ? segment : undefined,
          length: r.length,
          segmentBaseOffset: segment.baseOffset,
          position: r.position,
          firstEntryIncomplete: r.firstEntryIncomplete,
          options: opts,
        }
      }
    }
    return empty(undefined)
  }

  /**
   * The bytes of a plan from planRead(), read on libuv's thread pool; undefined when the segments changed while it
   * read (a truncation, retention, a cleaning, the log closed: the bytes may be stale, the descriptor even reused):
   * plan again.
   */
  async readPlanned(plan: LogReadPlan): Promise<Buffer | undefined> {
    if (!plan.segment || plan.length === 0) return Buffer.alloc(0)
    const moved = (): boolean => this.closed || this._segmentsGeneration !== plan.generation
    if (moved()) return undefined
    let records: Buffer | undefined
    const ahead = this.readAheads.get(readAheadKey(plan.segment, plan.position))
    if (ahead !== undefined) {
      const same =
        ahead.segment === plan.segment && ahead.length === plan.length && ahead.generation === plan.generation
      if (same && takeReadAhead(ahead)) records = await ahead.bytes
      else dropReadAhead(ahead)
    }
    if (records === undefined) {
      try {
        records = await plan.segment.readRangeAsync(plan.position, plan.length)
      } catch (e) {
        if (moved()) return undefined
        throw e
      }
    }
    if (moved()) {
      fetchBufferPool.release(records)
      return undefined
    }
    this.startReadAhead(plan, this.learnReadHint(plan, records))
    this.prepareNextSegment(plan.segment)
    return records
  }

  /**
   * While a reader goes through a segment, reads the next segment's indexes and first batch header on libuv's thread
   * pool (once per segment), so that the reader's first read there plans from memory (see readHints).
   */
  private prepareNextSegment(segment: LogSegment): void {
    if (segment === this.activeSegment || this.preparedSegments.has(segment)) return
    this.preparedSegments.add(segment)
    const next = this.segments[floorIndex(this.segments, segment.baseOffset) + 1]
    if (!next) return
    const generation = this._segmentsGeneration
    const prepare = async (): Promise<void> => {
      await next.loadIndexesAsync()
      const header = await next.readRangeAsync(0, LOG_OVERHEAD)
      if (header.length === LOG_OVERHEAD && !this.closed && generation === this._segmentsGeneration) {
        const size = header.readInt32BE(LENGTH_OFFSET) + LOG_OVERHEAD
        this.rememberRead(next.baseOffset, { segment: next, position: 0, size, generation })
      }
      fetchBufferPool.release(header)
    }
    // a failure is met again, and reported, by the read that needs those bytes
    prepare().catch(() => undefined)
  }

  private rememberRead(offset: number, hint: ReadHint): void {
    if (hint.size < LOG_OVERHEAD + MIN_RECORD_OVERHEAD) return
    this.readHints.delete(offset)
    this.readHints.set(offset, hint)
    if (this.readHints.size > MAX_READ_HINTS) this.readHints.delete(this.readHints.keys().next().value!)
  }

  /** Remembers where the read after `records` (read as `plan` planned) will start: see readHints. */
  private learnReadHint(plan: LogReadPlan, records: Buffer): number {
    let pos = 0
    let nextOffset = -1
    for (;;) {
      // the next batch's length is not in the bytes (none: the read ended at a batch boundary)
      if (pos + LOG_OVERHEAD > records.length) return pos === records.length ? nextOffset : -1
      const size = records.readInt32BE(pos + LENGTH_OFFSET) + LOG_OVERHEAD
      if (size < LOG_OVERHEAD + MIN_RECORD_OVERHEAD) return -1
      if (pos + size > records.length) break // the batch the next read starts with
      const magic = records.readInt8(pos + MAGIC_OFFSET)
      if (magic === 2 && size < RECORD_BATCH_OVERHEAD) return -1
      const lastOffset =
        magic === 2
          ? readInt64(records, pos) + records.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET)
          : readInt64(records, pos)
      nextOffset = lastOffset + 1
      pos += size
    }
    if (nextOffset < 0 || plan.segment === undefined) return -1
    this.rememberRead(nextOffset, {
      segment: plan.segment,
      position: plan.position + pos,
      size: records.readInt32BE(pos + LENGTH_OFFSET) + LOG_OVERHEAD,
      generation: plan.generation,
    })
    return nextOffset
  }

  /**
   * After a large read (see read-ahead.ts), reads the range the same reader asks for next — planned now with the
   * same options from `nextOffset` — so that its readPlanned finds the bytes ready; once those are read, the range
   * after them too (READ_AHEAD_DEPTH ranges ahead of the reader).
   */
  private startReadAhead(plan: LogReadPlan, nextOffset: number, depth = 1): void {
    const opts = plan.options
    if (opts === undefined || plan.length < READ_AHEAD_MIN || nextOffset < 0 || this.closed) return
    let next: LogReadPlan
    try {
      next = this.planRead(nextOffset, opts)
    } catch {
      return
    }
    const segment = next.segment
    if (segment === undefined || next.length < READ_AHEAD_MIN) return
    const key = readAheadKey(segment, next.position)
    const existing = this.readAheads.get(key)
    if (existing !== undefined) {
      // started by this reader's previous read (as its second range ahead), or by another reader at the same place
      this.continueReadAhead(existing, next, depth)
      return
    }
    const now = this.clock.now()
    if (!mayReadAhead(next.length, now, depth)) return
    const generation = next.generation
    const bytes = segment.readRangeAsync(next.position, next.length).then(
      (b) => {
        if (!this.closed && this._segmentsGeneration === generation) return b
        fetchBufferPool.release(b)
        return undefined
      },
      () => undefined, // the read that needs these bytes meets the error again, and reports it
    )
    const entry: ReadAhead = {
      added: now,
      segment,
      position: next.position,
      length: next.length,
      generation,
      bytes,
      owner: this.readAheads,
      key,
    }
    addReadAhead(entry)
    this.continueReadAhead(entry, next, depth)
  }

  /**
   * Once `entry` (read as `plan` planned, `depth` ranges ahead of its reader) is read, and while it is still held
   * unchanged and not old enough to be given back, starts the range after it (its bytes say where that starts), up
   * to READ_AHEAD_DEPTH.
   */
  private continueReadAhead(entry: ReadAhead, plan: LogReadPlan, depth: number): void {
    if (depth >= READ_AHEAD_DEPTH) return
    entry.bytes.then(
      (b) => {
        if (b === undefined || entry.owner.get(entry.key) !== entry) return
        // a read that took so long that its range is due to be given back: its reader went away (and the budget
        // check below would give it back, then count the room it had as free for the range after it)
        if (this.clock.now() - entry.added >= READ_AHEAD_MAX_AGE_MS) return
        if (this.closed || this._segmentsGeneration !== entry.generation) return
        this.startReadAhead(plan, this.learnReadHint(plan, b), depth + 1)
      },
      () => undefined,
    )
  }

  /** Gives back every read-ahead of this log (closing). */
  private dropReadAheads(): void {
    for (const e of [...this.readAheads.values()]) dropReadAhead(e)
  }

  /** The aborted transactions overlapping [startOffset, upperBoundOffset) (for read_committed fetches). */
  collectAbortedTransactions(startOffset: number, upperBoundOffset: number): AbortedTxn[] {
    const out: AbortedTxn[] = []
    let idx = floorIndex(this.segments, startOffset)
    if (idx < 0) idx = 0
    for (; idx < this.segments.length; idx++) {
      const r = this.segments[idx]!.collectAbortedTxns(startOffset, upperBoundOffset)
      out.push(...r.abortedTxns)
      if (r.isComplete) break
    }
    return out
  }

  /**
   * ListOffsets: -2 earliest, -4 earliest local (= earliest), -1 latest, -5 latest tiered (-1), -3 the record with
   * the largest timestamp; otherwise the first record with timestamp ≥ `targetTimestamp`. Undefined when there is
   * no such record.
   */
  fetchOffsetByTimestamp(targetTimestamp: number): OffsetAndEpoch | undefined {
    this.checkOpen()
    if (targetTimestamp === EARLIEST_TIMESTAMP || targetTimestamp === EARLIEST_LOCAL_TIMESTAMP) {
      const earliest = this.leaderEpochCache.earliestEntry()
      const epoch =
        earliest !== undefined && earliest.startOffset <= this._logStartOffset ? earliest.epoch : -1
      return { offset: this._logStartOffset, timestamp: -1, leaderEpoch: epoch }
    }
    if (targetTimestamp === LATEST_TIMESTAMP) {
      return {
        offset: this._nextOffset,
        timestamp: -1,
        leaderEpoch: this.leaderEpochCache.latestEpoch() ?? -1,
      }
    }
    if (targetTimestamp === LATEST_TIERED_TIMESTAMP) return { offset: -1, timestamp: -1, leaderEpoch: -1 }
    if (targetTimestamp === MAX_TIMESTAMP) {
      let best = this.segments[0]!
      for (const s of this.segments) if (s.maxTimestampSoFar() > best.maxTimestampSoFar()) best = s
      return best.findMaxTimestampRecord()
    }
    const target = this.segments.find((s) => s.largestTimestamp() >= targetTimestamp)
    return target?.findOffsetByTimestamp(targetTimestamp, this._logStartOffset)
  }

  /**
   * ListOffsets v0: up to `maxNumOffsets` segment start offsets (plus the LEO) whose segments were last modified at
   * or before `timestamp`, newest first. With `upperBound` (the high watermark for consumers) larger offsets are
   * replaced by it.
   */
  legacyOffsetsBefore(timestamp: number, maxNumOffsets: number, upperBound?: number): number[] {
    const entries: Array<[number, number]> = this.segments.map((s) => [
      Math.max(s.baseOffset, this._logStartOffset),
      s.lastModified(),
    ])
    if (this.activeSegment.size > 0) entries.push([this._nextOffset, this.clock.now()])
    let startIndex: number
    if (timestamp === LATEST_TIMESTAMP) startIndex = entries.length - 1
    else if (timestamp === EARLIEST_TIMESTAMP) startIndex = 0
    else {
      startIndex = entries.length - 1
      while (startIndex >= 0 && entries[startIndex]![1] > timestamp) startIndex--
    }
    const out: number[] = []
    for (let i = startIndex; i >= 0 && out.length < maxNumOffsets; i--) out.push(entries[i]![0])
    out.sort((a, b) => b - a)
    if (upperBound !== undefined && out.some((o) => o > upperBound)) {
      const rest = out.filter((o) => o <= upperBound)
      return [upperBound, ...rest].slice(0, Math.max(maxNumOffsets, 1))
    }
    return out
  }

  // -------------------------------------------------------------------------------------------------------------
  // truncation

  /** Removes everything at or after `targetOffset` (follower truncation). True when something was removed. */
  truncateTo(targetOffset: number): boolean {
    this.checkOpen()
    if (targetOffset < 0)
      throw new Error(`Cannot truncate partition ${this.name} to a negative offset (${targetOffset}).`)
    if (targetOffset >= this._nextOffset) {
      this.logger.info(
        `${this.ident}Truncating to ${targetOffset} has no effect as the largest offset in the log is ${this._nextOffset - 1}`,
      )
      this.leaderEpochCache.truncateFromEnd(this._nextOffset)
      return false
    }
    this.logger.info(`${this.ident}Truncating to offset ${targetOffset}`)
    this._segmentsGeneration++
    this.noteTruncation(targetOffset)
    if (this.segments[0]!.baseOffset > targetOffset) {
      this.truncateFullyAndStartAt(targetOffset)
      return true
    }
    const deletable = this.segments.filter((s) => s.baseOffset > targetOffset)
    this.removeAndDeleteSegments(deletable, true, 'LogTruncation')
    this.activeSegment.truncateTo(targetOffset)
    this.updateLogEndOffset(targetOffset)
    this.deleteProducerSnapshots(deletable, true)
    this.leaderEpochCache.truncateFromEnd(targetOffset)
    this._logStartOffset = Math.min(targetOffset, this._logStartOffset)
    rebuildProducerState(
      this.producerStateManager,
      this.segments,
      this._logStartOffset,
      targetOffset,
      false,
      this.clock,
      this.logger,
      this.ident,
    )
    if (this._highWatermark >= this._nextOffset) this.setHighWatermark(this._nextOffset)
    this.maybeIncrementFirstUnstableOffset()
    return true
  }

  /** Deletes all data and restarts the log at `newOffset` (log start offset `logStartOffset`, default the same). */
  truncateFullyAndStartAt(newOffset: number, logStartOffset?: number): void {
    this.checkOpen()
    this.logger.debug(
      `${this.ident}Truncate and start at offset ${newOffset}, logStartOffset: ${logStartOffset ?? newOffset}`,
    )
    this._segmentsGeneration++
    this.noteTruncation(newOffset)
    const old = [...this.segments]
    this.removeAndDeleteSegments(old.slice(0, -1), true, 'LogTruncation')
    const last = old[old.length - 1]!
    this.segments = this.segments.filter((s) => s !== last)
    last.changeFileSuffixes('', DELETED_FILE_SUFFIX)
    this.scheduleSegmentDeletion([last])
    this.segments.push(this.openSegment(newOffset, false))
    this.updateLogEndOffset(newOffset)
    this.leaderEpochCache.clearAndFlush()
    this.producerStateManager.truncateFullyAndStartAt(newOffset)
    this._logStartOffset = logStartOffset ?? newOffset
    rebuildProducerState(
      this.producerStateManager,
      this.segments,
      this._logStartOffset,
      newOffset,
      false,
      this.clock,
      this.logger,
      this.ident,
    )
    this.updateHighWatermark(this._nextOffset)
    this.maybeIncrementFirstUnstableOffset()
  }

  private updateLogEndOffset(offset: number): void {
    this._nextOffset = offset
    if (this._recoveryPoint > offset) this._recoveryPoint = offset
  }

  // -------------------------------------------------------------------------------------------------------------
  // retention

  /**
   * Deletes segments past retention.ms (by their largest timestamp), beyond retention.bytes, and those wholly below
   * the log start offset (only the last for non-delete cleanup policies). Never deletes at or above the high
   * watermark; rolls first when every segment, the active one included, is to go. Returns the number deleted.
   */
  deleteOldSegments(): number {
    this.checkOpen()
    if (isDeleteEnabled(this._config)) {
      return (
        this.deleteLogStartOffsetBreachedSegments() +
        this.deleteRetentionSizeBreachedSegments() +
        this.deleteRetentionMsBreachedSegments()
      )
    }
    return this.deleteLogStartOffsetBreachedSegments()
  }

  private deleteRetentionMsBreachedSegments(): number {
    const retentionMs = this._config.retentionMs
    if (retentionMs < 0) return 0
    const startMs = this.clock.now()
    return this.deleteOldSegmentsMatching(
      (s) => startMs - s.largestTimestamp() > retentionMs,
      'RetentionMsBreach',
    )
  }

  private deleteRetentionSizeBreachedSegments(): number {
    const retentionSize = this._config.retentionBytes
    const size = this.size
    if (retentionSize < 0 || size < retentionSize) return 0
    let diff = size - retentionSize
    return this.deleteOldSegmentsMatching((s) => {
      if (diff - s.size >= 0) {
        diff -= s.size
        return true
      }
      return false
    }, 'RetentionSizeBreach')
  }

  private deleteLogStartOffsetBreachedSegments(): number {
    return this.deleteOldSegmentsMatching(
      (_s, next) => next !== undefined && next.baseOffset <= this._logStartOffset,
      'StartOffsetBreach',
    )
  }

  private deleteOldSegmentsMatching(
    predicate: (s: LogSegment, next: LogSegment | undefined) => boolean,
    reason: SegmentDeletionReason,
  ): number {
    const deletable: LogSegment[] = []
    for (let i = 0; i < this.segments.length; i++) {
      const segment = this.segments[i]!
      const next = this.segments[i + 1]
      const isLastSegmentAndEmpty = next === undefined && segment.size === 0
      const upperBoundOffset = next ? next.baseOffset : this._nextOffset
      if (this._highWatermark >= upperBoundOffset && predicate(segment, next) && !isLastSegmentAndEmpty)
        deletable.push(segment)
      else break
    }
    if (deletable.length === 0) return 0
    this.logReason(deletable, reason)
    return this.deleteSegments(deletable, reason)
  }

  private logReason(toDelete: LogSegment[], reason: SegmentDeletionReason): void {
    if (reason === 'RetentionMsBreach') {
      for (const s of toDelete) {
        const basis =
          s.largestRecordTimestamp() !== undefined
            ? 'the largest record timestamp in the segment'
            : 'the last modified time of the segment'
        this.logger.info(
          `${this.ident}Deleting segment ${s} due to log retention time ${this._config.retentionMs}ms breach based on ${basis}`,
        )
      }
    } else if (reason === 'RetentionSizeBreach') {
      let size = this.size
      for (const s of toDelete) {
        size -= s.size
        this.logger.info(
          `${this.ident}Deleting segment ${s} due to log retention size ${this._config.retentionBytes} breach. Log size after deletion will be ${size}.`,
        )
      }
    } else if (reason === 'StartOffsetBreach') {
      this.logger.info(
        `${this.ident}Deleting segments due to log start offset ${this._logStartOffset} breach: ${toDelete.join(',')}`,
      )
    }
  }

  private deleteSegments(deletable: LogSegment[], reason: SegmentDeletionReason): number {
    let toDelete = deletable
    if (this.segments.length === deletable.length) {
      const newSegment = this.roll()
      if (deletable[deletable.length - 1]!.baseOffset === newSegment.baseOffset) {
        this.logger.warn(
          `${this.ident}Empty active segment at ${newSegment.baseOffset} was deleted and recreated due to ${reason}`,
        )
        toDelete = deletable.slice(0, -1)
      }
    }
    if (toDelete.length > 0) {
      const last = toDelete[toDelete.length - 1]!
      const next = this.segments.find((s) => s.baseOffset > last.baseOffset)!
      this.maybeIncrementLogStartOffset(next.baseOffset, 'SegmentDeletion')
      this.removeAndDeleteSegments(toDelete, true, reason)
    }
    this.deleteProducerSnapshots(deletable, true)
    return deletable.length
  }

  /** Removes segments from the log and renames their files `.deleted`; they are removed after file.delete.delay.ms. */
  private removeAndDeleteSegments(
    toDelete: LogSegment[],
    asyncDelete: boolean,
    reason: SegmentDeletionReason,
  ): void {
    this.listing = undefined
    if (toDelete.length === 0) return
    this._segmentsGeneration++
    const set = new Set(toDelete)
    this.segments = this.segments.filter((s) => !set.has(s))
    for (const s of toDelete) s.changeFileSuffixes('', DELETED_FILE_SUFFIX)
    if (reason === 'LogTruncation') {
      this.logger.info(`${this.ident}Deleting segments as part of log truncation: ${toDelete.join(',')}`)
    }
    if (asyncDelete) this.scheduleSegmentDeletion(toDelete)
    else for (const s of toDelete) s.deleteIfExists()
  }

  private scheduleSegmentDeletion(toDelete: LogSegment[]): void {
    const names = toDelete.map((s) => s.toString()).join(',')
    this.logger.info(`${this.ident}Scheduling segments for deletion ${names}`)
    this.scheduler.schedule(
      'delete-file',
      () => {
        this.logger.info(`${this.ident}Deleting segment files ${names}`)
        for (const s of toDelete) s.deleteIfExists()
      },
      this._config.fileDeleteDelayMs,
    )
  }

  private deleteProducerSnapshots(segments: LogSegment[], asyncDelete: boolean): void {
    const paths: string[] = []
    for (const s of segments) {
      const p = this.producerStateManager.removeAndMarkSnapshotForDeletion(s.baseOffset)
      if (p) paths.push(p)
    }
    if (paths.length === 0) return
    const run = (): void => {
      for (const p of paths) deleteIfExists(p)
    }
    if (asyncDelete) this.scheduler.schedule('delete-producer-snapshot', run, this._config.fileDeleteDelayMs)
    else run()
  }

  // -------------------------------------------------------------------------------------------------------------
  // compaction support (used by the log cleaner)

  /**
   * Changes whenever segments are removed, replaced or truncated, or the log is closed, moved or deleted; appends and
   * rolls leave it alone. A cleaning pass that spans several scheduler turns gives up when it changed under it.
   */
  get segmentsGeneration(): number {
    return this._segmentsGeneration
  }

  private noteTruncation(offset: number): void {
    if (this.truncatedTo === undefined || offset < this.truncatedTo) this.truncatedTo = offset
  }

  /**
   * The lowest offset this log was truncated to since the last call, if any (the cleaner lowers its checkpoint to
   * it, as Kafka's LogManager.truncateTo does through LogCleaner.maybeTruncateCheckpoint).
   */
  takeTruncationOffset(): number | undefined {
    const t = this.truncatedTo
    this.truncatedTo = undefined
    return t
  }

  /** The segments holding offsets in [from, to) (LogSegments.values). */
  logSegmentsInRange(from: number, to: number): LogSegment[] {
    return segmentsInRange(this.segments, from, to)
  }

  /** The segments from the one holding `from` up to, not including, the active segment. */
  nonActiveLogSegmentsFrom(from: number): LogSegment[] {
    const active = this.activeSegment
    if (from > active.baseOffset) return []
    return segmentsInRange(this.segments, from, active.baseOffset)
  }

  /**
   * UnifiedLog.lastRecordsOfActiveProducers: per producer still in the producer state, the last offset of its last
   * data batch (undefined when only a transaction marker is left) and its epoch.
   */
  lastRecordsOfActiveProducers(): Map<number, LastRecord> {
    const out = new Map<number, LastRecord>()
    for (const [id, e] of this.producerStateManager.activeProducers()) {
      const last = e.lastDataOffset
      out.set(id, { lastDataOffset: last >= 0 ? last : undefined, producerEpoch: e.producerEpoch })
    }
    return out
  }

  /** A new, empty segment `<base>.log.cleaned` (with `.cleaned` indexes) for the cleaner to write into. */
  createNewCleanedSegment(baseOffset: number): LogSegment {
    this.checkOpen()
    return this.openSegment(baseOffset, false, CLEANED_FILE_SUFFIX)
  }

  /**
   * Swaps cleaned segments in for the segments they replace, crash-safely (UnifiedLog/LocalLog.replaceSegments):
   *  1. the new segments' files are renamed `.cleaned` → `.swap` (from here on, a restart completes the swap);
   *  2. the replaced segments leave the log and their files are renamed `.deleted` (removed after
   *     file.delete.delay.ms);
   *  3. the new segments' files are renamed `.swap` → their final names.
   * A crash between any two renames leaves files that LogLoader's swap recovery turns into a valid log. Producer
   * snapshots of replaced segments that no new segment starts at are deleted too.
   */
  replaceSegments(newSegments: readonly LogSegment[], oldSegments: readonly LogSegment[]): void {
    this.checkOpen()
    if (newSegments.length === 0) throw new Error('replaceSegments needs at least one new segment')
    this._segmentsGeneration++
    const byBase = (a: LogSegment, b: LogSegment): number => a.baseOffset - b.baseOffset
    const sortedNew = [...newSegments].sort(byBase)
    const current = new Set(this.segments)
    const sortedOld = oldSegments.filter((s) => current.has(s)).sort(byBase)
    for (const s of [...sortedNew].reverse()) s.changeFileSuffixes(CLEANED_FILE_SUFFIX, SWAP_FILE_SUFFIX)
    flushDir(this._dir)
    const oldSet = new Set(sortedOld)
    const newBases = new Set(sortedNew.map((s) => s.baseOffset))
    this.segments = [
      ...this.segments.filter((s) => !oldSet.has(s) && !newBases.has(s.baseOffset)),
      ...sortedNew,
    ].sort(byBase)
    for (const s of sortedOld) s.changeFileSuffixes('', DELETED_FILE_SUFFIX)
    if (sortedOld.length > 0) this.scheduleSegmentDeletion(sortedOld)
    for (const s of sortedNew) s.changeFileSuffixes(SWAP_FILE_SUFFIX, '')
    flushDir(this._dir)
    this.deleteProducerSnapshots(
      sortedOld.filter((s) => !newBases.has(s.baseOffset)),
      true,
    )
  }

  // -------------------------------------------------------------------------------------------------------------
  // lifecycle

  /** Takes a producer snapshot and closes the segments (the caller flushes first for a clean shutdown). */
  close(): void {
    if (this.closed) return
    this._segmentsGeneration++
    this.dropReadAheads()
    this.logger.debug(`${this.ident}Closing log`)
    this.producerExpireCheck.cancel()
    this.leaderEpochCache.close(existsSync(this._dir))
    if (existsSync(this._dir)) this.producerStateManager.takeSnapshot()
    for (const s of this.segments) s.close()
    this.closed = true
    this.ownScheduler?.shutdown()
  }

  /** Closes file descriptors without writing anything (a failed disk). */
  closeHandlers(): void {
    this._segmentsGeneration++
    this.dropReadAheads()
    this.leaderEpochCache.close(false)
    for (const s of this.segments) s.closeHandlers()
    this.closed = true
  }

  /** Renames the partition directory (e.g. `<topic>-<partition>.<id>-delete`). */
  renameDir(name: string): void {
    const target = join(this.parentDir, name)
    if (target === this._dir) return
    this._segmentsGeneration++
    renameSync(this._dir, target)
    flushDir(this.parentDir)
    this._dir = target
    for (const s of this.segments) s.updateParentDir(target)
    this.producerStateManager.updateParentDir(target)
    this.leaderEpochCache.relocate(join(target, LEADER_EPOCH_CHECKPOINT_FILENAME))
  }

  /** Deletes the partition directory and everything in it, now. */
  delete(): void {
    this._segmentsGeneration++
    this.producerExpireCheck.cancel()
    this.leaderEpochCache.clear()
    this.leaderEpochCache.close(false)
    for (const s of this.segments) s.deleteIfExists()
    this.segments = []
    this.closed = true
    this.ownScheduler?.shutdown()
    // retried: a checkpoint write on libuv's pool that was under way may add its temporary file meanwhile
    rmSync(this._dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 1 })
  }

  toString(): string {
    return (
      `Log(dir=${this._dir}${this._topicId ? `, topicId=${this._topicId}` : ''}, topic=${this.topic}, partition=${this.partition}, ` +
      `highWatermark=${this._highWatermark}, lastStableOffset=${this.lastStableOffset}, logStartOffset=${this._logStartOffset}, logEndOffset=${this._nextOffset})`
    )
  }
}

/** The header as it is now in the buffer (after offset assignment). */
function readBatchHeaderFresh(buf: Buffer, position: number): BatchHeader {
  for (const e of iterateBatches(buf, position, buf.length)) {
    if (e.kind === 'v2') return e.header
    break
  }
  throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'Batch vanished while appending')
}

/** Index of the last segment whose base offset is ≤ offset, or -1. */
function floorIndex(segments: readonly LogSegment[], offset: number): number {
  let lo = 0
  let hi = segments.length - 1
  let found = -1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    if (segments[mid]!.baseOffset <= offset) {
      found = mid
      lo = mid + 1
    } else hi = mid - 1
  }
  return found
}

/** The segments holding offsets in [from, to) (LogSegments.values(from, to)). */
export function segmentsInRange(segments: readonly LogSegment[], from: number, to: number): LogSegment[] {
  if (from >= to) return []
  const start = Math.max(0, floorIndex(segments, from))
  const out: LogSegment[] = []
  for (let i = start; i < segments.length && segments[i]!.baseOffset < to; i++) out.push(segments[i]!)
  return out
}

/**
 * Rebuilds producer state up to `lastOffset` from the newest usable snapshot plus the batches after it
 * (UnifiedLog.rebuildProducerState), taking snapshots at the two newest segment starts and at `lastOffset`.
 */
export function rebuildProducerState(
  psm: ProducerStateManager,
  segments: readonly LogSegment[],
  logStartOffset: number,
  lastOffset: number,
  reloadFromCleanShutdown: boolean,
  clock: Clock,
  logger: Logger,
  logPrefix: string,
): void {
  const offsetsToSnapshot: number[] = []
  if (segments.length > 0) {
    if (segments.length >= 2) offsetsToSnapshot.push(segments[segments.length - 2]!.baseOffset)
    offsetsToSnapshot.push(segments[segments.length - 1]!.baseOffset)
  }
  offsetsToSnapshot.push(lastOffset)
  logger.info(`${logPrefix}Loading producer state till offset ${lastOffset}`)
  if (psm.latestSnapshotOffset() === undefined && reloadFromCleanShutdown) {
    for (const o of offsetsToSnapshot) {
      psm.updateMapEndOffset(o)
      psm.takeSnapshot()
    }
    return
  }
  const loadStart = clock.now()
  const isEmptyBeforeTruncation = psm.isEmpty() && psm.mapEndOffset >= lastOffset
  psm.truncateAndReload(logStartOffset, lastOffset, clock.now())
  const segmentRecoveryStart = clock.now()
  if (lastOffset > psm.mapEndOffset && !isEmptyBeforeTruncation) {
    const lastIdx = floorIndex(segments, lastOffset)
    for (const segment of segmentsInRange(segments, psm.mapEndOffset, lastOffset)) {
      const startOffset = Math.max(segment.baseOffset, psm.mapEndOffset, logStartOffset)
      psm.updateMapEndOffset(startOffset)
      if (offsetsToSnapshot.includes(segment.baseOffset)) psm.takeSnapshot()
      let maxPosition = segment.size
      if (lastIdx >= 0 && segments[lastIdx] === segment)
        maxPosition = segment.translateOffset(lastOffset)?.position ?? segment.size
      const start = segment.translateOffset(startOffset)
      if (!start || start.position >= maxPosition) continue
      const loaded = new Map<number, ProducerAppendInfo>()
      const completed: CompletedTxn[] = []
      for (const b of segment.batches(start.position)) {
        if (b.position + b.size > maxPosition) break
        const h = b.header
        if (!h || h.producerId < 0) continue
        let info = loaded.get(h.producerId)
        if (!info) {
          info = psm.prepareUpdate(h.producerId, 'replication')
          loaded.set(h.producerId, info)
        }
        const c = info.append(h, h.isControl ? readEndTxnMarker(b.bytes(), 0) : undefined)
        if (c) completed.push(c)
      }
      for (const info of loaded.values()) psm.update(info)
      for (const c of completed) psm.completeTxn(c)
    }
  }
  psm.updateMapEndOffset(lastOffset)
  psm.takeSnapshot()
  logger.info(
    `${logPrefix}Producer state recovery took ${segmentRecoveryStart - loadStart}ms for snapshot load and ` +
      `${clock.now() - segmentRecoveryStart}ms for segment recovery from offset ${lastOffset}`,
  )
}

/** The directory name of a future log: the copy of a replica being moved to another log directory. */
export function logFutureDirName(tp: TopicPartition, uniqueId: string): string {
  return `${tp.topic}-${tp.partition}.${uniqueId}${FUTURE_DIR_SUFFIX}`
}

/** The directory name a deleted log is renamed to before it is removed. */
export function logDeleteDirName(tp: TopicPartition, uniqueId: string): string {
  const fullSuffix = `-${tp.partition}.${uniqueId}${DELETE_DIR_SUFFIX}`
  return tp.topic.substring(0, Math.min(tp.topic.length, 255 - fullSuffix.length)) + fullSuffix
}

function noop(): void {}
