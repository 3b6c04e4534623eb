/**
 * Kafka's Cleaner (LogCleaner.scala / Cleaner.java): cleans one log.
 *
 *  1. Builds the key → latest offset map over the dirty section [firstDirtyOffset, firstUncleanableOffset)
 *     (decompressing batches; aborted transactions and control batches put nothing in it). A full map ends the
 *     section early: the next pass goes on from there.
 *  2. Recopies every segment below the map's end, grouped so that each group fits segment.bytes and the index
 *     sizes, into one new `<base>.log.cleaned` segment per group, keeping a record only when its key's latest
 *     offset is its own (records past the map's end are all kept), tombstones until their batch's delete horizon,
 *     transaction markers until their transaction's data is gone (and their horizon passed), the last batch of each
 *     active producer (as an empty header if need be) and the last batch of the round.
 *  3. Swaps each cleaned segment in with Log.replaceSegments (`.cleaned` → `.swap` → final names).
 *
 * Offsets never change. The work is a generator that yields after each chunk of about the I/O buffer size, so that
 * the log cleaner can spread one cleaning over several scheduler turns; the caller checks the log's
 * segmentsGeneration before resuming and abandons the job (the finally blocks delete the unfinished `.cleaned`
 * segment) when segments were removed, replaced or truncated meanwhile.
 */
import {
  type BatchHeader,
  CONTROL_TYPE_ABORT,
  CONTROL_TYPE_COMMIT,
  type DecodedRecord,
  INT32_MAX,
  readRecords,
} from '../../protocol/records/batch.js'
import {
  type BatchRetention,
  deleteHorizonMs,
  filterBatch,
  type RecordFilter,
} from '../../protocol/records/record-filter.js'
import type { Clock } from '../../util/scheduler.js'
import type { Logger } from '../../util/logger.js'
import type { AbortedTxn, TransactionIndex } from './indexes.js'
import type { LastRecord, Log } from './log.js'
import type { OffsetMap } from './offset-map.js'
import type { LogSegment } from './segment.js'

/** A log chosen for cleaning and its sections (Kafka's LogToClean). */
export interface LogToClean {
  log: Log
  /** the first offset not yet cleaned (from the cleaner checkpoint) */
  firstDirtyOffset: number
  /** the base offset of the first segment that may not be cleaned */
  firstUncleanableOffset: number
  /** bytes of the segments below firstDirtyOffset */
  cleanBytes: number
  /** bytes of the segments in [firstDirtyOffset, firstUncleanableOffset) */
  cleanableBytes: number
  totalBytes: number
  cleanableRatio: number
  /** max.compaction.lag.ms has passed for some dirty segment */
  needCompactionNow: boolean
}

/** Kafka's CleanerStats. Times from the clock's monotonic milliseconds. */
export class CleanerStats {
  bytesRead = 0
  bytesWritten = 0
  mapBytesRead = 0
  mapMessagesRead = 0
  messagesRead = 0
  messagesWritten = 0
  invalidMessagesRead = 0
  bufferUtilization = 0
  readonly startTime: number
  mapCompleteTime = -1
  endTime = -1

  constructor(private readonly clock: Clock) {
    this.startTime = clock.monotonic()
  }

  indexDone(): void {
    this.mapCompleteTime = this.clock.monotonic()
  }

  allDone(): void {
    this.endTime = this.clock.monotonic()
  }

  get elapsedSecs(): number {
    return ((this.endTime < 0 ? this.clock.monotonic() : this.endTime) - this.startTime) / 1000
  }

  get elapsedIndexSecs(): number {
    return (
      ((this.mapCompleteTime < 0 ? this.clock.monotonic() : this.mapCompleteTime) - this.startTime) / 1000
    )
  }
}

interface AbortedTransactionMetadata {
  abortedTxn: AbortedTxn
  lastObservedBatchOffset: number | undefined
}

