import { constants as zlibConstants, gunzipSync, gzipSync } from 'node:zlib'
import { ErrorCode, KafkaError } from '../errors.js'
import { InflateLimitError, lz4Codec, snappyCodec, TruncatedStreamError, zstdCodec } from './codecs.js'

/** Compression codes of the attributes' low three bits (the same for v2 batches and legacy messages). */
export const Compression = {
  NONE: 0,
  GZIP: 1,
  SNAPPY: 2,
  LZ4: 3,
  ZSTD: 4,
} as const
export type CompressionCode = (typeof Compression)[keyof typeof Compression]

const NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const

export function compressionName(code: number): string {
  return NAMES[code] ?? `unknown(${code})`
}

/** The code of a `compression.type` name (`producer` and `uncompressed` are topic-level aliases). */
export function compressionCodeOf(name: string): CompressionCode | undefined {
  switch (name) {
    case 'none':
    case 'uncompressed':
      return Compression.NONE
    case 'gzip':
      return Compression.GZIP
    case 'snappy':
      return Compression.SNAPPY
    case 'lz4':
      return Compression.LZ4
    case 'zstd':
      return Compression.ZSTD
    default:
      return undefined
  }
}

/**
 * A synchronous codec for the payload of a compressed batch (everything after the record count) or the value of
 * a legacy wrapper message. `magic` is the message format (2 for record batches; lz4 frames of magic 0 have a
 * different descriptor checksum). A codec whose compress throws UNSUPPORTED_COMPRESSION_TYPE can only read.
 */
export interface CompressionCodec {
  /** `level` is the codec's compression level (compression.<codec>.level) where it has one; undefined: its default */
  compress(data: Buffer, magic?: number, level?: number): Buffer
  /** Never produces more than `maxBytes`: throws (an `InflateLimitError`) as soon as the output passes it. */
  decompress(data: Buffer, magic?: number, maxBytes?: number): Buffer
}

/** The fixed part of a gzip header (GZIPInputStream reads it when it is created). */
const GZIP_HEADER_BYTES = 10

/**
 * zlib stops inflating at maxOutputLength (ERR_BUFFER_TOO_LARGE) instead of producing the rest. A stream cut short
 * after its header is a TruncatedStreamError with what inflates before the cut (GZIPInputStream's EOFException); a
 * cut inside the header is an error like any other (Kafka's GZIPInputStream fails while being created).
 */
function gunzipCapped(data: Buffer, _magic?: number, maxBytes = MAX_INFLATED_BYTES): Buffer {
  const maxOutputLength = Math.min(maxBytes, MAX_INFLATED_BYTES)
  try {
    return gunzipSync(data, { maxOutputLength })
  } catch (e) {
    const code = (e as { code?: string }).code
    if (code === 'ERR_BUFFER_TOO_LARGE') throw new InflateLimitError(maxBytes)
    if (code === 'Z_BUF_ERROR' && data.length > GZIP_HEADER_BYTES) {
      let partial: Buffer
      try {
        partial = gunzipSync(data, { maxOutputLength, finishFlush: zlibConstants.Z_SYNC_FLUSH })
      } catch {
        throw e
      }
      throw new TruncatedStreamError(partial)
    }
    throw e
  }
}

/**
 * How far a compressed batch may inflate (decompression bombs). The rule: a batch of n records inflates to at most
 * n × max.message.bytes. Compression is no way around the record size limit: a record larger than max.message.bytes
 * on its own is refused when sent uncompressed (RECORD_TOO_LARGE), and Kafka's producers check max.request.size
 * against a record's uncompressed size. Never more than MAX_INFLATED_BYTES whatever the count (Kafka reads batches
 * into int-indexed buffers: nothing it could inflate is larger).
 */
export const MAX_INFLATED_BYTES = 2 ** 31 - 1
/** The largest max.message.bytes in force in this process (Kafka's default until a log allows more). */
let maxRecordBytes = 1_048_588

/**
 * Raises the per-record bound of `inflateLimit` to a log's max.message.bytes (every log calls it with its config, so
 * topic overrides count; the bound never goes down — a process may hold several brokers' and topics' logs).
 */
export function allowRecordBytes(bytes: number): void {
  if (bytes > maxRecordBytes) maxRecordBytes = bytes
}

/** The most a batch of `recordCount` records may inflate to (see MAX_INFLATED_BYTES). */
export function inflateLimit(recordCount: number): number {
  return Math.min(MAX_INFLATED_BYTES, Math.max(1, recordCount) * maxRecordBytes)
}

/**
 * How far the compressed wrappers of one legacy message set (Produce v0-2: magic 0/1) may inflate, all together. The
 * set becomes one uncompressed v2 batch, which must fit max.message.bytes; a legacy message takes at most 34/7 of
 * the bytes of the same record in v2 (offset, size, CRC, magic, attributes, timestamp and two int32 lengths: 34
 * bytes, against at least 7 of varints), so a set that inflates beyond 5 × max.message.bytes could only be refused
 * as too large after inflating it. Without this the only bound would be MAX_INFLATED_BYTES.
 */
export function legacyInflateLimit(): number {
  return Math.min(MAX_INFLATED_BYTES, 5 * maxRecordBytes)
}

