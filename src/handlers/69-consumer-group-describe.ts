/**
 * ConsumerGroupDescribe (69), v0-1: describes KIP-848 consumer groups — state, group and assignment epochs, the
 * assignor, and every member with its subscription, current and target assignment. A group id that is not a
 * consumer group gets GROUP_ID_NOT_FOUND ("Group <id> not found." / "... is not a consumer group."), on which admin
 * clients fall back to DescribeGroups.
 *
 * With `group.coordinator.rebalance.protocols` not containing `consumer` every group gets UNSUPPORTED_VERSION
 * (`ConsumerGroupDescribeRequest.getErrorResponse`: the group id and the error code, nothing else).
 * Version notes: v1 (KIP-1099) adds the member type (1: consumer protocol).
 * Authorization: Describe on each group (else GROUP_AUTHORIZATION_FAILED for it, listed first, as Kafka); the
 * authorized operations on the group when asked for.
 * Not implemented: Kafka 4.0's TOPIC_AUTHORIZATION_FAILED for a group whose members hold topics the principal may
 * not describe.
 */
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode, KafkaError } from '../protocol/errors.js'
import type { GroupCoordinator } from '../services/group/coordinator.js'
import type { Authorizer } from '../services/security/authorizer.js'
import { AclOperation, authorizedOperations, filterAuthorized, ResourceType } from './authz.js'
import { defineHandler, type Handler } from './handler.js'

const NOT_REQUESTED = -2147483648

export const ConsumerGroupDescribeApi = Apis.ConsumerGroupDescribe

export function consumerGroupDescribeHandler(d: {
  readonly groups: GroupCoordinator
  readonly authorizer: Authorizer
}): Handler {
  return defineHandler(ConsumerGroupDescribeApi, {
    handle(req, ctx) {
      if (!d.groups.config.consumerGroupProtocolEnabled) throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION)
      const allowed = filterAuthorized(
        d.authorizer,
        ctx,
        AclOperation.DESCRIBE,
        ResourceType.GROUP,
        req.groupIds,
      )
      const denied = req.groupIds
        .filter((g) => !allowed.has(g))
        .map((groupId) => ({
          errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED,
          errorMessage: null,
          groupId,
          groupState: '',
          groupEpoch: 0,
          assignmentEpoch: 0,
          assignorName: '',
          members: [],
          authorizedOperations: NOT_REQUESTED,
        }))
      const described = d.groups
        .consumerGroupDescribe(req.groupIds.filter((g) => allowed.has(g)))
        .map((g) => ({
          ...g,
          authorizedOperations:
            req.includeAuthorizedOperations && g.errorCode === ErrorCode.NONE
              ? authorizedOperations(d.authorizer, ctx, ResourceType.GROUP, g.groupId)
              : NOT_REQUESTED,
        }))
      return { throttleTimeMs: 0, groups: [...denied, ...described] }
    },
  })
}
