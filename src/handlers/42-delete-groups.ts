/**
 * DeleteGroups (42), v0-2, served by the classic group d.groups. Only an Empty group can be deleted
 * (NON_EMPTY_GROUP otherwise); its offsets and metadata are tombstoned in `__consumer_offsets`. A group
 * this coordinator owns but does not know gets GROUP_ID_NOT_FOUND; groups of partitions it does not own get
 * NOT_COORDINATOR (clients send each group to its coordinator). Duplicate names are answered once.
 *
 * Version notes: v1 is the same as v0; v2 is flexible.
 * Not implemented: authorization.
 */
import { Apis } from '../protocol/messages/index.js'
import type { GroupCoordinator } from '../services/group/coordinator.js'
import { defineHandler, type Handler } from './handler.js'

export const DeleteGroupsApi = Apis.DeleteGroups

export function deleteGroupsHandler(d: { readonly groups: GroupCoordinator }): Handler {
  return defineHandler(DeleteGroupsApi, {
    async handle(req) {
      const groups = [...new Set(req.groupsNames)]
      const errors = await d.groups.deleteGroups(groups)
      return {
        throttleTimeMs: 0,
        results: groups.map((groupId) => ({ groupId, errorCode: errors.get(groupId) ?? 0 })),
      }
    },
  })
}