/**
 * Kafka's CleanedTransactionMetadata: the aborted and committed transactions the cleaner is walking through,
 * deciding which batches belong to aborted transactions (removed) and which markers may go, and writing the
 * aborted transactions whose markers stay into the cleaned segment's transaction index.
 */
export class CleanedTransactionMetadata {
  private readonly ongoingCommittedTxns = new Set<number>()
  private readonly ongoingAbortedTxns = new Map<number, AbortedTransactionMetadata>()
  /** sorted by first offset (Kafka's min-heap) */
  private abortedTransactions: AbortedTxn[] = []
  cleanedIndex: TransactionIndex | undefined

  addAbortedTransactions(txns: readonly AbortedTxn[]): void {
    if (txns.length === 0) return
    this.abortedTransactions = [...this.abortedTransactions, ...txns].sort(
      (a, b) => a.firstOffset - b.firstOffset,
    )
  }

  private consumeAbortedTxnsUpTo(offset: number): void {
    let i = 0
    while (i < this.abortedTransactions.length && this.abortedTransactions[i]!.firstOffset <= offset) {
      const t = this.abortedTransactions[i]!
      if (!this.ongoingAbortedTxns.has(t.producerId)) {
        this.ongoingAbortedTxns.set(t.producerId, { abortedTxn: t, lastObservedBatchOffset: undefined })
      }
      i++
    }
    if (i > 0) this.abortedTransactions = this.abortedTransactions.slice(i)
  }

  /** A control batch was read; true when it may be discarded. `first` is its first record, if any. */
  onControlBatchRead(h: BatchHeader, first: DecodedRecord | undefined): boolean {
    this.consumeAbortedTxnsUpTo(h.lastOffset)
    // an empty control batch was already cleaned: it may go
    if (!first) return true
    const type = first.key && first.key.length >= 4 ? first.key.readInt16BE(2) : -1
    if (type === CONTROL_TYPE_ABORT) {
      const meta = this.ongoingAbortedTxns.get(h.producerId)
      this.ongoingAbortedTxns.delete(h.producerId)
      // the marker stays until every batch of the transaction is gone
      if (meta && meta.lastObservedBatchOffset !== undefined) {
        this.cleanedIndex?.append(meta.abortedTxn)
        return false
      }
      return true
    }
    if (type === CONTROL_TYPE_COMMIT) {
      // the marker may go when no batch of the transaction was seen
      const seen = this.ongoingCommittedTxns.has(h.producerId)
      this.ongoingCommittedTxns.delete(h.producerId)
      return !seen
    }
    return false
  }

  /** A data batch was read; true when it belongs to an aborted transaction (and may be discarded). */
  onBatchRead(h: BatchHeader): boolean {
    this.consumeAbortedTxnsUpTo(h.lastOffset)
    if (!h.isTransactional) return false
    const meta = this.ongoingAbortedTxns.get(h.producerId)
    if (meta) {
      meta.lastObservedBatchOffset = h.lastOffset
      return true
    }
    this.ongoingCommittedTxns.add(h.producerId)
    return false
  }
}

export interface CleanerOptions {
  /** the cleaner thread id, for log messages */
  id: number
  /** per-thread I/O buffer size: how much is read between yields */
  ioBufferSize: number
  /** log.cleaner.io.buffer.load.factor: how full the offset map may get */
  dupBufferLoadFactor: number
  clock: Clock
  logger: Logger
}

export interface CleanResult {
  /** the first offset not cleaned: the new cleaner checkpoint */
  endOffset: number
  stats: CleanerStats
}

/** Tells the job driver that the log changed under the cleaning (LogCleaningAbortedException). */
export class LogCleaningAbortedError extends Error {
  constructor(message = 'The cleaning of the log was aborted') {
    super(message)
    this.name = 'LogCleaningAbortedError'
  }
}

/**
 * Groups segments so that each group's log, offset index and time index sizes stay within the limits and its
 * offsets fit relative to its first segment (Cleaner.groupSegmentsBySize).
 */
