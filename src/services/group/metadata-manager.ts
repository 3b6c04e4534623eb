/**
 * Kafka's `GroupMetadataManager`: the groups' cache and their durability in `__consumer_offsets`, apart from the
 * rebalance logic (`GroupCoordinator`, coordinator.ts), as Kafka 3.9 splits them.
 *
 * It owns:
 * - the cache of groups and which `__consumer_offsets` partitions this broker has loaded (owned) or is loading;
 * - loading a partition on election (reading the log to its end: group metadata, committed offsets and pending
 *   transactional offsets) and dropping its groups on resignation, one task at a time, in order, as on Kafka's
 *   single-threaded group-metadata-manager scheduler;
 * - writing group metadata (GroupMetadataValue), offset commits (OffsetCommitValue, also transactional ones) and
 *   tombstones, and mapping append errors onto group errors as Kafka does;
 * - the producers' open transactional offset commits and their completion by transaction markers;
 * - offset expiration (`offsets.retention.minutes`, every `offsets.retention.check.interval.ms`).
 *
 * The coordinator tells it which groups to store and is told, through the hooks given to
 * `scheduleLoadGroupAndOffsets` / `removeGroupsForPartition`, which groups were loaded or unloaded, so that it
 * can start or stop their timers.
 */
import {
  decodeConsumerGroupRecord,
  type ConsumerGroupRecord,
} from '../../protocol/messages/data/consumer-group-records.js'
import {
  decodeGroupMetadataValue,
  decodeGroupRecordKey,
  decodeOffsetCommitValue,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
} from '../../protocol/messages/data/group-metadata.js'
import { ControlRecordType, decodeControlRecordKey } from '../../protocol/messages/data/control-records.js'
import { ErrorCode, errorName, toErrorCode } from '../../protocol/errors.js'
import type { Clock, ScheduledTask, Scheduler } from '../../util/scheduler.js'
import type { Logger } from '../../util/logger.js'
import { GROUP_METADATA_TOPIC_NAME, partitionFor, type GroupCoordinatorConfig } from './config.js'
import { GroupMetadata, MemberMetadata, tpKey, type CommitRecord } from './group.js'
import { AppendErrors, coordinatorAppendError } from '../coordinator/append-errors.js'
import type { VerificationGuard } from '../log/producer-state.js'
import type { GroupLogAppendRecord, GroupLogStore } from './log-store.js'
import type {
  OffsetAndMetadata,
  OffsetCommitPartitionResult,
  OffsetFetchPartitionResult,
  TopicPartition,
} from './types.js'

/** An offset of a commit request, ready to be stored. */
export interface PendingOffset extends TopicPartition {
  readonly offsetAndMetadata: OffsetAndMetadata
}

/** The producer of a transactional offset commit (TxnOffsetCommit). */
export interface TxnOffsetCommitProducer {
  readonly producerId: number
  readonly producerEpoch: number
  readonly verificationGuard?: VerificationGuard
}

/** The KIP-848 consumer group records (types 3-8) read while loading a partition, in log order. */
export type ConsumerGroupRecordsLoaded = (partition: number, records: readonly ConsumerGroupRecord[]) => void

export interface GroupMetadataManagerOptions {
  readonly config: GroupCoordinatorConfig
  readonly logStore: GroupLogStore
  readonly scheduler: Scheduler
  readonly logger: Logger
}

export function describeError(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e)
}

export class GroupMetadataManager {
  private readonly config: GroupCoordinatorConfig
  private readonly logStore: GroupLogStore
  private readonly scheduler: Scheduler
  private readonly clock: Clock
  private readonly logger: Logger

  private shuttingDown = false
  private partitionCount: number
  private readonly groups = new Map<string, GroupMetadata>()
  private readonly loadingPartitions = new Set<number>()
  private readonly ownedPartitions = new Set<number>()
  private readonly epochForPartition = new Map<number, number>()
  private readonly openGroupsForProducer = new Map<number, Set<string>>()
  private taskQueue: Promise<void> = Promise.resolve()
  private expirationTimer: ScheduledTask | null = null
  /** Called when a dead group leaves the cache (deleted, or expired), so that its timers are cancelled. */
  private onGroupRemoved: (group: GroupMetadata) => void = () => {}

