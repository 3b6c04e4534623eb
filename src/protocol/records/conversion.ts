/**
 * What Produce and Fetch do with record formats around the log, which only ever holds magic-2 batches (as Kafka
 * 3.x stores them, KIP-724):
 *  - checks of produced data that depend on the request version (one magic-2 batch per partition from v3,
 *    zstd from v7) and the conversion of legacy message sets (magic 0/1, Produce v0-2) into one batch;
 *  - down-conversion of stored batches to legacy message sets for Fetch v0-3, whose clients cannot read
 *    magic 2 (written uncompressed; control batches are dropped, as Kafka drops them).
 */
import { crc32 } from 'node:zlib'
import { Reader } from '../codec/reader.js'
import { Writer } from '../codec/writer.js'
import { ErrorCode, KafkaError } from '../errors.js'
import {
  buildRecordBatch,
  iterateBatches,
  readRecords,
  TIMESTAMP_TYPE_MASK,
  type RecordInput,
} from './batch.js'
import { Compression, compressionName, decompress, legacyInflateLimit } from './compression.js'

const invalid = (m: string): KafkaError => new KafkaError(ErrorCode.INVALID_RECORD, m)

/**
 * Validates the records of one partition of a Produce request of this version and returns the bytes to append
 * (the same buffer for magic 2, a converted batch for legacy message sets, empty for an empty v0-2 set).
 */
export function prepareProduceRecords(version: number, records: Buffer | null): Buffer {
  const buf = records ?? Buffer.alloc(0)
  const entries = [...iterateBatches(buf)]
  if (version >= 3) {
    if (entries.length === 0) {
      throw invalid(
        `Produce requests with version ${version} must have at least one record batch per partition`,
      )
    }
    if (entries.length > 1) {
      throw invalid(
        `Produce requests with version ${version} are only allowed to contain exactly one record batch per partition`,
      )
    }
  }
  for (const e of entries) {
    if (e.kind === 'invalid') throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, e.reason)
    if (e.kind === 'partial') throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'Record batch is truncated')
    if (e.kind === 'legacy' && version >= 3) {
      throw invalid(
        `Produce requests with version ${version} are only allowed to contain record batches with magic version 2`,
      )
    }
    if (e.kind === 'v2') {
      if (version < 7 && e.header.compression === Compression.ZSTD) {
        throw new KafkaError(
          ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
          `Produce requests with version ${version} are not allowed to use ZStandard compression`,
        )
      }
    }
  }
  if (entries.some((e) => e.kind === 'legacy')) {
    if (entries.some((e) => e.kind === 'v2'))
      throw invalid('Produce request mixes record batches and legacy messages')
    return upConvert(buf)
  }
  return buf
}

interface LegacyMessage {
  offset: number
  magic: number
  attributes: number
  timestamp: number
  key: Buffer | null
  value: Buffer | null
}

/**
 * Parses a legacy message set, expanding compressed wrappers (Kafka's AbstractLegacyRecordBatch). The wrappers of
 * one set share `budget`: the bytes they may still inflate to (legacyInflateLimit), beyond which the set is a
 * decompression bomb (CORRUPT_MESSAGE) and nothing more is inflated.
 */
function parseLegacy(buf: Buffer, budget = { bytes: legacyInflateLimit() }, depth = 0): LegacyMessage[] {
  const out: LegacyMessage[] = []
  for (const e of iterateBatches(buf)) {
    if (e.kind === 'partial' && depth > 0) break
    if (e.kind !== 'legacy')
      throw new KafkaError(
        ErrorCode.CORRUPT_MESSAGE,
        e.kind === 'invalid' ? e.reason : 'Malformed legacy message set',
      )
    const pos = e.position
    if (buf.readUInt32BE(pos + 12) >>> 0 !== crc32(buf.subarray(pos + 16, pos + e.size)) >>> 0) {
      throw new KafkaError(
        ErrorCode.CORRUPT_MESSAGE,
        `Message at offset ${e.header.offset} is corrupt (CRC mismatch)`,
      )
    }
    const r = new Reader(buf, pos + 16, pos + e.size)
    const magic = r.int8()
    const attributes = r.int8()
    const timestamp = magic > 0 ? r.int64() : -1
    const kl = r.int32()
    const key = kl < 0 ? null : r.slice(kl)
    const vl = r.int32()
    const value = vl < 0 ? null : r.slice(vl)
    const compression = attributes & 0x07
    if (compression === Compression.NONE) {
      out.push({ offset: e.header.offset, magic, attributes, timestamp, key, value })
      continue
    }
    if (depth > 0) throw invalid('Inner messages must not be compressed')
    if (value === null)
      throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'Compressed message with a null value')
    const inflated = decompress(compression, value, magic, Math.max(1, budget.bytes))
    budget.bytes -= inflated.length
    const inner = parseLegacy(inflated, budget, depth + 1)
    // v1 wrappers carry the absolute offset of the last inner message; inner offsets are relative.
    const lastRelative = inner.length > 0 ? inner[inner.length - 1]!.offset : 0
    for (const m of inner) {
      out.push({
        ...m,
        offset: magic > 0 ? e.header.offset - lastRelative + m.offset : m.offset,
        timestamp: magic > 0 && attributes & TIMESTAMP_TYPE_MASK ? timestamp : m.timestamp,
      })
    }
  }
  return out
}

/** Turns a legacy message set into one uncompressed magic-2 batch (offsets are reassigned by the log anyway). */
function upConvert(buf: Buffer): Buffer {
  const messages = parseLegacy(buf)
  if (messages.length === 0) return Buffer.alloc(0)
  const records: RecordInput[] = messages.map((m) => ({ key: m.key, value: m.value, timestamp: m.timestamp }))
  return buildRecordBatch({ records, now: -1 })
}

/** True when any complete magic-2 batch in `records` uses the given compression. */
export function containsCompression(records: Buffer, code: number): boolean {
  for (const e of iterateBatches(records)) if (e.kind === 'v2' && e.header.compression === code) return true
  return false
}

/** Converts stored batches to an uncompressed legacy message set of the given magic (0 or 1). */
export function toLegacyMessageSet(records: Buffer, magic: 0 | 1): Buffer {
  const w = new Writer(records.length + 64)
  for (const e of iterateBatches(records)) {
    if (e.kind !== 'v2') break
    if (e.header.isControl) continue
    let decoded
    try {
      decoded = readRecords(records, e.position)
    } catch (err) {
      if (err instanceof KafkaError && err.code === ErrorCode.UNSUPPORTED_COMPRESSION_TYPE) {
        throw new KafkaError(
          ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
          `Cannot down-convert ${compressionName(e.header.compression)} batches for this fetch version`,
        )
      }
      throw err
    }
    const logAppend = e.header.timestampType === 'LogAppendTime'
    for (const rec of decoded) {
      const body = new Writer(64)
      body.int8(magic)
      body.int8(magic > 0 && logAppend ? TIMESTAMP_TYPE_MASK : 0)
      if (magic > 0) body.int64(rec.timestamp)
      if (rec.key === null) body.int32(-1)
      else body.int32(rec.key.length).raw(rec.key)
      if (rec.value === null) body.int32(-1)
      else body.int32(rec.value.length).raw(rec.value)
      const b = body.toBuffer()
      w.int64(rec.offset)
        .int32(b.length + 4)
        .uint32(crc32(b) >>> 0)
        .raw(b)
    }
  }
  return w.toBuffer()
}
