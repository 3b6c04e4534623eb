/**
 * DeleteRecords (21), v0-2. Moves the log start offset of partitions this broker leads (offset -1 = the high
 * watermark); whole segments below it are removed by the retention task. Answers the new low watermark.
 * Errors per partition: NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION, OFFSET_OUT_OF_RANGE (beyond the
 * high watermark), POLICY_VIOLATION for compacted topics (Kafka refuses DeleteRecords on compact-only topics).
 * Authorization: Delete on the topic (else TOPIC_AUTHORIZATION_FAILED).
 */
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode, KafkaError, toErrorCode } from '../protocol/errors.js'
import type { Services } from '../services/services.js'
import { AclOperation, authorizedTopics } from './authz.js'
import { defineHandler, type Handler } from './handler.js'

export const DeleteRecordsApi = Apis.DeleteRecords

export function deleteRecordsHandler(d: Pick<Services, 'replicas' | 'cache' | 'authorizer'>): Handler {
  return defineHandler(DeleteRecordsApi, {
    handle(req, ctx) {
      const deletable = authorizedTopics(d.authorizer, ctx, AclOperation.DELETE, req.topics)
      return {
        throttleTimeMs: 0,
        topics: req.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => {
            if (!deletable.has(t.name))
              return {
                partitionIndex: p.partitionIndex,
                lowWatermark: -1,
                errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
              }
            try {
              const policy = d.cache.topic(t.name)?.config.get('cleanup.policy') ?? ''
              if (
                policy
                  .split(',')
                  .map((s) => s.trim())
                  .includes('compact') &&
                !policy.includes('delete')
              ) {
                throw new KafkaError(
                  ErrorCode.POLICY_VIOLATION,
                  `Records of partitions of topic ${t.name} can be deleted only if the topic has a cleanup.policy that includes delete`,
                )
              }
              const { lowWatermark } = d.replicas.deleteRecords(t.name, p.partitionIndex, p.offset)
              return { partitionIndex: p.partitionIndex, lowWatermark, errorCode: ErrorCode.NONE }
            } catch (e) {
              return { partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: toErrorCode(e) }
            }
          }),
        })),
      }
    },
  })
}
