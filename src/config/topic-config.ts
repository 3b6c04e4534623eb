/**
 * Kafka's topic configs (LogConfig / TopicConfig of Kafka 3.9): definitions with their broker synonyms in Kafka's
 * precedence order, the effective typed config of a topic (its overrides over the broker's defaults), validation of
 * CreateTopics / AlterConfigs input with Kafka's INVALID_CONFIG messages, and DescribeConfigs data for TOPIC
 * resources.
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js'
import { brokerSynonyms, type BrokerConfig } from './broker-config.js'
import {
  atLeast,
  between,
  CONFIG_TYPE_CODE,
  ConfigException,
  ConfigSource,
  convertToString,
  customValidator,
  formatLong,
  LONG_MAX,
  parseAndValidate,
  ValidList,
  ValidString,
  type ConfigKey,
  type ConfigSynonym,
  type ConfigType,
  type ConfigValue,
  type DescribedConfig,
  type Importance,
  type Validator,
} from './config-def.js'
import {
  BROKER_COMPRESSION_TYPES,
  gzipLevelValidator,
  lz4LevelValidator,
  zstdLevelValidator,
} from './definitions.js'
import { inKafkaMapOrder } from './kafka-order.js'
import { DEFAULT_MESSAGE_FORMAT_VERSION, metadataVersionValidator } from './metadata-version.js'

/** A broker config a topic config falls back to; `unit` converts it to the topic config's unit (ms). */
export interface BrokerSynonym {
  readonly name: string
  readonly unit?: 'hours' | 'minutes'
}

/** One topic config; `default` is LogConfig's own (used when there is no broker). */
export interface TopicConfigDef extends ConfigKey {
  /** Broker configs supplying the default, highest precedence first (ServerTopicConfigSynonyms). */
  readonly synonyms: readonly BrokerSynonym[]
  readonly deprecated?: string
}

/** Kafka's ThrottledReplicaListValidator: '*' or a list of partition:broker pairs. */
const throttledReplicasValidator = (name: string): Validator =>
  customValidator('[partitionId]:[brokerId],[partitionId]:[brokerId],...', (v) => {
    const list = (v as readonly string[]).map((s) => s.trim())
    const ok = list.every((s) => /^(?:[0-9]+:[0-9]+)?$/.test(s)) || list.join('') === '*'
    return ok
      ? undefined
      : `${name} must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...`
  })

function t(
  name: string,
  type: ConfigType,
  dflt: ConfigValue,
  doc: string,
  synonyms: readonly (string | BrokerSynonym)[],
  extra: { validator?: Validator; importance?: Importance; deprecated?: string } = {},
): TopicConfigDef {
  return {
    name,
    type,
    default: dflt,
    doc,
    importance: extra.importance ?? 'medium',
    synonyms: synonyms.map((s) => (typeof s === 'string' ? { name: s } : s)),
    ...(extra.validator ? { validator: extra.validator } : {}),
    ...(extra.deprecated ? { deprecated: extra.deprecated } : {}),
  }
}

