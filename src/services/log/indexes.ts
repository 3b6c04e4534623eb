/**
 * Kafka's segment indexes, byte for byte:
 *   .index      8-byte entries: int32 offset relative to the segment base, int32 file position
 *   .timeindex 12-byte entries: int64 timestamp, int32 relative offset
 *   .txnindex  34-byte entries: int16 version (0), int64 producerId, int64 firstOffset, int64 lastOffset,
 *              int64 lastStableOffset (aborted transactions only)
 * Kafka memory-maps .index/.timeindex preallocated to segment.index.bytes and trims them when the segment is rolled
 * or closed. We write them unpadded with positioned writes, load them lazily on first use, and accept Kafka's
 * zero-padded files (trailing all-zero entries are padding). A file that is not a whole number of entries, or whose
 * entries are not monotonic, is reported corrupt so that the segment rebuilds it from the log.
 */
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  readFileSync,
  renameSync,
} from 'node:fs'
import { readFile } from 'node:fs/promises'
import { readInt64, writeInt64 } from '../../protocol/codec/writer.js'
import { type BudgetedFile, descriptorClosed, openBudgeted, touchDescriptor } from './descriptors.js'
import { deleteIfExists, fdatasyncAsync, isErrno, writeAt } from './file-utils.js'

const INT32_MAX = 2147483647

/**
 * Index contents are kept in memory only while in use: files being written (the active segment) are pinned, the
 * others share a least-recently-used budget and are read again from disk when needed (Kafka maps them instead).
 */
let indexCacheLimit = 64 * 1024 * 1024
let indexCacheBytes = 0
const indexCache = new Map<EntryFile, number>()

/** Sets the memory budget for the contents of indexes of inactive segments (default 64 MiB). */
export function setIndexCacheLimit(bytes: number): void {
  indexCacheLimit = bytes
  evictIndexes()
}

function evictIndexes(): void {
  for (const [f, size] of indexCache) {
    if (indexCacheBytes <= indexCacheLimit) break
    indexCache.delete(f)
    indexCacheBytes -= size
    f.evict()
  }
}

abstract class EntryFile implements BudgetedFile {
  private dataBuf: Buffer | undefined = Buffer.alloc(0)
  protected count = 0
  private loaded = false
  /** Bumped when the file is deleted or renamed (a loadAsync() in flight then read the wrong file). */
  private changes = 0
  /** The open descriptor, if any (the descriptor budget closes it while idle; openFd reopens it). */
  private fd: number | undefined
  /** Open for writing: the entries stay in memory (pinned) until closeHandler(). */
  private writable = false
  /** An fsync on the thread pool uses `fd`. */
  private pins = 0
  /** Written (or created) since the last fsync: flush() fsyncs only then (Kafka forces only dirty mmaps). */
  private unsynced = false
  private fileLength = 0
  /** Why the file on disk could not be used, if it could not. */
  corruption: string | undefined

  constructor(
    public path: string,
    readonly baseOffset: number,
    readonly entrySize: number,
  ) {}

  protected abstract validate(data: Buffer, entries: number): string | undefined
  protected abstract isPadding(data: Buffer, slot: number): boolean

  /** Loads the file (once). Returns false, with `corruption` set, when it is unusable (it then counts as empty). */
  load(): boolean {
    if (this.loaded) return this.corruption === undefined
    this.loaded = true
    let buf: Buffer
    try {
      buf = readFileSync(this.path)
    } catch (e) {
      if (!isErrno(e, 'ENOENT')) throw e
      buf = Buffer.alloc(0)
    }
    return this.accept(buf)
  }

  /**
   * load() with the file read on libuv's thread pool, for a segment about to be read (Log.readPlanned), so that its
   * first read finds the entries in memory instead of reading them on the event loop. Does nothing when the file
   * was loaded, renamed or deleted meanwhile; a failed read is left to load() to meet again.
   */
  async loadAsync(): Promise<void> {
    if (this.loaded) return
    const { path, changes } = this
    let buf: Buffer
    try {
      buf = await readFile(path)
    } catch (e) {
      if (!isErrno(e, 'ENOENT')) return
      buf = Buffer.alloc(0)
    }
    if (this.loaded || this.changes !== changes || this.path !== path) return
    this.loaded = true
    this.accept(buf)
  }

