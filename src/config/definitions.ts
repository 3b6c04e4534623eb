/**
 * Kafka's broker configs (KafkaConfig of Kafka 3.9, ZooKeeper mode): names, types, defaults, validators,
 * importance and the dynamic update mode DynamicBrokerConfig gives each. The docs are our own one-liners.
 *
 * Configs Kafka removed before 3.9 (host.name, port, advertised.host.name, advertised.port, …) are deliberately
 * absent: like Kafka, the broker reports them as unknown and ignores them.
 */
import {
  atLeast,
  between,
  customValidator,
  ConfigException,
  DOUBLE_MAX,
  INT_MAX,
  LONG_MAX,
  nonNull,
  ValidList,
  ValidString,
  CaseInsensitiveValidString,
  type ConfigDef,
  type ConfigType,
  type ConfigValue,
  type DynamicMode,
  type Importance,
  type Validator,
} from './config-def.js'
import {
  DEFAULT_MESSAGE_FORMAT_VERSION,
  LATEST_PRODUCTION_VERSION,
  metadataVersionValidator,
} from './metadata-version.js'

interface Extra {
  readonly validator?: Validator
  readonly dynamic?: DynamicMode
  readonly internal?: boolean
  readonly deprecated?: string
  readonly dynamicOnly?: boolean
}

function c(
  name: string,
  type: ConfigType,
  dflt: ConfigValue,
  importance: Importance,
  doc: string,
  extra: Extra = {},
): ConfigDef {
  return { name, type, default: dflt, importance, doc, dynamic: extra.dynamic ?? 'read-only', ...extra }
}

const CW: DynamicMode = 'cluster-wide'
const PB: DynamicMode = 'per-broker'

/** BrokerCompressionType names. */
export const BROKER_COMPRESSION_TYPES = ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'] as const
export const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const
export type SecurityProtocol = (typeof SECURITY_PROTOCOLS)[number]

/** Gzip levels: 1..9, or -1 for the library default (Deflater.DEFAULT_COMPRESSION). */
export const gzipLevelValidator = customValidator('[1,...,9] or -1', (v) =>
  typeof v === 'number' && (v === -1 || (v >= 1 && v <= 9))
    ? undefined
    : 'Value must be between 1 and 9, or -1',
)
/**
 * LZ4 levels: Kafka takes 1..17 and compresses with LZ4's fast compressor at its default, 9, with LZ4 HC at any
 * other level. Samsa's LZ4 encoder (lz4js) has the fast compressor only, so it honours the default and refuses the
 * others rather than silently write what the level did not ask for.
 */
export const LZ4_DEFAULT_LEVEL = 9
const lz4LevelRange = between(1, 17)
export const lz4LevelValidator: Validator = {
  description: '[1,...,17] (Samsa: 9 only)',
  ensureValid(name, value, type) {
    lz4LevelRange.ensureValid(name, value, type)
    if (value !== LZ4_DEFAULT_LEVEL) {
      throw ConfigException.invalid(
        name,
        value,
        `Samsa cannot honour LZ4 level ${String(value)}: its LZ4 encoder has only the fast compressor, which Kafka uses at the default level ${LZ4_DEFAULT_LEVEL} (other levels need LZ4 HC)`,
        type,
      )
    }
  },
}
export const zstdLevelValidator = between(-131072, 22)

/** The default listener.security.protocol.map (every security protocol as a listener name of its own). */
export const DEFAULT_LISTENER_SECURITY_PROTOCOL_MAP =
  'SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT'

const zk: ConfigDef[] = [
  c('zookeeper.connect', 'string', null, 'high', 'ZooKeeper connection string (host:port,...[/chroot]).'),
  c('zookeeper.session.timeout.ms', 'int', 18000, 'high', 'ZooKeeper session timeout.'),
  c(
    'zookeeper.connection.timeout.ms',
    'int',
    null,
    'high',
    'How long to wait for a ZooKeeper connection; zookeeper.session.timeout.ms when unset.',
  ),
  c('zookeeper.set.acl', 'boolean', false, 'high', 'Whether the broker writes secure ACLs on its znodes.'),
  c(
    'zookeeper.max.in.flight.requests',
    'int',
    10,
    'high',
    'Most unacknowledged requests the ZooKeeper client sends before blocking.',
    { validator: atLeast(1) },
  ),
  c('zookeeper.ssl.client.enable', 'boolean', false, 'medium', 'Whether to use TLS to connect to ZooKeeper.'),
  c(
    'zookeeper.clientCnxnSocket',
    'string',
    null,
    'medium',
    'ZooKeeper client socket implementation (for TLS).',
  ),
  c(
    'zookeeper.ssl.keystore.location',
    'string',
    null,
    'medium',
    'Keystore for TLS connections to ZooKeeper.',
  ),
  c('zookeeper.ssl.keystore.password', 'password', null, 'medium', 'Password of the ZooKeeper TLS keystore.'),
  c('zookeeper.ssl.keystore.type', 'string', null, 'medium', 'Type of the ZooKeeper TLS keystore.'),
  c(
    'zookeeper.ssl.truststore.location',
    'string',
    null,
    'medium',
    'Truststore for TLS connections to ZooKeeper.',
  ),
  c(
    'zookeeper.ssl.truststore.password',
    'password',
    null,
    'medium',
    'Password of the ZooKeeper TLS truststore.',
  ),
  c('zookeeper.ssl.truststore.type', 'string', null, 'medium', 'Type of the ZooKeeper TLS truststore.'),
  c('zookeeper.ssl.protocol', 'string', 'TLSv1.2', 'low', 'TLS protocol for ZooKeeper connections.'),
  c(
    'zookeeper.ssl.enabled.protocols',
    'list',
    null,
    'low',
    'Enabled TLS protocols for ZooKeeper connections.',
  ),
  c('zookeeper.ssl.cipher.suites', 'list', null, 'low', 'Enabled cipher suites for ZooKeeper connections.'),
  c(
    'zookeeper.ssl.endpoint.identification.algorithm',
    'string',
    'HTTPS',
    'low',
    'Hostname verification for ZooKeeper TLS connections.',
  ),
  c('zookeeper.ssl.crl.enable', 'boolean', false, 'low', 'Whether to check certificate revocation lists.'),
  c('zookeeper.ssl.ocsp.enable', 'boolean', false, 'low', 'Whether to use OCSP for certificate revocation.'),
  c(
    'zookeeper.metadata.migration.enable',
    'boolean',
    false,
    'high',
    'Enables the ZooKeeper to KRaft migration (not supported here).',
  ),
]

