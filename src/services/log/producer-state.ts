/**
 * Kafka's ProducerStateManager / ProducerAppendInfo / ProducerStateEntry: per producer id the epoch and the
 * metadata of the last 5 batches (for duplicate detection and sequence checks), ongoing transactions, and the
 * `<20-digit offset>.snapshot` files:
 *   version int16 (1) | crc uint32 (CRC-32C of everything after it) | int32 count, then per producer:
 *   producerId int64, epoch int16, lastSequence int32, lastOffset int64, offsetDelta int32, timestamp int64,
 *   coordinatorEpoch int32, currentTxnFirstOffset int64
 */
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync } from 'node:fs'
import * as fsPromises from 'node:fs/promises'
import { join } from 'node:path'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import {
  type BatchHeader,
  CONTROL_TYPE_ABORT,
  decrementSequence,
  type EndTxnMarker,
  INT32_MAX,
  lastSequenceOf,
  NO_PRODUCER_EPOCH,
  NO_SEQUENCE,
  NO_TIMESTAMP,
} from '../../protocol/records/batch.js'
import { crc32c } from '../../protocol/records/crc32c.js'
import { readInt64, writeInt64 } from '../../protocol/codec/writer.js'
import type { Clock } from '../../util/scheduler.js'
import type { Logger } from '../../util/logger.js'
import { CorruptSnapshotError } from './errors.js'
import {
  DELETED_FILE_SUFFIX,
  deleteIfExists,
  flushDir,
  isErrno,
  offsetFromFileName,
  PRODUCER_SNAPSHOT_FILE_SUFFIX,
  producerSnapshotFile,
  writeAt,
} from './file-utils.js'

export type AppendOrigin = 'client' | 'coordinator' | 'replication'

export const NUM_BATCHES_TO_RETAIN = 5
export const PRODUCER_SNAPSHOT_VERSION = 1

/** What is remembered of one appended batch. */
export interface BatchMetadata {
  lastSeq: number
  lastOffset: number
  offsetDelta: number
  timestamp: number
}

export function firstSeqOf(b: BatchMetadata): number {
  return decrementSequence(b.lastSeq, b.offsetDelta)
}

export function firstOffsetOf(b: BatchMetadata): number {
  return b.lastOffset - b.offsetDelta
}

export class ProducerStateEntry {
  constructor(
    readonly producerId: number,
    public producerEpoch: number,
    public coordinatorEpoch: number,
    public lastTimestamp: number,
    public currentTxnFirstOffset: number | undefined,
    public batchMetadata: BatchMetadata[] = [],
  ) {}

  static empty(producerId: number): ProducerStateEntry {
    return new ProducerStateEntry(producerId, NO_PRODUCER_EPOCH, -1, NO_TIMESTAMP, undefined, [])
  }

  get isEmpty(): boolean {
    return this.batchMetadata.length === 0
  }
  get firstSeq(): number {
    return this.isEmpty ? NO_SEQUENCE : firstSeqOf(this.batchMetadata[0]!)
  }
  get lastSeq(): number {
    return this.isEmpty ? NO_SEQUENCE : this.batchMetadata[this.batchMetadata.length - 1]!.lastSeq
  }
  get firstDataOffset(): number {
    return this.isEmpty ? -1 : firstOffsetOf(this.batchMetadata[0]!)
  }
  get lastDataOffset(): number {
    return this.isEmpty ? -1 : this.batchMetadata[this.batchMetadata.length - 1]!.lastOffset
  }
  get lastOffsetDelta(): number {
    return this.isEmpty ? 0 : this.batchMetadata[this.batchMetadata.length - 1]!.offsetDelta
  }

  /** Same epoch, coordinator epoch, timestamp and transaction, no batches (withProducerIdAndBatchMetadata). */
  withoutBatches(): ProducerStateEntry {
    return new ProducerStateEntry(
      this.producerId,
      this.producerEpoch,
      this.coordinatorEpoch,
      this.lastTimestamp,
      this.currentTxnFirstOffset,
      [],
    )
  }

  addBatch(
    producerEpoch: number,
    lastSeq: number,
    lastOffset: number,
    offsetDelta: number,
    timestamp: number,
  ): void {
    this.maybeUpdateProducerEpoch(producerEpoch)
    this.addBatchMetadata({ lastSeq, lastOffset, offsetDelta, timestamp })
    this.lastTimestamp = timestamp
  }

