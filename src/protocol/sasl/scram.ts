/**
 * SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677) as Kafka speaks them: the message formats Kafka's
 * ScramMessages accepts, the key derivation, Kafka's credential string (`salt=…,stored_key=…,server_key=…,
 * iterations=…` as stored in ZooKeeper's /config/users/<user>), and both sides of the exchange. Pure: no sockets,
 * no configuration — the server side is given a credential lookup.
 */
import crypto from 'node:crypto'
import { SaslAuthenticationFailure, SaslFailure, type SaslServer } from './sasl.js'

export type ScramMechanismName = 'SCRAM-SHA-256' | 'SCRAM-SHA-512'

export interface ScramMechanism {
  readonly name: ScramMechanismName
  readonly hash: 'sha256' | 'sha512'
  readonly keyLength: number
  /** Kafka's mechanism type in DescribeUserScramCredentials / AlterUserScramCredentials. */
  readonly type: number
  readonly minIterations: number
}

export const SCRAM_MECHANISMS: readonly ScramMechanism[] = [
  { name: 'SCRAM-SHA-256', hash: 'sha256', keyLength: 32, type: 1, minIterations: 4096 },
  { name: 'SCRAM-SHA-512', hash: 'sha512', keyLength: 64, type: 2, minIterations: 4096 },
]

/** AlterUserScramCredentials refuses more iterations than this (Kafka's limit). */
export const SCRAM_MAX_ITERATIONS = 16384

export function scramMechanism(name: string): ScramMechanism | undefined {
  return SCRAM_MECHANISMS.find((m) => m.name === name)
}

export function scramMechanismByType(type: number): ScramMechanism | undefined {
  return SCRAM_MECHANISMS.find((m) => m.type === type)
}

export interface ScramCredential {
  readonly salt: Buffer
  readonly storedKey: Buffer
  readonly serverKey: Buffer
  readonly iterations: number
}

const hmac = (m: ScramMechanism, key: Buffer, data: string | Buffer): Buffer =>
  crypto.createHmac(m.hash, key).update(data).digest()
const hash = (m: ScramMechanism, data: Buffer): Buffer => crypto.createHash(m.hash).update(data).digest()

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length)
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!
  return out
}

/** Hi(password, salt, iterations): PBKDF2 with the mechanism's HMAC. */
export function saltedPassword(
  m: ScramMechanism,
  password: string,
  salt: Buffer,
  iterations: number,
): Buffer {
  return crypto.pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, m.keyLength, m.hash)
}

/** The credential a server keeps for a salted password (what AlterUserScramCredentials sends). */
export function credentialFromSaltedPassword(
  m: ScramMechanism,
  salt: Buffer,
  salted: Buffer,
  iterations: number,
): ScramCredential {
  const clientKey = hmac(m, salted, 'Client Key')
  return { salt, storedKey: hash(m, clientKey), serverKey: hmac(m, salted, 'Server Key'), iterations }
}

export function credentialFromPassword(
  m: ScramMechanism,
  password: string,
  iterations: number,
  salt: Buffer = crypto.randomBytes(32),
): ScramCredential {
  return credentialFromSaltedPassword(m, salt, saltedPassword(m, password, salt, iterations), iterations)
}

/** Kafka's ScramCredentialUtils.credentialToString. */
export function formatCredential(c: ScramCredential): string {
  return (
    `salt=${c.salt.toString('base64')},stored_key=${c.storedKey.toString('base64')},` +
    `server_key=${c.serverKey.toString('base64')},iterations=${c.iterations}`
  )
}

/** Kafka's ScramCredentialUtils.credentialFromString; throws on a malformed value. */
export function parseCredential(s: string): ScramCredential {
  const props = new Map<string, string>()
  for (const part of s.split(',')) {
    const i = part.indexOf('=')
    if (i < 0) throw new Error(`Invalid SCRAM credential: ${part}`)
    props.set(part.slice(0, i), part.slice(i + 1))
  }
  const need = (k: string): string => {
    const v = props.get(k)
    if (v === undefined) throw new Error(`Credentials not valid: missing ${k}`)
    return v
  }
  const iterations = Number(need('iterations'))
  if (!Number.isInteger(iterations) || iterations <= 0) throw new Error('Credentials not valid: iterations')
  return {
    salt: Buffer.from(need('salt'), 'base64'),
    storedKey: Buffer.from(need('stored_key'), 'base64'),
    serverKey: Buffer.from(need('server_key'), 'base64'),
    iterations,
  }
}

