import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import {
  buildEndTxnMarker,
  buildRecordBatch,
  readBatchHeader,
  readRecords,
} from '../../protocol/records/batch.js'
import { ManualClock, ManualScheduler } from '../../util/scheduler.js'
import { simulatedDiskFaults } from './file-utils.js'
import { Log, type StorageFaultListener } from './log.js'
import { defaultLogConfig, type LogConfig } from './log-config.js'
import { QUEUE_LIMIT, queuedWriteBytes } from './write-behind.js'

const dirs: string[] = []
const logs: Log[] = []
afterEach(() => {
  for (const l of logs.splice(0)) if (!l.isClosed) l.close()
  for (const d of dirs.splice(0)) {
    simulatedDiskFaults.set(d, undefined)
    rmSync(d, { recursive: true, force: true })
  }
})

const faults: { fault: string }[] = []
const listener: StorageFaultListener = {
  onFault: (_log, fault) => faults.push({ fault }),
  onRecovered: () => {},
}

function open(config: Partial<LogConfig> = {}): { log: Log; dir: string } {
  const root = mkdtempSync(join(tmpdir(), 'samsa-wb-'))
  dirs.push(root)
  const dir = join(root, 'topic-0')
  const clock = new ManualClock(1_700_000_000_000)
  const log = Log.open({
    dir,
    config: { ...defaultLogConfig(), ...config },
    scheduler: new ManualScheduler(clock),
    hadCleanShutdown: true,
    storageFaults: listener,
  })
  logs.push(log)
  return { log, dir }
}

function batch(n: number, tag = 'v'): Buffer {
  const now = 1_700_000_000_000
  return buildRecordBatch({
    records: Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `${tag}-${i}`, timestamp: now })),
    now,
  })
}

/** [offset, value] of every record in `buf`. */
function records(buf: Buffer): [number, string][] {
  const out: [number, string][] = []
  let p = 0
  while (p + 61 <= buf.length) {
    const h = readBatchHeader(buf, p)
    if (p + h.sizeInBytes > buf.length) break
    for (const r of readRecords(buf, p)) out.push([r.offset, r.value!.toString()])
    p += h.sizeInBytes
  }
  return out
}

/** What the segment files hold, in offset order (what a restart would find). */
function onDisk(dir: string): [number, string][] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort()
  return files.flatMap((f) => records(readFileSync(join(dir, f))))
}

const segmentSize = (dir: string): number => statSync(join(dir, '00000000000000000000.log')).size
/** Every record of the log, read as a consumer would (one segment per read). */
function all(log: Log): [number, string][] {
  const out: [number, string][] = []
  while (out.length < log.logEndOffset) {
    const got = records(log.read(out.length, { maxBytes: 1 << 20 }).records)
    if (got.length === 0) break
    out.push(...got)
  }
  return out
}
const defer = { leaderEpoch: 0, deferWrite: true }
const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r))

