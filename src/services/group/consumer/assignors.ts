/**
 * The server-side assignors of the consumer group protocol (KIP-848), selected by `group.consumer.assignors`
 * and a member's `group.remote.assignor` (the heartbeat's ServerAssignor): `uniform` and `range`, as Kafka's
 * UniformAssignor and RangeAssignor. Both are pure and deterministic: the same members, subscriptions, topics
 * and current target assignment give the same result, so a new coordinator computes what its predecessor did.
 *
 * uniform — every partition of a subscribed topic goes to exactly one member subscribed to it. With identical
 * subscriptions the members' partition counts differ by at most one; partitions stay with the member that had
 * them whenever that keeps the balance (the members with the most partitions they already have get the larger
 * share). With different subscriptions each partition goes to the eligible member with the fewest partitions, then
 * partitions move from a member to an eligible one with at least two fewer until no such move is left.
 *
 * range — per topic, the subscribed members sorted by member id get consecutive ranges of partitions; the
 * first `partitions % members` get one more (like the classic range assignor, so co-partitioned topics land on
 * the same members).
 */
import type { Assignment } from './assignment.js'

export interface AssignmentMemberSpec {
  /** Topic ids the member subscribes to (names already resolved against the topics that exist). */
  readonly subscribedTopicIds: ReadonlySet<string>
  /** The member's partitions in the current target assignment. */
  readonly currentAssignment: Assignment
}

export interface ConsumerGroupAssignor {
  readonly name: string
  /**
   * @param members by member id
   * @param partitionCount the number of partitions of a topic id; 0 when the topic does not exist
   * @returns every member's new target assignment
   */
  assign(
    members: ReadonlyMap<string, AssignmentMemberSpec>,
    partitionCount: (topicId: string) => number,
  ): Map<string, Assignment>
}

type Mutable = Map<string, Map<string, Set<number>>>

function emptyResult(ids: readonly string[]): Mutable {
  return new Map(ids.map((id) => [id, new Map<string, Set<number>>()]))
}

function add(r: Mutable, member: string, topicId: string, p: number): void {
  const m = r.get(member)
  if (m === undefined) return
  let s = m.get(topicId)
  if (s === undefined) m.set(topicId, (s = new Set()))
  s.add(p)
}

function remove(r: Mutable, member: string, topicId: string, p: number): void {
  const s = r.get(member)?.get(topicId)
  if (s === undefined) return
  s.delete(p)
  if (s.size === 0) r.get(member)?.delete(topicId)
}

const byNumber = (a: number, b: number): number => a - b
const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

