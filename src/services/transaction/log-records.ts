/**
 * Kafka's `TransactionLog`: the records of `__transaction_state`. One record per state change, keyed by the
 * transactional id (TransactionLogKey v0), valued with the target state (TransactionLogValue v0, the version a
 * ZooKeeper-mode Kafka 3.9 writes); a null value is the tombstone of an expired transactional id. The topic is
 * compacted, uncompressed and written with acks=all.
 */
import {
  decodeTransactionLogKey,
  decodeTransactionLogValue,
  encodeTransactionLogKey,
  encodeTransactionLogValue,
} from '../../protocol/messages/data/transaction-log.js'
import {
  IllegalTransactionStateError,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  stateFromId,
  TRANSACTION_STATES,
  TransactionMetadata,
  type TxnTransitMetadata,
} from './metadata.js'

export function transactionLogKey(transactionalId: string): Buffer {
  return encodeTransactionLogKey({ transactionalId })
}

export function transactionLogValue(t: TxnTransitMetadata): Buffer {
  if (t.txnState === 'Empty' && t.topicPartitions.size > 0) {
    throw new IllegalTransactionStateError(
      `Transaction is not expected to have any partitions since its state is Empty: ${t.topicPartitions.toString()}`,
    )
  }
  const partitions =
    t.txnState === 'Empty'
      ? null
      : [...t.topicPartitions.byTopic()].map(([topic, partitionIds]) => ({ topic, partitionIds }))
  return encodeTransactionLogValue({
    producerId: t.producerId,
    producerEpoch: t.producerEpoch,
    transactionTimeoutMs: t.txnTimeoutMs,
    transactionStatus: TRANSACTION_STATES[t.txnState].id,
    transactionPartitions: partitions,
    transactionLastUpdateTimestampMs: t.txnLastUpdateTimestamp,
    transactionStartTimestampMs: t.txnStartTimestamp,
  })
}

/** The transactional id of a record key, or undefined for a key version this broker does not know (skipped). */
export function readTxnRecordKey(key: Buffer): { transactionalId: string } | { unknownVersion: number } {
  const k = decodeTransactionLogKey(key)
  return k.key === null ? { unknownVersion: k.version } : { transactionalId: k.key.transactionalId }
}

/** The metadata of a record value; null for a tombstone. The last producer id and epoch are not stored. */
export function readTxnRecordValue(
  transactionalId: string,
  value: Buffer | null,
): TransactionMetadata | null {
  const v = decodeTransactionLogValue(value)
  if (v === null) return null
  const d = v.value
  const state = stateFromId(d.transactionStatus)
  return new TransactionMetadata({
    transactionalId,
    producerId: d.producerId,
    lastProducerId: NO_PRODUCER_ID,
    producerEpoch: d.producerEpoch,
    lastProducerEpoch: NO_PRODUCER_EPOCH,
    txnTimeoutMs: d.transactionTimeoutMs,
    state,
    topicPartitions:
      state === 'Empty'
        ? []
        : (d.transactionPartitions ?? []).flatMap((p) =>
            p.partitionIds.map((partition) => ({ topic: p.topic, partition })),
          ),
    txnStartTimestamp: d.transactionStartTimestampMs,
    txnLastUpdateTimestamp: d.transactionLastUpdateTimestampMs,
  })
}
