/**
 * A segment's write-behind queue (issue 13): produce appends are not written to the file synchronously; the bytes
 * appended to one segment within an event-loop turn are gathered and written with ONE positioned writev on libuv's
 * thread pool, and the produce is answered once that write has landed. One write is on the pool per segment at a
 * time ("the flight"); what is appended meanwhile waits in the queue and goes in the next one, in order.
 *
 * Until a write has landed, its bytes are still readable: every read of the segment patches what it read from the
 * file with the pending writes that overlap it (patch), so index lookups, fetches (followers' too) and the high
 * watermark can use offsets whose bytes are not in the file yet.
 *
 * Synchronous file operations of the segment go through here so that the file ends up as if every operation had
 * run in order: a truncation trims the queue (its writes beyond the new end fail) and truncates the file at once;
 * a synchronous write goes straight to the file. The flight may land after them and put stale bytes back, so while
 * a flight is out every such operation is also recorded and replayed, in order, once it has landed (before the
 * next flight starts). drainSync writes everything pending synchronously (flush, close); close never closes the
 * descriptor under a flight (it closes once the flight lands).
 *
 * Buffers: a queued write keeps a view of the caller's bytes (a produce request's frame) until its promise
 * settles, so the caller must keep them unchanged until then (the produce path awaits it before it answers,
 * which is what holds the frame's lease). Memory: when more than QUEUE_LIMIT bytes wait in queues (all segments),
 * appends are written synchronously instead until it drops.
 */
import { ftruncateSync, writev } from 'node:fs'
import { simulatedDiskFaults, writeAt } from './file-utils.js'

/** Bytes waiting in all queues (not yet on the thread pool) above which appends are written synchronously. */
export const QUEUE_LIMIT = 64 * 1024 * 1024
let queuedBytes = 0

/** Bytes waiting in all queues (for tests and metrics). */
export function queuedWriteBytes(): number {
  return queuedBytes
}

interface PendingWrite {
  pos: number
  buf: Buffer
  firstOffset: number
  /** settles once the bytes are in the file (or failed) */
  promise: Promise<void>
  resolve: () => void
  reject: (e: unknown) => void
  /** set when the bytes were truncated away while on the pool: the promise fails with this once it lands */
  dropped?: unknown
}

type ReplayOp = { pos: number; buf: Buffer } | { truncate: number }

interface Flight {
  writes: PendingWrite[]
  /** synchronous operations since the flight started, to run again once it landed */
  replay: ReplayOp[]
  /** queued writes that drainSync wrote while the flight was out: settled once it landed and replay ran */
  held: PendingWrite[]
  /** drainSync wrote the flight's bytes itself: an error of the flight's own write no longer matters */
  rewritten?: boolean
}

export interface WriteBehindFile {
  /** the open descriptor (reopened if the descriptor budget closed it) */
  fd(): number
  path(): string
  /** keep the descriptor open while a write is on the pool */
  pin(): void
  unpin(): void
  /** the descriptor can be closed now (a close was asked for while a flight was out) */
  closeNow(): void
  /**
   * A write failed on the pool: the segment must truncate everything from `firstOffset` (the pending writes are
   * still readable while it does).
   */
  failed(firstOffset: number, err: unknown): void
}

/** fs.writev at `position` until every byte is written. */
function pendingWrite(pos: number, buf: Buffer, firstOffset: number): PendingWrite {
  let resolve!: () => void
  let reject!: (e: unknown) => void
  const promise = new Promise<void>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { pos, buf, firstOffset, promise, resolve, reject }
}

function writevAll(fd: number, bufs: Buffer[], position: number, cb: (err: unknown) => void): void {
  writev(fd, bufs, position, (err, n) => {
    if (err) return cb(err)
    let rest = n
    let i = 0
    while (i < bufs.length && rest >= bufs[i]!.length) rest -= bufs[i++]!.length
    if (i === bufs.length) return cb(undefined)
    const left = [bufs[i]!.subarray(rest), ...bufs.slice(i + 1)]
    writevAll(fd, left, position + n, cb)
  })
}

export class WriteBehind {
  private queue: PendingWrite[] = []
  private flight: Flight | undefined
  private scheduled = false
  private closing = false
  /** a failed flight being cleaned up: the truncation it causes fails the rest with this */
  private failure: unknown

