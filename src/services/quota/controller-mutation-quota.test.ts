import { describe, expect, it } from 'vitest'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import { testChannel } from './test-helpers.js'
import { ManualScheduler } from '../../util/scheduler.js'
import { silentLogger } from '../../util/logger.js'
import { LocalMetadataStore } from '../metadata/local-store.js'
import { ControllerMutationQuotaManager, TokenBucket } from './controller-mutation-quota.js'
import { ClientQuotaStore } from './quota-store.js'

const window = { samples: 10, windowMs: 1000 }

describe("TokenBucket (Kafka's controller mutation meter)", () => {
  it('starts full at quota × samples × window, refills at the quota, may go negative', () => {
    const b = new TokenBucket(window)
    expect(b.measure(10, 5_000)).toBe(100)
    b.record(10, 90, 5_000)
    expect(b.measure(10, 5_000)).toBe(10)
    b.record(10, 90, 5_000)
    expect(b.measure(10, 5_000)).toBe(-80)
    expect(b.measure(10, 6_000)).toBe(-70) // 10 tokens a second
    expect(b.measure(10, 60_000)).toBe(100) // never above the burst
    expect(b.measure(20, 60_000)).toBe(100) // a raised quota raises the burst; refilled on the next use
    expect(b.measure(20, 65_000)).toBe(200)
  })
})

describe('ControllerMutationQuotaManager', () => {
  const setup = async (rate: number) => {
    const store = new ClientQuotaStore(new LocalMetadataStore(undefined), silentLogger)
    await store.start()
    await store.alter(
      [
        { entityType: 'user', entityName: 'alice' },
        { entityType: 'client-id', entityName: null },
      ],
      [{ key: 'controller_mutation_rate', value: rate, remove: false }],
      false,
    )
    const s = new ManualScheduler()
    const m = new ControllerMutationQuotaManager({ ...window, source: store, scheduler: s })
    return { store, s, m }
  }
  const alice = (apiVersion: number, clientId = 'admin') => ({
    principal: { name: 'alice' },
    clientId,
    apiVersion,
  })

  it('strict (new versions): accepts while tokens remain, then refuses with THROTTLING_QUOTA_EXCEEDED', async () => {
    const { store, s, m } = await setup(10)
    const q = m.newQuotaFor(alice(6), 6)
    q.record(90) // 100 → 10
    q.record(90) // 10 → -80: accepted, the bucket was not below zero
    expect(q.isExceeded).toBe(false)
    expect(q.throttleTime()).toBe(0)
    let refused: unknown
    try {
      q.record(1)
    } catch (e) {
      refused = e
    }
    expect(refused).toBeInstanceOf(KafkaError)
    expect((refused as KafkaError).code).toBe(ErrorCode.THROTTLING_QUOTA_EXCEEDED)
    expect((refused as KafkaError).message).toBe('The throttling quota has been exceeded.')
    expect(q.isExceeded).toBe(true)
    expect(q.throttleTime()).toBe(8_000) // −(−80) / 10 per second
    await s.advance(3_000)
    expect(q.throttleTime()).toBe(5_000) // the time left, as the response is sent later
    // The entity that matched is users/alice/clients/<default>, metered per (user, client-id) pair: another
    // client id of alice has its own, full bucket.
    expect(() => m.newQuotaFor(alice(6, 'other'), 6).record(50)).not.toThrow()
    // A user without a quota is unbounded.
    const bob = m.newQuotaFor({ principal: { name: 'bob' }, clientId: 'admin', apiVersion: 6 }, 6)
    bob.record(1_000_000)
    expect(bob.throttleTime()).toBe(0)
    // After the refill the same client is accepted again.
    await s.advance(5_000)
    expect(() => m.newQuotaFor(alice(6), 6).record(1)).not.toThrow()
    store.stop()
  })

  it('permissive (old versions): records every mutation and throttles once the bucket is below zero', async () => {
    const { store, s, m } = await setup(10)
    const q = m.newQuotaFor(alice(5), 6)
    q.record(100)
    expect(q.throttleTime()).toBe(0)
    q.record(30) // −30: still accepted, throttled for 3 s
    expect(q.isExceeded).toBe(false)
    expect(q.throttleTime()).toBe(3_000)
    const channel = testChannel()
    m.throttle(channel, q.throttleTime())
    expect(channel.muted).toBe(true)
    await s.advance(3_000)
    expect(channel.muted).toBe(false)
    store.stop()
  })

  it('follows quota changes at once and is unbounded when the quota is removed', async () => {
    const { store, m } = await setup(1)
    const q = m.newQuotaFor(alice(6), 6)
    q.record(10) // 10 → 0
    q.record(1) // 0 → −1
    expect(() => q.record(1)).toThrow(KafkaError)
    await store.alter(
      [
        { entityType: 'user', entityName: 'alice' },
        { entityType: 'client-id', entityName: null },
      ],
      [{ key: 'controller_mutation_rate', value: 0, remove: true }],
      false,
    )
    expect(() => q.record(1_000)).not.toThrow()
    store.stop()
  })
})
