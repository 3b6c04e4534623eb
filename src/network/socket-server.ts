/**
 * Kafka's SocketServer: one TCP server per listener (TLS on top for SSL and SASL_SSL), connection quotas
 * (connection-quotas.ts: max.connections, per listener too, max.connections.per.ip and its overrides, connection
 * creation rates), idle connection reaping (connections.max.idle.ms) and a clean stop.
 *
 * A new connection is parked (paused, no TLS handshake yet) until its quotas let it in, as Kafka's acceptor takes
 * it from the backlog only then; a TLS listener's sockets are handed to its TLS server only once admitted.
 *
 * Each connection gets a Channel with its security state: on an SSL listener the principal of the client
 * certificate, on a SASL listener an authenticator that runs the SASL exchange before any other request.
 */
import net from 'node:net'
import tls from 'node:tls'
import type { Logger } from '../util/logger.js'
import { systemScheduler, type ScheduledTask, type Scheduler } from '../util/scheduler.js'
import {
  ANONYMOUS,
  Channel,
  type ChannelAuthenticator,
  type ChannelControl,
  type KafkaPrincipal,
} from './channel.js'
import { Connection, type ConnectionLimits, type RequestProcessor } from './connection.js'
import { ConnectionQuotas, normalizeIp, type ConnectionQuotaConfig } from './connection-quotas.js'

/** How a listener secures its connections (absent: PLAINTEXT). */
export interface ListenerSecurity {
  /** TLS server options (SSL and SASL_SSL listeners). */
  readonly tls?: tls.TlsOptions
  /**
   * SSL listeners: the principal of a verified client certificate (DER). Throws when it cannot be mapped, which
   * fails the connection as Kafka's principal builder does.
   */
  readonly certificatePrincipal?: (der: Buffer) => KafkaPrincipal
  /** SASL listeners: the SASL server side of a new connection. */
  readonly authenticator?: (channel: ChannelControl) => ChannelAuthenticator
}

export interface ListenerSpec {
  readonly name: string
  readonly securityProtocol: string
  readonly host: string
  readonly port: number
  readonly security?: ListenerSecurity
}

export interface SocketServerOptions {
  readonly listeners: readonly ListenerSpec[]
  readonly limits: ConnectionLimits
  readonly connectionQuotas: ConnectionQuotaConfig
  /** connection_creation_rate of an IP (/config/ips); INT_MAX (unlimited) when absent. */
  readonly ipConnectionRate?: (ip: string) => number
  readonly connectionsMaxIdleMs: number
  /** Runs the idle-connection check and tells the time (default: Node's timers). */
  readonly scheduler?: Scheduler
  /**
   * Plaintext and SASL_PLAINTEXT connections read into the broker's own buffers where Node allows it (see
   * user-buffer.ts); false keeps Node's 'data' events for them too (tests of the fallback).
   */
  readonly readInPlace?: boolean
}

export interface BoundListener extends ListenerSpec {
  /** The port actually bound (differs from `port` when it was 0). */
  readonly boundPort: number
}

/** A listener could not be bound (Kafka: "Socket server failed to bind to host:port: reason."). */
export class ListenerBindError extends Error {
  constructor(
    readonly listener: ListenerSpec,
    cause: unknown,
  ) {
    const code = (cause as NodeJS.ErrnoException).code
    const reason =
      code === 'EADDRINUSE'
        ? 'Address already in use'
        : code === 'EADDRNOTAVAIL'
          ? 'Cannot assign requested address'
          : code === 'EACCES'
            ? 'Permission denied'
            : (cause as Error).message
    super(`Socket server failed to bind to ${listener.host || '0.0.0.0'}:${listener.port}: ${reason}.`, {
      cause,
    })
    this.name = 'ListenerBindError'
  }
}

/** Binds a TCP server to host:port (an empty host: every interface); rejects with a ListenerBindError. */
export function listen(server: net.Server, l: ListenerSpec): Promise<net.AddressInfo> {
  return new Promise((resolve, reject) => {
    const fail = (err: unknown): void => reject(new ListenerBindError(l, err))
    server.once('error', fail)
    try {
      server.listen({ port: l.port, host: l.host === '' ? undefined : l.host, backlog: 511 }, () => {
        server.off('error', fail)
        resolve(server.address() as net.AddressInfo)
      })
    } catch (e) {
      server.off('error', fail)
      fail(e)
    }
  })
}

