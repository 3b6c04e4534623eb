/**
 * The replica-set arithmetic of a partition reassignment (KIP-455), as Kafka's ReplicaAssignment does it. During a
 * move the full replica set RS is the target replicas TRS followed by the original replicas ORS that are not in it;
 * AR (adding) = RS - ORS, RR (removing) = RS - TRS. The topic znode stores RS, AR and RR, so a new controller
 * knows every reassignment in progress from ZooKeeper alone.
 */
import type { ReplicaAssignment } from '../metadata/znodes.js'

export const isBeingReassigned = (a: ReplicaAssignment): boolean =>
  a.addingReplicas.length > 0 || a.removingReplicas.length > 0

/** ORS: the replicas before the reassignment started. */
export const originReplicas = (a: ReplicaAssignment): number[] =>
  a.replicas.filter((r) => !a.addingReplicas.includes(r))

/** TRS: the replicas once the reassignment is done. */
export const targetReplicas = (a: ReplicaAssignment): number[] =>
  a.replicas.filter((r) => !a.removingReplicas.includes(r))

/** The assignment that moves `a` (possibly already moving) to `target`; its origin stays the original one. */
export function reassignTo(a: ReplicaAssignment, target: readonly number[]): ReplicaAssignment {
  const origin = originReplicas(a)
  const replicas = [...new Set([...target, ...origin])]
  return {
    replicas,
    addingReplicas: replicas.filter((r) => !origin.includes(r)),
    removingReplicas: replicas.filter((r) => !target.includes(r)),
  }
}

export const sameAssignment = (a: ReplicaAssignment, b: ReplicaAssignment): boolean =>
  sameList(a.replicas, b.replicas) &&
  sameList(a.addingReplicas, b.addingReplicas) &&
  sameList(a.removingReplicas, b.removingReplicas)

const sameList = (x: readonly number[], y: readonly number[]): boolean =>
  x.length === y.length && x.every((v, i) => v === y[i])

/**
 * Kafka's validation of a requested replica list (KafkaController.validateReplicas): the message of the
 * INVALID_REPLICA_ASSIGNMENT error, or null when the list is acceptable. Replicas being added must be live.
 */
export function invalidReplicas(
  current: ReplicaAssignment,
  replicas: readonly number[],
  live: ReadonlySet<number>,
): string | null {
  const list = `[${replicas.join(', ')}]`
  if (replicas.length === 0) return 'Empty replica list specified in partition reassignment.'
  if (new Set(replicas).size !== replicas.length)
    return `Duplicate replica ids in partition reassignment replica list: ${list}`
  if (replicas.some((r) => !Number.isInteger(r) || r < 0)) return `Invalid broker id in replica list: ${list}`
  const adding = reassignTo(current, replicas).addingReplicas
  if (adding.some((r) => !live.has(r)))
    return (
      `Replica assignment has brokers that are not alive. Replica list: [${adding.join(', ')}], ` +
      `live broker list: [${[...live].sort((a, b) => a - b).join(', ')}]`
    )
  return null
}
