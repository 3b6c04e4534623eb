import { describe, expect, it } from 'vitest'
import { ManualClock, ManualScheduler } from '../../util/scheduler.js'
import { Purgatory, type DelayedOperation } from './purgatory.js'

/** An operation that completes once `ready` is set, recording how it ended. */
function op(): DelayedOperation & { ready: boolean; outcome: string | undefined } {
  return {
    ready: false,
    outcome: undefined,
    tryComplete() {
      if (!this.ready) return false
      this.outcome = 'completed'
      return true
    },
    onExpiration() {
      this.outcome = 'expired'
    },
  }
}

describe('Purgatory', () => {
  it('completes an operation at once when it can, without a timer', () => {
    const s = new ManualScheduler()
    const p = new Purgatory('Produce', s)
    const o = op()
    o.ready = true
    expect(p.tryCompleteElseWatch(o, ['t-0'], 1000)).toBe(true)
    expect(o.outcome).toBe('completed')
    expect(p.size).toBe(0)
    expect(s.pending()).toEqual([])
  })

  it('expires a waiting operation exactly at its timeout, on its scheduler', async () => {
    const s = new ManualScheduler(new ManualClock(0))
    const p = new Purgatory('Fetch', s)
    const o = op()
    expect(p.tryCompleteElseWatch(o, ['t-0', 't-1'], 500)).toBe(false)
    expect(p.size).toBe(2)
    expect(s.pending()).toEqual(['FetchPurgatory'])
    await s.advance(499)
    expect(o.outcome).toBeUndefined()
    await s.advance(1)
    expect(o.outcome).toBe('expired')
    expect(p.size).toBe(0)
    expect(p.checkAndComplete('t-0')).toBe(0)
  })

  it('completes a waiting operation when a key it waits on is checked, and cancels its timeout', async () => {
    const s = new ManualScheduler(new ManualClock(0))
    const p = new Purgatory('Produce', s)
    const o = op()
    p.tryCompleteElseWatch(o, ['t-0', 't-1'], 500)
    expect(p.checkAndComplete('t-1')).toBe(0)
    o.ready = true
    expect(p.checkAndComplete('t-1')).toBe(1)
    expect(o.outcome).toBe('completed')
    expect(p.size).toBe(0)
    expect(s.pending()).toEqual([])
    await s.advance(1000)
    expect(o.outcome).toBe('completed')
  })

  it('expires everything still waiting on shutdown', () => {
    const s = new ManualScheduler()
    const p = new Purgatory('Produce', s)
    const ops = [op(), op()]
    p.tryCompleteElseWatch(ops[0]!, ['a'], 30_000)
    p.tryCompleteElseWatch(ops[1]!, ['a', 'b'], 30_000)
    p.shutdown()
    expect(ops.map((o) => o.outcome)).toEqual(['expired', 'expired'])
    expect(s.pending()).toEqual([])
  })
})
