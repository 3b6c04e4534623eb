import { array, int16, int32, int64, message, string, T, uuid } from '../codec/schema.js'
import { api } from '../api.js'

/** One partition's state as the controller sends it (Kafka's UpdateMetadataPartitionState). */
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

// The controller's view of the cluster, sent to every broker (ZooKeeper mode). Version 1 gives each broker a list of
// endpoints, version 2 its rack, version 3 the listener names; version 4 adds the offline replicas; version 5 the
// broker epoch and partitions grouped by topic; version 6 is the first flexible version; version 7 adds topic ids.
export const UpdateMetadataRequest = message({
  name: 'UpdateMetadataRequest',
  kind: 'request',
  validVersions: '0-7',
  flexibleVersions: '6+',
  fields: [
    int32('controllerId'),
    int32('controllerEpoch'),
    int64('brokerEpoch', { versions: '5+', default: -1 }),
    array('ungroupedPartitionStates', partitionState, '0-4'),
    array(
      'topicStates',
      [string('topicName'), uuid('topicId', '7+'), array('partitionStates', partitionState)],
      '5+',
    ),
    array('liveBrokers', [
      int32('id'),
      string('v0Host', '0'),
      int32('v0Port', '0'),
      array(
        'endpoints',
        [int32('port'), string('host'), string('listener', '3+'), int16('securityProtocol')],
        '1+',
      ),
      string('rack', { versions: '2+', nullable: '0+', default: null }),
    ]),
  ],
})

// Versions 1-7 are the same as version 0 (6+ flexible).
export const UpdateMetadataResponse = message({
  name: 'UpdateMetadataResponse',
  kind: 'response',
  validVersions: '0-7',
  flexibleVersions: '6+',
  fields: [int16('errorCode')],
})

export const UpdateMetadata = api({
  key: 6,
  request: UpdateMetadataRequest,
  response: UpdateMetadataResponse,
})
