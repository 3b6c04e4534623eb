import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BrokerConfig, brokerSynonyms } from './broker-config.js'
import { ConfigException, ConfigSource, LONG_MAX, type DescribedConfig } from './config-def.js'
import { BROKER_CONFIG_DEFS, brokerConfigDef } from './definitions.js'
import { parseListeners, parseListenerSecurityProtocolMap } from './listeners.js'

const cfg = (props: Record<string, string> = {}, overrides: Record<string, string> = {}): BrokerConfig =>
  new BrokerConfig(new Map(Object.entries(props)), { overrides: new Map(Object.entries(overrides)) })

const fails = (props: Record<string, string>, message: string): void => {
  expect(() => cfg(props)).toThrow(ConfigException)
  expect(() => cfg(props)).toThrow(message)
}

describe('defaults', () => {
  it("match Kafka 3.9's", () => {
    const c = cfg()
    expect(c.brokerId).toBe(-1)
    expect(c.zkConnect).toBeNull()
    expect(c.zkSessionTimeoutMs).toBe(18000)
    expect(c.zkConnectionTimeoutMs).toBe(18000)
    expect(c.numNetworkThreads).toBe(3)
    expect(c.numIoThreads).toBe(8)
    expect(c.socketSendBufferBytes).toBe(102400)
    expect(c.socketRequestMaxBytes).toBe(104857600)
    expect(c.queuedMaxRequests).toBe(500)
    expect(c.logDirs).toEqual(['/tmp/kafka-logs'])
    expect(c.numPartitions).toBe(1)
    expect(c.defaultReplicationFactor).toBe(1)
    expect(c.logSegmentBytes).toBe(1073741824)
    expect(c.logRollMs).toBe(604800000)
    expect(c.logRollJitterMs).toBe(0)
    expect(c.logRetentionMs).toBe(604800000)
    expect(c.logRetentionBytes).toBe(-1)
    expect(c.logRetentionCheckIntervalMs).toBe(300000)
    expect(c.logFlushIntervalMessages).toBe(LONG_MAX)
    expect(c.logFlushIntervalMs).toBe(LONG_MAX)
    expect(c.logCleanupPolicy).toEqual(['delete'])
    expect(c.logCleanerDedupeBufferSize).toBe(134217728)
    expect(c.logCleanerMinCleanRatio).toBe(0.5)
    expect(c.messageMaxBytes).toBe(1048588)
    expect(c.replicaFetchMaxBytes).toBe(1048576)
    expect(c.replicaLagTimeMaxMs).toBe(30000)
    expect(c.offsetsTopicNumPartitions).toBe(50)
    expect(c.offsetsTopicReplicationFactor).toBe(3)
    expect(c.offsetsTopicSegmentBytes).toBe(104857600)
    expect(c.offsetsTopicCompressionType).toBe('none')
    expect(c.offsetsRetentionMs).toBe(7 * 24 * 3600 * 1000)
    expect(c.groupInitialRebalanceDelayMs).toBe(3000)
    expect(c.groupMinSessionTimeoutMs).toBe(6000)
    expect(c.groupMaxSessionTimeoutMs).toBe(1800000)
    expect(c.transactionStateLogMinIsr).toBe(2)
    expect(c.transactionMaxTimeoutMs).toBe(900000)
    expect(c.producerIdExpirationMs).toBe(86400000)
    expect(c.fetchMaxBytes).toBe(57671680)
    expect(c.compressionType).toBe('producer')
    expect(c.interBrokerProtocolVersion).toBe('3.9-IV0')
    expect(c.logMessageFormatVersion).toBe('3.0-IV1')
    expect(c.maxConnections).toBe(2147483647)
    expect(c.connectionsMaxIdleMs).toBe(600000)
    expect(c.listeners).toEqual([{ name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: '', port: 9092 }])
    expect(c.advertisedListeners).toEqual(c.listeners)
    expect(c.interBrokerListenerName).toBe('PLAINTEXT')
    expect(c.unknownConfigs).toEqual([])
    expect(c.warnings).toEqual([])
  })

  it('every default passes its own validator', () => {
    for (const d of BROKER_CONFIG_DEFS)
      if (d.default !== null) d.validator?.ensureValid(d.name, d.default, d.type)
  })
})

