import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { buildRecordBatch, readRecords, RECORDS_OFFSET, scanRecords } from './batch.js'
import { Compression } from './compression.js'

/** What a walk gives: the visits and result, or the error it threw (code and message). */
function outcome(f: (visit: (...a: unknown[]) => void) => unknown): unknown {
  const visits: unknown[] = []
  try {
    const r = f((...a) => visits.push(a))
    return { r, visits }
  } catch (e) {
    const k = e as { errorCode?: number; message: string }
    return { error: k.errorCode, message: k.message, visits: 'thrown' }
  }
}

/** scanRecords' answer for `buf` as readRecords (the general walk) sees it: the reference for the fast walk. */
function reference(buf: Buffer): unknown {
  return outcome((visit) => {
    const records = readRecords(buf)
    let maxTimestamp = -1
    let offsetsInOrder = true
    const base = buf.readBigInt64BE(0)
    records.forEach((r, i) => {
      const delta = r.offset - Number(base)
      if (r.timestamp > maxTimestamp) maxTimestamp = r.timestamp
      if (delta !== i) offsetsInOrder = false
      visit(i, delta, r.timestamp, r.key !== null)
    })
    return { maxTimestamp, offsetsInOrder }
  })
}

const record = fc.record({
  key: fc.option(fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a))),
  value: fc.option(fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a))),
  headers: fc.array(
    fc.record({
      key: fc.string({ maxLength: 20 }),
      value: fc.option(fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a))),
    }),
    { maxLength: 3 },
  ),
  timestamp: fc.oneof(fc.integer({ min: 0, max: 2 ** 47 }), fc.constant(1_700_000_000_000)),
})

describe('scanRecords: the fast walk agrees with the general one', () => {
  it('on well-formed batches and on every corruption of their records (visits, result, error and message)', () => {
    fc.assert(
      fc.property(
        fc.array(record, { minLength: 1, maxLength: 20 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.integer({ min: -2, max: 2 }),
        (records, flips, countChange) => {
          const buf = buildRecordBatch({ records, baseOffset: 0 })
          expect(outcome((v) => scanRecords(buf, 0, v))).toEqual(reference(buf))
          const bad = Buffer.from(buf)
          const payload = bad.length - RECORDS_OFFSET
          if (payload > 0) for (const [at, byte] of flips) bad[RECORDS_OFFSET + (at % payload)] = byte
          bad.writeInt32BE(Math.max(0, records.length + countChange), RECORDS_OFFSET - 4)
          expect(outcome((v) => scanRecords(bad, 0, v))).toEqual(reference(bad))
        },
      ),
      { numRuns: 150 },
    )
  })

  it('on compressed batches, and on long varints it leaves to the general walk', () => {
    const records = Array.from({ length: 50 }, (_, i) => ({
      key: i % 3 === 0 ? null : `k${i}`,
      value: 'v'.repeat(i * 7),
      timestamp: i % 2 ? 2 ** 52 : 1_700_000_000_000 + i, // a 2^52 delta needs an 8-byte varlong
    }))
    for (const compression of [Compression.NONE, Compression.GZIP]) {
      const buf = buildRecordBatch({ records, baseOffset: 0, compression })
      const got = outcome((v) => scanRecords(buf, 0, v))
      expect(got).toEqual(reference(buf))
      expect((got as { visits: unknown[] }).visits).toHaveLength(50)
    }
  })

  it('a visitor that scans another batch sees its own records', () => {
    const a = buildRecordBatch({ records: [{ value: 'a' }, { value: 'b', key: 'k' }], baseOffset: 0 })
    const b = buildRecordBatch({ records: [{ value: 'c', key: 'x' }], baseOffset: 0 })
    const outer: boolean[] = []
    scanRecords(a, 0, (_i, _d, _t, hasKey) => {
      outer.push(hasKey)
      scanRecords(b, 0, () => {})
    })
    expect(outer).toEqual([false, true])
  })
})
