import { describe, expect, it } from 'vitest'
import { assignReplicasToBrokers } from './assignment.js'

describe('assignReplicasToBrokers', () => {
  it('matches Kafka for a fixed start index (rack unaware)', () => {
    // Kafka's AdminRackAwareTest/AdminUtilsTest expectation for brokers 0-4, 10 partitions, RF 3, start index 0
    const a = assignReplicasToBrokers(
      [0, 1, 2, 3, 4].map((id) => ({ id, rack: null })),
      10,
      3,
      { fixedStartIndex: 0 },
    )
    expect(Object.fromEntries(a)).toEqual({
      0: [0, 1, 2],
      1: [1, 2, 3],
      2: [2, 3, 4],
      3: [3, 4, 0],
      4: [4, 0, 1],
      5: [0, 2, 3],
      6: [1, 3, 4],
      7: [2, 4, 0],
      8: [3, 0, 1],
      9: [4, 1, 2],
    })
  })

  it('spreads leaders evenly and never repeats a broker within a partition', () => {
    const a = assignReplicasToBrokers(
      [1, 2, 3].map((id) => ({ id, rack: null })),
      6,
      3,
    )
    const leaders = [...a.values()].map((r) => r[0])
    for (const b of [1, 2, 3]) expect(leaders.filter((l) => l === b)).toHaveLength(2)
    for (const r of a.values()) expect(new Set(r).size).toBe(3)
  })

  it('puts replicas in different racks when racks are set', () => {
    const brokers = [
      { id: 0, rack: 'a' },
      { id: 1, rack: 'a' },
      { id: 2, rack: 'b' },
      { id: 3, rack: 'b' },
      { id: 4, rack: 'c' },
      { id: 5, rack: 'c' },
    ]
    const rackOf = new Map(brokers.map((b) => [b.id, b.rack]))
    const a = assignReplicasToBrokers(brokers, 12, 3)
    for (const r of a.values()) expect(new Set(r.map((b) => rackOf.get(b))).size).toBe(3)
  })

  it('refuses a replication factor above the broker count', () => {
    expect(() => assignReplicasToBrokers([{ id: 1, rack: null }], 1, 2)).toThrow(
      /larger than available brokers/,
    )
  })
})