describe('unit resolution', () => {
  it('log.retention: ms over minutes over hours; negative = unlimited', () => {
    expect(cfg({ 'log.retention.hours': '1' }).logRetentionMs).toBe(3600000)
    expect(cfg({ 'log.retention.hours': '1', 'log.retention.minutes': '2' }).logRetentionMs).toBe(120000)
    expect(cfg({ 'log.retention.minutes': '2', 'log.retention.ms': '5' }).logRetentionMs).toBe(5)
    expect(cfg({ 'log.retention.ms': '-1' }).logRetentionMs).toBe(-1)
    expect(cfg({ 'log.retention.hours': '-5' }).logRetentionMs).toBe(-1)
    fails(
      { 'log.retention.ms': '0' },
      'log.retention.ms must be unlimited (-1) or, greater than or equal to 1',
    )
  })

  it('log.roll and jitter: ms over hours', () => {
    expect(cfg({ 'log.roll.hours': '2' }).logRollMs).toBe(7200000)
    expect(cfg({ 'log.roll.hours': '2', 'log.roll.ms': '10' }).logRollMs).toBe(10)
    expect(cfg({ 'log.roll.jitter.hours': '1' }).logRollJitterMs).toBe(3600000)
    fails({ 'log.roll.ms': '0' }, 'log.roll.ms must be greater than or equal to 1')
    fails(
      { 'log.roll.hours': '0' },
      'Invalid value 0 for configuration log.roll.hours: Value must be at least 1',
    )
  })

  it('log.flush.interval.ms falls back to log.flush.scheduler.interval.ms', () => {
    expect(cfg({ 'log.flush.scheduler.interval.ms': '2000' }).logFlushIntervalMs).toBe(2000)
    expect(
      cfg({ 'log.flush.scheduler.interval.ms': '2000', 'log.flush.interval.ms': '5' }).logFlushIntervalMs,
    ).toBe(5)
  })

  it('log.dirs over log.dir, comma separated', () => {
    expect(cfg({ 'log.dir': '/x' }).logDirs).toEqual(['/x'])
    expect(cfg({ 'log.dir': '/x', 'log.dirs': '/a, /b,,/c,' }).logDirs).toEqual(['/a', '/b', '/c'])
    fails({ 'log.dirs': ' , ' }, 'At least one log directory must be defined via log.dirs or log.dir.')
  })

  it('timestamp limits fall back to the deprecated difference while at their defaults', () => {
    const c = cfg({ 'log.message.timestamp.difference.max.ms': '1000' })
    expect(c.logMessageTimestampBeforeMaxMs).toBe(1000)
    expect(c.logMessageTimestampAfterMaxMs).toBe(1000)
    const d = cfg({
      'log.message.timestamp.difference.max.ms': '1000',
      'log.message.timestamp.after.max.ms': '5',
    })
    expect(d.logMessageTimestampAfterMaxMs).toBe(5)
    expect(
      d.warnings.some((w) => w.startsWith('log.message.timestamp.difference.max.ms is deprecated')),
    ).toBe(true)
  })

  it('zookeeper.connection.timeout.ms falls back to the session timeout', () => {
    expect(cfg({ 'zookeeper.session.timeout.ms': '6000' }).zkConnectionTimeoutMs).toBe(6000)
    expect(cfg({ 'zookeeper.connection.timeout.ms': '100' }).zkConnectionTimeoutMs).toBe(100)
  })
})

