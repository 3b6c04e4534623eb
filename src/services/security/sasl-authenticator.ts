/**
 * The SASL server side of one connection on a SASL listener — Kafka's SaslServerAuthenticator:
 *
 *   INITIAL ─ApiVersions→ HANDSHAKE ─SaslHandshake→ AUTHENTICATE ─SaslAuthenticate*→ COMPLETE
 *      └────────────────SaslHandshake───────────────┘      (v0 handshake: raw tokens instead of SaslAuthenticate)
 *
 * Before COMPLETE nothing else may be sent (see `admit`). Failed authentication answers
 * SASL_AUTHENTICATION_FAILED with Kafka's message after `failed.authentication.delay.ms`, then closes. With
 * `connections.max.reauth.ms` (or an expiring credential) the session has a lifetime (KIP-368): the client may
 * re-authenticate with a new SaslHandshake (same mechanism, same principal, at most once a second), and a request
 * that arrives after the session expired closes the connection.
 */
import type {
  Admission,
  ChannelAuthenticator,
  ChannelControl,
  KafkaPrincipal,
  SaslAuthenticateResult,
  SaslHandshakeResult,
} from '../../network/channel.js'
import { ANONYMOUS, userPrincipal } from '../../network/channel.js'
import { ErrorCode } from '../../protocol/errors.js'
import { ALL_APIS, Apis } from '../../protocol/messages/index.js'
import { SaslAuthenticationFailure, type SaslServer } from '../../protocol/sasl/sasl.js'
import type { Logger } from '../../util/logger.js'

const API_VERSIONS = Apis.ApiVersions.key
const SASL_HANDSHAKE = Apis.SaslHandshake.key
const SASL_AUTHENTICATE = Apis.SaslAuthenticate.key

/** Kafka's ApiKeys names (METADATA, FIND_COORDINATOR, ...), for the messages of requests at the wrong time. */
const API_NAMES: ReadonlyMap<number, string> = new Map(
  ALL_APIS.map((a) => [a.key, a.name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()]),
)

/** What a SASL listener offers; shared by its connections. */
export interface SaslListener {
  readonly listenerName: string
  /** sasl.enabled.mechanisms of the listener, in configured order. */
  readonly mechanisms: readonly string[]
  /** A new server for one exchange of an enabled mechanism. */
  newServer(mechanism: string): SaslServer
  /** connections.max.reauth.ms for a mechanism (0: sessions do not expire). */
  maxReauthMs(mechanism: string): number
  /** sasl.server.max.receive.size */
  readonly maxReceiveSize: number
  /** failed.authentication.delay.ms */
  readonly failedAuthenticationDelayMs: number
  /** The newest ApiVersions version the broker serves (older clients' requests move the exchange on too). */
  readonly maxApiVersionsVersion: number
  readonly now: () => number
  /** Waits (the failed-authentication delay). */
  readonly sleep: (ms: number) => Promise<void>
  readonly log: Logger
}

type State =
  | 'initial'
  | 'handshake-or-versions'
  | 'handshake'
  | 'authenticate'
  | 'complete'
  | 'failed'
  | 'reauth-bad-mechanism'

interface Reauthentication {
  readonly previousMechanism: string
  readonly previousPrincipal: KafkaPrincipal
  badMechanismMessage?: string
}

export class SaslServerAuthenticator implements ChannelAuthenticator {
  private state: State = 'initial'
  /** SaslHandshake v1+: tokens come in SaslAuthenticate requests; v0: raw. */
  private kafkaHeaders = false
  private server: SaslServer | undefined
  private mechanism: string | undefined
  private authenticated: KafkaPrincipal = ANONYMOUS
  private sessionExpiresAtMs: number | null = null
  private lastReauthStartMs = 0
  private reauth: Reauthentication | undefined

  constructor(
    private readonly listener: SaslListener,
    private readonly channel: ChannelControl,
  ) {}

  get complete(): boolean {
    return this.state === 'complete'
  }

  get principal(): KafkaPrincipal {
    return this.authenticated
  }

  get expectsRawToken(): boolean {
    return this.state === 'authenticate' && !this.kafkaHeaders
  }

  get maxReceiveSize(): number {
    return this.listener.maxReceiveSize
  }

  private expired(nowMs: number): boolean {
    return this.sessionExpiresAtMs !== null && nowMs > this.sessionExpiresAtMs
  }

