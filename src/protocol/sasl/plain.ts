/**
 * SASL/PLAIN (RFC 4616) as Kafka's PlainSaslServer does it: `[authzid] NUL authcid NUL passwd`, the password checked
 * by a callback (users from the JAAS configuration's `user_<name>="<password>"` options).
 */
import { SaslAuthenticationFailure, SaslFailure, type SaslServer } from './sasl.js'

export class PlainServer implements SaslServer {
  readonly mechanism = 'PLAIN'
  readonly tokenAuthenticated = false
  readonly credentialExpiresAtMs = null
  private user: string | undefined

  constructor(private readonly verify: (username: string, password: string) => boolean) {}

  get complete(): boolean {
    return this.user !== undefined
  }

  get authorizationId(): string {
    if (this.user === undefined) throw new Error('Authentication exchange has not completed')
    return this.user
  }

  evaluate(response: Buffer): Buffer {
    const [authzid, username, password] = splitNul(response.toString('utf8')) as [string, string, string]
    if (username === '') throw new SaslFailure('Authentication failed: username not specified')
    if (password === '') throw new SaslFailure('Authentication failed: password not specified')
    let ok: boolean
    try {
      ok = this.verify(username, password)
    } catch {
      throw new SaslAuthenticationFailure('Authentication failed: credentials for user could not be verified')
    }
    if (!ok) throw new SaslAuthenticationFailure('Authentication failed: Invalid username or password')
    if (authzid !== '' && authzid !== username)
      throw new SaslAuthenticationFailure(
        'Authentication failed: Client requested an authorization id that is different from username',
      )
    this.user = username
    return Buffer.alloc(0)
  }
}

/** Kafka's split: always three tokens (missing ones empty); text after a third NUL is ignored. */
function splitNul(s: string): string[] {
  const out = ['', '', '']
  let start = 0
  for (let i = 0; i < 3; i++) {
    const end = s.indexOf('\u0000', start)
    if (end < 0) {
      out[i] = s.slice(start)
      break
    }
    out[i] = s.slice(start, end)
    start = end + 1
  }
  return out
}

/** The client's PLAIN token. */
export function plainClientToken(username: string, password: string): Buffer {
  return Buffer.from(`\u0000${username}\u0000${password}`, 'utf8')
}