export function groupSegmentsBySize(
  segments: readonly LogSegment[],
  maxSize: number,
  maxIndexSize: number,
  firstUncleanableOffset: number,
): LogSegment[][] {
  const grouped: LogSegment[][] = []
  let i = 0
  while (i < segments.length) {
    const first = segments[i]!
    const group = [first]
    let logSize = first.size
    let indexSize = first.offsetIndex.sizeInBytes
    let timeIndexSize = first.timeIndex.sizeInBytes
    i++
    while (i < segments.length) {
      const next = segments[i]!
      // the last offset of `next`: the following segment's base - 1, or the first uncleanable offset - 1
      const lastOffsetOfNext =
        i + 1 < segments.length ? segments[i + 1]!.baseOffset - 1 : firstUncleanableOffset - 1
      if (
        logSize + next.size <= maxSize &&
        indexSize + next.offsetIndex.sizeInBytes <= maxIndexSize &&
        timeIndexSize + next.timeIndex.sizeInBytes <= maxIndexSize &&
        (next.size === 0 || lastOffsetOfNext - first.baseOffset <= INT32_MAX)
      ) {
        group.push(next)
        logSize += next.size
        indexSize += next.offsetIndex.sizeInBytes
        timeIndexSize += next.timeIndex.sizeInBytes
        i++
      } else break
    }
    grouped.push(group)
  }
  return grouped
}

function firstRecord(records: () => DecodedRecord[]): DecodedRecord | undefined {
  return records()[0]
}

export class Cleaner {
  private readonly ident: string

  constructor(private readonly o: CleanerOptions) {
    this.ident = `Cleaner ${o.id}: `
  }

  get id(): number {
    return this.o.id
  }

  /**
   * Cleans `cleanable.log` with `map` at `currentTime` (Cleaner.doClean). Yields the bytes read since the last
   * yield; returns the first offset not cleaned and the statistics.
   */
  *clean(
    cleanable: LogToClean,
    map: OffsetMap,
    currentTime: number,
    onSwap: () => void,
  ): Generator<number, CleanResult, void> {
    const log = cleanable.log
    const logger = this.o.logger
    logger.info(`${this.ident}Beginning cleaning of log ${log.name}`)
    // the timestamp below which legacy (magic < 2) tombstones may go; v2 batches carry their own delete horizon
    const cleanSegs = log.logSegmentsInRange(0, cleanable.firstDirtyOffset)
    const legacyDeleteHorizonMs =
      cleanSegs.length === 0
        ? 0
        : cleanSegs[cleanSegs.length - 1]!.lastModified() - log.config.deleteRetentionMs
    const stats = new CleanerStats(this.o.clock)

    logger.info(`${this.ident}Building offset map for ${log.name}...`)
    const upperBoundOffset = cleanable.firstUncleanableOffset
    yield* this.buildOffsetMap(log, cleanable.firstDirtyOffset, upperBoundOffset, map, stats)
    const endOffset = map.latestOffset + 1
    stats.indexDone()

    const uncleanable = log.logSegmentsInRange(0, cleanable.firstUncleanableOffset)
    const cleanableHorizonMs =
      uncleanable.length === 0 ? 0 : uncleanable[uncleanable.length - 1]!.lastModified()
    logger.info(
      `${this.ident}Cleaning log ${log.name} (cleaning prior to ${new Date(cleanableHorizonMs).toString()}, ` +
        `discarding tombstones prior to upper bound deletion horizon ${new Date(legacyDeleteHorizonMs).toString()})...`,
    )
    const transactionMetadata = new CleanedTransactionMetadata()
    const groups = groupSegmentsBySize(
      log.logSegmentsInRange(0, endOffset),
      log.config.segmentBytes,
      log.config.segmentIndexBytes,
      cleanable.firstUncleanableOffset,
    )
    for (const group of groups) {
      yield* this.cleanSegments(
        log,
        group,
        map,
        currentTime,
        stats,
        transactionMetadata,
        legacyDeleteHorizonMs,
        upperBoundOffset,
        onSwap,
      )
    }
    stats.bufferUtilization = map.utilization
    stats.allDone()
    return { endOffset, stats }
  }

