/**
 * A consumer group's durable state in `__consumer_offsets` (Kafka's consumer group records, types 3-8): the
 * records that take the log from one snapshot of a group to the next, and the replay of those records into
 * snapshots when a coordinator loads a partition.
 *
 * Records come in Kafka's order: a removed member's current assignment, target assignment and subscription
 * tombstones; then subscriptions (5), the group epoch (3) and the subscribed topics (4); then target assignments
 * (7) and their epoch (6); then current assignments (8). A deleted group ends with the target assignment epoch,
 * subscribed topics and group epoch tombstones.
 */
import type {
  ConsumerGroupRecord,
  ConsumerGroupRecordInput,
} from '../../../protocol/messages/data/consumer-group-records.js'
import {
  assignmentEntries,
  assignmentEquals,
  assignmentOf,
  EMPTY_ASSIGNMENT,
  type Assignment,
} from './assignment.js'
import type { ConsumerGroupSnapshot } from './group.js'
import {
  newMember,
  type ClassicMemberMetadata,
  type ConsumerGroupMember,
  type MemberState,
} from './member.js'

const EMPTY: ConsumerGroupSnapshot = {
  groupEpoch: 0,
  targetAssignmentEpoch: 0,
  subscriptionMetadata: new Map(),
  members: new Map(),
  targetAssignment: new Map(),
}

const STATE_CODES: Record<MemberState, number> = {
  STABLE: 0,
  UNREVOKED_PARTITIONS: 1,
  UNRELEASED_PARTITIONS: 2,
}

function stateOf(code: number): MemberState {
  return code === 1 ? 'UNREVOKED_PARTITIONS' : code === 2 ? 'UNRELEASED_PARTITIONS' : 'STABLE'
}

function sameSubscription(a: ConsumerGroupMember, b: ConsumerGroupMember): boolean {
  return (
    a.instanceId === b.instanceId &&
    a.rackId === b.rackId &&
    a.clientId === b.clientId &&
    a.clientHost === b.clientHost &&
    a.rebalanceTimeoutMs === b.rebalanceTimeoutMs &&
    a.subscribedTopicRegex === b.subscribedTopicRegex &&
    a.serverAssignor === b.serverAssignor &&
    a.subscribedTopicNames.length === b.subscribedTopicNames.length &&
    a.subscribedTopicNames.every((t, i) => t === b.subscribedTopicNames[i]) &&
    sameClassicMetadata(a.classicMemberMetadata, b.classicMemberMetadata)
  )
}

function sameClassicMetadata(a: ClassicMemberMetadata | null, b: ClassicMemberMetadata | null): boolean {
  if (a === null || b === null) return a === b
  return (
    a.sessionTimeoutMs === b.sessionTimeoutMs &&
    a.supportedProtocols.length === b.supportedProtocols.length &&
    a.supportedProtocols.every(
      (p, i) =>
        p.name === b.supportedProtocols[i]?.name && p.metadata.equals(b.supportedProtocols[i].metadata),
    )
  )
}

function sameCurrentAssignment(a: ConsumerGroupMember, b: ConsumerGroupMember): boolean {
  return (
    a.memberEpoch === b.memberEpoch &&
    a.previousMemberEpoch === b.previousMemberEpoch &&
    a.state === b.state &&
    assignmentEquals(a.assignedPartitions, b.assignedPartitions) &&
    assignmentEquals(a.partitionsPendingRevocation, b.partitionsPendingRevocation)
  )
}

function sameMetadata(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false
  for (const [k, v] of a) if (b.get(k) !== v) return false
  return true
}

/**
 * The records that take a group from `before` (undefined: nothing written yet) to `after` (undefined: the group
 * is deleted). Empty when nothing durable changed.
 */
