/**
 * How each listener secures its connections, from the broker's config: TLS material and client authentication
 * for SSL and SASL_SSL listeners, the principal of a client certificate (ssl.principal.mapping.rules), and the
 * SASL authenticator of SASL listeners.
 */
import type { BrokerConfig } from '../../config/broker-config.js'
import type { Password } from '../../config/config-def.js'
import { ConfigException } from '../../config/config-def.js'
import type { Endpoint } from '../../config/listeners.js'
import { userPrincipal } from '../../network/channel.js'
import type { ListenerSecurity } from '../../network/socket-server.js'
import { Apis } from '../../protocol/messages/index.js'
import { OAuthBearerServer } from '../../protocol/sasl/oauthbearer.js'
import { PlainServer } from '../../protocol/sasl/plain.js'
import type { SaslServer } from '../../protocol/sasl/sasl.js'
import { scramMechanism, ScramServer } from '../../protocol/sasl/scram.js'
import type { Logger } from '../../util/logger.js'
import { OAUTHBEARER_LOGIN_MODULE, parseJaasConfig, PLAIN_LOGIN_MODULE, type JaasEntry } from './jaas.js'
import { unsecuredJwsValidator, unsecuredValidatorOptions } from './oauthbearer-unsecured.js'
import { SaslServerAuthenticator, type SaslListener } from './sasl-authenticator.js'
import type { ScramCredentialStore } from './scram-credentials.js'
import { SslPrincipalMapper, subjectDistinguishedName } from './ssl-principal.js'
import { listenerTls, tlsClientOptions, tlsServerOptions, type ListenerTls } from './tls-material.js'
import type { BrokerAddress } from '../../network/broker-client.js'

/** What SASL listeners need from the rest of the broker. */
export interface SaslDependencies {
  readonly scramCredentials: ScramCredentialStore
  readonly now: () => number
  readonly sleep: (ms: number) => Promise<void>
  readonly log: Logger
}

/** The SASL mechanisms Samsa can serve. */
export const SUPPORTED_SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'] as const
/** The mechanisms this broker can log in to the others with (not OAUTHBEARER: it has no token login). */
const INTER_BROKER_SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const

/**
 * The JAAS entry of a listener's mechanism: `listener.name.<l>.<mechanism>.sasl.jaas.config`, or (a Samsa
 * convenience) the broker-wide `sasl.jaas.config`. Kafka's static JAAS file is not read.
 */
export function listenerJaas(config: BrokerConfig, listenerName: string, mechanism: string): JaasEntry {
  const prefixed = `listener.name.${listenerName.toLowerCase()}.${mechanism.toLowerCase()}.sasl.jaas.config`
  const raw = config.listenerRaw(listenerName, 'sasl.jaas.config', mechanism)
  const value = raw ?? (config.get('sasl.jaas.config') as Password | null)?.value
  const name = raw !== undefined ? prefixed : 'sasl.jaas.config'
  if (value === undefined)
    throw new ConfigException(
      `Could not find a JAAS configuration for mechanism ${mechanism} on listener ${listenerName}: set ${prefixed} ` +
        '(or sasl.jaas.config)',
    )
  const entries = parseJaasConfig(value, name)
  if (entries.length !== 1)
    throw new ConfigException(
      `JAAS config property contains ${entries.length} login modules, should be 1 module (${name})`,
    )
  return entries[0]!
}

/** The enabled mechanisms of a SASL listener (listener.name.<l>.sasl.enabled.mechanisms or the broker's). */
export function listenerMechanisms(config: BrokerConfig, listenerName: string): string[] {
  return [
    ...((config.listenerValue(listenerName, 'sasl.enabled.mechanisms') as readonly string[] | null) ?? []),
  ]
}

