import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import {
  buildEndTxnMarker,
  buildRecordBatch,
  computeBatchCrc,
  type BuildBatchOptions,
  readBatchHeader,
  readRecords,
  verifyCrc,
} from '../../protocol/records/batch.js'
import { Compression, compress, compressionName } from '../../protocol/records/compression.js'
import { Writer } from '../../protocol/codec/writer.js'
import { ManualClock, ManualScheduler } from '../../util/scheduler.js'
import { RecordValidationError, UnexpectedAppendOffsetError } from './errors.js'
import { Log, type LogOptions } from './log.js'
import { LogSegment } from './segment.js'
import { READ_AHEAD_MAX_AGE_MS, readAheadStats, setReadAheadBudget } from './read-ahead.js'
import { defaultLogConfig, type LogConfig } from './log-config.js'
import { setIndexCacheLimit } from './indexes.js'

const dirs: string[] = []
const logs: Log[] = []
afterEach(() => {
  for (const l of logs.splice(0)) if (!l.isClosed) l.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'samsa-log-'))
  dirs.push(d)
  return d
}

interface Env {
  clock: ManualClock
  scheduler: ManualScheduler
  dir: string
  open(config?: Partial<LogConfig>, extra?: Partial<LogOptions>): Log
}

function env(): Env {
  const clock = new ManualClock(1_700_000_000_000)
  const scheduler = new ManualScheduler(clock)
  const dir = join(tempDir(), 'topic-0')
  return {
    clock,
    scheduler,
    dir,
    open(config = {}, extra = {}) {
      const log = Log.open({
        dir,
        config: { ...defaultLogConfig(), ...config },
        scheduler,
        hadCleanShutdown: true,
        ...extra,
      })
      logs.push(log)
      return log
    },
  }
}

function batch(n: number, o: Partial<BuildBatchOptions> = {}, now = 1_700_000_000_000): Buffer {
  return buildRecordBatch({
    records: Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `value-${i}`, timestamp: now })),
    now,
    ...o,
  })
}

/** Recomputes the CRC after a test has edited a field inside it. */
function recrc(b: Buffer): Buffer {
  b.writeUInt32BE(computeBatchCrc(b), 17)
  return b
}

function code(f: () => unknown): number {
  try {
    f()
  } catch (e) {
    if (e instanceof KafkaError) return e.code
    throw e
  }
  throw new Error('expected a KafkaError')
}

function offsetsIn(buf: Buffer): number[] {
  const out: number[] = []
  let p = 0
  while (p + 61 <= buf.length) {
    const h = readBatchHeader(buf, p)
    if (p + h.sizeInBytes > buf.length) break
    for (const r of readRecords(buf, p)) out.push(r.offset)
    p += h.sizeInBytes
  }
  return out
}

