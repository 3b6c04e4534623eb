/**
 * Settings Samsa cannot honour. A broker configured with one of them refuses to start, with a message naming the
 * setting, rather than running without the security (or other behaviour) the operator asked for.
 */
import type { BrokerConfig } from './broker-config.js'
import { unsupportedAuthorizer } from './authorizer.js'
import { ConfigException } from './config-def.js'

/** The replica selectors (KIP-392 `replica.selector.class`) Kafka ships, the only ones Samsa has. */
export const LEADER_SELECTOR_CLASS = 'org.apache.kafka.common.replica.LeaderSelector'
export const RACK_AWARE_SELECTOR_CLASS = 'org.apache.kafka.common.replica.RackAwareReplicaSelector'

const DEFAULT_PRINCIPAL_BUILDER =
  'org.apache.kafka.common.security.authenticator.DefaultKafkaPrincipalBuilder'

/** One message per setting of `config` that Samsa cannot honour (empty when it can honour them all). */
export function unsupportedSettings(config: BrokerConfig): string[] {
  const problems: string[] = []
  const builder = config.get('principal.builder.class')
  if (builder !== DEFAULT_PRINCIPAL_BUILDER) {
    problems.push(
      `principal.builder.class=${String(builder)}: Samsa builds principals as Kafka's DefaultKafkaPrincipalBuilder ` +
        'does and cannot load another class',
    )
  }
  const engineFactory = config.get('ssl.engine.factory.class')
  if (engineFactory !== null) {
    problems.push(
      `ssl.engine.factory.class=${String(engineFactory)}: Samsa cannot load a custom SSL engine factory`,
    )
  }
  const authorizer = unsupportedAuthorizer(config)
  if (authorizer !== null) problems.push(authorizer)
  const selector = config.get('replica.selector.class')
  if (selector !== null && selector !== LEADER_SELECTOR_CLASS && selector !== RACK_AWARE_SELECTOR_CLASS) {
    problems.push(
      `replica.selector.class=${String(selector)}: Samsa cannot load a custom replica selector; it has Kafka's ` +
        `${RACK_AWARE_SELECTOR_CLASS} and ${LEADER_SELECTOR_CLASS}`,
    )
  }
  return problems
}

/** Throws a ConfigException listing every setting of `config` that Samsa cannot honour. */
export function checkSupported(config: BrokerConfig): void {
  const problems = unsupportedSettings(config)
  if (problems.length === 0) return
  throw new ConfigException(
    problems.length === 1
      ? problems[0]!
      : `Unsupported configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
  )
}
