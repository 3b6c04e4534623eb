import { array, bool, int16, int32, int64, int8, message, string, T, uuid } from '../codec/schema.js'
import { api } from '../api.js'

// One partition's state; v0-v1 list partitions with their topic name, v2+ group them by topic.
const partitionState = [
  string('topicName', '0-1'),
  int32('partitionIndex'),
  int32('controllerEpoch'),
  int32('leader'),
  int32('leaderEpoch'),
  array('isr', T.int32),
  int32('partitionEpoch'),
  array('replicas', T.int32),
  array('addingReplicas', T.int32, '3+'),
  array('removingReplicas', T.int32, '3+'),
  bool('isNew', { versions: '1+', default: false }),
  int8('leaderRecoveryState', { versions: '6+', default: 0 }),
] as const

// Version 1 adds IsNew. Version 2 adds the broker epoch and groups partitions by topic.
// Version 3 adds AddingReplicas and RemovingReplicas. Version 4 is the first flexible version.
// Version 5 adds the topic id and Type (KIP-516). Version 6 adds LeaderRecoveryState (KIP-704).
// Version 7 adds isKRaftController (KIP-866, ZooKeeper migration).
export const LeaderAndIsrRequest = message({
  name: 'LeaderAndIsrRequest',
  kind: 'request',
  validVersions: '0-7',
  flexibleVersions: '4+',
  fields: [
    int32('controllerId'),
    bool('isKRaftController', { versions: '7+', default: false }),
    int32('controllerEpoch'),
    int64('brokerEpoch', { versions: '2+', default: -1 }),
    int8('type', '5+'),
    array('ungroupedPartitionStates', partitionState, '0-1'),
    array(
      'topicStates',
      [string('topicName', '2+'), uuid('topicId', '5+'), array('partitionStates', partitionState, '2+')],
      '2+',
    ),
    array('liveLeaders', [int32('brokerId'), string('hostName'), int32('port')]),
  ],
})

const partitionError = [string('topicName', '0-4'), int32('partitionIndex'), int16('errorCode')] as const

// Versions 1-3 are the same as 0 (new error codes). Version 4 is the first flexible version.
// Version 5 groups the partition errors by topic id (KIP-516). Versions 6 and 7 are the same as 5.
export const LeaderAndIsrResponse = message({
  name: 'LeaderAndIsrResponse',
  kind: 'response',
  validVersions: '0-7',
  flexibleVersions: '4+',
  fields: [
    int16('errorCode'),
    array('partitionErrors', partitionError, '0-4'),
    array('topics', [uuid('topicId', '5+'), array('partitionErrors', partitionError, '5+')], '5+'),
  ],
})

export const LeaderAndIsr = api({
  key: 4,
  request: LeaderAndIsrRequest,
  response: LeaderAndIsrResponse,
  errorResponse: {
    set: { errorCode: 'code' },
    mirror: {
      partitionErrors: [
        {
          from: 'ungroupedPartitionStates',
          set: {
            topicName: { copy: 'topicName' },
            partitionIndex: { copy: 'partitionIndex' },
            errorCode: 'code',
          },
        },
        {
          from: 'topicStates.partitionStates',
          versions: '2-4',
          set: {
            topicName: { copy: 'topicName' },
            partitionIndex: { copy: 'partitionIndex' },
            errorCode: 'code',
          },
        },
      ],
      topics: {
        from: 'topicStates',
        set: { topicId: { copy: 'topicId' } },
        mirror: {
          partitionErrors: {
            from: 'partitionStates',
            set: { partitionIndex: { copy: 'partitionIndex' }, errorCode: 'code' },
          },
        },
      },
    },
  },
})
