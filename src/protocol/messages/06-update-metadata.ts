import { array, bool, int16, int32, int64, int8, message, string, T, uuid } from '../codec/schema.js'
import { api } from '../api.js'

const partitionState = [
  string('topicName', '0-4'),
  int32('partitionIndex'),
  int32('controllerEpoch'),
  int32('leader'),
  int32('leaderEpoch'),
  array('isr', T.int32),
  int32('zkVersion'),
  array('replicas', T.int32),
  array('offlineReplicas', T.int32, '4+'),
] as const

// Version 1 gives each broker a list of endpoints. Version 2 adds the rack. Version 3 adds the listener name.
// Version 4 adds offline replicas. Version 5 adds the broker epoch and groups partitions by topic.
// Version 6 is the first flexible version. Version 7 adds the topic id.
// Version 8 adds isKRaftController and the tagged Type (KIP-866, ZooKeeper migration).
export const UpdateMetadataRequest = message({
  name: 'UpdateMetadataRequest',
  kind: 'request',
  validVersions: '0-8',
  flexibleVersions: '6+',
  fields: [
    int32('controllerId'),
    bool('isKRaftController', { versions: '8+', default: false }),
    int8('type', { versions: '8+', default: 0, tag: 0 }),
    int32('controllerEpoch'),
    int64('brokerEpoch', { versions: '5+', default: -1 }),
    array('ungroupedPartitionStates', partitionState, '0-4'),
    array(
      'topicStates',
      [string('topicName', '5+'), uuid('topicId', '7+'), array('partitionStates', partitionState, '5+')],
      '5+',
    ),
    array('liveBrokers', [
      int32('id'),
      string('v0Host', '0'),
      int32('v0Port', '0'),
      array(
        'endpoints',
        [
          int32('port', '1+'),
          string('host', '1+'),
          string('listener', '3+'),
          int16('securityProtocol', '1+'),
        ],
        '1+',
      ),
      string('rack', { versions: '2+', nullable: '0+' }),
    ]),
  ],
})

// Versions 1-8 are the same as version 0 (6+ flexible).
export const UpdateMetadataResponse = message({
  name: 'UpdateMetadataResponse',
  kind: 'response',
  validVersions: '0-8',
  flexibleVersions: '6+',
  fields: [int16('errorCode')],
})

export const UpdateMetadata = api({
  key: 6,
  request: UpdateMetadataRequest,
  response: UpdateMetadataResponse,
})
