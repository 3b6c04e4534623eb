/**
 * Record batches as they are stored in a log segment and carried by Produce/Fetch (Kafka's DefaultRecordBatch,
 * magic 2), plus recognition of legacy (magic 0/1) message-set entries by their magic byte.
 *
 * Layout of a v2 batch (big-endian), see DefaultRecordBatch.java:
 *   0 BaseOffset int64 | 8 Length int32 | 12 PartitionLeaderEpoch int32 | 16 Magic int8 | 17 CRC uint32
 *   21 Attributes int16 | 23 LastOffsetDelta int32 | 27 BaseTimestamp int64 | 35 MaxTimestamp int64
 *   43 ProducerId int64 | 51 ProducerEpoch int16 | 53 BaseSequence int32 | 57 RecordCount int32 | 61 Records
 * The CRC (CRC-32C) covers Attributes to the end of the batch; BaseOffset and PartitionLeaderEpoch are outside it,
 * which is what lets a broker assign offsets and epochs by rewriting the header in place.
 */
import { crc32 } from 'node:zlib'
import { DecodeError } from '../codec/errors.js'
import { Reader } from '../codec/reader.js'
import { readInt64, Writer, writeInt64 } from '../codec/writer.js'
import { ErrorCode, KafkaError } from '../errors.js'
import { crc32c } from './crc32c.js'
import { Compression, compress, decompressPayload, inflateLimit } from './compression.js'
import {
  ControlRecordType,
  decodeControlRecordKey,
  decodeEndTxnMarker,
  encodeControlRecordKey,
  encodeEndTxnMarker,
} from '../messages/data/control-records.js'

export const BASE_OFFSET_OFFSET = 0
export const LENGTH_OFFSET = 8
export const PARTITION_LEADER_EPOCH_OFFSET = 12
export const MAGIC_OFFSET = 16
export const CRC_OFFSET = 17
export const ATTRIBUTES_OFFSET = 21
export const LAST_OFFSET_DELTA_OFFSET = 23
export const BASE_TIMESTAMP_OFFSET = 27
export const MAX_TIMESTAMP_OFFSET = 35
export const PRODUCER_ID_OFFSET = 43
export const PRODUCER_EPOCH_OFFSET = 51
export const BASE_SEQUENCE_OFFSET = 53
export const RECORDS_COUNT_OFFSET = 57
export const RECORDS_OFFSET = 61
/** Size of a v2 batch header; the smallest valid v2 batch. */
export const RECORD_BATCH_OVERHEAD = 61
/** Offset + length fields that precede every batch or legacy entry. */
export const LOG_OVERHEAD = 12
/** Bytes needed to read the size and the magic byte of any entry. */
export const HEADER_SIZE_UP_TO_MAGIC = 17
/** The smallest entry Kafka's batch iterators accept (LegacyRecord.RECORD_OVERHEAD_V0). */
export const MIN_RECORD_OVERHEAD = 14

export const COMPRESSION_CODEC_MASK = 0x07
export const TIMESTAMP_TYPE_MASK = 0x08
export const TRANSACTIONAL_FLAG_MASK = 0x10
export const CONTROL_FLAG_MASK = 0x20
export const DELETE_HORIZON_FLAG_MASK = 0x40

export const NO_PRODUCER_ID = -1
export const NO_PRODUCER_EPOCH = -1
export const NO_SEQUENCE = -1
export const NO_PARTITION_LEADER_EPOCH = -1
export const NO_TIMESTAMP = -1
export const INT32_MAX = 2147483647

export type TimestampType = 'CreateTime' | 'LogAppendTime'

/** The decoded header of a v2 batch. */
export interface BatchHeader {
  baseOffset: number
  /** The Length field: bytes after it. The batch occupies `batchLength + 12` bytes. */
  batchLength: number
  partitionLeaderEpoch: number
  magic: number
  crc: number
  attributes: number
  compression: number
  timestampType: TimestampType
  isTransactional: boolean
  isControl: boolean
  lastOffsetDelta: number
  baseTimestamp: number
  maxTimestamp: number
  producerId: number
  producerEpoch: number
  baseSequence: number
  recordCount: number
  /** baseOffset + lastOffsetDelta */
  lastOffset: number
  /** batchLength + 12 */
  sizeInBytes: number
}

/** The header of a legacy (magic 0 or 1) message-set entry. */
export interface LegacyEntryHeader {
  /** The entry's offset: for a compressed wrapper, the offset of its last inner message. */
  offset: number
  magic: number
  crc: number
  attributes: number
  compression: number
  timestampType: TimestampType
  /** -1 for magic 0 */
  timestamp: number
  sizeInBytes: number
}

