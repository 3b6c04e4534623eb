import { array, int16, int32, int64, message, string } from '../codec/schema.js'
import { api } from '../api.js'
import { perPartition } from '../error-response.js'

// Version 1 adds the generation id, the member id and a per-partition commit timestamp.
// Version 2 adds the retention time and drops the commit timestamp. Versions 3 and 4 are the same as 2.
// Version 5 drops the retention time. Version 6 adds the committed leader epoch.
// Version 7 adds the group instance id (KIP-345). Version 8 is the first flexible version.
// Version 9 is the same as 8, usable with the new consumer group protocol (KIP-848).
export const OffsetCommitRequest = message({
  name: 'OffsetCommitRequest',
  kind: 'request',
  validVersions: '0-9',
  flexibleVersions: '8+',
  fields: [
    string('groupId'),
    int32('generationIdOrMemberEpoch', { versions: '1+', default: -1 }),
    string('memberId', '1+'),
    string('groupInstanceId', { versions: '7+', nullable: '7+', default: null }),
    int64('retentionTimeMs', { versions: '2-4', default: -1 }),
    array('topics', [
      string('name'),
      array('partitions', [
        int32('partitionIndex'),
        int64('committedOffset'),
        int32('committedLeaderEpoch', { versions: '6+', default: -1 }),
        int64('commitTimestamp', { versions: '1', default: -1 }),
        string('committedMetadata', { nullable: '0+' }),
      ]),
    ]),
  ],
})

// Versions 1 and 2 are the same as 0. Version 3 adds throttle time. Versions 4-7 are the same as 3.
// Version 8 is the first flexible version. Version 9 is the same as 8 (KIP-848 errors).
export const OffsetCommitResponse = message({
  name: 'OffsetCommitResponse',
  kind: 'response',
  validVersions: '0-9',
  flexibleVersions: '8+',
  fields: [
    int32('throttleTimeMs', '3+'),
    array('topics', [string('name'), array('partitions', [int32('partitionIndex'), int16('errorCode')])]),
  ],
})

export const OffsetCommit = api({
  key: 8,
  request: OffsetCommitRequest,
  response: OffsetCommitResponse,
  errorResponse: { mirror: perPartition({ errorCode: 'code' }) },
})
