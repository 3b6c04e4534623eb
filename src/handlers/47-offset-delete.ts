/**
 * OffsetDelete (47), v0 (KIP-496), served by the classic group coordinator. Partitions of unknown topics or
 * partitions get UNKNOWN_TOPIC_OR_PARTITION; the others are deleted if the group is Empty, or, for a consumer
 * group, if no member subscribes to the topic (the members' ConsumerProtocolSubscription); subscribed topics
 * get GROUP_SUBSCRIBED_TO_TOPIC. A group-level error (GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP for a non-consumer
 * group with members, NOT_COORDINATOR, INVALID_GROUP_ID, ...) replaces the whole response, without topics.
 * Deleting the last offsets of an Empty group removes the group.
 * Authorization: Delete on the group (else the whole request fails with GROUP_AUTHORIZATION_FAILED), then Read on
 * each topic (else its partitions get TOPIC_AUTHORIZATION_FAILED, before the topic's existence is checked).
 */
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode, KafkaError } from '../protocol/errors.js'
import type { GroupCoordinator } from '../services/group/coordinator.js'
import type { TopicMetadataView, TopicPartition } from '../services/group/types.js'
import type { Authorizer } from '../services/security/authorizer.js'
import { AclOperation, authorizedTopics, requireAccess, ResourceType } from './authz.js'
import { defineHandler, type Handler } from './handler.js'

export const OffsetDeleteApi = Apis.OffsetDelete

export interface OffsetDeleteHandlerDeps {
  readonly groups: GroupCoordinator
  readonly cache: TopicMetadataView
  readonly authorizer: Authorizer
}

export function offsetDeleteHandler(d: OffsetDeleteHandlerDeps): Handler {
  return defineHandler(OffsetDeleteApi, {
    async handle(req, ctx) {
      requireAccess(d.authorizer, ctx, AclOperation.DELETE, ResourceType.GROUP, req.groupId)
      const readable = authorizedTopics(d.authorizer, ctx, AclOperation.READ, req.topics)
      const topics = new Map<string, { partitionIndex: number; errorCode: number }[]>()
      const add = (topic: string, partitionIndex: number, errorCode: number): void => {
        let list = topics.get(topic)
        if (!list) topics.set(topic, (list = []))
        list.push({ partitionIndex, errorCode })
      }
      const valid: TopicPartition[] = []
      for (const t of req.topics) {
        if (!readable.has(t.name)) {
          for (const p of t.partitions) add(t.name, p.partitionIndex, ErrorCode.TOPIC_AUTHORIZATION_FAILED)
          continue
        }
        if (d.cache.topic(t.name) === undefined) {
          for (const p of t.partitions) add(t.name, p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
          continue
        }
        for (const p of t.partitions) {
          if (d.cache.partition(t.name, p.partitionIndex) !== undefined) {
            valid.push({ topic: t.name, partition: p.partitionIndex })
          } else {
            add(t.name, p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
          }
        }
      }
      const r = await d.groups.deleteOffsets(req.groupId, valid)
      if (r.error !== ErrorCode.NONE) throw new KafkaError(r.error)
      for (const p of r.partitions) add(p.topic, p.partition, p.error)
      return {
        errorCode: ErrorCode.NONE,
        throttleTimeMs: 0,
        topics: [...topics].map(([name, partitions]) => ({ name, partitions })),
      }
    },
  })
}
