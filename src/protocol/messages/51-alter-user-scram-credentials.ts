import { array, bytes, int16, int32, int8, message, string } from '../codec/schema.js'
import { api } from '../api.js'

// Version 0 (KIP-554) is the only version in Kafka 3.9 and is flexible from the start.
// mechanism: 1 = SCRAM-SHA-256, 2 = SCRAM-SHA-512.
export const AlterUserScramCredentialsRequest = message({
  name: 'AlterUserScramCredentialsRequest',
  kind: 'request',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    array('deletions', [string('name'), int8('mechanism')]),
    array('upsertions', [
      string('name'),
      int8('mechanism'),
      int32('iterations'),
      bytes('salt'),
      bytes('saltedPassword'),
    ]),
  ],
})

export const AlterUserScramCredentialsResponse = message({
  name: 'AlterUserScramCredentialsResponse',
  kind: 'response',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    int32('throttleTimeMs'),
    array('results', [string('user'), int16('errorCode'), string('errorMessage', { nullable: '0+' })]),
  ],
})

export const AlterUserScramCredentials = api({
  key: 51,
  request: AlterUserScramCredentialsRequest,
  response: AlterUserScramCredentialsResponse,
  errorResponse: {
    // Every user named by a deletion or an upsertion, once, sorted.
    mirror: {
      results: {
        from: ['deletions', 'upsertions'],
        distinctBy: 'user',
        set: { user: { copy: 'name' }, errorCode: 'code', errorMessage: 'message' },
      },
    },
  },
})
