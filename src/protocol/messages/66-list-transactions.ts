import { array, int16, int32, int64, message, string, T } from '../codec/schema.js'
import { api } from '../api.js'

// Version 0 (KIP-664) is flexible from the start.
// Version 1 adds DurationFilter (KIP-994): only transactions running longer than it, -1 = no filter.
export const ListTransactionsRequest = message({
  name: 'ListTransactionsRequest',
  kind: 'request',
  validVersions: '0-1',
  flexibleVersions: '0+',
  fields: [
    array('stateFilters', T.string),
    array('producerIdFilters', T.int64),
    int64('durationFilter', { versions: '1+', default: -1 }),
  ],
})

// Version 1 is the same as version 0.
export const ListTransactionsResponse = message({
  name: 'ListTransactionsResponse',
  kind: 'response',
  validVersions: '0-1',
  flexibleVersions: '0+',
  fields: [
    int32('throttleTimeMs'),
    int16('errorCode'),
    array('unknownStateFilters', T.string),
    array('transactionStates', [string('transactionalId'), int64('producerId'), string('transactionState')]),
  ],
})

export const ListTransactions = api({
  key: 66,
  request: ListTransactionsRequest,
  response: ListTransactionsResponse,
})
