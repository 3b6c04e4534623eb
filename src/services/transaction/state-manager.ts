/**
 * Kafka's `TransactionStateManager`: the transaction metadata of the `__transaction_state` partitions this broker
 * leads, loaded from the log when it becomes their leader and dropped when it resigns; every state change is
 * written to the log (acks=all) before it is applied; timed-out transactions are found here and expired
 * transactional ids are removed with tombstones.
 *
 * Loads and unloads run one at a time, in order (Kafka's single-threaded scheduler). While a partition loads, its
 * transactional ids get COORDINATOR_LOAD_IN_PROGRESS; a partition this broker does not lead gets NOT_COORDINATOR.
 * The coordinator epoch of a partition is its leader epoch: a write prepared under one epoch is dropped if the
 * partition was unloaded and loaded again meanwhile.
 */
import { ErrorCode, errorName, KafkaError, toErrorCode } from '../../protocol/errors.js'
import type { Clock, ScheduledTask, Scheduler } from '../../util/scheduler.js'
import type { Logger } from '../../util/logger.js'
import {
  readTxnRecordKey,
  readTxnRecordValue,
  transactionLogKey,
  transactionLogValue,
} from './log-records.js'
import {
  describeTransit,
  isTransactionStateName,
  type TransactionMetadata,
  type TransactionStateName,
  type TxnTransitMetadata,
} from './metadata.js'
import { AppendErrors, coordinatorAppendError } from '../coordinator/append-errors.js'
import { partitionFor } from '../group/config.js'
import { TRANSACTION_STATE_TOPIC } from '../metadata/topic-admin.js'

/** How the coordinator reaches `__transaction_state` (the broker implements it on its replica manager). */
export interface TransactionLogStore {
  /**
   * Appends the records as one uncompressed batch as the partition leader and waits for the whole ISR
   * (acks=all). Throws a KafkaError with the produce error (NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS, ...).
   */
  append(
    partition: number,
    records: readonly { key: Buffer; value: Buffer | null; timestamp: number }[],
    options: { readonly timeoutMs: number },
  ): Promise<unknown>
  /** Every record of the partition from its log start to its log end offset, in order. */
  read(partition: number): AsyncIterable<{ readonly key: Buffer | null; readonly value: Buffer | null }>
}

export interface TransactionConfig {
  /** transactional.id.expiration.ms (7 days) */
  readonly transactionalIdExpirationMs: number
  /** transaction.max.timeout.ms (15 minutes) */
  readonly transactionMaxTimeoutMs: number
  /** transaction.state.log.num.partitions (50), used until the topic exists */
  readonly transactionLogNumPartitions: number
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms (10 s) */
  readonly abortTimedOutTransactionsIntervalMs: number
  /** transaction.remove.expired.transaction.cleanup.interval.ms (1 hour) */
  readonly removeExpiredTransactionalIdsIntervalMs: number
  /** request.timeout.ms (30 s): the acks timeout of tombstone writes */
  readonly requestTimeoutMs: number
  /** max.message.bytes of __transaction_state: tombstones are written in batches below it */
  readonly maxBatchBytes: number
}

export interface CoordinatorEpochAndTxnMetadata {
  readonly coordinatorEpoch: number
  readonly metadata: TransactionMetadata
}

/** NONE with the metadata (undefined when the id is unknown), or the coordinator error for this id. */
export type TxnStateLookup =
  | { readonly error: 0; readonly found: CoordinatorEpochAndTxnMetadata | undefined }
  | { readonly error: number; readonly found?: undefined }

export interface TransactionalIdAndProducerIdEpoch {
  readonly transactionalId: string
  readonly producerId: number
  readonly producerEpoch: number
}

/** Called for every loaded transaction that was decided (PrepareCommit/PrepareAbort) but not completed. */
export type SendTxnMarkersCallback = (
  coordinatorEpoch: number,
  result: 'COMMIT' | 'ABORT',
  txnMetadata: TransactionMetadata,
  newMetadata: TxnTransitMetadata,
) => void

export interface ListedTransaction {
  readonly transactionalId: string
  readonly producerId: number
  readonly transactionState: TransactionStateName
}

interface CacheEntry {
  readonly coordinatorEpoch: number
  readonly metadataPerTransactionalId: Map<string, TransactionMetadata>
}

const describeError = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e))

