/**
 * The authorizer's configuration. `authorizer.class.name` names Kafka's ACL authorizer — the ZooKeeper-mode
 * AclAuthorizer or KRaft's StandardAuthorizer, which Samsa implements as one thing — or is empty for none; any other
 * class cannot be loaded and stops the broker. The authorizer reads its own settings from the broker's properties,
 * as Kafka passes them to `Authorizer.configure`: `super.users` (principals separated by `;`) and
 * `allow.everyone.if.no.acl.found` (default false).
 */
import { ConfigException } from './config-def.js'

export const ACL_AUTHORIZER = 'kafka.security.authorizer.AclAuthorizer'
export const STANDARD_AUTHORIZER = 'org.apache.kafka.metadata.authorizer.StandardAuthorizer'

export const SUPER_USERS = 'super.users'
export const ALLOW_EVERYONE_IF_NO_ACL_FOUND = 'allow.everyone.if.no.acl.found'

/** Authorizer settings that are not broker configs (Kafka does not warn about them either). */
export const AUTHORIZER_CONFIG_NAMES: ReadonlySet<string> = new Set([
  SUPER_USERS,
  ALLOW_EVERYONE_IF_NO_ACL_FOUND,
])

/**
 * AclAuthorizer settings for a separate ZooKeeper ensemble holding the ACLs: Samsa keeps ACLs where the rest of the
 * cluster metadata lives and cannot honour them.
 */
export const SEPARATE_ACL_ZOOKEEPER_CONFIGS: readonly string[] = [
  'authorizer.zookeeper.url',
  'authorizer.zookeeper.connection.timeout.ms',
  'authorizer.zookeeper.session.timeout.ms',
  'authorizer.zookeeper.max.in.flight.requests',
]

/** The part of the broker's configuration the authorizer reads (BrokerConfig). */
export interface AuthorizerSettingsSource {
  readonly authorizerClassName: string
  readonly staticProps: ReadonlyMap<string, string>
}

export interface AuthorizerConfig {
  /** Principal strings (`User:admin`). */
  readonly superUsers: readonly string[]
  readonly allowEveryoneIfNoAclFound: boolean
}

/** Why `authorizer.class.name` cannot be honoured (null when it can). */
export function unsupportedAuthorizer(config: AuthorizerSettingsSource): string | null {
  const cls = config.authorizerClassName.trim()
  if (cls !== '' && cls !== ACL_AUTHORIZER && cls !== STANDARD_AUTHORIZER) {
    return (
      `authorizer.class.name=${cls}: Samsa cannot load this class; its authorizer is Kafka's ACL authorizer ` +
      `(${ACL_AUTHORIZER} or ${STANDARD_AUTHORIZER}), or leave the property empty for none`
    )
  }
  const separate = SEPARATE_ACL_ZOOKEEPER_CONFIGS.filter((n) => config.staticProps.has(n))
  if (cls !== '' && separate.length > 0) {
    return `${separate.join(', ')}: Samsa keeps ACLs with the rest of the cluster metadata and cannot use a separate ZooKeeper for them`
  }
  return null
}

/** The authorizer's settings, or null when no authorizer is configured. Throws ConfigException on bad values. */
export function authorizerConfig(config: AuthorizerSettingsSource): AuthorizerConfig | null {
  if (config.authorizerClassName.trim() === '') return null
  const why = unsupportedAuthorizer(config)
  if (why !== null) throw new ConfigException(why)
  const rawUsers = config.staticProps.get(SUPER_USERS)?.trim() ?? ''
  const superUsers = rawUsers === '' ? [] : rawUsers.split(';').map((s) => s.trim())
  for (const u of superUsers) {
    // SecurityUtils.parseKafkaPrincipal
    if (u.indexOf(':') <= 0)
      throw new ConfigException(
        `Invalid value ${rawUsers} for configuration ${SUPER_USERS}: expected a string in format principalType:principalName but got ${u}`,
      )
  }
  const rawAllow = config.staticProps.get(ALLOW_EVERYONE_IF_NO_ACL_FOUND)?.trim() ?? 'false'
  if (!/^(true|false)$/i.test(rawAllow))
    throw new ConfigException(
      `Invalid value ${rawAllow} for configuration ${ALLOW_EVERYONE_IF_NO_ACL_FOUND}: Expected value to be either true or false`,
    )
  return { superUsers, allowEveryoneIfNoAclFound: rawAllow.toLowerCase() === 'true' }
}
