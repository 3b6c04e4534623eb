/**
 * EndTxn (26), v0-4 (KafkaApis.handleEndTxnRequest): the producer commits or aborts its transaction. The answer
 * comes once the decision (PrepareCommit/PrepareAbort) is in `__transaction_state`; the coordinator then writes
 * the markers to every partition of the transaction in the background.
 * Version notes: v2 may answer PRODUCER_FENCED (v0-1 get INVALID_PRODUCER_EPOCH); v3 flexible; v4 may answer
 * TRANSACTION_ABORTABLE.
 * Authorization: Write on the transactional id (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED).
 */
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode } from '../protocol/errors.js'
import type { Services } from '../services/services.js'
import { AclOperation, authorize, ResourceType } from './authz.js'
import { defineHandler, type Handler } from './handler.js'

export const EndTxnApi = Apis.EndTxn

export function endTxnHandler(d: Pick<Services, 'transactions' | 'authorizer'>): Handler {
  return defineHandler(EndTxnApi, {
    async handle(req, ctx) {
      if (
        !authorize(d.authorizer, ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId)
      )
        return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED }
      const error = await d.transactions.handleEndTransaction(
        req.transactionalId,
        req.producerId,
        req.producerEpoch,
        req.committed ? 'COMMIT' : 'ABORT',
      )
      const errorCode =
        ctx.apiVersion < 2 && error === ErrorCode.PRODUCER_FENCED ? ErrorCode.INVALID_PRODUCER_EPOCH : error
      return { throttleTimeMs: 0, errorCode }
    },
  })
}
