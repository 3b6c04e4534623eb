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
 * authorized operations on the group when asked for. A group with a topic in any member's current or target
 * assignment that the principal may not Describe is answered TOPIC_AUTHORIZATION_FAILED with Kafka 4.0's message
 * and nothing else, so its topic names and partition ownership stay hidden (`KafkaApis.handleConsumerGroupDescribe`).
 */
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode, KafkaError } from '../protocol/errors.js'
import type { GroupCoordinator } from '../services/group/coordinator.js'
import type { Authorizer } from '../services/security/authorizer.js'
import { AclOperation, authorizedOperations, filterAuthorized, ResourceType } from './authz.js'
import { defineHandler, type Handler } from './handler.js'

const NOT_REQUESTED = -2147483648
const TOPICS_DENIED = 'The group has described topic(s) that the client is not authorized to describe.'

const errorEntry = (groupId: string, errorCode: number, errorMessage: string | null) => ({
  errorCode,
  errorMessage,
  groupId,
  groupState: '',
  groupEpoch: 0,
  assignmentEpoch: 0,
  assignorName: '',
  members: [],
  authorizedOperations: NOT_REQUESTED,
})

type Described = ReturnType<GroupCoordinator['consumerGroupDescribe']>[number]

/** Every topic name in a described group's current and target assignments. */
function assignedTopics(g: Described): string[] {
  return g.members.flatMap((m) =>
    [...m.assignment.topicPartitions, ...m.targetAssignment.topicPartitions].map((tp) => tp.topicName),
  )
}

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
        .map((groupId) => errorEntry(groupId, ErrorCode.GROUP_AUTHORIZATION_FAILED, null))
      const groups = d.groups.consumerGroupDescribe(req.groupIds.filter((g) => allowed.has(g)))
      const topics = [
        ...new Set(groups.filter((g) => g.errorCode === ErrorCode.NONE).flatMap(assignedTopics)),
      ]
      const describable = filterAuthorized(
        d.authorizer,
        ctx,
        AclOperation.DESCRIBE,
        ResourceType.TOPIC,
        topics,
      )
      const described = groups.map((g) =>
        assignedTopics(g).some((t) => !describable.has(t))
          ? errorEntry(g.groupId, ErrorCode.TOPIC_AUTHORIZATION_FAILED, TOPICS_DENIED)
          : {
              ...g,
              authorizedOperations:
                req.includeAuthorizedOperations && g.errorCode === ErrorCode.NONE
                  ? authorizedOperations(d.authorizer, ctx, ResourceType.GROUP, g.groupId)
                  : NOT_REQUESTED,
            },
      )
      return { throttleTimeMs: 0, groups: [...denied, ...described] }
    },
  })
}
