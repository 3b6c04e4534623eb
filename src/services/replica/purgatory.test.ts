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

  it('a levelled check tries only the operations whose level it reaches (and the unlevelled ones); a plain check tries all', () => {
    const p = new Purgatory('Produce', new ManualScheduler())
    // an operation that counts its tries and is ready once `hw` reaches `need`
    let hw = 0
    const tries: number[] = []
    const at = (need: number, id: number): DelayedOperation & { outcome?: string } => ({
      tryComplete() {
        tries.push(id)
        if (hw < need) return false
        this.outcome = 'completed'
        return true
      },
      onExpiration() {
        this.outcome = 'expired'
      },
    })
    const a = at(10, 1)
    const b = at(20, 2)
    const c = at(15, 3) // out of order: inserted by level
    const free = at(12, 4) // no level: tried by every check
    p.tryCompleteElseWatch(a, ['t-0'], 30_000, [10])
    p.tryCompleteElseWatch(b, ['t-0'], 30_000, [20])
    p.tryCompleteElseWatch(c, ['t-0'], 30_000, [15])
    p.tryCompleteElseWatch(free, ['t-0'], 30_000)
    tries.length = 0
    hw = 12
    expect(p.checkAndComplete('t-0', 12)).toBe(2) // a, and the unlevelled one; b and c are not tried
    expect(tries).toEqual([1, 4])
    tries.length = 0
    hw = 16
    expect(p.checkAndComplete('t-0', 16)).toBe(1)
    expect(tries).toEqual([3])
    expect(p.size).toBe(1)
    // a plain check (leadership change) tries every operation whatever its level
    tries.length = 0
    expect(p.checkAndComplete('t-0')).toBe(0)
    expect(tries).toEqual([2])
    hw = 20
    expect(p.checkAndComplete('t-0', 20)).toBe(1)
    expect([a, b, c, free].map((o) => o.outcome)).toEqual([
      'completed',
      'completed',
      'completed',
      'completed',
    ])
    expect(p.size).toBe(0)
  })

  it('an operation waiting on two keys completes through the second once the first reached its level', () => {
    const p = new Purgatory('Produce', new ManualScheduler())
    const o = op()
    p.tryCompleteElseWatch(o, ['a', 'b'], 30_000, [5, 7])
    expect(p.checkAndComplete('a', 5)).toBe(0) // b not there yet
    o.ready = true
    expect(p.checkAndComplete('a', 6)).toBe(0) // already off a's level list: a no longer holds it back
    expect(p.checkAndComplete('b', 7)).toBe(1)
    expect(o.outcome).toBe('completed')
    expect(p.size).toBe(0)
  })

  it('operations that expired do not pile up on a level that is never reached', async () => {
    const s = new ManualScheduler(new ManualClock(0))
    const p = new Purgatory('Produce', s)
    const anchor = op() // keeps the key watched throughout
    p.tryCompleteElseWatch(anchor, ['t-0'], 1_000_000, [50])
    for (let i = 0; i < 1000; i++) {
      p.tryCompleteElseWatch(op(), ['t-0'], 10, [100 + i])
      await s.advance(20) // expired
    }
    const live = op()
    p.tryCompleteElseWatch(live, ['t-0'], 30_000, [5000])
    const listed = (p as unknown as { byLevel: Map<string, unknown[]> }).byLevel.get('t-0')!.length
    expect(listed).toBeLessThanOrEqual(65)
    live.ready = anchor.ready = true
    expect(p.checkAndComplete('t-0', 5000)).toBe(2)
    expect(p.size).toBe(0)
  })
})
