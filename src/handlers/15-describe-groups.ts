/**
 * DescribeGroups (15), v0-5, served by the classic group d.groups. Per group: state, protocol type, and the
 * members with client id and host (the chosen protocol, member metadata and assignments only when Stable).
 * A group that does not exist is reported as "Dead" with no error (Kafka answers GROUP_ID_NOT_FOUND only
 * from v6, which 3.9 does not have); coordinator errors leave the state empty.
 *
 * Version notes: v1 adds throttle time; v3 adds include_authorized_operations (what the principal may do with
 * the group, only for groups without an error; INT_MIN when not asked for); v4 adds the members' group instance
 * ids; v5 is flexible.
 * Authorization: Describe on each group (else GROUP_AUTHORIZATION_FAILED for it; those are listed first, as Kafka
 * lists them).
 */
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode, toErrorCode } from '../protocol/errors.js'
import type { GroupCoordinator } from '../services/group/coordinator.js'
import type { Authorizer } from '../services/security/authorizer.js'
import { AclOperation, authorizedOperations, filterAuthorized, ResourceType } from './authz.js'
import { defineHandler, type Handler } from './handler.js'

export const DescribeGroupsApi = Apis.DescribeGroups

const NOT_REQUESTED = -2147483648

const failed = (groupId: string, errorCode: number) => ({
  errorCode,
  groupId,
  groupState: '',
  protocolType: '',
  protocolData: '',
  members: [],
  authorizedOperations: NOT_REQUESTED,
})

export function describeGroupsHandler(d: {
  readonly groups: GroupCoordinator
  readonly authorizer: Authorizer
}): Handler {
  return defineHandler(DescribeGroupsApi, {
    handle(req, ctx) {
      const withOps = ctx.apiVersion >= 3 && req.includeAuthorizedOperations
      const allowed = filterAuthorized(
        d.authorizer,
        ctx,
        AclOperation.DESCRIBE,
        ResourceType.GROUP,
        req.groups,
      )
      const denied = req.groups.filter((g) => !allowed.has(g))
      return {
        throttleTimeMs: 0,
        groups: [
          ...denied.map((groupId) => failed(groupId, ErrorCode.GROUP_AUTHORIZATION_FAILED)),
          ...req.groups
            .filter((g) => allowed.has(g))
            .map((groupId) => {
              try {
                const { error, summary } = d.groups.describeGroup(groupId)
                return {
                  errorCode: error,
                  groupId,
                  groupState: summary.state,
                  protocolType: summary.protocolType,
                  protocolData: summary.protocol,
                  members: summary.members.map((m) => ({
                    memberId: m.memberId,
                    groupInstanceId: m.groupInstanceId,
                    clientId: m.clientId,
                    clientHost: m.clientHost,
                    memberMetadata: m.metadata,
                    memberAssignment: m.assignment,
                  })),
                  authorizedOperations:
                    withOps && error === ErrorCode.NONE
                      ? authorizedOperations(d.authorizer, ctx, ResourceType.GROUP, groupId)
                      : NOT_REQUESTED,
                }
              } catch (e) {
                return failed(groupId, toErrorCode(e))
              }
            }),
        ],
      }
    },
  })
}
