/**
 * ListGroups (16), v0-5, served by the classic group coordinator: the groups of the `__consumer_offsets`
 * partitions this broker coordinates (clients ask every broker). The error is COORDINATOR_LOAD_IN_PROGRESS
 * while any partition is still loading (the groups known so far are listed anyway), COORDINATOR_NOT_AVAILABLE
 * before startup.
 *
 * Version notes: v1 adds throttle time; v3 is flexible; v4 adds the states filter (case-insensitive; empty =
 * all) and each group's state (KIP-518); v5 adds the types filter and each group's type (KIP-848): every group
 * here is "classic", so a types filter without "classic" lists nothing.
 * Authorization: with Describe on the cluster every group is listed, otherwise only the groups the principal may
 * Describe.
 */
import { Apis } from '../protocol/messages/index.js'
import type { GroupCoordinator } from '../services/group/coordinator.js'
import type { Authorizer } from '../services/security/authorizer.js'
import { AclOperation, authorizeCluster, filterAuthorized, ResourceType } from './authz.js'
import { defineHandler, type Handler } from './handler.js'

export const ListGroupsApi = Apis.ListGroups

export function listGroupsHandler(d: {
  readonly groups: GroupCoordinator
  readonly authorizer: Authorizer
}): Handler {
  return defineHandler(ListGroupsApi, {
    handle(req, ctx) {
      const quiet = { logIfDenied: false }
      const everything = authorizeCluster(d.authorizer, ctx, AclOperation.DESCRIBE, quiet)
      const r = d.groups.listGroups(req.statesFilter, req.typesFilter)
      const visible = everything
        ? null
        : filterAuthorized(
            d.authorizer,
            ctx,
            AclOperation.DESCRIBE,
            ResourceType.GROUP,
            r.groups.map((g) => g.groupId),
            quiet,
          )
      return {
        throttleTimeMs: 0,
        errorCode: r.error,
        groups: r.groups
          .filter((g) => visible === null || visible.has(g.groupId))
          .map((g) => ({
            groupId: g.groupId,
            protocolType: g.protocolType,
            groupState: g.state,
            groupType: g.groupType,
          })),
      }
    },
  })
}
