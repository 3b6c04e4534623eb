import { array, int16, message, string, T } from '../codec/schema.js'
import { api } from '../api.js'

// Version 1 is the same as 0, but the client then authenticates with SaslAuthenticate requests (KIP-152)
// instead of raw SASL tokens. Never flexible.
export const SaslHandshakeRequest = message({
  name: 'SaslHandshakeRequest',
  kind: 'request',
  validVersions: '0-1',
  flexibleVersions: 'none',
  fields: [string('mechanism')],
})

export const SaslHandshakeResponse = message({
  name: 'SaslHandshakeResponse',
  kind: 'response',
  validVersions: '0-1',
  flexibleVersions: 'none',
  fields: [int16('errorCode'), array('mechanisms', T.string)],
})

export const SaslHandshake = api({
  key: 17,
  request: SaslHandshakeRequest,
  response: SaslHandshakeResponse,
})
