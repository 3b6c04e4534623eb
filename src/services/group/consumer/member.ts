/**
 * A member of a consumer group (KIP-848) and its reconciliation towards the target assignment — Kafka's
 * ConsumerGroupMember and CurrentAssignmentBuilder.
 *
 * A member moves between three states:
 * - STABLE: it has its whole target assignment at the target assignment epoch;
 * - UNREVOKED_PARTITIONS: the target took partitions away; the member keeps its epoch and only the partitions it
 *   may keep until its heartbeat's owned partitions no longer contain the revoked ones (revoke before assign);
 * - UNRELEASED_PARTITIONS: it is at the target epoch but some of its target partitions are still owned by other
 *   members (in their assigned or pending-revocation partitions); it gets them once they are released.
 */
import { EMPTY_ASSIGNMENT, intersects, type Assignment } from './assignment.js'

export type MemberState = 'STABLE' | 'UNREVOKED_PARTITIONS' | 'UNRELEASED_PARTITIONS'

/** Member epochs of a leaving member: -1 leaves for good, -2 is a static member's temporary leave. */
export const LEAVE_GROUP_MEMBER_EPOCH = -1
export const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2

/**
 * What a member of the classic protocol living in a consumer group (online migration) joined with: its session
 * timeout and the protocols (name, embedded consumer protocol subscription) of its last JoinGroup.
 */
export interface ClassicMemberMetadata {
  readonly sessionTimeoutMs: number
  readonly supportedProtocols: readonly { readonly name: string; readonly metadata: Buffer }[]
}

export interface ConsumerGroupMember {
  readonly memberId: string
  readonly instanceId: string | null
  readonly rackId: string | null
  readonly clientId: string
  readonly clientHost: string
  readonly rebalanceTimeoutMs: number
  readonly subscribedTopicNames: readonly string[]
  readonly subscribedTopicRegex: string | null
  readonly serverAssignor: string | null
  readonly memberEpoch: number
  readonly previousMemberEpoch: number
  readonly state: MemberState
  /** The partitions the member may own now. */
  readonly assignedPartitions: Assignment
  /** Partitions the member still owns but must give up. */
  readonly partitionsPendingRevocation: Assignment
  /** Set when the member uses the classic protocol (JoinGroup/SyncGroup/Heartbeat), null for the consumer protocol. */
  readonly classicMemberMetadata: ClassicMemberMetadata | null
}

export function newMember(memberId: string): ConsumerGroupMember {
  return {
    memberId,
    instanceId: null,
    rackId: null,
    clientId: '',
    clientHost: '',
    rebalanceTimeoutMs: -1,
    subscribedTopicNames: [],
    subscribedTopicRegex: null,
    serverAssignor: null,
    memberEpoch: 0,
    previousMemberEpoch: 0,
    state: 'STABLE',
    assignedPartitions: EMPTY_ASSIGNMENT,
    partitionsPendingRevocation: EMPTY_ASSIGNMENT,
    classicMemberMetadata: null,
  }
}

/**
 * The epoch of the member owning a partition (in its assigned or pending-revocation partitions), or -1 when no
 * other member owns it.
 */
export type PartitionEpochLookup = (topicId: string, partition: number) => number

/**
 * Kafka's CurrentAssignmentBuilder: the member's next state given the target assignment (and its epoch), who
 * owns which partition, and the partitions the member reported owning in this heartbeat (null when it did not
 * say — then it is assumed to still own everything it was given).
 */
export function reconcile(
  member: ConsumerGroupMember,
  targetEpoch: number,
  target: Assignment,
  partitionEpoch: PartitionEpochLookup,
  owned: Assignment | null,
): ConsumerGroupMember {
  const ownsAnyOf = (revoked: Assignment): boolean => owned === null || intersects(revoked, owned)
  switch (member.state) {
    case 'STABLE':
      if (member.memberEpoch !== targetEpoch)
        return computeNext(member, targetEpoch, target, partitionEpoch, ownsAnyOf)
      return member
    case 'UNREVOKED_PARTITIONS':
      if (ownsAnyOf(member.partitionsPendingRevocation)) return member
      return computeNext(member, targetEpoch, target, partitionEpoch, ownsAnyOf)
    case 'UNRELEASED_PARTITIONS':
      return computeNext(member, targetEpoch, target, partitionEpoch, ownsAnyOf)
  }
}

function computeNext(
  member: ConsumerGroupMember,
  targetEpoch: number,
  target: Assignment,
  partitionEpoch: PartitionEpochLookup,
  ownsAnyOf: (revoked: Assignment) => boolean,
): ConsumerGroupMember {
  const kept = new Map<string, Set<number>>()
  const revoke = new Map<string, Set<number>>()
  const assignable = new Map<string, Set<number>>()
  let unreleased = false
  const put = (m: Map<string, Set<number>>, t: string, p: number): void => {
    let s = m.get(t)
    if (s === undefined) m.set(t, (s = new Set()))
    s.add(p)
  }
  for (const [t, current] of member.assignedPartitions) {
    const want = target.get(t)
    for (const p of current) put(want?.has(p) === true ? kept : revoke, t, p)
  }
  for (const [t, want] of target) {
    const current = member.assignedPartitions.get(t)
    for (const p of want) {
      if (current?.has(p) === true) continue
      if (partitionEpoch(t, p) === -1) put(assignable, t, p)
      else unreleased = true
    }
  }
  if (revoke.size > 0 && ownsAnyOf(revoke)) {
    // Revoke first: the member keeps its epoch and gets nothing new until it has let the partitions go.
    return {
      ...member,
      state: 'UNREVOKED_PARTITIONS',
      assignedPartitions: kept,
      partitionsPendingRevocation: revoke,
    }
  }
  for (const [t, s] of assignable) {
    let k = kept.get(t)
    if (k === undefined) kept.set(t, (k = new Set()))
    for (const p of s) k.add(p)
  }
  return {
    ...member,
    state: unreleased ? 'UNRELEASED_PARTITIONS' : 'STABLE',
    previousMemberEpoch: member.memberEpoch !== targetEpoch ? member.memberEpoch : member.previousMemberEpoch,
    memberEpoch: targetEpoch,
    assignedPartitions: kept,
    partitionsPendingRevocation: EMPTY_ASSIGNMENT,
  }
}
