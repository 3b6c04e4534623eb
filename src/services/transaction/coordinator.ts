/**
 * Kafka's `TransactionCoordinator` (3.9, transaction.version 0): the broker side of transactional producers.
 *
 * The coordinator of a transactional id is the leader of its `__transaction_state` partition. It hands out the
 * producer id and epoch (InitProducerId; a new epoch fences every older producer of the id, aborting its open
 * transaction first), records which partitions a transaction writes to (AddPartitionsToTxn, AddOffsetsToTxn),
 * decides it (EndTxn: PrepareCommit/PrepareAbort written to the log, then the markers sent to every partition,
 * then CompleteCommit/CompleteAbort), aborts transactions that run past their timeout, answers partition leaders
 * that verify a transactional write (KIP-890), and describes and lists transactions (KIP-664).
 *
 * Every answer that changes state is given only once the change is in the log, replicated to the ISR.
 */
import { ErrorCode, errorName, toErrorCode } from '../../protocol/errors.js'
import type { Clock, ScheduledTask, Scheduler } from '../../util/scheduler.js'
import type { Logger } from '../../util/logger.js'
import {
  TransactionMarkerChannelManager,
  type MarkerDestination,
  type TxnMarkerTransport,
} from './marker-channel.js'
import {
  IllegalTransactionStateError,
  isEpochExhausted,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  TopicPartitionSet,
  TransactionMetadata,
  type TopicPartition,
  type TransactionStateName,
  type TxnTransitMetadata,
} from './metadata.js'
import { TRANSACTION_STATE_TOPIC } from '../metadata/topic-admin.js'
import {
  TransactionStateManager,
  type ListedTransaction,
  type TransactionConfig,
  type TransactionLogStore,
} from './state-manager.js'

export interface ProducerIdGenerator {
  generateProducerId(): Promise<number>
}

export interface InitProducerIdResult {
  readonly error: number
  readonly producerId: number
  readonly producerEpoch: number
}

export interface DescribedTransaction {
  readonly errorCode: number
  readonly transactionalId: string
  readonly transactionState: string
  readonly transactionTimeoutMs: number
  readonly transactionStartTimeMs: number
  readonly producerId: number
  readonly producerEpoch: number
  readonly topics: readonly { topic: string; partitions: readonly number[] }[]
}

export interface TransactionCoordinatorOptions {
  readonly brokerId: number
  readonly config: TransactionConfig
  readonly logStore: TransactionLogStore
  readonly producerIds: ProducerIdGenerator
  /** The leader of a partition, for its transaction marker. */
  readonly markerDestination: (tp: TopicPartition) => MarkerDestination
  readonly markerTransport: TxnMarkerTransport
  /** the coordinator's timers and clock */
  readonly scheduler: Scheduler
  readonly logger: Logger
  /** Back-off of marker retries (retry.backoff.ms). */
  readonly retryBackoffMs?: number
}

type Prepared =
  { readonly error: number } | { readonly coordinatorEpoch: number; readonly transit: TxnTransitMetadata }

const failed = (error: number): InitProducerIdResult => ({
  error,
  producerId: NO_PRODUCER_ID,
  producerEpoch: NO_PRODUCER_EPOCH,
})

export class TransactionCoordinator {
  readonly stateManager: TransactionStateManager
  readonly markerChannel: TransactionMarkerChannelManager
  private readonly prefix: string
  private readonly clock: Clock
  private readonly logger: Logger
  private active = false
  private abortTask: ScheduledTask | undefined

  constructor(private readonly o: TransactionCoordinatorOptions) {
    this.prefix = `[TransactionCoordinator id=${o.brokerId}] `
    this.clock = o.scheduler.clock
    this.logger = o.logger
    this.stateManager = new TransactionStateManager(o.brokerId, o.config, o.logStore, o.scheduler, o.logger)
    this.markerChannel = new TransactionMarkerChannelManager({
      brokerId: o.brokerId,
      stateManager: this.stateManager,
      destinationOf: o.markerDestination,
      transport: o.markerTransport,
      scheduler: o.scheduler,
      logger: o.logger,
      retryBackoffMs: o.retryBackoffMs,
    })
  }

