/**
 * InitProducerId (22), v0-5. For idempotent producers (null transactional id) any broker hands out a new
 * producer id with epoch 0, from blocks claimed in ZooKeeper — also when an existing id/epoch is passed (v3+),
 * exactly as Kafka's coordinator "blindly accepts" non-transactional requests.
 * Transactions are not implemented: a transactional id is answered with COORDINATOR_NOT_AVAILABLE (and so is
 * FindCoordinator for transaction coordinators), which transactional producers report as a timeout.
 */
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode, KafkaError } from '../protocol/errors.js'
import type { Services } from '../services/services.js'
import { defineHandler, type Handler } from './handler.js'

export const InitProducerIdApi = Apis.InitProducerId

export function initProducerIdHandler(d: Pick<Services, 'producerIds' | 'log'>): Handler {
  return defineHandler(InitProducerIdApi, {
    async handle(req, ctx) {
      if (req.transactionalId !== null) {
        d.log.warn(
          `InitProducerId for transactional id ${req.transactionalId} from ${ctx.clientId}: transactions are not supported`,
        )
        throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE)
      }
      try {
        const producerId = await d.producerIds.generateProducerId()
        return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 }
      } catch (e) {
        // A failure to claim a block in ZooKeeper is retriable for the producer.
        if (e instanceof KafkaError) throw e
        d.log.error({ err: e }, 'Failed to allocate a producer id')
        throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE)
      }
    },
  })
}
