/**
 * Heartbeat (12), v0-4, served by the classic group coordinator: NONE in Stable and CompletingRebalance
 * (resets the member's session timer), REBALANCE_IN_PROGRESS while the group prepares a rebalance (the
 * member rejoins), UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION / FENCED_INSTANCE_ID for stale members, and NONE
 * while the coordinator is still loading the group ("respond just blindly").
 *
 * Version notes: v1 adds throttle time; v3 adds the group instance id (static members are checked against
 * it); v4 is flexible.
 * Authorization: Read on the group (else GROUP_AUTHORIZATION_FAILED).
 * Not implemented: the IBP < 2.3 rejection of group instance ids.
 */
import { Apis } from '../protocol/messages/index.js'
import type { GroupCoordinator } from '../services/group/coordinator.js'
import type { Authorizer } from '../services/security/authorizer.js'
import { AclOperation, requireAccess, ResourceType } from './authz.js'
import { defineHandler, type Handler } from './handler.js'

export const HeartbeatApi = Apis.Heartbeat

export function heartbeatHandler(d: {
  readonly groups: GroupCoordinator
  readonly authorizer: Authorizer
}): Handler {
  return defineHandler(HeartbeatApi, {
    handle(req, ctx) {
      requireAccess(d.authorizer, ctx, AclOperation.READ, ResourceType.GROUP, req.groupId)
      const errorCode = d.groups.heartbeat({
        groupId: req.groupId,
        generationId: req.generationId,
        memberId: req.memberId,
        groupInstanceId: req.groupInstanceId,
      })
      return { throttleTimeMs: 0, errorCode }
    },
  })
}
