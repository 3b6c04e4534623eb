/**
 * DescribeTransactions (65), v0 (KIP-664, kafka-transactions.sh describe): the state of transactional ids this
 * broker coordinates — state, producer id and epoch, timeout, start time and the partitions of the open
 * transaction. Ids of other coordinators get NOT_COORDINATOR, unknown (or expiring) ones
 * TRANSACTIONAL_ID_NOT_FOUND. Not implemented: authorization (TransactionalId Describe).
 */
import { Apis } from '../protocol/messages/index.js'
import type { Services } from '../services/services.js'
import { defineHandler, type Handler } from './handler.js'

export const DescribeTransactionsApi = Apis.DescribeTransactions

export function describeTransactionsHandler(d: Pick<Services, 'transactions'>): Handler {
  return defineHandler(DescribeTransactionsApi, {
    handle(req) {
      return {
        throttleTimeMs: 0,
        transactionStates: req.transactionalIds.map((id) => d.transactions.handleDescribeTransactions(id)),
      }
    },
  })
}