  private accept(buf: Buffer): boolean {
    this.fileLength = buf.length
    if (buf.length % this.entrySize !== 0) {
      this.corruption = `Index file ${this.path} is corrupt, found ${buf.length} bytes which is neither positive nor a multiple of ${this.entrySize}`
      this.dataBuf = Buffer.alloc(0)
      this.count = 0
      return false
    }
    let entries = buf.length / this.entrySize
    while (entries > 0 && this.isPadding(buf, entries - 1)) entries--
    const problem = this.validate(buf, entries)
    if (problem) {
      this.corruption = `Corrupt index found, index file (${this.path}): ${problem}`
      this.dataBuf = Buffer.alloc(0)
      this.count = 0
      return false
    }
    this.dataBuf = buf
    this.count = entries
    this.touchCache()
    return true
  }

  /** The entries in memory (read again from disk after an eviction). */
  protected get data(): Buffer {
    this.load()
    if (this.dataBuf === undefined) {
      let buf: Buffer
      try {
        buf = readFileSync(this.path)
      } catch (e) {
        if (!isErrno(e, 'ENOENT')) throw e
        buf = Buffer.alloc(0)
      }
      if (buf.length < this.count * this.entrySize) {
        this.corruption = `Index file ${this.path} shrank to ${buf.length} bytes`
        this.count = Math.floor(buf.length / this.entrySize)
      }
      this.dataBuf = buf
    }
    const buf = this.dataBuf
    this.touchCache()
    return buf
  }

  private touchCache(): void {
    if (this.writable) return // pinned while open for writing
    const size = this.dataBuf?.length ?? 0
    const old = indexCache.get(this)
    if (old !== undefined) {
      indexCache.delete(this)
      indexCacheBytes -= old
    }
    indexCache.set(this, size)
    indexCacheBytes += size
    evictIndexes()
  }

  private uncache(): void {
    const old = indexCache.get(this)
    if (old !== undefined) {
      indexCache.delete(this)
      indexCacheBytes -= old
    }
  }

  /** Drops the in-memory entries of a file not open for writing. */
  evict(): void {
    if (!this.writable && this.loaded) this.dataBuf = undefined
  }

  get entries(): number {
    this.load()
    return this.count
  }

  get sizeInBytes(): number {
    return this.entries * this.entrySize
  }

  /** Whether the file exists on disk. */
  exists(): boolean {
    return existsSync(this.path)
  }

  private openFd(): number {
    if (this.fd !== undefined) {
      touchDescriptor(this)
      return this.fd
    }
    if (this.writable) {
      // closed by the descriptor budget: the file is as this object left it
      this.fd = openBudgeted(this, this.path, 'r+')
      return this.fd
    }
    this.uncache()
    const exists = existsSync(this.path)
    this.fd = openBudgeted(this, this.path, exists ? 'r+' : 'w+')
    this.writable = true
    if (!exists) this.unsynced = true
    this.fileLength = exists ? fstatSync(this.fd).size : 0
    return this.fd
  }

  /** The descriptor budget closes an idle descriptor (see descriptors.ts); the next write opens it again. */
  closeIdleDescriptor(): boolean {
    if (this.fd === undefined || this.pins > 0) return false
    closeSync(this.fd)
    this.fd = undefined
    return true
  }

  /** Creates the file if needed (an empty index is still an index file, as Kafka expects). */
  touch(): void {
    this.load()
    this.openFd()
    this.trimFile()
  }

  protected appendEntry(entry: Buffer): void {
    const current = this.data
    const fd = this.openFd()
    const pos = this.count * this.entrySize
    let buf = current
    if (buf.length < pos + this.entrySize) {
      buf = Buffer.alloc(Math.max(64 * this.entrySize, buf.length * 2, pos + this.entrySize))
      current.copy(buf, 0, 0, pos)
      this.dataBuf = buf
    }
    entry.copy(buf, pos)
    writeAt(fd, entry, pos, this.path)
    this.unsynced = true
    this.count++
    if (this.fileLength < pos + this.entrySize) this.fileLength = pos + this.entrySize
  }

  protected truncateToEntries(n: number): void {
    this.load()
    this.count = Math.max(0, Math.min(n, this.count))
    this.trimFile()
  }

  /** Cuts the file to the valid entries (Kafka's trimToValidSize); never creates it. */
  private trimFile(): void {
    const valid = this.count * this.entrySize
    if (!this.writable && !existsSync(this.path)) return
    if (!this.writable && this.fileLength === valid) return
    const fd = this.openFd()
    if (this.fileLength !== valid) {
      ftruncateSync(fd, valid)
      this.unsynced = true
      this.fileLength = valid
    }
  }

