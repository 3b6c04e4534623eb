import { describe, expect, it } from 'vitest'
import { ErrorCode } from '../../protocol/errors.js'
import { readBatchHeader, readEndTxnMarker } from '../../protocol/records/batch.js'
import { silentLogger } from '../../util/logger.js'
import { ManualClock } from '../../util/scheduler.js'
import { TxnMarkerWriter } from './marker-writer.js'

describe('TxnMarkerWriter (WriteTxnMarkers on the partition leader)', () => {
  it('appends one control batch per partition; markers on __consumer_offsets complete the offsets', async () => {
    const appended: { topic: string; partition: number; records: Buffer }[] = []
    const completed: unknown[] = []
    const w = new TxnMarkerWriter({
      hostsPartition: (tp) => tp.topic !== 'gone',
      append: (entries) => {
        appended.push(...entries)
        return Promise.resolve((tp) =>
          tp.topic === 't' && tp.partition === 1 ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.NONE,
        )
      },
      onOffsetsMarkersWritten: (producerId, partitions, commit) =>
        completed.push({ producerId, partitions, commit }),
      requestTimeoutMs: 30_000,
      clock: new ManualClock(),
      logger: silentLogger,
    })
    const errors = await w.write([
      {
        producerId: 7,
        producerEpoch: 3,
        coordinatorEpoch: 2,
        commit: true,
        partitions: [
          { topic: 't', partition: 0 },
          { topic: 't', partition: 1 },
          { topic: 'gone', partition: 0 },
          { topic: '__consumer_offsets', partition: 4 },
        ],
      },
    ])
    expect(errors.get(7)!.map((e) => `${e.tp.topic}-${e.tp.partition}:${e.errorCode}`)).toEqual([
      'gone-0:3',
      't-0:0',
      't-1:6',
      '__consumer_offsets-4:0',
    ])
    expect(appended.map((e) => `${e.topic}-${e.partition}`)).toEqual(['t-0', 't-1', '__consumer_offsets-4'])
    const h = readBatchHeader(appended[0]!.records)
    expect(h).toMatchObject({ producerId: 7, producerEpoch: 3, isControl: true, isTransactional: true })
    expect(readEndTxnMarker(appended[0]!.records)).toMatchObject({ type: 1, coordinatorEpoch: 2 })
    expect(completed).toEqual([{ producerId: 7, partitions: [4], commit: true }])
  })
})
