import { describe, expect, it } from 'vitest'
import { ErrorCode, KafkaError } from '../protocol/errors.js'
import { BrokerConfig } from './broker-config.js'
import { ConfigSource, LONG_MAX, type DescribedConfig } from './config-def.js'
import { brokerConfigDef } from './definitions.js'
import { KAFKA_TOPIC_CONFIG_ORDER } from './test-helpers.js'
import {
  describeTopicConfig,
  maxSegmentMs,
  resolveTopicConfig,
  TOPIC_CONFIG_DEFS,
  topicConfigSynonyms,
  validateTopicConfigs,
} from './topic-config.js'

const broker = (props: Record<string, string> = {}): BrokerConfig =>
  new BrokerConfig(new Map(Object.entries(props)))
const m = (o: Record<string, string>): Map<string, string> => new Map(Object.entries(o))

const invalid = (configs: Map<string, string | null>, message: string, b: BrokerConfig = broker()): void => {
  let err: unknown
  try {
    validateTopicConfigs(configs, b)
  } catch (e) {
    err = e
  }
  expect(err).toBeInstanceOf(KafkaError)
  expect((err as KafkaError).code).toBe(ErrorCode.INVALID_CONFIG)
  expect((err as KafkaError).message).toBe(message)
}

describe('resolveTopicConfig', () => {
  it('uses the broker defaults, with their units resolved', () => {
    const c = resolveTopicConfig(
      new Map(),
      broker({
        'log.retention.hours': '2',
        'log.roll.hours': '1',
        'log.flush.scheduler.interval.ms': '3000',
        'message.max.bytes': '2000000',
        'log.cleanup.policy': 'compact,delete',
        'log.cleaner.min.cleanable.ratio': '0.25',
        'log.segment.delete.delay.ms': '5',
        'min.insync.replicas': '2',
      }),
    )
    expect(c.retentionMs).toBe(7200000)
    expect(c.segmentMs).toBe(3600000)
    expect(c.flushMs).toBe(3000)
    expect(c.maxMessageBytes).toBe(2000000)
    expect(c.cleanupPolicy).toEqual(['compact', 'delete'])
    expect(c.compact && c.delete).toBe(true)
    expect(c.minCleanableDirtyRatio).toBe(0.25)
    expect(c.fileDeleteDelayMs).toBe(5)
    expect(c.minInSyncReplicas).toBe(2)
    expect(c.messageFormatVersion).toBe('3.0-IV1')
    expect(c.overridden.size).toBe(0)
  })

  it('topic overrides win over broker defaults', () => {
    const c = resolveTopicConfig(
      m({
        'retention.ms': '-1',
        'segment.bytes': '1048576',
        'cleanup.policy': 'compact',
        'max.compaction.lag.ms': '100',
      }),
      broker({ 'log.retention.hours': '2' }),
    )
    expect(c.retentionMs).toBe(-1)
    expect(c.segmentBytes).toBe(1048576)
    expect(c.cleanupPolicy).toEqual(['compact'])
    expect(maxSegmentMs(c)).toBe(100)
    expect([...c.overridden]).toEqual([
      'retention.ms',
      'segment.bytes',
      'cleanup.policy',
      'max.compaction.lag.ms',
    ])
  })

  it('has LogConfig defaults without a broker', () => {
    const c = resolveTopicConfig(new Map())
    expect(c.retentionMs).toBe(604800000)
    expect(c.segmentBytes).toBe(1073741824)
    expect(c.segmentIndexBytes).toBe(10485760)
    expect(c.indexIntervalBytes).toBe(4096)
    expect(c.flushMessages).toBe(LONG_MAX)
    expect(c.maxCompactionLagMs).toBe(LONG_MAX)
    expect(c.deleteRetentionMs).toBe(86400000)
    expect(c.messageTimestampType).toBe('CreateTime')
    expect(c.compressionType).toBe('producer')
    expect(c.localRetentionMs).toBe(604800000)
    expect(c.localRetentionBytes).toBe(-1)
  })

  it('timestamp limits fall back to the deprecated difference', () => {
    const c = resolveTopicConfig(m({ 'message.timestamp.difference.max.ms': '60000' }), broker())
    expect(c.messageTimestampBeforeMaxMs).toBe(60000)
    expect(c.messageTimestampAfterMaxMs).toBe(60000)
    const d = resolveTopicConfig(
      m({ 'message.timestamp.difference.max.ms': '60000', 'message.timestamp.before.max.ms': '10' }),
      broker(),
    )
    expect(d.messageTimestampBeforeMaxMs).toBe(10)
    expect(d.messageTimestampAfterMaxMs).toBe(60000)
    const e = resolveTopicConfig(new Map(), broker({ 'log.message.timestamp.difference.max.ms': '7' }))
    expect(e.messageTimestampAfterMaxMs).toBe(7)
  })
})

