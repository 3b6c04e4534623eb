import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type BatchHeader,
  buildEndTxnMarker,
  buildRecordBatch,
  type BuildBatchOptions,
  readEndTxnMarker,
  readRecords,
  verifyCrc,
} from '../../protocol/records/batch.js'
import { Compression } from '../../protocol/records/compression.js'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import { ManualClock, ManualScheduler } from '../../util/scheduler.js'
import type { Logger } from '../../util/logger.js'
import { groupSegmentsBySize } from './cleaner.js'
import { Log, type LogOptions } from './log.js'
import { CLEANER_OFFSET_CHECKPOINT_FILE, type CleanerConfig, LogCleaner } from './log-cleaner.js'
import { defaultLogConfig, type LogConfig } from './log-config.js'
import { LogManager } from './log-manager.js'
import { SkimpyOffsetMap } from './offset-map.js'

const T0 = 1_700_000_000_000
const DAY = 24 * 60 * 60 * 1000

const dirs: string[] = []
const opened: Array<{ close(): unknown; isClosed?: boolean }> = []
afterEach(async () => {
  for (const l of opened.splice(0)) if (!l.isClosed) await l.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'samsa-cleaner-'))
  dirs.push(d)
  return d
}

interface Env {
  clock: ManualClock
  scheduler: ManualScheduler
  root: string
  dir: string
  lines: string[]
  logger: Logger
  log: Log
  open(config?: Partial<LogConfig>, extra?: Partial<LogOptions>): Log
  cleaner(config?: Partial<CleanerConfig>): LogCleaner
}

function env(config: Partial<LogConfig> = {}, name = 'topic-0'): Env {
  const clock = new ManualClock(T0)
  const scheduler = new ManualScheduler(clock)
  const root = tempDir()
  const dir = join(root, name)
  const lines: string[] = []
  const logger = pino({ level: 'debug' }, { write: (m: string) => void lines.push(m) })
  const e: Env = {
    clock,
    scheduler,
    root,
    dir,
    lines,
    logger,
    log: undefined as unknown as Log,
    open(c = {}, extra = {}) {
      e.log = Log.open({
        dir,
        config: { ...defaultLogConfig(), cleanupPolicy: ['compact'], ...config, ...c },
        scheduler,
        logger,
        hadCleanShutdown: true,
        ...extra,
      })
      opened.push(e.log)
      return e.log
    },
    cleaner(c = {}) {
      return new LogCleaner({
        config: c,
        logs: () => (e.log && !e.log.isClosed ? [e.log] : []),
        scheduler,
        logger,
      })
    },
  }
  e.open()
  return e
}

type Entry = [key: string | null, value: string | null]

/** Appends one batch as the leader and moves the high watermark to the end. */
function put(
  e: Env,
  entries: Entry[],
  o: Partial<BuildBatchOptions> = {},
  origin?: 'client' | 'coordinator',
) {
  const b = buildRecordBatch({
    records: entries.map(([key, value]) => ({ key, value, timestamp: e.clock.now() })),
    now: e.clock.now(),
    ...o,
  })
  const r = e.log.appendAsLeader(b, { leaderEpoch: 0, ...(origin ? { origin } : {}) })
  e.log.updateHighWatermark(e.log.logEndOffset)
  return r
}

interface Rec {
  offset: number
  key: string | null
  value: string | null
}

function batchesOf(log: Log): Array<BatchHeader & { bytes: Buffer }> {
  const out: Array<BatchHeader & { bytes: Buffer }> = []
  for (const s of log.logSegments) for (const b of s.batches()) out.push({ ...b.header!, bytes: b.bytes() })
  return out
}

function contents(log: Log): Rec[] {
  const out: Rec[] = []
  for (const b of batchesOf(log)) {
    if (b.isControl) continue
    for (const r of readRecords(b.bytes)) {
      out.push({
        offset: r.offset,
        key: r.key === null ? null : r.key.toString(),
        value: r.value === null ? null : r.value.toString(),
      })
    }
  }
  return out
}

function latestPerKey(recs: Rec[]): Map<string | null, Rec> {
  const m = new Map<string | null, Rec>()
  for (const r of recs) m.set(r.key, r)
  return m
}

/** Appends `rounds` batches updating keys k0..k(keys-1), rolling every `perSegment` batches. */
function fill(e: Env, rounds: number, keys: number, perSegment = 5): void {
  for (let i = 0; i < rounds; i++) {
    put(
      e,
      Array.from({ length: keys }, (_, k): Entry => [`k${k}`, `v${i}-${k}`]),
    )
    if ((i + 1) % perSegment === 0) e.log.roll()
  }
}

