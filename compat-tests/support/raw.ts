/**
 * A raw Kafka connection for malformed-input tests: write any bytes, read size-prefixed frames, and
 * encode/decode well-formed requests with the repo's own codec (src/protocol).
 */
import net from 'node:net'
import { decode, encodeToBuffer, isFlexible } from '../../src/protocol/codec/codec.js'
import { Reader } from '../../src/protocol/codec/reader.js'
import type { Input, MessageSchema } from '../../src/protocol/codec/schema.js'
import {
  RequestHeader,
  requestHeaderVersion,
  ResponseHeader,
  responseHeaderVersion,
} from '../../src/protocol/headers.js'

export type ReadOutcome = { kind: 'frame'; frame: Buffer } | { kind: 'closed' } | { kind: 'timeout' }

export class RawConnection {
  private buffered = Buffer.alloc(0)
  /** Bytes received since `buffered` was last joined (joined only once a whole frame is there: a 30 MB answer
   * arrives in hundreds of chunks, and joining at each one would copy gigabytes). */
  private arrived: Buffer[] = []
  private arrivedBytes = 0
  private closedFlag = false
  private waiters: Array<() => void> = []
  private nextCorrelationId = 1

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.arrived.push(d)
      this.arrivedBytes += d.length
      this.wake()
    })
    const onClose = (): void => {
      this.closedFlag = true
      this.wake()
    }
    socket.on('close', onClose)
    socket.on('end', onClose)
    socket.on('error', onClose)
  }

  static connect(host: string, port: number, timeoutMs = 5000): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port, noDelay: true })
      const timer = setTimeout(() => {
        socket.destroy()
        reject(new Error(`connect to ${host}:${port} timed out`))
      }, timeoutMs)
      socket.once('connect', () => {
        clearTimeout(timer)
        socket.removeAllListeners('error')
        resolve(new RawConnection(socket))
      })
      socket.once('error', (e) => {
        clearTimeout(timer)
        reject(e)
      })
    })
  }

  get closed(): boolean {
    return this.closedFlag
  }

  private wake(): void {
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
  }

  write(bytes: Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (this.closedFlag || this.socket.destroyed) return resolve()
      this.socket.write(bytes, () => resolve())
    })
  }

  private join(): void {
    this.buffered = Buffer.concat([this.buffered, ...this.arrived])
    this.arrived = []
    this.arrivedBytes = 0
  }

  /** The next size-prefixed frame (without its size), or 'closed' / 'timeout'. */
  async readFrame(timeoutMs = 10_000): Promise<ReadOutcome> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (this.buffered.length < 4 && this.arrivedBytes > 0) this.join()
      if (this.buffered.length >= 4) {
        const size = this.buffered.readInt32BE(0)
        if (size >= 0 && this.buffered.length + this.arrivedBytes >= 4 + size) this.join()
        if (size >= 0 && this.buffered.length >= 4 + size) {
          const frame = this.buffered.subarray(4, 4 + size)
          this.buffered = this.buffered.subarray(4 + size)
          return { kind: 'frame', frame }
        }
      }
      if (this.closedFlag) return { kind: 'closed' }
      const left = deadline - Date.now()
      if (left <= 0) return { kind: 'timeout' }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  /** Waits until the peer closes the connection (true) or `timeoutMs` passes (false). Discards any data. */
  async waitClosed(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs
    while (!this.closedFlag && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()))
        this.waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
    return this.closedFlag
  }

  /** Encodes a request (size + header + body) with the next correlation id. */
  encodeRequest<Req>(
    api: { key: number; request: MessageSchema<Req> },
    version: number,
    body: Input<Req>,
    clientId = 'samsa-raw',
  ): { correlationId: number; bytes: Buffer } {
    const correlationId = this.nextCorrelationId++
    return { correlationId, bytes: encodeRequestFrame(api, version, body, correlationId, clientId) }
  }

  /** Sends a well-formed request and decodes its response. Throws if the connection closes or times out. */
  async request<Req, Res>(
    api: { key: number; request: MessageSchema<Req>; response: MessageSchema<Res> },
    version: number,
    body: Input<Req>,
    timeoutMs = 10_000,
  ): Promise<Res> {
    const { correlationId, bytes } = this.encodeRequest(api, version, body)
    await this.write(bytes)
    const r = await this.readFrame(timeoutMs)
    if (r.kind !== 'frame') throw new Error(`no response to API ${api.key} v${version}: connection ${r.kind}`)
    return decodeResponseFrame(api, version, r.frame, correlationId)
  }

  close(): void {
    this.socket.destroy()
  }
}

/** size-prefixed request frame */
export function encodeRequestFrame<Req>(
  api: { key: number; request: MessageSchema<Req> },
  version: number,
  body: Input<Req>,
  correlationId: number,
  clientId: string | null = 'samsa-raw',
): Buffer {
  const flexible = isFlexible(api.request as MessageSchema<unknown>, version)
  const header = encodeToBuffer(RequestHeader, requestHeaderVersion(api.key, flexible, version), {
    requestApiKey: api.key,
    requestApiVersion: version,
    correlationId,
    clientId,
  })
  const payload = encodeToBuffer(api.request, version, body)
  const size = Buffer.alloc(4)
  size.writeInt32BE(header.length + payload.length)
  return Buffer.concat([size, header, payload])
}

export function decodeResponseFrame<Res>(
  api: { key: number; response: MessageSchema<Res> },
  version: number,
  frame: Buffer,
  expectedCorrelationId?: number,
): Res {
  const r = new Reader(frame)
  const flexible = isFlexible(api.response as MessageSchema<unknown>, version)
  const header = decode(ResponseHeader, responseHeaderVersion(api.key, flexible), r)
  if (expectedCorrelationId !== undefined && header.correlationId !== expectedCorrelationId) {
    throw new Error(`correlation id ${header.correlationId}, expected ${expectedCorrelationId}`)
  }
  return decode(api.response, version, r)
}
