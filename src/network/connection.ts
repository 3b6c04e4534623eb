/**
 * One client connection: reads size-prefixed frames, hands them to the request processor, and writes the
 * responses back strictly in request order.
 *
 * Kafka mutes a connection while a request is in flight: the next request is read only once the previous response
 * has been sent, so every answer reflects the broker's state at least as new as the answer before it. We keep that
 * rule with one exception: requests the processor says may overlap (pipelined Produce requests) start as soon as
 * every request ahead of them may overlap too, so they are appended in arrival order without waiting for each
 * other's acks; their responses are queued and written in order. Any other request starts only when everything
 * before it has its response — a Metadata request pipelined behind an acks=all Produce that waits for the ISR is
 * answered with the metadata of that moment, not of the moment it arrived (an answer computed on arrival and held
 * back would tell a client about a leader that has been replaced meanwhile).
 *
 * Back-pressure: reading pauses while too many requests are waiting for their turn or while the socket's
 * outgoing buffer is above its high-water mark, and resumes when both drain.
 *
 * Security: while the channel authenticates (SASL), requests are handled one at a time, frames are limited to
 * sasl.server.max.receive.size, and the channel's authenticator decides what each frame may do (see channel.ts).
 * Once authenticated, every request is still checked against the session's expiry (KIP-368). A muted channel
 * (throttling) reads no further requests until it is unmuted.
 */
import type { Socket } from 'node:net'
import { fetchBufferPool } from '../util/buffer-pool.js'
import type { Logger } from '../util/logger.js'
import { StacklessError } from '../util/stackless-error.js'
import type { Admission, Channel, ChannelControl, ConnectionInfo } from './channel.js'
import { attachUserBuffer, SHARED_PREFIX_BUFFER, SHARED_READ_BUFFER } from './user-buffer.js'

/** What the processor answers for one request: the response frame (without the size prefix) or no response. */
export type ResponseChunks = readonly Buffer[] | null

export type { ConnectionInfo } from './channel.js'

export interface RequestProcessor {
  /**
   * Processes one request frame (without its size prefix). Returns the response chunks (which must not include
   * the size prefix), null for no response, or throws `CloseConnection` to drop the connection.
   */
  process(frame: Buffer, channel: ChannelControl): ResponseChunks | Promise<ResponseChunks>
  /**
   * True for a request that may start while earlier requests of its connection are still in progress, provided
   * they may overlap too (Produce). Everything else waits for the responses of the requests ahead of it.
   */
  mayOverlap?(frame: Buffer): boolean
  /**
   * The response that refuses a request frame as a whole with an error code and message (its API's error
   * response), or null when Kafka sends none. Throws `CloseConnection` when the frame is not a request it serves.
   */
  errorResponse?(frame: Buffer, errorCode: number, message: string): ResponseChunks
}

/** Thrown by the processor when the connection must be closed (malformed request, unknown API...). No stack. */
export class CloseConnection extends StacklessError {
  constructor(message: string) {
    super(message)
    this.name = 'CloseConnection'
  }
}

export interface ConnectionLimits {
  /** socket.request.max.bytes: frames larger than this are refused before any of their body is buffered. */
  readonly maxRequestSize: number
  /** Requests of one connection that may wait for their response turn before reading pauses. */
  readonly maxInFlight: number
  /** Outgoing bytes buffered in the socket before reading pauses. */
  readonly writeHighWaterMark: number
}

interface Slot {
  done: boolean
  chunks: ResponseChunks
  /** The request, until it is started. */
  frame: Buffer | null
  /** What the channel's authenticator made of the frame (a request, a raw token, or a request it refuses). */
  readonly admission: Exclude<Admission, { kind: 'close' }>
  readonly overlaps: boolean
}

const MIN_REQUEST_SIZE = 8 // api key, api version, correlation id
/**
 * User-buffer reads: a frame at least this large that is not yet all here is read in place, straight into a pooled
 * buffer of its size (smaller ones are copied out of the shared read buffer with the bytes around them).
 */