  constructor(options: GroupMetadataManagerOptions) {
    this.config = options.config
    this.logStore = options.logStore
    this.scheduler = options.scheduler
    this.clock = options.scheduler.clock
    this.logger = options.logger
    this.partitionCount = this.config.offsetsTopicNumPartitions
  }

  // ---------------------------------------------------------------- lifecycle

  startup(
    offsetsTopicPartitionCount: number | undefined,
    enableMetadataExpiration: boolean,
    onGroupRemoved: (group: GroupMetadata) => void,
  ): void {
    if (offsetsTopicPartitionCount !== undefined) {
      if (!(offsetsTopicPartitionCount >= 1))
        throw new Error(`invalid partition count ${offsetsTopicPartitionCount}`)
      this.partitionCount = offsetsTopicPartitionCount
    }
    this.onGroupRemoved = onGroupRemoved
    this.shuttingDown = false
    if (enableMetadataExpiration) this.scheduleExpiration(0)
  }

  /** Cancels the expiration task and waits for a running load/unload task to end. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true
    this.expirationTimer?.cancel()
    this.expirationTimer = null
    await this.taskQueue
  }

  // ---------------------------------------------------------------- the cache and ownership

  get offsetsTopicPartitionCount(): number {
    return this.partitionCount
  }

  /** `abs(groupId.hashCode) % partitionCount`, exactly as Kafka. */
  partitionFor(groupId: string): number {
    return partitionFor(groupId, this.partitionCount)
  }

  isPartitionOwned(partition: number): boolean {
    return this.ownedPartitions.has(partition)
  }

  isPartitionLoading(partition: number): boolean {
    return this.loadingPartitions.has(partition)
  }

  get isLoadingAnyPartition(): boolean {
    return this.loadingPartitions.size > 0
  }

  isGroupLocal(groupId: string): boolean {
    return this.ownedPartitions.has(this.partitionFor(groupId))
  }

  isGroupLoading(groupId: string): boolean {
    return this.loadingPartitions.has(this.partitionFor(groupId))
  }

  getGroup(groupId: string): GroupMetadata | undefined {
    return this.groups.get(groupId)
  }

  /** Every cached group (of the partitions this broker has loaded). */
  currentGroups(): GroupMetadata[] {
    return [...this.groups.values()]
  }

  /** Adds the group unless one with its id is cached already; returns the cached one. */
  addGroup(group: GroupMetadata): GroupMetadata {
    const current = this.groups.get(group.groupId)
    if (current !== undefined) return current
    this.groups.set(group.groupId, group)
    return group
  }

  /** The group is owned here and does not exist (or is Dead). */
  groupNotExists(groupId: string): boolean {
    if (!this.isGroupLocal(groupId)) return false
    const group = this.groups.get(groupId)
    return group === undefined || group.is('Dead')
  }

  // ---------------------------------------------------------------- group metadata

  /** The group's metadata record (GroupMetadataValue) with the given assignment. */
  groupMetadataRecord(group: GroupMetadata, assignment: ReadonlyMap<string, Buffer>): GroupLogAppendRecord {
    const protocol = group.protocolName
    const members = group.allMemberMetadata.map((m) => {
      if (protocol === null) {
        throw new Error('Attempted to write non-empty group metadata with no defined protocol.')
      }
      const a = assignment.get(m.memberId)
      if (a === undefined) {
        throw new Error(
          `Attempted to write member ${m.memberId} of group ${group.groupId} with no assignment.`,
        )
      }
      return {
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeout: m.rebalanceTimeoutMs,
        sessionTimeout: m.sessionTimeoutMs,
        subscription: m.metadata(protocol),
        assignment: a,
      }
    })
    const value = encodeGroupMetadataValue({
      protocolType: group.protocolType ?? '',
      generation: group.generationId,
      protocol,
      leader: group.leaderOrNull,
      currentStateTimestamp: group.currentStateTimestampOrDefault,
      members,
    })
    return { key: encodeGroupMetadataKey({ group: group.groupId }), value, timestamp: this.clock.now() }
  }

  /** Drops a cached group (an online downgrade whose write failed created it). */
  removeGroup(group: GroupMetadata): void {
    if (this.groups.get(group.groupId) === group) this.groups.delete(group.groupId)
  }