  private info(m: string): void {
    this.logger.info(this.prefix + m)
  }

  get isActive(): boolean {
    return this.active
  }

  partitionFor(transactionalId: string): number {
    return this.stateManager.partitionFor(transactionalId)
  }

  /** `retrievePartitionCount`: the partition count of an existing `__transaction_state`, else the configured one. */
  startup(retrievePartitionCount: () => number, enableTransactionalIdExpiration = true): void {
    this.info('Starting up.')
    this.scheduleAbortTimedOut()
    this.stateManager.startup(retrievePartitionCount, enableTransactionalIdExpiration)
    this.active = true
    this.info('Startup complete.')
  }

  async shutdown(): Promise<void> {
    this.info('Shutting down.')
    this.active = false
    this.abortTask?.cancel()
    this.abortTask = undefined
    this.markerChannel.shutdown()
    await this.stateManager.shutdown()
    this.info('Shutdown complete.')
  }

  private scheduleAbortTimedOut(): void {
    const every = this.o.config.abortTimedOutTransactionsIntervalMs
    this.abortTask = this.o.scheduler.schedule(
      'transaction-abort',
      () => {
        if (this.active) this.abortTimedOutTransactions()
      },
      every,
      every,
    )
  }

  // ---------------------------------------------------------------------------------------------------------
  // leadership of __transaction_state partitions

  /** This broker leads `__transaction_state-<partition>` at `coordinatorEpoch` (its leader epoch) now. */
  onElection(partition: number, coordinatorEpoch: number): Promise<void> {
    this.info(`Elected as the txn coordinator for partition ${partition} at epoch ${coordinatorEpoch}`)
    this.markerChannel.removeMarkersForTxnTopicPartition(partition)
    return this.stateManager.loadTransactionsForTxnTopicPartition(
      partition,
      coordinatorEpoch,
      (epoch, result, md, transit) => this.markerChannel.addTxnMarkersToSend(epoch, result, md, transit),
    )
  }

  /** This broker no longer leads the partition (`coordinatorEpoch` undefined: its replica was deleted). */
  onResignation(partition: number, coordinatorEpoch?: number): void {
    this.info(
      `Resigned as the txn coordinator for partition ${partition} at epoch ` +
        `${coordinatorEpoch ?? 'unknown'}`,
    )
    this.stateManager.removeTransactionsForTxnTopicPartition(partition, coordinatorEpoch)
    this.markerChannel.removeMarkersForTxnTopicPartition(partition)
  }

  // ---------------------------------------------------------------------------------------------------------
  // InitProducerId

