import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import {
  buildRecordBatch,
  computeBatchCrc,
  readBatchHeader,
  readRecords,
} from '../../protocol/records/batch.js'
import { crc32c } from '../../protocol/records/crc32c.js'
import { ManualClock, ManualScheduler } from '../../util/scheduler.js'
import { Log, type LogOptions } from './log.js'
import { defaultLogConfig, type LogConfig } from './log-config.js'

const dirs: string[] = []
const logs: Log[] = []
afterEach(() => {
  for (const l of logs.splice(0)) if (!l.isClosed) l.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function env(name = 'topic-0') {
  const clock = new ManualClock(1_700_000_000_000)
  const scheduler = new ManualScheduler(clock)
  const root = mkdtempSync(join(tmpdir(), 'samsa-log-'))
  dirs.push(root)
  const dir = join(root, name)
  return {
    clock,
    scheduler,
    dir,
    open(config: Partial<LogConfig> = {}, extra: Partial<LogOptions> = {}): Log {
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

function batch(
  n: number,
  ts = 1_700_000_000_000,
  extra: { producerId?: number; baseSequence?: number } = {},
): Buffer {
  return buildRecordBatch({
    records: Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `v${i}`, timestamp: ts })),
    now: ts,
    producerId: extra.producerId,
    producerEpoch: extra.producerId !== undefined ? 0 : undefined,
    baseSequence: extra.baseSequence,
  })
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

const seg = (o: number, suffix: string): string => `${String(o).padStart(20, '0')}${suffix}`

describe('recovery', () => {
  it('truncates a torn tail to the last valid batch and rebuilds the indexes', () => {
    const e = env()
    let log = e.open({ indexIntervalBytes: 100 })
    const sizes: number[] = []
    for (let i = 0; i < 10; i++) {
      const b = batch(3)
      sizes.push(b.length)
      log.appendAsLeader(b, { leaderEpoch: 2 })
    }
    const goodSize = log.size
    log.closeHandlers() // kill -9: no snapshot, no clean shutdown marker
    const logPath = join(e.dir, seg(0, '.log'))
    const extra = batch(2)
    appendFileSync(logPath, extra.subarray(0, extra.length - 5)) // a partial batch after valid data
    writeFileSync(join(e.dir, seg(0, '.index')), Buffer.alloc(24, 7)) // a broken index
    log = e.open({ indexIntervalBytes: 100 }, { hadCleanShutdown: false, recoveryPoint: 0 })
    expect(log.logEndOffset).toBe(30)
    expect(log.size).toBe(goodSize)
    expect(readFileSync(logPath).length).toBe(goodSize)
    expect(log.leaderEpochCache.entries()).toEqual([{ epoch: 2, startOffset: 0 }])
    const idx = readFileSync(join(e.dir, seg(0, '.index')))
    expect(idx.length).toBeGreaterThan(0)
    expect(idx.readInt32BE(0)).toBeGreaterThan(0)
    expect(log.read(25, { maxBytes: 1 << 20 }).records.length).toBe(sizes[8]! + sizes[9]!)
    expect(log.appendAsLeader(batch(1), { leaderEpoch: 2 }).firstOffset).toBe(30)
  })

  it('truncates at a corrupted batch and drops later segments', async () => {
    const e = env()
    let log = e.open({ segmentBytes: 300 })
    for (let i = 0; i < 12; i++) log.appendAsLeader(batch(2), { leaderEpoch: 0 })
    const segments = log.segmentInfos()
    expect(segments.length).toBeGreaterThan(2)
    log.closeHandlers()
    // flip a byte inside the second batch of the first segment
    const first = join(e.dir, seg(0, '.log'))
    const data = readFileSync(first)
    const size0 = readBatchHeader(data).sizeInBytes
    data[size0 + 70]! ^= 0xff
    writeFileSync(first, data)
    log = e.open({ segmentBytes: 300 }, { hadCleanShutdown: false, recoveryPoint: 0 })
    expect(log.logEndOffset).toBe(2)
    expect(log.numberOfSegments).toBe(1)
    await e.scheduler.advance(60_000)
    expect(readdirSync(e.dir).filter((n) => n.endsWith('.log'))).toEqual([seg(0, '.log')])
  })

  it('does not recover below the recovery point or after a clean shutdown', () => {
    const e = env()
    let log = e.open()
    log.appendAsLeader(batch(2), { leaderEpoch: 0 })
    log.flushAll()
    log.close()
    // garbage after the data: with a clean shutdown it is not looked at (Kafka does the same)
    appendFileSync(join(e.dir, seg(0, '.log')), Buffer.alloc(10, 0))
    log = e.open({}, { hadCleanShutdown: true })
    expect(log.size).toBe(batch(2).length + 10)
    log.close()
    log = e.open({}, { hadCleanShutdown: false, recoveryPoint: 0 })
    expect(log.size).toBe(batch(2).length)
  })

  it('rebuilds missing index files', () => {
    const e = env()
    let log = e.open({ indexIntervalBytes: 50 })
    for (let i = 0; i < 10; i++) log.appendAsLeader(batch(2), { leaderEpoch: 0 })
    log.flushAll()
    log.close()
    const before = readFileSync(join(e.dir, seg(0, '.index')))
    const beforeTime = readFileSync(join(e.dir, seg(0, '.timeindex')))
    unlinkSync(join(e.dir, seg(0, '.index')))
    unlinkSync(join(e.dir, seg(0, '.timeindex')))
    log = e.open({ indexIntervalBytes: 50 }, { hadCleanShutdown: true, recoveryPoint: 20 })
    expect(log.logEndOffset).toBe(20)
    expect(readFileSync(join(e.dir, seg(0, '.index'))).equals(before)).toBe(true)
    expect(readFileSync(join(e.dir, seg(0, '.timeindex'))).equals(beforeTime)).toBe(true)
  })

  it('rebuilds an index found corrupt when first used', () => {
    const e = env()
    let log = e.open({ indexIntervalBytes: 50, segmentBytes: 400 })
    for (let i = 0; i < 10; i++) log.appendAsLeader(batch(2), { leaderEpoch: 0 })
    log.flushAll()
    log.close()
    const idxPath = join(e.dir, seg(0, '.index'))
    const good = readFileSync(idxPath)
    const bad = Buffer.from(good)
    bad.writeInt32BE(100000, bad.length - 4) // a position past the end of the log
    writeFileSync(idxPath, bad)
    log = e.open({ indexIntervalBytes: 50, segmentBytes: 400 }, { hadCleanShutdown: true })
    expect(readRecords(log.read(3, { maxBytes: 1 << 20 }).records)[0]!.offset).toBe(2)
    expect(readFileSync(idxPath).equals(good)).toBe(true)
  })

  it('keeps what reached the page cache before a kill', () => {
    const e = env()
    let log = e.open()
    for (let i = 0; i < 5; i++) log.appendAsLeader(batch(1), { leaderEpoch: 0 })
    log.closeHandlers() // nothing was fsynced or closed cleanly
    log = e.open({}, { hadCleanShutdown: false, recoveryPoint: 0 })
    expect(log.logEndOffset).toBe(5)
  })
})

describe('leader epoch checkpoint written off the event loop', () => {
  /**
   * A crash right after assignLeaderEpoch(), before the checkpoint's asynchronous write: the directory as a killed
   * process leaves it (every file as the page cache holds it), loaded with the recovery point of the time. What the
   * loaded cache holds must be what Kafka keeps, whose assign() fsyncs at once: its entries, less those the load
   * truncates (starting at or past the recovered log end offset).
   */
  function crashAndLoad(e: ReturnType<typeof env>, log: Log): Log {
    const root = mkdtempSync(join(tmpdir(), 'samsa-crash-'))
    dirs.push(root)
    const copy = join(root, 'topic-0')
    cpSync(e.dir, copy, { recursive: true })
    const recoveryPoint = log.recoveryPoint
    const loaded = Log.open({
      dir: copy,
      config: defaultLogConfig(),
      scheduler: e.scheduler,
      hadCleanShutdown: false,
      recoveryPoint,
    })
    logs.push(loaded)
    const kafkaKeeps = log.leaderEpochCache.entries().filter((x) => x.startOffset < loaded.logEndOffset)
    expect(loaded.leaderEpochCache.entries()).toEqual(kafkaKeeps)
    return loaded
  }

  it('loses nothing Kafka would keep when the process dies before the write', async () => {
    const e = env()
    const log = e.open()
    // a new partition made leader: an entry at offset 0 with no records after it
    log.assignLeaderEpoch(3, 0)
    expect(crashAndLoad(e, log).leaderEpochCache.entries()).toEqual([])
    // records of epoch 3, flushed (the recovery point passes them), then a new leader epoch at the log end offset
    for (let i = 0; i < 5; i++) log.appendAsLeader(batch(1), { leaderEpoch: 3 })
    await log.flushAsync(5)
    expect(log.recoveryPoint).toBe(5)
    log.assignLeaderEpoch(4, 5)
    crashAndLoad(e, log)
    // records of epoch 4 after it, not flushed: recovery finds their epoch in the batches
    for (let i = 0; i < 3; i++) log.appendAsLeader(batch(1), { leaderEpoch: 4 })
    expect(crashAndLoad(e, log).leaderEpochCache.entries()).toEqual([
      { epoch: 3, startOffset: 0 },
      { epoch: 4, startOffset: 5 },
    ])
    // a flush does not move the recovery point past entries the file lacks
    log.assignLeaderEpoch(6, 8)
    for (let i = 0; i < 2; i++) log.appendAsLeader(batch(1), { leaderEpoch: 6 })
    await log.flushAsync(10)
    expect(log.recoveryPoint).toBe(10)
    expect(readFileSync(join(e.dir, 'leader-epoch-checkpoint'), 'utf8')).toBe('0\n3\n3 0\n4 5\n6 8\n')
    crashAndLoad(e, log)
    // the synchronous flush writes it too
    log.assignLeaderEpoch(7, 10)
    log.appendAsLeader(batch(1), { leaderEpoch: 7 })
    log.flush()
    expect(readFileSync(join(e.dir, 'leader-epoch-checkpoint'), 'utf8')).toBe('0\n4\n3 0\n4 5\n6 8\n7 10\n')
  })
})

describe('a Kafka-written log directory', () => {
  it('opens zero-padded indexes, checkpoints, partition.metadata and a producer snapshot', () => {
    const e = env('orders-3')
    mkdirSync(e.dir, { recursive: true })
    // Two batches as the Java producer writes them, offsets assigned by the broker (leader epoch 0).
    const b1 = buildRecordBatch({
      records: [{ key: 'k', value: 'v', timestamp: 1_700_000_000_000 }],
      now: 1_700_000_000_000,
    })
    const b2 = buildRecordBatch({
      records: [
        { key: 'a', value: 'x' },
        { key: 'b', value: 'y' },
      ],
      now: 1_700_000_000_500,
      producerId: 1000,
      producerEpoch: 0,
      baseSequence: 0,
    })
    b2.writeBigInt64BE(1n, 0)
    for (const b of [b1, b2]) b.writeInt32BE(0, 12)
    writeFileSync(join(e.dir, seg(0, '.log')), Buffer.concat([b1, b2]))
    // Kafka preallocates index files to segment.index.bytes and only trims them on roll/close: after a crash the
    // active segment's files are full of zeros.
    const idx = Buffer.alloc(1024)
    idx.writeInt32BE(2, 0) // an entry for the second batch
    idx.writeInt32BE(b1.length, 4)
    writeFileSync(join(e.dir, seg(0, '.index')), idx)
    const tidx = Buffer.alloc(1200)
    tidx.writeBigInt64BE(1_700_000_000_500n, 0)
    tidx.writeInt32BE(2, 8)
    writeFileSync(join(e.dir, seg(0, '.timeindex')), tidx)
    writeFileSync(join(e.dir, 'leader-epoch-checkpoint'), '0\n1\n0 0\n')
    writeFileSync(join(e.dir, 'partition.metadata'), 'version: 0\ntopic_id: 6ZWKzjOcQ1OzjvWhzP8GXA\n')
    // producer snapshot at offset 3 (version 1, CRC-32C over the entries)
    const snap = Buffer.alloc(10 + 46)
    snap.writeInt16BE(1, 0)
    snap.writeInt32BE(1, 6)
    snap.writeBigInt64BE(1000n, 10) // producer id
    snap.writeInt16BE(0, 18) // epoch
    snap.writeInt32BE(1, 20) // last sequence
    snap.writeBigInt64BE(2n, 24) // last offset
    snap.writeInt32BE(1, 32) // offset delta
    snap.writeBigInt64BE(1_700_000_000_500n, 36) // timestamp
    snap.writeInt32BE(-1, 44) // coordinator epoch
    snap.writeBigInt64BE(-1n, 48) // current txn first offset
    snap.writeUInt32BE(crc32c(snap, 6), 2)
    writeFileSync(join(e.dir, seg(3, '.snapshot')), snap)

    // (with the clean shutdown marker the padded files are used as they are)
    const log = e.open({}, { hadCleanShutdown: true, recoveryPoint: 3, logStartOffset: 0 })
    expect(log.topicId).toBe('6ZWKzjOcQ1OzjvWhzP8GXA')
    expect(log.logEndOffset).toBe(3)
    expect(log.latestEpoch()).toBe(0)
    expect(log.read(1, { maxBytes: 1 << 20 }).records.equals(b2)).toBe(true)
    expect(log.activeSegment.offsetIndex.entries).toBe(1)
    expect(log.activeSegment.timeIndex.entries).toBe(1)
    expect(log.fetchOffsetByTimestamp(1_700_000_000_100)).toEqual({
      offset: 1,
      timestamp: 1_700_000_000_500,
      leaderEpoch: 0,
    })
    // the snapshot told us about producer 1000: its retry is a duplicate
    const retry = (): Buffer =>
      buildRecordBatch({
        records: [
          { key: 'a', value: 'x' },
          { key: 'b', value: 'y' },
        ],
        now: 1_700_000_000_500,
        producerId: 1000,
        producerEpoch: 0,
        baseSequence: 0,
      })
    expect(log.appendAsLeader(retry(), { leaderEpoch: 0 })).toMatchObject({
      duplicate: true,
      firstOffset: 1,
      lastOffset: 2,
    })
    // writing trims the padding
    log.appendAsLeader(batch(1, 1_700_000_000_600), { leaderEpoch: 0 })
    log.close()
    expect(readFileSync(join(e.dir, seg(0, '.index'))).length % 8).toBe(0)
    expect(readFileSync(join(e.dir, seg(0, '.index'))).length).toBeLessThan(1024)
    expect(readFileSync(join(e.dir, seg(0, '.timeindex'))).length).toBeLessThan(1200)
    // after a crash the same directory is recovered from its data
    const again = e.open({}, { hadCleanShutdown: false, recoveryPoint: 0 })
    expect(again.logEndOffset).toBe(4)
    expect(again.read(1, { maxBytes: b2.length }).records.equals(b2)).toBe(true)
    expect(again.appendAsLeader(retry(), { leaderEpoch: 0 }).duplicate).toBe(true)
  })
})

describe('retention', () => {
  function fill(log: Log, n: number, ts: (i: number) => number): void {
    for (let i = 0; i < n; i++) log.appendAsLeader(batch(1, ts(i)), { leaderEpoch: 0 })
    log.updateHighWatermark(log.logEndOffset)
  }

  it('deletes segments past retention.ms by their largest timestamp, rolling the active one when needed', async () => {
    const e = env()
    const now = e.clock.now()
    const log = e.open({ segmentBytes: 200, retentionMs: 10_000 })
    fill(log, 9, (i) => now - 100_000 + i * 10_000)
    const infos = log.segmentInfos()
    expect(infos.length).toBeGreaterThan(2)
    const deleted = log.deleteOldSegments()
    expect(deleted).toBeGreaterThan(0)
    for (const s of log.segmentInfos().slice(0, -1))
      expect(now - s.largestTimestamp).toBeLessThanOrEqual(10_000)
    expect(log.logStartOffset).toBe(log.segmentInfos()[0]!.baseOffset)
    expect(readdirSync(e.dir).some((n) => n.endsWith('.log.deleted'))).toBe(true)
    await e.scheduler.advance(60_000)
    expect(readdirSync(e.dir).some((n) => n.endsWith('.deleted'))).toBe(false)
    // everything expired: the active segment is rolled first so that it can go too
    e.clock.advance(1_000_000)
    log.deleteOldSegments()
    expect(log.numberOfSegments).toBe(1)
    expect(log.activeSegment.size).toBe(0)
    expect(log.logStartOffset).toBe(9)
    expect(log.logEndOffset).toBe(9)
    expect(code(() => log.read(8, { maxBytes: 100 }))).toBe(ErrorCode.OFFSET_OUT_OF_RANGE)
  })

  it('deletes the oldest segments beyond retention.bytes', () => {
    const e = env()
    const log = e.open({ segmentBytes: 300, retentionBytes: 600 })
    fill(log, 20, () => e.clock.now())
    const before = log.size
    expect(before).toBeGreaterThan(600)
    log.deleteOldSegments()
    expect(log.size).toBeLessThanOrEqual(before)
    expect(log.size - log.activeSegment.size).toBeLessThanOrEqual(600)
    expect(log.size).toBeGreaterThanOrEqual(600 - 300)
  })

  it('deletes segments below the log start offset (DeleteRecords), never beyond the high watermark', () => {
    const e = env()
    const log = e.open({ segmentBytes: 300, retentionMs: -1 })
    for (let i = 0; i < 20; i++) log.appendAsLeader(batch(1), { leaderEpoch: 0 })
    expect(code(() => log.maybeIncrementLogStartOffset(5))).toBe(ErrorCode.OFFSET_OUT_OF_RANGE)
    log.updateHighWatermark(12)
    expect(log.maybeIncrementLogStartOffset(11)).toBe(true)
    expect(log.logStartOffset).toBe(11)
    const n = log.deleteOldSegments()
    expect(n).toBeGreaterThan(0)
    expect(log.segmentInfos()[0]!.baseOffset).toBeLessThanOrEqual(11)
    expect(log.segmentInfos()[1]!.baseOffset).toBeGreaterThan(11)
    expect(code(() => log.read(10, { maxBytes: 100 }))).toBe(ErrorCode.OFFSET_OUT_OF_RANGE)
    expect(readRecords(log.read(11, { maxBytes: 1 << 20 }).records).map((r) => r.offset)).toContain(11)
    // compacted topics only lose what is below the log start offset
    const c = env().open({ segmentBytes: 300, retentionMs: 1, cleanupPolicy: ['compact'] })
    fill(c, 10, () => 1)
    expect(c.deleteOldSegments()).toBe(0)
  })
})

describe('truncation', () => {
  it('truncates to an offset, dropping later segments, epochs and producer state', async () => {
    const e = env()
    const log = e.open({ segmentBytes: 300 })
    for (let i = 0; i < 10; i++)
      log.appendAsLeader(batch(1, 1_700_000_000_000, { producerId: 5, baseSequence: i }), {
        leaderEpoch: i < 5 ? 1 : 2,
      })
    log.updateHighWatermark(10)
    expect(log.truncateTo(4)).toBe(true)
    expect(log.logEndOffset).toBe(4)
    expect(log.highWatermark).toBe(4)
    expect(log.leaderEpochCache.entries()).toEqual([{ epoch: 1, startOffset: 0 }])
    expect(log.activeProducers()[0]!.lastSequence).toBe(3)
    expect(
      log.appendAsLeader(batch(1, 1_700_000_000_000, { producerId: 5, baseSequence: 4 }), { leaderEpoch: 3 })
        .firstOffset,
    ).toBe(4)
    expect(log.truncateTo(100)).toBe(false)
    await e.scheduler.advance(60_000)
    const names = readdirSync(e.dir).filter((n) => n.endsWith('.log'))
    expect(names.length).toBe(log.numberOfSegments)
  })

  it('truncateFullyAndStartAt restarts the log at an offset', async () => {
    const e = env()
    const log = e.open()
    for (let i = 0; i < 3; i++) log.appendAsLeader(batch(1), { leaderEpoch: 1 })
    log.truncateFullyAndStartAt(100)
    expect(log.logStartOffset).toBe(100)
    expect(log.logEndOffset).toBe(100)
    expect(log.leaderEpochCache.entries()).toEqual([])
    expect(log.appendAsLeader(batch(1), { leaderEpoch: 2 }).firstOffset).toBe(100)
    await e.scheduler.advance(60_000)
    expect(existsSync(join(e.dir, seg(0, '.log')))).toBe(false)
    expect(existsSync(join(e.dir, seg(100, '.log')))).toBe(true)
  })

  it('a log whose checkpointed start is past its data starts over there', () => {
    const e = env()
    let log = e.open()
    log.appendAsLeader(batch(2), { leaderEpoch: 0 })
    log.close()
    log = e.open({}, { logStartOffset: 50, hadCleanShutdown: true })
    expect(log.logStartOffset).toBe(50)
    expect(log.logEndOffset).toBe(50)
  })

  it('recovers a truncated segment file header', () => {
    const e = env()
    let log = e.open()
    log.appendAsLeader(batch(2), { leaderEpoch: 0 })
    log.appendAsLeader(batch(2), { leaderEpoch: 0 })
    log.closeHandlers()
    const p = join(e.dir, seg(0, '.log'))
    truncateSync(p, readFileSync(p).length - 70)
    log = e.open({}, { hadCleanShutdown: false })
    expect(log.logEndOffset).toBe(2)
  })
})

it('computeBatchCrc is what recovery checks', () => {
  const b = batch(1)
  expect(b.readUInt32BE(17)).toBe(computeBatchCrc(b))
})