  /**
   * Appends the group's metadata (GroupMetadataValue) with the given assignment; `callback` gets the error
   * mapped as Kafka maps produce errors for group metadata.
   */
  storeGroup(
    group: GroupMetadata,
    assignment: ReadonlyMap<string, Buffer>,
    callback: (error: number) => void,
  ): void {
    const record = this.groupMetadataRecord(group, assignment)
    const generationId = group.generationId
    this.logStore
      .append(this.partitionFor(group.groupId), [record])
      .then(
        () => ErrorCode.NONE,
        (e: unknown) => {
          const code = toErrorCode(e)
          this.debug(
            `Metadata from group ${group.groupId} with generation ${generationId} failed when appending to log due to ${errorName(code)}`,
          )
          const answer = coordinatorAppendError(code, AppendErrors.classicGroup)
          if (answer === ErrorCode.UNKNOWN_SERVER_ERROR && code !== answer) {
            this.error(
              `Appending metadata message for group ${group.groupId} generation ${generationId} failed due to ` +
                `${errorName(code)}, returning UNKNOWN error code to the client`,
            )
          } else if (answer === code) {
            this.error(
              `Appending metadata message for group ${group.groupId} generation ${generationId} failed due to ` +
                `unexpected error: ${errorName(code)}`,
            )
          }
          return answer
        },
      )
      .then(callback)
      .catch((e: unknown) =>
        this.error(`Error completing the metadata write of group ${group.groupId}: ${describeError(e)}`),
      )
  }

  // ---------------------------------------------------------------- offsets

  private validateOffsetMetadataLength(metadata: string): boolean {
    return metadata.length <= this.config.offsetMetadataMaxBytes
  }

  /**
   * Appends the offsets (one batch; transactional for a TxnOffsetCommit) and updates the group's cache once they
   * are in the log. Offsets with metadata over `offset.metadata.max.bytes` get OFFSET_METADATA_TOO_LARGE.
   */
  storeOffsets(
    group: GroupMetadata,
    consumerId: string,
    offsets: readonly PendingOffset[],
    txn: TxnOffsetCommitProducer | null,
  ): Promise<OffsetCommitPartitionResult[]> {
    if (!group.hasReceivedConsistentOffsetCommits) {
      this.warn(
        `group: ${group.groupId} with leader: ${group.leaderOrNull} has received offset commits from consumers as ` +
          `well as transactional producers. Mixing both types of offset commits will generally result in surprises ` +
          `and should be avoided.`,
      )
    }
    const filtered = offsets.filter((o) => this.validateOffsetMetadataLength(o.offsetAndMetadata.metadata))
    const results = (error: number): OffsetCommitPartitionResult[] =>
      offsets.map((o) => ({
        topic: o.topic,
        partition: o.partition,
        error: this.validateOffsetMetadataLength(o.offsetAndMetadata.metadata)
          ? error
          : ErrorCode.OFFSET_METADATA_TOO_LARGE,
      }))
    if (filtered.length === 0) return Promise.resolve(results(ErrorCode.OFFSET_METADATA_TOO_LARGE))

    const partition = this.partitionFor(group.groupId)
    const timestamp = this.clock.now()
    const records: GroupLogAppendRecord[] = filtered.map((o) => ({
      key: encodeOffsetCommitKey({ group: group.groupId, topic: o.topic, partition: o.partition }),
      value: encodeOffsetCommitValue({
        offset: o.offsetAndMetadata.offset,
        leaderEpoch: o.offsetAndMetadata.leaderEpoch,
        metadata: o.offsetAndMetadata.metadata,
        commitTimestamp: o.offsetAndMetadata.commitTimestamp,
        expireTimestamp: o.offsetAndMetadata.expireTimestamp ?? -1,
      }),
      timestamp,
    }))
    if (txn !== null) {
      this.addProducerGroup(txn.producerId, group.groupId)
      group.prepareTxnOffsetCommit(txn.producerId, filtered)
    } else {
      group.prepareOffsetCommit(filtered)
    }
    const options =
      txn === null
        ? {}
        : {
            producerId: txn.producerId,
            producerEpoch: txn.producerEpoch,
            transactional: true,
            verificationGuard: txn.verificationGuard,
          }
    return this.logStore.append(partition, records, options).then(
      ({ baseOffset }) => {
        if (!group.is('Dead')) {
          for (const o of filtered) {
            const commit: CommitRecord = {
              topic: o.topic,
              partition: o.partition,
              appendedBatchOffset: baseOffset,
              offsetAndMetadata: o.offsetAndMetadata,
            }
            if (txn !== null) group.onTxnOffsetCommitAppend(txn.producerId, commit)
            else group.onOffsetCommitAppend(commit)
          }
        }
        return results(ErrorCode.NONE)
      },
      (e: unknown) => {
        const appendError = toErrorCode(e)
        if (!group.is('Dead')) {
          if (txn !== null && !group.hasPendingOffsetCommitsFromProducer(txn.producerId)) {
            this.removeProducerGroup(txn.producerId, group.groupId)
          }
          for (const o of filtered) {
            if (txn !== null) group.failPendingTxnOffsetCommit(txn.producerId, o)
            else group.failPendingOffsetWrite(o, o.offsetAndMetadata)
          }
        }
        this.debug(
          `Offset commit of ${filtered.length} partitions from group ${group.groupId}, consumer ${consumerId} with ` +
            `generation ${group.generationId} failed when appending to log due to ${errorName(appendError)}`,
        )
        return results(maybeConvertOffsetCommitError(appendError))
      },
    )
  }