/** Reads the header of the v2 batch at `pos`; the buffer must hold at least 61 bytes from there. */
export function readBatchHeader(buf: Buffer, pos = 0): BatchHeader {
  const baseOffset = readInt64(buf, pos)
  const batchLength = buf.readInt32BE(pos + LENGTH_OFFSET)
  const attributes = buf.readInt16BE(pos + ATTRIBUTES_OFFSET)
  const lastOffsetDelta = buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET)
  return {
    baseOffset,
    batchLength,
    partitionLeaderEpoch: buf.readInt32BE(pos + PARTITION_LEADER_EPOCH_OFFSET),
    magic: buf.readInt8(pos + MAGIC_OFFSET),
    crc: buf.readUInt32BE(pos + CRC_OFFSET),
    attributes,
    compression: attributes & COMPRESSION_CODEC_MASK,
    timestampType: attributes & TIMESTAMP_TYPE_MASK ? 'LogAppendTime' : 'CreateTime',
    isTransactional: (attributes & TRANSACTIONAL_FLAG_MASK) !== 0,
    isControl: (attributes & CONTROL_FLAG_MASK) !== 0,
    lastOffsetDelta,
    baseTimestamp: readInt64(buf, pos + BASE_TIMESTAMP_OFFSET),
    maxTimestamp: readInt64(buf, pos + MAX_TIMESTAMP_OFFSET),
    producerId: readInt64(buf, pos + PRODUCER_ID_OFFSET),
    producerEpoch: buf.readInt16BE(pos + PRODUCER_EPOCH_OFFSET),
    baseSequence: buf.readInt32BE(pos + BASE_SEQUENCE_OFFSET),
    recordCount: buf.readInt32BE(pos + RECORDS_COUNT_OFFSET),
    lastOffset: baseOffset + lastOffsetDelta,
    sizeInBytes: batchLength + LOG_OVERHEAD,
  }
}

/** Reads the header of the legacy entry at `pos` (magic 0: 18 bytes needed, magic 1: 26). */
export function readLegacyEntryHeader(buf: Buffer, pos = 0): LegacyEntryHeader {
  const magic = buf.readInt8(pos + MAGIC_OFFSET)
  const attributes = buf.readInt8(pos + 17)
  return {
    offset: readInt64(buf, pos),
    magic,
    crc: buf.readUInt32BE(pos + 12),
    attributes,
    compression: attributes & COMPRESSION_CODEC_MASK,
    timestampType: magic > 0 && attributes & TIMESTAMP_TYPE_MASK ? 'LogAppendTime' : 'CreateTime',
    timestamp: magic > 0 ? readInt64(buf, pos + 18) : NO_TIMESTAMP,
    sizeInBytes: buf.readInt32BE(pos + LENGTH_OFFSET) + LOG_OVERHEAD,
  }
}

/** One entry found by {@link iterateBatches}. */
export type BatchEntry =
  | { kind: 'v2'; position: number; size: number; header: BatchHeader }
  | { kind: 'legacy'; position: number; size: number; header: LegacyEntryHeader }
  /** The bytes end inside an entry: `size` is its declared size, or -1 when even the length is cut off. */
  | { kind: 'partial'; position: number; size: number; available: number }
  /** A length below the minimum, an unknown magic byte, or a v2 batch shorter than its header. */
  | { kind: 'invalid'; position: number; size: number; reason: string }

/**
 * Classifies the entry at `pos` of `buf[.., end)` without looking past its header. Kafka's iterators
 * (ByteBufferLogInputStream / FileLogInputStream) make the same distinctions.
 */
export function classifyEntry(buf: Buffer, pos: number, end = buf.length): BatchEntry {
  const available = end - pos
  if (available < LOG_OVERHEAD) return { kind: 'partial', position: pos, size: -1, available }
  const length = buf.readInt32BE(pos + LENGTH_OFFSET)
  const size = length + LOG_OVERHEAD
  if (length < MIN_RECORD_OVERHEAD) {
    return {
      kind: 'invalid',
      position: pos,
      size,
      reason: `Record size ${length} is less than the minimum record overhead (${MIN_RECORD_OVERHEAD})`,
    }
  }
  if (available < HEADER_SIZE_UP_TO_MAGIC) return { kind: 'partial', position: pos, size, available }
  const magic = buf.readInt8(pos + MAGIC_OFFSET)
  if (magic < 0 || magic > 2) {
    return { kind: 'invalid', position: pos, size, reason: `Invalid magic found in record: ${magic}` }
  }
  if (available < size) return { kind: 'partial', position: pos, size, available }
  if (magic === 2) {
    if (size < RECORD_BATCH_OVERHEAD) {
      return {
        kind: 'invalid',
        position: pos,
        size,
        reason: `Record batch is corrupt (the size ${size} is smaller than the minimum allowed overhead ${RECORD_BATCH_OVERHEAD})`,
      }
    }
    return { kind: 'v2', position: pos, size, header: readBatchHeader(buf, pos) }
  }
  const minSize = LOG_OVERHEAD + (magic === 0 ? 14 : 22)
  if (size < minSize) {
    return {
      kind: 'invalid',
      position: pos,
      size,
      reason: `Legacy message of magic ${magic} is too short (${size})`,
    }
  }
  return { kind: 'legacy', position: pos, size, header: readLegacyEntryHeader(buf, pos) }
}

