/**
 * OffsetFetch (9), v0-9, served by the classic group coordinator.
 *
 * Offsets are returned whatever the group's state (a group may use Kafka only to store offsets); a partition
 * without a committed offset gets -1, empty metadata and no error. Group-level errors (NOT_COORDINATOR,
 * COORDINATOR_LOAD_IN_PROGRESS, INVALID_GROUP_ID, ...) come from the coordinator.
 *
 * Version notes:
 * - v0: Kafka in ZooKeeper mode reads these offsets from ZooKeeper, not from the coordinator: unknown
 *   partitions and partitions without an offset get UNKNOWN_TOPIC_OR_PARTITION. Done here through the
 *   optional `zkOffsets` store; without one every partition gets UNSUPPORTED_VERSION (KRaft behaviour).
 * - v1: from `__consumer_offsets`; no top-level error field, so a group error is put on every requested
 *   partition (as Kafka's `OffsetFetchRequest.getErrorResponse` does below v2).
 * - v2+: a null topic list asks for every partition the group has offsets for; top-level error code.
 * - v5 adds the committed leader epoch; v6 is flexible; v7 adds require_stable (a partition with a commit
 *   still being written, or transactional offsets not yet committed, gets UNSTABLE_OFFSET_COMMIT).
 * - v8+: several groups per request, one result (and error) per group; v9's member id and epoch are checked
 *   for KIP-848 consumer groups (UNKNOWN_MEMBER_ID, STALE_MEMBER_EPOCH, FENCED_MEMBER_EPOCH; epoch -1 is an
 *   admin fetch) and ignored for classic groups, as in Kafka.
 * Authorization: Describe on each group (else GROUP_AUTHORIZATION_FAILED — for the whole request in v0 and v2-7,
 * as the group's error in v8+; v1, which has no place for it, answers no partitions, as Kafka does) and on each
 * topic: an unauthorized topic's partitions get TOPIC_AUTHORIZATION_FAILED when asked for by name and are left out
 * when all of a group's offsets are asked for.
 */
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode, KafkaError, toErrorCode } from '../protocol/errors.js'
import type { GroupCoordinator } from '../services/group/coordinator.js'
import type {
  OffsetFetchPartitionResult,
  TopicMetadataView,
  TopicPartition,
} from '../services/group/types.js'
import type { ZkConsumerOffsetStore } from '../services/group/zk-offsets.js'
import type { Authorizer } from '../services/security/authorizer.js'
import { AclOperation, authorize, filterAuthorized, ResourceType, type AuthzContext } from './authz.js'
import { defineHandler, type Handler } from './handler.js'

export const OffsetFetchApi = Apis.OffsetFetch

export interface OffsetFetchHandlerDeps {
  readonly groups: GroupCoordinator
  /** Which topics and partitions exist (used by v0 only). */
  readonly cache: TopicMetadataView
  /** Storage of v0 offsets (ZooKeeper); without it v0 answers UNSUPPORTED_VERSION. */
  readonly zkOffsets?: ZkConsumerOffsetStore
  readonly authorizer: Authorizer
}

interface PartitionOut {
  partitionIndex: number
  committedOffset: number
  committedLeaderEpoch: number
  metadata: string
  errorCode: number
}

function byTopic(
  partitions: readonly OffsetFetchPartitionResult[],
): { name: string; partitions: PartitionOut[] }[] {
  const topics = new Map<string, PartitionOut[]>()
  for (const p of partitions) {
    let list = topics.get(p.topic)
    if (!list) topics.set(p.topic, (list = []))
    list.push({
      partitionIndex: p.partition,
      committedOffset: p.offset,
      committedLeaderEpoch: p.leaderEpoch,
      metadata: p.metadata,
      errorCode: p.error,
    })
  }
  return [...topics].map(([name, ps]) => ({ name, partitions: ps }))
}

function flatten(topics: readonly { name: string; partitionIndexes: readonly number[] }[]): TopicPartition[] {
  return topics.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition })))
}

const noOffset = (tp: TopicPartition, error: number): OffsetFetchPartitionResult => ({
  topic: tp.topic,
  partition: tp.partition,
  offset: -1,
  leaderEpoch: -1,
  metadata: '',
  error,
})

