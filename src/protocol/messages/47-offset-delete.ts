import { array, int16, int32, message, string } from '../codec/schema.js'
import { api } from '../api.js'

// Version 0 (KIP-496) is the only version in Kafka 3.9; it has no flexible version.
export const OffsetDeleteRequest = message({
  name: 'OffsetDeleteRequest',
  kind: 'request',
  validVersions: '0',
  flexibleVersions: 'none',
  fields: [
    string('groupId'),
    array('topics', [string('name'), array('partitions', [int32('partitionIndex')])]),
  ],
})

// Note that the top-level error code comes before the throttle time in this response.
export const OffsetDeleteResponse = message({
  name: 'OffsetDeleteResponse',
  kind: 'response',
  validVersions: '0',
  flexibleVersions: 'none',
  fields: [
    int16('errorCode'),
    int32('throttleTimeMs'),
    array('topics', [string('name'), array('partitions', [int32('partitionIndex'), int16('errorCode')])]),
  ],
})

export const OffsetDelete = api({
  key: 47,
  request: OffsetDeleteRequest,
  response: OffsetDeleteResponse,
})
