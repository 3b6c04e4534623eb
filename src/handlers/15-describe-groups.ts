/**
 * DescribeGroups (15), v0-6, served by the classic group d.groups. Per group: state, protocol type, and the
 * members with client id and host (the chosen protocol, member metadata and assignments only when Stable).
 * A group that does not exist, or is a consumer group (KIP-848), is reported as "Dead" with no error before v6;
 * from v6 (KIP-1043, Kafka 4.0) as "Dead" with GROUP_ID_NOT_FOUND and Kafka's message ("Group g not found." /
 * "Group g is not a classic group."). Coordinator errors leave the state empty.
 *
 * Version notes: v1 adds throttle time; v3 adds include_authorized_operations (what the principal may do with
 * the group, only for groups without an error; INT_MIN when not asked for); v4 adds the members' group instance
 * ids; v5 is flexible; v6 adds the error message.
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

const failed = (groupId: string, errorCode: number, errorMessage: string | null = null, groupState = '') => ({
  errorCode,
  errorMessage,
  groupId,
  groupState,
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
                const { error, summary, notFound } = d.groups.describeGroup(groupId)
                if (notFound !== undefined && ctx.apiVersion >= 6) {
                  return failed(groupId, ErrorCode.GROUP_ID_NOT_FOUND, notFound, summary.state)
                }
                return {
                  errorCode: error,
                  errorMessage: null,
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