  /** Cleans a group of segments into one new segment and swaps it in (Cleaner.cleanSegments). */
  private *cleanSegments(
    log: Log,
    segments: readonly LogSegment[],
    map: OffsetMap,
    currentTime: number,
    stats: CleanerStats,
    transactionMetadata: CleanedTransactionMetadata,
    legacyDeleteHorizonMs: number,
    upperBoundOffsetOfCleaningRound: number,
    onSwap: () => void,
  ): Generator<number, void, void> {
    const logger = this.o.logger
    const cleaned = log.createNewCleanedSegment(segments[0]!.baseOffset)
    transactionMetadata.cleanedIndex = cleaned.txnIndex
    let swapped = false
    try {
      const lastRecordsOfActiveProducers = log.lastRecordsOfActiveProducers()
      for (let i = 0; i < segments.length; i++) {
        const currentSegment = segments[i]!
        const next = segments[i + 1]
        // the aborted transactions of the whole segment: the new segment's transaction index is rebuilt from them
        const startOffset = currentSegment.baseOffset
        const upperBoundOffset = next ? next.baseOffset : currentSegment.readNextOffset()
        transactionMetadata.addAbortedTransactions(
          log.collectAbortedTransactions(startOffset, upperBoundOffset),
        )
        const lastModified = currentSegment.lastModified()
        const retainLegacyDeletesAndTxnMarkers = lastModified > legacyDeleteHorizonMs
        logger.info(
          `${this.ident}Cleaning ${currentSegment} in log ${log.name} into ${cleaned.baseOffset} with an upper bound ` +
            `deletion horizon ${legacyDeleteHorizonMs} computed from the segment last modified time of ` +
            `${Math.floor(lastModified)},${retainLegacyDeletesAndTxnMarkers ? 'retaining' : 'discarding'} deletes.`,
        )
        yield* this.cleanInto(
          log,
          currentSegment,
          cleaned,
          map,
          log.config.deleteRetentionMs,
          log.config.maxMessageBytes,
          transactionMetadata,
          lastRecordsOfActiveProducers,
          upperBoundOffsetOfCleaningRound,
          stats,
          currentTime,
        )
      }
      cleaned.onBecomeInactiveSegment()
      // flush the new segment to disk before the swap
      cleaned.flushAll()
      // keep the modification time of the original files
      cleaned.setLastModified(segments[segments.length - 1]!.lastModified())
      logger.info(
        `${this.ident}Swapping in cleaned segment ${cleaned} for segment(s) ${segments.map(String).join(',')} in log ${log}`,
      )
      log.replaceSegments([cleaned], segments)
      swapped = true
      onSwap()
    } finally {
      if (!swapped) {
        transactionMetadata.cleanedIndex = undefined
        try {
          cleaned.deleteIfExists()
        } catch (e) {
          logger.warn({ err: e }, `${this.ident}Failed to delete the unfinished cleaned segment ${cleaned}`)
        }
      }
    }
  }