const IN_PLACE_MIN = 16 * 1024
/**
 * A frame read in place gets a buffer of its whole size at once only up to this size; a larger one starts with a
 * buffer this large, doubled (one copy of what is there) whenever the bytes fill it. A size prefix is only a
 * promise: 1,000 connections each declaring a 100 MB frame and sending nothing more had the broker allocate 100 GB
 * up front — never resident (the pages stay untouched), but V8 counts it as external memory and runs full GCs
 * for it, and another client's ApiVersions round trip took 0.8-4 s instead of 26-54 ms. Now what a frame costs
 * follows what has arrived (at most twice it, and 1 MiB). Kafka allocates the declared size at once (a heap
 * ByteBuffer: committed), bounded in total only by queued.max.request.bytes when that is set (default -1).
 */
const IN_PLACE_WHOLE_MAX = 1024 * 1024
/**
 * The most one read takes, as Node's own reads: libuv reads a socket again at once (up to 32 times) while a read
 * fills its buffer, so reads of a whole 1 MB frame made one event-loop turn take many frames (event-loop delay
 * p99 25-60 ms against 6.6-8 ms with 64 KiB reads, same CPU per GB).
 */
const MAX_READ = SHARED_READ_BUFFER.length
const REQUEST: Admission = { kind: 'request' }

export class Connection {
  private readonly pending: Buffer[] = []
  private pendingBytes = 0
  private frameSize = -1
  private readonly queue: Slot[] = []
  private closed = false
  private pausedForQueue = false
  private pausedForWrites = false
  private pumping = false
  private startingRequests = false
  private startAgain = false
  /** A flush is due at the end of this tick (see complete). */
  private flushDue = false
  private readonly flushNow = (): void => {
    this.flushDue = false
    if (!this.closed) this.flush()
  }
  /**
   * Requests are started in order, so the started slots are a prefix of the queue: how many, how many of them are
   * done, and how many may not overlap. startReady looks at the first slot after them only (it walked the whole
   * queue for every arriving frame: with hundreds of acks=all Produce requests in flight on a connection, each new
   * one cost a walk over all of them).
   */
  private started = 0
  private startedDone = 0
  private startedExclusive = 0
  readonly info: ConnectionInfo
  /**
   * Whether the socket reads into our memory (user-buffer.ts) rather than emitting 'data': while it waits for a
   * frame's start it reads into the shared read buffer (copied out at once); a large frame's body is then read in
   * place into `body`, a pooled buffer of the frame's size (above IN_PLACE_WHOLE_MAX: one that grows as the bytes
   * arrive), which becomes the frame itself (no copy, no allocation).
   */
  readonly readsInPlace: boolean
  /** The frame being read in place (its size prefix already consumed), and how much of it has arrived. */
  private body: Buffer | null = null
  private bodyFilled = 0
  /** The view of `body` handed to libuv for the current read. */
  private bodyView: Buffer | null = null
  /**
   * The last frame was large: the next read takes a size prefix only, so the next large frame does not start in
   * the shared buffer (and get copied from there).
   */
  private lastInPlace = false

  constructor(
    private readonly socket: Socket,
    private readonly channel: Channel,
    private readonly processor: RequestProcessor,
    private readonly limits: ConnectionLimits,
    private readonly log: Logger,
    private readonly onClose: (c: Connection) => void,
    /** Called for every read from the socket (the idle-connection check's activity). */
    private readonly onRead: () => void = () => {},
    /** false: read 'data' events even where user-buffer reads work (tests, TLS is always 'data'). */
    readInPlace = true,
  ) {
    this.info = channel.info
    this.channel.onUnmute = () => {
      this.pump()
      this.maybeResume()
    }
    socket.setNoDelay(true)
    this.readsInPlace =
      readInPlace &&
      attachUserBuffer(
        socket,
        () => this.nextReadBuffer(),
        (n, buf) => this.onUserRead(n, buf),
      )
    if (!this.readsInPlace)
      socket.on('data', (chunk: Buffer) => {
        this.onRead()
        this.onData(chunk)
      })
    socket.on('drain', () => {
      if (this.pausedForWrites) {
        this.pausedForWrites = false
        this.maybeResume()
      }
    })
    socket.on('error', (err) => {
      this.log.debug({ err, connection: this.info.id }, `Connection ${this.info.id} error: ${err.message}`)
    })
    socket.on('close', () => {
      this.closed = true
      this.queue.length = 0
      this.started = this.startedDone = this.startedExclusive = 0
      this.onClose(this)
    })
  }

