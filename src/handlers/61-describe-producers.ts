/**
 * DescribeProducers (61), v0: the active idempotent producers of partitions this broker leads (producer id,
 * epoch, last sequence and timestamp), as kafka-transactions.sh --describe-producers shows them.
 */
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode, toErrorCode, toErrorMessage } from '../protocol/errors.js'
import type { Services } from '../services/services.js'
import { defineHandler, type Handler } from './handler.js'

export const DescribeProducersApi = Apis.DescribeProducers

export function describeProducersHandler(d: Pick<Services, 'replicas'>): Handler {
  return defineHandler(DescribeProducersApi, {
    handle(req) {
      return {
        throttleTimeMs: 0,
        topics: req.topics.map((t) => ({
          name: t.name,
          partitions: t.partitionIndexes.map((partitionIndex) => {
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
