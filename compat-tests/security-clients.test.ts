/**
 * SASL and TLS with real, unchanged clients — kcat, kafkajs, kafka-python, confluent-kafka and Sarama: PLAIN (users
 * in the JAAS configuration), SCRAM-SHA-256 and SCRAM-SHA-512 (users in ZooKeeper), each over SASL_PLAINTEXT and
 * SASL_SSL (a CA made by openssl at test time), OAUTHBEARER with unsecured JWS tokens (kcat, kafkajs), and client
 * certificates on a listener that requires them. Wrong
 * passwords, missing and untrusted certificates are refused; a SCRAM user written into ZooKeeper while the broker
 * runs logs in within seconds, and removing it locks it out. One broker for the whole file; each client runs its
 * whole matrix in one process.
 */
import { readFileSync } from 'node:fs'
import tls from 'node:tls'
import { ConfigResourceTypes } from 'kafkajs'
import type { SASLOptions } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { makePki, unsecuredJws, type Issued } from '../src/services/security/test-helpers.js'
import { printBrokerLogsOnFailure } from './support/broker.js'
import { logLines, startCluster } from './support/cluster.js'
import { scratchDir, uniqueName, waitFor } from './support/env.js'
import { kafkajs, withAdmin, withProducer } from './support/kafkajs.js'
import { freePort } from './support/procs.js'
import { runPython } from './support/python.js'
import { runSarama } from './support/sarama.js'
import { kcatConsume, kcatProduce } from './support/kcat.js'
import {
  OAUTH_REQUIRED_SCOPE,
  SASL_MECHANISMS,
  SCRAM_USER,
  setScramUser,
  startSecureBroker,
  userFor,
  type SaslMechanism,
  type SaslProtocol,
  type SecureBroker,
} from './support/security.js'

printBrokerLogsOnFailure()

const PROTOCOLS: readonly SaslProtocol[] = ['SASL_PLAINTEXT', 'SASL_SSL']
const MATRIX = PROTOCOLS.flatMap((protocol) => SASL_MECHANISMS.map((mechanism) => ({ protocol, mechanism })))

let sb: SecureBroker
beforeAll(async () => {
  sb = await startSecureBroker(inject('zkConnect'))
})
afterAll(async () => {
  await sb?.broker.stop()
})

function librdkafkaProps(
  protocol: SaslProtocol,
  mechanism: SaslMechanism,
  user = userFor(mechanism),
): Record<string, string> {
  return {
    'security.protocol': protocol.toLowerCase(),
    'sasl.mechanisms': mechanism,
    'sasl.username': user.username,
    'sasl.password': user.password,
    ...(protocol === 'SASL_SSL' ? { 'ssl.ca.location': sb.pki.caPem } : {}),
  }
}

describe('kcat (librdkafka)', () => {
  it('produces and consumes with every mechanism over SASL_PLAINTEXT and SASL_SSL', async () => {
    for (const { protocol, mechanism } of MATRIX) {
      const topic = uniqueName(`kcat-${mechanism}-${protocol}`.toLowerCase())
      const props = librdkafkaProps(protocol, mechanism)
      const value = `${mechanism} over ${protocol}`
      await kcatProduce(sb.bootstrap(protocol), topic, [{ value }], { props })
      const got = await kcatConsume(sb.bootstrap(protocol), topic, { props, count: 1 })
      expect(
        got.map((m) => m.payload),
        `${mechanism} over ${protocol}`,
      ).toEqual([value])
    }
  })

  it('is refused with a wrong password', async () => {
    for (const mechanism of SASL_MECHANISMS) {
      const props = librdkafkaProps('SASL_PLAINTEXT', mechanism, { ...userFor(mechanism), password: 'wrong' })
      await expect(
        kcatProduce(sb.saslPlaintext, uniqueName('kcat-refused'), [{ value: 'x' }], {
          props: { ...props, 'message.timeout.ms': 3000 },
          timeoutMs: 20_000,
        }),
        mechanism,
      ).rejects.toThrow(/Authentication failed|SASL authentication error/)
    }
  })
})

function kafkajsSasl(mechanism: SaslMechanism, user = userFor(mechanism)): SASLOptions {
  const m = mechanism.toLowerCase() as 'plain' | 'scram-sha-256' | 'scram-sha-512'
  return { mechanism: m, username: user.username, password: user.password } as SASLOptions
}

