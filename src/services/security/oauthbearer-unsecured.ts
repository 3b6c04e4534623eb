/**
 * Kafka's default OAUTHBEARER validator on a broker (OAuthBearerUnsecuredValidatorCallbackHandler): the token is an
 * unsecured JWS (`alg: none`, no signature, RFC 7515/7519) whose claims are checked — the principal claim
 * (`unsecuredValidatorPrincipalClaimName`, default `sub`) is a non-blank string, `exp` is present and not passed,
 * `iat` (if present) not in the future and before `exp` (`unsecuredValidatorAllowableClockSkewMs` of slack), and
 * the scope claim (`unsecuredValidatorScopeClaimName`, default `scope`) holds every element of
 * `unsecuredValidatorRequiredScope` (space-delimited). Options come from the listener's OAuthBearerLoginModule line.
 */
import { ConfigException } from '../../config/config-def.js'
import type {
  OAuthBearerToken,
  OAuthBearerValidation,
  OAuthBearerValidator,
} from '../../protocol/sasl/oauthbearer.js'

type Claim = string | number | readonly string[]

export interface UnsecuredValidatorOptions {
  readonly principalClaimName: string
  readonly scopeClaimName: string
  readonly requiredScope: readonly string[]
  readonly allowableClockSkewMs: number
}

const blank = (s: string | undefined): boolean => s === undefined || s.trim() === ''

/** The validator's options from the JAAS options of the OAuthBearerLoginModule line; bad values stop the broker. */
export function unsecuredValidatorOptions(options: ReadonlyMap<string, string>): UnsecuredValidatorOptions {
  const principal = options.get('unsecuredValidatorPrincipalClaimName')
  const scope = options.get('unsecuredValidatorScopeClaimName')
  const required = options.get('unsecuredValidatorRequiredScope')
  const skew = options.get('unsecuredValidatorAllowableClockSkewMs')
  let allowableClockSkewMs = 0
  if (!blank(skew)) {
    allowableClockSkewMs = Number(skew!.trim())
    if (!Number.isInteger(allowableClockSkewMs) || Math.abs(allowableClockSkewMs) > 2 ** 31 - 1)
      throw new ConfigException(`Invalid value for unsecuredValidatorAllowableClockSkewMs: ${skew}`)
    if (allowableClockSkewMs < 0)
      throw new ConfigException(`Allowable clock skew must not be negative: ${allowableClockSkewMs}`)
  }
  return {
    principalClaimName: blank(principal) ? 'sub' : principal!.trim(),
    scopeClaimName: blank(scope) ? 'scope' : scope!.trim(),
    requiredScope: blank(required)
      ? []
      : required!
          .trim()
          .split(' ')
          .filter((s) => s !== ''),
    allowableClockSkewMs,
  }
}

class IllegalToken extends Error {
  constructor(
    message: string,
    readonly failureScope?: string,
  ) {
    super(message)
  }
}

const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/

/** Kafka's OAuthBearerUnsecuredJws.toMap: a JSON object whose values become a string, a number or a string list. */
function toMap(split: string): Map<string, Claim> {
  if (!BASE64URL.test(split)) throw new IllegalToken('malformed Base64 URL encoded value')
  let json: unknown
  try {
    json = JSON.parse(Buffer.from(split, 'base64url').toString('utf8'))
  } catch {
    throw new IllegalToken('malformed JSON')
  }
  const out = new Map<string, Claim>()
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return out
  for (const [k, v] of Object.entries(json as Record<string, unknown>)) {
    if (Array.isArray(v)) out.set(k, v.map(asText))
    else out.set(k, typeof v === 'number' ? v : asText(v))
  }
  return out
}

/** Jackson's JsonNode.asText: containers give the empty string. */
function asText(v: unknown): string {
  if (typeof v === 'string') return v
  if (v === null) return 'null'
  if (typeof v === 'object') return ''
  return String(v)
}

const typeName = (v: Claim): string =>
  typeof v === 'string' ? 'String' : typeof v === 'number' ? 'Number' : 'List'