describe('validateTopicConfigs', () => {
  it('accepts valid overrides', () => {
    validateTopicConfigs(
      m({ 'retention.ms': '1000', 'cleanup.policy': 'compact,delete', 'compression.type': 'zstd' }),
    )
    validateTopicConfigs(m({ 'leader.replication.throttled.replicas': '' }))
  })

  it('accepts throttled replicas (KIP-73) as partition:broker pairs or *', () => {
    validateTopicConfigs(m({ 'leader.replication.throttled.replicas': '0:1,1:2' }))
    validateTopicConfigs(m({ 'follower.replication.throttled.replicas': '*' }))
  })

  it("rejects with Kafka's INVALID_CONFIG messages", () => {
    invalid(m({ 'retention.mss': '1' }), 'Unknown topic config name: retention.mss')
    invalid(new Map([['retention.ms', null]]), 'Null value not supported for topic configs: retention.ms')
    invalid(
      m({ 'retention.ms': 'abc' }),
      'Invalid value abc for configuration retention.ms: Not a number of type LONG',
    )
    invalid(
      m({ 'retention.ms': '-2' }),
      'Invalid value -2 for configuration retention.ms: Value must be at least -1',
    )
    invalid(
      m({ 'segment.bytes': '13' }),
      'Invalid value 13 for configuration segment.bytes: Value must be at least 14',
    )
    invalid(
      m({ 'cleanup.policy': 'compact,remove' }),
      'Invalid value remove for configuration cleanup.policy: String must be one of: compact, delete',
    )
    invalid(
      m({ 'min.cleanable.dirty.ratio': '1.5' }),
      'Invalid value 1.5 for configuration min.cleanable.dirty.ratio: Value must be no more than 1',
    )
    invalid(
      m({ 'compression.type': 'GZIP' }),
      'Invalid value GZIP for configuration compression.type: String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer',
    )
    invalid(
      m({ 'message.timestamp.type': 'create' }),
      'Invalid value create for configuration message.timestamp.type: String must be one of: CreateTime, LogAppendTime',
    )
    invalid(
      m({ 'leader.replication.throttled.replicas': '0-1' }),
      "Invalid value [0-1] for configuration leader.replication.throttled.replicas: leader.replication.throttled.replicas must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...",
    )
    invalid(
      m({ 'min.compaction.lag.ms': '100', 'max.compaction.lag.ms': '10' }),
      'conflict topic config setting min.compaction.lag.ms (100) > max.compaction.lag.ms (10)',
    )
    invalid(
      m({ 'message.format.version': '9.9' }),
      'Invalid value 9.9 for configuration message.format.version: Version 9.9 is not a valid version',
    )
    invalid(
      m({ preallocate: 'maybe' }),
      'Invalid value maybe for configuration preallocate: Expected value to be either true or false',
    )
  })

  it('checks min.compaction.lag.ms against the broker default too', () => {
    invalid(
      m({ 'min.compaction.lag.ms': '100' }),
      'conflict topic config setting min.compaction.lag.ms (100) > max.compaction.lag.ms (50)',
      broker({ 'log.cleaner.max.compaction.lag.ms': '50' }),
    )
  })

  it('refuses tiered storage unless the broker enables it', () => {
    invalid(
      m({ 'remote.storage.enable': 'true' }),
      'Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage.',
    )
    const tiered = broker({ 'remote.log.storage.system.enable': 'true' })
    validateTopicConfigs(m({ 'remote.storage.enable': 'true', 'local.retention.ms': '1000' }), tiered)
    invalid(
      m({ 'remote.storage.enable': 'true', 'cleanup.policy': 'compact' }),
      'Remote log storage is unsupported for the compacted topics',
      tiered,
    )
    invalid(
      m({ 'remote.storage.enable': 'true', 'retention.bytes': '100', 'local.retention.bytes': '200' }),
      'Invalid value 200 for configuration local.retention.bytes: Value must not be more than retention.bytes property value: 100',
      tiered,
    )
    invalid(
      m({ 'remote.storage.enable': 'true', 'local.retention.ms': '-1' }),
      'Invalid value -1 for configuration local.retention.ms: Value must not be -1 as retention.ms value is set as 604800000.',
      tiered,
    )
  })
})