/** Every topic config, in Kafka's definition order. */
export const TOPIC_CONFIG_DEFS: readonly TopicConfigDef[] = [
  t('segment.bytes', 'int', 1073741824, 'Largest size of a log segment.', ['log.segment.bytes'], {
    validator: atLeast(14),
  }),
  t(
    'segment.ms',
    'long',
    604800000,
    'Time after which a new segment is rolled even if not full.',
    ['log.roll.ms', { name: 'log.roll.hours', unit: 'hours' }],
    { validator: atLeast(1) },
  ),
  t(
    'segment.jitter.ms',
    'long',
    0,
    'Most random jitter subtracted from segment.ms.',
    ['log.roll.jitter.ms', { name: 'log.roll.jitter.hours', unit: 'hours' }],
    { validator: atLeast(0) },
  ),
  t(
    'segment.index.bytes',
    'int',
    10485760,
    'Size of a segment’s offset index.',
    ['log.index.size.max.bytes'],
    {
      validator: atLeast(4),
    },
  ),
  t(
    'flush.messages',
    'long',
    LONG_MAX,
    'Messages appended before a forced flush.',
    ['log.flush.interval.messages'],
    {
      validator: atLeast(1),
    },
  ),
  t(
    'flush.ms',
    'long',
    LONG_MAX,
    'Most time data stays unflushed.',
    ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'],
    { validator: atLeast(0) },
  ),
  t('retention.bytes', 'long', -1, 'Largest size of a partition before old segments go; -1 = none.', [
    'log.retention.bytes',
  ]),
  t(
    'retention.ms',
    'long',
    604800000,
    'How long a segment is kept; -1 = forever.',
    [
      'log.retention.ms',
      { name: 'log.retention.minutes', unit: 'minutes' },
      { name: 'log.retention.hours', unit: 'hours' },
    ],
    { validator: atLeast(-1) },
  ),
  t('max.message.bytes', 'int', 1048588, 'Largest record batch accepted.', ['message.max.bytes'], {
    validator: atLeast(0),
  }),
  t(
    'index.interval.bytes',
    'int',
    4096,
    'Bytes between offset index entries.',
    ['log.index.interval.bytes'],
    {
      validator: atLeast(0),
    },
  ),
  t(
    'delete.retention.ms',
    'long',
    86400000,
    'How long tombstones are kept after compaction.',
    ['log.cleaner.delete.retention.ms'],
    { validator: atLeast(0) },
  ),
  t(
    'min.compaction.lag.ms',
    'long',
    0,
    'Least age of a record before it may be compacted.',
    ['log.cleaner.min.compaction.lag.ms'],
    { validator: atLeast(0) },
  ),
  t(
    'max.compaction.lag.ms',
    'long',
    LONG_MAX,
    'Most time a record stays uncompacted.',
    ['log.cleaner.max.compaction.lag.ms'],
    { validator: atLeast(1) },
  ),
  t(
    'file.delete.delay.ms',
    'long',
    60000,
    'Wait before a deleted segment’s files are removed.',
    ['log.segment.delete.delay.ms'],
    { validator: atLeast(0) },
  ),
  t(
    'min.cleanable.dirty.ratio',
    'double',
    0.5,
    'Dirty ratio at which the log becomes cleanable.',
    ['log.cleaner.min.cleanable.ratio'],
    { validator: between(0, 1) },
  ),
  t('cleanup.policy', 'list', ['delete'], 'delete, compact, or both.', ['log.cleanup.policy'], {
    validator: ValidList.in('compact', 'delete'),
  }),
  t('unclean.leader.election.enable', 'boolean', false, 'Allow out-of-sync replicas to become leader.', [
    'unclean.leader.election.enable',
  ]),
  t(
    'min.insync.replicas',
    'int',
    1,
    'Replicas that must acknowledge an acks=all write.',
    ['min.insync.replicas'],
    {
      validator: atLeast(1),
    },
  ),
  t(
    'compression.type',
    'string',
    'producer',
    'Compression of stored batches; producer keeps the producer’s.',
    ['compression.type'],
    { validator: ValidString.in(...BROKER_COMPRESSION_TYPES) },
  ),
  t(
    'compression.gzip.level',
    'int',
    -1,
    'Gzip level when compression.type is gzip.',
    ['compression.gzip.level'],
    {
      validator: gzipLevelValidator,
    },
  ),
  t('compression.lz4.level', 'int', 9, 'LZ4 level when compression.type is lz4.', ['compression.lz4.level'], {
    validator: lz4LevelValidator,
  }),
  t(
    'compression.zstd.level',
    'int',
    3,
    'Zstandard level when compression.type is zstd.',
    ['compression.zstd.level'],
    {
      validator: zstdLevelValidator,
    },
  ),
  t('preallocate', 'boolean', false, 'Preallocate segment files.', ['log.preallocate']),
  t(
    'message.format.version',
    'string',
    DEFAULT_MESSAGE_FORMAT_VERSION,
    'Message format for appends; ignored from inter.broker.protocol.version 3.0 on.',
    ['log.message.format.version'],
    {
      validator: metadataVersionValidator,
      deprecated: 'Ignored when inter.broker.protocol.version is 3.0 or higher.',
    },
  ),
  t(
    'message.timestamp.type',
    'string',
    'CreateTime',
    'CreateTime or LogAppendTime.',
    ['log.message.timestamp.type'],
    {
      validator: ValidString.in('CreateTime', 'LogAppendTime'),
    },
  ),
  t(
    'message.timestamp.difference.max.ms',
    'long',
    LONG_MAX,
    'Most difference between record and broker time (CreateTime).',
    ['log.message.timestamp.difference.max.ms'],
    {
      validator: atLeast(0),
      deprecated: 'Use message.timestamp.before.max.ms and message.timestamp.after.max.ms.',
    },
  ),
  t(
    'message.timestamp.before.max.ms',
    'long',
    LONG_MAX,
    'How far a record timestamp may lie in the past (CreateTime).',
    ['log.message.timestamp.before.max.ms'],
    { validator: atLeast(0) },
  ),
  t(
    'message.timestamp.after.max.ms',
    'long',
    LONG_MAX,
    'How far a record timestamp may lie in the future (CreateTime).',
    ['log.message.timestamp.after.max.ms'],
    { validator: atLeast(0) },
  ),
  t(
    'leader.replication.throttled.replicas',
    'list',
    [],
    'Replicas throttled on the leader side, as partition:broker pairs or *.',
    [],
    { validator: throttledReplicasValidator('leader.replication.throttled.replicas') },
  ),
  t(
    'follower.replication.throttled.replicas',
    'list',
    [],
    'Replicas throttled on the follower side, as partition:broker pairs or *.',
    [],
    { validator: throttledReplicasValidator('follower.replication.throttled.replicas') },
  ),
  t(
    'message.downconversion.enable',
    'boolean',
    true,
    'Down-convert records for old fetchers.',
    ['log.message.downconversion.enable'],
    { importance: 'low' },
  ),
  t('remote.storage.enable', 'boolean', false, 'Tiered storage for this topic (not supported here).', []),
  t(
    'local.retention.ms',
    'long',
    -2,
    'Local retention with tiered storage; -2 = retention.ms.',
    ['log.local.retention.ms'],
    {
      validator: atLeast(-2),
    },
  ),
  t(
    'local.retention.bytes',
    'long',
    -2,
    'Local size limit with tiered storage; -2 = retention.bytes.',
    ['log.local.retention.bytes'],
    { validator: atLeast(-2) },
  ),
  t('remote.log.copy.disable', 'boolean', false, 'Stop copying segments to remote storage.', []),
  t(
    'remote.log.delete.on.disable',
    'boolean',
    false,
    'Delete remote data when tiered storage is disabled.',
    [],
  ),
]

