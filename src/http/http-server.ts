/**
 * The HTTP listeners of `http.listeners` (Samsa's own setting): one small HTTP/1.1 server per entry, serving the
 * routes it is given (metrics, health checks, the web console). It shares the event loop with the Kafka listeners,
 * so it is kept from ever crowding them out: few connections at a time, short timeouts, bounded request bodies,
 * and route handlers that do bounded work (see routes.ts).
 */
import http from 'node:http'
import type net from 'node:net'
import type { HttpListener } from '../config/listeners.js'
import type { Logger } from '../util/logger.js'

/** The most request body bytes a route may receive (console actions are small JSON documents). */
export const MAX_BODY_BYTES = 1024 * 1024

export interface HttpRequest {
  readonly method: string
  /** The path, without the query string. */
  readonly path: string
  readonly query: URLSearchParams
  readonly headers: http.IncomingHttpHeaders
  /** The body as text ('' for none); at most MAX_BODY_BYTES. */
  readonly body: string
  readonly remoteAddress: string
}

export interface HttpResponse {
  readonly status: number
  readonly headers?: Readonly<Record<string, string>>
  readonly body: string | Buffer
}

export type HttpHandler = (req: HttpRequest) => HttpResponse | Promise<HttpResponse>

export interface BoundHttpListener extends HttpListener {
  readonly boundPort: number
}

/** An HTTP listener could not be bound; names the listener and the reason. */
export class HttpBindError extends Error {
  constructor(listener: HttpListener, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException).code
    const reason = code === 'EADDRINUSE' ? 'Address already in use' : (cause as Error).message
    super(`HTTP server failed to bind to ${listener.host || '0.0.0.0'}:${listener.port}: ${reason}.`, {
      cause,
    })
    this.name = 'HttpBindError'
  }
}

export interface HttpServerOptions {
  readonly listeners: readonly HttpListener[]
  /** What it serves, for the log line of its start (default: the broker's routes). */
  readonly describe?: string
  /** Connections served at once per listener (more wait in the kernel's backlog). */
  readonly maxConnections?: number
}

export class HttpServer {
  private readonly servers: http.Server[] = []
  private bound: BoundHttpListener[] = []

  constructor(
    private readonly options: HttpServerOptions,
    private readonly handler: HttpHandler,
    private readonly log: Logger,
  ) {}

  get listeners(): readonly BoundHttpListener[] {
    return this.bound
  }

  async start(): Promise<readonly BoundHttpListener[]> {
    for (const l of this.options.listeners) {
      const server = http.createServer(
        { requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 },
        (req, res) => this.serve(req, res),
      )
      server.maxConnections = this.options.maxConnections ?? 32
      server.maxRequestsPerSocket = 1000
      await new Promise<void>((resolve, reject) => {
        const fail = (err: unknown): void => reject(new HttpBindError(l, err))
        server.once('error', fail)
        try {
          server.listen({ port: l.port, host: l.host === '' ? undefined : l.host }, () => {
            server.off('error', fail)
            resolve()
          })
        } catch (e) {
          server.off('error', fail)
          fail(e)
        }
      })
      server.on('error', (err) => this.log.error({ err }, `HTTP listener ${l.url} error: ${err.message}`))
      server.on('clientError', (_err, socket: net.Socket) => {
        if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
        else socket.destroy()
      })
      this.servers.push(server)
      const port = (server.address() as net.AddressInfo).port
      this.bound.push({ ...l, boundPort: port })
      this.log.info(
        `HTTP server listening on ${l.host || '0.0.0.0'}:${port} (${this.options.describe ?? '/metrics, /healthz, /readyz, web console'})`,
      )
    }
    return this.bound
  }

  private serve(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = []
    let size = 0
    let tooLarge = false
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY_BYTES) {
        tooLarge = true
        req.destroy()
        return
      }
      chunks.push(c)
    })
    req.on('error', () => res.destroy())
    req.on('end', () => {
      if (tooLarge) return
      const url = new URL(req.url ?? '/', 'http://localhost')
      const request: HttpRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        remoteAddress: req.socket.remoteAddress ?? '',
      }
      Promise.resolve()
        .then(() => this.handler(request))
        .then(
          (r) => this.send(res, request.method, r),
          (err: unknown) => {
            this.log.error(
              { err },
              `HTTP ${request.method} ${request.path} failed: ${(err as Error).message}`,
            )
            this.send(res, request.method, {
              status: 500,
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ error: (err as Error).message }),
            })
          },
        )
    })
    if (tooLarge) res.destroy()
  }

  private send(res: http.ServerResponse, method: string, r: HttpResponse): void {
    if (res.destroyed) return
    const body = typeof r.body === 'string' ? Buffer.from(r.body) : r.body
    res.writeHead(r.status, {
      'content-length': String(body.length),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...r.headers,
    })
    res.end(method === 'HEAD' ? undefined : body)
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve())
            s.closeAllConnections()
          }),
      ),
    )
    this.servers.length = 0
  }
}
