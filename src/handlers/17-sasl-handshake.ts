/**
 * SaslHandshake (17), v0-1, and SaslAuthenticate (36), v0-2, on a PLAINTEXT listener. Samsa's listeners are
 * PLAINTEXT only; on such a listener Kafka's request handler answers both with ILLEGAL_SASL_STATE (the
 * connection needs no authentication), and so do we. SASL listeners are not supported.
 */
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode } from '../protocol/errors.js'
import { defineHandler, type Handler } from './handler.js'

export const SaslHandshakeApi = Apis.SaslHandshake
export const SaslAuthenticateApi = Apis.SaslAuthenticate

export function saslHandshakeHandler(): Handler {
  return defineHandler(SaslHandshakeApi, {
    handle: () => ({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] }),
  })
}

export function saslAuthenticateHandler(): Handler {
  return defineHandler(SaslAuthenticateApi, {
    handle: () => ({
      errorCode: ErrorCode.ILLEGAL_SASL_STATE,
      errorMessage: 'SaslAuthenticate request received after successful authentication',
      authBytes: Buffer.alloc(0),
    }),
  })
}