export class TransactionStateManager {
  private readonly prefix: string
  private shuttingDown = false
  /** partition -> the coordinator epoch being loaded */
  private readonly loadingPartitions = new Map<number, number>()
  private readonly cache = new Map<number, CacheEntry>()
  private partitionCount: number
  private retrievePartitionCount: () => number = () => this.config.transactionLogNumPartitions
  private taskQueue: Promise<void> = Promise.resolve()
  private expirationTask: ScheduledTask | undefined
  private readonly clock: Clock

  constructor(
    brokerId: number,
    private readonly config: TransactionConfig,
    private readonly store: TransactionLogStore,
    private readonly scheduler: Scheduler,
    private readonly logger: Logger,
  ) {
    this.prefix = `[Transaction State Manager ${brokerId}]: `
    this.clock = scheduler.clock
    this.partitionCount = config.transactionLogNumPartitions
  }

  private info(m: string): void {
    this.logger.info(this.prefix + m)
  }

  startup(retrievePartitionCount: () => number, enableTransactionalIdExpiration: boolean): void {
    this.retrievePartitionCount = retrievePartitionCount
    this.partitionCount = retrievePartitionCount()
    this.shuttingDown = false
    if (enableTransactionalIdExpiration) this.scheduleExpiration()
  }

  async shutdown(): Promise<void> {
    this.shuttingDown = true
    this.expirationTask?.cancel()
    this.expirationTask = undefined
    this.loadingPartitions.clear()
    this.cache.clear()
    await this.taskQueue
    this.info('Shutdown complete')
  }

  get transactionTopicPartitionCount(): number {
    return this.partitionCount
  }

  /** `abs(transactionalId.hashCode) % partitions`, as Kafka. */
  partitionFor(transactionalId: string): number {
    return partitionFor(transactionalId, this.partitionCount)
  }

  validateTransactionTimeoutMs(txnTimeoutMs: number): boolean {
    return txnTimeoutMs <= this.config.transactionMaxTimeoutMs && txnTimeoutMs > 0
  }

  /** The partitions this broker serves (loaded). */
  get ownedPartitions(): readonly number[] {
    return [...this.cache.keys()]
  }

  isLoading(partition: number): boolean {
    return this.loadingPartitions.has(partition)
  }

  getTransactionState(transactionalId: string): TxnStateLookup {
    return this.getAndMaybeAddTransactionState(transactionalId, undefined)
  }

  /** Adds `created` unless the id is already known; returns what is cached. */
  putTransactionStateIfNotExists(created: TransactionMetadata): TxnStateLookup {
    return this.getAndMaybeAddTransactionState(created.transactionalId, created)
  }

  private getAndMaybeAddTransactionState(
    transactionalId: string,
    created: TransactionMetadata | undefined,
  ): TxnStateLookup {
    const partition = this.partitionFor(transactionalId)
    if (this.loadingPartitions.has(partition)) return { error: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS }
    const entry = this.cache.get(partition)
    if (!entry) return { error: ErrorCode.NOT_COORDINATOR }
    let md = entry.metadataPerTransactionalId.get(transactionalId)
    if (!md && created) {
      entry.metadataPerTransactionalId.set(transactionalId, created)
      md = created
    }
    return {
      error: ErrorCode.NONE,
      found: md ? { coordinatorEpoch: entry.coordinatorEpoch, metadata: md } : undefined,
    }
  }

  /** Ongoing transactions open for longer than their timeout (best effort, re-checked when aborting). */
  timedOutTransactions(): TransactionalIdAndProducerIdEpoch[] {
    const now = this.clock.now()
    const out: TransactionalIdAndProducerIdEpoch[] = []
    for (const entry of this.cache.values()) {
      for (const [transactionalId, md] of entry.metadataPerTransactionalId) {
        if (md.pendingTransitionInProgress || md.state !== 'Ongoing') continue
        if (md.txnStartTimestamp + md.txnTimeoutMs < now) {
          out.push({ transactionalId, producerId: md.producerId, producerEpoch: md.producerEpoch })
        }
      }
    }
    return out
  }