describe('LogCleaner: compaction', () => {
  it('keeps the last value of each key, drops older ones, keeps offsets and leaves the active segment alone', async () => {
    const e = env()
    fill(e, 12, 4) // segments at 0, 20, 40 and the active one at 40.. (batches 10, 11)
    const before = contents(e.log)
    const active = e.log.activeSegment
    const activeBytes = active.readBytes(0, active.size)
    const cleaner = e.cleaner()
    const r = cleaner.runPass()
    expect(r).toBeDefined()
    expect(r!.firstDirtyOffset).toBe(0)
    expect(r!.endOffset).toBe(active.baseOffset)
    const after = contents(e.log)
    // below the active segment: exactly the latest record of each key there
    const cleanedPart = after.filter((x) => x.offset < active.baseOffset)
    const expected = [...latestPerKey(before.filter((x) => x.offset < active.baseOffset)).values()]
    expect(cleanedPart).toEqual(expected.sort((a, b) => a.offset - b.offset))
    // the active segment is byte for byte the same
    expect(e.log.activeSegment).toBe(active)
    expect(active.readBytes(0, active.size).equals(activeBytes)).toBe(true)
    expect(after.filter((x) => x.offset >= active.baseOffset)).toEqual(
      before.filter((x) => x.offset >= active.baseOffset),
    )
    // the latest value of every key is still readable
    for (const [k, rec] of latestPerKey(before)) expect(latestPerKey(after).get(k)).toEqual(rec)
    // every batch is valid and offsets are those of the original records
    for (const b of batchesOf(e.log)) expect(verifyCrc(b.bytes)).toBe(true)
    expect(e.log.logEndOffset).toBe(48)
    // the cleaned segments were grouped into one, the replaced files renamed .deleted
    expect(e.log.logSegments.map((s) => s.baseOffset)).toEqual([0, 40])
    const names = readdirSync(e.dir)
    expect(names.filter((n) => n.endsWith('.cleaned') || n.endsWith('.swap'))).toEqual([])
    expect(names).toContain('00000000000000000020.log.deleted')
    await e.scheduler.advance(60_000)
    expect(readdirSync(e.dir).filter((n) => n.endsWith('.deleted'))).toEqual([])
    // reads through the log still work at any offset
    expect(e.log.read(0, { maxBytes: 1 << 20 }).records.length).toBeGreaterThan(0)
    expect(e.log.read(37, { maxBytes: 1 << 20 }).records.length).toBeGreaterThan(0)
    // the checkpoint
    expect(readFileSync(join(e.root, CLEANER_OFFSET_CHECKPOINT_FILE), 'utf8')).toBe('0\n1\ntopic 0 40\n')
    expect(cleaner.checkpointOf(e.log)).toBe(40)
    const logged = e.lines.join('\n')
    expect(logged).toContain('Log cleaner thread 0 cleaned log topic-0 (dirty section = [0, 40])')
    expect(logged).toContain('[kafka-log-cleaner-thread-0]')
  })
})

describe('LogCleaner: tombstones and the delete horizon', () => {
  it('keeps a tombstone until delete.retention.ms after its first cleaning, then removes it', () => {
    const e = env({ deleteRetentionMs: DAY, minCleanableDirtyRatio: 0.01 })
    put(e, [
      ['a', '1'],
      ['b', '1'],
      ['c', '1'],
    ])
    put(e, [
      ['a', null],
      ['b', '2'],
    ])
    e.log.roll()
    put(e, [['x', '1']])
    const cleaner = e.cleaner()
    expect(cleaner.runPass()).toBeDefined()
    expect(contents(e.log)).toEqual([
      { offset: 2, key: 'c', value: '1' },
      { offset: 3, key: 'a', value: null },
      { offset: 4, key: 'b', value: '2' },
      { offset: 5, key: 'x', value: '1' },
    ])
    // the batch that keeps the tombstone carries the delete horizon: attribute bit 6, base timestamp = now + 1 day
    const withTombstone = batchesOf(e.log).find((b) => b.baseOffset === 3)!
    expect(withTombstone.attributes & 0x40).toBe(0x40)
    expect(withTombstone.baseTimestamp).toBe(T0 + DAY)
    expect(withTombstone.lastOffset).toBe(4)
    expect(readRecords(withTombstone.bytes).map((r) => r.timestamp)).toEqual([T0, T0])
    // the batch whose records all stay and that has no tombstone is the original, unchanged
    expect(batchesOf(e.log).find((b) => b.baseOffset === 0)!.attributes & 0x40).toBe(0)

    // a later cleaning before the horizon keeps it
    e.clock.advance(DAY - 1000)
    put(e, [['b', '3']])
    e.log.roll()
    put(e, [['y', '1']])
    expect(cleaner.runPass()).toBeDefined()
    expect(contents(e.log).find((r) => r.key === 'a')).toEqual({ offset: 3, key: 'a', value: null })
    expect(batchesOf(e.log).find((b) => b.baseOffset === 3)!.baseTimestamp).toBe(T0 + DAY)

    // past the horizon the next cleaning drops it
    e.clock.advance(2000)
    put(e, [['c', '2']])
    e.log.roll()
    put(e, [['z', '1']])
    expect(cleaner.runPass()).toBeDefined()
    const recs = contents(e.log)
    expect(recs.find((r) => r.key === 'a')).toBeUndefined()
    expect([...latestPerKey(recs).values()].map((r) => `${r.key}=${r.value}`).sort()).toEqual([
      'b=3',
      'c=2',
      'x=1',
      'y=1',
      'z=1',
    ])
  })
})

