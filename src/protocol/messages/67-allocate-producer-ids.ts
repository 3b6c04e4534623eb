import { int16, int32, int64, message } from '../codec/schema.js'
import { api } from '../api.js'

// Version 0 (KIP-730) is the only version and is flexible from the start (broker to controller).
export const AllocateProducerIdsRequest = message({
  name: 'AllocateProducerIdsRequest',
  kind: 'request',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [int32('brokerId'), int64('brokerEpoch', { default: -1 })],
})

export const AllocateProducerIdsResponse = message({
  name: 'AllocateProducerIdsResponse',
  kind: 'response',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [int32('throttleTimeMs'), int16('errorCode'), int64('producerIdStart'), int32('producerIdLen')],
})

export const AllocateProducerIds = api({
  key: 67,
  request: AllocateProducerIdsRequest,
  response: AllocateProducerIdsResponse,
})
