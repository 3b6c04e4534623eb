/**
 * Kafka's ReplicaManager: the partitions this broker hosts, what role it plays for each (leader, follower, or
 * nothing), appends as leader with acks handling, reads for consumers and followers with long-polling, the
 * high watermark and ISR maintenance, and the high-watermark checkpoint.
 *
 * Roles come from the partition state znodes via the MetadataCache (see its design note): every change of a
 * partition's state is applied here with makeLeader / makeFollower / stopReplica, as Kafka does on a
 * LeaderAndIsr request. ISR changes decided by this broker as leader are written to the state znode
 * conditionally on its zkVersion (Kafka's ZooKeeper-mode ISR propagation), so a concurrent controller decision
 * always wins and is then applied like any other.
 */
import type { ClientMetadata, ReplicaSelector, ReplicaView } from './replica-selector.js'
import { join } from 'node:path'
import { ErrorCode, errorName, KafkaError, toErrorCode, toErrorMessage } from '../../protocol/errors.js'
import { asStorageError, FaultLog } from '../log/storage-faults.js'
import { OffsetCheckpointFile, type TopicPartitionOffset } from '../log/checkpoint-file.js'
import { RecordValidationError, type RecordError } from '../log/errors.js'
import type { Clock, ScheduledTask, Scheduler } from '../../util/scheduler.js'
import type { VerificationGuard } from '../log/producer-state.js'
import { iterateBatches } from '../../protocol/records/batch.js'
import type { Logger } from '../../util/logger.js'
import type { BrokerMetrics } from '../metrics/broker-metrics.js'
import type { LogConfig } from '../log/log-config.js'
import { logFutureDirName, type Log, type LogReadPlan } from '../log/log.js'
import { type AlterLogDirsQuota, ReplicaAlterLogDirsManager } from './alter-log-dirs.js'
import { fetchBufferPool } from '../../util/buffer-pool.js'
import type { LogManager } from '../log/log-manager.js'
import type { KafkaZkClient } from '../metadata/kafka-zk-client.js'
import type { MetadataCache, PartitionInfo } from '../metadata/metadata-cache.js'
import { Partition, type PartitionStateUpdate } from './partition.js'
import { Purgatory, type DelayedOperation } from './purgatory.js'
import type { ReplicationQuotaManager } from '../quota/replication-quota.js'

export interface TopicPartition {
  readonly topic: string
  readonly partition: number
}

export const tpKey = (topic: string, partition: number): string => `${topic}-${partition}`

export type AppendOrigin = 'client' | 'coordinator' | 'replication'

export interface ProducePartitionResult {
  errorCode: number
  errorMessage: string | null
  /** The records that caused INVALID_RECORD / INVALID_TIMESTAMP (Produce v8+ record_errors). */
  recordErrors: readonly RecordError[]
  baseOffset: number
  logAppendTimeMs: number
  logStartOffset: number
}

export interface FetchPartitionRequest {
  readonly topic: string
  readonly partition: number
  readonly fetchOffset: number
  readonly partitionMaxBytes: number
  readonly currentLeaderEpoch: number
  readonly lastFetchedEpoch: number
  readonly logStartOffset: number
}

/** An aborted transaction a read_committed consumer must drop (Fetch v4+). */
export interface AbortedTransaction {
  readonly producerId: number
  readonly firstOffset: number
}

export interface FetchPartitionResult {
  readonly topic: string
  readonly partition: number
  readonly errorCode: number
  readonly highWatermark: number
  readonly lastStableOffset: number
  /** READ_COMMITTED consumers: the aborted transactions overlapping the records (null otherwise) */
  readonly abortedTransactions: readonly AbortedTransaction[] | null
  readonly logStartOffset: number
  readonly records: Buffer | null
  readonly divergingEpoch: { epoch: number; endOffset: number } | null
  readonly currentLeader: { leaderId: number; leaderEpoch: number } | null
  /** KIP-392: the follower the consumer should read this partition from (no records come with it); -1 = none. */
  readonly preferredReadReplica?: number
}

export interface FetchParams {
  /** -1 for consumers, the broker id for followers, -2 for "debug" consumers allowed to read followers. */
  readonly replicaId: number
  readonly maxWaitMs: number
  readonly minBytes: number
  readonly maxBytes: number
  /** 0 = READ_UNCOMMITTED, 1 = READ_COMMITTED */
  readonly isolationLevel: number
  readonly partitions: readonly FetchPartitionRequest[]
  /**
   * Consumers' Fetch v11+ (Kafka's ClientMetadata): such a consumer may read from a follower, and the leader may
   * name a preferred read replica for it. Absent for older consumers, which read only from the leader.
   */
  readonly clientMetadata?: ClientMetadata | null
}

/** Kafka's FetchParams.fetchOnlyFromLeader: followers, and consumers older than Fetch v11, read only a leader. */
function fetchOnlyFromLeader(params: FetchParams): boolean {
  return params.replicaId >= 0 || (params.replicaId === -1 && !params.clientMetadata)
}

export const HIGH_WATERMARK_CHECKPOINT_FILE = 'replication-offset-checkpoint'

/** Fetch isolation levels. */
export const READ_UNCOMMITTED = 0
export const READ_COMMITTED = 1

/**
 * The aborted transactions a read_committed consumer needs for `records` read from `fetchOffset`: those whose
 * range overlaps what was read (up to the end of its last batch, partial or not — a wider bound only adds
 * entries the consumer ignores).
 */
function abortedTransactionsFor(log: Log, fetchOffset: number, records: Buffer): AbortedTransaction[] {
  if (records.length === 0) return []
  let upperBound = fetchOffset
  for (const b of iterateBatches(records)) {
    if (b.kind === 'v2') upperBound = Math.max(upperBound, b.header.lastOffset + 1)
    else if (b.kind === 'partial' && b.available >= 27) {
      // base offset (int64 at 0) + last offset delta (int32 at 23) of the batch cut off at the end
      const base = Number(records.readBigInt64BE(b.position))
      upperBound = Math.max(upperBound, base + records.readInt32BE(b.position + 23) + 1)
    }
  }
  if (upperBound <= fetchOffset) upperBound = log.logEndOffset
  return log
    .collectAbortedTransactions(fetchOffset, upperBound)
    .map((t) => ({ producerId: t.producerId, firstOffset: t.firstOffset }))
}

/** One partition of a fetch: its result, and the read to fill in its records (none after an error). */
interface PlannedPartition {
  result: FetchPartitionResult
  /** bytes the read will return */
  bytes: number
  read?: { log: Log; plan: LogReadPlan; readCommitted: boolean; fetchOffset: number }
}

interface PlannedFetch {
  partitions: PlannedPartition[]
  bytes: number
  anyError: boolean
}

export interface ReplicaManagerOptions {
  readonly brokerId: number
  readonly replicaLagTimeMaxMs: number
  /** replica.high.watermark.checkpoint.interval.ms */
  readonly highWatermarkCheckpointIntervalMs: number
  /** The effective log config of a topic (broker defaults plus topic overrides). */
  readonly logConfigFor: (topic: string, overrides: ReadonlyMap<string, string>) => LogConfig
  readonly minInsyncReplicasFor: (topic: string, overrides: ReadonlyMap<string, string>) => number
  /** Runs the ISR expiration, the high watermark checkpoint and the purgatories' timeouts; tells the time. */
  readonly scheduler: Scheduler
  readonly log: Logger
  /** Kafka's state.change.logger (a leader's or follower's new epoch); default: `log`. */
  readonly stateChangeLog?: Logger
  /** Counts appends and ISR changes (Kafka's BrokerTopicStats and ReplicaManager meters). */
  readonly metrics?: BrokerMetrics
  /** The leader side of replication throttles (KIP-73): what this broker sends to followers. */
  readonly leaderQuota?: ReplicationQuotaManager
  /**
   * zookeeper.session.timeout.ms (cluster mode): cut off from ZooKeeper for longer than this, the broker's session
   * is as good as expired and another broker may lead its partitions (see `isDeposed`). Unset: never.
   */
  readonly zkSessionTimeoutMs?: number
  /** `replica.selector.class` (KIP-392); null: consumers are never sent to a follower. */
  readonly replicaSelector?: ReplicaSelector | null
  /** Moves of replicas between log directories (AlterReplicaLogDirs): their throttle and chunk size. */
  readonly alterLogDirs?: {
    /** replica.alter.log.dirs.io.max.bytes.per.second, as a quota over every move */
    readonly quota?: AlterLogDirsQuota
    readonly rate?: () => number
    /** replica.fetch.max.bytes */
    readonly chunkBytes?: number
    /** replica.fetch.backoff.ms */
    readonly backoffMs?: number
  }
}

