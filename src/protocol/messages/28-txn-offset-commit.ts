import { array, int16, int32, int64, message, string } from '../codec/schema.js'
import { api } from '../api.js'
import { perPartition } from '../error-response.js'

// Version 2 adds the committed leader epoch. Version 3 is the first flexible version and adds the member
// id, group instance id and generation (KIP-447). Version 4 may answer TRANSACTION_ABORTABLE (KIP-890).
export const TxnOffsetCommitRequest = message({
  name: 'TxnOffsetCommitRequest',
  kind: 'request',
  validVersions: '0-4',
  flexibleVersions: '3+',
  fields: [
    string('transactionalId'),
    string('groupId'),
    int64('producerId'),
    int16('producerEpoch'),
    int32('generationId', { versions: '3+', default: -1 }),
    string('memberId', { versions: '3+', default: '' }),
    string('groupInstanceId', { versions: '3+', nullable: '3+', default: null }),
    array('topics', [
      string('name'),
      array('partitions', [
        int32('partitionIndex'),
        int64('committedOffset'),
        int32('committedLeaderEpoch', { versions: '2+', default: -1 }),
        string('committedMetadata', { nullable: '0+' }),
      ]),
    ]),
  ],
})

export const TxnOffsetCommitResponse = message({
  name: 'TxnOffsetCommitResponse',
  kind: 'response',
  validVersions: '0-4',
  flexibleVersions: '3+',
  fields: [
    int32('throttleTimeMs'),
    array('topics', [string('name'), array('partitions', [int32('partitionIndex'), int16('errorCode')])]),
  ],
})

export const TxnOffsetCommit = api({
  key: 28,
  request: TxnOffsetCommitRequest,
  response: TxnOffsetCommitResponse,
  errorResponse: { mirror: perPartition({ errorCode: 'code' }) },
})
