import { array, bytes, int16, int32, int64, message, string } from '../codec/schema.js'
import { api } from '../api.js'

// Version 1 is the same as version 0. Version 2 is the first flexible version. Version 3 lets the caller
// create a token for another owner (KIP-373); null owner fields mean the requesting principal.
export const CreateDelegationTokenRequest = message({
  name: 'CreateDelegationTokenRequest',
  kind: 'request',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    string('ownerPrincipalType', { versions: '3+', nullable: '3+' }),
    string('ownerPrincipalName', { versions: '3+', nullable: '3+' }),
    array('renewers', [string('principalType'), string('principalName')]),
    int64('maxLifetimeMs'),
  ],
})

// Version 3 adds the principal that requested the token.
export const CreateDelegationTokenResponse = message({
  name: 'CreateDelegationTokenResponse',
  kind: 'response',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    int16('errorCode'),
    string('principalType'),
    string('principalName'),
    string('tokenRequesterPrincipalType', '3+'),
    string('tokenRequesterPrincipalName', '3+'),
    int64('issueTimestampMs'),
    int64('expiryTimestampMs'),
    int64('maxTimestampMs'),
    string('tokenId'),
    bytes('hmac'),
    int32('throttleTimeMs'),
  ],
})

export const CreateDelegationToken = api({
  key: 38,
  request: CreateDelegationTokenRequest,
  response: CreateDelegationTokenResponse,
  errorResponse: {
    // CreateDelegationTokenResponse.prepareResponse with the anonymous principal as owner and requester.
    set: {
      errorCode: 'code',
      principalType: { value: 'User' },
      principalName: { value: 'ANONYMOUS' },
      tokenRequesterPrincipalType: { value: 'User' },
      tokenRequesterPrincipalName: { value: 'ANONYMOUS' },
      issueTimestampMs: { value: -1 },
      expiryTimestampMs: { value: -1 },
      maxTimestampMs: { value: -1 },
    },
  },
})