export class SocketServer {
  private readonly servers: net.Server[] = []
  private readonly tlsServers = new Map<string, tls.Server>()
  private readonly connections = new Set<Connection>()
  /** Sockets of IPs over their connection creation rate, closed after their throttle time. */
  private readonly delayedClose = new Set<net.Socket>()
  /** Sockets waiting for their connection quotas. */
  private readonly parked = new Set<net.Socket>()
  readonly quotas: ConnectionQuotas
  private readonly lastActive = new WeakMap<Connection, number>()
  private bound: BoundListener[] = []
  private idleTimer: ScheduledTask | undefined
  private readonly scheduler: Scheduler
  private nextConnectionIndex = 0

  constructor(
    private readonly options: SocketServerOptions,
    private readonly processor: RequestProcessor,
    private readonly log: Logger,
  ) {
    this.scheduler = options.scheduler ?? systemScheduler
    this.quotas = new ConnectionQuotas(
      options.connectionQuotas,
      options.ipConnectionRate ?? (() => 2147483647),
      this.scheduler,
      log,
    )
  }

  get listeners(): readonly BoundListener[] {
    return this.bound
  }

  async start(): Promise<readonly BoundListener[]> {
    const bound: BoundListener[] = []
    for (const l of this.options.listeners) this.quotas.addListener(l.name)
    for (const l of this.options.listeners) {
      const tlsOptions = l.security?.tls
      let admitted: (socket: net.Socket) => void
      if (tlsOptions) {
        // Not listening itself: admitted sockets are injected ('connection'), so the handshake waits for admission.
        const tlsServer = tls.createServer({ ...tlsOptions, noDelay: true }, (socket) =>
          this.accept(socket, l),
        )
        tlsServer.on('tlsClientError', (err, socket) => {
          const from = `${socket.remoteAddress ?? 'unknown'}:${socket.remotePort ?? 0}`
          this.log.info(
            `Failed authentication with /${from} (listener ${l.name}) (SSL handshake failed: ${err.message})`,
          )
        })
        this.tlsServers.set(l.name, tlsServer)
        admitted = (socket) => tlsServer.emit('connection', socket)
      } else {
        admitted = (socket) => this.accept(socket, l)
      }
      const server = net.createServer({ noDelay: true, pauseOnConnect: true }, (socket) =>
        this.admit(socket, l, admitted),
      )
      // An empty host binds every interface, as Kafka does.
      const address = await listen(server, l)
      server.on('error', (err) => this.log.error({ err }, `Listener ${l.name} error: ${err.message}`))
      this.servers.push(server)
      bound.push({ ...l, boundPort: address.port })
      this.log.info(
        `Awaiting socket connections on ${l.host || '0.0.0.0'}:${address.port} (listener ${l.name}).`,
      )
    }
    this.bound = bound
    if (this.options.connectionsMaxIdleMs > 0) {
      const every = Math.min(Math.max(this.options.connectionsMaxIdleMs / 10, 1000), 60_000)
      this.idleTimer = this.scheduler.schedule('idle-connection-check', () => this.closeIdle(), every, every)
    }
    return bound
  }

  /** A new TCP connection waits (paused) until the connection quotas take it, refuse it or throttle its IP. */
  private admit(socket: net.Socket, l: ListenerSpec, admitted: (socket: net.Socket) => void): void {
    const ip = normalizeIp(socket.remoteAddress ?? 'unknown')
    const waiting: { withdraw?: () => void } = {}
    const onClose = (): void => {
      this.parked.delete(socket)
      waiting.withdraw?.()
    }
    socket.on('error', () => {}) // a parked socket reset by its client; 'close' follows
    socket.once('close', onClose)
    this.parked.add(socket)
    waiting.withdraw = this.quotas.request(l.name, ip, (a) => {
      socket.off('close', onClose)
      this.parked.delete(socket)
      if (a.kind === 'too-many') {
        this.log.info(
          `Rejected connection from ${ip}, address already has the configured maximum of ${a.max} connections.`,
        )
        socket.destroy()
      } else if (a.kind === 'throttled') {
        this.log.debug(
          `Rejected connection from ${ip}, connection creation rate exceeded: closing after ${a.delayMs} ms`,
        )
        this.delayedClose.add(socket)
        const task = this.scheduler.schedule(
          'delayed-close-socket',
          () => {
            this.delayedClose.delete(socket)
            socket.destroy()
          },
          a.delayMs,
        )
        socket.once('close', () => {
          task.cancel()
          this.delayedClose.delete(socket)
        })
      } else if (socket.destroyed) {
        a.release()
      } else {
        socket.once('close', a.release)
        socket.resume()
        admitted(socket)
        this.closeLruIfOverBroker()
      }
    })
  }

