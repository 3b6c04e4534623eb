/**
 * Storage faults of a log directory, and how the broker treats them.
 *
 *  - A full disk (ENOSPC, EDQUOT) is transient: writes are refused with KAFKA_STORAGE_ERROR, every append is
 *    undone so the log stays as it was, and everything that frees space — retention, DeleteRecords, deleting
 *    topics — keeps working; writes resume by themselves once there is room again. The files that only speed up
 *    recovery (checkpoints, producer snapshots) are skipped while the disk is full and written again later.
 *  - Any other I/O error (EIO, a file system remounted read-only, ...) fails the log directory as Kafka's
 *    LogDirFailureChannel does: see LogManager.
 *
 * `FaultLog` keeps a failing periodic write from repeating its error every period: the first failure (and a
 * different one) is logged as an error, the repeats at debug level, and the recovery once.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import type { Logger } from '../../util/logger.js'
import type { Clock } from '../../util/scheduler.js'

export type StorageFault = 'full' | 'failed'

const FULL = new Set(['ENOSPC', 'EDQUOT'])
const FAILED = new Set(['EIO', 'EROFS', 'ENXIO', 'ENODEV', 'EUCLEAN', 'ESTALE'])

/** What kind of storage fault an error is, if it is one. */
export function storageFault(e: unknown): StorageFault | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code
  if (code === undefined) return undefined
  if (FULL.has(code)) return 'full'
  if (FAILED.has(code)) return 'failed'
  return undefined
}

/** The KafkaError a client sees for a storage fault (KAFKA_STORAGE_ERROR), or `e` itself when it is none. */
export function asStorageError(e: unknown, what: string): unknown {
  const fault = storageFault(e)
  if (!fault) return e
  const why = fault === 'full' ? 'the disk is full' : 'the log directory failed'
  return new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `${what}: ${why} (${(e as Error).message})`)
}

/**
 * Error logging for writes that are retried periodically or by every request (see the file comment). A failure
 * is logged as an error when it starts, and again only if it is a different one or a minute has passed; its
 * recovery is logged once (a disk nearly full, taking small writes and refusing large ones, flaps: it is one
 * episode, not a line per flap).
 */
export class FaultLog {
  private readonly state = new Map<string, { signature: string; loggedAt: number; failing: boolean }>()

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly quietMs = 60_000,
  ) {}

  /** A write failed. */
  fail(key: string, message: string, err: unknown): void {
    // A full disk is one state, whatever call ran into it; other errors are told apart by their message.
    const signature = storageFault(err) === 'full' ? 'full' : ((err as Error)?.message ?? String(err))
    const now = this.clock.monotonic()
    const s = this.state.get(key)
    if (s && s.signature === signature && now - s.loggedAt < this.quietMs) {
      s.failing = true
      this.logger.debug({ err }, `${message} (still failing)`)
      return
    }
    this.state.set(key, { signature, loggedAt: now, failing: true })
    this.logger.error(
      { err },
      storageFault(err) === 'full'
        ? `${message}: the disk is full; retrying quietly until there is room again`
        : message,
    )
  }

  /** The write worked: the recovery is logged once per episode. */
  ok(key: string, message: string): void {
    const s = this.state.get(key)
    if (!s?.failing) return
    s.failing = false
    if (this.clock.monotonic() - s.loggedAt < this.quietMs && s.signature === 'full') {
      // a flap of a disk on the edge; the next full-disk failure within the quiet period stays quiet too
      this.logger.debug(message)
      return
    }
    this.state.delete(key)
    this.logger.info(message)
  }

  /** Whether `key` is failing now. */
  isFailing(key: string): boolean {
    return this.state.get(key)?.failing ?? false
  }
}
