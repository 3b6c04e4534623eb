/**
 * Kafka's `TransactionMarkerChannelManager` and `TransactionMarkerRequestCompletionHandler`: once a transaction
 * is decided (PrepareCommit/PrepareAbort is in the log), its COMMIT or ABORT marker must be written into every
 * partition of the transaction, by that partition's leader (WriteTxnMarkers). Markers are queued per destination
 * broker and per `__transaction_state` partition (so a resigning coordinator can drop exactly its own), sent one
 * request per broker at a time, and retried — with the partition's current leader — until every partition has
 * its marker. Then the CompleteCommit/CompleteAbort record is written, and the transaction is done.
 *
 * Partitions whose leader is known but not reachable wait in an "unknown destination" queue and are looked up
 * again on every round; partitions that no longer exist (deleted topics) are dropped from the transaction.
 */
import { ErrorCode, errorName } from '../../protocol/errors.js'
import { coalescedWakeup } from '../../util/coalesce.js'
import type { Logger } from '../../util/logger.js'
import type { TransactionMetadata, TopicPartition, TxnTransitMetadata } from './metadata.js'
import type { ScheduledTask, Scheduler } from '../../util/scheduler.js'
import type { TransactionStateManager } from './state-manager.js'

export type TransactionResult = 'COMMIT' | 'ABORT'

/** One marker of a WriteTxnMarkers request. */
export interface TxnMarkerEntry {
  readonly producerId: number
  readonly producerEpoch: number
  readonly coordinatorEpoch: number
  readonly result: TransactionResult
  readonly partitions: readonly TopicPartition[]
}

/** What a WriteTxnMarkers request came back with: an error per producer id and partition. */
export type WriteTxnMarkersOutcome =
  | {
      readonly kind: 'response'
      /** undefined when the response has no entry for the producer or partition */
      readonly errorFor: (producerId: number, tp: TopicPartition) => number | undefined
    }
  | { readonly kind: 'disconnected'; readonly reason: string }

/** Sends WriteTxnMarkers to a broker (over the inter-broker listener, or locally when it is this broker). */
export interface TxnMarkerTransport {
  send(brokerId: number, markers: readonly TxnMarkerEntry[]): Promise<WriteTxnMarkersOutcome>
}

/** Where a partition's marker goes: its leader, a leader not reachable now, or nowhere (the partition is gone). */
export type MarkerDestination =
  | { readonly kind: 'leader'; readonly brokerId: number }
  | { readonly kind: 'unavailable' }
  | { readonly kind: 'unknown-partition' }

interface PendingCompleteTxn {
  readonly transactionalId: string
  readonly coordinatorEpoch: number
  readonly txnMetadata: TransactionMetadata
  readonly newMetadata: TxnTransitMetadata
}

interface PendingMarker {
  readonly pending: PendingCompleteTxn
  readonly marker: TxnMarkerEntry
}

/** Markers per `__transaction_state` partition, for one destination. */
class TxnMarkerQueue {
  readonly byTxnPartition = new Map<number, PendingMarker[]>()

  add(txnTopicPartition: number, m: PendingMarker): void {
    let q = this.byTxnPartition.get(txnTopicPartition)
    if (!q) this.byTxnPartition.set(txnTopicPartition, (q = []))
    q.push(m)
  }

  drain(): PendingMarker[] {
    const out: PendingMarker[] = []
    for (const q of this.byTxnPartition.values()) out.push(...q.splice(0))
    return out
  }

  get size(): number {
    let n = 0
    for (const q of this.byTxnPartition.values()) n += q.length
    return n
  }
}

export interface TransactionMarkerChannelOptions {
  readonly brokerId: number
  readonly stateManager: TransactionStateManager
  readonly destinationOf: (tp: TopicPartition) => MarkerDestination
  readonly transport: TxnMarkerTransport
  readonly scheduler: Scheduler
  readonly logger: Logger
  /** Pause before retrying a broker that could not be reached, or destinations not known yet. */
  readonly retryBackoffMs?: number
}

export class TransactionMarkerChannelManager {
  private readonly prefix: string
  private readonly queues = new Map<number, TxnMarkerQueue>()
  private readonly unknownDestination = new TxnMarkerQueue()
  private readonly logAppendRetries: PendingCompleteTxn[] = []
  private readonly transactionsWithPendingMarkers = new Map<string, PendingCompleteTxn>()
  private readonly inflight = new Set<number>()
  /** markers to route again after the back-off (failed connections, retriable partition errors) */
  private delayed: PendingMarker[] = []
  private readonly retryBackoffMs: number
  private retryTimer: ScheduledTask | undefined
  private stopped = false

