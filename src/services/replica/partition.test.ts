/**
 * Partition's own role transitions (Kafka's Partition.makeLeader / makeFollower) and follower bookkeeping: the
 * follower states a new leader starts with, what a re-elected leader keeps, followers following the replica set
 * through a reassignment, ISR expansion and the out-of-sync check.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { buildRecordBatch } from '../../protocol/records/batch.js'
import { ManualScheduler } from '../../util/scheduler.js'
import { defaultLogConfig } from '../log/log-config.js'
import { Log } from '../log/log.js'
import { Partition, type ReplicaAssignment } from './partition.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function partitionWithLog(records = 0): Partition {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-partition-'))
  dirs.push(dir)
  const log = Log.open({
    dir: join(dir, 't-0'),
    config: defaultLogConfig(),
    scheduler: new ManualScheduler(),
  })
  if (records > 0) {
    const values = Array.from({ length: records }, (_, i) => ({ value: `v${i}` }))
    log.appendAsLeader(buildRecordBatch({ records: values, now: 0 }), { leaderEpoch: 0, origin: 'client' })
  }
  const p = new Partition('t', 0, 1)
  p.attachLog(log)
  return p
}

const assignment = (
  replicas: number[],
  adding: number[] = [],
  removing: number[] = [],
): ReplicaAssignment => ({
  replicas,
  addingReplicas: adding,
  removingReplicas: removing,
})

const update = (
  leader: number,
  leaderEpoch: number,
  isr: number[],
  a: ReplicaAssignment,
  partitionEpoch = 0,
) => ({
  state: { leader, leaderEpoch, isr, controllerEpoch: 1, leaderRecoveryState: 0 },
  partitionEpoch,
  assignment: a,
})

describe('Partition', () => {
  it('a new leader starts every follower unknown; ISR members count as caught up now', () => {
    const p = partitionWithLog(3)
    expect(p.makeLeader(update(1, 5, [1, 2], assignment([1, 2, 3])), 1000)).toBe(true)
    expect(p.isLeader).toBe(true)
    expect(p.leaderEpoch).toBe(5)
    expect(p.leaderEpochStartOffset).toBe(3)
    expect(p.followers.get(2)).toEqual({
      leo: -1,
      lastFetchTimeMs: 0,
      lastFetchLeaderLeo: -1,
      lastCaughtUpTimeMs: 1000,
      logStartOffset: -1,
    })
    expect(p.followers.get(3)).toMatchObject({ leo: -1, lastCaughtUpTimeMs: 0 })
    // the same state again changes nothing
    expect(p.makeLeader(update(1, 5, [1, 2], assignment([1, 2, 3])), 2000)).toBe(false)
  })

  it('a leader re-elected in a new epoch keeps what its followers reported', () => {
    const p = partitionWithLog(3)
    p.makeLeader(update(1, 0, [1, 2], assignment([1, 2])), 0)
    p.updateFollowerFetchState(2, 3, 3, 10)
    expect(p.makeLeader(update(1, 1, [1, 2], assignment([1, 2])), 20)).toBe(true)
    expect(p.followers.get(2)).toMatchObject({ leo: 3, lastFetchTimeMs: 20, lastCaughtUpTimeMs: 20 })
    // the high watermark need not wait for the follower's next fetch
    expect(p.maybeIncrementHighWatermark()).toBe(true)
    expect(p.log!.highWatermark).toBe(3)
  })

  it('as leader, followers follow the replica set of a reassignment', () => {
    const p = partitionWithLog()
    p.makeLeader(update(1, 0, [1, 2], assignment([1, 2])), 0)
    // replicas 3 added (the assignment arrives without a state change)
    expect(p.makeLeader(update(1, 0, [1, 2], assignment([1, 3, 2], [3], [2])), 5)).toBe(false)
    expect([...p.followers.keys()].sort()).toEqual([2, 3])
    expect(p.followers.get(3)).toMatchObject({ leo: -1, lastCaughtUpTimeMs: 0 })
    expect(p.assignment.addingReplicas).toEqual([3])
    // the move completes: 2 leaves
    p.makeLeader(update(1, 1, [1, 3], assignment([1, 3])), 6)
    expect([...p.followers.keys()]).toEqual([3])
  })

  it('a follower that caught up joins the ISR; one that fell behind is out of sync', () => {
    const p = partitionWithLog(4)
    p.makeLeader(update(1, 0, [1], assignment([1, 2])), 0)
    expect(p.maybeIncrementHighWatermark()).toBe(true) // ISR [1]: the high watermark is our log end
    p.updateFollowerFetchState(2, 2, 4, 10)
    expect(p.isrExpansion(2, () => true)).toBeNull()
    p.updateFollowerFetchState(2, 4, 4, 20)
    expect(p.isrExpansion(2, () => false)).toBeNull() // not alive
    const isr = p.isrExpansion(2, () => true)
    expect(isr).toEqual([1, 2])
    p.beginIsrUpdate(isr!)
    expect(p.isrExpansion(2, () => true)).toBeNull() // one change at a time
    p.completeIsrUpdate(isr!, 1)
    expect(p.isr).toEqual([1, 2])
    expect(p.partitionEpoch).toBe(1)
    expect(p.outOfSyncReplicas(20 + 30_000, 30_000)).toEqual([])
    expect(p.outOfSyncReplicas(20 + 30_001, 30_000)).toEqual([2])
  })

  it('a follower changes leaders only on a new leader or epoch; stopping drops its log', () => {
    const p = partitionWithLog()
    expect(p.makeFollower(update(2, 0, [2, 1], assignment([2, 1])))).toBe(true)
    expect(p.makeFollower(update(2, 0, [2], assignment([2, 1]), 1))).toBe(false)
    expect(p.isr).toEqual([2])
    expect(p.makeFollower(update(3, 1, [3], assignment([3, 2, 1]), 2))).toBe(true)
    expect(p.leaderId).toBe(3)
    p.stop()
    expect(p.leaderId).toBe(-1)
    expect(p.log).toBeUndefined()
  })
})
