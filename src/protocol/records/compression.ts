import { gunzipSync, gzipSync } from 'node:zlib'
import { ErrorCode, KafkaError } from '../errors.js'
import { lz4Codec, snappyCodec, zstdCodec } from './codecs.js'

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
  compress(data: Buffer, magic?: number): Buffer
  decompress(data: Buffer, magic?: number): Buffer
}

/**
 * gzip from node:zlib; snappy (xerial framing), lz4 (Kafka's LZ4 frames) and zstd from the pure JavaScript /
 * WebAssembly codecs of codecs.ts.
 */
const codecs = new Map<number, CompressionCodec>([
  [Compression.GZIP, { compress: (d) => gzipSync(d), decompress: (d) => gunzipSync(d) }],
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

export function compress(code: number, data: Buffer, magic = 2): Buffer {
  return code === Compression.NONE ? data : codecFor(code).compress(data, magic)
}

/**
 * Decompresses a payload. An empty payload is empty whatever the codec: the batches the log cleaner empties keep
 * their compression attribute but have no records (Kafka never decompresses a batch whose count is 0).
 */
export function decompress(code: number, data: Buffer, magic = 2): Buffer {
  if (code === Compression.NONE) return data
  const codec = codecFor(code)
  if (data.length === 0) return data
  try {
    return codec.decompress(data, magic)
  } catch (e) {
    if (e instanceof KafkaError) throw e
    throw new KafkaError(
      ErrorCode.CORRUPT_MESSAGE,
      `Failed to decompress ${compressionName(code)} record batch: ${(e as Error).message}`,
    )
  }
}