const general: ConfigDef[] = [
  c(
    'broker.id.generation.enable',
    'boolean',
    true,
    'medium',
    'Whether a broker without broker.id gets one generated from ZooKeeper.',
  ),
  c(
    'reserved.broker.max.id',
    'int',
    1000,
    'medium',
    'Highest broker id that may be configured; generated ids start above it.',
    { validator: atLeast(0) },
  ),
  c('broker.id', 'int', -1, 'high', 'This broker’s id; -1 lets one be generated.'),
  c('node.id', 'int', -1, 'high', 'KRaft node id; taken as a synonym of broker.id.'),
  c('process.roles', 'list', [], 'high', 'KRaft roles; must stay empty (ZooKeeper mode).', {
    validator: ValidList.in('broker', 'controller'),
  }),
  c(
    'controller.listener.names',
    'string',
    null,
    'high',
    'KRaft controller listeners; must be empty in ZooKeeper mode.',
  ),
  c(
    'controller.quorum.voters',
    'list',
    [],
    'high',
    'KRaft controller quorum voters (unused in ZooKeeper mode).',
  ),
  c(
    'controller.quorum.bootstrap.servers',
    'list',
    [],
    'high',
    'KRaft controller bootstrap servers (unused in ZooKeeper mode).',
  ),
  c('metadata.log.dir', 'string', null, 'high', 'KRaft metadata log directory (unused in ZooKeeper mode).'),
  c(
    'message.max.bytes',
    'int',
    1048588,
    'high',
    'Largest record batch the broker accepts (topic: max.message.bytes).',
    {
      validator: atLeast(0),
      dynamic: CW,
    },
  ),
  c('num.io.threads', 'int', 8, 'high', 'Threads that process requests.', {
    validator: atLeast(1),
    dynamic: CW,
  }),
  c(
    'num.replica.alter.log.dirs.threads',
    'int',
    null,
    'high',
    'Threads moving replicas between log directories; the number of log dirs when unset.',
  ),
  c('background.threads', 'int', 10, 'high', 'Threads for background tasks.', {
    validator: atLeast(1),
    dynamic: CW,
  }),
  c('request.timeout.ms', 'int', 30000, 'high', 'Timeout of requests the broker sends as a client.'),
  c(
    'socket.connection.setup.timeout.ms',
    'long',
    10000,
    'medium',
    'Initial time allowed for an outgoing connection to be established.',
  ),
  c(
    'socket.connection.setup.timeout.max.ms',
    'long',
    30000,
    'medium',
    'Longest time allowed for an outgoing connection to be established.',
  ),
  c('authorizer.class.name', 'string', '', 'low', 'Authorizer implementation; empty for none.', {
    validator: nonNull,
  }),
  c('early.start.listeners', 'string', null, 'high', 'Listeners started before the authorizer is ready.'),
  c('broker.rack', 'string', null, 'medium', 'Rack of this broker, for rack-aware replica placement.'),
  c('controlled.shutdown.enable', 'boolean', true, 'medium', 'Move leadership away before shutting down.'),
  c(
    'controlled.shutdown.max.retries',
    'int',
    3,
    'medium',
    'Attempts at a controlled shutdown before giving up.',
  ),
  c(
    'controlled.shutdown.retry.backoff.ms',
    'long',
    5000,
    'medium',
    'Wait between controlled shutdown attempts.',
  ),
  c('delete.topic.enable', 'boolean', true, 'high', 'Whether topics may be deleted.'),
  c(
    'compression.type',
    'string',
    'producer',
    'high',
    'Compression of stored batches; producer keeps the producer’s.',
    {
      validator: ValidString.in(...BROKER_COMPRESSION_TYPES),
      dynamic: CW,
    },
  ),
  c('compression.gzip.level', 'int', -1, 'medium', 'Gzip level when compression.type is gzip.', {
    validator: gzipLevelValidator,
    dynamic: CW,
  }),
  c('compression.lz4.level', 'int', 9, 'medium', 'LZ4 level when compression.type is lz4.', {
    validator: lz4LevelValidator,
    dynamic: CW,
  }),
  c('compression.zstd.level', 'int', 3, 'medium', 'Zstandard level when compression.type is zstd.', {
    validator: zstdLevelValidator,
    dynamic: CW,
  }),
  c(
    'max.incremental.fetch.session.cache.slots',
    'int',
    1000,
    'medium',
    'Most incremental fetch sessions kept.',
    { validator: atLeast(0) },
  ),
  c('fetch.max.bytes', 'int', 57671680, 'medium', 'Most bytes returned for one fetch request.', {
    validator: atLeast(1024),
  }),
  c('unstable.api.versions.enable', 'boolean', false, 'high', 'Advertise unreleased API versions.', {
    internal: true,
  }),
  c('unstable.feature.versions.enable', 'boolean', false, 'high', 'Allow unreleased feature versions.', {
    internal: true,
  }),
  c('unstable.metadata.versions.enable', 'boolean', false, 'high', 'Allow unreleased metadata versions.', {
    internal: true,
  }),
]