  constructor(private readonly o: TransactionMarkerChannelOptions) {
    this.prefix = `[Transaction Marker Channel Manager ${o.brokerId}]: `
    this.retryBackoffMs = o.retryBackoffMs ?? 100
  }

  private info(m: string): void {
    this.o.logger.info(this.prefix + m)
  }

  get numTxnsWithPendingMarkers(): number {
    return this.transactionsWithPendingMarkers.size
  }

  /** Markers waiting to be sent (queued, not in flight), for tests and metrics. */
  get queuedMarkers(): number {
    let n = this.unknownDestination.size
    for (const q of this.queues.values()) n += q.size
    return n
  }

  shutdown(): void {
    this.stopped = true
    this.retryTimer?.cancel()
    this.retryTimer = undefined
    this.queues.clear()
    this.unknownDestination.byTxnPartition.clear()
    this.logAppendRetries.length = 0
    this.delayed = []
    this.transactionsWithPendingMarkers.clear()
  }

  /** Starts sending the markers of a decided transaction; `newMetadata` is its CompleteCommit/CompleteAbort. */
  addTxnMarkersToSend(
    coordinatorEpoch: number,
    result: TransactionResult,
    txnMetadata: TransactionMetadata,
    newMetadata: TxnTransitMetadata,
  ): void {
    const transactionalId = txnMetadata.transactionalId
    const pending: PendingCompleteTxn = { transactionalId, coordinatorEpoch, txnMetadata, newMetadata }
    const prev = this.transactionsWithPendingMarkers.get(transactionalId)
    this.transactionsWithPendingMarkers.set(transactionalId, pending)
    if (prev)
      this.info(
        `Replaced an existing pending complete txn for ${transactionalId} while adding markers to send.`,
      )
    this.addTxnMarkersToBrokerQueue(txnMetadata.producerId, txnMetadata.producerEpoch, result, pending, [
      ...txnMetadata.topicPartitions,
    ])
    this.maybeWriteTxnCompletion(transactionalId)
    this.wakeup()
  }

  private addTxnMarkersToBrokerQueue(
    producerId: number,
    producerEpoch: number,
    result: TransactionResult,
    pending: PendingCompleteTxn,
    topicPartitions: readonly TopicPartition[],
  ): void {
    const sm = this.o.stateManager
    const txnTopicPartition = sm.partitionFor(pending.transactionalId)
    const byBroker = new Map<number, TopicPartition[]>()
    const unavailable: TopicPartition[] = []
    const gone: TopicPartition[] = []
    for (const tp of topicPartitions) {
      const d = this.o.destinationOf(tp)
      if (d.kind === 'leader') {
        const list = byBroker.get(d.brokerId)
        if (list) list.push(tp)
        else byBroker.set(d.brokerId, [tp])
      } else if (d.kind === 'unavailable') unavailable.push(tp)
      else gone.push(tp)
    }
    const entry = (partitions: TopicPartition[]): PendingMarker => ({
      pending,
      marker: { producerId, producerEpoch, coordinatorEpoch: pending.coordinatorEpoch, result, partitions },
    })
    for (const [brokerId, tps] of byBroker) {
      let q = this.queues.get(brokerId)
      if (!q) {
        this.info(`Creating new marker queue map to destination broker ${brokerId}`)
        this.queues.set(brokerId, (q = new TxnMarkerQueue()))
      }
      q.add(txnTopicPartition, entry(tps))
    }
    if (unavailable.length > 0) this.unknownDestination.add(txnTopicPartition, entry(unavailable))
    if (gone.length > 0) {
      const transactionalId = pending.transactionalId
      const lookup = sm.getTransactionState(transactionalId)
      if (lookup.error !== ErrorCode.NONE) {
        this.info(
          `Encountered ${errorName(lookup.error)} trying to fetch transaction metadata for ${transactionalId} with ` +
            `coordinator epoch ${pending.coordinatorEpoch}; cancel sending markers to its partition leaders`,
        )
        this.removeIfCurrent(pending)
      } else if (!lookup.found) {
        this.o.logger.error(
          `${this.prefix}The coordinator still owns the transaction partition for ${transactionalId}, but there is ` +
            `no metadata in the cache; this is not expected`,
        )
        this.removeIfCurrent(pending)
      } else if (lookup.found.coordinatorEpoch !== pending.coordinatorEpoch) {
        this.info(
          `The cached metadata has changed (old coordinator epoch is ${pending.coordinatorEpoch}) since preparing to ` +
            `send markers; cancel sending markers to its partition leaders`,
        )
        this.removeIfCurrent(pending)
      } else {
        this.info(
          `Couldn't find leader endpoint for partitions [${gone.map((tp) => `${tp.topic}-${tp.partition}`).join(', ')}] ` +
            `while trying to send transaction markers for ${transactionalId}, these partitions are likely deleted ` +
            `already and hence can be skipped`,
        )
        for (const tp of gone) lookup.found.metadata.removePartition(tp)
        this.maybeWriteTxnCompletion(transactionalId)
      }
    }
  }

