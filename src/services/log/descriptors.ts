/**
 * A budget for the file descriptors of the log's files (segments and their indexes).
 *
 * Kafka keeps every segment's files open (and memory-maps the indexes) and asks operators to raise the process's
 * open-file limit. Here a log file's descriptor is a cache entry: the budget keeps at most a share of the process's
 * limit (`ulimit -n`, RLIMIT_NOFILE) open, closes the least recently used idle ones beyond that, and a file opens
 * its descriptor again on its next use. So 10,000 partitions start and serve under the default limit, and sockets
 * keep the rest of it. A descriptor in use by work on libuv's thread pool (a fetch read, an fsync) is pinned and
 * never closed by the budget. Closing a descriptor does not lose data: writes are in the page cache, and an fsync
 * through a later descriptor of the same file flushes them (the files remember that they need one).
 *
 * When the process runs out of descriptors anyway (EMFILE: sockets took the rest), idle log files are closed and
 * the open is tried once more; if it still fails, one line says which limit was hit and what to do, and the error
 * thrown says the same (no EMFILE stack).
 */
import { openSync, readFileSync } from 'node:fs'
import type { Logger } from '../../util/logger.js'

/** A log file whose descriptor the budget may close while it is idle. */
export interface BudgetedFile {
  /** Closes the descriptor if nothing uses it now; false when it is pinned. */
  closeIdleDescriptor(): boolean
}

/** The soft limit on open files of this process (RLIMIT_NOFILE), from /proc/self/limits; undefined elsewhere. */
export function openFileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'))
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0]
    if (soft === undefined) return undefined
    if (soft === 'unlimited') return Number.MAX_SAFE_INTEGER
    const n = Number(soft)
    return Number.isFinite(n) && n > 0 ? n : undefined
  } catch {
    return undefined
  }
}

/** The share of the open-file limit log files may keep open; the rest is for sockets and everything else. */
const SHARE = 0.5
const MIN_BUDGET = 64

const processLimit = openFileLimit()
let budget = Math.max(MIN_BUDGET, Math.floor((processLimit ?? 1024) * SHARE))
/** Open descriptors, least recently used first (a Map keeps insertion order). */
const open = new Map<BudgetedFile, true>()
let logger: Logger | undefined
let exhaustedLogged = false

/** The logger for the one line about an exhausted limit (the log manager sets it). */
export function setDescriptorLogger(l: Logger): void {
  logger = l
}

/** Sets how many log file descriptors stay open at most (tests; default half of `ulimit -n`). */
export function setDescriptorBudget(n: number): void {
  budget = Math.max(1, n)
  trim(budget)
}

export function descriptorBudget(): number {
  return budget
}

/** How many log file descriptors are open now. */
export function openDescriptors(): number {
  return open.size
}

/** Marks `f`'s descriptor as the most recently used one. */
export function touchDescriptor(f: BudgetedFile): void {
  if (open.delete(f)) open.set(f, true)
}

/** `f` closed its descriptor itself. */
export function descriptorClosed(f: BudgetedFile): void {
  open.delete(f)
}

/** Closes idle descriptors, least recently used first, until at most `target` stay open. */
function trim(target: number): number {
  let closed = 0
  for (const f of open.keys()) {
    if (open.size <= target) break
    if (f.closeIdleDescriptor()) {
      open.delete(f)
      closed++
    }
  }
  return closed
}

/** An open that failed for want of file descriptors (EMFILE, ENFILE). */
export function isDescriptorExhaustion(e: unknown): boolean {
  return isEmfile(e)
}

function isEmfile(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code
  return code === 'EMFILE' || code === 'ENFILE'
}

/**
 * openSync for `f`, within the budget: closes the least recently used idle descriptors first. On EMFILE/ENFILE it
 * closes every idle log file descriptor and tries once more; if that fails too, it logs one line naming the limit
 * and throws an error that says what to do.
 */
export function openBudgeted(f: BudgetedFile, path: string, flags: string): number {
  if (open.size >= budget) trim(budget - 1)
  let fd: number
  try {
    fd = openSync(path, flags)
  } catch (e) {
    if (!isEmfile(e)) throw e
    trim(0)
    try {
      fd = openSync(path, flags)
    } catch (e2) {
      if (!isEmfile(e2)) throw e2
      throw exhausted(e2 as NodeJS.ErrnoException, path)
    }
  }
  open.set(f, true)
  return fd
}

/** The error (and the one log line) for a process out of file descriptors. */
function exhausted(e: NodeJS.ErrnoException, path: string): Error {
  const which = e.code === 'ENFILE' ? 'the system-wide limit on open files (fs.file-max)' : limitText()
  const message =
    `Too many open files (${e.code}) opening ${path}: the broker reached ${which}, with ${open.size} log files ` +
    `open (their budget is ${budget}) and the rest held by connections and other files. Raise the limit ` +
    `(\`ulimit -n\` before starting the broker, LimitNOFILE= for a systemd unit) or serve fewer connections.`
  if (!exhaustedLogged) {
    exhaustedLogged = true
    logger?.error(message)
  }
  const err = new Error(message) as NodeJS.ErrnoException
  err.code = e.code
  return err
}

function limitText(): string {
  const n = processLimit // read at start-up: with no descriptor left, /proc/self/limits cannot be opened now
  return n === undefined || n === Number.MAX_SAFE_INTEGER
    ? 'the process limit on open files (ulimit -n)'
    : `the process limit of ${n} open files (ulimit -n)`
}