describe('LogCleaner: what may be cleaned', () => {
  it('cleans only when the dirty ratio is above min.cleanable.dirty.ratio', () => {
    const e = env({ minCleanableDirtyRatio: 0.5 })
    fill(e, 10, 4)
    const cleaner = e.cleaner()
    expect(cleaner.runPass()).toBeDefined()
    expect(cleaner.runPass()).toBeUndefined() // nothing dirty any more
    // a little dirty data: below the ratio
    put(e, [['k0', 'new']])
    e.log.roll()
    expect(cleaner.runPass()).toBeUndefined()
    expect(cleaner.maxDirtyRatio).toBeGreaterThan(0)
    expect(cleaner.maxDirtyRatio).toBeLessThanOrEqual(0.5)
    // more: above it
    for (let i = 0; i < 4; i++) {
      put(e, [[`k${i}`, `newer-${i}`]])
      e.log.roll()
    }
    const r = cleaner.runPass()
    expect(r).toBeDefined()
    expect(r!.firstDirtyOffset).toBe(40)
    expect(cleaner.maxDirtyRatio).toBeGreaterThan(0.5)
    expect([...latestPerKey(contents(e.log)).values()].map((x) => x.value)).toEqual([
      'newer-0',
      'newer-1',
      'newer-2',
      'newer-3',
    ])
  })

  it('cleans below the ratio once max.compaction.lag.ms has passed for a dirty segment', () => {
    const e = env({ minCleanableDirtyRatio: 0.9, maxCompactionLagMs: 60_000 })
    fill(e, 10, 4)
    const cleaner = e.cleaner()
    expect(cleaner.runPass()).toBeDefined()
    put(e, [['k0', 'new']])
    e.log.roll()
    expect(cleaner.runPass()).toBeUndefined()
    e.clock.advance(60_001)
    const r = cleaner.runPass()
    expect(r).toBeDefined()
    expect(r!.firstDirtyOffset).toBe(40)
  })

  it('does not clean segments newer than min.compaction.lag.ms', () => {
    const e = env({ minCompactionLagMs: 60_000 })
    fill(e, 10, 4)
    const cleaner = e.cleaner()
    expect(cleaner.runPass()).toBeUndefined()
    e.clock.advance(60_001)
    expect(cleaner.runPass()).toBeDefined()
  })

  it('never cleans past the last stable offset nor the high watermark', () => {
    const e = env()
    fill(e, 5, 2) // segment 0: offsets 0..9
    put(e, [['k0', 'txn']], { producerId: 5, producerEpoch: 0, baseSequence: 0, isTransactional: true })
    fill(e, 5, 2) // the open transaction is in segment 10
    put(e, [['k1', 'last']])
    expect(e.log.firstUnstableOffset).toBe(10)
    const cleaner = e.cleaner()
    const r = cleaner.runPass()
    expect(r!.endOffset).toBe(10)
    expect(contents(e.log).filter((x) => x.offset >= 10)).toHaveLength(12)
    // the high watermark bounds it too
    const h = env()
    fill(h, 10, 2)
    h.log.updateHighWatermark(0)
    expect(h.cleaner().runPass()).toBeUndefined()
  })

  it('ignores logs that are not compacted', () => {
    const e = env({ cleanupPolicy: ['delete'] })
    fill(e, 10, 2)
    expect(e.cleaner().runPass()).toBeUndefined()
  })
})

describe('LogCleaner: the cleaner checkpoint', () => {
  it('writes cleaner-offset-checkpoint and starts the next cleaning there, also after a restart', () => {
    const e = env()
    fill(e, 10, 4)
    const first = e.cleaner()
    expect(first.runPass()!.endOffset).toBe(40)
    e.log.close()
    const log = e.open()
    const second = e.cleaner()
    expect(second.checkpointOf(log)).toBe(40)
    expect(second.runPass()).toBeUndefined()
    for (let i = 0; i < 6; i++) {
      put(e, [[`k${i % 4}`, `late-${i}`]])
      if (i % 2 === 1) e.log.roll()
    }
    const r = second.runPass()
    expect(r!.firstDirtyOffset).toBe(40)
    expect(r!.endOffset).toBe(46)
    expect(readFileSync(join(e.root, CLEANER_OFFSET_CHECKPOINT_FILE), 'utf8')).toBe('0\n1\ntopic 0 46\n')
  })

  it('lowers the checkpoint when the log is truncated below it, and resets one past the end', () => {
    const e = env()
    fill(e, 10, 4)
    const cleaner = e.cleaner()
    cleaner.runPass()
    expect(cleaner.checkpointOf(e.log)).toBe(40)
    fill(e, 5, 4)
    e.log.truncateTo(30)
    cleaner.runPass()
    expect(cleaner.checkpointOf(e.log)).toBe(30)
    // a checkpoint beyond the log end offset (data lost at the end) starts over from the log start
    cleaner.updateCheckpoints(e.root, { tp: { topic: 'topic', partition: 0 }, offset: 500 })
    cleaner.runPass()
    expect(cleaner.checkpointOf(e.log)).toBe(0)
  })
})

