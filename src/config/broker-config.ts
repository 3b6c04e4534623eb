/**
 * The broker's configuration (Kafka's KafkaConfig + DynamicBrokerConfig, ZooKeeper mode): server.properties and
 * `--override` pairs parsed against Kafka's definitions, Kafka's cross-checks, typed accessors with Kafka's unit
 * resolution, dynamic per-broker / cluster-default layers (from /config/brokers/<id> and /config/brokers/<default>)
 * and the data DescribeConfigs returns for a BROKER resource.
 */
import type { Logger } from '../util/logger.js'
import {
  CONFIG_TYPE_CODE,
  ConfigException,
  ConfigSource,
  convertToString,
  LONG_MAX,
  Password,
  parseAndValidate,
  parseType,
  type ConfigSynonym,
  type ConfigType,
  type ConfigValue,
  type DescribedConfig,
} from './config-def.js'
import {
  BROKER_CONFIG_DEFS,
  brokerConfigDef,
  STATIC_BROKER_CONFIG_DEFS,
  type SecurityProtocol,
} from './definitions.js'
import {
  endpointToString,
  parseCsvList,
  parseCsvMap,
  parseHttpListeners,
  parseListeners,
  parseListenerSecurityProtocolMap,
  resolveAdvertisedEndpoints,
  sameHost,
  securityProtocolForName,
  type Endpoint,
  type HttpListener,
} from './listeners.js'
import { inKafkaMapOrder } from './kafka-order.js'
import { AUTHORIZER_CONFIG_NAMES } from './authorizer.js'
import { loadPropertiesFileSync, parseKeyValueArgs } from './properties.js'
import {
  compareMetadataVersions,
  DEFAULT_MESSAGE_FORMAT_VERSION,
  parseMetadataVersion,
  recordVersionOf,
} from './metadata-version.js'

/** `group.consumer.migration.policy` values (KIP-848 online migration). */
export type ConsumerGroupMigrationPolicy = 'disabled' | 'upgrade' | 'downgrade' | 'bidirectional'
export interface BrokerConfigOptions {
  /** `--override key=value` settings, applied over the properties (later wins). */
  readonly overrides?: ReadonlyMap<string, string>
  /** Fail as Kafka does when zookeeper.connect is missing. Off for standalone mode, which has no ZooKeeper. */
  readonly requireZkConnect?: boolean
}

/** Where a dynamic broker config lives: /config/brokers/<id> or /config/brokers/<default>. */
export type DynamicLevel = 'per-broker' | 'cluster-default'

export interface DescribeBrokerOptions {
  /** 'broker' describes this broker (resource name = its id); 'default' the cluster defaults (empty name). */
  readonly resource: 'broker' | 'default'
  /** Only these names (null or empty = all). */
  readonly keys?: readonly string[] | null
  readonly includeSynonyms?: boolean
  readonly includeDocumentation?: boolean
}

const LISTENER_PREFIX = /^listener\.name\.[^.]*\.(.*)$/s
/** Listener configs given per SASL mechanism: listener.name.<l>.<mechanism>.<config>. */
const LISTENER_MECHANISM_CONFIGS = [
  'sasl.jaas.config',
  'sasl.login.callback.handler.class',
  'sasl.login.class',
  'sasl.server.callback.handler.class',
  'connections.max.reauth.ms',
]
/** SslConfigs.RECONFIGURABLE_CONFIGS: only updatable dynamically with a listener prefix. */
const DYNAMIC_SECURITY_CONFIGS = new Set([
  'ssl.keystore.type',
  'ssl.keystore.location',
  'ssl.keystore.password',
  'ssl.key.password',
  'ssl.truststore.type',
  'ssl.truststore.location',
  'ssl.truststore.password',
  'ssl.keystore.key',
  'ssl.keystore.certificate.chain',
  'ssl.truststore.certificates',
])
/** Listener configs Kafka treats as cluster-wide although they are listener configs. */
const CLUSTER_LEVEL_LISTENER_CONFIGS = new Set([
  'max.connections',
  'max.connection.creation.rate',
  'num.network.threads',
])
const VALID_HOST = /^[0-9a-zA-Z\-%._:]*$/
const COMPRESSION_CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const
export type CompressionCodecName = (typeof COMPRESSION_CODECS)[number]

/** The base name of a `listener.name.<listener>.<config>` key (mechanism-prefixed configs too), or undefined. */
function listenerBaseName(name: string): string | undefined {
  const m = LISTENER_PREFIX.exec(name)
  if (!m) return undefined
  const base = m[1] as string
  return LISTENER_MECHANISM_CONFIGS.find((c) => base.endsWith(c)) ?? base
}

/**
 * DynamicBrokerConfig.brokerConfigSynonyms: the names that set the same broker config, in precedence order
 * (log.retention.ms, log.retention.minutes, log.retention.hours; a listener override before its base config).
 */
export function brokerSynonyms(name: string): string[] {
  switch (name) {
    case 'log.roll.ms':
    case 'log.roll.hours':
      return ['log.roll.ms', 'log.roll.hours']
    case 'log.roll.jitter.ms':
    case 'log.roll.jitter.hours':
      return ['log.roll.jitter.ms', 'log.roll.jitter.hours']
    case 'log.flush.interval.ms':
      return ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms']
    case 'log.retention.ms':
    case 'log.retention.minutes':
    case 'log.retention.hours':
      return ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours']
  }
  const base = listenerBaseName(name)
  return base === undefined ? [name] : [name, base]
}

/** KafkaConfig.configType: the type of a broker config name, listener-prefixed names included. */
export function brokerConfigType(name: string): ConfigType | undefined {
  const exact = brokerConfigDef(name)
  if (exact) return exact.type
  for (const s of brokerSynonyms(name)) {
    const d = brokerConfigDef(s)
    if (d) return d.type
  }
  return undefined
}

const isKnownStatic = (name: string): boolean => {
  const d = brokerConfigDef(name)
  return (d !== undefined && !d.dynamicOnly) || AUTHORIZER_CONFIG_NAMES.has(name)
}

function scalaSet(names: Iterable<string>): string {
  return `Set(${[...names].join(', ')})`
}

/** Everything derived from one layering of the properties (static, or static + dynamic). */
interface Resolved {
  readonly props: ReadonlyMap<string, string>
  readonly values: ReadonlyMap<string, ConfigValue>
  readonly protocolMap: ReadonlyMap<string, SecurityProtocol>
  readonly listeners: readonly Endpoint[]
  readonly advertisedListeners: readonly Endpoint[]
  readonly httpListeners: readonly HttpListener[]
  readonly interBrokerListenerName: string
  readonly interBrokerSecurityProtocol: SecurityProtocol
  readonly warnings: readonly string[]
  readonly reader: ValueReader
}

export class BrokerConfig {
  /** The static properties: the file plus overrides (with node.id / broker.id filled in from each other). */
  readonly staticProps: ReadonlyMap<string, string>
  /** Names in the static properties that are not broker configs (ignored). */
  readonly unknownConfigs: readonly string[]
  /** Messages to log at WARN when the broker starts: unknown and deprecated configs, ignored settings. */
  readonly warnings: readonly string[]

  private readonly requireZkConnect: boolean
  private dynBroker = new Map<string, string>()
  private dynDefault = new Map<string, string>()
  private resolved: Resolved

