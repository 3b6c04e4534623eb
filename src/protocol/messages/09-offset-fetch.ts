import { array, bool, int16, int32, int64, message, string, T } from '../codec/schema.js'
import { api } from '../api.js'

// Version 0 reads offsets from ZooKeeper; version 1 from __consumer_offsets.
// Version 2 allows a null topic list (all topics) and adds a top-level error code. Versions 3-5 are the same as 2.
// Version 6 is the first flexible version. Version 7 adds RequireStable.
// Version 8 fetches several groups at once (KIP-709). Version 9 adds the member id and epoch (KIP-848).
export const OffsetFetchRequest = message({
  name: 'OffsetFetchRequest',
  kind: 'request',
  validVersions: '0-9',
  flexibleVersions: '6+',
  fields: [
    string('groupId', '0-7'),
    array('topics', [string('name', '0-7'), array('partitionIndexes', T.int32, '0-7')], {
      versions: '0-7',
      nullable: '2-7',
    }),
    array(
      'groups',
      [
        string('groupId', '8+'),
        string('memberId', { versions: '9+', nullable: '9+', default: null }),
        int32('memberEpoch', { versions: '9+', default: -1 }),
        array('topics', [string('name', '8+'), array('partitionIndexes', T.int32, '8+')], {
          versions: '8+',
          nullable: '8+',
        }),
      ],
      '8+',
    ),
    bool('requireStable', { versions: '7+', default: false }),
  ],
})

// Version 1 is the same as 0. Version 2 adds a top-level error code. Version 3 adds throttle time.
// Version 4 is the same as 3. Version 5 adds the committed leader epoch. Version 6 is the first flexible version.
// Version 7 may return UNSTABLE_OFFSET_COMMIT. Version 8 answers per group. Version 9 is the same as 8.
export const OffsetFetchResponse = message({
  name: 'OffsetFetchResponse',
  kind: 'response',
  validVersions: '0-9',
  flexibleVersions: '6+',
  fields: [
    int32('throttleTimeMs', '3+'),
    array(
      'topics',
      [
        string('name', '0-7'),
        array(
          'partitions',
          [
            int32('partitionIndex', '0-7'),
            int64('committedOffset', '0-7'),
            int32('committedLeaderEpoch', { versions: '5-7', default: -1 }),
            string('metadata', { versions: '0-7', nullable: '0-7' }),
            int16('errorCode', '0-7'),
          ],
          '0-7',
        ),
      ],
      '0-7',
    ),
    int16('errorCode', { versions: '2-7', default: 0 }),
    array(
      'groups',
      [
        string('groupId', '8+'),
        array(
          'topics',
          [
            string('name', '8+'),
            array(
              'partitions',
              [
                int32('partitionIndex', '8+'),
                int64('committedOffset', '8+'),
                int32('committedLeaderEpoch', { versions: '8+', default: -1 }),
                string('metadata', { versions: '8+', nullable: '8+' }),
                int16('errorCode', '8+'),
              ],
              '8+',
            ),
          ],
          '8+',
        ),
        int16('errorCode', { versions: '8+', default: 0 }),
      ],
      '8+',
    ),
  ],
})

export const OffsetFetch = api({
  key: 9,
  request: OffsetFetchRequest,
  response: OffsetFetchResponse,
  errorResponse: {
    // v0-1: the error on every requested partition; v2-7: the top-level error code; v8+: one error per group.
    set: { errorCode: 'code' },
    mirror: {
      topics: {
        from: 'topics',
        versions: '0-1',
        set: { name: { copy: 'name' } },
        mirror: {
          partitions: {
            from: 'partitionIndexes',
            set: {
              partitionIndex: { copy: '.' },
              committedOffset: { value: -1 },
              committedLeaderEpoch: { value: -1 },
              metadata: { value: '' },
              errorCode: 'code',
            },
          },
        },
      },
      groups: { from: 'groups', set: { groupId: { copy: 'groupId' }, errorCode: 'code' } },
    },
  },
})
