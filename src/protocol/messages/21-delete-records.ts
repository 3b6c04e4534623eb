import { array, int16, int32, int64, message, string } from '../codec/schema.js'
import { api } from '../api.js'
import { perPartition } from '../error-response.js'

// Version 1 is the same as version 0. Version 2 is the first flexible version.
export const DeleteRecordsRequest = message({
  name: 'DeleteRecordsRequest',
  kind: 'request',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    array('topics', [string('name'), array('partitions', [int32('partitionIndex'), int64('offset')])]),
    int32('timeoutMs'),
  ],
})

export const DeleteRecordsResponse = message({
  name: 'DeleteRecordsResponse',
  kind: 'response',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    int32('throttleTimeMs'),
    array('topics', [
      string('name'),
      array('partitions', [int32('partitionIndex'), int64('lowWatermark'), int16('errorCode')]),
    ]),
  ],
})

export const DeleteRecords = api({
  key: 21,
  request: DeleteRecordsRequest,
  response: DeleteRecordsResponse,
  errorResponse: { mirror: perPartition({ lowWatermark: { value: -1 }, errorCode: 'code' }) },
})
