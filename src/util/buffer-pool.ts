/**
 * Recycled buffers for request frames and log reads. Every Fetch response carries up to a few MiB read from the log; allocating
 * a fresh Buffer each time makes V8 count that much external memory and run a full GC every few dozen fetches
 * (21% of broker CPU in the rdkafka_performance consume profile). Reads take a buffer from here; the connection
 * hands it back once the socket has written it. A buffer that is never handed back is simply garbage collected
 * (lent buffers are tracked weakly), so a missed release costs an allocation, never memory.
 */
const MIN_POOLED = 16 * 1024
const MAX_POOLED = 16 * 1024 * 1024
const MAX_FREE_PER_CLASS = 8

export class BufferPool {
  private readonly free = new Map<number, Buffer[]>()
  /** The exact Buffer objects handed out: views made from them elsewhere are never recycled by mistake. */
  private readonly lent = new WeakSet<Buffer>()
  /**
   * Tests set this: a released buffer is overwritten with 0xDE at once, so whatever still reads it (a view kept
   * past its lease) reads garbage that a test notices, instead of correct bytes that a later reuse would corrupt.
   */
  poisonOnRelease = false

  /** A buffer of exactly `size` bytes (uninitialized). */
  acquire(size: number): Buffer {
    if (size < MIN_POOLED || size > MAX_POOLED) return Buffer.allocUnsafe(size)
    let cls = MIN_POOLED
    while (cls < size) cls *= 2
    const whole = this.free.get(cls)?.pop() ?? Buffer.allocUnsafeSlow(cls)
    const out = whole.subarray(0, size)
    this.lent.add(out)
    return out
  }

  /** Gives a buffer from acquire() back; anything else is ignored. The caller must not use it afterwards. */
  release(buf: Buffer): void {
    if (!this.lent.has(buf)) return
    this.lent.delete(buf)
    if (this.poisonOnRelease) buf.fill(0xde)
    const ab = buf.buffer
    const cls = ab.byteLength
    let list = this.free.get(cls)
    if (!list) this.free.set(cls, (list = []))
    if (list.length < MAX_FREE_PER_CLASS) list.push(Buffer.from(ab, 0, cls))
  }

  /** Holds `buf` (from acquire() or not) under a lease: it returns to the pool when the last holder releases it. */
  lease(buf: Buffer): BufferLease {
    return new BufferLease(buf, this)
  }
}

/**
 * Who may read a pooled buffer, and until when. The one who takes the lease holds one reference; anyone who keeps
 * the bytes (or views into them) beyond that holder's own use — a deferred or queued write, a response that sends
 * them later — must `retain()` first and `release()` when done. The buffer goes back to the pool (and may be
 * reused for other bytes) when the count reaches zero; reading it through the lease afterwards throws, releasing
 * it twice throws. Views taken from `bytes` are not tracked: a holder must retain for as long as it keeps them.
 */
export class BufferLease {
  private refs = 1

  constructor(
    private readonly buf: Buffer,
    private readonly pool: BufferPool,
  ) {}

  /** The leased bytes; only while the lease is held. */
  get bytes(): Buffer {
    if (this.refs <= 0) throw new Error('buffer read after its lease was released')
    return this.buf
  }

  get released(): boolean {
    return this.refs <= 0
  }

  /** One more holder. */
  retain(): this {
    if (this.refs <= 0) throw new Error('buffer lease retained after it was released')
    this.refs++
    return this
  }

  /** This holder is done; the last one hands the buffer back to the pool. */
  release(): void {
    if (this.refs <= 0) throw new Error('buffer lease released twice')
    if (--this.refs === 0) this.pool.release(this.buf)
  }
}

/** The pool shared by request frames, log reads and the connections that send them. */
export const fetchBufferPool = new BufferPool()