  /** Filters one source segment into the cleaned segment (Cleaner.cleanInto). */
  private *cleanInto(
    log: Log,
    source: LogSegment,
    dest: LogSegment,
    map: OffsetMap,
    deleteRetentionMs: number,
    maxLogMessageSize: number,
    transactionMetadata: CleanedTransactionMetadata,
    lastRecordsOfActiveProducers: ReadonlyMap<number, LastRecord>,
    upperBoundOffsetOfCleaningRound: number,
    stats: CleanerStats,
    currentTime: number,
  ): Generator<number, void, void> {
    let discardBatchRecords = false
    const filter: RecordFilter = {
      currentTime,
      deleteRetentionMs,
      checkBatchRetention: (batch, records) => {
        // transaction markers piggy-back on the tombstone retention: a marker never goes before its data
        const canDiscardBatch = batch.isControl
          ? transactionMetadata.onControlBatchRead(batch, firstRecord(records))
          : transactionMetadata.onBatchRead(batch)
        if (batch.isControl) {
          const horizon = deleteHorizonMs(batch)
          discardBatchRecords = canDiscardBatch && horizon !== undefined && horizon <= currentTime
        } else {
          discardBatchRecords = canDiscardBatch
        }
        // the batch that holds an active producer's last sequence (or its last epoch, for a marker) stays
        const last = lastRecordsOfActiveProducers.get(batch.producerId)
        const isBatchLastRecordOfProducer =
          last !== undefined &&
          (last.lastDataOffset !== undefined
            ? batch.lastOffset === last.lastDataOffset
            : batch.isControl && batch.producerEpoch === last.producerEpoch)
        let retention: BatchRetention
        if (batch.producerId >= 0 && isBatchLastRecordOfProducer) retention = 'RETAIN_EMPTY'
        else if (batch.lastOffset + 1 === upperBoundOffsetOfCleaningRound) {
          // the last batch of the round stays, even empty, so that its last offset is not lost
          retention = 'RETAIN_EMPTY'
        } else if (discardBatchRecords) retention = 'DELETE'
        else retention = 'DELETE_EMPTY'
        return { retention, containsMarkerForEmptyTxn: canDiscardBatch && batch.isControl }
      },
      shouldRetainRecord: (batch, record) => {
        if (discardBatchRecords) return false
        if (batch.isControl) return true
        return this.shouldRetainRecord(map, batch, record, stats, currentTime)
      },
    }
    const warn = (m: string): void => this.o.logger.warn(`${this.ident}${log.name}: ${m}`)
    let out: Buffer[] = []
    let outBytes = 0
    let outLastOffset = -1
    let outMaxTimestamp = -1
    let outOffsetOfMaxTimestamp = -1
    let chunkRead = 0
    const flushOut = (): void => {
      if (out.length === 0) return
      dest.append(
        outLastOffset,
        outMaxTimestamp,
        outOffsetOfMaxTimestamp,
        out.length === 1 ? out[0]! : Buffer.concat(out, outBytes),
      )
      stats.bytesWritten += outBytes
      out = []
      outBytes = 0
      outMaxTimestamp = -1
      outOffsetOfMaxTimestamp = -1
    }
    for (const b of source.batches(0)) {
      const bytes = b.bytes()
      stats.bytesRead += b.size
      chunkRead += b.size
      let output: Buffer | undefined
      let maxTimestamp = b.maxTimestamp
      if (b.header) {
        const r = filterBatch(bytes, b.header, filter, maxLogMessageSize, warn)
        stats.messagesRead += r.messagesRead
        stats.messagesWritten += r.messagesRetained
        output = r.output
        maxTimestamp = r.maxTimestamp
      } else {
        // legacy (magic 0/1) entries are kept as they are
        stats.messagesRead += 1
        stats.messagesWritten += 1
        output = bytes
      }
      if (output) {
        out.push(output)
        outBytes += output.length
        outLastOffset = b.lastOffset
        if (maxTimestamp > outMaxTimestamp) {
          outMaxTimestamp = maxTimestamp
          outOffsetOfMaxTimestamp = b.lastOffset
        }
      }
      if (chunkRead >= this.o.ioBufferSize) {
        flushOut()
        yield chunkRead
        chunkRead = 0
      }
    }
    flushOut()
    if (chunkRead > 0) yield chunkRead
  }