/**
 * Iterates the entries of `buf[start, end)`. Stops after a 'partial' entry (a trailing partial batch, as a
 * fetch response may end in) or an 'invalid' one.
 */
export function* iterateBatches(buf: Buffer, start = 0, end = buf.length): Generator<BatchEntry> {
  let pos = start
  while (pos < end) {
    const e = classifyEntry(buf, pos, end)
    yield e
    if (e.kind === 'partial' || e.kind === 'invalid') return
    pos += e.size
  }
}

/** The v2 batches of `buf`, throwing CORRUPT_MESSAGE on anything else except a trailing partial batch. */
export function* v2Batches(
  buf: Buffer,
  start = 0,
  end = buf.length,
): Generator<BatchHeader & { position: number }> {
  for (const e of iterateBatches(buf, start, end)) {
    if (e.kind === 'v2') yield { ...e.header, position: e.position }
    else if (e.kind === 'invalid') throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, e.reason)
    else if (e.kind === 'legacy') {
      throw new KafkaError(
        ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
        `Unexpected message format v${e.header.magic}`,
      )
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// CRCs and in-place rewriting

/** CRC-32C of the batch at `pos` as it should be stored in its CRC field. */
export function computeBatchCrc(buf: Buffer, pos = 0): number {
  const end = pos + buf.readInt32BE(pos + LENGTH_OFFSET) + LOG_OVERHEAD
  return crc32c(buf, pos + ATTRIBUTES_OFFSET, end)
}

/** True when the v2 batch at `pos` is at least 61 bytes and its stored CRC matches (DefaultRecordBatch.isValid). */
export function verifyCrc(buf: Buffer, pos = 0): boolean {
  const size = buf.readInt32BE(pos + LENGTH_OFFSET) + LOG_OVERHEAD
  if (size < RECORD_BATCH_OVERHEAD || pos + size > buf.length) return false
  return buf.readUInt32BE(pos + CRC_OFFSET) === computeBatchCrc(buf, pos)
}

/** True when the legacy entry at `pos` matches its CRC-32 (IEEE, over magic..end). */
export function verifyLegacyCrc(buf: Buffer, pos = 0): boolean {
  const size = buf.readInt32BE(pos + LENGTH_OFFSET) + LOG_OVERHEAD
  if (pos + size > buf.length) return false
  return buf.readUInt32BE(pos + 12) === crc32(buf.subarray(pos + MAGIC_OFFSET, pos + size)) >>> 0
}

/** Sets BaseOffset (outside the CRC). */
export function setBaseOffset(buf: Buffer, pos: number, baseOffset: number): void {
  writeInt64(buf, pos + BASE_OFFSET_OFFSET, baseOffset)
}

/** Sets BaseOffset so that the batch's last offset becomes `lastOffset` (DefaultRecordBatch.setLastOffset). */
export function setLastOffset(buf: Buffer, pos: number, lastOffset: number): void {
  setBaseOffset(buf, pos, lastOffset - buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET))
}

/** Sets PartitionLeaderEpoch (outside the CRC). */
export function setPartitionLeaderEpoch(buf: Buffer, pos: number, epoch: number): void {
  buf.writeInt32BE(epoch, pos + PARTITION_LEADER_EPOCH_OFFSET)
}

/**
 * Sets the timestamp type bit and MaxTimestamp and recomputes the CRC, unless both already have those values
 * (DefaultRecordBatch.setMaxTimestamp).
 */
export function setMaxTimestamp(buf: Buffer, pos: number, type: TimestampType, maxTimestamp: number): void {
  const attributes = buf.readInt16BE(pos + ATTRIBUTES_OFFSET)
  const currentType: TimestampType = attributes & TIMESTAMP_TYPE_MASK ? 'LogAppendTime' : 'CreateTime'
  if (currentType === type && readInt64(buf, pos + MAX_TIMESTAMP_OFFSET) === maxTimestamp) return
  const newAttributes =
    type === 'LogAppendTime' ? attributes | TIMESTAMP_TYPE_MASK : attributes & ~TIMESTAMP_TYPE_MASK
  buf.writeInt16BE(newAttributes, pos + ATTRIBUTES_OFFSET)
  writeInt64(buf, pos + MAX_TIMESTAMP_OFFSET, maxTimestamp)
  buf.writeUInt32BE(computeBatchCrc(buf, pos), pos + CRC_OFFSET)
}

/** Marks the batch as LogAppendTime with MaxTimestamp = `now` and recomputes the CRC. */
export function setLogAppendTime(buf: Buffer, pos: number, now: number): void {
  setMaxTimestamp(buf, pos, 'LogAppendTime', now)
}

// ---------------------------------------------------------------------------------------------------------------
// Sequences (DefaultRecordBatch.incrementSequence / decrementSequence): they wrap from Int32.MAX to 0.

export function incrementSequence(sequence: number, increment: number): number {
  if (sequence > INT32_MAX - increment) return increment - (INT32_MAX - sequence) - 1
  return sequence + increment
}

export function decrementSequence(sequence: number, decrement: number): number {
  if (sequence < decrement) return INT32_MAX - (decrement - sequence) + 1
  return sequence - decrement
}

/** The sequence of the last record of a batch (-1 when the batch has none). */
export function lastSequenceOf(h: BatchHeader): number {
  return h.baseSequence === NO_SEQUENCE ? NO_SEQUENCE : incrementSequence(h.baseSequence, h.lastOffsetDelta)
}

// ---------------------------------------------------------------------------------------------------------------
// Records

export interface RecordHeader {
  key: string
  value: Buffer | null
}

/** A record decoded from a batch, with absolute offset and timestamp. */
export interface DecodedRecord {
  offset: number
  timestamp: number
  attributes: number
  key: Buffer | null
  value: Buffer | null
  headers: RecordHeader[]
}

function invalid(message: string): KafkaError {
  return new KafkaError(ErrorCode.INVALID_RECORD, message)
}

/**
 * One record as {@link walkRecords} parses it: positions into `payload` (the batch's bytes, or its decompressed
 * payload) instead of copies, so that a walk that only checks allocates nothing per record.
 */
interface RecordView {
  payload: Buffer
  attributes: number
  timestampDelta: number
  offsetDelta: number
  /** -1 for a null key */
  keyLength: number
  keyStart: number
  /** -1 for a null value */
  valueLength: number
  valueStart: number
  /** only when the walk was asked for them */
  headers: RecordHeader[] | undefined
}

/**
 * The header and the (inflated) records payload of the v2 batch at `pos`; the checks walkRecords starts with.
 * `truncated`: the compressed stream ended before its data did and `payload` is what inflated before the end
 * (decompressPayload; walkRecords decides the error).
 */
function openBatch(buf: Buffer, pos: number): { h: BatchHeader; payload: Buffer; truncated: boolean } {
  if (buf.length - pos < RECORD_BATCH_OVERHEAD)
    throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'Record batch too short')
  const h = readBatchHeader(buf, pos)
  if (h.magic !== 2) {
    throw new KafkaError(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `Unexpected message format v${h.magic}`)
  }
  if (pos + h.sizeInBytes > buf.length)
    throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'Record batch is truncated')
  if (h.recordCount < 0) throw invalid(`Found invalid record count ${h.recordCount} in batch`)
  const { payload, truncated } = decompressPayload(
    h.compression,
    buf.subarray(pos + RECORDS_OFFSET, pos + h.sizeInBytes),
    2,
    inflateLimit(h.recordCount),
  )
  return { h, payload, truncated }
}