  /** A protected inter-broker connection took the broker over max.connections: another listener gives one up. */
  private closeLruIfOverBroker(): void {
    let lru: Connection | undefined
    let lruAt = Infinity
    for (const c of this.connections) {
      if (!this.quotas.maxConnectionsExceeded(c.info.listenerName)) continue
      const at = this.lastActive.get(c) ?? 0
      if (at < lruAt) {
        lru = c
        lruAt = at
      }
    }
    lru?.close('broker-wide max.connections exceeded (least recently used connection closed)')
  }

  private accept(socket: net.Socket, l: ListenerSpec): void {
    const ip = normalizeIp(socket.remoteAddress ?? 'unknown')
    const id = `${socket.localAddress}:${socket.localPort}-${ip}:${socket.remotePort}-${this.nextConnectionIndex++}`
    const channel = new Channel({
      id,
      listenerName: l.name,
      securityProtocol: l.securityProtocol,
      remoteAddress: ip,
      remotePort: socket.remotePort ?? 0,
      localAddress: socket.localAddress ?? '',
      localPort: socket.localPort ?? 0,
    })
    if (socket instanceof tls.TLSSocket && !this.authenticateCertificate(socket, channel, l)) {
      socket.destroy()
      return
    }
    const newAuthenticator = l.security?.authenticator
    if (newAuthenticator) channel.authenticator = newAuthenticator(channel)
    const clock = this.scheduler.clock
    const conn: Connection = new Connection(
      socket,
      channel,
      this.processor,
      this.options.limits,
      this.log,
      (c) => this.connections.delete(c),
      () => this.lastActive.set(conn, clock.monotonic()),
      this.options.readInPlace ?? true,
    )
    this.connections.add(conn)
    this.lastActive.set(conn, clock.monotonic())
  }

  /**
   * The client certificate of a TLS connection, checked as a JSSE server checks it: a certificate that was sent
   * must be trusted even when client authentication is only requested. On an SSL listener its subject becomes the
   * principal (ANONYMOUS without one). Returns false when the connection must be refused.
   */
  private authenticateCertificate(socket: tls.TLSSocket, channel: Channel, l: ListenerSpec): boolean {
    const cert = socket.getPeerCertificate(false)
    const presented =
      cert !== null && cert !== undefined && Object.keys(cert).length > 0 && cert.raw !== undefined
    const from = `${socket.remoteAddress ?? 'unknown'}:${socket.remotePort ?? 0}`
    if (presented && !socket.authorized) {
      this.log.info(
        `Failed authentication with /${from} (channelId=${channel.info.id}) (SSL handshake failed: ${String(socket.authorizationError)})`,
      )
      return false
    }
    const map = l.security?.certificatePrincipal
    if (!presented || !map) {
      channel.setTransportPrincipal(ANONYMOUS)
      return true
    }
    try {
      channel.setTransportPrincipal(map(cert.raw))
      return true
    } catch (e) {
      this.log.info(
        `Failed authentication with /${from} (channelId=${channel.info.id}) (${(e as Error).message})`,
      )
      return false
    }
  }

  /** Replaces the TLS material of a listener (a keystore reloaded by a dynamic config update). */
  updateTls(listenerName: string, options: tls.SecureContextOptions): void {
    const server = this.tlsServers.get(listenerName)
    if (!server) throw new Error(`listener ${listenerName} does not use TLS`)
    server.setSecureContext(options)
  }

  private closeIdle(): void {
    const cutoff = this.scheduler.clock.monotonic() - this.options.connectionsMaxIdleMs
    for (const c of this.connections) {
      if ((this.lastActive.get(c) ?? 0) < cutoff)
        c.close(`idle for more than ${this.options.connectionsMaxIdleMs} ms`)
    }
  }

  get connectionCount(): number {
    return this.connections.size
  }

  /** Open connections that read into the broker's own buffers (user-buffer.ts). */
  get inPlaceConnectionCount(): number {
    let n = 0
    for (const c of this.connections) if (c.readsInPlace) n++
    return n
  }

  /** Open connections by listener name (every bound listener, 0 when it has none). */
  connectionCounts(): Map<string, number> {
    const counts = new Map<string, number>(this.bound.map((l) => [l.name, 0]))
    for (const c of this.connections)
      counts.set(c.info.listenerName, (counts.get(c.info.listenerName) ?? 0) + 1)
    return counts
  }

  /** Stops accepting, then closes every connection. */
  async stop(): Promise<void> {
    this.idleTimer?.cancel()
    const closing = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))
    for (const c of this.connections) c.close()
    for (const s of this.delayedClose) s.destroy()
    for (const s of this.parked) s.destroy()
    await Promise.all(closing)
    this.servers.length = 0
  }
}