  /**
   * What SaslServerAuthenticator does with a frame in each state. A request that may not come now fails the
   * authentication as an IllegalSaslStateException does: during the handshake it is not answered, during the
   * SaslAuthenticate exchange it is answered with ILLEGAL_SASL_STATE; either way after the failed-authentication
   * delay, then the connection closes. An unknown API key after the first request, or a second ApiVersions, closes
   * the connection at once (Kafka's InvalidRequestException / IllegalStateException).
   */
  admit(frame: Buffer): Admission {
    if (this.expectsRawToken) return { kind: 'token' }
    const nowMs = this.listener.now()
    const apiKey = frame.readInt16BE(0)
    const name = API_NAMES.get(apiKey)
    switch (this.state) {
      case 'complete':
        if (apiKey === SASL_HANDSHAKE && this.beginReauthentication(nowMs)) return { kind: 'request' }
        if (this.expired(nowMs))
          return { kind: 'close', reason: 'the SASL session expired (connections.max.reauth.ms)' }
        return { kind: 'request' }
      case 'initial':
      case 'handshake-or-versions':
        if (name === undefined) {
          // Not a Kafka request: Kafka would take it for a GSSAPI token of a 0.9 client.
          return this.state === 'initial'
            ? {
                kind: 'reject',
                reason: 'Exception handling first SASL packet from client, GSSAPI is not supported by server',
                errorCode: null,
              }
            : { kind: 'close', reason: `invalid request: unknown API key ${apiKey} during SASL handshake` }
        }
        if (apiKey === API_VERSIONS) {
          // An ApiVersions version we answer moves on to the handshake; a newer one gets UNSUPPORTED_VERSION and
          // the client may try again.
          this.state =
            frame.readInt16BE(2) <= this.listener.maxApiVersionsVersion
              ? 'handshake'
              : 'handshake-or-versions'
          return { kind: 'request' }
        }
        if (apiKey === SASL_HANDSHAKE) return { kind: 'request' }
        this.state = 'handshake-or-versions'
        return this.unexpected(name, 'handshake')
      case 'handshake':
        if (apiKey === SASL_HANDSHAKE) return { kind: 'request' }
        if (apiKey === API_VERSIONS)
          return {
            kind: 'close',
            reason:
              'Unexpected ApiVersions request received during SASL authentication state HANDSHAKE_REQUEST',
          }
        if (name === undefined)
          return { kind: 'close', reason: `invalid request: unknown API key ${apiKey} during SASL handshake` }
        return this.unexpected(name, 'handshake')
      case 'authenticate':
        if (apiKey === SASL_AUTHENTICATE) return { kind: 'request' }
        if (name === undefined)
          return {
            kind: 'close',
            reason: `invalid request: unknown API key ${apiKey} during SASL authentication`,
          }
        return this.unexpected(name, 'authentication')
      case 'reauth-bad-mechanism':
        return {
          kind: 'reject',
          reason: this.reauth?.badMechanismMessage ?? 'SASL re-authentication failed',
          errorCode: null,
        }
      case 'failed':
        return { kind: 'close', reason: 'SASL authentication failed' }
    }
  }

  private unexpected(apiName: string, phase: 'handshake' | 'authentication'): Admission {
    return {
      kind: 'reject',
      reason: `Unexpected Kafka request of type ${apiName} during SASL ${phase}.`,
      errorCode: phase === 'authentication' ? ErrorCode.ILLEGAL_SASL_STATE : null,
    }
  }

  rejectRequest(reason: string): Promise<void> {
    return this.fail(reason)
  }

  /** KafkaChannel.maybeBeginServerReauthentication: only with a session lifetime, at most once a second. */
  private beginReauthentication(nowMs: number): boolean {
    if (this.sessionExpiresAtMs === null || this.mechanism === undefined) return false
    if (this.lastReauthStartMs !== 0 && nowMs - this.lastReauthStartMs < 1000) return false
    this.lastReauthStartMs = nowMs
    this.reauth = { previousMechanism: this.mechanism, previousPrincipal: this.authenticated }
    this.state = 'handshake'
    this.listener.log.debug(`Beginning re-authentication of ${this.channel.info.id}`)
    return true
  }

