/**
 * InitProducerId (22), v0-5, served by the transaction coordinator (KafkaApis.handleInitProducerIdRequest).
 * Without a transactional id (idempotent producers) any broker hands out a new producer id with epoch 0, from
 * blocks claimed in ZooKeeper — also when an existing id/epoch is passed, exactly as Kafka "blindly accepts"
 * non-transactional requests. With one, the request goes to the id's coordinator: a new id for an unknown
 * transactional id, else the next epoch (fencing older producers, aborting their open transaction first).
 *
 * Version notes: v1 is the same as v0; v2 flexible; v3 the producer's current id and epoch (KIP-360: -1/-1 for
 * none, one without the other is INVALID_REQUEST); v4 may answer PRODUCER_FENCED (older versions get
 * INVALID_PRODUCER_EPOCH instead); v5 the same as v4.
 * Authorization: Write on the transactional id (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED); an idempotent producer
 * needs IdempotentWrite on the cluster or Write on at least one topic (else CLUSTER_AUTHORIZATION_FAILED).
 */
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode, KafkaError } from '../protocol/errors.js'
import type { Services } from '../services/services.js'
import { AclOperation, authorize, authorizeByResourceType, authorizeCluster, ResourceType } from './authz.js'
import { defineHandler, type Handler } from './handler.js'

export const InitProducerIdApi = Apis.InitProducerId

export function initProducerIdHandler(d: Pick<Services, 'transactions' | 'authorizer'>): Handler {
  return defineHandler(InitProducerIdApi, {
    async handle(req, ctx) {
      const a = d.authorizer
      if (req.transactionalId !== null) {
        if (!authorize(a, ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId))
          throw new KafkaError(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
      } else if (
        !authorizeCluster(a, ctx, AclOperation.IDEMPOTENT_WRITE, { logIfDenied: false }) &&
        !authorizeByResourceType(a, ctx, AclOperation.WRITE, ResourceType.TOPIC)
      ) {
        throw new KafkaError(ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
      }
      const failed = (errorCode: number) => ({
        throttleTimeMs: 0,
        errorCode,
        producerId: -1,
        producerEpoch: -1,
      })
      const noId = req.producerId === -1
      const noEpoch = req.producerEpoch === -1
      if (noId !== noEpoch) return failed(ErrorCode.INVALID_REQUEST)
      const expected = noId ? undefined : { producerId: req.producerId, producerEpoch: req.producerEpoch }
      const r = await d.transactions.handleInitProducerId(
        req.transactionalId,
        req.transactionTimeoutMs,
        expected,
      )
      // clients before v4 do not know PRODUCER_FENCED
      const errorCode =
        ctx.apiVersion < 4 && r.error === ErrorCode.PRODUCER_FENCED
          ? ErrorCode.INVALID_PRODUCER_EPOCH
          : r.error
      return { throttleTimeMs: 0, errorCode, producerId: r.producerId, producerEpoch: r.producerEpoch }
    },
  })
}