  get isClosed(): boolean {
    return this.closed
  }

  close(reason?: string): void {
    if (this.closed) return
    if (reason) this.log.warn({ connection: this.info.id }, `Closing connection ${this.info.id}: ${reason}`)
    this.closed = true
    this.socket.destroy()
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return
    this.pending.push(chunk)
    this.pendingBytes += chunk.length
    this.pump()
  }

  /** Where the next user-buffer read goes (libuv asks after every read). */
  private nextReadBuffer(): Buffer {
    if (this.body !== null) {
      if (this.bodyFilled === this.body.length) this.growBody(this.bodyFilled + 1)
      return (this.bodyView = this.body.subarray(this.bodyFilled, this.bodyFilled + MAX_READ))
    }
    this.bodyView = null
    if (this.lastInPlace && this.frameSize < 0 && this.pendingBytes === 0) return SHARED_PREFIX_BUFFER
    return SHARED_READ_BUFFER
  }

  /** A user-buffer read of n bytes into buf: a view of `body` (in place) or the shared read buffer. */
  private onUserRead(n: number, buf: Buffer): void {
    this.onRead()
    if (this.closed) return
    if (buf === this.bodyView && this.body !== null) {
      this.bodyFilled += n
      if (this.bodyFilled === this.frameSize) {
        this.bodyToPending()
        this.pump()
      }
      return
    }
    // The shared buffer: everything is copied out before this returns (the next socket's read overwrites it).
    let off = 0
    if (this.body !== null) {
      // the frame went in place after this read was set up: its bytes go into it
      off = Math.min(n, this.frameSize - this.bodyFilled)
      if (this.bodyFilled + off > this.body.length) this.growBody(this.bodyFilled + off)
      buf.copy(this.body, this.bodyFilled, 0, off)
      this.bodyFilled += off
      if (this.bodyFilled < this.frameSize) return
      this.bodyToPending()
    }
    if (off < n) {
      const copy = Buffer.allocUnsafe(n - off)
      buf.copy(copy, 0, off, n)
      this.pending.push(copy)
      this.pendingBytes += copy.length
    }
    this.pump()
  }

  /** The frame read in place is all here: it joins the pending bytes, as a whole frame. */
  private bodyToPending(): void {
    const body = this.body!
    this.body = null
    this.pending.push(body)
    this.pendingBytes += body.length
  }

  /**
   * The frame whose size prefix was just read is large and not all here: the rest of it is read straight into a
   * pooled buffer of its size (the bytes already here are copied in first); above IN_PLACE_WHOLE_MAX, into one that
   * grows with what arrives (growBody).
   */
  private readBodyInPlace(): void {
    const size =
      this.frameSize <= IN_PLACE_WHOLE_MAX
        ? this.frameSize
        : Math.min(this.frameSize, Math.max(IN_PLACE_WHOLE_MAX, 2 * this.pendingBytes))
    const body = fetchBufferPool.acquire(size)
    let filled = 0
    for (const c of this.pending) {
      c.copy(body, filled)
      filled += c.length
    }
    this.pending.length = 0
    this.pendingBytes = 0
    this.body = body
    this.bodyFilled = filled
  }

  /** The frame being read in place needs room for `needed` bytes: its buffer doubles (at most to the frame's size). */
  private growBody(needed: number): void {
    const old = this.body!
    const body = fetchBufferPool.acquire(Math.min(this.frameSize, Math.max(needed, 2 * old.length)))
    old.copy(body, 0, 0, this.bodyFilled)
    fetchBufferPool.release(old)
    this.body = body
  }

  /** Dispatches the complete frames that are buffered, as far as the channel's state allows. */
  private pump(): void {
    if (this.pumping) return // a response completed synchronously inside dispatch: the running loop goes on
    this.pumping = true
    try {
      this.pumpFrames()
    } finally {
      this.pumping = false
    }
  }

