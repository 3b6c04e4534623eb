import { array, bool, int16, int32, int64, message, string, T } from '../codec/schema.js'
import { api } from '../api.js'

// Version 1 adds the broker epoch and groups partitions by topic. Version 2 is the first flexible version.
// Version 3 replaces DeletePartitions with per-partition state carrying the leader epoch (KIP-570).
// Version 4 adds isKRaftController (KIP-866, ZooKeeper migration).
export const StopReplicaRequest = message({
  name: 'StopReplicaRequest',
  kind: 'request',
  validVersions: '0-4',
  flexibleVersions: '2+',
  fields: [
    int32('controllerId'),
    bool('isKRaftController', { versions: '4+', default: false }),
    int32('controllerEpoch'),
    int64('brokerEpoch', { versions: '1+', default: -1 }),
    bool('deletePartitions', '0-2'),
    array('ungroupedPartitions', [string('topicName', '0'), int32('partitionIndex', '0')], '0'),
    array('topics', [string('name', '1-2'), array('partitionIndexes', T.int32, '1-2')], '1-2'),
    array(
      'topicStates',
      [
        string('topicName', '3+'),
        array(
          'partitionStates',
          [
            int32('partitionIndex', '3+'),
            int32('leaderEpoch', { versions: '3+', default: -1 }),
            bool('deletePartition', '3+'),
          ],
          '3+',
        ),
      ],
      '3+',
    ),
  ],
})

// Version 1 is the same as 0. Version 2 is the first flexible version. Version 3 may return FENCED_LEADER_EPOCH.
// Version 4 is the same as 3.
export const StopReplicaResponse = message({
  name: 'StopReplicaResponse',
  kind: 'response',
  validVersions: '0-4',
  flexibleVersions: '2+',
  fields: [
    int16('errorCode'),
    array('partitionErrors', [string('topicName'), int32('partitionIndex'), int16('errorCode')]),
  ],
})

export const StopReplica = api({
  key: 5,
  request: StopReplicaRequest,
  response: StopReplicaResponse,
  errorResponse: {
    set: { errorCode: 'code' },
    mirror: {
      partitionErrors: [
        {
          from: 'ungroupedPartitions',
          set: {
            topicName: { copy: 'topicName' },
            partitionIndex: { copy: 'partitionIndex' },
            errorCode: 'code',
          },
        },
        {
          from: 'topics.partitionIndexes',
          set: { topicName: { copy: 'name' }, partitionIndex: { copy: '.' }, errorCode: 'code' },
        },
        {
          from: 'topicStates.partitionStates',
          set: {
            topicName: { copy: 'topicName' },
            partitionIndex: { copy: 'partitionIndex' },
            errorCode: 'code',
          },
        },
      ],
    },
  },
})
