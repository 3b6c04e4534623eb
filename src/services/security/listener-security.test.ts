import { connectionQuotaConfig } from '../../network/connection-quotas.js'
import { readFileSync } from 'node:fs'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BrokerConfig } from '../../config/broker-config.js'
import { ConfigException } from '../../config/config-def.js'
import { RequestDispatcher } from '../../handlers/dispatcher.js'
import { apiVersionsHandler } from '../../handlers/18-api-versions.js'
import { defineHandler, type Handler } from '../../handlers/handler.js'
import { principalToString } from '../../network/channel.js'
import { BrokerClient } from '../../network/broker-client.js'
import { SocketServer } from '../../network/socket-server.js'
import { silentLogger } from '../../util/logger.js'
import { listenerSecurity, type SaslDependencies } from './listener-security.js'
import { ScramCredentialStore } from './scram-credentials.js'
import { makePki, WhoAmI, type Issued, type Pki } from './test-helpers.js'
import { tlsClientOptions } from './tls-material.js'

const deps: SaslDependencies = {
  scramCredentials: new ScramCredentialStore(silentLogger),
  now: Date.now,
  sleep: () => Promise.resolve(),
  log: silentLogger,
}

let pki: Pki
let server: Issued
let client: Issued
let stranger: Issued
beforeAll(() => {
  pki = makePki()
  server = pki.issue('server', '/CN=localhost')
  client = pki.issue('client', '/O=Acme/OU=Eng/CN=alice')
  stranger = pki.issue('stranger', '/CN=mallory', { selfSigned: true })
})

let running: SocketServer | undefined
afterEach(async () => {
  await running?.stop()
  running = undefined
})

const config = (props: Record<string, string>): BrokerConfig =>
  new BrokerConfig(
    new Map(
      Object.entries({ listeners: 'SSL://127.0.0.1:0', 'security.inter.broker.protocol': 'SSL', ...props }),
    ),
  )

async function serve(cfg: BrokerConfig): Promise<number> {
  const d = new RequestDispatcher([], silentLogger)
  d.register(apiVersionsHandler(() => d.handlers))
  d.register(
    defineHandler(WhoAmI, {
      handle: (_req, ctx) => ({ principal: principalToString(ctx.principal) }),
    }) as Handler,
  )
  const l = cfg.listeners[0]!
  running = new SocketServer(
    {
      listeners: [{ ...l, security: listenerSecurity(cfg, l, deps).security }],
      limits: { maxRequestSize: 1 << 20, maxInFlight: 100, writeHighWaterMark: 1 << 20 },
      connectionQuotas: connectionQuotaConfig({ maxConnections: 100, maxConnectionsPerIp: 100 }),
      connectionsMaxIdleMs: 600_000,
    },
    d,
    silentLogger,
  )
  const [bound] = await running.start()
  return bound!.boundPort
}

/** Connects as a client configured with `props` (a client's ssl.* settings) and asks who it is. */
async function whoAmI(port: number, props: Record<string, string>): Promise<string> {
  const c = await BrokerClient.connect({
    host: '127.0.0.1',
    port,
    clientId: 'test',
    requestTimeoutMs: 5000,
    tls: tlsClientOptions(config(props), 'SSL'),
  })
  try {
    return (await c.send(WhoAmI, 0, {})).principal
  } finally {
    c.close()
  }
}

const serverPkcs12 = (): Record<string, string> => ({
  'ssl.keystore.type': 'PKCS12',
  'ssl.keystore.location': server.p12,
  'ssl.keystore.password': server.password,
  'ssl.truststore.type': 'PEM',
  'ssl.truststore.location': pki.caPem,
})
const trustCa = (): Record<string, string> => ({
  'ssl.truststore.type': 'PEM',
  'ssl.truststore.location': pki.caPem,
})
const asClient = (who: Issued): Record<string, string> => ({
  ...trustCa(),
  'ssl.keystore.type': 'PKCS12',
  'ssl.keystore.location': who.p12,
  'ssl.keystore.password': who.password,
})