  constructor(props: ReadonlyMap<string, string>, options: BrokerConfigOptions = {}) {
    const merged = new Map(props)
    for (const [k, v] of options.overrides ?? []) merged.set(k, v)
    // KafkaConfig.populateSynonyms: broker.id and node.id stand for each other.
    const brokerId = merged.get('broker.id')
    const nodeId = merged.get('node.id')
    if (brokerId === undefined && nodeId !== undefined) merged.set('broker.id', nodeId)
    else if (brokerId !== undefined && nodeId === undefined) merged.set('node.id', brokerId)
    this.staticProps = merged
    this.requireZkConnect = options.requireZkConnect ?? false

    const unknown = [...merged.keys()].filter((k) => !isKnownStatic(k) && listenerBaseName(k) === undefined)
    this.unknownConfigs = unknown
    this.resolved = this.resolve(this.layered(this.dynDefault, this.dynBroker))
    const warnings = unknown.map((k) => `The configuration '${k}' was supplied but isn't a known config.`)
    for (const [k] of merged) {
      const d = brokerConfigDef(k)
      if (d?.deprecated && k !== 'log.message.format.version')
        warnings.push(`${k} is deprecated. ${d.deprecated}`)
    }
    this.warnings = [...warnings, ...this.resolved.warnings]
  }

  /** Kafka's startup: a properties file plus `--override key=value` arguments. */
  static load(
    path: string,
    overrideArgs: readonly string[] = [],
    options: BrokerConfigOptions = {},
  ): BrokerConfig {
    const overrides = new Map(options.overrides ?? [])
    for (const [k, v] of parseKeyValueArgs(overrideArgs)) overrides.set(k, v)
    return new BrokerConfig(loadPropertiesFileSync(path), { ...options, overrides })
  }

  /** Logs the startup warnings, as Kafka does. */
  logWarnings(log: Logger): void {
    for (const w of this.warnings) log.warn(w)
  }

  // -------------------------------------------------------------------------------------------------------------
  // Resolution and validation

