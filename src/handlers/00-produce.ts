/**
 * Produce (0), v0-11: appends record batches to partition leaders.
 *
 * acks 0 (no response; the connection is closed if any partition failed, as Kafka does, so the client refreshes
 * its metadata), 1 (after the leader's append) or -1 (after the whole ISR has it, subject to
 * min.insync.replicas); anything else is INVALID_REQUIRED_ACKS. Batches are validated record by record (a
 * compressed one is inflated within its inflateLimit: CORRUPT_MESSAGE when it does not inflate, INVALID_RECORD
 * when its records do not parse) and stored as sent — the broker rewrites only the base offset, the partition
 * leader epoch and the max timestamp (see the log; Kafka re-encodes a compressed batch whose inner offsets are
 * out of order, and so does the log). Internal topics only accept writes from the "__admin_client" client id.
 * Version notes: v0-2 carry legacy message sets (magic 0/1), which are converted to a record batch (as Kafka 3.x
 * stores only magic 2); v3+ exactly one magic-2 batch per partition (else INVALID_RECORD) and a transactional
 * id: a transactional batch that would open a transaction on a partition is first verified with the producer's
 * transaction coordinator (KIP-890; a partition the producer did not add gets INVALID_TXN_STATE, retriable
 * coordinator errors NOT_ENOUGH_REPLICAS); v5 log start offset; v7 zstd (older versions get
 * UNSUPPORTED_COMPRESSION_TYPE); v8 error message and record errors; v9 flexible; v10 current leader and node
 * endpoints for NOT_LEADER_OR_FOLLOWER (KIP-951); v11 may answer TRANSACTION_ABORTABLE (KIP-890) where older
 * versions get INVALID_TXN_STATE. v8+ record_errors name the records that made a batch INVALID_RECORD /
 * INVALID_TIMESTAMP.
 * Authorization (KafkaApis.handleProduceRequest): transactional records need Write on the transactional id (else
 * the whole request fails with TRANSACTIONAL_ID_AUTHORIZATION_FAILED); each topic needs Write (else its partitions
 * get TOPIC_AUTHORIZATION_FAILED), checked before anything else about the partition.
 */
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode, KafkaError, toErrorCode, toErrorMessage } from '../protocol/errors.js'
import { prepareProduceRecords } from '../protocol/records/conversion.js'
import { CloseConnection } from '../network/connection.js'
import {
  ATTRIBUTES_OFFSET,
  MAGIC_OFFSET,
  RECORD_BATCH_OVERHEAD,
  TRANSACTIONAL_FLAG_MASK,
} from '../protocol/records/batch.js'
import { INTERNAL_TOPICS } from '../services/metadata/topic-admin.js'
import type { Services } from '../services/services.js'
import { AclOperation, authorize, authorizedTopics, ResourceType } from './authz.js'
import { endpointOf } from './common.js'
import { defineHandler, NO_RESPONSE, type Handler } from './handler.js'

export const ProduceApi = Apis.Produce

export const ADMIN_CLIENT_ID = '__admin_client'

/** RequestUtils.hasTransactionalRecords: the first batch of some partition is transactional. */
function hasTransactionalRecords(
  topics: readonly { partitionData: readonly { records: Buffer | null }[] }[],
): boolean {
  return topics.some((t) =>
    t.partitionData.some(
      ({ records: r }) =>
        r !== null &&
        r.length >= RECORD_BATCH_OVERHEAD &&
        r[MAGIC_OFFSET] === 2 &&
        (r.readInt16BE(ATTRIBUTES_OFFSET) & TRANSACTIONAL_FLAG_MASK) !== 0,
    ),
  )
}

export function produceHandler(d: Pick<Services, 'replicas' | 'cache' | 'authorizer' | 'quotas'>): Handler {
  return defineHandler(ProduceApi, {
    async handle(req, ctx) {
      const v = ctx.apiVersion
      if (v >= 3 && hasTransactionalRecords(req.topicData)) {
        const txnId = req.transactionalId
        if (
          txnId === null ||
          !authorize(d.authorizer, ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, txnId)
        )
          throw new KafkaError(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
      }
      const writable = authorizedTopics(d.authorizer, ctx, AclOperation.WRITE, req.topicData)
      const failed = new Map<string, { errorCode: number; errorMessage: string | null }>()
      const entries: { topic: string; partition: number; records: Buffer }[] = []
      const validAcks = req.acks === 0 || req.acks === 1 || req.acks === -1
      for (const t of req.topicData) {
        for (const p of t.partitionData) {
          const key = `${t.name}-${p.index}`
          if (!writable.has(t.name)) {
            failed.set(key, { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null })
            continue
          }
          if (!validAcks) {
            failed.set(key, {
              errorCode: ErrorCode.INVALID_REQUIRED_ACKS,
              errorMessage: `Invalid required acks ${req.acks}`,
            })
            continue
          }
          if (INTERNAL_TOPICS.has(t.name) && ctx.clientId !== ADMIN_CLIENT_ID) {
            failed.set(key, {
              errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION,
              errorMessage: `Cannot append to internal topic ${t.name}`,
            })
            continue
          }
          try {
            entries.push({ topic: t.name, partition: p.index, records: prepareProduceRecords(v, p.records) })
          } catch (e) {
            failed.set(key, { errorCode: toErrorCode(e), errorMessage: toErrorMessage(e) })
          }
        }
      }
      const results = await d.replicas.appendRecords(req.timeoutMs, req.acks, 'client', entries, {
        transactionalId: v >= 3 ? req.transactionalId : null,
        supportsAbortable: v >= 11,
      })
      // producer_byte_rate: the request's bytes count once the append is done, as Kafka's response callback does.
      const throttleTimeMs = d.quotas.produce.recordAndThrottle(ctx, ctx.requestSize)
      if (req.acks === 0) {
        const anyError = failed.size > 0 || [...results.values()].some((r) => r.errorCode !== ErrorCode.NONE)
        if (anyError)
          throw new CloseConnection(
            'a produce request with acks=0 failed; closing so the client refreshes its metadata',
          )
        return NO_RESPONSE
      }
      const leaders = new Set<number>()
      const responses = req.topicData.map((t) => ({
        name: t.name,
        partitionResponses: t.partitionData.map((p) => {
          const key = `${t.name}-${p.index}`
          const f = failed.get(key)
          const r = results.get(key)
          const errorCode = f?.errorCode ?? r?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR
          let currentLeader
          if (v >= 10 && errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER) {
            const s = d.cache.partition(t.name, p.index)?.state
            if (s && s.leader >= 0) {
              currentLeader = { leaderId: s.leader, leaderEpoch: s.leaderEpoch }
              leaders.add(s.leader)
            }
          }
          return {
            index: p.index,
            errorCode,
            baseOffset: r?.baseOffset ?? -1,
            logAppendTimeMs: r?.logAppendTimeMs ?? -1,
            logStartOffset: r?.logStartOffset ?? -1,
            recordErrors: (r?.recordErrors ?? []).map((e) => ({
              batchIndex: e.batchIndex,
              batchIndexErrorMessage: e.message,
            })),
            errorMessage: errorCode === ErrorCode.NONE ? null : (f?.errorMessage ?? r?.errorMessage ?? null),
            currentLeader,
          }
        }),
      }))
      const nodeEndpoints = [...leaders].flatMap((id) => {
        const ep = endpointOf(d.cache, id, ctx.connection.listenerName)
        return ep ? [{ nodeId: ep.id, host: ep.host, port: ep.port, rack: ep.rack }] : []
      })
      return { responses, throttleTimeMs, nodeEndpoints }
    },
  })
}
