/** File names and small file helpers shared by the log code (Kafka's LogFileUtils / Utils). */
import {
  close,
  closeSync,
  fdatasync,
  fsync,
  fsyncSync,
  open,
  openSync,
  read,
  readSync,
  renameSync,
  writeSync,
  existsSync,
  unlinkSync,
} from 'node:fs'
import { open as openFile, unlink } from 'node:fs/promises'
import { basename, dirname, join, resolve, sep } from 'node:path'
import pLimit from 'p-limit'

export const LOG_FILE_SUFFIX = '.log'
export const INDEX_FILE_SUFFIX = '.index'
export const TIME_INDEX_FILE_SUFFIX = '.timeindex'
export const TXN_INDEX_FILE_SUFFIX = '.txnindex'
export const PRODUCER_SNAPSHOT_FILE_SUFFIX = '.snapshot'
export const DELETED_FILE_SUFFIX = '.deleted'
export const CLEANED_FILE_SUFFIX = '.cleaned'
export const SWAP_FILE_SUFFIX = '.swap'
export const DELETE_DIR_SUFFIX = '-delete'
export const FUTURE_DIR_SUFFIX = '-future'
export const STRAY_DIR_SUFFIX = '-stray'

export const LEADER_EPOCH_CHECKPOINT_FILENAME = 'leader-epoch-checkpoint'
export const PARTITION_METADATA_FILENAME = 'partition.metadata'
export const RECOVERY_POINT_CHECKPOINT_FILE = 'recovery-point-offset-checkpoint'
export const LOG_START_OFFSET_CHECKPOINT_FILE = 'log-start-offset-checkpoint'
export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown'
export const LOCK_FILE = '.lock'
export const META_PROPERTIES_FILE = 'meta.properties'

export interface TopicPartition {
  topic: string
  partition: number
}

export function tpString(tp: TopicPartition): string {
  return `${tp.topic}-${tp.partition}`
}

/** The 20-digit, zero-padded file name prefix of a segment or snapshot (LogFileUtils.filenamePrefixFromOffset). */
export function filenamePrefixFromOffset(offset: number): string {
  return String(offset).padStart(20, '0')
}

export function logFile(dir: string, offset: number, suffix = ''): string {
  return join(dir, filenamePrefixFromOffset(offset) + LOG_FILE_SUFFIX + suffix)
}
export function offsetIndexFile(dir: string, offset: number, suffix = ''): string {
  return join(dir, filenamePrefixFromOffset(offset) + INDEX_FILE_SUFFIX + suffix)
}
export function timeIndexFile(dir: string, offset: number, suffix = ''): string {
  return join(dir, filenamePrefixFromOffset(offset) + TIME_INDEX_FILE_SUFFIX + suffix)
}
export function transactionIndexFile(dir: string, offset: number, suffix = ''): string {
  return join(dir, filenamePrefixFromOffset(offset) + TXN_INDEX_FILE_SUFFIX + suffix)
}
export function producerSnapshotFile(dir: string, offset: number): string {
  return join(dir, filenamePrefixFromOffset(offset) + PRODUCER_SNAPSHOT_FILE_SUFFIX)
}

/** The offset encoded in a segment/index/snapshot file name, or undefined when the name has none. */
export function offsetFromFileName(name: string): number | undefined {
  const base = basename(name)
  const dot = base.indexOf('.')
  const prefix = dot < 0 ? base : base.substring(0, dot)
  if (!/^\d+$/.test(prefix)) return undefined
  return Number(prefix)
}

/**
 * The topic-partition of a log directory name: `topic-3`, or `topic-3.<uuid>-delete` / `-future` / `-stray`
 * (LocalLog.parseTopicPartitionName). Throws for anything else.
 */
