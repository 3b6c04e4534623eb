import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ErrorCode } from '../../protocol/errors.js'
import { ManualScheduler } from '../../util/scheduler.js'
import { testChannel } from './test-helpers.js'
import { LocalMetadataStore } from '../metadata/local-store.js'
import { ClientQuotaManager, resolveQuota, type QuotaConfigSource } from './client-quota-manager.js'
import { requestQuotaApplies } from './client-quotas.js'
import { ClientQuotaStore } from './quota-store.js'
import { recordAndThrottle, SampledRate } from '../../util/rate.js'
import { silentLogger } from '../../util/logger.js'

const config = { samples: 11, windowMs: 1000 }

describe('SampledRate (Kafka Rate over a SampledStat)', () => {
  it('measures over at least samples - 1 windows, then over the elapsed time', () => {
    const r = new SampledRate(config, 0)
    r.record(1000, 0)
    expect(r.measure(0)).toBe(100) // 1000 bytes over the 10 s minimum window
    expect(r.measure(5_000)).toBe(100)
    r.record(1050, 12_500) // starts a new sample at 12 s (on the grid); the first (12.5 s old) is purged
    expect(r.windowSize(12_500)).toBe(10_500)
    expect(r.measure(12_500)).toBe(100)
  })

  it('throttles by the excess over the bound times the window, capped', () => {
    const r = new SampledRate(config, 0)
    expect(recordAndThrottle(r, 1000, 100, 0, 11_000)).toBe(0)
    // 2000 bytes in a 10 s window = 200/s, twice the bound of 100/s: one window's worth of throttling.
    expect(recordAndThrottle(r, 1000, 100, 0, 11_000)).toBe(10_000)
    expect(recordAndThrottle(r, 100_000, 100, 0, 11_000)).toBe(11_000)
  })

  it('holds a sender that waits for each throttle to the bound (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1_000, max: 1_000_000 }),
        fc.integer({ min: 100, max: 100_000 }),
        (bound, size) => {
          const r = new SampledRate(config, 0)
          let now = 0
          let sent = 0
          while (now < 60_000) {
            sent += size
            now += Math.max(1, recordAndThrottle(r, size, bound, now, 11_000))
          }
          // Over a minute the sender gets the bound plus at most one request and the first window's head start.
          expect(sent / (now / 1000)).toBeLessThanOrEqual(bound * 1.2 + size)
          expect(sent / (now / 1000)).toBeGreaterThanOrEqual(Math.min(bound, size * 1000) * 0.8)
        },
      ),
      { numRuns: 50 },
    )
  })
})

describe("Kafka's quota resolution order", () => {
  const source = (entries: Record<string, number>): QuotaConfigSource => {
    const get = (path: string) => {
      const v = entries[path]
      return v === undefined ? undefined : new Map([['producer_byte_rate', String(v)]])
    }
    return {
      user: (u) => get(`users/${u}`),
      client: (c) => get(`clients/${c}`),
      userClient: (u, c) => get(`users/${u}/clients/${c}`),
    }
  }
  const who = { user: 'alice', clientId: 'app' }
  const order = [
    'users/alice/clients/app',
    'users/alice/clients/<default>',
    'users/alice',
    'users/<default>/clients/app',
    'users/<default>/clients/<default>',
    'users/<default>',
    'clients/app',
    'clients/<default>',
  ]

  it('takes the most specific entity that sets the quota, and meters by what that entity names', () => {
    for (let i = 0; i < order.length; i++) {
      const entries = Object.fromEntries(order.slice(i).map((p, j) => [p, i * 10 + j + 1]))
      const q = resolveQuota(source(entries), 'producer_byte_rate', who)
      expect(q?.bound).toBe(i * 10 + 1)
      const path = order[i]!
      expect(q?.meterUser).toBe(path.startsWith('users/') ? 'alice' : '')
      expect(q?.meterClientId).toBe(path.includes('clients/') ? 'app' : '')
    }
    expect(resolveQuota(source({}), 'producer_byte_rate', who)).toBeUndefined()
    expect(resolveQuota(source({ 'users/bob': 5 }), 'producer_byte_rate', who)).toBeUndefined()
  })

  it('sanitizes names as Kafka stores them', () => {
    const q = resolveQuota(source({ 'users/CN%3Dalice%2CO%3Dx': 7 }), 'producer_byte_rate', {
      user: 'CN=alice,O=x',
      clientId: '',
    })
    expect(q?.bound).toBe(7)
  })
})

