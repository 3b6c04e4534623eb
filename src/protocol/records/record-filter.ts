/**
 * Filtering one v2 record batch the way the log cleaner does (Kafka's MemoryRecords.filterTo with its RecordFilter,
 * MemoryRecordsBuilder and DefaultRecordBatch.writeEmptyHeader):
 *  - the filter first decides about the whole batch (DELETE, DELETE_EMPTY, RETAIN_EMPTY), then about each record;
 *  - a batch whose records all stay, and that needs no delete horizon, is copied byte for byte;
 *  - otherwise the retained records are written into a new batch with the original batch's base offset, last offset
 *    (so the producer's last sequence survives), compression, timestamp type, producer id/epoch, base sequence,
 *    transactional and control flags and partition leader epoch. A batch that keeps a tombstone (or a transaction
 *    marker whose transaction is gone) gets the delete horizon: the DELETE_HORIZON attribute bit set and the base
 *    timestamp = currentTime + delete.retention.ms, the record timestamps stored relative to it;
 *  - a batch left without records is dropped, or written as an empty 61-byte header (RETAIN_EMPTY).
 */
import { readInt64, Writer, writeInt64 } from '../codec/writer.js'
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  type BatchHeader,
  COMPRESSION_CODEC_MASK,
  computeBatchCrc,
  CONTROL_FLAG_MASK,
  CRC_OFFSET,
  type DecodedRecord,
  DELETE_HORIZON_FLAG_MASK,
  LAST_OFFSET_DELTA_OFFSET,
  LENGTH_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  NO_TIMESTAMP,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  readRecords,
  RECORD_BATCH_OVERHEAD,
  RECORDS_COUNT_OFFSET,
  RECORDS_OFFSET,
  TIMESTAMP_TYPE_MASK,
  TRANSACTIONAL_FLAG_MASK,
} from './batch.js'
import { Compression, compress } from './compression.js'

/** RecordFilter.BatchRetention */
export type BatchRetention = 'DELETE' | 'DELETE_EMPTY' | 'RETAIN_EMPTY'

export interface BatchRetentionResult {
  retention: BatchRetention
  /** a control batch whose transaction has no data left: it gets a delete horizon like a tombstone */
  containsMarkerForEmptyTxn: boolean
}

/** Kafka's MemoryRecords.RecordFilter. `records` decodes the batch's records (once) when the filter needs them. */
export interface RecordFilter {
  readonly currentTime: number
  readonly deleteRetentionMs: number
  checkBatchRetention(h: BatchHeader, records: () => DecodedRecord[]): BatchRetentionResult
  shouldRetainRecord(h: BatchHeader, r: DecodedRecord): boolean
}

export interface FilteredBatch {
  /** what to write: the original bytes, a rebuilt batch or an empty header; undefined when the batch goes */
  output: Buffer | undefined
  /** records looked at (0 for a deleted batch, whose records are not read) */
  messagesRead: number
  messagesRetained: number
  /** true when `output` is the original batch unchanged */
  original: boolean
  /** MaxTimestamp of the output batch (-1 when there is none) */
  maxTimestamp: number
}

/** True when the v2 batch carries a delete horizon (attributes bit 6). */
export function hasDeleteHorizon(h: BatchHeader): boolean {
  return (h.attributes & DELETE_HORIZON_FLAG_MASK) !== 0
}

/** DefaultRecordBatch.deleteHorizonMs: the base timestamp of a batch with the delete horizon flag. */
export function deleteHorizonMs(h: BatchHeader): number | undefined {
  return hasDeleteHorizon(h) ? h.baseTimestamp : undefined
}

/** Filters the v2 batch `batch` (exactly one batch, whose header is `h`). */
export function filterBatch(
  batch: Buffer,
  h: BatchHeader,
  filter: RecordFilter,
  maxRecordBatchSize: number,
  onOversized?: (message: string) => void,
): FilteredBatch {
  let decoded: DecodedRecord[] | undefined
  const records = (): DecodedRecord[] => (decoded ??= readRecords(batch, 0))
  const { retention, containsMarkerForEmptyTxn } = filter.checkBatchRetention(h, records)
  if (retention === 'DELETE') {
    return { output: undefined, messagesRead: 0, messagesRetained: 0, original: false, maxTimestamp: -1 }
  }
  const all = records()
  const retained: DecodedRecord[] = []
  let writeOriginalBatch = true
  let containsTombstones = false
  for (const r of all) {
    if (filter.shouldRetainRecord(h, r)) {
      retained.push(r)
      if (r.value === null) containsTombstones = true
    } else {
      writeOriginalBatch = false
    }
  }
  if (retained.length > 0) {
    const needToSetDeleteHorizon = (containsTombstones || containsMarkerForEmptyTxn) && !hasDeleteHorizon(h)
    if (writeOriginalBatch && !needToSetDeleteHorizon) {
      return {
        output: batch,
        messagesRead: all.length,
        messagesRetained: retained.length,
        original: true,
        maxTimestamp: h.maxTimestamp,
      }
    }
    const horizon = needToSetDeleteHorizon
      ? filter.currentTime + filter.deleteRetentionMs
      : (deleteHorizonMs(h) ?? NO_TIMESTAMP)
    const rebuilt = buildRetainedBatch(h, retained, horizon)
    if (rebuilt.length > h.sizeInBytes && rebuilt.length > maxRecordBatchSize) {
      onOversized?.(
        `Record batch with last offset ${h.lastOffset} exceeded max record batch size ${maxRecordBatchSize} after ` +
          `cleaning (new size is ${rebuilt.length}). Consumers with version earlier than 0.10.1.0 may need to ` +
          'increase their fetch sizes.',
      )
    }
    return {
      output: rebuilt,
      messagesRead: all.length,
      messagesRetained: retained.length,
      original: false,
      maxTimestamp: readInt64(rebuilt, MAX_TIMESTAMP_OFFSET),
    }
  }
  if (retention === 'RETAIN_EMPTY') {
    return {
      output: emptyBatchHeader(h),
      messagesRead: all.length,
      messagesRetained: 0,
      original: false,
      maxTimestamp: h.maxTimestamp,
    }
  }
  return {
    output: undefined,
    messagesRead: all.length,
    messagesRetained: 0,
    original: false,
    maxTimestamp: -1,
  }
}

