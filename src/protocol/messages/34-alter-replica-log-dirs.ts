import { array, int16, int32, message, string, T } from '../codec/schema.js'
import { api } from '../api.js'

// Version 1 is the same as version 0 (the broker answers before throttling). Version 2 is the first flexible one.
// Each entry names an absolute log directory and the partitions whose replica on this broker should move there.
export const AlterReplicaLogDirsRequest = message({
  name: 'AlterReplicaLogDirsRequest',
  kind: 'request',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [array('dirs', [string('path'), array('topics', [string('name'), array('partitions', T.int32)])])],
})

export const AlterReplicaLogDirsResponse = message({
  name: 'AlterReplicaLogDirsResponse',
  kind: 'response',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    int32('throttleTimeMs'),
    array('results', [
      string('topicName'),
      array('partitions', [int32('partitionIndex'), int16('errorCode')]),
    ]),
  ],
})

export const AlterReplicaLogDirs = api({
  key: 34,
  request: AlterReplicaLogDirsRequest,
  response: AlterReplicaLogDirsResponse,
  // Kafka's getErrorResponse: one result per topic entry of every directory, each partition with the error.
  errorResponse: {
    mirror: {
      results: {
        from: 'dirs.topics',
        set: { topicName: { copy: 'name' } },
        mirror: {
          partitions: { from: 'partitions', set: { partitionIndex: { copy: '.' }, errorCode: 'code' } },
        },
      },
    },
  },
})
