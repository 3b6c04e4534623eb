import {
  array,
  int16,
  int32,
  int64,
  int8,
  message,
  records,
  string,
  structField,
  T,
  uuid,
} from '../codec/schema.js'
import { api } from '../api.js'

// Version 1 is the same as version 0. Version 2 needs message format v1. Version 3 adds MaxBytes.
// Version 4 adds IsolationLevel (message format v2). Version 5 adds LogStartOffset. Version 6 is the same as 5.
// Version 7 adds incremental fetch sessions (KIP-227). Version 8 is the same as 7.
// Version 9 adds CurrentLeaderEpoch (KIP-320). Version 10 allows zstd. Version 11 adds RackId (KIP-392).
// Version 12 is the first flexible version: LastFetchedEpoch and the tagged ClusterId.
// Version 13 replaces topic names with topic ids (KIP-516). Version 14 is the same as 13 (KIP-405 error).
// Version 15 replaces ReplicaId with the tagged ReplicaState (KIP-903). Version 16 is the same as 15 (KIP-951).
// Version 17 adds the tagged ReplicaDirectoryId per partition (KIP-853).
export const FetchRequest = message({
  name: 'FetchRequest',
  kind: 'request',
  validVersions: '0-17',
  flexibleVersions: '12+',
  fields: [
    string('clusterId', { versions: '12+', nullable: '12+', default: null, tag: 0 }),
    int32('replicaId', { versions: '0-14', default: -1 }),
    structField(
      'replicaState',
      [
        int32('replicaId', { versions: '15+', default: -1 }),
        int64('replicaEpoch', { versions: '15+', default: -1 }),
      ],
      { versions: '15+', tag: 1 },
    ),
    int32('maxWaitMs'),
    int32('minBytes'),
    int32('maxBytes', { versions: '3+', default: 0x7fffffff }),
    int8('isolationLevel', { versions: '4+', default: 0 }),
    int32('sessionId', { versions: '7+', default: 0 }),
    int32('sessionEpoch', { versions: '7+', default: -1 }),
    array('topics', [
      string('topic', '0-12'),
      uuid('topicId', '13+'),
      array('partitions', [
        int32('partition'),
        int32('currentLeaderEpoch', { versions: '9+', default: -1 }),
        int64('fetchOffset'),
        int32('lastFetchedEpoch', { versions: '12+', default: -1 }),
        int64('logStartOffset', { versions: '5+', default: -1 }),
        int32('partitionMaxBytes'),
        uuid('replicaDirectoryId', { versions: '17+', tag: 0 }),
      ]),
    ]),
    array(
      'forgottenTopicsData',
      [string('topic', '7-12'), uuid('topicId', '13+'), array('partitions', T.int32, '7+')],
      {
        versions: '7+',
      },
    ),
    string('rackId', { versions: '11+', default: '' }),
  ],
})

// Version 1 adds throttle time. Versions 2 and 3 are the same as 1. Version 4 adds LastStableOffset and
// AbortedTransactions. Version 5 adds LogStartOffset. Versions 6 and 8-10 are the same (new errors, zstd).
// Version 7 adds the top-level ErrorCode and SessionId. Version 11 adds PreferredReadReplica.
// Version 12 is the first flexible version, with the tagged DivergingEpoch, CurrentLeader and SnapshotId.
// Version 13 uses topic ids. Versions 14 and 15 are the same as 13.
// Version 16 adds the tagged top-level NodeEndpoints (KIP-951). Version 17 is the same as 16.
export const FetchResponse = message({
  name: 'FetchResponse',
  kind: 'response',
  validVersions: '0-17',
  flexibleVersions: '12+',
  fields: [
    int32('throttleTimeMs', '1+'),
    int16('errorCode', '7+'),
    int32('sessionId', { versions: '7+', default: 0 }),
    array('responses', [
      string('topic', '0-12'),
      uuid('topicId', '13+'),
      array('partitions', [
        int32('partitionIndex'),
        int16('errorCode'),
        int64('highWatermark'),
        int64('lastStableOffset', { versions: '4+', default: -1 }),
        int64('logStartOffset', { versions: '5+', default: -1 }),
        structField(
          'divergingEpoch',
          [
            int32('epoch', { versions: '12+', default: -1 }),
            int64('endOffset', { versions: '12+', default: -1 }),
          ],
          { versions: '12+', tag: 0 },
        ),
        structField(
          'currentLeader',
          [
            int32('leaderId', { versions: '12+', default: -1 }),
            int32('leaderEpoch', { versions: '12+', default: -1 }),
          ],
          { versions: '12+', tag: 1 },
        ),
        structField(
          'snapshotId',
          [
            int64('endOffset', { versions: '0+', default: -1 }),
            int32('epoch', { versions: '0+', default: -1 }),
          ],
          { versions: '12+', tag: 2 },
        ),
        array('abortedTransactions', [int64('producerId', '4+'), int64('firstOffset', '4+')], {
          versions: '4+',
          nullable: '4+',
        }),
        int32('preferredReadReplica', { versions: '11+', default: -1 }),
        records('records', { nullable: '0+' }),
      ]),
    ]),
    array(
      'nodeEndpoints',
      [
        int32('nodeId', '16+'),
        string('host', '16+'),
        int32('port', '16+'),
        string('rack', { versions: '16+', nullable: '16+', default: null }),
      ],
      { versions: '16+', tag: 0 },
    ),
  ],
})

export const Fetch = api({
  key: 1,
  request: FetchRequest,
  response: FetchResponse,
  errorResponse: {
    // From v13 the top-level error code says it all and no partitions are returned.
    set: { errorCode: 'code', sessionId: { copy: 'sessionId' } },
    mirror: {
      responses: {
        from: 'topics',
        versions: '0-12',
        set: { topic: { copy: 'topic' } },
        mirror: {
          partitions: {
            from: 'partitions',
            set: {
              partitionIndex: { copy: 'partition' },
              errorCode: 'code',
              highWatermark: { value: -1 },
              lastStableOffset: { value: -1 },
              logStartOffset: { value: -1 },
              abortedTransactions: { value: null },
              preferredReadReplica: { value: -1 },
            },
          },
        },
      },
    },
  },
})