  maybeUpdateProducerEpoch(producerEpoch: number): boolean {
    if (this.producerEpoch !== producerEpoch) {
      this.batchMetadata = []
      this.producerEpoch = producerEpoch
      return true
    }
    return false
  }

  private addBatchMetadata(b: BatchMetadata): void {
    if (this.batchMetadata.length === NUM_BATCHES_TO_RETAIN) this.batchMetadata.shift()
    this.batchMetadata.push(b)
  }

  /** Merges the result of an append into this entry. */
  update(next: ProducerStateEntry): void {
    this.maybeUpdateProducerEpoch(next.producerEpoch)
    for (const b of next.batchMetadata) this.addBatchMetadata(b)
    this.coordinatorEpoch = next.coordinatorEpoch
    this.currentTxnFirstOffset = next.currentTxnFirstOffset
    this.lastTimestamp = next.lastTimestamp
  }

  /** The end of a transaction: epoch, coordinator epoch and timestamp, no transaction in progress. */
  endTransaction(producerEpoch: number, coordinatorEpoch: number, lastTimestamp: number): void {
    this.maybeUpdateProducerEpoch(producerEpoch)
    this.coordinatorEpoch = coordinatorEpoch
    this.currentTxnFirstOffset = undefined
    this.lastTimestamp = lastTimestamp
  }

  /** The retained batch with exactly this epoch and sequence range, if any. */
  findDuplicateBatch(h: BatchHeader): BatchMetadata | undefined {
    if (h.producerEpoch !== this.producerEpoch) return undefined
    const first = h.baseSequence
    const last = lastSequenceOf(h)
    return this.batchMetadata.find((b) => firstSeqOf(b) === first && b.lastSeq === last)
  }
}

export interface CompletedTxn {
  producerId: number
  firstOffset: number
  lastOffset: number
  isAborted: boolean
}

interface TxnMetadata {
  producerId: number
  firstOffset: number
  lastOffset: number | undefined
}

/** Validates the batches of one producer in one append and accumulates the resulting state. */
export class ProducerAppendInfo {
  private readonly updatedEntry: ProducerStateEntry
  readonly startedTransactions: TxnMetadata[] = []

  constructor(
    private readonly topicPartition: string,
    readonly producerId: number,
    private readonly currentEntry: ProducerStateEntry,
    private readonly origin: AppendOrigin,
    private readonly logger?: Logger,
  ) {
    this.updatedEntry = currentEntry.withoutBatches()
  }

  private checkProducerEpoch(producerEpoch: number, offset: number): void {
    if (producerEpoch < this.updatedEntry.producerEpoch) {
      const message =
        `Epoch of producer ${this.producerId} at offset ${offset} in ${this.topicPartition} is ${producerEpoch}, ` +
        `which is smaller than the last seen epoch ${this.updatedEntry.producerEpoch}`
      if (this.origin === 'replication') this.logger?.warn(message)
      else throw new KafkaError(ErrorCode.INVALID_PRODUCER_EPOCH, message)
    }
  }

  private checkSequence(producerEpoch: number, appendFirstSeq: number, offset: number): void {
    if (producerEpoch !== this.updatedEntry.producerEpoch) {
      if (appendFirstSeq !== 0 && this.updatedEntry.producerEpoch !== NO_PRODUCER_EPOCH) {
        throw new KafkaError(
          ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          `Invalid sequence number for new epoch of producer ${this.producerId} at offset ${offset} in partition ` +
            `${this.topicPartition}: ${producerEpoch} (request epoch), ${appendFirstSeq} (seq. number), ` +
            `${this.updatedEntry.producerEpoch} (current producer epoch)`,
        )
      }
    } else {
      let currentLastSeq: number
      if (!this.updatedEntry.isEmpty) currentLastSeq = this.updatedEntry.lastSeq
      else if (producerEpoch === this.currentEntry.producerEpoch) currentLastSeq = this.currentEntry.lastSeq
      else currentLastSeq = NO_SEQUENCE
      // with no current epoch (all its data deleted by retention or DeleteRecords) any sequence is accepted
      if (!(
        this.currentEntry.producerEpoch === NO_PRODUCER_EPOCH || inSequence(currentLastSeq, appendFirstSeq)
      )) {
        throw new KafkaError(
          ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          `Out of order sequence number for producer ${this.producerId} at offset ${offset} in partition ` +
            `${this.topicPartition}: ${appendFirstSeq} (incoming seq. number), ${currentLastSeq} (current end sequence number)`,
        )
      }
    }
  }

