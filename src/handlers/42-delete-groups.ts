/**
 * DeleteGroups (42), v0-2, served by the classic group d.groups. Only an Empty group can be deleted
 * (NON_EMPTY_GROUP otherwise); its offsets and metadata are tombstoned in `__consumer_offsets`. A group
 * this coordinator owns but does not know gets GROUP_ID_NOT_FOUND; groups of partitions it does not own get
 * NOT_COORDINATOR (clients send each group to its coordinator). Duplicate names are answered once.
 *
 * Version notes: v1 is the same as v0; v2 is flexible.
 * Authorization: Delete on each group (else GROUP_AUTHORIZATION_FAILED for it, listed after the others).
 */
import { Apis } from '../protocol/messages/index.js'
import type { GroupCoordinator } from '../services/group/coordinator.js'
import { ErrorCode } from '../protocol/errors.js'
import type { Authorizer } from '../services/security/authorizer.js'
import { AclOperation, filterAuthorized, ResourceType } from './authz.js'
import { defineHandler, type Handler } from './handler.js'

export const DeleteGroupsApi = Apis.DeleteGroups

export function deleteGroupsHandler(d: {
  readonly groups: GroupCoordinator
  readonly authorizer: Authorizer
}): Handler {
  return defineHandler(DeleteGroupsApi, {
    async handle(req, ctx) {
      const groups = [...new Set(req.groupsNames)]
      const allowed = filterAuthorized(d.authorizer, ctx, AclOperation.DELETE, ResourceType.GROUP, groups)
      const authorized = groups.filter((g) => allowed.has(g))
      const errors =
        authorized.length > 0 ? await d.groups.deleteGroups(authorized) : new Map<string, number>()
      return {
        throttleTimeMs: 0,
        results: [
          ...authorized.map((groupId) => ({ groupId, errorCode: errors.get(groupId) ?? 0 })),
          ...groups
            .filter((g) => !allowed.has(g))
            .map((groupId) => ({ groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED })),
        ],
      }
    },
  })
}