const BY_NAME = new Map(TOPIC_CONFIG_DEFS.map((d) => [d.name, d]))

/** The definition of a topic config, or undefined. */
export function topicConfigDef(name: string): TopicConfigDef | undefined {
  return BY_NAME.get(name)
}

/** The broker configs a topic config falls back to, highest precedence first (empty for topic-only configs). */
export function topicConfigSynonyms(name: string): readonly BrokerSynonym[] {
  return BY_NAME.get(name)?.synonyms ?? []
}

export type CleanupPolicy = 'delete' | 'compact'
export type TimestampType = 'CreateTime' | 'LogAppendTime'

/** The effective, typed config of one topic. */
export interface TopicConfig {
  readonly cleanupPolicy: readonly CleanupPolicy[]
  readonly compact: boolean
  readonly delete: boolean
  /** -1 = unlimited */
  readonly retentionMs: number
  /** -1 = unlimited */
  readonly retentionBytes: number
  readonly segmentBytes: number
  readonly segmentMs: number
  readonly segmentJitterMs: number
  readonly segmentIndexBytes: number
  readonly indexIntervalBytes: number
  readonly flushMessages: number
  readonly flushMs: number
  readonly maxMessageBytes: number
  readonly messageTimestampType: TimestampType
  /** message.timestamp.before.max.ms, or the deprecated difference.max.ms while it is at its default. */
  readonly messageTimestampBeforeMaxMs: number
  /** message.timestamp.after.max.ms, or the deprecated difference.max.ms while it is at its default. */
  readonly messageTimestampAfterMaxMs: number
  readonly messageTimestampDifferenceMaxMs: number
  readonly minInSyncReplicas: number
  readonly uncleanLeaderElectionEnable: boolean
  readonly compressionType: string
  readonly compressionGzipLevel: number
  readonly compressionLz4Level: number
  readonly compressionZstdLevel: number
  readonly deleteRetentionMs: number
  readonly minCompactionLagMs: number
  readonly maxCompactionLagMs: number
  readonly minCleanableDirtyRatio: number
  readonly fileDeleteDelayMs: number
  readonly preallocate: boolean
  readonly messageFormatVersion: string
  readonly messageDownconversionEnable: boolean
  readonly leaderReplicationThrottledReplicas: readonly string[]
  readonly followerReplicationThrottledReplicas: readonly string[]
  readonly remoteStorageEnable: boolean
  /** local.retention.ms with -2 resolved to retention.ms. */
  readonly localRetentionMs: number
  /** local.retention.bytes with -2 resolved to retention.bytes. */
  readonly localRetentionBytes: number
  /** Names the topic overrides. */
  readonly overridden: ReadonlySet<string>
}