  /** KIP-664 ListTransactions: filters by producer ids, states and (KIP-994) minimum running time. */
  listTransactionStates(
    filterProducerIds: ReadonlySet<number>,
    filterStateNames: ReadonlySet<string>,
    filterDurationMs: number,
  ): { errorCode: number; unknownStateFilters: string[]; transactionStates: ListedTransaction[] } {
    if (this.loadingPartitions.size > 0) {
      return {
        errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
        unknownStateFilters: [],
        transactionStates: [],
      }
    }
    const unknownStateFilters: string[] = []
    const filterStates = new Set<TransactionStateName>()
    for (const name of filterStateNames) {
      if (isTransactionStateName(name)) filterStates.add(name)
      else unknownStateFilters.push(name)
    }
    const now = this.clock.now()
    const transactionStates: ListedTransaction[] = []
    for (const entry of this.cache.values()) {
      for (const md of entry.metadataPerTransactionalId.values()) {
        // Dead is transient: the id is being expired
        if (md.state === 'Dead') continue
        if (filterProducerIds.size > 0 && !filterProducerIds.has(md.producerId)) continue
        if (filterStateNames.size > 0 && !filterStates.has(md.state)) continue
        if (filterDurationMs >= 0 && now - md.txnStartTimestamp <= filterDurationMs) continue
        transactionStates.push({
          transactionalId: md.transactionalId,
          producerId: md.producerId,
          transactionState: md.state,
        })
      }
    }
    return { errorCode: ErrorCode.NONE, unknownStateFilters, transactionStates }
  }

