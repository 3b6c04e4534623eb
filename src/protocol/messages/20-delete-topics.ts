import { array, int16, int32, message, string, T, uuid } from '../codec/schema.js'
import { api } from '../api.js'

// Versions 0-3 are the same. Version 4 is the first flexible version. Version 5 may answer
// THROTTLING_QUOTA_EXCEEDED (KIP-599). Version 6 names topics by name or id (names may then be null).
export const DeleteTopicsRequest = message({
  name: 'DeleteTopicsRequest',
  kind: 'request',
  validVersions: '0-6',
  flexibleVersions: '4+',
  fields: [
    array('topics', [string('name', { versions: '6+', nullable: '6+' }), uuid('topicId', '6+')], '6+'),
    array('topicNames', T.string, '0-5'),
    int32('timeoutMs'),
  ],
})

// Version 1 adds the throttle time. Version 5 adds an error message per topic, version 6 the topic id.
export const DeleteTopicsResponse = message({
  name: 'DeleteTopicsResponse',
  kind: 'response',
  validVersions: '0-6',
  flexibleVersions: '4+',
  fields: [
    int32('throttleTimeMs', '1+'),
    array('responses', [
      string('name', { nullable: '6+' }),
      uuid('topicId', '6+'),
      int16('errorCode'),
      string('errorMessage', { versions: '5+', nullable: '5+', default: null }),
    ]),
  ],
})

export const DeleteTopics = api({
  key: 20,
  request: DeleteTopicsRequest,
  response: DeleteTopicsResponse,
  errorResponse: {
    mirror: {
      responses: [
        { from: 'topicNames', set: { name: { copy: '.' }, errorCode: 'code' } },
        { from: 'topics', set: { name: { copy: 'name' }, topicId: { copy: 'topicId' }, errorCode: 'code' } },
      ],
    },
  },
})
