import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseClusterArgs } from '../cluster-command-line.js'
import type { HttpHandler, HttpResponse } from '../http/http-server.js'
import { startCluster, type Cluster } from './cluster.js'
import { controlRoutes } from './control-routes.js'

let cluster: Cluster
let handle: HttpHandler
let stops = 0

beforeAll(async () => {
  cluster = await startCluster({ brokers: 2, manualTime: true, logLevel: 'silent' })
  handle = controlRoutes(cluster, { onStop: () => stops++ })
})
afterAll(() => cluster?.stop())

async function call(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const url = new URL(path, 'http://x')
  const r: HttpResponse = await handle({
    method,
    path: url.pathname,
    query: url.searchParams,
    headers: {},
    body: body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body),
    remoteAddress: '127.0.0.1',
  })
  return { status: r.status, json: JSON.parse(String(r.body)) as Record<string, unknown> }
}

describe('the cluster control API', () => {
  it('describes the cluster', async () => {
    const r = await call('GET', '/cluster')
    expect(r.status).toBe(200)
    expect(r.json).toMatchObject({ bootstrapServers: cluster.bootstrap, manualTime: true })
    expect(r.json.brokers).toHaveLength(2)
  })

  it('creates a topic, reports its leader and waits for its ISR', async () => {
    expect((await call('POST', '/topics', { name: 'cr1', partitions: 1, replicationFactor: 2 })).status).toBe(
      200,
    )
    const p = await call('GET', '/topics/cr1/partitions/0')
    expect(p.json.leader).toBe(cluster.leader('cr1', 0))
    const w = await call('POST', '/wait/isr', { topic: 'cr1', partition: 0, size: 2 })
    expect(w.status).toBe(200)
    expect(w.json.isr).toHaveLength(2)
    expect((await call('GET', '/topics/cr1/partitions/0/records')).json.records).toEqual([])
  })

  it('kills, starts, pauses and resumes a broker', async () => {
    expect((await call('POST', '/brokers/1/kill')).json.state).toBe('killed')
    expect((await call('POST', '/brokers/1/pause')).status).toBe(409) // not running
    // its registration stays until its session expires, as a killed Kafka broker's does
    expect((await call('POST', '/brokers/1/start')).status).toBe(409)
    await call('POST', '/time/advance', { ms: 6000 })
    expect((await call('POST', '/brokers/1/start')).json.state).toBe('running')
    expect((await call('POST', '/brokers/1/pause', { ms: 1000 })).json.state).toBe('paused')
    expect((await call('POST', '/time/advance', { ms: 1000 })).status).toBe(200)
    expect(cluster.broker(1).state).toBe('running') // resumed by itself on the cluster's clock
  })

  it('fills a disk and heals it', async () => {
    expect((await call('POST', '/brokers/0/fail-disk', { error: 'ENOSPC' })).status).toBe(200)
    expect((await call('POST', '/brokers/0/heal-disk')).status).toBe(200)
    expect((await call('POST', '/brokers/0/fail-disk', { error: 'EBADF' })).status).toBe(400)
  })

  it('partitions and heals the network, and sets one link', async () => {
    const p = await call('POST', '/network/partition', { groups: [[0], [1]], mode: 'refuse' })
    expect(p.json.links).toContainEqual({ from: '0', to: '1', fault: { mode: 'refuse' } })
    const l = await call('POST', '/network/link', { from: 0, to: 'clients', delayMs: 5, oneWay: true })
    expect(l.json.links).toContainEqual({ from: '0', to: 'clients', fault: { delayMs: 5 } })
    expect((await call('POST', '/network/heal')).json.links).toEqual([])
    expect((await call('POST', '/network/partition', { groups: [[0], ['nobody']] })).status).toBe(400)
    expect((await call('POST', '/network/partition', { groups: [[0], [7]] })).status).toBe(400)
  })

  it('adds and removes latency rules', async () => {
    const r = await call('POST', '/latency', { ms: 10, apis: ['Produce'], brokers: [0] })
    expect(r.json).toMatchObject({ id: 1, ms: 10 })
    expect((await call('POST', '/latency', { ms: 10, apis: ['Produces'] })).status).toBe(400)
    expect((await call('DELETE', '/latency/1')).status).toBe(200)
    expect((await call('DELETE', '/latency/1')).status).toBe(404)
    expect((await call('DELETE', '/latency')).status).toBe(200)
  })

  it('advances manual time and lists the requests served', async () => {
    const before = cluster.scheduler.clock.now()
    const r = await call('POST', '/time/advance', { ms: 5000 })
    expect(r.json.now).toBe(before + 5000)
    const q = await call('GET', '/requests?broker=0&api=Metadata')
    expect(Array.isArray(q.json.requests)).toBe(true)
    expect((await call('DELETE', '/requests')).status).toBe(200)
  })

  it('answers a wait that does not come true with 504, and bad requests with 4xx', async () => {
    const w = await call('POST', '/wait/isr', { topic: 'cr1', size: 5, timeoutMs: 50 })
    expect(w.status).toBe(504)
    expect(w.json.error).toMatch(/timed out after 50 ms waiting for the ISR of cr1-0/)
    expect((await call('POST', '/wait/leader', {})).status).toBe(400)
    expect((await call('POST', '/wait/sunrise', {})).status).toBe(404)
    expect((await call('POST', '/brokers/0/pause', '{bad')).status).toBe(400)
    expect((await call('POST', '/brokers/0/pause', '[1]')).status).toBe(400)
    expect((await call('POST', '/brokers/0/pause', { ms: -1 })).status).toBe(400)
    expect((await call('POST', '/brokers/9/kill')).status).toBe(404)
    expect((await call('GET', '/brokers/0/kill')).status).toBe(405)
    expect((await call('GET', '/nowhere')).status).toBe(404)
  })

  it('asks its owner to stop the cluster', async () => {
    expect((await call('POST', '/cluster/stop')).json).toEqual({ stopping: true })
    await new Promise((r) => setImmediate(r))
    expect(stops).toBe(1)
  })
})

describe('the samsa-cluster command line', () => {
  it('parses its options', () => {
    const a = parseClusterArgs([
      'my.properties',
      '--brokers',
      '5',
      '--http',
      '9600',
      '--override',
      'num.partitions=3',
      '--broker-override',
      '4:rack=b',
      '--manual-time',
    ])
    expect(a).toMatchObject({
      file: 'my.properties',
      brokers: 5,
      http: { host: '127.0.0.1', port: 9600 },
      overrides: ['num.partitions=3'],
      manualTime: true,
    })
    expect(a !== 'help' && a.brokerOverrides.get(4)).toEqual(['rack=b'])
    expect(parseClusterArgs(['--help'])).toBe('help')
    expect(parseClusterArgs([])).toMatchObject({ brokers: 3, http: { host: '127.0.0.1', port: 0 } })
  })

  it('refuses what it cannot run with', () => {
    expect(() => parseClusterArgs(['--brokers', '0'])).toThrow('--brokers must be an integer from 1 to 64')
    expect(() => parseClusterArgs(['--broker-override', '3:a=b'])).toThrow('there is no broker 3')
    expect(() => parseClusterArgs(['--override', 'novalue'])).toThrow('--override needs property=value')
    expect(() => parseClusterArgs(['--http', 'https://127.0.0.1:1'])).toThrow('https is not supported')
    expect(() => parseClusterArgs(['--frobnicate'])).toThrow("Unknown option '--frobnicate'")
    expect(() => parseClusterArgs(['a', 'b'])).toThrow('Found non argument parameters: b')
  })
})