describe('LogCleaner: crash safety of the swap', () => {
  /**
   * A log cleaned once, with copies of its directory from before the cleaning and the files of the cleaned
   * segment (offsets 0..39, which replaced the segments at 0 and 20).
   */
  function cleanedOnce(): {
    e: Env
    before: string
    cleanedFiles: string[]
    expected: Rec[]
    original: Rec[]
  } {
    const e = env()
    fill(e, 12, 4)
    const original = contents(e.log)
    e.log.close()
    const before = join(tempDir(), 'before')
    cpSync(e.dir, before, { recursive: true })
    e.open()
    e.log.updateHighWatermark(e.log.logEndOffset)
    expect(e.cleaner().runPass()).toBeDefined()
    const expected = contents(e.log)
    expect(expected.length).toBeLessThan(original.length)
    e.log.close()
    const cleanedFiles = readdirSync(e.dir).filter((n) => /^0{20}\.(log|index|timeindex|txnindex)$/.test(n))
    expect(cleanedFiles.sort()).toEqual([
      '00000000000000000000.index',
      '00000000000000000000.log',
      '00000000000000000000.timeindex',
    ])
    return { e, before, cleanedFiles, expected, original }
  }

  function openCrashed(e: Env, crashDir: string): Log {
    const log = Log.open({
      dir: crashDir,
      config: { ...defaultLogConfig(), cleanupPolicy: ['compact'] },
      scheduler: e.scheduler,
      logger: e.logger,
      hadCleanShutdown: false,
      recoveryPoint: 0,
    })
    opened.push(log)
    return log
  }

  it('completes a swap interrupted after the .cleaned → .swap rename', () => {
    const { e, before, cleanedFiles, expected } = cleanedOnce()
    const crashDir = join(tempDir(), 'topic-0')
    cpSync(before, crashDir, { recursive: true })
    for (const f of cleanedFiles) cpSync(join(e.dir, f), join(crashDir, `${f}.swap`))
    const log = openCrashed(e, crashDir)
    expect(contents(log)).toEqual(expected)
    expect(log.logSegments.map((s) => s.baseOffset)).toEqual([0, 40])
    expect(readdirSync(crashDir).filter((n) => /\.(swap|cleaned|deleted)$/.test(n))).toEqual([])
    expect(readdirSync(crashDir)).not.toContain('00000000000000000020.log')
    expect(log.logEndOffset).toBe(48)
  })

  it('completes a swap interrupted after the replaced segments were renamed .deleted', () => {
    const { e, before, cleanedFiles, expected } = cleanedOnce()
    const crashDir = join(tempDir(), 'topic-0')
    cpSync(before, crashDir, { recursive: true })
    for (const n of readdirSync(crashDir)) {
      if (/^0{18}(00|20)\.(log|index|timeindex)$/.test(n))
        renameSync(join(crashDir, n), join(crashDir, `${n}.deleted`))
    }
    for (const f of cleanedFiles) cpSync(join(e.dir, f), join(crashDir, `${f}.swap`))
    const log = openCrashed(e, crashDir)
    expect(contents(log)).toEqual(expected)
    expect(readdirSync(crashDir).filter((n) => /\.(swap|cleaned|deleted)$/.test(n))).toEqual([])
  })

  it('drops a cleaning interrupted before the swap (.cleaned files)', () => {
    const { e, before, cleanedFiles, original } = cleanedOnce()
    const crashDir = join(tempDir(), 'topic-0')
    cpSync(before, crashDir, { recursive: true })
    for (const f of cleanedFiles) cpSync(join(e.dir, f), join(crashDir, `${f}.cleaned`))
    const log = openCrashed(e, crashDir)
    expect(contents(log)).toEqual(original)
    expect(log.logSegments.map((s) => s.baseOffset)).toEqual([0, 20, 40])
    expect(readdirSync(crashDir).filter((n) => /\.(swap|cleaned|deleted)$/.test(n))).toEqual([])
  })

  it('reopens cleanly after a cleaning whose replaced files are still waiting for deletion', () => {
    const { e, expected } = cleanedOnce()
    expect(readdirSync(e.dir).some((n) => n.endsWith('.deleted'))).toBe(true)
    const log = e.open({}, { hadCleanShutdown: false, recoveryPoint: 0 })
    expect(contents(log)).toEqual(expected)
    expect(readdirSync(e.dir).some((n) => n.endsWith('.deleted'))).toBe(false)
  })
})

