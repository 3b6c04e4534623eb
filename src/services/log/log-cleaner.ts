/**
 * Kafka's LogCleaner with its LogCleanerManager, for one process: compaction of the logs whose cleanup.policy
 * includes `compact`.
 *
 * A cleaner "thread" is a task on the log manager's scheduler. Each turn it picks the filthiest log (the largest
 * ratio of dirty bytes to clean + dirty bytes, above min.cleanable.dirty.ratio, or any dirty log whose
 * max.compaction.lag.ms has passed) and cleans it with the Cleaner, a bounded amount of work per turn (the job
 * resumes on the next turn, which follows at once); with nothing to clean it waits log.cleaner.backoff.ms. When a
 * log is done, its first dirty offset goes into `cleaner-offset-checkpoint` in its log directory (Kafka's format:
 * version 0, count, "topic partition offset" lines), which later passes and restarts start from.
 *
 * Settings honoured: log.cleaner.enable, log.cleaner.threads (divides the buffers, as in Kafka; one task runs),
 * log.cleaner.dedupe.buffer.size, log.cleaner.io.buffer.load.factor, log.cleaner.io.buffer.size,
 * log.cleaner.io.max.bytes.per.second (spaces the turns out) and log.cleaner.backoff.ms; per topic
 * min.cleanable.dirty.ratio, min.compaction.lag.ms, max.compaction.lag.ms, delete.retention.ms, segment.bytes,
 * segment.index.bytes and max.message.bytes (the warning about batches that grew). message.max.bytes only sizes
 * Kafka's read buffers, which batches read whole do not need.
 */
import { existsSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Clock, ScheduledTask, Scheduler } from '../../util/scheduler.js'
import type { Logger } from '../../util/logger.js'
import { OffsetCheckpointFile } from './checkpoint-file.js'
import { Cleaner, type CleanResult, type CleanerStats, type LogToClean } from './cleaner.js'
import { tpString, type TopicPartition } from './file-utils.js'
import type { Log } from './log.js'
import { isCompacted, isDeleteEnabled } from './log-config.js'
import { type OffsetMap, SkimpyOffsetMap } from './offset-map.js'

export const CLEANER_OFFSET_CHECKPOINT_FILE = 'cleaner-offset-checkpoint'

/** Kafka's CleanerConfig (the log.cleaner.* broker settings), with 3.9's defaults. */
export interface CleanerConfig {
  /** log.cleaner.enable (true) */
  enableCleaner: boolean
  /** log.cleaner.threads (1): the buffers below are divided among them, as Kafka does */
  numThreads: number
  /** log.cleaner.dedupe.buffer.size (128 MiB): memory of the key → offset map */
  dedupeBufferSize: number
  /** log.cleaner.io.buffer.load.factor (0.9): how full the map may get */
  dedupeBufferLoadFactor: number
  /** log.cleaner.io.buffer.size (512 KiB): the cleaner's read/write buffers; here also the unit of work between yields */
  ioBufferSize: number
  /** log.cleaner.io.max.bytes.per.second (unlimited) */
  maxIoBytesPerSecond: number
  /** log.cleaner.backoff.ms (15 s): the wait when no log needs cleaning */
  backOffMs: number
  /** Samsa's own bound on the bytes one scheduler turn may process (4 MiB) */
  maxBytesPerTurn: number
}

export function defaultCleanerConfig(): CleanerConfig {
  return {
    enableCleaner: true,
    numThreads: 1,
    dedupeBufferSize: 128 * 1024 * 1024,
    dedupeBufferLoadFactor: 0.9,
    ioBufferSize: 512 * 1024,
    maxIoBytesPerSecond: Number.MAX_VALUE,
    backOffMs: 15_000,
    maxBytesPerTurn: 4 * 1024 * 1024,
  }
}

export interface LogCleanerOptions {
  config?: Partial<CleanerConfig>
  /** the log directories: each gets its (empty) cleaner-offset-checkpoint at startup, as in Kafka */
  logDirs?: readonly string[]
  /** the logs to consider (the log manager's) */
  logs: () => Iterable<Log>
  /** runs the cleaner's turns and tells the time */
  scheduler: Scheduler
  logger: Logger
}