describe('Log append and read', () => {
  it('assigns offsets by rewriting the header and reads them back', () => {
    const e = env()
    const log = e.open()
    const b = batch(3)
    const crc = b.readUInt32BE(17)
    const r = log.appendAsLeader(b, { leaderEpoch: 4 })
    expect(r).toMatchObject({
      firstOffset: 0,
      lastOffset: 2,
      logAppendTime: -1,
      logStartOffset: 0,
      recordCount: 3,
    })
    const r2 = log.appendAsLeader(batch(2), { leaderEpoch: 4 })
    expect(r2).toMatchObject({ firstOffset: 3, lastOffset: 4 })
    expect(log.logEndOffset).toBe(5)
    const h = readBatchHeader(b)
    expect(h.baseOffset).toBe(0)
    expect(h.partitionLeaderEpoch).toBe(4)
    expect(b.readUInt32BE(17)).toBe(crc) // the records were not re-encoded
    const read = log.read(3, { maxBytes: 1 << 20 })
    expect(offsetsIn(read.records)).toEqual([3, 4])
    expect(readBatchHeader(read.records).partitionLeaderEpoch).toBe(4)
    expect(verifyCrc(read.records)).toBe(true)
    // reading from the middle of a batch returns the whole batch
    expect(offsetsIn(log.read(1, { maxBytes: 1 << 20 }).records)).toEqual([0, 1, 2, 3, 4])
    expect(log.latestEpoch()).toBe(4)
  })

  it('writes the segment file byte for byte as appended', () => {
    const e = env()
    const log = e.open()
    const a = batch(2)
    const b = batch(1)
    log.appendAsLeader(a, { leaderEpoch: 0 })
    log.appendAsLeader(b, { leaderEpoch: 0 })
    log.flushAll()
    const file = readFileSync(join(e.dir, '00000000000000000000.log'))
    expect(file.equals(Buffer.concat([a, b]))).toBe(true)
    expect(readdirSync(e.dir).sort()).toEqual(
      expect.arrayContaining([
        '00000000000000000000.index',
        '00000000000000000000.log',
        '00000000000000000000.timeindex',
        'leader-epoch-checkpoint',
      ]),
    )
  })

  it('rolls segments on size and reads across them', () => {
    const e = env()
    const log = e.open({ segmentBytes: 1024 })
    for (let i = 0; i < 40; i++) log.appendAsLeader(batch(2), { leaderEpoch: 1 })
    expect(log.numberOfSegments).toBeGreaterThan(3)
    expect(log.logEndOffset).toBe(80)
    const bases = log.segmentInfos().map((s) => s.baseOffset)
    for (const s of log.segmentInfos()) expect(s.size).toBeLessThanOrEqual(1024)
    const names = readdirSync(e.dir).filter((n) => n.endsWith('.log'))
    expect(names.sort()).toEqual(bases.map((b) => `${String(b).padStart(20, '0')}.log`))
    // a snapshot is taken at each roll
    expect(readdirSync(e.dir).filter((n) => n.endsWith('.snapshot')).length).toBeGreaterThan(0)
    for (let o = 0; o < 80; o += 7) {
      const r = log.read(o, { maxBytes: 100 })
      expect(r.records.length).toBeGreaterThan(0)
      const first = readBatchHeader(r.records)
      expect(first.baseOffset).toBeLessThanOrEqual(o)
      expect(first.lastOffset).toBeGreaterThanOrEqual(o)
    }
    // one segment per read
    const all = log.read(0, { maxBytes: 1 << 20 })
    expect(all.segmentBaseOffset).toBe(0)
    expect(offsetsIn(all.records).at(-1)).toBe(bases[1]! - 1)
  })

  it('reads inactive segments whose index contents were evicted from memory', () => {
    const e = env()
    const log = e.open({ segmentBytes: 600, indexIntervalBytes: 50 })
    for (let i = 0; i < 30; i++) log.appendAsLeader(batch(2), { leaderEpoch: 0 })
    setIndexCacheLimit(0)
    try {
      for (let o = 0; o < 60; o += 5) {
        const r = log.read(o, { maxBytes: 1 })
        expect(
          readBatchHeader(
            r.records.length >= 61 ? r.records : log.read(o, { maxBytes: 1, minOneMessage: true }).records,
          ).lastOffset,
        ).toBeGreaterThanOrEqual(o)
      }
      expect(log.fetchOffsetByTimestamp(1_700_000_000_000)?.offset).toBe(0)
    } finally {
      setIndexCacheLimit(64 * 1024 * 1024)
    }
  })

  it('reads off the event loop what read() reads; a plan the segments moved under is refused', async () => {
    const e = env()
    const log = e.open({ segmentBytes: 600, indexIntervalBytes: 50 })
    for (let i = 0; i < 30; i++) log.appendAsLeader(batch(2), { leaderEpoch: 0 })
    for (const [o, opts] of [
      [0, { maxBytes: 1 << 20 }],
      [7, { maxBytes: 100 }],
      [13, { maxBytes: 1, minOneMessage: true }],
      [21, { maxBytes: 1 << 20, maxOffset: 40 }],
      [60, { maxBytes: 1 << 20 }],
    ] as const) {
      const plan = log.planRead(o, opts)
      expect(await log.readPlanned(plan)).toEqual(log.read(o, opts).records)
    }
    // a truncation while the read runs: the bytes may be stale, so the caller must plan again
    const stale = log.planRead(50, { maxBytes: 1 << 20 })
    const reading = log.readPlanned(stale)
    log.truncateTo(52)
    expect(await reading).toBeUndefined()
    expect(await log.readPlanned(stale)).toBeUndefined()
    const again = log.planRead(50, { maxBytes: 1 << 20 })
    expect(offsetsIn((await log.readPlanned(again))!)).toEqual([50, 51])
    // a closed log: plan again (and fail there)
    const beforeClose = log.planRead(0, { maxBytes: 1 << 20 })
    log.close()
    expect(await log.readPlanned(beforeClose)).toBeUndefined()
  })

  it('reads ahead for a sequential reader: the next read takes those bytes, never stale ones', async () => {
    const log = env().open({ indexIntervalBytes: 4096 })
    const value = 'v'.repeat(10_000)
    const big = (n: number): Buffer =>
      buildRecordBatch({
        records: Array.from({ length: n }, () => ({ key: null, value, timestamp: 1_700_000_000_000 })),
        now: 1_700_000_000_000,
      })
    for (let i = 0; i < 120; i++) log.appendAsLeader(big(10), { leaderEpoch: 0 })
    const opts = { maxBytes: 300 * 1024, maxOffset: 900 }
    const taken = readAheadStats.taken
    let offset = 0
    let reads = 0
    while (offset < 600) {
      const records = (await log.readPlanned(log.planRead(offset, opts)))!
      expect(records.equals(log.read(offset, opts).records)).toBe(true)
      const offsets = offsetsIn(records)
      offset = offsets[offsets.length - 1]! + 1
      reads++
    }
    // every read after the first found its bytes read ahead
    expect(readAheadStats.taken - taken).toBe(reads - 1)
    // a truncation under a read-ahead: the next read is planned anew and reads what the log now holds
    const first = (await log.readPlanned(log.planRead(offset, opts)))!
    const following = offsetsIn(first).at(-1)! + 1
    const stale = log.planRead(following, opts) // what the read-ahead read
    log.truncateTo(following + 10)
    log.appendAsLeader(big(3), { leaderEpoch: 1 })
    expect(await log.readPlanned(stale)).toBeUndefined()
    const records = (await log.readPlanned(log.planRead(following, opts)))!
    expect(offsetsIn(records)).toEqual([...Array(13).keys()].map((i) => following + i))
    expect(records.equals(log.read(following, opts).records)).toBe(true)
    // a different length at the same place (the reader asked for less): read, not taken
    const reread = (await log.readPlanned(log.planRead(0, opts)))!
    const ahead = readAheadStats.taken
    const shorter = { maxBytes: 200 * 1024 }
    const from = offsetsIn(reread).at(-1)! + 1
    const short = (await log.readPlanned(log.planRead(from, shorter)))!
    expect(short.equals(log.read(from, shorter).records)).toBe(true)
    expect(readAheadStats.taken).toBe(ahead)
  })

  it('reads ahead only within its budget, never evicting a fresh read-ahead; old ones are given back', async () => {
    const budget = setReadAheadBudget(700 * 1024)
    try {
      const e = [env(), env(), env()]
      const value = 'v'.repeat(10_000)
      const logs = e.map((x) => x.open())
      for (const log of logs)
        for (let i = 0; i < 20; i++)
          log.appendAsLeader(
            buildRecordBatch({
              records: Array.from({ length: 10 }, () => ({ key: null, value, timestamp: 1_700_000_000_000 })),
              now: 1_700_000_000_000,
            }),
            { leaderEpoch: 0 },
          )
      const opts = { maxBytes: 300 * 1024 }
      const started = readAheadStats.started
      for (const log of logs) await log.readPlanned(log.planRead(0, opts))
      // two read-aheads of ~300 KiB fit in 700 KiB; the third log's is not started (nothing evicted for it)
      expect(readAheadStats.started - started).toBe(2)
      const taken = readAheadStats.taken
      for (const log of logs.slice(0, 2)) await log.readPlanned(log.planRead(30, opts))
      expect(readAheadStats.taken - taken).toBe(2)
      // the ones started by those reads are held until they are 10 s old, then given back at the next start
      const again = readAheadStats.started
      await logs[2]!.readPlanned(logs[2]!.planRead(0, opts))
      expect(readAheadStats.started).toBe(again)
      for (const x of e) x.clock.advance(READ_AHEAD_MAX_AGE_MS)
      await logs[2]!.readPlanned(logs[2]!.planRead(0, opts))
      expect(readAheadStats.started).toBe(again + 1)
    } finally {
      setReadAheadBudget(budget)
    }
  })

  it('plans a read that goes on from an earlier one from where that one ended, without the index or a header', async () => {
    const hinted = env().open({ segmentBytes: 2_000, indexIntervalBytes: 50 })
    const plain = env().open({ segmentBytes: 2_000, indexIntervalBytes: 50 })
    for (let i = 0; i < 60; i++) {
      for (const l of [hinted, plain]) l.appendAsLeader(batch(1 + (i % 5)), { leaderEpoch: 0 })
    }
    const located = vi.spyOn(LogSegment.prototype, 'translateOffset')
    let offset = 0
    let planned = 0
    let fromHints = 0
    while (offset < hinted.logEndOffset) {
      const opts = { maxBytes: 150 + (offset % 7) * 40, minOneMessage: true }
      const before = located.mock.calls.length
      const plan = hinted.planRead(offset, opts)
      if (located.mock.calls.length === before) fromHints++
      planned++
      const { segment: _s, generation: _g, ...expected } = plain.planRead(offset, opts)
      expect(plan).toMatchObject(expected)
      const offsets = offsetsIn((await hinted.readPlanned(plan))!)
      offset = offsets.length > 0 ? offsets[offsets.length - 1]! + 1 : offset + 1
    }
    located.mockRestore()
    expect(fromHints).toBeGreaterThan(planned / 2)
    // a truncation makes the positions learnt before it stale: a bigger batch now starts where the learnt one did
    const read = offsetsIn((await hinted.readPlanned(hinted.planRead(10, { maxBytes: 150 })))!)
    const next = read[read.length - 1]! + 1
    for (const l of [hinted, plain]) {
      l.truncateTo(next)
      l.appendAsLeader(batch(7), { leaderEpoch: 0 })
    }
    const opts = { maxBytes: 1, minOneMessage: true }
    const { segment: _s, generation: _g, ...expected } = plain.planRead(next, opts)
    expect(hinted.planRead(next, opts)).toMatchObject(expected)
  })

  it('rolls on segment.ms from the first batch timestamp', () => {
    const e = env()
    const log = e.open({ segmentMs: 1000 })
    const t = 1_700_000_000_000
    log.appendAsLeader(batch(1, {}, t), { leaderEpoch: 0 })
    log.appendAsLeader(batch(1, {}, t + 500), { leaderEpoch: 0 })
    expect(log.numberOfSegments).toBe(1)
    log.appendAsLeader(batch(1, {}, t + 1001), { leaderEpoch: 0 })
    expect(log.numberOfSegments).toBe(2)
    expect(log.activeSegment.baseOffset).toBe(2)
  })

  it('adds index entries every index.interval.bytes like Kafka 3.x', () => {
    const e = env()
    const log = e.open({ indexIntervalBytes: 200 })
    const sizes: number[] = []
    for (let i = 0; i < 20; i++) {
      const b = batch(2)
      sizes.push(b.length)
      log.appendAsLeader(b, { leaderEpoch: 0 })
    }
    log.flushAll()
    const idx = readFileSync(join(e.dir, '00000000000000000000.index'))
    expect(idx.length % 8).toBe(0)
    expect(idx.length).toBeGreaterThan(0)
    // replay LogSegment.append: entry (largest offset of the append → its position) once > interval bytes passed
    const expected: Array<[number, number]> = []
    let since = 0
    let pos = 0
    for (let i = 0; i < 20; i++) {
      if (since > 200) {
        expected.push([i * 2 + 1, pos])
        since = 0
      }
      since += sizes[i]!
      pos += sizes[i]!
    }
    const actual: Array<[number, number]> = []
    for (let p = 0; p < idx.length; p += 8) actual.push([idx.readInt32BE(p), idx.readInt32BE(p + 4)])
    expect(actual).toEqual(expected)
    const tidx = readFileSync(join(e.dir, '00000000000000000000.timeindex'))
    expect(tidx.length % 12).toBe(0)
    expect(Number(tidx.readBigInt64BE(0))).toBe(1_700_000_000_000)
    // lookups through the index land on the right batch
    const seg = log.activeSegment
    expect(seg.offsetIndex.lookup(13)).toEqual({
      offset: actual.filter(([o]) => o <= 13).at(-1)![0],
      position: actual.filter(([o]) => o <= 13).at(-1)![1],
    })
    expect(seg.translateOffset(13)?.offset).toBe(13)
    expect(seg.translateOffset(12)?.offset).toBe(13)
  })

  it('honours maxBytes, minOneMessage and maxOffset', () => {
    const e = env()
    const log = e.open()
    const sizes = [batch(3).length, batch(3).length, batch(3).length]
    for (let i = 0; i < 3; i++) log.appendAsLeader(batch(3), { leaderEpoch: 0 })
    // a maxBytes below the first batch: nothing, or the whole batch with minOneMessage
    const none = log.read(0, { maxBytes: 10 })
    expect(none.records.length).toBe(10)
    expect(none.firstEntryIncomplete).toBe(true)
    const one = log.read(0, { maxBytes: 10, minOneMessage: true })
    expect(one.records.length).toBe(sizes[0])
    // a raw byte range: it may end in a partial batch
    const partial = log.read(0, { maxBytes: sizes[0]! + 20 })
    expect(partial.records.length).toBe(sizes[0]! + 20)
    expect(offsetsIn(partial.records)).toEqual([0, 1, 2])
    // maxOffset (the high watermark) is exclusive and stops at the batch holding it
    expect(log.read(0, { maxBytes: 1 << 20, maxOffset: 6 }).records.length).toBe(sizes[0]! + sizes[1]!)
    expect(log.read(0, { maxBytes: 1 << 20, maxOffset: 5 }).records.length).toBe(sizes[0])
    expect(log.read(6, { maxBytes: 1 << 20, maxOffset: 6 }).records.length).toBe(0)
    expect(log.read(7, { maxBytes: 1 << 20, maxOffset: 6 }).records.length).toBe(0)
    expect(log.read(9, { maxBytes: 1 << 20 }).records.length).toBe(0)
    expect(code(() => log.read(10, { maxBytes: 100 }))).toBe(ErrorCode.OFFSET_OUT_OF_RANGE)
    expect(code(() => log.read(-1, { maxBytes: 100 }))).toBe(ErrorCode.OFFSET_OUT_OF_RANGE)
  })

  it('sets LogAppendTime, recomputing the CRC', () => {
    const e = env()
    const log = e.open({ messageTimestampType: 'LogAppendTime' })
    const b = batch(2, {}, 1000)
    const r = log.appendAsLeader(b, { leaderEpoch: 0, now: 1_800_000_000_000 })
    expect(r.logAppendTime).toBe(1_800_000_000_000)
    const stored = log.read(0, { maxBytes: 1 << 20 }).records
    const h = readBatchHeader(stored)
    expect(h.timestampType).toBe('LogAppendTime')
    expect(h.maxTimestamp).toBe(1_800_000_000_000)
    expect(h.baseTimestamp).toBe(1000)
    expect(verifyCrc(stored)).toBe(true)
    expect(readRecords(stored).map((x) => x.timestamp)).toEqual([1_800_000_000_000, 1_800_000_000_000])
  })

  it('appends gzip batches without touching the payload', () => {
    const e = env()
    const log = e.open({ cleanupPolicy: ['compact'] })
    const b = batch(5, { compression: Compression.GZIP })
    const payload = Buffer.from(b.subarray(61))
    log.appendAsLeader(b, { leaderEpoch: 0 })
    const stored = log.read(0, { maxBytes: 1 << 20 }).records
    expect(stored.subarray(61).equals(payload)).toBe(true)
    expect(readRecords(stored).map((r) => r.offset)).toEqual([0, 1, 2, 3, 4])
  })
})