  private resolve(props: ReadonlyMap<string, string>): Resolved {
    const values = new Map<string, ConfigValue>()
    for (const def of BROKER_CONFIG_DEFS) {
      const raw = props.get(def.name)
      values.set(def.name, raw === undefined ? def.default : parseAndValidate(def, raw))
    }
    const warnings: string[] = []
    const v = new ValueReader(values)
    const originals = props

    // KafkaConfig field initialisation and validateValues(), in Kafka's order where it matters.
    if (v.list('process.roles').length > 0)
      throw new ConfigException(
        `process.roles is set (${v.list('process.roles').join(',')}): KRaft mode is not supported, only ZooKeeper mode.`,
      )
    if (v.int('node.id') !== v.int('broker.id'))
      throw new ConfigException('You must set `node.id` to the same value as `broker.id`.')
    if (this.requireZkConnect && v.str('zookeeper.connect') === null)
      throw new ConfigException(
        'Missing required configuration `zookeeper.connect` which has no default value.',
      )
    const brokerId = v.int('broker.id')
    if (v.bool('broker.id.generation.enable')) {
      if (brokerId < -1 || brokerId > v.int('reserved.broker.max.id'))
        throw new ConfigException(
          'broker.id must be greater than or equal to -1 and not greater than reserved.broker.max.id',
        )
    } else if (brokerId < 0) {
      throw new ConfigException('broker.id must be greater than or equal to 0')
    }

    const protocols = v.list('group.coordinator.rebalance.protocols').map((p) => p.toLowerCase())
    if (!protocols.includes('classic'))
      throw new ConfigException("Disabling the 'classic' protocol is not supported.")
    // Kafka offers the consumer protocol (KIP-848) in KRaft mode only; Samsa serves it in every mode. Share groups
    // (KIP-932) are not implemented.
    if (protocols.includes('share'))
      throw new ConfigException("The 'share' rebalance protocol (KIP-932) is not supported by Samsa.")
    // group.consumer.migration.policy: every value Kafka accepts is honoured (online upgrade/downgrade, KIP-848).
    for (const a of v.list('group.consumer.assignors')) {
      if (resolveAssignorName(a) === undefined)
        throw new ConfigException(
          `Invalid value ${a} for configuration group.consumer.assignors: supported assignors are uniform and range.`,
        )
    }

    const rollMs = logRollMs(v)
    if (rollMs < 1) throw new ConfigException('log.roll.ms must be greater than or equal to 1')
    if (logRollJitterMs(v) < 0)
      throw new ConfigException('log.roll.jitter.ms must be greater than or equal to 0')
    const retention = logRetentionMs(v)
    if (!(retention >= 1 || retention === -1))
      throw new ConfigException('log.retention.ms must be unlimited (-1) or, greater than or equal to 1')
    if (logDirs(v).length === 0)
      throw new ConfigException('At least one log directory must be defined via log.dirs or log.dir.')
    // Kafka divides by log.cleaner.threads here (and fails on 0 with "/ by zero"); with no cleaner threads there is
    // nothing to check.
    const cleanerThreads = v.int('log.cleaner.threads')
    if (
      cleanerThreads > 0 &&
      Math.floor(v.num('log.cleaner.dedupe.buffer.size') / cleanerThreads) <= 1024 * 1024
    )
      throw new ConfigException('log.cleaner.dedupe.buffer.size must be at least 1MB per cleaner thread.')
    if (v.int('replica.fetch.wait.max.ms') > v.int('replica.socket.timeout.ms'))
      throw new ConfigException(
        'replica.socket.timeout.ms should always be at least replica.fetch.wait.max.ms to prevent unnecessary socket timeouts',
      )
    if (v.int('replica.fetch.wait.max.ms') > v.num('replica.lag.time.max.ms'))
      throw new ConfigException(
        'replica.fetch.wait.max.ms should always be less than or equal to replica.lag.time.max.ms to prevent frequent changes in ISR',
      )

    // Listeners.
    const protocolMap = parseListenerSecurityProtocolMap(v.str('listener.security.protocol.map'))
    const listeners = parseListeners(v.str('listeners') ?? '', protocolMap, true)
    const advertisedProp = v.str('advertised.listeners')
    const advertisedListeners =
      advertisedProp === null ? listeners : parseListeners(advertisedProp, protocolMap, false)

    const controllerListenerNames = (v.str('controller.listener.names') ?? '')
      .split(',')
      .filter((s) => s !== '')
    if (controllerListenerNames.length > 0)
      throw new ConfigException(
        `controller.listener.names must be empty when not running in KRaft mode: [${controllerListenerNames.join(', ')}]`,
      )

    let interBrokerListenerName: string
    let interBrokerSecurityProtocol: SecurityProtocol
    const ibl = v.str('inter.broker.listener.name')
    if (ibl !== null) {
      if (originals.has('security.inter.broker.protocol'))
        throw new ConfigException(
          'Only one of inter.broker.listener.name and security.inter.broker.protocol should be set.',
        )
      interBrokerListenerName = ibl.toUpperCase()
      const sp = protocolMap.get(interBrokerListenerName)
      if (sp === undefined)
        throw new ConfigException(
          `Listener with name ${interBrokerListenerName} defined in inter.broker.listener.name not found in listener.security.protocol.map.`,
        )
      interBrokerSecurityProtocol = sp
    } else {
      const name = v.str('security.inter.broker.protocol') ?? 'PLAINTEXT'
      const sp = securityProtocolForName(name)
      if (sp === undefined)
        throw new ConfigException(
          `Invalid security protocol \`${name}\` defined in security.inter.broker.protocol`,
        )
      interBrokerListenerName = sp
      interBrokerSecurityProtocol = sp
    }
    const cpl = v.str('control.plane.listener.name')
    const controlPlaneListenerName = cpl === null ? null : cpl.toUpperCase()
    if (controlPlaneListenerName !== null && !protocolMap.has(controlPlaneListenerName))
      throw new ConfigException(
        `Listener with ${controlPlaneListenerName} defined in control.plane.listener.name not found in listener.security.protocol.map.`,
      )

    const listenerNames = new Set(listeners.map((l) => l.name))
    const early = v.str('early.start.listeners')
    if (early !== null) {
      for (const n of early
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')) {
        if (!listenerNames.has(n))
          throw new ConfigException(
            `early.start.listeners contains listener ${n}, but this is not contained in listeners or controller.listener.names`,
          )
      }
    }

    const advertisedNames = [...new Set(advertisedListeners.map((l) => l.name))]
    if (advertisedNames.length === 0)
      throw new ConfigException('There must be at least one broker advertised listener.')
    if (!advertisedNames.includes(interBrokerListenerName))
      throw new ConfigException(
        `inter.broker.listener.name must be a listener name defined in advertised.listeners. The valid options based on currently configured listeners are ${advertisedNames.join(',')}`,
      )
    if (!advertisedNames.every((n) => listenerNames.has(n)))
      throw new ConfigException(
        `advertised.listeners listener names must be equal to or a subset of the ones defined in listeners. Found ${advertisedNames.join(',')}. The valid options based on the current configuration are ${[...listenerNames].join(',')}`,
      )
    if (advertisedListeners.some((l) => l.host === '0.0.0.0'))
      throw new ConfigException(
        'advertised.listeners cannot use the nonroutable meta-address 0.0.0.0. Use a routable IP address.',
      )
    if (controlPlaneListenerName !== null) {
      if (!advertisedNames.includes(controlPlaneListenerName))
        throw new ConfigException(
          `control.plane.listener.name must be a listener name defined in advertised.listeners. The valid options based on currently configured listeners are ${advertisedNames.join(',')}`,
        )
      if (controlPlaneListenerName === interBrokerListenerName)
        throw new ConfigException(
          `control.plane.listener.name, when defined, should have a different value from the inter broker listener name. Currently they both have the value ${controlPlaneListenerName}`,
        )
    }

    // Message format version against the inter-broker protocol.
    const ibp = v.str('inter.broker.protocol.version') as string
    const mfv = v.str('log.message.format.version') as string
    const ibpAtLeast30 = compareMetadataVersions(ibp, '3.0-IV1') >= 0
    if (ibpAtLeast30 && recordVersionOf(mfv) < 2)
      warnings.push(
        `Broker configuration log.message.format.version with value ${mfv} is ignored because the inter-broker protocol version \`${ibp}\` is greater or equal than 3.0. This configuration is deprecated and it will be removed in Apache Kafka 4.0.`,
      )
    const effectiveMfv = ibpAtLeast30 ? DEFAULT_MESSAGE_FORMAT_VERSION : mfv
    const mfRecord = recordVersionOf(effectiveMfv)
    if (recordVersionOf(ibp) < mfRecord)
      throw new ConfigException(
        `log.message.format.version ${mfv} can only be used when inter.broker.protocol.version is set to version ${['0.8.0', '0.10.0', '0.11.0'][mfRecord]} or higher`,
      )
    const codec = v.int('offsets.topic.compression.codec')
    if (COMPRESSION_CODECS[codec] === undefined)
      throw new ConfigException(`Unknown compression type id: ${codec}`)
    if (codec === 4 && recordVersionOf(ibp) < 2)
      throw new ConfigException(
        'offsets.topic.compression.codec zstd can only be used when inter.broker.protocol.version is set to version 2.1 or higher',
      )

    if (interBrokerSecurityProtocol === 'SASL_PLAINTEXT' || interBrokerSecurityProtocol === 'SASL_SSL') {
      const prefixed = originals.get(
        `listener.name.${interBrokerListenerName.toLowerCase()}.sasl.enabled.mechanisms`,
      )
      const mechanisms = prefixed !== undefined ? parseCsvList(prefixed) : v.list('sasl.enabled.mechanisms')
      if (!mechanisms.includes(v.str('sasl.mechanism.inter.broker.protocol') ?? ''))
        throw new ConfigException(
          'sasl.mechanism.inter.broker.protocol must be included in sasl.enabled.mechanisms when SASL is used for inter-broker communication',
        )
    }
    const queuedMaxBytes = v.num('queued.max.request.bytes')
    if (queuedMaxBytes > 0 && queuedMaxBytes < v.int('socket.request.max.bytes'))
      throw new ConfigException(
        'queued.max.request.bytes must be larger or equal to socket.request.max.bytes',
      )
    const overrides = maxConnectionsPerIpOverrides(v)
    if (v.int('max.connections.per.ip') === 0 && overrides.size === 0)
      throw new ConfigException(
        'max.connections.per.ip can be set to zero only if max.connections.per.ip.overrides property is set.',
      )
    const invalidAddresses = [...overrides.keys()].filter((a) => !VALID_HOST.test(a))
    if (invalidAddresses.length > 0)
      throw new ConfigException(
        `max.connections.per.ip.overrides contains invalid addresses : ${invalidAddresses.join(',')}`,
      )
    const idle = v.num('connections.max.idle.ms')
    const authDelay = v.int('failed.authentication.delay.ms')
    if (idle >= 0 && authDelay >= idle)
      throw new ConfigException(
        `failed.authentication.delay.ms=${authDelay} should always be less than connections.max.idle.ms=${idle} to prevent failed authentication responses from timing out`,
      )

    const httpListeners = parseHttpListeners(v.list('http.listeners'))
    const clash = httpListeners.find(
      (h) => h.port !== 0 && listeners.some((l) => l.port === h.port && sameHost(l.host, h.host)),
    )
    if (clash)
      throw new ConfigException(
        `http.listeners ${clash.url} uses the port of a Kafka listener (listeners: ${v.str('listeners') ?? ''})`,
        'http.listeners',
      )

    return {
      props,
      values,
      protocolMap,
      listeners,
      advertisedListeners,
      httpListeners,
      interBrokerListenerName,
      interBrokerSecurityProtocol,
      warnings,
      reader: v,
    }
  }

  /** Static properties overlaid with the dynamic levels. (Dynamic-only configs count only when set dynamically.) */
  private layered(
    dynDefault: ReadonlyMap<string, string>,
    dynBroker: ReadonlyMap<string, string>,
  ): Map<string, string> {
    const props = new Map([...this.staticProps].filter(([k]) => brokerConfigDef(k)?.dynamicOnly !== true))
    for (const [k, v] of dynDefault) props.set(k, v)
    for (const [k, v] of dynBroker) props.set(k, v)
    return props
  }

  // -------------------------------------------------------------------------------------------------------------
  // Dynamic configs

