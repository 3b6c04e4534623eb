import { bytes, int16, message } from '../codec/schema.js'
import { api } from '../api.js'

// Version 0 (KIP-590) is the only version; it wraps a forwarded request (header and body) with the
// original client's principal and address.
export const EnvelopeRequest = message({
  name: 'EnvelopeRequest',
  kind: 'request',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [bytes('requestData'), bytes('requestPrincipal', { nullable: '0+' }), bytes('clientHostAddress')],
})

export const EnvelopeResponse = message({
  name: 'EnvelopeResponse',
  kind: 'response',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [bytes('responseData', { nullable: '0+', default: null }), int16('errorCode')],
})

export const Envelope = api({
  key: 58,
  request: EnvelopeRequest,
  response: EnvelopeResponse,
})