  async handshake(version: number, mechanism: string): Promise<SaslHandshakeResult> {
    if (this.state === 'complete') {
      // An authenticated connection without a re-authentication: KafkaApis answers ILLEGAL_SASL_STATE.
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] }
    }
    const mechanisms = this.listener.mechanisms
    this.kafkaHeaders = version >= 1
    if (!mechanisms.includes(mechanism)) {
      await this.fail(`Unsupported SASL mechanism ${mechanism}`)
      return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms }
    }
    if (this.reauth && this.reauth.previousMechanism !== mechanism) {
      this.reauth.badMechanismMessage =
        `SASL mechanism '${mechanism}' requested by client is not supported for re-authentication of mechanism ` +
        `'${this.reauth.previousMechanism}'`
      this.state = 'reauth-bad-mechanism'
      return { errorCode: ErrorCode.NONE, mechanisms }
    }
    this.mechanism = mechanism
    this.server = this.listener.newServer(mechanism)
    this.state = 'authenticate'
    return { errorCode: ErrorCode.NONE, mechanisms }
  }

  async authenticate(_version: number, authBytes: Buffer): Promise<SaslAuthenticateResult> {
    if (this.state === 'complete' || this.state !== 'authenticate' || !this.server) {
      return {
        errorCode: ErrorCode.ILLEGAL_SASL_STATE,
        errorMessage: 'SaslAuthenticate request received after successful authentication',
        authBytes: Buffer.alloc(0),
        sessionLifetimeMs: 0,
      }
    }
    try {
      const challenge = this.evaluate(authBytes)
      const lifetime = this.server.complete ? this.completeAuthentication() : 0
      return {
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        authBytes: challenge,
        sessionLifetimeMs: lifetime,
      }
    } catch (e) {
      const message = this.clientMessage(e)
      await this.fail(message, e)
      return {
        errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED,
        errorMessage: message,
        authBytes: Buffer.alloc(0),
        sessionLifetimeMs: 0,
      }
    }
  }

  async evaluateRawToken(token: Buffer): Promise<Buffer | null> {
    try {
      const challenge = this.evaluate(token)
      if (this.server!.complete) this.completeAuthentication()
      return challenge
    } catch (e) {
      // Without Kafka headers there is no way to tell the client why: the connection just closes.
      await this.fail(this.clientMessage(e), e)
      return null
    }
  }

  private evaluate(token: Buffer): Buffer {
    const server = this.server!
    const challenge = server.evaluate(token)
    if (server.complete && this.reauth) {
      const now = userPrincipal(server.authorizationId, server.tokenAuthenticated)
      const before = this.reauth.previousPrincipal
      if (now.principalType !== before.principalType || now.name !== before.name)
        throw new SaslAuthenticationFailure(
          `Cannot change principals during re-authentication from ${before.principalType}.${before.name}: ` +
            `${now.principalType}.${now.name}`,
        )
    }
    return challenge
  }

  /** Marks the exchange complete; returns the session lifetime to tell the client (0: none). */
  private completeAuthentication(): number {
    const server = this.server!
    const now = this.listener.now()
    const maxReauth = this.listener.maxReauthMs(server.mechanism)
    const credentialExpiry = server.credentialExpiresAtMs
    let lifetime = 0
    if (credentialExpiry !== null || maxReauth > 0) {
      if (credentialExpiry === null) lifetime = Math.max(0, maxReauth)
      else if (maxReauth <= 0) lifetime = Math.max(0, credentialExpiry - now)
      else lifetime = Math.max(0, Math.min(credentialExpiry - now, maxReauth))
      this.sessionExpiresAtMs = now + lifetime
    } else this.sessionExpiresAtMs = null
    const reauthenticated = this.reauth !== undefined
    this.authenticated = userPrincipal(server.authorizationId, server.tokenAuthenticated)
    this.reauth = undefined
    this.state = 'complete'
    this.listener.log.debug(
      `${reauthenticated ? 'Re-authenticated' : 'Authenticated'} ${this.channel.info.id} as User:${server.authorizationId} ` +
        `with ${server.mechanism}${lifetime > 0 ? `; session lifetime ${lifetime} ms` : ''}`,
    )
    return lifetime
  }

  private clientMessage(e: unknown): string {
    if (e instanceof SaslAuthenticationFailure) return e.message
    return (
      `Authentication failed during ${this.reauth ? 're-authentication' : 'authentication'} due to invalid ` +
      `credentials with SASL mechanism ${this.server?.mechanism ?? this.mechanism ?? 'unknown'}`
    )
  }

  /** Failed: log as Kafka does, wait failed.authentication.delay.ms, then the connection closes after the response. */
  private async fail(message: string, cause?: unknown): Promise<void> {
    this.state = 'failed'
    const info = this.channel.info
    this.listener.log.info(
      `Failed authentication with /${info.remoteAddress} (channelId=${info.id}) (${message})` +
        (cause instanceof Error && cause.message !== message ? ` [${cause.message}]` : ''),
    )
    this.channel.closeAfterResponses(message)
    if (this.listener.failedAuthenticationDelayMs > 0)
      await this.listener.sleep(this.listener.failedAuthenticationDelayMs)
  }
}
