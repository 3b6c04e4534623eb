import { describe, expect, it } from 'vitest'
import { ErrorCode } from '../../protocol/errors.js'
import { FetchSessionCache, mustInclude, type SessionRequestPartition } from './fetch-session.js'

const part = (partition: number, fetchOffset = 0): SessionRequestPartition => ({
  topic: 't',
  topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
  partition,
  fetchOffset,
  partitionMaxBytes: 1024,
  currentLeaderEpoch: -1,
  lastFetchedEpoch: -1,
  logStartOffset: -1,
})

describe('FetchSessionCache (KIP-227)', () => {
  it('serves sessionless full fetches for epoch -1', () => {
    const c = new FetchSessionCache(10, 1000, () => 0)
    expect(c.newContext(0, -1, [part(0)], [], false)).toEqual({ kind: 'sessionless' })
    expect(c.size).toBe(0)
  })

  it('opens a session on epoch 0 and applies incremental requests on the following epochs', () => {
    const c = new FetchSessionCache(10, 1000, () => 0)
    const full = c.newContext(0, 0, [part(0), part(1)], [], false)
    expect(full.kind).toBe('full')
    if (full.kind !== 'full') return
    expect(full.sessionId).toBeGreaterThan(0)
    const inc = c.newContext(full.sessionId, 1, [part(1, 50)], [], false)
    expect(inc.kind).toBe('incremental')
    if (inc.kind !== 'incremental') return
    expect([...inc.session.partitions.values()].map((p) => [p.partition, p.fetchOffset])).toEqual([
      [0, 0],
      [1, 50],
    ])
    const forgot = c.newContext(full.sessionId, 2, [], [{ topic: 't', partitions: [0] }], false)
    if (forgot.kind !== 'incremental') throw new Error(forgot.kind)
    expect([...forgot.session.partitions.values()].map((p) => p.partition)).toEqual([1])
  })

  it('refuses unknown sessions and wrong epochs', () => {
    const c = new FetchSessionCache(10, 1000, () => 0)
    expect(c.newContext(12345, 1, [], [], false)).toEqual({
      kind: 'error',
      errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND,
    })
    const full = c.newContext(0, 0, [part(0)], [], false)
    if (full.kind !== 'full') throw new Error(full.kind)
    expect(c.newContext(full.sessionId, 5, [], [], false)).toEqual({
      kind: 'error',
      errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH,
    })
  })

  it('closes a session on epoch -1 and has no room when full of fresh sessions', () => {
    let now = 0
    const c = new FetchSessionCache(1, 1000, () => now)
    const a = c.newContext(0, 0, [part(0)], [], false)
    if (a.kind !== 'full') throw new Error(a.kind)
    const b = c.newContext(0, 0, [part(0)], [], false)
    expect(b).toMatchObject({ kind: 'full', sessionId: 0 })
    now = 2000 // the first session is now stale and may be evicted
    const d = c.newContext(0, 0, [part(0)], [], false)
    expect(d.kind === 'full' && d.sessionId > 0).toBe(true)
    if (d.kind !== 'full') return
    c.newContext(d.sessionId, -1, [], [], false)
    expect(c.size).toBe(0)
  })

  it('lists a partition in an incremental response only when something changed', () => {
    const c = new FetchSessionCache(10, 1000, () => 0)
    const full = c.newContext(0, 0, [part(0)], [], false)
    if (full.kind !== 'full' || !full.session) throw new Error('no session')
    const sp = [...full.session.partitions.values()][0]!
    const r = {
      errorCode: 0,
      highWatermark: 10,
      logStartOffset: 0,
      records: Buffer.alloc(0),
      divergingEpoch: null,
    }
    expect(mustInclude(sp, r)).toBe(true) // first time: new high watermark
    expect(mustInclude(sp, r)).toBe(false)
    expect(mustInclude(sp, { ...r, records: Buffer.from([1]) })).toBe(true)
    expect(mustInclude(sp, { ...r, highWatermark: 11 })).toBe(true)
    expect(mustInclude(sp, { ...r, highWatermark: 11, errorCode: 6 })).toBe(true)
  })
})
