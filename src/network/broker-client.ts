/**
 * A minimal Kafka client connection used between brokers (replica fetchers, controller requests): it frames
 * requests with the right header version, matches responses by correlation id, negotiates versions with
 * ApiVersions on connect, and fails every pending request when the connection drops. It uses the same schemas
 * and codec as the server side.
 */
import net from 'node:net'
import tls from 'node:tls'
import { decode, encode, isFlexible } from '../protocol/codec/codec.js'
import { Reader } from '../protocol/codec/reader.js'
import type { Input, MessageSchema } from '../protocol/codec/schema.js'
import { Writer } from '../protocol/codec/writer.js'
import {
  RequestHeader,
  requestHeaderVersion,
  ResponseHeader,
  responseHeaderVersion,
} from '../protocol/headers.js'
import { ApiVersions } from '../protocol/messages/18-api-versions.js'
import { Apis } from '../protocol/messages/index.js'
import { errorName } from '../protocol/errors.js'
import type { ApiDef } from '../protocol/api.js'
import { plainClientToken } from '../protocol/sasl/plain.js'
import { scramMechanism, ScramClient } from '../protocol/sasl/scram.js'
import { systemScheduler, type ScheduledTask, type Scheduler } from '../util/scheduler.js'
import { SHARED_PREFIX_BUFFER, SHARED_READ_BUFFER } from './user-buffer.js'

/** Responses at least this large that are not all here yet are read in place (plaintext connections). */
const IN_PLACE_MIN = 16 * 1024

interface Pending {
  readonly apiKey: number
  readonly resolve: (frame: Buffer) => void
  readonly reject: (e: Error) => void
  readonly timer: ScheduledTask
}

export class BrokerClientError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'BrokerClientError'
  }
}

export interface BrokerClientOptions {
  readonly host: string
  readonly port: number
  readonly clientId: string
  readonly requestTimeoutMs: number
  /** The TCP (and TLS) connect timeout, on real time: it bounds what the OS does (default 10 s). */
  readonly connectTimeoutMs?: number
  /** Connect with TLS (an SSL or SASL_SSL listener) with these options. */
  readonly tls?: tls.ConnectionOptions
  /** Runs the request timeouts (request.timeout.ms and the like; default: Node's timers). */
  readonly scheduler?: Scheduler
  /** Authenticate with SASL (a SASL_PLAINTEXT or SASL_SSL listener). */
  readonly sasl?: SaslClientCredentials
  /** false: read Node's 'data' events even without TLS (tests; by default a plaintext socket reads in place). */
  readonly readInPlace?: boolean
}

/** Where another broker is and how to reach it (its inter-broker listener's TLS and SASL). */
export interface BrokerAddress {
  readonly host: string
  readonly port: number
  readonly tls?: tls.ConnectionOptions
  readonly sasl?: SaslClientCredentials
}

export interface SaslClientCredentials {
  /** PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512. */
  readonly mechanism: string
  readonly username: string
  readonly password: string
}

export class BrokerClient {
  private socket: net.Socket | undefined
  private readonly pending = new Map<number, Pending>()
  private nextCorrelationId = 1
  private buffered: Buffer[] = []
  private bufferedBytes = 0
  private versions = new Map<number, { min: number; max: number }>()
  private closed = false
  /** Plaintext connections: the large response being read in place, how much of it arrived, the view read into. */
  private body: Buffer | null = null
  private bodyFilled = 0
  private bodyView: Buffer | null = null
  /** The last response was read in place: the next read takes a size prefix only. */
  private prefixOnly = false

  private constructor(private readonly opts: BrokerClientOptions) {}

  /** When the SASL session must be renewed (KIP-368), or undefined when it never expires. */
  private reauthenticateAtMs: number | undefined

  static async connect(opts: BrokerClientOptions): Promise<BrokerClient> {
    const c = new BrokerClient(opts)
    await c.open()
    try {
      const res = await c.send(ApiVersions, 0, {})
      for (const k of res.apiKeys) c.versions.set(k.apiKey, { min: k.minVersion, max: k.maxVersion })
      if (opts.sasl) await c.authenticate(opts.sasl)
    } catch (e) {
      c.close()
      throw e
    }
    return c
  }

