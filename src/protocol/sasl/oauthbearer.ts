/**
 * SASL/OAUTHBEARER (RFC 7628) as Kafka's OAuthBearerSaslServer does it. The client's only message is
 *
 *   n,[a=<authzid>],^Aauth=Bearer <token>^A[<key>=<value>^A]*^A
 *
 * The token is checked by a validator (Kafka's OAuthBearerValidatorCallback). A token it refuses is answered with a
 * JSON error challenge (`{"status":"invalid_token"}`); the client acknowledges it with a lone ^A and the exchange
 * fails with that JSON as the message (SaslAuthenticationException).
 */
import { SaslAuthenticationFailure, SaslFailure, type SaslServer } from './sasl.js'

/** A validated token (Kafka's OAuthBearerToken). */
export interface OAuthBearerToken {
  readonly principalName: string
  /** When the token expires, ms since the epoch. */
  readonly lifetimeMs: number
  readonly scope: ReadonlySet<string>
  readonly startTimeMs: number | null
}

/** What a validator answers: the token, or the error the client is told (RFC 6750 status, scope, openid-configuration). */
export type OAuthBearerValidation =
  | { readonly token: OAuthBearerToken }
  | {
      readonly error: {
        readonly status: string
        readonly scope?: string
        readonly openidConfiguration?: string
      }
      /** Why, for the broker's log only. */
      readonly reason: string
    }

export type OAuthBearerValidator = (tokenValue: string) => OAuthBearerValidation

const SEPARATOR = '\u0001'
/** A SASL name: any 7-bit character but NUL, ',' and '=', or their escapes =2C and =3D. */
const SASLNAME = '(?:[\\x01-\\x2B\\x2D-\\x3C\\x3E-\\x7F]|=2C|=3D)+'
const KVPAIRS = `(?:[A-Za-z]+=[\\x21-\\x7E \\t\\r\\n]+${SEPARATOR})*`
const CLIENT_INITIAL_RESPONSE = new RegExp(`^n,(?:a=(${SASLNAME}))?,${SEPARATOR}(${KVPAIRS})${SEPARATOR}$`)
const AUTH = /^(\w+) +([-_.a-zA-Z0-9]+)$/

/** Kafka's OAuthBearerClientInitialResponse. */
export interface OAuthBearerClientInitialResponse {
  readonly authorizationId: string
  readonly tokenValue: string
  readonly extensions: ReadonlyMap<string, string>
}

export function parseClientInitialResponse(response: Buffer): OAuthBearerClientInitialResponse {
  const m = CLIENT_INITIAL_RESPONSE.exec(response.toString('utf8'))
  if (!m) throw new SaslFailure('Invalid OAUTHBEARER client first message')
  const properties = new Map<string, string>()
  for (const pair of m[2]!.split(SEPARATOR)) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    properties.set(pair.slice(0, eq), pair.slice(eq + 1))
  }
  const auth = properties.get('auth')
  if (auth === undefined)
    throw new SaslFailure("Invalid OAUTHBEARER client first message: 'auth' not specified")
  properties.delete('auth')
  const a = AUTH.exec(auth)
  if (!a) throw new SaslFailure("Invalid OAUTHBEARER client first message: invalid 'auth' format")
  if (a[1]!.toLowerCase() !== 'bearer')
    throw new SaslFailure(`Invalid scheme in OAUTHBEARER client first message: ${a[1]}`)
  return { authorizationId: m[1] ?? '', tokenValue: a[2]!, extensions: properties }
}

/** Kafka's JSON error response: `{"status":"…"[, "scope":"…"][, "openid-configuration":"…"]}`. */
function jsonErrorResponse(e: { status: string; scope?: string; openidConfiguration?: string }): string {
  let json = `{"status":"${e.status}"`
  if (e.scope !== undefined) json += `, "scope":"${e.scope}"`
  if (e.openidConfiguration !== undefined) json += `, "openid-configuration":"${e.openidConfiguration}"`
  return `${json}}`
}

export class OAuthBearerServer implements SaslServer {
  readonly mechanism = 'OAUTHBEARER'
  readonly tokenAuthenticated = false
  private token: OAuthBearerToken | undefined
  private errorMessage: string | null = null
  private extensionValues: ReadonlyMap<string, string> = new Map()

  constructor(
    private readonly validate: OAuthBearerValidator,
    private readonly onRefused: (reason: string) => void = () => {},
  ) {}

  get complete(): boolean {
    return this.token !== undefined
  }

  get authorizationId(): string {
    if (this.token === undefined) throw new Error('Authentication exchange has not completed')
    return this.token.principalName
  }

  get credentialExpiresAtMs(): number | null {
    return this.token?.lifetimeMs ?? null
  }

  /** The SASL extensions the client sent (all accepted, as Kafka's unsecured validator does). */
  get extensions(): ReadonlyMap<string, string> {
    return this.extensionValues
  }

  evaluate(response: Buffer): Buffer {
    if (response.length === 1 && response[0] === 1 && this.errorMessage !== null)
      throw new SaslAuthenticationFailure(this.errorMessage)
    this.errorMessage = null
    const initial = parseClientInitialResponse(response)
    const result = this.validate(initial.tokenValue)
    if ('error' in result) {
      this.onRefused(result.reason)
      this.errorMessage = jsonErrorResponse(result.error)
      return Buffer.from(this.errorMessage, 'utf8')
    }
    const token = result.token
    if (initial.authorizationId !== '' && initial.authorizationId !== token.principalName)
      throw new SaslAuthenticationFailure(
        `Authentication failed: Client requested an authorization id (${initial.authorizationId}) that is ` +
          `different from the token's principal name (${token.principalName})`,
      )
    this.extensionValues = initial.extensions
    this.token = token
    return Buffer.alloc(0)
  }
}

/** The client's OAUTHBEARER message (RFC 7628) for a token and extensions. */
export function oauthBearerClientToken(tokenValue: string, extensions: Record<string, string> = {}): Buffer {
  const kv = Object.entries(extensions)
    .map(([k, v]) => `${k}=${v}${SEPARATOR}`)
    .join('')
  return Buffer.from(`n,,${SEPARATOR}auth=Bearer ${tokenValue}${SEPARATOR}${kv}${SEPARATOR}`, 'utf8')
}
