/**
 * ConsumerGroupDescribe (69), v0-1: describes KIP-848 consumer groups — state, group and assignment epochs, the
 * assignor, and every member with its subscription, current and target assignment. A group id that is not a
 * consumer group gets GROUP_ID_NOT_FOUND ("Group <id> not found." / "... is not a consumer group."), on which admin
 * clients fall back to DescribeGroups.
 *
 * With `group.coordinator.rebalance.protocols` not containing `consumer` every group gets UNSUPPORTED_VERSION
 * (`ConsumerGroupDescribeRequest.getErrorResponse`: the group id and the error code, nothing else).
 * Version notes: v1 (KIP-1099) adds the member type (1: consumer protocol).
 * Not implemented: authorization and authorized operations (always "not requested").
 */
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode, KafkaError } from '../protocol/errors.js'
import type { GroupCoordinator } from '../services/group/coordinator.js'
import { defineHandler, type Handler } from './handler.js'

export const ConsumerGroupDescribeApi = Apis.ConsumerGroupDescribe

export function consumerGroupDescribeHandler(d: { readonly groups: GroupCoordinator }): Handler {
  return defineHandler(ConsumerGroupDescribeApi, {
    handle(req) {
      if (!d.groups.config.consumerGroupProtocolEnabled) throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION)
      return {
        throttleTimeMs: 0,
        groups: d.groups
          .consumerGroupDescribe(req.groupIds)
          .map((g) => ({ ...g, authorizedOperations: -2147483648 })),
      }
    },
  })
}
