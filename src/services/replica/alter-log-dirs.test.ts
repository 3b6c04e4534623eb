/**
 * Moving a replica between log directories (AlterReplicaLogDirs): the log manager's future logs (creation, swap,
 * start-up with a move under way, preferred directories) and the copy loop (ReplicaAlterLogDirsManager) under
 * appends, truncation and a throttle.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import { buildRecordBatch, iterateBatches } from '../../protocol/records/batch.js'
import { silentLogger } from '../../util/logger.js'
import { ManualClock, ManualScheduler } from '../../util/scheduler.js'
import { eventually } from '../../util/test-helpers.js'
import { defaultLogConfig } from '../log/log-config.js'
import { LogManager } from '../log/log-manager.js'
import type { Log } from '../log/log.js'
import { ReplicaAlterLogDirsManager, type AlterLogDirsQuota } from './alter-log-dirs.js'
import { Partition } from './partition.js'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const tp = { topic: 't', partition: 0 }

function setup() {
  const a = mkdtempSync(join(tmpdir(), 'samsa-ald-a-'))
  const b = mkdtempSync(join(tmpdir(), 'samsa-ald-b-'))
  cleanups.push(() => {
    rmSync(a, { recursive: true, force: true })
    rmSync(b, { recursive: true, force: true })
  })
  const scheduler = new ManualScheduler(new ManualClock(1_700_000_000_000))
  const open = (): LogManager => {
    const m = new LogManager({
      logDirs: [a, b],
      scheduler,
      fileDeleteDelayMs: 1000,
      // small segments: the copy crosses several
      configFor: () => ({ ...defaultLogConfig(), segmentBytes: 4096 }),
    })
    m.startup()
    cleanups.push(() => m.shutdown())
    return m
  }
  return { a, b, scheduler, open }
}

let seq = 0
const append = (log: Log, epoch: number, n = 3): void => {
  const records = Array.from({ length: n }, () => ({ value: `v${seq++}`, timestamp: 1_700_000_000_000 }))
  log.appendAsLeader(buildRecordBatch({ records, now: 1_700_000_000_000 }), { leaderEpoch: epoch })
}

/** Every batch of a log: base offset, last offset, epoch, CRC. */
function batches(log: Log): string[] {
  const out: string[] = []
  let offset = log.logStartOffset
  for (;;) {
    const r = log.read(offset, { maxBytes: 1 << 30, minOneMessage: true })
    if (r.records.length === 0) break
    let last = offset
    for (const e of iterateBatches(r.records)) {
      if (e.kind !== 'v2') break
      out.push(
        `${e.header.baseOffset}-${e.header.lastOffset}@${e.header.partitionLeaderEpoch}:${e.header.crc}`,
      )
      last = e.header.lastOffset + 1
    }
    if (last === offset) break
    offset = last
  }
  return out
}

function mover(m: LogManager, more: { quota?: AlterLogDirsQuota; chunkBytes?: number } = {}) {
  const scheduler = new ManualScheduler(new ManualClock(0))
  const swaps: string[] = []
  const manager = new ReplicaAlterLogDirsManager({
    scheduler,
    log: silentLogger,
    futureLogOf: (q) => m.getFutureLog(q),
    swap: (q) => {
      q.attachLog(m.replaceCurrentWithFutureLog(q))
      swaps.push(q.key)
    },
    quota: more.quota,
    chunkBytes: more.chunkBytes ?? 700,
    backoffMs: 10,
  })
  cleanups.push(() => manager.shutdown())
  return { manager, swaps, scheduler }
}

