import { ErrorCode, KafkaError } from '../../protocol/errors.js'

/** A record-level rejection (Produce v8+ reports these per record: batch_index and message). */
export interface RecordError {
  batchIndex: number
  message: string
}

/** INVALID_RECORD or INVALID_TIMESTAMP with the records that caused it (Kafka's RecordValidationException). */
export class RecordValidationError extends KafkaError {
  constructor(
    code: number,
    message: string,
    readonly recordErrors: RecordError[],
  ) {
    super(code, message)
  }
}

/** A follower append whose first offset is below the log end offset (Kafka's UnexpectedAppendOffsetException). */
export class UnexpectedAppendOffsetError extends KafkaError {
  constructor(
    message: string,
    readonly firstOffset: number,
    readonly lastOffset: number,
  ) {
    super(ErrorCode.UNKNOWN_SERVER_ERROR, message)
    this.name = 'UnexpectedAppendOffsetError'
  }
}

/** Offsets in a follower append that do not increase (Kafka's OffsetsOutOfOrderException). */
export class OffsetsOutOfOrderError extends KafkaError {
  constructor(message: string) {
    super(ErrorCode.UNKNOWN_SERVER_ERROR, message)
    this.name = 'OffsetsOutOfOrderError'
  }
}

/** A producer state snapshot that cannot be used. */
export class CorruptSnapshotError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CorruptSnapshotError'
  }
}