export function offsetFetchHandler(d: OffsetFetchHandlerDeps): Handler {
  const describable = (ctx: AuthzContext, topics: Iterable<string>): Set<string> =>
    filterAuthorized(d.authorizer, ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, topics)

  /** One group's offsets, as far as the principal may see them (KafkaApis.fetch(All)OffsetsForGroup). */
  const fetchGroup = (
    ctx: AuthzContext,
    groupId: string,
    requireStable: boolean,
    requested: TopicPartition[] | null,
    member: { readonly memberId: string | null; readonly memberEpoch: number } | null = null,
  ): { error: number; partitions: readonly OffsetFetchPartitionResult[] } => {
    if (requested === null) {
      const r = d.groups.fetchOffsets(groupId, requireStable, null, member)
      if (r.error !== ErrorCode.NONE) return r
      const shown = describable(
        ctx,
        r.partitions.map((p) => p.topic),
      )
      return { error: ErrorCode.NONE, partitions: r.partitions.filter((p) => shown.has(p.topic)) }
    }
    const shown = describable(
      ctx,
      requested.map((tp) => tp.topic),
    )
    const r = d.groups.fetchOffsets(
      groupId,
      requireStable,
      requested.filter((tp) => shown.has(tp.topic)),
      member,
    )
    if (r.error !== ErrorCode.NONE) return r
    const denied = requested
      .filter((tp) => !shown.has(tp.topic))
      .map((tp) => noOffset(tp, ErrorCode.TOPIC_AUTHORIZATION_FAILED))
    return { error: ErrorCode.NONE, partitions: [...r.partitions, ...denied] }
  }
  const groupAllowed = (ctx: AuthzContext, groupId: string): boolean =>
    authorize(d.authorizer, ctx, AclOperation.DESCRIBE, ResourceType.GROUP, groupId)

  return defineHandler(OffsetFetchApi, {
    async handle(req, ctx) {
      const v = ctx.apiVersion

      if (v >= 8) {
        return {
          throttleTimeMs: 0,
          groups: req.groups.map((g) => {
            if (!groupAllowed(ctx, g.groupId))
              return { groupId: g.groupId, topics: [], errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED }
            try {
              const r = fetchGroup(
                ctx,
                g.groupId,
                req.requireStable,
                g.topics === null ? null : flatten(g.topics),
                v >= 9 ? { memberId: g.memberId, memberEpoch: g.memberEpoch } : null,
              )
              return r.error !== ErrorCode.NONE
                ? { groupId: g.groupId, topics: [], errorCode: r.error }
                : { groupId: g.groupId, topics: byTopic(r.partitions), errorCode: ErrorCode.NONE }
            } catch (e) {
              return { groupId: g.groupId, topics: [], errorCode: toErrorCode(e) }
            }
          }),
        }
      }

      const requested = req.topics === null ? null : flatten(req.topics)
      if (v === 0) {
        if (!groupAllowed(ctx, req.groupId)) throw new KafkaError(ErrorCode.GROUP_AUTHORIZATION_FAILED)
        const zk = d.zkOffsets
        if (zk === undefined) throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION)
        const shown = describable(
          ctx,
          (requested ?? []).map((tp) => tp.topic),
        )
        const out: OffsetFetchPartitionResult[] = []
        for (const tp of requested ?? []) {
          try {
            if (!shown.has(tp.topic)) {
              out.push(noOffset(tp, ErrorCode.TOPIC_AUTHORIZATION_FAILED))
              continue
            }
            if (d.cache.partition(tp.topic, tp.partition) === undefined) {
              out.push(noOffset(tp, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION))
              continue
            }
            const offset = await zk.getConsumerOffset(req.groupId, tp.topic, tp.partition)
            out.push(
              offset === null
                ? noOffset(tp, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
                : { ...noOffset(tp, ErrorCode.NONE), offset },
            )
          } catch (e) {
            out.push(noOffset(tp, toErrorCode(e)))
          }
        }
        return { throttleTimeMs: 0, topics: byTopic(out) }
      }

      if (!groupAllowed(ctx, req.groupId)) {
        // The group's error with no topics; v1 has no top-level error field (OffsetFetchResponse for v < 8).
        return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, topics: [] }
      }
      const r = fetchGroup(ctx, req.groupId, req.requireStable, requested)
      if (r.error !== ErrorCode.NONE) throw new KafkaError(r.error)
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, topics: byTopic(r.partitions) }
    },
  })
}