function claimOf<T extends Claim>(
  claims: ReadonlyMap<string, Claim>,
  name: string,
  type: 'String' | 'Number' | 'List',
): T | undefined {
  const v = claims.get(name)
  if (v === undefined) return undefined
  if (typeName(v) !== type)
    throw new IllegalToken(`The '${name}' claim was not of type ${type}: ${typeName(v)}`)
  return v as T
}

/** Java's %f. */
const f = (n: number): string => n.toFixed(6)

/** Parses and checks one token; throws IllegalToken with Kafka's reason. */
function validateToken(value: string, o: UnsecuredValidatorOptions, nowMs: number): OAuthBearerToken {
  if (value.includes('..')) throw new IllegalToken("Malformed compact serialization contains '..'")
  // Java's String.split drops trailing empty strings; Kafka adds one back for the empty signature.
  const splits = value.split('.')
  while (splits.length > 0 && splits[splits.length - 1] === '') splits.pop()
  if (value.endsWith('.')) splits.push('')
  if (splits.length !== 3)
    throw new IllegalToken(
      'Unsecured JWS compact serializations must have 3 dot-separated Base64URL-encoded values',
    )
  const header = toMap(splits[0]!)
  const claims = toMap(splits[1]!)
  const alg = header.get('alg')
  if (alg === undefined) throw new IllegalToken('JWS header must have an Algorithm value')
  if (String(alg) !== 'none') throw new IllegalToken("Unsecured JWS must have 'none' for an algorithm")
  if (splits[2] !== '') throw new IllegalToken('Unsecured JWS must not contain a digital signature')

  // The scope: a string claim is one element; a list gives its non-blank elements.
  let scope: Set<string>
  const rawScope = claims.get(o.scopeClaimName)
  if (typeof rawScope === 'string') scope = new Set(rawScope.trim() === '' ? [] : [rawScope.trim()])
  else {
    const list = claimOf<readonly string[]>(claims, o.scopeClaimName, 'List') ?? []
    scope = new Set(list.filter((s) => s.trim() !== '').map((s) => s.trim()))
  }
  const exp = claimOf<number>(claims, 'exp', 'Number')
  if (exp === undefined) throw new IllegalToken('No expiration time in JWT')
  const principalName = claimOf<string>(claims, o.principalClaimName, 'String')
  if (principalName === undefined || principalName.trim() === '')
    throw new IllegalToken(`No principal name in JWT claim: ${o.principalClaimName}`)
  const iat = claimOf<number>(claims, 'iat', 'Number')

  const skew = o.allowableClockSkewMs
  if (iat !== undefined && 1000 * iat > nowMs + skew)
    throw new IllegalToken(
      `The Issued At value (${f(iat)} seconds) was after the indicated time (${nowMs} ms) plus allowable clock skew (${skew} ms)`,
    )
  if (nowMs - skew >= 1000 * exp)
    throw new IllegalToken(
      `The indicated time (${nowMs} ms) minus allowable clock skew (${skew} ms) was on or after the Expiration Time value (${f(exp)} seconds)`,
    )
  if (iat !== undefined && exp <= iat)
    throw new IllegalToken(
      `The Expiration Time time (${f(exp)} seconds) was not after the Issued At time (${f(iat)} seconds)`,
    )
  for (const required of o.requiredScope) {
    if (!scope.has(required)) {
      const all = `[${o.requiredScope.join(', ')}]`
      throw new IllegalToken(
        `The provided scope ([${[...scope].join(', ')}]) was missing a required scope (${required}).  All required scope elements: ${all}`,
        all,
      )
    }
  }
  return {
    principalName,
    lifetimeMs: Math.round(exp * 1000),
    scope,
    startTimeMs: iat === undefined ? null : Math.round(iat * 1000),
  }
}

/** The validator: a refused token is `invalid_token`, or `insufficient_scope` with the required scope. */
export function unsecuredJwsValidator(o: UnsecuredValidatorOptions, now: () => number): OAuthBearerValidator {
  return (value): OAuthBearerValidation => {
    try {
      return { token: validateToken(value, o, now()) }
    } catch (e) {
      if (!(e instanceof IllegalToken)) throw e
      return e.failureScope !== undefined
        ? { error: { status: 'insufficient_scope', scope: e.failureScope }, reason: e.message }
        : { error: { status: 'invalid_token' }, reason: e.message }
    }
  }
}