describe('Log validation (LogValidator, magic 2)', () => {
  it('CORRUPT_MESSAGE for a bad CRC or a batch below 61 bytes', () => {
    const log = env().open()
    const b = batch(1)
    b[b.length - 1]! ^= 1
    expect(code(() => log.appendAsLeader(b, { leaderEpoch: 0 }))).toBe(ErrorCode.CORRUPT_MESSAGE)
    const short = batch(1).subarray(0, 40)
    short.writeInt32BE(28, 8)
    expect(code(() => log.appendAsLeader(Buffer.from(short), { leaderEpoch: 0 }))).toBe(
      ErrorCode.CORRUPT_MESSAGE,
    )
    const tiny = Buffer.alloc(30)
    tiny.writeInt32BE(5, 8)
    expect(code(() => log.appendAsLeader(tiny, { leaderEpoch: 0 }))).toBe(ErrorCode.CORRUPT_MESSAGE)
    const badMagic = batch(1)
    badMagic.writeInt8(5, 16)
    expect(code(() => log.appendAsLeader(badMagic, { leaderEpoch: 0 }))).toBe(ErrorCode.CORRUPT_MESSAGE)
    expect(log.logEndOffset).toBe(0)
  })

  it('UNSUPPORTED_FOR_MESSAGE_FORMAT for legacy message sets', () => {
    const log = env().open()
    // a magic 1 message: crc, magic, attributes, timestamp, null key, null value
    const legacy = Buffer.alloc(12 + 22)
    legacy.writeBigInt64BE(0n, 0)
    legacy.writeInt32BE(22, 8)
    legacy.writeInt8(1, 16)
    legacy.writeInt32BE(-1, 26)
    legacy.writeInt32BE(-1, 30)
    expect(code(() => log.appendAsLeader(legacy, { leaderEpoch: 0 }))).toBe(
      ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
    )
  })

  it('INVALID_RECORD for inconsistent offsets and counts, control batches, missing sequences, several batches', () => {
    const log = env().open()
    const notZero = batch(1, { baseOffset: 5 })
    expect(code(() => log.appendAsLeader(notZero, { leaderEpoch: 0 }))).toBe(ErrorCode.INVALID_RECORD)
    const delta = batch(3)
    delta.writeInt32BE(5, 23)
    expect(code(() => log.appendAsLeader(recrc(delta), { leaderEpoch: 0 }))).toBe(ErrorCode.INVALID_RECORD)
    const negative = batch(1)
    negative.writeInt32BE(-1, 23)
    expect(code(() => log.appendAsLeader(recrc(negative), { leaderEpoch: 0 }))).toBe(ErrorCode.INVALID_RECORD)
    const zeroCount = batch(1)
    zeroCount.writeInt32BE(0, 57)
    expect(code(() => log.appendAsLeader(recrc(zeroCount), { leaderEpoch: 0 }))).toBe(
      ErrorCode.INVALID_RECORD,
    )
    const control = buildEndTxnMarker({ producerId: 1, producerEpoch: 0, coordinatorEpoch: 0, commit: true })
    expect(code(() => log.appendAsLeader(control, { leaderEpoch: 0 }))).toBe(ErrorCode.INVALID_RECORD)
    const noSeq = batch(1, { producerId: 7, producerEpoch: 0, baseSequence: -1 })
    expect(code(() => log.appendAsLeader(noSeq, { leaderEpoch: 0 }))).toBe(ErrorCode.INVALID_RECORD)
    const two = Buffer.concat([batch(1), batch(1)])
    expect(code(() => log.appendAsLeader(two, { leaderEpoch: 0 }))).toBe(ErrorCode.INVALID_RECORD)
    expect(log.logEndOffset).toBe(0)
    expect(log.size).toBe(0)
  })

  it('INVALID_RECORD with record errors for null keys on compacted topics', () => {
    const log = env().open({ cleanupPolicy: ['compact'] })
    const b = buildRecordBatch({
      records: [
        { key: 'a', value: '1' },
        { key: null, value: '2' },
      ],
    })
    try {
      log.appendAsLeader(b, { leaderEpoch: 0 })
      expect.fail('expected an error')
    } catch (e) {
      expect(e).toBeInstanceOf(RecordValidationError)
      expect((e as RecordValidationError).code).toBe(ErrorCode.INVALID_RECORD)
      expect((e as RecordValidationError).recordErrors).toEqual([
        {
          batchIndex: 1,
          message: 'Compacted topic cannot accept message without key in topic partition topic-0',
        },
      ])
    }
    expect(log.appendAsLeader(batch(2), { leaderEpoch: 0 }).lastOffset).toBe(1)
  })

  it('MESSAGE_TOO_LARGE above max.message.bytes, RECORD_LIST_TOO_LARGE above segment.bytes', () => {
    const log = env().open({ maxMessageBytes: 200 })
    expect(code(() => log.appendAsLeader(batch(20), { leaderEpoch: 0 }))).toBe(ErrorCode.MESSAGE_TOO_LARGE)
    const log2 = env().open({ segmentBytes: 100, maxMessageBytes: 10000 })
    expect(code(() => log2.appendAsLeader(batch(20), { leaderEpoch: 0 }))).toBe(
      ErrorCode.RECORD_LIST_TOO_LARGE,
    )
  })

  it('INVALID_TIMESTAMP outside message.timestamp.before/after.max.ms and for producer LogAppendTime', () => {
    const e = env()
    const now = e.clock.now()
    const log = e.open({ messageTimestampBeforeMaxMs: 1000, messageTimestampAfterMaxMs: 500 })
    expect(code(() => log.appendAsLeader(batch(1, {}, now - 1001), { leaderEpoch: 0 }))).toBe(
      ErrorCode.INVALID_TIMESTAMP,
    )
    expect(code(() => log.appendAsLeader(batch(1, {}, now + 501), { leaderEpoch: 0 }))).toBe(
      ErrorCode.INVALID_TIMESTAMP,
    )
    expect(log.appendAsLeader(batch(1, {}, now - 1000), { leaderEpoch: 0 }).firstOffset).toBe(0)
    expect(log.appendAsLeader(batch(1, {}, now + 500), { leaderEpoch: 0 }).firstOffset).toBe(1)
    // a record inside the batch that is out of range is found by walking the records
    const mixed = buildRecordBatch({
      records: [
        { value: 'a', timestamp: now },
        { value: 'b', timestamp: now - 5000 },
      ],
    })
    try {
      log.appendAsLeader(mixed, { leaderEpoch: 0 })
      expect.fail('expected an error')
    } catch (err) {
      expect((err as RecordValidationError).code).toBe(ErrorCode.INVALID_TIMESTAMP)
      expect((err as RecordValidationError).recordErrors[0]!.batchIndex).toBe(1)
    }
    const lat = env().open({ messageTimestampType: 'LogAppendTime' })
    const fromProducer = batch(1, { timestampType: 'LogAppendTime' })
    expect(code(() => lat.appendAsLeader(fromProducer, { leaderEpoch: 0 }))).toBe(ErrorCode.INVALID_TIMESTAMP)
  })

  it('checks every batch before writing anything', () => {
    const log = env().open()
    const good = batch(1)
    const bad = batch(1)
    bad[bad.length - 1]! ^= 1
    expect(code(() => log.appendAsLeader(Buffer.concat([good, bad]), { leaderEpoch: 0 }))).toBe(
      ErrorCode.CORRUPT_MESSAGE,
    )
    expect(log.size).toBe(0)
  })

  it('drops a trailing partial batch', () => {
    const log = env().open()
    const b = batch(2)
    const r = log.appendAsLeader(Buffer.concat([b, batch(1).subarray(0, 30)]), { leaderEpoch: 0 })
    expect(r.lastOffset).toBe(1)
    expect(log.size).toBe(b.length)
  })
})

