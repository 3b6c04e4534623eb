/**
 * KIP-890 part 1, the partition leader's side (Kafka's `AddPartitionsToTxnManager`): before the first
 * transactional write of a producer to a partition, the leader asks the producer's transaction coordinator
 * whether the transaction includes that partition (AddPartitionsToTxn v4+ with verifyOnly). Requests are batched
 * per coordinator broker with one in flight at a time; a newer verification of the same transactional id replaces
 * a queued older one (which gets INVALID_PRODUCER_EPOCH when fenced, NETWORK_EXCEPTION when it is a retry).
 */
import { ErrorCode, errorName } from '../../protocol/errors.js'
import { coalescedWakeup } from '../../util/coalesce.js'
import type { Logger } from '../../util/logger.js'
import type { TopicPartition } from './metadata.js'

export interface VerifyTransactionData {
  readonly transactionalId: string
  readonly producerId: number
  readonly producerEpoch: number
  readonly partitions: readonly TopicPartition[]
}

export type VerifyOutcome =
  | {
      readonly kind: 'response'
      /** the response's top-level error code */
      readonly errorCode: number
      /** per transactional id, the error of each partition */
      readonly results: ReadonlyMap<string, readonly { tp: TopicPartition; errorCode: number }[]>
    }
  /** the coordinator does not know AddPartitionsToTxn v4 (verification not supported: skip it) */
  | { readonly kind: 'unsupported' }
  | { readonly kind: 'disconnected'; readonly reason: string }

export interface VerificationTransport {
  send(brokerId: number, transactions: readonly VerifyTransactionData[]): Promise<VerifyOutcome>
}

export interface PartitionVerifierOptions {
  /** The broker coordinating the transactional id, or the error to answer with (COORDINATOR_NOT_AVAILABLE). */
  readonly coordinatorFor: (
    transactionalId: string,
  ) => { readonly brokerId: number } | { readonly error: number }
  readonly transport: VerificationTransport
  readonly logger: Logger
}

/** The partitions that could not be verified, with their error (empty: all verified). */
export type VerificationErrors = Map<TopicPartition, number>

interface Pending {
  readonly data: VerifyTransactionData
  /** whether the client understands TRANSACTION_ABORTABLE (else INVALID_TXN_STATE) */
  readonly supportsAbortable: boolean
  readonly resolve: (errors: VerificationErrors) => void
}

export class AddPartitionsToTxnManager {
  private readonly nodes = new Map<number, Map<string, Pending>>()
  private readonly inflight = new Set<number>()
  private stopped = false

  constructor(private readonly o: PartitionVerifierOptions) {}

  shutdown(): void {
    this.stopped = true
    for (const txns of this.nodes.values())
      for (const p of txns.values()) p.resolve(allErrors(p.data.partitions, ErrorCode.NETWORK_EXCEPTION))
    this.nodes.clear()
  }

  verifyTransaction(
    transactionalId: string,
    producerId: number,
    producerEpoch: number,
    partitions: readonly TopicPartition[],
    supportsAbortable: boolean,
  ): Promise<VerificationErrors> {
    return new Promise((resolve) => {
      if (this.stopped) {
        resolve(allErrors(partitions, ErrorCode.NETWORK_EXCEPTION))
        return
      }
      const coordinator = this.o.coordinatorFor(transactionalId)
      if ('error' in coordinator) {
        resolve(allErrors(partitions, coordinator.error))
        return
      }
      const data: VerifyTransactionData = { transactionalId, producerId, producerEpoch, partitions }
      let txns = this.nodes.get(coordinator.brokerId)
      if (!txns) this.nodes.set(coordinator.brokerId, (txns = new Map()))
      const existing = txns.get(transactionalId)
      if (existing) {
        if (existing.data.producerEpoch <= producerEpoch) {
          // the queued one is fenced (older epoch) or being retried (same epoch)
          const error =
            existing.data.producerEpoch < producerEpoch
              ? ErrorCode.INVALID_PRODUCER_EPOCH
              : ErrorCode.NETWORK_EXCEPTION
          existing.resolve(allErrors(existing.data.partitions, error))
        } else {
          resolve(allErrors(partitions, ErrorCode.INVALID_PRODUCER_EPOCH))
          return
        }
      }
      txns.set(transactionalId, { data, supportsAbortable, resolve })
      this.wakeup()
    })
  }

  private readonly wakeup = coalescedWakeup(() => {
    if (!this.stopped) this.pump()
  })

  private pump(): void {
    for (const [brokerId, txns] of this.nodes) {
      if (this.inflight.has(brokerId) || txns.size === 0) continue
      this.nodes.delete(brokerId)
      this.inflight.add(brokerId)
      const batch = [...txns.values()]
      void this.o.transport
        .send(
          brokerId,
          batch.map((p) => p.data),
        )
        .catch((e: unknown): VerifyOutcome => ({ kind: 'disconnected', reason: (e as Error).message }))
        .then((outcome) => {
          this.inflight.delete(brokerId)
          this.complete(brokerId, batch, outcome)
          this.wakeup()
        })
    }
  }

  private complete(brokerId: number, batch: readonly Pending[], outcome: VerifyOutcome): void {
    const log = this.o.logger
    if (outcome.kind === 'unsupported') {
      log.warn(
        `AddPartitionsToTxnRequest failed for node ${brokerId} with invalid version exception. This suggests ` +
          `verification is not supported. Continuing handling the produce request.`,
      )
      for (const p of batch) p.resolve(new Map())
      return
    }
    if (outcome.kind === 'disconnected') {
      log.warn(
        `AddPartitionsToTxnRequest failed for node ${brokerId} with a network exception: ${outcome.reason}`,
      )
      for (const p of batch) p.resolve(allErrors(p.data.partitions, ErrorCode.NETWORK_EXCEPTION))
      return
    }
    if (outcome.errorCode !== ErrorCode.NONE) {
      log.error(
        `AddPartitionsToTxnRequest for node ${brokerId} returned with error ${errorName(outcome.errorCode)}.`,
      )
      // the client must not see CLUSTER_AUTHORIZATION_FAILED: the verification just did not complete
      const error =
        outcome.errorCode === ErrorCode.CLUSTER_AUTHORIZATION_FAILED
          ? ErrorCode.INVALID_TXN_STATE
          : outcome.errorCode
      for (const p of batch) p.resolve(allErrors(p.data.partitions, error))
      return
    }
    for (const p of batch) {
      const results = outcome.results.get(p.data.transactionalId)
      const unverified: VerificationErrors = new Map()
      for (const tp of p.data.partitions) {
        const r = results?.find((x) => x.tp.topic === tp.topic && x.tp.partition === tp.partition)
        let code = r ? r.errorCode : ErrorCode.UNKNOWN_SERVER_ERROR
        if (code === ErrorCode.NONE) continue
        // producers expect INVALID_PRODUCER_EPOCH here; older ones do not know TRANSACTION_ABORTABLE
        if (code === ErrorCode.PRODUCER_FENCED) code = ErrorCode.INVALID_PRODUCER_EPOCH
        else if (code === ErrorCode.TRANSACTION_ABORTABLE && !p.supportsAbortable)
          code = ErrorCode.INVALID_TXN_STATE
        unverified.set(tp, code)
      }
      p.resolve(unverified)
    }
  }
}

function allErrors(partitions: readonly TopicPartition[], error: number): VerificationErrors {
  return new Map(partitions.map((tp) => [tp, error]))
}
