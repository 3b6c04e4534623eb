import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { assignmentSize, type Assignment } from './assignment.js'
import { RangeAssignor, UniformAssignor, type AssignmentMemberSpec } from './assignors.js'

const spec = (topics: string[], current: Assignment = new Map()): AssignmentMemberSpec => ({
  subscribedTopicIds: new Set(topics),
  currentAssignment: current,
})
const flat = (a: Assignment | undefined): string[] =>
  [...(a ?? new Map<string, ReadonlySet<number>>())]
    .flatMap(([t, s]) => [...s].map((p) => `${t}-${p}`))
    .sort()

/** Random groups: up to 8 members, up to 4 topics of up to 12 partitions, random subscriptions. */
const groupArb = (homogeneous: boolean) =>
  fc
    .record({
      counts: fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 1, maxLength: 4 }),
      members: fc.integer({ min: 1, max: 8 }),
      seed: fc.array(fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), { minLength: 8, maxLength: 8 }),
    })
    .map(({ counts, members, seed }) => {
      const topics = counts.map((_, i) => `t${i}`)
      const subs = new Map<string, AssignmentMemberSpec>()
      for (let m = 0; m < members; m++) {
        const mine = homogeneous ? topics : topics.filter((_, i) => seed[m]?.[i] === true)
        subs.set(`m${m}`, spec(mine))
      }
      return { counts: new Map(topics.map((t, i) => [t, counts[i] ?? 0])), subs }
    })

function checkExactlyOnce(
  subs: ReadonlyMap<string, AssignmentMemberSpec>,
  counts: ReadonlyMap<string, number>,
  result: ReadonlyMap<string, Assignment>,
): void {
  const seen = new Map<string, string>()
  for (const [m, a] of result) {
    for (const [t, s] of a) {
      expect(subs.get(m)?.subscribedTopicIds.has(t)).toBe(true)
      for (const p of s) {
        expect(p).toBeLessThan(counts.get(t) ?? 0)
        expect(seen.has(`${t}-${p}`)).toBe(false)
        seen.set(`${t}-${p}`, m)
      }
    }
  }
  for (const [t, n] of counts) {
    const subscribed = [...subs.values()].some((s) => s.subscribedTopicIds.has(t))
    for (let p = 0; p < n; p++) expect(seen.has(`${t}-${p}`)).toBe(subscribed)
  }
}

const withCurrent = (
  subs: ReadonlyMap<string, AssignmentMemberSpec>,
  result: ReadonlyMap<string, Assignment>,
): Map<string, AssignmentMemberSpec> =>
  new Map([...subs].map(([m, s]) => [m, { ...s, currentAssignment: result.get(m) ?? new Map() }]))

describe.each([UniformAssignor, RangeAssignor])('$name assignor properties', (assignor) => {
  it('assigns every subscribed partition to exactly one subscribed member', () => {
    fc.assert(
      fc.property(groupArb(false), ({ counts, subs }) => {
        checkExactlyOnce(
          subs,
          counts,
          assignor.assign(subs, (t) => counts.get(t) ?? 0),
        )
      }),
    )
  })

  it('is stable when nothing changes', () => {
    fc.assert(
      fc.property(groupArb(false), ({ counts, subs }) => {
        const first = assignor.assign(subs, (t) => counts.get(t) ?? 0)
        const second = assignor.assign(withCurrent(subs, first), (t) => counts.get(t) ?? 0)
        for (const m of subs.keys()) expect(flat(second.get(m))).toEqual(flat(first.get(m)))
      }),
    )
  })
})

describe('uniform assignor', () => {
  it('balances identical subscriptions within one', () => {
    fc.assert(
      fc.property(groupArb(true), ({ counts, subs }) => {
        const r = UniformAssignor.assign(subs, (t) => counts.get(t) ?? 0)
        const sizes = [...subs.keys()].map((m) => assignmentSize(r.get(m) ?? new Map()))
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1)
      }),
    )
  })

  it('keeps partitions where they were when a member joins or leaves (identical subscriptions)', () => {
    fc.assert(
      fc.property(groupArb(true), fc.boolean(), ({ counts, subs }, join) => {
        const pc = (t: string): number => counts.get(t) ?? 0
        const first = UniformAssignor.assign(subs, pc)
        const next = withCurrent(subs, first)
        if (join) next.set('new', spec([...(subs.get('m0')?.subscribedTopicIds ?? [])]))
        else if (next.size > 1) next.delete('m0')
        const second = UniformAssignor.assign(next, pc)
        checkExactlyOnce(next, counts, second)
        // Moves are bounded by what the new balance needs: a member loses at most what exceeds its new quota.
        let total = 0
        for (const n of counts.values()) total += n
        const quota = Math.ceil(total / next.size)
        for (const m of next.keys()) {
          if (m === 'new') continue
          const before = flat(first.get(m))
          const after = new Set(flat(second.get(m)))
          const kept = before.filter((x) => after.has(x)).length
          expect(kept).toBeGreaterThanOrEqual(Math.min(before.length, Math.floor(total / next.size)))
          expect(after.size).toBeLessThanOrEqual(quota)
        }
      }),
    )
  })

  it('spreads differently subscribed members fairly', () => {
    const subs = new Map([
      ['a', spec(['x', 'y'])],
      ['b', spec(['y'])],
      ['c', spec(['x'])],
    ])
    const counts = new Map([
      ['x', 3],
      ['y', 3],
    ])
    const r = UniformAssignor.assign(subs, (t) => counts.get(t) ?? 0)
    checkExactlyOnce(subs, counts, r)
    expect(['a', 'b', 'c'].map((m) => assignmentSize(r.get(m) ?? new Map()))).toEqual([2, 2, 2])
  })
})

describe('range assignor', () => {
  it('gives consecutive ranges per topic, the first members one more', () => {
    const subs = new Map([
      ['b', spec(['x', 'y'])],
      ['a', spec(['x', 'y'])],
      ['c', spec(['x'])],
    ])
    const counts = new Map([
      ['x', 7],
      ['y', 3],
    ])
    const r = RangeAssignor.assign(subs, (t) => counts.get(t) ?? 0)
    expect(flat(r.get('a'))).toEqual(['x-0', 'x-1', 'x-2', 'y-0', 'y-1'])
    expect(flat(r.get('b'))).toEqual(['x-3', 'x-4', 'y-2'])
    expect(flat(r.get('c'))).toEqual(['x-5', 'x-6'])
  })
})
