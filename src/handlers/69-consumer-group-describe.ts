/**
 * ConsumerGroupDescribe (69), v0: describes KIP-848 consumer groups. A Kafka 3.9 broker running only the
 * classic protocol answers UNSUPPORTED_VERSION for every requested group
 * (`KafkaApis.handleConsumerGroupDescribe` -> `ConsumerGroupDescribeRequest.getErrorResponse`: one entry per
 * group id with the error code and nothing else). Admin clients then fall back to DescribeGroups (the Java
 * admin client on UNSUPPORTED_VERSION / GROUP_ID_NOT_FOUND, librdkafka likewise).
 * Not implemented: the consumer group protocol itself.
 */
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode, KafkaError } from '../protocol/errors.js'
import { defineHandler, type Handler } from './handler.js'

export const ConsumerGroupDescribeApi = Apis.ConsumerGroupDescribe

export function consumerGroupDescribeHandler(): Handler {
  return defineHandler(ConsumerGroupDescribeApi, {
    handle() {
      throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION)
    },
  })
}