/** Hooks for the services that follow partition leadership (the group coordinator for __consumer_offsets). */
export interface LeadershipListener {
  onBecomeLeader(tp: TopicPartition, leaderEpoch: number): void
  onResign(tp: TopicPartition, leaderEpoch: number): void
}

/**
 * KIP-890: asks a producer's transaction coordinator whether its transaction includes partitions (see
 * transaction/partition-verifier.ts); resolves with the partitions that are not verified and their error.
 */
export interface TransactionVerifier {
  verifyTransaction(
    transactionalId: string,
    producerId: number,
    producerEpoch: number,
    partitions: readonly TopicPartition[],
    supportsAbortable: boolean,
  ): Promise<Map<TopicPartition, number>>
}

export interface AppendRecordsOptions {
  /** The producer's transactional id (Produce v3+), for the verification of transactional batches. */
  readonly transactionalId?: string | null
  /** Whether the client understands TRANSACTION_ABORTABLE (Produce v11+). */
  readonly supportsAbortable?: boolean
  /** Guards of verifications done by the caller (TxnOffsetCommit), by partition key. */
  readonly verificationGuards?: ReadonlyMap<string, VerificationGuard>
}

/**
 * How a failed verification is reported to a producer (Kafka's ReplicaManager): retriable coordinator errors
 * become NOT_ENOUGH_REPLICAS, which every client retries without a metadata refresh.
 */
function produceErrorForVerification(code: number): { code: number; message: string } {
  switch (code) {
    case ErrorCode.INVALID_TXN_STATE:
      return { code, message: 'Partition was not added to the transaction' }
    case ErrorCode.CONCURRENT_TRANSACTIONS:
    case ErrorCode.NETWORK_EXCEPTION:
    case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
    case ErrorCode.COORDINATOR_NOT_AVAILABLE:
    case ErrorCode.NOT_COORDINATOR:
      return {
        code: ErrorCode.NOT_ENOUGH_REPLICAS,
        message: `Unable to verify the partition has been added to the transaction. Underlying error: ${errorName(code)}`,
      }
    default:
      return { code, message: `Transaction verification failed: ${errorName(code)}` }
  }
}

/** The follower side: pulls data from leaders (see replica-fetcher.ts). */
export interface FollowerFetcher {
  addPartition(p: Partition): void
  removePartition(key: string): void
  shutdown(): Promise<void>
  /** The measured rate of the follower side's replication throttle, in bytes per second (0 without one). */
  throttledByteRate(): number
}

export class ReplicaManager {
  private readonly partitions = new Map<string, Partition>()
  /**
   * Replicas whose log directory failed (Kafka's HostedPartition.Offline): until the broker restarts no state
   * change touches them — they neither fetch nor lead nor get a new empty log in another directory.
   */
  private readonly offlineReplicas = new Set<string>()
  readonly delayedProduce: Purgatory
  readonly delayedFetch: Purgatory
  private readonly listeners: LeadershipListener[] = []
  private fetcher: FollowerFetcher | undefined
  /** Copies replicas being moved to another log directory into their future logs (AlterReplicaLogDirs). */
  private readonly alterLogDirs: ReplicaAlterLogDirsManager
  private verifier: TransactionVerifier | undefined
  private readonly clock: Clock
  private isrTimer: ScheduledTask | undefined
  private hwTimer: ScheduledTask | undefined
  /** High watermarks from replication-offset-checkpoint, applied when a partition's log is first opened. */
  private checkpointedHw = new Map<string, number>()
  private readonly brokerId: number
  private readonly log: Logger
  private readonly stateChangeLog: Logger
  private readonly checkpointFaults: FaultLog
  /** The periodic high watermark checkpoint while it writes (checkpointHighWatermarksAsync). */
  private hwCheckpointWrite: Promise<void> | undefined
  private stopped = false
  /** Since when (clock time) the ZooKeeper connection has been lost; undefined while connected. */
  private zkLostAt: number | undefined
  /**
   * Partitions led here when a new ZooKeeper session replaced an expired one, until the controller's state for them
   * is read again: what this broker knows of them predates the expiry (see `isDeposed`).
   */
  private readonly ledBeforeNewSession = new Set<string>()
  /** Partitions whose deposition (see `isDeposed`) was logged, until ZooKeeper is back. */
  private readonly deposedLogged = new Set<string>()

  constructor(
    private readonly opts: ReplicaManagerOptions,
    private readonly logManager: LogManager,
    private readonly metadata: MetadataCache,
    private readonly zk: KafkaZkClient,
  ) {
    this.brokerId = opts.brokerId
    this.log = opts.log
    this.stateChangeLog = opts.stateChangeLog ?? opts.log
    this.clock = opts.scheduler.clock
    this.checkpointFaults = new FaultLog(opts.log, this.clock)
    this.delayedProduce = new Purgatory('Produce', opts.scheduler)
    this.delayedFetch = new Purgatory('Fetch', opts.scheduler)
    this.alterLogDirs = new ReplicaAlterLogDirsManager({
      scheduler: opts.scheduler,
      log: opts.log,
      futureLogOf: (p) => this.logManager.getFutureLog(p),
      swap: (p) => this.replaceCurrentWithFutureLog(p),
      quota: opts.alterLogDirs?.quota,
      rate: opts.alterLogDirs?.rate,
      chunkBytes: opts.alterLogDirs?.chunkBytes ?? 1048576,
      backoffMs: opts.alterLogDirs?.backoffMs ?? 1000,
    })
  }

  setFollowerFetcher(f: FollowerFetcher): void {
    this.fetcher = f
  }

  /** Enables KIP-890 verification of transactional writes (transaction.partition.verification.enable). */
  setTransactionVerifier(v: TransactionVerifier): void {
    this.verifier = v
  }

  addLeadershipListener(l: LeadershipListener): void {
    this.listeners.push(l)
  }

  getPartition(topic: string, partition: number): Partition | undefined {
    return this.partitions.get(tpKey(topic, partition))
  }

  get hostedPartitions(): ReadonlyMap<string, Partition> {
    return this.partitions
  }

