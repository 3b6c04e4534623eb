import { mkdtempSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import tls from 'node:tls'
import { afterAll, describe, expect, it } from 'vitest'
import { BrokerConfig } from '../../config/broker-config.js'
import { deferExtraCaCerts, listenerTls, tlsClientOptions, tlsServerOptions } from './tls-material.js'
import { makePki } from './test-helpers.js'

// NODE_EXTRA_CA_CERTS deferred by bin/kafka-server-start.sh (the module keeps it: this file runs in its own
// module instance, and the cases run in order).
describe('NODE_EXTRA_CA_CERTS deferred to the TLS contexts without a trust store', () => {
  const pki = makePki(mkdtempSync(join(tmpdir(), 'deferred-ca-')))
  const server = pki.issue('server', '/CN=localhost')
  const config = new BrokerConfig(
    new Map([
      ['listeners', 'SSL://127.0.0.1:0'],
      ['security.inter.broker.protocol', 'SSL'],
      ['ssl.keystore.location', server.p12],
      ['ssl.keystore.password', 'storepass'],
    ]),
  )
  // the connecting side without a key store of its own (a PKCS12 key store's CA certificate would be trusted)
  const client = new BrokerConfig(
    new Map([
      ['listeners', 'SSL://127.0.0.1:0'],
      ['security.inter.broker.protocol', 'SSL'],
    ]),
  )
  const tlsServer = tls.createServer(tlsServerOptions(listenerTls(config, 'SSL', 'SSL')), (s) => s.end())
  const listening = new Promise<number>((resolve) =>
    tlsServer.listen(0, '127.0.0.1', () => resolve((tlsServer.address() as AddressInfo).port)),
  )
  afterAll(() => tlsServer.close())

  /** An inter-broker TLS connection (no trust store configured) to the listener: the error, if any. */
  const handshake = async (): Promise<string | undefined> => {
    const port = await listening
    return new Promise((resolve) => {
      const s = tls.connect({ ...tlsClientOptions(client, 'SSL'), host: '127.0.0.1', port }, () => {
        s.destroy()
        resolve(undefined)
      })
      s.once('error', (e) => resolve((e as NodeJS.ErrnoException).code ?? e.message))
    })
  }

  it('without a deferred file, Node default trust: no ca option, the private CA is not trusted', async () => {
    expect(listenerTls(config, 'SSL', 'SSL').secureContext.ca).toBeUndefined()
    expect(await handshake()).toBe('SELF_SIGNED_CERT_IN_CHAIN')
  })

  it('an unreadable file is ignored with a warning, as Node ignores it; the root certificates stay', () => {
    const warnings: string[] = []
    deferExtraCaCerts(join(pki.dir, 'missing.pem'), (m) => warnings.push(m))
    expect(listenerTls(config, 'SSL', 'SSL').secureContext.ca).toEqual(tls.rootCertificates)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/^Ignoring extra certs from `.*missing\.pem`, load failed: /)
  })

  it('a file that is not certificates is ignored too', () => {
    const bad = join(pki.dir, 'bad.pem')
    writeFileSync(bad, '-----BEGIN CERTIFICATE-----\nnot base64 DER\n-----END CERTIFICATE-----\n')
    const warnings: string[] = []
    deferExtraCaCerts(bad, (m) => warnings.push(m))
    expect(listenerTls(config, 'SSL', 'SSL').secureContext.ca).toEqual(tls.rootCertificates)
    expect(warnings).toHaveLength(1)
  })

  it("with the CA's file deferred: Node's root certificates plus the file's, and the handshake verifies", async () => {
    const warnings: string[] = []
    deferExtraCaCerts(pki.caPem, (m) => warnings.push(m))
    const ca = listenerTls(config, 'SSL', 'SSL').secureContext.ca as string[]
    expect(ca.slice(0, tls.rootCertificates.length)).toEqual(tls.rootCertificates)
    expect(ca).toHaveLength(tls.rootCertificates.length + 1)
    // the same array each time: a reload compares the material and must not see a change
    expect(listenerTls(config, 'SSL', 'SSL').secureContext.ca).toBe(ca)
    expect(await handshake()).toBeUndefined()
    expect(warnings).toEqual([])
  })
})
