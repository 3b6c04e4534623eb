import { array, bool, int16, int32, message, string, T } from '../codec/schema.js'

// Version 1 is the same as version 0. Version 2 is the first flexible version. Version 3 may answer
// THROTTLING_QUOTA_EXCEEDED (KIP-599).
export const CreatePartitionsRequest = message({
  name: 'CreatePartitionsRequest',
  apiKey: 37,
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
  apiKey: 37,
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
