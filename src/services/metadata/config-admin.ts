/**
 * Describing and changing configs the way a ZooKeeper-mode broker does (ConfigHelper / ZkAdminManager):
 * topic overrides in /config/topics/<t>, dynamic broker configs in /config/brokers/<id> and
 * /config/brokers/<default>, each written with a change notification; every broker picks the change up through
 * its metadata watches. BROKER_LOGGER resources describe and set the log level of this broker's logger.
 */
import type { BrokerConfig } from '../../config/broker-config.js'
import {
  convertToString,
  ConfigException,
  ConfigSource,
  CONFIG_TYPE_CODE,
  splitList,
  type DescribedConfig,
} from '../../config/config-def.js'
import { describeTopicConfig, topicConfigDef, validateTopicConfigs } from '../../config/topic-config.js'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import type { Logger } from '../../util/logger.js'
import type { KafkaZkClient } from './kafka-zk-client.js'
import type { MetadataCache } from './metadata-cache.js'
import { validateTopicName } from './topic-admin.js'

export const ResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const

export const AlterOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const

export interface DescribeOptions {
  readonly keys: readonly string[] | null
  readonly includeSynonyms: boolean
  readonly includeDocumentation: boolean
}

const DEFAULT_ENTITY = '<default>'
const ROOT_LOGGER = 'root'
const LOG4J_LEVELS: Record<string, string> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  fatal: 'FATAL',
  silent: 'OFF',
}

export class ConfigAdmin {
  constructor(
    private readonly zk: KafkaZkClient,
    private readonly cache: MetadataCache,
    private readonly config: BrokerConfig,
    private readonly brokerId: number,
    private readonly log: Logger,
    /** Checks this broker's configuration after an update of its BROKER resource (TLS material that must load). */
    private readonly validateBrokerUpdate: (candidate: BrokerConfig) => void = () => {},
  ) {}