  /**
   * The committed offsets of a group, whatever its state. `partitions` null means every partition the group has
   * an offset for. A partition without an offset gets -1 and no error; with `requireStable`, a partition with a
   * commit in flight (or a transactional one not yet completed) gets UNSTABLE_OFFSET_COMMIT.
   */
  getOffsets(
    groupId: string,
    requireStable: boolean,
    partitions: readonly TopicPartition[] | null,
  ): OffsetFetchPartitionResult[] {
    const none = (tp: TopicPartition, err: number = ErrorCode.NONE): OffsetFetchPartitionResult => ({
      topic: tp.topic,
      partition: tp.partition,
      offset: -1,
      leaderEpoch: -1,
      metadata: '',
      error: err,
    })
    const group = this.groups.get(groupId)
    if (group === undefined || group.is('Dead')) return (partitions ?? []).map((tp) => none(tp))
    const tps: readonly TopicPartition[] = partitions ?? group.allOffsets
    const seen = new Set<string>()
    const out: OffsetFetchPartitionResult[] = []
    for (const tp of tps) {
      const key = tpKey(tp.topic, tp.partition)
      if (seen.has(key)) continue
      seen.add(key)
      if (requireStable && group.hasPendingOffsetCommitsForTopicPartition(tp)) {
        out.push(none(tp, ErrorCode.UNSTABLE_OFFSET_COMMIT))
        continue
      }
      const o = group.offset(tp)
      out.push(
        o === undefined
          ? none(tp)
          : {
              topic: tp.topic,
              partition: tp.partition,
              offset: o.offset,
              leaderEpoch: o.leaderEpoch,
              metadata: o.metadata,
              error: ErrorCode.NONE,
            },
      )
    }
    return out
  }

  // ---------------------------------------------------------------- transactional offsets

  /** A producer's transaction marker was written to the given `__consumer_offsets` partitions. */
  handleTxnCompletion(producerId: number, offsetsPartitions: readonly number[], isCommit: boolean): void {
    const partitions = new Set(offsetsPartitions)
    const groups = [...(this.openGroupsForProducer.get(producerId) ?? [])].filter((g) =>
      partitions.has(this.partitionFor(g)),
    )
    for (const groupId of groups) {
      const group = this.groups.get(groupId)
      if (group === undefined) {
        this.info(
          `Group ${groupId} has moved away from ${this.config.brokerId} after transaction marker was written but ` +
            `before the cache was updated. The cache on the new group owner will be updated instead.`,
        )
        continue
      }
      if (!group.is('Dead')) {
        group.completePendingTxnOffsetCommit(producerId, isCommit)
        this.removeProducerGroup(producerId, groupId)
      }
    }
  }

  private addProducerGroup(producerId: number, groupId: string): void {
    let s = this.openGroupsForProducer.get(producerId)
    if (!s) this.openGroupsForProducer.set(producerId, (s = new Set()))
    s.add(groupId)
  }

  private removeProducerGroup(producerId: number, groupId: string): void {
    const s = this.openGroupsForProducer.get(producerId)
    if (!s) return
    s.delete(groupId)
    if (s.size === 0) this.openGroupsForProducer.delete(producerId)
  }

  private removeGroupFromAllProducers(groupId: string): void {
    for (const s of this.openGroupsForProducer.values()) s.delete(groupId)
  }

  // ---------------------------------------------------------------- deletion and expiration

