import { closeSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { buildRecordBatch } from '../../protocol/records/batch.js'
import { ManualClock, ManualScheduler } from '../../util/scheduler.js'
import {
  descriptorBudget,
  descriptorClosed,
  openBudgeted,
  openDescriptors,
  openFileLimit,
  setDescriptorBudget,
  type BudgetedFile,
} from './descriptors.js'
import { Log } from './log.js'
import { defaultLogConfig } from './log-config.js'

const dirs: string[] = []
const logs: Log[] = []
const defaultBudget = descriptorBudget()
afterEach(() => {
  for (const l of logs.splice(0)) if (!l.isClosed) l.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  setDescriptorBudget(defaultBudget)
})

function batch(n: number, size = 100): Buffer {
  const now = 1_700_000_000_000
  return buildRecordBatch({
    now,
    records: Array.from({ length: n }, () => ({ value: Buffer.alloc(size, 7), timestamp: now })),
  })
}

function offsets(records: Buffer): number {
  let n = 0
  for (let p = 0; p + 12 <= records.length;) {
    n += records.readInt32BE(p + 57) // record count
    p += 12 + records.readInt32BE(p + 8)
  }
  return n
}

describe('log file descriptor budget', () => {
  it('defaults to half the process limit on open files', () => {
    const limit = openFileLimit()
    if (limit !== undefined && limit < Number.MAX_SAFE_INTEGER)
      expect(defaultBudget).toBe(Math.max(64, Math.floor(limit / 2)))
  })

  it('keeps at most the budget open across many logs and segments, and every read, write and flush still works', async () => {
    const root = mkdtempSync(join(tmpdir(), 'samsa-fds-'))
    dirs.push(root)
    const scheduler = new ManualScheduler(new ManualClock(1_700_000_000_000))
    setDescriptorBudget(5)
    const opened: Log[] = []
    for (let i = 0; i < 12; i++) {
      const log = Log.open({
        dir: join(root, `t-${i}`),
        // small segments and an index entry per batch: several segments, each with its index files
        config: { ...defaultLogConfig(), segmentBytes: 1500, indexIntervalBytes: 1 },
        scheduler,
        hadCleanShutdown: true,
      })
      logs.push(log)
      opened.push(log)
    }
    for (let round = 0; round < 10; round++)
      for (const log of opened) {
        log.appendAsLeader(batch(5), { leaderEpoch: 0 })
        expect(openDescriptors()).toBeLessThanOrEqual(5)
      }
    for (const log of opened) {
      expect(log.logEndOffset).toBe(50)
      expect(readdirSync(log.dir).filter((f) => f.endsWith('.log')).length).toBeGreaterThan(2)
      // every offset reads back, synchronously and on the thread pool
      expect(offsets(log.read(0, { maxBytes: 1 << 20 }).records)).toBeGreaterThan(0)
      for (const o of [0, 17, 49]) {
        const plan = log.planRead(o, { maxBytes: 1 << 20 })
        const bytes = await log.readPlanned(plan)
        expect(bytes).toEqual(log.read(o, { maxBytes: 1 << 20 }).records)
      }
      expect(openDescriptors()).toBeLessThanOrEqual(5)
    }
    // flushes reopen what the budget closed; the recovery point follows
    for (const log of opened) {
      log.flush()
      expect(log.recoveryPoint).toBe(50)
    }
    await Promise.all(opened.map((l) => l.flushAsync(50)))
    // a clean close and reopen finds every record and a valid index
    for (const log of opened) log.close()
    for (const old of opened) {
      const log = Log.open({
        dir: old.dir,
        config: { ...defaultLogConfig(), segmentBytes: 1500, indexIntervalBytes: 1 },
        scheduler,
        hadCleanShutdown: true,
      })
      logs.push(log)
      expect(log.logEndOffset).toBe(50)
      expect(offsets(log.read(23, { maxBytes: 1 << 20 }).records)).toBeGreaterThan(0)
    }
    expect(openDescriptors()).toBeLessThanOrEqual(5)
  })

  it('a file pinned by work on the thread pool is never closed by the budget', () => {
    setDescriptorBudget(1)
    const closed: string[] = []
    const file = (name: string, busy: boolean): BudgetedFile => ({
      closeIdleDescriptor: () => {
        if (busy) return false
        closed.push(name)
        return true
      },
    })
    const root = mkdtempSync(join(tmpdir(), 'samsa-fds-'))
    dirs.push(root)
    const files = [file('busy', true), file('idle', false), file('new', false)]
    const fds = files.map((f, i) => openBudgeted(f, join(root, `f${i}`), 'w+'))
    expect(closed).toEqual(['idle'])
    for (const i of [0, 2]) {
      closeSync(fds[i]!)
      descriptorClosed(files[i]!)
    }
    expect(openDescriptors()).toBe(0)
  })
})
