/**
 * Metadata (3), v0-12. Brokers reachable on the listener the request came in on, the cluster id, the
 * controller, and topics with partition leaders, leader epochs, replicas, ISR and offline replicas (on brokers that
 * are not registered, or on failed log directories: this broker's own, and the others' from the controller's
 * UpdateMetadata, as Kafka's metadata cache).
 *
 * Version notes: v0 answers every topic for an empty list and reports REPLICA_NOT_AVAILABLE (with only live
 * replicas listed) when a replica or ISR member is down; v1+ null = all topics; v4+ allow_auto_topic_creation
 * (earlier versions always allow it); v7+ leader epochs; v8+ authorized operations (what the principal may do
 * with each topic, and with the cluster in v8-10; without an authorizer everything); v10+ topic ids; v12 topics
 * may be requested by id alone.
 * Unknown topics are auto-created when auto.create.topics.enable and the request allows it (answered with
 * LEADER_NOT_AVAILABLE while the controller elects leaders), otherwise UNKNOWN_TOPIC_OR_PARTITION.
 * Authorization (KafkaApis.handleTopicMetadataRequest): only topics the principal may Describe are shown — left out
 * of an all-topics answer, TOPIC_AUTHORIZATION_FAILED when asked for by name (or id); auto-creation needs Create
 * on the cluster or on the topic (else TOPIC_AUTHORIZATION_FAILED). Answers list the known topics first, then
 * those that could not be created, then those that may not be described.
 */
import type { MetadataResponse } from '../protocol/messages/03-metadata.js'
import { Apis } from '../protocol/messages/index.js'
import { ZERO_UUID } from '../protocol/codec/schema.js'
import { ErrorCode, KafkaError, toErrorCode } from '../protocol/errors.js'
import type { TopicInfo } from '../services/metadata/metadata-cache.js'
import { INTERNAL_TOPICS, validateTopicName } from '../services/metadata/topic-admin.js'
import type { Services } from '../services/services.js'
import { defineHandler, type Elem, type Handler, type Out } from './handler.js'
import {
  AclOperation,
  authorizeCluster,
  authorizedOperations,
  filterAuthorized,
  ResourceType,
} from './authz.js'
import { brokersForListener } from './common.js'
import { CLUSTER_NAME } from '../services/security/acl.js'
import { TimeSlicer } from '../util/time-slicer.js'

export const MetadataApi = Apis.Metadata

/** Names checked and answered per slice of work (a request may name a million topics). */
const CHUNK = 1000

