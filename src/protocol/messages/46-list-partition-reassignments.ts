import { array, int16, int32, message, string, T } from '../codec/schema.js'
import { api } from '../api.js'

// Version 0 (KIP-455) is the only version in Kafka 3.9 and is flexible from the start.
// A null topic list asks for every ongoing reassignment.
export const ListPartitionReassignmentsRequest = message({
  name: 'ListPartitionReassignmentsRequest',
  kind: 'request',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    int32('timeoutMs', { default: 60000 }),
    array('topics', [string('name'), array('partitionIndexes', T.int32)], { nullable: '0+', default: null }),
  ],
})

export const ListPartitionReassignmentsResponse = message({
  name: 'ListPartitionReassignmentsResponse',
  kind: 'response',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    int32('throttleTimeMs'),
    int16('errorCode'),
    string('errorMessage', { nullable: '0+' }),
    array('topics', [
      string('name'),
      array('partitions', [
        int32('partitionIndex'),
        array('replicas', T.int32),
        array('addingReplicas', T.int32),
        array('removingReplicas', T.int32),
      ]),
    ]),
  ],
})

export const ListPartitionReassignments = api({
  key: 46,
  request: ListPartitionReassignmentsRequest,
  response: ListPartitionReassignmentsResponse,
  errorResponse: { set: { errorCode: 'code', errorMessage: 'message' } },
})