const socketServer: ConfigDef[] = [
  c(
    'listeners',
    'string',
    'PLAINTEXT://:9092',
    'high',
    'Listeners to bind, as NAME://host:port; empty host = all.',
    {
      dynamic: PB,
    },
  ),
  c('advertised.listeners', 'string', null, 'high', 'Listeners published to clients; listeners when unset.', {
    dynamic: PB,
  }),
  c(
    'listener.security.protocol.map',
    'string',
    DEFAULT_LISTENER_SECURITY_PROTOCOL_MAP,
    'low',
    'Security protocol of each listener name, as NAME:PROTOCOL pairs.',
    { dynamic: PB },
  ),
  c('control.plane.listener.name', 'string', null, 'high', 'Listener for controller-to-broker traffic.'),
  c(
    'socket.send.buffer.bytes',
    'int',
    102400,
    'high',
    "Kafka: SO_SNDBUF of server sockets (-1: the OS default). Accepted but not applied: Node's TCP sockets cannot set it, so the OS sizes the buffer (Linux autotunes it, up to net.ipv4.tcp_wmem's maximum).",
  ),
  c(
    'socket.receive.buffer.bytes',
    'int',
    102400,
    'high',
    "Kafka: SO_RCVBUF of server sockets (-1: the OS default). Accepted but not applied: Node's TCP sockets cannot set it, so the OS sizes the buffer (Linux autotunes it, up to net.ipv4.tcp_rmem's maximum).",
  ),
  c('socket.request.max.bytes', 'int', 104857600, 'high', 'Largest request the broker reads.', {
    validator: atLeast(1),
  }),
  c('socket.listen.backlog.size', 'int', 50, 'medium', 'Pending connection backlog of each listener.', {
    validator: atLeast(1),
  }),
  c('max.connections.per.ip', 'int', INT_MAX, 'medium', 'Most connections from one IP address.', {
    validator: atLeast(0),
    dynamic: CW,
  }),
  c(
    'max.connections.per.ip.overrides',
    'string',
    '',
    'medium',
    'Per-host or per-IP limits, as host:count pairs.',
    {
      dynamic: CW,
    },
  ),
  c('max.connections', 'int', INT_MAX, 'medium', 'Most connections the broker accepts.', {
    validator: atLeast(0),
    dynamic: CW,
  }),
  c('max.connection.creation.rate', 'int', INT_MAX, 'medium', 'Most new connections per second.', {
    validator: atLeast(0),
    dynamic: CW,
  }),
  c('connections.max.idle.ms', 'long', 600000, 'medium', 'Idle connections are closed after this long.'),
  c(
    'failed.authentication.delay.ms',
    'int',
    100,
    'low',
    'Delay before closing a connection that failed authentication.',
    { validator: atLeast(0) },
  ),
  c('queued.max.requests', 'int', 500, 'high', 'Requests queued before network threads stop reading.', {
    validator: atLeast(1),
  }),
  c(
    'queued.max.request.bytes',
    'long',
    -1,
    'medium',
    'Bytes of queued requests before reading stops; -1 = no limit.',
  ),
  c('num.network.threads', 'int', 3, 'high', 'Threads receiving requests and sending responses.', {
    validator: atLeast(1),
    dynamic: CW,
  }),
]

