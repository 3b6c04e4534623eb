import { describe, expect, it } from 'vitest'
import {
  leaderSelector,
  rackAwareSelector,
  replicaSelectorFor,
  type ReplicaView,
} from './replica-selector.js'

const view = (brokerId: number, rack: string | null, logEndOffset = 100, since = 0): ReplicaView => ({
  brokerId,
  rack,
  logEndOffset,
  timeSinceLastCaughtUpMs: since,
})
const client = (rackId: string) => ({ rackId, listenerName: 'PLAINTEXT' })

describe('replica selectors (KIP-392)', () => {
  const leader = view(1, 'a')
  const replicas = [leader, view(2, 'b', 90), view(3, 'b', 100, 50), view(4, 'b', 100, 10), view(5, null)]

  it('RackAwareReplicaSelector: the most caught-up replica of the client rack, else the leader', () => {
    expect(rackAwareSelector(client('b'), leader, replicas).brokerId).toBe(4)
    expect(rackAwareSelector(client('a'), leader, [...replicas, view(6, 'a', 200)]).brokerId).toBe(1)
    expect(rackAwareSelector(client('c'), leader, replicas).brokerId).toBe(1)
    expect(rackAwareSelector(client(''), leader, replicas).brokerId).toBe(1)
  })

  it('LeaderSelector always answers the leader; the class names map to the selectors', () => {
    expect(leaderSelector(client('b'), leader, replicas)).toBe(leader)
    expect(replicaSelectorFor(null)).toBeNull()
    expect(replicaSelectorFor('org.apache.kafka.common.replica.RackAwareReplicaSelector')).toBe(
      rackAwareSelector,
    )
    expect(replicaSelectorFor('org.apache.kafka.common.replica.LeaderSelector')).toBe(leaderSelector)
    expect(replicaSelectorFor('com.example.Other')).toBeUndefined()
  })
})