const kafkajsClient = (protocol: SaslProtocol, sasl: SASLOptions): ReturnType<typeof kafkajs> =>
  kafkajs(sb.bootstrap(protocol), {
    sasl,
    ssl: protocol === 'SASL_SSL' ? { ca: [readFileSync(sb.pki.caPem, 'utf8')] } : false,
    retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 500 },
  })

describe('kafkajs', () => {
  it('produces and consumes with every mechanism over SASL_PLAINTEXT and SASL_SSL', async () => {
    for (const { protocol, mechanism } of MATRIX) {
      const kafka = kafkajsClient(protocol, kafkajsSasl(mechanism))
      const topic = uniqueName(`kjs-${mechanism}-${protocol}`.toLowerCase())
      const value = `${mechanism} over ${protocol}`
      // created first, waiting for its leader: an auto-created topic's first leader election can outlast this
      // client's short retries (1 retry, ≤ 500 ms) on a loaded machine ("There is no leader for this
      // topic-partition as we are in the middle of a leadership election")
      await withAdmin(kafka, (admin) => admin.createTopics({ topics: [{ topic }], waitForLeaders: true }))
      await withProducer(kafka, {}, (p) => p.send({ topic, acks: -1, messages: [{ value }] }))
      const got = await kcatConsume(sb.bootstrap(protocol), topic, {
        props: librdkafkaProps(protocol, mechanism),
        count: 1,
      })
      expect(
        got.map((m) => m.payload),
        `${mechanism} over ${protocol}`,
      ).toEqual([value])
    }
  })

  it('produces with a trusted client certificate; without one, or with an untrusted one, it is refused', async () => {
    const ca = [readFileSync(sb.pki.caPem, 'utf8')]
    const withCert = (who: Issued | null): ReturnType<typeof kafkajs> =>
      kafkajs(sb.mtls, {
        ssl: who ? { ca, cert: readFileSync(who.cert, 'utf8'), key: readFileSync(who.key, 'utf8') } : { ca },
        retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 },
        connectionTimeout: 5000,
      })
    const topic = uniqueName('kjs-mtls')
    await withProducer(withCert(sb.client), { allowAutoTopicCreation: true }, (p) =>
      p.send({ topic, acks: -1, messages: [{ value: 'with a certificate' }] }),
    )
    const got = await kcatConsume(sb.broker.bootstrap, topic, { count: 1 })
    expect(got.map((m) => m.payload)).toEqual(['with a certificate'])
    for (const who of [null, sb.stranger]) {
      await expect(
        withProducer(withCert(who), {}, () => Promise.resolve()),
        who ? 'untrusted certificate' : 'no certificate',
      ).rejects.toThrow()
    }
  })

  it('a client without SASL on a SASL listener is refused: its Metadata request fails the authentication, as in Kafka', async () => {
    const kafka = kafkajs(sb.saslPlaintext, { retry: { retries: 0 }, connectionTimeout: 5000 })
    await expect(withAdmin(kafka, (admin) => admin.listTopics())).rejects.toThrow()
    await waitFor(
      'the broker to log the refused request',
      () =>
        logLines(sb.broker.logFile, /Unexpected Kafka request of type METADATA during SASL handshake\./)
          .length > 0,
    )
  })

  it("is refused with a wrong password, with Kafka's message", async () => {
    const kafka = kafkajsClient('SASL_SSL', kafkajsSasl('PLAIN', { username: 'alice', password: 'wrong' }))
    await expect(withProducer(kafka, {}, () => Promise.resolve())).rejects.toThrow(
      'Authentication failed: Invalid username or password',
    )
  })

  it('a SCRAM user written into ZooKeeper while the broker runs logs in within seconds; removed, it is locked out', async () => {
    const user = { username: uniqueName('late'), password: 'late-secret' }
    const connects = async (): Promise<boolean> => {
      try {
        await withProducer(kafkajsClient('SASL_PLAINTEXT', kafkajsSasl('SCRAM-SHA-512', user)), {}, () =>
          Promise.resolve(),
        )
        return true
      } catch {
        return false
      }
    }
    expect(await connects()).toBe(false)
    await setScramUser(sb.zkConnect, user.username, user.password)
    await waitFor('the new user to log in', connects, { timeoutMs: 10_000, intervalMs: 200 })
    await setScramUser(sb.zkConnect, user.username, null)
    await waitFor('the removed user to be locked out', async () => !(await connects()), {
      timeoutMs: 10_000,
      intervalMs: 200,
    })
  })
})