  /** Removes every entry (the file stays, empty). */
  reset(): void {
    this.loaded = true
    this.corruption = undefined
    this.dataBuf = Buffer.alloc(0)
    this.count = 0
    const fd = this.openFd()
    ftruncateSync(fd, 0)
    this.unsynced = true
    this.fileLength = 0
  }

  trimToValidSize(): void {
    if (!this.loaded) return
    if (this.fileLength > this.count * this.entrySize) this.trimFile()
  }

  flush(): void {
    if (this.unsynced) {
      this.unsynced = false
      fdatasyncSync(this.openFd())
    }
  }

  /** flush() on libuv's thread pool. */
  async flushAsync(): Promise<void> {
    if (!this.unsynced) return
    this.unsynced = false
    const fd = this.openFd()
    this.pins++
    try {
      await fdatasyncAsync(fd)
    } finally {
      this.pins--
    }
  }

  /** Closes the descriptor (the in-memory entries stay usable for reads). */
  close(): void {
    this.trimToValidSize()
    this.closeHandler()
  }

  deleteIfExists(): boolean {
    this.changes++
    this.closeHandler()
    this.uncache()
    this.dataBuf = Buffer.alloc(0)
    this.count = 0
    return deleteIfExists(this.path)
  }

  closeHandler(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd)
      this.fd = undefined
    }
    descriptorClosed(this)
    this.unsynced = false
    if (this.writable) {
      this.writable = false
      if (this.dataBuf !== undefined) this.touchCache()
    }
  }

  renameTo(path: string): void {
    this.changes++
    try {
      if (existsSync(this.path)) renameSync(this.path, path)
    } finally {
      this.path = path
    }
  }

  /** Largest slot whose key ≤ target, or -1 (AbstractIndex.largestLowerBoundSlotFor). */
  protected largestLowerBound(target: number, key: (slot: number) => number): number {
    const n = this.entries
    if (n === 0 || key(0) > target) return -1
    let lo = 0
    let hi = n - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      const k = key(mid)
      if (k > target) hi = mid - 1
      else if (k < target) lo = mid
      else return mid
    }
    return lo
  }

  /** Smallest slot whose key ≥ target, or -1. */
  protected smallestUpperBound(target: number, key: (slot: number) => number): number {
    const n = this.entries
    if (n === 0) return -1
    const lb = this.largestLowerBound(target, key)
    if (lb >= 0 && key(lb) === target) return lb
    return lb + 1 < n ? lb + 1 : -1
  }
}

/** An index whose entries carry a relative offset (.index and .timeindex). */
abstract class OffsetKeyedIndex extends EntryFile {
  /** How many entries fit in the configured maximum index size (segment.index.bytes). */
  readonly maxEntries: number

  constructor(path: string, baseOffset: number, entrySize: number, maxIndexSize: number) {
    super(path, baseOffset, entrySize)
    this.maxEntries = Math.floor(maxIndexSize / entrySize)
  }

  /** The relative offset stored in `slot`. */
  protected abstract rel(slot: number): number

  /** Removes every entry with offset ≥ `offset`. */
  truncateTo(offset: number): void {
    const slot = this.largestLowerBound(offset - this.baseOffset, (s) => this.rel(s))
    let n: number
    if (slot < 0) n = 0
    else if (this.rel(slot) === offset - this.baseOffset) n = slot
    else n = slot + 1
    this.truncateToEntries(n)
  }
}

export interface OffsetPosition {
  offset: number
  position: number
}

/** `.index`: relative offset → file position of the batch that ends at that offset. */
export class OffsetIndex extends OffsetKeyedIndex {
  static readonly ENTRY_SIZE = 8

  constructor(path: string, baseOffset: number, maxIndexSize: number) {
    super(path, baseOffset, OffsetIndex.ENTRY_SIZE, maxIndexSize)
  }

  protected isPadding(data: Buffer, slot: number): boolean {
    return data.readInt32BE(slot * 8) === 0 && data.readInt32BE(slot * 8 + 4) === 0
  }

  protected validate(data: Buffer, entries: number): string | undefined {
    let prevRel = -1
    let prevPos = -1
    for (let i = 0; i < entries; i++) {
      const rel = data.readInt32BE(i * 8)
      const pos = data.readInt32BE(i * 8 + 4)
      if (rel < 0 || rel <= prevRel) return `entry ${i} has relative offset ${rel} after ${prevRel}`
      if (pos < 0 || pos <= prevPos) return `entry ${i} has position ${pos} after ${prevPos}`
      prevRel = rel
      prevPos = pos
    }
    return undefined
  }