export function recordsBetween(
  groupId: string,
  before: ConsumerGroupSnapshot | undefined,
  after: ConsumerGroupSnapshot | undefined,
): ConsumerGroupRecordInput[] {
  const out: ConsumerGroupRecordInput[] = []
  if (after === undefined) {
    if (before === undefined) return out
    for (const memberId of before.members.keys()) out.push({ type: 8, groupId, memberId, value: null })
    for (const memberId of before.targetAssignment.keys())
      out.push({ type: 7, groupId, memberId, value: null })
    out.push({ type: 6, groupId, value: null })
    for (const memberId of before.members.keys()) out.push({ type: 5, groupId, memberId, value: null })
    out.push({ type: 4, groupId, value: null }, { type: 3, groupId, value: null })
    return out
  }
  const b = before ?? EMPTY
  for (const memberId of b.members.keys()) {
    if (after.members.has(memberId)) continue
    out.push({ type: 8, groupId, memberId, value: null })
    if (b.targetAssignment.has(memberId)) out.push({ type: 7, groupId, memberId, value: null })
    out.push({ type: 5, groupId, memberId, value: null })
  }
  for (const [memberId, m] of after.members) {
    const old = b.members.get(memberId)
    if (old !== undefined && sameSubscription(old, m)) continue
    out.push({
      type: 5,
      groupId,
      memberId,
      value: {
        instanceId: m.instanceId,
        rackId: m.rackId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscribedTopicNames: [...m.subscribedTopicNames],
        subscribedTopicRegex: m.subscribedTopicRegex,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        serverAssignor: m.serverAssignor,
        classicMemberMetadata:
          m.classicMemberMetadata === null
            ? undefined // the default: null, not written
            : {
                sessionTimeoutMs: m.classicMemberMetadata.sessionTimeoutMs,
                supportedProtocols: m.classicMemberMetadata.supportedProtocols.map((p) => ({ ...p })),
              },
      },
    })
  }
  if (before === undefined || after.groupEpoch !== b.groupEpoch) {
    out.push({ type: 3, groupId, value: { epoch: after.groupEpoch } })
  }
  if (!sameMetadata(b.subscriptionMetadata, after.subscriptionMetadata)) {
    out.push({
      type: 4,
      groupId,
      value: {
        topics: [...after.subscriptionMetadata].map(([topicName, v]) => {
          const slash = v.lastIndexOf('/')
          return {
            topicId: v.slice(0, slash),
            topicName,
            numPartitions: Number(v.slice(slash + 1)),
            partitionMetadata: [],
          }
        }),
      },
    })
  }
  for (const memberId of b.targetAssignment.keys()) {
    // a removed member's target went with its tombstones above; a static member's replacement inherits it
    if (!after.targetAssignment.has(memberId) && after.members.has(memberId)) {
      out.push({ type: 7, groupId, memberId, value: null })
    }
  }
  for (const [memberId, a] of after.targetAssignment) {
    const old = b.targetAssignment.get(memberId)
    if (old !== undefined && assignmentEquals(old, a)) continue
    out.push({ type: 7, groupId, memberId, value: { topicPartitions: assignmentEntries(a) } })
  }
  if (before === undefined || after.targetAssignmentEpoch !== b.targetAssignmentEpoch) {
    out.push({ type: 6, groupId, value: { assignmentEpoch: after.targetAssignmentEpoch } })
  }
  for (const [memberId, m] of after.members) {
    const old = b.members.get(memberId)
    if (old !== undefined && sameCurrentAssignment(old, m)) continue
    out.push({
      type: 8,
      groupId,
      memberId,
      value: {
        memberEpoch: m.memberEpoch,
        previousMemberEpoch: m.previousMemberEpoch,
        state: STATE_CODES[m.state],
        assignedPartitions: assignmentEntries(m.assignedPartitions),
        partitionsPendingRevocation: assignmentEntries(m.partitionsPendingRevocation),
      },
    })
  }
  return out
}

interface Replayed {
  groupEpoch: number
  targetAssignmentEpoch: number
  subscriptionMetadata: Map<string, string>
  members: Map<string, ConsumerGroupMember>
  targetAssignment: Map<string, Assignment>
}

/** The groups a partition's consumer group records describe, in log order (Kafka's replay). */
export function replayConsumerGroupRecords(
  records: readonly ConsumerGroupRecord[],
): Map<string, ConsumerGroupSnapshot> {
  const groups = new Map<string, Replayed>()
  const group = (id: string): Replayed => {
    let g = groups.get(id)
    if (g === undefined) {
      g = {
        groupEpoch: 0,
        targetAssignmentEpoch: 0,
        subscriptionMetadata: new Map(),
        members: new Map(),
        targetAssignment: new Map(),
      }
      groups.set(id, g)
    }
    return g
  }
  for (const r of records) {
    switch (r.type) {
      case 3:
        if (r.value === null) groups.delete(r.groupId)
        else group(r.groupId).groupEpoch = r.value.epoch
        break
      case 4: {
        const g = group(r.groupId)
        g.subscriptionMetadata = new Map(
          (r.value?.topics ?? []).map((t) => [t.topicName, `${t.topicId}/${t.numPartitions}`]),
        )
        break
      }
      case 5: {
        const g = group(r.groupId)
        if (r.value === null) {
          g.members.delete(r.memberId)
          break
        }
        const m = g.members.get(r.memberId) ?? newMember(r.memberId)
        g.members.set(r.memberId, {
          ...m,
          instanceId: r.value.instanceId,
          rackId: r.value.rackId,
          clientId: r.value.clientId,
          clientHost: r.value.clientHost,
          subscribedTopicNames: r.value.subscribedTopicNames,
          subscribedTopicRegex: r.value.subscribedTopicRegex,
          rebalanceTimeoutMs: r.value.rebalanceTimeoutMs,
          serverAssignor: r.value.serverAssignor,
          classicMemberMetadata: r.value.classicMemberMetadata,
        })
        break
      }
      case 6:
        group(r.groupId).targetAssignmentEpoch = r.value?.assignmentEpoch ?? 0
        break
      case 7: {
        const g = group(r.groupId)
        if (r.value === null) g.targetAssignment.delete(r.memberId)
        else g.targetAssignment.set(r.memberId, assignmentOf(r.value.topicPartitions))
        break
      }
      case 8: {
        const g = group(r.groupId)
        const m = g.members.get(r.memberId) ?? newMember(r.memberId)
        g.members.set(
          r.memberId,
          r.value === null
            ? {
                ...m,
                memberEpoch: 0,
                previousMemberEpoch: 0,
                state: 'STABLE',
                assignedPartitions: EMPTY_ASSIGNMENT,
                partitionsPendingRevocation: EMPTY_ASSIGNMENT,
              }
            : {
                ...m,
                memberEpoch: r.value.memberEpoch,
                previousMemberEpoch: r.value.previousMemberEpoch,
                state: stateOf(r.value.state),
                assignedPartitions: assignmentOf(r.value.assignedPartitions),
                partitionsPendingRevocation: assignmentOf(r.value.partitionsPendingRevocation),
              },
        )
        break
      }
    }
  }
  return groups
}
