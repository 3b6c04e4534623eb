import { array, bool, int16, int32, int64, message, string, T } from '../codec/schema.js'
import { api } from '../api.js'

const txnTopic = [string('name'), array('partitions', T.int32)] as const

// Version 2 may answer PRODUCER_FENCED. Version 3 is the first flexible version. Version 4 batches several
// transactions in one request and adds verifyOnly; versions 0-3 are what clients send, 4+ what brokers send
// to the transaction coordinator. Version 5 may answer TRANSACTION_ABORTABLE (KIP-890).
export const AddPartitionsToTxnRequest = message({
  name: 'AddPartitionsToTxnRequest',
  kind: 'request',
  validVersions: '0-5',
  flexibleVersions: '3+',
  fields: [
    array(
      'transactions',
      [
        string('transactionalId', '4+'),
        int64('producerId', '4+'),
        int16('producerEpoch', '4+'),
        bool('verifyOnly', { versions: '4+', default: false }),
        array('topics', txnTopic, '4+'),
      ],
      '4+',
    ),
    string('v3AndBelowTransactionalId', '0-3'),
    int64('v3AndBelowProducerId', '0-3'),
    int16('v3AndBelowProducerEpoch', '0-3'),
    array('v3AndBelowTopics', txnTopic, '0-3'),
  ],
})

const txnTopicResult = [
  string('name'),
  array('resultsByPartition', [int32('partitionIndex'), int16('partitionErrorCode')]),
] as const

// Version 4 adds a top-level error code and groups the results by transaction.
export const AddPartitionsToTxnResponse = message({
  name: 'AddPartitionsToTxnResponse',
  kind: 'response',
  validVersions: '0-5',
  flexibleVersions: '3+',
  fields: [
    int32('throttleTimeMs'),
    int16('errorCode', '4+'),
    array(
      'resultsByTransaction',
      [string('transactionalId', '4+'), array('topicResults', txnTopicResult, '4+')],
      '4+',
    ),
    array('resultsByTopicV3AndBelow', txnTopicResult, '0-3'),
  ],
})

export const AddPartitionsToTxn = api({
  key: 24,
  request: AddPartitionsToTxnRequest,
  response: AddPartitionsToTxnResponse,
  errorResponse: {
    // Below v4 per partition; from v4 only the top-level error code.
    set: { errorCode: 'code' },
    mirror: {
      resultsByTopicV3AndBelow: {
        from: 'v3AndBelowTopics',
        set: { name: { copy: 'name' } },
        mirror: {
          resultsByPartition: {
            from: 'partitions',
            set: { partitionIndex: { copy: '.' }, partitionErrorCode: 'code' },
          },
        },
      },
    },
  },
})