describe('LogCleaner: batches', () => {
  it.each([
    ['gzip', Compression.GZIP],
    ['snappy', Compression.SNAPPY],
    ['lz4', Compression.LZ4],
    ['zstd', Compression.ZSTD],
  ])('cleans %s batches and writes them back with the same codec', (_name, compression) => {
    const e = env()
    for (let i = 0; i < 6; i++) {
      // duplicates inside a batch too: only the latest of them stays
      put(
        e,
        Array.from({ length: 10 }, (_, j): Entry => [`k${j % 4}`, `value-${i}-${j}-${'x'.repeat(50)}`]),
        { compression },
      )
      if (i % 3 === 2) e.log.roll()
    }
    put(e, [['tail', 'x']])
    const before = contents(e.log)
    expect(e.cleaner().runPass()!.endOffset).toBe(60)
    const after = contents(e.log)
    expect(after.filter((r) => r.offset < 60)).toEqual(
      [...latestPerKey(before.filter((r) => r.offset < 60)).values()].sort((a, b) => a.offset - b.offset),
    )
    for (const b of batchesOf(e.log)) {
      expect(verifyCrc(b.bytes)).toBe(true)
      if (b.recordCount > 0 && b.baseOffset < 60) expect(b.compression).toBe(compression)
    }
    // the retained batch was rewritten with its original offsets: base offset and last offset delta
    const last = batchesOf(e.log).find((b) => b.baseOffset === 50)!
    expect(last.lastOffset).toBe(59)
    expect(last.recordCount).toBe(4)
  })

  it('drops records without a key written by others, counting them as invalid', () => {
    const e = env()
    put(e, [['a', '1']])
    // a follower append is not validated: a record without a key reaches the log
    e.log.appendAsFollower(
      buildRecordBatch({
        baseOffset: e.log.logEndOffset,
        partitionLeaderEpoch: 0,
        records: [
          { key: null, value: 'no key' },
          { key: 'b', value: '1' },
          { key: null, value: 'no key either' },
        ],
        now: T0,
      }),
    )
    e.log.updateHighWatermark(e.log.logEndOffset)
    e.log.roll()
    put(e, [['c', '1']])
    const cleaner = e.cleaner()
    const r = cleaner.runPass()!
    expect(r.stats.invalidMessagesRead).toBe(2)
    expect(contents(e.log).map((x) => x.key)).toEqual(['a', 'b', 'c'])
    expect(e.lines.join('\n')).toContain('Found 2 invalid messages during compaction.')
  })

  it('keeps an idempotent producer\u2019s last batch (empty) so that a retry after compaction is still a duplicate', () => {
    const e = env()
    const idem = { producerId: 7, producerEpoch: 0 }
    put(
      e,
      [
        ['a', 'p1'],
        ['b', 'p1'],
      ],
      { ...idem, baseSequence: 0 },
    )
    const retried = { ...idem, baseSequence: 2 }
    const second = put(
      e,
      [
        ['a', 'p2'],
        ['b', 'p2'],
      ],
      retried,
    )
    // another writer supersedes everything producer 7 wrote
    put(e, [
      ['a', 'other'],
      ['b', 'other'],
    ])
    e.log.roll()
    put(e, [['c', 'tail']])
    e.cleaner().runPass()
    const kept = batchesOf(e.log).filter((b) => b.producerId === 7)
    expect(kept).toHaveLength(1)
    expect(kept[0]).toMatchObject({
      baseOffset: 2,
      lastOffset: 3,
      recordCount: 0,
      baseSequence: 2,
      producerEpoch: 0,
    })
    expect(kept[0]!.bytes.length).toBe(61)
    expect(contents(e.log).map((r) => `${r.key}=${r.value}`)).toEqual(['a=other', 'b=other', 'c=tail'])

    const retry = (): ReturnType<typeof put> =>
      put(
        e,
        [
          ['a', 'p2'],
          ['b', 'p2'],
        ],
        retried,
      )
    expect(retry()).toMatchObject({
      duplicate: true,
      firstOffset: second.firstOffset,
      lastOffset: second.lastOffset,
    })
    // also once the producer state is rebuilt from the log alone
    e.log.close()
    for (const n of readdirSync(e.dir)) if (n.endsWith('.snapshot')) rmSync(join(e.dir, n))
    e.open({}, { hadCleanShutdown: false, recoveryPoint: 0 })
    e.log.updateHighWatermark(e.log.logEndOffset)
    expect(retry()).toMatchObject({ duplicate: true, firstOffset: 2, lastOffset: 3 })
    expect(() => put(e, [['a', 'gap']], { ...idem, baseSequence: 6 })).toThrow(KafkaError)
    try {
      put(e, [['a', 'gap']], { ...idem, baseSequence: 6 })
    } catch (err) {
      expect((err as KafkaError).code).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
    }
    expect(put(e, [['a', 'next']], { ...idem, baseSequence: 4 }).duplicate).toBeUndefined()
  })

  it('removes aborted transactions at once and transaction markers once their data is gone and their horizon passed', () => {
    const e = env({ deleteRetentionMs: DAY, minCleanableDirtyRatio: 0.01 })
    const marker = (producerId: number, commit: boolean): void => {
      e.log.appendAsLeader(
        buildEndTxnMarker({
          producerId,
          producerEpoch: 0,
          coordinatorEpoch: 1,
          commit,
          timestamp: e.clock.now(),
        }),
        { leaderEpoch: 0, origin: 'coordinator' },
      )
      e.log.updateHighWatermark(e.log.logEndOffset)
    }
    const txn = (producerId: number) => ({
      producerId,
      producerEpoch: 0,
      baseSequence: 0,
      isTransactional: true,
    })
    put(e, [['t', 'aborted']], txn(11)) // 0
    put(e, [['t', 'committed']], txn(12)) // 1
    marker(11, false) // 2
    marker(12, true) // 3
    put(e, [['u', '1']]) // 4
    e.log.roll()
    put(e, [['v', '1']])
    const cleaner = e.cleaner()
    cleaner.runPass()
    // the aborted record is gone (its batch stays empty: it is producer 11's last data); both markers stay
    expect(contents(e.log).map((r) => `${r.key}=${r.value}`)).toEqual(['t=committed', 'u=1', 'v=1'])
    const controls = batchesOf(e.log).filter((b) => b.isControl)
    expect(controls.map((b) => [b.producerId, readEndTxnMarker(b.bytes)!.type])).toEqual([
      [11, 0],
      [12, 1],
    ])
    expect(batchesOf(e.log).find((b) => b.producerId === 11 && !b.isControl)!.recordCount).toBe(0)
    // the cleaned segment's transaction index still has the aborted transaction
    expect(e.log.collectAbortedTransactions(0, e.log.logEndOffset)).toEqual([
      { producerId: 11, firstOffset: 0, lastOffset: 2, lastStableOffset: expect.any(Number) },
    ])
    expect(readdirSync(e.dir)).toContain('00000000000000000000.txnindex')

    // once the producers have expired and the data is superseded, the markers go after their delete horizon
    e.clock.advance(2 * DAY)
    e.log.removeExpiredProducers(e.clock.now())
    for (let round = 0; round < 4; round++) {
      put(e, [['t', `later-${round}`]])
      e.log.roll()
      put(e, [['w', `${round}`]])
      cleaner.runPass()
      e.clock.advance(2 * DAY)
    }
    expect(batchesOf(e.log).filter((b) => b.isControl || b.producerId === 11 || b.producerId === 12)).toEqual(
      [],
    )
    expect(e.log.collectAbortedTransactions(0, e.log.logEndOffset)).toEqual([])
  })
})