function saslListener(config: BrokerConfig, listener: Endpoint, deps: SaslDependencies): SaslListener {
  const mechanisms = listenerMechanisms(config, listener.name)
  if (mechanisms.length === 0)
    throw new ConfigException(`No SASL mechanisms are enabled on listener ${listener.name}`)
  const servers = new Map<string, () => SaslServer>()
  for (const mechanism of mechanisms) {
    if (!(SUPPORTED_SASL_MECHANISMS as readonly string[]).includes(mechanism))
      throw new ConfigException(
        `SASL mechanism ${mechanism} (sasl.enabled.mechanisms of listener ${listener.name}) is not supported by Samsa; ` +
          `it supports ${SUPPORTED_SASL_MECHANISMS.join(', ')}`,
      )
    const handler = config.listenerRaw(listener.name, 'sasl.server.callback.handler.class', mechanism)
    if (handler !== undefined || config.get('sasl.server.callback.handler.class') !== null)
      throw new ConfigException(
        `sasl.server.callback.handler.class: Samsa cannot load a custom SASL callback handler`,
      )
    const jaas = listenerJaas(config, listener.name, mechanism)
    if (mechanism === 'PLAIN') {
      const users = new Map<string, string>()
      if (jaas.loginModule === PLAIN_LOGIN_MODULE)
        for (const [k, v] of jaas.options) if (k.startsWith('user_')) users.set(k.slice('user_'.length), v)
      servers.set(mechanism, () => new PlainServer((u, p) => users.has(u) && users.get(u) === p))
    } else if (mechanism === 'OAUTHBEARER') {
      if (jaas.loginModule !== OAUTHBEARER_LOGIN_MODULE)
        throw new ConfigException(
          `The JAAS configuration of mechanism OAUTHBEARER on listener ${listener.name} must use ` +
            `${OAUTHBEARER_LOGIN_MODULE}, not ${jaas.loginModule}`,
        )
      // Kafka's default server callback handler: unsecured JWS tokens (OAuthBearerUnsecuredValidatorCallbackHandler).
      const validate = unsecuredJwsValidator(unsecuredValidatorOptions(jaas.options), deps.now)
      servers.set(
        mechanism,
        () =>
          new OAuthBearerServer(validate, (reason) => deps.log.debug(`OAUTHBEARER token refused: ${reason}`)),
      )
    } else {
      const scram = scramMechanism(mechanism)!
      servers.set(
        mechanism,
        () => new ScramServer(scram, (user) => deps.scramCredentials.lookup(user, mechanism)),
      )
    }
  }
  const num = (name: string, mechanism?: string): number =>
    Number(config.listenerValue(listener.name, name, mechanism))
  return {
    listenerName: listener.name,
    mechanisms,
    newServer: (m) => servers.get(m)!(),
    maxReauthMs: (m) => num('connections.max.reauth.ms', m),
    maxReceiveSize: num('sasl.server.max.receive.size'),
    failedAuthenticationDelayMs: config.failedAuthenticationDelayMs,
    maxApiVersionsVersion: Apis.ApiVersions.request.validVersions.max,
    now: deps.now,
    sleep: deps.sleep,
    log: deps.log,
  }
}

export interface ListenerSecuritySetup {
  readonly security: ListenerSecurity | undefined
  /** The TLS of an SSL / SASL_SSL listener. */
  readonly tls: ListenerTls | undefined
}

export function listenerSecurity(
  config: BrokerConfig,
  listener: Endpoint,
  deps: SaslDependencies,
): ListenerSecuritySetup {
  const protocol = listener.securityProtocol
  if (protocol === 'PLAINTEXT') return { security: undefined, tls: undefined }
  const useTls = protocol === 'SSL' || protocol === 'SASL_SSL'
  const t = useTls ? listenerTls(config, listener.name, protocol) : undefined
  let certificatePrincipal: ListenerSecurity['certificatePrincipal']
  if (protocol === 'SSL') {
    const rules = config.listenerValue(listener.name, 'ssl.principal.mapping.rules')
    const mapper = new SslPrincipalMapper(typeof rules === 'string' ? rules : 'DEFAULT')
    certificatePrincipal = (der) => userPrincipal(mapper.getName(subjectDistinguishedName(der)))
  }
  let authenticator: ListenerSecurity['authenticator']
  if (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL') {
    const sasl = saslListener(config, listener, deps)
    authenticator = (channel) => new SaslServerAuthenticator(sasl, channel)
  }
  return {
    security: {
      ...(t ? { tls: tlsServerOptions(t) } : {}),
      ...(certificatePrincipal ? { certificatePrincipal } : {}),
      ...(authenticator ? { authenticator } : {}),
    },
    tls: t,
  }
}

/**
 * How this broker connects to the others' inter-broker listener: TLS with its own key and trust stores for SSL and
 * SASL_SSL, and for SASL the mechanism `sasl.mechanism.inter.broker.protocol` with the `username` and `password` of
 * that mechanism's JAAS configuration on the inter-broker listener (as Kafka's inter-broker client uses them).
 */
export function interBrokerClientSecurity(config: BrokerConfig): Omit<BrokerAddress, 'host' | 'port'> {
  const protocol = config.interBrokerSecurityProtocol
  const listener = config.interBrokerListenerName
  const tls = protocol === 'SSL' || protocol === 'SASL_SSL' ? tlsClientOptions(config, listener) : undefined
  if (protocol !== 'SASL_PLAINTEXT' && protocol !== 'SASL_SSL') return tls ? { tls } : {}
  const mechanism = String(config.get('sasl.mechanism.inter.broker.protocol'))
  if (!(INTER_BROKER_SASL_MECHANISMS as readonly string[]).includes(mechanism))
    throw new ConfigException(
      `sasl.mechanism.inter.broker.protocol=${mechanism} is not supported by Samsa; it supports ${INTER_BROKER_SASL_MECHANISMS.join(', ')}`,
    )
  const jaas = listenerJaas(config, listener, mechanism)
  const username = jaas.options.get('username')
  const password = jaas.options.get('password')
  if (username === undefined || password === undefined)
    throw new ConfigException(
      `The JAAS configuration of mechanism ${mechanism} on the inter-broker listener ${listener} must give the ` +
        'username and password this broker logs in to the others with',
    )
  return { ...(tls ? { tls } : {}), sasl: { mechanism, username, password } }
}
