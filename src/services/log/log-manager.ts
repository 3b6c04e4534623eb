/**
 * Kafka's LogManager: the logs of every `log.dirs` entry. Locks each directory (`.lock`), loads its
 * `<topic>-<partition>` logs at startup (recovering them unless `.kafka_cleanshutdown` is present), places new logs in
 * the directory with the fewest, deletes logs asynchronously (rename to `<topic>-<partition>.<uuid>-delete`), runs
 * retention / flush / checkpoint tasks, and writes the checkpoints and the clean shutdown marker on shutdown.
 */
import { setDescriptorLogger } from './descriptors.js'
import { randomUUID } from 'node:crypto'
import {
  accessSync,
  closeSync,
  constants as fsConstants,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs'
import { join, resolve } from 'node:path'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import {
  type Clock,
  type ScheduledTask,
  type Scheduler,
  ScopedScheduler,
  SystemScheduler,
} from '../../util/scheduler.js'
import { mkdirs } from '../../util/fs.js'
import { type Logger, silentLogger } from '../../util/logger.js'
import { OffsetCheckpointFile, type TopicPartitionOffset } from './checkpoint-file.js'
import {
  atomicWriteFileSync,
  CLEAN_SHUTDOWN_FILE,
  DELETE_DIR_SUFFIX,
  deleteIfExists,
  FUTURE_DIR_SUFFIX,
  isErrno,
  LOCK_FILE,
  LOG_START_OFFSET_CHECKPOINT_FILE,
  parseTopicPartitionName,
  RECOVERY_POINT_CHECKPOINT_FILE,
  STRAY_DIR_SUFFIX,
  type TopicPartition,
  tpString,
  writeAt,
} from './file-utils.js'
import { Log, logDeleteDirName, logFutureDirName, type StorageFaultListener } from './log.js'
import { FaultLog, storageFault } from './storage-faults.js'
import { type CleanerConfig, LogCleaner } from './log-cleaner.js'
import { defaultLogConfig, formatLong, type LogConfig, overriddenConfigsString } from './log-config.js'

export interface LogManagerOptions {
  /**
   * A log directory failed (an I/O error other than a full disk): its logs are gone from the manager, as Kafka's
   * LogDirFailureChannel takes a directory offline. `liveDirs` are the directories left.
   */
  onLogDirFailure?: (dir: string, err: unknown, liveDirs: readonly string[]) => void
  /** log.dirs */
  logDirs: string[]
  /** the configuration of a topic's logs (broker defaults plus topic overrides); used when loading */
  configFor?: (topic: string) => LogConfig
  /** runs the background tasks and tells the time (default: Node's timers); what is pending ends with shutdown() */
  scheduler?: Scheduler
  logger?: Logger
  /** log.retention.check.interval.ms (5 minutes) */
  retentionCheckMs?: number
  /** log.flush.scheduler.interval.ms (Long.MAX) */
  flushCheckMs?: number
  /** log.flush.offset.checkpoint.interval.ms (1 minute) */
  flushRecoveryOffsetCheckpointMs?: number
  /** log.flush.start.offset.checkpoint.interval.ms (1 minute) */
  flushStartOffsetCheckpointMs?: number
  /** log.segment.delete.delay.ms: how long a deleted log's directory stays (1 minute) */
  fileDeleteDelayMs?: number
  /** delay before the periodic tasks first run (Kafka: 30 s) */
  initialTaskDelayMs?: number
  producerIdExpirationMs?: number
  producerIdExpirationCheckIntervalMs?: number
  maxTransactionTimeoutMs?: number
  /** transaction.partition.verification.enable */
  transactionVerificationEnabled?: boolean
  /** written into the clean shutdown marker (-1 in ZooKeeper mode) */
  brokerEpoch?: number
  /** the log.cleaner.* settings (and message.max.bytes); the cleaner runs unless enableCleaner is false */
  cleanerConfig?: Partial<CleanerConfig>
}

/** How many logs one directory flushes at once on shutdown. */
const SHUTDOWN_CONCURRENCY = 16

/** Runs `f` over `items`, at most `limit` at a time. */
async function forEachConcurrently<T>(
  items: readonly T[],
  limit: number,
  f: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) await f(items[next++]!)
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}

/** In-process record of held directory locks (a second LogManager on the same directory must fail too). */
const heldLocks = new Set<string>()

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (e) {
    return isErrno(e, 'EPERM')
  }
  // A killed process can linger as a zombie until its parent reaps it: that one no longer holds anything.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
    return state !== 'Z' && state !== 'X'
  } catch {
    return true
  }
}

/**
 * True when `pid` is still alive after waiting up to `ms` for it to go (a broker killed a moment ago, e.g. by a
 * restart script, may take a few milliseconds to disappear). Start-up is synchronous, so this sleeps in place, on
 * real time whatever the broker's scheduler: it waits for the operating system.
 */
