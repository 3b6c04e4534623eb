/**
 * DescribeTransactions (65), v0 (KIP-664, kafka-transactions.sh describe): the state of transactional ids this
 * broker coordinates — state, producer id and epoch, timeout, start time and the partitions of the open
 * transaction. Ids of other coordinators get NOT_COORDINATOR, unknown (or expiring) ones
 * TRANSACTIONAL_ID_NOT_FOUND.
 * Authorization: Describe on each transactional id (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED for it); only the
 * topics the principal may Describe are listed.
 */
import { Apis } from '../protocol/messages/index.js'
import type { Services } from '../services/services.js'
import { ErrorCode } from '../protocol/errors.js'
import { AclOperation, authorize, filterAuthorized, ResourceType } from './authz.js'
import { defineHandler, type Handler } from './handler.js'

export const DescribeTransactionsApi = Apis.DescribeTransactions

export function describeTransactionsHandler(d: Pick<Services, 'transactions' | 'authorizer'>): Handler {
  return defineHandler(DescribeTransactionsApi, {
    handle(req, ctx) {
      const a = d.authorizer
      return {
        throttleTimeMs: 0,
        transactionStates: req.transactionalIds.map((transactionalId) => {
          if (!authorize(a, ctx, AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, transactionalId))
            return { transactionalId, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, topics: [] }
          const state = d.transactions.handleDescribeTransactions(transactionalId)
          const visible = filterAuthorized(
            a,
            ctx,
            AclOperation.DESCRIBE,
            ResourceType.TOPIC,
            state.topics.map((t) => t.topic),
          )
          return { ...state, topics: state.topics.filter((t) => visible.has(t.topic)) }
        }),
      }
    },
  })
}