/** Keys and values shaped like __consumer_offsets' (OffsetCommitKey v1, GroupMetadataKey v2). */
function str(s: string): Buffer {
  const b = Buffer.from(s)
  const len = Buffer.alloc(2)
  len.writeInt16BE(b.length)
  return Buffer.concat([len, b])
}
function offsetKey(group: string, topic: string, partition: number): Buffer {
  const v = Buffer.alloc(2)
  v.writeInt16BE(1)
  const p = Buffer.alloc(4)
  p.writeInt32BE(partition)
  return Buffer.concat([v, str(group), str(topic), p])
}
function groupKey(group: string): Buffer {
  const v = Buffer.alloc(2)
  v.writeInt16BE(2)
  return Buffer.concat([v, str(group)])
}
function offsetValue(offset: number): Buffer {
  const b = Buffer.alloc(2 + 8 + 4 + 8 + 2)
  b.writeInt16BE(3, 0)
  b.writeBigInt64BE(BigInt(offset), 2)
  return b
}

describe('LogCleaner: a __consumer_offsets partition', () => {
  it('keeps the latest commit of each group/topic/partition and drops deleted groups', () => {
    const e = env(
      { segmentBytes: 4000, deleteRetentionMs: DAY, minCleanableDirtyRatio: 0.5 },
      '__consumer_offsets-3',
    )
    const groups = ['g0', 'g1', 'g2']
    const latest = new Map<string, Buffer | null>()
    const write = (key: Buffer, value: Buffer | null): void => {
      const b = buildRecordBatch({ records: [{ key, value, timestamp: e.clock.now() }], now: e.clock.now() })
      e.log.appendAsLeader(b, { leaderEpoch: 0, origin: 'coordinator' })
      e.log.updateHighWatermark(e.log.logEndOffset)
      latest.set(key.toString('hex'), value)
    }
    for (let round = 0; round < 8; round++) {
      for (const g of groups) {
        write(groupKey(g), Buffer.from(`${g}-generation-${round}`))
        for (const t of ['orders', 'payments'])
          for (let p = 0; p < 3; p++) write(offsetKey(g, t, p), offsetValue(round * 100 + p))
      }
    }
    // g2 is deleted: tombstones for its offsets and its metadata
    for (const t of ['orders', 'payments']) for (let p = 0; p < 3; p++) write(offsetKey('g2', t, p), null)
    write(groupKey('g2'), null)
    e.log.roll()
    write(groupKey('g0'), Buffer.from('g0-active'))
    expect(e.log.numberOfSegments).toBeGreaterThan(4)
    const cleaner = e.cleaner()
    const r = cleaner.runPass()!
    expect(r.endOffset).toBe(e.log.activeSegment.baseOffset)
    expect(e.lines.join('\n')).toContain(
      `Log cleaner thread 0 cleaned log __consumer_offsets-3 (dirty section = [0, ${r.endOffset}])`,
    )
    const read = (): Map<string, Buffer | null> => {
      const m = new Map<string, Buffer | null>()
      for (const b of batchesOf(e.log))
        for (const rec of readRecords(b.bytes)) m.set(rec.key!.toString('hex'), rec.value)
      return m
    }
    const keysInLog = (): number => batchesOf(e.log).reduce((n, b) => n + b.recordCount, 0)
    // every key once, with its latest value; tombstones included for now
    expect(keysInLog()).toBe(latest.size + 1) // + the active segment's own g0 record
    for (const [k, v] of latest) {
      if (k === groupKey('g0').toString('hex')) continue
      expect(read().get(k)).toEqual(v)
    }
    expect(read().get(groupKey('g0').toString('hex'))!.toString()).toBe('g0-active')
    // a day later (and some new commits to make the log dirty) the tombstones are gone
    e.clock.advance(DAY + 1)
    for (let p = 0; p < 3; p++) write(offsetKey('g0', 'orders', p), offsetValue(9000 + p))
    for (let i = 0; i < 40; i++) write(offsetKey('g1', 'orders', i % 3), offsetValue(10_000 + i))
    e.log.roll()
    write(groupKey('g1'), Buffer.from('g1-active'))
    expect(cleaner.runPass()).toBeDefined()
    const final = read()
    for (const k of final.keys()) expect(k.includes(Buffer.from('g2').toString('hex'))).toBe(false)
    expect(final.get(offsetKey('g0', 'orders', 1).toString('hex'))!.readBigInt64BE(2)).toBe(9001n)
    expect(final.get(offsetKey('g1', 'orders', 0).toString('hex'))!.readBigInt64BE(2)).toBe(10_039n)
    expect(final.get(offsetKey('g1', 'payments', 2).toString('hex'))!.readBigInt64BE(2)).toBe(702n)
    expect([...final.values()].every((v) => v !== null)).toBe(true)
    // several groups of segments were cleaned, each within segment.bytes
    for (const s of e.log.logSegments) expect(s.size).toBeLessThanOrEqual(4000)
  })
})

