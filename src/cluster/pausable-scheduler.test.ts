import { describe, expect, it } from 'vitest'
import { ManualScheduler } from '../util/scheduler.js'
import { PausableScheduler } from './pausable-scheduler.js'

describe('PausableScheduler', () => {
  it('runs nothing while paused and, on resume, what fell due once each, in order', async () => {
    const parent = new ManualScheduler()
    const s = new PausableScheduler(parent)
    const ran: string[] = []
    s.schedule('once', () => void ran.push('once'), 100)
    s.schedule('tick', () => void ran.push('tick'), 50, 50)
    await parent.advance(60)
    expect(ran).toEqual(['tick'])
    s.pause()
    await parent.advance(200)
    expect(ran).toEqual(['tick'])
    s.resume()
    await parent.advance(0)
    expect(ran).toEqual(['tick', 'once', 'tick'])
    ran.length = 0
    await parent.advance(50)
    expect(ran).toEqual(['tick'])
  })

  it('holds a sleep that falls due while paused until resume; a cancelled task stays cancelled', async () => {
    const parent = new ManualScheduler()
    const s = new PausableScheduler(parent)
    let woke = false
    void s.sleep(100).then(() => (woke = true))
    const ran: string[] = []
    const t = s.schedule('t', () => void ran.push('t'), 100)
    s.pause()
    await parent.advance(150)
    expect(woke).toBe(false)
    t.cancel()
    s.resume()
    await parent.advance(0)
    await Promise.resolve()
    expect(woke).toBe(true)
    expect(ran).toEqual([])
  })
})
