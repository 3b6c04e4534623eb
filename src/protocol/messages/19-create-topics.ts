import { array, bool, int8, int16, int32, message, string, T, uuid } from '../codec/schema.js'
import { api } from '../api.js'

// Version 1 adds validateOnly. Version 4 lets numPartitions/replicationFactor be -1 (broker defaults) even
// without a manual assignment (KIP-464). Version 5 is the first flexible version and returns the topic's
// configs (KIP-525). Version 6 may answer THROTTLING_QUOTA_EXCEEDED (KIP-599). Version 7 returns topic ids.
export const CreateTopicsRequest = message({
  name: 'CreateTopicsRequest',
  kind: 'request',
  validVersions: '0-7',
  flexibleVersions: '5+',
  fields: [
    array('topics', [
      string('name'),
      int32('numPartitions'),
      int16('replicationFactor'),
      array('assignments', [int32('partitionIndex'), array('brokerIds', T.int32)]),
      array('configs', [string('name'), string('value', { nullable: '0+' })]),
    ]),
    int32('timeoutMs', { default: 60000 }),
    bool('validateOnly', { versions: '1+', default: false }),
  ],
})

// Version 1 adds the per-topic error message, version 2 the throttle time. Version 5 adds the topic's
// partition count, replication factor and configs (or a tagged config error code); version 7 the topic id.
export const CreateTopicsResponse = message({
  name: 'CreateTopicsResponse',
  kind: 'response',
  validVersions: '0-7',
  flexibleVersions: '5+',
  fields: [
    int32('throttleTimeMs', '2+'),
    array('topics', [
      string('name'),
      uuid('topicId', '7+'),
      int16('errorCode'),
      string('errorMessage', { versions: '1+', nullable: '0+' }),
      int16('topicConfigErrorCode', { versions: '5+', tag: 0, taggedVersions: '5+' }),
      int32('numPartitions', { versions: '5+', default: -1 }),
      int16('replicationFactor', { versions: '5+', default: -1 }),
      array(
        'configs',
        [
          string('name', '5+'),
          string('value', { versions: '5+', nullable: '5+' }),
          bool('readOnly', '5+'),
          int8('configSource', { versions: '5+', default: -1 }),
          bool('isSensitive', '5+'),
        ],
        { versions: '5+', nullable: '5+' },
      ),
    ]),
  ],
})

export const CreateTopics = api({
  key: 19,
  request: CreateTopicsRequest,
  response: CreateTopicsResponse,
  errorResponse: {
    mirror: {
      topics: { from: 'topics', set: { name: { copy: 'name' }, errorCode: 'code', errorMessage: 'message' } },
    },
  },
})