function waitForExit(pid: number, ms: number): boolean {
  // eslint-disable-next-line no-restricted-properties -- real time: it waits for the operating system
  const until = Date.now() + ms
  const cell = new Int32Array(new SharedArrayBuffer(4))
  while (pidAlive(pid)) {
    // eslint-disable-next-line no-restricted-properties -- as above
    if (Date.now() >= until) return true
    Atomics.wait(cell, 0, 0, 50)
  }
  return false
}

/**
 * Kafka's LogManager.createAndValidateLogDirs: every directory is created if missing and must be a directory the
 * broker can write to (its `.lock` file is created here, as Kafka creates it). Samsa has no offline log
 * directories, so any failing directory fails the whole call, with a message naming the directory.
 */
export function createAndValidateLogDirs(dirs: readonly string[]): void {
  const reason = (e: unknown): string => {
    const code = isErrnoCode(e)
    return code ? `${ERRNO_TEXT[code] ?? code} (${code})` : (e as Error).message
  }
  for (const dir of dirs) {
    try {
      mkdirs(dir)
    } catch (e) {
      throw new KafkaError(
        ErrorCode.KAFKA_STORAGE_ERROR,
        `Failed to create data directory ${dir}: ${reason(e)}`,
      )
    }
    try {
      if (!statSync(dir).isDirectory()) throw new Error('not a directory')
      accessSync(dir, fsConstants.R_OK | fsConstants.W_OK | fsConstants.X_OK)
      closeSync(openSync(resolve(dir, LOCK_FILE), 'a'))
    } catch (e) {
      throw new KafkaError(
        ErrorCode.KAFKA_STORAGE_ERROR,
        `${dir} is not a writable log directory: ${reason(e)}`,
      )
    }
  }
}

const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a path component is a file, not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EEXIST: 'file already exists',
}

function isErrnoCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined
}

/**
 * Takes `<dir>/.lock` for this process: the file holds our pid. A lock file of a process that is gone (or Kafka's
 * empty one) is taken over; a live owner makes this throw.
 */
export function acquireDirLock(dir: string): string {
  const path = resolve(dir, LOCK_FILE)
  if (heldLocks.has(path)) {
    throw new KafkaError(
      ErrorCode.KAFKA_STORAGE_ERROR,
      `Failed to acquire lock on file ${LOCK_FILE} in ${dir}. A Kafka instance in another process or thread is using this directory.`,
    )
  }
  const mine = String(process.pid)
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx')
      try {
        writeAt(fd, Buffer.from(mine + '\n'), 0, path)
      } finally {
        closeSync(fd)
      }
      heldLocks.add(path)
      return path
    } catch (e) {
      if (!isErrno(e, 'EEXIST')) throw e
    }
    let owner: number
    try {
      owner = parseInt(readFileSync(path, 'utf8').trim(), 10)
    } catch (e) {
      if (!isErrno(e, 'ENOENT')) throw e
      continue
    }
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && waitForExit(owner, 2000)) {
      throw new KafkaError(
        ErrorCode.KAFKA_STORAGE_ERROR,
        `Failed to acquire lock on file ${LOCK_FILE} in ${dir}. A Kafka instance in another process (pid ${owner}) is using this directory.`,
      )
    }
    // stale: its owner is gone (or it is the empty file Kafka leaves behind). Not fsynced: the pid only tells a
    // live owner, and after a crash that lost it the owner is gone anyway (two fsyncs less at a first start)
    atomicWriteFileSync(path, mine + '\n', false)
    if (readFileSync(path, 'utf8').trim() === mine) {
      heldLocks.add(path)
      return path
    }
  }
  throw new KafkaError(
    ErrorCode.KAFKA_STORAGE_ERROR,
    `Failed to acquire lock on file ${LOCK_FILE} in ${dir}.`,
  )
}

/** Forgets a lock of this process without touching its file (a process that died leaves its lock file behind). */
export function abandonDirLock(path: string): void {
  heldLocks.delete(path)
}

export function releaseDirLock(path: string): void {
  if (!heldLocks.delete(path)) return
  try {
    if (readFileSync(path, 'utf8').trim() === String(process.pid)) deleteIfExists(path)
  } catch (e) {
    if (!isErrno(e, 'ENOENT')) throw e
  }
}

export class LogManager {
  private readonly logDirs: string[]
  private readonly logs = new Map<string, Log>()
  /**
   * Future logs (Kafka's futureLogs): the copy of a replica being moved to another log directory by
   * AlterReplicaLogDirs, in `<topic>-<partition>.<uniqueId>-future`, until it replaces the current log.
   */
  private readonly futureLogs = new Map<string, Log>()
  /** Kafka's preferredLogDirs: where a replica not created here yet is to go (AlterReplicaLogDirs). */
  private readonly preferredDirs = new Map<string, string>()
  private readonly scheduler: ScopedScheduler
  private readonly clock: Clock
  private readonly logger: Logger
  private readonly locks: string[] = []
  private readonly tasks: ScheduledTask[] = []
  private readonly pendingDeletes = new Map<string, { log: Log; task: ScheduledTask }>()
  private readonly topicConfigs = new Map<string, LogConfig>()
  private readonly offlineDirs = new Set<string>()
  private readonly faults: FaultLog
  /** Told of every log's storage faults (see storage-faults.ts). */
  private readonly storageFaults: StorageFaultListener = {
    onFault: (log, fault, err) => {
      const dir = log.parentDir
      if (fault === 'failed') {
        this.failDir(dir, err)
        return
      }
      this.faults.fail(
        `append:${dir}`,
        fault === 'full'
          ? `${this.ident}Log directory ${dir} is full: appends are refused with KAFKA_STORAGE_ERROR until there is room`
          : `${this.ident}Error while appending to ${log} in log directory ${dir}`,
        err,
      )
    },
    onRecovered: (log) =>
      this.faults.ok(
        `append:${log.parentDir}`,
        `${this.ident}Log directory ${log.parentDir} takes appends again`,
      ),
  }
  private started = false
  private stopped = false
  private halted = false
  private _cleaner: LogCleaner | undefined