/**
 * Every topic config's effective typed value: the topic's override when it has one, otherwise the broker's
 * default (KafkaConfig.extractLogConfigMap), otherwise LogConfig's own default. Unknown override names are
 * ignored, as LogConfig does; an invalid value throws ConfigException.
 */
export function topicConfigValues(
  overrides: ReadonlyMap<string, string>,
  broker?: BrokerConfig,
): Map<string, ConfigValue> {
  const defaults = broker?.topicDefaults()
  const values = new Map<string, ConfigValue>()
  for (const def of TOPIC_CONFIG_DEFS) {
    const raw = overrides.get(def.name)
    if (raw !== undefined) values.set(def.name, parseAndValidate(def, raw))
    else values.set(def.name, defaults?.get(def.name) ?? def.default)
  }
  return values
}

/** The effective config of a topic with these overrides (see topicConfigValues). */
export function resolveTopicConfig(
  overrides: ReadonlyMap<string, string>,
  broker?: BrokerConfig,
): TopicConfig {
  const values = topicConfigValues(overrides, broker)
  const num = (n: string): number => values.get(n) as number
  const bool = (n: string): boolean => values.get(n) as boolean
  const str = (n: string): string => values.get(n) as string
  const list = (n: string): readonly string[] => values.get(n) as readonly string[]
  const cleanupPolicy = list('cleanup.policy').map((p) => p.toLowerCase() as CleanupPolicy)
  const difference = num('message.timestamp.difference.max.ms')
  const before = num('message.timestamp.before.max.ms')
  const after = num('message.timestamp.after.max.ms')
  const retentionMs = num('retention.ms')
  const retentionBytes = num('retention.bytes')
  const localMs = num('local.retention.ms')
  const localBytes = num('local.retention.bytes')
  return {
    cleanupPolicy,
    compact: cleanupPolicy.includes('compact'),
    delete: cleanupPolicy.includes('delete'),
    retentionMs,
    retentionBytes,
    segmentBytes: num('segment.bytes'),
    segmentMs: num('segment.ms'),
    segmentJitterMs: num('segment.jitter.ms'),
    segmentIndexBytes: num('segment.index.bytes'),
    indexIntervalBytes: num('index.interval.bytes'),
    flushMessages: num('flush.messages'),
    flushMs: num('flush.ms'),
    maxMessageBytes: num('max.message.bytes'),
    messageTimestampType: str('message.timestamp.type') as TimestampType,
    messageTimestampBeforeMaxMs: before !== LONG_MAX ? before : difference,
    messageTimestampAfterMaxMs: after !== LONG_MAX ? after : difference,
    messageTimestampDifferenceMaxMs: difference,
    minInSyncReplicas: num('min.insync.replicas'),
    uncleanLeaderElectionEnable: bool('unclean.leader.election.enable'),
    compressionType: str('compression.type').toLowerCase(),
    compressionGzipLevel: num('compression.gzip.level'),
    compressionLz4Level: num('compression.lz4.level'),
    compressionZstdLevel: num('compression.zstd.level'),
    deleteRetentionMs: num('delete.retention.ms'),
    minCompactionLagMs: num('min.compaction.lag.ms'),
    maxCompactionLagMs: num('max.compaction.lag.ms'),
    minCleanableDirtyRatio: num('min.cleanable.dirty.ratio'),
    fileDeleteDelayMs: num('file.delete.delay.ms'),
    preallocate: bool('preallocate'),
    messageFormatVersion: str('message.format.version'),
    messageDownconversionEnable: bool('message.downconversion.enable'),
    leaderReplicationThrottledReplicas: list('leader.replication.throttled.replicas'),
    followerReplicationThrottledReplicas: list('follower.replication.throttled.replicas'),
    remoteStorageEnable: bool('remote.storage.enable'),
    localRetentionMs: localMs === -2 ? retentionMs : localMs,
    localRetentionBytes: localBytes === -2 ? retentionBytes : localBytes,
    overridden: new Set([...overrides.keys()].filter((k) => BY_NAME.has(k))),
  }
}

