/**
 * The bytes most recently appended to each log's active segment, kept in memory so that a fetch of them (a consumer
 * or follower keeping up with producers, a reader of a small partition) is answered without a read: Log.readPlanned
 * asks read() before it reads the file. A produce request's batch is already in memory: the cache holds the request
 * frame's lease (AppendOptions.frame) instead of copying it, and a fetch answered from the cache sends a view of those
 * bytes (lent through fetchBufferPool.lendView: the frame goes back to the pool once the socket has sent the view and
 * the cache has let it go). So a byte produced and consumed from here is copied once on its way out (into the
 * socket), not twice (a pread into a buffer, then the socket) — as librdkafka's in-memory mock broker does.
 *
 * What is served: only byte ranges a plan from Log.planRead asked for. Plans stop at Log.writtenEndOffset, so no byte
 * whose write has not landed is served (the same rule as for reads of the file). The cache of a log is tied to one
 * segment and one Log.segmentsGeneration: every truncation, deletion, replacement (compaction) or close changes the
 * generation, after which the cache answers nothing and is dropped at the next append; a roll starts a new cache
 * for the new active segment. An append the cache cannot hold without copying a large frame (a follower's, a
 * coordinator's: no frame lease) drops the log's cache, since what it holds must be contiguous up to the segment end.
 *
 * Memory: every log's entries count against TAIL_CACHE_MAX_BYTES, oldest appended evicted first (each entry counts
 * the whole buffer it keeps alive — a frame's pooled buffer — not only its batch). A batch that is a small part of
 * its frame's buffer is copied out instead, so that a small batch never keeps a large frame alive.
 */
import { type BufferLease, fetchBufferPool } from '../../util/buffer-pool.js'
import { LENGTH_OFFSET, LOG_OVERHEAD } from '../../protocol/records/batch.js'
import type { LogSegment } from './segment.js'

/** The bytes all logs' tail caches may hold at once (oldest appended evicted first). */
export const TAIL_CACHE_MAX_BYTES = 32 * 1024 * 1024
/** A batch smaller than 1/COPY_BELOW_SHARE of the buffer holding it is copied rather than keeping that buffer. */
const COPY_BELOW_SHARE = 4

interface Chunk {
  readonly owner: TailCache
  /** where its bytes start in the segment */
  readonly position: number
  readonly bytes: Buffer
  /** the holder of `bytes` (released when the chunk goes) */
  readonly lease: BufferLease
  /** the bytes it keeps alive */
  readonly cost: number
}

/** Every log's chunks, oldest appended first. */
const lru = new Set<Chunk>()
let heldBytes = 0
let budget = TAIL_CACHE_MAX_BYTES

/** Tests: a smaller budget than TAIL_CACHE_MAX_BYTES; returns the one it replaces. */
export function setTailCacheBudget(bytes: number): number {
  const old = budget
  budget = bytes
  while (heldBytes > budget) evictOldest()
  return old
}

/** The bytes all tail caches hold now (tests, and a debugging aid). */
export function tailCacheHeldBytes(): number {
  return heldBytes
}

/** Reads answered from memory, and how (tests, and a debugging aid). */
export const tailCacheStats = { hits: 0, views: 0, copies: 0, misses: 0 }

function evictOldest(): void {
  const oldest = lru.values().next().value
  if (oldest !== undefined) oldest.owner.evictFirst(oldest)
}

/** One log's tail cache: contiguous chunks of its active segment, up to the segment's end. */
export class TailCache {
  private segment: LogSegment | undefined
  private generation = -1
  /** the chunks from `head` on, in order of position (evicted ones before `head`, compacted now and then) */
  private chunks: Chunk[] = []
  private head = 0

  /** Where the cached bytes end (the segment's size after the last append cached). */
  private get end(): number {
    const last = this.chunks.length > this.head ? this.chunks[this.chunks.length - 1] : undefined
    return last === undefined ? -1 : last.position + last.bytes.length
  }

  /**
   * `bytes` were appended at `position` of `segment` (the log's active segment, its generation `generation`).
   * `frame` holds them when they are a view of a produce request's frame; `owned` when nobody else has them (a batch
   * the log built itself). Without either, the log's cache is dropped (nothing to hold them by without a copy). A
   * batch under 1/COPY_BELOW_SHARE of the buffer it lies in is copied (a small batch keeps no large frame alive).
   */
  add(
    segment: LogSegment,
    generation: number,
    position: number,
    bytes: Buffer,
    frame: BufferLease | undefined,
    owned: boolean,
  ): void {
    if (segment !== this.segment || generation !== this.generation || position !== this.end) {
      this.clear()
      this.segment = segment
      this.generation = generation
    }
    if (bytes.length === 0) return
    let lease: BufferLease
    let cost: number
    let held = bytes
    const whole = bytes.buffer.byteLength
    const inFrame = frame !== undefined && !frame.released && frame.bytes.buffer === bytes.buffer
    if (!owned && !inFrame) {
      this.clear()
      return
    }
    if (bytes.length * COPY_BELOW_SHARE >= whole) {
      lease = inFrame ? frame.retain() : fetchBufferPool.lease(bytes)
      cost = whole
    } else {
      held = fetchBufferPool.acquire(bytes.length)
      bytes.copy(held)
      lease = fetchBufferPool.lease(held)
      cost = held.length
    }
    if (cost > budget) {
      lease.release()
      this.clear()
      return
    }
    const chunk: Chunk = { owner: this, position, bytes: held, lease, cost }
    this.chunks.push(chunk)
    lru.add(chunk)
    heldBytes += cost
    while (heldBytes > budget) evictOldest()
  }

