/**
 * Fetch (1), v0-17: consumers and follower replicas read record batches, as the bytes stored in the log.
 *
 * Version notes: v3 response size limit (max_bytes); v4 isolation level (READ_COMMITTED reads stop at the last
 * stable offset), last stable offset, aborted transactions (the ones overlapping the records returned, for
 * READ_COMMITTED; null for READ_UNCOMMITTED) and record batches (magic 2) — older versions get the data converted to the legacy message
 * format their clients read; v5 log start offset; v7 fetch sessions (KIP-227, see fetch-session.ts); v9 current
 * leader epoch (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH); v10 zstd (older versions get
 * UNSUPPORTED_COMPRESSION_TYPE for zstd batches); v11 rack id / preferred read replica (KIP-392: a v11+ consumer may
 * read from a follower up to the follower's high watermark; the leader names a follower by replica.selector.class); v12 flexible, diverging epoch for followers sending last_fetched_epoch; v13 topic ids
 * (UNKNOWN_TOPIC_ID); v15 replica state instead of replica id; v16 current leader and node endpoints for
 * NOT_LEADER_OR_FOLLOWER / FENCED_LEADER_EPOCH (KIP-951); v17 replica directory id (ignored).
 * Authorization (KafkaApis.handleFetchRequest): a follower needs ClusterAction on the cluster (else every partition
 * gets TOPIC_AUTHORIZATION_FAILED); a consumer needs Read on each topic (else TOPIC_AUTHORIZATION_FAILED), checked
 * on every partition of the fetch session's view, before the topic's existence.
 */
import type { FetchResponse } from '../protocol/messages/01-fetch.js'
import { Apis } from '../protocol/messages/index.js'
import { ZERO_UUID } from '../protocol/codec/schema.js'
import { ErrorCode } from '../protocol/errors.js'
import { containsCompression, toLegacyMessageSet } from '../protocol/records/conversion.js'
import { Compression } from '../protocol/records/compression.js'
import {
  mustInclude,
  type SessionPartition,
  type SessionRequestPartition,
} from '../services/replica/fetch-session.js'
import type { FetchPartitionResult } from '../services/replica/replica-manager.js'
import type { Services } from '../services/services.js'
import { AclOperation, authorizeCluster, filterAuthorized, ResourceType } from './authz.js'
import { endpointOf, groupBy } from './common.js'
import { defineHandler, type Elem, type Handler, type Out } from './handler.js'

export const FetchApi = Apis.Fetch

type TopicOut = Elem<Out<typeof FetchResponse>['responses']>
type PartitionOut = Elem<TopicOut['partitions']>

const unauthorized = (p: SessionRequestPartition): FetchPartitionResult => ({
  topic: p.topic,
  partition: p.partition,
  errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  highWatermark: -1,
  lastStableOffset: -1,
  logStartOffset: -1,
  records: null,
  divergingEpoch: null,
  currentLeader: null,
  abortedTransactions: null,
})