/** Segment roll time for a topic: min(segment.ms, max.compaction.lag.ms) for compacted topics (LogConfig.maxSegmentMs). */
export function maxSegmentMs(config: TopicConfig): number {
  if (config.compact && config.maxCompactionLagMs > 0)
    return Math.min(config.maxCompactionLagMs, config.segmentMs)
  return config.segmentMs
}

function invalidConfig(message: string): KafkaError {
  return new KafkaError(ErrorCode.INVALID_CONFIG, message)
}

/**
 * Validates topic config overrides for CreateTopics / AlterConfigs as ZooKeeper-mode Kafka does
 * (LogConfig.validate with the broker's defaults): null values, unknown names ("Unknown topic config name: x"),
 * unparsable or out-of-range values ("Invalid value … for configuration …"), min.compaction.lag.ms above
 * max.compaction.lag.ms, and the tiered-storage rules. Throws a KafkaError with INVALID_CONFIG and Kafka's text.
 * `existing` is the topic's current overrides (AlterConfigs), used to check turning remote storage off.
 */
export function validateTopicConfigs(
  configs: ReadonlyMap<string, string | null>,
  broker?: BrokerConfig,
  existing: ReadonlyMap<string, string> = new Map(),
): void {
  const nulls = [...configs].filter(([, v]) => v === null).map(([k]) => k)
  if (nulls.length > 0) throw invalidConfig(`Null value not supported for topic configs: ${nulls.join(',')}`)
  for (const name of configs.keys()) {
    if (!BY_NAME.has(name)) throw invalidConfig(`Unknown topic config name: ${name}`)
  }
  let values: Map<string, ConfigValue>
  try {
    values = topicConfigValues(configs as ReadonlyMap<string, string>, broker)
  } catch (e) {
    if (e instanceof ConfigException) throw invalidConfig(e.message)
    throw e
  }
  const num = (n: string): number => values.get(n) as number
  const minLag = num('min.compaction.lag.ms')
  const maxLag = num('max.compaction.lag.ms')
  if (minLag > maxLag)
    throw invalidConfig(
      `conflict topic config setting min.compaction.lag.ms (${formatLong(minLag)}) > max.compaction.lag.ms (${formatLong(maxLag)})`,
    )
  if (values.get('remote.storage.enable') === true) {
    if (!(broker?.remoteLogStorageSystemEnable ?? false))
      throw invalidConfig(
        'Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage.',
      )
    const policy = values.get('cleanup.policy') as readonly string[]
    if (policy.some((p) => p.toLowerCase() === 'compact'))
      throw invalidConfig('Remote log storage is unsupported for the compacted topics')
    checkLocalRetention(
      num('retention.bytes'),
      num('local.retention.bytes'),
      'retention.bytes',
      'local.retention.bytes',
      -1,
    )
    checkLocalRetention(
      num('retention.ms'),
      num('local.retention.ms'),
      'retention.ms',
      'local.retention.ms',
      -1,
    )
    if (values.get('remote.log.copy.disable') === true) {
      const local = num('local.retention.bytes')
      if (local !== -2 && local !== num('retention.bytes'))
        throw invalidConfig(
          'When `remote.log.copy.disable` is set to true, the `local.retention.bytes` and `retention.bytes` must be set to the identical value because there will be no more logs copied to the remote storage.',
        )
      const localMs = num('local.retention.ms')
      if (localMs !== -2 && localMs !== num('retention.ms'))
        throw invalidConfig(
          'When `remote.log.copy.disable` is set to true, the `local.retention.ms` and `retention.ms` must be set to the identical value because there will be no more logs copied to the remote storage.',
        )
    }
  } else if (existing.get('remote.storage.enable')?.trim().toLowerCase() === 'true') {
    if (values.get('remote.log.delete.on.disable') !== true)
      throw invalidConfig(
        'It is invalid to disable remote storage without deleting remote data. If you want to keep the remote data and turn to read only, please set `remote.storage.enable=true,remote.log.copy.disable=true`. If you want to disable remote storage and delete all remote data, please set `remote.storage.enable=false,remote.log.delete.on.disable=true`.',
      )
  }
}