describe('unknown and invalid properties', () => {
  it('collects unknown names (legacy host.name/port included) and ignores them', () => {
    const c = cfg({
      'host.name': 'h',
      port: '9093',
      'advertised.host.name': 'x',
      'super.users': 'User:a',
      'broker.id': '1',
    })
    // super.users is the authorizer's own setting, not unknown.
    expect(c.unknownConfigs).toEqual(['host.name', 'port', 'advertised.host.name'])
    expect(c.warnings).toContain("The configuration 'host.name' was supplied but isn't a known config.")
    expect(c.listeners[0]?.port).toBe(9092)
  })

  it('listener-prefixed configs are not unknown', () => {
    expect(cfg({ 'listener.name.sasl_ssl.plain.sasl.jaas.config': 'x' }).unknownConfigs).toEqual([])
  })

  it('throws ConfigException with Kafka’s messages for bad values', () => {
    fails(
      { 'num.partitions': 'abc' },
      'Invalid value abc for configuration num.partitions: Not a number of type INT',
    )
    fails({ 'auto.create.topics.enable': 'yes' }, 'Expected value to be either true or false')
    fails({ 'log.message.timestamp.type': 'Now' }, 'String must be one of: CreateTime, LogAppendTime')
    fails({ 'zookeeper.max.in.flight.requests': '0' }, 'Value must be at least 1')
  })

  it('--override pairs win over the file', () => {
    expect(cfg({ 'num.partitions': '3' }, { 'num.partitions': '7' }).numPartitions).toBe(7)
  })

  it('loads a file with overrides', () => {
    const dir = mkdtempSync(join(tmpdir(), 'samsa-broker-'))
    const path = join(dir, 'server.properties')
    writeFileSync(path, 'broker.id=3\nlog.dirs=/data/k\nzookeeper.connect=zk:2181/kafka\nnum.partitions=2\n')
    const c = BrokerConfig.load(path, ['num.partitions=5', 'log.retention.hours=1'], {
      requireZkConnect: true,
    })
    expect([c.brokerId, c.numPartitions, c.logRetentionMs, c.zkConnect]).toEqual([
      3,
      5,
      3600000,
      'zk:2181/kafka',
    ])
  })
})

