/**
 * ListTransactions (66), v0-1 (KIP-664, kafka-transactions.sh list): the transactional ids this broker
 * coordinates, filtered by state names (unknown names are echoed in unknown_state_filters), producer ids and
 * (v1, KIP-994) a minimum running time in ms (-1: none). COORDINATOR_LOAD_IN_PROGRESS while a
 * `__transaction_state` partition is loading.
 * Authorization: only the transactional ids the principal may Describe are listed.
 */
import { Apis } from '../protocol/messages/index.js'
import type { Services } from '../services/services.js'
import { AclOperation, authorize, ResourceType } from './authz.js'
import { defineHandler, type Handler } from './handler.js'

export const ListTransactionsApi = Apis.ListTransactions

export function listTransactionsHandler(d: Pick<Services, 'transactions' | 'authorizer'>): Handler {
  return defineHandler(ListTransactionsApi, {
    handle(req, ctx) {
      const r = d.transactions.handleListTransactions(
        new Set(req.producerIdFilters),
        new Set(req.stateFilters),
        ctx.apiVersion >= 1 ? req.durationFilter : -1,
      )
      const shown = r.transactionStates.filter((t) =>
        authorize(d.authorizer, ctx, AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, t.transactionalId),
      )
      return { throttleTimeMs: 0, ...r, transactionStates: shown }
    },
  })
}
