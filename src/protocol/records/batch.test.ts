import { crc32, gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { ErrorCode, KafkaError } from '../errors.js'
import {
  buildEndTxnMarker,
  buildRecordBatch,
  classifyEntry,
  computeBatchCrc,
  decrementSequence,
  incrementSequence,
  iterateBatches,
  readBatchHeader,
  readEndTxnMarker,
  readRecords,
  setBaseOffset,
  setLogAppendTime,
  setPartitionLeaderEpoch,
  verifyCrc,
  verifyLegacyCrc,
} from './batch.js'
import { Compression } from './compression.js'

/**
 * A batch as the Java producer writes it for `send(new ProducerRecord("t", "key", "value"))` with
 * timestamp 1700000000000: built by hand from the layout in DefaultRecordBatch/DefaultRecord.
 */
function handMadeBatch(): Buffer {
  const record = Buffer.from([
    0x00, // attributes
    0x00, // timestampDelta 0
    0x00, // offsetDelta 0
    0x06, // key length 3 (zig-zag)
    ...Buffer.from('key'),
    0x0a, // value length 5
    ...Buffer.from('value'),
    0x00, // headers 0
  ])
  const recordWithLength = Buffer.concat([Buffer.from([record.length * 2]), record])
  const b = Buffer.alloc(61 + recordWithLength.length)
  b.writeBigInt64BE(0n, 0)
  b.writeInt32BE(b.length - 12, 8)
  b.writeInt32BE(-1, 12)
  b.writeInt8(2, 16)
  b.writeInt16BE(0, 21)
  b.writeInt32BE(0, 23)
  b.writeBigInt64BE(1700000000000n, 27)
  b.writeBigInt64BE(1700000000000n, 35)
  b.writeBigInt64BE(-1n, 43)
  b.writeInt16BE(-1, 51)
  b.writeInt32BE(-1, 53)
  b.writeInt32BE(1, 57)
  recordWithLength.copy(b, 61)
  b.writeUInt32BE(computeBatchCrc(b), 17)
  return b
}

describe('record batch header', () => {
  it('reads every header field', () => {
    const b = buildRecordBatch({
      records: [
        { key: 'a', value: '1', timestamp: 1000 },
        { key: 'b', value: '2', timestamp: 3000 },
        { key: null, value: null, timestamp: 2000 },
      ],
      baseOffset: 42,
      partitionLeaderEpoch: 7,
      producerId: 1234,
      producerEpoch: 3,
      baseSequence: 17,
      isTransactional: true,
    })
    const h = readBatchHeader(b)
    expect(h).toMatchObject({
      baseOffset: 42,
      batchLength: b.length - 12,
      partitionLeaderEpoch: 7,
      magic: 2,
      compression: 0,
      timestampType: 'CreateTime',
      isTransactional: true,
      isControl: false,
      lastOffsetDelta: 2,
      baseTimestamp: 1000,
      maxTimestamp: 3000,
      producerId: 1234,
      producerEpoch: 3,
      baseSequence: 17,
      recordCount: 3,
      lastOffset: 44,
      sizeInBytes: b.length,
    })
    expect(verifyCrc(b)).toBe(true)
  })

  it('builds exactly the bytes of a hand-made Java-style batch', () => {
    const built = buildRecordBatch({ records: [{ key: 'key', value: 'value', timestamp: 1700000000000 }] })
    expect(built.equals(handMadeBatch())).toBe(true)
  })

  it('rewrites BaseOffset and PartitionLeaderEpoch without touching the CRC', () => {
    const b = handMadeBatch()
    const crc = b.readUInt32BE(17)
    setBaseOffset(b, 0, 123456789012)
    setPartitionLeaderEpoch(b, 0, 5)
    const h = readBatchHeader(b)
    expect(h.baseOffset).toBe(123456789012)
    expect(h.partitionLeaderEpoch).toBe(5)
    expect(b.readUInt32BE(17)).toBe(crc)
    expect(verifyCrc(b)).toBe(true)
  })

  it('sets LogAppendTime and recomputes the CRC', () => {
    const b = handMadeBatch()
    setLogAppendTime(b, 0, 1800000000000)
    const h = readBatchHeader(b)
    expect(h.timestampType).toBe('LogAppendTime')
    expect(h.maxTimestamp).toBe(1800000000000)
    expect(verifyCrc(b)).toBe(true)
    expect(readRecords(b)[0]!.timestamp).toBe(1800000000000)
  })

  it('detects a corrupted byte', () => {
    const b = handMadeBatch()
    b[b.length - 2]! ^= 0xff
    expect(verifyCrc(b)).toBe(false)
  })
})

describe('batch iteration', () => {
  it('iterates batches and reports a trailing partial one', () => {
    const a = buildRecordBatch({ records: [{ value: 'x' }], baseOffset: 0 })
    const b = buildRecordBatch({ records: [{ value: 'y' }, { value: 'z' }], baseOffset: 1 })
    const buf = Buffer.concat([a, b, b.subarray(0, 20)])
    const entries = [...iterateBatches(buf)]
    expect(entries.map((e) => e.kind)).toEqual(['v2', 'v2', 'partial'])
    expect(entries[1]!.position).toBe(a.length)
    expect(entries[2]).toMatchObject({ kind: 'partial', size: b.length, available: 20 })
    expect(classifyEntry(buf, a.length + b.length, a.length + b.length + 5)).toMatchObject({
      kind: 'partial',
      size: -1,
    })
  })

  it('recognises legacy entries by their magic byte', () => {
    // magic 1 message: offset 5, key null, value "hi", timestamp 1000
    const msg = Buffer.alloc(4 + 1 + 1 + 8 + 4 + 4 + 2)
    msg.writeInt8(1, 4)
    msg.writeInt8(0, 5)
    msg.writeBigInt64BE(1000n, 6)
    msg.writeInt32BE(-1, 14)
    msg.writeInt32BE(2, 18)
    msg.write('hi', 22)
    msg.writeUInt32BE(crc32(msg.subarray(4)) >>> 0, 0)
    const entry = Buffer.alloc(12 + msg.length)
    entry.writeBigInt64BE(5n, 0)
    entry.writeInt32BE(msg.length, 8)
    msg.copy(entry, 12)
    const [e] = [...iterateBatches(entry)]
    expect(e).toMatchObject({
      kind: 'legacy',
      size: entry.length,
      header: { offset: 5, magic: 1, timestamp: 1000 },
    })
    expect(verifyLegacyCrc(entry)).toBe(true)
  })

  it('flags garbage as invalid', () => {
    const buf = Buffer.alloc(40, 0)
    expect([...iterateBatches(buf)][0]!.kind).toBe('invalid')
    const bad = buildRecordBatch({ records: [{ value: 'x' }] })
    bad.writeInt8(7, 16)
    expect([...iterateBatches(bad)][0]).toMatchObject({ kind: 'invalid' })
  })
})

describe('records', () => {
  it('round-trips keys, values, headers and timestamps', () => {
    const b = buildRecordBatch({
      records: [
        {
          key: 'k1',
          value: 'v1',
          headers: [
            { key: 'h', value: 'x' },
            { key: 'n', value: null },
          ],
          timestamp: 5,
        },
        { key: null, value: null, timestamp: 3 },
        { value: Buffer.alloc(300, 1), timestamp: 9 },
      ],
      baseOffset: 100,
    })
    const recs = readRecords(b)
    expect(recs.map((r) => r.offset)).toEqual([100, 101, 102])
    expect(recs.map((r) => r.timestamp)).toEqual([5, 3, 9])
    expect(recs[0]!.key!.toString()).toBe('k1')
    expect(recs[0]!.headers).toEqual([
      { key: 'h', value: Buffer.from('x') },
      { key: 'n', value: null },
    ])
    expect(recs[1]!.key).toBeNull()
    expect(recs[1]!.value).toBeNull()
    expect(recs[2]!.value!.length).toBe(300)
  })

  it('round-trips gzip batches', () => {
    const b = buildRecordBatch({
      records: Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: 'v'.repeat(100), timestamp: i })),
      compression: Compression.GZIP,
    })
    const h = readBatchHeader(b)
    expect(h.compression).toBe(1)
    expect(b.length).toBeLessThan(1000)
    const recs = readRecords(b)
    expect(recs).toHaveLength(50)
    expect(recs[49]!.key!.toString()).toBe('k49')
    expect(h.maxTimestamp).toBe(49)
  })

  it('decodes a batch compressed by another gzip writer', () => {
    const plain = buildRecordBatch({ records: [{ key: 'a', value: 'b', timestamp: 1 }] })
    const payload = gzipSync(plain.subarray(61), { level: 9 })
    const b = Buffer.concat([plain.subarray(0, 61), payload])
    b.writeInt32BE(b.length - 12, 8)
    b.writeInt16BE(1, 21)
    b.writeUInt32BE(computeBatchCrc(b), 17)
    expect(readRecords(b)[0]!.value!.toString()).toBe('b')
  })

  it('throws UNKNOWN_SERVER_ERROR for gzip, snappy, lz4 and zstd payloads that are not (as Kafka)', () => {
    const b = buildRecordBatch({ records: [{ value: 'x' }] })
    for (const codec of [1, 2, 3, 4]) {
      b.writeInt16BE(codec, 21)
      try {
        readRecords(b)
        expect.unreachable()
      } catch (e) {
        expect((e as KafkaError).code).toBe(ErrorCode.UNKNOWN_SERVER_ERROR)
      }
    }
  })

  it('throws UNSUPPORTED_COMPRESSION_TYPE for compression codes without a codec', () => {
    const b = buildRecordBatch({ records: [{ value: 'x' }] })
    for (const codec of [5, 6, 7]) {
      b.writeInt16BE(codec, 21)
      expect(() => readRecords(b)).toThrow(KafkaError)
      try {
        readRecords(b)
      } catch (e) {
        expect((e as KafkaError).code).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE)
      }
    }
  })

  it('rejects a record count that does not match the payload', () => {
    const b = buildRecordBatch({ records: [{ value: 'x' }, { value: 'y' }] })
    b.writeInt32BE(3, 57)
    expect(() => readRecords(b)).toThrow(/premature EOF/)
    b.writeInt32BE(1, 57)
    expect(() => readRecords(b)).toThrow(/remaining/)
  })

  it('builds and reads transaction markers', () => {
    const b = buildEndTxnMarker({
      producerId: 9,
      producerEpoch: 2,
      coordinatorEpoch: 4,
      commit: true,
      timestamp: 77,
    })
    const h = readBatchHeader(b)
    expect(h.isControl).toBe(true)
    expect(h.isTransactional).toBe(true)
    expect(readEndTxnMarker(b)).toEqual({ type: 1, coordinatorEpoch: 4, timestamp: 77 })
  })
})

describe('sequences', () => {
  it('wrap around at Int32.MAX', () => {
    expect(incrementSequence(5, 3)).toBe(8)
    expect(incrementSequence(2147483647, 1)).toBe(0)
    expect(incrementSequence(2147483646, 3)).toBe(1)
    expect(decrementSequence(1, 3)).toBe(2147483646)
    expect(decrementSequence(10, 3)).toBe(7)
  })
})
