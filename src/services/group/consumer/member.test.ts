import { describe, expect, it } from 'vitest'
import { assignmentEntries, assignmentOf, type Assignment } from './assignment.js'
import { newMember, reconcile, type ConsumerGroupMember } from './member.js'

const a = (spec: Record<string, number[]>): Assignment =>
  assignmentOf(Object.entries(spec).map(([topicId, partitions]) => ({ topicId, partitions })))
const show = (x: Assignment): Record<string, number[]> =>
  Object.fromEntries(assignmentEntries(x).map((e) => [e.topicId, e.partitions]))
const free = (): number => -1
const member = (over: Partial<ConsumerGroupMember>): ConsumerGroupMember => ({ ...newMember('m'), ...over })

describe('reconciliation (CurrentAssignmentBuilder)', () => {
  it('a stable member at the target epoch stays as it is', () => {
    const m = member({ memberEpoch: 3, assignedPartitions: a({ t: [0, 1] }) })
    expect(reconcile(m, 3, a({ t: [0] }), free, null)).toBe(m)
  })

  it('moves to the target epoch with free partitions added', () => {
    const m = member({ memberEpoch: 3, assignedPartitions: a({ t: [0] }) })
    const r = reconcile(m, 4, a({ t: [0, 1], u: [2] }), free, a({ t: [0] }))
    expect(r.state).toBe('STABLE')
    expect([r.memberEpoch, r.previousMemberEpoch]).toEqual([4, 3])
    expect(show(r.assignedPartitions)).toEqual({ t: [0, 1], u: [2] })
  })

  it('revokes before it assigns: keeps its epoch until the revoked partitions are gone', () => {
    const m = member({ memberEpoch: 3, assignedPartitions: a({ t: [0, 1] }) })
    const r1 = reconcile(m, 4, a({ t: [0, 2] }), free, a({ t: [0, 1] }))
    expect(r1.state).toBe('UNREVOKED_PARTITIONS')
    expect(r1.memberEpoch).toBe(3)
    expect(show(r1.assignedPartitions)).toEqual({ t: [0] })
    expect(show(r1.partitionsPendingRevocation)).toEqual({ t: [1] })
    // still owns t-1 (or did not say what it owns): no progress
    expect(reconcile(r1, 4, a({ t: [0, 2] }), free, a({ t: [0, 1] }))).toBe(r1)
    expect(reconcile(r1, 4, a({ t: [0, 2] }), free, null)).toBe(r1)
    const r2 = reconcile(r1, 4, a({ t: [0, 2] }), free, a({ t: [0] }))
    expect(r2.state).toBe('STABLE')
    expect(r2.memberEpoch).toBe(4)
    expect(show(r2.assignedPartitions)).toEqual({ t: [0, 2] })
    expect(r2.partitionsPendingRevocation.size).toBe(0)
  })

  it('skips the revocation when the member reports it no longer owns the partitions', () => {
    const m = member({ memberEpoch: 3, assignedPartitions: a({ t: [0, 1] }) })
    const r = reconcile(m, 4, a({ t: [2] }), free, a({}))
    expect(r.state).toBe('STABLE')
    expect(show(r.assignedPartitions)).toEqual({ t: [2] })
  })

  it('waits for partitions other members still own (UNRELEASED_PARTITIONS), then takes them', () => {
    const m = member({ memberEpoch: 3, assignedPartitions: a({ t: [0] }) })
    const ownedByOther = (t: string, p: number): number => (t === 't' && p === 1 ? 3 : -1)
    const r1 = reconcile(m, 4, a({ t: [0, 1, 2] }), ownedByOther, a({ t: [0] }))
    expect(r1.state).toBe('UNRELEASED_PARTITIONS')
    expect(r1.memberEpoch).toBe(4)
    expect(show(r1.assignedPartitions)).toEqual({ t: [0, 2] })
    expect(reconcile(r1, 4, a({ t: [0, 1, 2] }), ownedByOther, null).state).toBe('UNRELEASED_PARTITIONS')
    const r2 = reconcile(r1, 4, a({ t: [0, 1, 2] }), free, null)
    expect(r2.state).toBe('STABLE')
    expect(show(r2.assignedPartitions)).toEqual({ t: [0, 1, 2] })
    expect(r2.previousMemberEpoch).toBe(3)
  })
})