/**
 * Walks the records of the v2 batch at `pos` as Kafka's DefaultRecordBatch iterators do: the payload is inflated
 * (never beyond the batch's inflateLimit: a decompression bomb is CORRUPT_MESSAGE; a payload that does not
 * decompress UNKNOWN_SERVER_ERROR, as Kafka's — see decompressPayload), exactly RecordCount records are read, each to
 * the end of its declared length, and nothing may follow the last one. A record that does not parse, or a stream
 * that ends before the records do, is INVALID_RECORD, with Kafka's messages. `visit` sees each
 * record in order (the view is reused: read it inside the call).
 */
function walkRecords(
  buf: Buffer,
  pos: number,
  decodeHeaders: boolean,
  visit: (index: number, r: RecordView, h: BatchHeader) => void,
): BatchHeader {
  const { h, payload, truncated } = openBatch(buf, pos)
  const r = new Reader(payload)
  const view: RecordView = {
    payload,
    attributes: 0,
    timestampDelta: 0,
    offsetDelta: 0,
    keyLength: -1,
    keyStart: 0,
    valueLength: -1,
    valueStart: 0,
    headers: undefined,
  }
  try {
    for (let i = 0; i < h.recordCount; i++) {
      const length = r.varint()
      const start = r.pos
      if (length < 0 || length > r.remaining)
        throw invalid('Incorrect declared batch size, premature EOF reached')
      view.attributes = r.int8()
      view.timestampDelta = r.varlong()
      view.offsetDelta = r.varint()
      view.keyLength = r.varint()
      view.keyStart = r.pos
      if (view.keyLength > 0) r.skip(view.keyLength)
      view.valueLength = r.varint()
      view.valueStart = r.pos
      if (view.valueLength > 0) r.skip(view.valueLength)
      const headerCount = r.varint()
      if (headerCount < 0) throw invalid(`Found invalid number of record headers ${headerCount}`)
      const headers: RecordHeader[] | undefined = decodeHeaders ? [] : undefined
      for (let j = 0; j < headerCount; j++) {
        const hk = r.varint()
        if (hk < 0) throw invalid(`Invalid negative header key size ${hk}`)
        const keyAt = r.pos
        r.skip(hk)
        const hv = r.varint()
        const valueAt = r.pos
        if (hv > 0) r.skip(hv)
        headers?.push({
          key: payload.toString('utf8', keyAt, keyAt + hk),
          value: hv < 0 ? null : payload.subarray(valueAt, valueAt + hv),
        })
      }
      if (r.pos - start !== length) {
        throw invalid(
          `Invalid record size: expected to read ${length} bytes in record payload, but instead read ${r.pos - start}`,
        )
      }
      view.headers = headers
      visit(i, view, h)
    }
  } catch (e) {
    if (e instanceof DecodeError)
      throw invalid(`Incorrect declared batch size, premature EOF reached: ${e.message}`)
    throw e
  }
  if (truncated) {
    // Every record was there, but the stream ends early (a gzip trailer cut): Kafka's iterator meets the
    // EOFException checking for bytes after the last record, and wraps it in a KafkaException
    throw new KafkaError(
      ErrorCode.UNKNOWN_SERVER_ERROR,
      'Error checking for remaining bytes after reading batch: Unexpected end of ZLIB input stream',
    )
  }
  if (r.remaining > 0) throw invalid('Incorrect declared batch size, records still remaining in file')
  return h
}