const log: ConfigDef[] = [
  c('num.partitions', 'int', 1, 'medium', 'Partitions of automatically created topics.', {
    validator: atLeast(1),
  }),
  c('log.dir', 'string', '/tmp/kafka-logs', 'high', 'Log directory, used when log.dirs is unset.'),
  c('log.dirs', 'string', null, 'high', 'Comma-separated log directories; log.dir when unset.'),
  c('log.segment.bytes', 'int', 1073741824, 'high', 'Largest size of a log segment.', {
    validator: atLeast(14),
    dynamic: CW,
  }),
  c(
    'log.roll.ms',
    'long',
    null,
    'high',
    'Time after which a new segment is rolled; log.roll.hours when unset.',
    {
      dynamic: CW,
    },
  ),
  c('log.roll.hours', 'int', 168, 'high', 'Time after which a new segment is rolled, in hours.', {
    validator: atLeast(1),
  }),
  c(
    'log.roll.jitter.ms',
    'long',
    null,
    'high',
    'Most jitter subtracted from the roll time; hours form when unset.',
    {
      dynamic: CW,
    },
  ),
  c('log.roll.jitter.hours', 'int', 0, 'high', 'Most jitter subtracted from the roll time, in hours.', {
    validator: atLeast(0),
  }),
  c(
    'log.retention.ms',
    'long',
    null,
    'high',
    'How long segments are kept; -1 = forever; minutes/hours when unset.',
    {
      dynamic: CW,
    },
  ),
  c(
    'log.retention.minutes',
    'int',
    null,
    'high',
    'How long segments are kept, in minutes; hours when unset.',
  ),
  c('log.retention.hours', 'int', 168, 'high', 'How long segments are kept, in hours.'),
  c(
    'log.retention.bytes',
    'long',
    -1,
    'high',
    'Largest size of a partition before old segments go; -1 = none.',
    {
      dynamic: CW,
    },
  ),
  c('log.retention.check.interval.ms', 'long', 300000, 'medium', 'How often logs are checked for deletion.', {
    validator: atLeast(1),
  }),
  c('log.cleanup.policy', 'list', ['delete'], 'medium', 'Default cleanup policy: delete, compact, or both.', {
    validator: ValidList.in('compact', 'delete'),
    dynamic: CW,
  }),
  c('log.cleaner.threads', 'int', 1, 'medium', 'Log cleaner threads.', {
    validator: atLeast(0),
    dynamic: CW,
  }),
  c(
    'log.cleaner.io.max.bytes.per.second',
    'double',
    DOUBLE_MAX,
    'medium',
    'I/O throttle of the log cleaner.',
    {
      dynamic: CW,
    },
  ),
  c(
    'log.cleaner.dedupe.buffer.size',
    'long',
    134217728,
    'medium',
    'Memory for log deduplication, all threads.',
    {
      dynamic: CW,
    },
  ),
  c(
    'log.cleaner.io.buffer.size',
    'int',
    524288,
    'medium',
    'Memory for log cleaner I/O buffers, all threads.',
    {
      validator: atLeast(0),
      dynamic: CW,
    },
  ),
  c('log.cleaner.io.buffer.load.factor', 'double', 0.9, 'medium', 'Load factor of the dedupe buffer.', {
    dynamic: CW,
  }),
  c(
    'log.cleaner.backoff.ms',
    'long',
    15000,
    'medium',
    'Sleep of the cleaner when there is nothing to clean.',
    {
      validator: atLeast(0),
      dynamic: CW,
    },
  ),
  c(
    'log.cleaner.min.cleanable.ratio',
    'double',
    0.5,
    'medium',
    'Dirty ratio at which a log becomes cleanable.',
    {
      validator: between(0, 1),
      dynamic: CW,
    },
  ),
  c('log.cleaner.enable', 'boolean', true, 'medium', 'Run the log cleaner (needed for compacted topics).'),
  c(
    'log.cleaner.delete.retention.ms',
    'long',
    86400000,
    'medium',
    'How long tombstones are kept in compacted logs.',
    {
      validator: atLeast(0),
      dynamic: CW,
    },
  ),
  c(
    'log.cleaner.min.compaction.lag.ms',
    'long',
    0,
    'medium',
    'Least age of a record before it may be compacted.',
    {
      validator: atLeast(0),
      dynamic: CW,
    },
  ),
  c(
    'log.cleaner.max.compaction.lag.ms',
    'long',
    LONG_MAX,
    'medium',
    'Most time a record stays uncompacted.',
    {
      validator: atLeast(1),
      dynamic: CW,
    },
  ),
  c('log.index.size.max.bytes', 'int', 10485760, 'medium', 'Largest size of an offset index.', {
    validator: atLeast(4),
    dynamic: CW,
  }),
  c('log.index.interval.bytes', 'int', 4096, 'medium', 'Bytes between offset index entries.', {
    validator: atLeast(0),
    dynamic: CW,
  }),
  c('log.flush.interval.messages', 'long', LONG_MAX, 'high', 'Messages appended before a forced flush.', {
    validator: atLeast(1),
    dynamic: CW,
  }),
  c(
    'log.segment.delete.delay.ms',
    'long',
    60000,
    'high',
    'Wait before a deleted segment’s files are removed.',
    {
      validator: atLeast(0),
      dynamic: CW,
    },
  ),
  c(
    'log.flush.scheduler.interval.ms',
    'long',
    LONG_MAX,
    'high',
    'How often logs are checked for a time flush.',
  ),
  c(
    'log.flush.interval.ms',
    'long',
    null,
    'high',
    'Most time data stays unflushed; log.flush.scheduler.interval.ms when unset.',
    { dynamic: CW },
  ),
  c(
    'log.flush.offset.checkpoint.interval.ms',
    'int',
    60000,
    'high',
    'How often the recovery point checkpoint is written.',
    { validator: atLeast(0) },
  ),
  c(
    'log.flush.start.offset.checkpoint.interval.ms',
    'int',
    60000,
    'high',
    'How often the log start offset checkpoint is written.',
    { validator: atLeast(0) },
  ),
  c('log.preallocate', 'boolean', false, 'medium', 'Preallocate segment files.', { dynamic: CW }),
  c(
    'num.recovery.threads.per.data.dir',
    'int',
    1,
    'high',
    'Threads per log dir for recovery and shutdown flush.',
    {
      validator: atLeast(1),
      dynamic: CW,
    },
  ),
  c('auto.create.topics.enable', 'boolean', true, 'high', 'Create topics on first use.'),
  c('min.insync.replicas', 'int', 1, 'high', 'Replicas that must acknowledge an acks=all write.', {
    validator: atLeast(1),
    dynamic: CW,
  }),
  c(
    'log.message.format.version',
    'string',
    DEFAULT_MESSAGE_FORMAT_VERSION,
    'medium',
    'Message format for appends; ignored from inter.broker.protocol.version 3.0 on.',
    {
      validator: metadataVersionValidator,
      deprecated: 'Ignored when inter.broker.protocol.version is 3.0 or higher.',
    },
  ),
  c('log.message.timestamp.type', 'string', 'CreateTime', 'medium', 'CreateTime or LogAppendTime.', {
    validator: ValidString.in('CreateTime', 'LogAppendTime'),
    dynamic: CW,
  }),
  c(
    'log.message.timestamp.difference.max.ms',
    'long',
    LONG_MAX,
    'medium',
    'Most difference between record and broker time (CreateTime).',
    {
      validator: atLeast(0),
      dynamic: CW,
      deprecated: 'Use log.message.timestamp.before.max.ms and log.message.timestamp.after.max.ms.',
    },
  ),
  c(
    'log.message.timestamp.before.max.ms',
    'long',
    LONG_MAX,
    'medium',
    'How far a record timestamp may lie in the past (CreateTime).',
    { validator: atLeast(0), dynamic: CW },
  ),
  c(
    'log.message.timestamp.after.max.ms',
    'long',
    LONG_MAX,
    'medium',
    'How far a record timestamp may lie in the future (CreateTime).',
    { validator: atLeast(0), dynamic: CW },
  ),
  c('create.topic.policy.class.name', 'class', null, 'low', 'Policy validating topic creation.'),
  c('alter.config.policy.class.name', 'class', null, 'low', 'Policy validating config changes.'),
  c('log.message.downconversion.enable', 'boolean', true, 'low', 'Down-convert records for old fetchers.', {
    dynamic: CW,
  }),
  c('log.dir.failure.timeout.ms', 'long', 30000, 'low', 'How long a log dir failure may go unreported.', {
    validator: atLeast(1),
  }),
  c(
    'log.initial.task.delay.ms',
    'long',
    30000,
    'low',
    'Delay before the first retention, flush and checkpoint runs.',
    {
      validator: atLeast(0),
      internal: true,
    },
  ),
  c(
    'remote.log.storage.system.enable',
    'boolean',
    false,
    'medium',
    'Enable tiered storage (not supported here).',
  ),
  c(
    'log.local.retention.ms',
    'long',
    -2,
    'medium',
    'Local retention with tiered storage; -2 = log.retention.ms.',
    {
      validator: atLeast(-2),
      dynamic: CW,
    },
  ),
  c(
    'log.local.retention.bytes',
    'long',
    -2,
    'medium',
    'Local size limit with tiered storage; -2 = retention.',
    {
      validator: atLeast(-2),
      dynamic: CW,
    },
  ),
]

