import { describe, expect, it } from 'vitest'
import { silentLogger } from '../util/logger.js'
import { ManualScheduler } from '../util/scheduler.js'
import {
  ConnectionQuotas,
  connectionQuotaConfig,
  normalizeIp,
  resolveOverrides,
  type Admission,
  type ConnectionQuotaConfig,
} from './connection-quotas.js'

const INT_MAX = 2147483647

function setup(config: Partial<ConnectionQuotaConfig>, ipRates: Record<string, number> = {}) {
  const scheduler = new ManualScheduler()
  const quotas = new ConnectionQuotas(
    connectionQuotaConfig(config),
    (ip) => ipRates[ip] ?? INT_MAX,
    scheduler,
    silentLogger,
  )
  const verdicts: { listener: string; ip: string; a: Admission; at: number }[] = []
  const start = scheduler.clock.monotonic()
  const connect = (listener: string, ip = '10.0.0.1') =>
    quotas.request(listener, ip, (a) =>
      verdicts.push({ listener, ip, a, at: scheduler.clock.monotonic() - start }),
    )
  const release = (i: number) => {
    const a = verdicts[i]?.a
    if (a?.kind !== 'accepted') throw new Error(`verdict ${i} is not an acceptance`)
    a.release()
  }
  return { scheduler, quotas, verdicts, connect, release }
}

