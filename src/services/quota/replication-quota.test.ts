/** Replication throttles (KIP-73) on manual time: which replicas are throttled, and Kafka's SimpleRate bound. */
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../util/scheduler.js'
import { parseThrottledPartitions, ReplicationQuotaManager, UNTHROTTLED } from './replication-quota.js'

function quota(opts: { rate?: number; replicas?: Record<string, string[]>; brokerId?: number } = {}) {
  const clock = new ManualClock(1_700_000_000_000)
  const settings = { rate: opts.rate ?? 1000, replicas: opts.replicas ?? { t: ['*'] } }
  const q = new ReplicationQuotaManager({
    brokerId: opts.brokerId ?? 3,
    rate: () => settings.rate,
    throttledReplicas: (topic) => settings.replicas[topic] ?? [],
    samples: 11,
    windowMs: 1000,
    clock,
  })
  return { q, clock, settings }
}

describe('parseThrottledPartitions', () => {
  it("takes the partitions listed for this broker, or all of them for '*'", () => {
    expect(parseThrottledPartitions(['*'], 1)).toBe('all')
    expect(parseThrottledPartitions([' * '], 1)).toBe('all')
    expect([...(parseThrottledPartitions(['0:1', '1:2', '2:1', ' 3:1 '], 1) as Set<number>)]).toEqual([
      0, 2, 3,
    ])
    expect([...(parseThrottledPartitions(['0:2'], 1) as Set<number>)]).toEqual([])
    expect([...(parseThrottledPartitions([''], 1) as Set<number>)]).toEqual([])
  })
})

describe('ReplicationQuotaManager', () => {
  it('throttles the partitions the topic config names for this broker', () => {
    const { q, settings } = quota({ replicas: { t: ['0:3', '1:4'], u: ['*'] } })
    expect(q.isThrottled('t', 0)).toBe(true)
    expect(q.isThrottled('t', 1)).toBe(false)
    expect(q.isThrottled('u', 7)).toBe(true)
    expect(q.isThrottled('v', 0)).toBe(false)
    settings.replicas = { t: ['1:3'] } // a config change replaces the list
    expect(q.isThrottled('t', 0)).toBe(false)
    expect(q.isThrottled('t', 1)).toBe(true)
  })

  it('is exceeded while the rate since the oldest sample (at least one window) is above the bound', () => {
    const { q, clock } = quota({ rate: 1000 })
    expect(q.isQuotaExceeded()).toBe(false)
    q.record(1000)
    expect(q.rate()).toBe(1000) // one window at least: 1000 B in 1 s
    expect(q.isQuotaExceeded()).toBe(false)
    q.record(1)
    expect(q.isQuotaExceeded()).toBe(true)
    clock.advance(1500)
    expect(q.rate()).toBeCloseTo(1001 / 1.5)
    expect(q.isQuotaExceeded()).toBe(false)
    q.record(3000) // 4001 B since t=0
    clock.advance(2499)
    expect(q.isQuotaExceeded()).toBe(true)
    clock.advance(2)
    expect(q.isQuotaExceeded()).toBe(false)
  })

  it('forgets samples older than the window count, so an old burst does not hold back a new copy', () => {
    const { q, clock } = quota({ rate: 1000 })
    q.record(50_000)
    clock.advance(10_999)
    expect(q.isQuotaExceeded()).toBe(true)
    clock.advance(1)
    expect(q.rate()).toBe(0)
    expect(q.isQuotaExceeded()).toBe(false)
  })

  it('holds back only throttled replicas that are not in sync, and never with the default rate', () => {
    const { q, settings } = quota({ rate: 100, replicas: { t: ['0:3'] } })
    q.record(10_000)
    expect(q.shouldThrottle('t', 0, false)).toBe(true)
    expect(q.shouldThrottle('t', 0, true)).toBe(false)
    expect(q.shouldThrottle('t', 1, false)).toBe(false)
    settings.rate = UNTHROTTLED
    expect(q.shouldThrottle('t', 0, false)).toBe(false)
    settings.rate = Number(9223372036854775807n) // Long.MAX_VALUE as the config parses it
    expect(q.shouldThrottle('t', 0, false)).toBe(false)
  })

  it('keeps a long copy at the bound: fetches of 100 kB every 10 ms for a minute move 1 MB/s', () => {
    const { q, clock } = quota({ rate: 1_000_000 })
    const start = clock.now()
    let copied = 0
    while (clock.now() - start < 60_000) {
      if (!q.shouldThrottle('t', 0, false)) {
        q.record(100_000)
        copied += 100_000
      }
      clock.advance(10)
    }
    const rate = copied / 60
    expect(rate).toBeGreaterThan(0.95e6)
    expect(rate).toBeLessThan(1.05e6)
  })
})