  constructor(private readonly file: WriteBehindFile) {}

  /** Whether any write has not landed yet. */
  get pending(): boolean {
    return this.flight !== undefined || this.queue.length > 0
  }

  /** The first offset whose bytes are not known to be in the file, if any. */
  get firstPendingOffset(): number | undefined {
    return this.flight?.writes[0]?.firstOffset ?? this.queue[0]?.firstOffset
  }

  /** Whether the queue may take `n` more bytes (else the caller writes synchronously). */
  static hasRoom(n: number): boolean {
    return queuedBytes + n <= QUEUE_LIMIT
  }

  /** Queues `buf` at `pos` (the segment's end); settles once it is in the file. */
  enqueue(pos: number, buf: Buffer, firstOffset: number): Promise<void> {
    const w = pendingWrite(pos, buf, firstOffset)
    this.queue.push(w)
    queuedBytes += buf.length
    if (!this.flight && !this.scheduled) {
      this.scheduled = true
      setImmediate(() => this.issue())
    }
    return w.promise
  }

  /** A synchronous write of `buf` at `pos`, in order with the pending ones. */
  writeSync(pos: number, buf: Buffer): void {
    writeAt(this.file.fd(), buf, pos, this.file.path())
    if (this.flight) this.flight.replay.push({ pos, buf: Buffer.from(buf) })
  }

  /**
   * Truncates the file to `size`: queued writes at or beyond it fail with `reason` (one that straddles it fails
   * too, its bytes below `size` are still written), a flight's such writes fail once they have landed.
   */
  truncate(size: number, reason: unknown): void {
    const why = this.failure ?? reason
    const kept: PendingWrite[] = []
    for (const w of this.queue) {
      if (w.pos + w.buf.length <= size) {
        kept.push(w)
        continue
      }
      queuedBytes -= w.buf.length
      if (w.pos < size) {
        // the bytes below `size` stay: a copy, as the caller's buffer is free once its promise settles
        const head = Buffer.from(w.buf.subarray(0, size - w.pos))
        queuedBytes += head.length
        const h = pendingWrite(w.pos, head, w.firstOffset)
        h.promise.catch(noop) // nobody waits for it but flushes (whenWritten)
        kept.push(h)
      }
      w.reject(why)
    }
    this.queue = kept
    if (this.flight && this.failure === undefined) {
      for (const w of this.flight.writes) if (w.pos + w.buf.length > size) w.dropped ??= why
      this.flight.replay.push({ truncate: size })
    }
    ftruncateSync(this.file.fd(), size)
  }

  /** Whether [pos, pos+length) overlaps a write that has not landed. */
  overlaps(pos: number, length: number): boolean {
    const end = pos + length
    const hit = (w: { pos: number; buf: Buffer }): boolean => w.pos < end && w.pos + w.buf.length > pos
    if (this.flight && (this.flight.writes.some(hit) || this.flight.replay.some((o) => 'pos' in o && hit(o))))
      return true
    return this.queue.some(hit)
  }

  /**
   * Copies the pending bytes over `target`, which holds the file's bytes from `pos` (`filled` of them could be
   * read): oldest first, so that the newest wins. Returns how many bytes of `target` are now valid.
   */
  patch(pos: number, target: Buffer, filled: number): number {
    let valid = filled
    const apply = (w: { pos: number; buf: Buffer }): void => {
      const from = Math.max(pos, w.pos)
      const to = Math.min(pos + target.length, w.pos + w.buf.length)
      if (from >= to) return
      w.buf.copy(target, from - pos, from - w.pos, to - w.pos)
      if (to - pos > valid) valid = to - pos
    }
    if (this.flight) {
      for (const w of this.flight.writes) apply(w)
      for (const o of this.flight.replay) if ('pos' in o) apply(o)
    }
    for (const w of this.queue) apply(w)
    return valid
  }