  private removeIfCurrent(pending: PendingCompleteTxn): void {
    if (this.transactionsWithPendingMarkers.get(pending.transactionalId) === pending)
      this.transactionsWithPendingMarkers.delete(pending.transactionalId)
  }

  /** Writes the CompleteCommit/CompleteAbort record once every partition of the transaction has its marker. */
  maybeWriteTxnCompletion(transactionalId: string): void {
    const pending = this.transactionsWithPendingMarkers.get(transactionalId)
    if (!pending || pending.txnMetadata.topicPartitions.size > 0) return
    this.transactionsWithPendingMarkers.delete(transactionalId)
    this.writeTxnCompletion(pending)
  }

  private writeTxnCompletion(pending: PendingCompleteTxn): void {
    const { transactionalId, coordinatorEpoch } = pending
    const lookup = this.o.stateManager.getTransactionState(transactionalId)
    if (lookup.error === ErrorCode.NOT_COORDINATOR) {
      this.info(
        `No longer the coordinator for ${transactionalId} with coordinator epoch ${coordinatorEpoch}; cancel ` +
          `appending ${pending.newMetadata.txnState} to transaction log`,
      )
    } else if (lookup.error === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) {
      this.info(
        `Loading the transaction partition that contains ${transactionalId} while my current coordinator epoch is ` +
          `${coordinatorEpoch}; so cancel appending ${pending.newMetadata.txnState} to transaction log since the ` +
          `loading process will continue the remaining work`,
      )
    } else if (lookup.error !== ErrorCode.NONE || !lookup.found) {
      this.o.logger.error(
        `${this.prefix}Unexpected state of ${transactionalId} (${errorName(lookup.error)}) when completing its transaction`,
      )
    } else if (lookup.found.coordinatorEpoch === coordinatorEpoch) {
      this.tryAppendToLog(pending)
    } else {
      this.info(
        `The cached metadata of ${transactionalId} has changed to coordinator epoch ${lookup.found.coordinatorEpoch} ` +
          `after completed sending the markers with coordinator epoch ${coordinatorEpoch}; abort transiting the ` +
          `metadata to ${pending.newMetadata.txnState} as it may have been updated by another process`,
      )
    }
  }

  private tryAppendToLog(pending: PendingCompleteTxn): void {
    const sm = this.o.stateManager
    void sm
      .appendTransactionToLog(
        pending.transactionalId,
        pending.coordinatorEpoch,
        pending.newMetadata,
        (e) => e === ErrorCode.COORDINATOR_NOT_AVAILABLE,
      )
      .then(
        (error) => {
          switch (error) {
            case ErrorCode.NONE:
              this.o.logger.debug(
                `${this.prefix}Completed transaction for ${pending.transactionalId} with coordinator epoch ` +
                  `${pending.coordinatorEpoch}, final state after commit: ${pending.txnMetadata.state}`,
              )
              break
            case ErrorCode.NOT_COORDINATOR:
              this.info(
                `No longer the coordinator for transactionalId: ${pending.transactionalId} while trying to append to ` +
                  `transaction log, skip writing to transaction log`,
              )
              break
            case ErrorCode.COORDINATOR_NOT_AVAILABLE:
              this.info(
                `Not available to append the completion of ${pending.transactionalId}: possible causes include ` +
                  `UNKNOWN_TOPIC_OR_PARTITION, NOT_ENOUGH_REPLICAS, NOT_ENOUGH_REPLICAS_AFTER_APPEND and ` +
                  `REQUEST_TIMED_OUT; retry appending`,
              )
              this.logAppendRetries.push(pending)
              this.scheduleRetry()
              break
            case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
              this.info(
                `Coordinator is loading the partition ${sm.partitionFor(pending.transactionalId)} and hence cannot ` +
                  `complete append of the completion of ${pending.transactionalId}; skip writing to transaction log ` +
                  `as the loading process should complete it`,
              )
              break
            default:
              this.o.logger.error(
                `${this.prefix}Unexpected error ${errorName(error)} while appending to transaction log for ` +
                  `${pending.transactionalId}; retrying`,
              )
              this.logAppendRetries.push(pending)
              this.scheduleRetry()
          }
        },
        (e: unknown) =>
          this.o.logger.error(
            { err: e },
            `${this.prefix}Failed to complete the transaction of ${pending.transactionalId}`,
          ),
      )
  }