const replication: ConfigDef[] = [
  c(
    'controller.socket.timeout.ms',
    'int',
    30000,
    'medium',
    'Socket timeout of controller-to-broker channels.',
  ),
  c('default.replication.factor', 'int', 1, 'medium', 'Replication factor of automatically created topics.'),
  c('replica.lag.time.max.ms', 'long', 30000, 'high', 'A follower behind for longer leaves the ISR.'),
  c('replica.socket.timeout.ms', 'int', 30000, 'high', 'Socket timeout of replica fetches.'),
  c(
    'replica.socket.receive.buffer.bytes',
    'int',
    65536,
    'high',
    'Receive buffer of replica fetcher sockets.',
  ),
  c('replica.fetch.max.bytes', 'int', 1048576, 'medium', 'Bytes a follower fetches per partition.', {
    validator: atLeast(0),
  }),
  c('replica.fetch.wait.max.ms', 'int', 500, 'high', 'Longest wait of a follower fetch.'),
  c('replica.fetch.backoff.ms', 'int', 1000, 'medium', 'Sleep after a partition fetch error.', {
    validator: atLeast(0),
  }),
  c('replica.fetch.min.bytes', 'int', 1, 'high', 'Least bytes a follower fetch waits for.'),
  c('replica.fetch.response.max.bytes', 'int', 10485760, 'medium', 'Bytes a follower fetches per request.', {
    validator: atLeast(0),
  }),
  c('num.replica.fetchers', 'int', 1, 'high', 'Fetcher threads per source broker.', { dynamic: CW }),
  c(
    'replica.high.watermark.checkpoint.interval.ms',
    'long',
    5000,
    'high',
    'How often high watermarks are saved.',
  ),
  c(
    'fetch.purgatory.purge.interval.requests',
    'int',
    1000,
    'medium',
    'Purge interval of the fetch purgatory.',
  ),
  c(
    'producer.purgatory.purge.interval.requests',
    'int',
    1000,
    'medium',
    'Purge interval of the produce purgatory.',
  ),
  c(
    'delete.records.purgatory.purge.interval.requests',
    'int',
    1,
    'medium',
    'Purge interval of the delete-records purgatory.',
  ),
  c('auto.leader.rebalance.enable', 'boolean', true, 'high', 'Move leadership back to preferred replicas.'),
  c(
    'leader.imbalance.per.broker.percentage',
    'int',
    10,
    'high',
    'Leader imbalance that triggers a rebalance.',
  ),
  c(
    'leader.imbalance.check.interval.seconds',
    'long',
    300,
    'high',
    'How often leader imbalance is checked.',
    {
      validator: atLeast(1),
    },
  ),
  c(
    'unclean.leader.election.enable',
    'boolean',
    false,
    'high',
    'Allow out-of-sync replicas to become leader.',
    {
      dynamic: CW,
    },
  ),
  c('security.inter.broker.protocol', 'string', 'PLAINTEXT', 'medium', 'Security protocol between brokers.', {
    validator: ValidString.in(...SECURITY_PROTOCOLS),
  }),
  c(
    'inter.broker.protocol.version',
    'string',
    LATEST_PRODUCTION_VERSION,
    'medium',
    'Inter-broker protocol version in use.',
    { validator: metadataVersionValidator },
  ),
  c('inter.broker.listener.name', 'string', null, 'medium', 'Listener used between brokers.'),
  c('replica.selector.class', 'string', null, 'medium', 'Chooses the preferred read replica.'),
]

