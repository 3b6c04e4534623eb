import { array, int16, int32, int64, int8, message, string, T } from '../codec/schema.js'
import { api } from '../api.js'
import { perPartition } from '../error-response.js'

// Version 1 removes MaxNumOffsets: a single offset per partition from now on.
// Version 2 adds IsolationLevel. Version 3 is the same as 2. Version 4 adds CurrentLeaderEpoch. Version 5 is the same as 4.
// Version 6 is the first flexible version. Version 7 allows the max-timestamp query (KIP-734).
// Version 8 allows the local log start offset query (KIP-405). Version 9 allows the last tiered offset query (KIP-1005).
export const ListOffsetsRequest = message({
  name: 'ListOffsetsRequest',
  kind: 'request',
  validVersions: '0-9',
  flexibleVersions: '6+',
  fields: [
    int32('replicaId'),
    int8('isolationLevel', '2+'),
    array('topics', [
      string('name'),
      array('partitions', [
        int32('partitionIndex'),
        int32('currentLeaderEpoch', { versions: '4+', default: -1 }),
        int64('timestamp'),
        int32('maxNumOffsets', { versions: '0', default: 1 }),
      ]),
    ]),
  ],
})

// Version 1 replaces the offsets array with a single offset and adds its timestamp. Version 2 adds throttle time.
// Version 3 is the same as 2. Version 4 adds the leader epoch. Version 5 adds OFFSET_NOT_AVAILABLE.
// Version 6 is the first flexible version. Versions 7-9 are the same as 6.
export const ListOffsetsResponse = message({
  name: 'ListOffsetsResponse',
  kind: 'response',
  validVersions: '0-9',
  flexibleVersions: '6+',
  fields: [
    int32('throttleTimeMs', '2+'),
    array('topics', [
      string('name'),
      array('partitions', [
        int32('partitionIndex'),
        int16('errorCode'),
        array('oldStyleOffsets', T.int64, '0'),
        int64('timestamp', { versions: '1+', default: -1 }),
        int64('offset', { versions: '1+', default: -1 }),
        int32('leaderEpoch', { versions: '4+', default: -1 }),
      ]),
    ]),
  ],
})

export const ListOffsets = api({
  key: 2,
  request: ListOffsetsRequest,
  response: ListOffsetsResponse,
  errorResponse: {
    mirror: perPartition({ errorCode: 'code', timestamp: { value: -1 }, offset: { value: -1 } }),
  },
})