// RFC 5802 grammar pieces as Kafka's ScramMessages restricts them (ASCII only).
const VALUE = '[\\x01-\\x2b\\x2d-\\x7f]+'
const PRINTABLE = '[\\x21-\\x2b\\x2d-\\x7e]+'
const SASLNAME = '(?:[\\x01-\\x2b\\x2d-\\x3c\\x3e-\\x7f]|=2C|=3D)+'
const BASE64 = '(?:[a-zA-Z0-9/+]{4})*(?:[a-zA-Z0-9/+]{3}=|[a-zA-Z0-9/+]{2}==)?'
const EXTENSIONS = `(?:,[A-Za-z]+=${VALUE})*`
const CLIENT_FIRST = new RegExp(
  `^n,(?:a=(${SASLNAME}))?,((?:m=${VALUE},)?n=(${SASLNAME}),r=(${PRINTABLE})(${EXTENSIONS}))$`,
)
const SERVER_FIRST = new RegExp(`^(?:m=${VALUE},)?r=(${PRINTABLE}),s=(${BASE64}),i=([0-9]+)${EXTENSIONS}$`)
const CLIENT_FINAL = new RegExp(`^(c=(${BASE64}),r=(${PRINTABLE})${EXTENSIONS}),p=(${BASE64})$`)
const SERVER_FINAL = new RegExp(`^(?:e=([\\x01-\\x2b\\x2d-\\x3c\\x3e-\\x7f]+)|v=(${BASE64}))${EXTENSIONS}$`)

/** `=2C` and `=3D` in a SCRAM user name stand for ',' and '='. */
export const saslNameToUsername = (s: string): string => s.replace(/=2C/g, ',').replace(/=3D/g, '=')
export const usernameToSaslName = (s: string): string => s.replace(/=/g, '=3D').replace(/,/g, '=2C')

/** Kafka's ScramFormatter.secureRandomString: 130 random bits in base 36. */
function nonce(): string {
  return BigInt(`0x${crypto.randomBytes(17).toString('hex')}`).toString(36)
}

export interface ScramServerResult {
  readonly authorizationId: string
  readonly tokenAuthenticated: boolean
  /** Extensions the client sent (tokenauth=true for delegation tokens). */
  readonly extensions: ReadonlyMap<string, string>
}

/**
 * The server side of one SCRAM exchange (Kafka's ScramSaslServer). `evaluate` takes the client-first then the
 * client-final message and returns the server-first and server-final messages. Failures throw SaslFailure (the
 * client is told only that its credentials are invalid) or SaslAuthenticationFailure (a message for the client).
 */
export class ScramServer implements SaslServer {
  readonly credentialExpiresAtMs = null
  private state: 'first' | 'final' | 'complete' | 'failed' = 'first'
  private credential: ScramCredential | undefined
  private clientFirstBare = ''
  private serverFirst = ''
  private combinedNonce = ''
  private result: ScramServerResult | undefined

  constructor(
    readonly scram: ScramMechanism,
    private readonly lookup: (username: string) => ScramCredential | undefined,
  ) {}

  get mechanism(): string {
    return this.scram.name
  }

  get complete(): boolean {
    return this.state === 'complete'
  }

  get authorizationId(): string {
    return this.outcome.authorizationId
  }

  get tokenAuthenticated(): boolean {
    return this.outcome.tokenAuthenticated
  }

  get outcome(): ScramServerResult {
    if (!this.result || this.state !== 'complete')
      throw new Error('Authentication exchange has not completed')
    return this.result
  }

  evaluate(response: Buffer): Buffer {
    try {
      switch (this.state) {
        case 'first':
          return this.first(response.toString('utf8'))
        case 'final':
          return this.final(response.toString('utf8'))
        default:
          throw new SaslAuthenticationFailure(`Unexpected challenge in Sasl server state ${this.state}`)
      }
    } catch (e) {
      this.state = 'failed'
      this.credential = undefined
      throw e
    }
  }

