/**
 * The classic group coordinator's configuration, with Kafka 3.9's names (in the doc comments) and defaults
 * (`GroupCoordinatorConfig.java`, `OffsetConfig`). The broker maps its properties onto this object.
 */
import type { ConsumerGroupMigrationPolicy } from '../../config/broker-config.js'

export interface GroupCoordinatorConfig {
  /** `broker.id`; used in log lines ("[GroupCoordinator 1]: ..."). */
  readonly brokerId: number
  /** `group.min.session.timeout.ms` (6000). */
  readonly groupMinSessionTimeoutMs: number
  /** `group.max.session.timeout.ms` (1800000). */
  readonly groupMaxSessionTimeoutMs: number
  /** `group.initial.rebalance.delay.ms` (3000). */
  readonly groupInitialRebalanceDelayMs: number
  /** `group.max.size` (Integer.MAX_VALUE). */
  readonly groupMaxSize: number
  /**
   * `offsets.topic.num.partitions` (50). Kafka uses the partition count of an existing `__consumer_offsets`
   * instead; pass that to `GroupCoordinator.startup()`.
   */
  readonly offsetsTopicNumPartitions: number
  /** `offset.metadata.max.bytes` (4096), compared with the metadata string's length in UTF-16 units, like Java. */
  readonly offsetMetadataMaxBytes: number
  /** `offsets.retention.minutes` (10080 = 7 days). */
  readonly offsetsRetentionMinutes: number
  /** `offsets.retention.check.interval.ms` (600000). */
  readonly offsetsRetentionCheckIntervalMs: number
  /** `group.coordinator.rebalance.protocols` contains `consumer`: ConsumerGroupHeartbeat is served (KIP-848). */
  readonly consumerGroupProtocolEnabled: boolean
  /** `group.consumer.session.timeout.ms` (45000). */
  readonly consumerGroupSessionTimeoutMs: number
  /** `group.consumer.min.session.timeout.ms` (45000). */
  readonly consumerGroupMinSessionTimeoutMs: number
  /** `group.consumer.max.session.timeout.ms` (60000). */
  readonly consumerGroupMaxSessionTimeoutMs: number
  /** `group.consumer.heartbeat.interval.ms` (5000). */
  readonly consumerGroupHeartbeatIntervalMs: number
  /** `group.consumer.min.heartbeat.interval.ms` (5000). */
  readonly consumerGroupMinHeartbeatIntervalMs: number
  /** `group.consumer.max.heartbeat.interval.ms` (15000). */
  readonly consumerGroupMaxHeartbeatIntervalMs: number
  /** `group.consumer.max.size` (Integer.MAX_VALUE). */
  readonly consumerGroupMaxSize: number
  /** `group.consumer.assignors` (uniform, range): server-side assignors; the first is the default. */
  readonly consumerGroupAssignors: readonly string[]
  /**
   * `group.consumer.migration.policy` (bidirectional): whether a classic group with members converts to a consumer
   * group when a consumer-protocol member joins (upgrade), and back when only classic members are left (downgrade).
   */
  readonly consumerGroupMigrationPolicy: ConsumerGroupMigrationPolicy
}

export type { ConsumerGroupMigrationPolicy }

export const isUpgradeEnabled = (p: ConsumerGroupMigrationPolicy): boolean =>
  p === 'upgrade' || p === 'bidirectional'
export const isDowngradeEnabled = (p: ConsumerGroupMigrationPolicy): boolean =>
  p === 'downgrade' || p === 'bidirectional'

export const DEFAULT_GROUP_COORDINATOR_CONFIG: Omit<GroupCoordinatorConfig, 'brokerId'> = {
  groupMinSessionTimeoutMs: 6000,
  groupMaxSessionTimeoutMs: 1_800_000,
  groupInitialRebalanceDelayMs: 3000,
  groupMaxSize: 2_147_483_647,
  offsetsTopicNumPartitions: 50,
  offsetMetadataMaxBytes: 4096,
  offsetsRetentionMinutes: 10_080,
  offsetsRetentionCheckIntervalMs: 600_000,
  consumerGroupProtocolEnabled: false,
  consumerGroupSessionTimeoutMs: 45_000,
  consumerGroupMinSessionTimeoutMs: 45_000,
  consumerGroupMaxSessionTimeoutMs: 60_000,
  consumerGroupHeartbeatIntervalMs: 5000,
  consumerGroupMinHeartbeatIntervalMs: 5000,
  consumerGroupMaxHeartbeatIntervalMs: 15_000,
  consumerGroupMaxSize: 2_147_483_647,
  consumerGroupAssignors: ['uniform', 'range'],
  consumerGroupMigrationPolicy: 'bidirectional',
}

