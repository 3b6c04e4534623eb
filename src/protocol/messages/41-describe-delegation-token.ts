import { array, bytes, int16, int32, int64, message, string } from '../codec/schema.js'
import { api } from '../api.js'

// Version 1 is the same as version 0. Version 2 is the first flexible version. Version 3 changes the
// response only.
export const DescribeDelegationTokenRequest = message({
  name: 'DescribeDelegationTokenRequest',
  kind: 'request',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [array('owners', [string('principalType'), string('principalName')], { nullable: '0+' })],
})

// Version 3 adds the principal that requested each token (KIP-373).
export const DescribeDelegationTokenResponse = message({
  name: 'DescribeDelegationTokenResponse',
  kind: 'response',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    int16('errorCode'),
    array('tokens', [
      string('principalType'),
      string('principalName'),
      string('tokenRequesterPrincipalType', '3+'),
      string('tokenRequesterPrincipalName', '3+'),
      int64('issueTimestamp'),
      int64('expiryTimestamp'),
      int64('maxTimestamp'),
      string('tokenId'),
      bytes('hmac'),
      array('renewers', [string('principalType'), string('principalName')]),
    ]),
    int32('throttleTimeMs'),
  ],
})

export const DescribeDelegationToken = api({
  key: 41,
  request: DescribeDelegationTokenRequest,
  response: DescribeDelegationTokenResponse,
})