  /**
   * The `length` bytes at `position` of `segment` (generation `generation`), from memory; undefined unless all of them
   * are here. When the range starts in one chunk and at least half of it lies there, the answer is a view of that
   * chunk, up to its end (fewer bytes, ending at the end of an append: whole batches); else a copy of the range.
   * The buffer is fetchBufferPool's to give back (release()).
   */
  read(segment: LogSegment, generation: number, position: number, length: number): Buffer | undefined {
    const i = this.find(segment, generation, position, length)
    if (i < 0) {
      tailCacheStats.misses++
      return undefined
    }
    tailCacheStats.hits++
    const c = this.chunks[i]!
    const off = position - c.position
    const avail = c.bytes.length - off
    if (avail >= length || avail * 2 >= length) {
      tailCacheStats.views++
      const view = c.bytes.subarray(off, off + Math.min(avail, length))
      const lease = c.lease.retain()
      return fetchBufferPool.lendView(view, () => lease.release())
    }
    tailCacheStats.copies++
    const out = fetchBufferPool.acquire(length)
    let filled = 0
    for (let j = i; filled < length; j++) {
      const d = this.chunks[j]!
      const from = position + filled - d.position
      filled += d.bytes.copy(out, filled, from, Math.min(d.bytes.length, from + length - filled))
    }
    return out
  }

  /**
   * The size of the batch that starts at `position` (a batch boundary), when this cache holds its header:
   * where a reader whose read ended at `position` reads next (Log's read hints), without reading the file.
   */
  batchSizeAt(segment: LogSegment, generation: number, position: number): number | undefined {
    const i = this.find(segment, generation, position, LOG_OVERHEAD)
    if (i < 0) return undefined
    const c = this.chunks[i]!
    const off = position - c.position
    if (off + LOG_OVERHEAD > c.bytes.length) return undefined
    return c.bytes.readInt32BE(off + LENGTH_OFFSET) + LOG_OVERHEAD
  }

  /** Whether read() would answer from memory. */
  covers(segment: LogSegment, generation: number, position: number, length: number): boolean {
    return this.find(segment, generation, position, length) >= 0
  }

  /** The index of the chunk holding `position` when all of [position, position + length) is here, else -1. */
  private find(segment: LogSegment, generation: number, position: number, length: number): number {
    const chunks = this.chunks
    if (segment !== this.segment || generation !== this.generation || chunks.length <= this.head) return -1
    if (position < chunks[this.head]!.position || position + length > this.end || length <= 0) return -1
    let lo = this.head
    let hi = chunks.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (chunks[mid]!.position <= position) lo = mid
      else hi = mid - 1
    }
    return lo
  }

  /** Drops the oldest chunk (`chunk`, the first of this cache: chunks are added in order). */
  evictFirst(chunk: Chunk): void {
    if (this.chunks[this.head] === chunk) {
      this.head++
      if (this.head === this.chunks.length) {
        this.chunks = []
        this.head = 0
      } else if (this.head >= 1024 && this.head * 2 >= this.chunks.length) {
        this.chunks = this.chunks.slice(this.head)
        this.head = 0
      }
    } else {
      // not expected (chunks are added, hence evicted, in order): keep the accounting right anyway
      const i = this.chunks.indexOf(chunk, this.head)
      if (i >= 0) this.chunks.splice(i, 1)
    }
    forget(chunk)
  }

  /** Drops everything (a truncation, a close, a gap). */
  clear(): void {
    for (let i = this.head; i < this.chunks.length; i++) forget(this.chunks[i]!)
    this.chunks = []
    this.head = 0
    this.segment = undefined
    this.generation = -1
  }

  /** The bytes this log's cache keeps alive (tests). */
  get heldBytes(): number {
    let n = 0
    for (let i = this.head; i < this.chunks.length; i++) n += this.chunks[i]!.cost
    return n
  }
}

function forget(c: Chunk): void {
  if (!lru.delete(c)) return
  heldBytes -= c.cost
  c.lease.release()
}
