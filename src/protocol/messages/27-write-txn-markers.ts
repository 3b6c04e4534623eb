import { array, bool, int16, int32, int64, message, string, T } from '../codec/schema.js'
import { api } from '../api.js'
import { perPartition } from '../error-response.js'

// Sent by the transaction coordinator to partition leaders. Version 1 is the first flexible version.
export const WriteTxnMarkersRequest = message({
  name: 'WriteTxnMarkersRequest',
  kind: 'request',
  validVersions: '0-1',
  flexibleVersions: '1+',
  fields: [
    array('markers', [
      int64('producerId'),
      int16('producerEpoch'),
      bool('transactionResult'),
      array('topics', [string('name'), array('partitionIndexes', T.int32)]),
      int32('coordinatorEpoch'),
    ]),
  ],
})

export const WriteTxnMarkersResponse = message({
  name: 'WriteTxnMarkersResponse',
  kind: 'response',
  validVersions: '0-1',
  flexibleVersions: '1+',
  fields: [
    array('markers', [
      int64('producerId'),
      array('topics', [string('name'), array('partitions', [int32('partitionIndex'), int16('errorCode')])]),
    ]),
  ],
})

export const WriteTxnMarkers = api({
  key: 27,
  request: WriteTxnMarkersRequest,
  response: WriteTxnMarkersResponse,
  errorResponse: {
    mirror: {
      markers: {
        from: 'markers',
        set: { producerId: { copy: 'producerId' } },
        mirror: perPartition({ errorCode: 'code' }, { fromPartitions: 'partitionIndexes', fromIndex: '.' }),
      },
    },
  },
})
