/**
 * How the group coordinator reaches `__consumer_offsets`: the broker implements this on top of its replica
 * manager (leader appends with acks, and a read of a partition from its log start to its log end offset).
 * `InMemoryGroupLogStore` in `memory-log-store.ts` is a complete implementation for tests.
 */
import type { VerificationGuard } from '../log/producer-state.js'

export interface GroupLogAppendRecord {
  readonly key: Buffer
  /** null writes a tombstone. */
  readonly value: Buffer | null
  readonly timestamp: number
}

export interface GroupLogAppendOptions {
  /**
   * -1 (the default): wait until the ISR has the records (Kafka's acks=-1 for offset commits and group
   * metadata). 1: return once the leader's own log has them (Kafka writes expiry/deletion tombstones with
   * `appendRecordsToLeader` without waiting for replication).
   */
  readonly requiredAcks?: -1 | 1
  /** How long to wait for the ISR (default: the store's own timeout). */
  readonly timeoutMs?: number
  /** A transactional batch (TxnOffsetCommit): the producer id and epoch the batch carries. */
  readonly producerId?: number
  readonly producerEpoch?: number
  readonly transactional?: boolean
  /** KIP-890: the guard of a verified transaction (the first transactional write to the partition needs one). */
  readonly verificationGuard?: VerificationGuard
}

export interface GroupLogAppendResult {
  /** Offset of the first appended record. */
  readonly baseOffset: number
}

export interface GroupLogRecord {
  readonly offset: number
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly timestamp: number
  /** Batch attributes; when absent the record is treated as a plain (non-transactional) data record. */
  readonly producerId?: number
  readonly isTransactional?: boolean
  /** A control record (transaction marker); its key is Kafka's control record key. */
  readonly isControl?: boolean
}

export interface GroupLogStore {
  /**
   * Appends the records as one batch to `__consumer_offsets-<partition>` as leader (CREATE_TIME timestamps,
   * the topic's compression). Throws a `KafkaError` with the produce error (NOT_LEADER_OR_FOLLOWER,
   * NOT_ENOUGH_REPLICAS, REQUEST_TIMED_OUT, MESSAGE_TOO_LARGE, KAFKA_STORAGE_ERROR, ...), which the
   * coordinator maps onto group errors as Kafka does.
   */
  append(
    partition: number,
    records: readonly GroupLogAppendRecord[],
    options?: GroupLogAppendOptions,
  ): Promise<GroupLogAppendResult>
  /** Reads every record of the partition from its log start to its log end offset (as Kafka's loader does), in offset order. */
  read(partition: number): AsyncIterable<GroupLogRecord>
}
