import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { parseHttpListeners } from '../config/listeners.js'
import { BrokerMetrics } from '../services/metrics/broker-metrics.js'
import { silentLogger } from '../util/logger.js'
import { HttpBindError, HttpServer, MAX_BODY_BYTES } from './http-server.js'
import { createRoutes, type Readiness } from './routes.js'

const servers: HttpServer[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop()
})

async function start(over: { alive?: () => boolean; readiness?: () => Readiness } = {}): Promise<string> {
  const metrics = new BrokerMetrics()
  metrics.produced('t', 3, 30, 0)
  const server = new HttpServer(
    { listeners: parseHttpListeners(['http://127.0.0.1:0']) },
    createRoutes({
      metrics,
      alive: over.alive ?? (() => true),
      readiness: over.readiness ?? (() => ({ ready: true, checks: { listeners: { ok: true } } })),
      more: (req) => (req.path === '/echo' ? { status: 200, body: req.body } : undefined),
    }),
    silentLogger,
  )
  servers.push(server)
  const [l] = await server.start()
  return `http://127.0.0.1:${l!.boundPort}`
}

describe('HTTP listener', () => {
  it('serves /metrics in the Prometheus text format', async () => {
    const base = await start()
    const r = await fetch(`${base}/metrics`)
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    expect(await r.text()).toContain('kafka_server_brokertopicmetrics_messagesin_total{topic="t"} 3')
  })

  it('answers the probes: /healthz 503 once stopping, /readyz 503 with the failing checks', async () => {
    let alive = true
    let ready = false
    const base = await start({
      alive: () => alive,
      readiness: () => ({ ready, checks: { registered: { ok: ready, detail: 'not registered' } } }),
    })
    expect((await fetch(`${base}/healthz`)).status).toBe(200)
    const notReady = await fetch(`${base}/readyz`)
    expect(notReady.status).toBe(503)
    expect(await notReady.json()).toEqual({
      ready: false,
      checks: { registered: { ok: false, detail: 'not registered' } },
    })
    ready = true
    expect((await fetch(`${base}/readyz`)).status).toBe(200)
    alive = false
    expect((await fetch(`${base}/healthz`)).status).toBe(503)
  })

  it('404 for unknown paths, 405 for other methods on the probes, routes given in `more`', async () => {
    const base = await start()
    expect((await fetch(`${base}/nope`)).status).toBe(404)
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405)
    const echo = await fetch(`${base}/echo`, { method: 'POST', body: 'hello' })
    expect(await echo.text()).toBe('hello')
  })

  it('refuses a request body above the limit without reading it all', async () => {
    const base = await start()
    const big = Buffer.alloc(MAX_BODY_BYTES + 1, 'x')
    await expect(fetch(`${base}/echo`, { method: 'POST', body: big })).rejects.toThrow()
    expect((await fetch(`${base}/healthz`)).status).toBe(200)
  })

  it('a port in use is a bind error naming the address', async () => {
    const squatter = net.createServer()
    await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r))
    const port = (squatter.address() as net.AddressInfo).port
    const s = new HttpServer(
      { listeners: parseHttpListeners([`http://127.0.0.1:${port}`]) },
      () => ({ status: 200, body: '' }),
      silentLogger,
    )
    await expect(s.start()).rejects.toThrow(HttpBindError)
    await expect(s.start()).rejects.toThrow(
      `HTTP server failed to bind to 127.0.0.1:${port}: Address already in use.`,
    )
    squatter.close()
  })
})

describe('http.listeners', () => {
  it('takes http://host:port entries and refuses anything else with a clear message', () => {
    expect(parseHttpListeners(['http://127.0.0.1:9644', 'http://:9645', 'http://[::1]:0'])).toEqual([
      { url: 'http://127.0.0.1:9644', host: '127.0.0.1', port: 9644 },
      { url: 'http://:9645', host: '', port: 9645 },
      { url: 'http://[::1]:0', host: '::1', port: 0 },
    ])
    expect(parseHttpListeners([])).toEqual([])
    expect(() => parseHttpListeners(['https://h:1'])).toThrow(/https is not supported/)
    expect(() => parseHttpListeners(['ftp://h:1'])).toThrow(/unknown scheme ftp/)
    expect(() => parseHttpListeners(['http://h:70000'])).toThrow(/port out of range:70000/)
    expect(() => parseHttpListeners(['h:1'])).toThrow(/expected http:\/\/host:port/)
    expect(() => parseHttpListeners(['http://h:1', 'http://h:1'])).toThrow(/listed twice/)
  })
})
