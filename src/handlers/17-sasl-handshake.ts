/**
 * SaslHandshake (17), v0-1, and SaslAuthenticate (36), v0-2. On a SASL listener the connection's authenticator
 * runs the exchange (mechanism choice, then the tokens; see services/security/sasl-authenticator.ts), and also
 * answers these requests once the connection is authenticated (ILLEGAL_SASL_STATE, unless a SaslHandshake starts
 * a KIP-368 re-authentication). On PLAINTEXT and SSL listeners there is nothing to authenticate and Kafka's request
 * handler answers both with ILLEGAL_SASL_STATE, as we do.
 */
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode } from '../protocol/errors.js'
import { defineHandler, type Handler } from './handler.js'

export const SaslHandshakeApi = Apis.SaslHandshake
export const SaslAuthenticateApi = Apis.SaslAuthenticate

export function saslHandshakeHandler(): Handler {
  return defineHandler(SaslHandshakeApi, {
    handle: (req, ctx) => {
      const auth = ctx.channel.authenticator
      if (!auth) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] }
      return auth.handshake(ctx.apiVersion, req.mechanism)
    },
  })
}

export function saslAuthenticateHandler(): Handler {
  return defineHandler(SaslAuthenticateApi, {
    handle: (req, ctx) => {
      const auth = ctx.channel.authenticator
      if (!auth) {
        return {
          errorCode: ErrorCode.ILLEGAL_SASL_STATE,
          errorMessage: 'SaslAuthenticate request received after successful authentication',
          authBytes: Buffer.alloc(0),
        }
      }
      return auth.authenticate(ctx.apiVersion, req.authBytes)
    },
  })
}
