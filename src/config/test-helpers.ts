/**
 * The order in which Kafka (3.9, ZooKeeper mode) returns a topic's configs in DescribeConfigs — the order
 * `kafka-configs --describe --all` prints: its ConfigHelper lists the entries of a Scala HashMap, so it starts with
 * compression.type and ends with segment.index.bytes. Shared by the unit test of describeTopicConfig and the
 * compat test that reads them through real clients.
 */
export const KAFKA_TOPIC_CONFIG_ORDER = [
  'compression.type',
  'remote.log.delete.on.disable',
  'leader.replication.throttled.replicas',
  'remote.storage.enable',
  'message.downconversion.enable',
  'min.insync.replicas',
  'segment.jitter.ms',
  'remote.log.copy.disable',
  'local.retention.ms',
  'cleanup.policy',
  'flush.ms',
  'follower.replication.throttled.replicas',
  'compression.lz4.level',
  'segment.bytes',
  'retention.ms',
  'compression.gzip.level',
  'flush.messages',
  'compression.zstd.level',
  'message.format.version',
  'max.compaction.lag.ms',
  'file.delete.delay.ms',
  'max.message.bytes',
  'min.compaction.lag.ms',
  'message.timestamp.type',
  'local.retention.bytes',
  'preallocate',
  'min.cleanable.dirty.ratio',
  'index.interval.bytes',
  'unclean.leader.election.enable',
  'retention.bytes',
  'delete.retention.ms',
  'message.timestamp.after.max.ms',
  'message.timestamp.before.max.ms',
  'segment.ms',
  'message.timestamp.difference.max.ms',
  'segment.index.bytes',
]