  /**
   * A producer id and epoch for a producer. Without a transactional id (idempotent producers) any broker hands
   * out a new id with epoch 0. With one: a new id for an unknown transactional id, else the next epoch (fencing
   * older producers); an open transaction is aborted first and the producer asked to retry
   * (CONCURRENT_TRANSACTIONS). `expected` is the producer's current id and epoch (KIP-360, InitProducerId v3+).
   */
  async handleInitProducerId(
    transactionalId: string | null,
    transactionTimeoutMs: number,
    expected?: { readonly producerId: number; readonly producerEpoch: number },
  ): Promise<InitProducerIdResult> {
    if (transactionalId === null) {
      try {
        return {
          error: ErrorCode.NONE,
          producerId: await this.o.producerIds.generateProducerId(),
          producerEpoch: 0,
        }
      } catch (e) {
        return failed(toErrorCode(e))
      }
    }
    if (transactionalId === '') return failed(ErrorCode.INVALID_REQUEST)
    if (!this.stateManager.validateTransactionTimeoutMs(transactionTimeoutMs))
      return failed(ErrorCode.INVALID_TRANSACTION_TIMEOUT)

    const sm = this.stateManager
    let lookup = sm.getTransactionState(transactionalId)
    if (lookup.error !== ErrorCode.NONE) return failed(lookup.error)
    // Producer ids come from ZooKeeper asynchronously: take one first when it may be needed, then decide.
    let freshId: number | undefined
    if (!lookup.found || isEpochExhausted(lookup.found.metadata.producerEpoch)) {
      try {
        freshId = await this.o.producerIds.generateProducerId()
      } catch (e) {
        return failed(this.producerIdError(e))
      }
      lookup = sm.getTransactionState(transactionalId)
      if (lookup.error !== ErrorCode.NONE) return failed(lookup.error)
    }
    if (!lookup.found) {
      lookup = sm.putTransactionStateIfNotExists(
        new TransactionMetadata({
          transactionalId,
          producerId: freshId!,
          producerEpoch: NO_PRODUCER_EPOCH,
          txnTimeoutMs: transactionTimeoutMs,
          state: 'Empty',
          txnLastUpdateTimestamp: this.clock.now(),
        }),
      )
      if (lookup.error !== ErrorCode.NONE) return failed(lookup.error)
      // a concurrent InitProducerId may have created it already; then its metadata is the one used
      if (lookup.found?.metadata.producerId === freshId) freshId = undefined
    }
    const { coordinatorEpoch, metadata } = lookup.found!
    const prepared = this.prepareInitProducerIdTransit(
      transactionalId,
      transactionTimeoutMs,
      coordinatorEpoch,
      metadata,
      expected,
      freshId,
    )
    if ('error' in prepared) return failed(prepared.error)
    const transit = prepared.transit
    if (transit.txnState === 'PrepareEpochFence') {
      // abort the open transaction; the producer retries and then gets the epoch after this one
      const error = await this.endTransaction(
        transactionalId,
        transit.producerId,
        transit.producerEpoch,
        'ABORT',
        false,
      )
      return failed(error === ErrorCode.NONE ? ErrorCode.CONCURRENT_TRANSACTIONS : error)
    }
    const error = await sm.appendTransactionToLog(transactionalId, coordinatorEpoch, transit)
    if (error !== ErrorCode.NONE) {
      this.info(
        `Returning ${errorName(error)} error code to client for ${transactionalId}'s InitProducerId request`,
      )
      return failed(error)
    }
    this.info(
      `Initialized transactionalId ${transactionalId} with producerId ${transit.producerId} and producer epoch ` +
        `${transit.producerEpoch} on partition ${TRANSACTION_STATE_TOPIC}-${sm.partitionFor(transactionalId)}`,
    )
    return { error: ErrorCode.NONE, producerId: transit.producerId, producerEpoch: transit.producerEpoch }
  }

  /** A failed producer id block allocation (ZooKeeper unreachable, ...): retriable for the client. */
  private producerIdError(e: unknown): number {
    this.logger.error({ err: e }, `${this.prefix}Failed to allocate a producer id`)
    const code = toErrorCode(e)
    return code === ErrorCode.UNKNOWN_SERVER_ERROR ? ErrorCode.COORDINATOR_NOT_AVAILABLE : code
  }

