/**
 * What the SASL mechanisms share: the server side of one exchange, and the two ways it fails (Kafka's
 * SaslException, whose details stay in the broker's log, and SaslAuthenticationException, whose message is sent to
 * the client).
 */

/** A failure whose message is not shown to the client (it may tell whether a user exists). */
export class SaslFailure extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SaslFailure'
  }
}

/** A failure whose message is sent to the client as SaslAuthenticate's error message. */
export class SaslAuthenticationFailure extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SaslAuthenticationFailure'
  }
}

/** The server side of one SASL exchange. */
export interface SaslServer {
  readonly mechanism: string
  /** Evaluates a client response; returns the challenge (possibly empty). Throws SaslFailure / SaslAuthenticationFailure. */
  evaluate(response: Buffer): Buffer
  readonly complete: boolean
  /** After completion: the authenticated user, whether by delegation token, and when the credential expires. */
  readonly authorizationId: string
  readonly tokenAuthenticated: boolean
  /** When the credential itself expires (an OAUTHBEARER token), null when it does not. */
  readonly credentialExpiresAtMs: number | null
}