const group: ConfigDef[] = [
  c(
    'group.min.session.timeout.ms',
    'int',
    6000,
    'medium',
    'Smallest session timeout a consumer may ask for.',
  ),
  c(
    'group.max.session.timeout.ms',
    'int',
    1800000,
    'medium',
    'Largest session timeout a consumer may ask for.',
  ),
  c(
    'group.initial.rebalance.delay.ms',
    'int',
    3000,
    'medium',
    'Wait for more members before a new group’s first rebalance.',
  ),
  c('group.max.size', 'int', INT_MAX, 'medium', 'Most members in one consumer group.', {
    validator: atLeast(1),
  }),
  c(
    'group.coordinator.rebalance.protocols',
    'list',
    ['classic'],
    'medium',
    'Enabled group rebalance protocols.',
    {
      validator: ValidList.in('consumer', 'classic', 'share'),
    },
  ),
  c(
    'group.consumer.session.timeout.ms',
    'int',
    45000,
    'medium',
    'Consumer group (KIP-848) session timeout.',
    {
      validator: atLeast(1),
    },
  ),
  c(
    'group.consumer.min.session.timeout.ms',
    'int',
    45000,
    'medium',
    'Smallest consumer group session timeout.',
    {
      validator: atLeast(1),
    },
  ),
  c(
    'group.consumer.max.session.timeout.ms',
    'int',
    60000,
    'medium',
    'Largest consumer group session timeout.',
    {
      validator: atLeast(1),
    },
  ),
  c(
    'group.consumer.heartbeat.interval.ms',
    'int',
    5000,
    'medium',
    'Consumer group (KIP-848) heartbeat interval.',
    {
      validator: atLeast(1),
    },
  ),
  c(
    'group.consumer.min.heartbeat.interval.ms',
    'int',
    5000,
    'medium',
    'Smallest consumer group heartbeat interval.',
    {
      validator: atLeast(1),
    },
  ),
  c(
    'group.consumer.max.heartbeat.interval.ms',
    'int',
    15000,
    'medium',
    'Largest consumer group heartbeat interval.',
    {
      validator: atLeast(1),
    },
  ),
  c('group.consumer.max.size', 'int', INT_MAX, 'medium', 'Most members in one consumer group (KIP-848).', {
    validator: atLeast(1),
  }),
  c(
    'group.consumer.assignors',
    'list',
    ['uniform', 'range'],
    'medium',
    'Server-side assignors of consumer groups (uniform, range); the first is the default.',
  ),
  c(
    'group.consumer.migration.policy',
    'string',
    'bidirectional',
    'medium',
    'Online conversion of non-empty groups between the classic and the consumer protocol (KIP-848): ' +
      'disabled, upgrade, downgrade or bidirectional.',
    { validator: CaseInsensitiveValidString.in('disabled', 'upgrade', 'downgrade', 'bidirectional') },
  ),
  c('offset.metadata.max.bytes', 'int', 4096, 'high', 'Largest metadata string of a committed offset.'),
  c('offsets.load.buffer.size', 'int', 5242880, 'high', 'Batch size when loading offsets into the cache.', {
    validator: atLeast(1),
  }),
  c('offsets.topic.replication.factor', 'short', 3, 'high', 'Replication factor of __consumer_offsets.', {
    validator: atLeast(1),
  }),
  c('offsets.topic.num.partitions', 'int', 50, 'high', 'Partitions of __consumer_offsets.', {
    validator: atLeast(1),
  }),
  c('offsets.topic.segment.bytes', 'int', 104857600, 'high', 'Segment size of __consumer_offsets.', {
    validator: atLeast(1),
  }),
  c('offsets.topic.compression.codec', 'int', 0, 'high', 'Compression codec id for __consumer_offsets.'),
  c('offsets.retention.minutes', 'int', 10080, 'high', 'How long offsets of an empty group are kept.', {
    validator: atLeast(1),
  }),
  c('offsets.retention.check.interval.ms', 'long', 600000, 'high', 'How often stale offsets are checked.', {
    validator: atLeast(1),
  }),
  c('offsets.commit.timeout.ms', 'int', 5000, 'high', 'Longest wait for an offset commit to replicate.', {
    validator: atLeast(1),
  }),
  c('offsets.commit.required.acks', 'short', -1, 'high', 'Acks needed before an offset commit is accepted.', {
    deprecated: 'Deprecated in Kafka 3.9 and removed in 4.0.',
  }),
]