describe("OAUTHBEARER with unsecured JWS tokens (Kafka's default validator)", () => {
  /** librdkafka makes the unsecured JWS itself (enable.sasl.oauthbearer.unsecure.jwt). */
  const kcatOAuth = (protocol: SaslProtocol, config: string): Record<string, string> => ({
    'security.protocol': protocol.toLowerCase(),
    'sasl.mechanisms': 'OAUTHBEARER',
    'enable.sasl.oauthbearer.unsecure.jwt': 'true',
    'sasl.oauthbearer.config': config,
    ...(protocol === 'SASL_SSL' ? { 'ssl.ca.location': sb.pki.caPem } : {}),
  })
  const kafkajsOAuth = (claims: Record<string, unknown>): ReturnType<typeof kafkajs> =>
    kafkajs(sb.saslSsl, {
      sasl: {
        mechanism: 'oauthbearer',
        oauthBearerProvider: () => Promise.resolve({ value: unsecuredJws(claims) }),
      },
      ssl: { ca: [readFileSync(sb.pki.caPem, 'utf8')] },
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 },
    })

  it('kcat and kafkajs produce and consume with a token of the required scope; without it, or expired, they are refused', async () => {
    for (const protocol of PROTOCOLS) {
      const topic = uniqueName(`kcat-oauth-${protocol}`.toLowerCase())
      const props = kcatOAuth(protocol, `principal=oauth-user scope=${OAUTH_REQUIRED_SCOPE}`)
      await kcatProduce(sb.bootstrap(protocol), topic, [{ value: protocol }], { props })
      const got = await kcatConsume(sb.bootstrap(protocol), topic, { props, count: 1 })
      expect(got.map((m) => m.payload)).toEqual([protocol])
    }
    await expect(
      kcatProduce(sb.saslPlaintext, uniqueName('kcat-oauth-refused'), [{ value: 'x' }], {
        props: {
          ...kcatOAuth('SASL_PLAINTEXT', 'principal=oauth-user scope=other'),
          'message.timeout.ms': 3000,
        },
        timeoutMs: 20_000,
      }),
    ).rejects.toThrow(/insufficient_scope|SASL authentication error|Authentication failed/)

    const nowS = Math.floor(Date.now() / 1000)
    const topic = uniqueName('kjs-oauth')
    await withProducer(
      kafkajsOAuth({ sub: 'oauth-user', iat: nowS, exp: nowS + 3600, scope: [OAUTH_REQUIRED_SCOPE] }),
      { allowAutoTopicCreation: true },
      (p) => p.send({ topic, acks: -1, messages: [{ value: 'oauth' }] }),
    )
    const got = await kcatConsume(sb.saslSsl, topic, {
      props: kcatOAuth('SASL_SSL', `principal=oauth-user scope=${OAUTH_REQUIRED_SCOPE}`),
      count: 1,
    })
    expect(got.map((m) => m.payload)).toEqual(['oauth'])
    for (const claims of [
      { sub: 'oauth-user', exp: nowS - 10, scope: [OAUTH_REQUIRED_SCOPE] },
      { sub: 'oauth-user', exp: nowS + 3600 },
    ])
      // kafkajs does not acknowledge the broker's JSON error challenge: its next request fails the authentication.
      await expect(
        withProducer(kafkajsOAuth(claims), {}, (p) =>
          p.send({ topic, acks: -1, messages: [{ value: 'no' }] }),
        ),
      ).rejects.toThrow()
    await waitFor(
      'the broker to log both refusals',
      () =>
        logLines(sb.broker.logFile, /Unexpected Kafka request of type \w+ during SASL authentication\./)
          .length >= 2,
    )
  })
})

