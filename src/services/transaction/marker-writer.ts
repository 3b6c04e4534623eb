/**
 * The partition-leader side of WriteTxnMarkers (Kafka's `KafkaApis.handleWriteTxnMarkersRequest`): for every
 * marker, a COMMIT or ABORT control batch is appended (acks=all, request.timeout.ms) to each of its partitions
 * this broker hosts; markers written to `__consumer_offsets` make the transaction's offset commits visible (or
 * drop them) in the group coordinator. The transaction coordinator reaches this through the WriteTxnMarkers API,
 * or directly when the partition leader is its own broker — the same code either way.
 */
import { ErrorCode } from '../../protocol/errors.js'
import { buildEndTxnMarker } from '../../protocol/records/batch.js'
import type { Clock } from '../../util/scheduler.js'
import type { Logger } from '../../util/logger.js'
import { OFFSETS_TOPIC } from '../metadata/topic-admin.js'
import type { TopicPartition } from './metadata.js'

export interface MarkerToWrite {
  readonly producerId: number
  readonly producerEpoch: number
  readonly coordinatorEpoch: number
  /** true: COMMIT, false: ABORT */
  readonly commit: boolean
  readonly partitions: readonly TopicPartition[]
}

export interface TxnMarkerWriterDeps {
  /** Whether this broker has a replica of the partition (leader or follower; only the leader can append). */
  readonly hostsPartition: (tp: TopicPartition) => boolean
  /** Appends control batches as leader with acks=all; the error of each partition (NONE when appended). */
  readonly append: (
    entries: readonly { topic: string; partition: number; records: Buffer }[],
    timeoutMs: number,
  ) => Promise<(tp: TopicPartition) => number>
  /** The markers reached these `__consumer_offsets` partitions (Kafka's scheduleHandleTxnCompletion). */
  readonly onOffsetsMarkersWritten: (
    producerId: number,
    partitions: readonly number[],
    commit: boolean,
  ) => void
  /** request.timeout.ms */
  readonly requestTimeoutMs: number
  readonly clock: Clock
  readonly logger: Logger
}

/** Per producer id, the error of every partition of its markers. */
export type MarkerWriteErrors = Map<number, { tp: TopicPartition; errorCode: number }[]>

export class TxnMarkerWriter {
  constructor(private readonly d: TxnMarkerWriterDeps) {}

  async write(markers: readonly MarkerToWrite[]): Promise<MarkerWriteErrors> {
    const errors: MarkerWriteErrors = new Map()
    const note = (producerId: number, tp: TopicPartition, errorCode: number): void => {
      let list = errors.get(producerId)
      if (!list) errors.set(producerId, (list = []))
      const existing = list.find((e) => e.tp.topic === tp.topic && e.tp.partition === tp.partition)
      if (existing) existing.errorCode = errorCode
      else list.push({ tp, errorCode })
    }
    await Promise.all(
      markers.map(async (m) => {
        const writable: TopicPartition[] = []
        for (const tp of m.partitions) {
          if (this.d.hostsPartition(tp)) writable.push(tp)
          else note(m.producerId, tp, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
        }
        if (writable.length === 0) return
        const timestamp = this.d.clock.now()
        const errorOf = await this.d.append(
          writable.map((tp) => ({
            topic: tp.topic,
            partition: tp.partition,
            records: buildEndTxnMarker({
              producerId: m.producerId,
              producerEpoch: m.producerEpoch,
              coordinatorEpoch: m.coordinatorEpoch,
              commit: m.commit,
              timestamp,
            }),
          })),
          this.d.requestTimeoutMs,
        )
        const offsetsPartitions: number[] = []
        for (const tp of writable) {
          const code = errorOf(tp)
          note(m.producerId, tp, code)
          if (tp.topic === OFFSETS_TOPIC && code === ErrorCode.NONE) offsetsPartitions.push(tp.partition)
        }
        if (offsetsPartitions.length > 0) {
          try {
            this.d.onOffsetsMarkersWritten(m.producerId, offsetsPartitions, m.commit)
          } catch (e) {
            this.d.logger.error(
              { err: e },
              'Received an exception while trying to update the offsets cache on transaction marker append',
            )
            for (const partition of offsetsPartitions)
              note(m.producerId, { topic: OFFSETS_TOPIC, partition }, ErrorCode.UNKNOWN_SERVER_ERROR)
          }
        }
      }),
    )
    return errors
  }
}
