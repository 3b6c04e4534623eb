/**
 * Legacy message sets (Produce v0-2): up-conversion to one v2 batch, and the bound on how far their compressed
 * wrappers may inflate (legacyInflateLimit, shared by every wrapper of a set).
 */
import { crc32, gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { ErrorCode, KafkaError } from '../errors.js'
import { readRecords } from './batch.js'
import { Compression, compress, legacyInflateLimit } from './compression.js'
import { prepareProduceRecords } from './conversion.js'

const MiB = 1 << 20

/** One legacy message (offset, size, CRC-32 over magic..end, magic, attributes, [timestamp], key, value). */
function legacyMessage(
  magic: 0 | 1,
  o: { offset?: number; attributes?: number; timestamp?: number; key?: Buffer | null; value: Buffer | null },
): Buffer {
  const key = o.key ?? null
  const body = Buffer.alloc(2 + (magic === 1 ? 8 : 0) + 4 + (key?.length ?? 0) + 4 + (o.value?.length ?? 0))
  let p = body.writeInt8(magic, 0)
  p = body.writeInt8(o.attributes ?? 0, p)
  if (magic === 1) p = body.writeBigInt64BE(BigInt(o.timestamp ?? 0), p)
  p = body.writeInt32BE(key === null ? -1 : key.length, p)
  if (key) p += key.copy(body, p)
  p = body.writeInt32BE(o.value === null ? -1 : o.value.length, p)
  if (o.value) o.value.copy(body, p)
  const head = Buffer.alloc(16)
  head.writeBigInt64BE(BigInt(o.offset ?? 0), 0)
  head.writeInt32BE(body.length + 4, 8)
  head.writeUInt32BE(crc32(body) >>> 0, 12)
  return Buffer.concat([head, body])
}

/** A magic-1 wrapper holding `inner` (a legacy message set) compressed with gzip. */
function gzipWrapper(inner: Buffer, offset = 0): Buffer {
  return legacyMessage(1, { offset, attributes: Compression.GZIP, value: gzipSync(inner) })
}

function refused(f: () => unknown): KafkaError {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(KafkaError)
    return e as KafkaError
  }
  throw new Error('not refused')
}

describe('prepareProduceRecords: legacy message sets', () => {
  it('up-converts a compressed wrapper into one uncompressed v2 batch', () => {
    const inner = Buffer.concat(
      ['a', 'b', 'c'].map((v, i) =>
        legacyMessage(1, { offset: i, timestamp: 1000 + i, value: Buffer.from(v) }),
      ),
    )
    const batch = prepareProduceRecords(2, gzipWrapper(inner, 2))
    expect(readRecords(batch).map((r) => [r.value!.toString(), r.timestamp])).toEqual([
      ['a', 1000],
      ['b', 1001],
      ['c', 1002],
    ])
  })

  it('a legacy decompression bomb is refused without inflating more than legacyInflateLimit, set-wide', () => {
    expect(legacyInflateLimit()).toBeGreaterThanOrEqual(5 * 1_048_588)
    // one message of 8 MiB of zeros: 8 KiB of gzip
    const bomb = gzipWrapper(legacyMessage(1, { value: Buffer.alloc(8 * MiB) }))
    expect(bomb.length).toBeLessThan(MiB / 8)
    const e = refused(() => prepareProduceRecords(2, bomb))
    expect(e.code).toBe(ErrorCode.CORRUPT_MESSAGE)
    expect(e.message).toMatch(/decompression bomb/)
    // magic 0 (lz4 with its old descriptor checksum; every codec stops at the limit: compression-bomb.test.ts)
    for (const codec of [Compression.LZ4]) {
      const inner = legacyMessage(0, { value: Buffer.alloc(6 * MiB) })
      const wrapper = legacyMessage(0, { attributes: codec, value: compress(codec, inner, 0) })
      expect(refused(() => prepareProduceRecords(0, wrapper)).message).toMatch(/decompression bomb/)
    }
    // wrappers that each stay under the bound but not together: the budget is the set's
    const half = Math.floor(legacyInflateLimit() / 2) + 1000
    const one = gzipWrapper(legacyMessage(1, { value: Buffer.alloc(half) }))
    expect(prepareProduceRecords(2, one).length).toBeGreaterThan(half)
    expect(refused(() => prepareProduceRecords(2, Buffer.concat([one, one]))).code).toBe(
      ErrorCode.CORRUPT_MESSAGE,
    )
  })

  it('a compressed message inside a compressed message is INVALID_RECORD', () => {
    const nested = gzipWrapper(gzipWrapper(legacyMessage(1, { value: Buffer.from('x') })))
    expect(refused(() => prepareProduceRecords(2, nested)).code).toBe(ErrorCode.INVALID_RECORD)
  })
})