/**
 * Decodes the records of the v2 batch at `pos` (uncompressed, gzip, or any registered codec; others throw
 * UNSUPPORTED_COMPRESSION_TYPE). Keys and values are views into the batch or its decompressed payload.
 */
export function readRecords(buf: Buffer, pos = 0): DecodedRecord[] {
  const out: DecodedRecord[] = []
  walkRecords(buf, pos, true, (_, v, h) => {
    out.push({
      offset: h.baseOffset + v.offsetDelta,
      timestamp: h.timestampType === 'LogAppendTime' ? h.maxTimestamp : h.baseTimestamp + v.timestampDelta,
      attributes: v.attributes,
      key: v.keyLength < 0 ? null : v.payload.subarray(v.keyStart, v.keyStart + v.keyLength),
      value: v.valueLength < 0 ? null : v.payload.subarray(v.valueStart, v.valueStart + v.valueLength),
      headers: v.headers!,
    })
  })
  return out
}

/** What {@link scanRecords} learnt about a batch's records. */
export interface RecordScan {
  /** The largest record timestamp (MaxTimestamp for a LogAppendTime batch); -1 when there is none. */
  maxTimestamp: number
  /** Whether the records' offset deltas are 0, 1, .., n-1 (Kafka rewrites a compressed batch whose are not). */
  offsetsInOrder: boolean
}

/**
 * Checks every record of the v2 batch at `pos` without copying keys, values or headers (Kafka's
 * skipKeyValueIterator, which LogValidator runs on every batch it appends): the same errors as readRecords.
 * `visit` gets each record's index, offset delta, timestamp and whether it has a key.
 */
export function scanRecords(
  buf: Buffer,
  pos: number,
  visit?: (index: number, offsetDelta: number, timestamp: number, hasKey: boolean) => void,
): RecordScan {
  const { h, payload, truncated } = openBatch(buf, pos)
  // a truncated stream is an error even when its records are all there: the general walk throws it
  const fast = truncated ? undefined : fastScan(payload, h, visit)
  if (fast !== undefined) return fast
  // not well-formed: the general walk finds the first fault and throws Kafka's error for it
  let maxTimestamp = NO_TIMESTAMP
  let offsetsInOrder = true
  walkRecords(buf, pos, false, (i, v, h) => {
    const timestamp =
      h.timestampType === 'LogAppendTime' ? h.maxTimestamp : h.baseTimestamp + v.timestampDelta
    if (timestamp > maxTimestamp) maxTimestamp = timestamp
    if (v.offsetDelta !== i) offsetsInOrder = false
    visit?.(i, v.offsetDelta, timestamp, v.keyLength >= 0)
  })
  return { maxTimestamp, offsetsInOrder }
}

// The produce path's record walk (issue 13: with 100-byte records it was half of the broker's CPU). It does what
// walkRecords does for a well-formed batch, with the varints decoded inline on a local position instead of through
// a Reader and a reused view, and without a callback per record while it walks. Anything it does not take as
// well-formed (a malformed record, a varint it leaves to the Reader) makes it give up; the caller then walks again
// with walkRecords, which throws the error Kafka gives. So it never accepts what walkRecords refuses.

/** Where the last fast varint read ended (a second result without an allocation). */
let fastPos = 0

/**
 * Zig-zag varint (int32, at most 5 bytes) of `b` at `p`, within `end`; NaN when it runs past `end` or is longer
 * (what Reader.varint refuses). Sets fastPos past it.
 */
function fastVarint(b: Buffer, p: number, end: number): number {
  if (p < end) {
    const b0 = b[p]!
    if (b0 < 0x80) {
      fastPos = p + 1
      return (b0 >>> 1) ^ -(b0 & 1)
    }
  }
  let u = 0
  let scale = 1
  for (let i = 0; i < 5; i++, p++) {
    if (p >= end) return NaN
    const x = b[p]!
    u += (x & 0x7f) * scale
    if (x < 0x80) {
      if (u > 0xffffffff) return NaN
      fastPos = p + 1
      return u % 2 === 0 ? u / 2 : -(u + 1) / 2
    }
    scale *= 128
  }
  return NaN
}

