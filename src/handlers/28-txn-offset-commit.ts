/**
 * TxnOffsetCommit (28), v0-4 (KafkaApis.handleTxnOffsetCommitRequest): a transactional producer commits a
 * consumer group's offsets inside its transaction (consume-transform-produce). Partitions of unknown topics get
 * UNKNOWN_TOPIC_OR_PARTITION; the rest go to the group coordinator, which first verifies with the transaction
 * coordinator that the transaction includes the group's `__consumer_offsets` partition (KIP-890; the producer
 * added it with AddOffsetsToTxn), then checks the group (KIP-447: member id and generation when given) and
 * writes the offsets as a transactional batch: they stay invisible to OffsetFetch (UNSTABLE_OFFSET_COMMIT with
 * require_stable) until the transaction's COMMIT marker reaches the partition, and are dropped on ABORT.
 * Version notes: v2 committed leader epoch; v3 flexible, member id, group instance id and generation (KIP-447);
 * v0-1 get COORDINATOR_NOT_AVAILABLE instead of COORDINATOR_LOAD_IN_PROGRESS (KAFKA-7296).
 * Authorization: Write on the transactional id, then Read on the group (else the whole request fails with
 * TRANSACTIONAL_ID_ / GROUP_AUTHORIZATION_FAILED), then Read on each topic (else TOPIC_AUTHORIZATION_FAILED for its
 * partitions, before the topic's existence is checked).
 */
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode, KafkaError } from '../protocol/errors.js'
import { OFFSETS_TOPIC } from '../services/metadata/topic-admin.js'
import type { Services } from '../services/services.js'
import { AclOperation, authorize, authorizedTopics, ResourceType } from './authz.js'
import { groupBy } from './common.js'
import { defineHandler, type Handler } from './handler.js'

export const TxnOffsetCommitApi = Apis.TxnOffsetCommit

export function txnOffsetCommitHandler(
  d: Pick<Services, 'groups' | 'cache' | 'replicas' | 'authorizer'>,
): Handler {
  return defineHandler(TxnOffsetCommitApi, {
    async handle(req, ctx) {
      const a = d.authorizer
      if (!authorize(a, ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId))
        throw new KafkaError(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
      if (!authorize(a, ctx, AclOperation.READ, ResourceType.GROUP, req.groupId))
        throw new KafkaError(ErrorCode.GROUP_AUTHORIZATION_FAILED)
      const readable = authorizedTopics(a, ctx, AclOperation.READ, req.topics)
      const statuses: { topic: string; partition: number; errorCode: number }[] = []
      const valid: {
        topic: string
        partition: number
        offset: number
        leaderEpoch: number
        metadata: string | null
      }[] = []
      for (const t of req.topics) {
        for (const p of t.partitions) {
          if (!readable.has(t.name)) {
            statuses.push({
              topic: t.name,
              partition: p.partitionIndex,
              errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
            })
          } else if (d.cache.partition(t.name, p.partitionIndex) === undefined) {
            statuses.push({
              topic: t.name,
              partition: p.partitionIndex,
              errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            })
          } else {
            valid.push({
              topic: t.name,
              partition: p.partitionIndex,
              offset: p.committedOffset,
              leaderEpoch: p.committedLeaderEpoch,
              metadata: p.committedMetadata,
            })
          }
        }
      }
      if (valid.length > 0) {
        const results = await d.groups.commitTransactionalOffsets(
          {
            groupId: req.groupId,
            transactionalId: req.transactionalId,
            producerId: req.producerId,
            producerEpoch: req.producerEpoch,
            memberId: req.memberId,
            groupInstanceId: req.groupInstanceId,
            generationId: req.generationId,
            partitions: valid,
          },
          (offsetsPartition) =>
            d.replicas
              .verifyTransactionForPartition(
                { topic: OFFSETS_TOPIC, partition: offsetsPartition },
                req.transactionalId,
                req.producerId,
                req.producerEpoch,
              )
              .then((v) => ({ errorCode: v.errorCode, guard: v.guard })),
        )
        for (const r of results) statuses.push({ topic: r.topic, partition: r.partition, errorCode: r.error })
      }
      const compat = (code: number): number =>
        ctx.apiVersion < 2 && code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
          ? ErrorCode.COORDINATOR_NOT_AVAILABLE
          : code
      return {
        throttleTimeMs: 0,
        topics: [...groupBy(statuses, (s) => s.topic)].map(([name, list]) => ({
          name,
          partitions: list.map((s) => ({ partitionIndex: s.partition, errorCode: compat(s.errorCode) })),
        })),
      }
    },
  })
}