  /** Positions must lie inside the log file; a longer index belongs to data that is gone. */
  validatePositions(logSize: number): boolean {
    const n = this.entries
    if (n > 0 && this.entry(n - 1).position >= logSize) {
      this.corruption = `Corrupt index found, index file (${this.path}) points past the end of the log (${logSize} bytes)`
      return false
    }
    return true
  }

  protected rel(slot: number): number {
    return this.data.readInt32BE(slot * 8)
  }

  entry(n: number): OffsetPosition {
    if (n >= this.entries)
      throw new RangeError(
        `Attempt to fetch the ${n}th entry from index ${this.path}, which has size ${this.count}`,
      )
    return { offset: this.baseOffset + this.rel(n), position: this.data.readInt32BE(n * 8 + 4) }
  }

  get lastOffset(): number {
    const n = this.entries
    return n === 0 ? this.baseOffset : this.baseOffset + this.rel(n - 1)
  }

  isFull(): boolean {
    return this.entries >= this.maxEntries
  }

  canAppendOffset(offset: number): boolean {
    const rel = offset - this.baseOffset
    return rel >= 0 && rel <= INT32_MAX
  }

  /** The entry with the largest offset ≤ target, or (baseOffset, 0). */
  lookup(targetOffset: number): OffsetPosition {
    const slot = this.largestLowerBound(targetOffset - this.baseOffset, (s) => this.rel(s))
    return slot < 0 ? { offset: this.baseOffset, position: 0 } : this.entry(slot)
  }

  /** The first entry whose position is ≥ position + fetchSize: an offset surely past the fetched range. */
  fetchUpperBoundOffset(startPosition: number, fetchSize: number): OffsetPosition | undefined {
    const slot = this.smallestUpperBound(startPosition + fetchSize, (s) => this.data.readInt32BE(s * 8 + 4))
    return slot < 0 ? undefined : this.entry(slot)
  }

  append(offset: number, position: number): void {
    if (this.isFull()) throw new Error(`Attempt to append to a full index (size = ${this.count}).`)
    if (this.count > 0 && offset <= this.lastOffset) {
      throw new Error(
        `Attempt to append an offset ${offset} to position ${this.count} no larger than the last offset appended (${this.lastOffset}) to ${this.path}`,
      )
    }
    if (!this.canAppendOffset(offset))
      throw new Error(`Integer overflow for offset: ${offset} (${this.path})`)
    const e = Buffer.alloc(8)
    e.writeInt32BE(offset - this.baseOffset, 0)
    e.writeInt32BE(position, 4)
    this.appendEntry(e)
  }
}

export interface TimestampOffset {
  timestamp: number
  offset: number
}

/** `.timeindex`: max timestamp seen so far → the offset of the batch that carried it. */
export class TimeIndex extends OffsetKeyedIndex {
  static readonly ENTRY_SIZE = 12

  constructor(path: string, baseOffset: number, maxIndexSize: number) {
    super(path, baseOffset, TimeIndex.ENTRY_SIZE, maxIndexSize)
  }

  protected isPadding(data: Buffer, slot: number): boolean {
    return readInt64(data, slot * 12) === 0 && data.readInt32BE(slot * 12 + 8) === 0
  }

  protected validate(data: Buffer, entries: number): string | undefined {
    let prevTs = -Infinity
    let prevRel = -1
    for (let i = 0; i < entries; i++) {
      const ts = readInt64(data, i * 12)
      const rel = data.readInt32BE(i * 12 + 8)
      if (rel < 0 || rel < prevRel) return `entry ${i} has relative offset ${rel} after ${prevRel}`
      if (ts <= prevTs) return `entry ${i} has timestamp ${ts} after ${prevTs}`
      prevTs = ts
      prevRel = rel
    }
    return undefined
  }

  private ts(slot: number): number {
    return readInt64(this.data, slot * 12)
  }
  protected rel(slot: number): number {
    return this.data.readInt32BE(slot * 12 + 8)
  }

  entry(n: number): TimestampOffset {
    if (n >= this.entries)
      throw new RangeError(`Attempt to fetch the ${n}th entry from time index ${this.path}`)
    return { timestamp: this.ts(n), offset: this.baseOffset + this.rel(n) }
  }

  /** The last entry, or (-1, baseOffset) when empty. */
  lastEntry(): TimestampOffset {
    const n = this.entries
    return n === 0 ? { timestamp: -1, offset: this.baseOffset } : this.entry(n - 1)
  }

  /** One slot is kept for the entry written when the segment is rolled. */
  isFull(): boolean {
    return this.entries >= this.maxEntries - 1
  }

