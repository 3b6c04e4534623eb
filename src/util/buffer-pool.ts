/**
 * Recycled buffers for the fetch path. Every Fetch response carries up to a few MiB read from the log; allocating
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
    const ab = buf.buffer
    const cls = ab.byteLength
    let list = this.free.get(cls)
    if (!list) this.free.set(cls, (list = []))
    if (list.length < MAX_FREE_PER_CLASS) list.push(Buffer.from(ab, 0, cls))
  }
}

/** The pool shared by log reads and the connections that send them. */
export const fetchBufferPool = new BufferPool()
