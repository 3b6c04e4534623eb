/**
 * Assignments of the consumer group protocol (KIP-848): topic id -> partitions, and the small set algebra the
 * reconciliation and the assignors need. Assignments are treated as immutable values.
 */

/** Partitions by topic id. Never holds an empty set. */
export type Assignment = ReadonlyMap<string, ReadonlySet<number>>

export const EMPTY_ASSIGNMENT: Assignment = new Map()

/** Builds an assignment from wire-shaped entries, dropping empty topics. */
export function assignmentOf(
  entries: Iterable<{ readonly topicId: string; readonly partitions: readonly number[] }>,
): Assignment {
  const out = new Map<string, Set<number>>()
  for (const e of entries) {
    if (e.partitions.length === 0) continue
    let s = out.get(e.topicId)
    if (s === undefined) out.set(e.topicId, (s = new Set()))
    for (const p of e.partitions) s.add(p)
  }
  return out
}

/** Wire shape, topics and partitions sorted (deterministic responses and records). */
export function assignmentEntries(a: Assignment): { topicId: string; partitions: number[] }[] {
  return [...a.keys()]
    .sort()
    .map((topicId) => ({ topicId, partitions: [...(a.get(topicId) ?? [])].sort((x, y) => x - y) }))
}

export function assignmentSize(a: Assignment): number {
  let n = 0
  for (const s of a.values()) n += s.size
  return n
}

export function assignmentEquals(a: Assignment, b: Assignment): boolean {
  if (a.size !== b.size) return false
  for (const [t, s] of a) {
    const o = b.get(t)
    if (o === undefined || o.size !== s.size) return false
    for (const p of s) if (!o.has(p)) return false
  }
  return true
}

/** True when every partition of `a` is in `b`. */
export function isSubset(a: Assignment, b: Assignment): boolean {
  for (const [t, s] of a) {
    const o = b.get(t)
    for (const p of s) if (o === undefined || !o.has(p)) return false
  }
  return true
}

/** True when `a` and `b` share a partition. */
export function intersects(a: Assignment, b: Assignment): boolean {
  for (const [t, s] of a) {
    const o = b.get(t)
    if (o === undefined) continue
    for (const p of s) if (o.has(p)) return true
  }
  return false
}
