/**
 * JoinGroup (11), v0-9, served by the classic group d.groups. The response waits for the rebalance (up to
 * the group's rebalance timeout; a brand-new group first waits `group.initial.rebalance.delay.ms`).
 *
 * Version notes:
 * - v0 has no rebalance timeout: the session timeout is used instead (as Kafka's JoinGroupRequest does).
 * - v4+: a member without a member id and without a group instance id is given one and must join again with
 *   it: the first response is MEMBER_ID_REQUIRED with the new member id (KIP-394).
 * - v5 adds the group instance id (static membership, KIP-345) and the members' instance ids in the response.
 * - v7 adds the protocol type to the response and lets the protocol name be null (below v7 "" stands for
 *   none); v8 adds the join reason (logged); v9 adds skip_assignment (KIP-814): a static leader rejoining a
 *   Stable group gets the members but is told not to run the assignor.
 * The member's host is reported as Java's InetAddress.toString does ("/127.0.0.1").
 * Authorization: Read on the group (else GROUP_AUTHORIZATION_FAILED).
 * Not implemented: the IBP < 2.3 rejection of group instance ids.
 */
import type { JoinGroupResponse } from '../protocol/messages/11-join-group.js'
import { Apis } from '../protocol/messages/index.js'
import type { ConnectionInfo } from '../network/connection.js'
import type { GroupCoordinator } from '../services/group/coordinator.js'
import type { JoinGroupResult } from '../services/group/types.js'
import type { Authorizer } from '../services/security/authorizer.js'
import { AclOperation, requireAccess, ResourceType } from './authz.js'
import { defineHandler, type Handler, type Out } from './handler.js'

export const JoinGroupApi = Apis.JoinGroup

type Response = Out<typeof JoinGroupResponse>

/** Java's `InetAddress.toString()` for an address without a resolved host name: "/<ip>". */
export function clientHostOf(conn: ConnectionInfo): string {
  const a = conn.remoteAddress
  return `/${a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a}`
}

function toResponse(r: JoinGroupResult, version: number): Response {
  // Below v7 the protocol name is not nullable ("" for none); from v7 "" is sent as null.
  const protocolName = version < 7 ? (r.protocolName ?? '') : r.protocolName === '' ? null : r.protocolName
  return {
    throttleTimeMs: 0,
    errorCode: r.error,
    generationId: r.generationId,
    protocolType: r.protocolType,
    protocolName,
    leader: r.leaderId,
    skipAssignment: r.skipAssignment,
    memberId: r.memberId,
    members: r.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.metadata,
    })),
  }
}

export function joinGroupHandler(d: {
  readonly groups: GroupCoordinator
  readonly authorizer: Authorizer
}): Handler {
  return defineHandler(JoinGroupApi, {
    async handle(req, ctx) {
      requireAccess(d.authorizer, ctx, AclOperation.READ, ResourceType.GROUP, req.groupId)
      const v = ctx.apiVersion
      const groupInstanceId = req.groupInstanceId
      const result = await d.groups.joinGroup({
        groupId: req.groupId,
        memberId: req.memberId,
        groupInstanceId,
        // MEMBER_ID_REQUIRED only from v4, and never for static members.
        requireKnownMemberId: v >= 4 && groupInstanceId === null,
        supportSkippingAssignment: v >= 9,
        clientId: ctx.clientId ?? '',
        clientHost: clientHostOf(ctx.connection),
        rebalanceTimeoutMs: v === 0 ? req.sessionTimeoutMs : req.rebalanceTimeoutMs,
        sessionTimeoutMs: req.sessionTimeoutMs,
        protocolType: req.protocolType,
        protocols: req.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
        reason: req.reason,
      })
      return toResponse(result, v)
    },
  })
}