  /**
   * Removes offsets chosen by `selector` from each group; an Empty group left without offsets becomes Dead
   * and leaves the cache. Tombstones go to the log for the removed offsets and (when the group was ever
   * rebalanced, generation > 0) for the group metadata. A lost tombstone is written again by a later run.
   * Returns the number of offsets removed.
   */
  async cleanupGroupMetadata(
    groups: readonly GroupMetadata[],
    selector: (g: GroupMetadata) => Map<string, CommitRecord>,
  ): Promise<number> {
    const writes: {
      groupId: string
      partition: number
      count: number
      tombstones: GroupLogAppendRecord[]
    }[] = []
    for (const group of groups) {
      const groupId = group.groupId
      const removed = selector(group)
      if (group.is('Empty') && !group.hasOffsets) {
        this.info(`Group ${groupId} transitioned to Dead in generation ${group.generationId}`)
        group.transitionTo('Dead')
      }
      const isDead = group.is('Dead')
      const generation = group.generationId
      const partition = this.partitionFor(groupId)
      if (!this.ownedPartitions.has(partition)) {
        this.info(
          `BrokerId ${this.config.brokerId} is no longer a coordinator for the group ${groupId}. Proceeding cleanup ` +
            `for other alive groups`,
        )
        continue
      }
      const timestamp = this.clock.now()
      const tombstones: GroupLogAppendRecord[] = []
      for (const c of removed.values()) {
        tombstones.push({
          key: encodeOffsetCommitKey({ group: groupId, topic: c.topic, partition: c.partition }),
          value: null,
          timestamp,
        })
      }
      let removedFromCache = false
      if (isDead && this.groups.get(groupId) === group) {
        this.groups.delete(groupId)
        this.onGroupRemoved(group)
        removedFromCache = true
      }
      // No group tombstone for generation 0: such a group only stored offsets.
      if (removedFromCache && generation > 0) {
        tombstones.push({ key: encodeGroupMetadataKey({ group: groupId }), value: null, timestamp })
      }
      if (tombstones.length > 0) writes.push({ groupId, partition, count: removed.size, tombstones })
    }
    let offsetsRemoved = 0
    for (const w of writes) {
      try {
        await this.logStore.append(w.partition, w.tombstones, { requiredAcks: 1 })
        offsetsRemoved += w.count
      } catch (e) {
        this.error(
          `Failed to append ${w.tombstones.length} tombstones to ${GROUP_METADATA_TOPIC_NAME}-${w.partition} for ` +
            `expired/deleted offsets and/or metadata for group ${w.groupId}. ${describeError(e)}`,
        )
      }
    }
    return offsetsRemoved
  }

  /** Kafka's delete-expired-group-metadata task, every offsets.retention.check.interval.ms. */
  private scheduleExpiration(delayMs: number): void {
    this.expirationTimer = this.scheduler.schedule(
      'delete-expired-group-metadata',
      () => {
        if (this.shuttingDown) return
        void this.enqueue(() => this.cleanupExpiredOffsets())
      },
      delayMs,
      this.config.offsetsRetentionCheckIntervalMs,
    )
  }

  /** The periodic task (`offsets.retention.check.interval.ms`): expire offsets, drop dead groups. */
  async cleanupExpiredOffsets(): Promise<number> {
    const start = this.clock.now()
    const retentionMs = this.config.offsetsRetentionMinutes * 60_000
    const removed = await this.cleanupGroupMetadata([...this.groups.values()], (g) =>
      g.removeExpiredOffsets(start, retentionMs),
    )
    if (removed > 0)
      this.info(`Removed ${removed} expired offsets in ${this.clock.now() - start} milliseconds.`)
    return removed
  }

  // ---------------------------------------------------------------- loading and unloading

  /**
   * Marks the partition as loading (unless it is owned already, the epoch is old, or the broker stops) and
   * queues its load; `onGroupLoaded` is called for each group put in the cache. Resolves when the load task has
   * run.
   */
  scheduleLoadGroupAndOffsets(
    partition: number,
    leaderEpoch: number,
    onGroupLoaded: (group: GroupMetadata) => void,
    onConsumerGroupRecords: ConsumerGroupRecordsLoaded = () => {},
  ): Promise<void> {
    this.info(
      `Scheduling loading of offsets and group metadata from ${GROUP_METADATA_TOPIC_NAME}-${partition} for epoch ${leaderEpoch}`,
    )
    const startMs = this.clock.now()
    const current = this.epochForPartition.get(partition)
    const markedLoading =
      !this.ownedPartitions.has(partition) &&
      (current === undefined || leaderEpoch >= current) &&
      !this.shuttingDown
    if (markedLoading) this.loadingPartitions.add(partition)
    return this.enqueue(() =>
      this.loadGroupsAndOffsets(
        partition,
        leaderEpoch,
        startMs,
        markedLoading,
        onGroupLoaded,
        onConsumerGroupRecords,
      ),
    )
  }

