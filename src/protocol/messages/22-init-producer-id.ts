import { int16, int32, int64, message, string } from '../codec/schema.js'
import { api } from '../api.js'

// Version 2 is the first flexible version. Version 3 carries the current producer id and epoch so a
// producer can resume after an epoch error (KIP-360). Version 4 may answer PRODUCER_FENCED; version 5 may
// answer TRANSACTION_ABORTABLE (KIP-890). No field changes after version 3.
export const InitProducerIdRequest = message({
  name: 'InitProducerIdRequest',
  kind: 'request',
  validVersions: '0-5',
  flexibleVersions: '2+',
  fields: [
    string('transactionalId', { nullable: '0+' }),
    int32('transactionTimeoutMs'),
    int64('producerId', { versions: '3+', default: -1 }),
    int16('producerEpoch', { versions: '3+', default: -1 }),
  ],
})

export const InitProducerIdResponse = message({
  name: 'InitProducerIdResponse',
  kind: 'response',
  validVersions: '0-5',
  flexibleVersions: '2+',
  fields: [
    int32('throttleTimeMs'),
    int16('errorCode'),
    int64('producerId', { default: -1 }),
    int16('producerEpoch'),
  ],
})

export const InitProducerId = api({
  key: 22,
  request: InitProducerIdRequest,
  response: InitProducerIdResponse,
  errorResponse: { set: { errorCode: 'code', producerId: { value: -1 }, producerEpoch: { value: -1 } } },
})