const transaction: ConfigDef[] = [
  c(
    'transactional.id.expiration.ms',
    'int',
    604800000,
    'high',
    'Idle time after which a transactional id expires.',
    {
      validator: atLeast(1),
    },
  ),
  c(
    'transaction.max.timeout.ms',
    'int',
    900000,
    'high',
    'Largest transaction timeout a producer may ask for.',
    {
      validator: atLeast(1),
    },
  ),
  c('transaction.state.log.min.isr', 'int', 2, 'high', 'min.insync.replicas of __transaction_state.', {
    validator: atLeast(1),
  }),
  c(
    'transaction.state.log.load.buffer.size',
    'int',
    5242880,
    'high',
    'Batch size when loading transaction state.',
    {
      validator: atLeast(1),
    },
  ),
  c(
    'transaction.state.log.replication.factor',
    'short',
    3,
    'high',
    'Replication factor of __transaction_state.',
    {
      validator: atLeast(1),
    },
  ),
  c('transaction.state.log.num.partitions', 'int', 50, 'high', 'Partitions of __transaction_state.', {
    validator: atLeast(1),
  }),
  c('transaction.state.log.segment.bytes', 'int', 104857600, 'high', 'Segment size of __transaction_state.', {
    validator: atLeast(1),
  }),
  c(
    'transaction.abort.timed.out.transaction.cleanup.interval.ms',
    'int',
    10000,
    'low',
    'How often timed-out transactions are rolled back.',
    { validator: atLeast(1) },
  ),
  c(
    'transaction.remove.expired.transaction.cleanup.interval.ms',
    'int',
    3600000,
    'low',
    'How often expired transactional ids are removed.',
    { validator: atLeast(1) },
  ),
  c(
    'transaction.partition.verification.enable',
    'boolean',
    true,
    'low',
    'Verify a partition is in the transaction before a transactional write.',
    { dynamic: CW },
  ),
  c(
    'producer.id.expiration.ms',
    'int',
    86400000,
    'low',
    'Idle time after which a producer id’s state expires.',
    {
      validator: atLeast(1),
      dynamic: CW,
    },
  ),
  c(
    'producer.id.expiration.check.interval.ms',
    'int',
    600000,
    'low',
    'How often expired producer ids are removed.',
    {
      validator: atLeast(1),
      internal: true,
    },
  ),
]

const metrics: ConfigDef[] = [
  c('metric.reporters', 'list', [], 'low', 'Metrics reporter classes.', { dynamic: CW }),
  c('metrics.num.samples', 'int', 2, 'low', 'Samples kept to compute metrics.', { validator: atLeast(1) }),
  c('metrics.sample.window.ms', 'long', 30000, 'low', 'Window of one metrics sample.', {
    validator: atLeast(1),
  }),
  c('metrics.recording.level', 'string', 'INFO', 'low', 'Highest recording level of metrics.'),
  c('kafka.metrics.reporters', 'list', [], 'low', 'Yammer metrics reporter classes.'),
  c('kafka.metrics.polling.interval.secs', 'int', 10, 'low', 'Metrics polling interval of reporters.', {
    validator: atLeast(1),
  }),
  c('auto.include.jmx.reporter', 'boolean', true, 'low', 'Always include the JMX reporter.', {
    deprecated: 'Add org.apache.kafka.common.metrics.JmxReporter to metric.reporters instead.',
  }),
  c('quota.window.num', 'int', 11, 'low', 'Samples kept for client quotas.', { validator: atLeast(1) }),
  c('quota.window.size.seconds', 'int', 1, 'low', 'Window of one client quota sample.', {
    validator: atLeast(1),
  }),
  c('controller.quota.window.num', 'int', 11, 'low', 'Samples kept for controller mutation quotas.', {
    validator: atLeast(1),
  }),
  c(
    'controller.quota.window.size.seconds',
    'int',
    1,
    'low',
    'Window of one controller mutation quota sample.',
    {
      validator: atLeast(1),
    },
  ),
  c('replication.quota.window.num', 'int', 11, 'low', 'Samples kept for replication quotas.', {
    validator: atLeast(1),
  }),
  c('replication.quota.window.size.seconds', 'int', 1, 'low', 'Window of one replication quota sample.', {
    validator: atLeast(1),
  }),
]