/** The outcome of cleaning one log. */
export interface CleanedLog {
  log: Log
  firstDirtyOffset: number
  endOffset: number
  stats: CleanerStats
}

/** The cleanable range of a log (LogCleanerManager.OffsetsToClean). */
export interface OffsetsToClean {
  firstDirtyOffset: number
  firstUncleanableDirtyOffset: number
  forceUpdateCheckpoint: boolean
}

/** LogCleanerManager.cleanableOffsets: where cleaning may start and where it must stop. */
export function cleanableOffsets(
  log: Log,
  lastCleanOffset: number | undefined,
  now: number,
  logger?: Logger,
): OffsetsToClean {
  const logStartOffset = log.logStartOffset
  const checkpointDirtyOffset = lastCleanOffset ?? logStartOffset
  let firstDirtyOffset: number
  let forceUpdateCheckpoint: boolean
  if (checkpointDirtyOffset < logStartOffset) {
    if (!(isCompacted(log.config) && isDeleteEnabled(log.config))) {
      logger?.warn(
        `Resetting first dirty offset of ${log.name} to log start offset ${logStartOffset} since the checkpointed offset ${checkpointDirtyOffset} is invalid.`,
      )
    }
    firstDirtyOffset = logStartOffset
    forceUpdateCheckpoint = true
  } else if (checkpointDirtyOffset > log.logEndOffset) {
    logger?.warn(
      `The last checkpoint dirty offset for partition ${log.name} is ${checkpointDirtyOffset}, which is larger than the log end offset ${log.logEndOffset}. Resetting to the log start offset ${logStartOffset}.`,
    )
    firstDirtyOffset = logStartOffset
    forceUpdateCheckpoint = true
  } else {
    firstDirtyOffset = checkpointDirtyOffset
    forceUpdateCheckpoint = false
  }
  const minCompactionLagMs = Math.max(log.config.minCompactionLagMs, 0)
  // not past the last stable offset (nor the high watermark), the active segment, nor segments within the lag
  let firstUncleanableDirtyOffset = Math.min(log.lastStableOffset, log.activeSegment.baseOffset)
  if (minCompactionLagMs > 0) {
    const seg = log
      .nonActiveLogSegmentsFrom(firstDirtyOffset)
      .find((s) => s.largestTimestamp() > now - minCompactionLagMs)
    if (seg) firstUncleanableDirtyOffset = Math.min(firstUncleanableDirtyOffset, seg.baseOffset)
  }
  return {
    firstDirtyOffset,
    firstUncleanableDirtyOffset: Math.max(firstDirtyOffset, firstUncleanableDirtyOffset),
    forceUpdateCheckpoint,
  }
}

/** LogCleanerManager.calculateCleanableBytes: the first uncleanable segment's base offset and the dirty bytes. */
export function calculateCleanableBytes(
  log: Log,
  firstDirtyOffset: number,
  uncleanableOffset: number,
): { firstUncleanableOffset: number; cleanableBytes: number } {
  const nonActive = log.nonActiveLogSegmentsFrom(uncleanableOffset)
  const firstUncleanableSegment = nonActive[0] ?? log.activeSegment
  const firstUncleanableOffset = firstUncleanableSegment.baseOffset
  let cleanableBytes = 0
  for (const s of log.logSegmentsInRange(
    Math.min(firstDirtyOffset, firstUncleanableOffset),
    firstUncleanableOffset,
  ))
    cleanableBytes += s.size
  return { firstUncleanableOffset, cleanableBytes }
}

/** LogCleanerManager.maxCompactionDelay: how far past max.compaction.lag.ms the oldest dirty segment is. */
export function maxCompactionDelay(log: Log, firstDirtyOffset: number, now: number): number {
  let earliest = Number.POSITIVE_INFINITY
  for (const s of log.nonActiveLogSegmentsFrom(firstDirtyOffset)) {
    const ts = s.getFirstBatchTimestamp()
    if (ts > 0 && ts < earliest) earliest = ts
  }
  const maxCompactionLagMs = Math.max(log.config.maxCompactionLagMs, 0)
  const cleanUntilTime = now - maxCompactionLagMs
  return earliest < cleanUntilTime ? cleanUntilTime - earliest : 0
}

