import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { pino } from 'pino'
import { ManualClock, ManualScheduler, ScopedScheduler, SystemScheduler, systemClock } from './scheduler.js'
import { nextTurn } from './test-helpers.js'

/** A logger that keeps the error messages it was given. */
function recordingLogger(): { logger: pino.Logger; errors: string[] } {
  const errors: string[] = []
  const logger = pino(
    { level: 'error' },
    { write: (line: string) => void errors.push((JSON.parse(line) as { msg: string }).msg) },
  )
  return { logger, errors }
}

/** Several turns of promise jobs and immediates: "work that takes a while but no time". */
async function someWork(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await nextTurn()
}

describe('ManualScheduler', () => {
  it('runs due tasks in deadline order, then scheduling order, with the clock at each deadline', async () => {
    const s = new ManualScheduler(new ManualClock(1000))
    const seen: [string, number][] = []
    s.schedule('b', () => seen.push(['b', s.clock.now()]), 50)
    s.schedule(
      'a',
      () => {
        seen.push(['a', s.clock.now()])
        s.schedule('a2', () => seen.push(['a2', s.clock.now()]), 5)
      },
      10,
    )
    s.schedule('a-again', () => seen.push(['a-again', s.clock.now()]), 10)
    s.schedule('cancelled', () => seen.push(['cancelled', s.clock.now()]), 20).cancel()
    expect(s.pending()).toEqual(['a', 'a-again', 'b'])
    await s.advance(40)
    expect(seen).toEqual([
      ['a', 1010],
      ['a-again', 1010],
      ['a2', 1015],
    ])
    expect(s.clock.now()).toBe(1040)
    expect(s.nextDeadlineIn()).toBe(10)
    await s.advance(10)
    expect(seen.at(-1)).toEqual(['b', 1050])
    expect(s.pending()).toEqual([])
    expect(s.nextDeadlineIn()).toBeUndefined()
  })

  it('never runs a task inside schedule(), even with a delay of 0 or less', async () => {
    const s = new ManualScheduler()
    let ran = 0
    s.schedule('now', () => ran++, 0)
    s.schedule('past', () => ran++, -5)
    expect(ran).toBe(0)
    await s.advance(0)
    expect(ran).toBe(2)
  })

  it('runs a task scheduled with no delay by itself, as time needs not move for it', async () => {
    const s = new ManualScheduler(new ManualClock(0))
    const ran: string[] = []
    s.schedule('now', () => void ran.push(`now@${s.clock.now()}`), 0)
    s.schedule('later', () => void ran.push('later'), 1)
    await someWork()
    expect(ran).toEqual(['now@0'])
    await s.sleep(0) // a sleep of 0 returns without an advance too
    expect(s.pending()).toEqual(['later'])
  })

  it('repeats periodic tasks until cancelled', async () => {
    const s = new ManualScheduler(new ManualClock(0))
    const runs: string[] = []
    s.schedule('once', () => runs.push(`once@${s.clock.now()}`), 10)
    const every = s.schedule('every', () => runs.push(`every@${s.clock.now()}`), 5, 5)
    await s.advance(12)
    expect(runs).toEqual(['every@5', 'once@10', 'every@10'])
    every.cancel()
    every.cancel()
    await s.advance(100)
    expect(runs).toHaveLength(3)
    expect(s.clock.now()).toBe(112)
  })

  it('awaits a task before the next one runs and before advance resolves', async () => {
    const s = new ManualScheduler(new ManualClock(0))
    const log: string[] = []
    s.schedule(
      'slow',
      async () => {
        log.push('slow start')
        await someWork(20)
        log.push(`slow end@${s.clock.now()}`)
      },
      10,
    )
    s.schedule('next', () => log.push(`next@${s.clock.now()}`), 11)
    await s.advance(100)
    expect(log).toEqual(['slow start', 'slow end@10', 'next@11'])
  })

  it('lets what a task started without returning it run before the next task', async () => {
    const s = new ManualScheduler(new ManualClock(0))
    const log: string[] = []
    s.schedule(
      'fire-and-forget',
      () =>
        void Promise.resolve()
          .then(() => Promise.resolve())
          .then(() => log.push('continuation')),
      10,
    )
    s.schedule('next', () => log.push('next'), 10)
    await s.advance(10)
    expect(log).toEqual(['continuation', 'next'])
  })

  it('wakes sleepers at their deadline and runs their continuations within the same advance', async () => {
    const s = new ManualScheduler(new ManualClock(0))
    const log: string[] = []
    const sleeper = (async () => {
      await s.sleep(30)
      log.push(`woke@${s.clock.now()}`)
      await s.sleep(30)
      log.push(`woke again@${s.clock.now()}`)
    })()
    s.schedule('between', () => log.push(`task@${s.clock.now()}`), 45)
    await s.advance(20)
    expect(log).toEqual([])
    await s.advance(50)
    expect(log).toEqual(['woke@30', 'task@45', 'woke again@60'])
    await sleeper
  })

  it('ends a sleep early when its signal aborts, and never sleeps on an aborted signal', async () => {
    const s = new ManualScheduler()
    const stop = new AbortController()
    let woke = false
    const p = s.sleep(1_000_000, stop.signal).then(() => (woke = true))
    await someWork()
    expect(woke).toBe(false)
    stop.abort()
    await p
    expect(s.pending()).toEqual([])
    await s.sleep(1_000_000, stop.signal)
  })

  it('never overlaps two runs of a periodic task', async () => {
    const s = new ManualScheduler(new ManualClock(0))
    let running = 0
    let maxRunning = 0
    let runs = 0
    s.schedule(
      'periodic',
      async () => {
        running++
        maxRunning = Math.max(maxRunning, running)
        runs++
        await someWork()
        running--
      },
      10,
      10,
    )
    await s.advance(95)
    expect(runs).toBe(9)
    expect(maxRunning).toBe(1)
  })

  it('logs what a task throws or rejects, and keeps a periodic task going', async () => {
    const { logger, errors } = recordingLogger()
    const s = new ManualScheduler(new ManualClock(0), logger)
    let runs = 0
    s.schedule(
      'throws',
      () => {
        runs++
        throw new Error('boom')
      },
      1,
      1,
    )
    s.schedule('rejects', () => Promise.reject(new Error('async boom')), 2)
    await s.advance(3)
    expect(runs).toBe(3)
    // At 2 'rejects' comes first: the periodic task's second run was scheduled when its first one ended.
    expect(errors).toEqual([
      "Uncaught exception in scheduled task 'throws'",
      "Uncaught exception in scheduled task 'rejects'",
      "Uncaught exception in scheduled task 'throws'",
      "Uncaught exception in scheduled task 'throws'",
    ])
  })

  it('runs advances one after another when they are not awaited', async () => {
    const s = new ManualScheduler(new ManualClock(0))
    const at: number[] = []
    s.schedule('a', () => at.push(s.clock.now()), 5)
    s.schedule('b', () => at.push(s.clock.now()), 15)
    await Promise.all([s.advance(10), s.advance(10)])
    expect(at).toEqual([5, 15])
    expect(s.clock.now()).toBe(20)
    await expect(s.advance(-1)).rejects.toThrow(/cannot advance/)
  })

  it('starts at the current wall-clock time unless given a clock', () => {
    const before = Date.now()
    const s = new ManualScheduler()
    expect(s.clock.now()).toBeGreaterThanOrEqual(before)
    expect(s.clock.now()).toBeLessThanOrEqual(Date.now())
  })
})

