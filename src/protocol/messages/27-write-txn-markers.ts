import { array, bool, int16, int32, int64, message, string, T } from '../codec/schema.js'

// Sent by the transaction coordinator to partition leaders. Version 1 is the first flexible version.
export const WriteTxnMarkersRequest = message({
  name: 'WriteTxnMarkersRequest',
  apiKey: 27,
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
  apiKey: 27,
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
