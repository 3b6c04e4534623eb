/**
 * The security state of one connection (Kafka's KafkaChannel): who the client is (its principal), whether it has
 * authenticated yet, and the controls other layers use on the connection — closing it after a response, and
 * muting it (no more requests are read while any mute is held; quotas use this to throttle a client).
 *
 * On a SASL listener a `ChannelAuthenticator` (the security service's SASL state machine) decides which requests
 * may be processed before authentication completes, as Kafka's SaslServerAuthenticator does: ApiVersions and
 * SaslHandshake first, then SaslAuthenticate (or raw tokens after a v0 handshake), and nothing else.
 */

/** Where a connection comes from and which listener it arrived on. */
export interface ConnectionInfo {
  readonly id: string
  readonly listenerName: string
  readonly securityProtocol: string
  readonly remoteAddress: string
  readonly remotePort: number
  readonly localAddress: string
  readonly localPort: number
}

/** Kafka's KafkaPrincipal: `User:alice`, `User:CN=host,O=org`, `User:ANONYMOUS`. */
export interface KafkaPrincipal {
  readonly principalType: string
  readonly name: string
  /** Authenticated with a delegation token (SCRAM with the tokenauth extension). */
  readonly tokenAuthenticated?: boolean
}

export const ANONYMOUS: KafkaPrincipal = Object.freeze({ principalType: 'User', name: 'ANONYMOUS' })

export function userPrincipal(name: string, tokenAuthenticated = false): KafkaPrincipal {
  return tokenAuthenticated
    ? { principalType: 'User', name, tokenAuthenticated }
    : { principalType: 'User', name }
}

export function principalToString(p: KafkaPrincipal): string {
  return `${p.principalType}:${p.name}`
}

/** What a request frame that arrives before (or during re-)authentication may do. */
export type Admission =
  /** Process it as a request (ApiVersions, SaslHandshake, SaslAuthenticate). */
  | { readonly kind: 'request' }
  /** It is a raw SASL token (after a v0 SaslHandshake): the authenticator answers it with a raw token. */
  | { readonly kind: 'token' }
  /**
   * Fail the authentication because of this request (Kafka's IllegalSaslStateException): after
   * failed.authentication.delay.ms it is answered with `errorCode` in its API's error response (null: not answered),
   * then the connection closes.
   */
  | { readonly kind: 'reject'; readonly reason: string; readonly errorCode: number | null }
  /** Close the connection without a response, at once. */
  | { readonly kind: 'close'; readonly reason: string }

export interface SaslHandshakeResult {
  readonly errorCode: number
  readonly mechanisms: readonly string[]
}

export interface SaslAuthenticateResult {
  readonly errorCode: number
  readonly errorMessage: string | null
  readonly authBytes: Buffer
  readonly sessionLifetimeMs: number
}

/** The SASL server side of one connection, implemented by the security service. */
export interface ChannelAuthenticator {
  /** A SaslHandshake request (SaslHandshake handler). */
  handshake(version: number, mechanism: string): Promise<SaslHandshakeResult>
  /** A SaslAuthenticate request (SaslAuthenticate handler). */
  authenticate(version: number, authBytes: Buffer): Promise<SaslAuthenticateResult>
  /** Authenticated, and not in the middle of a re-authentication. */
  readonly complete: boolean
  /** The authenticated principal (ANONYMOUS until authentication completes). */
  readonly principal: KafkaPrincipal
  /** After a v0 SaslHandshake the client sends raw SASL tokens, not requests. */
  readonly expectsRawToken: boolean
  /** Largest frame accepted while authenticating (sasl.server.max.receive.size). */
  readonly maxReceiveSize: number
  /**
   * Decides what to do with a request frame: before authentication only the SASL exchange may proceed; after it,
   * a SaslHandshake may start a re-authentication, and any request on an expired session closes the connection.
   */
  admit(frame: Buffer): Admission
  /** Evaluates a raw SASL token (v0 handshake); resolves with the raw response token, or null for none. */
  evaluateRawToken(token: Buffer): Promise<Buffer | null>
  /**
   * Fails the authentication for a request `admit` rejected: logs it and resolves after
   * failed.authentication.delay.ms; the connection closes once the response (if any) is written.
   */
  rejectRequest(reason: string): Promise<void>
}

/** The connection controls a channel exposes to the layers above the network. */
export interface ChannelControl {
  readonly info: ConnectionInfo
  readonly principal: KafkaPrincipal
  /** The SASL exchange of a SASL listener's connection (undefined on PLAINTEXT and SSL listeners). */
  readonly authenticator: ChannelAuthenticator | undefined
  /** Closes the connection once the responses queued so far have been written. */
  closeAfterResponses(reason: string): void
  /** Stops reading requests until every mute with a different key is released too (throttling). */
  mute(key: string): void
  unmute(key: string): void
}

export class Channel implements ChannelControl {
  /** Principal of the TLS client certificate (SSL listeners), ANONYMOUS without one. */
  private transportPrincipal: KafkaPrincipal = ANONYMOUS
  authenticator: ChannelAuthenticator | undefined
  /** Set when the connection must close after the queued responses (failed authentication). */
  closeReason: string | undefined
  private readonly mutes = new Set<string>()
  /** Called when the last mute is released. */
  onUnmute: () => void = () => {}

  constructor(readonly info: ConnectionInfo) {}

  get principal(): KafkaPrincipal {
    return this.authenticator ? this.authenticator.principal : this.transportPrincipal
  }

  setTransportPrincipal(p: KafkaPrincipal): void {
    this.transportPrincipal = p
  }

  /** Whether requests must be handled one at a time (Kafka mutes a channel while it authenticates). */
  get authenticating(): boolean {
    return this.authenticator !== undefined && !this.authenticator.complete
  }

  closeAfterResponses(reason: string): void {
    this.closeReason ??= reason
  }

  get muted(): boolean {
    return this.mutes.size > 0
  }

  mute(key: string): void {
    this.mutes.add(key)
  }

  unmute(key: string): void {
    if (this.mutes.delete(key) && this.mutes.size === 0) this.onUnmute()
  }
}
