import { describe, expect, it } from 'vitest'
import { ErrorCode } from '../../protocol/errors.js'
import { AppendErrors, coordinatorAppendError, type AppendErrorMapping } from './append-errors.js'

const E = ErrorCode
/** Each caller's whole table as Kafka has it: [produce error, classic group, offset commit, transaction, consumer group]. */
const KAFKA: readonly (readonly [number, number, number, number, number])[] = [
  [
    E.UNKNOWN_TOPIC_OR_PARTITION,
    E.COORDINATOR_NOT_AVAILABLE,
    E.COORDINATOR_NOT_AVAILABLE,
    E.COORDINATOR_NOT_AVAILABLE,
    E.COORDINATOR_NOT_AVAILABLE,
  ],
  [
    E.NOT_ENOUGH_REPLICAS,
    E.COORDINATOR_NOT_AVAILABLE,
    E.COORDINATOR_NOT_AVAILABLE,
    E.COORDINATOR_NOT_AVAILABLE,
    E.COORDINATOR_NOT_AVAILABLE,
  ],
  [
    E.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
    E.COORDINATOR_NOT_AVAILABLE,
    E.COORDINATOR_NOT_AVAILABLE,
    E.COORDINATOR_NOT_AVAILABLE,
    E.COORDINATOR_NOT_AVAILABLE,
  ],
  [
    E.REQUEST_TIMED_OUT,
    E.REBALANCE_IN_PROGRESS,
    E.REQUEST_TIMED_OUT,
    E.COORDINATOR_NOT_AVAILABLE,
    E.COORDINATOR_NOT_AVAILABLE,
  ],
  [E.NOT_LEADER_OR_FOLLOWER, E.NOT_COORDINATOR, E.NOT_COORDINATOR, E.NOT_COORDINATOR, E.NOT_COORDINATOR],
  [E.KAFKA_STORAGE_ERROR, E.NOT_COORDINATOR, E.NOT_COORDINATOR, E.NOT_COORDINATOR, E.NOT_COORDINATOR],
  [
    E.MESSAGE_TOO_LARGE,
    E.UNKNOWN_SERVER_ERROR,
    E.INVALID_COMMIT_OFFSET_SIZE,
    E.UNKNOWN_SERVER_ERROR,
    E.UNKNOWN_SERVER_ERROR,
  ],
  [
    E.RECORD_LIST_TOO_LARGE,
    E.UNKNOWN_SERVER_ERROR,
    E.INVALID_COMMIT_OFFSET_SIZE,
    E.UNKNOWN_SERVER_ERROR,
    E.UNKNOWN_SERVER_ERROR,
  ],
  [
    E.INVALID_FETCH_SIZE,
    E.UNKNOWN_SERVER_ERROR,
    E.INVALID_COMMIT_OFFSET_SIZE,
    E.INVALID_FETCH_SIZE,
    E.UNKNOWN_SERVER_ERROR,
  ],
  [
    E.NETWORK_EXCEPTION,
    E.NETWORK_EXCEPTION,
    E.COORDINATOR_LOAD_IN_PROGRESS,
    E.NETWORK_EXCEPTION,
    E.COORDINATOR_LOAD_IN_PROGRESS,
  ],
  [
    E.UNKNOWN_SERVER_ERROR,
    E.UNKNOWN_SERVER_ERROR,
    E.UNKNOWN_SERVER_ERROR,
    E.UNKNOWN_SERVER_ERROR,
    E.UNKNOWN_SERVER_ERROR,
  ],
  [
    E.INVALID_PRODUCER_EPOCH,
    E.INVALID_PRODUCER_EPOCH,
    E.INVALID_PRODUCER_EPOCH,
    E.INVALID_PRODUCER_EPOCH,
    E.INVALID_PRODUCER_EPOCH,
  ],
]

describe('coordinator append errors', () => {
  const callers: readonly (readonly [string, AppendErrorMapping])[] = [
    ['classic group', AppendErrors.classicGroup],
    ['offset commit', AppendErrors.offsetCommit],
    ['transaction', AppendErrors.transaction],
    ['consumer group', AppendErrors.consumerGroup],
  ]
  it.each(callers.map(([name, mapping], i) => [name, mapping, i + 1] as const))(
    '%s: the produce errors as Kafka answers them',
    (_name, mapping, column) => {
      for (const row of KAFKA)
        expect([row[0], coordinatorAppendError(row[0], mapping)]).toEqual([row[0], row[column]])
    },
  )
})