describe('cross checks', () => {
  it('broker.id range and node.id', () => {
    expect(cfg({ 'broker.id': '1000' }).brokerId).toBe(1000)
    fails(
      { 'broker.id': '1001' },
      'broker.id must be greater than or equal to -1 and not greater than reserved.broker.max.id',
    )
    fails(
      { 'broker.id': '-1', 'broker.id.generation.enable': 'false' },
      'broker.id must be greater than or equal to 0',
    )
    expect(cfg({ 'node.id': '4' }).brokerId).toBe(4)
    fails({ 'node.id': '4', 'broker.id': '5' }, 'You must set `node.id` to the same value as `broker.id`.')
  })

  it('zookeeper.connect is required when asked for', () => {
    expect(() => new BrokerConfig(new Map(), { requireZkConnect: true })).toThrow(
      'Missing required configuration `zookeeper.connect` which has no default value.',
    )
  })

  it('KRaft mode is refused', () => {
    fails({ 'process.roles': 'broker' }, 'KRaft mode is not supported')
  })

  it('replica fetch wait against socket timeout and lag time', () => {
    fails(
      { 'replica.fetch.wait.max.ms': '40000' },
      'replica.socket.timeout.ms should always be at least replica.fetch.wait.max.ms',
    )
    fails(
      { 'replica.fetch.wait.max.ms': '20000', 'replica.lag.time.max.ms': '10000' },
      'replica.fetch.wait.max.ms should always be less than or equal to replica.lag.time.max.ms',
    )
  })

  it('dedupe buffer per cleaner thread', () => {
    fails(
      { 'log.cleaner.dedupe.buffer.size': '2097152', 'log.cleaner.threads': '2' },
      'log.cleaner.dedupe.buffer.size must be at least 1MB per cleaner thread.',
    )
  })

  it('connection limits', () => {
    fails({ 'max.connections.per.ip': '0' }, 'max.connections.per.ip can be set to zero only if')
    const c = cfg({
      'max.connections.per.ip': '0',
      'max.connections.per.ip.overrides': 'host1:5, 10.0.0.1:7',
    })
    expect([...c.maxConnectionsPerIpOverrides]).toEqual([
      ['host1', 5],
      ['10.0.0.1', 7],
    ])
    fails({ 'max.connections.per.ip.overrides': 'bad host!:1' }, 'contains invalid addresses : bad host!')
    fails(
      { 'queued.max.request.bytes': '10' },
      'queued.max.request.bytes must be larger or equal to socket.request.max.bytes',
    )
    fails(
      { 'connections.max.idle.ms': '50' },
      'failed.authentication.delay.ms=100 should always be less than connections.max.idle.ms=50',
    )
  })

  it('group protocols must keep classic', () => {
    fails(
      { 'group.coordinator.rebalance.protocols': 'consumer' },
      "Disabling the 'classic' protocol is not supported.",
    )
  })

  it('group.consumer.migration.policy: every value Kafka accepts, case-insensitively', () => {
    const on = { 'group.coordinator.rebalance.protocols': 'classic,consumer' }
    for (const v of ['disabled', 'upgrade', 'DOWNGRADE', 'Bidirectional']) {
      expect(cfg({ ...on, 'group.consumer.migration.policy': v }).consumerGroupMigrationPolicy).toBe(
        v.toLowerCase(),
      )
      expect(() => cfg({ 'group.consumer.migration.policy': v })).not.toThrow()
    }
    expect(cfg(on).consumerGroupMigrationPolicy).toBe('bidirectional')
    expect(() => cfg({ 'group.consumer.migration.policy': 'sideways' })).toThrow(
      /Invalid value sideways for configuration group.consumer.migration.policy/,
    )
  })

  it('message format version against the inter-broker protocol', () => {
    const c = cfg({ 'log.message.format.version': '0.10.2' })
    expect(c.logMessageFormatVersion).toBe('3.0-IV1')
    expect(
      c.warnings.some((w) => w.includes('log.message.format.version with value 0.10.2 is ignored')),
    ).toBe(true)
    const old = cfg({ 'inter.broker.protocol.version': '2.8', 'log.message.format.version': '2.1' })
    expect(old.logMessageFormatVersion).toBe('2.1-IV2')
    fails(
      { 'inter.broker.protocol.version': '0.10.2', 'log.message.format.version': '2.0' },
      'log.message.format.version 2.0 can only be used when inter.broker.protocol.version is set to version 0.11.0 or higher',
    )
  })
})