/** The LogToClean of a log (its clean and cleanable bytes and ratio). */
export function logToClean(
  log: Log,
  firstDirtyOffset: number,
  uncleanableOffset: number,
  needCompactionNow: boolean,
): LogToClean {
  let cleanBytes = 0
  for (const s of log.logSegmentsInRange(-1, firstDirtyOffset)) cleanBytes += s.size
  const { firstUncleanableOffset, cleanableBytes } = calculateCleanableBytes(
    log,
    firstDirtyOffset,
    uncleanableOffset,
  )
  const totalBytes = cleanBytes + cleanableBytes
  return {
    log,
    firstDirtyOffset,
    firstUncleanableOffset,
    cleanBytes,
    cleanableBytes,
    totalBytes,
    cleanableRatio: totalBytes === 0 ? 0 : cleanableBytes / totalBytes,
    needCompactionNow,
  }
}

/** One log being cleaned, possibly over several scheduler turns. */
class CleaningJob {
  private readonly gen: Generator<number, CleanResult, void>
  private generation: number
  state: 'running' | 'done' | 'aborted' | 'failed' = 'running'
  result: CleanResult | undefined
  error: unknown

  constructor(
    readonly cleanable: LogToClean,
    cleaner: Cleaner,
    map: OffsetMap,
    currentTime: number,
  ) {
    const log = cleanable.log
    this.generation = log.segmentsGeneration
    this.gen = cleaner.clean(cleanable, map, currentTime, () => {
      // our own swap changed the segments: that is no reason to stop
      this.generation = log.segmentsGeneration
    })
  }

  get log(): Log {
    return this.cleanable.log
  }

  /** Runs until `budget` bytes were processed or the job ended; returns the bytes processed. */
  step(budget: number): number {
    let processed = 0
    while (this.state === 'running' && processed < budget) {
      if (this.log.isClosed || this.log.segmentsGeneration !== this.generation) {
        this.abort()
        break
      }
      let r: IteratorResult<number, CleanResult>
      try {
        r = this.gen.next()
      } catch (e) {
        this.state = 'failed'
        this.error = e
        break
      }
      if (r.done) {
        this.state = 'done'
        this.result = r.value
      } else processed += r.value
    }
    return processed
  }

  /** Stops the job; its unfinished cleaned segment is deleted (the generator's finally blocks). */
  abort(): void {
    if (this.state !== 'running') return
    this.state = 'aborted'
    try {
      this.gen.return(undefined as unknown as CleanResult)
    } catch (e) {
      this.error = e
    }
  }
}

function mb(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1)
}

function rate(bytes: number, secs: number): string {
  return secs > 0 ? mb(bytes / secs) : 'Infinity'
}

export class LogCleaner {
  readonly config: CleanerConfig
  private readonly cleaner: Cleaner
  private readonly logs: () => Iterable<Log>
  private readonly logDirs: readonly string[]
  private readonly scheduler: Scheduler
  private readonly clock: Clock
  private readonly logger: Logger
  private readonly threadIdent = '[kafka-log-cleaner-thread-0]: '
  /** cleaner checkpoints per log directory, read on first use */
  private readonly checkpoints = new Map<string, Map<string, number>>()
  /** partitions whose cleaning failed, by log directory (not retried until the log is gone) */
  private readonly uncleanable = new Set<string>()
  /**
   * Partitions whose cleaning is paused, with the number of pauses holding it (LogCleanerManager's
   * LogCleaningPaused(n)): cleaning resumes when every pause was resumed.
   */
  private readonly paused = new Map<string, number>()
  private job: CleaningJob | undefined
  private task: ScheduledTask | undefined
  private running = false
  private _lastStats: CleanedLog | undefined
  private dirtiestLogCleanableRatio = 0