function encodeRecord(r: DecodedRecord, baseOffset: number, baseTimestamp: number): Buffer {
  const w = new Writer(64)
  w.int8(0)
  w.varlong(r.timestamp - baseTimestamp)
  w.varint(r.offset - baseOffset)
  if (r.key === null) w.varint(-1)
  else w.varint(r.key.length).raw(r.key)
  if (r.value === null) w.varint(-1)
  else w.varint(r.value.length).raw(r.value)
  w.varint(r.headers.length)
  for (const hd of r.headers) {
    const hk = Buffer.from(hd.key, 'utf8')
    w.varint(hk.length).raw(hk)
    if (hd.value === null) w.varint(-1)
    else w.varint(hd.value.length).raw(hd.value)
  }
  return w.toBuffer()
}

/**
 * MemoryRecordsBuilder for the retained records of `h` (buildRetainedRecordsInto): same base offset, last offset
 * overridden to the original's, and with a delete horizon when `horizon` is not -1 (it becomes the base timestamp).
 */
export function buildRetainedBatch(
  h: BatchHeader,
  records: readonly DecodedRecord[],
  horizon: number,
): Buffer {
  const logAppendTime = h.timestampType === 'LogAppendTime'
  const baseTimestamp = horizon !== NO_TIMESTAMP ? horizon : records[0]!.timestamp
  let maxTimestamp = NO_TIMESTAMP
  const body = new Writer(256)
  for (const r of records) {
    const rb = encodeRecord(r, h.baseOffset, baseTimestamp)
    body.varint(rb.length).raw(rb)
    if (r.timestamp > maxTimestamp) maxTimestamp = r.timestamp
  }
  if (logAppendTime) maxTimestamp = h.maxTimestamp
  const payload = compress(h.compression, body.toBuffer())
  const buf = Buffer.alloc(RECORD_BATCH_OVERHEAD + payload.length)
  let attributes = h.compression & COMPRESSION_CODEC_MASK
  if (logAppendTime) attributes |= TIMESTAMP_TYPE_MASK
  if (h.isTransactional) attributes |= TRANSACTIONAL_FLAG_MASK
  if (h.isControl) attributes |= CONTROL_FLAG_MASK
  if (horizon !== NO_TIMESTAMP) attributes |= DELETE_HORIZON_FLAG_MASK
  writeHeader(buf, h, attributes, h.lastOffsetDelta, baseTimestamp, maxTimestamp, records.length)
  payload.copy(buf, RECORDS_OFFSET)
  buf.writeUInt32BE(computeBatchCrc(buf, 0), CRC_OFFSET)
  return buf
}

/**
 * DefaultRecordBatch.writeEmptyHeader: no records, no compression, base timestamp -1, MaxTimestamp and everything
 * else from the original batch.
 */
export function emptyBatchHeader(h: BatchHeader): Buffer {
  const buf = Buffer.alloc(RECORD_BATCH_OVERHEAD)
  let attributes = Compression.NONE
  if (h.timestampType === 'LogAppendTime') attributes |= TIMESTAMP_TYPE_MASK
  if (h.isTransactional) attributes |= TRANSACTIONAL_FLAG_MASK
  if (h.isControl) attributes |= CONTROL_FLAG_MASK
  writeHeader(buf, h, attributes, h.lastOffset - h.baseOffset, NO_TIMESTAMP, h.maxTimestamp, 0)
  buf.writeUInt32BE(computeBatchCrc(buf, 0), CRC_OFFSET)
  return buf
}

function writeHeader(
  buf: Buffer,
  h: BatchHeader,
  attributes: number,
  lastOffsetDelta: number,
  baseTimestamp: number,
  maxTimestamp: number,
  count: number,
): void {
  writeInt64(buf, BASE_OFFSET_OFFSET, h.baseOffset)
  buf.writeInt32BE(buf.length - LOG_OVERHEAD, LENGTH_OFFSET)
  buf.writeInt32BE(h.partitionLeaderEpoch, PARTITION_LEADER_EPOCH_OFFSET)
  buf.writeInt8(2, MAGIC_OFFSET)
  buf.writeInt16BE(attributes, ATTRIBUTES_OFFSET)
  buf.writeInt32BE(lastOffsetDelta, LAST_OFFSET_DELTA_OFFSET)
  writeInt64(buf, BASE_TIMESTAMP_OFFSET, baseTimestamp)
  writeInt64(buf, MAX_TIMESTAMP_OFFSET, maxTimestamp)
  writeInt64(buf, PRODUCER_ID_OFFSET, h.producerId)
  buf.writeInt16BE(h.producerEpoch, PRODUCER_EPOCH_OFFSET)
  buf.writeInt32BE(h.baseSequence, BASE_SEQUENCE_OFFSET)
  buf.writeInt32BE(count, RECORDS_COUNT_OFFSET)
}