  private topicOrError(name: string): ReadonlyMap<string, string> {
    validateTopicName(name)
    const t = this.cache.topic(name)
    if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${name} does not exist.`)
    return t.config
  }

  /** '' → the cluster default entity, our id → this broker; anything else is refused as Kafka does. */
  private brokerEntity(name: string): 'default' | 'broker' {
    if (name === '') return 'default'
    if (!/^-?\d+$/.test(name))
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `Broker id must be an integer, but it is: ${name}`)
    if (Number(name) !== this.brokerId) {
      throw new KafkaError(
        ErrorCode.INVALID_REQUEST,
        `Unexpected broker id, expected ${this.brokerId} or empty string, but received ${name}`,
      )
    }
    return 'broker'
  }

  describe(type: number, name: string, o: DescribeOptions): DescribedConfig[] {
    switch (type) {
      case ResourceType.TOPIC:
        return describeTopicConfig(this.topicOrError(name), this.config, o)
      case ResourceType.BROKER:
        return this.config.describe({ resource: this.brokerEntity(name), ...o })
      case ResourceType.BROKER_LOGGER: {
        this.brokerLoggerEntity(name)
        const level = LOG4J_LEVELS[this.log.level] ?? this.log.level.toUpperCase()
        const entries: DescribedConfig[] = [
          {
            name: ROOT_LOGGER,
            value: level,
            readOnly: false,
            configSource: ConfigSource.DYNAMIC_BROKER_LOGGER_CONFIG,
            isSensitive: false,
            synonyms: [],
            configType: CONFIG_TYPE_CODE.string,
            documentation: null,
          },
        ]
        return o.keys && o.keys.length > 0 ? entries.filter((e) => o.keys!.includes(e.name)) : entries
      }
      default:
        throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unsupported resource type: ${type}`)
    }
  }

  private brokerLoggerEntity(name: string): void {
    if (name !== String(this.brokerId)) {
      throw new KafkaError(
        ErrorCode.INVALID_REQUEST,
        `Unexpected broker id, expected ${this.brokerId} but received ${name}`,
      )
    }
  }

  /** AlterConfigs: replaces every dynamic config of the resource with the given set. */
  async alter(
    type: number,
    name: string,
    configs: ReadonlyMap<string, string | null>,
    validateOnly: boolean,
  ): Promise<void> {
    const nulls = [...configs].filter(([, v]) => v === null).map(([k]) => k)
    if (nulls.length > 0)
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `Null value not supported for : ${nulls.join(', ')}`)
    await this.write(type, name, configs as ReadonlyMap<string, string>, validateOnly)
  }

  /** IncrementalAlterConfigs: SET / DELETE / APPEND / SUBTRACT applied to the current dynamic configs. */
  async incrementalAlter(
    type: number,
    name: string,
    ops: readonly { name: string; op: number; value: string | null }[],
    validateOnly: boolean,
  ): Promise<void> {
    const seen = new Set<string>()
    for (const op of ops) {
      if (seen.has(op.name))
        throw new KafkaError(ErrorCode.INVALID_REQUEST, `Error due to duplicate config keys`)
      seen.add(op.name)
    }
    if (type === ResourceType.BROKER_LOGGER) {
      this.brokerLoggerEntity(name)
      for (const op of ops) {
        if (op.name !== ROOT_LOGGER)
          throw new KafkaError(ErrorCode.INVALID_CONFIG, `Logger ${op.name} does not exist!`)
        if (op.op === AlterOp.APPEND || op.op === AlterOp.SUBTRACT) {
          throw new KafkaError(
            ErrorCode.INVALID_REQUEST,
            `${op.op === AlterOp.APPEND ? 'APPEND' : 'SUBTRACT'} operation is not allowed for the BROKER_LOGGER resource`,
          )
        }
        const level =
          op.op === AlterOp.DELETE
            ? 'info'
            : Object.keys(LOG4J_LEVELS).find((k) => LOG4J_LEVELS[k] === op.value?.toUpperCase())
        if (!level)
          throw new KafkaError(
            ErrorCode.INVALID_CONFIG,
            `Cannot set the log level of ${op.name} to ${op.value} as it is not a supported log level. Valid log levels are ${Object.values(LOG4J_LEVELS).join(', ')}`,
          )
        if (!validateOnly) {
          this.log.level = level
          this.log.info(`Set the log level of the root logger to ${LOG4J_LEVELS[level]}`)
        }
      }
      return
    }
    const current = new Map(await this.currentDynamic(type, name))
    for (const op of ops) {
      const listDefault = this.listDefault(type, op.name)
      switch (op.op) {
        case AlterOp.SET:
          if (op.value === null)
            throw new KafkaError(ErrorCode.INVALID_REQUEST, `Null value not supported for : ${op.name}`)
          current.set(op.name, op.value)
          break
        case AlterOp.DELETE:
          current.delete(op.name)
          break
        case AlterOp.APPEND:
        case AlterOp.SUBTRACT: {
          if (listDefault === undefined) {
            throw new KafkaError(
              ErrorCode.INVALID_CONFIG,
              `Config value ${op.op === AlterOp.APPEND ? 'append' : 'subtract'} is not allowed for config key: ${op.name}`,
            )
          }
          const old = splitList(current.get(op.name) ?? listDefault)
          const values = splitList(op.value ?? '')
          const next =
            op.op === AlterOp.APPEND
              ? [...old, ...values.filter((v) => !old.includes(v))]
              : old.filter((v) => !values.includes(v))
          current.set(op.name, next.join(','))
          break
        }
        default:
          throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown alter config operation ${op.op}`)
      }
    }
    await this.write(type, name, current, validateOnly)
  }

  /** The default value (as a list string) of a LIST config, or undefined when the config is not a list. */
  private listDefault(type: number, name: string): string | undefined {
    if (type === ResourceType.TOPIC) {
      const def = topicConfigDef(name)
      return def?.type === 'list' ? (convertToString(def.default, 'list') ?? '') : undefined
    }
    const d = this.config.describe({ resource: 'broker', keys: [name] })[0]
    return d?.configType === CONFIG_TYPE_CODE.list ? (d.value ?? '') : undefined
  }

  private async currentDynamic(type: number, name: string): Promise<ReadonlyMap<string, string>> {
    if (type === ResourceType.TOPIC) return this.topicOrError(name)
    if (type === ResourceType.BROKER) {
      return this.zk.getEntityConfig('brokers', this.brokerEntity(name) === 'default' ? DEFAULT_ENTITY : name)
    }
    throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unsupported resource type: ${type}`)
  }

  private async write(
    type: number,
    name: string,
    configs: ReadonlyMap<string, string>,
    validateOnly: boolean,
  ): Promise<void> {
    try {
      if (type === ResourceType.TOPIC) {
        const existing = this.topicOrError(name)
        validateTopicConfigs(configs, this.config, existing)
        if (!validateOnly) await this.zk.setEntityConfig('topics', name, configs)
        return
      }
      if (type === ResourceType.BROKER) {
        const entity = this.brokerEntity(name)
        const level = entity === 'default' ? 'cluster-default' : 'per-broker'
        this.config.validateDynamicUpdate(level, configs)
        if (entity === 'default' || Number(name) === this.brokerId)
          this.validateBrokerUpdate(this.config.candidate(level, configs))
        if (!validateOnly)
          await this.zk.setEntityConfig('brokers', entity === 'default' ? DEFAULT_ENTITY : name, configs)
        return
      }
    } catch (e) {
      if (e instanceof ConfigException) {
        const message = `Invalid config value for resource ConfigResource(type=${type === 2 ? 'TOPIC' : 'BROKER'}, name='${name}'): ${e.message}`
        this.log.info(message) // as ZkAdminManager does
        throw new KafkaError(ErrorCode.INVALID_CONFIG, message)
      }
      throw e
    }
    throw new KafkaError(
      ErrorCode.INVALID_REQUEST,
      `AlterConfigs is only supported for topics and brokers, but resource type is ${type}`,
    )
  }
}