/**
 * A v2 batch of `count` records around a hand-made record payload, compressed with `compression`: what a producer
 * that gets the records wrong would send (header fields consistent, CRC right).
 */
function craftBatch(payload: Buffer, count: number, compression: number, now = 1_700_000_000_000): Buffer {
  const template = buildRecordBatch({ records: [{ value: 'x', timestamp: now }], now })
  const packed = compress(compression, payload)
  const b = Buffer.concat([template.subarray(0, 61), packed])
  b.writeInt32BE(b.length - 12, 8)
  b.writeInt16BE(compression, 21)
  b.writeInt32BE(count - 1, 23)
  b.writeInt32BE(count, 57)
  return recrc(b)
}

/** One record as DefaultRecord encodes it; `tweak` edits the body before its length is written. */
function record(
  o: { offsetDelta?: number; timestampDelta?: number; key?: string | null; value?: string; headers?: number },
  tweak?: (w: Writer) => void,
): Buffer {
  const w = new Writer(64)
  w.int8(0)
    .varlong(o.timestampDelta ?? 0)
    .varint(o.offsetDelta ?? 0)
  const key = o.key === undefined ? 'k' : o.key
  if (key === null) w.varint(-1)
  else w.varint(key.length).raw(Buffer.from(key))
  const value = Buffer.from(o.value ?? 'v')
  w.varint(value.length).raw(value)
  w.varint(o.headers ?? 0)
  tweak?.(w)
  const body = w.toBuffer()
  return new Writer(body.length + 5).varint(body.length).raw(body).toBuffer()
}

const records = (n: number): Buffer[] => Array.from({ length: n }, (_, i) => record({ offsetDelta: i }))

const ALL_CODECS = [Compression.NONE, Compression.GZIP, Compression.SNAPPY, Compression.LZ4, Compression.ZSTD]