export function parseTopicPartitionName(dirName: string): TopicPartition {
  let name = basename(dirName)
  const m = /^(\S+)-(\S+)\.(\S+)(-delete|-future|-stray)$/.exec(name)
  if (m) name = `${m[1]}-${m[2]}`
  const dash = name.lastIndexOf('-')
  const topic = name.substring(0, dash)
  const partStr = name.substring(dash + 1)
  if (dash <= 0 || !/^\d+$/.test(partStr) || topic.length === 0) {
    throw new Error(
      `Found directory ${dirName}, '${basename(dirName)}' is not in the form of topic-partition or ` +
        'topic-partition.uniqueId-delete (if marked for deletion).',
    )
  }
  return { topic, partition: Number(partStr) }
}

/** `topic-partition.uniqueId<suffix>`, with the topic cut so that the name fits in 255 characters. */
export function logDirNameWithSuffixCappedLength(
  tp: TopicPartition,
  suffix: string,
  uniqueId: string,
): string {
  const fullSuffix = `-${tp.partition}.${uniqueId}${suffix}`
  const prefixLength = Math.min(tp.topic.length, 255 - fullSuffix.length)
  return tp.topic.substring(0, prefixLength) + fullSuffix
}

/**
 * Reads exactly `length` bytes at `position` (fewer only at end of file), into a buffer from `alloc` (a fresh one
 * by default).
 */
export function readAt(
  fd: number,
  position: number,
  length: number,
  alloc: (n: number) => Buffer = Buffer.allocUnsafe,
): Buffer {
  const buf = alloc(length)
  let done = 0
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done)
    if (n === 0) break
    done += n
  }
  return done === length ? buf : buf.subarray(0, done)
}

/**
 * readAt() on libuv's thread pool: the event loop goes on while the disk answers (a read of data that is not in the
 * page cache waits for the device).
 */
export function readAtAsync(
  fd: number,
  position: number,
  length: number,
  alloc: (n: number) => Buffer = Buffer.allocUnsafe,
): Promise<Buffer> {
  const buf = alloc(length)
  return new Promise((resolve, reject) => {
    let done = 0
    const next = (): void => {
      if (done === length) return resolve(buf)
      read(fd, buf, done, length - done, position + done, (err, n) => {
        if (err) return reject(err)
        if (n === 0) return resolve(buf.subarray(0, done))
        done += n
        next()
      })
    }
    next()
  })
}

/**
 * The seam where a test makes a disk fail or fill up (the in-process cluster's `failDisk`): writes to files under
 * a directory given here throw the error a real disk gives — ENOSPC (full), EIO (broken) — until it is cleared.
 * Only the log's data writes (`writeAt`, so segments, indexes, snapshots, checkpoints) go through it; empty, it
 * costs one size check per write.
 */
export const simulatedDiskFaults = {
  dirs: new Map<string, string>(),
  /** Every write under `dir` fails with `code` from now on; `undefined` clears it. */
  set(dir: string, code: 'ENOSPC' | 'EIO' | undefined): void {
    const key = resolve(dir) + sep
    if (code === undefined) this.dirs.delete(key)
    else this.dirs.set(key, code)
  },
  check(path: string): void {
    if (this.dirs.size === 0) return
    const full = resolve(path)
    for (const [dir, code] of this.dirs) {
      if (!full.startsWith(dir)) continue
      const text = code === 'ENOSPC' ? 'no space left on device' : 'i/o error'
      throw Object.assign(new Error(`${code}: ${text}, write '${full}' (simulated)`), {
        code,
        errno: code === 'ENOSPC' ? -28 : -5,
        syscall: 'write',
        path: full,
      })
    }
  },
}

/** Writes all of `data` at `position` of the open file `path`. */
export function writeAt(fd: number, data: Uint8Array, position: number, path: string): void {
  simulatedDiskFaults.check(path)
  let done = 0
  while (done < data.length) {
    done += writeSync(fd, data, done, data.length - done, position + done)
  }
}