  constructor(private readonly opts: LogManagerOptions) {
    if (opts.logDirs.length === 0) throw new Error('At least one log directory must be defined')
    this.logDirs = opts.logDirs.map((d) => resolve(d))
    if (new Set(this.logDirs).size !== this.logDirs.length)
      throw new Error(`Duplicate log directory found: ${opts.logDirs.join(', ')}`)
    this.logger = opts.logger ?? silentLogger
    this.scheduler = new ScopedScheduler(opts.scheduler ?? new SystemScheduler(this.logger), this.logger)
    this.clock = this.scheduler.clock
    this.faults = new FaultLog(this.logger, this.clock)
    setDescriptorLogger(this.logger)
  }

  private get ident(): string {
    return '[LogManager] '
  }

  get liveLogDirs(): readonly string[] {
    return this.halted ? [] : this.logDirs.filter((d) => !this.offlineDirs.has(d))
  }

  /** Log directories that failed (see onLogDirFailure). */
  get offlineLogDirs(): readonly string[] {
    return [...this.offlineDirs]
  }

  /**
   * Takes a failed log directory offline (Kafka's LogManager.handleLogDirFailure): its logs leave the manager
   * (their files are left alone: the disk is not trusted), no task touches it any more, and the broker is told.
   */
  failDir(dir: string, err: unknown): void {
    if (this.offlineDirs.has(dir) || this.stopped) return
    this.offlineDirs.add(dir)
    const gone = this.logsInDir(dir)
    const goneFutures = this.futureLogsInDir(dir)
    for (const log of [...gone, ...goneFutures]) {
      if (this.logs.get(tpString(log.topicPartition)) === log) this.logs.delete(tpString(log.topicPartition))
      else {
        this.futureLogs.delete(tpString(log.topicPartition))
        this._cleaner?.resumeCleaning(log.topicPartition)
      }
      try {
        log.closeHandlers()
      } catch {
        // the directory failed
      }
    }
    this.logger.error(
      { err },
      `${this.ident}Stopped serving replicas in dir ${dir}: ${gone.length} logs are offline. Logs in the directory: ` +
        gone.map((l) => l.name).join(', '),
    )
    this.opts.onLogDirFailure?.(dir, err, this.liveLogDirs)
  }

  /** The log cleaner (compaction), once started; undefined when log.cleaner.enable is false. */
  get cleaner(): LogCleaner | undefined {
    return this._cleaner
  }

  private configFor(topic: string): LogConfig {
    return this.topicConfigs.get(topic) ?? this.opts.configFor?.(topic) ?? defaultLogConfig()
  }

  /** Creates missing directories, locks them, loads every log and schedules the background tasks. */
  startup(): void {
    if (this.started) return
    this.started = true
    createAndValidateLogDirs(this.logDirs)
    for (const dir of this.logDirs) this.locks.push(acquireDirLock(dir))
    try {
      for (const dir of this.logDirs) this.loadLogs(dir)
      this.promoteLoneFutureLogs()
    } catch (e) {
      for (const log of [...this.logs.values(), ...this.futureLogs.values()]) log.closeHandlers()
      this.logs.clear()
      this.futureLogs.clear()
      for (const l of this.locks.splice(0)) releaseDirLock(l)
      throw e
    }
    const initial = this.opts.initialTaskDelayMs ?? 30000
    const retentionCheckMs = this.opts.retentionCheckMs ?? 300000
    const flushCheckMs = this.opts.flushCheckMs ?? 2 ** 63
    const rpMs = this.opts.flushRecoveryOffsetCheckpointMs ?? 60000
    const lsoMs = this.opts.flushStartOffsetCheckpointMs ?? 60000
    this.logger.info(`${this.ident}Starting log cleanup with a period of ${retentionCheckMs} ms.`)
    this.tasks.push(
      this.scheduler.schedule('kafka-log-retention', () => this.cleanupLogs(), initial, retentionCheckMs),
    )
    this.logger.info(
      `${this.ident}Starting log flusher with a default period of ${formatLong(flushCheckMs)} ms.`,
    )
    this.tasks.push(
      this.scheduler.schedule('kafka-log-flusher', () => this.flushDirtyLogs(), initial, flushCheckMs),
    )
    this.tasks.push(
      this.scheduler.schedule(
        'kafka-recovery-point-checkpoint',
        () => this.checkpointLogRecoveryOffsets(),
        initial,
        rpMs,
      ),
    )
    this.tasks.push(
      this.scheduler.schedule(
        'kafka-log-start-offset-checkpoint',
        () => this.checkpointLogStartOffsets(),
        initial,
        lsoMs,
      ),
    )
    if (this.opts.cleanerConfig?.enableCleaner !== false) {
      this._cleaner = new LogCleaner({
        config: this.opts.cleanerConfig,
        logDirs: this.logDirs,
        logs: () => this.logs.values(),
        scheduler: this.scheduler,
        logger: this.logger,
      })
      // a replica found moving between directories is not cleaned until its move ends
      for (const future of this.futureLogs.values())
        this._cleaner.abortAndPauseCleaning(future.topicPartition)
      this._cleaner.startup()
    }
  }

