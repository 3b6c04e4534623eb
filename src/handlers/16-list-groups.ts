/**
 * ListGroups (16), v0-5, served by the classic group coordinator: the groups of the `__consumer_offsets`
 * partitions this broker coordinates (clients ask every broker). The error is COORDINATOR_LOAD_IN_PROGRESS
 * while any partition is still loading (the groups known so far are listed anyway), COORDINATOR_NOT_AVAILABLE
 * before startup.
 *
 * Version notes: v1 adds throttle time; v3 is flexible; v4 adds the states filter (case-insensitive; empty =
 * all) and each group's state (KIP-518); v5 adds the types filter and each group's type (KIP-848): every group
 * here is "classic", so a types filter without "classic" lists nothing.
 * Not implemented: authorization (no authorizer: DESCRIBE on the cluster is granted, so all groups are listed).
 */
import { Apis } from '../protocol/messages/index.js'
import type { GroupCoordinator } from '../services/group/coordinator.js'
import { defineHandler, type Handler } from './handler.js'

export const ListGroupsApi = Apis.ListGroups

export function listGroupsHandler(d: { readonly groups: GroupCoordinator }): Handler {
  return defineHandler(ListGroupsApi, {
    handle(req) {
      const r = d.groups.listGroups(req.statesFilter, req.typesFilter)
      return {
        throttleTimeMs: 0,
        errorCode: r.error,
        groups: r.groups.map((g) => ({
          groupId: g.groupId,
          protocolType: g.protocolType,
          groupState: g.state,
          groupType: g.groupType,
        })),
      }
    },
  })
}