  /** SaslHandshake then SaslAuthenticate round trips with the configured mechanism. */
  private async authenticate(sasl: SaslClientCredentials): Promise<void> {
    const where = `${this.opts.host}:${this.opts.port}`
    const hs = await this.send(Apis.SaslHandshake, this.version(Apis.SaslHandshake.key, 1, 1), {
      mechanism: sasl.mechanism,
    })
    if (hs.errorCode !== 0)
      throw new BrokerClientError(
        `SASL handshake with ${where} failed: ${errorName(hs.errorCode)} (enabled mechanisms: ${hs.mechanisms.join(', ')})`,
      )
    const version = this.version(Apis.SaslAuthenticate.key, 2)
    const step = async (token: Buffer): Promise<{ authBytes: Buffer; sessionLifetimeMs: number }> => {
      const r = await this.send(Apis.SaslAuthenticate, version, { authBytes: token })
      if (r.errorCode !== 0)
        throw new BrokerClientError(
          `SASL authentication with ${where} failed: ${errorName(r.errorCode)}: ${r.errorMessage ?? ''}`,
        )
      return r
    }
    let last: { sessionLifetimeMs: number }
    if (sasl.mechanism === 'PLAIN') {
      last = await step(plainClientToken(sasl.username, sasl.password))
    } else {
      const m = scramMechanism(sasl.mechanism)
      if (!m) throw new BrokerClientError(`unsupported SASL mechanism ${sasl.mechanism}`)
      const client = new ScramClient(m, sasl.username, sasl.password)
      const first = await step(client.firstMessage())
      const final = await step(client.finalMessage(first.authBytes))
      client.verifyServerFinal(final.authBytes)
      last = final
    }
    // Like Kafka's client: renew at 85-95% of the session lifetime.
    const lifetime = last.sessionLifetimeMs
    this.reauthenticateAtMs =
      lifetime > 0
        ? (this.opts.scheduler ?? systemScheduler).clock.now() +
          Math.floor(lifetime * (0.85 + Math.random() * 0.1))
        : undefined
  }

  /** Whether responses are read into our own buffers (plaintext) rather than from 'data' events (TLS). */
  get readsInPlace(): boolean {
    return !this.opts.tls && this.opts.readInPlace !== false
  }

  get isOpen(): boolean {
    return !this.closed
  }

  /** The highest version both sides support, at most `wanted`; throws when there is none. */
  version(apiKey: number, wanted: number, atLeast = 0): number {
    const v = this.versions.get(apiKey)
    if (!v) throw new BrokerClientError(`${this.opts.host}:${this.opts.port} does not support API ${apiKey}`)
    const chosen = Math.min(wanted, v.max)
    if (chosen < Math.max(v.min, atLeast)) {
      throw new BrokerClientError(
        `no common version of API ${apiKey} with ${this.opts.host}:${this.opts.port}`,
      )
    }
    return chosen
  }

