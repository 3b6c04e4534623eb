/**
 * DescribeProducers (61), v0: the active idempotent producers of partitions this broker leads (producer id,
 * epoch, last sequence and timestamp), as kafka-transactions.sh --describe-producers shows them.
 * Authorization: Read on the topic (else TOPIC_AUTHORIZATION_FAILED).
 */
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode, errorInfo, toErrorCode, toErrorMessage } from '../protocol/errors.js'
import type { Services } from '../services/services.js'
import { AclOperation, authorizedTopics } from './authz.js'
import { defineHandler, type Handler } from './handler.js'

export const DescribeProducersApi = Apis.DescribeProducers

export function describeProducersHandler(d: Pick<Services, 'replicas' | 'authorizer'>): Handler {
  return defineHandler(DescribeProducersApi, {
    handle(req, ctx) {
      const readable = authorizedTopics(d.authorizer, ctx, AclOperation.READ, req.topics)
      const denied = ErrorCode.TOPIC_AUTHORIZATION_FAILED
      return {
        throttleTimeMs: 0,
        topics: req.topics.map((t) => ({
          name: t.name,
          partitions: t.partitionIndexes.map((partitionIndex) => {
            if (!readable.has(t.name))
              return {
                partitionIndex,
                errorCode: denied,
                errorMessage: errorInfo(denied).message,
                activeProducers: [],
              }
            try {
              const { log } = d.replicas.leaderLog(t.name, partitionIndex)
              return {
                partitionIndex,
                errorCode: ErrorCode.NONE,
                errorMessage: null,
                activeProducers: log.activeProducers().map((p) => ({
                  producerId: p.producerId,
                  producerEpoch: p.producerEpoch,
                  lastSequence: p.lastSequence,
                  lastTimestamp: p.lastTimestamp,
                  coordinatorEpoch: p.coordinatorEpoch,
                  currentTxnStartOffset: p.currentTxnFirstOffset,
                })),
              }
            } catch (e) {
              return {
                partitionIndex,
                errorCode: toErrorCode(e),
                errorMessage: toErrorMessage(e),
                activeProducers: [],
              }
            }
          }),
        })),
      }
    },
  })
}