describe('SystemScheduler', () => {
  // Node's timers and performance.now() under vitest's fake timers: the real implementation, run deterministically.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'performance'] })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('runs one-shot and periodic tasks on Node timers at their deadlines, and honours cancel', () => {
    const s = new SystemScheduler(undefined, systemClock)
    const seen: string[] = []
    s.schedule('b', () => void seen.push(`b@${Math.round(performance.now())}`), 20)
    s.schedule('a', () => void seen.push(`a@${Math.round(performance.now())}`), 1)
    s.schedule('never', () => void seen.push('never'), 5).cancel()
    const periodic = s.schedule('tick', () => void seen.push(`tick@${Math.round(performance.now())}`), 3, 4)
    const t0 = Math.round(performance.now())
    vi.advanceTimersByTime(12)
    periodic.cancel()
    vi.advanceTimersByTime(100)
    expect(seen).toEqual([
      `a@${t0 + 1}`,
      `tick@${t0 + 3}`,
      `tick@${t0 + 7}`,
      `tick@${t0 + 11}`,
      `b@${t0 + 20}`,
    ])
  })

  it('chains delays longer than a Node timer can take', () => {
    const s = new SystemScheduler(undefined, systemClock)
    let ran = false
    s.schedule('far', () => void (ran = true), 2 ** 31 + 5000)
    vi.advanceTimersByTime(2 ** 31 - 1)
    expect(ran).toBe(false)
    vi.advanceTimersByTime(5000)
    expect(ran).toBe(false)
    vi.advanceTimersByTime(1)
    expect(ran).toBe(true)
  })

  it('makes a periodic task whose run is still going wait for it', async () => {
    const s = new SystemScheduler(undefined, systemClock)
    const starts: number[] = []
    let running = 0
    let maxRunning = 0
    const t0 = performance.now()
    const t = s.schedule(
      'slow',
      async () => {
        starts.push(Math.round(performance.now() - t0))
        maxRunning = Math.max(maxRunning, ++running)
        await new Promise((r) => setTimeout(r, 15)) // a run longer than the period
        running--
      },
      1,
      2,
    )
    await vi.advanceTimersByTimeAsync(50)
    expect(maxRunning).toBe(1)
    // each run starts as soon as the previous one ended (15 ms later; Node's timers take at least 1 ms), never
    // every 2 ms
    expect(starts).toEqual([1, 17, 33, 49])
    t.cancel()
  })
})

describe('ScopedScheduler', () => {
  it('cancels its own tasks and wakes its sleepers on shutdown, leaving the parent alone', async () => {
    const parent = new ManualScheduler(new ManualClock(0))
    const scope = new ScopedScheduler(parent)
    const ran: string[] = []
    parent.schedule('parent', () => void ran.push('parent'), 10)
    scope.schedule('scoped', () => void ran.push('scoped'), 10)
    scope.schedule('scoped-periodic', () => void ran.push('scoped-periodic'), 5, 5)
    const stop = new AbortController()
    const sleeping = [scope.sleep(1000), scope.sleep(1000, stop.signal)]
    expect(scope.clock).toBe(parent.clock)
    await parent.advance(5)
    expect(ran).toEqual(['scoped-periodic'])
    scope.shutdown()
    await Promise.all(sleeping)
    expect(scope.isShutdown).toBe(true)
    scope.schedule('late', () => void ran.push('late'), 0)
    await parent.advance(100)
    expect(ran).toEqual(['scoped-periodic', 'parent'])
    expect(parent.pending()).toEqual([])
  })

  it('logs errors of its tasks with its own logger', async () => {
    const { logger, errors } = recordingLogger()
    const parent = new ManualScheduler(new ManualClock(0))
    const scope = new ScopedScheduler(parent, logger)
    scope.schedule(
      'bad',
      () => {
        throw new Error('boom')
      },
      1,
    )
    await parent.advance(1)
    expect(errors).toEqual(["Uncaught exception in scheduled task 'bad'"])
  })
})
