import { bytes, int16, int64, message, string } from '../codec/schema.js'
import { api } from '../api.js'

// Version 1 adds the session lifetime to the response (KIP-368). Version 2 is the first flexible version.
export const SaslAuthenticateRequest = message({
  name: 'SaslAuthenticateRequest',
  kind: 'request',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [bytes('authBytes')],
})

export const SaslAuthenticateResponse = message({
  name: 'SaslAuthenticateResponse',
  kind: 'response',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    int16('errorCode'),
    string('errorMessage', { nullable: '0+' }),
    bytes('authBytes'),
    int64('sessionLifetimeMs', { versions: '1+', default: 0 }),
  ],
})

export const SaslAuthenticate = api({
  key: 36,
  request: SaslAuthenticateRequest,
  response: SaslAuthenticateResponse,
  errorResponse: { set: { errorCode: 'code', errorMessage: 'message' } },
})