describe('a key store renewed while the broker runs (KIP-226)', () => {
  /** The serial number of the certificate a new TLS connection to the MTLS listener is served. */
  const servedSerial = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const [host, port] = sb.mtls.split(':') as [string, string]
      const socket = tls.connect({
        host,
        port: Number(port),
        servername: 'localhost',
        ca: readFileSync(sb.pki.caPem),
        cert: readFileSync(sb.client.cert),
        key: readFileSync(sb.client.key),
      })
      socket.once('secureConnect', () => {
        resolve(socket.getPeerCertificate().serialNumber)
        socket.destroy()
      })
      socket.once('error', reject)
    })
  const alterKeystore = (location: string): Promise<unknown> =>
    withAdmin(kafkajs(sb.broker.bootstrap, { retry: { retries: 0 } }), (admin) =>
      admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.BROKER,
            name: String(sb.broker.id),
            configEntries: [{ name: 'listener.name.mtls.ssl.keystore.location', value: location }],
          },
        ],
      }),
    )

  it('AlterConfigs on listener.name.<l>.ssl.keystore.location serves the new certificate to new connections; one with another subject is refused', async () => {
    const before = await servedSerial()
    const renewed = sb.pki.issue('server-renewed', '/CN=localhost')
    await alterKeystore(renewed.p12)
    await waitFor(
      'new connections to get the renewed certificate',
      async () => (await servedSerial()) !== before,
    )
    const served = await servedSerial()
    await expect(alterKeystore(sb.pki.issue('other-subject', '/CN=other').p12)).rejects.toThrow()
    await waitFor(
      'the broker to log the refusal',
      () => logLines(sb.broker.logFile, /Keystore DistinguishedName does not match/).length > 0,
    )
    expect(await servedSerial()).toBe(served)
  })
})

describe.each(['kafka-python', 'confluent-kafka'] as const)('%s', (lib) => {
  it('produces and consumes with every mechanism over SASL_PLAINTEXT and SASL_SSL and with a client certificate; wrong passwords and missing or untrusted certificates are refused', async () => {
    const mtls = (name: string, who: Issued | null, expect: 'ok' | 'refused'): Record<string, unknown> => ({
      name,
      bootstrap: sb.mtls,
      protocol: 'SSL',
      ca: sb.pki.caPem,
      ...(who ? { cert: who.cert, key: who.key } : {}),
      topic: uniqueName(`py-${lib}-mtls`),
      expect,
      // kafka-python: the ssl module's error, or no usable broker; librdkafka: its SSL error.
      refusal: ['SSL', 'NoBrokersAvailable'],
    })
    const cases = [
      ...MATRIX.map(({ protocol, mechanism }) => ({
        name: `${mechanism} over ${protocol}`,
        bootstrap: sb.bootstrap(protocol),
        protocol,
        mechanism,
        ...userFor(mechanism),
        ca: sb.pki.caPem,
        topic: uniqueName(`py-${lib}-${mechanism}-${protocol}`.toLowerCase()),
        expect: 'ok',
      })),
      ...SASL_MECHANISMS.map((mechanism) => ({
        name: `${mechanism} with a wrong password`,
        bootstrap: sb.saslSsl,
        protocol: 'SASL_SSL',
        mechanism,
        ...userFor(mechanism),
        password: 'wrong',
        ca: sb.pki.caPem,
        topic: uniqueName('py-refused'),
        expect: 'refused',
        // kafka-python logs the broker's message and reports that no broker could be used.
        refusal: ['Authentication failed', 'NoBrokersAvailable'],
      })),
      mtls('a trusted client certificate', sb.client, 'ok'),
      mtls('no client certificate', null, 'refused'),
      mtls('an untrusted client certificate', sb.stranger, 'refused'),
    ]
    const r = await runPython<{ results: Record<string, string>; seconds: Record<string, number> }>(
      lib,
      { action: 'matrix', lib, cases },
      180_000,
      'security_matrix.py',
    )
    expect(r.results).toEqual(Object.fromEntries(cases.map((c) => [c.name, c.expect])))
  })
})