  /** Applies the current state of every partition, deletes stray logs, and follows changes from now on. */
  start(): void {
    for (const dir of this.logManager.liveLogDirs) {
      try {
        for (const [k, v] of new OffsetCheckpointFile(join(dir, HIGH_WATERMARK_CHECKPOINT_FILE)).readMap())
          this.checkpointedHw.set(k, v)
      } catch (e) {
        this.log.warn(
          { err: e },
          `[ReplicaManager broker=${this.brokerId}] Unreadable ${HIGH_WATERMARK_CHECKPOINT_FILE} in ${dir}; starting from the log start offsets`,
        )
      }
    }
    this.metadata.on('partition', (info) => this.applyPartitionState(info))
    this.metadata.on('topicRemoved', (name) => this.removeTopic(name))
    this.zk.store.on('disconnected', () => {
      // lost since it last heard from ZooKeeper: a connection closed for its silence (a thawed process) was lost long
      // before it was closed
      this.zkLostAt ??= this.clock.now() - (this.zk.store.silentForMs?.() ?? 0)
    })
    this.zk.store.on('connected', () => {
      this.zkLostAt = undefined
      this.deposedLogged.clear()
    })
    this.zk.store.on('newSession', () => {
      for (const p of this.partitions.values()) if (p.isLeader) this.ledBeforeNewSession.add(p.key)
    })
    this.metadata.on('topicConfig', (t) => {
      for (const p of this.partitions.values()) {
        if (p.topic === t.name && p.log)
          this.logManager.updateConfig(p.log, this.opts.logConfigFor(t.name, t.config))
      }
    })
    for (const t of this.metadata.topics.values())
      for (const p of t.partitions.values()) this.applyPartitionState(p)
    this.deleteStrayLogs().catch((e: unknown) =>
      this.log.warn({ err: e }, `[ReplicaManager broker=${this.brokerId}] Could not check for stray logs`),
    )
    const every = Math.max(100, Math.floor(this.opts.replicaLagTimeMaxMs / 2))
    this.isrTimer = this.opts.scheduler.schedule('isr-expiration', () => this.maybeShrinkIsrs(), every, every)
    const hwEvery = this.opts.highWatermarkCheckpointIntervalMs
    this.hwTimer = this.opts.scheduler.schedule(
      'highwatermark-checkpoint',
      () => this.checkpointHighWatermarksAsync(),
      hwEvery,
      hwEvery,
    )
  }

  /** Every hosted partition's high watermark, by log directory (every live directory, with or without entries). */
  private highWatermarksByDir(): Map<string, TopicPartitionOffset[]> {
    const byDir = new Map<string, TopicPartitionOffset[]>()
    for (const dir of this.logManager.liveLogDirs) byDir.set(dir, [])
    for (const p of this.partitions.values()) {
      if (!p.log) continue
      byDir
        .get(p.log.parentDir)
        ?.push({ topic: p.topic, partition: p.partition, offset: p.log.highWatermark })
    }
    return byDir
  }

  private checkpointWritten(dir: string): void {
    this.checkpointFaults.ok(
      dir,
      `[ReplicaManager broker=${this.brokerId}] Wrote the high watermark checkpoint in ${dir} again`,
    )
  }

  private checkpointFailed(dir: string, e: unknown): void {
    // every replica.high.watermark.checkpoint.interval.ms: a full disk is logged once, not every time
    this.checkpointFaults.fail(
      dir,
      `[ReplicaManager broker=${this.brokerId}] Error writing the high watermark checkpoint in ${dir}`,
      e,
    )
  }

  /** Writes every hosted partition's high watermark to replication-offset-checkpoint in its log directory. */
  checkpointHighWatermarks(): void {
    for (const [dir, entries] of this.highWatermarksByDir()) {
      try {
        new OffsetCheckpointFile(join(dir, HIGH_WATERMARK_CHECKPOINT_FILE)).write(entries)
        this.checkpointWritten(dir)
      } catch (e) {
        this.checkpointFailed(dir, e)
      }
    }
  }

  /**
   * The periodic checkpoint (highwatermark-checkpoint): checkpointHighWatermarks() with the writes and their two
   * fsyncs on libuv's thread pool, as Kafka writes it on its scheduler thread, never on a request thread — on the
   * event loop each one stalled every connection for the fsyncs (10-200 ms on a busy disk, every 5 s). The high
   * watermarks are taken when it starts. The scheduler never overlaps a periodic task with itself; shutdown() waits
   * for a write still running before its own.
   */
  private checkpointHighWatermarksAsync(): Promise<void> {
    if (this.stopped) return Promise.resolve()
    const writes = [...this.highWatermarksByDir()].map(([dir, entries]) =>
      new OffsetCheckpointFile(join(dir, HIGH_WATERMARK_CHECKPOINT_FILE)).writeAsync(entries).then(
        () => this.checkpointWritten(dir),
        (e: unknown) => this.checkpointFailed(dir, e),
      ),
    )
    const all = Promise.all(writes).then(() => {
      if (this.hwCheckpointWrite === all) this.hwCheckpointWrite = undefined
    })
    this.hwCheckpointWrite = all
    return all
  }

  /** Logs on disk for topics the cluster no longer has (deleted while we were down, or recreated with a new id). */
  /**
   * Logs on disk that the cluster no longer assigns to this broker: their topic was deleted (or recreated with a
   * new id) while we were down, or the partition was moved away. Kafka's controller would have told us with
   * StopReplica; here each case is confirmed by reading ZooKeeper itself before anything is deleted, so a
   * metadata read that failed at start-up can never cost data.
   */
  private async deleteStrayLogs(): Promise<void> {
    for (const log of this.logManager.allLogs()) {
      if (this.partitions.get(tpKey(log.topic, log.partition))) continue // assigned and in use
      const current = await this.zk.getTopicAssignment(log.topic)
      const replicas = current?.assignment.partitions.get(log.partition)
      const recreated =
        current?.assignment.topicId && log.topicId && current.assignment.topicId !== log.topicId
      const why = !current
        ? 'its topic no longer exists'
        : recreated
          ? 'its topic was recreated with a new topic id'
          : !replicas || !replicas.includes(this.brokerId)
            ? 'the partition is not assigned to this broker'
            : undefined
      if (!why || this.stopped || this.partitions.get(tpKey(log.topic, log.partition))) continue
      this.log.info(
        `[ReplicaManager broker=${this.brokerId}] Deleting stray log ${log.topic}-${log.partition}: ${why}`,
      )
      this.logManager.deleteLog(log.topic, log.partition)
    }
  }

  async shutdown(): Promise<void> {
    this.stopped = true
    this.isrTimer?.cancel()
    this.hwTimer?.cancel()
    this.delayedProduce.shutdown()
    this.delayedFetch.shutdown()
    await this.alterLogDirs.shutdown()
    await this.fetcher?.shutdown()
    await this.hwCheckpointWrite // a periodic write still running (it shares the .tmp file)
    this.checkpointHighWatermarks()
  }

  // --- moving replicas between log directories ---