  /** Queues the unload of the partition's groups; `onGroupUnloaded` is called for each group dropped. */
  removeGroupsForPartition(
    partition: number,
    leaderEpoch: number | undefined,
    onGroupUnloaded: (group: GroupMetadata) => void,
  ): Promise<void> {
    this.info(
      `Scheduling unloading of offsets and group metadata from ${GROUP_METADATA_TOPIC_NAME}-${partition}`,
    )
    return this.enqueue(async () => this.removeGroupsAndOffsets(partition, leaderEpoch, onGroupUnloaded))
  }

  private enqueue(task: () => Promise<unknown> | unknown): Promise<void> {
    const run = this.taskQueue.then(async () => {
      try {
        await task()
      } catch (e) {
        this.error(`Uncaught error in group metadata task: ${describeError(e)}`)
      }
    })
    this.taskQueue = run
    return run
  }

  /** Updates the partition's epoch when the given one is newer; true if `epoch` is absent or current. */
  private maybeUpdateCoordinatorEpoch(partition: number, epoch: number | undefined): boolean {
    const current = this.epochForPartition.get(partition)
    if (epoch !== undefined && (current === undefined || epoch > current))
      this.epochForPartition.set(partition, epoch)
    return epoch === undefined || epoch === this.epochForPartition.get(partition)
  }

  private async loadGroupsAndOffsets(
    partition: number,
    epoch: number,
    startMs: number,
    markedLoading: boolean,
    onGroupLoaded: (group: GroupMetadata) => void,
    onConsumerGroupRecords: ConsumerGroupRecordsLoaded = () => {},
  ): Promise<void> {
    const tp = `${GROUP_METADATA_TOPIC_NAME}-${partition}`
    if (this.shuttingDown) {
      if (markedLoading) this.loadingPartitions.delete(partition)
      return
    }
    if (!this.maybeUpdateCoordinatorEpoch(partition, epoch)) {
      if (markedLoading) this.loadingPartitions.delete(partition)
      this.info(
        `Not loading offsets and group metadata for ${tp} in epoch ${epoch} since current epoch is ` +
          `${this.epochForPartition.get(partition)}`,
      )
      return
    }
    if (this.ownedPartitions.has(partition)) {
      if (markedLoading) this.loadingPartitions.delete(partition)
      this.info(`Already loading offsets and group metadata from ${tp}`)
      return
    }
    this.loadingPartitions.add(partition)
    try {
      const schedulerTimeMs = this.clock.now() - startMs
      this.debug(`Started loading offsets and group metadata from ${tp} for epoch ${epoch}`)
      await this.doLoadGroupsAndOffsets(partition, onGroupLoaded, onConsumerGroupRecords)
      const total = this.clock.now() - startMs
      this.info(
        `Finished loading offsets and group metadata from ${tp} in ${total} milliseconds for epoch ${epoch}, of ` +
          `which ${schedulerTimeMs} milliseconds was spent in the scheduler.`,
      )
    } catch (e) {
      this.error(`Error loading offsets from ${tp}: ${describeError(e)}`)
    } finally {
      this.ownedPartitions.add(partition)
      this.loadingPartitions.delete(partition)
    }
  }