  /**
   * Checks a dynamic update as Kafka's DynamicBrokerConfig.validateConfigs does (AlterConfigs on a BROKER
   * resource): read-only configs, SSL store configs without a listener prefix, value types, and per-broker
   * configs at the cluster-default level are refused with a ConfigException. (Kafka's handler answers
   * INVALID_REQUEST "Invalid config value for resource …: <message>".) Unknown names are allowed, as in Kafka.
   */
  static validateDynamicConfigs(props: ReadonlyMap<string, string>, perBroker: boolean): void {
    const names = [...props.keys()]
    const nonDynamic = names.filter((n) => {
      const d = brokerConfigDef(n)
      return d !== undefined && d.dynamic === 'read-only'
    })
    if (nonDynamic.length > 0)
      throw new ConfigException(`Cannot update these configs dynamically: ${scalaSet(nonDynamic)}`)
    const security = names.filter((n) => DYNAMIC_SECURITY_CONFIGS.has(n))
    if (security.length > 0)
      throw new ConfigException(
        `These security configs can be dynamically updated only per-listener using the listener prefix: ${scalaSet(security)}`,
      )
    for (const [k, value] of props) {
      const base = listenerBaseName(k) ?? k
      const def = brokerConfigDef(base)
      if (def) parseAndValidate(def, value)
    }
    if (!perBroker) {
      const perBrokerNames = names.filter((n) => {
        const base = listenerBaseName(n)
        if (base !== undefined) return !CLUSTER_LEVEL_LISTENER_CONFIGS.has(base)
        return brokerConfigDef(n)?.dynamic === 'per-broker'
      })
      if (perBrokerNames.length > 0)
        throw new ConfigException(
          `Cannot update these configs at default cluster level, broker id must be specified: ${scalaSet(perBrokerNames)}`,
        )
    }
  }

  /**
   * Validates a dynamic update against this broker: the checks of validateDynamicConfigs plus Kafka's whole-config
   * checks on the result (e.g. advertised.listeners against listeners). `props` is the complete new config of the
   * level (what /config/brokers/<entity> would hold afterwards).
   */
  validateDynamicUpdate(level: DynamicLevel, props: ReadonlyMap<string, string>): void {
    BrokerConfig.validateDynamicConfigs(props, level === 'per-broker')
    const dynDefault = level === 'cluster-default' ? props : this.dynDefault
    const dynBroker = level === 'per-broker' ? props : this.dynBroker
    this.resolve(this.layered(dynDefault, dynBroker))
  }

  /** This broker's configuration as it would be after a dynamic update of one level (for checks that load files). */
  candidate(level: DynamicLevel, props: ReadonlyMap<string, string>): BrokerConfig {
    const dynDefault = level === 'cluster-default' ? props : this.dynDefault
    const dynBroker = level === 'per-broker' ? props : this.dynBroker
    return new BrokerConfig(this.layered(dynDefault, dynBroker), { requireZkConnect: this.requireZkConnect })
  }

  /**
   * Applies the configs stored for one level (replacing what that level had), as Kafka does when the znode
   * changes: entries Kafka would ignore are dropped and reported in the returned messages (read-only configs,
   * SSL store configs without a listener prefix, invalid values, per-broker configs at the default level). If the
   * resulting configuration fails Kafka's whole-config checks, a ConfigException is thrown and nothing changes.
   */
  setDynamicConfigs(level: DynamicLevel, props: ReadonlyMap<string, string>): string[] {
    const perBroker = level === 'per-broker'
    const kept = new Map(props)
    const messages: string[] = []
    const drop = (names: string[], message: string): void => {
      if (names.length === 0) return
      for (const n of names) kept.delete(n)
      messages.push(`${message}: ${scalaSet(names)}`)
    }
    const invalid = [...kept].filter(([k, value]) => {
      const def = brokerConfigDef(listenerBaseName(k) ?? k)
      if (!def) return false
      try {
        parseAndValidate(def, value)
        return false
      } catch {
        return true
      }
    })
    if (invalid.length > 0) {
      for (const [k] of invalid) kept.delete(k)
      messages.push(
        `Dynamic ${perBroker ? 'broker' : 'default cluster'} config contains invalid values in: ${scalaSet(invalid.map(([k]) => k))}, these configs will be ignored`,
      )
    }
    drop(
      [...kept.keys()].filter((n) => brokerConfigDef(n)?.dynamic === 'read-only'),
      'Non-dynamic configs configured in ZooKeeper will be ignored',
    )
    drop(
      [...kept.keys()].filter((n) => DYNAMIC_SECURITY_CONFIGS.has(n)),
      'Security configs can be dynamically updated only using listener prefix, base configs will be ignored',
    )
    if (!perBroker)
      drop(
        [...kept.keys()].filter((n) => {
          const base = listenerBaseName(n)
          if (base !== undefined) return !CLUSTER_LEVEL_LISTENER_CONFIGS.has(base)
          return brokerConfigDef(n)?.dynamic === 'per-broker'
        }),
        'Per-broker configs defined at default cluster level will be ignored',
      )
    const dynDefault = perBroker ? this.dynDefault : kept
    const dynBroker = perBroker ? kept : this.dynBroker
    const resolved = this.resolve(this.layered(dynDefault, dynBroker))
    this.dynDefault = dynDefault
    this.dynBroker = dynBroker
    this.resolved = resolved
    return messages
  }

  /** The dynamic configs in effect at one level (after dropping what Kafka ignores). */
  dynamicConfigs(level: DynamicLevel): ReadonlyMap<string, string> {
    return level === 'per-broker' ? this.dynBroker : this.dynDefault
  }

  // -------------------------------------------------------------------------------------------------------------
  // Generic access

  /** The effective typed value of a config (static, overridden by dynamic defaults, then per-broker). */
  get(name: string): ConfigValue {
    const v = this.resolved.values.get(name)
    if (v === undefined) throw new Error(`Unknown broker config ${name}`)
    return v
  }

  /** The effective raw properties (static + dynamic layers), unknown names included. */
  get effectiveProps(): ReadonlyMap<string, string> {
    return this.resolved.props
  }

  private get v(): ValueReader {
    return this.resolved.reader
  }

  // -------------------------------------------------------------------------------------------------------------
  // ZooKeeper and general

  get zkConnect(): string | null {
    return this.v.str('zookeeper.connect')
  }
  get zkSessionTimeoutMs(): number {
    return this.v.int('zookeeper.session.timeout.ms')
  }
  /** zookeeper.connection.timeout.ms, or the session timeout when unset. */
  get zkConnectionTimeoutMs(): number {
    return this.v.optInt('zookeeper.connection.timeout.ms') ?? this.zkSessionTimeoutMs
  }
  get zkMaxInFlightRequests(): number {
    return this.v.int('zookeeper.max.in.flight.requests')
  }
  get zkEnableSecureAcls(): boolean {
    return this.v.bool('zookeeper.set.acl')
  }
  get brokerId(): number {
    return this.v.int('broker.id')
  }
  get brokerIdGenerationEnable(): boolean {
    return this.v.bool('broker.id.generation.enable')
  }
  get maxReservedBrokerId(): number {
    return this.v.int('reserved.broker.max.id')
  }
  get rack(): string | null {
    return this.v.str('broker.rack')
  }
  get replicaSelectorClass(): string | null {
    return this.v.str('replica.selector.class')
  }
  get numIoThreads(): number {
    return this.v.int('num.io.threads')
  }
  get backgroundThreads(): number {
    return this.v.int('background.threads')
  }
  get requestTimeoutMs(): number {
    return this.v.int('request.timeout.ms')
  }
  get messageMaxBytes(): number {
    return this.v.int('message.max.bytes')
  }
  get deleteTopicEnable(): boolean {
    return this.v.bool('delete.topic.enable')
  }
  get compressionType(): string {
    return this.v.str('compression.type') as string
  }
  get fetchMaxBytes(): number {
    return this.v.int('fetch.max.bytes')
  }
  get maxIncrementalFetchSessionCacheSlots(): number {
    return this.v.int('max.incremental.fetch.session.cache.slots')
  }
  get unstableApiVersionsEnable(): boolean {
    return this.v.bool('unstable.api.versions.enable')
  }
  get controlledShutdownEnable(): boolean {
    return this.v.bool('controlled.shutdown.enable')
  }
  get controlledShutdownMaxRetries(): number {
    return this.v.int('controlled.shutdown.max.retries')
  }
  get controlledShutdownRetryBackoffMs(): number {
    return this.v.num('controlled.shutdown.retry.backoff.ms')
  }
  get authorizerClassName(): string {
    return this.v.str('authorizer.class.name') ?? ''
  }