describe('synonyms', () => {
  it('lists broker synonyms in precedence order', () => {
    expect(topicConfigSynonyms('retention.ms')).toEqual([
      { name: 'log.retention.ms' },
      { name: 'log.retention.minutes', unit: 'minutes' },
      { name: 'log.retention.hours', unit: 'hours' },
    ])
    expect(topicConfigSynonyms('segment.ms').map((s) => s.name)).toEqual(['log.roll.ms', 'log.roll.hours'])
    expect(topicConfigSynonyms('flush.ms').map((s) => s.name)).toEqual([
      'log.flush.interval.ms',
      'log.flush.scheduler.interval.ms',
    ])
    expect(topicConfigSynonyms('max.message.bytes').map((s) => s.name)).toEqual(['message.max.bytes'])
    expect(topicConfigSynonyms('file.delete.delay.ms').map((s) => s.name)).toEqual([
      'log.segment.delete.delay.ms',
    ])
    expect(topicConfigSynonyms('min.cleanable.dirty.ratio').map((s) => s.name)).toEqual([
      'log.cleaner.min.cleanable.ratio',
    ])
    expect(topicConfigSynonyms('leader.replication.throttled.replicas')).toEqual([])
  })

  it('every topic default passes its validator and every synonym is a broker config', () => {
    for (const d of TOPIC_CONFIG_DEFS) {
      if (d.default !== null) d.validator?.ensureValid(d.name, d.default, d.type)
      for (const s of d.synonyms) expect(brokerConfigDef(s.name), s.name).toBeDefined()
      // The primary synonym is the one Kafka's DynamicLogConfig makes updatable (except message.format.version).
      const primary = d.synonyms[0]
      if (primary && d.name !== 'message.format.version')
        expect(brokerConfigDef(primary.name)?.dynamic).toBe('cluster-wide')
    }
  })
})