  /** The coordinator resigned (or is loading again): forget everything queued for that `__transaction_state` partition. */
  removeMarkersForTxnTopicPartition(txnTopicPartition: number): void {
    const drop = (q: TxnMarkerQueue, dest: string): void => {
      const list = q.byTxnPartition.get(txnTopicPartition)
      if (!list) return
      q.byTxnPartition.delete(txnTopicPartition)
      for (const m of list) {
        this.info(
          `Removing markers of ${m.pending.transactionalId} for txn partition ${txnTopicPartition} to destination broker ${dest}`,
        )
        this.removeIfCurrent(m.pending)
      }
    }
    drop(this.unknownDestination, '-1')
    for (const [brokerId, q] of this.queues) drop(q, String(brokerId))
    const sm = this.o.stateManager
    for (let i = this.logAppendRetries.length - 1; i >= 0; i--) {
      if (sm.partitionFor(this.logAppendRetries[i]!.transactionalId) === txnTopicPartition)
        this.logAppendRetries.splice(i, 1)
    }
    this.delayed = this.delayed.filter((m) => {
      if (sm.partitionFor(m.pending.transactionalId) !== txnTopicPartition) return true
      this.removeIfCurrent(m.pending)
      return false
    })
  }

  private removeMarkersForTxnId(transactionalId: string): void {
    this.transactionsWithPendingMarkers.delete(transactionalId)
  }

  // ---------------------------------------------------------------------------------------------------------
  // sending

  private readonly wakeup = coalescedWakeup(() => {
    if (!this.stopped) this.pump()
  })

  private scheduleRetry(): void {
    if (this.retryTimer || this.stopped) return
    this.retryTimer = this.o.scheduler.schedule(
      'txn-marker-retry',
      () => {
        this.retryTimer = undefined
        this.retry()
      },
      this.retryBackoffMs,
    )
  }

  /**
   * After the back-off: retry failed log appends, route the markers waiting for a destination (or a retry) to
   * the partitions' current leaders, and send.
   */
  private retry(): void {
    if (this.stopped) return
    for (const p of this.logAppendRetries.splice(0)) this.tryAppendToLog(p)
    const waiting = [...this.unknownDestination.drain(), ...this.delayed.splice(0)]
    for (const m of waiting) {
      this.addTxnMarkersToBrokerQueue(
        m.marker.producerId,
        m.marker.producerEpoch,
        m.marker.result,
        m.pending,
        m.marker.partitions,
      )
    }
    this.pump()
  }

  /** Kafka's generateRequests: one WriteTxnMarkers request per destination broker with nothing in flight. */
  private pump(): void {
    if (this.stopped) return
    for (const [brokerId, q] of this.queues) {
      if (this.inflight.has(brokerId) || q.size === 0) continue
      const entries = q.drain()
      this.inflight.add(brokerId)
      void this.o.transport
        .send(
          brokerId,
          entries.map((e) => e.marker),
        )
        .catch((e: unknown): WriteTxnMarkersOutcome => ({
          kind: 'disconnected',
          reason: (e as Error).message,
        }))
        .then((outcome) => {
          this.inflight.delete(brokerId)
          if (this.stopped) return
          try {
            this.onComplete(brokerId, entries, outcome)
          } catch (e) {
            this.o.logger.error(
              { err: e },
              `${this.prefix}Error handling the WriteTxnMarkers response of broker ${brokerId}`,
            )
          }
          this.wakeup()
        })
    }
    if (this.unknownDestination.size > 0) this.scheduleRetry()
  }