  // -------------------------------------------------------------------------------------------------------------
  // Socket server and listeners

  get listeners(): readonly Endpoint[] {
    return this.resolved.listeners
  }
  /** http.listeners (Samsa's): where /metrics, /healthz, /readyz and the web console are served. */
  get httpListeners(): readonly HttpListener[] {
    return this.resolved.httpListeners
  }
  /** advertised.listeners, or listeners when unset. Hosts may be '' (see resolveAdvertisedListeners). */
  get advertisedListeners(): readonly Endpoint[] {
    return this.resolved.advertisedListeners
  }
  /** The advertised listeners with an empty host replaced by `fallbackHost()` (Kafka: the canonical host name). */
  resolveAdvertisedListeners(fallbackHost: () => string): Endpoint[] {
    return resolveAdvertisedEndpoints(this.resolved.advertisedListeners, fallbackHost)
  }
  get listenerSecurityProtocolMap(): ReadonlyMap<string, SecurityProtocol> {
    return this.resolved.protocolMap
  }
  get interBrokerListenerName(): string {
    return this.resolved.interBrokerListenerName
  }
  get interBrokerSecurityProtocol(): SecurityProtocol {
    return this.resolved.interBrokerSecurityProtocol
  }
  /** The advertised endpoint brokers use to reach this one. */
  get interBrokerEndpoint(): Endpoint {
    return this.resolved.advertisedListeners.find((l) => l.name === this.interBrokerListenerName) as Endpoint
  }
  get controlPlaneListenerName(): string | null {
    return this.v.str('control.plane.listener.name')?.toUpperCase() ?? null
  }
  get numNetworkThreads(): number {
    return this.v.int('num.network.threads')
  }
  get socketSendBufferBytes(): number {
    return this.v.int('socket.send.buffer.bytes')
  }
  get socketReceiveBufferBytes(): number {
    return this.v.int('socket.receive.buffer.bytes')
  }
  get socketRequestMaxBytes(): number {
    return this.v.int('socket.request.max.bytes')
  }
  get socketListenBacklogSize(): number {
    return this.v.int('socket.listen.backlog.size')
  }
  get queuedMaxRequests(): number {
    return this.v.int('queued.max.requests')
  }
  get queuedMaxRequestBytes(): number {
    return this.v.num('queued.max.request.bytes')
  }
  /** quota.window.num and quota.window.size.seconds: the samples of a client quota's rate. */
  get clientQuotaWindow(): { samples: number; windowMs: number } {
    return {
      samples: this.v.int('quota.window.num'),
      windowMs: this.v.int('quota.window.size.seconds') * 1000,
    }
  }
  /** controller.quota.window.num and controller.quota.window.size.seconds: the burst of controller_mutation_rate. */
  get controllerQuotaWindow(): { samples: number; windowMs: number } {
    return {
      samples: this.v.int('controller.quota.window.num'),
      windowMs: this.v.int('controller.quota.window.size.seconds') * 1000,
    }
  }
  /** replication.quota.window.num and replication.quota.window.size.seconds: the samples of a replication throttle. */
  get replicationQuotaWindow(): { samples: number; windowMs: number } {
    return {
      samples: this.v.int('replication.quota.window.num'),
      windowMs: this.v.int('replication.quota.window.size.seconds') * 1000,
    }
  }
  get maxConnections(): number {
    return this.v.int('max.connections')
  }
  get maxConnectionsPerIp(): number {
    return this.v.int('max.connections.per.ip')
  }
  get maxConnectionsPerIpOverrides(): ReadonlyMap<string, number> {
    return maxConnectionsPerIpOverrides(this.v)
  }
  get maxConnectionCreationRate(): number {
    return this.v.int('max.connection.creation.rate')
  }
  get connectionsMaxIdleMs(): number {
    return this.v.num('connections.max.idle.ms')
  }
  get failedAuthenticationDelayMs(): number {
    return this.v.int('failed.authentication.delay.ms')
  }

  // -------------------------------------------------------------------------------------------------------------
  // Per-listener security configs

  /**
   * The value of a security config for one listener, as Kafka's channel builders see it
   * (valuesWithPrefixOverride): `listener.name.<listener>.<mechanism>.<name>` (when a SASL mechanism is given and
   * the config is one of the per-mechanism ones), then `listener.name.<listener>.<name>`, then the broker-wide value.
   */
  listenerValue(listenerName: string, name: string, mechanism?: string): ConfigValue {
    const def = brokerConfigDef(name)
    if (!def) throw new Error(`Unknown broker config ${name}`)
    const raw = this.listenerRaw(listenerName, name, mechanism)
    return raw === undefined ? this.get(name) : parseAndValidate(def, raw)
  }

  /** The listener-prefixed raw value of a config, if one is set (see listenerValue). */
  listenerRaw(listenerName: string, name: string, mechanism?: string): string | undefined {
    const prefix = `listener.name.${listenerName.toLowerCase()}.`
    const props = this.resolved.props
    if (mechanism !== undefined && LISTENER_MECHANISM_CONFIGS.includes(name)) {
      const v = props.get(`${prefix}${mechanism.toLowerCase()}.${name}`)
      if (v !== undefined) return v
    }
    return props.get(prefix + name)
  }

  // -------------------------------------------------------------------------------------------------------------
  // Log