const security: ConfigDef[] = [
  c(
    'principal.builder.class',
    'class',
    'org.apache.kafka.common.security.authenticator.DefaultKafkaPrincipalBuilder',
    'medium',
    'Builds the principal of a connection.',
    { dynamic: PB },
  ),
  c(
    'connections.max.reauth.ms',
    'long',
    0,
    'medium',
    'Session lifetime before SASL re-authentication; 0 = none.',
  ),
  c('sasl.server.max.receive.size', 'int', 524288, 'medium', 'Largest SASL authentication message accepted.'),
  c('ssl.protocol', 'string', 'TLSv1.3', 'medium', 'TLS protocol used to create the SSL context.', {
    dynamic: PB,
  }),
  c('ssl.provider', 'string', null, 'medium', 'Security provider for TLS.', { dynamic: PB }),
  c('ssl.enabled.protocols', 'list', ['TLSv1.2', 'TLSv1.3'], 'medium', 'TLS protocols enabled.', {
    dynamic: PB,
  }),
  c('ssl.keystore.type', 'string', 'JKS', 'medium', 'Keystore file format.', { dynamic: PB }),
  c('ssl.keystore.location', 'string', null, 'medium', 'Keystore file.', { dynamic: PB }),
  c('ssl.keystore.password', 'password', null, 'medium', 'Keystore password.', { dynamic: PB }),
  c('ssl.key.password', 'password', null, 'medium', 'Private key password.', { dynamic: PB }),
  c('ssl.keystore.key', 'password', null, 'medium', 'PEM private key.', { dynamic: PB }),
  c('ssl.keystore.certificate.chain', 'password', null, 'medium', 'PEM certificate chain.', { dynamic: PB }),
  c('ssl.truststore.type', 'string', 'JKS', 'medium', 'Truststore file format.', { dynamic: PB }),
  c('ssl.truststore.location', 'string', null, 'medium', 'Truststore file.', { dynamic: PB }),
  c('ssl.truststore.password', 'password', null, 'medium', 'Truststore password.', { dynamic: PB }),
  c('ssl.truststore.certificates', 'password', null, 'medium', 'PEM trusted certificates.', { dynamic: PB }),
  c('ssl.keymanager.algorithm', 'string', 'SunX509', 'medium', 'Key manager algorithm.', { dynamic: PB }),
  c('ssl.trustmanager.algorithm', 'string', 'PKIX', 'medium', 'Trust manager algorithm.', { dynamic: PB }),
  c('ssl.endpoint.identification.algorithm', 'string', 'https', 'low', 'Hostname verification of peers.', {
    dynamic: PB,
  }),
  c('ssl.secure.random.implementation', 'string', null, 'low', 'SecureRandom implementation for TLS.', {
    dynamic: PB,
  }),
  c(
    'ssl.client.auth',
    'string',
    'none',
    'medium',
    'Client certificate requirement: required, requested or none.',
    {
      validator: ValidString.in('required', 'requested', 'none'),
      dynamic: PB,
    },
  ),
  c('ssl.cipher.suites', 'list', [], 'medium', 'Enabled cipher suites; empty = all.', { dynamic: PB }),
  c(
    'ssl.principal.mapping.rules',
    'string',
    'DEFAULT',
    'low',
    'Rules mapping certificate names to principals.',
  ),
  c('ssl.engine.factory.class', 'class', null, 'low', 'Custom SSLEngine factory.', { dynamic: PB }),
  c('sasl.mechanism.inter.broker.protocol', 'string', 'GSSAPI', 'medium', 'SASL mechanism between brokers.', {
    dynamic: PB,
  }),
  c('sasl.jaas.config', 'password', null, 'medium', 'JAAS login context for SASL.', { dynamic: PB }),
  c('sasl.enabled.mechanisms', 'list', ['GSSAPI'], 'medium', 'SASL mechanisms enabled on the broker.', {
    dynamic: PB,
  }),
  c('sasl.kerberos.service.name', 'string', null, 'medium', 'Kerberos principal name of the broker.', {
    dynamic: PB,
  }),
  c(
    'sasl.kerberos.principal.to.local.rules',
    'list',
    ['DEFAULT'],
    'medium',
    'Kerberos principal mapping rules.',
    {
      dynamic: PB,
    },
  ),
  c('sasl.server.callback.handler.class', 'class', null, 'medium', 'SASL server callback handler.'),
  c('delegation.token.secret.key', 'password', null, 'medium', 'Secret for delegation tokens.'),
  c(
    'password.encoder.secret',
    'password',
    null,
    'medium',
    'Secret encoding dynamically configured passwords.',
  ),
  c('password.encoder.old.secret', 'password', null, 'medium', 'Previous password encoder secret.'),
]

const dynamicOnly: ConfigDef[] = [
  c(
    'leader.replication.throttled.rate',
    'long',
    LONG_MAX,
    'medium',
    'Leader-side replication throttle, bytes/s.',
    {
      validator: atLeast(0),
      dynamic: CW,
      dynamicOnly: true,
    },
  ),
  c(
    'follower.replication.throttled.rate',
    'long',
    LONG_MAX,
    'medium',
    'Follower-side replication throttle, bytes/s.',
    {
      validator: atLeast(0),
      dynamic: CW,
      dynamicOnly: true,
    },
  ),
  c(
    'replica.alter.log.dirs.io.max.bytes.per.second',
    'long',
    LONG_MAX,
    'medium',
    'Throttle of replica moves between log dirs, bytes/s.',
    { validator: atLeast(0), dynamic: CW, dynamicOnly: true },
  ),
]

/** Samsa's own settings (not Kafka's): the HTTP listener for metrics, health checks and the web console. */
const samsa: ConfigDef[] = [
  c(
    'http.listeners',
    'list',
    [],
    'medium',
    'HTTP listeners for /metrics, /healthz, /readyz and the web console (http://host:port); empty: none.',
  ),
]

/** Every broker config we know, in Kafka's definition order (then Samsa's own). */
export const BROKER_CONFIG_DEFS: readonly ConfigDef[] = [
  ...zk,
  ...general,
  ...socketServer,
  ...log,
  ...replication,
  ...group,
  ...transaction,
  ...metrics,
  ...security,
  ...dynamicOnly,
  ...samsa,
]

const BY_NAME = new Map(BROKER_CONFIG_DEFS.map((d) => [d.name, d]))

/** The definition of a broker config (including the dynamic-only ones), or undefined. */
export function brokerConfigDef(name: string): ConfigDef | undefined {
  return BY_NAME.get(name)
}

/** The definitions accepted in server.properties (everything but the dynamic-only configs). */
export const STATIC_BROKER_CONFIG_DEFS: readonly ConfigDef[] = BROKER_CONFIG_DEFS.filter(
  (d) => !d.dynamicOnly,
)

/** Configs Kafka classifies as dynamically updatable (per-broker or cluster-wide). */
export const DYNAMIC_BROKER_CONFIGS: ReadonlySet<string> = new Set(
  BROKER_CONFIG_DEFS.filter((d) => d.dynamic !== 'read-only').map((d) => d.name),
)
