import { existsSync } from 'node:fs'
import net from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  clusterForWorker,
  jestGlobalSetup,
  jestGlobalTeardown,
  namespace,
  startClusterServer,
  type ClusterServer,
} from './test-runner.js'

const servers: ClusterServer[] = []
afterEach(async () => {
  vi.unstubAllEnvs()
  for (const s of servers.splice(0)) await s.stop().catch(() => undefined)
})

describe('namespace()', () => {
  it('names the worker, counts, and never repeats', () => {
    vi.stubEnv('VITEST_POOL_ID', '7')
    const names = Array.from({ length: 200 }, () => namespace())
    expect(new Set(names).size).toBe(200)
    for (const n of names) expect(n).toMatch(/^w7-\d+-[a-z0-9]{1,4}$/)
    const [a, b] = [namespace('orders'), namespace('orders')]
    expect(Number(b.split('-')[1])).toBe(Number(a.split('-')[1]) + 1)
    expect(a).toMatch(/^orders7-/)
  })

  it("uses jest's worker id when there is no vitest pool id, else the process id", () => {
    vi.stubEnv('VITEST_POOL_ID', undefined)
    vi.stubEnv('JEST_WORKER_ID', '3')
    expect(namespace()).toMatch(/^w3-/)
    vi.stubEnv('JEST_WORKER_ID', undefined)
    expect(namespace()).toMatch(new RegExp(`^w${process.pid}-`))
  })
})

describe('startClusterServer()', () => {
  it('serves the control API of its cluster; POST /cluster/stop calls onStop; stop() stops both', async () => {
    let stops = 0
    const s = await startClusterServer({ brokers: 1, logLevel: 'silent', onStop: () => stops++ })
    servers.push(s)
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const info = (await (await fetch(`${s.url}/cluster`)).json()) as { bootstrapServers: string }
    expect(info.bootstrapServers).toBe(s.cluster.bootstrap)
    const r = await fetch(`${s.url}/cluster/stop`, { method: 'POST' })
    expect(r.status).toBe(200)
    await vi.waitFor(() => expect(stops).toBe(1), { timeout: 5000 })
    await s.stop()
    expect(s.cluster.brokers.some((b) => b.isUp)).toBe(false)
    await expect(fetch(`${s.url}/cluster`)).rejects.toThrow()
    expect(existsSync(s.cluster.dataDir)).toBe(false)
  })

  it('a control port that is taken: the start fails and the cluster it started is stopped', async () => {
    const taken = net.createServer()
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r))
    const port = (taken.address() as net.AddressInfo).port
    try {
      await expect(
        startClusterServer({ brokers: 1, logLevel: 'silent', http: { host: '127.0.0.1', port } }),
      ).rejects.toThrow()
    } finally {
      taken.close()
    }
  })
})

describe('jestGlobalSetup() / jestGlobalTeardown()', () => {
  it("puts the cluster's addresses in the environment of the workers, and the teardown stops it", async () => {
    vi.stubEnv('SAMSA_BOOTSTRAP_SERVERS', undefined)
    vi.stubEnv('SAMSA_CLUSTER_URL', undefined)
    const s = await jestGlobalSetup({ brokers: 2, logLevel: 'silent' })
    servers.push(s)
    expect(process.env.SAMSA_BOOTSTRAP_SERVERS).toBe(s.cluster.bootstrap)
    expect(process.env.SAMSA_BOOTSTRAP_SERVERS!.split(',')).toHaveLength(2)
    expect(process.env.SAMSA_CLUSTER_URL).toBe(s.url)
    expect((await fetch(`${s.url}/brokers`)).status).toBe(200)
    await jestGlobalTeardown()
    expect(s.cluster.brokers.some((b) => b.isUp)).toBe(false)
    await jestGlobalTeardown() // a second teardown (or one without a setup) does nothing
  })
})

describe('clusterForWorker()', () => {
  it('starts one cluster per worker, shared by every later call', async () => {
    const a = clusterForWorker({ brokers: 1, logLevel: 'silent' })
    const b = clusterForWorker({ brokers: 3 }) // later options are ignored: the worker has its cluster
    expect(b).toBe(a)
    const c = await a
    expect(c.brokers).toHaveLength(1)
    expect(c.brokers[0]!.state).toBe('running')
    await c.stop()
    // a later file of this worker must not find the stopped cluster
    delete (globalThis as Record<symbol, unknown>)[Symbol.for('samsa.workerCluster')]
  })
})