  private pumpFrames(): void {
    while (!this.closed) {
      if (this.channel.muted) {
        this.socket.pause()
        return
      }
      // Kafka handles one request at a time while a channel authenticates.
      if (this.channel.authenticating && this.queue.length > 0) {
        this.socket.pause()
        return
      }
      if (this.frameSize < 0) {
        if (this.pendingBytes < 4) return
        const size = this.peekInt32()
        const min = this.channel.authenticator?.expectsRawToken ? 0 : MIN_REQUEST_SIZE
        const max = this.channel.authenticating
          ? Math.min(this.limits.maxRequestSize, this.channel.authenticator!.maxReceiveSize)
          : this.limits.maxRequestSize
        if (size < min || size > max) {
          // Refused before buffering the body: a 2 GiB length prefix costs us nothing.
          this.close(
            this.channel.authenticating && size > max
              ? `Failing SASL authentication due to invalid receive size ${size} (sasl.server.max.receive.size is ${max})`
              : size < 0 || size > this.limits.maxRequestSize
                ? `invalid request size ${size} (socket.request.max.bytes is ${this.limits.maxRequestSize})`
                : `request of ${size} bytes is too small to hold a request header`,
          )
          return
        }
        this.consume(4)
        this.frameSize = size
      }
      if (this.pendingBytes < this.frameSize) {
        if (this.readsInPlace && this.body === null && this.frameSize >= IN_PLACE_MIN) this.readBodyInPlace()
        return
      }
      const frame = this.frameSize === 0 ? Buffer.alloc(0) : this.consume(this.frameSize)
      this.lastInPlace = frame.length >= IN_PLACE_MIN
      this.frameSize = -1
      this.dispatch(frame)
    }
  }

  private peekInt32(): number {
    const first = this.pending[0]!
    if (first.length >= 4) return first.readInt32BE(0)
    return this.take(4, false).readInt32BE(0)
  }

  private consume(n: number): Buffer {
    return this.take(n, true)
  }

  /**
   * Takes n bytes off the front of the pending chunks (a view when they sit in one chunk, the chunk itself when it
   * is exactly that: a frame read in place stays the pooled buffer it was lent as).
   */
  private take(n: number, remove: boolean): Buffer {
    const first = this.pending[0]!
    if (first.length >= n) {
      const out = first.length === n ? first : first.subarray(0, n)
      if (remove) {
        if (first.length === n) this.pending.shift()
        else this.pending[0] = first.subarray(n)
        this.pendingBytes -= n
      }
      return out
    }
    const out = fetchBufferPool.acquire(n)
    let copied = 0
    let i = 0
    while (copied < n) {
      const c = this.pending[i]!
      const k = Math.min(c.length, n - copied)
      c.copy(out, copied, 0, k)
      copied += k
      if (remove) {
        if (k === c.length) {
          this.pending.shift()
        } else {
          this.pending[0] = c.subarray(k)
        }
      } else i++
    }
    if (remove) this.pendingBytes -= n
    return out
  }

  private dispatch(frame: Buffer): void {
    const admission = this.channel.authenticator?.admit(frame) ?? REQUEST
    if (admission.kind === 'close') {
      this.close(admission.reason)
      return
    }
    const slot: Slot = {
      done: false,
      chunks: null,
      frame,
      admission,
      overlaps: admission.kind === 'request' && (this.processor.mayOverlap?.(frame) ?? false),
    }
    this.queue.push(slot)
    if (this.queue.length >= this.limits.maxInFlight && !this.pausedForQueue) {
      this.pausedForQueue = true
      this.socket.pause()
    }
    this.startReady()
  }