  private async doLoadGroupsAndOffsets(
    partition: number,
    onGroupLoaded: (group: GroupMetadata) => void,
    onConsumerGroupRecords: ConsumerGroupRecordsLoaded = () => {},
  ): Promise<void> {
    const tp = `${GROUP_METADATA_TOPIC_NAME}-${partition}`
    type Loaded = { readonly groupId: string; readonly commit: CommitRecord }
    const gtpKey = (g: string, t: string, p: number): string => `${g}\u0000${tpKey(t, p)}`
    const loadedOffsets = new Map<string, Loaded>()
    const pendingOffsets = new Map<number, Map<string, Loaded>>()
    const loadedGroups = new Map<string, GroupMetadata>()
    const removedGroups = new Set<string>()
    const consumerGroupRecords: ConsumerGroupRecord[] = []

    for await (const record of this.logStore.read(partition)) {
      if (this.shuttingDown) return
      const producerId = record.producerId ?? -1
      if (record.isControl === true) {
        if (record.key !== null) {
          const { type } = decodeControlRecordKey(record.key)
          if (type === ControlRecordType.COMMIT) {
            for (const [k, v] of pendingOffsets.get(producerId) ?? []) {
              const current = loadedOffsets.get(k)
              if (
                current === undefined ||
                (current.commit.appendedBatchOffset ?? -1) < (v.commit.appendedBatchOffset ?? -1)
              ) {
                loadedOffsets.set(k, v)
              }
            }
          }
          pendingOffsets.delete(producerId)
        }
        continue
      }
      if (record.key === null) throw new Error('Group metadata/offset entry key should not be null')
      const isTxn = record.isTransactional === true
      const key = decodeGroupRecordKey(record.key)
      switch (key.type) {
        case 'offsetCommit': {
          const { group, topic, partition: p } = key.key
          const k = gtpKey(group, topic, p)
          if (isTxn && !pendingOffsets.has(producerId)) pendingOffsets.set(producerId, new Map())
          const value = decodeOffsetCommitValue(record.value)
          if (value === null) {
            if (isTxn) pendingOffsets.get(producerId)?.delete(k)
            else loadedOffsets.delete(k)
          } else {
            const v = value.value
            const loaded: Loaded = {
              groupId: group,
              commit: {
                topic,
                partition: p,
                appendedBatchOffset: record.offset,
                offsetAndMetadata: {
                  offset: v.offset,
                  leaderEpoch: v.leaderEpoch,
                  metadata: v.metadata,
                  commitTimestamp: v.commitTimestamp,
                  expireTimestamp: v.expireTimestamp === -1 ? null : v.expireTimestamp,
                },
              },
            }
            if (isTxn) pendingOffsets.get(producerId)?.set(k, loaded)
            else loadedOffsets.set(k, loaded)
          }
          break
        }
        case 'groupMetadata': {
          const groupId = key.key.group
          const group = this.readGroupMessageValue(groupId, record.value)
          if (group !== null) {
            removedGroups.delete(groupId)
            loadedGroups.set(groupId, group)
          } else {
            loadedGroups.delete(groupId)
            removedGroups.add(groupId)
          }
          break
        }
        case 'consumerGroup':
          consumerGroupRecords.push(decodeConsumerGroupRecord(record.key, record.value))
          break
        case 'unknown':
          this.warn(
            `Unknown message key with version ${key.version} while loading offsets and group metadata from ${tp}. ` +
              `Ignoring it. It could be a left over from an aborted upgrade.`,
          )
          break
      }
    }

    onConsumerGroupRecords(partition, consumerGroupRecords)
    const groupOffsets = new Map<string, CommitRecord[]>()
    const emptyGroupOffsets = new Map<string, CommitRecord[]>()
    for (const { groupId, commit } of loadedOffsets.values()) {
      const target = loadedGroups.has(groupId) ? groupOffsets : emptyGroupOffsets
      let list = target.get(groupId)
      if (!list) target.set(groupId, (list = []))
      list.push(commit)
    }
    const pendingByGroup = new Map<string, Map<number, Map<string, CommitRecord>>>()
    for (const [producerId, offsets] of pendingOffsets) {
      for (const { groupId, commit } of offsets.values()) {
        this.addProducerGroup(producerId, groupId)
        let byProducer = pendingByGroup.get(groupId)
        if (!byProducer) pendingByGroup.set(groupId, (byProducer = new Map()))
        let m = byProducer.get(producerId)
        if (!m) byProducer.set(producerId, (m = new Map()))
        m.set(tpKey(commit.topic, commit.partition), commit)
      }
    }

    const load = (group: GroupMetadata): void => {
      group.initializeOffsets(
        groupOffsets.get(group.groupId) ?? emptyGroupOffsets.get(group.groupId) ?? [],
        pendingByGroup.get(group.groupId) ?? new Map(),
      )
      const current = this.groups.get(group.groupId)
      if (current !== undefined) {
        this.debug(
          `Attempt to load group ${group.groupId} from log with generation ${group.generationId} failed because there ` +
            `is already a cached group with generation ${current.generationId}`,
        )
        return
      }
      this.groups.set(group.groupId, group)
      onGroupLoaded(group)
    }
    for (const group of loadedGroups.values()) load(group)
    // Groups that store offsets in Kafka but have no metadata (no active members ever, or deleted metadata).
    for (const groupId of new Set([
      ...emptyGroupOffsets.keys(),
      ...[...pendingByGroup.keys()].filter((g) => !loadedGroups.has(g)),
    ])) {
      load(new GroupMetadata(groupId, 'Empty', () => this.clock.now()))
    }
    for (const groupId of removedGroups) {
      // A cached group that the log says was removed (and is not used for offsets only) is unexpected.
      if (this.groups.has(groupId) && !emptyGroupOffsets.has(groupId)) {
        this.error(`Unexpected unload of active group ${groupId} while loading partition ${tp}`)
      }
    }
  }