  constructor(o: LogCleanerOptions) {
    this.config = { ...defaultCleanerConfig(), ...o.config }
    this.logs = o.logs
    this.logDirs = o.logDirs ?? []
    this.scheduler = o.scheduler
    this.clock = o.scheduler.clock
    this.logger = o.logger
    const threads = Math.max(1, this.config.numThreads)
    this.cleaner = new Cleaner({
      id: 0,
      ioBufferSize: Math.max(1, Math.floor(this.config.ioBufferSize / threads / 2)),
      dupBufferLoadFactor: this.config.dedupeBufferLoadFactor,
      clock: this.clock,
      logger: this.logger,
    })
  }

  /** The statistics of the last log cleaned. */
  get lastCleaned(): CleanedLog | undefined {
    return this._lastStats
  }

  /** The largest cleanable ratio seen by the last pass (Kafka's max-dirty-percent / 100). */
  get maxDirtyRatio(): number {
    return this.dirtiestLogCleanableRatio
  }

  /** True while a cleaning is spread over several turns. */
  get cleaningInProgress(): boolean {
    return this.job !== undefined
  }

  /** Starts the cleaner task (Kafka starts its threads at once; the first turn here waits log.cleaner.backoff.ms). */
  startup(): void {
    if (this.running) return
    this.running = true
    this.logger.info('Starting the log cleaner')
    for (const dir of this.logDirs) {
      const f = this.checkpointFile(dir)
      try {
        if (!existsSync(f.path)) writeFileSync(f.path, '')
      } catch (e) {
        this.logger.error({ err: e }, `Failed to create ${f.path}`)
      }
    }
    this.schedule(this.config.backOffMs)
  }

  /** Stops the task; a cleaning in progress is abandoned (its `.cleaned` files are deleted). */
  shutdown(): void {
    if (!this.running && !this.job) return
    this.logger.info('Shutting down the log cleaner.')
    this.running = false
    this.task?.cancel()
    this.task = undefined
    this.job?.abort()
    this.job = undefined
  }

  private schedule(delayMs: number): void {
    if (!this.running) return
    this.task?.cancel()
    this.task = this.scheduler.schedule('kafka-log-cleaner-thread-0', () => this.doWork(), delayMs)
  }

  /**
   * One scheduler turn: at most maxBytesPerTurn bytes of work on one log. The next turn follows at once while a
   * cleaning is under way or one just finished (another log may be dirty), else after log.cleaner.backoff.ms; with
   * log.cleaner.io.max.bytes.per.second set, turns are spaced so that the rate stays below it.
   */
  private doWork(): void {
    this.task = undefined
    if (!this.running) return
    let processed = 0
    let cleaned = false
    try {
      if (!this.job) {
        const next = this.grabFilthiestCompactedLog()
        if (next) this.job = this.newJob(next)
      }
      if (this.job) {
        processed = this.job.step(this.config.maxBytesPerTurn)
        if (this.job.state !== 'running') {
          cleaned = this.finishJob(this.job)
          this.job = undefined
        }
      }
    } catch (e) {
      this.logger.error({ err: e }, `${this.threadIdent}Error due to`)
    }
    let delay = this.job || cleaned ? 0 : this.config.backOffMs
    const maxRate = this.config.maxIoBytesPerSecond
    if (processed > 0 && maxRate > 0 && maxRate < Number.MAX_VALUE) {
      delay = Math.max(delay, Math.ceil((processed / maxRate) * 1000))
    }
    this.schedule(delay)
  }

  /**
   * Cleans synchronously: finishes a cleaning in progress, or picks the filthiest log that needs cleaning and
   * cleans it to the end. Returns what was cleaned, or undefined when no log needed it (or the cleaning stopped).
   */
  runPass(): CleanedLog | undefined {
    if (!this.job) {
      const next = this.grabFilthiestCompactedLog()
      if (!next) return undefined
      this.job = this.newJob(next)
    }
    const job = this.job
    while (job.state === 'running') job.step(Number.POSITIVE_INFINITY)
    this.job = undefined
    return this.finishJob(job) ? this._lastStats : undefined
  }