describe('Log validation of every record (LogValidator: compressed batches are inflated, never stored unread)', () => {
  /** The code and message of a refused append, after checking that nothing was written. */
  function refuse(log: Log, b: Buffer): { code: number; message: string } {
    try {
      log.appendAsLeader(b, { leaderEpoch: 0 })
    } catch (e) {
      expect(e).toBeInstanceOf(KafkaError)
      expect(log.logEndOffset).toBe(0)
      expect(log.size).toBe(0)
      return { code: (e as KafkaError).code, message: (e as Error).message }
    }
    throw new Error('the append was accepted')
  }

  for (const codec of ALL_CODECS) {
    it(`${compressionName(codec)}: a record count or record bytes that do not match the payload are INVALID_RECORD`, () => {
      const log = env().open()
      // one record fewer than the header counts
      expect(refuse(log, craftBatch(Buffer.concat(records(2)), 3, codec))).toEqual({
        code: ErrorCode.INVALID_RECORD,
        message: expect.stringMatching(/premature EOF/),
      })
      // one record more
      expect(refuse(log, craftBatch(Buffer.concat(records(3)), 2, codec)).message).toMatch(
        /records still remaining/,
      )
      // bytes after the last record
      const trailing = Buffer.concat([...records(2), Buffer.from([0])])
      expect(refuse(log, craftBatch(trailing, 2, codec)).message).toMatch(/records still remaining/)
      // a record whose length counts a byte its fields do not take
      const padded = record({}, (w) => w.int8(0))
      expect(refuse(log, craftBatch(padded, 1, codec)).message).toMatch(
        /Invalid record size: expected to read \d+ bytes in record payload, but instead read/,
      )
      // a varint of six bytes, a negative header count, a negative header key length
      const sixBytes = Buffer.from([0x10, 0x00, 0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]) // offset delta
      expect(refuse(log, craftBatch(sixBytes, 1, codec))).toEqual({
        code: ErrorCode.INVALID_RECORD,
        message: expect.stringMatching(/varint longer than 5 bytes/),
      })
      expect(refuse(log, craftBatch(record({ headers: -1 }), 1, codec)).message).toMatch(
        /invalid number of record headers/,
      )
      const badHeaderKey = record({ headers: 1 }, (w) => w.varint(-2).varint(-1))
      expect(refuse(log, craftBatch(badHeaderKey, 1, codec)).message).toMatch(/negative header key size/)
      // a record count of zero the header agrees with is still refused (Kafka's validateBatch)
      expect(refuse(log, craftBatch(Buffer.alloc(0), 0, codec)).code).toBe(ErrorCode.INVALID_RECORD)
      // the log still takes a good batch
      expect(
        log.appendAsLeader(craftBatch(Buffer.concat(records(2)), 2, codec), { leaderEpoch: 0 }),
      ).toMatchObject({ firstOffset: 0, lastOffset: 1 })
    })
  }

  for (const codec of ALL_CODECS.filter((c) => c !== Compression.NONE)) {
    it(`${compressionName(codec)}: Kafka's codes for a payload that does not inflate (UNKNOWN_SERVER_ERROR), is cut short, fails its CRC (CORRUPT_MESSAGE) or inflates past its limit (CORRUPT_MESSAGE)`, () => {
      const log = env().open()
      // a bad CRC is found before anything is inflated (DefaultRecordBatch.ensureValid)
      const good = craftBatch(Buffer.concat(records(2)), 2, codec)
      const badCrc = Buffer.from(good)
      badCrc[badCrc.length - 1]! ^= 0xff
      expect(refuse(log, badCrc).code).toBe(ErrorCode.CORRUPT_MESSAGE)
      // garbage with a valid CRC: the codec's stream fails (an IOException, wrapped in a KafkaException)
      const garbage = craftBatch(Buffer.concat(records(2)), 2, codec)
      for (let i = 61 + 8; i < garbage.length; i++) garbage[i] = 0xa5
      expect(refuse(log, recrc(garbage))).toEqual({
        code: ErrorCode.UNKNOWN_SERVER_ERROR,
        message: expect.stringMatching(/Failed to decompress record stream/),
      })
      // cut in the middle of its data: gzip's InflaterInputStream reports an EOFException (INVALID_RECORD); lz4
      // ("Stream ended prematurely"), snappy ("failed to read chunk") and zstd ("truncated source") IOExceptions
      const big = craftBatch(Buffer.concat(records(200)), 200, codec)
      const cut = (b: Buffer, keep: number): Buffer => {
        const c = Buffer.from(b.subarray(0, keep))
        c.writeInt32BE(c.length - 12, 8)
        return recrc(c)
      }
      expect(refuse(log, cut(big, 61 + Math.floor((big.length - 61) / 2)))).toEqual(
        codec === Compression.GZIP
          ? { code: ErrorCode.INVALID_RECORD, message: expect.stringMatching(/premature EOF reached/) }
          : { code: ErrorCode.UNKNOWN_SERVER_ERROR, message: expect.stringMatching(/Failed to decompress/) },
      )
      if (codec === Compression.GZIP) {
        // cut inside the trailer: every record reads, the check for more bytes meets the EOF (a KafkaException)
        expect(refuse(log, cut(big, big.length - 3))).toEqual({
          code: ErrorCode.UNKNOWN_SERVER_ERROR,
          message: expect.stringMatching(/Error checking for remaining bytes after reading batch/),
        })
        // cut inside the 10-byte header: GZIPInputStream fails while being created (a KafkaException)
        expect(refuse(log, cut(big, 61 + 6)).code).toBe(ErrorCode.UNKNOWN_SERVER_ERROR)
      }
      // one record claiming 2 MiB: more than 1 × max.message.bytes inflated (a decompression bomb)
      const bomb = buildRecordBatch({ records: [{ value: Buffer.alloc(2 << 20) }], compression: codec })
      expect(bomb.length).toBeLessThan(1 << 18)
      expect(refuse(log, bomb)).toEqual({
        code: ErrorCode.CORRUPT_MESSAGE,
        message: expect.stringMatching(/decompression bomb/),
      })
    })
  }

  it('null keys on a compacted topic and timestamps out of range inside compressed batches: record errors', () => {
    const e = env()
    const now = e.clock.now()
    const compacted = e.open({ cleanupPolicy: ['compact'] })
    const keyless = buildRecordBatch({
      records: [
        { key: 'a', value: '1' },
        { key: null, value: '2' },
        { key: null, value: '3' },
      ],
      compression: Compression.LZ4,
      now,
    })
    try {
      compacted.appendAsLeader(keyless, { leaderEpoch: 0 })
      expect.fail('expected an error')
    } catch (err) {
      expect((err as RecordValidationError).code).toBe(ErrorCode.INVALID_RECORD)
      expect((err as RecordValidationError).recordErrors.map((r) => r.batchIndex)).toEqual([1, 2])
    }
    const bounded = env().open({ messageTimestampBeforeMaxMs: 1000, messageTimestampAfterMaxMs: 1000 })
    const late = buildRecordBatch({
      records: [
        { key: 'a', value: '1', timestamp: now },
        { key: 'b', value: '2', timestamp: now + 5000 },
      ],
      compression: Compression.ZSTD,
      now,
    })
    try {
      bounded.appendAsLeader(late, { leaderEpoch: 0, now })
      expect.fail('expected an error')
    } catch (err) {
      expect((err as RecordValidationError).code).toBe(ErrorCode.INVALID_TIMESTAMP)
      expect((err as RecordValidationError).recordErrors.map((r) => r.batchIndex)).toEqual([1])
    }
  })

  it('a compressed batch whose offset deltas are not 0..n-1 is rebuilt in its codec, as Kafka does', () => {
    const log = env().open()
    const now = 1_700_000_000_000
    const shuffled = [record({ offsetDelta: 0, value: 'a' }), record({ offsetDelta: 7, value: 'b' })]
    const b = craftBatch(Buffer.concat(shuffled), 2, Compression.GZIP, now)
    const r = log.appendAsLeader(b, { leaderEpoch: 3 })
    expect(r).toMatchObject({ firstOffset: 0, lastOffset: 1, recordCount: 2 })
    const stored = log.read(0, { maxBytes: 1 << 20 }).records
    const h = readBatchHeader(stored)
    expect(h).toMatchObject({ compression: Compression.GZIP, recordCount: 2, partitionLeaderEpoch: 3 })
    expect(stored.length).toBe(h.sizeInBytes)
    expect(verifyCrc(stored)).toBe(true)
    expect(readRecords(stored).map((x) => [x.offset, x.value!.toString()])).toEqual([
      [0, 'a'],
      [1, 'b'],
    ])
    expect(log.appendAsLeader(batch(1), { leaderEpoch: 3 }).firstOffset).toBe(2)
    // uncompressed: the bytes stay (Kafka only rebuilds compressed batches)
    const plain = craftBatch(Buffer.concat(shuffled), 2, Compression.NONE, now)
    const copy = Buffer.from(plain.subarray(61))
    log.appendAsLeader(plain, { leaderEpoch: 3 })
    expect(plain.subarray(61).equals(copy)).toBe(true)
  })

  it('MaxTimestamp is set from the records, as Kafka sets it', () => {
    const log = env().open()
    const now = 1_700_000_000_000
    const payload = Buffer.concat([
      record({ timestampDelta: 5 }),
      record({ offsetDelta: 1, timestampDelta: 9 }),
    ])
    for (const codec of [Compression.NONE, Compression.LZ4]) {
      const b = craftBatch(payload, 2, codec, now) // the template's MaxTimestamp is `now`: wrong
      const r = log.appendAsLeader(b, { leaderEpoch: 0 })
      expect(r.maxTimestamp).toBe(now + 9)
      expect(readBatchHeader(b).maxTimestamp).toBe(now + 9)
      expect(verifyCrc(b)).toBe(true)
    }
  })
})

