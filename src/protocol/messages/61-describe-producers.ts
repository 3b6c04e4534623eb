import { array, int16, int32, int64, message, string, T } from '../codec/schema.js'
import { api } from '../api.js'
import { perPartition } from '../error-response.js'

// Version 0 (KIP-664) is the only version in Kafka 3.9 and is flexible from the start.
export const DescribeProducersRequest = message({
  name: 'DescribeProducersRequest',
  kind: 'request',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [array('topics', [string('name'), array('partitionIndexes', T.int32)])],
})

export const DescribeProducersResponse = message({
  name: 'DescribeProducersResponse',
  kind: 'response',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    int32('throttleTimeMs'),
    array('topics', [
      string('name'),
      array('partitions', [
        int32('partitionIndex'),
        int16('errorCode'),
        string('errorMessage', { nullable: '0+', default: null }),
        array('activeProducers', [
          int64('producerId'),
          int32('producerEpoch'),
          int32('lastSequence', { default: -1 }),
          int64('lastTimestamp', { default: -1 }),
          int32('coordinatorEpoch'),
          int64('currentTxnStartOffset', { default: -1 }),
        ]),
      ]),
    ]),
  ],
})

export const DescribeProducers = api({
  key: 61,
  request: DescribeProducersRequest,
  response: DescribeProducersResponse,
  errorResponse: {
    mirror: perPartition({ errorCode: 'code' }, { fromPartitions: 'partitionIndexes', fromIndex: '.' }),
  },
})
