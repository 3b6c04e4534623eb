import { describe, expect, it } from 'vitest'
import { ConfigException } from '../../config/config-def.js'
import { unsecuredJwsValidator, unsecuredValidatorOptions } from './oauthbearer-unsecured.js'
import { unsecuredJws } from './test-helpers.js'

const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url')

const NOW = 1_700_000_000_000
const validator = (options: Record<string, string> = {}) =>
  unsecuredJwsValidator(unsecuredValidatorOptions(new Map(Object.entries(options))), () => NOW)
const refusal = (v: ReturnType<typeof validator>, token: string) => {
  const r = v(token)
  if (!('error' in r)) throw new Error('accepted')
  return r
}

describe("Kafka's unsecured OAUTHBEARER validator", () => {
  const exp = NOW / 1000 + 3600

  it('accepts an unsecured JWS: the principal is the sub claim, the lifetime its exp', () => {
    const r = validator()(unsecuredJws({ sub: 'alice', exp, iat: NOW / 1000, scope: ['a', ' b ', ''] }))
    expect(r).toEqual({
      token: { principalName: 'alice', lifetimeMs: exp * 1000, scope: new Set(['a', 'b']), startTimeMs: NOW },
    })
  })

  it.each([
    [
      'a signed token',
      `${b64({ alg: 'HS256' })}.${b64({ sub: 'a', exp })}.`,
      "Unsecured JWS must have 'none'",
    ],
    [
      'a signature',
      `${b64({ alg: 'none' })}.${b64({ sub: 'a', exp })}.c2ln`,
      'must not contain a digital signature',
    ],
    ['two parts', `${b64({ alg: 'none' })}.${b64({ sub: 'a', exp })}`, 'must have 3 dot-separated'],
    ['..', `${b64({ alg: 'none' })}..`, "contains '..'"],
    ['bad base64', `${b64({ alg: 'none' })}.!!.`, 'malformed Base64 URL encoded value'],
    ['bad JSON', `${b64({ alg: 'none' })}.${Buffer.from('{x').toString('base64url')}.`, 'malformed JSON'],
    ['no exp', unsecuredJws({ sub: 'alice' }), 'No expiration time in JWT'],
    [
      'a string exp',
      unsecuredJws({ sub: 'alice', exp: 'soon' }),
      "The 'exp' claim was not of type Number: String",
    ],
    ['no sub', unsecuredJws({ exp }), 'No principal name in JWT claim: sub'],
    ['a blank sub', unsecuredJws({ sub: ' ', exp }), 'No principal name in JWT claim: sub'],
    [
      'an expired token',
      unsecuredJws({ sub: 'a', exp: NOW / 1000 }),
      'was on or after the Expiration Time value',
    ],
    [
      'a future iat',
      unsecuredJws({ sub: 'a', exp, iat: NOW / 1000 + 1 }),
      'The Issued At value (1700000001.000000',
    ],
    ['iat after exp', unsecuredJws({ sub: 'a', exp, iat: exp + 1 }), 'was after the indicated time'],
  ])('refuses %s as invalid_token', (_what, token, reason) => {
    const r = refusal(validator(), token)
    expect(r.error).toEqual({ status: 'invalid_token' })
    expect(r.reason).toContain(reason)
  })

  it('unsecuredValidatorAllowableClockSkewMs allows that much skew both ways', () => {
    const v = validator({ unsecuredValidatorAllowableClockSkewMs: '5000' })
    expect('token' in v(unsecuredJws({ sub: 'a', exp: NOW / 1000 - 4 }))).toBe(true)
    expect('token' in v(unsecuredJws({ sub: 'a', exp, iat: NOW / 1000 + 4 }))).toBe(true)
    expect(refusal(v, unsecuredJws({ sub: 'a', exp: NOW / 1000 - 5 })).reason).toContain('Expiration Time')
  })

  it('unsecuredValidatorRequiredScope: every element must be in the scope claim, else insufficient_scope', () => {
    const v = validator({ unsecuredValidatorRequiredScope: ' kafka  write ' })
    expect('token' in v(unsecuredJws({ sub: 'a', exp, scope: ['write', 'kafka', 'x'] }))).toBe(true)
    const r = refusal(v, unsecuredJws({ sub: 'a', exp, scope: ['kafka'] }))
    expect(r.error).toEqual({ status: 'insufficient_scope', scope: '[kafka, write]' })
    expect(r.reason).toBe(
      'The provided scope ([kafka]) was missing a required scope (write).  All required scope elements: [kafka, write]',
    )
    // A string scope claim is one element, as in Kafka.
    expect(refusal(v, unsecuredJws({ sub: 'a', exp, scope: 'kafka write' })).error.status).toBe(
      'insufficient_scope',
    )
  })

  it('unsecuredValidatorPrincipalClaimName and unsecuredValidatorScopeClaimName name other claims', () => {
    const v = validator({
      unsecuredValidatorPrincipalClaimName: 'user',
      unsecuredValidatorScopeClaimName: 'scp',
      unsecuredValidatorRequiredScope: 'k',
    })
    const r = v(unsecuredJws({ user: 'bob', sub: 'alice', exp, scp: 'k' }))
    expect('token' in r && r.token.principalName).toBe('bob')
  })

  it('refuses a bad allowable clock skew at start-up', () => {
    expect(() => validator({ unsecuredValidatorAllowableClockSkewMs: 'x' })).toThrow(ConfigException)
    expect(() => validator({ unsecuredValidatorAllowableClockSkewMs: '-1' })).toThrow(
      'Allowable clock skew must not be negative: -1',
    )
  })
})
