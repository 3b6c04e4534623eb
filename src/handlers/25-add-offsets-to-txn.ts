/**
 * AddOffsetsToTxn (25), v0-4 (KafkaApis.handleAddOffsetsToTxnRequest): a transactional producer that will
 * commit a consumer group's offsets in its transaction (sendOffsetsToTransaction) adds the group's
 * `__consumer_offsets` partition to the transaction, so that its COMMIT or ABORT marker reaches the offsets.
 * Version notes: v2 may answer PRODUCER_FENCED (v0-1 get INVALID_PRODUCER_EPOCH); v3 flexible; v4 may answer
 * TRANSACTION_ABORTABLE.
 * Authorization: Write on the transactional id (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED), then Read on the group
 * (else GROUP_AUTHORIZATION_FAILED).
 */
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode } from '../protocol/errors.js'
import { OFFSETS_TOPIC } from '../services/metadata/topic-admin.js'
import type { Services } from '../services/services.js'
import { AclOperation, authorize, ResourceType } from './authz.js'
import { defineHandler, type Handler } from './handler.js'

export const AddOffsetsToTxnApi = Apis.AddOffsetsToTxn

export function addOffsetsToTxnHandler(d: Pick<Services, 'transactions' | 'groups' | 'authorizer'>): Handler {
  return defineHandler(AddOffsetsToTxnApi, {
    async handle(req, ctx) {
      const a = d.authorizer
      if (!authorize(a, ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId))
        return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED }
      if (!authorize(a, ctx, AclOperation.READ, ResourceType.GROUP, req.groupId))
        return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED }
      const offsetsPartition = { topic: OFFSETS_TOPIC, partition: d.groups.partitionFor(req.groupId) }
      const error = await d.transactions.handleAddPartitionsToTransaction(
        req.transactionalId,
        req.producerId,
        req.producerEpoch,
        [offsetsPartition],
      )
      const errorCode =
        ctx.apiVersion < 2 && error === ErrorCode.PRODUCER_FENCED ? ErrorCode.INVALID_PRODUCER_EPOCH : error
      return { throttleTimeMs: 0, errorCode }
    },
  })
}