export type GroupCoordinatorConfigInput = Partial<GroupCoordinatorConfig> & { readonly brokerId: number }

export function resolveGroupCoordinatorConfig(input: GroupCoordinatorConfigInput): GroupCoordinatorConfig {
  const c: GroupCoordinatorConfig = { ...DEFAULT_GROUP_COORDINATOR_CONFIG, ...input }
  if (!(c.offsetsTopicNumPartitions >= 1)) {
    throw new Error(`offsets.topic.num.partitions must be at least 1, got ${c.offsetsTopicNumPartitions}`)
  }
  // Kafka's GroupCoordinatorConfig checks of the consumer group protocol's bounds.
  const atLeast = (name: string, v: number, otherName: string, other: number): void => {
    if (!(v >= other)) throw new Error(`${name} must be greater than or equal to ${otherName}`)
  }
  const sess = 'group.consumer.session.timeout.ms'
  const hb = 'group.consumer.heartbeat.interval.ms'
  atLeast(
    'group.consumer.max.session.timeout.ms',
    c.consumerGroupMaxSessionTimeoutMs,
    'group.consumer.min.session.timeout.ms',
    c.consumerGroupMinSessionTimeoutMs,
  )
  atLeast(
    sess,
    c.consumerGroupSessionTimeoutMs,
    'group.consumer.min.session.timeout.ms',
    c.consumerGroupMinSessionTimeoutMs,
  )
  atLeast(
    'group.consumer.max.session.timeout.ms',
    c.consumerGroupMaxSessionTimeoutMs,
    sess,
    c.consumerGroupSessionTimeoutMs,
  )
  atLeast(
    'group.consumer.max.heartbeat.interval.ms',
    c.consumerGroupMaxHeartbeatIntervalMs,
    'group.consumer.min.heartbeat.interval.ms',
    c.consumerGroupMinHeartbeatIntervalMs,
  )
  atLeast(
    hb,
    c.consumerGroupHeartbeatIntervalMs,
    'group.consumer.min.heartbeat.interval.ms',
    c.consumerGroupMinHeartbeatIntervalMs,
  )
  atLeast(
    'group.consumer.max.heartbeat.interval.ms',
    c.consumerGroupMaxHeartbeatIntervalMs,
    hb,
    c.consumerGroupHeartbeatIntervalMs,
  )
  if (!(c.consumerGroupHeartbeatIntervalMs < c.consumerGroupSessionTimeoutMs)) {
    throw new Error(`${hb} must be less than ${sess}`)
  }
  if (!(c.consumerGroupMaxSize >= 1)) throw new Error('group.consumer.max.size must be at least 1')
  if (c.consumerGroupAssignors.length === 0) throw new Error('group.consumer.assignors must not be empty')
  return c
}

/** The internal topic the coordinator stores groups and offsets in. */
export const GROUP_METADATA_TOPIC_NAME = '__consumer_offsets'

/**
 * Java's `String.hashCode()`: `s[0]*31^(n-1) + ... + s[n-1]` over UTF-16 code units, in 32-bit arithmetic.
 */
export function javaStringHashCode(s: string): number {
  let h = 0
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0
  return h
}

/** Kafka's `Utils.abs`: like `Math.abs`, except that Integer.MIN_VALUE maps to 0. */
export function kafkaAbs(n: number): number {
  return n === -2_147_483_648 ? 0 : Math.abs(n)
}

/** The `__consumer_offsets` partition of a group: `Utils.abs(groupId.hashCode) % partitionCount`. */
export function partitionFor(groupId: string, partitionCount: number): number {
  return kafkaAbs(javaStringHashCode(groupId)) % partitionCount
}