describe('ClientQuotaManager and ClientQuotaStore', () => {
  /** A started quota store on `store` (brokers' quota stores share one ZooKeeper). */
  async function startQuotaStore(store = new LocalMetadataStore(undefined)): Promise<ClientQuotaStore> {
    const quotas = new ClientQuotaStore(store, silentLogger)
    await quotas.start()
    return quotas
  }

  it('request_percentage meters the handler time of a client: ms / 10 per request against the percentage', async () => {
    const store = new LocalMetadataStore(undefined)
    const s = new ManualScheduler()
    const quotas = await startQuotaStore(store)
    await quotas.alter(
      [{ entityType: 'client-id', entityName: 'busy' }],
      [{ key: 'request_percentage', value: 10, remove: false }],
      false,
    )
    const m = new ClientQuotaManager({ type: 'request_percentage', source: quotas, scheduler: s, ...config })
    const channel = testChannel()
    const ctx = { principal: { name: 'alice' }, clientId: 'busy', channel }
    // 10 % of one thread over the measured window: 1 s of handler time in 10 s is the quota.
    expect(m.recordAndThrottle(ctx, 1_000 / 10)).toBe(0)
    const throttle = m.recordAndThrottle(ctx, 1_000 / 10)
    expect(throttle).toBeGreaterThan(0)
    expect(channel.muted).toBe(true)
    // Other client ids are not limited; inter-broker requests and follower fetches do not count.
    expect(m.recordAndThrottle({ ...ctx, clientId: 'idle' }, 10_000)).toBe(0)
    expect(requestQuotaApplies(4, {}, 7)).toBe(false)
    expect(requestQuotaApplies(1, { replicaId: 2 }, 12)).toBe(false)
    expect(requestQuotaApplies(1, { replicaState: { replicaId: -1 } }, 15)).toBe(true)
    expect(requestQuotaApplies(3, {}, 12)).toBe(true)
    quotas.stop()
  })

  it('stores quotas as Kafka does, throttles over them and mutes the channel for the throttle time', async () => {
    const store = new LocalMetadataStore(undefined)
    const s = new ManualScheduler()
    const quotas = await startQuotaStore(store)
    await quotas.alter(
      [{ entityType: 'user', entityName: 'alice' }],
      [{ key: 'producer_byte_rate', value: 1000, remove: false }],
      false,
    )
    const data = await store.getData('/config/users/alice')
    expect(JSON.parse(data!.data.toString())).toEqual({ version: 1, config: { producer_byte_rate: '1000' } })
    expect((await store.getChildren('/config/changes'))?.length).toBe(1)

    const m = new ClientQuotaManager({ type: 'producer_byte_rate', source: quotas, scheduler: s, ...config })
    const channel = testChannel()
    const ctx = { principal: { name: 'alice' }, clientId: 'x', channel }
    expect(m.recordAndThrottle(ctx, 5_000)).toBe(0)
    expect(m.recordAndThrottle(ctx, 10_000)).toBe(5_000)
    expect(channel.muted).toBe(true)
    await s.advance(4_999)
    expect(channel.muted).toBe(true)
    await s.advance(1)
    expect(channel.muted).toBe(false)
    // Another user is not limited.
    expect(m.recordAndThrottle({ ...ctx, principal: { name: 'bob' } }, 1_000_000)).toBe(0)
    quotas.stop()
  })

  it('describes with match/strict filters and validates alterations with Kafka messages', async () => {
    const quotas = await startQuotaStore()
    const set = (entity: { entityType: string; entityName: string | null }[], key: string, value: number) =>
      quotas.alter(entity, [{ key, value, remove: false }], false)
    await set([{ entityType: 'user', entityName: 'alice' }], 'producer_byte_rate', 1000)
    await set([{ entityType: 'user', entityName: null }], 'consumer_byte_rate', 2000)
    await set(
      [
        { entityType: 'user', entityName: 'alice' },
        { entityType: 'client-id', entityName: 'app' },
      ],
      'producer_byte_rate',
      3000,
    )
    await set([{ entityType: 'client-id', entityName: null }], 'producer_byte_rate', 4000)
    const names = (entries: ReturnType<ClientQuotaStore['describe']>) =>
      entries
        .map((e) => e.entity.map((p) => `${p.entityType}=${p.entityName ?? '<default>'}`).join(','))
        .sort()

    expect(names(quotas.describe([{ entityType: 'user', matchType: 0, match: 'alice' }], false))).toEqual([
      'user=alice',
      'user=alice,client-id=app',
    ])
    expect(names(quotas.describe([{ entityType: 'user', matchType: 0, match: 'alice' }], true))).toEqual([
      'user=alice',
    ])
    expect(names(quotas.describe([{ entityType: 'user', matchType: 1, match: null }], false))).toEqual([
      'user=<default>',
    ])
    expect(names(quotas.describe([{ entityType: 'client-id', matchType: 2, match: null }], true))).toEqual([
      'client-id=<default>',
    ])
    expect(names(quotas.describe([], false))).toHaveLength(4)
    expect(quotas.describe([{ entityType: 'user', matchType: 0, match: 'alice' }], true)[0]!.values).toEqual([
      { key: 'producer_byte_rate', value: 1000 },
    ])

    // Alterations Kafka refuses, with its messages (INVALID_REQUEST)
    const one = (entityType: string, entityName: string) => [{ entityType, entityName }]
    const refused: [{ entityType: string; entityName: string | null }[], string, number, string][] = [
      [one('user', 'a'), 'nope', 1, 'Invalid configuration key nope'],
      [one('user', 'a'), 'producer_byte_rate', 1.5, 'Configuration producer_byte_rate must be a Long value'],
      [one('user', ''), 'producer_byte_rate', 1, 'Empty user not supported'],
      [one('group', 'g'), 'producer_byte_rate', 1, 'Unhandled client quota entity type: group'],
      [[], 'producer_byte_rate', 1, 'Invalid empty client quota entity'],
    ]
    for (const [entity, key, value, message] of refused) {
      await expect(set(entity, key, value)).rejects.toMatchObject({
        code: ErrorCode.INVALID_REQUEST,
        message,
      })
    }
    expect(() => quotas.describe([{ entityType: 'x', matchType: 2, match: null }], false)).toThrow(
      "Custom entity type 'x' not supported",
    )
    expect(() =>
      quotas.describe(
        [
          { entityType: 'user', matchType: 2, match: null },
          { entityType: 'user', matchType: 2, match: null },
        ],
        false,
      ),
    ).toThrow('Duplicate user filter component entity type')

    // Removing the last quota leaves the entity out of descriptions.
    await quotas.alter(
      [{ entityType: 'user', entityName: 'alice' }],
      [{ key: 'producer_byte_rate', value: 0, remove: true }],
      false,
    )
    expect(names(quotas.describe([{ entityType: 'user', matchType: 0, match: 'alice' }], true))).toEqual([])
    quotas.stop()
  })

  it('follows changes other brokers write, through /config/changes', async () => {
    const store = new LocalMetadataStore(undefined)
    const a = await startQuotaStore(store)
    const b = await startQuotaStore(store)
    await a.alter(
      [{ entityType: 'client-id', entityName: 'app' }],
      [{ key: 'consumer_byte_rate', value: 10, remove: false }],
      false,
    )
    await expect.poll(() => b.client('app')?.get('consumer_byte_rate')).toBe('10')
    a.stop()
    b.stop()
  })
})