/**
 * Zig-zag varlong of at most 7 bytes (|v| < 2^48, exact in a double); NaN for anything else (longer ones are left
 * to Reader.varlong). Sets fastPos past it.
 */
function fastVarlong(b: Buffer, p: number, end: number): number {
  let u = 0
  let scale = 1
  for (let i = 0; i < 7; i++, p++) {
    if (p >= end) return NaN
    const x = b[p]!
    u += (x & 0x7f) * scale
    if (x < 0x80) {
      fastPos = p + 1
      return u % 2 === 0 ? u / 2 : -(u + 1) / 2
    }
    scale *= 128
  }
  return NaN
}

/**
 * A length-prefixed field (key, value, header key or value) of `b` at `p`: its length (-1 and below: null, no
 * bytes), with fastPos set past its bytes; NaN when the length or the bytes run past `end`.
 */
function fastSkip(b: Buffer, p: number, end: number): number {
  const n = fastVarint(b, p, end)
  if (n > 0) {
    if (n > end - fastPos) return NaN
    fastPos += n
  }
  return n
}

/**
 * A zig-zag varint of one to three bytes (|v| < 2^20: every record length, offset delta and timestamp delta within
 * about 17 minutes of the batch's first) decoded without a loop, with fastPos set past it; longer ones, and any
 * that runs past `end`, go to `long` (fastVarint or fastVarlong), whose checks decide. Small enough for TurboFan to
 * inline into fastScan.
 */
function shortVarint(
  b: Buffer,
  p: number,
  end: number,
  long: (b: Buffer, p: number, end: number) => number,
): number {
  const x = b[p]!
  if (x < 0x80 && p < end) {
    fastPos = p + 1
    return (x >>> 1) ^ -(x & 1)
  }
  const y = b[p + 1]!
  if (y < 0x80 && p + 1 < end) {
    const u = (x & 0x7f) | (y << 7)
    fastPos = p + 2
    return (u >>> 1) ^ -(u & 1)
  }
  const z = b[p + 2]!
  if (z < 0x80 && p + 2 < end) {
    const u = (x & 0x7f) | ((y & 0x7f) << 7) | (z << 14)
    fastPos = p + 3
    return (u >>> 1) ^ -(u & 1)
  }
  return long(b, p, end)
}

/** Per-record results of fastScan, kept for its visitor (grown as needed, reused while no scan is running). */
let scanDeltas = new Float64Array(1024)
let scanTimestamps = new Float64Array(1024)
let scanKeyed = new Uint8Array(1024)
let scanBusy = false

/**
 * scanRecords of a well-formed batch (see above): undefined when anything is off. `visit` is called once per
 * record only after the whole batch has been walked, so a batch given up on has not been visited.
 */
function fastScan(
  payload: Buffer,
  h: BatchHeader,
  visit: ((index: number, offsetDelta: number, timestamp: number, hasKey: boolean) => void) | undefined,
): RecordScan | undefined {
  const count = h.recordCount
  const logAppendTime = h.timestampType === 'LogAppendTime'
  const baseTimestamp = h.baseTimestamp
  const own = visit !== undefined && !scanBusy
  let deltas = scanDeltas
  let timestamps = scanTimestamps
  let keyed = scanKeyed
  if (visit !== undefined) {
    if (!own || deltas.length < count) {
      const n = own ? Math.max(count, 2 * deltas.length) : count
      deltas = new Float64Array(n)
      timestamps = new Float64Array(n)
      keyed = new Uint8Array(n)
      if (own) {
        scanDeltas = deltas
        scanTimestamps = timestamps
        scanKeyed = keyed
      }
    }
  }
  const end = payload.length
  let p = 0
  let maxTimestamp = NO_TIMESTAMP
  let offsetsInOrder = true
  for (let i = 0; i < count; i++) {
    // the record's length: every read below stays within the payload (a typed array read past it is undefined,
    // which no check takes), and one comparison at the end tells whether the fields filled exactly `length` bytes
    const x = payload[p]!
    let length: number
    if (x < 0x80 && p < end) {
      length = (x >>> 1) ^ -(x & 1)
      p++
    } else {
      length = fastVarint(payload, p, end)
      p = fastPos
    }
    if (!(length >= 0) || length > end - p || p >= end) return undefined
    const recordEnd = p + length
    // attributes (one byte), then the timestamp delta
    const timestampDelta = shortVarint(payload, p + 1, end, fastVarlong)
    if (timestampDelta !== timestampDelta) return undefined
    const offsetDelta = shortVarint(payload, fastPos, end, fastVarint)
    if (offsetDelta !== offsetDelta) return undefined
    // key, then value: a length (negative: null) and its bytes
    let keyLength = 0
    for (let field = 0; field < 2; field++) {
      const n = shortVarint(payload, fastPos, end, fastVarint)
      if (n !== n) return undefined
      if (n > 0) {
        if (n > end - fastPos) return undefined
        fastPos += n
      }
      if (field === 0) keyLength = n
    }
    const headerCount = shortVarint(payload, fastPos, end, fastVarint)
    if (!(headerCount >= 0)) return undefined
    for (let j = 0; j < headerCount; j++) {
      if (!(fastSkip(payload, fastPos, end) >= 0)) return undefined // a header key is never null
      const valueSize = fastSkip(payload, fastPos, end)
      if (valueSize !== valueSize) return undefined
    }
    p = fastPos
    if (p !== recordEnd) return undefined
    const timestamp = logAppendTime ? h.maxTimestamp : baseTimestamp + timestampDelta
    if (timestamp > maxTimestamp) maxTimestamp = timestamp
    if (offsetDelta !== i) offsetsInOrder = false
    if (visit !== undefined) {
      deltas[i] = offsetDelta
      timestamps[i] = timestamp
      keyed[i] = keyLength >= 0 ? 1 : 0
    }
  }
  if (p !== end) return undefined
  if (visit !== undefined) {
    if (own) scanBusy = true
    try {
      for (let i = 0; i < count; i++) visit(i, deltas[i]!, timestamps[i]!, keyed[i] === 1)
    } finally {
      if (own) scanBusy = false
    }
  }
  return { maxTimestamp, offsetsInOrder }
}