describe('listeners', () => {
  const map = parseListenerSecurityProtocolMap('PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT,EXTERNAL:SASL_SSL')

  it('parses names, hosts, IPv6 and empty hosts', () => {
    expect(parseListeners('PLAINTEXT://localhost:9092, internal://[::1]:9093,EXTERNAL://:9094', map)).toEqual(
      [
        { name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: 'localhost', port: 9092 },
        { name: 'INTERNAL', securityProtocol: 'PLAINTEXT', host: '::1', port: 9093 },
        { name: 'EXTERNAL', securityProtocol: 'SASL_SSL', host: '', port: 9094 },
      ],
    )
  })

  it('rejects what Kafka rejects', () => {
    expect(() => parseListeners('PLAINTEXT://localhost', map)).toThrow(
      "Error creating broker listeners from 'PLAINTEXT://localhost': Unable to parse PLAINTEXT://localhost to a broker endpoint",
    )
    expect(() => parseListeners('FOO://:1', map)).toThrow('No security protocol defined for listener FOO')
    expect(() => parseListeners('PLAINTEXT://:1,PLAINTEXT://:2', map)).toThrow(
      'Each listener must have a different name, listeners: PLAINTEXT://:1,PLAINTEXT://:2',
    )
    expect(() => parseListeners('PLAINTEXT://a:1,INTERNAL://b:1', map)).toThrow(
      'Each listener must have a different port, listeners: PLAINTEXT://a:1,INTERNAL://b:1',
    )
    expect(() => parseListeners('PLAINTEXT://127.0.0.1:1,INTERNAL://127.0.0.2:1', map)).toThrow(
      'one needs to be IPv4 and the other IPv6',
    )
    expect(parseListeners('PLAINTEXT://127.0.0.1:1,INTERNAL://[::1]:1', map)).toHaveLength(2)
    expect(parseListeners('PLAINTEXT://a:0,INTERNAL://b:0', map)).toHaveLength(2)
    expect(parseListeners('PLAINTEXT://a:1,INTERNAL://b:1', map, false)).toHaveLength(2)
  })

  it('http.listeners may not take the port of a Kafka listener', () => {
    expect(() => cfg({ listeners: 'PLAINTEXT://:9092', 'http.listeners': 'http://127.0.0.1:9092' })).toThrow(
      'http.listeners http://127.0.0.1:9092 uses the port of a Kafka listener',
    )
    expect(
      cfg({ listeners: 'PLAINTEXT://:9092', 'http.listeners': 'http://127.0.0.1:9644' }).httpListeners,
    ).toEqual([{ url: 'http://127.0.0.1:9644', host: '127.0.0.1', port: 9644 }])
  })

  it('rejects a port outside 0-65535, naming the property', () => {
    for (const [value, name] of [
      ['PLAINTEXT://127.0.0.1:65536', 'listeners'],
      ['PLAINTEXT://127.0.0.1:-1', 'listeners'],
    ] as const) {
      expect(() => parseListeners(value, map)).toThrow(`port out of range:${value.split(':').pop()}`)
      expect(() => parseListeners(value, map)).toThrow(expect.objectContaining({ configName: name }))
    }
    expect(() => parseListeners('PLAINTEXT://h:70000', map, false)).toThrow(
      expect.objectContaining({ configName: 'advertised.listeners' }),
    )
    expect(parseListeners('PLAINTEXT://h:65535', map)[0]!.port).toBe(65535)
  })

  it('the protocol map is validated', () => {
    expect(() => parseListenerSecurityProtocolMap('A:TLS')).toThrow(
      'Invalid security protocol `TLS` defined in listener.security.protocol.map',
    )
    expect(() => parseListenerSecurityProtocolMap('A')).toThrow(
      "Error parsing configuration property 'listener.security.protocol.map'",
    )
    expect(parseListenerSecurityProtocolMap('a:ssl').get('A')).toBe('SSL')
  })

  it('named listeners with a protocol map and inter.broker.listener.name', () => {
    const c = cfg({
      listeners: 'INTERNAL://:9092,EXTERNAL://0.0.0.0:9093',
      'advertised.listeners': 'INTERNAL://kafka-1:9092,EXTERNAL://public.example:9093',
      'listener.security.protocol.map': 'INTERNAL:PLAINTEXT,EXTERNAL:SSL',
      'inter.broker.listener.name': 'INTERNAL',
    })
    expect(c.interBrokerListenerName).toBe('INTERNAL')
    expect(c.interBrokerSecurityProtocol).toBe('PLAINTEXT')
    expect(c.interBrokerEndpoint).toEqual({
      name: 'INTERNAL',
      securityProtocol: 'PLAINTEXT',
      host: 'kafka-1',
      port: 9092,
    })
    expect(c.listenersToString()).toBe('INTERNAL://:9092,EXTERNAL://0.0.0.0:9093')
  })

  it('checks the advertised listeners as Kafka does', () => {
    fails(
      { listeners: 'PLAINTEXT://0.0.0.0:9092' },
      'advertised.listeners cannot use the nonroutable meta-address 0.0.0.0',
    )
    fails(
      {
        listeners: 'PLAINTEXT://:9092',
        'advertised.listeners': 'SSL://h:9093',
        'inter.broker.listener.name': 'SSL',
      },
      'advertised.listeners listener names must be equal to or a subset of the ones defined in listeners. Found SSL. The valid options based on the current configuration are PLAINTEXT',
    )
    fails(
      { listeners: 'SSL://:9093' },
      'inter.broker.listener.name must be a listener name defined in advertised.listeners. The valid options based on currently configured listeners are SSL',
    )
    fails(
      { 'inter.broker.listener.name': 'PLAINTEXT', 'security.inter.broker.protocol': 'PLAINTEXT' },
      'Only one of inter.broker.listener.name and security.inter.broker.protocol should be set.',
    )
    fails(
      { 'inter.broker.listener.name': 'NOPE' },
      'Listener with name NOPE defined in inter.broker.listener.name not found',
    )
    fails({ listeners: '' }, 'There must be at least one broker advertised listener.')
    fails(
      { 'controller.listener.names': 'CONTROLLER' },
      'controller.listener.names must be empty when not running in KRaft mode',
    )
  })

  it('security.inter.broker.protocol picks the listener of that name', () => {
    const c = cfg({ listeners: 'PLAINTEXT://:9092,SSL://:9093', 'security.inter.broker.protocol': 'SSL' })
    expect(c.interBrokerListenerName).toBe('SSL')
  })

  it('resolves an empty advertised host with the fallback', () => {
    const c = cfg({ listeners: 'PLAINTEXT://:9092,SSL://myhost:9093' })
    expect(c.resolveAdvertisedListeners(() => 'canonical.example')).toEqual([
      { name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: 'canonical.example', port: 9092 },
      { name: 'SSL', securityProtocol: 'SSL', host: 'myhost', port: 9093 },
    ])
  })
})