  /** Appends one batch (with its assigned offsets); a control batch needs its decoded marker. */
  append(h: BatchHeader, marker: EndTxnMarker | undefined): CompletedTxn | undefined {
    if (h.isControl) {
      if (!marker) return undefined // an empty control batch: the transaction was cleaned from the log
      return this.appendEndTxnMarker(marker, h.producerEpoch, h.baseOffset, marker.timestamp)
    }
    this.appendDataBatch(
      h.producerEpoch,
      h.baseSequence,
      lastSequenceOf(h),
      h.maxTimestamp,
      h.baseOffset,
      h.lastOffset,
      h.isTransactional,
    )
    return undefined
  }

  appendDataBatch(
    epoch: number,
    firstSeq: number,
    lastSeq: number,
    lastTimestamp: number,
    firstOffset: number,
    lastOffset: number,
    isTransactional: boolean,
  ): void {
    this.checkProducerEpoch(epoch, firstOffset)
    if (this.origin === 'client') this.checkSequence(epoch, firstSeq, firstOffset)
    this.updatedEntry.addBatch(epoch, lastSeq, lastOffset, lastOffset - firstOffset, lastTimestamp)
    const txnFirst = this.updatedEntry.currentTxnFirstOffset
    if (txnFirst !== undefined && !isTransactional) {
      throw new KafkaError(
        ErrorCode.INVALID_TXN_STATE,
        `Expected transactional write from producer ${this.producerId} at offset ${firstOffset} in partition ${this.topicPartition}`,
      )
    } else if (txnFirst === undefined && isTransactional) {
      this.updatedEntry.currentTxnFirstOffset = firstOffset
      this.startedTransactions.push({ producerId: this.producerId, firstOffset, lastOffset: undefined })
    }
  }

  appendEndTxnMarker(
    marker: EndTxnMarker,
    producerEpoch: number,
    offset: number,
    timestamp: number,
  ): CompletedTxn | undefined {
    this.checkProducerEpoch(producerEpoch, offset)
    if (this.updatedEntry.coordinatorEpoch > marker.coordinatorEpoch) {
      const message =
        `Invalid coordinator epoch for producerId ${this.producerId} at offset ${offset} in partition ` +
        `${this.topicPartition}: ${marker.coordinatorEpoch} (zombie), ${this.updatedEntry.coordinatorEpoch} (current)`
      if (this.origin === 'replication') this.logger?.info(message)
      else throw new KafkaError(ErrorCode.TRANSACTION_COORDINATOR_FENCED, message)
    }
    const first = this.updatedEntry.currentTxnFirstOffset
    const completed =
      first !== undefined
        ? {
            producerId: this.producerId,
            firstOffset: first,
            lastOffset: offset,
            isAborted: marker.type === CONTROL_TYPE_ABORT,
          }
        : undefined
    this.updatedEntry.endTransaction(producerEpoch, marker.coordinatorEpoch, timestamp)
    return completed
  }

  toEntry(): ProducerStateEntry {
    return this.updatedEntry
  }
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX)
}

export interface ProducerStateManagerConfig {
  /** producer.id.expiration.ms (1 day) */
  producerIdExpirationMs: number
  /** transaction.max.timeout.ms (15 minutes) */
  maxTransactionTimeoutMs: number
  /** transaction.partition.verification.enable (KIP-890): a transaction's first write needs a verification guard */
  transactionVerificationEnabled?: boolean
}

/**
 * The proof that the transaction coordinator confirmed a producer's transaction includes this partition (KIP-890
 * VerificationGuard). Compared by identity: a guard created before a marker was written is stale afterwards.
 */
export class VerificationGuard {
  constructor(
    readonly producerId: number,
    readonly createdAt: number,
  ) {}
}

/** A verification in progress for a producer with no transaction open here (Kafka's VerificationStateEntry). */
export interface VerificationStateEntry {
  readonly guard: VerificationGuard
  readonly timestamp: number
  lowestSequence: number
  epoch: number
}

/** A producer as DescribeProducers shows it. */
export interface ActiveProducer {
  producerId: number
  producerEpoch: number
  lastSequence: number
  lastTimestamp: number
  coordinatorEpoch: number
  currentTxnStartOffset: number
}

export const SNAPSHOT_ENTRY_SIZE = 8 + 2 + 4 + 8 + 4 + 8 + 4 + 8