describe('Sarama', () => {
  it('produces and consumes with every mechanism over SASL_PLAINTEXT and SASL_SSL (SCRAM by its SCRAMClient hook) and with a client certificate; wrong passwords and missing or untrusted certificates are refused', async () => {
    const ca = sb.pki.caPem
    const mtls = (name: string, who: Issued | null, expect: 'ok' | 'refused'): Record<string, unknown> => ({
      name,
      brokers: [sb.mtls],
      topic: uniqueName('sarama-mtls'),
      version: '2.1.0',
      expect,
      refusal: ['tls: '],
      security: { protocol: 'SSL', ca, ...(who ? { cert: who.cert, key: who.key } : {}) },
    })
    const cases = [
      ...MATRIX.map(({ protocol, mechanism }) => ({
        name: `${mechanism} over ${protocol}`,
        brokers: [sb.bootstrap(protocol)],
        topic: uniqueName(`sarama-${mechanism}-${protocol}`.toLowerCase()),
        version: '2.1.0',
        expect: 'ok',
        security: { protocol, mechanism, ...userFor(mechanism), ca },
      })),
      {
        // Sarama before Kafka 1.0 sends SaslHandshake v0 and then the PLAIN token raw, outside a request.
        name: 'PLAIN with SaslHandshake v0 and a raw token',
        brokers: [sb.saslPlaintext],
        topic: uniqueName('sarama-plain-v0'),
        version: '0.10.2.0',
        expect: 'ok',
        security: { protocol: 'SASL_PLAINTEXT', mechanism: 'PLAIN', ...userFor('PLAIN') },
      },
      ...SASL_MECHANISMS.map((mechanism) => ({
        name: `${mechanism} with a wrong password`,
        brokers: [sb.saslSsl],
        topic: uniqueName('sarama-refused'),
        version: '2.1.0',
        expect: 'refused',
        refusal: ['SASL Authentication failed'],
        security: { protocol: 'SASL_SSL', mechanism, ...userFor(mechanism), password: 'wrong', ca },
      })),
      mtls('a trusted client certificate', sb.client, 'ok'),
      mtls('no client certificate', null, 'refused'),
      mtls('an untrusted client certificate', sb.stranger, 'refused'),
    ]
    const r = await runSarama<{ results: Record<string, string> }>({ action: 'matrix', cases }, 180_000)
    expect(r.results).toEqual(Object.fromEntries(cases.map((c) => [c.name, c.expect])))
  })
})

describe('a 3-broker cluster whose inter-broker listener is SASL_SSL', () => {
  it('replicates over SASL_SSL (PLAIN) with acks=all, and clients use SCRAM on the same listener', async () => {
    const pki = makePki(await scratchDir('cluster-pki'))
    const server = pki.issue('server', '/CN=localhost')
    const internal = new Map<number, number>()
    for (const id of [0, 1, 2]) internal.set(id, await freePort())
    const jaas =
      'org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" ' +
      'password="broker-secret" user_broker="broker-secret";'
    const cluster = await startCluster({
      overrides: {
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,INTERNAL:SASL_SSL',
        'inter.broker.listener.name': 'INTERNAL',
        'sasl.mechanism.inter.broker.protocol': 'PLAIN',
        'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-512',
        'listener.name.internal.plain.sasl.jaas.config': jaas,
        'listener.name.internal.scram-sha-512.sasl.jaas.config':
          'org.apache.kafka.common.security.scram.ScramLoginModule required;',
        'ssl.keystore.type': 'PKCS12',
        'ssl.keystore.location': server.p12,
        'ssl.keystore.password': server.password,
        'ssl.truststore.type': 'PEM',
        'ssl.truststore.location': pki.caPem,
      },
      brokerOverrides: (id, port) => ({
        listeners: `PLAINTEXT://127.0.0.1:${port},INTERNAL://127.0.0.1:${internal.get(id)!}`,
      }),
    })
    try {
      await setScramUser(cluster.zkConnect, SCRAM_USER.username, SCRAM_USER.password)
      const topic = uniqueName('sasl-ssl-rf3')
      await withAdmin(kafkajs(cluster.bootstrapAll()), (admin) =>
        admin.createTopics({
          waitForLeaders: true,
          topics: [{ topic, replicaAssignment: [{ partition: 0, replicas: [0, 1, 2] }] }],
        }),
      )
      await cluster.waitForTopic(topic, 1)
      const messages = Array.from({ length: 20 }, (_, i) => ({ value: `replicated ${i}` }))
      await withProducer(kafkajs(cluster.bootstrap()), {}, (p) => p.send({ topic, acks: -1, messages }))
      await cluster.waitForIsr(topic, 0, [0, 1, 2])
      // Every broker has every record: read each one's log through its INTERNAL (SASL_SSL) listener with SCRAM.
      for (const [, port] of internal) {
        const got = await kcatConsume(`127.0.0.1:${port}`, topic, {
          props: {
            'security.protocol': 'sasl_ssl',
            'sasl.mechanisms': 'SCRAM-SHA-512',
            'sasl.username': SCRAM_USER.username,
            'sasl.password': SCRAM_USER.password,
            'ssl.ca.location': pki.caPem,
          },
          count: messages.length,
        })
        expect(got.map((m) => m.payload)).toEqual(messages.map((m) => m.value))
      }
      for (const b of cluster.brokers) expect(logLines(b.logFile, /Failed authentication/)).toEqual([])
    } finally {
      await cluster.stop()
    }
  })
})
