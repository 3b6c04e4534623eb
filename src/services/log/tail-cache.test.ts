import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { buildRecordBatch, iterateBatches } from '../../protocol/records/batch.js'
import { type BufferLease, fetchBufferPool } from '../../util/buffer-pool.js'
import { ManualClock, ManualScheduler } from '../../util/scheduler.js'
import { Log } from './log.js'
import { LogSegment } from './segment.js'
import { defaultLogConfig, type LogConfig } from './log-config.js'
import { setTailCacheBudget, tailCacheHeldBytes, tailCacheStats, TAIL_CACHE_MAX_BYTES } from './tail-cache.js'

const dirs: string[] = []
const logs: Log[] = []
afterEach(() => {
  for (const l of logs.splice(0)) if (!l.isClosed) l.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  setTailCacheBudget(TAIL_CACHE_MAX_BYTES)
  fetchBufferPool.poisonOnRelease = false
})

function open(config: Partial<LogConfig> = {}): Log {
  const d = mkdtempSync(join(tmpdir(), 'samsa-tail-'))
  dirs.push(d)
  const clock = new ManualClock(1_700_000_000_000)
  const log = Log.open({
    dir: join(d, 'topic-0'),
    config: { ...defaultLogConfig(), ...config },
    scheduler: new ManualScheduler(clock),
    hadCleanShutdown: true,
  })
  logs.push(log)
  return log
}

/** A batch of `n` records of `size` bytes each. */
function batch(n: number, size = 4000): Buffer {
  const value = 'v'.repeat(size)
  return buildRecordBatch({
    records: Array.from({ length: n }, () => ({ key: null, value, timestamp: 1_700_000_000_000 })),
    now: 1_700_000_000_000,
  })
}

/**
 * Appends `records` as the produce path does: a view of a pooled request frame (40 bytes of "header" before it),
 * under a lease that the dispatcher releases once the append is done.
 */
function produce(log: Log, records: Buffer): void {
  const frame = fetchBufferPool.acquire(records.length + 40)
  records.copy(frame, 40)
  const lease: BufferLease = fetchBufferPool.lease(frame)
  log.appendAsLeader(frame.subarray(40), { leaderEpoch: 0, frame: lease })
  lease.release()
}

/** The offsets of the whole v2 batches in `buf` (a trailing partial batch left out). */
function offsetsIn(buf: Buffer): number[] {
  return [...iterateBatches(buf)].flatMap((e) =>
    e.kind === 'v2'
      ? Array.from(
          { length: e.header.lastOffset - e.header.baseOffset + 1 },
          (_, i) => e.header.baseOffset + i,
        )
      : [],
  )
}

const stats = (): typeof tailCacheStats => ({ ...tailCacheStats })