  // ---------------------------------------------------------------------------------------------------------
  // loading and unloading

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.taskQueue.then(async () => {
      try {
        await task()
      } catch (e) {
        this.logger.error(`${this.prefix}Uncaught error in transaction state task: ${describeError(e)}`)
      }
    })
    this.taskQueue = run
    return run
  }

  /**
   * This broker became the leader of `__transaction_state-<partition>`: load it, then have the markers of every
   * decided but unfinished transaction sent (a previous coordinator may have died while sending them).
   */
  loadTransactionsForTxnTopicPartition(
    partition: number,
    coordinatorEpoch: number,
    sendTxnMarkers: SendTxnMarkersCallback,
  ): Promise<void> {
    this.loadingPartitions.set(partition, coordinatorEpoch)
    const scheduled = this.clock.now()
    return this.enqueue(async () => {
      const tp = `${TRANSACTION_STATE_TOPIC}-${partition}`
      const start = this.clock.now()
      this.info(`Loading transaction metadata from ${tp} at epoch ${coordinatorEpoch}`)
      const current = this.retrievePartitionCount()
      if (current !== this.partitionCount) {
        this.loadingPartitions.delete(partition)
        throw new KafkaError(
          ErrorCode.UNKNOWN_SERVER_ERROR,
          `Transaction topic number of partitions has changed from ${this.partitionCount} to ${current}`,
        )
      }
      const loaded = await this.loadTransactionMetadata(partition, coordinatorEpoch)
      const end = this.clock.now()
      this.info(
        `Finished loading ${loaded.size} transaction metadata from ${tp} in ${end - scheduled} milliseconds, of ` +
          `which ${start - scheduled} milliseconds was spent in the scheduler.`,
      )
      if (this.loadingPartitions.get(partition) !== coordinatorEpoch) return
      const previous = this.cache.get(partition)
      this.cache.set(partition, { coordinatorEpoch, metadataPerTransactionalId: loaded })
      if (previous) {
        this.logger.warn(
          `${this.prefix}Unloaded transaction metadata of ${previous.metadataPerTransactionalId.size} ids at epoch ` +
            `${previous.coordinatorEpoch} from ${tp} as part of loading metadata at epoch ${coordinatorEpoch}`,
        )
      }
      const pending: Parameters<SendTxnMarkersCallback>[] = []
      for (const md of loaded.values()) {
        if (md.state === 'PrepareAbort')
          pending.push([coordinatorEpoch, 'ABORT', md, md.prepareComplete(this.clock.now())])
        else if (md.state === 'PrepareCommit')
          pending.push([coordinatorEpoch, 'COMMIT', md, md.prepareComplete(this.clock.now())])
      }
      // no longer loading before the markers go out, so that completing them is not refused as "loading"
      this.loadingPartitions.delete(partition)
      for (const args of pending) sendTxnMarkers(...args)
      this.info(`Completed loading transaction metadata from ${tp} for coordinator epoch ${coordinatorEpoch}`)
    })
  }

  private async loadTransactionMetadata(
    partition: number,
    coordinatorEpoch: number,
  ): Promise<Map<string, TransactionMetadata>> {
    const tp = `${TRANSACTION_STATE_TOPIC}-${partition}`
    const loaded = new Map<string, TransactionMetadata>()
    try {
      for await (const record of this.store.read(partition)) {
        if (this.shuttingDown || this.loadingPartitions.get(partition) !== coordinatorEpoch) break
        if (record.key === null) throw new Error("Transaction state log's key should not be null")
        const key = readTxnRecordKey(record.key)
        if ('unknownVersion' in key) {
          this.logger.warn(
            `${this.prefix}Unknown message key with version ${key.unknownVersion} while loading transaction state ` +
              `from ${tp}. Ignoring it. It could be a left over from an aborted upgrade.`,
          )
          continue
        }
        const md = readTxnRecordValue(key.transactionalId, record.value)
        if (md === null) loaded.delete(key.transactionalId)
        else loaded.set(key.transactionalId, md)
      }
    } catch (e) {
      this.logger.error(
        `${this.prefix}Error loading transactions from transaction log ${tp}: ${describeError(e)}`,
      )
    }
    return loaded
  }

  /** This broker is no longer the leader: drop the partition (all of it when `coordinatorEpoch` is undefined). */
  removeTransactionsForTxnTopicPartition(partition: number, coordinatorEpoch?: number): void {
    const tp = `${TRANSACTION_STATE_TOPIC}-${partition}`
    const loading = this.loadingPartitions.get(partition)
    if (loading !== undefined && (coordinatorEpoch === undefined || loading <= coordinatorEpoch))
      this.loadingPartitions.delete(partition)
    const entry = this.cache.get(partition)
    if (entry) {
      this.cache.delete(partition)
      this.info(
        `Unloaded transaction metadata TxnMetadataCacheEntry(coordinatorEpoch=${entry.coordinatorEpoch}, ` +
          `numTransactionalEntries=${entry.metadataPerTransactionalId.size}) for ${tp} ` +
          (coordinatorEpoch === undefined
            ? 'following local partition deletion'
            : 'on become-follower transition'),
      )
    } else {
      this.info(`No cached transaction metadata found for ${tp} during become-follower transition`)
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // writes

  /**
   * Writes `newMetadata` for the id to the log and, once the ISR has it, applies it to the cached metadata.
   * Resolves with NONE or the coordinator error (the produce error mapped as Kafka does). On an error the
   * pending state is cleared unless `retryOnError` says the caller retries the same write.
   */
  async appendTransactionToLog(
    transactionalId: string,
    coordinatorEpoch: number,
    newMetadata: TxnTransitMetadata,
    retryOnError: (error: number) => boolean = () => false,
  ): Promise<number> {
    const before = this.getTransactionState(transactionalId)
    if (before.error !== ErrorCode.NONE) return before.error
    if (!before.found) return ErrorCode.NOT_COORDINATOR
    if (before.found.coordinatorEpoch !== coordinatorEpoch) return ErrorCode.NOT_COORDINATOR

    const partition = this.partitionFor(transactionalId)
    let appendError: number = ErrorCode.NONE
    try {
      // The local append happens synchronously inside this call, under the coordinator epoch checked above.
      await this.store.append(
        partition,
        [
          {
            key: transactionLogKey(transactionalId),
            value: transactionLogValue(newMetadata),
            timestamp: this.clock.now(),
          },
        ],
        { timeoutMs: newMetadata.txnTimeoutMs },
      )
    } catch (e) {
      const code = toErrorCode(e)
      this.logger.debug(
        `${this.prefix}Appending ${transactionalId}'s new metadata ${describeTransit(newMetadata)} failed due to ${errorName(code)}`,
      )
      appendError = coordinatorAppendError(code, AppendErrors.transaction)
    }

    const after = this.getTransactionState(transactionalId)
    if (appendError === ErrorCode.NONE) {
      if (after.error !== ErrorCode.NONE) {
        this.info(
          `Accessing the cached transaction metadata for ${transactionalId} returns ${errorName(after.error)} error; ` +
            `aborting transition to the new metadata and setting the error in the callback`,
        )
        return after.error
      }
      if (!after.found || after.found.coordinatorEpoch !== coordinatorEpoch) {
        this.info(
          `The cached coordinator metadata for ${transactionalId} changed after appending its new metadata ` +
            `${describeTransit(newMetadata)} to the transaction log (txn topic partition ${partition}) while it ` +
            `was ${coordinatorEpoch} before appending; aborting transition to the new metadata and returning NOT_COORDINATOR`,
        )
        return ErrorCode.NOT_COORDINATOR
      }
      after.found.metadata.completeTransitionTo(newMetadata)
      this.logger.debug(
        `${this.prefix}Updating ${transactionalId}'s transaction state to ${describeTransit(newMetadata)} with coordinator epoch ${coordinatorEpoch} succeeded`,
      )
      return ErrorCode.NONE
    }
    if (after.error === ErrorCode.NONE && after.found) {
      const md = after.found.metadata
      if (after.found.coordinatorEpoch === coordinatorEpoch) {
        if (retryOnError(appendError)) {
          this.info(
            `TransactionalId ${transactionalId} append transaction log for ${describeTransit(newMetadata)} transition ` +
              `failed due to ${errorName(appendError)}, not resetting pending state ${md.pendingState} but just ` +
              `returning the error in the callback to let the caller retry`,
          )
        } else {
          this.info(
            `TransactionalId ${transactionalId} append transaction log for ${describeTransit(newMetadata)} transition ` +
              `failed due to ${errorName(appendError)}, resetting pending state from ${md.pendingState}, aborting ` +
              `state transition and returning ${errorName(appendError)} in the callback`,
          )
          md.pendingState = undefined
        }
      }
    }
    return appendError
  }

  // ---------------------------------------------------------------------------------------------------------
  // transactional id expiration

  private scheduleExpiration(): void {
    const every = this.config.removeExpiredTransactionalIdsIntervalMs
    this.expirationTask = this.scheduler.schedule(
      'transactionalId-expiration',
      () => {
        // tombstone writes wait for the ISR: started here, not awaited by the scheduler
        if (!this.shuttingDown)
          this.removeExpiredTransactionalIds().catch((e: unknown) =>
            this.logger.error(
              `${this.prefix}Failed to remove expired transactional ids: ${describeError(e)}`,
            ),
          )
      },
      every,
      every,
    )
  }

  private shouldExpire(md: TransactionMetadata, now: number): boolean {
    const s = md.state
    const allowed = s === 'Empty' || s === 'CompleteCommit' || s === 'CompleteAbort'
    return allowed && md.txnLastUpdateTimestamp <= now - this.config.transactionalIdExpirationMs
  }

  /** Writes tombstones for ids idle for transactional.id.expiration.ms and drops them once written. */
  async removeExpiredTransactionalIds(): Promise<void> {
    const writes: Promise<void>[] = []
    for (const [partition, entry] of this.cache) {
      const now = this.clock.now()
      let batch: { transactionalId: string; transit: TxnTransitMetadata }[] = []
      let batchBytes = 0
      const flush = (): void => {
        if (batch.length > 0) writes.push(this.writeTombstones(partition, entry, batch, now))
        batch = []
        batchBytes = 0
      }
      for (const md of entry.metadataPerTransactionalId.values()) {
        if (md.pendingState !== undefined || !this.shouldExpire(md, now)) continue
        // a record with a null value: its key, varints and attributes
        const size = 2 + Buffer.byteLength(md.transactionalId, 'utf8') + 16
        if (batch.length > 0 && 61 + batchBytes + size > this.config.maxBatchBytes) flush()
        batch.push({ transactionalId: md.transactionalId, transit: md.prepareDead() })
        batchBytes += size
      }
      flush()
    }
    await Promise.all(writes)
  }

  private async writeTombstones(
    partition: number,
    entry: CacheEntry,
    expired: readonly { transactionalId: string; transit: TxnTransitMetadata }[],
    now: number,
  ): Promise<void> {
    let error: number = ErrorCode.NONE
    try {
      await this.store.append(
        partition,
        expired.map((e) => ({ key: transactionLogKey(e.transactionalId), value: null, timestamp: now })),
        { timeoutMs: this.config.requestTimeoutMs },
      )
    } catch (e) {
      error = toErrorCode(e)
    }
    const current = this.cache.get(partition)
    for (const { transactionalId, transit } of expired) {
      const md = current?.metadataPerTransactionalId.get(transactionalId)
      if (!md) continue
      if (
        current === entry &&
        md.pendingState === 'Dead' &&
        md.producerEpoch === transit.producerEpoch &&
        error === ErrorCode.NONE
      ) {
        current.metadataPerTransactionalId.delete(transactionalId)
      } else {
        this.logger.warn(
          `${this.prefix}Failed to remove expired transactionalId: ${transactionalId} from cache. Tombstone append ` +
            `error code: ${errorName(error)}, pendingState: ${md.pendingState}, producerEpoch: ${md.producerEpoch}, ` +
            `expected producerEpoch: ${transit.producerEpoch}, coordinatorEpoch: ${current?.coordinatorEpoch}, ` +
            `expected coordinatorEpoch: ${entry.coordinatorEpoch}`,
        )
        if (md.pendingState === 'Dead') md.pendingState = undefined
      }
    }
    if (error === ErrorCode.NONE) {
      this.info(
        `Removed ${expired.length} expired transactional ids from ${TRANSACTION_STATE_TOPIC}-${partition}`,
      )
    }
  }
}
