/**
 * The routes of the HTTP listener: Prometheus metrics, the Kubernetes-style probes, and (when given) the web
 * console's page and API.
 *
 *   GET /metrics   Prometheus text format (see services/metrics/broker-metrics.ts)
 *   GET /healthz   200 while the process serves; 503 once the broker is shutting down
 *   GET /readyz    200 when the Kafka listeners are up, the broker is registered in ZooKeeper (or the standalone
 *                  store) and every partition it is the leader of is served here; 503 with the failing checks
 */
import type { BrokerMetrics } from '../services/metrics/broker-metrics.js'
import type { HttpHandler, HttpRequest, HttpResponse } from './http-server.js'

export interface Readiness {
  readonly ready: boolean
  readonly checks: Readonly<Record<string, { readonly ok: boolean; readonly detail?: string }>>
}

export interface RouteDeps {
  readonly metrics: BrokerMetrics
  /** False once the broker has begun shutting down. */
  alive(): boolean
  readiness(): Readiness
  /** Further routes (the web console); undefined when a path is not theirs. */
  readonly more?: (req: HttpRequest) => HttpResponse | Promise<HttpResponse> | undefined
}

const json = (status: number, value: unknown): HttpResponse => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8' },
  body: JSON.stringify(value),
})

export function createRoutes(d: RouteDeps): HttpHandler {
  // One scrape at a time: a scrape that arrives while one runs gets its result (scrapes are never stacked up).
  let scraping: Promise<{ contentType: string; body: string }> | undefined
  const scrape = (): Promise<{ contentType: string; body: string }> => {
    scraping ??= d.metrics.scrape().finally(() => (scraping = undefined))
    return scraping
  }

  return async (req) => {
    const get = req.method === 'GET' || req.method === 'HEAD'
    switch (req.path) {
      case '/metrics': {
        if (!get) return json(405, { error: 'use GET' })
        const m = await scrape()
        return { status: 200, headers: { 'content-type': m.contentType }, body: m.body }
      }
      case '/healthz':
        if (!get) return json(405, { error: 'use GET' })
        return d.alive() ? json(200, { status: 'ok' }) : json(503, { status: 'shutting down' })
      case '/readyz': {
        if (!get) return json(405, { error: 'use GET' })
        const r = d.readiness()
        return json(r.ready ? 200 : 503, r)
      }
    }
    const more = d.more?.(req)
    if (more !== undefined) return more
    return json(404, { error: `no route for ${req.method} ${req.path}` })
  }
}
