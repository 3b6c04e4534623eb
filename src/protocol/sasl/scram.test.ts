import { describe, expect, it } from 'vitest'
import { SaslFailure } from './sasl.js'
import {
  credentialFromPassword,
  formatCredential,
  parseCredential,
  ScramClient,
  ScramServer,
  scramMechanism,
} from './scram.js'

const m256 = scramMechanism('SCRAM-SHA-256')!

describe('SCRAM', () => {
  it('formats and parses credentials as Kafka stores them', () => {
    const c = credentialFromPassword(m256, 'pw', 4096, Buffer.from('salty'))
    const s = formatCredential(c)
    expect(s).toMatch(/^salt=c2FsdHk=,stored_key=[A-Za-z0-9+/=]+,server_key=[A-Za-z0-9+/=]+,iterations=4096$/)
    expect(parseCredential(s)).toEqual(c)
    expect(() => parseCredential('salt=x,iterations=1')).toThrow('missing stored_key')
  })

  it('client and server agree, and the server proves itself', () => {
    const cred = credentialFromPassword(m256, 'secret', 4096)
    const server = new ScramServer(m256, (u) => (u === 'bob' ? cred : undefined))
    const client = new ScramClient(m256, 'bob', 'secret')
    const first = server.evaluate(client.firstMessage())
    const final = server.evaluate(client.finalMessage(first))
    client.verifyServerFinal(final)
    expect(server.complete).toBe(true)
    expect(server.authorizationId).toBe('bob')
  })

  it('refuses a wrong password, an unknown user and a wrong nonce', () => {
    const cred = credentialFromPassword(m256, 'secret', 4096)
    const lookup = (u: string): typeof cred | undefined => (u === 'bob' ? cred : undefined)
    const s1 = new ScramServer(m256, lookup)
    const c1 = new ScramClient(m256, 'bob', 'wrong')
    expect(() => s1.evaluate(c1.finalMessage(s1.evaluate(c1.firstMessage())))).toThrow(SaslFailure)
    expect(() => new ScramServer(m256, lookup).evaluate(Buffer.from('n,,n=eve,r=abc'))).toThrow(
      'Authentication failed: Invalid user credentials',
    )
    const s3 = new ScramServer(m256, lookup)
    s3.evaluate(Buffer.from('n,,n=bob,r=abc'))
    expect(() => s3.evaluate(Buffer.from('c=biws,r=abcXYZ,p=AAAA'))).toThrow('Invalid client nonce')
  })

  it("accepts librdkafka's final nonce (its own nonce before the server's combined one), as Kafka 3.8.1+ does", () => {
    const cred = credentialFromPassword(m256, 'secret', 4096)
    const server = new ScramServer(m256, () => cred)
    const first = server.evaluate(Buffer.from('n,,n=bob,r=clientnonce')).toString()
    const combined = /r=([^,]+)/.exec(first)![1]!
    // Not a valid proof, but past the nonce check: the failure is about the credentials.
    expect(() => server.evaluate(Buffer.from(`c=biws,r=clientnonce${combined},p=AAAA`))).toThrow(
      'Invalid client credentials',
    )
  })
})