/** Encodes a producer snapshot (version 1). */
export function encodeSnapshot(entries: Iterable<ProducerStateEntry>): Buffer {
  const list = [...entries]
  const buf = Buffer.alloc(2 + 4 + 4 + list.length * SNAPSHOT_ENTRY_SIZE)
  buf.writeInt16BE(PRODUCER_SNAPSHOT_VERSION, 0)
  buf.writeInt32BE(list.length, 6)
  let p = 10
  for (const e of list) {
    writeInt64(buf, p, e.producerId)
    buf.writeInt16BE(e.producerEpoch, p + 8)
    buf.writeInt32BE(e.lastSeq, p + 10)
    writeInt64(buf, p + 14, e.lastDataOffset)
    buf.writeInt32BE(e.lastOffsetDelta, p + 22)
    writeInt64(buf, p + 26, e.lastTimestamp)
    buf.writeInt32BE(e.coordinatorEpoch, p + 34)
    writeInt64(buf, p + 38, e.currentTxnFirstOffset ?? -1)
    p += SNAPSHOT_ENTRY_SIZE
  }
  buf.writeUInt32BE(crc32c(buf, 6), 2)
  return buf
}

/** Decodes a producer snapshot; throws CorruptSnapshotError for a bad version, CRC or layout. */
export function decodeSnapshot(buf: Buffer): ProducerStateEntry[] {
  if (buf.length < 10)
    throw new CorruptSnapshotError(`Snapshot failed schema validation: only ${buf.length} bytes`)
  const version = buf.readInt16BE(0)
  if (version !== PRODUCER_SNAPSHOT_VERSION) {
    throw new CorruptSnapshotError(`Snapshot contained an unknown file version ${version}`)
  }
  const crc = buf.readUInt32BE(2)
  const computed = crc32c(buf, 6)
  if (crc !== computed) {
    throw new CorruptSnapshotError(
      `Snapshot is corrupt (CRC is no longer valid). Stored crc: ${crc}. Computed crc: ${computed}`,
    )
  }
  const count = buf.readInt32BE(6)
  if (count < 0 || 10 + count * SNAPSHOT_ENTRY_SIZE > buf.length) {
    throw new CorruptSnapshotError(
      `Snapshot failed schema validation: ${count} entries in ${buf.length} bytes`,
    )
  }
  const out: ProducerStateEntry[] = []
  let p = 10
  for (let i = 0; i < count; i++) {
    const producerId = readInt64(buf, p)
    const epoch = buf.readInt16BE(p + 8)
    const seq = buf.readInt32BE(p + 10)
    const offset = readInt64(buf, p + 14)
    const offsetDelta = buf.readInt32BE(p + 22)
    const timestamp = readInt64(buf, p + 26)
    const coordinatorEpoch = buf.readInt32BE(p + 34)
    const txnFirst = readInt64(buf, p + 38)
    out.push(
      new ProducerStateEntry(
        producerId,
        epoch,
        coordinatorEpoch,
        timestamp,
        txnFirst >= 0 ? txnFirst : undefined,
        offset >= 0 ? [{ lastSeq: seq, lastOffset: offset, offsetDelta, timestamp }] : [],
      ),
    )
    p += SNAPSHOT_ENTRY_SIZE
  }
  return out
}

export function readSnapshot(path: string): ProducerStateEntry[] {
  return decodeSnapshot(readFileSync(path))
}