export function metadataHandler(
  d: Pick<Services, 'cache' | 'topicAdmin' | 'authorizer' | 'replicas' | 'config'>,
): Handler {
  type TopicOut = Elem<Out<typeof MetadataResponse>['topics']>
  type PartitionOut = Elem<TopicOut['partitions']>
  const describeTopic = (t: TopicInfo, version: number): TopicOut => {
    const v0 = version === 0
    const partitions = [...t.partitions.values()]
      .sort((a, b) => a.partition - b.partition)
      .map((p): PartitionOut => {
        const s = p.state
        const alive = (r: number) => d.cache.isAlive(r)
        const liveReplicas = p.replicas.filter(alive)
        // offline: on a broker that is not registered, or on a failed log directory — this broker's own, or as the
        // controller's UpdateMetadata said
        const offline = p.replicas.filter(
          (r) =>
            !alive(r) ||
            (r === d.config.brokerId
              ? d.replicas.isOffline(t.name, p.partition)
              : d.cache.isOnFailedLogDir(t.name, p.partition, r)),
        )
        // a leader cut off from ZooKeeper and its followers names no leader rather than itself (isDeposed)
        if (!s || s.leader < 0 || !alive(s.leader) || d.replicas.isDeposed(t.name, p.partition)) {
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
      topicAuthorizedOperations: -2147483648,
    }
  }

  return defineHandler(MetadataApi, {
    async handle(req, ctx) {
      const v = ctx.apiVersion
      const a = d.authorizer
      const includeOps = v >= 8 && req.includeTopicAuthorizedOperations
      const allowAutoCreate = v < 4 || req.allowAutoTopicCreation
      const all = req.topics === null || (v === 0 && req.topics.length === 0)
      // A request may name a million topics: the event loop runs between slices of this work
      const slicer = new TimeSlicer()
      // The names asked for, once each; topics asked for by an unknown id are answered UNKNOWN_TOPIC_ID.
      const unknownIds: TopicOut[] = []
      const askedById = new Map<string, string>()
      const names = new Set<string>()
      if (all) {
        for (const t of [...d.cache.topics.values()].sort((x, y) => x.name.localeCompare(y.name)))
          names.add(t.name)
      } else {
        for (const rt of req.topics!) {
          if ((rt.name === null || rt.name === '') && rt.topicId !== ZERO_UUID) {
            const t = d.cache.topicById(rt.topicId)
            if (!t)
              unknownIds.push({ ...emptyTopic(null, rt.topicId), errorCode: ErrorCode.UNKNOWN_TOPIC_ID })
            else {
              names.add(t.name)
              askedById.set(t.name, rt.topicId)
            }
          } else names.add(rt.name ?? '')
          const due = slicer.due()
          if (due) await due
        }
      }

      // Topics the principal may not Describe are not disclosed (left out of an all-topics answer); unknown
      // topics it may not Create are not created. Checked a chunk of names at a time.
      const topics: TopicOut[] = [...unknownIds]
      const uncreatable: string[] = []
      const undescribable: string[] = []
      let createOnCluster: boolean | undefined
      const asked = [...names]
      for (let i = 0; i < asked.length; i += CHUNK) {
        const chunk = asked.slice(i, i + CHUNK)
        const describable = filterAuthorized(a, ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, chunk, {
          logIfDenied: !all,
        })
        let authorized = chunk.filter((n) => describable.has(n))
        for (const n of chunk) if (!describable.has(n)) undescribable.push(n)
        const missing = authorized.filter((n) => !d.cache.topic(n))
        if (allowAutoCreate && d.topicAdmin.autoCreateEnabled && missing.length > 0) {
          createOnCluster ??= authorizeCluster(a, ctx, AclOperation.CREATE, { logIfDenied: false })
          if (!createOnCluster) {
            const creatable = filterAuthorized(a, ctx, AclOperation.CREATE, ResourceType.TOPIC, missing)
            const missingSet = new Set(missing)
            for (const n of missing) if (!creatable.has(n)) uncreatable.push(n)
            authorized = authorized.filter((n) => creatable.has(n) || !missingSet.has(n))
          }
        }
        for (const name of authorized) {
          const t = d.cache.topic(name)
          const out = t ? describeTopic(t, v) : await unknownTopic(name, allowAutoCreate && !all)
          if (includeOps)
            out.topicAuthorizedOperations = authorizedOperations(a, ctx, ResourceType.TOPIC, name)
          topics.push(out)
        }
        const due = slicer.due(chunk.length)
        if (due) await due
      }
      for (const name of uncreatable) {
        topics.push({
          ...emptyTopic(name, ZERO_UUID),
          errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
          isInternal: INTERNAL_TOPICS.has(name),
        })
      }
      if (!all) {
        for (const name of undescribable) {
          const id = askedById.get(name)
          topics.push({
            ...(id === undefined ? emptyTopic(name, ZERO_UUID) : emptyTopic(null, id)),
            errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
          })
        }
      }
      let clusterAuthorizedOperations = -2147483648
      if (v >= 8 && v <= 10 && req.includeClusterAuthorizedOperations) {
        clusterAuthorizedOperations = authorizeCluster(a, ctx, AclOperation.DESCRIBE)
          ? authorizedOperations(a, ctx, ResourceType.CLUSTER, CLUSTER_NAME)
          : 0
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
        clusterAuthorizedOperations,
      }
    },
  })

  /** A topic that does not exist: auto-created when allowed (LEADER_NOT_AVAILABLE meanwhile), else unknown. */
  async function unknownTopic(name: string, autoCreate: boolean): Promise<TopicOut> {
    let errorCode: number = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    if (autoCreate && d.topicAdmin.autoCreateEnabled) {
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
    return { ...emptyTopic(name, ZERO_UUID), errorCode }
  }
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
