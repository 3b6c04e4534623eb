/**
 * The records of `__transaction_state`, as Kafka 3.9's transaction coordinator writes and reads them.
 * Key: int16 key version (0) followed by the transactional id. Value: int16 value version followed by
 * the transaction's state; a null value is a tombstone (the transactional id expired).
 */
import { decode } from '../../codec/codec.js'
import { Reader } from '../../codec/reader.js'
import { decodeVersionPrefixed, encodeVersionPrefixed } from './version-prefixed.js'
import {
  array,
  int16,
  int32,
  int64,
  int8,
  message,
  string,
  T,
  type Infer,
  type Input,
} from '../../codec/schema.js'
import { inRange } from '../../codec/versions.js'

export const TransactionLogKey = message({
  name: 'TransactionLogKey',
  kind: 'data',
  validVersions: '0',
  flexibleVersions: 'none',
  fields: [string('transactionalId', '0')],
})

// Version 1 (KIP-915) is the same fields in the flexible encoding; Kafka 3.9 writes it only once the
// transaction.version feature is at least 1, otherwise version 0. (Kafka 4.0 adds tagged fields to
// version 1; 3.9 has none.) transactionPartitions is null for an Empty transaction.
export const TransactionLogValue = message({
  name: 'TransactionLogValue',
  kind: 'data',
  validVersions: '0-1',
  flexibleVersions: '1+',
  fields: [
    int64('producerId'),
    int16('producerEpoch'),
    int32('transactionTimeoutMs'),
    int8('transactionStatus'),
    array('transactionPartitions', [string('topic'), array('partitionIds', T.int32)], { nullable: '0+' }),
    int64('transactionLastUpdateTimestampMs'),
    int64('transactionStartTimestampMs'),
  ],
})

export type TransactionLogKeyData = Infer<typeof TransactionLogKey>
export type TransactionLogValueData = Infer<typeof TransactionLogValue>

/** transactionStatus values (Kafka's TransactionState ids). */
export const TransactionStatus = {
  EMPTY: 0,
  ONGOING: 1,
  PREPARE_COMMIT: 2,
  PREPARE_ABORT: 3,
  COMPLETE_COMMIT: 4,
  COMPLETE_ABORT: 5,
  DEAD: 6,
  PREPARE_EPOCH_FENCE: 7,
} as const

export const TRANSACTION_LOG_KEY_VERSION = 0
/** The value version Kafka 3.9 writes unless transaction.version >= 1 (never in ZooKeeper mode). */
export const TRANSACTION_LOG_VALUE_VERSION = 0

export function encodeTransactionLogKey(key: Input<TransactionLogKeyData>): Buffer {
  return encodeVersionPrefixed(TransactionLogKey, TRANSACTION_LOG_KEY_VERSION, key)
}

export function encodeTransactionLogValue(
  value: Input<TransactionLogValueData>,
  version: number = TRANSACTION_LOG_VALUE_VERSION,
): Buffer {
  return encodeVersionPrefixed(TransactionLogValue, version, value)
}

/** An unknown key version decodes to `{ version, key: null }`; Kafka skips such records. */
export function decodeTransactionLogKey(buf: Buffer): { version: number; key: TransactionLogKeyData | null } {
  const r = new Reader(buf)
  const version = r.int16()
  if (!inRange(TransactionLogKey.validVersions, version)) return { version, key: null }
  return { version, key: decode(TransactionLogKey, version, r) }
}

/** Decodes a value; null (a tombstone) stays null. Unknown versions are an error, as in Kafka. */
export function decodeTransactionLogValue(
  buf: Buffer | null,
): { version: number; value: TransactionLogValueData } | null {
  return buf === null ? null : decodeVersionPrefixed(TransactionLogValue, buf)
}