  private first(message: string): Buffer {
    const m = CLIENT_FIRST.exec(message)
    if (!m) throw new SaslFailure(`Invalid SCRAM client first message format: ${message}`)
    const authzid = m[1] ?? ''
    const username = saslNameToUsername(m[3]!)
    const extensions = new Map<string, string>()
    for (const e of (m[5] ?? '').split(',').filter((x) => x !== '')) {
      const i = e.indexOf('=')
      extensions.set(e.slice(0, i), e.slice(i + 1))
    }
    if (extensions.get('tokenauth') === 'true') {
      throw new SaslFailure(`Token Authentication failed: Invalid tokenId : ${username}`)
    }
    const credential = this.lookup(username)
    if (!credential) throw new SaslFailure('Authentication failed: Invalid user credentials')
    if (authzid !== '' && authzid !== username)
      throw new SaslAuthenticationFailure(
        'Authentication failed: Client requested an authorization id that is different from username',
      )
    if (credential.iterations < this.scram.minIterations)
      throw new SaslFailure(
        `Iterations ${credential.iterations} is less than the minimum ${this.scram.minIterations} for ${this.scram.name}`,
      )
    this.credential = credential
    this.clientFirstBare = m[2]!
    this.combinedNonce = m[4]! + nonce()
    this.serverFirst = `r=${this.combinedNonce},s=${credential.salt.toString('base64')},i=${credential.iterations}`
    this.result = { authorizationId: username, tokenAuthenticated: false, extensions }
    this.state = 'final'
    return Buffer.from(this.serverFirst, 'utf8')
  }

  private final(message: string): Buffer {
    const m = CLIENT_FINAL.exec(message)
    if (!m) throw new SaslFailure(`Invalid SCRAM client final message format: ${message}`)
    // Kafka 3.8.1+ (CVE-2024-56128) checks that the nonce ends with the one it sent, not equality: librdkafka before
    // 2.6.1 sends its own nonce twice (client nonce + the server's combined nonce).
    if (!m[3]!.endsWith(this.combinedNonce))
      throw new SaslFailure('Invalid client nonce in the final client message.')
    const c = this.credential!
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${m[1]!}`
    const proof = Buffer.from(m[4]!, 'base64')
    const clientSignature = hmac(this.scram, c.storedKey, authMessage)
    if (proof.length !== clientSignature.length) throw new SaslFailure('Invalid client credentials')
    const computedStoredKey = hash(this.scram, xor(proof, clientSignature))
    if (!crypto.timingSafeEqual(computedStoredKey, c.storedKey))
      throw new SaslFailure('Invalid client credentials')
    const serverSignature = hmac(this.scram, c.serverKey, authMessage)
    this.credential = undefined
    this.state = 'complete'
    return Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8')
  }
}

/** The client side of one SCRAM exchange (for inter-broker connections). */
export class ScramClient {
  private readonly clientNonce = nonce()
  private clientFirstBare = ''
  private expectedServerSignature: Buffer | undefined

  constructor(
    readonly mechanism: ScramMechanism,
    private readonly username: string,
    private readonly password: string,
  ) {}

  firstMessage(): Buffer {
    this.clientFirstBare = `n=${usernameToSaslName(this.username)},r=${this.clientNonce}`
    return Buffer.from(`n,,${this.clientFirstBare}`, 'utf8')
  }

  /** Answers the server-first message with the client-final message. */
  finalMessage(serverFirst: Buffer): Buffer {
    const text = serverFirst.toString('utf8')
    const m = SERVER_FIRST.exec(text)
    if (!m) throw new Error(`Invalid SCRAM server first message format: ${text}`)
    const combined = m[1]!
    if (!combined.startsWith(this.clientNonce))
      throw new Error('Invalid server nonce: does not start with client nonce')
    const iterations = Number(m[3])
    if (iterations < this.mechanism.minIterations)
      throw new Error(
        `Requested iterations ${iterations} is less than the minimum ${this.mechanism.minIterations}`,
      )
    const salted = saltedPassword(this.mechanism, this.password, Buffer.from(m[2]!, 'base64'), iterations)
    const withoutProof = `c=biws,r=${combined}`
    const authMessage = `${this.clientFirstBare},${text},${withoutProof}`
    const clientKey = hmac(this.mechanism, salted, 'Client Key')
    const clientSignature = hmac(this.mechanism, hash(this.mechanism, clientKey), authMessage)
    this.expectedServerSignature = hmac(
      this.mechanism,
      hmac(this.mechanism, salted, 'Server Key'),
      authMessage,
    )
    return Buffer.from(`${withoutProof},p=${xor(clientKey, clientSignature).toString('base64')}`, 'utf8')
  }

  /** Checks the server-final message (the server proves it knows the credential too). */
  verifyServerFinal(serverFinal: Buffer): void {
    const text = serverFinal.toString('utf8')
    const m = SERVER_FINAL.exec(text)
    if (!m) throw new Error(`Invalid SCRAM server final message format: ${text}`)
    if (m[1] !== undefined) throw new Error(`SCRAM authentication failed: ${m[1]}`)
    const signature = Buffer.from(m[2]!, 'base64')
    if (!this.expectedServerSignature || !signature.equals(this.expectedServerSignature))
      throw new Error('Invalid server signature in server final message')
  }
}
