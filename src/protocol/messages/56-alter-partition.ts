import { array, int16, int32, int64, int8, message, string, T, uuid } from '../codec/schema.js'
import { api } from '../api.js'

// Version 0 (KIP-497, was AlterIsr) is flexible from the start.
// Version 1 adds LeaderRecoveryState (KIP-704).
// Version 2 identifies topics by id instead of name (KIP-841).
// Version 3 replaces NewIsr with NewIsrWithEpochs, the ISR with each broker's epoch (KIP-903).
export const AlterPartitionRequest = message({
  name: 'AlterPartitionRequest',
  kind: 'request',
  validVersions: '0-3',
  flexibleVersions: '0+',
  fields: [
    int32('brokerId'),
    int64('brokerEpoch', { default: -1 }),
    array('topics', [
      string('topicName', '0-1'),
      uuid('topicId', '2+'),
      array('partitions', [
        int32('partitionIndex'),
        int32('leaderEpoch'),
        array('newIsr', T.int32, '0-2'),
        array(
          'newIsrWithEpochs',
          [int32('brokerId', '3+'), int64('brokerEpoch', { versions: '3+', default: -1 })],
          '3+',
        ),
        int8('leaderRecoveryState', { versions: '1+', default: 0 }),
        int32('partitionEpoch'),
      ]),
    ]),
  ],
})

// Version 1 adds LeaderRecoveryState; version 2 identifies topics by id; version 3 is the same as version 2.
export const AlterPartitionResponse = message({
  name: 'AlterPartitionResponse',
  kind: 'response',
  validVersions: '0-3',
  flexibleVersions: '0+',
  fields: [
    int32('throttleTimeMs'),
    int16('errorCode'),
    array('topics', [
      string('topicName', '0-1'),
      uuid('topicId', '2+'),
      array('partitions', [
        int32('partitionIndex'),
        int16('errorCode'),
        int32('leaderId'),
        int32('leaderEpoch'),
        array('isr', T.int32),
        int8('leaderRecoveryState', { versions: '1+', default: 0 }),
        int32('partitionEpoch'),
      ]),
    ]),
  ],
})

export const AlterPartition = api({
  key: 56,
  request: AlterPartitionRequest,
  response: AlterPartitionResponse,
})
