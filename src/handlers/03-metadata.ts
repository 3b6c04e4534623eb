/**
 * Metadata (3), v0-12. Brokers reachable on the listener the request came in on, the cluster id, the
 * controller, and topics with partition leaders, leader epochs, replicas, ISR and offline replicas.
 *
 * Version notes: v0 answers every topic for an empty list and reports REPLICA_NOT_AVAILABLE (with only live
 * replicas listed) when a replica or ISR member is down; v1+ null = all topics; v4+ allow_auto_topic_creation
 * (earlier versions always allow it); v7+ leader epochs; v8+ authorized operations (no authorizer: everything is
 * allowed, as Kafka reports without one); v10+ topic ids; v12 topics may be requested by id alone.
 * Unknown topics are auto-created when auto.create.topics.enable and the request allows it (answered with
 * LEADER_NOT_AVAILABLE while the controller elects leaders), otherwise UNKNOWN_TOPIC_OR_PARTITION.
 */
import type { MetadataResponse } from '../protocol/messages/03-metadata.js'
import { Apis } from '../protocol/messages/index.js'
import { ZERO_UUID } from '../protocol/codec/schema.js'
import { ErrorCode, KafkaError, toErrorCode } from '../protocol/errors.js'
import type { TopicInfo } from '../services/metadata/metadata-cache.js'
import { INTERNAL_TOPICS, validateTopicName } from '../services/metadata/topic-admin.js'
import type { Services } from '../services/services.js'
import { defineHandler, type Elem, type Handler, type Out } from './handler.js'
import { brokersForListener, TOPIC_AUTHORIZED_OPERATIONS } from './common.js'

export const MetadataApi = Apis.Metadata

export function metadataHandler(d: Pick<Services, 'cache' | 'topicAdmin'>): Handler {
  type TopicOut = Elem<Out<typeof MetadataResponse>['topics']>
  type PartitionOut = Elem<TopicOut['partitions']>
  const describeTopic = (t: TopicInfo, version: number, includeOps: boolean): TopicOut => {
    const v0 = version === 0
    const partitions = [...t.partitions.values()]
      .sort((a, b) => a.partition - b.partition)
      .map((p): PartitionOut => {
        const s = p.state
        const alive = (r: number) => d.cache.isAlive(r)
        const liveReplicas = p.replicas.filter(alive)
        const offline = p.replicas.filter((r) => !alive(r))
        if (!s || s.leader < 0 || !alive(s.leader)) {
          return {
            errorCode: ErrorCode.LEADER_NOT_AVAILABLE,
            partitionIndex: p.partition,
            leaderId: -1,
            leaderEpoch: s?.leaderEpoch ?? -1,
            replicaNodes: v0 ? liveReplicas : p.replicas,
            isrNodes: v0 ? (s?.isr ?? []).filter(alive) : (s?.isr ?? []),
            offlineReplicas: offline,
          }
        }
        const isrAlive = s.isr.filter(alive)
        const degraded = v0 && (liveReplicas.length < p.replicas.length || isrAlive.length < s.isr.length)
        return {
          errorCode: degraded ? ErrorCode.REPLICA_NOT_AVAILABLE : ErrorCode.NONE,
          partitionIndex: p.partition,
          leaderId: s.leader,
          leaderEpoch: s.leaderEpoch,
          replicaNodes: v0 ? liveReplicas : p.replicas,
          isrNodes: v0 ? isrAlive : s.isr,
          offlineReplicas: offline,
        }
      })
    return {
      errorCode: ErrorCode.NONE,
      name: t.name,
      topicId: t.id || ZERO_UUID,
      isInternal: INTERNAL_TOPICS.has(t.name),
      partitions,
      topicAuthorizedOperations: includeOps ? TOPIC_AUTHORIZED_OPERATIONS : -2147483648,
    }
  }

  return defineHandler(MetadataApi, {
    async handle(req, ctx) {
      const v = ctx.apiVersion
      const includeOps = v >= 8 && req.includeTopicAuthorizedOperations
      const allowAutoCreate = v < 4 || req.allowAutoTopicCreation
      const topics: TopicOut[] = []
      const all = req.topics === null || (v === 0 && req.topics.length === 0)
      if (all) {
        for (const t of [...d.cache.topics.values()].sort((a, b) => a.name.localeCompare(b.name))) {
          topics.push(describeTopic(t, v, includeOps))
        }
      } else {
        for (const rt of req.topics!) {
          const byId = rt.name === null || rt.name === ''
          if (byId && rt.topicId !== ZERO_UUID) {
            const t = d.cache.topicById(rt.topicId)
            topics.push(
              t
                ? describeTopic(t, v, includeOps)
                : { ...emptyTopic(null, rt.topicId), errorCode: ErrorCode.UNKNOWN_TOPIC_ID },
            )
            continue
          }
          const name = rt.name ?? ''
          const t = d.cache.topic(name)
          if (t) {
            topics.push(describeTopic(t, v, includeOps))
            continue
          }
          let errorCode: number = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
          if (allowAutoCreate && d.topicAdmin.autoCreateEnabled) {
            try {
              validateTopicName(name)
              await d.topicAdmin.autoCreate(name)
              errorCode = ErrorCode.LEADER_NOT_AVAILABLE
            } catch (e) {
              errorCode =
                e instanceof KafkaError && e.code === ErrorCode.COORDINATOR_NOT_AVAILABLE
                  ? ErrorCode.LEADER_NOT_AVAILABLE
                  : toErrorCode(e)
              if (errorCode === ErrorCode.TOPIC_ALREADY_EXISTS) errorCode = ErrorCode.LEADER_NOT_AVAILABLE
            }
          } else {
            try {
              validateTopicName(name)
            } catch (e) {
              errorCode = toErrorCode(e)
            }
          }
          topics.push({ ...emptyTopic(name, ZERO_UUID), errorCode })
        }
      }
      return {
        throttleTimeMs: 0,
        brokers: brokersForListener(d.cache, ctx.connection.listenerName).map((b) => ({
          nodeId: b.id,
          host: b.host,
          port: b.port,
          rack: b.rack,
        })),
        clusterId: d.cache.clusterId,
        controllerId: d.cache.controllerId ?? -1,
        topics,
      }
    },
  })
}

function emptyTopic(name: string | null, topicId: string): Elem<Out<typeof MetadataResponse>['topics']> {
  return {
    errorCode: ErrorCode.NONE,
    name,
    topicId,
    isInternal: false,
    partitions: [],
    topicAuthorizedOperations: -2147483648,
  }
}