describe('ConnectionQuotas', () => {
  it('max.connections.per.ip and its overrides refuse at once; a release frees the IP', () => {
    const { quotas, verdicts, connect, release } = setup({
      maxConnectionsPerIp: 2,
      maxConnectionsPerIpOverrides: new Map([['10.0.0.9', 0]]),
    })
    quotas.addListener('PLAINTEXT')
    connect('PLAINTEXT')
    connect('PLAINTEXT')
    connect('PLAINTEXT')
    connect('PLAINTEXT', '10.0.0.9')
    expect(verdicts.map((v) => v.a.kind)).toEqual(['accepted', 'accepted', 'too-many', 'too-many'])
    expect(verdicts[3]?.a).toEqual({ kind: 'too-many', max: 0 })
    expect(quotas.ipCount('10.0.0.1')).toBe(2)
    release(0)
    connect('PLAINTEXT')
    expect(verdicts[4]?.a.kind).toBe('accepted')
  })

  it('a listener at max.connections parks new connections in order until a slot frees', () => {
    const { quotas, verdicts, connect, release } = setup({
      listeners: new Map([['EXTERNAL', { maxConnections: 1, maxConnectionCreationRate: INT_MAX }]]),
    })
    quotas.addListener('EXTERNAL')
    quotas.addListener('INTERNAL')
    connect('EXTERNAL', '10.0.0.1')
    connect('EXTERNAL', '10.0.0.2')
    connect('EXTERNAL', '10.0.0.3')
    connect('INTERNAL', '10.0.0.4')
    expect(verdicts.map((v) => v.ip)).toEqual(['10.0.0.1', '10.0.0.4'])
    expect(quotas.waiting('EXTERNAL')).toBe(2)
    release(0)
    expect(verdicts.map((v) => v.ip)).toEqual(['10.0.0.1', '10.0.0.4', '10.0.0.2'])
  })

  it('a parked connection whose socket closed is skipped', () => {
    const { quotas, verdicts, connect, release } = setup({ maxConnections: 1 })
    quotas.addListener('PLAINTEXT')
    connect('PLAINTEXT', '10.0.0.1')
    const withdraw = connect('PLAINTEXT', '10.0.0.2')
    connect('PLAINTEXT', '10.0.0.3')
    withdraw()
    release(0)
    expect(verdicts.map((v) => v.ip)).toEqual(['10.0.0.1', '10.0.0.3'])
  })

  it('the broker-wide max.connections does not hold back the protected inter-broker listener', () => {
    const { quotas, verdicts, connect } = setup({ maxConnections: 1, interBrokerListenerName: 'INTERNAL' })
    quotas.addListener('INTERNAL')
    quotas.addListener('EXTERNAL')
    connect('EXTERNAL')
    connect('EXTERNAL')
    connect('INTERNAL')
    expect(verdicts.map((v) => v.listener)).toEqual(['EXTERNAL', 'INTERNAL'])
    expect(quotas.maxConnectionsExceeded('EXTERNAL')).toBe(true)
    expect(quotas.maxConnectionsExceeded('INTERNAL')).toBe(false)
  })

  it('a raised max.connections lets parked connections in', () => {
    const { quotas, verdicts, connect } = setup({ maxConnections: 1 })
    quotas.addListener('PLAINTEXT')
    connect('PLAINTEXT')
    connect('PLAINTEXT')
    expect(verdicts).toHaveLength(1)
    quotas.reconfigure(connectionQuotaConfig({ maxConnections: 5 }))
    expect(verdicts).toHaveLength(2)
  })

  it('max.connection.creation.rate delays accepting to hold the rate (broker-wide)', async () => {
    const { scheduler, quotas, verdicts, connect } = setup({ maxConnectionCreationRate: 5 })
    quotas.addListener('PLAINTEXT')
    for (let i = 0; i < 400; i++) connect('PLAINTEXT', `10.0.${i >> 8}.${i & 255}`)
    // The measured window is never shorter than 10 of the 11 one-second samples: 50 go at once (5/s over it).
    expect(verdicts).toHaveLength(50)
    // 40 s of simulated time, in 100 ms steps.
    for (let t = 0; t < 400; t++) await scheduler.advance(100)
    expect(verdicts.every((v) => v.a.kind === 'accepted')).toBe(true)
    // Then 5 per second: within 10 % over 20 s.
    const steady = verdicts.filter((v) => v.at > 15_000 && v.at <= 35_000).length
    expect(steady).toBeGreaterThanOrEqual(90)
    expect(steady).toBeLessThanOrEqual(110)
  })

  it('listener.name.<l>.max.connection.creation.rate throttles one listener only', async () => {
    const { scheduler, quotas, verdicts, connect } = setup({
      listeners: new Map([['SLOW', { maxConnections: INT_MAX, maxConnectionCreationRate: 2 }]]),
    })
    quotas.addListener('SLOW')
    quotas.addListener('FAST')
    for (let i = 0; i < 50; i++) {
      connect('SLOW', `10.1.0.${i}`)
      connect('FAST', `10.2.0.${i}`)
    }
    for (let t = 0; t < 50; t++) await scheduler.advance(100)
    expect(verdicts.filter((v) => v.listener === 'FAST')).toHaveLength(50)
    const slow = verdicts.filter((v) => v.listener === 'SLOW').length
    expect(slow).toBeGreaterThan(5)
    expect(slow).toBeLessThan(30)
  })

  it('the broker-wide creation rate does not apply to the protected inter-broker listener', async () => {
    const { quotas, verdicts, connect } = setup({
      maxConnectionCreationRate: 1,
      interBrokerListenerName: 'INTERNAL',
      // A listener without its own value takes the broker-wide one (valuesWithPrefixOverride).
      listeners: new Map([['INTERNAL', { maxConnections: INT_MAX, maxConnectionCreationRate: INT_MAX }]]),
    })
    quotas.addListener('INTERNAL')
    quotas.addListener('EXTERNAL')
    for (let i = 0; i < 20; i++) connect('INTERNAL', `10.3.0.${i}`)
    expect(verdicts).toHaveLength(20)
  })

  it('an IP over connection_creation_rate is refused with a close delay and taken back from the rates', () => {
    const { quotas, verdicts, connect } = setup({ maxConnectionCreationRate: 12 }, { '10.0.0.1': 1 })
    quotas.addListener('PLAINTEXT')
    for (let i = 0; i < 15; i++) connect('PLAINTEXT', '10.0.0.1')
    const kinds = verdicts.map((v) => v.a.kind)
    expect(kinds.filter((k) => k === 'accepted')).toHaveLength(10)
    expect(kinds.filter((k) => k === 'throttled')).toHaveLength(5)
    const throttled = verdicts.find((v) => v.a.kind === 'throttled')!.a
    expect(throttled.kind === 'throttled' && throttled.delayMs > 0 && throttled.delayMs <= 1000).toBe(true)
    // The refused ones did not count on the broker rate: another IP is not delayed.
    connect('PLAINTEXT', '10.0.0.2')
    expect(verdicts.at(-1)?.ip).toBe('10.0.0.2')
    expect(verdicts.at(-1)?.at).toBe(0)
    expect(quotas.ipCount('10.0.0.1')).toBe(10)
  })

  it('normalizes IPv4-mapped addresses and resolves override hosts', async () => {
    expect(normalizeIp('::ffff:127.0.0.1')).toBe('127.0.0.1')
    expect(normalizeIp('::1')).toBe('::1')
    const r = await resolveOverrides(
      new Map([
        ['localhost', 3],
        ['::ffff:10.0.0.1', 4],
      ]),
    )
    expect(r.get('10.0.0.1')).toBe(4)
    expect([...r.keys()].some((k) => k === '127.0.0.1' || k === '::1')).toBe(true)
    await expect(resolveOverrides(new Map([['no-such-host.invalid', 1]]))).rejects.toThrow(
      /no-such-host.invalid: unknown host/,
    )
  })
})
