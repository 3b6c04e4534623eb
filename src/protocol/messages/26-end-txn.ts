import { bool, int16, int32, int64, message, string } from '../codec/schema.js'
import { api } from '../api.js'

// Version 2 may answer PRODUCER_FENCED. Version 3 is the first flexible version. Version 4 may answer
// TRANSACTION_ABORTABLE (KIP-890).
export const EndTxnRequest = message({
  name: 'EndTxnRequest',
  kind: 'request',
  validVersions: '0-4',
  flexibleVersions: '3+',
  fields: [string('transactionalId'), int64('producerId'), int16('producerEpoch'), bool('committed')],
})

export const EndTxnResponse = message({
  name: 'EndTxnResponse',
  kind: 'response',
  validVersions: '0-4',
  flexibleVersions: '3+',
  fields: [int32('throttleTimeMs'), int16('errorCode')],
})

export const EndTxn = api({
  key: 26,
  request: EndTxnRequest,
  response: EndTxnResponse,
})