/**
 * The batch at `pos` encoded again with offset deltas 0..n-1 and base offset 0, with the same producer fields
 * (producer id, epoch, base sequence, transactional and control flags, partition leader epoch), record timestamps
 * and headers. Kafka's LogValidator does it with a compressed batch whose inner offsets are not in order (it
 * rebuilds rather than refuses) and with every batch whose codec is not the topic's compression.type: `compression`
 * is the codec to write (the batch's own by default), `level` its compression level. The caller sets the
 * timestamp type.
 */
export function rebuildBatch(buf: Buffer, pos = 0, compression?: number, level?: number): Buffer {
  const h = readBatchHeader(buf, pos)
  return buildRecordBatch({
    records: readRecords(buf, pos).map((r) => ({
      key: r.key,
      value: r.value,
      headers: r.headers,
      timestamp: r.timestamp,
    })),
    partitionLeaderEpoch: h.partitionLeaderEpoch,
    producerId: h.producerId,
    producerEpoch: h.producerEpoch,
    baseSequence: h.baseSequence,
    isTransactional: h.isTransactional,
    isControl: h.isControl,
    compression: compression ?? h.compression,
    compressionLevel: level,
    now: h.maxTimestamp,
  })
}

/** A record to put into a batch built by {@link buildRecordBatch}. */
export interface RecordInput {
  key?: Buffer | string | null
  value: Buffer | string | null
  headers?: ReadonlyArray<{ key: string; value: Buffer | string | null }>
  /** defaults to `now` */
  timestamp?: number
}

export interface BuildBatchOptions {
  records: readonly RecordInput[]
  baseOffset?: number
  partitionLeaderEpoch?: number
  producerId?: number
  producerEpoch?: number
  baseSequence?: number
  isTransactional?: boolean
  isControl?: boolean
  timestampType?: TimestampType
  compression?: number
  /** the codec's level (compression.<codec>.level); its default when undefined */
  compressionLevel?: number
  /** default record timestamp, and the MaxTimestamp of a LogAppendTime batch; defaults to Date.now() */
  now?: number
}

function toBuf(v: Buffer | string | null | undefined): Buffer | null {
  if (v === null || v === undefined) return null
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v
}

