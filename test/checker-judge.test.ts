/**
 * The compat checker's verdict (compat-tests/support/checker.ts judge): a value in the log twice is a DUPLICATE
 * unless its copies were written by one producer under different producer epochs — a client's re-send after an
 * epoch bump (confluentinc/librdkafka#4953), which Kafka cannot deduplicate either.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildRecordBatch } from '../src/protocol/records/batch.js'
import { judge, producerLookup, producersByOffset, type LogRecord } from '../compat-tests/support/checker.js'

const log: LogRecord[] = [
  { partition: 0, offset: 0, value: 'k1:0' },
  { partition: 0, offset: 1, value: 'k1:1' },
  { partition: 0, offset: 2, value: 'k1:1' },
  { partition: 0, offset: 3, value: 'k1:2' },
]
const reports = [
  {
    name: 'p',
    acked: [
      { key: 'k1', seq: 0, partition: 0, offset: 0, at: 1 },
      { key: 'k1', seq: 1, partition: 0, offset: 2, at: 2 },
      { key: 'k1', seq: 2, partition: 0, offset: 3, at: 3 },
    ],
    failed: 0,
    sent: 3,
    problems: [],
  },
]

describe('checker judge()', () => {
  it('counts a copy within one producer epoch as a duplicate, and out of order', () => {
    const v = judge(reports, log, undefined, undefined, () => ({ producerId: 7, producerEpoch: 0 }))
    expect(v.duplicated).toEqual(['k1:1 is in the log 2 times'])
    expect(v.outOfOrder).toHaveLength(1)
    expect(v.resentUnderNewEpoch).toEqual([])
    expect(v.problems).toHaveLength(2)
  })

  it("reports a copy under a new epoch of the same producer apart, as the client's re-send", () => {
    // the batches of the log: offsets 0-1 in epoch 0, 2-3 in epoch 1 (after the client bumped it)
    const bytes = Buffer.concat([
      buildRecordBatch({
        baseOffset: 0,
        producerId: 7,
        producerEpoch: 0,
        baseSequence: 0,
        records: [{ value: 'k1:0' }, { value: 'k1:1' }],
      }),
      buildRecordBatch({
        baseOffset: 2,
        producerId: 7,
        producerEpoch: 1,
        baseSequence: 0,
        records: [{ value: 'k1:1' }, { value: 'k1:2' }],
      }),
    ])
    const ids = producersByOffset(bytes)
    expect([...ids.keys()]).toEqual([0, 1, 2, 3])
    const v = judge(reports, log, undefined, undefined, (_p, o) => ids.get(o))
    expect(v.duplicated).toEqual([])
    expect(v.outOfOrder).toEqual([])
    expect(v.resentUnderNewEpoch).toEqual(['k1:1 of producer 7 at 0@1 (epoch 0), 0@2 (epoch 1)'])
    expect(v.problems).toEqual([])
    // another producer's copy, or no way to tell, stays a duplicate
    expect(
      judge(reports, log, undefined, undefined, (_p, o) => ({ producerId: o, producerEpoch: o })).duplicated,
    ).toHaveLength(1)
    expect(judge(reports, log, undefined).duplicated).toHaveLength(1)
  })

  it("producerLookup reads the producer of an offset from the replicas' segment files", () => {
    const root = mkdtempSync(join(tmpdir(), 'checker-judge-'))
    try {
      // replica a holds offsets 0-1 only (behind); replica b holds 0-3; a directory without the partition is skipped
      const batch = (baseOffset: number, producerEpoch: number) =>
        buildRecordBatch({
          baseOffset,
          producerId: 7,
          producerEpoch,
          baseSequence: 0,
          records: [{ value: 'x' }, { value: 'y' }],
        })
      const segment = (dir: string, bytes: Buffer) => {
        mkdirSync(join(root, dir, 't-0'), { recursive: true })
        writeFileSync(join(root, dir, 't-0', '00000000000000000000.log'), bytes)
      }
      segment('a', batch(0, 0))
      segment('b', Buffer.concat([batch(0, 0), batch(2, 1)]))
      mkdirSync(join(root, 'c'))
      let asked = 0
      const of = producerLookup(() => {
        asked++
        return ['c', 'a', 'b'].map((d) => join(root, d))
      }, 't')
      expect(of(0, 1)).toEqual({ producerId: 7, producerEpoch: 0 })
      expect(of(0, 3)).toEqual({ producerId: 7, producerEpoch: 1 })
      expect(of(0, 4)).toBeUndefined()
      expect(of(1, 0)).toBeUndefined()
      expect(asked).toBe(2) // once per partition
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
})
