import { readFileSync } from 'node:fs'
import crypto from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { SslPrincipalMapper, subjectDistinguishedName } from './ssl-principal.js'
import { makePki, type Pki } from './test-helpers.js'

let pki: Pki
beforeAll(() => {
  pki = makePki()
})

const der = (pemFile: string): Buffer => new crypto.X509Certificate(readFileSync(pemFile)).raw

describe('subject DN as Java writes it (RFC 2253)', () => {
  it('lists the most specific RDN first with RFC 2253 keywords', () => {
    const c = pki.issue('dn1', '/C=US/ST=California/L=San Jose/O=Acme/OU=Eng/CN=dave')
    expect(subjectDistinguishedName(der(c.cert))).toBe('CN=dave,OU=Eng,O=Acme,L=San Jose,ST=California,C=US')
  })

  it('escapes special characters and writes other attribute types as OID=#hex', () => {
    const c = pki.issue('dn2', '/O=Acme, Inc./CN=a\\+b\\=c;<d> /emailAddress=x@y.z')
    const dn = subjectDistinguishedName(der(c.cert))
    const emailHex = Buffer.concat([Buffer.from([0x16, 5]), Buffer.from('x@y.z')]).toString('hex')
    expect(dn).toBe(`1.2.840.113549.1.9.1=#${emailHex},CN=a\\+b\\=c\\;\\<d\\>\\ ,O=Acme\\, Inc.`)
  })

  it('joins multi-valued RDNs with +', () => {
    const c = pki.issue('dn3', '/O=Acme/CN=svc+UID=42')
    expect(subjectDistinguishedName(der(c.cert))).toBe('CN=svc+UID=42,O=Acme')
  })
})

describe('ssl.principal.mapping.rules (Kafka syntax)', () => {
  it('DEFAULT keeps the DN', () => {
    expect(new SslPrincipalMapper('DEFAULT').getName('CN=a,O=b')).toBe('CN=a,O=b')
  })

  it('applies the first matching RULE, with $n groups and L/U', () => {
    const m = new SslPrincipalMapper(
      'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/,RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L,RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/U,DEFAULT',
    )
    expect(m.getName('CN=kafka-server1,OU=ServiceUsers,O=Org,C=US')).toBe('kafka-server1')
    expect(m.getName('CN=Duke,OU=JavaSoft,O=Sun Microsystems,L=Cupertino,ST=CA,C=US')).toBe('duke@javasoft')
    expect(m.getName('OU=x,CN=admin.user,O=y')).toBe('ADMIN.USER')
    expect(m.getName('O=nothing')).toBe('O=nothing')
  })

  it('keeps a reference to a group the pattern lacks as literal text, and honours escapes', () => {
    expect(new SslPrincipalMapper('RULE:^CN=(.*)$/$1@$2/').getName('CN=a')).toBe('a@$2')
    expect(new SslPrincipalMapper('RULE:^CN=(.*)$/\\$1-$1/').getName('CN=a')).toBe('$1-a')
  })

  it('throws when no rule applies, and refuses malformed rules', () => {
    expect(() => new SslPrincipalMapper('RULE:^CN=(.*)$/$1/').getName('O=x')).toThrow('No rules apply to O=x')
    expect(() => new SslPrincipalMapper('RULE:^CN=(.*)$/$1/Lxx')).toThrow('Invalid rule')
    expect(() => new SslPrincipalMapper('DEFAULT, bogus')).toThrow('Invalid rule')
  })
})