  /** The entry with the largest timestamp ≤ target, or (-1, baseOffset). */
  lookup(targetTimestamp: number): TimestampOffset {
    const slot = this.largestLowerBound(targetTimestamp, (s) => this.ts(s))
    return slot < 0 ? { timestamp: -1, offset: this.baseOffset } : this.entry(slot)
  }

  /** Appends (timestamp, offset) if the timestamp is larger than the last one (TimeIndex.maybeAppend). */
  maybeAppend(timestamp: number, offset: number, skipFullCheck = false): void {
    if (!skipFullCheck && this.isFull())
      throw new Error(`Attempt to append to a full time index (size = ${this.count}).`)
    const last = this.lastEntry()
    if (this.count !== 0 && offset < last.offset) {
      throw new Error(
        `Attempt to append an offset (${offset}) to slot ${this.count} no larger than the last offset appended (${last.offset}) to ${this.path}`,
      )
    }
    if (this.count !== 0 && timestamp < last.timestamp) {
      throw new Error(
        `Attempt to append a timestamp (${timestamp}) to slot ${this.count} no larger than the last timestamp appended (${last.timestamp}) to ${this.path}`,
      )
    }
    if (timestamp > last.timestamp) {
      const e = Buffer.alloc(12)
      writeInt64(e, 0, timestamp)
      e.writeInt32BE(offset - this.baseOffset, 8)
      this.appendEntry(e)
    }
  }
}

export interface AbortedTxn {
  producerId: number
  firstOffset: number
  lastOffset: number
  lastStableOffset: number
}

/** `.txnindex`: the aborted transactions whose markers are in this segment. Created on first append. */
export class TransactionIndex extends EntryFile {
  static readonly ENTRY_SIZE = 34

  constructor(path: string, baseOffset: number) {
    super(path, baseOffset, TransactionIndex.ENTRY_SIZE)
  }

  protected isPadding(): boolean {
    return false
  }

  protected validate(data: Buffer, entries: number): string | undefined {
    for (let i = 0; i < entries; i++) {
      const version = data.readInt16BE(i * 34)
      if (version !== 0) return `unexpected aborted transaction version ${version}`
    }
    return undefined
  }

  entry(n: number): AbortedTxn {
    const p = n * 34
    return {
      producerId: readInt64(this.data, p + 2),
      firstOffset: readInt64(this.data, p + 10),
      lastOffset: readInt64(this.data, p + 18),
      lastStableOffset: readInt64(this.data, p + 26),
    }
  }

  all(): AbortedTxn[] {
    const out: AbortedTxn[] = []
    for (let i = 0; i < this.entries; i++) out.push(this.entry(i))
    return out
  }

  append(txn: AbortedTxn): void {
    const n = this.entries
    if (n > 0) {
      const last = this.entry(n - 1).lastOffset
      if (last >= txn.lastOffset) {
        throw new Error(
          `The last offset of appended transactions must increase sequentially, but ${txn.lastOffset} is not greater than current last offset ${last} of index ${this.path}`,
        )
      }
    }
    const e = Buffer.alloc(34)
    e.writeInt16BE(0, 0)
    writeInt64(e, 2, txn.producerId)
    writeInt64(e, 10, txn.firstOffset)
    writeInt64(e, 18, txn.lastOffset)
    writeInt64(e, 26, txn.lastStableOffset)
    this.appendEntry(e)
  }

  /** Removes the aborted transactions whose markers are at or after `offset`. */
  truncateTo(offset: number): void {
    const n = this.entries
    for (let i = 0; i < n; i++) {
      if (this.entry(i).lastOffset >= offset) {
        this.truncateToEntries(i)
        return
      }
    }
  }

  /**
   * The aborted transactions overlapping [fetchOffset, upperBoundOffset); `isComplete` when an entry's last stable
   * offset reaches the upper bound, so that later segments need not be searched.
   */
  collectAbortedTxns(
    fetchOffset: number,
    upperBoundOffset: number,
  ): { abortedTxns: AbortedTxn[]; isComplete: boolean } {
    const abortedTxns: AbortedTxn[] = []
    for (let i = 0; i < this.entries; i++) {
      const t = this.entry(i)
      if (t.lastOffset >= fetchOffset && t.firstOffset < upperBoundOffset) abortedTxns.push(t)
      if (t.lastStableOffset >= upperBoundOffset) return { abortedTxns, isComplete: true }
    }
    return { abortedTxns, isComplete: false }
  }

  /** Only create the file once there is something to write. */
  override reset(): void {
    if (this.exists()) super.reset()
    else this.truncateToEntries(0)
  }
}