export const UniformAssignor: ConsumerGroupAssignor = {
  name: 'uniform',
  assign(members, partitionCount) {
    const ids = [...members.keys()].sort(byString)
    const result = emptyResult(ids)
    const subscribers = new Map<string, string[]>()
    for (const id of ids) {
      for (const t of members.get(id)?.subscribedTopicIds ?? []) {
        if (partitionCount(t) <= 0) continue
        const list = subscribers.get(t)
        if (list === undefined) subscribers.set(t, [id])
        else list.push(id)
      }
    }
    const topics = [...subscribers.keys()].sort(byString)
    const owner = new Map<string, string>() // `${topicId}:${p}` -> member
    const count = new Map<string, number>(ids.map((id) => [id, 0]))
    const give = (id: string, t: string, p: number): void => {
      owner.set(`${t}:${p}`, id)
      count.set(id, (count.get(id) ?? 0) + 1)
      add(result, id, t, p)
    }
    const take = (id: string, t: string, p: number): void => {
      owner.delete(`${t}:${p}`)
      count.set(id, (count.get(id) ?? 0) - 1)
      remove(result, id, t, p)
    }

    // 1. Keep what members already have, where still valid.
    for (const id of ids) {
      const spec = members.get(id)
      if (spec === undefined) continue
      for (const t of [...spec.currentAssignment.keys()].sort(byString)) {
        if (!spec.subscribedTopicIds.has(t)) continue
        const n = partitionCount(t)
        for (const p of [...(spec.currentAssignment.get(t) ?? [])].sort(byNumber)) {
          if (p < n && !owner.has(`${t}:${p}`)) give(id, t, p)
        }
      }
    }
    const unassigned: [string, number][] = []
    for (const t of topics) {
      for (let p = 0; p < partitionCount(t); p++) if (!owner.has(`${t}:${p}`)) unassigned.push([t, p])
    }

    const first = ids[0]
    const firstSubs = first === undefined ? undefined : members.get(first)?.subscribedTopicIds
    const homogeneous =
      firstSubs !== undefined &&
      ids.every((id) => {
        const s = members.get(id)?.subscribedTopicIds
        return s !== undefined && s.size === firstSubs.size && [...s].every((t) => firstSubs.has(t))
      })

    if (homogeneous) {
      // 2a. Quotas: floor(total / members), one more for the `total % members` members keeping the most.
      let total = 0
      for (const t of topics) total += partitionCount(t)
      const order = [...ids].sort((a, b) => (count.get(b) ?? 0) - (count.get(a) ?? 0) || byString(a, b))
      const base = Math.floor(total / ids.length)
      const extra = total % ids.length
      const quota = new Map(order.map((id, i) => [id, base + (i < extra ? 1 : 0)]))
      for (const id of order) {
        const q = quota.get(id) ?? 0
        if ((count.get(id) ?? 0) <= q) continue
        const owned: [string, number][] = []
        for (const [t, s] of result.get(id) ?? []) for (const p of s) owned.push([t, p])
        owned.sort((a, b) => byString(b[0], a[0]) || b[1] - a[1])
        for (const [t, p] of owned) {
          if ((count.get(id) ?? 0) <= q) break
          take(id, t, p)
          unassigned.push([t, p])
        }
      }
      unassigned.sort((a, b) => byString(a[0], b[0]) || a[1] - b[1])
      let i = 0
      for (const id of order) {
        const q = quota.get(id) ?? 0
        while ((count.get(id) ?? 0) < q && i < unassigned.length) {
          const next = unassigned[i++]
          if (next !== undefined) give(id, next[0], next[1])
        }
      }
      return result
    }

    // 2b. Different subscriptions: scarce partitions first, each to the least loaded eligible member.
    const leastLoaded = (t: string): string | undefined => {
      let best: string | undefined
      for (const id of subscribers.get(t) ?? []) {
        if (best === undefined || (count.get(id) ?? 0) < (count.get(best) ?? 0)) best = id
      }
      return best
    }
    unassigned.sort(
      (a, b) =>
        (subscribers.get(a[0])?.length ?? 0) - (subscribers.get(b[0])?.length ?? 0) ||
        byString(a[0], b[0]) ||
        a[1] - b[1],
    )
    for (const [t, p] of unassigned) {
      const id = leastLoaded(t)
      if (id !== undefined) give(id, t, p)
    }
    // 3. Balance: move a partition to an eligible member with at least two fewer, until nothing moves. Every move
    // lowers the sum of the squared counts, so this ends.
    for (let moved = true; moved;) {
      moved = false
      for (const t of topics) {
        for (let p = 0; p < partitionCount(t); p++) {
          const from = owner.get(`${t}:${p}`)
          const to = leastLoaded(t)
          if (from === undefined || to === undefined) continue
          if ((count.get(to) ?? 0) < (count.get(from) ?? 0) - 1) {
            take(from, t, p)
            give(to, t, p)
            moved = true
          }
        }
      }
    }
    return result
  },
}

export const RangeAssignor: ConsumerGroupAssignor = {
  name: 'range',
  assign(members, partitionCount) {
    const ids = [...members.keys()].sort(byString)
    const result = emptyResult(ids)
    const topics = new Set<string>()
    for (const id of ids) for (const t of members.get(id)?.subscribedTopicIds ?? []) topics.add(t)
    for (const t of [...topics].sort(byString)) {
      const n = partitionCount(t)
      if (n <= 0) continue
      const subs = ids.filter((id) => members.get(id)?.subscribedTopicIds.has(t) === true)
      const base = Math.floor(n / subs.length)
      const extra = n % subs.length
      let p = 0
      subs.forEach((id, i) => {
        const end = p + base + (i < extra ? 1 : 0)
        for (; p < end; p++) add(result, id, t, p)
      })
    }
    return result
  },
}

/** Every assignor Samsa has, by the name `group.consumer.assignors` and `group.remote.assignor` use. */
export const CONSUMER_GROUP_ASSIGNORS: ReadonlyMap<string, ConsumerGroupAssignor> = new Map([
  ['uniform', UniformAssignor],
  ['range', RangeAssignor],
])