  /** log.dirs, or log.dir when unset, split on commas. */
  get logDirs(): string[] {
    return logDirs(this.v)
  }
  get numPartitions(): number {
    return this.v.int('num.partitions')
  }
  get defaultReplicationFactor(): number {
    return this.v.int('default.replication.factor')
  }
  get autoCreateTopicsEnable(): boolean {
    return this.v.bool('auto.create.topics.enable')
  }
  get logSegmentBytes(): number {
    return this.v.int('log.segment.bytes')
  }
  /** log.roll.ms, or log.roll.hours in ms. */
  get logRollMs(): number {
    return logRollMs(this.v)
  }
  /** log.roll.jitter.ms, or log.roll.jitter.hours in ms. */
  get logRollJitterMs(): number {
    return logRollJitterMs(this.v)
  }
  /** log.retention.ms, or minutes, or hours, in ms; -1 (unlimited) for any negative value. */
  get logRetentionMs(): number {
    return logRetentionMs(this.v)
  }
  get logRetentionBytes(): number {
    return this.v.num('log.retention.bytes')
  }
  /** log.retention.check.interval.ms */
  get logRetentionCheckIntervalMs(): number {
    return this.v.num('log.retention.check.interval.ms')
  }
  /** Delay before the log manager's first retention, flush and checkpoint runs (Kafka: 30 s). */
  get logInitialTaskDelayMs(): number {
    return this.v.num('log.initial.task.delay.ms')
  }
  /** log.segment.delete.delay.ms */
  get logSegmentDeleteDelayMs(): number {
    return this.v.num('log.segment.delete.delay.ms')
  }
  get logFlushIntervalMessages(): number {
    return this.v.num('log.flush.interval.messages')
  }
  /** log.flush.interval.ms, or log.flush.scheduler.interval.ms when unset. */
  get logFlushIntervalMs(): number {
    return this.v.optNum('log.flush.interval.ms') ?? this.logFlushSchedulerIntervalMs
  }
  get logFlushSchedulerIntervalMs(): number {
    return this.v.num('log.flush.scheduler.interval.ms')
  }
  get logFlushOffsetCheckpointIntervalMs(): number {
    return this.v.int('log.flush.offset.checkpoint.interval.ms')
  }
  get logFlushStartOffsetCheckpointIntervalMs(): number {
    return this.v.int('log.flush.start.offset.checkpoint.interval.ms')
  }
  get logIndexSizeMaxBytes(): number {
    return this.v.int('log.index.size.max.bytes')
  }
  get logIndexIntervalBytes(): number {
    return this.v.int('log.index.interval.bytes')
  }
  get logPreallocate(): boolean {
    return this.v.bool('log.preallocate')
  }
  get logMessageTimestampType(): 'CreateTime' | 'LogAppendTime' {
    return this.v.str('log.message.timestamp.type') as 'CreateTime' | 'LogAppendTime'
  }
  /** Deprecated; still the fallback of the before/after limits while those are at their default. */
  get logMessageTimestampDifferenceMaxMs(): number {
    return this.v.num('log.message.timestamp.difference.max.ms')
  }
  /** log.message.timestamp.before.max.ms, or the deprecated difference.max.ms while it is at its default. */
  get logMessageTimestampBeforeMaxMs(): number {
    const before = this.v.num('log.message.timestamp.before.max.ms')
    return before !== LONG_MAX ? before : this.logMessageTimestampDifferenceMaxMs
  }
  /** log.message.timestamp.after.max.ms, or the deprecated difference.max.ms while it is at its default. */
  get logMessageTimestampAfterMaxMs(): number {
    const after = this.v.num('log.message.timestamp.after.max.ms')
    return after !== LONG_MAX ? after : this.logMessageTimestampDifferenceMaxMs
  }
  get logMessageDownConversionEnable(): boolean {
    return this.v.bool('log.message.downconversion.enable')
  }
  /** The message format in use: log.message.format.version, ignored (3.0-IV1) from IBP 3.0 on. Full form. */
  get logMessageFormatVersion(): string {
    const ibp = this.interBrokerProtocolVersion
    if (compareMetadataVersions(ibp, '3.0-IV1') >= 0) return DEFAULT_MESSAGE_FORMAT_VERSION
    return parseMetadataVersion(this.v.str('log.message.format.version') as string)
  }
  /** inter.broker.protocol.version in full form ("3.9-IV0"). */
  get interBrokerProtocolVersion(): string {
    return parseMetadataVersion(this.v.str('inter.broker.protocol.version') as string)
  }
  get logCleanupPolicy(): string[] {
    return [...this.v.list('log.cleanup.policy')]
  }
  get logCleanerEnable(): boolean {
    return this.v.bool('log.cleaner.enable')
  }
  get logCleanerThreads(): number {
    return this.v.int('log.cleaner.threads')
  }
  get logCleanerDedupeBufferSize(): number {
    return this.v.num('log.cleaner.dedupe.buffer.size')
  }
  get logCleanerDedupeBufferLoadFactor(): number {
    return this.v.num('log.cleaner.io.buffer.load.factor')
  }
  get logCleanerIoBufferSize(): number {
    return this.v.int('log.cleaner.io.buffer.size')
  }
  get logCleanerIoMaxBytesPerSecond(): number {
    return this.v.num('log.cleaner.io.max.bytes.per.second')
  }
  get logCleanerBackoffMs(): number {
    return this.v.num('log.cleaner.backoff.ms')
  }
  get logCleanerMinCleanRatio(): number {
    return this.v.num('log.cleaner.min.cleanable.ratio')
  }
  get logCleanerDeleteRetentionMs(): number {
    return this.v.num('log.cleaner.delete.retention.ms')
  }
  get logCleanerMinCompactionLagMs(): number {
    return this.v.num('log.cleaner.min.compaction.lag.ms')
  }
  get logCleanerMaxCompactionLagMs(): number {
    return this.v.num('log.cleaner.max.compaction.lag.ms')
  }
  get numRecoveryThreadsPerDataDir(): number {
    return this.v.int('num.recovery.threads.per.data.dir')
  }
  get minInSyncReplicas(): number {
    return this.v.int('min.insync.replicas')
  }
  get uncleanLeaderElectionEnable(): boolean {
    return this.v.bool('unclean.leader.election.enable')
  }
  get logLocalRetentionMs(): number {
    return this.v.num('log.local.retention.ms')
  }
  get logLocalRetentionBytes(): number {
    return this.v.num('log.local.retention.bytes')
  }
  get remoteLogStorageSystemEnable(): boolean {
    return this.v.bool('remote.log.storage.system.enable')
  }
  get logDirFailureTimeoutMs(): number {
    return this.v.num('log.dir.failure.timeout.ms')
  }

  // -------------------------------------------------------------------------------------------------------------
  // Replication

  get replicaFetchMaxBytes(): number {
    return this.v.int('replica.fetch.max.bytes')
  }
  get replicaFetchResponseMaxBytes(): number {
    return this.v.int('replica.fetch.response.max.bytes')
  }
  get replicaFetchWaitMaxMs(): number {
    return this.v.int('replica.fetch.wait.max.ms')
  }
  get replicaFetchMinBytes(): number {
    return this.v.int('replica.fetch.min.bytes')
  }
  get replicaFetchBackoffMs(): number {
    return this.v.int('replica.fetch.backoff.ms')
  }
  get replicaLagTimeMaxMs(): number {
    return this.v.num('replica.lag.time.max.ms')
  }
  get replicaSocketTimeoutMs(): number {
    return this.v.int('replica.socket.timeout.ms')
  }
  get replicaSocketReceiveBufferBytes(): number {
    return this.v.int('replica.socket.receive.buffer.bytes')
  }
  get replicaHighWatermarkCheckpointIntervalMs(): number {
    return this.v.num('replica.high.watermark.checkpoint.interval.ms')
  }
  get numReplicaFetchers(): number {
    return this.v.int('num.replica.fetchers')
  }
  get fetchPurgatoryPurgeIntervalRequests(): number {
    return this.v.int('fetch.purgatory.purge.interval.requests')
  }
  get producerPurgatoryPurgeIntervalRequests(): number {
    return this.v.int('producer.purgatory.purge.interval.requests')
  }
  get deleteRecordsPurgatoryPurgeIntervalRequests(): number {
    return this.v.int('delete.records.purgatory.purge.interval.requests')
  }
  get autoLeaderRebalanceEnable(): boolean {
    return this.v.bool('auto.leader.rebalance.enable')
  }
  get leaderImbalanceCheckIntervalSeconds(): number {
    return this.v.num('leader.imbalance.check.interval.seconds')
  }
  get leaderImbalancePerBrokerPercentage(): number {
    return this.v.int('leader.imbalance.per.broker.percentage')
  }
  get controllerSocketTimeoutMs(): number {
    return this.v.int('controller.socket.timeout.ms')
  }
  get leaderReplicationThrottledRate(): number {
    return this.v.num('leader.replication.throttled.rate')
  }
  get followerReplicationThrottledRate(): number {
    return this.v.num('follower.replication.throttled.rate')
  }
  get replicaAlterLogDirsIoMaxBytesPerSecond(): number {
    return this.v.num('replica.alter.log.dirs.io.max.bytes.per.second')
  }