describe('tail cache: fetches of what was just appended are answered from memory', () => {
  it('serves views of the produce frames, the same bytes as the file; the frame is reused only once both let go', async () => {
    fetchBufferPool.poisonOnRelease = true
    const log = open()
    for (let i = 0; i < 4; i++) produce(log, batch(5)) // ~20 KB each, 4 x 5 records
    const fileBytes = (o: number, maxBytes: number): Buffer => log.read(o, { maxBytes }).records
    // within one append: a view of it
    let s = stats()
    const inOne = (await log.readPlanned(log.planRead(5, { maxBytes: 10_000 })))!
    expect(tailCacheStats.views - s.views).toBe(1)
    expect(inOne.equals(fileBytes(5, 10_000))).toBe(true)
    // a whole append and less than half of the next: the append (whole batches), no partial batch after it
    s = stats()
    const size = fileBytes(5, 1 << 20).length / 3
    const trimmed = (await log.readPlanned(log.planRead(5, { maxBytes: Math.floor(size * 1.4) })))!
    expect(tailCacheStats.views - s.views).toBe(1)
    expect(offsetsIn(trimmed)).toEqual([5, 6, 7, 8, 9])
    expect(trimmed.equals(fileBytes(5, 1 << 20).subarray(0, trimmed.length))).toBe(true)
    // the reader's next read is planned from memory: where it starts came from the cache, no batch header is read
    const translate = vi.spyOn(LogSegment.prototype, 'translateOffset')
    const next = log.planRead(10, { maxBytes: Math.floor(size * 1.4) })
    expect(translate).not.toHaveBeenCalled()
    translate.mockRestore()
    expect(next.position).toBe(log.planRead(10, { maxBytes: 1 }).position)
    // across appends, with less than half in the first: one copy of the range, as the file has it
    s = stats()
    const all = (await log.readPlanned(log.planRead(0, { maxBytes: 1 << 20 })))!
    expect(tailCacheStats.copies - s.copies).toBe(1)
    expect(all.equals(fileBytes(0, 1 << 20))).toBe(true)
    expect(offsetsIn(all)).toEqual([...Array(20).keys()])
    // everything evicted while the view is still being sent: its frame stays as it was until the view is given back
    const expected = Buffer.from(inOne)
    fetchBufferPool.release(trimmed) // (a view of the same frame)
    fetchBufferPool.release(all)
    setTailCacheBudget(0)
    expect(tailCacheHeldBytes()).toBe(0)
    expect(inOne.equals(expected)).toBe(true)
    fetchBufferPool.release(inOne) // the socket has sent it
    expect(inOne.equals(expected)).toBe(false) // poisoned: the frame went back to the pool
    // and the next fetch reads the file
    s = stats()
    expect((await log.readPlanned(log.planRead(5, { maxBytes: 10_000 })))!.equals(expected)).toBe(true)
    expect(tailCacheStats.hits - s.hits).toBe(0)
  })

  it('never serves what a truncation took back, nor a rolled segment, nor a closed log', async () => {
    const log = open({ segmentBytes: 70_000 })
    for (let i = 0; i < 3; i++) produce(log, batch(5))
    expect(tailCacheHeldBytes()).toBeGreaterThan(0)
    const stale = log.planRead(10, { maxBytes: 10_000 })
    log.truncateTo(10)
    expect(tailCacheHeldBytes()).toBe(0)
    expect(await log.readPlanned(stale)).toBeUndefined()
    // offsets 10.. again, other bytes (2 records per batch now): from memory, and as the file has them
    produce(log, batch(2, 3000))
    produce(log, batch(2, 3000))
    const two = batch(2, 3000).length
    let s = stats()
    const again = (await log.readPlanned(log.planRead(10, { maxBytes: two })))!
    expect(tailCacheStats.views - s.views).toBe(1)
    expect(offsetsIn(again)).toEqual([10, 11])
    expect(again.equals(log.read(10, { maxBytes: two }).records)).toBe(true)
    // a roll: the new active segment is cached from its start; the old one is read from its file
    const before = log.numberOfSegments
    for (let i = 0; i < 4; i++) produce(log, batch(5))
    expect(log.numberOfSegments).toBeGreaterThan(before)
    s = stats()
    const old = (await log.readPlanned(log.planRead(10, { maxBytes: two })))!
    expect(tailCacheStats.hits - s.hits).toBe(0)
    expect(old.equals(again)).toBe(true)
    const last = log.logEndOffset - 5
    s = stats()
    const tail = (await log.readPlanned(log.planRead(last, { maxBytes: 1 << 20 })))!
    expect(tailCacheStats.hits - s.hits).toBe(1)
    expect(tail.equals(log.read(last, { maxBytes: 1 << 20 }).records)).toBe(true)
    // an append the cache cannot hold without a copy (a follower's: no frame) drops the log's cache
    log.appendAsFollower(
      (() => {
        const b = batch(1)
        b.writeBigInt64BE(BigInt(log.logEndOffset), 0)
        return b
      })(),
    )
    expect(tailCacheHeldBytes()).toBe(0)
    produce(log, batch(5))
    expect(tailCacheHeldBytes()).toBeGreaterThan(0)
    log.close()
    expect(tailCacheHeldBytes()).toBe(0)
  })

  it('holds at most its budget, evicting the oldest appends of every log first; a small batch is copied out', async () => {
    const a = open()
    const b = open()
    // a ~20 KB batch lies in a 32 KiB pooled frame: it keeps that frame (32 KiB counted)
    setTailCacheBudget(3 * 32 * 1024)
    produce(a, batch(5))
    produce(b, batch(5))
    produce(a, batch(5))
    expect(tailCacheHeldBytes()).toBe(3 * 32 * 1024)
    produce(b, batch(5)) // a's first append goes
    expect(tailCacheHeldBytes()).toBe(3 * 32 * 1024)
    let s = stats()
    await a.readPlanned(a.planRead(0, { maxBytes: 10_000 }))
    expect(tailCacheStats.misses - s.misses).toBe(1)
    s = stats()
    await a.readPlanned(a.planRead(5, { maxBytes: 10_000 }))
    await b.readPlanned(b.planRead(0, { maxBytes: 10_000 }))
    expect(tailCacheStats.hits - s.hits).toBe(2)
    // a 4 KB batch in a 32 KiB frame (1/8 of it): copied, only its bytes counted
    const small = batch(1)
    const frame = fetchBufferPool.acquire(20_000)
    small.copy(frame, 0)
    const lease = fetchBufferPool.lease(frame)
    const held = tailCacheHeldBytes()
    b.appendAsLeader(frame.subarray(0, small.length), { leaderEpoch: 0, frame: lease })
    lease.release()
    expect(tailCacheHeldBytes()).toBeLessThanOrEqual(held - 32 * 1024 + small.length)
    frame.fill(0) // the frame is free to be reused: the cache has its own copy
    s = stats()
    const read = (await b.readPlanned(b.planRead(10, { maxBytes: 10_000 })))!
    expect(tailCacheStats.hits - s.hits).toBe(1)
    expect(read.equals(small.subarray(0, read.length))).toBe(false) // the log assigned offset 10
    expect(read.equals(b.read(10, { maxBytes: 10_000 }).records)).toBe(true)
  })

  it('serves nothing whose write has not landed', async () => {
    const log = open()
    produce(log, batch(5))
    const frame = fetchBufferPool.acquire(30_000)
    const records = batch(5)
    records.copy(frame)
    const lease = fetchBufferPool.lease(frame)
    const info = log.appendAsLeader(frame.subarray(0, records.length), {
      leaderEpoch: 0,
      frame: lease,
      deferWrite: true,
    })
    // the plan stops where the pending write starts
    const plan = log.planRead(0, { maxBytes: 1 << 20 })
    expect(offsetsIn((await log.readPlanned(plan))!)).toEqual([0, 1, 2, 3, 4])
    expect(log.planRead(5, { maxBytes: 1 << 20 }).length).toBe(0)
    await info.written
    lease.release()
    const s = stats()
    const now = (await log.readPlanned(log.planRead(5, { maxBytes: 1 << 20 })))!
    expect(tailCacheStats.hits - s.hits).toBe(1)
    expect(offsetsIn(now)).toEqual([5, 6, 7, 8, 9])
  })
})
