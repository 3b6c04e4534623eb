import { array, int8, int16, int32, message, string, T } from '../codec/schema.js'
import { api } from '../api.js'

// Version 1 adds the election type (0 = preferred, 1 = unclean; KIP-460). Version 2 is the first flexible
// version. A null topic list means all partitions.
export const ElectLeadersRequest = message({
  name: 'ElectLeadersRequest',
  kind: 'request',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    int8('electionType', '1+'),
    array('topicPartitions', [string('topic'), array('partitions', T.int32)], { nullable: '0+' }),
    int32('timeoutMs', { default: 60000 }),
  ],
})

// Version 1 adds a top-level error code.
export const ElectLeadersResponse = message({
  name: 'ElectLeadersResponse',
  kind: 'response',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    int32('throttleTimeMs'),
    int16('errorCode', '1+'),
    array('replicaElectionResults', [
      string('topic'),
      array('partitionResult', [
        int32('partitionId'),
        int16('errorCode'),
        string('errorMessage', { nullable: '0+' }),
      ]),
    ]),
  ],
})

export const ElectLeaders = api({
  key: 43,
  request: ElectLeadersRequest,
  response: ElectLeadersResponse,
  errorResponse: {
    set: { errorCode: 'code' },
    mirror: {
      replicaElectionResults: {
        from: 'topicPartitions',
        set: { topic: { copy: 'topic' } },
        mirror: {
          partitionResult: {
            from: 'partitions',
            set: { partitionId: { copy: '.' }, errorCode: 'code', errorMessage: 'message' },
          },
        },
      },
    },
  },
})
