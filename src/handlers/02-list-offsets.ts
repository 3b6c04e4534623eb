/**
 * ListOffsets (2), v0-9: offsets by timestamp on partition leaders.
 *
 * Special timestamps: -1 latest (the high watermark for consumers — the last stable offset with READ_COMMITTED —
 * and the log end offset for replicas); lookups by timestamp never go past that offset either, -2 earliest
 * (log start offset), -3 max timestamp (v7+), -4 earliest local (v8+, = earliest: no tiered storage), -5 latest
 * tiered (v9+, -1: nothing is tiered). Others: the first offset whose timestamp is at least the given one, or
 * -1/-1 when there is none.
 * Version notes: v0 answers `old_style_offsets` (at most max_num_offsets offsets: for latest the high watermark
 * then segment base offsets, newest first; for earliest the log start offset; otherwise base offsets of segments
 * last written before the timestamp); v2 isolation level; v4 current leader epoch check and the leader epoch
 * of the found offset; OFFSET_NOT_AVAILABLE while a new leader's high watermark is below its epoch start
 * offset. Duplicate partitions in one request get INVALID_REQUEST. Replica id -2 (debug) may ask followers.
 * Authorization: Describe on each topic (else TOPIC_AUTHORIZATION_FAILED; those topics are listed after the others,
 * as Kafka lists them).
 */
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode, KafkaError, toErrorCode } from '../protocol/errors.js'
import type { Services } from '../services/services.js'
import { AclOperation, authorizedTopics } from './authz.js'
import { defineHandler, type Handler } from './handler.js'

export const ListOffsetsApi = Apis.ListOffsets

export const LATEST_TIMESTAMP = -1
export const EARLIEST_TIMESTAMP = -2
export const MAX_TIMESTAMP = -3
export const EARLIEST_LOCAL_TIMESTAMP = -4
export const LATEST_TIERED_TIMESTAMP = -5
const DEBUGGING_REPLICA_ID = -2

export function listOffsetsHandler(d: Pick<Services, 'replicas' | 'authorizer'>): Handler {
  return defineHandler(ListOffsetsApi, {
    handle(req, ctx) {
      const v = ctx.apiVersion
      const describable = authorizedTopics(d.authorizer, ctx, AclOperation.DESCRIBE, req.topics)
      const topics = [
        ...req.topics.filter((t) => describable.has(t.name)),
        ...req.topics.filter((t) => !describable.has(t.name)),
      ]
      const seen = new Map<string, number>()
      for (const t of req.topics)
        for (const p of t.partitions)
          seen.set(`${t.name}-${p.partitionIndex}`, (seen.get(`${t.name}-${p.partitionIndex}`) ?? 0) + 1)
      return {
        throttleTimeMs: 0,
        topics: topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => {
            const base = {
              partitionIndex: p.partitionIndex,
              oldStyleOffsets: [],
              timestamp: -1,
              offset: -1,
              leaderEpoch: -1,
            }
            if (!describable.has(t.name)) return { ...base, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED }
            if ((seen.get(`${t.name}-${p.partitionIndex}`) ?? 0) > 1)
              return { ...base, errorCode: ErrorCode.INVALID_REQUEST }
            try {
              const partition = d.replicas.getPartition(t.name, p.partitionIndex)
              const fromLeaderOnly = req.replicaId !== DEBUGGING_REPLICA_ID
              const { log, partition: part } = fromLeaderOnly
                ? d.replicas.leaderLog(t.name, p.partitionIndex, p.currentLeaderEpoch)
                : { log: partition?.requireLog(), partition }
              if (!log || !part) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
              const isReplica = req.replicaId >= 0
              const readCommitted = v >= 2 && req.isolationLevel === 1
              const lastFetchable = isReplica
                ? log.logEndOffset
                : readCommitted
                  ? log.lastStableOffset
                  : log.highWatermark
              if (v === 0) {
                return {
                  ...base,
                  errorCode: ErrorCode.NONE,
                  oldStyleOffsets: log.legacyOffsetsBefore(p.timestamp, p.maxNumOffsets, lastFetchable),
                }
              }
              switch (p.timestamp) {
                case LATEST_TIMESTAMP:
                  if (!isReplica && part.leaderEpochStartOffset > lastFetchable) {
                    throw new KafkaError(
                      ErrorCode.OFFSET_NOT_AVAILABLE,
                      `the high watermark of ${part.key} has not caught up with the leader epoch start offset`,
                    )
                  }
                  return {
                    ...base,
                    errorCode: ErrorCode.NONE,
                    offset: lastFetchable,
                    leaderEpoch: log.latestEpoch() ?? -1,
                  }
                case LATEST_TIERED_TIMESTAMP:
                  return { ...base, errorCode: ErrorCode.NONE, offset: -1, leaderEpoch: -1 }
                default: {
                  const ts = p.timestamp === EARLIEST_LOCAL_TIMESTAMP ? EARLIEST_TIMESTAMP : p.timestamp
                  const found = log.fetchOffsetByTimestamp(ts)
                  if (!found || (found.offset >= lastFetchable && ts !== EARLIEST_TIMESTAMP))
                    return { ...base, errorCode: ErrorCode.NONE }
                  return {
                    ...base,
                    errorCode: ErrorCode.NONE,
                    offset: found.offset,
                    timestamp: found.timestamp,
                    leaderEpoch: found.leaderEpoch,
                  }
                }
              }
            } catch (e) {
              return { ...base, errorCode: toErrorCode(e) }
            }
          }),
        })),
      }
    },
  })
}