/** Encodes a v2 batch (Kafka's MemoryRecordsBuilder with magic 2). An empty record list gives an empty buffer. */
export function buildRecordBatch(opts: BuildBatchOptions): Buffer {
  const records = opts.records
  if (records.length === 0) return Buffer.alloc(0)
  // eslint-disable-next-line no-restricted-properties -- a default for callers without a clock (clients, tests)
  const now = opts.now ?? Date.now()
  const timestampType = opts.timestampType ?? 'CreateTime'
  const compression = opts.compression ?? Compression.NONE
  const timestamps = records.map((rec) => rec.timestamp ?? now)
  const baseTimestamp = timestamps[0]!
  let maxTimestamp = NO_TIMESTAMP
  for (const t of timestamps) if (t > maxTimestamp) maxTimestamp = t
  if (timestampType === 'LogAppendTime') maxTimestamp = now

  const body = new Writer(256)
  records.forEach((rec, i) => {
    const w = new Writer(64)
    w.int8(0)
    w.varlong(timestamps[i]! - baseTimestamp)
    w.varint(i)
    const key = toBuf(rec.key)
    if (key === null) w.varint(-1)
    else w.varint(key.length).raw(key)
    const value = toBuf(rec.value)
    if (value === null) w.varint(-1)
    else w.varint(value.length).raw(value)
    const headers = rec.headers ?? []
    w.varint(headers.length)
    for (const hd of headers) {
      const hk = Buffer.from(hd.key, 'utf8')
      w.varint(hk.length).raw(hk)
      const hv = toBuf(hd.value)
      if (hv === null) w.varint(-1)
      else w.varint(hv.length).raw(hv)
    }
    const rb = w.toBuffer()
    body.varint(rb.length).raw(rb)
  })
  const payload = compress(compression, body.toBuffer(), 2, opts.compressionLevel)

  const size = RECORD_BATCH_OVERHEAD + payload.length
  const buf = Buffer.alloc(size)
  writeInt64(buf, BASE_OFFSET_OFFSET, opts.baseOffset ?? 0)
  buf.writeInt32BE(size - LOG_OVERHEAD, LENGTH_OFFSET)
  buf.writeInt32BE(opts.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH, PARTITION_LEADER_EPOCH_OFFSET)
  buf.writeInt8(2, MAGIC_OFFSET)
  let attributes = compression & COMPRESSION_CODEC_MASK
  if (timestampType === 'LogAppendTime') attributes |= TIMESTAMP_TYPE_MASK
  if (opts.isTransactional) attributes |= TRANSACTIONAL_FLAG_MASK
  if (opts.isControl) attributes |= CONTROL_FLAG_MASK
  buf.writeInt16BE(attributes, ATTRIBUTES_OFFSET)
  buf.writeInt32BE(records.length - 1, LAST_OFFSET_DELTA_OFFSET)
  writeInt64(buf, BASE_TIMESTAMP_OFFSET, baseTimestamp)
  writeInt64(buf, MAX_TIMESTAMP_OFFSET, maxTimestamp)
  writeInt64(buf, PRODUCER_ID_OFFSET, opts.producerId ?? NO_PRODUCER_ID)
  buf.writeInt16BE(opts.producerEpoch ?? NO_PRODUCER_EPOCH, PRODUCER_EPOCH_OFFSET)
  buf.writeInt32BE(opts.baseSequence ?? NO_SEQUENCE, BASE_SEQUENCE_OFFSET)
  buf.writeInt32BE(records.length, RECORDS_COUNT_OFFSET)
  payload.copy(buf, RECORDS_OFFSET)
  buf.writeUInt32BE(computeBatchCrc(buf, 0), CRC_OFFSET)
  return buf
}

// ---------------------------------------------------------------------------------------------------------------
// Control records (transaction markers): key = version int16 (0) + type int16 (0 ABORT, 1 COMMIT),
// value = version int16 (0) + coordinatorEpoch int32 (ControlRecordType / EndTransactionMarker).

/** Control record types of transaction markers (the ControlRecordType of the key). */
export const CONTROL_TYPE_ABORT = ControlRecordType.ABORT
export const CONTROL_TYPE_COMMIT = ControlRecordType.COMMIT

export interface EndTxnMarkerOptions {
  producerId: number
  producerEpoch: number
  coordinatorEpoch: number
  commit: boolean
  baseOffset?: number
  partitionLeaderEpoch?: number
  timestamp?: number
}

/** Builds the control batch that ends a transaction (what WriteTxnMarkers appends). */
export function buildEndTxnMarker(o: EndTxnMarkerOptions): Buffer {
  // eslint-disable-next-line no-restricted-properties -- a default for callers without a clock (clients, tests)
  const now = o.timestamp ?? Date.now()
  return buildRecordBatch({
    records: [
      {
        key: encodeControlRecordKey(o.commit ? CONTROL_TYPE_COMMIT : CONTROL_TYPE_ABORT),
        value: encodeEndTxnMarker(o.coordinatorEpoch),
        timestamp: now,
      },
    ],
    now,
    baseOffset: o.baseOffset ?? 0,
    partitionLeaderEpoch: o.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH,
    producerId: o.producerId,
    producerEpoch: o.producerEpoch,
    isTransactional: true,
    isControl: true,
  })
}

export interface EndTxnMarker {
  type: number
  coordinatorEpoch: number
  timestamp: number
}

/** Reads the transaction marker of a control batch, or undefined for an empty one (cleaned by compaction). */
export function readEndTxnMarker(buf: Buffer, pos = 0): EndTxnMarker | undefined {
  const records = readRecords(buf, pos)
  const first = records[0]
  if (!first) return undefined
  let type: number
  try {
    type = decodeControlRecordKey(first.key ?? Buffer.alloc(0)).type
  } catch {
    throw invalid('Invalid control record key')
  }
  if (type !== CONTROL_TYPE_ABORT && type !== CONTROL_TYPE_COMMIT) {
    return { type, coordinatorEpoch: -1, timestamp: first.timestamp }
  }
  try {
    return {
      type,
      coordinatorEpoch: decodeEndTxnMarker(first.value ?? Buffer.alloc(0)).coordinatorEpoch,
      timestamp: first.timestamp,
    }
  } catch {
    throw invalid('Invalid end transaction marker value')
  }
}

/** Bytes of `records` made of complete batches (a fetch response or a log read may end inside one). */
export function completeBatchesLength(records: Buffer): number {
  let end = 0
  for (const e of iterateBatches(records)) {
    if (e.kind === 'partial' || e.kind === 'invalid') break
    end = e.position + e.size
  }
  return end
}