export function writeSnapshot(path: string, entries: Iterable<ProducerStateEntry>, sync = true): void {
  const fd = openSync(path, 'w')
  try {
    writeAt(fd, encodeSnapshot(entries), 0, path)
    if (sync) fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/** writeSnapshot() with the write and the fsync on libuv's thread pool. */
export async function writeSnapshotAsync(path: string, entries: Iterable<ProducerStateEntry>): Promise<void> {
  const file = await fsPromises.open(path, 'w')
  try {
    await file.write(encodeSnapshot(entries), 0)
    await file.sync()
  } finally {
    await file.close()
  }
}

/** The snapshot files of a directory, by offset. */
export function listSnapshotFiles(dir: string, listing?: Iterable<string>): Map<number, string> {
  const out = new Map<number, string>()
  let names: Iterable<string>
  try {
    names = listing ?? readdirSync(dir)
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return out
    throw e
  }
  for (const name of names) {
    if (!name.endsWith(PRODUCER_SNAPSHOT_FILE_SUFFIX)) continue
    const offset = offsetFromFileName(name)
    if (offset !== undefined) out.set(offset, join(dir, name))
  }
  return out
}

export class ProducerStateManager {
  private readonly producers = new Map<number, ProducerStateEntry>()
  private readonly verificationStates = new Map<number, VerificationStateEntry>()
  private readonly ongoingTxns = new Map<number, TxnMetadata>()
  private readonly unreplicatedTxns = new Map<number, TxnMetadata>()
  private snapshots: Map<number, string>
  private lastMapOffset = 0
  private lastSnapOffset = 0

  constructor(
    private readonly topicPartition: string,
    private dir: string,
    readonly config: ProducerStateManagerConfig,
    private readonly clock: Clock,
    private readonly logger: Logger,
    /** the directory's file names, when the caller listed it already */
    listing?: Iterable<string>,
  ) {
    this.snapshots = listSnapshotFiles(dir, listing)
  }

  get producerIdCount(): number {
    return this.producers.size
  }

  get mapEndOffset(): number {
    return this.lastMapOffset
  }

  updateParentDir(dir: string): void {
    this.dir = dir
    const moved = new Map<number, string>()
    for (const offset of this.snapshots.keys()) moved.set(offset, producerSnapshotFile(dir, offset))
    this.snapshots = moved
  }

  /**
   * Deletes snapshots that belong to no segment, except the newest one when it is above every segment
   * (the one written at clean shutdown).
   */
  removeStraySnapshots(segmentBaseOffsets: number[], listing?: Iterable<string>): void {
    const maxSegmentBaseOffset = segmentBaseOffsets.length > 0 ? Math.max(...segmentBaseOffsets) : undefined
    const bases = new Set(segmentBaseOffsets)
    const snapshots = listSnapshotFiles(this.dir, listing)
    let latestStray: number | undefined
    for (const offset of [...snapshots.keys()].sort((a, b) => a - b)) {
      if (bases.has(offset)) continue
      if (latestStray !== undefined) {
        deleteIfExists(snapshots.get(latestStray)!)
        snapshots.delete(latestStray)
      }
      latestStray = offset
    }
    if (
      latestStray !== undefined &&
      maxSegmentBaseOffset !== undefined &&
      latestStray < maxSegmentBaseOffset
    ) {
      deleteIfExists(snapshots.get(latestStray)!)
      snapshots.delete(latestStray)
    }
    this.snapshots = snapshots
  }

  /** The first offset of an undecided transaction, or of a decided one whose marker is above the high watermark. */
  firstUnstableOffset(): number | undefined {
    const a = minKey(this.unreplicatedTxns)
    const b = minKey(this.ongoingTxns)
    if (a === undefined) return b
    if (b === undefined) return a
    return Math.min(a, b)
  }

  onHighWatermarkUpdated(highWatermark: number): void {
    this.removeUnreplicatedTransactions(highWatermark)
  }

  firstUndecidedOffset(): number | undefined {
    return minKey(this.ongoingTxns)
  }

  activeProducers(): ReadonlyMap<number, ProducerStateEntry> {
    return this.producers
  }

  describeProducers(): ActiveProducer[] {
    return [...this.producers.values()].map((e) => ({
      producerId: e.producerId,
      producerEpoch: e.producerEpoch,
      lastSequence: e.lastSeq,
      lastTimestamp: e.lastTimestamp,
      coordinatorEpoch: e.coordinatorEpoch,
      currentTxnStartOffset: e.currentTxnFirstOffset ?? -1,
    }))
  }

  isEmpty(): boolean {
    return this.producers.size === 0 && this.unreplicatedTxns.size === 0
  }

  private isProducerExpired(now: number, e: ProducerStateEntry): boolean {
    return (
      e.currentTxnFirstOffset === undefined && now - e.lastTimestamp >= this.config.producerIdExpirationMs
    )
  }

  private loadProducerEntry(e: ProducerStateEntry): void {
    this.producers.set(e.producerId, e)
    if (e.currentTxnFirstOffset !== undefined) {
      this.ongoingTxns.set(e.currentTxnFirstOffset, {
        producerId: e.producerId,
        firstOffset: e.currentTxnFirstOffset,
        lastOffset: undefined,
      })
    }
  }

  private loadFromSnapshot(logStartOffset: number, now: number): void {
    for (;;) {
      const latest = this.latestSnapshotOffset()
      if (latest === undefined) {
        this.lastSnapOffset = logStartOffset
        this.lastMapOffset = logStartOffset
        return
      }
      const path = this.snapshots.get(latest)!
      try {
        this.logger.info(
          `[ProducerStateManager partition=${this.topicPartition}] Loading producer state from snapshot file '${path}'`,
        )
        for (const e of readSnapshot(path)) if (!this.isProducerExpired(now, e)) this.loadProducerEntry(e)
        this.lastSnapOffset = latest
        this.lastMapOffset = latest
        return
      } catch (e) {
        if (!(e instanceof CorruptSnapshotError) && !isErrno(e, 'ENOENT')) throw e
        this.logger.warn(
          `[ProducerStateManager partition=${this.topicPartition}] Failed to load producer snapshot from '${path}': ${(e as Error).message}`,
        )
        this.removeAndDeleteSnapshot(latest)
      }
    }
  }

  /** Removes producers idle for producer.id.expiration.ms (those in a transaction stay), and old verifications. */
  removeExpiredProducers(now: number): void {
    for (const [id, e] of this.producers) if (this.isProducerExpired(now, e)) this.producers.delete(id)
    for (const [id, v] of this.verificationStates)
      if (now - v.timestamp >= this.config.producerIdExpirationMs) this.verificationStates.delete(id)
  }

  /** The verification entry of a producer, created if there is none; keeps the lowest sequence and newest epoch. */
  maybeCreateVerificationStateEntry(
    producerId: number,
    sequence: number,
    epoch: number,
  ): VerificationStateEntry {
    let e = this.verificationStates.get(producerId)
    if (!e) {
      const now = this.clock.now()
      e = { guard: new VerificationGuard(producerId, now), timestamp: now, lowestSequence: sequence, epoch }
      this.verificationStates.set(producerId, e)
    } else if (epoch > e.epoch) {
      e.epoch = epoch
      e.lowestSequence = sequence
    } else if (epoch === e.epoch && sequence < e.lowestSequence) {
      e.lowestSequence = sequence
    }
    return e
  }

  verificationStateEntry(producerId: number): VerificationStateEntry | undefined {
    return this.verificationStates.get(producerId)
  }

  clearVerificationStateEntry(producerId: number): void {
    this.verificationStates.delete(producerId)
  }

  /**
   * Drops snapshots outside (logStartOffset, logEndOffset] and, unless the map already ends at logEndOffset,
   * reloads the state from the newest remaining snapshot.
   */
  truncateAndReload(logStartOffset: number, logEndOffset: number, now: number): void {
    for (const offset of [...this.snapshots.keys()]) {
      if (offset > logEndOffset || offset <= logStartOffset) this.removeAndDeleteSnapshot(offset)
    }
    if (logEndOffset !== this.lastMapOffset) {
      this.producers.clear()
      this.ongoingTxns.clear()
      this.unreplicatedTxns.clear()
      this.loadFromSnapshot(logStartOffset, now)
    } else {
      this.onLogStartOffsetIncremented(logStartOffset)
    }
  }

  prepareUpdate(producerId: number, origin: AppendOrigin): ProducerAppendInfo {
    const current = this.producers.get(producerId) ?? ProducerStateEntry.empty(producerId)
    return new ProducerAppendInfo(this.topicPartition, producerId, current, origin, this.logger)
  }

  update(info: ProducerAppendInfo): void {
    if (info.producerId < 0)
      throw new Error(
        `Invalid producer id ${info.producerId} passed to update for partition ${this.topicPartition}`,
      )
    const updated = info.toEntry()
    const current = this.producers.get(info.producerId)
    if (current) current.update(updated)
    else this.producers.set(info.producerId, updated)
    for (const t of info.startedTransactions) this.ongoingTxns.set(t.firstOffset, t)
  }

  updateMapEndOffset(lastOffset: number): void {
    this.lastMapOffset = lastOffset
  }

  lastEntry(producerId: number): ProducerStateEntry | undefined {
    return this.producers.get(producerId)
  }

  /** Writes a snapshot at the map end offset unless one is already there. Returns its path when written. */
  takeSnapshot(sync = true): string | undefined {
    if (this.lastMapOffset > this.lastSnapOffset) {
      const path = producerSnapshotFile(this.dir, this.lastMapOffset)
      const start = this.clock.monotonic()
      writeSnapshot(path, this.producers.values(), sync)
      this.logger.info(
        `[ProducerStateManager partition=${this.topicPartition}] Wrote producer snapshot at offset ${this.lastMapOffset} ` +
          `with ${this.producers.size} producer ids in ${Math.round(this.clock.monotonic() - start)} ms.`,
      )
      this.snapshots.set(this.lastMapOffset, path)
      this.lastSnapOffset = this.lastMapOffset
      return path
    }
    return undefined
  }

  /** takeSnapshot() with the file written and fsynced off the event loop (shutdown). */
  async takeSnapshotAsync(): Promise<string | undefined> {
    if (this.lastMapOffset <= this.lastSnapOffset) return undefined
    const offset = this.lastMapOffset
    const path = producerSnapshotFile(this.dir, offset)
    await writeSnapshotAsync(path, this.producers.values())
    this.snapshots.set(offset, path)
    if (offset > this.lastSnapOffset) this.lastSnapOffset = offset
    return path
  }

  latestSnapshotOffset(): number | undefined {
    return maxKey(this.snapshots)
  }

  oldestSnapshotOffset(): number | undefined {
    return minKey(this.snapshots)
  }

  snapshotOffsets(): number[] {
    return [...this.snapshots.keys()].sort((a, b) => a - b)
  }

  onLogStartOffsetIncremented(logStartOffset: number): void {
    this.removeUnreplicatedTransactions(logStartOffset)
    if (this.lastMapOffset < logStartOffset) this.lastMapOffset = logStartOffset
    this.lastSnapOffset = this.latestSnapshotOffset() ?? logStartOffset
  }

  private removeUnreplicatedTransactions(offset: number): void {
    for (const [k, t] of this.unreplicatedTxns) {
      if (t.lastOffset !== undefined && t.lastOffset < offset) this.unreplicatedTxns.delete(k)
    }
  }

  /** Clears all state and snapshots; the map restarts at `offset`. */
  truncateFullyAndStartAt(offset: number): void {
    this.producers.clear()
    this.ongoingTxns.clear()
    this.unreplicatedTxns.clear()
    for (const o of [...this.snapshots.keys()]) this.removeAndDeleteSnapshot(o)
    this.lastSnapOffset = 0
    this.lastMapOffset = offset
  }

  /** The last stable offset once `completed` is done: the first other ongoing transaction, or its end + 1. */
  lastStableOffset(completed: CompletedTxn): number {
    const others = [...this.ongoingTxns.values()]
      .filter((t) => t.producerId !== completed.producerId)
      .sort((a, b) => a.firstOffset - b.firstOffset)
    return others.length > 0 ? others[0]!.firstOffset : completed.lastOffset + 1
  }

  completeTxn(completed: CompletedTxn): void {
    const txn = this.ongoingTxns.get(completed.firstOffset)
    if (!txn) {
      throw new Error(
        `Attempted to complete transaction ${JSON.stringify(completed)} on partition ${this.topicPartition} which was not started`,
      )
    }
    this.ongoingTxns.delete(completed.firstOffset)
    txn.lastOffset = completed.lastOffset
    this.unreplicatedTxns.set(completed.firstOffset, txn)
  }

  deleteSnapshotsBefore(offset: number): void {
    for (const o of [...this.snapshots.keys()]) if (o < offset) this.removeAndDeleteSnapshot(o)
  }

  private removeAndDeleteSnapshot(offset: number): void {
    const path = this.snapshots.get(offset)
    if (path !== undefined) {
      this.snapshots.delete(offset)
      deleteIfExists(path)
    }
  }

  /** Forgets the snapshot at `offset` and renames it with `.deleted`; returns the new path. */
  removeAndMarkSnapshotForDeletion(offset: number): string | undefined {
    const path = this.snapshots.get(offset)
    if (path === undefined) return undefined
    this.snapshots.delete(offset)
    try {
      renameSync(path, path + DELETED_FILE_SUFFIX)
      flushDir(this.dir)
      return path + DELETED_FILE_SUFFIX
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return undefined
      throw e
    }
  }
}

function minKey(m: ReadonlyMap<number, unknown>): number | undefined {
  let min: number | undefined
  for (const k of m.keys()) if (min === undefined || k < min) min = k
  return min
}

function maxKey(m: ReadonlyMap<number, unknown>): number | undefined {
  let max: number | undefined
  for (const k of m.keys()) if (max === undefined || k > max) max = k
  return max
}