  // -------------------------------------------------------------------------------------------------------------
  // Group coordinator and offsets

  get groupInitialRebalanceDelayMs(): number {
    return this.v.int('group.initial.rebalance.delay.ms')
  }
  get groupMinSessionTimeoutMs(): number {
    return this.v.int('group.min.session.timeout.ms')
  }
  get groupMaxSessionTimeoutMs(): number {
    return this.v.int('group.max.session.timeout.ms')
  }
  get groupMaxSize(): number {
    return this.v.int('group.max.size')
  }
  get groupCoordinatorRebalanceProtocols(): string[] {
    return this.v.list('group.coordinator.rebalance.protocols').map((p) => p.toLowerCase())
  }
  get consumerGroupSessionTimeoutMs(): number {
    return this.v.int('group.consumer.session.timeout.ms')
  }
  get consumerGroupMinSessionTimeoutMs(): number {
    return this.v.int('group.consumer.min.session.timeout.ms')
  }
  get consumerGroupMaxSessionTimeoutMs(): number {
    return this.v.int('group.consumer.max.session.timeout.ms')
  }
  get consumerGroupHeartbeatIntervalMs(): number {
    return this.v.int('group.consumer.heartbeat.interval.ms')
  }
  get consumerGroupMinHeartbeatIntervalMs(): number {
    return this.v.int('group.consumer.min.heartbeat.interval.ms')
  }
  get consumerGroupMaxHeartbeatIntervalMs(): number {
    return this.v.int('group.consumer.max.heartbeat.interval.ms')
  }
  get consumerGroupMaxSize(): number {
    return this.v.int('group.consumer.max.size')
  }
  /** `group.consumer.assignors` as short names (uniform, range). */
  get consumerGroupAssignors(): string[] {
    return this.v.list('group.consumer.assignors').map((a) => resolveAssignorName(a) ?? a)
  }
  /** `group.consumer.migration.policy`, lower-cased (the definition allows these four values only). */
  get consumerGroupMigrationPolicy(): ConsumerGroupMigrationPolicy {
    return (
      this.v.str('group.consumer.migration.policy') ?? 'bidirectional'
    ).toLowerCase() as ConsumerGroupMigrationPolicy
  }
  get offsetsTopicNumPartitions(): number {
    return this.v.int('offsets.topic.num.partitions')
  }
  get offsetsTopicReplicationFactor(): number {
    return this.v.int('offsets.topic.replication.factor')
  }
  get offsetsTopicSegmentBytes(): number {
    return this.v.int('offsets.topic.segment.bytes')
  }
  /** The codec id of offsets.topic.compression.codec (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd). */
  get offsetsTopicCompressionCodec(): number {
    return this.v.int('offsets.topic.compression.codec')
  }
  get offsetsTopicCompressionType(): CompressionCodecName {
    return COMPRESSION_CODECS[this.offsetsTopicCompressionCodec] as CompressionCodecName
  }
  get offsetsRetentionMinutes(): number {
    return this.v.int('offsets.retention.minutes')
  }
  /** offsets.retention.minutes in ms. */
  get offsetsRetentionMs(): number {
    return this.offsetsRetentionMinutes * 60_000
  }
  get offsetsRetentionCheckIntervalMs(): number {
    return this.v.num('offsets.retention.check.interval.ms')
  }
  get offsetCommitTimeoutMs(): number {
    return this.v.int('offsets.commit.timeout.ms')
  }
  get offsetCommitRequiredAcks(): number {
    return this.v.int('offsets.commit.required.acks')
  }
  get offsetsLoadBufferSize(): number {
    return this.v.int('offsets.load.buffer.size')
  }
  get offsetMetadataMaxBytes(): number {
    return this.v.int('offset.metadata.max.bytes')
  }

  // -------------------------------------------------------------------------------------------------------------
  // Transactions and producer state

  get transactionStateLogNumPartitions(): number {
    return this.v.int('transaction.state.log.num.partitions')
  }
  get transactionStateLogReplicationFactor(): number {
    return this.v.int('transaction.state.log.replication.factor')
  }
  get transactionStateLogSegmentBytes(): number {
    return this.v.int('transaction.state.log.segment.bytes')
  }
  get transactionStateLogMinIsr(): number {
    return this.v.int('transaction.state.log.min.isr')
  }
  get transactionStateLogLoadBufferSize(): number {
    return this.v.int('transaction.state.log.load.buffer.size')
  }
  get transactionMaxTimeoutMs(): number {
    return this.v.int('transaction.max.timeout.ms')
  }
  get transactionalIdExpirationMs(): number {
    return this.v.int('transactional.id.expiration.ms')
  }
  get transactionAbortTimedOutTransactionCleanupIntervalMs(): number {
    return this.v.int('transaction.abort.timed.out.transaction.cleanup.interval.ms')
  }
  get transactionRemoveExpiredTransactionalIdCleanupIntervalMs(): number {
    return this.v.int('transaction.remove.expired.transaction.cleanup.interval.ms')
  }
  get transactionPartitionVerificationEnable(): boolean {
    return this.v.bool('transaction.partition.verification.enable')
  }
  get producerIdExpirationMs(): number {
    return this.v.int('producer.id.expiration.ms')
  }
  get producerIdExpirationCheckIntervalMs(): number {
    return this.v.int('producer.id.expiration.check.interval.ms')
  }

  // -------------------------------------------------------------------------------------------------------------
  // Topic defaults

  /**
   * KafkaConfig.extractLogConfigMap: the broker-level default of every topic config, by topic config name, as
   * typed values (unit synonyms resolved).
   */
  topicDefaults(): Map<string, ConfigValue> {
    const v = this.v
    return new Map<string, ConfigValue>([
      ['segment.bytes', this.logSegmentBytes],
      ['segment.ms', this.logRollMs],
      ['segment.jitter.ms', this.logRollJitterMs],
      ['segment.index.bytes', this.logIndexSizeMaxBytes],
      ['flush.messages', this.logFlushIntervalMessages],
      ['flush.ms', this.logFlushIntervalMs],
      ['retention.bytes', this.logRetentionBytes],
      ['retention.ms', this.logRetentionMs],
      ['max.message.bytes', this.messageMaxBytes],
      ['index.interval.bytes', this.logIndexIntervalBytes],
      ['delete.retention.ms', this.logCleanerDeleteRetentionMs],
      ['min.compaction.lag.ms', this.logCleanerMinCompactionLagMs],
      ['max.compaction.lag.ms', this.logCleanerMaxCompactionLagMs],
      ['file.delete.delay.ms', this.logSegmentDeleteDelayMs],
      ['min.cleanable.dirty.ratio', this.logCleanerMinCleanRatio],
      ['cleanup.policy', this.logCleanupPolicy],
      ['min.insync.replicas', this.minInSyncReplicas],
      ['compression.type', this.compressionType],
      ['compression.gzip.level', v.int('compression.gzip.level')],
      ['compression.lz4.level', v.int('compression.lz4.level')],
      ['compression.zstd.level', v.int('compression.zstd.level')],
      ['unclean.leader.election.enable', this.uncleanLeaderElectionEnable],
      ['preallocate', this.logPreallocate],
      ['message.format.version', this.logMessageFormatVersion],
      ['message.timestamp.type', this.logMessageTimestampType],
      ['message.timestamp.difference.max.ms', this.logMessageTimestampDifferenceMaxMs],
      ['message.timestamp.before.max.ms', this.logMessageTimestampBeforeMaxMs],
      ['message.timestamp.after.max.ms', this.logMessageTimestampAfterMaxMs],
      ['message.downconversion.enable', this.logMessageDownConversionEnable],
      ['local.retention.ms', this.logLocalRetentionMs],
      ['local.retention.bytes', this.logLocalRetentionBytes],
    ])
  }