  /** Cleaner.shouldRetainRecord for a v2 record. */
  private shouldRetainRecord(
    map: OffsetMap,
    batch: BatchHeader,
    record: DecodedRecord,
    stats: CleanerStats,
    currentTime: number,
  ): boolean {
    if (record.offset > map.latestOffset) return true
    if (record.key === null) {
      // a record without a key cannot be compacted: it goes (Kafka counts it as an invalid message)
      stats.invalidMessagesRead++
      return false
    }
    const foundOffset = map.get(record.key)
    const latestOffsetForKey = record.offset >= foundOffset
    const horizon = deleteHorizonMs(batch)
    const shouldRetainDeletes = horizon === undefined || currentTime < horizon
    return latestOffsetForKey && (record.value !== null || shouldRetainDeletes)
  }

  /** Fills `map` from the dirty section [start, end) (Cleaner.buildOffsetMap). */
  private *buildOffsetMap(
    log: Log,
    start: number,
    end: number,
    map: OffsetMap,
    stats: CleanerStats,
  ): Generator<number, void, void> {
    map.clear()
    const dirty = log.logSegmentsInRange(start, end)
    this.o.logger.info(
      `${this.ident}Building offset map for log ${log.name} for ${dirty.length} segments in offset range [${start}, ${end}).`,
    )
    const transactionMetadata = new CleanedTransactionMetadata()
    transactionMetadata.addAbortedTransactions(log.collectAbortedTransactions(start, end))
    for (let i = 0; i < dirty.length; i++) {
      const segment = dirty[i]!
      const nextSegmentStartOffset = i + 1 < dirty.length ? dirty[i + 1]!.baseOffset : end
      const full = yield* this.buildOffsetMapForSegment(
        segment,
        map,
        start,
        nextSegmentStartOffset,
        transactionMetadata,
        stats,
      )
      if (full) {
        this.o.logger.debug(
          `${this.ident}Offset map is full, ${i} segments fully mapped, segment with base offset ${segment.baseOffset} is partially mapped`,
        )
        break
      }
    }
    this.o.logger.info(`${this.ident}Offset map for log ${log.name} complete.`)
  }

  /** Adds the keys of one segment; true when the map filled up. */
  private *buildOffsetMapForSegment(
    segment: LogSegment,
    map: OffsetMap,
    startOffset: number,
    nextSegmentStartOffset: number,
    transactionMetadata: CleanedTransactionMetadata,
    stats: CleanerStats,
  ): Generator<number, boolean, void> {
    segment.ensureIndexes()
    const position = segment.offsetIndex.lookup(startOffset).position
    const maxDesiredMapSize = Math.floor(map.slots * this.o.dupBufferLoadFactor)
    let chunkRead = 0
    for (const b of segment.batches(position)) {
      const h = b.header
      if (h) {
        let decoded: DecodedRecord[] | undefined
        const records = (): DecodedRecord[] => (decoded ??= readRecords(b.bytes(), 0))
        if (h.isControl) {
          transactionMetadata.onControlBatchRead(h, firstRecord(records))
          stats.mapMessagesRead += 1
        } else if (transactionMetadata.onBatchRead(h)) {
          // an aborted transaction: nothing of it goes into the map
          stats.mapMessagesRead += h.recordCount
        } else {
          for (const r of records()) {
            if (r.key !== null && r.offset >= startOffset) {
              if (map.size < maxDesiredMapSize) map.put(r.key, r.offset)
              else {
                if (chunkRead > 0) yield chunkRead
                return true
              }
            }
            stats.mapMessagesRead += 1
          }
        }
      }
      // legacy (magic 0/1) entries are not mapped: the cleaner keeps them as they are
      if (b.lastOffset >= startOffset) map.updateLatestOffset(b.lastOffset)
      stats.mapBytesRead += b.size
      chunkRead += b.size
      if (chunkRead >= this.o.ioBufferSize) {
        yield chunkRead
        chunkRead = 0
      }
    }
    // offsets may have gaps: the map covers everything up to the next segment
    map.updateLatestOffset(nextSegmentStartOffset - 1)
    if (chunkRead > 0) yield chunkRead
    return false
  }
}
