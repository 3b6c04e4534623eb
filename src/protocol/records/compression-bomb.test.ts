/**
 * Decompression bombs: every codec stops inflating once its output passes the caller's limit, and a batch may
 * inflate to at most its record count × max.message.bytes (inflateLimit).
 */
import { describe, expect, it } from 'vitest'
import { ErrorCode, KafkaError } from '../errors.js'
import { buildRecordBatch, readRecords } from './batch.js'
import { Compression, compress, decompress, inflateLimit, MAX_INFLATED_BYTES } from './compression.js'
import { zstdCompressionAvailable } from './codecs.js'

const MiB = 1 << 20
const CODECS = [Compression.GZIP, Compression.SNAPPY, Compression.LZ4, Compression.ZSTD].filter(
  (c) => c !== Compression.ZSTD || zstdCompressionAvailable(),
)

function refused(f: () => unknown): string {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(KafkaError)
    expect((e as KafkaError).code).toBe(ErrorCode.CORRUPT_MESSAGE)
    return (e as Error).message
  }
  throw new Error('not refused')
}

describe('decompress with a limit', () => {
  const zeros = Buffer.alloc(8 * MiB)
  for (const code of CODECS) {
    it(`codec ${code}: refuses a payload that inflates beyond the limit, inflates one within it`, () => {
      const packed = compress(code, zeros)
      expect(packed.length).toBeLessThan(zeros.length / 10)
      expect(refused(() => decompress(code, packed, 2, MiB))).toMatch(/more than 1048576 bytes/)
      expect(refused(() => decompress(code, packed, 2, zeros.length - 1))).toMatch(/decompression bomb/)
      expect(decompress(code, packed, 2, zeros.length).equals(zeros)).toBe(true)
      expect(decompress(code, packed).length).toBe(zeros.length) // default: MAX_INFLATED_BYTES
    })
  }

  it('snappy: a raw block declaring 1 GiB is refused before anything is allocated', () => {
    // varint 2^30, then a literal of 1 byte: snappyjs would allocate the declared length first
    const raw = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x04, 0x00, 0x61])
    expect(refused(() => decompress(Compression.SNAPPY, raw, 2, MiB))).toMatch(/more than/)
  })

  it('zstd: a frame declaring more content than the limit, or a window over 128 MiB, is refused up front', () => {
    // magic, FHD: single segment + 8-byte content size (2^40), then an empty raw last block
    const huge = Buffer.concat([
      Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xe0]),
      Buffer.from([0, 0, 0, 0, 0, 1, 0, 0]),
      Buffer.from([0x01, 0x00, 0x00]),
    ])
    expect(refused(() => decompress(Compression.ZSTD, huge, 2, MiB))).toMatch(/more than/)
    // FHD 0 (window descriptor follows): exponent 21 → a 2 GiB window
    const wide = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 21 << 3, 0x01, 0x00, 0x00])
    // zstd-jni's own refusal, an IOException in Kafka (UNKNOWN_SERVER_ERROR), not a bomb of ours
    try {
      decompress(Compression.ZSTD, wide)
      expect.unreachable()
    } catch (e) {
      expect((e as KafkaError).code).toBe(ErrorCode.UNKNOWN_SERVER_ERROR)
      expect((e as Error).message).toMatch(/too much memory/)
    }
  })
})

describe('readRecords: a batch inflates to at most its record count × max.message.bytes', () => {
  it('inflateLimit', () => {
    expect(inflateLimit(0)).toBe(1_048_588)
    expect(inflateLimit(3)).toBe(3 * 1_048_588)
    expect(inflateLimit(1_000_000)).toBe(MAX_INFLATED_BYTES)
  })

  for (const code of CODECS) {
    it(`codec ${code}: one record claiming 4 MiB of zeros is refused; four records of 1 MiB are read`, () => {
      const bomb = buildRecordBatch({
        records: [{ key: null, value: Buffer.alloc(4 * MiB) }],
        compression: code,
        now: 0,
      })
      expect(bomb.length).toBeLessThan(MiB / 4)
      expect(refused(() => readRecords(bomb))).toMatch(/decompression bomb/)
      const fine = buildRecordBatch({
        records: Array.from({ length: 4 }, () => ({ key: null, value: Buffer.alloc(MiB - 100) })),
        compression: code,
        now: 0,
      })
      expect(readRecords(fine).map((r) => r.value!.length)).toEqual(Array(4).fill(MiB - 100))
    })
  }
})