  /** Cleans `log` now if it has anything cleanable, whatever its dirty ratio. */
  cleanLog(log: Log): CleanedLog | undefined {
    if (this.job && this.job.log !== log) {
      this.runPass()
    }
    if (!this.job) {
      const c = this.toClean(log, this.clock.now())
      if (!c || c.cleanableBytes <= 0) return undefined
      this.job = this.newJob(c)
    }
    return this.runPass()
  }

  private newJob(cleanable: LogToClean): CleaningJob {
    const threads = Math.max(1, this.config.numThreads)
    const memory = Math.min(Math.floor(this.config.dedupeBufferSize / threads), 2147483647)
    // the map is sized for the dirty section at hand (at least a few thousand keys), never beyond the buffer size
    const wanted =
      Math.ceil(Math.max(4096, cleanable.cleanableBytes / 8) / this.config.dedupeBufferLoadFactor) * 24
    const map = new SkimpyOffsetMap(Math.min(memory, wanted))
    if (map.slots * this.config.dedupeBufferLoadFactor <= 1) {
      throw new Error(
        'offset map is too small to fit in even a single message, so log cleaning will never make progress. ' +
          'You can increase log.cleaner.dedupe.buffer.size or decrease log.cleaner.threads',
      )
    }
    return new CleaningJob(cleanable, this.cleaner, map, this.clock.now())
  }

  /** Records the end of a job (LogCleanerManager.doneCleaning); true when the log was cleaned. */
  private finishJob(job: CleaningJob): boolean {
    const log = job.log
    const from = job.cleanable.firstDirtyOffset
    if (job.state === 'done' && job.result) {
      const { endOffset, stats } = job.result
      this._lastStats = { log, firstDirtyOffset: from, endOffset, stats }
      this.recordStats(log.name, from, endOffset, stats)
      if (!log.isClosed) this.updateCheckpoint(log, endOffset)
      return true
    }
    if (job.state === 'failed') {
      this.logger.warn(
        { err: job.error },
        `${this.threadIdent}Unexpected exception thrown when cleaning log ${log}. Marking its partition (${log.name}) as uncleanable`,
      )
      this.uncleanable.add(this.key(log))
      return false
    }
    this.logger.info(`${this.threadIdent}The cleaning of ${log.name} was aborted: its segments changed`)
    return false
  }

