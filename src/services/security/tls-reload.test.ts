import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BrokerConfig } from '../../config/broker-config.js'
import { checkKeystoreCompatible, listenerTls, tlsMaterialChanged } from './tls-material.js'
import { makePki } from './test-helpers.js'

describe('a key store reloaded on a dynamic update (KIP-226)', () => {
  const pki = makePki(mkdtempSync(join(tmpdir(), 'tls-reload-')))
  const tlsOf = (p12: string) =>
    listenerTls(
      new BrokerConfig(
        new Map([
          ['listeners', 'SSL://127.0.0.1:0'],
          ['security.inter.broker.protocol', 'SSL'],
          ['ssl.keystore.location', p12],
          ['ssl.keystore.password', 'storepass'],
        ]),
      ),
      'SSL',
      'SSL',
    )
  const current = tlsOf(pki.issue('a', '/CN=localhost').p12)

  it('counts as changed only when the material differs; a renewed certificate with the same subject and names passes', () => {
    expect(tlsMaterialChanged(current, tlsOf(pki.issue('a', '/CN=localhost').p12))).toBe(true)
    const same = tlsOf(pki.issue('b', '/CN=localhost').p12)
    expect(tlsMaterialChanged(same, same)).toBe(false)
    expect(() => checkKeystoreCompatible(current, same)).not.toThrow()
  })

  it('refuses another subject, or fewer subject alternative names, as Kafka does', () => {
    expect(() => checkKeystoreCompatible(current, tlsOf(pki.issue('c', '/CN=other').p12))).toThrow(
      'Keystore DistinguishedName does not match:  existing={DN=CN=localhost}, new={DN=CN=other}',
    )
    expect(() =>
      checkKeystoreCompatible(current, tlsOf(pki.issue('d', '/CN=localhost', { san: 'DNS:localhost' }).p12)),
    ).toThrow('Keystore SubjectAltNames do not match')
  })
})