describe('compression.type: the leader stores the topic codec (LogValidator re-encodes)', () => {
  const now = 1_700_000_000_000
  const TARGETS = ['producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'] as const
  const targetCode: Record<(typeof TARGETS)[number], number | undefined> = {
    producer: undefined,
    uncompressed: Compression.NONE,
    gzip: Compression.GZIP,
    snappy: Compression.SNAPPY,
    lz4: Compression.LZ4,
    zstd: Compression.ZSTD,
  }
  const recs = [
    { key: 'k0', value: 'v0', timestamp: now - 5, headers: [{ key: 'h', value: 'x' }] },
    { key: null, value: null, timestamp: now + 3, headers: [{ key: 'n', value: null }] },
    { key: 'k2', value: 'v2'.repeat(50), timestamp: now },
  ]
  const view = (buf: Buffer) =>
    readRecords(buf).map((r) => [
      r.offset,
      r.timestamp,
      r.key?.toString() ?? null,
      r.value?.toString() ?? null,
      r.headers.map((h) => [h.key, h.value?.toString() ?? null]),
    ])

  it('every source codec to every target: stored in the target, records, offsets and producer fields kept', () => {
    for (const target of TARGETS) {
      const log = env().open({ compressionType: target })
      let next = 0
      for (const source of ALL_CODECS) {
        const b = buildRecordBatch({
          records: recs,
          now,
          compression: source,
          producerId: 42,
          producerEpoch: 3,
          baseSequence: source * 3,
        })
        const r = log.appendAsLeader(b, { leaderEpoch: 5 })
        expect(r).toMatchObject({
          firstOffset: next,
          lastOffset: next + 2,
          recordCount: 3,
          maxTimestamp: now + 3,
        })
        const stored = log.read(next, { maxBytes: 1 << 20 }).records
        const h = readBatchHeader(stored)
        expect(h, `${compressionName(source)} -> ${target}`).toMatchObject({
          compression: targetCode[target] ?? source,
          baseOffset: next,
          lastOffsetDelta: 2,
          recordCount: 3,
          partitionLeaderEpoch: 5,
          producerId: 42,
          producerEpoch: 3,
          baseSequence: source * 3,
          isTransactional: false,
          isControl: false,
          maxTimestamp: now + 3,
          timestampType: 'CreateTime',
        })
        expect(stored.length).toBe(h.sizeInBytes)
        expect(verifyCrc(stored)).toBe(true)
        expect(view(stored)).toEqual(view(buildRecordBatch({ records: recs, now, baseOffset: next })))
        next += 3
      }
      // an idempotent retry of a re-encoded batch is still recognised as the duplicate it is
      const retry = buildRecordBatch({
        records: recs,
        now,
        compression: Compression.SNAPPY,
        producerId: 42,
        producerEpoch: 3,
        baseSequence: Compression.ZSTD * 3,
      })
      expect(log.appendAsLeader(retry, { leaderEpoch: 5 })).toMatchObject({
        firstOffset: next - 3,
        lastOffset: next - 1,
      })
      expect(log.logEndOffset).toBe(next)
    }
  })

  it('the compression levels apply when re-encoding (gzip, zstd)', () => {
    const big = Array.from({ length: 50 }, (_, i) => ({
      key: `k${i}`,
      value: `value ${i % 7} `.repeat(40),
      timestamp: now,
    }))
    const sizes = (config: Partial<LogConfig>): number => {
      const log = env().open(config)
      log.appendAsLeader(buildRecordBatch({ records: big, now }), { leaderEpoch: 0 })
      const stored = log.read(0, { maxBytes: 1 << 22 }).records
      expect(readRecords(stored)).toHaveLength(50)
      return readBatchHeader(stored).sizeInBytes
    }
    expect(sizes({ compressionType: 'gzip', compressionGzipLevel: 1 })).toBeGreaterThan(
      sizes({ compressionType: 'gzip', compressionGzipLevel: 9 }),
    )
    expect(sizes({ compressionType: 'zstd', compressionZstdLevel: -50 })).toBeGreaterThan(
      sizes({ compressionType: 'zstd', compressionZstdLevel: 19 }),
    )
  })

  it('a transactional batch keeps its flag; the end marker (a control batch) is never compressed', () => {
    const log = env().open({ compressionType: 'lz4' })
    const b = buildRecordBatch({
      records: recs,
      now,
      producerId: 7,
      producerEpoch: 1,
      baseSequence: 0,
      isTransactional: true,
    })
    log.appendAsLeader(b, { leaderEpoch: 0 })
    const marker = buildEndTxnMarker({
      producerId: 7,
      producerEpoch: 1,
      coordinatorEpoch: 0,
      commit: true,
      timestamp: now,
    })
    log.appendAsLeader(marker, { leaderEpoch: 0, origin: 'coordinator' })
    const stored = log.read(0, { maxBytes: 1 << 20 }).records
    const first = readBatchHeader(stored)
    expect(first).toMatchObject({ compression: Compression.LZ4, isTransactional: true, producerId: 7 })
    const second = readBatchHeader(stored, first.sizeInBytes)
    expect(second).toMatchObject({ compression: Compression.NONE, isControl: true, baseOffset: 3 })
  })

  it('a compacted topic: keys are checked before re-encoding, keyed records are re-encoded', () => {
    const log = env().open({ compressionType: 'zstd', cleanupPolicy: ['compact'] })
    expect(code(() => log.appendAsLeader(buildRecordBatch({ records: recs, now }), { leaderEpoch: 0 }))).toBe(
      ErrorCode.INVALID_RECORD,
    )
    expect(log.logEndOffset).toBe(0)
    const keyed = recs.map((r, i) => ({ ...r, key: `key${i}` }))
    log.appendAsLeader(buildRecordBatch({ records: keyed, now, compression: Compression.GZIP }), {
      leaderEpoch: 0,
    })
    const stored = log.read(0, { maxBytes: 1 << 20 }).records
    expect(readBatchHeader(stored).compression).toBe(Compression.ZSTD)
    expect(readRecords(stored).map((r) => r.key!.toString())).toEqual(['key0', 'key1', 'key2'])
  })
})