  private recordStats(name: string, from: number, to: number, stats: CleanerStats): void {
    const elapsed = stats.elapsedSecs
    const indexSecs = stats.elapsedIndexSecs
    const cleanSecs = elapsed - indexSecs
    const pct = (a: number, b: number): string => (b > 0 ? ((100 * a) / b).toFixed(1) : '0.0')
    const message =
      `\n\tLog cleaner thread ${this.cleaner.id} cleaned log ${name} (dirty section = [${from}, ${to}])\n` +
      `\t${mb(stats.bytesRead)} MB of log processed in ${elapsed.toFixed(1)} seconds (${rate(stats.bytesRead, elapsed)} MB/sec).\n` +
      `\tIndexed ${mb(stats.mapBytesRead)} MB in ${indexSecs.toFixed(1)} seconds (${rate(stats.mapBytesRead, indexSecs)} Mb/sec, ${pct(indexSecs, elapsed)}% of total time)\n` +
      `\tBuffer utilization: ${(100 * stats.bufferUtilization).toFixed(1)}%\n` +
      `\tCleaned ${mb(stats.bytesRead)} MB in ${cleanSecs.toFixed(1)} seconds (${rate(stats.bytesRead, cleanSecs)} Mb/sec, ${pct(cleanSecs, elapsed)}% of total time)\n` +
      `\tStart size: ${mb(stats.bytesRead)} MB (${stats.messagesRead} messages)\n` +
      `\tEnd size: ${mb(stats.bytesWritten)} MB (${stats.messagesWritten} messages)\n` +
      `\t${(100 * (1 - (stats.bytesRead > 0 ? stats.bytesWritten / stats.bytesRead : 1))).toFixed(1)}% size reduction ` +
      `(${(100 * (1 - (stats.messagesRead > 0 ? stats.messagesWritten / stats.messagesRead : 1))).toFixed(1)}% fewer messages)\n`
    this.logger.info(`${this.threadIdent}${message}`)
    if (stats.invalidMessagesRead > 0) {
      this.logger.warn(
        `${this.threadIdent}\tFound ${stats.invalidMessagesRead} invalid messages during compaction.`,
      )
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // choosing logs (LogCleanerManager)

  private key(log: Log): string {
    return `${log.parentDir}\u0000${log.name}`
  }

  private checkpointFile(dir: string): OffsetCheckpointFile {
    return new OffsetCheckpointFile(resolve(dir, CLEANER_OFFSET_CHECKPOINT_FILE))
  }

  private checkpointsOf(dir: string): Map<string, number> {
    const d = resolve(dir)
    let m = this.checkpoints.get(d)
    if (!m) {
      try {
        m = this.checkpointFile(d).readMap()
      } catch (e) {
        this.logger.warn(
          { err: e },
          `Failed to read the cleaner checkpoint in ${d}: cleaning starts from the log start offsets`,
        )
        m = new Map()
      }
      this.checkpoints.set(d, m)
    }
    return m
  }

  /** The cleaner checkpoints of every log directory seen (LogCleanerManager.allCleanerCheckpoints). */
  allCleanerCheckpoints(): Map<string, number> {
    const out = new Map<string, number>()
    for (const log of this.logs()) {
      const v = this.checkpointsOf(log.parentDir).get(log.name)
      if (v !== undefined) out.set(log.name, v)
    }
    return out
  }

  /** The checkpointed first dirty offset of a log. */
  checkpointOf(log: Log): number | undefined {
    return this.checkpointsOf(log.parentDir).get(log.name)
  }

  /**
   * Writes the checkpoint of `dir` with `update` set and `remove` removed (LogCleanerManager.updateCheckpoints);
   * entries of logs no longer present are dropped.
   */
  updateCheckpoints(
    dir: string,
    update?: { tp: TopicPartition; offset: number },
    remove?: TopicPartition,
  ): void {
    const d = resolve(dir)
    const current = this.checkpointsOf(d)
    const present = new Set<string>()
    for (const log of this.logs()) if (log.parentDir === d && !log.isClosed) present.add(log.name)
    const next = new Map<string, number>()
    for (const [k, v] of current) if (present.has(k)) next.set(k, v)
    if (remove) next.delete(tpString(remove))
    if (update) next.set(tpString(update.tp), update.offset)
    this.checkpoints.set(d, next)
    const entries = [...next].map(([k, offset]) => {
      const dash = k.lastIndexOf('-')
      return { topic: k.substring(0, dash), partition: Number(k.substring(dash + 1)), offset }
    })
    try {
      this.checkpointFile(d).write(entries)
    } catch (e) {
      this.logger.error(
        { err: e },
        `Failed to access checkpoint file ${CLEANER_OFFSET_CHECKPOINT_FILE} in dir ${d}`,
      )
    }
  }

  private updateCheckpoint(log: Log, offset: number): void {
    this.updateCheckpoints(log.parentDir, { tp: log.topicPartition, offset })
  }

  /** Lowers the checkpoint of a truncated log to the truncation point (LogCleanerManager.maybeTruncateCheckpoint). */
  maybeTruncateCheckpoint(log: Log, offset: number): void {
    if (!isCompacted(log.config)) return
    const current = this.checkpointOf(log)
    if (current !== undefined && current > offset) this.updateCheckpoint(log, offset)
  }

  /**
   * Stops a cleaning of the partition in progress and forgets the partition: its checkpoint entry goes (the log is
   * being deleted) and it is no longer uncleanable.
   */
  abortCleaning(tp: TopicPartition, dir?: string): void {
    const name = tpString(tp)
    if (
      this.job &&
      this.job.log.name === name &&
      (dir === undefined || this.job.log.parentDir === resolve(dir))
    ) {
      this.job.abort()
      this.job = undefined
    }
    for (const k of [...this.uncleanable]) if (k.endsWith(`\u0000${name}`)) this.uncleanable.delete(k)
    if (dir !== undefined) this.updateCheckpoints(dir, undefined, tp)
  }

  /**
   * Stops a cleaning of the partition in progress and keeps the partition from being cleaned until resumeCleaning
   * (LogCleanerManager.abortAndPauseCleaning): a replica moving between log directories is copied as it is. Pauses
   * nest: each needs its own resume.
   */
  abortAndPauseCleaning(tp: TopicPartition): void {
    const name = tpString(tp)
    if (this.job && this.job.log.name === name) {
      this.job.abort()
      this.job = undefined
    }
    this.paused.set(name, (this.paused.get(name) ?? 0) + 1)
    this.logger.info(`The cleaning for partition ${name} is aborted and paused`)
  }

  /** Lifts one pause of the partition's cleaning (LogCleanerManager.resumeCleaning). */
  resumeCleaning(tp: TopicPartition): void {
    const name = tpString(tp)
    const n = this.paused.get(name)
    if (n === undefined) {
      // Kafka throws IllegalStateException here; a resume without its pause is a bug of the caller, not the log's
      this.logger.warn(`Compaction for partition ${name} cannot be resumed since it is not paused.`)
      return
    }
    if (n > 1) this.paused.set(name, n - 1)
    else {
      this.paused.delete(name)
      this.logger.info(`Cleaning for partition ${name} is resumed`)
    }
  }

  /** Whether the partition's cleaning is paused. */
  isCleaningPaused(tp: TopicPartition): boolean {
    return this.paused.has(tpString(tp))
  }

  /**
   * Moves the partition's checkpoint entry from one log directory's cleaner checkpoint to another's
   * (LogCleanerManager.alterCheckpointDir): a replica moved between directories keeps its first dirty offset.
   */
  alterCheckpointDir(tp: TopicPartition, sourceDir: string, destDir: string): void {
    const offset = this.checkpointsOf(sourceDir).get(tpString(tp))
    if (offset === undefined) return
    this.updateCheckpoints(sourceDir, undefined, tp)
    this.updateCheckpoints(destDir, { tp, offset })
  }

  /** The cleanable state of `log`, or undefined for a log that is not compacted, closed, paused or uncleanable. */
  private toClean(log: Log, now: number): LogToClean | undefined {
    if (log.isClosed || !isCompacted(log.config) || this.uncleanable.has(this.key(log))) return undefined
    if (this.paused.has(log.name)) return undefined
    const truncated = log.takeTruncationOffset()
    if (truncated !== undefined) this.maybeTruncateCheckpoint(log, truncated)
    const offsets = cleanableOffsets(log, this.checkpointOf(log), now, this.logger)
    if (offsets.forceUpdateCheckpoint) this.updateCheckpoint(log, offsets.firstDirtyOffset)
    const delay = maxCompactionDelay(log, offsets.firstDirtyOffset, now)
    return logToClean(log, offsets.firstDirtyOffset, offsets.firstUncleanableDirtyOffset, delay > 0)
  }

  /** LogCleanerManager.grabFilthiestCompactedLog: the dirtiest log that needs cleaning, if any. */
  private grabFilthiestCompactedLog(): LogToClean | undefined {
    const now = this.clock.now()
    const dirty: LogToClean[] = []
    for (const log of this.logs()) {
      let c: LogToClean | undefined
      try {
        c = this.toClean(log, now)
      } catch (e) {
        this.logger.warn(
          { err: e },
          `${this.threadIdent}Failed to calculate log cleaning stats for partition ${log.name}. Marking it as uncleanable`,
        )
        this.uncleanable.add(this.key(log))
        continue
      }
      if (c && c.totalBytes > 0) dirty.push(c)
    }
    this.dirtiestLogCleanableRatio = dirty.reduce((m, c) => Math.max(m, c.cleanableRatio), 0)
    const cleanable = dirty.filter(
      (c) =>
        (c.needCompactionNow && c.cleanableBytes > 0) ||
        c.cleanableRatio > c.log.config.minCleanableDirtyRatio,
    )
    if (cleanable.length === 0) return undefined
    return cleanable.reduce((best, c) => (c.cleanableRatio > best.cleanableRatio ? c : best))
  }
}
