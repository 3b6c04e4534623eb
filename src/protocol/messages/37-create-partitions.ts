import { array, bool, int16, int32, message, string, T } from '../codec/schema.js'
import { api } from '../api.js'

// Version 1 is the same as version 0. Version 2 is the first flexible version. Version 3 may answer
// THROTTLING_QUOTA_EXCEEDED (KIP-599).
export const CreatePartitionsRequest = message({
  name: 'CreatePartitionsRequest',
  kind: 'request',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    array('topics', [
      string('name'),
      int32('count'),
      array('assignments', [array('brokerIds', T.int32)], { nullable: '0+' }),
    ]),
    int32('timeoutMs'),
    bool('validateOnly'),
  ],
})

export const CreatePartitionsResponse = message({
  name: 'CreatePartitionsResponse',
  kind: 'response',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    int32('throttleTimeMs'),
    array('results', [
      string('name'),
      int16('errorCode'),
      string('errorMessage', { nullable: '0+', default: null }),
    ]),
  ],
})

export const CreatePartitions = api({
  key: 37,
  request: CreatePartitionsRequest,
  response: CreatePartitionsResponse,
  errorResponse: {
    mirror: {
      results: {
        from: 'topics',
        set: { name: { copy: 'name' }, errorCode: 'code', errorMessage: 'message' },
      },
    },
  },
})
