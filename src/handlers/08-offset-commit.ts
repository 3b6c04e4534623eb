/**
 * OffsetCommit (8), v0-9, served by the classic group coordinator.
 *
 * As KafkaApis 3.9: partitions of unknown topics or partitions get UNKNOWN_TOPIC_OR_PARTITION and are not
 * passed on; the rest go to the coordinator, which validates group, member and generation (generation -1 with
 * an empty member id only for an Empty or unknown group: "simple" consumers), rejects metadata longer than
 * `offset.metadata.max.bytes` per partition (OFFSET_METADATA_TOO_LARGE) and acknowledges once the commit is in
 * `__consumer_offsets`.
 *
 * Version notes:
 * - v0: Kafka in ZooKeeper mode stores these offsets in ZooKeeper (`/consumers/<group>/offsets/<topic>/<p>`),
 *   without any group check ("For version 0, always store offsets in ZK"). Done here through the optional
 *   `zkOffsets` store (the broker's metadata store, in ZooKeeper or standalone mode); without one every
 *   partition gets UNSUPPORTED_VERSION, as a KRaft broker answers.
 * - v1: member id, generation and a per-partition commit timestamp (-1 = now; kept as the commit's timestamp).
 * - v2-v4: retention_time_ms; other than -1 it becomes an expire timestamp (now + retention) on the offset,
 *   stored as OffsetCommitValue v1, and the offset expires then (Kafka's pre-2.1 semantics).
 * - v5 drops the retention; v6 adds the committed leader epoch; v7 the group instance id; v8 is flexible;
 *   v9 is the same as v8 for classic groups; members of a KIP-848 consumer group must use v9+ and commit with
 *   their member epoch (STALE_MEMBER_EPOCH / FENCED_MEMBER_EPOCH otherwise).
 * Authorization: Read on the group (else the whole request fails with GROUP_AUTHORIZATION_FAILED), then Read on
 * each topic (else its partitions get TOPIC_AUTHORIZATION_FAILED, before the topic's existence is checked).
 * Not implemented: the IBP < 2.3 rejection of group instance ids (this broker always behaves as IBP 3.x).
 */
import type { OffsetCommitRequest, OffsetCommitResponse } from '../protocol/messages/08-offset-commit.js'
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode, KafkaError, toErrorCode } from '../protocol/errors.js'
import type { Infer } from '../protocol/codec/schema.js'
import type { GroupCoordinator } from '../services/group/coordinator.js'
import type { OffsetCommitPartition, TopicMetadataView } from '../services/group/types.js'
import type { ZkConsumerOffsetStore } from '../services/group/zk-offsets.js'
import type { Authorizer } from '../services/security/authorizer.js'
import { AclOperation, authorize, authorizedTopics, ResourceType } from './authz.js'
import { defineHandler, type Handler, type Out } from './handler.js'

export const OffsetCommitApi = Apis.OffsetCommit

type Response = Out<typeof OffsetCommitResponse>

export interface OffsetCommitHandlerDeps {
  readonly groups: GroupCoordinator
  /** Which topics and partitions exist (the broker's metadata cache). */
  readonly cache: TopicMetadataView
  /** Storage of v0 commits (ZooKeeper); without it v0 answers UNSUPPORTED_VERSION. */
  readonly zkOffsets?: ZkConsumerOffsetStore
  readonly authorizer: Authorizer
}

/** Kafka's OffsetCommitResponse.Builder: partitions grouped by topic, in the order they are added. */
class ResponseBuilder {
  private readonly topics = new Map<string, { partitionIndex: number; errorCode: number }[]>()

  add(topic: string, partitionIndex: number, errorCode: number): void {
    let list = this.topics.get(topic)
    if (!list) this.topics.set(topic, (list = []))
    list.push({ partitionIndex, errorCode })
  }

  build(): Response {
    return { throttleTimeMs: 0, topics: [...this.topics].map(([name, partitions]) => ({ name, partitions })) }
  }
}

export function offsetCommitHandler(d: OffsetCommitHandlerDeps): Handler {
  return defineHandler(OffsetCommitApi, {
    async handle(req, ctx) {
      if (!authorize(d.authorizer, ctx, AclOperation.READ, ResourceType.GROUP, req.groupId))
        throw new KafkaError(ErrorCode.GROUP_AUTHORIZATION_FAILED)
      const readable = authorizedTopics(d.authorizer, ctx, AclOperation.READ, req.topics)
      const builder = new ResponseBuilder()
      const valid: {
        topic: string
        p: Infer<typeof OffsetCommitRequest>['topics'][number]['partitions'][number]
      }[] = []
      for (const t of req.topics) {
        if (!readable.has(t.name)) {
          for (const p of t.partitions)
            builder.add(t.name, p.partitionIndex, ErrorCode.TOPIC_AUTHORIZATION_FAILED)
          continue
        }
        if (d.cache.topic(t.name) === undefined) {
          for (const p of t.partitions)
            builder.add(t.name, p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
          continue
        }
        for (const p of t.partitions) {
          if (d.cache.partition(t.name, p.partitionIndex) !== undefined) valid.push({ topic: t.name, p })
          else builder.add(t.name, p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
        }
      }
      if (valid.length === 0) return builder.build()

      if (ctx.apiVersion === 0) {
        const zk = d.zkOffsets
        if (zk === undefined) throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION)
        const max = d.groups.config.offsetMetadataMaxBytes
        for (const { topic, p } of valid) {
          let error: number = ErrorCode.NONE
          if (p.committedMetadata !== null && p.committedMetadata.length > max) {
            error = ErrorCode.OFFSET_METADATA_TOO_LARGE
          } else {
            try {
              await zk.setOrCreateConsumerOffset(req.groupId, topic, p.partitionIndex, p.committedOffset)
            } catch (e) {
              error = toErrorCode(e)
            }
          }
          builder.add(topic, p.partitionIndex, error)
        }
        return builder.build()
      }

      const partitions: OffsetCommitPartition[] = valid.map(({ topic, p }) => ({
        topic,
        partition: p.partitionIndex,
        offset: p.committedOffset,
        leaderEpoch: p.committedLeaderEpoch,
        metadata: p.committedMetadata,
        commitTimestamp: p.commitTimestamp,
      }))
      const results = await d.groups.commitOffsets({
        groupId: req.groupId,
        memberId: req.memberId,
        groupInstanceId: req.groupInstanceId,
        generationId: req.generationIdOrMemberEpoch,
        retentionTimeMs: req.retentionTimeMs,
        partitions,
        apiVersion: ctx.apiVersion,
      })
      for (const r of results) builder.add(r.topic, r.partition, r.error)
      return builder.build()
    },
  })
}