describe('moving a replica between log directories', () => {
  it('copies the log in chunks while it is appended to, then swaps it in; the old directory goes', async () => {
    const { a, b, scheduler, open } = setup()
    const m = open()
    const log = m.getOrCreateLog(tp, 'KQ3ulyK0TV-FfsbDWWQFmg')
    expect(log.parentDir).toBe(a)
    log.assignLeaderEpoch(0, 0)
    for (let i = 0; i < 60; i++) append(log, 0)
    log.assignLeaderEpoch(3, log.logEndOffset)
    for (let i = 0; i < 20; i++) append(log, 3)
    log.updateHighWatermark(log.logEndOffset - 5)
    log.maybeIncrementLogStartOffset(4)
    const p = new Partition('t', 0, 1)
    p.attachLog(log)
    const before = batches(log)

    const future = m.createFutureLog(tp, b)
    expect(future.dir).toMatch(/\/t-0\.[0-9a-f]{32}-future$/)
    const { manager, swaps } = mover(m)
    manager.add(p, future)
    // appends go on meanwhile, into the current log
    for (let i = 0; i < 30 && swaps.length === 0; i++) {
      append(log, 3)
      await new Promise((r) => setImmediate(r))
    }
    // a leader epoch with no batch yet (a new leader) is carried over too
    log.assignLeaderEpoch(5, log.logEndOffset)
    await eventually(() => swaps.length === 1)
    const moved = p.log!
    expect(moved).toBe(future)
    expect(moved.dir).toBe(join(b, 't-0'))
    expect(m.getLog(tp)).toBe(moved)
    expect(m.getFutureLog(tp)).toBeUndefined()
    expect(moved.logEndOffset).toBe(log.logEndOffset)
    expect(moved.highWatermark).toBe(log.highWatermark)
    expect(moved.logStartOffset).toBe(4)
    expect(moved.topicId).toBe('KQ3ulyK0TV-FfsbDWWQFmg')
    expect(moved.leaderEpochEntries()).toEqual(log.leaderEpochEntries())
    expect(moved.numberOfSegments).toBeGreaterThan(1)
    const after = batches(moved)
    expect(after.slice(0, before.length)).toEqual(before)
    expect(after.length).toBeGreaterThan(before.length)
    // the old log: renamed -delete at once, removed after log.segment.delete.delay.ms
    expect(readdirSync(a).filter((n) => n.startsWith('t-0'))).toEqual([
      expect.stringMatching(/^t-0\.[0-9a-f]{32}-delete$/),
    ])
    await scheduler.advance(1000)
    expect(readdirSync(a).filter((n) => n.startsWith('t-0'))).toEqual([])
    // appends go to the new log
    append(moved, 5)
    expect(moved.logEndOffset).toBeGreaterThan(log.logEndOffset)
  })

  it('truncates the future log when the current log is truncated under it, and ends identical', async () => {
    const { b, open } = setup()
    const m = open()
    const log = m.getOrCreateLog(tp)
    log.assignLeaderEpoch(0, 0)
    for (let i = 0; i < 40; i++) append(log, 0)
    const p = new Partition('t', 0, 1)
    p.attachLog(log)
    const future = m.createFutureLog(tp, b)
    // the copy holds once the future log has 90 records
    let hold = true
    const gate: AlterLogDirsQuota = {
      isQuotaExceeded: () => hold && future.logEndOffset >= 90,
      record: () => undefined,
    }
    const { manager, swaps, scheduler } = mover(m, { quota: gate })
    manager.add(p, future)
    await eventually(() => future.logEndOffset >= 90)
    expect(swaps).toEqual([])
    // a follower's truncation and new data in a new epoch, at offsets the future log already has
    log.truncateTo(60)
    log.assignLeaderEpoch(2, 60)
    for (let i = 0; i < 20; i++) append(log, 2)
    hold = false
    await scheduler.advance(10)
    await eventually(() => swaps.length === 1)
    expect(batches(p.log!)).toEqual(batches(log))
    expect(p.log!.leaderEpochEntries()).toEqual([
      { epoch: 0, startOffset: 0 },
      { epoch: 2, startOffset: 60 },
    ])
  })

  it('holds back while the throttle is exceeded', async () => {
    const { b, open } = setup()
    const m = open()
    const log = m.getOrCreateLog(tp)
    for (let i = 0; i < 20; i++) append(log, 0)
    const p = new Partition('t', 0, 1)
    p.attachLog(log)
    let recorded = 0
    const quota: AlterLogDirsQuota = {
      isQuotaExceeded: () => recorded >= 1000,
      record: (n) => (recorded += n),
    }
    const { manager, swaps, scheduler } = mover(m, { quota })
    const future = m.createFutureLog(tp, b)
    manager.add(p, future)
    await eventually(() => recorded >= 1000)
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r))
    expect(recorded).toBeLessThan(1000 + 700)
    expect(future.logEndOffset).toBeLessThan(log.logEndOffset)
    expect(swaps).toEqual([])
    recorded = 0
    await scheduler.advance(10)
    await eventually(() => swaps.length === 1 || recorded >= 1000)
  })

  it('finds a move under way at start-up; a future log without its current log becomes the current log', async () => {
    const { a, b, open } = setup()
    let m = open()
    const log = m.getOrCreateLog(tp)
    for (let i = 0; i < 10; i++) append(log, 0)
    const future = m.createFutureLog(tp, b)
    future.appendAsFollower(log.read(0, { maxBytes: 1 << 20 }).records)
    const futureDir = future.dir
    await m.shutdown()
    m = open()
    expect(m.getLog(tp)!.dir).toBe(join(a, 't-0'))
    expect(m.getFutureLog(tp)!.dir).toBe(futureDir)
    expect(m.getFutureLog(tp)!.logEndOffset).toBe(30)
    expect(m.futureLogsInDir(b)).toHaveLength(1)
    await m.shutdown()
    // stopped between the swap's two renames: the current log already renamed -delete
    rmSync(join(a, 't-0'), { recursive: true })
    m = open()
    expect(m.getFutureLog(tp)).toBeUndefined()
    expect(m.getLog(tp)!.dir).toBe(join(b, 't-0'))
    expect(m.getLog(tp)!.logEndOffset).toBe(30)
    expect(existsSync(futureDir)).toBe(false)
  })

  it('pauses the cleaning of a compacted partition while it moves: the copy ends byte-identical, cleaning resumes after', async () => {
    const { a, b, scheduler } = setup()
    const m = new LogManager({
      logDirs: [a, b],
      scheduler,
      fileDeleteDelayMs: 1000,
      configFor: () => ({ ...defaultLogConfig(), segmentBytes: 4096, cleanupPolicy: ['compact'] }),
    })
    m.startup()
    cleanups.push(() => m.shutdown())
    const cleaner = m.cleaner!
    const log = m.getOrCreateLog(tp)
    log.assignLeaderEpoch(0, 0)
    let round = 0
    const update = (): void => {
      const records = Array.from({ length: 8 }, (_, k) => ({
        key: `k${k}`,
        value: `v${round}-${k}`,
        timestamp: 1_700_000_000_000,
      }))
      round++
      log.appendAsLeader(buildRecordBatch({ records, now: 1_700_000_000_000 }), { leaderEpoch: 0 })
      log.updateHighWatermark(log.logEndOffset)
    }
    for (let i = 0; i < 40; i++) update()
    // cleaned once before the move: the cleaner checkpoint of directory a holds its first dirty offset
    expect(cleaner.cleanLog(log)).toBeDefined()
    const firstDirty = cleaner.checkpointOf(log)!
    expect(firstDirty).toBeGreaterThan(0)
    for (let i = 0; i < 40; i++) update()
    const p = new Partition('t', 0, 1)
    p.attachLog(log)

    const future = m.createFutureLog(tp, b)
    expect(cleaner.isCleaningPaused(tp)).toBe(true)
    let hold = true
    const gate: AlterLogDirsQuota = {
      isQuotaExceeded: () => hold && future.logEndOffset >= 200,
      record: () => undefined,
    }
    const { manager, swaps, scheduler: moverScheduler } = mover(m, { quota: gate })
    manager.add(p, future)
    await eventually(() => future.logEndOffset >= 200)
    // the cleaner would clean the log now (dirty, whatever the ratio) — not while it moves
    expect(cleaner.cleanLog(log)).toBeUndefined()
    expect(cleaner.runPass()).toBeUndefined()
    await scheduler.advance(60_000) // the cleaner's own turns
    expect(cleaner.checkpointOf(log)).toBe(firstDirty)
    for (let i = 0; i < 5; i++) update()
    const expected = batches(log)
    hold = false
    await moverScheduler.advance(10)
    await eventually(() => swaps.length === 1)
    const moved = p.log!
    expect(moved.parentDir).toBe(b)
    expect(batches(moved)).toEqual(expected)
    // resumed, with the first dirty offset carried to directory b
    expect(cleaner.isCleaningPaused(tp)).toBe(false)
    expect(cleaner.checkpointOf(moved)).toBe(firstDirty)
    expect(cleaner.cleanLog(moved)).toBeDefined()
    expect(cleaner.checkpointOf(moved)).toBeGreaterThan(firstDirty)
  })

  it('a cancelled move resumes cleaning; pauses nest', () => {
    const { b, open } = setup()
    const m = open()
    const cleaner = m.cleaner!
    m.getOrCreateLog(tp)
    m.createFutureLog(tp, b)
    cleaner.abortAndPauseCleaning(tp) // another pause (Kafka: a truncation) holds too
    expect(cleaner.isCleaningPaused(tp)).toBe(true)
    m.deleteFutureLog(tp)
    expect(cleaner.isCleaningPaused(tp)).toBe(true)
    cleaner.resumeCleaning(tp)
    expect(cleaner.isCleaningPaused(tp)).toBe(false)
  })

  it('log directories: unknown ones, preferred ones, and no future log while one is offline', () => {
    const { a, b, open } = setup()
    const m = open()
    const codeOf = (f: () => unknown): number => {
      try {
        f()
      } catch (e) {
        if (e instanceof KafkaError) return e.code
        throw e
      }
      return ErrorCode.NONE
    }
    expect(codeOf(() => m.isLogDirOnline('/nowhere'))).toBe(ErrorCode.LOG_DIR_NOT_FOUND)
    expect(m.isLogDirOnline(b)).toBe(true)
    // a replica not created yet goes where it was asked to, not to the emptiest directory
    m.getOrCreateLog({ topic: 'x', partition: 0 })
    expect(m.nextLogDirs()[0]).toBe(b)
    m.maybeUpdatePreferredLogDir(tp, a)
    expect(m.getOrCreateLog(tp).parentDir).toBe(a)
    expect(m.getOrCreateLog({ topic: 't', partition: 1 }).parentDir).toBe(b)
    m.failDir(b, new Error('disk'))
    expect(m.isLogDirOnline(b)).toBe(false)
    expect(codeOf(() => m.createFutureLog(tp, a))).toBe(ErrorCode.KAFKA_STORAGE_ERROR)
  })
})
