/**
 * KIP-848 consumer groups survive a coordinator fail-over on a three-broker ZooKeeper-mode cluster: two members
 * (ConsumerGroupHeartbeat v1, written with the repo's codec as a client would send it) share a topic's
 * partitions; the broker leading the group's `__consumer_offsets` partition is killed with -9; the new leader
 * replays the consumer group records (types 3-8) and the members carry on with the same member ids, epochs and
 * assignments — no GROUP_ID_NOT_FOUND, no rejoin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Apis } from '../src/protocol/messages/index.js'
import { printBrokerLogsOnFailure } from './support/broker.js'
import { uniqueName } from './support/env.js'
import {
  type Cluster,
  rawFindCoordinator,
  startCluster,
  waitCoordinator,
  waitFor,
  withRaw,
} from './support/groups.js'
import { HeartbeatMember } from './support/heartbeat-member.js'
import { kafkajs, withAdmin } from './support/kafkajs.js'

let cluster: Cluster

printBrokerLogsOnFailure()

beforeAll(async () => {
  cluster = await startCluster(3, { 'group.coordinator.rebalance.protocols': 'classic,consumer' })
})

afterAll(async () => {
  await cluster?.stop()
})

async function describeGroup(broker: { host: string; port: number }, groupId: string) {
  return withRaw(broker, async (c) => {
    const r = await c.request(Apis.ConsumerGroupDescribe, 1, {
      groupIds: [groupId],
      includeAuthorizedOperations: false,
    })
    return r.groups[0]!
  })
}

describe('KIP-848 consumer groups across a coordinator fail-over', () => {
  it('members keep their epochs and assignments when the coordinator is killed', async () => {
    const topic = uniqueName('kip848-fo')
    const groupId = uniqueName('kip848-fo-g')
    await withAdmin(kafkajs(cluster.bootstrap), (admin) =>
      admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic, numPartitions: 4, replicationFactor: 3 }],
      }),
    )
    const first = await waitCoordinator(cluster.brokers[0]!, groupId)
    const coordinator = cluster.broker(first)
    const members = [new HeartbeatMember(groupId, topic), new HeartbeatMember(groupId, topic)]
    await waitFor(
      'two members with two partitions each, Stable',
      async () => {
        for (const m of members) expect((await m.beat(coordinator)).errorCode).toBe(0)
        const g = await describeGroup(coordinator, groupId)
        return g.groupState === 'Stable' && members.every((m) => m.count === 2) ? g : undefined
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    )
    const before = await describeGroup(coordinator, groupId)
    const epochs = members.map((m) => m.epoch)

    await coordinator.kill()
    const survivor = cluster.brokers.find((b) => b.id !== first)!
    const next = await waitFor(
      'a new coordinator',
      async () => {
        const f = await rawFindCoordinator(survivor, groupId)
        return f.errorCode === 0 && f.nodeId !== first ? f : undefined
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    )
    const newCoordinator = cluster.broker(next.nodeId)
    // the members heartbeat to it with what they had: the same epochs come back, the assignment does not move
    for (const [i, m] of members.entries()) {
      const owned = JSON.stringify(m.owned)
      const r = await waitFor(
        `member ${i} accepted by the new coordinator`,
        async () => {
          const r = await m.beat(newCoordinator)
          // COORDINATOR_LOAD_IN_PROGRESS (14) while the partition loads; anything else is an answer
          return r.errorCode === 14 ? undefined : r
        },
        { timeoutMs: 30_000, intervalMs: 100 },
      )
      expect([r.errorCode, r.errorMessage, r.memberEpoch]).toEqual([0, null, epochs[i]])
      expect(JSON.stringify(m.owned)).toBe(owned)
    }
    const after = await describeGroup(newCoordinator, groupId)
    expect(after.groupState).toBe('Stable')
    expect([after.groupEpoch, after.assignmentEpoch]).toEqual([before.groupEpoch, before.assignmentEpoch])
    const byId = (g: typeof before) =>
      g.members.map((m) => [m.memberId, m.memberEpoch, JSON.stringify(m.assignment)]).sort()
    expect(byId(after)).toEqual(byId(before))
    await coordinator.start()
  })
})
