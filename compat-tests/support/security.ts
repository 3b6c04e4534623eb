/**
 * Security set-ups for the compat tests: a broker with SASL_PLAINTEXT and SASL_SSL listeners (PLAIN users in the
 * JAAS configuration, SCRAM users in ZooKeeper) and TLS material made by openssl at test time; SCRAM users written
 * into ZooKeeper exactly as `kafka-configs --zookeeper --alter --entity-type users --add-config
 * 'SCRAM-SHA-256=[...]'` writes them (/config/users/<user> plus a /config/changes notification).
 */
import { credentialFromPassword, formatCredential, SCRAM_MECHANISMS } from '../../src/protocol/sasl/scram.js'
import { sanitizeEntityName } from '../../src/services/metadata/znodes.js'
import { makePki, type Issued, type Pki } from '../../src/services/security/test-helpers.js'
import { startBroker, type BrokerProcess } from './broker.js'
import { scratchDir, uniqueName } from './env.js'
import { freePort } from './procs.js'
import { zkCreate, zkWrite } from './cluster.js'
import { withZk } from './zk-client.js'

export const PLAIN_USERS: Readonly<Record<string, string>> = { admin: 'admin-secret', alice: 'alice-secret' }
export const SCRAM_USER = { username: 'scram-user', password: 'scram-secret' }
export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const
export type SaslMechanism = (typeof SASL_MECHANISMS)[number]
export type SaslProtocol = 'SASL_PLAINTEXT' | 'SASL_SSL'

/** Who logs in with a mechanism in these tests. */
export function userFor(mechanism: SaslMechanism): { username: string; password: string } {
  return mechanism === 'PLAIN' ? { username: 'alice', password: PLAIN_USERS.alice! } : SCRAM_USER
}

const plainJaas = (): string =>
  'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" ' +
  Object.entries(PLAIN_USERS)
    .map(([u, p]) => `user_${u}="${p}"`)
    .join(' ') +
  ';'
const SCRAM_JAAS = 'org.apache.kafka.common.security.scram.ScramLoginModule required;'
/** OAUTHBEARER with Kafka's default (unsecured JWS) validator; tokens must carry the `kafka` scope. */
export const OAUTH_REQUIRED_SCOPE = 'kafka'
const OAUTHBEARER_JAAS =
  'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required ' +
  `unsecuredLoginStringClaim_sub="admin" unsecuredValidatorRequiredScope="${OAUTH_REQUIRED_SCOPE}";`

/** The JAAS settings of a SASL listener, per mechanism as Kafka's documentation writes them. */
export function listenerJaasProps(listener: string): Record<string, string> {
  const l = listener.toLowerCase()
  return {
    [`listener.name.${l}.plain.sasl.jaas.config`]: plainJaas(),
    [`listener.name.${l}.scram-sha-256.sasl.jaas.config`]: SCRAM_JAAS,
    [`listener.name.${l}.scram-sha-512.sasl.jaas.config`]: SCRAM_JAAS,
    [`listener.name.${l}.oauthbearer.sasl.jaas.config`]: OAUTHBEARER_JAAS,
  }
}

/** /config/users/<user> for a password, with both SCRAM mechanisms (4096 iterations). */
export function scramUserConfig(password: string, iterations = 4096): string {
  const config: Record<string, string> = {}
  for (const m of SCRAM_MECHANISMS)
    config[m.name] = formatCredential(credentialFromPassword(m, password, iterations))
  return JSON.stringify({ version: 1, config })
}

/** Writes a user's SCRAM credentials (or, with null, removes them) and notifies the brokers. */
export async function setScramUser(zkConnect: string, user: string, password: string | null): Promise<void> {
  const name = sanitizeEntityName(user)
  await withZk(zkConnect, async (c) => {
    await zkWrite(
      c,
      `/config/users/${name}`,
      password === null ? '{"version":1,"config":{}}' : scramUserConfig(password),
    )
    await zkCreate(
      c,
      '/config/changes/config_change_',
      JSON.stringify({ version: 2, entity_path: `users/${name}` }),
      'persistent_sequential',
    )
  })
}

export interface SecureBroker {
  readonly broker: BrokerProcess
  readonly zkConnect: string
  readonly pki: Pki
  /** host:port of the SASL_PLAINTEXT and SASL_SSL listeners. */
  readonly saslPlaintext: string
  readonly saslSsl: string
  /** host:port of the MTLS listener: SSL with ssl.client.auth=required. */
  readonly mtls: string
  /** A client certificate the CA signed (principal User:CN=client,O=Samsa). */
  readonly client: Issued
  /** A self-signed client certificate the broker does not trust. */
  readonly stranger: Issued
  bootstrap(protocol: SaslProtocol): string
}

/**
 * A ZooKeeper-mode broker (its own chroot) with PLAINTEXT, SASL_PLAINTEXT, SASL_SSL and MTLS (SSL, client
 * certificates required) listeners, and the SCRAM user.
 */
export async function startSecureBroker(
  zk: string,
  overrides: Record<string, string | number> = {},
): Promise<SecureBroker> {
  const zkConnect = `${zk}/${uniqueName('sec')}`
  const pki = makePki(await scratchDir('pki'))
  const server = pki.issue('server', '/CN=localhost')
  const client = pki.issue('client', '/O=Samsa/CN=client')
  const stranger = pki.issue('stranger', '/CN=stranger', { selfSigned: true })
  const [port, sp, ss, mp] = [await freePort(), await freePort(), await freePort(), await freePort()]
  const saslPlaintext = `127.0.0.1:${sp}`
  const saslSsl = `127.0.0.1:${ss}`
  const mtls = `127.0.0.1:${mp}`
  const broker = await startBroker({
    port,
    zkConnect,
    overrides: {
      listeners: `PLAINTEXT://127.0.0.1:${port},SASL_PLAINTEXT://${saslPlaintext},SASL_SSL://${saslSsl},MTLS://${mtls}`,
      'listener.security.protocol.map':
        'PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,MTLS:SSL',
      'listener.name.mtls.ssl.client.auth': 'required',
      'sasl.enabled.mechanisms': [...SASL_MECHANISMS, 'OAUTHBEARER'].join(','),
      ...listenerJaasProps('SASL_PLAINTEXT'),
      ...listenerJaasProps('SASL_SSL'),
      'ssl.keystore.type': 'PKCS12',
      'ssl.keystore.location': server.p12,
      'ssl.keystore.password': server.password,
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': pki.caPem,
      'zookeeper.session.timeout.ms': 6000,
      'offsets.topic.num.partitions': 3,
      'group.initial.rebalance.delay.ms': 0,
      ...overrides,
    },
  })
  await setScramUser(zkConnect, SCRAM_USER.username, SCRAM_USER.password)
  return {
    broker,
    zkConnect,
    pki,
    saslPlaintext,
    saslSsl,
    mtls,
    client,
    stranger,
    bootstrap: (p) => (p === 'SASL_SSL' ? saslSsl : saslPlaintext),
  }
}
