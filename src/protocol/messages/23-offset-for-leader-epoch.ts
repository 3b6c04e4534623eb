import { array, int16, int32, int64, message, string } from '../codec/schema.js'
import { api } from '../api.js'
import { perPartition } from '../error-response.js'

// Version 2 adds the current leader epoch for fencing (KIP-320). Version 3 adds the replica id (-2 is the
// "debug" consumer, -1 a consumer, otherwise a follower; KIP-392). Version 4 is the first flexible version.
export const OffsetForLeaderEpochRequest = message({
  name: 'OffsetForLeaderEpochRequest',
  kind: 'request',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    int32('replicaId', { versions: '3+', default: -2 }),
    array('topics', [
      string('topic'),
      array('partitions', [
        int32('partition'),
        int32('currentLeaderEpoch', { versions: '2+', default: -1 }),
        int32('leaderEpoch'),
      ]),
    ]),
  ],
})

// Version 1 adds the leader epoch to each partition, version 2 the throttle time.
export const OffsetForLeaderEpochResponse = message({
  name: 'OffsetForLeaderEpochResponse',
  kind: 'response',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    int32('throttleTimeMs', '2+'),
    array('topics', [
      string('topic'),
      array('partitions', [
        int16('errorCode'),
        int32('partition'),
        int32('leaderEpoch', { versions: '1+', default: -1 }),
        int64('endOffset', { default: -1 }),
      ]),
    ]),
  ],
})

export const OffsetForLeaderEpoch = api({
  key: 23,
  request: OffsetForLeaderEpochRequest,
  response: OffsetForLeaderEpochResponse,
  errorResponse: {
    mirror: perPartition(
      { errorCode: 'code', leaderEpoch: { value: -1 }, endOffset: { value: -1 } },
      { name: 'topic', index: 'partition' },
    ),
  },
})