  /** A GroupMetadataValue back into a group (Stable with members, else Empty); null for a tombstone. */
  private readGroupMessageValue(groupId: string, value: Buffer | null): GroupMetadata | null {
    const decoded = decodeGroupMetadataValue(value)
    if (decoded === null) return null
    const { version, value: v } = decoded
    const members = v.members.map((m) => {
      const member = new MemberMetadata(
        m.memberId,
        m.groupInstanceId,
        m.clientId,
        m.clientHost,
        version === 0 ? m.sessionTimeout : m.rebalanceTimeout,
        m.sessionTimeout,
        v.protocolType,
        [{ name: v.protocol ?? '', metadata: m.subscription }],
      )
      member.assignment = m.assignment
      return member
    })
    return GroupMetadata.load(
      groupId,
      members.length === 0 ? 'Empty' : 'Stable',
      v.generation,
      v.protocolType,
      v.protocol,
      v.leader,
      v.currentStateTimestamp === -1 ? null : v.currentStateTimestamp,
      members,
      () => this.clock.now(),
    )
  }

  private removeGroupsAndOffsets(
    partition: number,
    epoch: number | undefined,
    onGroupUnloaded: (group: GroupMetadata) => void,
  ): void {
    const tp = `${GROUP_METADATA_TOPIC_NAME}-${partition}`
    const epochText = `${epoch ?? 'unknown'}`
    if (!this.maybeUpdateCoordinatorEpoch(partition, epoch)) {
      this.info(
        `Not removing offsets and group metadata for ${tp} in epoch ${epochText} since current epoch is ` +
          `${this.epochForPartition.get(partition)}`,
      )
      return
    }
    this.debug(`Started unloading offsets and group metadata for ${tp} for coordinator epoch ${epochText}`)
    this.ownedPartitions.delete(partition)
    this.loadingPartitions.delete(partition)
    let numOffsetsRemoved = 0
    let numGroupsRemoved = 0
    for (const group of [...this.groups.values()]) {
      if (this.partitionFor(group.groupId) !== partition) continue
      onGroupUnloaded(group)
      this.groups.delete(group.groupId)
      this.removeGroupFromAllProducers(group.groupId)
      numGroupsRemoved++
      numOffsetsRemoved += group.numOffsets
    }
    this.info(
      `Finished unloading ${tp} for coordinator epoch ${epochText}. Removed ${numOffsetsRemoved} cached offsets and ` +
        `${numGroupsRemoved} cached groups.`,
    )
  }

  // ---------------------------------------------------------------- logging

  private info(msg: string): void {
    this.logger.info(`[GroupMetadataManager brokerId=${this.config.brokerId}] ${msg}`)
  }

  private warn(msg: string): void {
    this.logger.warn(`[GroupMetadataManager brokerId=${this.config.brokerId}] ${msg}`)
  }

  private error(msg: string): void {
    this.logger.error(`[GroupMetadataManager brokerId=${this.config.brokerId}] ${msg}`)
  }

  private debug(msg: string): void {
    this.logger.debug(`[GroupMetadataManager brokerId=${this.config.brokerId}] ${msg}`)
  }
}

/** Kafka's `GroupMetadataManager.maybeConvertOffsetCommitError`: produce errors as offset commit errors. */
export function maybeConvertOffsetCommitError(error: number): number {
  return coordinatorAppendError(error, AppendErrors.offsetCommit)
}
