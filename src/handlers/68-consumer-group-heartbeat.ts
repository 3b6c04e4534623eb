/**
 * ConsumerGroupHeartbeat (68), v0: the KIP-848 consumer group protocol. A Kafka 3.9 broker with
 * `group.coordinator.rebalance.protocols=classic` (the default) still lists the API but answers every request
 * with UNSUPPORTED_VERSION (`KafkaApis.handleConsumerGroupHeartbeat`: the request's error response carries
 * only the error code). The Java consumer then fails with a message telling the user to use
 * `group.protocol=classic`; clients do not fall back by themselves.
 * Not implemented: the consumer group protocol itself.
 */
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode, KafkaError } from '../protocol/errors.js'
import { defineHandler, type Handler } from './handler.js'

export const ConsumerGroupHeartbeatApi = Apis.ConsumerGroupHeartbeat

export function consumerGroupHeartbeatHandler(): Handler {
  return defineHandler(ConsumerGroupHeartbeatApi, {
    handle() {
      throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION)
    },
  })
}