describe('LogCleaner: on the scheduler', () => {
  it('cleans a little per turn, and abandons a cleaning whose segments change under it', async () => {
    const e = env()
    fill(e, 30, 4, 5)
    const cleaner = e.cleaner({
      backOffMs: 1000,
      maxBytesPerTurn: 600,
      ioBufferSize: 400,
      maxIoBytesPerSecond: 600,
    })
    cleaner.startup()
    expect(e.scheduler.pending()).toContain('kafka-log-cleaner-thread-0')
    await e.scheduler.advance(1000)
    // one turn: the work goes on, at the throttled pace
    expect(cleaner.cleaningInProgress).toBe(true)
    await e.scheduler.advance(1000)
    expect(cleaner.cleaningInProgress).toBe(true)
    // retention deletes a segment meanwhile: the cleaning stops without a trace
    e.log.maybeIncrementLogStartOffset(20)
    e.log.deleteOldSegments()
    await e.scheduler.advance(1000)
    expect(readdirSync(e.dir).filter((n) => n.includes('.cleaned'))).toEqual([])
    expect(existsSync(join(e.root, CLEANER_OFFSET_CHECKPOINT_FILE))).toBe(false)
    expect(cleaner.checkpointOf(e.log)).toBeUndefined()
    // and starts over, until done
    for (let i = 0; i < 200 && cleaner.checkpointOf(e.log) !== e.log.activeSegment.baseOffset; i++)
      await e.scheduler.advance(1000)
    expect(cleaner.checkpointOf(e.log)).toBe(e.log.activeSegment.baseOffset)
    expect(cleaner.cleaningInProgress).toBe(false)
    expect(contents(e.log).filter((r) => r.offset < e.log.activeSegment.baseOffset)).toHaveLength(4)
    expect(e.lines.join('\n')).toContain('was aborted')
    cleaner.shutdown()
    expect(e.scheduler.pending()).not.toContain('kafka-log-cleaner-thread-0')
  })

  it('runs in the log manager, keeps cleaner-offset-checkpoint per log dir, and forgets deleted logs', async () => {
    const clock = new ManualClock(T0)
    const scheduler = new ManualScheduler(clock)
    const root = tempDir()
    const mgr = new LogManager({ logDirs: [root], scheduler, cleanerConfig: { backOffMs: 1000 } })
    mgr.startup()
    opened.push({ close: () => mgr.shutdown() })
    expect(mgr.cleaner).toBeDefined()
    const config = { ...defaultLogConfig(), cleanupPolicy: ['compact'] }
    const logs = [0, 1].map((p) =>
      mgr.getOrCreateLog({ topic: 'compacted', partition: p }, undefined, config),
    )
    for (const log of logs) {
      for (let i = 0; i < 10; i++) {
        log.appendAsLeader(
          buildRecordBatch({ records: [{ key: `k${i % 2}`, value: `v${i}`, timestamp: T0 }], now: T0 }),
          { leaderEpoch: 0 },
        )
        if (i === 7) log.roll()
      }
      log.updateHighWatermark(log.logEndOffset)
    }
    await scheduler.advance(1000)
    expect(readFileSync(join(root, CLEANER_OFFSET_CHECKPOINT_FILE), 'utf8')).toBe(
      '0\n2\ncompacted 0 8\ncompacted 1 8\n',
    )
    expect(contents(logs[0]!).map((r) => r.offset)).toEqual([6, 7, 8, 9])
    mgr.deleteLog('compacted', 1)
    expect(readFileSync(join(root, CLEANER_OFFSET_CHECKPOINT_FILE), 'utf8')).toBe('0\n1\ncompacted 0 8\n')
    const off = new LogManager({
      logDirs: [tempDir()],
      scheduler,
      cleanerConfig: { enableCleaner: false },
    })
    off.startup()
    expect(off.cleaner).toBeUndefined()
    await off.shutdown()
  })

  it('applies retention to compact,delete logs as well as cleaning them', () => {
    const e = env({ cleanupPolicy: ['compact', 'delete'], retentionMs: 60_000 })
    fill(e, 10, 4)
    expect(e.cleaner().runPass()).toBeDefined()
    put(e, [['fresh', '1']])
    e.clock.advance(60_001)
    put(e, [['fresher', '1']])
    e.log.roll()
    // the cleaned segment (records of T0) is past retention; the one with a newer record is not
    expect(e.log.deleteOldSegments()).toBe(1)
    expect(e.log.logStartOffset).toBe(40)
  })
})

