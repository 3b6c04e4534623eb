import { bytes, int16, int32, int64, message } from '../codec/schema.js'
import { api } from '../api.js'

// Version 1 is the same as version 0. Version 2 is the first flexible version.
export const ExpireDelegationTokenRequest = message({
  name: 'ExpireDelegationTokenRequest',
  kind: 'request',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [bytes('hmac'), int64('expiryTimePeriodMs')],
})

export const ExpireDelegationTokenResponse = message({
  name: 'ExpireDelegationTokenResponse',
  kind: 'response',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [int16('errorCode'), int64('expiryTimestampMs'), int32('throttleTimeMs')],
})

export const ExpireDelegationToken = api({
  key: 40,
  request: ExpireDelegationTokenRequest,
  response: ExpireDelegationTokenResponse,
})