  private readCheckpoint(dir: string, file: string): Map<string, number> {
    try {
      return new OffsetCheckpointFile(join(dir, file)).readMap()
    } catch (e) {
      this.logger.warn(
        `${this.ident}Error occurred while reading ${file} file of directory ${dir}, resetting to the base offset of the first segment: ${(e as Error).message}`,
      )
      return new Map()
    }
  }

  private loadLogs(dir: string): void {
    const start = this.clock.monotonic()
    this.logger.info(`${this.ident}Loading logs from log dirs ${dir}`)
    const cleanShutdownFile = join(dir, CLEAN_SHUTDOWN_FILE)
    let hadCleanShutdown = false
    if (existsSync(cleanShutdownFile)) {
      // deleted now so that a crash while loading counts as an unclean shutdown next time (KAFKA-10471)
      deleteIfExists(cleanShutdownFile)
      hadCleanShutdown = true
    } else {
      this.logger.info(
        `${this.ident}Attempting recovery for all logs in ${dir} since no clean shutdown file was found`,
      )
    }
    const recoveryPoints = this.readCheckpoint(dir, RECOVERY_POINT_CHECKPOINT_FILE)
    const logStartOffsets = this.readCheckpoint(dir, LOG_START_OFFSET_CHECKPOINT_FILE)
    let loaded = 0
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name)
      if (!statSync(full).isDirectory()) continue
      if (name.endsWith(DELETE_DIR_SUFFIX) || name.endsWith(STRAY_DIR_SUFFIX)) {
        this.logger.info(`${this.ident}Deleting ${full}, left over from a deletion that did not finish`)
        rmSync(full, { recursive: true, force: true })
        continue
      }
      const isFuture = name.endsWith(FUTURE_DIR_SUFFIX)
      let tp: TopicPartition
      try {
        tp = parseTopicPartitionName(name)
      } catch (e) {
        this.logger.warn(`${this.ident}Skipping ${full}: ${(e as Error).message}`)
        continue
      }
      const key = tpString(tp)
      const into = isFuture ? this.futureLogs : this.logs
      if (into.has(key)) {
        throw new KafkaError(
          ErrorCode.KAFKA_STORAGE_ERROR,
          `Duplicate log directories for ${key} are found in both ${into.get(key)!.dir} and ${full}. ` +
            'It is likely because log directory failure happened while broker was replacing current replica with future replica.',
        )
      }
      const logStart = this.clock.monotonic()
      const log = Log.open({
        dir: full,
        config: this.configFor(tp.topic),
        logStartOffset: logStartOffsets.get(key) ?? 0,
        recoveryPoint: recoveryPoints.get(key) ?? 0,
        hadCleanShutdown,
        scheduler: this.scheduler,
        logger: this.logger,
        ...this.producerOptions(),
      })
      into.set(key, log)
      loaded++
      this.logger.info(
        `${this.ident}Completed load of ${isFuture ? 'future ' : ''}${log} with ${log.numberOfSegments} segments in ${Math.round(this.clock.monotonic() - logStart)}ms`,
      )
    }
    this.logger.info(`${this.ident}Loaded ${loaded} logs in ${Math.round(this.clock.monotonic() - start)}ms`)
  }

  /**
   * A future log without a current log is what a swap (replaceCurrentWithFutureLog) leaves when the broker stops
   * between its two renames — the current log already renamed `-delete` (and removed by loadLogs), the future log,
   * as long as the current one, not yet renamed: it becomes the current log.
   */
  private promoteLoneFutureLogs(): void {
    for (const [key, future] of [...this.futureLogs]) {
      if (this.logs.has(key)) continue
      this.futureLogs.delete(key)
      const from = future.dir
      future.renameDir(key)
      this.logs.set(key, future)
      this.logger.warn(
        `${this.ident}Future log ${from} has no current log (a replica move was interrupted while replacing it): it is the current log of ${key} now`,
      )
    }
  }

  private producerOptions(): {
    storageFaults: StorageFaultListener
    producerIdExpirationMs?: number
    producerIdExpirationCheckIntervalMs?: number
    maxTransactionTimeoutMs?: number
    transactionVerificationEnabled?: boolean
  } {
    return {
      storageFaults: this.storageFaults,
      producerIdExpirationMs: this.opts.producerIdExpirationMs,
      producerIdExpirationCheckIntervalMs: this.opts.producerIdExpirationCheckIntervalMs,
      maxTransactionTimeoutMs: this.opts.maxTransactionTimeoutMs,
      transactionVerificationEnabled: this.opts.transactionVerificationEnabled,
    }
  }

  getLog(tp: TopicPartition): Log | undefined
  getLog(topic: string, partition: number): Log | undefined
  getLog(a: TopicPartition | string, b?: number): Log | undefined {
    return this.logs.get(typeof a === 'string' ? `${a}-${b}` : tpString(a))
  }

  allLogs(): Log[] {
    return [...this.logs.values()]
  }

  /** The logs of one log directory. */
  logsInDir(dir: string): Log[] {
    const d = resolve(dir)
    return this.allLogs().filter((l) => l.parentDir === d)
  }

  /** The future log of a partition (a replica being moved to another directory), if any. */
  getFutureLog(tp: TopicPartition): Log | undefined {
    return this.futureLogs.get(tpString(tp))
  }

  /** The future logs in one log directory. */
  futureLogsInDir(dir: string): Log[] {
    const d = resolve(dir)
    return [...this.futureLogs.values()].filter((l) => l.parentDir === d)
  }

  /** Whether `dir` is online (Kafka's isLogDirOnline); LOG_DIR_NOT_FOUND when it is not one of log.dirs. */
  isLogDirOnline(dir: string): boolean {
    if (!this.logDirs.includes(dir))
      throw new KafkaError(ErrorCode.LOG_DIR_NOT_FOUND, `Log dir ${dir} is not found in the config.`)
    return !this.offlineDirs.has(dir) && !this.halted
  }

  /**
   * Remembers `dir` as where the replica of `tp` is to be created (Kafka's maybeUpdatePreferredLogDir), unless its
   * current or future log is there already.
   */
  maybeUpdatePreferredLogDir(tp: TopicPartition, dir: string): void {
    const key = tpString(tp)
    if (this.logs.get(key)?.parentDir === dir || this.futureLogs.get(key)?.parentDir === dir) return
    this.preferredDirs.set(key, dir)
  }

  /**
   * Creates the future log of `tp` in `dir`, empty, with the current log's topic id and configuration. Refused
   * (KAFKA_STORAGE_ERROR) while any log directory is offline, as Kafka does, so that no partition ever gets future
   * logs in two directories.
   */
  createFutureLog(tp: TopicPartition, dir: string): Log {
    this.checkRunning()
    const key = tpString(tp)
    const current = this.logs.get(key)
    if (!current) throw new KafkaError(ErrorCode.REPLICA_NOT_AVAILABLE, `No current log for ${key}`)
    if (this.offlineDirs.size > 0) {
      throw new KafkaError(
        ErrorCode.KAFKA_STORAGE_ERROR,
        `Can not create log for ${key} because log directories ${[...this.offlineDirs].join(',')} are offline`,
      )
    }
    if (this.futureLogs.has(key)) throw new Error(`${key} already has a future log`)
    const log = Log.open({
      dir: join(dir, logFutureDirName(tp, randomUUID().replace(/-/g, ''))),
      config: current.config,
      logStartOffset: 0,
      recoveryPoint: 0,
      hadCleanShutdown: true,
      scheduler: this.scheduler,
      logger: this.logger,
      topicId: current.topicId,
      ...this.producerOptions(),
    })
    this.futureLogs.set(key, log)
    this.preferredDirs.delete(key)
    // Kafka pauses the partition's cleaning for the move (ReplicaManager -> abortAndPauseCleaning): the current log
    // is copied as it is, and a cleaning swapping its segments under the copy would leave the two logs different
    this._cleaner?.abortAndPauseCleaning(tp)
    this.logger.info(`${this.ident}Created log for partition ${key} in ${log.dir} (future log)`)
    return log
  }

  /** Drops the future log of `tp` (a move cancelled, the replica deleted): deleted like deleteLog's. */
  deleteFutureLog(tp: TopicPartition): Log | undefined {
    const key = tpString(tp)
    const log = this.futureLogs.get(key)
    if (!log) return undefined
    this.futureLogs.delete(key)
    this._cleaner?.resumeCleaning(tp)
    this.scheduleDeletion(log, key, 'future log')
    return log
  }

  /**
   * The future log of `tp` replaces its current log (Kafka's replaceCurrentWithFutureLog); the caller has checked,
   * in the same synchronous step, that the future log has caught up with the current log's end. The future log
   * takes the current one's high watermark, log start offset and leader epochs (a leader's epoch starts before any
   * batch of it exists); the current log is renamed `-delete` first and removed after log.segment.delete.delay.ms,
   * then the future log takes the partition's name, so that a stop between the two renames leaves only the future
   * log (see promoteLoneFutureLogs), never two current logs. Returns the new current log.
   */
  replaceCurrentWithFutureLog(tp: TopicPartition): Log {
    const key = tpString(tp)
    const current = this.logs.get(key)
    const future = this.futureLogs.get(key)
    if (!current || !future) throw new Error(`${key} has no current and future log to swap`)
    if (future.logEndOffset !== current.logEndOffset)
      throw new Error(`The future log of ${key} ends at ${future.logEndOffset}, not ${current.logEndOffset}`)
    const latest = future.latestEpoch() ?? -1
    for (const e of current.leaderEpochEntries())
      if (e.epoch > latest && e.startOffset >= 0) future.assignLeaderEpoch(e.epoch, e.startOffset)
    future.updateHighWatermark(current.highWatermark)
    if (current.logStartOffset > future.logStartOffset)
      future.maybeIncrementLogStartOffset(current.logStartOffset, 'SegmentDeletion')
    const sourceDir = current.parentDir
    current.renameDir(logDeleteDirName(tp, randomUUID().replace(/-/g, '')))
    try {
      future.renameDir(key)
    } catch (e) {
      current.renameDir(key)
      throw e
    }
    this.futureLogs.delete(key)
    this.logs.set(key, future)
    // the copy is the current log byte for byte (its cleaning was paused): it keeps its first dirty offset
    this._cleaner?.alterCheckpointDir(tp, sourceDir, future.parentDir)
    this._cleaner?.resumeCleaning(tp)
    this.scheduleDeletion(current, key, 'log')
    this.checkpointDir(future.parentDir)
    this.logger.info(
      `${this.ident}The current replica is successfully replaced with the future replica for ${key}: ${future.dir} (was in ${sourceDir})`,
    )
    return future
  }

  /** The log directories ordered by how many partitions they hold (fewest first). */
  nextLogDirs(): string[] {
    const live = this.liveLogDirs
    if (live.length <= 1) return [...live]
    const counts = new Map(live.map((d) => [d, 0]))
    for (const log of this.logs.values()) counts.set(log.parentDir, (counts.get(log.parentDir) ?? 0) + 1)
    return [...live].sort((a, b) => counts.get(a)! - counts.get(b)!)
  }

  /**
   * The log of `tp`, created in the directory with the fewest partitions when missing. An existing log's topic id
   * must match `topicId` (INCONSISTENT_TOPIC_ID), and is recorded when it had none.
   */
  getOrCreateLog(tp: TopicPartition, topicId?: string, config?: LogConfig): Log {
    this.checkRunning()
    const key = tpString(tp)
    const existing = this.logs.get(key)
    if (existing) {
      if (topicId !== undefined) {
        if (existing.topicId !== undefined && existing.topicId !== topicId) {
          throw new KafkaError(
            ErrorCode.INCONSISTENT_TOPIC_ID,
            `Tried to assign topic ID ${topicId} to log for topic partition ${key}, but log already contained topic ID ${existing.topicId}`,
          )
        }
        if (existing.topicId === undefined) existing.assignTopicId(topicId)
      }
      return existing
    }
    const cfg = config ?? this.configFor(tp.topic)
    if (config) this.topicConfigs.set(tp.topic, config)
    const preferred = this.preferredDirs.get(key)
    const parent =
      preferred !== undefined && this.liveLogDirs.includes(preferred) ? preferred : this.nextLogDirs()[0]
    if (parent === undefined) {
      throw new KafkaError(
        ErrorCode.KAFKA_STORAGE_ERROR,
        `No log directory is online to create the log of ${key}`,
      )
    }
    const dir = join(parent, key)
    const log = Log.open({
      dir,
      config: cfg,
      logStartOffset: 0,
      recoveryPoint: 0,
      hadCleanShutdown: true,
      scheduler: this.scheduler,
      logger: this.logger,
      topicId,
      ...this.producerOptions(),
    })
    this.logs.set(key, log)
    this.preferredDirs.delete(key)
    this.logger.info(
      `${this.ident}Created log for partition ${key} in ${dir} with properties ${overriddenConfigsString(cfg)}`,
    )
    return log
  }

  /**
   * Removes the log of a partition: its directory is renamed `<topic>-<partition>.<uuid>-delete` at once and
   * removed after log.segment.delete.delay.ms. Returns the removed log.
   */
  deleteLog(tp: TopicPartition): Log | undefined
  deleteLog(topic: string, partition: number): Log | undefined
  deleteLog(a: TopicPartition | string, b?: number): Log | undefined {
    const tp: TopicPartition = typeof a === 'string' ? { topic: a, partition: b! } : a
    const key = tpString(tp)
    this.deleteFutureLog(tp)
    this.preferredDirs.delete(key)
    const log = this.logs.get(key)
    if (!log) return undefined
    this.logs.delete(key)
    this._cleaner?.abortCleaning(tp, log.parentDir)
    this.scheduleDeletion(log, key, 'log')
    return log
  }

  /** Renames a log that left the manager `<topic>-<partition>.<uuid>-delete` and removes it later. */
  private scheduleDeletion(log: Log, key: string, what: string): void {
    const parent = log.parentDir
    log.renameDir(logDeleteDirName(log.topicPartition, randomUUID().replace(/-/g, '')))
    this.checkpointDir(parent)
    this.logger.info(
      `${this.ident}${what === 'log' ? 'Log' : 'Future log'} for partition ${key} is renamed to ${log.dir} and is scheduled for deletion`,
    )
    const task = this.scheduler.schedule(
      'kafka-delete-logs',
      () => {
        this.pendingDeletes.delete(log.dir)
        try {
          log.delete()
          this.logger.info(`${this.ident}Deleted log for partition ${key} in ${log.dir}.`)
        } catch (e) {
          this.logger.error({ err: e }, `${this.ident}Exception while deleting ${log} in dir ${parent}.`)
        }
      },
      this.opts.fileDeleteDelayMs ?? 60000,
    )
    this.pendingDeletes.set(log.dir, { log, task })
  }

  /** Applies a new configuration to every log of `topic` (or to one log). */
  updateConfig(topicOrLog: string | Log, config: LogConfig): void {
    if (typeof topicOrLog === 'string') {
      this.topicConfigs.set(topicOrLog, config)
      for (const log of this.logs.values()) if (log.topic === topicOrLog) log.updateConfig(config)
    } else {
      this.topicConfigs.set(topicOrLog.topic, config)
      topicOrLog.updateConfig(config)
    }
  }

  /** Retention for every log. Returns the number of segments deleted. */
  cleanupLogs(): number {
    this.logger.debug(`${this.ident}Beginning log cleanup...`)
    const start = this.clock.monotonic()
    let total = 0
    for (const log of this.logs.values()) {
      if (log.isClosed) continue
      try {
        total += log.deleteOldSegments()
      } catch (e) {
        this.logger.error({ err: e }, `${this.ident}Error while cleaning up ${log}`)
      }
    }
    this.logger.debug(
      `${this.ident}Log cleanup completed. ${total} files deleted in ${(this.clock.monotonic() - start) / 1000} seconds`,
    )
    return total
  }

  /** Flushes every log whose flush.ms has passed since its last flush (the fsyncs on libuv's thread pool). */
  flushDirtyLogs(): Promise<void> {
    const now = this.clock.now()
    const flushes: Promise<void>[] = []
    for (const log of this.logs.values()) {
      if (log.isClosed) continue
      const since = now - log.lastFlushTime
      this.logger.debug(
        `${this.ident}Checking if flush is needed on ${log.topic} flush interval ${log.config.flushMs} last flushed ${log.lastFlushTime} time since last flush: ${since}`,
      )
      if (since >= log.config.flushMs) {
        flushes.push(
          log
            .flushAsync(log.logEndOffset)
            .catch((e: unknown) =>
              this.logger.error({ err: e }, `${this.ident}Error flushing topic ${log.topic}`),
            ),
        )
      }
    }
    return Promise.all(flushes).then(() => undefined)
  }

  /**
   * Writes recovery-point-offset-checkpoint in every directory, the write and its fsyncs on libuv's thread pool (the
   * periodic task: Kafka writes it on its scheduler's thread; on a slow disk the fsyncs take up to seconds). A
   * synchronous checkpoint meanwhile (a deleted log, the shutdown) is newer and wins.
   */
  checkpointLogRecoveryOffsets(): Promise<void> {
    return this.checkpointAsync((dir) =>
      this.writeCheckpointAsync(
        dir,
        RECOVERY_POINT_CHECKPOINT_FILE,
        'recovery offsets checkpoint',
        this.recoveryOffsets(dir),
      ),
    )
  }

  /** Writes log-start-offset-checkpoint in every directory (off the event loop, as checkpointLogRecoveryOffsets). */
  checkpointLogStartOffsets(): Promise<void> {
    return this.checkpointAsync((dir) =>
      this.writeCheckpointAsync(
        dir,
        LOG_START_OFFSET_CHECKPOINT_FILE,
        'log start offsets checkpoint',
        this.logStartOffsets(dir),
      ),
    )
  }

  private checkpointAsync(write: (dir: string) => Promise<void>): Promise<void> {
    return Promise.all(this.liveLogDirs.map(write)).then(() => undefined)
  }

  private checkpointDir(dir: string): void {
    this.checkpointRecoveryOffsetsInDir(dir)
    this.checkpointLogStartOffsetsInDir(dir)
  }

  /** The current and future logs of one directory (the checkpoints hold both, as in Kafka). */
  private allLogsInDir(dir: string): Log[] {
    return [...this.logsInDir(dir), ...this.futureLogsInDir(dir)]
  }

  private recoveryOffsets(dir: string): TopicPartitionOffset[] {
    return this.allLogsInDir(dir).map((l) => ({ ...l.topicPartition, offset: l.recoveryPoint }))
  }

  private logStartOffsets(dir: string): TopicPartitionOffset[] {
    return this.allLogsInDir(dir)
      .filter((l) => l.logStartOffset > l.logSegments[0]!.baseOffset)
      .map((l) => ({ ...l.topicPartition, offset: l.logStartOffset }))
  }

  private checkpointRecoveryOffsetsInDir(dir: string): void {
    this.writeCheckpoint(
      dir,
      RECOVERY_POINT_CHECKPOINT_FILE,
      'recovery offsets checkpoint',
      this.recoveryOffsets(dir),
    )
  }

  /** A checkpoint write; a failing one (a full disk) logs its error once, not every period. */
  private writeCheckpoint(dir: string, file: string, what: string, entries: TopicPartitionOffset[]): void {
    try {
      new OffsetCheckpointFile(join(dir, file)).write(entries)
      this.checkpointWritten(dir, file, what)
    } catch (e) {
      this.checkpointFailed(dir, file, what, e)
    }
  }

  /** writeCheckpoint() off the event loop; never rejects. */
  private async writeCheckpointAsync(
    dir: string,
    file: string,
    what: string,
    entries: TopicPartitionOffset[],
  ): Promise<void> {
    try {
      await new OffsetCheckpointFile(join(dir, file)).writeAsync(entries)
      this.checkpointWritten(dir, file, what)
    } catch (e) {
      if (this.liveLogDirs.includes(dir)) this.checkpointFailed(dir, file, what, e)
    }
  }

  private checkpointWritten(dir: string, file: string, what: string): void {
    this.faults.ok(`${dir}/${file}`, `${this.ident}Wrote the ${what} in directory ${dir} again`)
  }

  private checkpointFailed(dir: string, file: string, what: string, e: unknown): void {
    if (storageFault(e) === 'failed') this.failDir(dir, e)
    else
      this.faults.fail(
        `${dir}/${file}`,
        `${this.ident}Disk error while writing ${what} in directory ${dir}`,
        e,
      )
  }

  private checkpointLogStartOffsetsInDir(dir: string): void {
    this.writeCheckpoint(
      dir,
      LOG_START_OFFSET_CHECKPOINT_FILE,
      'log start offsets checkpoint',
      this.logStartOffsets(dir),
    )
  }

  private checkRunning(): void {
    if (!this.started) throw new Error('LogManager has not been started')
    if (this.stopped) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, 'LogManager is shut down')
  }

  /**
   * The process died (an in-process cluster's kill -9): every file is closed without writing anything — no flush, no
   * checkpoint, no producer snapshot, no clean shutdown marker — and the directory locks are let go (their files
   * stay), so that the next start recovers as after a crash. Nothing is written through this manager afterwards.
   */
  halt(): void {
    if (this.stopped) return
    this.stopped = true
    this.halted = true
    this._cleaner?.shutdown()
    for (const t of this.tasks) t.cancel()
    for (const { log, task } of this.pendingDeletes.values()) {
      task.cancel()
      log.closeHandlers()
    }
    this.pendingDeletes.clear()
    for (const log of [...this.logs.values(), ...this.futureLogs.values()]) log.closeHandlers()
    this.logs.clear()
    this.futureLogs.clear()
    for (const l of this.locks.splice(0)) abandonDirLock(l)
    this.scheduler.shutdown()
  }

  /**
   * Flushes and closes every log (taking producer snapshots), writes the checkpoints and the clean shutdown marker,
   * and releases the directory locks. Deletions still pending are finished now.
   */
  async shutdown(): Promise<void> {
    if (!this.started || this.stopped) return
    this.stopped = true
    this.logger.info(`${this.ident}Shutting down.`)
    this._cleaner?.shutdown()
    for (const t of this.tasks) t.cancel()
    for (const { log, task } of this.pendingDeletes.values()) {
      task.cancel()
      try {
        log.delete()
      } catch (e) {
        this.logger.warn({ err: e }, `${this.ident}Exception while deleting ${log}`)
      }
    }
    this.pendingDeletes.clear()
    for (const dir of this.liveLogDirs) {
      this.logger.info(`${this.ident}Flushing and closing logs at ${dir}`)
      const logs = this.allLogsInDir(dir)
      let ok = true
      // Kafka closes a directory's logs on num.recovery.threads.per.data.dir threads; here the fsyncs of
      // SHUTDOWN_CONCURRENCY logs at a time wait on libuv's thread pool.
      await forEachConcurrently(logs, SHUTDOWN_CONCURRENCY, async (log) => {
        try {
          await log.flushForClose()
          log.close()
        } catch (e) {
          ok = false
          this.logger.error(
            { err: e },
            `${this.ident}There was an error in one of the threads during logs shutdown: ${log}`,
          )
        }
      })
      this.logger.info(`${this.ident}Updating recovery points at ${dir}`)
      this.checkpointRecoveryOffsetsInDir(dir)
      this.logger.info(`${this.ident}Updating log start offsets at ${dir}`)
      this.checkpointLogStartOffsetsInDir(dir)
      if (ok) {
        this.logger.info(`${this.ident}Writing clean shutdown marker at ${dir}`)
        atomicWriteFileSync(
          join(dir, CLEAN_SHUTDOWN_FILE),
          JSON.stringify({ version: 0, brokerEpoch: this.opts.brokerEpoch ?? -1 }),
        )
      }
    }
    this.logs.clear()
    this.futureLogs.clear()
    for (const l of this.locks.splice(0)) releaseDirLock(l)
    this.scheduler.shutdown()
    this.logger.info(`${this.ident}Shutdown complete.`)
  }
}
