/**
 * LeaveGroup (13), v0-5, served by the classic group d.groups. Leaving members are removed and the group
 * rebalances; a pending member (one that got MEMBER_ID_REQUIRED) is simply forgotten.
 *
 * Version notes:
 * - v0-v2: one member id; the single error is the top-level error, else the member's (Kafka's
 *   LeaveGroupResponse for old versions).
 * - v3+: a batch of members by member id and group instance id (KIP-345), with a per-member error; an empty
 *   member id with a group instance id removes that static member (administrative removal).
 * - v4 is flexible; v5 adds a per-member reason (KIP-800), logged.
 * Authorization: Read on the group (else GROUP_AUTHORIZATION_FAILED).
 */
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode } from '../protocol/errors.js'
import type { GroupCoordinator } from '../services/group/coordinator.js'
import type { LeaveGroupMember } from '../services/group/types.js'
import type { Authorizer } from '../services/security/authorizer.js'
import { AclOperation, requireAccess, ResourceType } from './authz.js'
import { defineHandler, type Handler } from './handler.js'

export const LeaveGroupApi = Apis.LeaveGroup

export function leaveGroupHandler(d: {
  readonly groups: GroupCoordinator
  readonly authorizer: Authorizer
}): Handler {
  return defineHandler(LeaveGroupApi, {
    async handle(req, ctx) {
      requireAccess(d.authorizer, ctx, AclOperation.READ, ResourceType.GROUP, req.groupId)
      const v = ctx.apiVersion
      const members: LeaveGroupMember[] =
        v < 3
          ? [{ memberId: req.memberId, groupInstanceId: null, reason: null }]
          : req.members.map((m) => ({
              memberId: m.memberId,
              groupInstanceId: m.groupInstanceId,
              reason: m.reason,
            }))
      const r = await d.groups.leaveGroupAsync(req.groupId, members)
      if (v < 3) {
        const errorCode =
          r.error !== ErrorCode.NONE
            ? r.error
            : (r.members.find((m) => m.error !== ErrorCode.NONE)?.error ?? ErrorCode.NONE)
        return { throttleTimeMs: 0, errorCode }
      }
      return {
        throttleTimeMs: 0,
        errorCode: r.error,
        members: r.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          errorCode: m.error,
        })),
      }
    },
  })
}
