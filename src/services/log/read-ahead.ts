/**
 * Read-ahead for sequential readers (Log.readPlanned). A consumer reading a backlog asks for one range at a time
 * (librdkafka and the Java client: one Fetch in flight, max.partition.fetch.bytes 1 MiB) and waits for each
 * answer before asking for the next, so the thread-pool read of the next range sat on its critical path (~0.4 ms
 * of a ~1.2 ms round trip per MiB, measured with scripts/bench/raw-fetch.mjs). Once a read of at least
 * READ_AHEAD_MIN bytes is done, the log plans the range the same reader will ask for next (same options, from the
 * offset after the last whole batch) and reads it now, while the answer travels and the client decodes it; the next
 * readPlanned with exactly that plan (segment, position, length, generation) takes those bytes instead of reading.
 * Once a read-ahead's bytes are in, the range after them is read too (READ_AHEAD_DEPTH ranges ahead).
 *
 * The bytes are pooled buffers (fetchBufferPool) owned by the entry until a read takes them; an entry that is
 * replaced, no longer matches, is too old or belongs to a closed log gives its buffer back. Every entry of every log
 * counts against READ_AHEAD_MAX_BYTES (no new read-ahead while it is full) and is dropped once it is
 * READ_AHEAD_MAX_AGE_MS old, so readers that went away cost at most that much memory, for a while.
 */
import { fetchBufferPool } from '../../util/buffer-pool.js'
import type { LogSegment } from './segment.js'

/**
 * How many ranges ahead of its reader a read-ahead goes. One was not enough on a loaded machine: the reader's next
 * request often came before the thread-pool read of the next range was done (measured on 2 cores at load ~8 with
 * scripts/bench/raw-fetch.mjs: 35-50 % of fetches waited for it, 1.2-2.7 ms each). With two, the range a request
 * asks for was started a whole round trip earlier: ~15 % more consumed per second at load 7-15, no measurable
 * change on an idle machine (where one was nearly always ready).
 */
export const READ_AHEAD_DEPTH = 2
/** Reads shorter than this are not followed by a read-ahead (a caught-up reader or a follower at the log end). */
export const READ_AHEAD_MIN = 256 * 1024
/** The bytes all logs' read-ahead entries may hold at once (no new read-ahead beyond it). */
export const READ_AHEAD_MAX_BYTES = 32 * 1024 * 1024
/** A read-ahead not taken within this long is given back at the next mayReadAhead(). */
export const READ_AHEAD_MAX_AGE_MS = 10_000

export interface ReadAhead {
  readonly segment: LogSegment
  readonly position: number
  readonly length: number
  readonly generation: number
  /** the bytes; undefined when the read failed or the segments changed meanwhile */
  readonly bytes: Promise<Buffer | undefined>
  /** the map of the log holding the entry, keyed by position */
  readonly owner: Map<string, ReadAhead>
  readonly key: string
  /** the log's clock when it was added */
  readonly added: number
}

/** Every log's entries, oldest first. */
const lru = new Set<ReadAhead>()
let heldBytes = 0
let budget = READ_AHEAD_MAX_BYTES

/** Tests: a smaller budget than READ_AHEAD_MAX_BYTES; returns the one it replaces. */
export function setReadAheadBudget(bytes: number): number {
  const old = budget
  budget = bytes
  return old
}

/** How many read-ahead reads were started and how many a read took (tests, and a debugging aid). */
export const readAheadStats = { started: 0, taken: 0, dropped: 0 }

/** The key of a read starting at `position` of `segment`. */
export const readAheadKey = (segment: LogSegment, position: number): string =>
  `${segment.baseOffset}:${position}`

/**
 * Whether a read-ahead of `length` bytes, `depth` ranges ahead of its reader, may start now: entries added more
 * than READ_AHEAD_MAX_AGE_MS before `now` (readers that went away) are dropped first; then it must fit under
 * READ_AHEAD_MAX_BYTES — a range beyond the first under half of it, so that with many readers each one's next range
 * comes first. Entries are never evicted to make room for new ones: with more readers than the budget holds (a
 * consumer or follower reading many partitions at 1 MiB each), evicting the oldest would throw away each
 * read-ahead before its reader came back for it — every byte read twice.
 */
export function mayReadAhead(length: number, now: number, depth = 1): boolean {
  for (const e of lru) {
    if (now - e.added < READ_AHEAD_MAX_AGE_MS) break
    dropReadAhead(e)
  }
  return heldBytes + length <= (depth === 1 ? budget : budget / 2)
}

/** Adds an entry (replacing one at the same key); mayReadAhead() said it fits. */
export function addReadAhead(entry: ReadAhead): void {
  const old = entry.owner.get(entry.key)
  if (old) dropReadAhead(old)
  entry.owner.set(entry.key, entry)
  lru.add(entry)
  heldBytes += entry.length
  readAheadStats.started++
}

/** Removes the entry and gives its bytes back to the pool once its read is done. */
export function dropReadAhead(entry: ReadAhead): void {
  if (!forget(entry)) return
  readAheadStats.dropped++
  entry.bytes.then(
    (b) => b && fetchBufferPool.release(b),
    () => undefined,
  )
}

/** Removes the entry; its bytes now belong to the caller. False when it was no longer there. */
export function takeReadAhead(entry: ReadAhead): boolean {
  if (!forget(entry)) return false
  readAheadStats.taken++
  return true
}

function forget(entry: ReadAhead): boolean {
  if (!lru.delete(entry)) return false
  heldBytes -= entry.length
  if (entry.owner.get(entry.key) === entry) entry.owner.delete(entry.key)
  return true
}