describe('SkimpyOffsetMap and the grouping of segments', () => {
  it('maps keys to their latest offsets within a fixed memory', () => {
    const map = new SkimpyOffsetMap(24 * 100)
    expect(map.slots).toBe(100)
    expect(map.get(Buffer.from('a'))).toBe(-1)
    for (let i = 0; i < 90; i++) map.put(Buffer.from(`key-${i % 30}`), i)
    expect(map.size).toBe(30)
    expect(map.get(Buffer.from('key-3'))).toBe(63)
    expect(map.latestOffset).toBe(89)
    expect(map.utilization).toBeCloseTo(0.3)
    map.clear()
    expect(map.get(Buffer.from('key-3'))).toBe(-1)
    expect(map.latestOffset).toBe(-1)
    const tiny = new SkimpyOffsetMap(48)
    tiny.put(Buffer.from('x'), 1)
    tiny.put(Buffer.from('y'), 2)
    expect(() => tiny.put(Buffer.from('z'), 3)).toThrow(/full offset map/)
    expect(tiny.get(Buffer.from('y'))).toBe(2)
  })

  it('cleans in several passes when the map cannot hold every key of the dirty section', () => {
    const e = env({ minCleanableDirtyRatio: 0.01 })
    for (let i = 0; i < 40; i++) {
      put(e, [[`key-${i}`, 'old']])
      if (i % 10 === 9) e.log.roll()
    }
    for (let i = 0; i < 40; i++) put(e, [[`key-${i}`, 'new']])
    e.log.roll()
    put(e, [['tail', 'x']])
    const cleaner = e.cleaner({ dedupeBufferSize: 24 * 20, dedupeBufferLoadFactor: 0.9 })
    const first = cleaner.runPass()!
    expect(first.endOffset).toBe(18) // 18 = 20 slots * 0.9
    expect(first.stats.bufferUtilization).toBeCloseTo(0.9)
    let passes = 1
    while (cleaner.checkpointOf(e.log) !== 80 && passes < 20) {
      cleaner.runPass()
      passes++
    }
    expect(passes).toBeGreaterThan(2)
    const recs = contents(e.log).filter((r) => r.offset < 80)
    expect(recs.every((r) => r.value === 'new')).toBe(true)
    expect(recs).toHaveLength(40)
  })

  it('groups segments within segment.bytes, the index size and the int32 offset range', () => {
    const e = env({ segmentBytes: 1 << 20 })
    fill(e, 20, 4, 2)
    const segs = e.log.logSegments.slice(0, -1)
    expect(segs).toHaveLength(10)
    const max = segs[0]!.size * 3
    const groups = groupSegmentsBySize(segs, max, 1 << 20, 40)
    expect(groups.flat()).toEqual(segs)
    for (let i = 0; i < groups.length; i++) {
      const total = groups[i]!.reduce((n, s) => n + s.size, 0)
      expect(total).toBeLessThanOrEqual(max)
      if (i + 1 < groups.length) expect(total + groups[i + 1]![0]!.size).toBeGreaterThan(max)
    }
    expect(groups.length).toBeGreaterThan(3)
    expect(groupSegmentsBySize(segs, 1 << 30, 1 << 20, 40).map((g) => g.length)).toEqual([10])
    expect(groupSegmentsBySize(segs, 1, 1 << 20, 40).map((g) => g.length)).toEqual(Array(10).fill(1))
    // the index sizes bound a group too
    const withIndex = segs.map((s) => s.offsetIndex.sizeInBytes)
    expect(withIndex.every((n) => n === 0)).toBe(true)
    // and offsets must fit in an int32 relative to the group's first segment
    expect(groupSegmentsBySize(segs, 1 << 30, 1 << 20, 2 ** 32).map((g) => g.length)).toEqual([9, 1])
  })
})