describe('describeTopicConfig', () => {
  const byName = (entries: readonly DescribedConfig[], name: string): DescribedConfig | undefined =>
    entries.find((e) => e.name === name)

  it('reports overrides as TOPIC_CONFIG with the broker synonyms after them', () => {
    const b = broker({ 'log.retention.ms': '5000', 'log.segment.bytes': '2097152' })
    const d = describeTopicConfig(m({ 'retention.ms': '1000' }), b, { includeSynonyms: true })
    expect(byName(d, 'retention.ms')).toEqual({
      name: 'retention.ms',
      value: '1000',
      readOnly: false,
      configSource: ConfigSource.TOPIC_CONFIG,
      isSensitive: false,
      synonyms: [
        { name: 'retention.ms', value: '1000', source: ConfigSource.TOPIC_CONFIG },
        { name: 'log.retention.ms', value: '5000', source: ConfigSource.STATIC_BROKER_CONFIG },
        { name: 'log.retention.hours', value: '168', source: ConfigSource.DEFAULT_CONFIG },
      ],
      configType: 5,
      documentation: null,
    })
    expect(byName(d, 'segment.bytes')).toMatchObject({
      value: '2097152',
      configSource: ConfigSource.STATIC_BROKER_CONFIG,
      synonyms: [
        { name: 'log.segment.bytes', value: '2097152', source: ConfigSource.STATIC_BROKER_CONFIG },
        { name: 'log.segment.bytes', value: '1073741824', source: ConfigSource.DEFAULT_CONFIG },
      ],
    })
    expect(byName(d, 'cleanup.policy')).toMatchObject({ value: 'delete', configSource: 5, configType: 7 })
    expect(byName(d, 'flush.messages')?.value).toBe('9223372036854775807')
    expect(byName(d, 'min.cleanable.dirty.ratio')?.value).toBe('0.5')
    expect(byName(d, 'leader.replication.throttled.replicas')).toMatchObject({
      value: '',
      configSource: 5,
      synonyms: [],
    })
    // Kafka's order: its ConfigHelper lists the entries of a Scala HashMap (kafka-configs --describe --all starts
    // with compression.type and ends with segment.index.bytes)
    expect(d.map((e) => e.name)).toEqual(KAFKA_TOPIC_CONFIG_ORDER)
    expect([...d.map((e) => e.name)].sort()).toEqual(TOPIC_CONFIG_DEFS.map((x) => x.name).sort())
  })

  it('lists the broker synonyms of segment.ms, segment.jitter.ms and flush.ms from the primary one on', () => {
    const b = broker({
      'log.roll.ms': '3600000',
      'log.roll.jitter.ms': '60000',
      'log.roll.jitter.hours': '1',
      'log.flush.interval.ms': '1000',
      'log.flush.scheduler.interval.ms': '500',
    })
    const d = describeTopicConfig(new Map(), b, {
      includeSynonyms: true,
      keys: ['segment.ms', 'segment.jitter.ms', 'flush.ms'],
    })
    const S = ConfigSource.STATIC_BROKER_CONFIG
    const D = ConfigSource.DEFAULT_CONFIG
    expect(Object.fromEntries(d.map((e) => [e.name, [e.value, e.configSource, e.synonyms]]))).toEqual({
      'segment.ms': [
        '3600000',
        S,
        [
          { name: 'log.roll.ms', value: '3600000', source: S },
          { name: 'log.roll.hours', value: '168', source: D },
        ],
      ],
      'segment.jitter.ms': [
        '60000',
        S,
        [
          { name: 'log.roll.jitter.ms', value: '60000', source: S },
          { name: 'log.roll.jitter.hours', value: '1', source: S },
          { name: 'log.roll.jitter.hours', value: '0', source: D },
        ],
      ],
      'flush.ms': [
        '1000',
        S,
        [
          { name: 'log.flush.interval.ms', value: '1000', source: S },
          { name: 'log.flush.scheduler.interval.ms', value: '500', source: S },
          { name: 'log.flush.scheduler.interval.ms', value: '9223372036854775807', source: D },
        ],
      ],
    })
  })

  it("follows Kafka's synonym list: levels in order, from the primary synonym on", () => {
    const b = broker({ 'log.retention.hours': '72' })
    const d = describeTopicConfig(new Map(), b, { includeSynonyms: true, keys: ['retention.ms'] })
    // Kafka keeps only the synonyms from the first log.retention.ms entry on, so an hours-only setting shows none.
    expect(d).toEqual([
      {
        name: 'retention.ms',
        value: '259200000',
        readOnly: false,
        configSource: ConfigSource.DEFAULT_CONFIG,
        isSensitive: false,
        synonyms: [],
        configType: 5,
        documentation: null,
      },
    ])
    b.setDynamicConfigs('cluster-default', m({ 'log.retention.ms': '60000' }))
    const e = describeTopicConfig(new Map(), b, { includeSynonyms: true, keys: ['retention.ms'] })
    expect(e[0]).toMatchObject({
      value: '60000',
      configSource: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG,
      synonyms: [
        { name: 'log.retention.ms', value: '60000', source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG },
        { name: 'log.retention.hours', value: '72', source: ConfigSource.STATIC_BROKER_CONFIG },
        { name: 'log.retention.hours', value: '168', source: ConfigSource.DEFAULT_CONFIG },
      ],
    })
  })

  it('documentation on request', () => {
    const d = describeTopicConfig(new Map(), broker(), { includeDocumentation: true, keys: ['segment.ms'] })
    expect(d[0]?.documentation).toBe(TOPIC_CONFIG_DEFS.find((x) => x.name === 'segment.ms')?.doc)
  })
})
