/**
 * A consumer group of the KIP-848 protocol (Kafka's ConsumerGroup): the group epoch (bumped whenever the
 * members or their subscriptions or the subscribed topics change), the target assignment and its epoch, the
 * members, and which member owns which partition at which epoch (for revoke-before-assign across members).
 */
import type { Assignment } from './assignment.js'
import type { ConsumerGroupMember, PartitionEpochLookup } from './member.js'

/** ConsumerGroupDescribe / ListGroups states (Kafka's ConsumerGroupState). */
export type ConsumerGroupState = 'Empty' | 'Assigning' | 'Reconciling' | 'Stable' | 'Dead'

/** A group's state as of one moment (members and assignments are immutable values, so this is a cheap copy). */
export interface ConsumerGroupSnapshot {
  readonly groupEpoch: number
  readonly targetAssignmentEpoch: number
  readonly subscriptionMetadata: ReadonlyMap<string, string>
  readonly members: ReadonlyMap<string, ConsumerGroupMember>
  readonly targetAssignment: ReadonlyMap<string, Assignment>
}

export class ConsumerGroup {
  groupEpoch = 0
  targetAssignmentEpoch = 0
  /** The subscribed topics as last computed: topic name -> `${topicId}/${partitionCount}`. */
  subscriptionMetadata: ReadonlyMap<string, string> = new Map()
  private readonly memberMap = new Map<string, ConsumerGroupMember>()
  private readonly staticMemberMap = new Map<string, string>()
  private readonly target = new Map<string, Assignment>()
  /** `${topicId}:${partition}` -> the member owning it (assigned or pending revocation) and its epoch. */
  private readonly owners = new Map<string, { readonly memberId: string; readonly epoch: number }>()

  constructor(readonly groupId: string) {}

  get members(): ReadonlyMap<string, ConsumerGroupMember> {
    return this.memberMap
  }

  get targetAssignment(): ReadonlyMap<string, Assignment> {
    return this.target
  }

  get state(): ConsumerGroupState {
    if (this.memberMap.size === 0) return 'Empty'
    if (this.groupEpoch > this.targetAssignmentEpoch) return 'Assigning'
    for (const m of this.memberMap.values()) {
      if (m.memberEpoch !== this.targetAssignmentEpoch || m.state !== 'STABLE') return 'Reconciling'
    }
    return 'Stable'
  }

  staticMember(instanceId: string): ConsumerGroupMember | undefined {
    const id = this.staticMemberMap.get(instanceId)
    return id === undefined ? undefined : this.memberMap.get(id)
  }

  /** Adds or replaces a member, keeping the partition owners and the static members current. */
  updateMember(m: ConsumerGroupMember): void {
    this.dropOwnership(m.memberId)
    this.memberMap.set(m.memberId, m)
    if (m.instanceId !== null) this.staticMemberMap.set(m.instanceId, m.memberId)
    for (const a of [m.assignedPartitions, m.partitionsPendingRevocation]) {
      for (const [t, s] of a)
        for (const p of s) this.owners.set(`${t}:${p}`, { memberId: m.memberId, epoch: m.memberEpoch })
    }
  }

  removeMember(memberId: string): void {
    const m = this.memberMap.get(memberId)
    if (m === undefined) return
    this.dropOwnership(memberId)
    this.memberMap.delete(memberId)
    if (m.instanceId !== null && this.staticMemberMap.get(m.instanceId) === memberId) {
      this.staticMemberMap.delete(m.instanceId)
    }
    this.target.delete(memberId)
  }

  /** Removes a static member replaced by a new incarnation `toId`, which inherits its target assignment. */
  removeMemberKeepingTarget(fromId: string, toId: string): void {
    const a = this.target.get(fromId)
    this.removeMember(fromId)
    if (a !== undefined) this.target.set(toId, a)
  }

  setTargetAssignment(epoch: number, assignment: ReadonlyMap<string, Assignment>): void {
    this.target.clear()
    for (const [id, a] of assignment) this.target.set(id, a)
    this.targetAssignmentEpoch = epoch
  }

  snapshot(): ConsumerGroupSnapshot {
    return {
      groupEpoch: this.groupEpoch,
      targetAssignmentEpoch: this.targetAssignmentEpoch,
      subscriptionMetadata: this.subscriptionMetadata,
      members: new Map(this.memberMap),
      targetAssignment: new Map(this.target),
    }
  }

  /** Puts the group back to a snapshot (a failed write is undone; a loaded group is rebuilt). */
  restore(s: ConsumerGroupSnapshot): void {
    this.memberMap.clear()
    this.staticMemberMap.clear()
    this.owners.clear()
    for (const m of s.members.values()) this.updateMember(m)
    this.target.clear()
    for (const [id, a] of s.targetAssignment) this.target.set(id, a)
    this.groupEpoch = s.groupEpoch
    this.targetAssignmentEpoch = s.targetAssignmentEpoch
    this.subscriptionMetadata = s.subscriptionMetadata
  }

  /** Who owns a partition, from `memberId`'s point of view: -1 when free or owned by `memberId` itself. */
  partitionEpochs(memberId: string): PartitionEpochLookup {
    return (t, p) => {
      const o = this.owners.get(`${t}:${p}`)
      return o === undefined || o.memberId === memberId ? -1 : o.epoch
    }
  }

  /** The assignor most members asked for (ties by name), else `fallback`. */
  preferredAssignor(fallback: string): string {
    const votes = new Map<string, number>()
    for (const m of this.memberMap.values()) {
      if (m.serverAssignor !== null) votes.set(m.serverAssignor, (votes.get(m.serverAssignor) ?? 0) + 1)
    }
    let best = fallback
    let bestVotes = 0
    for (const [name, n] of [...votes].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      if (n > bestVotes) [best, bestVotes] = [name, n]
    }
    return best
  }

  private dropOwnership(memberId: string): void {
    const m = this.memberMap.get(memberId)
    if (m === undefined) return
    for (const a of [m.assignedPartitions, m.partitionsPendingRevocation]) {
      for (const [t, s] of a) {
        for (const p of s) {
          const k = `${t}:${p}`
          if (this.owners.get(k)?.memberId === memberId) this.owners.delete(k)
        }
      }
    }
  }
}