  /** Starts every queued request whose turn has come (see the class comment). */
  private startReady(): void {
    if (this.startingRequests) {
      this.startAgain = true
      return
    }
    this.startingRequests = true
    try {
      do {
        this.startAgain = false
        while (this.started < this.queue.length && !this.closed) {
          const slot = this.queue[this.started]!
          // its turn: everything ahead of it answered, or it and everything ahead of it may overlap
          const allDone = this.startedDone === this.started
          if (!allDone && !(slot.overlaps && this.startedExclusive === 0)) break
          const frame = slot.frame!
          slot.frame = null
          this.started++
          if (!slot.overlaps) this.startedExclusive++
          this.start(slot, frame)
        }
        // A request answered synchronously above: write what is ready, then look again.
        if (this.startAgain && !this.closed) this.flush()
      } while (this.startAgain && !this.closed)
    } finally {
      this.startingRequests = false
    }
  }

  private start(slot: Slot, frame: Buffer): void {
    const auth = this.channel.authenticator
    const admission = slot.admission
    let result: ResponseChunks | Promise<ResponseChunks>
    try {
      if (admission.kind === 'request') result = this.processor.process(frame, this.channel)
      else if (admission.kind === 'token')
        result = auth!.evaluateRawToken(frame).then((token) => (token === null ? null : [token]))
      else {
        // The refusal is built now (a frame that does not parse closes the connection at once, as in Kafka) and
        // sent after the failed-authentication delay.
        const { reason, errorCode } = admission
        const refusal =
          errorCode === null ? null : (this.processor.errorResponse?.(frame, errorCode, reason) ?? null)
        result = auth!.rejectRequest(reason).then(() => refusal)
      }
    } catch (e) {
      this.fail(e)
      return
    }
    if (result instanceof Promise) {
      result.then(
        (chunks) => this.complete(slot, chunks),
        (e: unknown) => this.fail(e),
      )
    } else {
      this.complete(slot, result)
    }
  }

  private fail(e: unknown): void {
    if (e instanceof CloseConnection) this.close(e.message)
    else {
      this.log.error(
        { err: e, connection: this.info.id },
        `Unexpected error processing a request from ${this.info.id}`,
      )
      this.close('unexpected error while processing a request')
    }
  }

  private complete(slot: Slot, chunks: ResponseChunks): void {
    if (this.closed) return
    slot.done = true
    this.startedDone++
    slot.chunks = chunks
    if (this.startingRequests) {
      this.startAgain = true // the running startReady loop writes it and starts what follows
      return
    }
    // Written once the tick's other completions are in too: the produces one log write acknowledges complete in
    // the same round of promise jobs, and their responses leave in one corked write (one syscall, not one each).
    if (!this.flushDue) {
      this.flushDue = true
      process.nextTick(this.flushNow)
    }
    this.startReady()
  }

  private flush(): void {
    const q = this.queue
    if (q.length === 0 || !q[0]!.done) return
    this.socket.cork()
    while (q.length > 0 && q[0]!.done) {
      const slot = q.shift()!
      this.started--
      this.startedDone--
      if (!slot.overlaps) this.startedExclusive--
      const chunks = slot.chunks
      if (chunks === null) continue
      let size = 0
      for (const c of chunks) size += c.length
      const prefix = Buffer.allocUnsafe(4)
      prefix.writeInt32BE(size, 0)
      this.socket.write(prefix)
      for (const c of chunks) {
        // Large chunks are records read from the log: back to the read pool once the socket has them.
        if (c.length >= 16 * 1024) this.socket.write(c, () => fetchBufferPool.release(c))
        else this.socket.write(c)
      }
    }
    this.socket.uncork()
    const closeReason = this.channel.closeReason
    if (closeReason !== undefined && q.length === 0) {
      // Failed authentication: the response is on its way; then the connection closes.
      this.log.debug({ connection: this.info.id }, `Closing connection ${this.info.id}: ${closeReason}`)
      this.closed = true
      this.socket.end()
      this.socket.destroySoon()
      return
    }
    if (this.socket.writableLength > this.limits.writeHighWaterMark) this.pausedForWrites = true
    this.maybeResume()
    if (this.pendingBytes > 0) this.pump()
  }

  private maybeResume(): void {
    if (this.pausedForQueue && this.queue.length < this.limits.maxInFlight) this.pausedForQueue = false
    if (this.pausedForWrites || this.channel.muted) {
      this.socket.pause()
      return
    }
    if (!this.pausedForQueue && this.socket.isPaused()) this.socket.resume()
  }
}