describe('dynamic configs', () => {
  it('layers cluster defaults and per-broker values over static ones', () => {
    const c = cfg({ 'log.retention.hours': '10', 'num.io.threads': '4' })
    expect(
      c.setDynamicConfigs(
        'cluster-default',
        new Map([
          ['log.retention.ms', '1000'],
          ['num.io.threads', '6'],
        ]),
      ),
    ).toEqual([])
    expect(c.logRetentionMs).toBe(1000)
    expect(c.numIoThreads).toBe(6)
    c.setDynamicConfigs('per-broker', new Map([['num.io.threads', '9']]))
    expect(c.numIoThreads).toBe(9)
    c.setDynamicConfigs('per-broker', new Map())
    expect(c.numIoThreads).toBe(6)
    c.setDynamicConfigs('cluster-default', new Map())
    expect(c.logRetentionMs).toBe(36000000)
  })

  it('drops what Kafka ignores, with its messages', () => {
    const c = cfg()
    const messages = c.setDynamicConfigs(
      'cluster-default',
      new Map([
        ['num.partitions', '3'],
        ['log.segment.bytes', 'x'],
        ['ssl.keystore.location', '/k'],
        ['advertised.listeners', 'PLAINTEXT://h:9092'],
        ['leader.replication.throttled.rate', '100'],
      ]),
    )
    expect(messages).toEqual([
      'Dynamic default cluster config contains invalid values in: Set(log.segment.bytes), these configs will be ignored',
      'Non-dynamic configs configured in ZooKeeper will be ignored: Set(num.partitions)',
      'Security configs can be dynamically updated only using listener prefix, base configs will be ignored: Set(ssl.keystore.location)',
      'Per-broker configs defined at default cluster level will be ignored: Set(advertised.listeners)',
    ])
    expect([...c.dynamicConfigs('cluster-default').keys()]).toEqual(['leader.replication.throttled.rate'])
    expect(c.leaderReplicationThrottledRate).toBe(100)
    expect(c.numPartitions).toBe(1)
  })

  it('dynamic-only configs in server.properties are unknown', () => {
    const c = cfg({ 'leader.replication.throttled.rate': '5' })
    expect(c.unknownConfigs).toEqual(['leader.replication.throttled.rate'])
    expect(c.leaderReplicationThrottledRate).toBe(LONG_MAX)
  })

  it('an update that breaks the whole config is refused and changes nothing', () => {
    const c = cfg({ listeners: 'PLAINTEXT://:9092' })
    expect(() => c.setDynamicConfigs('per-broker', new Map([['listeners', 'SSL://:9093']]))).toThrow(
      'inter.broker.listener.name must be a listener name defined in advertised.listeners',
    )
    expect(c.listeners[0]?.name).toBe('PLAINTEXT')
    expect(c.dynamicConfigs('per-broker').size).toBe(0)
  })

  it('validates AlterConfigs input', () => {
    expect(() => BrokerConfig.validateDynamicConfigs(new Map([['num.partitions', '2']]), true)).toThrow(
      'Cannot update these configs dynamically: Set(num.partitions)',
    )
    expect(() =>
      BrokerConfig.validateDynamicConfigs(new Map([['ssl.keystore.password', 'x']]), true),
    ).toThrow(
      'These security configs can be dynamically updated only per-listener using the listener prefix: Set(ssl.keystore.password)',
    )
    expect(() =>
      BrokerConfig.validateDynamicConfigs(new Map([['listeners', 'PLAINTEXT://:1']]), false),
    ).toThrow(
      'Cannot update these configs at default cluster level, broker id must be specified: Set(listeners)',
    )
    BrokerConfig.validateDynamicConfigs(new Map([['leader.replication.throttled.rate', '1000']]), true)
    expect(() =>
      BrokerConfig.validateDynamicConfigs(new Map([['follower.replication.throttled.rate', '-1']]), true),
    ).toThrow(
      'Invalid value -1 for configuration follower.replication.throttled.rate: Value must be at least 0',
    )
    expect(() => BrokerConfig.validateDynamicConfigs(new Map([['num.io.threads', '0']]), false)).toThrow(
      'Invalid value 0 for configuration num.io.threads: Value must be at least 1',
    )
    BrokerConfig.validateDynamicConfigs(
      new Map([
        ['num.io.threads', '4'],
        ['listener.name.internal.ssl.keystore.location', '/k'],
        ['custom.plugin.config', 'x'],
      ]),
      true,
    )
    const c = cfg()
    expect(() =>
      c.validateDynamicUpdate('per-broker', new Map([['advertised.listeners', 'SSL://h:1']])),
    ).toThrow('inter.broker.listener.name must be a listener name defined in advertised.listeners')
  })

  it('classifies dynamic update modes as Kafka does', () => {
    const mode = (n: string) => brokerConfigDef(n)?.dynamic
    expect(mode('log.retention.ms')).toBe('cluster-wide')
    expect(mode('log.retention.hours')).toBe('read-only')
    expect(mode('log.roll.ms')).toBe('cluster-wide')
    expect(mode('log.roll.hours')).toBe('read-only')
    expect(mode('log.flush.interval.ms')).toBe('cluster-wide')
    expect(mode('log.flush.scheduler.interval.ms')).toBe('read-only')
    expect(mode('log.message.format.version')).toBe('read-only')
    expect(mode('listeners')).toBe('per-broker')
    expect(mode('num.network.threads')).toBe('cluster-wide')
    expect(mode('max.connections.per.ip')).toBe('cluster-wide')
    expect(mode('broker.id')).toBe('read-only')
    expect(mode('zookeeper.connect')).toBe('read-only')
  })
})