describe('SSL listeners', () => {
  it('serves TLS with a PKCS12 key store; a client without a certificate is User:ANONYMOUS', async () => {
    const port = await serve(config(serverPkcs12()))
    expect(await whoAmI(port, trustCa())).toBe('User:ANONYMOUS')
  })

  it('ssl.client.auth=required: the certificate subject is the principal; no certificate is refused', async () => {
    const port = await serve(config({ ...serverPkcs12(), 'ssl.client.auth': 'required' }))
    expect(await whoAmI(port, asClient(client))).toBe('User:CN=alice,OU=Eng,O=Acme')
    await expect(whoAmI(port, trustCa())).rejects.toThrow()
    await expect(whoAmI(port, asClient(stranger))).rejects.toThrow()
  })

  it('ssl.client.auth=requested (per listener): certificates are optional but must be trusted', async () => {
    const port = await serve(config({ ...serverPkcs12(), 'listener.name.ssl.ssl.client.auth': 'requested' }))
    expect(await whoAmI(port, trustCa())).toBe('User:ANONYMOUS')
    expect(await whoAmI(port, asClient(client))).toBe('User:CN=alice,OU=Eng,O=Acme')
    await expect(whoAmI(port, asClient(stranger))).rejects.toThrow()
  })

  it('maps the subject with ssl.principal.mapping.rules', async () => {
    const port = await serve(
      config({
        ...serverPkcs12(),
        'ssl.client.auth': 'required',
        'ssl.principal.mapping.rules': 'RULE:^CN=([^,]*),OU=(.*),O=.*$/$1@$2/L,DEFAULT',
      }),
    )
    expect(await whoAmI(port, asClient(client))).toBe('User:alice@eng')
  })

  it('PEM key stores (KIP-651): a file with an encrypted key, or inline key and chain; PKCS12 trust store', async () => {
    const pemFile = {
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': server.pemStore,
      'ssl.truststore.type': 'PKCS12',
      'ssl.truststore.location': pki.caP12,
      'ssl.truststore.password': 'trustpass',
    }
    let port = await serve(config(pemFile))
    expect(await whoAmI(port, trustCa())).toBe('User:ANONYMOUS')
    await running!.stop()
    port = await serve(
      config({
        'ssl.keystore.type': 'PEM',
        'ssl.keystore.key': readFileSync(server.encryptedKey, 'utf8'),
        'ssl.key.password': server.password,
        'ssl.keystore.certificate.chain': readFileSync(server.cert, 'utf8'),
        'ssl.client.auth': 'required',
        'ssl.truststore.type': 'PEM',
        'ssl.truststore.certificates': readFileSync(pki.caPem, 'utf8'),
      }),
    )
    expect(await whoAmI(port, asClient(client))).toBe('User:CN=alice,OU=Eng,O=Acme')
  })

  it('ssl.enabled.protocols and ssl.cipher.suites (standard names) restrict what is negotiated', async () => {
    const port = await serve(
      config({
        ...serverPkcs12(),
        'ssl.enabled.protocols': 'TLSv1.2',
        'ssl.cipher.suites': 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
      }),
    )
    expect(await whoAmI(port, trustCa())).toBe('User:ANONYMOUS')
    await expect(whoAmI(port, { ...trustCa(), 'ssl.enabled.protocols': 'TLSv1.3' })).rejects.toThrow()
    await expect(
      whoAmI(port, { ...trustCa(), 'ssl.cipher.suites': 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256' }),
    ).rejects.toThrow()
  })

  it('refuses what it cannot load, with Kafka messages', () => {
    const check = (props: Record<string, string>, message: string | RegExp): void => {
      const cfg = config(props)
      expect(() => listenerSecurity(cfg, cfg.listeners[0]!, deps)).toThrow(ConfigException)
      expect(() => listenerSecurity(cfg, cfg.listeners[0]!, deps)).toThrow(message)
    }
    check({}, 'Listener SSL (SSL) has no key store')
    check(
      { ...serverPkcs12(), 'ssl.keystore.password': 'wrong' },
      /Failed to load SSL keystore .* of type PKCS12/,
    )
    check(
      { 'ssl.keystore.type': 'PKCS12', 'ssl.keystore.location': server.p12 },
      'SSL key store is specified, but key store password is not specified.',
    )
    check(
      { 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': server.pemStore, 'ssl.keystore.password': 'x' },
      'SSL key store password cannot be specified with PEM format, only key password may be specified',
    )
    check(
      { 'ssl.keystore.key': 'k', 'ssl.keystore.certificate.chain': 'c' },
      'SSL private key can be specified only for PEM, but key store type is JKS.',
    )
    check(
      { ...serverPkcs12(), 'ssl.keystore.location': '/nonexistent.p12' },
      'Failed to load SSL key store /nonexistent.p12',
    )
    check(
      { ...serverPkcs12(), 'ssl.cipher.suites': 'TLS_NOT_A_SUITE' },
      'Unsupported cipher suite in ssl.cipher.suites: TLS_NOT_A_SUITE',
    )
    check({ ...serverPkcs12(), 'ssl.principal.mapping.rules': 'RULE:x' }, 'Invalid rule')
  })
})
