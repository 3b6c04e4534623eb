/**
 * Security with real clients: TLS listeners (a CA made by openssl at test time, with and without client
 * certificates), and the start-up refusal of what Samsa cannot honour — never a silent downgrade to PLAINTEXT.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBroker as startInProcess } from '../src/index.js'
import { makePki, type Issued, type Pki } from '../src/services/security/test-helpers.js'
import { printBrokerLogsOnFailure, startBroker, type BrokerProcess } from './support/broker.js'
import {
  KAFKA_SERVER_START,
  REPO_ROOT,
  scratchDir,
  STANDALONE_PROPERTIES,
  uniqueName,
} from './support/env.js'
import { kcatConsume, kcatMetadata, kcatProduce } from './support/kcat.js'
import { freePort } from './support/procs.js'
import { run } from './support/run.js'

printBrokerLogsOnFailure()

describe('start-up refusal', () => {
  it('kafka-server-start.sh exits with a message for a SASL mechanism it cannot serve (the default, GSSAPI)', async () => {
    const dir = await scratchDir('refuse')
    const [plain, secure] = [await freePort(), await freePort()]
    const r = await run(
      KAFKA_SERVER_START,
      [
        STANDALONE_PROPERTIES,
        '--override',
        `listeners=PLAINTEXT://127.0.0.1:${plain},SASL_PLAINTEXT://127.0.0.1:${secure}`,
        '--override',
        `log.dirs=${dir}`,
      ],
      { cwd: REPO_ROOT, allowFailure: true, timeoutMs: 30_000 },
    )
    expect(r.code).toBe(1)
    expect(r.stdout + r.stderr).toContain(
      'SASL mechanism GSSAPI (sasl.enabled.mechanisms of listener SASL_PLAINTEXT) is not supported by Samsa',
    )
  })

  it('startBroker() rejects TLS material that does not load', async () => {
    await expect(
      startInProcess({
        properties: {
          listeners: 'SSL://127.0.0.1:0',
          'security.inter.broker.protocol': 'SSL',
          'ssl.keystore.type': 'PKCS12',
          'ssl.keystore.location': '/nonexistent/keystore.p12',
          'ssl.keystore.password': 'x',
        },
        logLevel: 'silent',
      }),
    ).rejects.toThrow('Failed to load SSL key store /nonexistent/keystore.p12')
  })
})

describe('TLS listeners with kcat (librdkafka)', () => {
  let pki: Pki
  let client: Issued
  let stranger: Issued
  let broker: BrokerProcess
  let ssl: string
  let mtls: string

  beforeAll(async () => {
    pki = makePki(await scratchDir('pki'))
    const server = pki.issue('server', '/CN=localhost')
    client = pki.issue('client', '/O=Samsa/CN=kcat-client')
    stranger = pki.issue('stranger', '/CN=stranger', { selfSigned: true })
    const [sslPort, mtlsPort] = [await freePort(), await freePort()]
    ssl = `127.0.0.1:${sslPort}`
    mtls = `127.0.0.1:${mtlsPort}`
    const port = await freePort()
    broker = await startBroker({
      port,
      overrides: {
        listeners: `PLAINTEXT://127.0.0.1:${port},SSL://${ssl},MTLS://${mtls}`,
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SSL:SSL,MTLS:SSL',
        'ssl.keystore.type': 'PKCS12',
        'ssl.keystore.location': server.p12,
        'ssl.keystore.password': server.password,
        'ssl.truststore.type': 'PEM',
        'ssl.truststore.location': pki.caPem,
        'listener.name.mtls.ssl.client.auth': 'required',
      },
    })
  })

  afterAll(async () => {
    await broker?.stop()
  })

  const tlsProps = (): Record<string, string> => ({
    'security.protocol': 'ssl',
    'ssl.ca.location': pki.caPem,
  })
  const mtlsProps = (who: Issued): Record<string, string> => ({
    ...tlsProps(),
    'ssl.certificate.location': who.cert,
    'ssl.key.location': who.key,
  })

  it('produces and consumes over SSL (metadata answers with the SSL listener the client connected to)', async () => {
    const topic = uniqueName('tls')
    await kcatProduce(ssl, topic, [{ value: 'over tls 1' }, { value: 'over tls 2' }], { props: tlsProps() })
    const got = await kcatConsume(ssl, topic, { props: tlsProps(), count: 2 })
    expect(got.map((m) => m.payload)).toEqual(['over tls 1', 'over tls 2'])
    const md = await kcatMetadata(broker.bootstrap)
    expect(md.brokers[0]!.name).toBe(broker.bootstrap) // a PLAINTEXT client is sent to the PLAINTEXT listener
  })

  it('a listener with ssl.client.auth=required serves a trusted client certificate and refuses others', async () => {
    const topic = uniqueName('mtls')
    await kcatProduce(mtls, topic, [{ value: 'with a certificate' }], { props: mtlsProps(client) })
    const got = await kcatConsume(mtls, topic, { props: mtlsProps(client), count: 1 })
    expect(got.map((m) => m.payload)).toEqual(['with a certificate'])
    for (const props of [tlsProps(), mtlsProps(stranger)]) {
      await expect(
        kcatProduce(mtls, topic, [{ value: 'refused' }], {
          props: { ...props, 'message.timeout.ms': 3000 },
          timeoutMs: 20_000,
        }),
      ).rejects.toThrow()
    }
  })
})
