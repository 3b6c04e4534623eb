import { bytes, int16, int32, int64, message } from '../codec/schema.js'
import { api } from '../api.js'

// Version 1 is the same as version 0. Version 2 is the first flexible version.
export const RenewDelegationTokenRequest = message({
  name: 'RenewDelegationTokenRequest',
  kind: 'request',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [bytes('hmac'), int64('renewPeriodMs')],
})

export const RenewDelegationTokenResponse = message({
  name: 'RenewDelegationTokenResponse',
  kind: 'response',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [int16('errorCode'), int64('expiryTimestampMs'), int32('throttleTimeMs')],
})

export const RenewDelegationToken = api({
  key: 39,
  request: RenewDelegationTokenRequest,
  response: RenewDelegationTokenResponse,
})
