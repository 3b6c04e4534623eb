/** The group coordinator and its GroupMetadataManager: what the broker wires up. */
export { GroupCoordinator, maybeConvertOffsetCommitError, NEW_MEMBER_JOIN_TIMEOUT_MS } from './coordinator.js'
export { GroupMetadataManager } from './metadata-manager.js'
export type { GroupCoordinatorOptions, TxnOffsetCommitParams } from './coordinator.js'
export {
  DEFAULT_GROUP_COORDINATOR_CONFIG,
  GROUP_METADATA_TOPIC_NAME,
  javaStringHashCode,
  kafkaAbs,
  partitionFor,
  resolveGroupCoordinatorConfig,
} from './config.js'
export type { GroupCoordinatorConfig, GroupCoordinatorConfigInput } from './config.js'
export type {
  GroupLogAppendOptions,
  GroupLogAppendRecord,
  GroupLogAppendResult,
  GroupLogRecord,
  GroupLogStore,
} from './log-store.js'
export { InMemoryGroupLogStore } from './memory-log-store.js'
export { InMemoryConsumerOffsets, MetadataStoreConsumerOffsets } from './zk-offsets.js'
export type { ZkConsumerOffsetStore } from './zk-offsets.js'
export type * from './types.js'