describe('describe', () => {
  const byName = (entries: readonly DescribedConfig[], name: string): DescribedConfig | undefined =>
    entries.find((e) => e.name === name)

  it('describes this broker with sources, synonyms and types', () => {
    const c = cfg({
      'broker.id': '1',
      'log.retention.hours': '72',
      'ssl.keystore.password': 'secret',
      'foo.bar': 'x',
    })
    c.setDynamicConfigs('cluster-default', new Map([['num.io.threads', '6']]))
    const d = c.describe({ resource: 'broker', includeSynonyms: true, includeDocumentation: true })

    expect(byName(d, 'log.retention.hours')).toEqual({
      name: 'log.retention.hours',
      value: '72',
      readOnly: true,
      configSource: ConfigSource.STATIC_BROKER_CONFIG,
      isSensitive: false,
      synonyms: [
        { name: 'log.retention.hours', value: '72', source: ConfigSource.STATIC_BROKER_CONFIG },
        { name: 'log.retention.hours', value: '168', source: ConfigSource.DEFAULT_CONFIG },
      ],
      configType: 3,
      documentation: brokerConfigDef('log.retention.hours')?.doc,
    })
    const ms = byName(d, 'log.retention.ms')
    expect(ms?.value).toBeNull()
    expect(ms?.configSource).toBe(ConfigSource.DEFAULT_CONFIG)
    expect(ms?.readOnly).toBe(false)
    expect(ms?.synonyms).toEqual([])

    const io = byName(d, 'num.io.threads')
    expect(io?.value).toBe('6')
    expect(io?.configSource).toBe(ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG)
    expect(io?.synonyms.map((s) => s.source)).toEqual([3, 5])

    const pw = byName(d, 'ssl.keystore.password')
    expect(pw).toMatchObject({ value: null, isSensitive: true, configType: 9 })
    expect(pw?.synonyms).toEqual([{ name: 'ssl.keystore.password', value: null, source: 4 }])

    expect(byName(d, 'foo.bar')).toMatchObject({
      value: null,
      isSensitive: true,
      configType: 0,
      readOnly: true,
    })
    expect(byName(d, 'log.flush.interval.messages')?.value).toBe('9223372036854775807')
    expect(byName(d, 'log.cleanup.policy')).toMatchObject({ value: 'delete', configType: 7 })
    expect(byName(d, 'unstable.api.versions.enable')).toBeUndefined()
  })

  it('filters by name and leaves synonyms and docs out unless asked', () => {
    const d = cfg().describe({ resource: 'broker', keys: ['num.partitions'] })
    expect(d).toEqual([
      {
        name: 'num.partitions',
        value: '1',
        readOnly: true,
        configSource: ConfigSource.DEFAULT_CONFIG,
        isSensitive: false,
        synonyms: [],
        configType: 3,
        documentation: null,
      },
    ])
  })

  it('describes the cluster defaults with only their own level', () => {
    const c = cfg({ 'log.retention.ms': '100' })
    c.setDynamicConfigs('cluster-default', new Map([['log.retention.ms', '500']]))
    expect(c.describe({ resource: 'default', includeSynonyms: true })).toEqual([
      {
        name: 'log.retention.ms',
        value: '500',
        readOnly: false,
        configSource: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG,
        isSensitive: false,
        synonyms: [
          { name: 'log.retention.ms', value: '500', source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG },
        ],
        configType: 5,
        documentation: null,
      },
    ])
  })

  it('broker synonyms', () => {
    expect(brokerSynonyms('log.retention.hours')).toEqual([
      'log.retention.ms',
      'log.retention.minutes',
      'log.retention.hours',
    ])
    expect(brokerSynonyms('log.flush.interval.ms')).toEqual([
      'log.flush.interval.ms',
      'log.flush.scheduler.interval.ms',
    ])
    expect(brokerSynonyms('listener.name.internal.ssl.keystore.location')).toEqual([
      'listener.name.internal.ssl.keystore.location',
      'ssl.keystore.location',
    ])
    expect(brokerSynonyms('listener.name.sasl_ssl.plain.sasl.jaas.config')).toEqual([
      'listener.name.sasl_ssl.plain.sasl.jaas.config',
      'sasl.jaas.config',
    ])
  })
})
