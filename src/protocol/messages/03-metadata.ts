import { array, bool, int16, int32, message, string, T, uuid } from '../codec/schema.js'
import { api } from '../api.js'

// Version 0: an empty topic list means all topics. From version 1 a null list means all topics and an empty list none.
// Versions 2 and 3 are the same as 1. Version 4 adds AllowAutoTopicCreation. Versions 5-7 are the same as 4.
// Version 8 adds the authorized-operations flags. Version 9 is the first flexible version.
// Version 10 adds topic ids (and lets a topic name be null). Version 11 drops IncludeClusterAuthorizedOperations
// (KIP-700). Version 12 supports lookups by topic id.
export const MetadataRequest = message({
  name: 'MetadataRequest',
  kind: 'request',
  validVersions: '0-12',
  flexibleVersions: '9+',
  fields: [
    array('topics', [uuid('topicId', '10+'), string('name', { nullable: '10+' })], { nullable: '1+' }),
    bool('allowAutoTopicCreation', { versions: '4+', default: true }),
    bool('includeClusterAuthorizedOperations', '8-10'),
    bool('includeTopicAuthorizedOperations', '8+'),
  ],
})

// Version 1 adds the broker rack, the controller id and IsInternal. Version 2 adds the cluster id.
// Version 3 adds throttle time. Version 4 is the same as 3. Version 5 adds OfflineReplicas. Version 6 is the same as 5.
// Version 7 adds the partition leader epoch. Version 8 adds authorized operations. Version 9 is the first flexible version.
// Version 10 adds topic ids. Version 11 drops ClusterAuthorizedOperations (KIP-700).
// Version 12 lets the topic name be null (topics looked up by id).
export const MetadataResponse = message({
  name: 'MetadataResponse',
  kind: 'response',
  validVersions: '0-12',
  flexibleVersions: '9+',
  fields: [
    int32('throttleTimeMs', '3+'),
    array('brokers', [
      int32('nodeId'),
      string('host'),
      int32('port'),
      string('rack', { versions: '1+', nullable: '1+', default: null }),
    ]),
    string('clusterId', { versions: '2+', nullable: '2+', default: null }),
    int32('controllerId', { versions: '1+', default: -1 }),
    array('topics', [
      int16('errorCode'),
      string('name', { nullable: '12+' }),
      uuid('topicId', '10+'),
      bool('isInternal', { versions: '1+', default: false }),
      array('partitions', [
        int16('errorCode'),
        int32('partitionIndex'),
        int32('leaderId'),
        int32('leaderEpoch', { versions: '7+', default: -1 }),
        array('replicaNodes', T.int32),
        array('isrNodes', T.int32),
        array('offlineReplicas', T.int32, '5+'),
      ]),
      int32('topicAuthorizedOperations', { versions: '8+', default: -2147483648 }),
    ]),
    int32('clusterAuthorizedOperations', { versions: '8-10', default: -2147483648 }),
  ],
})

export const Metadata = api({
  key: 3,
  request: MetadataRequest,
  response: MetadataResponse,
  errorResponse: {
    mirror: {
      topics: {
        from: 'topics',
        set: {
          name: { copy: 'name', ifNull: '' },
          topicId: { copy: 'topicId' },
          errorCode: 'code',
          isInternal: { value: false },
        },
      },
    },
  },
})