  /**
   * AlterReplicaLogDirs for one partition (Kafka's ReplicaManager.alterReplicaLogDirs): moves this broker's replica
   * of it to the log directory `dir` (an absolute path of log.dirs), or remembers `dir` for the replica's creation
   * when it is not hosted yet (REPLICA_NOT_AVAILABLE). A move to another directory replaces one under way; a move to
   * where the replica is, or to where it is already moving, does nothing. Returns the partition's error code.
   */
  alterReplicaLogDir(topic: string, partition: number, dir: string): number {
    const tp = { topic, partition }
    const key = tpKey(topic, partition)
    try {
      // Kafka cannot name the future directory of a topic this long (KAFKA-4893): neither can Samsa.
      if (logFutureDirName(tp, '0'.repeat(32)).length > 255)
        throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, 'The topic name is too long.')
      if (!this.logManager.isLogDirOnline(dir))
        throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `Log directory ${dir} is offline`)
      if (this.offlineReplicas.has(key))
        throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `Partition ${key} is offline`)
      const hosted = this.partitions.get(key)
      const moving = this.logManager.getFutureLog(tp)
      if (hosted && moving && moving.parentDir !== dir) {
        this.log.info(
          `[ReplicaManager broker=${this.brokerId}] Cancelling the move of ${key} to ${moving.parentDir}: now to ${dir}`,
        )
        this.alterLogDirs.remove(key)
        this.logManager.deleteFutureLog(tp)
      }
      this.logManager.maybeUpdatePreferredLogDir(tp, dir)
      let p: Partition
      try {
        p = this.partitionOrError(topic, partition)
      } catch (e) {
        if (e instanceof KafkaError && e.code === ErrorCode.NOT_LEADER_OR_FOLLOWER)
          return ErrorCode.REPLICA_NOT_AVAILABLE
        throw e
      }
      const current = p.requireLog()
      if (current.parentDir === dir) {
        this.log.info(
          `[ReplicaManager broker=${this.brokerId}] Current log directory of ${key} is the requested ${dir}: no move`,
        )
        return ErrorCode.NONE
      }
      if (this.logManager.getFutureLog(tp)) return ErrorCode.NONE
      const future = this.logManager.createFutureLog(tp, dir)
      this.alterLogDirs.add(p, future)
      return ErrorCode.NONE
    } catch (e) {
      if (e instanceof KafkaError) {
        this.log.warn(
          `[ReplicaManager broker=${this.brokerId}] Unable to alter log dirs for ${key}: ${e.message}`,
        )
        return e.code
      }
      this.log.error(
        { err: e },
        `[ReplicaManager broker=${this.brokerId}] Error while changing replica dir for partition ${key}`,
      )
      return ErrorCode.UNKNOWN_SERVER_ERROR
    }
  }

  /** The future log has caught up: it becomes the partition's log (under the same synchronous step). */
  private replaceCurrentWithFutureLog(p: Partition): void {
    const log = this.logManager.replaceCurrentWithFutureLog(p)
    p.attachLog(log)
    this.delayedFetch.checkAndComplete(p.key)
    this.delayedProduce.checkAndComplete(p.key)
  }

  // --- role changes ---

  private applyPartitionState(info: PartitionInfo): void {
    if (this.stopped) return
    const key = tpKey(info.topic, info.partition)
    this.ledBeforeNewSession.delete(key)
    const isReplica = info.replicas.includes(this.brokerId) || info.addingReplicas.includes(this.brokerId)
    const existing = this.partitions.get(key)
    if (this.offlineReplicas.has(key)) {
      if (!isReplica && existing) this.partitions.delete(key)
      return
    }
    if (!isReplica) {
      if (existing) this.stopReplica(existing, true, 'no longer a replica')
      return
    }
    const state = info.state
    if (!state) return // not yet initialized by the controller
    const topic = this.metadata.topic(info.topic)
    if (!topic) return
    const p = existing ?? new Partition(info.topic, info.partition, this.brokerId)
    if (!existing) this.partitions.set(key, p)
    p.setTopicId(topic.id)
    try {
      if (!p.log) {
        const log = this.logManager.getOrCreateLog(
          { topic: info.topic, partition: info.partition },
          topic.id,
          this.opts.logConfigFor(info.topic, topic.config),
        )
        p.attachLog(log)
        const hw = this.checkpointedHw.get(key)
        if (hw !== undefined) {
          log.updateHighWatermark(hw)
          this.checkpointedHw.delete(key)
        }
      }
      if (topic.id && p.log!.topicId === undefined) p.log!.assignTopicId(topic.id)
      // A replica being moved to another directory (its future log found at start-up) goes on moving.
      const future = this.logManager.getFutureLog(p)
      if (future && !this.alterLogDirs.has(key)) this.alterLogDirs.add(p, future)
      const update = {
        state,
        partitionEpoch: info.zkVersion,
        assignment: {
          replicas: info.replicas,
          addingReplicas: info.addingReplicas,
          removingReplicas: info.removingReplicas,
        },
      }
      if (state.leader === this.brokerId) this.makeLeader(p, update)
      else this.makeFollower(p, update)
    } catch (e) {
      this.log.error({ err: e }, `[ReplicaManager broker=${this.brokerId}] Error applying state of ${key}`)
    }
  }

  private makeLeader(p: Partition, update: PartitionStateUpdate): void {
    if (!p.makeLeader(update, this.clock.now())) {
      this.maybeIncrementHighWatermark(p)
      return
    }
    const log = p.requireLog()
    this.fetcher?.removePartition(p.key)
    this.stateChangeLog.info(
      `[Partition ${p.key} broker=${this.brokerId}] ${p.key} starts at leader epoch ${p.leaderEpoch} from offset ` +
        `${p.leaderEpochStartOffset} with partition epoch ${p.partitionEpoch}, high watermark ${log.highWatermark}, ` +
        `ISR [${p.isr.join(',')}] and replicas [${p.replicas.join(',')}].`,
    )
    this.maybeIncrementHighWatermark(p)
    this.delayedFetch.checkAndComplete(p.key)
    this.delayedProduce.checkAndComplete(p.key)
    for (const l of this.listeners)
      l.onBecomeLeader({ topic: p.topic, partition: p.partition }, p.leaderEpoch)
  }

  private makeFollower(p: Partition, update: PartitionStateUpdate): void {
    const wasLeader = p.isLeader
    if (!p.makeFollower(update)) return
    const state = update.state
    this.stateChangeLog.info(
      `[Partition ${p.key} broker=${this.brokerId}] Follower of leader ${state.leader} at leader epoch ${state.leaderEpoch}` +
        ` (partition epoch ${p.partitionEpoch}); log end offset ${p.log?.logEndOffset}.`,
    )
    if (wasLeader) {
      for (const l of this.listeners)
        l.onResign({ topic: p.topic, partition: p.partition }, state.leaderEpoch)
    }
    this.delayedProduce.checkAndComplete(p.key)
    this.delayedFetch.checkAndComplete(p.key)
    this.fetcher?.removePartition(p.key)
    if (state.leader >= 0) this.fetcher?.addPartition(p)
  }

  private stopReplica(p: Partition, deleteLog: boolean, reason: string): void {
    this.log.info(`[ReplicaManager broker=${this.brokerId}] Stopping replica ${p.key} (${reason})`)
    const wasLeader = p.isLeader
    const hadLog = p.log !== undefined
    this.partitions.delete(p.key)
    p.stop()
    this.fetcher?.removePartition(p.key)
    if (wasLeader)
      for (const l of this.listeners) l.onResign({ topic: p.topic, partition: p.partition }, p.leaderEpoch)
    this.delayedProduce.checkAndComplete(p.key)
    this.delayedFetch.checkAndComplete(p.key)
    if (deleteLog && hadLog) this.logManager.deleteLog(p.topic, p.partition)
  }

  private removeTopic(name: string): void {
    for (const p of [...this.partitions.values()])
      if (p.topic === name) this.stopReplica(p, true, 'topic deleted')
  }

  // --- produce ---

  private partitionOrError(topic: string, partition: number): Partition {
    const p = this.partitions.get(tpKey(topic, partition))
    if (p?.log) return p
    if (this.metadata.partition(topic, partition)) {
      throw new KafkaError(
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        `broker ${this.brokerId} is not the leader for ${topic}-${partition}`,
      )
    }
    throw new KafkaError(
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      `This server does not host this topic-partition.`,
    )
  }

  private minIsr(p: Partition): number {
    const t = this.metadata.topic(p.topic)
    return this.opts.minInsyncReplicasFor(p.topic, t?.config ?? new Map())
  }

  /**
   * Appends to the leader of each partition; with acks=-1, resolves once the ISR has the data (or times out).
   * Transactional client batches that would open a transaction on a partition are first verified with the
   * producer's transaction coordinator (KIP-890); partitions that fail verification are not appended.
   */
  appendRecords(
    timeoutMs: number,
    requiredAcks: number,
    origin: AppendOrigin,
    entries: readonly { topic: string; partition: number; records: Buffer }[],
    options: AppendRecordsOptions = {},
  ): Promise<Map<string, ProducePartitionResult>> {
    const guards = new Map<string, VerificationGuard>(options.verificationGuards ?? [])
    const failed = new Map<string, { code: number; message: string }>()
    const toVerify =
      origin === 'client' && this.verifier ? this.partitionsToVerify(entries, guards, failed) : undefined
    if (!toVerify || toVerify.partitions.length === 0 || !options.transactionalId) {
      return this.appendVerified(timeoutMs, requiredAcks, origin, entries, guards, failed)
    }
    const { producerId, producerEpoch, partitions } = toVerify
    return this.verifier!.verifyTransaction(
      options.transactionalId,
      producerId,
      producerEpoch,
      partitions,
      options.supportsAbortable ?? false,
    ).then((unverified) => {
      for (const [tp, code] of unverified)
        failed.set(tpKey(tp.topic, tp.partition), produceErrorForVerification(code))
      return this.appendVerified(timeoutMs, requiredAcks, origin, entries, guards, failed)
    })
  }

  /**
   * The partitions whose transactional batch would start a transaction here, with a verification guard each
   * (the others need none: their producer has a transaction open). More than one producer is refused.
   */
  private partitionsToVerify(
    entries: readonly { topic: string; partition: number; records: Buffer }[],
    guards: Map<string, VerificationGuard>,
    failed: Map<string, { code: number; message: string }>,
  ): { producerId: number; producerEpoch: number; partitions: TopicPartition[] } | undefined {
    const producers = new Map<number, number>()
    const candidates: { e: (typeof entries)[number]; baseSequence: number }[] = []
    for (const e of entries) {
      for (const b of iterateBatches(e.records)) {
        if (b.kind !== 'v2') break
        if (b.header.isTransactional && b.header.producerId >= 0) {
          producers.set(b.header.producerId, b.header.producerEpoch)
          candidates.push({ e, baseSequence: b.header.baseSequence })
          break
        }
      }
    }
    if (producers.size === 0) return undefined
    if (producers.size > 1) {
      for (const { e } of candidates)
        failed.set(tpKey(e.topic, e.partition), {
          code: ErrorCode.INVALID_PRODUCER_ID_MAPPING,
          message: 'Transactional records contained more than one producer ID',
        })
      return undefined
    }
    const [[producerId, producerEpoch]] = [...producers] as [[number, number]]
    const partitions: TopicPartition[] = []
    for (const { e, baseSequence } of candidates) {
      const key = tpKey(e.topic, e.partition)
      try {
        const guard = this.leaderLog(e.topic, e.partition).log.maybeStartTransactionVerification(
          producerId,
          baseSequence,
          producerEpoch,
        )
        if (guard) {
          guards.set(key, guard)
          partitions.push({ topic: e.topic, partition: e.partition })
        }
      } catch (err) {
        failed.set(key, { code: toErrorCode(err), message: toErrorMessage(err) ?? '' })
      }
    }
    return { producerId, producerEpoch, partitions }
  }

  /**
   * KIP-890 for TxnOffsetCommit: verifies that the producer's transaction includes `__consumer_offsets-<p>`; the
   * guard goes with the append of the offsets (undefined when the transaction is already open there).
   */
  async verifyTransactionForPartition(
    tp: TopicPartition,
    transactionalId: string,
    producerId: number,
    producerEpoch: number,
  ): Promise<{ errorCode: number; guard: VerificationGuard | undefined }> {
    if (!this.verifier) return { errorCode: ErrorCode.NONE, guard: undefined }
    let guard: VerificationGuard | undefined
    try {
      const { log } = this.leaderLog(tp.topic, tp.partition)
      guard = log.maybeStartTransactionVerification(producerId, -1, producerEpoch)
    } catch (e) {
      return { errorCode: toErrorCode(e), guard: undefined }
    }
    if (!guard) return { errorCode: ErrorCode.NONE, guard: undefined }
    const unverified = await this.verifier.verifyTransaction(
      transactionalId,
      producerId,
      producerEpoch,
      [tp],
      false,
    )
    const code = [...unverified.values()][0]
    return code === undefined ? { errorCode: ErrorCode.NONE, guard } : { errorCode: code, guard: undefined }
  }

  private appendVerified(
    timeoutMs: number,
    requiredAcks: number,
    origin: AppendOrigin,
    entries: readonly { topic: string; partition: number; records: Buffer }[],
    guards: ReadonlyMap<string, VerificationGuard>,
    failed: ReadonlyMap<string, { code: number; message: string }>,
  ): Promise<Map<string, ProducePartitionResult>> {
    const results = new Map<string, ProducePartitionResult>()
    const waiting: { p: Partition; requiredOffset: number; result: ProducePartitionResult }[] = []
    // the appends' bytes go to the files on the thread pool; every answer (acks 0, 1 and all) waits for them
    const written: Promise<void>[] = []
    const appended: Partition[] = []
    for (const e of entries) {
      const key = tpKey(e.topic, e.partition)
      const result: ProducePartitionResult = {
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        recordErrors: [],
        baseOffset: -1,
        logAppendTimeMs: -1,
        logStartOffset: -1,
      }
      results.set(key, result)
      const f = failed.get(key)
      if (f) {
        result.errorCode = f.code
        result.errorMessage = f.message
        continue
      }
      try {
        const p = this.partitionOrError(e.topic, e.partition)
        if (!p.isLeader)
          throw new KafkaError(
            ErrorCode.NOT_LEADER_OR_FOLLOWER,
            `broker ${this.brokerId} is not the leader for ${key}`,
          )
        if (this.deposed(p))
          throw new KafkaError(
            ErrorCode.NOT_LEADER_OR_FOLLOWER,
            `broker ${this.brokerId} lost its ZooKeeper session and its followers of ${key}: another broker leads it`,
          )
        const log = p.requireLog()
        const minIsr = this.minIsr(p)
        if (requiredAcks === -1 && p.isr.length < minIsr) {
          throw new KafkaError(
            ErrorCode.NOT_ENOUGH_REPLICAS,
            `The size of the current ISR [${p.isr.join(',')}] is insufficient to satisfy the min.isr requirement of ${minIsr} for partition ${key}`,
          )
        }
        const info = log.appendAsLeader(e.records, {
          leaderEpoch: p.leaderEpoch,
          origin,
          verificationGuard: guards.get(key),
          deferWrite: true,
        })
        if (info.written) {
          appended.push(p)
          written.push(
            info.written.then(undefined, (err: unknown) => {
              const e = asStorageError(err, `Error while appending records to ${key}`)
              result.errorCode = toErrorCode(e)
              result.errorMessage = toErrorMessage(e)
            }),
          )
        }
        this.opts.metrics?.produced(e.topic, info.recordCount, e.records.length, ErrorCode.NONE)
        result.baseOffset = info.firstOffset
        result.logAppendTimeMs = info.logAppendTime
        result.logStartOffset = info.logStartOffset
        this.maybeIncrementHighWatermark(p)
        this.delayedFetch.checkAndComplete(key)
        if (requiredAcks === -1) waiting.push({ p, requiredOffset: info.lastOffset + 1, result })
      } catch (err) {
        result.errorCode = toErrorCode(err)
        result.errorMessage = toErrorMessage(err)
        this.opts.metrics?.produced(e.topic, 0, 0, result.errorCode)
        if (err instanceof RecordValidationError) result.recordErrors = err.recordErrors
        if (result.errorCode === ErrorCode.UNKNOWN_SERVER_ERROR) {
          this.log.error({ err }, `[ReplicaManager broker=${this.brokerId}] Error appending to ${key}`)
        }
      }
    }
    if (written.length > 0) {
      return Promise.all(written).then(() => {
        // in the files now: the high watermark may pass them, fetches waiting for them may answer
        for (const p of appended) {
          if (this.partitions.get(p.key) !== p) continue
          this.maybeIncrementHighWatermark(p)
          this.delayedFetch.checkAndComplete(p.key)
        }
        return this.awaitAcks(results, waiting, timeoutMs)
      })
    }
    return this.awaitAcks(results, waiting, timeoutMs)
  }

  /** acks=all: waits until the high watermark passes every append in `waiting` (or the timeout). */
  private awaitAcks(
    results: Map<string, ProducePartitionResult>,
    waiting: { p: Partition; requiredOffset: number; result: ProducePartitionResult }[],
    timeoutMs: number,
  ): Promise<Map<string, ProducePartitionResult>> {
    if (waiting.length === 0) return Promise.resolve(results)
    return new Promise((resolve) => {
      const check = (final: boolean): boolean => {
        let done = true
        for (const w of waiting) {
          if (w.result.errorCode !== ErrorCode.NONE || w.requiredOffset < 0) continue
          const p = w.p
          if (!p.isLeader || this.partitions.get(p.key) !== p || this.deposed(p)) {
            w.result.errorCode = ErrorCode.NOT_LEADER_OR_FOLLOWER
            w.result.errorMessage = `leadership of ${p.key} moved while waiting for acks`
            continue
          }
          if (p.log!.highWatermark >= w.requiredOffset) {
            w.requiredOffset = -1
            if (p.isr.length < this.minIsr(p)) {
              w.result.errorCode = ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND
              w.result.errorMessage = `The ISR of ${p.key} shrank below min.insync.replicas after the append`
            }
            continue
          }
          if (final) {
            w.result.errorCode = ErrorCode.REQUEST_TIMED_OUT
            w.result.errorMessage = `timed out after ${timeoutMs} ms waiting for the in-sync replicas of ${p.key}`
          } else done = false
        }
        return done
      }
      const op: DelayedOperation = {
        tryComplete: () => {
          if (!check(false)) return false
          resolve(results)
          return true
        },
        onExpiration: () => {
          check(true)
          resolve(results)
        },
      }
      // each waits for its partition's high watermark to pass its records: maybeIncrementHighWatermark's levelled
      // checks try only those the new high watermark completes
      this.delayedProduce.tryCompleteElseWatch(
        op,
        waiting.map((w) => w.p.key),
        timeoutMs,
        waiting.map((w) => w.requiredOffset),
      )
    })
  }

  // --- high watermark and ISR ---

  private maybeIncrementHighWatermark(p: Partition): void {
    if (p.maybeIncrementHighWatermark()) {
      this.delayedProduce.checkAndComplete(p.key, p.requireLog().highWatermark)
      this.delayedFetch.checkAndComplete(p.key)
    }
  }

  /** A follower fetched at `fetchOffset`: Kafka's updateFollowerFetchState. */
  private updateFollowerFetchState(
    p: Partition,
    replicaId: number,
    fetchOffset: number,
    leaderLeo: number,
    followerLogStartOffset = -1,
  ): void {
    const now = this.clock.now()
    if (!p.updateFollowerFetchState(replicaId, fetchOffset, leaderLeo, now, followerLogStartOffset)) return
    this.maybeExpandIsr(p, replicaId)
    this.maybeIncrementHighWatermark(p)
  }

  private maybeExpandIsr(p: Partition, replicaId: number): void {
    const isr = p.isrExpansion(replicaId, (id) => this.metadata.isAlive(id))
    if (!isr) return
    this.log.info(
      `[Partition ${p.key} broker=${this.brokerId}] Expanding ISR from [${p.isr.join(',')}] to [${isr.join(',')}]`,
    )
    this.writeIsr(p, isr)
  }

  /**
   * Whether this broker, leader of `topic`-`partition` in its own view, must consider itself deposed: it has been
   * cut off from ZooKeeper for longer than the session timeout (ZooKeeper has expired its session, so the
   * controller has elected other leaders) and followers of its ISR stopped fetching (they follow someone else) — it
   * cannot record the ISR shrink, so acks=all writes could only time out. It then refuses writes with
   * NOT_LEADER_OR_FOLLOWER and its Metadata answers name no leader, so clients ask the other brokers. A ZooKeeper
   * outage alone deposes nobody: followers keep fetching, and Kafka keeps serving without ZooKeeper.
   */
  /** Whether this broker's replica of the partition is on a failed log directory (Kafka's HostedPartition.Offline). */
  isOffline(topic: string, partition: number): boolean {
    return this.offlineReplicas.has(tpKey(topic, partition))
  }

  isDeposed(topic: string, partition: number): boolean {
    const p = this.partitions.get(tpKey(topic, partition))
    return p !== undefined && this.deposed(p)
  }

  private deposed(p: Partition): boolean {
    const timeout = this.opts.zkSessionTimeoutMs
    if (!p.isLeader || timeout === undefined) return false
    const now = this.clock.now()
    // a frozen broker (SIGSTOP) wakes up still connected in its own view: the silence since it last heard from
    // ZooKeeper counts as well as the time since the disconnection; after a new session, until the partition's
    // state is read again, what it knows predates the expiry
    const cutOffFor = this.ledBeforeNewSession.has(p.key)
      ? Infinity
      : Math.max(this.zkLostAt === undefined ? 0 : now - this.zkLostAt, this.zk.store.silentForMs?.() ?? 0)
    if (cutOffFor <= timeout) return false
    return p.isr.some((r) => {
      if (r === this.brokerId) return false
      const f = p.followers.get(r)
      return !f || now - f.lastCaughtUpTimeMs > this.opts.replicaLagTimeMaxMs
    })
  }

  private maybeShrinkIsrs(): void {
    const now = this.clock.now()
    for (const p of this.partitions.values()) {
      if (this.deposed(p)) {
        if (!this.deposedLogged.has(p.key)) {
          this.deposedLogged.add(p.key)
          this.log.warn(
            `[Partition ${p.key} broker=${this.brokerId}] Cut off from ZooKeeper (longer than ` +
              `zookeeper.session.timeout.ms) and from followers of ISR [${p.isr.join(',')}]: ` +
              `another broker leads it now; refusing writes until ZooKeeper is back.`,
          )
        }
        this.delayedProduce.checkAndComplete(p.key)
        continue // an ISR change could not be written anyway
      }
      const lagging = p.outOfSyncReplicas(now, this.opts.replicaLagTimeMaxMs)
      if (lagging.length === 0) continue
      const isr = p.isr.filter((r) => !lagging.includes(r))
      const log = p.requireLog()
      this.log.info(
        `[Partition ${p.key} broker=${this.brokerId}] Shrinking ISR from [${p.isr.join(',')}] to [${isr.join(',')}]. ` +
          `Leader: (highWatermark: ${log.highWatermark}, endOffset: ${log.logEndOffset}). Out of sync replicas: ` +
          lagging.map((r) => `(brokerId: ${r}, endOffset: ${p.followers.get(r)?.leo ?? -1})`).join(' ') +
          '.',
      )
      this.writeIsr(p, isr)
    }
  }

  /** Writes an ISR change of ours to the partition state znode, conditional on the partition epoch. */
  private writeIsr(p: Partition, isr: readonly number[]): void {
    const previous = p.isr
    p.beginIsrUpdate(isr)
    const partitionEpoch = p.partitionEpoch
    const state = {
      leader: p.leaderId,
      leaderEpoch: p.leaderEpoch,
      isr,
      controllerEpoch: -1,
      leaderRecoveryState: 0,
    }
    void (async () => {
      const cur = await this.zk.getPartitionState(p.topic, p.partition)
      if (!cur || cur.zkVersion !== partitionEpoch || cur.state.leader !== this.brokerId) {
        if (p.isPendingIsr(isr)) p.abortIsrUpdate()
        return // the state moved on; the watch will bring us the new one
      }
      const written = { ...state, controllerEpoch: cur.state.controllerEpoch }
      const v = await this.zk.updatePartitionState(p.topic, p.partition, written, partitionEpoch)
      if (!p.isPendingIsr(isr)) return
      if (v !== null) {
        if (isr.length < previous.length) this.opts.metrics?.isrShrunk()
        else if (isr.length > previous.length) this.opts.metrics?.isrExpanded()
      }
      if (v === null) {
        p.abortIsrUpdate()
        this.log.info(
          `[Partition ${p.key} broker=${this.brokerId}] Cached zkVersion ${partitionEpoch} not equal to that in ZooKeeper, skip updating ISR`,
        )
        return
      }
      p.completeIsrUpdate(isr, v)
      this.metadata.applyOwnWrite(p.topic, p.partition, written, v)
      this.maybeIncrementHighWatermark(p)
      this.delayedProduce.checkAndComplete(p.key)
    })().catch((e: unknown) => {
      if (p.isPendingIsr(isr)) p.abortIsrUpdate()
      this.log.warn({ err: e }, `[Partition ${p.key} broker=${this.brokerId}] Failed to update ISR`)
    })
  }

  // --- fetch ---

  /**
   * What a fetch reads from one partition, planned synchronously (the result but for its records, and where they
   * are: `read`); the bytes are read afterwards, off the event loop (readPlanned).
   */
  private planPartition(
    req: FetchPartitionRequest,
    params: FetchParams,
    maxBytes: number,
    minOneMessage: boolean,
  ): PlannedPartition {
    const base = {
      topic: req.topic,
      partition: req.partition,
      highWatermark: -1,
      lastStableOffset: -1,
      logStartOffset: -1,
      records: null,
      abortedTransactions: null,
      divergingEpoch: null,
      currentLeader: null,
    }
    let p: Partition
    try {
      p = this.partitionOrError(req.topic, req.partition)
      const isFollower = params.replicaId >= 0
      if (fetchOnlyFromLeader(params) && !p.isLeader) {
        throw new KafkaError(
          ErrorCode.NOT_LEADER_OR_FOLLOWER,
          `broker ${this.brokerId} is not the leader for ${p.key}`,
        )
      }
      p.checkLeaderEpoch(req.currentLeaderEpoch)
      const log = p.requireLog()
      const leo = log.logEndOffset
      const hw = log.highWatermark
      const info = {
        highWatermark: hw,
        lastStableOffset: log.lastStableOffset,
        logStartOffset: log.logStartOffset,
      }
      if (isFollower && req.lastFetchedEpoch >= 0) {
        const end = log.endOffsetForEpoch(req.lastFetchedEpoch)
        if (end && (end.epoch < req.lastFetchedEpoch || end.endOffset < req.fetchOffset)) {
          return {
            result: {
              ...base,
              ...info,
              errorCode: ErrorCode.NONE,
              records: Buffer.alloc(0),
              divergingEpoch: { epoch: end.epoch, endOffset: end.endOffset },
            },
            bytes: 0,
          }
        }
      }
      const preferred = isFollower ? -1 : this.preferredReadReplica(p, params, req.fetchOffset)
      if (preferred >= 0) {
        // The consumer goes to that follower: no records from here (ReplicaManager.readFromLog).
        const result = { ...base, ...info, errorCode: ErrorCode.NONE, records: Buffer.alloc(0) }
        return { result: { ...result, preferredReadReplica: preferred }, bytes: 0 }
      }
      if (isFollower && this.leaderThrottled(p, params.replicaId)) {
        // Held back by the replication throttle: an empty answer (ReplicaManager.shouldLeaderThrottle).
        if (p.isLeader)
          this.updateFollowerFetchState(p, params.replicaId, req.fetchOffset, leo, req.logStartOffset)
        return { result: { ...base, ...info, errorCode: ErrorCode.NONE, records: Buffer.alloc(0) }, bytes: 0 }
      }
      const readCommitted = !isFollower && params.isolationLevel === READ_COMMITTED
      const maxOffset = isFollower ? leo : readCommitted ? log.lastStableOffset : hw
      const plan = log.planRead(req.fetchOffset, { maxBytes, maxOffset, minOneMessage })
      if (isFollower && p.isLeader)
        this.updateFollowerFetchState(p, params.replicaId, req.fetchOffset, leo, req.logStartOffset)
      return {
        result: {
          ...base,
          errorCode: ErrorCode.NONE,
          highWatermark: log.highWatermark,
          lastStableOffset: log.lastStableOffset,
          logStartOffset: log.logStartOffset,
          records: Buffer.alloc(0),
        },
        bytes: plan.length,
        read: { log, plan, readCommitted, fetchOffset: req.fetchOffset },
      }
    } catch (err) {
      const code = toErrorCode(err)
      if (code === ErrorCode.UNKNOWN_SERVER_ERROR) {
        this.log.error(
          { err },
          `[ReplicaManager broker=${this.brokerId}] Error reading ${req.topic}-${req.partition}`,
        )
      }
      const known = this.metadata.partition(req.topic, req.partition)?.state
      const local = this.partitions.get(tpKey(req.topic, req.partition))
      return {
        result: {
          ...base,
          errorCode: code,
          highWatermark: local?.log?.highWatermark ?? -1,
          logStartOffset: local?.log?.logStartOffset ?? -1,
          currentLeader:
            code === ErrorCode.NOT_LEADER_OR_FOLLOWER || code === ErrorCode.FENCED_LEADER_EPOCH
              ? { leaderId: known?.leader ?? -1, leaderEpoch: known?.leaderEpoch ?? -1 }
              : null,
        },
        bytes: 0,
      }
    }
  }

  /**
   * Kafka's ReplicaManager.findPreferredReadReplica: on the leader, for a consumer with client metadata, the
   * selector's choice among the leader and the in-sync followers holding the fetch offset; -1 for the leader itself
   * (or a replica without an endpoint on the client's listener).
   */
  private preferredReadReplica(p: Partition, params: FetchParams, fetchOffset: number): number {
    const select = this.opts.replicaSelector
    const client = params.clientMetadata
    if (!select || !client || !p.isLeader) return -1
    const now = this.clock.now()
    const rackOf = (id: number): string | null | undefined => {
      const b = this.metadata.brokers.get(id)
      return b?.endpoints.some((e) => e.listenerName === client.listenerName) ? b.rack : undefined
    }
    const leader: ReplicaView = {
      brokerId: this.brokerId,
      rack: rackOf(this.brokerId) ?? null,
      logEndOffset: p.requireLog().logEndOffset,
      timeSinceLastCaughtUpMs: 0,
    }
    const candidates: ReplicaView[] = [leader]
    for (const [id, f] of p.followers) {
      // Only in-sync replicas that hold the offset: a lagging follower would keep the consumer behind.
      if (!p.isr.includes(id) || f.leo < fetchOffset || f.logStartOffset > fetchOffset) continue
      const rack = rackOf(id)
      if (rack === undefined) continue
      candidates.push({
        brokerId: id,
        rack,
        logEndOffset: f.leo,
        timeSinceLastCaughtUpMs: now - f.lastCaughtUpTimeMs,
      })
    }
    const chosen = select(client, leader, candidates)
    return chosen.brokerId === this.brokerId ? -1 : chosen.brokerId
  }

  /**
   * The measured rates of the replication throttles (KIP-73) in bytes per second: what this broker sent to followers
   * and fetched from leaders for throttled partitions (Kafka's LeaderReplication / FollowerReplication byte-rate).
   */
  replicationByteRates(): { readonly leader: number; readonly follower: number } {
    return {
      leader: this.opts.leaderQuota?.rate() ?? 0,
      follower: this.fetcher?.throttledByteRate() ?? 0,
    }
  }

  /** A replica that is not in sync, of a partition throttled on this leader, while the leader's quota is exceeded. */
  private leaderThrottled(p: Partition, replicaId: number): boolean {
    const quota = this.opts.leaderQuota
    return quota !== undefined && quota.shouldThrottle(p.topic, p.partition, p.isr.includes(replicaId))
  }

  /** The bytes sent to a follower for throttled partitions count against the leader's quota (in sync or not). */
  private recordThrottled(params: FetchParams, results: FetchPartitionResult[]): FetchPartitionResult[] {
    const quota = this.opts.leaderQuota
    if (quota === undefined || params.replicaId < 0) return results
    let bytes = 0
    for (const r of results) {
      if (r.records && r.records.length > 0 && quota.isThrottled(r.topic, r.partition))
        bytes += r.records.length
    }
    quota.record(bytes)
    return results
  }

  /** Plans the reads of every partition of a fetch, sharing its maxBytes in order (synchronous). */
  private planAll(params: FetchParams): PlannedFetch {
    let remaining = params.maxBytes
    let minOneMessage = true
    let bytes = 0
    let anyError = false
    const partitions = params.partitions.map((req) => {
      const limit = Math.max(0, Math.min(req.partitionMaxBytes, remaining))
      const r = this.planPartition(req, params, limit, minOneMessage)
      if (r.bytes > 0) {
        minOneMessage = false
        remaining -= r.bytes
        bytes += r.bytes
      }
      // An error, a diverging epoch or a preferred read replica is answered at once.
      if (
        r.result.errorCode !== ErrorCode.NONE ||
        r.result.divergingEpoch ||
        (r.result.preferredReadReplica ?? -1) >= 0
      )
        anyError = true
      return r
    })
    return { partitions, bytes, anyError }
  }

  /**
   * The planned reads done on libuv's thread pool, all at once; undefined (with the buffers given back) when a log's
   * segments changed under one of them.
   */
  private async readPlanned(planned: PlannedFetch): Promise<FetchPartitionResult[] | undefined> {
    const records = await Promise.all(
      planned.partitions.map((p) => (p.read ? p.read.log.readPlanned(p.read.plan) : null)),
    )
    if (records.includes(undefined)) {
      for (const r of records) if (r) fetchBufferPool.release(r)
      return undefined
    }
    return planned.partitions.map((p, i) => {
      const data = records[i]
      if (!p.read || !data) return p.result
      const { log, readCommitted, fetchOffset } = p.read
      return {
        ...p.result,
        records: data,
        abortedTransactions: readCommitted ? abortedTransactionsFor(log, fetchOffset, data) : null,
      }
    })
  }

  /**
   * Reads what was planned; when segments changed under the reads (a truncation, retention, a roll's cleaning),
   * plans again. After a few such rounds it reads synchronously, so a fetch always gets its answer.
   */
  private async completeFetch(params: FetchParams, planned: PlannedFetch): Promise<FetchPartitionResult[]> {
    return this.recordThrottled(params, await this.readAll(params, planned))
  }

  private async readAll(params: FetchParams, planned: PlannedFetch): Promise<FetchPartitionResult[]> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const results = await this.readPlanned(planned)
      if (results) return results
      planned = this.planAll(params)
    }
    return planned.partitions.map((p) => {
      if (!p.read) return p.result
      const { log, plan, readCommitted, fetchOffset } = p.read
      const data = plan.segment ? plan.segment.readRange(plan.position, plan.length) : Buffer.alloc(0)
      return {
        ...p.result,
        records: data,
        abortedTransactions: readCommitted ? abortedTransactionsFor(log, fetchOffset, data) : null,
      }
    })
  }

  /**
   * Reads for consumers and followers; waits up to maxWaitMs for minBytes when there is too little. Where to read
   * is decided synchronously (so a delayed fetch knows at once whether it has enough); the bytes themselves are read
   * on libuv's thread pool, so a read from disk never stalls the event loop.
   */
  fetchMessages(params: FetchParams): Promise<FetchPartitionResult[]> {
    const first = this.planAll(params)
    if (
      params.maxWaitMs <= 0 ||
      params.partitions.length === 0 ||
      first.bytes >= params.minBytes ||
      first.anyError
    ) {
      return this.completeFetch(params, first)
    }
    return new Promise((resolve) => {
      const visibleEnd = (req: FetchPartitionRequest): number => {
        const p = this.partitions.get(tpKey(req.topic, req.partition))
        if (!p?.log) return -1
        // a follower reads up to what is in the files (writtenEndOffset): an append still on its way changes
        // nothing it could read, so it must not count as a change (it would be taken as seen, and the wake-up once
        // the bytes land would find nothing new)
        if (params.replicaId >= 0) return p.log.writtenEndOffset
        return params.isolationLevel === READ_COMMITTED ? p.log.lastStableOffset : p.log.highWatermark
      }
      const snapshot = params.partitions.map(visibleEnd)
      const leaderOnly = fetchOnlyFromLeader(params)
      const op: DelayedOperation = {
        tryComplete: () => {
          // Cheap check first: has anything changed at all for these partitions?
          const changed = params.partitions.some((req, i) => {
            const p = this.partitions.get(tpKey(req.topic, req.partition))
            return !p?.log || (leaderOnly && !p.isLeader) || visibleEnd(req) !== snapshot[i]
          })
          if (!changed) return false
          const again = this.planAll(params)
          if (again.bytes >= params.minBytes || again.anyError) {
            resolve(this.completeFetch(params, again))
            return true
          }
          params.partitions.forEach((req, i) => (snapshot[i] = visibleEnd(req)))
          return false
        },
        onExpiration: () => resolve(this.completeFetch(params, this.planAll(params))),
      }
      this.delayedFetch.tryCompleteElseWatch(
        op,
        params.partitions.map((r) => tpKey(r.topic, r.partition)),
        params.maxWaitMs,
      )
    })
  }

  /**
   * A log directory failed (the LogManager closed its logs): the replicas in it stop fetching; their requests get
   * KAFKA_STORAGE_ERROR from the closed logs until the broker restarts with the directory back.
   */
  onLogDirFailure(dir: string): void {
    const offline = [...this.partitions.values()].filter((p) => p.log?.parentDir === dir)
    for (const p of offline) {
      this.offlineReplicas.add(p.key)
      this.fetcher?.removePartition(p.key)
      // The coordinators of its groups and transactions stop serving them (their log is gone); clients find the
      // new leader's broker once the controller has moved leadership.
      if (p.isLeader)
        for (const l of this.listeners) l.onResign({ topic: p.topic, partition: p.partition }, p.leaderEpoch)
    }
    this.log.error(
      `[ReplicaManager broker=${this.brokerId}] Stopped fetchers as part of the failure of log dir ${dir}; ` +
        `partitions offline: ${offline.map((p) => p.key).join(', ')}`,
    )
  }

  /** A follower appended data or learned a new high watermark (from the replica fetcher). */
  onFollowerProgress(p: Partition): void {
    this.delayedFetch.checkAndComplete(p.key)
  }

  /** The log of a partition this broker leads, or the KafkaError a client should see. */
  leaderLog(topic: string, partition: number, currentLeaderEpoch = -1): { partition: Partition; log: Log } {
    const p = this.partitionOrError(topic, partition)
    if (!p.isLeader)
      throw new KafkaError(
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        `broker ${this.brokerId} is not the leader for ${p.key}`,
      )
    p.checkLeaderEpoch(currentLeaderEpoch)
    return { partition: p, log: p.requireLog() }
  }

  /** DeleteRecords: moves the log start offset of a partition this broker leads. */
  deleteRecords(topic: string, partition: number, offset: number): { lowWatermark: number } {
    const { partition: p, log } = this.leaderLog(topic, partition)
    const target = offset === -1 ? log.highWatermark : offset
    if (target < 0 || target > log.highWatermark) {
      throw new KafkaError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `Cannot increment the log start offset to ${target} of partition ${p.key} since it is larger than the high watermark ${log.highWatermark}`,
      )
    }
    log.maybeIncrementLogStartOffset(target)
    this.delayedFetch.checkAndComplete(p.key)
    return { lowWatermark: log.logStartOffset }
  }
}
