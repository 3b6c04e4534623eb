/**
 * OffsetForLeaderEpoch (23), v0-4: for a leader epoch, the largest epoch ≤ it that the partition's leader knows
 * and the offset where it ended (the log end offset for the current epoch) — used by followers to truncate a
 * divergent tail and by consumers to validate their position after a leader change (the Java consumer uses it
 * from v3). -1/-1 when the epoch is older than anything known.
 * Version notes: v1 returns the epoch; v2 current leader epoch (FENCED/UNKNOWN_LEADER_EPOCH); v3 replica id
 * (-2 debug may ask followers; replicas and consumers must ask the leader); v4 flexible.
 * Authorization: ClusterAction on the cluster (replicas), else Describe on each topic (consumers, KIP-320); other
 * topics get TOPIC_AUTHORIZATION_FAILED and are listed after the rest.
 */
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode, KafkaError, toErrorCode } from '../protocol/errors.js'
import type { Services } from '../services/services.js'
import { AclOperation, authorizeCluster, filterAuthorized, ResourceType } from './authz.js'
import { defineHandler, type Handler } from './handler.js'

export const OffsetForLeaderEpochApi = Apis.OffsetForLeaderEpoch

export function offsetForLeaderEpochHandler(d: Pick<Services, 'replicas' | 'authorizer'>): Handler {
  return defineHandler(OffsetForLeaderEpochApi, {
    handle(req, ctx) {
      const a = d.authorizer
      const allowed = authorizeCluster(a, ctx, AclOperation.CLUSTER_ACTION, { logIfDenied: false })
        ? null
        : filterAuthorized(
            a,
            ctx,
            AclOperation.DESCRIBE,
            ResourceType.TOPIC,
            req.topics.map((t) => t.topic),
          )
      const ok = (topic: string): boolean => allowed === null || allowed.has(topic)
      return {
        throttleTimeMs: 0,
        topics: [...req.topics.filter((t) => ok(t.topic)), ...req.topics.filter((t) => !ok(t.topic))].map(
          (t) => ({
            topic: t.topic,
            partitions: t.partitions.map((p) => {
              if (!ok(t.topic))
                return {
                  errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
                  partition: p.partition,
                  leaderEpoch: -1,
                  endOffset: -1,
                }
              try {
                let log
                if (req.replicaId === -2) {
                  const part = d.replicas.getPartition(t.topic, p.partition)
                  if (!part?.log) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
                  part.checkLeaderEpoch(p.currentLeaderEpoch)
                  log = part.log
                } else {
                  log = d.replicas.leaderLog(t.topic, p.partition, p.currentLeaderEpoch).log
                }
                const end = log.endOffsetForEpoch(p.leaderEpoch)
                return {
                  errorCode: ErrorCode.NONE,
                  partition: p.partition,
                  leaderEpoch: end ? end.epoch : -1,
                  endOffset: end ? end.endOffset : -1,
                }
              } catch (e) {
                return { errorCode: toErrorCode(e), partition: p.partition, leaderEpoch: -1, endOffset: -1 }
              }
            }),
          }),
        ),
      }
    },
  })
}