export function fetchHandler(
  d: Pick<Services, 'replicas' | 'cache' | 'fetchSessions' | 'config' | 'authorizer' | 'quotas' | 'metrics'>,
): Handler {
  return defineHandler(FetchApi, {
    async handle(req, ctx) {
      const v = ctx.apiVersion
      const replicaId = v >= 15 ? req.replicaState.replicaId : req.replicaId
      const isFollower = replicaId >= 0
      const useIds = v >= 13

      // Resolve topic ids (v13+) to names; partitions of unknown ids are answered with UNKNOWN_TOPIC_ID.
      const unknownIds: { topicId: string; partition: number }[] = []
      const requested: SessionRequestPartition[] = []
      for (const t of req.topics) {
        let name = t.topic
        let topicId = t.topicId
        if (useIds) {
          const info = d.cache.topicById(t.topicId)
          if (!info) {
            for (const p of t.partitions) unknownIds.push({ topicId: t.topicId, partition: p.partition })
            continue
          }
          name = info.name
        } else {
          topicId = d.cache.topic(name)?.id ?? ZERO_UUID
        }
        for (const p of t.partitions) {
          requested.push({
            topic: name,
            topicId,
            partition: p.partition,
            fetchOffset: p.fetchOffset,
            partitionMaxBytes: p.partitionMaxBytes,
            currentLeaderEpoch: p.currentLeaderEpoch,
            lastFetchedEpoch: p.lastFetchedEpoch,
            logStartOffset: p.logStartOffset,
          })
        }
      }
      const forgotten = req.forgottenTopicsData.map((f) => ({
        topic: useIds ? (d.cache.topicById(f.topicId)?.name ?? '') : f.topic,
        partitions: f.partitions,
      }))

      const sessionCtx =
        v >= 7
          ? d.fetchSessions.newContext(req.sessionId, req.sessionEpoch, requested, forgotten, isFollower)
          : ({ kind: 'sessionless' } as const)
      if (sessionCtx.kind === 'error') {
        return { throttleTimeMs: 0, errorCode: sessionCtx.errorCode, sessionId: req.sessionId, responses: [] }
      }
      const inSession: readonly SessionRequestPartition[] =
        sessionCtx.kind === 'incremental' ? [...sessionCtx.session.partitions.values()] : requested
      const readable = isFollower
        ? authorizeCluster(d.authorizer, ctx, AclOperation.CLUSTER_ACTION)
          ? null
          : new Set<string>()
        : filterAuthorized(
            d.authorizer,
            ctx,
            AclOperation.READ,
            ResourceType.TOPIC,
            inSession.map((p) => p.topic),
          )
      const toRead = readable === null ? inSession : inSession.filter((p) => readable.has(p.topic))
      const denied =
        readable === null ? [] : inSession.filter((p) => !readable.has(p.topic)).map(unauthorized)

      const maxBytes =
        v >= 3 ? (isFollower ? req.maxBytes : Math.min(req.maxBytes, d.config.fetchMaxBytes)) : 0x7fffffff
      const fetched =
        toRead.length === 0 && denied.length > 0
          ? []
          : await d.replicas.fetchMessages({
              replicaId,
              maxWaitMs: req.maxWaitMs,
              minBytes: req.minBytes,
              maxBytes,
              isolationLevel: v >= 4 ? req.isolationLevel : 0,
              partitions: toRead,
              clientMetadata:
                v >= 11 ? { rackId: req.rackId, listenerName: ctx.connection.listenerName } : null,
            })
      const results = denied.length === 0 ? fetched : [...fetched, ...denied]

      // consumer_byte_rate: a consumer over its quota gets an empty response with the throttle time, and the bytes
      // it was not sent do not count (KafkaApis: unrecordQuotaSensor, fetchContext.getThrottledResponse).
      if (!isFollower) {
        const bytes = results.reduce((n, r) => n + (r.records?.length ?? 0), 0)
        const throttleTimeMs = d.quotas.fetch.recordAndThrottle(ctx, bytes)
        if (throttleTimeMs > 0) {
          d.quotas.fetch.unrecord({ user: ctx.principal.name, clientId: ctx.clientId ?? '' }, bytes)
          const sessionId = sessionCtx.kind === 'incremental' ? sessionCtx.session.id : 0
          return { throttleTimeMs, errorCode: ErrorCode.NONE, sessionId, responses: [] }
        }
      }

      for (const r of results) d.metrics.fetched(r.topic, r.records?.length ?? 0, r.errorCode, isFollower)

      const leaders = new Set<number>()
      const partitionOut = (r: FetchPartitionResult): PartitionOut => {
        let records = r.records
        let errorCode = r.errorCode
        if (records && records.length > 0 && !isFollower) {
          if (v < 10 && containsCompression(records, Compression.ZSTD)) {
            errorCode = ErrorCode.UNSUPPORTED_COMPRESSION_TYPE
            records = null
          } else if (v < 4) {
            records = toLegacyMessageSet(records, v < 2 ? 0 : 1)
          }
        }
        if (r.currentLeader && r.currentLeader.leaderId >= 0) leaders.add(r.currentLeader.leaderId)
        return {
          partitionIndex: r.partition,
          errorCode,
          highWatermark: r.highWatermark,
          lastStableOffset: r.lastStableOffset,
          logStartOffset: r.logStartOffset,
          divergingEpoch: r.divergingEpoch ?? undefined,
          currentLeader: v >= 12 && r.currentLeader ? r.currentLeader : undefined,
          abortedTransactions: v >= 4 ? r.abortedTransactions : null,
          preferredReadReplica: r.preferredReadReplica ?? -1,
          records: records ?? Buffer.alloc(0),
        }
      }

      let shown = results
      if (sessionCtx.kind === 'incremental') {
        const byKey = new Map<string, SessionPartition>()
        for (const p of sessionCtx.session.partitions.values()) byKey.set(`${p.topic}\u0000${p.partition}`, p)
        shown = results.filter((r) => {
          const sp = byKey.get(`${r.topic}\u0000${r.partition}`)
          return !sp || mustInclude(sp, r)
        })
      } else if (sessionCtx.kind === 'full' && sessionCtx.session) {
        for (const p of sessionCtx.session.partitions.values()) {
          const r = results.find((x) => x.topic === p.topic && x.partition === p.partition)
          if (r) mustInclude(p, r)
        }
      }

      const responses: TopicOut[] = []
      for (const [topic, rs] of groupBy(shown, (r) => r.topic)) {
        responses.push({
          topic,
          topicId: d.cache.topic(topic)?.id ?? ZERO_UUID,
          partitions: rs.map(partitionOut),
        })
      }
      for (const [topicId, ps] of groupBy(unknownIds, (u) => u.topicId)) {
        responses.push({
          topicId,
          partitions: ps.map((p) => ({
            partitionIndex: p.partition,
            errorCode: ErrorCode.UNKNOWN_TOPIC_ID,
            highWatermark: -1,
            lastStableOffset: -1,
            logStartOffset: -1,
            abortedTransactions: null,
            records: Buffer.alloc(0),
          })),
        })
      }
      const nodeEndpoints =
        v >= 16
          ? [...leaders].flatMap((id) => {
              const ep = endpointOf(d.cache, id, ctx.connection.listenerName)
              return ep ? [{ nodeId: ep.id, host: ep.host, port: ep.port, rack: ep.rack }] : []
            })
          : []
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        sessionId:
          sessionCtx.kind === 'full'
            ? sessionCtx.sessionId
            : sessionCtx.kind === 'incremental'
              ? sessionCtx.session.id
              : 0,
        responses,
        nodeEndpoints,
      }
    },
  })
}
