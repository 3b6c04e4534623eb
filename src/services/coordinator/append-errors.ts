/**
 * What a coordinator answers when its write of an internal topic (`__consumer_offsets`, `__transaction_state`)
 * fails: the produce error translated into one a client of that coordinator retries correctly. Kafka does this in
 * four places with one common core and a few differences each; here the core is one table and each caller is the
 * core plus its own overrides, so a difference is visible as data.
 */
import { ErrorCode } from '../../protocol/errors.js'

/** A produce error -> the coordinator error; codes not in the map are answered as they are. */
export type AppendErrorMapping = ReadonlyMap<number, number>

/** The part every coordinator shares (Kafka's classic GroupMetadataManager, TransactionStateManager and 4.x runtime). */
const CORE: readonly (readonly [number, number])[] = [
  // the partition or its replicas are not there right now: find the coordinator again later
  [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.COORDINATOR_NOT_AVAILABLE],
  [ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.COORDINATOR_NOT_AVAILABLE],
  [ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, ErrorCode.COORDINATOR_NOT_AVAILABLE],
  // this broker no longer leads the partition: the coordinator moved
  [ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.NOT_COORDINATOR],
  [ErrorCode.KAFKA_STORAGE_ERROR, ErrorCode.NOT_COORDINATOR],
  // a record the coordinator built is too large: the client can do nothing about it
  [ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.UNKNOWN_SERVER_ERROR],
  [ErrorCode.RECORD_LIST_TOO_LARGE, ErrorCode.UNKNOWN_SERVER_ERROR],
  [ErrorCode.INVALID_FETCH_SIZE, ErrorCode.UNKNOWN_SERVER_ERROR],
]

function withOverrides(overrides: readonly (readonly [number, number])[]): AppendErrorMapping {
  return new Map([...CORE, ...overrides])
}

export const AppendErrors = {
  /** Kafka's `GroupMetadataManager.storeGroup` (classic group metadata): a timed-out write restarts the rebalance. */
  classicGroup: withOverrides([[ErrorCode.REQUEST_TIMED_OUT, ErrorCode.REBALANCE_IN_PROGRESS]]),
  /**
   * Kafka's `GroupMetadataManager.maybeConvertOffsetCommitError` (OffsetCommit, TxnOffsetCommit): a failed
   * transaction verification (NETWORK_EXCEPTION, which old clients do not retry) becomes COORDINATOR_LOAD_IN_PROGRESS;
   * too-large commits are the client's INVALID_COMMIT_OFFSET_SIZE; REQUEST_TIMED_OUT is answered as it is.
   */
  offsetCommit: withOverrides([
    [ErrorCode.NETWORK_EXCEPTION, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS],
    [ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.INVALID_COMMIT_OFFSET_SIZE],
    [ErrorCode.RECORD_LIST_TOO_LARGE, ErrorCode.INVALID_COMMIT_OFFSET_SIZE],
    [ErrorCode.INVALID_FETCH_SIZE, ErrorCode.INVALID_COMMIT_OFFSET_SIZE],
  ]),
  /**
   * Kafka's `TransactionStateManager.appendTransactionToLog`: a timed-out write is COORDINATOR_NOT_AVAILABLE (the
   * client retries); INVALID_FETCH_SIZE is not in Kafka's list and is answered as it is.
   */
  transaction: withOverrides([
    [ErrorCode.REQUEST_TIMED_OUT, ErrorCode.COORDINATOR_NOT_AVAILABLE],
    [ErrorCode.INVALID_FETCH_SIZE, ErrorCode.INVALID_FETCH_SIZE],
  ]),
  /**
   * Kafka 4.x's coordinator runtime (`CoordinatorOperationExceptionHelper.handleOperationException`), for the
   * KIP-848 consumer groups: a timed-out write is COORDINATOR_NOT_AVAILABLE, NETWORK_EXCEPTION is
   * COORDINATOR_LOAD_IN_PROGRESS. (Kafka's runtime waits for the high watermark instead of acks=all, so it never
   * sees NOT_ENOUGH_REPLICAS_AFTER_APPEND; the core's COORDINATOR_NOT_AVAILABLE is what its timeout would answer.)
   */
  consumerGroup: withOverrides([
    [ErrorCode.REQUEST_TIMED_OUT, ErrorCode.COORDINATOR_NOT_AVAILABLE],
    [ErrorCode.NETWORK_EXCEPTION, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS],
  ]),
} as const satisfies Record<string, AppendErrorMapping>

/** The coordinator error for a failed internal-topic write that failed with the produce error `code`. */
export function coordinatorAppendError(code: number, mapping: AppendErrorMapping): number {
  return mapping.get(code) ?? code
}
