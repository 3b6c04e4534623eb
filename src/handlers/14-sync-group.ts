/**
 * SyncGroup (14), v0-5, served by the classic group d.groups. The leader's SyncGroup carries the
 * assignment: it is stored in `__consumer_offsets`, then every member (followers wait meanwhile) gets its
 * part. REBALANCE_IN_PROGRESS while the group prepares a rebalance (also while the coordinator is loading,
 * so that the member rejoins), ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID as Kafka.
 *
 * Version notes: v1 adds throttle time; v3 adds the group instance id; v4 is flexible; v5 adds protocol type
 * and name to request and response (KIP-559): both are mandatory in a v5 request (else
 * INCONSISTENT_GROUP_PROTOCOL), and must match the group's.
 * Authorization: Read on the group (else GROUP_AUTHORIZATION_FAILED), after the v5 protocol check, as Kafka.
 * Not implemented: the IBP < 2.3 rejection of group instance ids.
 */
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode, KafkaError } from '../protocol/errors.js'
import type { GroupCoordinator } from '../services/group/coordinator.js'
import type { Authorizer } from '../services/security/authorizer.js'
import { AclOperation, requireAccess, ResourceType } from './authz.js'
import { defineHandler, type Handler } from './handler.js'

export const SyncGroupApi = Apis.SyncGroup

export function syncGroupHandler(d: {
  readonly groups: GroupCoordinator
  readonly authorizer: Authorizer
}): Handler {
  return defineHandler(SyncGroupApi, {
    async handle(req, ctx) {
      // From v5 the protocol type and name are mandatory.
      if (ctx.apiVersion >= 5 && (req.protocolType === null || req.protocolName === null)) {
        throw new KafkaError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
      }
      requireAccess(d.authorizer, ctx, AclOperation.READ, ResourceType.GROUP, req.groupId)
      const r = await d.groups.syncGroup({
        groupId: req.groupId,
        generationId: req.generationId,
        memberId: req.memberId,
        groupInstanceId: req.groupInstanceId,
        protocolType: req.protocolType,
        protocolName: req.protocolName,
        assignments: req.assignments.map((a) => ({ memberId: a.memberId, assignment: a.assignment })),
      })
      return {
        throttleTimeMs: 0,
        errorCode: r.error,
        protocolType: r.protocolType,
        protocolName: r.protocolName,
        assignment: r.assignment,
      }
    },
  })
}
