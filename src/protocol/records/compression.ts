import { gunzipSync, gzipSync } from 'node:zlib'
import { ErrorCode, KafkaError } from '../errors.js'

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

/** A synchronous codec for the payload of a compressed batch (everything after the record count). */
export interface CompressionCodec {
  compress(data: Buffer): Buffer
  decompress(data: Buffer): Buffer
}

const codecs = new Map<number, CompressionCodec>([
  [Compression.GZIP, { compress: (d) => gzipSync(d), decompress: (d) => gunzipSync(d) }],
])

/**
 * Installs a codec (snappy, lz4 and zstd have none built in: Kafka frames them in ways node:zlib does not speak).
 * Until one is registered, reading or writing such a batch throws UNSUPPORTED_COMPRESSION_TYPE.
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

export function compress(code: number, data: Buffer): Buffer {
  return code === Compression.NONE ? data : codecFor(code).compress(data)
}

export function decompress(code: number, data: Buffer): Buffer {
  if (code === Compression.NONE) return data
  const codec = codecFor(code)
  try {
    return codec.decompress(data)
  } catch (e) {
    throw new KafkaError(
      ErrorCode.CORRUPT_MESSAGE,
      `Failed to decompress ${compressionName(code)} record batch: ${(e as Error).message}`,
    )
  }
}
