import { int16, int32, int64, message, string } from '../codec/schema.js'
import { api } from '../api.js'

// Version 2 may answer PRODUCER_FENCED. Version 3 is the first flexible version. Version 4 may answer
// TRANSACTION_ABORTABLE (KIP-890).
export const AddOffsetsToTxnRequest = message({
  name: 'AddOffsetsToTxnRequest',
  kind: 'request',
  validVersions: '0-4',
  flexibleVersions: '3+',
  fields: [string('transactionalId'), int64('producerId'), int16('producerEpoch'), string('groupId')],
})

export const AddOffsetsToTxnResponse = message({
  name: 'AddOffsetsToTxnResponse',
  kind: 'response',
  validVersions: '0-4',
  flexibleVersions: '3+',
  fields: [int32('throttleTimeMs'), int16('errorCode')],
})

export const AddOffsetsToTxn = api({
  key: 25,
  request: AddOffsetsToTxnRequest,
  response: AddOffsetsToTxnResponse,
})
