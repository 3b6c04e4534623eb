import { array, int16, int32, int8, message, string } from '../codec/schema.js'
import { api } from '../api.js'

// Version 0 (KIP-554) is the only version in Kafka 3.9 and is flexible from the start.
// A null or empty user list describes every user.
export const DescribeUserScramCredentialsRequest = message({
  name: 'DescribeUserScramCredentialsRequest',
  kind: 'request',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [array('users', [string('name')], { nullable: '0+' })],
})

export const DescribeUserScramCredentialsResponse = message({
  name: 'DescribeUserScramCredentialsResponse',
  kind: 'response',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    int32('throttleTimeMs'),
    int16('errorCode'),
    string('errorMessage', { nullable: '0+' }),
    array('results', [
      string('user'),
      int16('errorCode'),
      string('errorMessage', { nullable: '0+' }),
      array('credentialInfos', [int8('mechanism'), int32('iterations')]),
    ]),
  ],
})

export const DescribeUserScramCredentials = api({
  key: 50,
  request: DescribeUserScramCredentialsRequest,
  response: DescribeUserScramCredentialsResponse,
  errorResponse: {
    // One result per requested user, without the user's name (as Kafka 3.9 builds it).
    set: { errorCode: 'code', errorMessage: 'message' },
    mirror: { results: { from: 'users', set: { errorCode: 'code', errorMessage: 'message' } } },
  },
})
