/**
 * How the transaction services reach other brokers: WriteTxnMarkers from the coordinator to partition leaders,
 * and AddPartitionsToTxn (v4+, verifyOnly) from partition leaders to coordinators, over the inter-broker
 * listener. When the destination is this broker, the same service code runs directly (the request would end up
 * in exactly that code through the handler).
 */
import { isNoCommonVersion, type BrokerConnections } from '../../network/broker-connections.js'
import { ErrorCode } from '../../protocol/errors.js'
import { Apis } from '../../protocol/messages/index.js'
import type { TransactionCoordinator } from './coordinator.js'
import type { TxnMarkerEntry, TxnMarkerTransport, WriteTxnMarkersOutcome } from './marker-channel.js'
import type { MarkerWriteErrors, TxnMarkerWriter } from './marker-writer.js'
import type { TopicPartition } from './metadata.js'
import type { VerificationTransport, VerifyOutcome, VerifyTransactionData } from './partition-verifier.js'

const tpKey = (producerId: number, topic: string, partition: number): string =>
  `${producerId}\u0000${topic}\u0000${partition}`

function outcomeOf(errors: MarkerWriteErrors): WriteTxnMarkersOutcome {
  const m = new Map<string, number>()
  for (const [producerId, list] of errors)
    for (const { tp, errorCode } of list) m.set(tpKey(producerId, tp.topic, tp.partition), errorCode)
  return { kind: 'response', errorFor: (producerId, tp) => m.get(tpKey(producerId, tp.topic, tp.partition)) }
}

export class InterBrokerMarkerTransport implements TxnMarkerTransport {
  constructor(
    private readonly brokerId: number,
    private readonly connections: BrokerConnections,
    private readonly local: TxnMarkerWriter,
  ) {}

  async send(brokerId: number, markers: readonly TxnMarkerEntry[]): Promise<WriteTxnMarkersOutcome> {
    if (brokerId === this.brokerId) {
      return outcomeOf(
        await this.local.write(
          markers.map((m) => ({
            producerId: m.producerId,
            producerEpoch: m.producerEpoch,
            coordinatorEpoch: m.coordinatorEpoch,
            commit: m.result === 'COMMIT',
            partitions: m.partitions,
          })),
        ),
      )
    }
    try {
      const { response } = await this.connections.send(brokerId, Apis.WriteTxnMarkers, 1, 0, () => ({
        markers: markers.map((m) => ({
          producerId: m.producerId,
          producerEpoch: m.producerEpoch,
          transactionResult: m.result === 'COMMIT',
          coordinatorEpoch: m.coordinatorEpoch,
          topics: [...groupByTopic(m.partitions)].map(([name, partitionIndexes]) => ({
            name,
            partitionIndexes,
          })),
        })),
      }))
      const errors: MarkerWriteErrors = new Map()
      for (const r of response.markers) {
        const list = errors.get(r.producerId) ?? []
        errors.set(r.producerId, list)
        for (const t of r.topics)
          for (const p of t.partitions)
            list.push({ tp: { topic: t.name, partition: p.partitionIndex }, errorCode: p.errorCode })
      }
      return outcomeOf(errors)
    } catch (e) {
      return { kind: 'disconnected', reason: (e as Error).message }
    }
  }
}

/**
 * AddPartitionsToTxn v4+ with verifyOnly, as the coordinator's broker answers it: partitions the metadata does
 * not know fail the whole transaction (UNKNOWN_TOPIC_OR_PARTITION, the others OPERATION_NOT_ATTEMPTED); otherwise
 * the coordinator says which partitions are in the transaction.
 */
export function verifyTransactionForBroker(
  coordinator: TransactionCoordinator,
  partitionExists: (tp: TopicPartition) => boolean,
  t: VerifyTransactionData,
): { tp: TopicPartition; errorCode: number }[] {
  const missing = t.partitions.filter((tp) => !partitionExists(tp))
  if (missing.length > 0) {
    return t.partitions.map((tp) => ({
      tp,
      errorCode: missing.includes(tp)
        ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
        : ErrorCode.OPERATION_NOT_ATTEMPTED,
    }))
  }
  const r = coordinator.handleVerifyPartitionsInTransaction(
    t.transactionalId,
    t.producerId,
    t.producerEpoch,
    t.partitions,
  )
  return [...r].map(([tp, errorCode]) => ({ tp, errorCode }))
}

export class InterBrokerVerificationTransport implements VerificationTransport {
  constructor(
    private readonly brokerId: number,
    private readonly connections: BrokerConnections,
    private readonly coordinator: TransactionCoordinator,
    private readonly partitionExists: (tp: TopicPartition) => boolean,
  ) {}

  async send(brokerId: number, transactions: readonly VerifyTransactionData[]): Promise<VerifyOutcome> {
    if (brokerId === this.brokerId) {
      return {
        kind: 'response',
        errorCode: ErrorCode.NONE,
        results: new Map(
          transactions.map((t) => [
            t.transactionalId,
            verifyTransactionForBroker(this.coordinator, this.partitionExists, t),
          ]),
        ),
      }
    }
    try {
      const { response } = await this.connections.send(brokerId, Apis.AddPartitionsToTxn, 5, 4, () => ({
        transactions: transactions.map((t) => ({
          transactionalId: t.transactionalId,
          producerId: t.producerId,
          producerEpoch: t.producerEpoch,
          verifyOnly: true,
          topics: [...groupByTopic(t.partitions)].map(([name, partitions]) => ({ name, partitions })),
        })),
      }))
      const results = new Map<string, { tp: TopicPartition; errorCode: number }[]>()
      for (const r of response.resultsByTransaction) {
        results.set(
          r.transactionalId,
          r.topicResults.flatMap((t) =>
            t.resultsByPartition.map((p) => ({
              tp: { topic: t.name, partition: p.partitionIndex },
              errorCode: p.partitionErrorCode,
            })),
          ),
        )
      }
      return { kind: 'response', errorCode: response.errorCode, results }
    } catch (e) {
      if (isNoCommonVersion(e)) return { kind: 'unsupported' }
      return { kind: 'disconnected', reason: (e as Error).message }
    }
  }
}

function groupByTopic(tps: readonly TopicPartition[]): Map<string, number[]> {
  const m = new Map<string, number[]>()
  for (const tp of tps) {
    const list = m.get(tp.topic)
    if (list) list.push(tp.partition)
    else m.set(tp.topic, [tp.partition])
  }
  return m
}