describe('deferred appends (write-behind)', () => {
  it('are fetched only once in the file (reads stop before them); one write for a turn', async () => {
    const { log, dir } = open()
    log.appendAsLeader(batch(1, 'sync'), { leaderEpoch: 0 })
    const before = segmentSize(dir)
    const a = log.appendAsLeader(batch(2, 'a'), defer)
    const b = log.appendAsLeader(batch(2, 'b'), defer)
    expect(a.written).toBeDefined()
    expect(queuedWriteBytes()).toBeGreaterThan(0)
    expect(segmentSize(dir)).toBe(before) // not written yet
    const expected: [number, string][] = [
      [0, 'sync-0'],
      [1, 'a-0'],
      [2, 'a-1'],
      [3, 'b-0'],
      [4, 'b-1'],
    ]
    // a fetch of the pending offsets (a consumer's or a follower's) waits for them: reads stop at writtenEndOffset
    expect(log.logEndOffset).toBe(5)
    expect(log.writtenEndOffset).toBe(1)
    expect(all(log)).toEqual(expected.slice(0, 1))
    expect(log.read(3, { maxBytes: 1 << 20 }).records.length).toBe(0)
    const plan = log.planRead(1, { maxBytes: 1 << 20 })
    expect((await log.readPlanned(plan))!.length).toBe(0)
    await Promise.all([a.written, b.written])
    expect(log.writtenEndOffset).toBe(5)
    expect(all(log)).toEqual(expected)
    expect(records((await log.readPlanned(log.planRead(3, { maxBytes: 1 << 20 })))!)).toEqual(
      expected.slice(3),
    )
    expect(queuedWriteBytes()).toBe(0)
    expect(onDisk(dir)).toEqual(expected)
  })

  it('keep their order across a roll, and a flush waits for them', async () => {
    const { log, dir } = open({ segmentBytes: 300 })
    const results = Array.from({ length: 6 }, (_, i) => log.appendAsLeader(batch(1, `r${i}`), defer))
    expect(log.numberOfSegments).toBeGreaterThan(1)
    const expected = results.map((_, i): [number, string] => [i, `r${i}-0`])
    // a roll writes what the old segment still had on its way: only the active segment has pending writes
    expect(log.writtenEndOffset).toBeGreaterThan(0)
    await log.flushAsync(log.logEndOffset)
    expect(onDisk(dir)).toEqual(expected) // flushAsync waited for the writes before its fsyncs
    await Promise.all(results.map((r) => r.written))
    expect(all(log)).toEqual(expected)
  })

  it('a truncation fails the queued appends it removes; what is appended after it is written in their place', async () => {
    const { log, dir } = open()
    log.appendAsLeader(batch(2, 'keep'), { leaderEpoch: 0 })
    const gone = log.appendAsLeader(batch(2, 'gone'), defer)
    const outcome = gone.written!.then(
      () => 'written',
      (e: unknown) => (e instanceof KafkaError ? e.code : e),
    )
    log.truncateTo(2)
    const after = log.appendAsLeader(batch(1, 'after'), defer)
    expect(await outcome).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER)
    await after.written
    const expected: [number, string][] = [
      [0, 'keep-0'],
      [1, 'keep-1'],
      [2, 'after-0'],
    ]
    expect(all(log)).toEqual(expected)
    expect(onDisk(dir)).toEqual(expected)
  })

  it('a truncation while the write is on the thread pool: the file ends as if it had run after it', async () => {
    for (let round = 0; round < 5; round++) {
      const { log, dir } = open()
      log.appendAsLeader(batch(2, 'keep'), { leaderEpoch: 0 })
      const gone = log.appendAsLeader(batch(3, 'gone-long-value'), defer)
      const outcome = gone.written!.then(
        () => 'written',
        (e: unknown) => (e instanceof KafkaError ? e.code : e),
      )
      await nextTurn() // the write is handed to the pool now
      log.truncateTo(2)
      // a synchronous append (a follower's) over the truncated range, then a deferred one, and a read meanwhile
      log.appendAsLeader(batch(1, 'sync'), { leaderEpoch: 0 })
      const later = log.appendAsLeader(batch(1, 'later'), defer)
      const expected: [number, string][] = [
        [0, 'keep-0'],
        [1, 'keep-1'],
        [2, 'sync-0'],
        [3, 'later-0'],
      ]
      expect(log.writtenEndOffset).toBe(2) // the flight (now truncated away) has not landed
      expect(await outcome).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER)
      await later.written
      expect(all(log)).toEqual(expected)
      await log.flushAsync(log.logEndOffset)
      expect(onDisk(dir)).toEqual(expected)
      expect(segmentSize(dir)).toBe(log.size)
      log.close()
    }
  })

  it('close writes what is pending; a close while a write is on the pool waits for it to land', async () => {
    const { log, dir } = open()
    const a = log.appendAsLeader(batch(1, 'a'), defer)
    await nextTurn()
    const b = log.appendAsLeader(batch(1, 'b'), defer)
    log.close()
    expect(onDisk(dir)).toEqual([
      [0, 'a-0'],
      [1, 'b-0'],
    ])
    await Promise.all([a.written, b.written])
  })

  it('an I/O error fails exactly the appends not yet written, truncates them away and reports the fault', async () => {
    const { log, dir } = open()
    log.appendAsLeader(batch(2, 'ok'), { leaderEpoch: 0 })
    faults.length = 0
    const a = log.appendAsLeader(batch(1, 'a'), defer)
    const b = log.appendAsLeader(batch(1, 'b'), defer)
    simulatedDiskFaults.set(join(dir, '..'), 'EIO')
    const failed = await Promise.allSettled([a.written, b.written])
    expect(failed.map((f) => f.status)).toEqual(['rejected', 'rejected'])
    expect((failed[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'EIO' })
    // (the truncation's leader-epoch checkpoint, written on the pool, may report the same failed dir again)
    expect(new Set(faults.map((f) => f.fault))).toEqual(new Set(['failed']))
    expect(log.logEndOffset).toBe(2)
    simulatedDiskFaults.set(join(dir, '..'), undefined)
    expect(all(log)).toEqual([
      [0, 'ok-0'],
      [1, 'ok-1'],
    ])
    expect(segmentSize(dir)).toBe(log.size)
  })

  it('an index write failing after the deferred write was queued (a full disk) fails the append, with no unhandled rejection', async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (e: unknown): void => void unhandled.push(e)
    process.on('unhandledRejection', onUnhandled)
    try {
      // index.interval.bytes 1: every append after the first adds an offset index entry (a synchronous write)
      const { log, dir } = open({ indexIntervalBytes: 1 })
      log.appendAsLeader(batch(2, 'ok'), { leaderEpoch: 0 })
      faults.length = 0
      simulatedDiskFaults.set(join(dir, '..'), 'ENOSPC')
      // the bytes are queued (the pool write would fail too, later); the index entry fails now
      let thrown: unknown
      try {
        log.appendAsLeader(batch(1, 'a'), defer)
      } catch (e) {
        thrown = e
      }
      expect(thrown).toBeInstanceOf(KafkaError)
      expect((thrown as KafkaError).code).toBe(ErrorCode.KAFKA_STORAGE_ERROR)
      expect(faults).toEqual([{ fault: 'full' }])
      expect(log.logEndOffset).toBe(2)
      for (let i = 0; i < 5; i++) await nextTurn()
      expect(unhandled).toEqual([])
      simulatedDiskFaults.set(join(dir, '..'), undefined)
      await log.appendAsLeader(batch(1, 'b'), defer).written
      expect(onDisk(dir)).toEqual([
        [0, 'ok-0'],
        [1, 'ok-1'],
        [2, 'b-0'],
      ])
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })

  it("an aborted transaction's index entry failing (a full disk) undoes the append, with no unhandled rejection", async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (e: unknown): void => void unhandled.push(e)
    process.on('unhandledRejection', onUnhandled)
    try {
      const { log, dir } = open()
      const txn = buildRecordBatch({
        records: [{ key: 'k', value: 'in-txn', timestamp: 1_700_000_000_000 }],
        now: 1_700_000_000_000,
        producerId: 9,
        producerEpoch: 1,
        baseSequence: 0,
        isTransactional: true,
      })
      log.appendAsLeader(txn, { leaderEpoch: 0 })
      // (the log's clock's time: an older batch would roll the segment, and the roll writes the time index first)
      const abort = buildEndTxnMarker({
        producerId: 9,
        producerEpoch: 1,
        coordinatorEpoch: 0,
        commit: false,
        timestamp: 1_700_000_000_000,
      })
      faults.length = 0
      simulatedDiskFaults.set(join(dir, '..'), 'ENOSPC')
      let thrown: unknown
      try {
        log.appendAsLeader(abort, { ...defer, origin: 'coordinator' })
      } catch (e) {
        thrown = e
      }
      expect((thrown as KafkaError).code).toBe(ErrorCode.KAFKA_STORAGE_ERROR)
      expect(faults).toEqual([{ fault: 'full' }])
      // as before the marker: the transaction is still open
      expect(log.logEndOffset).toBe(1)
      expect(log.firstUnstableOffset).toBe(0)
      for (let i = 0; i < 5; i++) await nextTurn()
      expect(unhandled).toEqual([])
      simulatedDiskFaults.set(join(dir, '..'), undefined)
      const again = log.appendAsLeader(abort, { ...defer, origin: 'coordinator' })
      await again.written
      expect(again.firstOffset).toBe(1)
      log.updateHighWatermark(log.logEndOffset)
      expect(log.collectAbortedTransactions(0, 2)).toEqual([
        { producerId: 9, firstOffset: 0, lastOffset: 1, lastStableOffset: 2 },
      ])
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })

  it('above the queue limit an append is written synchronously, after what is queued before it', async () => {
    const { log, dir } = open({ maxMessageBytes: 2 << 20 })
    const big = (i: number): Buffer =>
      buildRecordBatch({ records: [{ key: `k${i}`, value: Buffer.alloc(1 << 20, i), timestamp: 0 }], now: 0 })
    const n = Math.ceil(QUEUE_LIMIT / (1 << 20)) + 2
    const results = Array.from({ length: n }, (_, i) => log.appendAsLeader(big(i), defer))
    expect(queuedWriteBytes()).toBeLessThanOrEqual(QUEUE_LIMIT)
    expect(segmentSize(dir)).toBeGreaterThan(QUEUE_LIMIT) // the overflow drained the queue into the file
    await Promise.all(results.map((r) => r.written))
    expect(segmentSize(dir)).toBe(log.size)
  })
})