  private open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = this.opts.tls
        ? tls
            .connect({
              servername: net.isIP(this.opts.host) === 0 ? this.opts.host : undefined,
              ...this.opts.tls,
              host: this.opts.host,
              port: this.opts.port,
            })
            .setNoDelay(true)
        : this.opts.readInPlace === false
          ? net.connect({ host: this.opts.host, port: this.opts.port, noDelay: true })
          : net.connect({
              host: this.opts.host,
              port: this.opts.port,
              noDelay: true,
              // responses are read into our memory: a large one (a follower's fetch) in place into its own buffer
              onread: {
                buffer: () => this.nextReadBuffer(),
                callback: (n, buf) => {
                  this.onRead(n, buf as Buffer)
                  return true
                },
              },
            })
      const timer = systemScheduler.schedule(
        'connect-timeout',
        () => {
          socket.destroy()
          reject(new BrokerClientError(`connection to ${this.opts.host}:${this.opts.port} timed out`))
        },
        this.opts.connectTimeoutMs ?? 10_000,
      )
      socket.once(this.opts.tls ? 'secureConnect' : 'connect', () => {
        timer.cancel()
        this.socket = socket
        resolve()
      })
      socket.once('error', (e) => {
        timer.cancel()
        reject(
          new BrokerClientError(`connection to ${this.opts.host}:${this.opts.port} failed: ${e.message}`),
        )
      })
      socket.on('data', (chunk: Buffer) => this.onData(chunk))
      socket.on('close', () =>
        this.fail(new BrokerClientError(`connection to ${this.opts.host}:${this.opts.port} closed`)),
      )
    })
  }

  /** Where the next read of a plaintext connection goes (Node asks after every read). */
  private nextReadBuffer(): Buffer {
    if (this.body !== null)
      return (this.bodyView = this.body.subarray(
        this.bodyFilled,
        this.bodyFilled + SHARED_READ_BUFFER.length,
      ))
    this.bodyView = null
    return this.prefixOnly && this.bufferedBytes === 0 ? SHARED_PREFIX_BUFFER : SHARED_READ_BUFFER
  }

  /** A read of n bytes into buf: a view of `body` (in place) or the shared read buffer (copied out at once). */
  private onRead(n: number, buf: Buffer): void {
    if (this.closed) return
    let off = 0
    if (this.body !== null) {
      if (buf === this.bodyView) off = n
      else {
        off = Math.min(n, this.body.length - this.bodyFilled)
        buf.copy(this.body, this.bodyFilled, 0, off)
      }
      this.bodyFilled += off
      if (this.bodyFilled < this.body.length) return
      const frame = this.body
      this.body = null
      this.prefixOnly = true
      this.deliver(frame)
    }
    if (off < n) {
      const copy = Buffer.allocUnsafe(n - off)
      buf.copy(copy, 0, off, n)
      this.onData(copy, true)
    }
  }

  private onData(chunk: Buffer, inPlace = false): void {
    this.buffered.push(chunk)
    this.bufferedBytes += chunk.length
    for (;;) {
      if (this.bufferedBytes < 4) return
      if (this.buffered[0]!.length < 4) this.buffered = [Buffer.concat(this.buffered)]
      const size = this.buffered[0]!.readInt32BE(0)
      if (size < 4 || size > 1 << 30) {
        this.fail(new BrokerClientError(`invalid response size ${size}`))
        return
      }
      // the chunks are joined once the whole response is here (joining them at every chunk copied a 1 MiB fetch
      // response ~8 times over, as it arrived in 64 KiB socket reads)
      if (this.bufferedBytes < 4 + size) {
        if (inPlace && size >= IN_PLACE_MIN) this.readInPlace(size)
        return
      }
      const head = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered)
      const frame = head.subarray(4, 4 + size)
      const rest = head.subarray(4 + size)
      this.buffered = rest.length ? [rest] : []
      this.bufferedBytes = rest.length
      this.prefixOnly = false
      this.deliver(frame)
    }
  }

  /** The response whose size prefix is buffered is large: the rest of it is read straight into its own buffer. */
  private readInPlace(size: number): void {
    const body = Buffer.allocUnsafe(size)
    let filled = 0
    let skip = 4
    for (const c of this.buffered) {
      if (skip >= c.length) {
        skip -= c.length
        continue
      }
      c.copy(body, filled, skip)
      filled += c.length - skip
      skip = 0
    }
    this.buffered = []
    this.bufferedBytes = 0
    this.body = body
    this.bodyFilled = filled
  }

  private deliver(frame: Buffer): void {
    const correlationId = frame.readInt32BE(0)
    const p = this.pending.get(correlationId)
    if (!p) return
    this.pending.delete(correlationId)
    p.timer.cancel()
    p.resolve(frame)
  }

  private fail(e: Error): void {
    if (this.closed) return
    this.closed = true
    this.socket?.destroy()
    for (const p of this.pending.values()) {
      p.timer.cancel()
      p.reject(e)
    }
    this.pending.clear()
  }

  async send<Req, Res>(
    api: ApiDef<Req, Res>,
    version: number,
    body: Input<Req>,
    timeoutMs?: number,
  ): Promise<Res> {
    if (this.closed || !this.socket) throw new BrokerClientError('connection is closed')
    if (
      this.reauthenticateAtMs !== undefined &&
      (this.opts.scheduler ?? systemScheduler).clock.now() >= this.reauthenticateAtMs &&
      this.pending.size === 0 &&
      this.opts.sasl
    ) {
      this.reauthenticateAtMs = undefined
      await this.authenticate(this.opts.sasl)
    }
    const correlationId = this.nextCorrelationId++
    const w = new Writer(256)
    const size = w.reserveInt32()
    const reqFlexible = isFlexible(api.request, version)
    encode(
      RequestHeader,
      requestHeaderVersion(api.key, reqFlexible, version),
      { requestApiKey: api.key, requestApiVersion: version, correlationId, clientId: this.opts.clientId },
      w,
    )
    encode(api.request, version, body, w)
    Writer.patchInt32(size, w.length - 4)
    const frame = await new Promise<Buffer>((resolve, reject) => {
      const timer = (this.opts.scheduler ?? systemScheduler).schedule(
        'request-timeout',
        () => {
          this.pending.delete(correlationId)
          reject(new BrokerClientError(`${api.name} request timed out`))
          this.fail(new BrokerClientError(`${api.name} request timed out; connection closed`))
        },
        timeoutMs ?? this.opts.requestTimeoutMs,
      )
      this.pending.set(correlationId, { apiKey: api.key, resolve, reject, timer })
      const socket = this.socket!
      socket.cork()
      for (const c of w.finish()) socket.write(c)
      socket.uncork()
    })
    const r = new Reader(frame)
    decode(
      ResponseHeader,
      responseHeaderVersion(api.key, isFlexible(api.response as MessageSchema<unknown>, version)),
      r,
    )
    return decode(api.response, version, r)
  }

  close(): void {
    this.fail(new BrokerClientError('connection closed by us'))
  }
}