  private prepareInitProducerIdTransit(
    transactionalId: string,
    transactionTimeoutMs: number,
    coordinatorEpoch: number,
    md: TransactionMetadata,
    expected: { readonly producerId: number; readonly producerEpoch: number } | undefined,
    freshId: number | undefined,
  ): Prepared {
    // A producer that sends its id and epoch is fenced unless the metadata was just created (recovering from
    // UNKNOWN_PRODUCER_ID), the id is the current one (its epoch is checked below), or it is the previous id and
    // its epoch was exhausted (a retry of a rotation whose answer it never got).
    const isValidProducerId = (e: { producerId: number; producerEpoch: number }): boolean =>
      md.producerEpoch === NO_PRODUCER_EPOCH ||
      e.producerId === md.producerId ||
      (e.producerId === md.lastProducerId && isEpochExhausted(e.producerEpoch))

    if (md.pendingTransitionInProgress) return { error: ErrorCode.CONCURRENT_TRANSACTIONS }
    if (expected && !isValidProducerId(expected)) return { error: ErrorCode.PRODUCER_FENCED }
    switch (md.state) {
      case 'PrepareAbort':
      case 'PrepareCommit':
        return { error: ErrorCode.CONCURRENT_TRANSACTIONS }
      case 'CompleteAbort':
      case 'CompleteCommit':
      case 'Empty': {
        if (md.isProducerEpochExhausted && (!expected || expected.producerEpoch === md.producerEpoch)) {
          // the id for the rotation was taken before; without one (a race), the producer retries
          if (freshId === undefined) return { error: ErrorCode.CONCURRENT_TRANSACTIONS }
          return {
            coordinatorEpoch,
            transit: md.prepareProducerIdRotation(
              freshId,
              transactionTimeoutMs,
              this.clock.now(),
              expected !== undefined,
            ),
          }
        }
        const r = md.prepareIncrementProducerEpoch(
          transactionTimeoutMs,
          expected?.producerEpoch,
          this.clock.now(),
        )
        return 'error' in r ? r : { coordinatorEpoch, transit: r.transit }
      }
      case 'Ongoing':
        // Abort the open transaction under a bumped epoch (never given to a client) and have the producer retry,
        // which bumps the epoch once more — or rotates the id if fencing exhausted the epochs.
        return { coordinatorEpoch, transit: md.prepareFenceProducerEpoch() }
      case 'Dead':
      case 'PrepareEpochFence': {
        const msg =
          `Found transactionalId ${transactionalId} with state ${md.state}. This is illegal as we should never have ` +
          `transitioned to this state.`
        this.logger.error(this.prefix + msg)
        throw new IllegalTransactionStateError(msg)
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // AddPartitionsToTxn / AddOffsetsToTxn

  /** Adds partitions to the producer's transaction (starting it when none is open); resolves with the error. */
  async handleAddPartitionsToTransaction(
    transactionalId: string,
    producerId: number,
    producerEpoch: number,
    partitions: readonly TopicPartition[],
  ): Promise<number> {
    if (transactionalId === '') return ErrorCode.INVALID_REQUEST
    const lookup = this.stateManager.getTransactionState(transactionalId)
    if (lookup.error !== ErrorCode.NONE) return lookup.error
    if (!lookup.found) return ErrorCode.INVALID_PRODUCER_ID_MAPPING
    const { coordinatorEpoch, metadata: md } = lookup.found
    const added = new TopicPartitionSet(partitions)
    if (md.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING
    if (md.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED
    if (md.pendingTransitionInProgress) return ErrorCode.CONCURRENT_TRANSACTIONS
    if (md.state === 'PrepareCommit' || md.state === 'PrepareAbort') return ErrorCode.CONCURRENT_TRANSACTIONS
    // already there: nothing to write
    if (md.state === 'Ongoing' && added.isSubsetOf(md.topicPartitions)) return ErrorCode.NONE
    const transit = md.prepareAddPartitions(added, this.clock.now())
    return this.stateManager.appendTransactionToLog(transactionalId, coordinatorEpoch, transit)
  }

  /**
   * KIP-890: a partition leader asks whether the producer's transaction includes these partitions before it
   * accepts the first transactional write to them. NONE per partition that is in the transaction,
   * TRANSACTION_ABORTABLE per partition that is not; one error for all of them otherwise.
   */
  handleVerifyPartitionsInTransaction(
    transactionalId: string,
    producerId: number,
    producerEpoch: number,
    partitions: readonly TopicPartition[],
  ): Map<TopicPartition, number> {
    const all = (error: number): Map<TopicPartition, number> => new Map(partitions.map((tp) => [tp, error]))
    if (transactionalId === '') return all(ErrorCode.INVALID_REQUEST)
    const lookup = this.stateManager.getTransactionState(transactionalId)
    if (lookup.error !== ErrorCode.NONE) return all(lookup.error)
    if (!lookup.found) return all(ErrorCode.INVALID_PRODUCER_ID_MAPPING)
    const md = lookup.found.metadata
    // the pending state is not checked: the log append itself is the final check
    if (md.producerId !== producerId) return all(ErrorCode.INVALID_PRODUCER_ID_MAPPING)
    if (md.producerEpoch !== producerEpoch) return all(ErrorCode.PRODUCER_FENCED)
    if (md.state === 'PrepareCommit' || md.state === 'PrepareAbort')
      return all(ErrorCode.CONCURRENT_TRANSACTIONS)
    return new Map(
      partitions.map((tp) => [
        tp,
        md.topicPartitions.has(tp) ? ErrorCode.NONE : ErrorCode.TRANSACTION_ABORTABLE,
      ]),
    )
  }

  // ---------------------------------------------------------------------------------------------------------
  // EndTxn

  /** Commits or aborts the producer's transaction; resolves once the decision is in the log (markers follow). */
  handleEndTransaction(
    transactionalId: string,
    producerId: number,
    producerEpoch: number,
    result: 'COMMIT' | 'ABORT',
  ): Promise<number> {
    return this.endTransaction(transactionalId, producerId, producerEpoch, result, true)
  }

  private invalidTransition(transactionalId: string, state: TransactionStateName, result: string): number {
    this.logger.warn(
      `${this.prefix}TransactionalId: ${transactionalId}'s state is ${state}, but received transaction marker ` +
        `result to send: ${result}`,
    )
    return ErrorCode.INVALID_TXN_STATE
  }

  private async endTransaction(
    transactionalId: string,
    producerId: number,
    producerEpoch: number,
    result: 'COMMIT' | 'ABORT',
    isFromClient: boolean,
  ): Promise<number> {
    if (transactionalId === '') return ErrorCode.INVALID_REQUEST
    const sm = this.stateManager
    let isEpochFence = false
    let prepared: Prepared
    const lookup = sm.getTransactionState(transactionalId)
    if (lookup.error !== ErrorCode.NONE) prepared = { error: lookup.error }
    else if (!lookup.found) prepared = { error: ErrorCode.INVALID_PRODUCER_ID_MAPPING }
    else {
      const { coordinatorEpoch, metadata: md } = lookup.found
      if (md.producerId !== producerId) prepared = { error: ErrorCode.INVALID_PRODUCER_ID_MAPPING }
      // clients must use the current epoch; a fence (not from a client) may carry a higher one
      else if ((isFromClient && producerEpoch !== md.producerEpoch) || producerEpoch < md.producerEpoch)
        prepared = { error: ErrorCode.PRODUCER_FENCED }
      else if (md.pendingTransitionInProgress && md.pendingState !== 'PrepareEpochFence')
        prepared = { error: ErrorCode.CONCURRENT_TRANSACTIONS }
      else {
        switch (md.state) {
          case 'Ongoing': {
            const next = result === 'COMMIT' ? 'PrepareCommit' : 'PrepareAbort'
            if (next === 'PrepareAbort' && md.pendingState === 'PrepareEpochFence') {
              // the fence becomes this abort, written with the bumped epoch
              isEpochFence = true
              md.pendingState = undefined
              md.producerEpoch = producerEpoch
              md.lastProducerEpoch = NO_PRODUCER_EPOCH
            }
            prepared = { coordinatorEpoch, transit: md.prepareAbortOrCommit(next, this.clock.now()) }
            break
          }
          case 'CompleteCommit':
            prepared = {
              error:
                result === 'COMMIT'
                  ? ErrorCode.NONE
                  : this.invalidTransition(transactionalId, md.state, result),
            }
            break
          case 'CompleteAbort':
            prepared = {
              error:
                result === 'ABORT'
                  ? ErrorCode.NONE
                  : this.invalidTransition(transactionalId, md.state, result),
            }
            break
          case 'PrepareCommit':
            prepared = {
              error:
                result === 'COMMIT'
                  ? ErrorCode.CONCURRENT_TRANSACTIONS
                  : this.invalidTransition(transactionalId, md.state, result),
            }
            break
          case 'PrepareAbort':
            prepared = {
              error:
                result === 'ABORT'
                  ? ErrorCode.CONCURRENT_TRANSACTIONS
                  : this.invalidTransition(transactionalId, md.state, result),
            }
            break
          case 'Empty':
            prepared = { error: this.invalidTransition(transactionalId, md.state, result) }
            break
          case 'Dead':
          case 'PrepareEpochFence': {
            const msg =
              `Found transactionalId ${transactionalId} with state ${md.state}. This is illegal as we should never ` +
              `have transitioned to this state.`
            this.logger.error(this.prefix + msg)
            throw new IllegalTransactionStateError(msg)
          }
        }
      }
    }
    if ('error' in prepared) {
      if (prepared.error !== ErrorCode.NONE) {
        this.logger.debug(
          `${this.prefix}Aborting append of ${result} to transaction log with coordinator and returning ` +
            `${errorName(prepared.error)} error to client for ${transactionalId}'s EndTransaction request`,
        )
      }
      return prepared.error
    }
    const { coordinatorEpoch, transit } = prepared
    const error = await sm.appendTransactionToLog(transactionalId, coordinatorEpoch, transit)
    if (error !== ErrorCode.NONE) {
      this.info(
        `Aborting sending of transaction markers and returning ${errorName(error)} error to client for ` +
          `${transactionalId}'s EndTransaction request of ${result}, since appending the ${transit.txnState} to the ` +
          `transaction log with coordinator epoch ${coordinatorEpoch} failed`,
      )
      if (isEpochFence) {
        const now = sm.getTransactionState(transactionalId)
        if (now.error === ErrorCode.NONE && now.found?.coordinatorEpoch === coordinatorEpoch) {
          // the bumped epoch was never given out; the next fence reuses it
          now.found.metadata.hasFailedEpochFence = true
          this.logger.warn(
            `${this.prefix}The coordinator failed to write an epoch fence transition for producer ${transactionalId} ` +
              `to the transaction log with error ${errorName(error)}. The epoch was increased to ` +
              `${transit.producerEpoch} but not returned to the client`,
          )
        }
      }
      return error
    }
    // the decision is in the log: answer now, and send the markers
    const now = sm.getTransactionState(transactionalId)
    let preSend: { error: number } | { md: TransactionMetadata; complete: TxnTransitMetadata }
    if (now.error !== ErrorCode.NONE) preSend = { error: now.error }
    else if (!now.found) {
      const msg =
        `The coordinator still owns the transaction partition for ${transactionalId}, but there is no metadata in ` +
        `the cache; this is not expected`
      this.logger.error(this.prefix + msg)
      throw new IllegalTransactionStateError(msg)
    } else if (now.found.coordinatorEpoch !== coordinatorEpoch) {
      this.logger.debug(
        `${this.prefix}The transaction coordinator epoch has changed to ${now.found.coordinatorEpoch} after ${result} ` +
          `was successfully appended to the log for ${transactionalId} with old epoch ${coordinatorEpoch}`,
      )
      preSend = { error: ErrorCode.NOT_COORDINATOR }
    } else {
      const md = now.found.metadata
      if (md.producerId !== producerId) preSend = { error: ErrorCode.INVALID_PRODUCER_ID_MAPPING }
      else if (md.producerEpoch !== producerEpoch) preSend = { error: ErrorCode.PRODUCER_FENCED }
      else if (md.pendingTransitionInProgress) preSend = { error: ErrorCode.CONCURRENT_TRANSACTIONS }
      else if (md.state === 'PrepareCommit' && result === 'COMMIT')
        preSend = { md, complete: md.prepareComplete(this.clock.now()) }
      else if (md.state === 'PrepareAbort' && result === 'ABORT')
        preSend = { md, complete: md.prepareComplete(this.clock.now()) }
      else preSend = { error: this.invalidTransition(transactionalId, md.state, result) }
    }
    if ('error' in preSend) {
      this.info(
        `Aborting sending of transaction markers after appended ${result} to transaction log and returning ` +
          `${errorName(preSend.error)} error to client for ${transactionalId}'s EndTransaction request`,
      )
      return preSend.error
    }
    this.markerChannel.addTxnMarkersToSend(coordinatorEpoch, result, preSend.md, preSend.complete)
    return ErrorCode.NONE
  }

  // ---------------------------------------------------------------------------------------------------------
  // timeouts

  /** Aborts (with an epoch fence) every transaction open longer than its transaction.timeout.ms. */
  abortTimedOutTransactions(): void {
    for (const t of this.stateManager.timedOutTransactions()) {
      const lookup = this.stateManager.getTransactionState(t.transactionalId)
      if (lookup.error !== ErrorCode.NONE || !lookup.found) {
        if (lookup.error === ErrorCode.NONE)
          this.logger.error(
            `${this.prefix}Could not find transaction metadata when trying to timeout transaction for ${t.transactionalId}`,
          )
        continue
      }
      const md = lookup.found.metadata
      if (md.producerId !== t.producerId) {
        this.logger.error(
          `${this.prefix}Found incorrect producerId when expiring transactionalId: ${t.transactionalId}. Expected ` +
            `producerId: ${t.producerId}. Found producerId: ${md.producerId}`,
        )
        continue
      }
      if (md.pendingTransitionInProgress) {
        this.logger.debug(
          `${this.prefix}Skipping abort of timed out transaction ${t.transactionalId} since there is a pending state transition`,
        )
        continue
      }
      const fence = md.prepareFenceProducerEpoch()
      this.info(
        `Aborting transaction of ${t.transactionalId} (producerId ${t.producerId}, epoch ${t.producerEpoch}): it ` +
          `has been open for longer than its timeout of ${md.txnTimeoutMs} ms`,
      )
      void this.endTransaction(t.transactionalId, fence.producerId, fence.producerEpoch, 'ABORT', false).then(
        (error) => {
          if (error === ErrorCode.NONE) {
            this.info(
              `Completed rollback of ongoing transaction for transactionalId ${t.transactionalId} due to timeout`,
            )
          } else if (
            error === ErrorCode.INVALID_PRODUCER_ID_MAPPING ||
            error === ErrorCode.PRODUCER_FENCED ||
            error === ErrorCode.CONCURRENT_TRANSACTIONS
          ) {
            this.logger.debug(
              `${this.prefix}Rollback of ongoing transaction for transactionalId ${t.transactionalId} has been ` +
                `cancelled due to error ${errorName(error)}`,
            )
          } else {
            this.logger.warn(
              `${this.prefix}Rollback of ongoing transaction for transactionalId ${t.transactionalId} failed due ` +
                `to error ${errorName(error)}`,
            )
          }
        },
        (e: unknown) =>
          this.logger.error(
            { err: e },
            `${this.prefix}Rollback of timed-out transaction ${t.transactionalId} failed`,
          ),
      )
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // KIP-664 admin views

  handleDescribeTransactions(transactionalId: string): DescribedTransaction {
    const base = {
      transactionalId,
      transactionState: '',
      transactionTimeoutMs: 0,
      transactionStartTimeMs: -1,
      producerId: -1,
      producerEpoch: -1,
      topics: [],
    }
    if (!this.active) return { ...base, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE }
    if (transactionalId === '') return { ...base, errorCode: ErrorCode.INVALID_REQUEST }
    const lookup = this.stateManager.getTransactionState(transactionalId)
    if (lookup.error !== ErrorCode.NONE) return { ...base, errorCode: lookup.error }
    // a Dead id is being expired
    if (!lookup.found || lookup.found.metadata.state === 'Dead')
      return { ...base, errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND }
    const md = lookup.found.metadata
    return {
      errorCode: ErrorCode.NONE,
      transactionalId,
      transactionState: md.state,
      transactionTimeoutMs: md.txnTimeoutMs,
      transactionStartTimeMs: md.txnStartTimestamp,
      producerId: md.producerId,
      producerEpoch: md.producerEpoch,
      topics: [...md.topicPartitions.byTopic()].map(([topic, partitions]) => ({ topic, partitions })),
    }
  }

  handleListTransactions(
    producerIds: ReadonlySet<number>,
    states: ReadonlySet<string>,
    durationMs = -1,
  ): { errorCode: number; unknownStateFilters: string[]; transactionStates: ListedTransaction[] } {
    if (!this.active) {
      return {
        errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
        unknownStateFilters: [],
        transactionStates: [],
      }
    }
    return this.stateManager.listTransactionStates(producerIds, states, durationMs)
  }
}