describe('idempotent producers', () => {
  const pid = 4000
  const idem = (seq: number, n = 2, epoch = 0): Buffer =>
    batch(n, { producerId: pid, producerEpoch: epoch, baseSequence: seq })

  it('answers a retried batch with its original offsets', () => {
    const log = env().open()
    expect(log.appendAsLeader(idem(0), { leaderEpoch: 0 })).toMatchObject({ firstOffset: 0, lastOffset: 1 })
    expect(log.appendAsLeader(idem(2), { leaderEpoch: 0 })).toMatchObject({ firstOffset: 2, lastOffset: 3 })
    const size = log.size
    const dup = log.appendAsLeader(idem(0), { leaderEpoch: 0 })
    expect(dup).toMatchObject({ firstOffset: 0, lastOffset: 1, duplicate: true })
    expect(log.size).toBe(size)
    expect(log.logEndOffset).toBe(4)
  })

  it('remembers the last 5 batches', () => {
    const log = env().open()
    for (let i = 0; i < 6; i++) log.appendAsLeader(idem(i * 2), { leaderEpoch: 0 })
    expect(log.appendAsLeader(idem(2), { leaderEpoch: 0 }).duplicate).toBe(true)
    // the first batch fell out of the window: it is out of order now
    expect(code(() => log.appendAsLeader(idem(0), { leaderEpoch: 0 }))).toBe(
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    )
  })

  it('rejects sequence gaps and a new epoch not starting at 0', () => {
    const log = env().open()
    log.appendAsLeader(idem(0), { leaderEpoch: 0 })
    expect(code(() => log.appendAsLeader(idem(5), { leaderEpoch: 0 }))).toBe(
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    )
    expect(code(() => log.appendAsLeader(idem(3, 2, 1), { leaderEpoch: 0 }))).toBe(
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    )
    expect(log.appendAsLeader(idem(0, 2, 1), { leaderEpoch: 0 }).firstOffset).toBe(2)
    expect(log.appendAsLeader(idem(2, 2, 1), { leaderEpoch: 0 }).firstOffset).toBe(4)
  })

  it('fences a lower epoch', () => {
    const log = env().open()
    log.appendAsLeader(idem(0, 1, 3), { leaderEpoch: 0 })
    expect(code(() => log.appendAsLeader(idem(1, 1, 2), { leaderEpoch: 0 }))).toBe(
      ErrorCode.INVALID_PRODUCER_EPOCH,
    )
  })

  it('accepts any first sequence from an unknown producer, and wraps at Int32.MAX', () => {
    const log = env().open()
    log.appendAsLeader(idem(2147483646, 2), { leaderEpoch: 0 })
    expect(log.appendAsLeader(idem(0, 3), { leaderEpoch: 0 }).firstOffset).toBe(2)
    expect(log.appendAsLeader(idem(2147483646, 2), { leaderEpoch: 0 }).duplicate).toBe(true)
    expect(log.activeProducers()).toEqual([
      expect.objectContaining({
        producerId: pid,
        producerEpoch: 0,
        lastSequence: 2,
        currentTxnStartOffset: -1,
      }),
    ])
  })

  it('keeps producer state across a restart (snapshot) and after an unclean one (replay)', () => {
    const e = env()
    let log = e.open()
    log.appendAsLeader(idem(0), { leaderEpoch: 0 })
    log.appendAsLeader(idem(2), { leaderEpoch: 0 })
    log.close()
    expect(readdirSync(e.dir)).toContain('00000000000000000004.snapshot')
    log = e.open()
    expect(log.appendAsLeader(idem(2), { leaderEpoch: 0 }).duplicate).toBe(true)
    expect(code(() => log.appendAsLeader(idem(9), { leaderEpoch: 0 }))).toBe(
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    )
    log.appendAsLeader(idem(4), { leaderEpoch: 0 })
    log.closeHandlers() // crash: no snapshot at 6
    log = e.open({}, { hadCleanShutdown: false, recoveryPoint: 0 })
    expect(log.logEndOffset).toBe(6)
    expect(log.appendAsLeader(idem(4), { leaderEpoch: 0 }).duplicate).toBe(true)
    expect(log.appendAsLeader(idem(6), { leaderEpoch: 0 }).firstOffset).toBe(6)
  })

  it('expires idle producers after producer.id.expiration.ms', async () => {
    const e = env()
    const log = e.open({}, { producerIdExpirationMs: 1000, producerIdExpirationCheckIntervalMs: 100 })
    log.appendAsLeader(idem(0), { leaderEpoch: 0 })
    expect(log.activeProducers()).toHaveLength(1)
    await e.scheduler.advance(1100)
    expect(log.activeProducers()).toHaveLength(0)
  })
})

describe('transactions', () => {
  it('tracks open transactions, the last stable offset and aborted transactions', () => {
    const e = env()
    const log = e.open()
    const txn = (seq: number): Buffer =>
      batch(2, { producerId: 9, producerEpoch: 1, baseSequence: seq, isTransactional: true })
    log.appendAsLeader(batch(1), { leaderEpoch: 0 })
    log.appendAsLeader(txn(0), { leaderEpoch: 0 })
    log.updateHighWatermark(log.logEndOffset)
    expect(log.firstUnstableOffset).toBe(1)
    expect(log.lastStableOffset).toBe(1)
    expect(log.activeProducers()[0]!.currentTxnStartOffset).toBe(1)
    // a non-transactional write in the middle of a transaction
    expect(
      code(() =>
        log.appendAsLeader(batch(1, { producerId: 9, producerEpoch: 1, baseSequence: 2 }), {
          leaderEpoch: 0,
        }),
      ),
    ).toBe(ErrorCode.INVALID_TXN_STATE)
    const abort = buildEndTxnMarker({
      producerId: 9,
      producerEpoch: 1,
      coordinatorEpoch: 3,
      commit: false,
      timestamp: e.clock.now(),
    })
    expect(log.appendAsLeader(abort, { leaderEpoch: 0, origin: 'coordinator' }).firstOffset).toBe(3)
    expect(log.lastStableOffset).toBe(1) // the marker is not below the high watermark yet
    log.updateHighWatermark(log.logEndOffset)
    expect(log.firstUnstableOffset).toBeUndefined()
    expect(log.lastStableOffset).toBe(4)
    expect(log.collectAbortedTransactions(0, 4)).toEqual([
      { producerId: 9, firstOffset: 1, lastOffset: 3, lastStableOffset: 4 },
    ])
    expect(readdirSync(e.dir)).toContain('00000000000000000000.txnindex')
    const txnIndex = readFileSync(join(e.dir, '00000000000000000000.txnindex'))
    expect(txnIndex.length).toBe(34)
    expect(txnIndex.readInt16BE(0)).toBe(0)
    expect(Number(txnIndex.readBigInt64BE(2))).toBe(9)
    expect(log.activeProducers()[0]).toMatchObject({ coordinatorEpoch: 3, currentTxnStartOffset: -1 })
    // a zombie coordinator
    const stale = buildEndTxnMarker({
      producerId: 9,
      producerEpoch: 1,
      coordinatorEpoch: 2,
      commit: true,
      timestamp: e.clock.now(),
    })
    expect(code(() => log.appendAsLeader(stale, { leaderEpoch: 0, origin: 'coordinator' }))).toBe(
      ErrorCode.TRANSACTION_COORDINATOR_FENCED,
    )
  })
})

describe('transaction verification (KIP-890)', () => {
  const txn = (seq: number, epoch = 1): Buffer =>
    batch(1, { producerId: 9, producerEpoch: epoch, baseSequence: seq, isTransactional: true })
  const marker = (commit: boolean, now: number): Buffer =>
    buildEndTxnMarker({ producerId: 9, producerEpoch: 1, coordinatorEpoch: 0, commit, timestamp: now })

  it('refuses the first transactional write without the guard of a verification', () => {
    const e = env()
    const log = e.open({}, { transactionVerificationEnabled: true })
    expect(code(() => log.appendAsLeader(txn(0), { leaderEpoch: 0 }))).toBe(ErrorCode.INVALID_TXN_STATE)
    const guard = log.maybeStartTransactionVerification(9, 0, 1)
    expect(guard).toBeDefined()
    // a second verification before the write shares the guard
    expect(log.maybeStartTransactionVerification(9, 0, 1)).toBe(guard)
    log.appendAsLeader(txn(0), { leaderEpoch: 0, verificationGuard: guard })
    // the transaction is open here now: nothing more to verify, later writes need no guard
    expect(log.maybeStartTransactionVerification(9, 1, 1)).toBeUndefined()
    log.appendAsLeader(txn(1), { leaderEpoch: 0 })
  })

  it('a guard from before the transaction ended is stale (no hanging transaction from a late write)', () => {
    const e = env()
    const log = e.open({}, { transactionVerificationEnabled: true })
    const first = log.maybeStartTransactionVerification(9, 0, 1)
    log.appendAsLeader(txn(0), { leaderEpoch: 0, verificationGuard: first })
    const late = log.maybeStartTransactionVerification(9, 1, 1)
    expect(late).toBeUndefined()
    log.appendAsLeader(marker(false, e.clock.now()), { leaderEpoch: 0, origin: 'coordinator' })
    const stale = log.maybeStartTransactionVerification(9, 1, 1)!
    // the coordinator's answer for the old verification arrives after a marker ended the transaction
    log.appendAsLeader(marker(false, e.clock.now()), { leaderEpoch: 0, origin: 'coordinator' })
    expect(code(() => log.appendAsLeader(txn(1), { leaderEpoch: 0, verificationGuard: stale }))).toBe(
      ErrorCode.INVALID_TXN_STATE,
    )
    log.updateHighWatermark(log.logEndOffset)
    expect(log.firstUnstableOffset).toBeUndefined()
  })

  it('is off unless enabled, and never applies to replication', () => {
    const e = env()
    const log = e.open()
    log.appendAsLeader(txn(0), { leaderEpoch: 0 })
    expect(log.hasOngoingTransaction(9)).toBe(true)
  })
})