  private retryLater(m: PendingMarker): void {
    this.delayed.push(m)
    this.scheduleRetry()
  }

  /** Kafka's TransactionMarkerRequestCompletionHandler. */
  private onComplete(
    brokerId: number,
    entries: readonly PendingMarker[],
    outcome: WriteTxnMarkersOutcome,
  ): void {
    const sm = this.o.stateManager
    if (outcome.kind === 'disconnected') {
      this.o.logger.debug(`${this.prefix}WriteTxnMarkers to broker ${brokerId} failed: ${outcome.reason}`)
    }
    for (const { pending, marker } of entries) {
      const transactionalId = pending.transactionalId
      const lookup = sm.getTransactionState(transactionalId)
      if (
        lookup.error === ErrorCode.NOT_COORDINATOR ||
        lookup.error === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
      ) {
        this.info(
          `I am no longer the coordinator for ${transactionalId} (or am loading its partition again); cancel ` +
            `sending transaction markers to the brokers`,
        )
        this.removeMarkersForTxnId(transactionalId)
        continue
      }
      if (lookup.error !== ErrorCode.NONE || !lookup.found) {
        this.o.logger.error(
          `${this.prefix}The coordinator still owns the transaction partition for ${transactionalId}, but there is ` +
            `no metadata in the cache; this is not expected`,
        )
        this.removeMarkersForTxnId(transactionalId)
        continue
      }
      if (lookup.found.coordinatorEpoch !== marker.coordinatorEpoch) {
        this.info(
          `Transaction coordinator epoch for ${transactionalId} has changed from ${marker.coordinatorEpoch} to ` +
            `${lookup.found.coordinatorEpoch}; cancel sending transaction markers to the brokers`,
        )
        this.removeMarkersForTxnId(transactionalId)
        continue
      }
      if (outcome.kind === 'disconnected') {
        // again after the back-off, possibly to new leaders
        this.retryLater({ pending, marker })
        continue
      }
      const md = lookup.found.metadata
      const retry: TopicPartition[] = []
      let abortSending = false
      for (const tp of marker.partitions) {
        const error = outcome.errorFor(marker.producerId, tp) ?? ErrorCode.UNKNOWN_SERVER_ERROR
        switch (error) {
          case ErrorCode.NONE:
            md.removePartition(tp)
            break
          case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
          case ErrorCode.NOT_LEADER_OR_FOLLOWER:
          case ErrorCode.NOT_ENOUGH_REPLICAS:
          case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
          case ErrorCode.REQUEST_TIMED_OUT:
          case ErrorCode.KAFKA_STORAGE_ERROR:
            this.info(
              `Sending ${transactionalId}'s transaction marker for partition ${tp.topic}-${tp.partition} has failed ` +
                `with error ${errorName(error)}, retrying with current coordinator epoch ${lookup.found.coordinatorEpoch}`,
            )
            retry.push(tp)
            break
          case ErrorCode.INVALID_PRODUCER_EPOCH:
          case ErrorCode.TRANSACTION_COORDINATOR_FENCED:
            this.info(
              `Sending ${transactionalId}'s transaction marker for partition ${tp.topic}-${tp.partition} has ` +
                `permanently failed with error ${errorName(error)} with the current coordinator epoch ` +
                `${lookup.found.coordinatorEpoch}; cancel sending any more transaction markers to the brokers`,
            )
            this.removeMarkersForTxnId(transactionalId)
            abortSending = true
            break
          case ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT:
          case ErrorCode.UNSUPPORTED_VERSION:
            this.info(
              `Sending ${transactionalId}'s transaction marker from partition ${tp.topic}-${tp.partition} has failed ` +
                `with ${errorName(error)}. This partition will be removed from the set of partitions waiting for completion`,
            )
            md.removePartition(tp)
            break
          default:
            // Kafka treats anything else as fatal; retrying keeps the transaction alive and the error in the log
            this.o.logger.error(
              `${this.prefix}Unexpected error ${errorName(error)} while sending txn marker for ${transactionalId} ` +
                `to ${tp.topic}-${tp.partition}; retrying`,
            )
            retry.push(tp)
        }
        if (abortSending) break
      }
      if (abortSending) continue
      if (retry.length > 0) {
        this.retryLater({ pending, marker: { ...marker, partitions: retry } })
      } else {
        this.maybeWriteTxnCompletion(transactionalId)
      }
    }
  }
}