function checkLocalRetention(
  total: number,
  local: number,
  totalName: string,
  localName: string,
  unlimited: number,
): void {
  const applies = totalName === 'retention.bytes' ? total > unlimited : total !== unlimited
  if (!applies || local === -2) return
  if (local === -1)
    throw invalidConfig(
      `Invalid value -1 for configuration ${localName}: Value must not be -1 as ${totalName} value is set as ${formatLong(total)}.`,
    )
  if (local > total)
    throw invalidConfig(
      `Invalid value ${formatLong(local)} for configuration ${localName}: Value must not be more than ${totalName} property value: ${formatLong(total)}`,
    )
}

/** The topic configs in the order Kafka lists them in a DescribeConfigs result (see kafka-order.ts). */
const TOPIC_DEFS_IN_KAFKA_ORDER = inKafkaMapOrder(TOPIC_CONFIG_DEFS, (d) => d.name)

export interface DescribeTopicOptions {
  /** Only these names (null or empty = all). */
  readonly keys?: readonly string[] | null
  readonly includeSynonyms?: boolean
  readonly includeDocumentation?: boolean
}

/**
 * DescribeConfigs data for a topic with these overrides: every topic config with its effective value, its source
 * (TOPIC_CONFIG for an override, else the broker level its default comes from, else DEFAULT_CONFIG) and, on
 * request, its synonyms in precedence order: the override, then the broker synonyms at each level (dynamic
 * per-broker, dynamic default, static, default) as Kafka's ConfigHelper builds them.
 */
export function describeTopicConfig(
  overrides: ReadonlyMap<string, string>,
  broker: BrokerConfig,
  options: DescribeTopicOptions = {},
): DescribedConfig[] {
  const values = topicConfigValues(overrides, broker)
  const keys = options.keys && options.keys.length > 0 ? new Set(options.keys) : null
  const out: DescribedConfig[] = []
  for (const def of TOPIC_DEFS_IN_KAFKA_ORDER) {
    if (keys !== null && !keys.has(def.name)) continue
    const value = convertToString(values.get(def.name) ?? null, def.type)
    const primary = def.synonyms[0]?.name
    const synonyms: ConfigSynonym[] =
      primary === undefined ? [] : broker.configSynonyms(primary, brokerSynonyms(primary), false)
    if (overrides.has(def.name))
      synonyms.unshift({ name: def.name, value, source: ConfigSource.TOPIC_CONFIG })
    out.push({
      name: def.name,
      value,
      readOnly: false,
      configSource: synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG,
      isSensitive: false,
      synonyms: options.includeSynonyms ? synonyms : [],
      configType: CONFIG_TYPE_CODE[def.type],
      documentation: options.includeDocumentation ? def.doc : null,
    })
  }
  return out
}