describe('follower appends', () => {
  it('keep the leader offsets and epochs and feed the epoch cache and producer state', () => {
    const leader = env().open()
    leader.appendAsLeader(batch(2, { producerId: 1, producerEpoch: 0, baseSequence: 0 }), { leaderEpoch: 3 })
    leader.appendAsLeader(batch(3), { leaderEpoch: 5 })
    const data = leader.read(0, { maxBytes: 1 << 20 }).records
    const follower = env().open()
    const r = follower.appendAsFollower(Buffer.from(data))
    expect(r).toMatchObject({ firstOffset: 0, lastOffset: 4 })
    expect(follower.logEndOffset).toBe(5)
    expect(follower.leaderEpochCache.entries()).toEqual([
      { epoch: 3, startOffset: 0 },
      { epoch: 5, startOffset: 2 },
    ])
    expect(follower.activeProducers()[0]).toMatchObject({ producerId: 1, lastSequence: 1 })
    expect(() => follower.appendAsFollower(Buffer.from(data))).toThrow(UnexpectedAppendOffsetError)
    expect(follower.endOffsetForEpoch(3)).toEqual({ epoch: 3, endOffset: 2 })
    expect(follower.endOffsetForEpoch(5)).toEqual({ epoch: 5, endOffset: 5 })
    expect(follower.endOffsetForEpoch(4)).toEqual({ epoch: 3, endOffset: 2 })
  })
})

describe('fetchOffsetByTimestamp', () => {
  it('answers the special timestamps and searches by time', () => {
    const e = env()
    const log = e.open({ segmentBytes: 400, indexIntervalBytes: 1 })
    const t0 = 1_700_000_000_000
    for (let i = 0; i < 10; i++) {
      const b = buildRecordBatch({
        records: [
          { value: 'a', timestamp: t0 + i * 10 },
          { value: 'b', timestamp: t0 + i * 10 + 5 },
        ],
      })
      log.appendAsLeader(b, { leaderEpoch: i < 5 ? 1 : 2 })
    }
    log.updateHighWatermark(log.logEndOffset)
    expect(log.numberOfSegments).toBeGreaterThan(1)
    expect(log.fetchOffsetByTimestamp(-2)).toEqual({ offset: 0, timestamp: -1, leaderEpoch: 1 })
    expect(log.fetchOffsetByTimestamp(-4)).toEqual({ offset: 0, timestamp: -1, leaderEpoch: 1 })
    expect(log.fetchOffsetByTimestamp(-1)).toEqual({ offset: 20, timestamp: -1, leaderEpoch: 2 })
    expect(log.fetchOffsetByTimestamp(-5)).toEqual({ offset: -1, timestamp: -1, leaderEpoch: -1 })
    expect(log.fetchOffsetByTimestamp(-3)).toEqual({ offset: 19, timestamp: t0 + 95, leaderEpoch: 2 })
    expect(log.fetchOffsetByTimestamp(t0)).toEqual({ offset: 0, timestamp: t0, leaderEpoch: 1 })
    expect(log.fetchOffsetByTimestamp(t0 + 31)).toEqual({ offset: 7, timestamp: t0 + 35, leaderEpoch: 1 })
    expect(log.fetchOffsetByTimestamp(t0 + 60)).toEqual({ offset: 12, timestamp: t0 + 60, leaderEpoch: 2 })
    expect(log.fetchOffsetByTimestamp(t0 + 1000)).toBeUndefined()
    log.maybeIncrementLogStartOffset(5)
    expect(log.fetchOffsetByTimestamp(t0)).toMatchObject({ offset: 5 })
    expect(log.fetchOffsetByTimestamp(-2)).toEqual({ offset: 5, timestamp: -1, leaderEpoch: 1 })
  })
})

describe('flush policy', () => {
  it('flush.messages moves the recovery point (the fsync off the event loop); the default leaves it to the OS', async () => {
    const e = env()
    const log = e.open({ flushMessages: 2 })
    log.appendAsLeader(batch(1), { leaderEpoch: 0 })
    await e.scheduler.advance(0)
    expect(log.recoveryPoint).toBe(0)
    log.appendAsLeader(batch(1), { leaderEpoch: 0 })
    expect(log.recoveryPoint).toBe(0) // the flush runs on a later turn
    await e.scheduler.advance(0)
    expect(log.recoveryPoint).toBe(2)
    const lazy = env().open()
    for (let i = 0; i < 10; i++) lazy.appendAsLeader(batch(1), { leaderEpoch: 0 })
    expect(lazy.recoveryPoint).toBe(0)
    lazy.flush()
    expect(lazy.recoveryPoint).toBe(10)
  })

  it('flushes rolled segments in the background', async () => {
    const e = env()
    const log = e.open({ segmentBytes: 300 })
    for (let i = 0; i < 5; i++) log.appendAsLeader(batch(2), { leaderEpoch: 0 })
    expect(log.numberOfSegments).toBeGreaterThan(1)
    expect(log.recoveryPoint).toBe(0)
    // the fsyncs run on the thread pool; advance() waits for the task that runs them
    await e.scheduler.advance(0)
    expect(log.recoveryPoint).toBe(log.activeSegment.baseOffset)
  })

  it('never moves the recovery point past what a truncation during a background flush left', async () => {
    const log = env().open({ segmentBytes: 300 })
    for (let i = 0; i < 5; i++) log.appendAsLeader(batch(2), { leaderEpoch: 0 })
    const rolledTo = log.activeSegment.baseOffset
    expect(rolledTo).toBeGreaterThan(2)
    const flushing = log.flushAsync(rolledTo) // waits for its first fsync on the thread pool
    log.truncateTo(2)
    await flushing
    expect(log.logEndOffset).toBe(2)
    expect(log.recoveryPoint).toBe(2)

    // Truncated and appended to again during the flush: the new records are flushed before the point passes them.
    for (let i = 0; i < 5; i++) log.appendAsLeader(batch(2), { leaderEpoch: 0 })
    const again = log.activeSegment.baseOffset
    const flushing2 = log.flushAsync(again)
    log.truncateTo(4)
    for (let i = 0; i < 5; i++) log.appendAsLeader(batch(2), { leaderEpoch: 0 })
    await flushing2
    expect(log.logEndOffset).toBe(14)
    // The rolls of these appends schedule their own background flushes (a delay of 0 runs by itself on a later
    // turn), which may land first and move the point further: to the base of a segment rolled after the truncation,
    // never past the log end
    const rp = log.recoveryPoint
    expect(rp).toBeGreaterThanOrEqual(again)
    expect(rp === again || log.logSegments.some((s) => s.baseOffset === rp)).toBe(true)
    expect(rp).toBeLessThanOrEqual(log.logEndOffset)
  })
})