/**
 * gzip from node:zlib; snappy (xerial framing), lz4 (Kafka's LZ4 frames) and zstd from the pure JavaScript /
 * WebAssembly codecs of codecs.ts.
 */
const codecs = new Map<number, CompressionCodec>([
  // zlib takes Kafka's gzip levels as they are (-1 is zlib's default, 6)
  [
    Compression.GZIP,
    { compress: (d, _magic, level) => gzipSync(d, { level: level ?? -1 }), decompress: gunzipCapped },
  ],
  [Compression.SNAPPY, snappyCodec],
  [Compression.LZ4, lz4Codec],
  [Compression.ZSTD, zstdCodec],
])

/**
 * Installs (or replaces) a codec. Without one, reading or writing such a batch throws UNSUPPORTED_COMPRESSION_TYPE.
 */
export function registerCompressionCodec(code: number, codec: CompressionCodec): void {
  codecs.set(code, codec)
}

export function hasCompressionCodec(code: number): boolean {
  return code === Compression.NONE || codecs.has(code)
}

function codecFor(code: number): CompressionCodec {
  const c = codecs.get(code)
  if (!c) {
    throw new KafkaError(
      ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
      `Compression type ${compressionName(code)} is not supported by this broker`,
    )
  }
  return c
}

export function compress(code: number, data: Buffer, magic = 2, level?: number): Buffer {
  return code === Compression.NONE ? data : codecFor(code).compress(data, magic, level)
}

/** The compression.<codec>.level settings (KIP-390) a leader re-encodes with. */
export interface CompressionLevels {
  gzip: number
  lz4: number
  zstd: number
}

/**
 * The level `compress` gets for `code`. LZ4 has none here: Samsa's LZ4 encoder (lz4js) is LZ4's fast compressor,
 * what Kafka uses at its default level 9; other levels are refused as configs (definitions.ts lz4LevelValidator).
 * Snappy has no level in Kafka either.
 */
export function levelFor(code: number, levels: CompressionLevels): number | undefined {
  if (code === Compression.GZIP) return levels.gzip
  if (code === Compression.ZSTD) return levels.zstd
  return undefined
}

/**
 * What a compressed payload inflates to. `truncated`: the stream ended before its data did (a gzip stream cut after
 * its header, where Kafka's stream reports an EOFException) and `payload` is what inflated before the end: the
 * caller reads its records from it and decides (see walkRecords).
 *
 * The error codes are Kafka's for a batch its LogValidator cannot read (DefaultRecordBatch's compressed iterator
 * over the codec's input stream): a payload that fails to decompress is an IOException from the codec's stream,
 * wrapped in a KafkaException ("Failed to decompress record stream", or by wrapForInput when the stream fails while
 * being created: gzip, lz4 and snappy read their headers there) — UNKNOWN_SERVER_ERROR. That covers every malformed
 * payload of every codec, and a truncated one of lz4 (Lz4BlockInputStream's "Stream ended prematurely" is a plain
 * IOException), snappy (snappy-java's "failed to read chunk") and zstd (zstd-jni's "Read error or truncated
 * source"). An inflated payload too large for the batch's record count is Samsa's own refusal of a decompression
 * bomb (Kafka has no bound): CORRUPT_MESSAGE. A codec without an implementation: UNSUPPORTED_COMPRESSION_TYPE.
 */
export function decompressPayload(
  code: number,
  data: Buffer,
  magic = 2,
  maxBytes = MAX_INFLATED_BYTES,
): { payload: Buffer; truncated: boolean } {
  if (code === Compression.NONE) return { payload: data, truncated: false }
  const codec = codecFor(code)
  if (data.length === 0) return { payload: data, truncated: false }
  try {
    const out = codec.decompress(data, magic, maxBytes)
    // a registered codec may not know the limit: refuse what it produced beyond it all the same
    if (out.length > maxBytes) throw new InflateLimitError(maxBytes)
    return { payload: out, truncated: false }
  } catch (e) {
    if (e instanceof KafkaError) throw e
    if (e instanceof TruncatedStreamError) return { payload: e.partial, truncated: true }
    if (e instanceof InflateLimitError) {
      throw new KafkaError(
        ErrorCode.CORRUPT_MESSAGE,
        `Refused to decompress ${compressionName(code)} record batch: ${e.message} (decompression bomb)`,
      )
    }
    throw new KafkaError(
      ErrorCode.UNKNOWN_SERVER_ERROR,
      `Failed to decompress record stream (${compressionName(code)}): ${(e as Error).message}`,
    )
  }
}

/**
 * Decompresses a payload whole (see decompressPayload for the errors; a truncated stream is INVALID_RECORD, as
 * Kafka's EOFException while reading records is). An empty payload is empty whatever the codec: the batches the log
 * cleaner empties keep their compression attribute but have no records (Kafka never decompresses a batch whose
 * count is 0).
 */
export function decompress(code: number, data: Buffer, magic = 2, maxBytes = MAX_INFLATED_BYTES): Buffer {
  const { payload, truncated } = decompressPayload(code, data, magic, maxBytes)
  if (truncated)
    throw new KafkaError(ErrorCode.INVALID_RECORD, 'Incorrect declared batch size, premature EOF reached')
  return payload
}