  // -------------------------------------------------------------------------------------------------------------
  // DescribeConfigs

  /**
   * Kafka's configSynonyms: for each level in precedence order (dynamic per-broker, dynamic default, static,
   * default), each of `synonymNames` set at that level; then everything before the first entry named `name`
   * is dropped (Kafka's dropWhile — which also hides e.g. log.retention.hours when describing log.retention.ms).
   */
  configSynonyms(name: string, synonymNames: readonly string[], isSensitive: boolean): ConfigSynonym[] {
    const all: ConfigSynonym[] = []
    const levels: [ReadonlyMap<string, string>, ConfigSource][] = [
      [this.dynBroker, ConfigSource.DYNAMIC_BROKER_CONFIG],
      [this.dynDefault, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG],
      [this.staticProps, ConfigSource.STATIC_BROKER_CONFIG],
      [STATIC_DEFAULTS, ConfigSource.DEFAULT_CONFIG],
    ]
    for (const [map, source] of levels) {
      for (const s of synonymNames) {
        const value = map.get(s)
        if (value !== undefined) all.push({ name: s, value: isSensitive ? null : value, source })
      }
    }
    const first = all.findIndex((s) => s.name === name)
    return first < 0 ? [] : all.slice(first)
  }

  /** The DescribeConfigs entries of this broker (resource 'broker') or of the cluster defaults ('default'). */
  describe(options: DescribeBrokerOptions): DescribedConfig[] {
    const perBroker = options.resource === 'broker'
    const entries: [string, ConfigValue | string][] = []
    if (perBroker) {
      const seen = new Set<string>()
      for (const def of BROKER_CONFIG_DEFS) {
        if (def.internal || def.dynamicOnly) continue
        entries.push([def.name, this.get(def.name)])
        seen.add(def.name)
      }
      const rest = [...this.resolved.props].filter(([k]) => !seen.has(k)).sort(([a], [b]) => (a < b ? -1 : 1))
      for (const [k, raw] of rest) {
        const def = brokerConfigDef(k)
        entries.push([k, def ? this.get(k) : raw])
      }
    } else {
      for (const [k, raw] of this.dynDefault) entries.push([k, raw])
    }
    const keys = options.keys && options.keys.length > 0 ? new Set(options.keys) : null
    return inKafkaMapOrder(entries, ([name]) => name)
      .filter(([name]) => keys === null || keys.has(name))
      .map(([name, value]) => this.describeEntry(name, value, perBroker, options))
  }

  private describeEntry(
    name: string,
    value: ConfigValue | string,
    perBroker: boolean,
    options: DescribeBrokerOptions,
  ): DescribedConfig {
    const type = brokerConfigType(name)
    const isSensitive = type === undefined || type === 'password'
    const valueAsString = isSensitive ? null : convertToString(value, type)
    const synonyms = this.configSynonyms(name, brokerSynonyms(name), isSensitive).filter(
      (s) => perBroker || s.source === ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG,
    )
    const def = brokerConfigDef(name)
    return {
      name,
      value: valueAsString,
      readOnly: def === undefined || def.dynamic === 'read-only' || def.dynamicOnly === true,
      configSource: synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG,
      isSensitive,
      synonyms: options.includeSynonyms ? synonyms : [],
      configType: type === undefined ? 0 : CONFIG_TYPE_CODE[type],
      documentation: options.includeDocumentation ? (def?.doc ?? null) : null,
    }
  }

  /** A loggable summary of the effective config (passwords hidden), like Kafka's "KafkaConfig values:" dump. */
  toLogString(): string {
    const lines = STATIC_BROKER_CONFIG_DEFS.filter((d) => !d.internal)
      .map((d) => d.name)
      .sort()
      .map((n) => {
        const value = this.get(n)
        const type = brokerConfigDef(n)?.type
        const s = value instanceof Password ? '[hidden]' : convertToString(value, type)
        return `\t${n} = ${s ?? 'null'}`
      })
    return `KafkaConfig values: \n${lines.join('\n')}`
  }

  /** `NAME://host:port` of each listener (for log lines). */
  listenersToString(endpoints: readonly Endpoint[] = this.listeners): string {
    return endpoints.map(endpointToString).join(',')
  }
}

/** Kafka's staticDefaultConfigs: every non-null default as a string. */
const STATIC_DEFAULTS: ReadonlyMap<string, string> = new Map(
  BROKER_CONFIG_DEFS.filter((d) => d.default !== null).map((d) => [
    d.name,
    convertToString(d.default, d.type) as string,
  ]),
)

/** Typed reads of resolved values. */
class ValueReader {
  constructor(private readonly values: ReadonlyMap<string, ConfigValue>) {}
  private raw(name: string): ConfigValue {
    const v = this.values.get(name)
    if (v === undefined) throw new Error(`Unknown broker config ${name}`)
    return v
  }
  int(name: string): number {
    return this.raw(name) as number
  }
  num(name: string): number {
    return this.raw(name) as number
  }
  optInt(name: string): number | null {
    return this.raw(name) as number | null
  }
  optNum(name: string): number | null {
    return this.raw(name) as number | null
  }
  bool(name: string): boolean {
    return this.raw(name) as boolean
  }
  str(name: string): string | null {
    return this.raw(name) as string | null
  }
  list(name: string): readonly string[] {
    return (this.raw(name) as readonly string[] | null) ?? []
  }
}

const HOUR_MS = 3_600_000

function logRollMs(v: ValueReader): number {
  return v.optNum('log.roll.ms') ?? v.int('log.roll.hours') * HOUR_MS
}

function logRollJitterMs(v: ValueReader): number {
  return v.optNum('log.roll.jitter.ms') ?? v.int('log.roll.jitter.hours') * HOUR_MS
}

function logRetentionMs(v: ValueReader): number {
  const ms = v.optNum('log.retention.ms')
  const minutes = v.optInt('log.retention.minutes')
  const millis = ms ?? (minutes !== null ? minutes * 60_000 : v.int('log.retention.hours') * HOUR_MS)
  return millis < 0 ? -1 : millis
}

function logDirs(v: ValueReader): string[] {
  return parseCsvList(v.str('log.dirs') ?? v.str('log.dir'))
}

function maxConnectionsPerIpOverrides(v: ValueReader): Map<string, number> {
  const out = new Map<string, number>()
  for (const [host, count] of parseCsvMap(
    'max.connections.per.ip.overrides',
    v.str('max.connections.per.ip.overrides'),
  )) {
    out.set(host, parseType('max.connections.per.ip.overrides', count, 'int') as number)
  }
  return out
}

/**
 * Resolves `group.consumer.assignors` entries: the short names, or the class names Kafka uses for them
 * (`org.apache.kafka.coordinator.group.assignor.UniformAssignor`, `...RangeAssignor`).
 */
export function resolveAssignorName(name: string): string | undefined {
  const n = name.trim()
  const cls = /^org\.apache\.kafka\.coordinator\.group\.(?:api\.)?assignor\.(Uniform|Range)Assignor$/.exec(n)
  if (cls?.[1] !== undefined) return cls[1].toLowerCase()
  return n === 'uniform' || n === 'range' ? n : undefined
}
