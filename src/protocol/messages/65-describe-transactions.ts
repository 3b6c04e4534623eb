import { array, int16, int32, int64, message, string, T } from '../codec/schema.js'
import { api } from '../api.js'

// Version 0 (KIP-664) is the only version in Kafka 3.9 and is flexible from the start.
export const DescribeTransactionsRequest = message({
  name: 'DescribeTransactionsRequest',
  kind: 'request',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [array('transactionalIds', T.string)],
})

export const DescribeTransactionsResponse = message({
  name: 'DescribeTransactionsResponse',
  kind: 'response',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    int32('throttleTimeMs'),
    array('transactionStates', [
      int16('errorCode'),
      string('transactionalId'),
      string('transactionState'),
      int32('transactionTimeoutMs'),
      int64('transactionStartTimeMs'),
      int64('producerId'),
      int16('producerEpoch'),
      array('topics', [string('topic'), array('partitions', T.int32)]),
    ]),
  ],
})

export const DescribeTransactions = api({
  key: 65,
  request: DescribeTransactionsRequest,
  response: DescribeTransactionsResponse,
  errorResponse: {
    mirror: {
      transactionStates: {
        from: 'transactionalIds',
        set: { transactionalId: { copy: '.' }, errorCode: 'code' },
      },
    },
  },
})
