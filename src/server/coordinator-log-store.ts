/**
 * The coordinators' access to their internal topics (`__consumer_offsets` for the group coordinator,
 * `__transaction_state` for the transaction coordinator), on top of the replica manager: appends are produced
 * as the partition leader (acks -1 by default) in one batch with the topic's compression; loading reads a
 * partition from its log start to its log end offset, batch by batch.
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js'
import { buildRecordBatch, iterateBatches, readRecords } from '../protocol/records/batch.js'
import { Compression, compressionCodeOf } from '../protocol/records/compression.js'
import type {
  GroupLogAppendOptions,
  GroupLogAppendRecord,
  GroupLogAppendResult,
  GroupLogRecord,
  GroupLogStore,
} from '../services/group/log-store.js'
import type { ReplicaManager } from '../services/replica/replica-manager.js'
import type { TransactionLogStore } from '../services/transaction/state-manager.js'

const DEFAULT_READ_CHUNK = 1024 * 1024

export class CoordinatorLogStore implements GroupLogStore, TransactionLogStore {
  constructor(
    private readonly replicas: ReplicaManager,
    private readonly topic: string,
    private readonly timeoutMs: number,
    private readonly compressionType: string,
    private readonly readChunkBytes = DEFAULT_READ_CHUNK,
  ) {}

  async append(
    partition: number,
    records: readonly GroupLogAppendRecord[],
    options: GroupLogAppendOptions = {},
  ): Promise<GroupLogAppendResult> {
    const batch = buildRecordBatch({
      records: records.map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp })),
      compression: compressionCodeOf(this.compressionType) ?? Compression.NONE,
      producerId: options.producerId,
      producerEpoch: options.producerEpoch,
      isTransactional: options.transactional,
    })
    const key = `${this.topic}-${partition}`
    const results = await this.replicas.appendRecords(
      options.timeoutMs ?? this.timeoutMs,
      options.requiredAcks ?? -1,
      'coordinator',
      [{ topic: this.topic, partition, records: batch }],
      options.verificationGuard ? { verificationGuards: new Map([[key, options.verificationGuard]]) } : {},
    )
    const r = results.get(key)!
    if (r.errorCode !== ErrorCode.NONE) throw new KafkaError(r.errorCode, r.errorMessage ?? undefined)
    return { baseOffset: r.baseOffset }
  }

  async *read(partition: number): AsyncIterable<GroupLogRecord> {
    const { log } = this.replicas.leaderLog(this.topic, partition)
    let offset = log.logStartOffset
    // Kafka's loaders read to the log end offset: a new leader's high watermark can lag behind writes that the
    // previous coordinator already acknowledged (they were replicated to the whole ISR, this broker included).
    const end = log.logEndOffset
    while (offset < end) {
      const { records } = log.read(offset, {
        maxBytes: this.readChunkBytes,
        maxOffset: end,
        minOneMessage: true,
      })
      let progressed = false
      for (const e of iterateBatches(records)) {
        if (e.kind !== 'v2') break
        const h = e.header
        if (h.lastOffset < offset) continue
        for (const rec of readRecords(records, e.position)) {
          if (rec.offset < offset) continue
          yield {
            offset: rec.offset,
            key: rec.key,
            value: rec.value,
            timestamp: rec.timestamp,
            producerId: h.producerId,
            isTransactional: h.isTransactional,
            isControl: h.isControl,
          }
        }
        offset = h.lastOffset + 1
        progressed = true
      }
      if (!progressed) break
      // Let other work run between chunks of a large partition.
      await new Promise((r) => setImmediate(r))
    }
  }
}
