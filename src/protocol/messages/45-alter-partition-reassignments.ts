import { array, int16, int32, message, string, T } from '../codec/schema.js'
import { api } from '../api.js'
import { perPartition } from '../error-response.js'

// Version 0 (KIP-455) is the only version in Kafka 3.9 and is flexible from the start.
// A null replica list cancels a pending reassignment of that partition.
export const AlterPartitionReassignmentsRequest = message({
  name: 'AlterPartitionReassignmentsRequest',
  kind: 'request',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    int32('timeoutMs', { default: 60000 }),
    array('topics', [
      string('name'),
      array('partitions', [
        int32('partitionIndex'),
        array('replicas', T.int32, { nullable: '0+', default: null }),
      ]),
    ]),
  ],
})

export const AlterPartitionReassignmentsResponse = message({
  name: 'AlterPartitionReassignmentsResponse',
  kind: 'response',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    int32('throttleTimeMs'),
    int16('errorCode'),
    string('errorMessage', { nullable: '0+' }),
    array('responses', [
      string('name'),
      array('partitions', [
        int32('partitionIndex'),
        int16('errorCode'),
        string('errorMessage', { nullable: '0+' }),
      ]),
    ]),
  ],
})

export const AlterPartitionReassignments = api({
  key: 45,
  request: AlterPartitionReassignmentsRequest,
  response: AlterPartitionReassignmentsResponse,
  errorResponse: {
    set: { errorCode: 'code', errorMessage: 'message' },
    mirror: perPartition(
      { errorCode: 'code', errorMessage: 'message' },
      { topics: 'responses', fromTopics: 'topics' },
    ),
  },
})