/** fsync of a directory, so that created/renamed entries survive a crash (Utils.flushDir). */
export function flushDir(dir: string): void {
  let fd: number | undefined
  try {
    fd = openSync(dir, 'r')
    fsyncSync(fd)
  } catch {
    // some platforms cannot fsync directories
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/** libuv's thread pool size (UV_THREADPOOL_SIZE, clamped as libuv does; 4 unless set). */
export function threadPoolSize(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.UV_THREADPOOL_SIZE)
  return Number.isInteger(n) && n > 0 ? Math.min(n, 1024) : 4
}

/**
 * The fsyncs on libuv's thread pool take at most half of it. An fsync holds its thread for as long as the disk
 * takes, and one log flush asks for four at once (the log and its three indexes): on a slow disk, without a cap,
 * the thread-pool reads behind Fetch (Log.readPlanned) wait for the disk too, a caught-up follower's fetch is
 * answered seconds late and it drops out of the ISR (measured: compat-tests/faults-slow-disk.test.ts). The reads
 * keep the other half; the fsyncs queue here, in order, instead of in libuv's queue.
 */
const fsyncSlots = pLimit(Math.max(1, Math.floor(threadPoolSize() / 2)))

/** How many fsyncs wait for a slot of the thread pool (fsyncSlots) and how many run. */
export function fsyncQueue(): { running: number; waiting: number } {
  return { running: fsyncSlots.activeCount, waiting: fsyncSlots.pendingCount }
}

/**
 * fdatasync on libuv's thread pool (at most half of it: fsyncSlots). EBADF (the descriptor closed meanwhile: its
 * close path flushed it) is not an error; a descriptor reused meanwhile costs one needless flush of another file.
 */
export function fdatasyncAsync(fd: number): Promise<void> {
  return fsyncSlots(
    () =>
      new Promise<void>((resolve, reject) =>
        fdatasync(fd, (err) => (err && err.code !== 'EBADF' ? reject(err) : resolve())),
      ),
  )
}

/** flushDir() on libuv's thread pool (within fsyncSlots). */
export function flushDirAsync(dir: string): Promise<void> {
  return fsyncSlots(
    () =>
      new Promise<void>((resolve) =>
        open(dir, 'r', (err, fd) => {
          if (err) return resolve() // as flushDir: some platforms cannot
          fsync(fd, () => close(fd, () => resolve()))
        }),
      ),
  )
}

/** fsync of a file, if it (still) exists (Utils.flushFileIfExists). */
export function fsyncFileIfExists(path: string): void {
  let fd: number | undefined
  try {
    fd = openSync(path, 'r')
    fsyncSync(fd)
  } catch (e) {
    if (!isErrno(e, 'ENOENT')) throw e
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/**
 * Writes a file atomically: `<path>.tmp`, fsync (when `sync`), rename over `path`, fsync the directory. A write that
 * fails (a full disk) leaves `path` as it was and removes the partial temporary file, so that it takes no space.
 */
export function atomicWriteFileSync(path: string, data: string | Buffer, sync = true): void {
  const tmp = `${path}.tmp`
  // atomicWriteFileAsync() writes of this file queued or under way: this write is newer, they leave `path` alone
  if (asyncChains.has(path)) syncWrites.set(path, (syncWrites.get(path) ?? 0) + 1)
  try {
    const fd = openSync(tmp, 'w')
    try {
      writeAt(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data, 0, tmp)
      if (sync) fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, path)
  } catch (e) {
    try {
      unlinkSync(tmp)
    } catch {
      // not there, or the directory failed: the original error tells
    }
    throw e
  }
  if (sync) flushDir(dirname(path))
}

/**
 * Small files written off the event loop (partition.metadata, leader-epoch-checkpoint, the periodic checkpoints)
 * hold a descriptor of their own from open to close, outside the log descriptor budget (descriptors.ts). At most
 * this many such writes run at once: each takes a slot for its whole open → write → fsync → close → rename →
 * directory fsync, and takes its content only once it has the slot (so it writes the latest state). Without it,
 * creating 10,000 partitions at once opened thousands of temporary files that then queued for an fsync slot, and the
 * budgeted opens of new logs failed with EMFILE.
 */
export const SMALL_FILE_WRITE_SLOTS = 32
const smallFileSlots = pLimit(SMALL_FILE_WRITE_SLOTS)

/** Runs `write` (one small file's open → … → close) within the small-file write slots. */
export function withSmallFileSlot<T>(write: () => Promise<T>): Promise<T> {
  return smallFileSlots(write)
}

/** How many small-file writes wait for a slot and how many run. */
export function smallFileWriteQueue(): { running: number; waiting: number } {
  return { running: smallFileSlots.activeCount, waiting: smallFileSlots.pendingCount }
}

/** An atomicWriteFileAsync() of a path. */
interface AsyncWrite {
  data: string | (() => string)
  /** syncWrites of the path when this write was (last) asked for: a different count means a newer sync write. */
  seen: number
  promise: Promise<void>
}
/** The last atomicWriteFileAsync() of each path: writes of one path run one after the other. */
const asyncChains = new Map<string, Promise<void>>()
/** The write of each path that waits (for the one before it, or for a slot) and has not taken its content yet. */
const queuedWrites = new Map<string, AsyncWrite>()
/** Synchronous writes of a path while it had atomicWriteFileAsync() writes queued or running. */
const syncWrites = new Map<string, number>()

/**
 * atomicWriteFileSync() with every step on libuv's thread pool (for files written on a request path or
 * periodically, where two fsyncs on the event loop would stall every connection for as long as the disk takes):
 * `<path>.async.tmp`, fsync (within fsyncSlots), rename over `path`, fsync of the directory, all within a small-file
 * write slot. Until it resolves, `path` holds what it held before; a failure removes the temporary file and rejects.
 * Writes of one path are serialized, and coalesced: a write asked for while an earlier one of the same path still
 * waits replaces that one's content (`data` may be a function, called once the write has its slot) and shares its
 * promise. An atomicWriteFileSync() of the same path after this call is newer and wins (this one then leaves `path`
 * alone).
 */
export function atomicWriteFileAsync(path: string, data: string | (() => string)): Promise<void> {
  const seen = syncWrites.get(path) ?? 0
  const waiting = queuedWrites.get(path)
  if (waiting) {
    waiting.data = data
    waiting.seen = seen
    return waiting.promise
  }
  const previous = asyncChains.get(path)
  const entry: AsyncWrite = { data, seen, promise: Promise.resolve() }
  const superseded = (): boolean => (syncWrites.get(path) ?? 0) !== entry.seen
  const write = (previous ? previous.catch(() => undefined) : Promise.resolve()).then(() =>
    smallFileSlots(() => {
      if (queuedWrites.get(path) === entry) queuedWrites.delete(path)
      if (superseded()) return undefined
      return atomicWriteOnce(path, typeof entry.data === 'function' ? entry.data() : entry.data, superseded)
    }),
  )
  entry.promise = write
  queuedWrites.set(path, entry)
  asyncChains.set(path, write)
  const forget = (): void => {
    if (asyncChains.get(path) !== write) return
    asyncChains.delete(path)
    syncWrites.delete(path)
  }
  write.then(forget, forget)
  return write
}

async function atomicWriteOnce(path: string, data: string, superseded: () => boolean): Promise<void> {
  // its own temporary file: a synchronous write of `path` meanwhile uses `<path>.tmp` while this one's steps are on
  // the thread pool, in parallel
  const tmp = `${path}.async.tmp`
  try {
    simulatedDiskFaults.check(tmp)
    const file = await openFile(tmp, 'w')
    try {
      await file.writeFile(data, 'utf8')
      await fsyncSlots(() => file.sync())
    } finally {
      await file.close()
    }
    if (superseded()) {
      // a synchronous write of `path` came in between: its content is newer
      await unlink(tmp).catch(() => undefined)
      return
    }
    // in the same turn as the check, so that no synchronous write can come between them (a rename is no fsync)
    renameSync(tmp, path)
  } catch (e) {
    await unlink(tmp).catch(() => undefined)
    throw e
  }
  await flushDirAsync(dirname(path))
}

export function deleteIfExists(path: string): boolean {
  try {
    unlinkSync(path)
    return true
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw e
  }
}

export function renameIfExists(from: string, to: string): boolean {
  if (!existsSync(from)) return false
  renameSync(from, to)
  return true
}

export function isErrno(e: unknown, code: string): boolean {
  return (e as NodeJS.ErrnoException | undefined)?.code === code
}