  /** Writes everything pending synchronously (a flush, a close); the flight's promises settle when it lands. */
  drainSync(): void {
    if (!this.pending) return
    const fd = this.file.fd()
    const path = this.file.path()
    const f = this.flight
    if (f) {
      // what the flight writes and what ran since, again in order (harmless if the flight lands after: replayed)
      for (const w of f.writes) writeAt(fd, w.buf, w.pos, path)
      for (const o of f.replay) {
        if ('truncate' in o) ftruncateSync(fd, o.truncate)
        else writeAt(fd, o.buf, o.pos, path)
      }
      f.rewritten = true
    }
    // one at a time: if one fails, it and the rest stay queued, and the next flight fails them as a failed write
    try {
      while (this.queue.length > 0) {
        const w = this.queue[0]!
        writeAt(fd, w.buf, w.pos, path)
        this.queue.shift()
        queuedBytes -= w.buf.length
        if (f) {
          f.replay.push(w)
          f.held.push(w)
        } else w.resolve()
      }
    } catch (e) {
      if (!this.flight && !this.scheduled) {
        this.scheduled = true
        setImmediate(() => this.issue())
      }
      throw e
    }
  }

  /** Settles once every write pending now has reached the file or failed (not waiting for later ones). */
  whenWritten(): Promise<void> {
    if (!this.pending) return Promise.resolve()
    const now = [...(this.flight ? [...this.flight.writes, ...this.flight.held] : []), ...this.queue]
    return Promise.allSettled(now.map((w) => w.promise)).then(noop)
  }

  /**
   * The segment closes: everything pending is written synchronously (a failure fails the pending promises and is
   * thrown). Returns false while a flight is out: then the descriptor is closed once it lands (closeNow).
   */
  close(): boolean {
    this.closing = true
    try {
      this.drainSync()
    } catch (e) {
      this.rejectQueue(e)
      throw e
    }
    return this.flight === undefined
  }

  /** The segment's files are deleted (a truncation, the log deleted): pending writes fail with `reason`. */
  discard(reason: unknown): void {
    this.closing = true
    this.rejectQueue(reason)
    if (this.flight) for (const w of this.flight.writes) w.dropped ??= reason
  }

  private rejectQueue(reason: unknown): void {
    const queue = this.queue
    this.queue = []
    for (const w of queue) {
      queuedBytes -= w.buf.length
      w.reject(reason)
    }
  }

  /** Hands the queue (its contiguous head) to the thread pool as one positioned writev. */
  private issue(): void {
    this.scheduled = false
    if (this.flight || this.queue.length === 0 || this.closing) return
    let n = 1
    let end = this.queue[0]!.pos + this.queue[0]!.buf.length
    while (n < this.queue.length && this.queue[n]!.pos === end) end += this.queue[n++]!.buf.length
    const writes = this.queue.slice(0, n)
    this.queue = this.queue.slice(n)
    for (const w of writes) queuedBytes -= w.buf.length
    const flight: Flight = { writes, replay: [], held: [] }
    this.flight = flight
    let fd: number
    try {
      simulatedDiskFaults.check(this.file.path())
      fd = this.file.fd()
    } catch (e) {
      setImmediate(() => this.landed(flight, e))
      return
    }
    this.file.pin()
    writevAll(
      fd,
      writes.map((w) => w.buf),
      writes[0]!.pos,
      (err) => {
        this.file.unpin()
        this.landed(flight, err)
      },
    )
  }

  private landed(flight: Flight, error: unknown): void {
    let err = flight.rewritten ? undefined : error
    if (err === undefined && flight.replay.length > 0) {
      try {
        const fd = this.file.fd()
        for (const o of flight.replay) {
          if ('truncate' in o) ftruncateSync(fd, o.truncate)
          else writeAt(fd, o.buf, o.pos, this.file.path())
        }
      } catch (e) {
        err = e
      }
    }
    if (err !== undefined) {
      // the failed writes stay readable while the segment truncates them (and everything after them) away
      this.failure = err
      try {
        this.file.failed(flight.writes[0]!.firstOffset, err)
      } finally {
        this.failure = undefined
        this.flight = undefined
        for (const w of [...flight.writes, ...flight.held]) w.reject(err)
        this.rejectQueue(err)
      }
    } else {
      this.flight = undefined
      for (const w of [...flight.writes, ...flight.held])
        if (w.dropped !== undefined) w.reject(w.dropped)
        else w.resolve()
    }
    if (this.closing && !this.flight) {
      this.rejectQueue(new Error(`${this.file.path()} was closed`))
      this.file.closeNow()
    } else this.issue()
  }
}

function noop(): void {}
