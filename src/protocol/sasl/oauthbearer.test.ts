import { describe, expect, it } from 'vitest'
import { OAuthBearerServer, oauthBearerClientToken, parseClientInitialResponse } from './oauthbearer.js'
import { SaslAuthenticationFailure, SaslFailure } from './sasl.js'

const token = { principalName: 'alice', lifetimeMs: 5000, scope: new Set<string>(), startTimeMs: null }

describe('SASL/OAUTHBEARER server', () => {
  it("parses the client's first message: authzid, token and extensions", () => {
    const r = parseClientInitialResponse(
      Buffer.from('n,a=alice,\u0001auth=bearer abc.def.\u0001traceId=42 x\u0001\u0001'),
    )
    expect(r).toEqual({
      authorizationId: 'alice',
      tokenValue: 'abc.def.',
      extensions: new Map([['traceId', '42 x']]),
    })
    expect(parseClientInitialResponse(oauthBearerClientToken('t.u.')).tokenValue).toBe('t.u.')
  })

  it.each([
    ['no GS2 header', 'auth=Bearer t\u0001\u0001', 'Invalid OAUTHBEARER client first message'],
    ['no auth', 'n,,\u0001k=v\u0001\u0001', "'auth' not specified"],
    ['a bad auth', 'n,,\u0001auth=Bearer\u0001\u0001', "invalid 'auth' format"],
    [
      'another scheme',
      'n,,\u0001auth=Basic abc\u0001\u0001',
      'Invalid scheme in OAUTHBEARER client first message: Basic',
    ],
  ])('refuses a first message with %s', (_what, msg, error) => {
    const s = new OAuthBearerServer(() => ({ token }))
    expect(() => s.evaluate(Buffer.from(msg))).toThrow(SaslFailure)
    expect(() => s.evaluate(Buffer.from(msg))).toThrow(error)
  })

  it('completes with the validated token: principal and credential expiry', () => {
    const s = new OAuthBearerServer((v) =>
      v === 'good' ? { token } : { error: { status: 'x' }, reason: '' },
    )
    expect(s.evaluate(oauthBearerClientToken('good', { a: 'b' })).length).toBe(0)
    expect([s.complete, s.authorizationId, s.credentialExpiresAtMs]).toEqual([true, 'alice', 5000])
    expect(s.extensions).toEqual(new Map([['a', 'b']]))
  })

  it('answers a refused token with the JSON error; the client acknowledges with ^A and gets it as the failure', () => {
    const reasons: string[] = []
    const s = new OAuthBearerServer(
      () => ({ error: { status: 'insufficient_scope', scope: '[k]' }, reason: 'why' }),
      (r) => reasons.push(r),
    )
    const challenge = s.evaluate(oauthBearerClientToken('t'))
    expect(challenge.toString()).toBe('{"status":"insufficient_scope", "scope":"[k]"}')
    expect(reasons).toEqual(['why'])
    expect(() => s.evaluate(Buffer.from([1]))).toThrow(
      new SaslAuthenticationFailure('{"status":"insufficient_scope", "scope":"[k]"}'),
    )
  })

  it('refuses an authorization id other than the principal', () => {
    const s = new OAuthBearerServer(() => ({ token }))
    expect(() => s.evaluate(Buffer.from('n,a=bob,\u0001auth=Bearer t\u0001\u0001'))).toThrow(
      "Authentication failed: Client requested an authorization id (bob) that is different from the token's principal name (alice)",
    )
  })
})
