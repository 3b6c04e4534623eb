/**
 * Kafka's classic group coordinator (`GroupCoordinator.scala` of Kafka 3.9), independent of the wire format:
 * group membership and rebalances (JoinGroup, SyncGroup, Heartbeat, LeaveGroup), the validation of offset
 * commits and fetches (OffsetCommit, TxnOffsetCommit, OffsetFetch, OffsetDelete), DescribeGroups, ListGroups and
 * DeleteGroups. The groups' cache and their durability in `__consumer_offsets` — loading, storing, expiring — are
 * the `GroupMetadataManager`'s (metadata-manager.ts), as in Kafka.
 *
 * Ownership follows the partitions of `__consumer_offsets` this broker leads: `onElection` loads a partition
 * (requests for its groups get COORDINATOR_LOAD_IN_PROGRESS meanwhile), `onResignation` drops it (NOT_COORDINATOR
 * afterwards).
 *
 * Kafka's delayed operations map onto tasks of the injected scheduler: a member's heartbeat expiration (session timeout,
 * or 5 minutes for a new member still joining), a pending member's expiration (KIP-394), the rebalance
 * (DelayedJoin, and InitialDelayedJoin for an Empty group with its back-off), and the pending-sync expiration
 * (DelayedSync). `shutdown()` cancels all of them.
 *
 * Deliberate differences, both invisible to clients: a partition counts as loading from the moment
 * `onElection` is called, not from when its load task starts (so clients get the retriable
 * COORDINATOR_LOAD_IN_PROGRESS rather than NOT_COORDINATOR while earlier loads run); and the transaction
 * verification of TxnOffsetCommit (KIP-890) is left to the caller.
 */
import { ErrorCode, errorName } from '../../protocol/errors.js'
import { SystemScheduler, type Clock, type ScheduledTask, type Scheduler } from '../../util/scheduler.js'
import { silentLogger, type Logger } from '../../util/logger.js'
import {
  GROUP_METADATA_TOPIC_NAME,
  resolveGroupCoordinatorConfig,
  type GroupCoordinatorConfig,
  type GroupCoordinatorConfigInput,
} from './config.js'
import {
  CONSUMER_PROTOCOL_TYPE,
  GroupMetadata,
  joinError,
  MemberMetadata,
  syncError,
  tpKey,
  type JoinCallback,
  type JoinOperation,
  type SyncCallback,
  type SyncOperation,
} from './group.js'
import {
  GroupMetadataManager,
  maybeConvertOffsetCommitError,
  type PendingOffset,
  describeError,
} from './metadata-manager.js'
import type { VerificationGuard } from '../log/producer-state.js'
import {
  ConsumerGroupCoordinator,
  type ConsumerGroupHeartbeatParams,
  type ClassicGroupView,
  type MigrationChange,
  type ConsumerGroupHeartbeatResult,
  type DescribedConsumerGroup,
  type TopicsView,
} from './consumer/coordinator.js'
import type { GroupLogStore } from './log-store.js'
import { encodeGroupMetadataKey } from '../../protocol/messages/data/group-metadata.js'
import type {
  DeleteOffsetsResult,
  DescribeGroupResult,
  GroupSummary,
  HeartbeatParams,
  JoinGroupParams,
  JoinGroupResult,
  LeaveGroupMember,
  LeaveGroupResult,
  ListGroupsResult,
  OffsetCommitParams,
  OffsetCommitPartition,
  OffsetCommitPartitionResult,
  OffsetFetchResult,
  Protocol,
  SyncGroupParams,
  SyncGroupResult,
  TopicPartition,
} from './types.js'

export { maybeConvertOffsetCommitError } from './metadata-manager.js'

/** How long a new member's JoinGroup may wait in a rebalance before it is dropped (Kafka: 5 minutes). */
export const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000

type GroupApi =
  | 'JoinGroup'
  | 'SyncGroup'
  | 'Heartbeat'
  | 'LeaveGroup'
  | 'OffsetCommit'
  | 'TxnOffsetCommit'
  | 'OffsetFetch'
  | 'DescribeGroups'
  | 'DeleteGroups'
  | 'OffsetDelete'
  | 'ConsumerGroupHeartbeat'
  | 'ConsumerGroupDescribe'

const EMPTY_GROUP: GroupSummary = { state: '', protocolType: '', protocol: '', members: [] }
const DEAD_GROUP: GroupSummary = { state: 'Dead', protocolType: '', protocol: '', members: [] }

export interface TxnOffsetCommitParams {
  readonly groupId: string
  readonly transactionalId: string
  readonly producerId: number
  readonly producerEpoch: number
  readonly memberId: string
  readonly groupInstanceId: string | null
  readonly generationId: number
  readonly partitions: readonly Omit<OffsetCommitPartition, 'commitTimestamp'>[]
  /** KIP-890: the guard of the verification that the transaction includes the group's offsets partition. */
  readonly verificationGuard?: VerificationGuard
}

export interface GroupCoordinatorOptions {
  readonly config: GroupCoordinatorConfigInput
  readonly logStore: GroupLogStore
  /** Runs the delayed operations and tells the time (default: Node's timers). */
  readonly scheduler?: Scheduler
  readonly logger?: Logger
  /** The GroupMetadataManager's logger (Kafka's `kafka.coordinator.group.GroupMetadataManager`); default `logger`. */
  readonly managerLogger?: Logger
  /** The topics consumer groups (KIP-848) can be assigned (the broker's metadata cache); default none. */
  readonly topics?: TopicsView
}

const NO_TOPICS: TopicsView = () => new Map()

/** An optional value in a log line: the value, or `none` (Kafka prints Scala's Some(..)/None here). */
const opt = (v: string | null): string => v ?? 'none'

export class GroupCoordinator {
  readonly config: GroupCoordinatorConfig
  private readonly clock: Clock
  private readonly scheduler: Scheduler
  private readonly logger: Logger
  /** The groups' cache and `__consumer_offsets` storage. */
  private readonly groupManager: GroupMetadataManager
  /** The consumer group protocol (KIP-848), beside the classic one. */
  private readonly consumerGroups: ConsumerGroupCoordinator

  private active = false
  private shuttingDown = false

  constructor(options: GroupCoordinatorOptions) {
    this.config = resolveGroupCoordinatorConfig(options.config)
    this.logger = options.logger ?? silentLogger
    this.scheduler = options.scheduler ?? new SystemScheduler(this.logger)
    this.clock = this.scheduler.clock
    this.groupManager = new GroupMetadataManager({
      config: this.config,
      logStore: options.logStore,
      scheduler: this.scheduler,
      logger: options.managerLogger ?? this.logger,
    })
    this.consumerGroups = new ConsumerGroupCoordinator({
      config: this.config,
      scheduler: this.scheduler,
      logger: this.logger,
      topics: options.topics ?? NO_TOPICS,
      groupStatus: (groupId) => this.validateGroupStatus(groupId, 'ConsumerGroupHeartbeat'),
      classicGroups: {
        inUse: (groupId) => this.classicGroupView(groupId),
        release: (groupId) => this.releaseClassicGroup(groupId),
        adopt: (groupId, view, rebalance) => this.adoptClassicGroup(groupId, view, rebalance),
      },
      partitionFor: (groupId) => this.partitionFor(groupId),
      append: (partition, records) => options.logStore.append(partition, records),
    })
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Starts serving. `offsetsTopicPartitionCount` is the partition count of an existing `__consumer_offsets`
   * (Kafka uses the topic's actual count); without it `offsets.topic.num.partitions` is used.
   */
  startup(offsetsTopicPartitionCount?: number, enableMetadataExpiration = true): void {
    this.info('Starting up.')
    this.shuttingDown = false
    this.groupManager.startup(offsetsTopicPartitionCount, enableMetadataExpiration, (g) => {
      this.cancelGroupTimers(g)
      // the offsets of an empty consumer group expired: the group goes with them, as in Kafka
      void this.consumerGroups.deleteGroup(g.groupId)
    })
    this.active = true
    this.info('Startup complete.')
  }

  /** Stops serving, cancels every timer and waits for a running load/unload task to end. */
  async shutdown(): Promise<void> {
    this.info('Shutting down.')
    this.active = false
    this.shuttingDown = true
    for (const g of this.groupManager.currentGroups()) this.cancelGroupTimers(g)
    this.consumerGroups.shutdown()
    await this.groupManager.shutdown()
    for (const g of this.groupManager.currentGroups()) this.cancelGroupTimers(g)
    this.info('Shutdown complete.')
  }

  get isActive(): boolean {
    return this.active
  }

  /** The number of `__consumer_offsets` partitions groups are spread over. */
  get offsetsTopicPartitionCount(): number {
    return this.groupManager.offsetsTopicPartitionCount
  }

  /** `abs(groupId.hashCode) % partitionCount`, exactly as Kafka. */
  partitionFor(groupId: string): number {
    return this.groupManager.partitionFor(groupId)
  }

  /** True once this broker has loaded the group's partition and serves its groups. */
  isCoordinatorFor(groupId: string): boolean {
    return this.groupManager.isGroupLocal(groupId)
  }

  /** True while the group's partition is being loaded. */
  isCoordinatorLoadInProgress(groupId: string): boolean {
    return this.groupManager.isGroupLoading(groupId)
  }

  isPartitionOwned(partition: number): boolean {
    return this.groupManager.isPartitionOwned(partition)
  }

  isPartitionLoading(partition: number): boolean {
    return this.groupManager.isPartitionLoading(partition)
  }

  /** The cached group, for inspection (tests, admin tooling). */
  group(groupId: string): GroupMetadata | undefined {
    return this.groupManager.getGroup(groupId)
  }

  /** Every group this coordinator holds (those of the __consumer_offsets partitions it leads), for metrics. */
  allGroups(): readonly GroupMetadata[] {
    return this.groupManager.currentGroups()
  }

  // ---------------------------------------------------------------- online migration (KIP-848)

  /** A classic group with members, as the consumer group protocol's upgrade reads it. */
  private classicGroupView(groupId: string): ClassicGroupView | undefined {
    const g = this.groupManager.getGroup(groupId)
    if (g === undefined || g.size === 0) return undefined
    return {
      generationId: g.generationId,
      protocolType: g.protocolType,
      protocolName: g.protocolName,
      members: g.allMemberMetadata.map((m) => ({
        memberId: m.memberId,
        instanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        supportedProtocols: m.supportedProtocols,
        assignment: m.assignment,
      })),
    }
  }

  /**
   * Upgrade: the classic group's members moved to a consumer group. Its delayed operations stop, whoever waits on
   * a JoinGroup/SyncGroup is told to rejoin (REBALANCE_IN_PROGRESS), and the entry stays, Empty, holding the
   * offsets. Returns its tombstone, written with the consumer group's records.
   */
  private releaseClassicGroup(groupId: string): MigrationChange {
    const group = this.groupManager.getGroup(groupId)
    if (group === undefined) return { records: [], undo: () => {} }
    this.cancelGroupTimers(group)
    const released = group.releaseMembersForMigration(ErrorCode.REBALANCE_IN_PROGRESS)
    return {
      records: [
        { key: encodeGroupMetadataKey({ group: groupId }), value: null, timestamp: this.clock.now() },
      ],
      // The write failed: the classic group is back as it was, its members with their sessions (Kafka reverts
      // to the snapshot before the conversion); one that was rebalancing rebalances again, as whoever waited on
      // it was told to rejoin.
      undo: () => {
        if (this.groupManager.getGroup(groupId) !== group || group.size > 0) return
        group.restoreReleasedMembers(released)
        for (const m of group.allMemberMetadata) this.completeAndScheduleNextHeartbeatExpiration(group, m)
        this.info(
          `[GroupId ${groupId}] The conversion to a consumer group was not written; the classic group is back.`,
        )
        if (released.state !== 'Stable') {
          this.prepareRebalance(group, `The upgrade of group ${groupId} to a consumer group was not written.`)
        }
      },
    }
  }

  /**
   * Downgrade: the consumer group's members (all of the classic protocol) come back as a Stable classic group at
   * the group epoch, with the partitions they own as their assignments; the group is written and rebalances.
   */
  private adoptClassicGroup(groupId: string, view: ClassicGroupView, rebalance: boolean): MigrationChange {
    const existing = this.groupManager.getGroup(groupId)
    const group = existing ?? this.addGroup(new GroupMetadata(groupId, 'Empty', () => this.clock.now()))
    this.cancelGroupTimers(group)
    const members = view.members.map((m) => {
      const member = new MemberMetadata(
        m.memberId,
        m.instanceId,
        m.clientId,
        m.clientHost,
        m.rebalanceTimeoutMs,
        m.sessionTimeoutMs,
        view.protocolType ?? CONSUMER_PROTOCOL_TYPE,
        m.supportedProtocols,
      )
      member.assignment = m.assignment
      return member
    })
    group.adoptMembersForMigration(
      view.generationId,
      view.protocolType ?? CONSUMER_PROTOCOL_TYPE,
      view.protocolName,
      members,
    )
    for (const m of members) this.completeAndScheduleNextHeartbeatExpiration(group, m)
    const record = this.groupManager.groupMetadataRecord(
      group,
      new Map(members.map((m) => [m.memberId, m.assignment])),
    )
    if (rebalance) this.prepareRebalance(group, `Downgrade group ${groupId} from consumer to classic.`)
    return {
      records: [record],
      // The write failed: the consumer group is back (its coordinator reverts it), so the classic group lets its
      // members go again (whoever waits is told to rejoin) and is gone unless it holds offsets.
      undo: () => {
        if (this.groupManager.getGroup(groupId) !== group) return
        this.cancelGroupTimers(group)
        group.releaseMembersForMigration(ErrorCode.REBALANCE_IN_PROGRESS)
        if (existing === undefined && !group.hasOffsets) this.groupManager.removeGroup(group)
        this.info(
          `[GroupId ${groupId}] The conversion to a classic group was not written; the consumer group is back.`,
        )
      },
    }
  }

  // ---------------------------------------------------------------- JoinGroup

  joinGroup(p: JoinGroupParams): Promise<JoinGroupResult> {
    return new Promise<JoinGroupResult>((resolve) => {
      const callback: JoinCallback = resolve
      const error = this.validateGroupStatus(p.groupId, 'JoinGroup')
      if (error !== null) {
        callback(joinError(p.memberId, error))
        return
      }
      if (
        p.sessionTimeoutMs < this.config.groupMinSessionTimeoutMs ||
        p.sessionTimeoutMs > this.config.groupMaxSessionTimeoutMs
      ) {
        callback(joinError(p.memberId, ErrorCode.INVALID_SESSION_TIMEOUT))
        return
      }
      if (this.consumerGroups.isInUse(p.groupId)) {
        // A classic member joining a non-empty consumer group is served by it, whatever the migration policy.
        this.consumerGroups.classicJoin(p).then(callback, (e: unknown) => {
          this.error(`JoinGroup of group ${p.groupId} to its consumer group failed: ${describeError(e)}`)
          callback(joinError(p.memberId, ErrorCode.UNKNOWN_SERVER_ERROR))
        })
        return
      }
      // An empty consumer group gives way to the classic group (Kafka deletes it, with its tombstones).
      if (this.consumerGroups.group(p.groupId) !== undefined) void this.consumerGroups.deleteGroup(p.groupId)
      const isUnknownMember = p.memberId === ''
      // The group is created when it does not exist and the member id is unknown; a known member id for a
      // group that does not exist is rejected.
      const group = this.getOrMaybeCreateGroup(p.groupId, isUnknownMember)
      if (group === undefined) {
        callback(joinError(p.memberId, ErrorCode.UNKNOWN_MEMBER_ID))
        return
      }
      const reason = p.reason ?? 'not provided'
      if (!this.acceptJoiningMember(group, p.memberId)) {
        if (group.has(p.memberId)) this.cancelHeartbeat(group.get(p.memberId))
        group.remove(p.memberId)
        callback(joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED))
      } else if (isUnknownMember) {
        this.doNewMemberJoinGroup(group, p, callback, reason)
      } else {
        this.doCurrentMemberJoinGroup(group, p, callback, reason)
      }
      // attempt to complete JoinGroup
      if (group.is('PreparingRebalance')) this.checkAndCompleteJoin(group)
    })
  }

  /** Whether the group has room for the joining member (`group.max.size`). */
  private acceptJoiningMember(group: GroupMetadata, memberId: string): boolean {
    switch (group.currentState) {
      case 'Empty':
      case 'Dead':
        return true
      case 'PreparingRebalance':
        // The number of awaiting members is used: the group size may exceed the max after the max was
        // lowered, and this lets the last rejoining members be the ones kicked out.
        return (
          (group.has(memberId) && group.get(memberId).isAwaitingJoin) ||
          group.numAwaiting < this.config.groupMaxSize
        )
      case 'CompletingRebalance':
      case 'Stable':
        return group.has(memberId) || group.size < this.config.groupMaxSize
    }
  }

  private doNewMemberJoinGroup(
    group: GroupMetadata,
    p: JoinGroupParams,
    callback: JoinCallback,
    reason: string,
  ): void {
    if (group.is('Dead')) {
      // The group was just removed (migrated to another coordinator, or deleted): the member retries.
      callback(joinError('', ErrorCode.COORDINATOR_NOT_AVAILABLE))
    } else if (!group.supportsProtocols(p.protocolType, new Set(p.protocols.map((x) => x.name)))) {
      callback(joinError('', ErrorCode.INCONSISTENT_GROUP_PROTOCOL))
    } else {
      const newMemberId = group.generateMemberId(p.clientId, p.groupInstanceId)
      if (p.groupInstanceId !== null) {
        this.doStaticNewMemberJoinGroup(group, p.groupInstanceId, newMemberId, p, callback, reason)
      } else {
        this.doDynamicNewMemberJoinGroup(group, newMemberId, p, callback, reason)
      }
    }
  }

  private doStaticNewMemberJoinGroup(
    group: GroupMetadata,
    groupInstanceId: string,
    newMemberId: string,
    p: JoinGroupParams,
    callback: JoinCallback,
    reason: string,
  ): void {
    const oldMemberId = group.currentStaticMemberId(groupInstanceId)
    if (oldMemberId !== undefined) {
      this.info(
        `Static member with groupInstanceId=${groupInstanceId} and unknown member id joins group ${group.groupId} in ` +
          `${group.currentState} state. Replacing previously mapped member ${oldMemberId} with this groupInstanceId.`,
      )
      this.updateStaticMemberAndRebalance(
        group,
        oldMemberId,
        newMemberId,
        groupInstanceId,
        p.protocols,
        p.rebalanceTimeoutMs,
        p.sessionTimeoutMs,
        callback,
        reason,
        p.supportSkippingAssignment,
      )
    } else {
      this.info(
        `Static member with groupInstanceId=${groupInstanceId} and unknown member id joins group ${group.groupId} in ` +
          `${group.currentState} state. Created a new member id ${newMemberId} for this member and add to the group.`,
      )
      this.addMemberAndRebalance(group, p, newMemberId, groupInstanceId, callback, reason)
    }
  }

  private doDynamicNewMemberJoinGroup(
    group: GroupMetadata,
    newMemberId: string,
    p: JoinGroupParams,
    callback: JoinCallback,
    reason: string,
  ): void {
    if (p.requireKnownMemberId) {
      // Register the member as pending and ask it to join again with the id it is given.
      this.info(
        `Dynamic member with unknown member id joins group ${group.groupId} in ${group.currentState} state. ` +
          `Created a new member id ${newMemberId} and request the member to rejoin with this id.`,
      )
      group.addPendingMember(newMemberId)
      this.addPendingMemberExpiration(group, newMemberId, p.sessionTimeoutMs)
      callback(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED))
    } else {
      this.info(
        `Dynamic Member with unknown member id joins group ${group.groupId} in ${group.currentState} state. ` +
          `Created a new member id ${newMemberId} for this member and add to the group.`,
      )
      this.addMemberAndRebalance(group, p, newMemberId, null, callback, reason)
    }
  }

  /**
   * Checks that a static member's instance id maps to this member id (else FENCED_INSTANCE_ID, or
   * UNKNOWN_MEMBER_ID for an unknown instance id) and that the member id is in the group.
   */
  private validateCurrentMember(
    group: GroupMetadata,
    memberId: string,
    groupInstanceId: string | null,
    operation: string,
  ): number | null {
    if (groupInstanceId !== null) {
      const current = group.currentStaticMemberId(groupInstanceId)
      if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
      if (current !== memberId) {
        this.info(
          `Request memberId=${memberId} for static member with groupInstanceId=${groupInstanceId} is fenced by ` +
            `current memberId=${current} during operation ${operation}`,
        )
        return ErrorCode.FENCED_INSTANCE_ID
      }
    }
    return group.has(memberId) ? null : ErrorCode.UNKNOWN_MEMBER_ID
  }

  private doCurrentMemberJoinGroup(
    group: GroupMetadata,
    p: JoinGroupParams,
    callback: JoinCallback,
    reason: string,
  ): void {
    const memberId = p.memberId
    if (group.is('Dead')) {
      callback(joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE))
      return
    }
    if (!group.supportsProtocols(p.protocolType, new Set(p.protocols.map((x) => x.name)))) {
      callback(joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL))
      return
    }
    if (group.isPendingMember(memberId)) {
      // A pending member rejoining with its id is accepted; pending members are never static.
      if (p.groupInstanceId !== null) {
        throw new Error(
          `Received unexpected JoinGroup with groupInstanceId=${p.groupInstanceId} for pending member with memberId=${memberId}`,
        )
      }
      this.info(
        `Pending dynamic member with id ${memberId} joins group ${group.groupId} in ${group.currentState} state. ` +
          `Adding to the group now.`,
      )
      this.addMemberAndRebalance(group, p, memberId, null, callback, reason)
      return
    }
    const memberError = this.validateCurrentMember(group, memberId, p.groupInstanceId, 'join-group')
    if (memberError !== null) {
      callback(joinError(memberId, memberError))
      return
    }
    const member = group.get(memberId)
    switch (group.currentState) {
      case 'PreparingRebalance':
        this.updateMemberAndRebalance(
          group,
          member,
          p,
          `Member ${member.memberId} joining group during ${group.currentState}; client reason: ${reason}`,
          callback,
        )
        break
      case 'CompletingRebalance':
        if (member.matches(p.protocols)) {
          // Same metadata (the member probably missed the JoinGroup response): answer with the current
          // generation.
          callback(
            group.joinResult(memberId, {
              members: group.isLeader(memberId) ? group.currentMemberMetadata() : [],
            }),
          )
        } else {
          this.updateMemberAndRebalance(
            group,
            member,
            p,
            `Updating metadata for member ${member.memberId} during ${group.currentState}; client reason: ${reason}`,
            callback,
          )
        }
        break
      case 'Stable':
        if (group.isLeader(memberId)) {
          // The leader rejoining forces a rebalance: this lets it react to changes that do not show in the
          // member metadata (such as topic metadata changes for the consumer).
          this.updateMemberAndRebalance(
            group,
            member,
            p,
            `Leader ${member.memberId} re-joining group during ${group.currentState}; client reason: ${reason}`,
            callback,
          )
        } else if (!member.matches(p.protocols)) {
          this.updateMemberAndRebalance(
            group,
            member,
            p,
            `Updating metadata for member ${member.memberId} during ${group.currentState}; client reason: ${reason}`,
            callback,
          )
        } else {
          // A follower without changes gets the current generation, so that it can SyncGroup.
          callback(group.joinResult(memberId))
        }
        break
      case 'Empty':
      case 'Dead':
        // Unexpected state: let the member reset its generation and rejoin.
        this.warn(
          `Attempt to add rejoining member ${memberId} of group ${group.groupId} in unexpected group state ${group.currentState}`,
        )
        callback(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID))
        break
    }
  }

  private addMemberAndRebalance(
    group: GroupMetadata,
    p: JoinGroupParams,
    memberId: string,
    groupInstanceId: string | null,
    callback: JoinCallback,
    reason: string,
  ): void {
    const member = new MemberMetadata(
      memberId,
      groupInstanceId,
      p.clientId,
      p.clientHost,
      p.rebalanceTimeoutMs,
      p.sessionTimeoutMs,
      p.protocolType,
      p.protocols,
    )
    member.isNew = true
    // A new member during a new group's initial rebalance may delay it further (InitialDelayedJoin).
    if (group.is('PreparingRebalance') && group.generationId === 0) group.newMemberAdded = true
    group.add(member, callback)
    // The session timeout does not apply to a member that has no member id yet and cannot heartbeat, but a
    // JoinGroup must not wait forever: it is expired after 5 minutes (the client then retries).
    this.completeAndScheduleNextExpiration(group, member, NEW_MEMBER_JOIN_TIMEOUT_MS)
    this.maybePrepareRebalance(
      group,
      `Adding new member ${memberId} with group instance id ${opt(groupInstanceId)}; client reason: ${reason}`,
    )
  }

  private updateStaticMemberAndRebalance(
    group: GroupMetadata,
    oldMemberId: string,
    newMemberId: string,
    groupInstanceId: string,
    protocols: readonly Protocol[],
    rebalanceTimeoutMs: number,
    sessionTimeoutMs: number,
    callback: JoinCallback,
    reason: string,
    supportSkippingAssignment: boolean,
  ): void {
    const currentLeader = group.leaderOrNull
    const member = group.replaceStaticMember(groupInstanceId, oldMemberId, newMemberId)
    // The old member id's heartbeat expiration no longer applies; schedule one for the new id.
    this.completeAndScheduleNextHeartbeatExpiration(group, member)
    const oldRebalanceTimeoutMs = member.rebalanceTimeoutMs
    const oldSessionTimeoutMs = member.sessionTimeoutMs
    group.updateMember(member, protocols, rebalanceTimeoutMs, sessionTimeoutMs, callback)
    // (Kafka reads the "old" protocols after the update, so a revert keeps the new ones; kept as is.)
    const oldProtocols = member.supportedProtocols

    switch (group.currentState) {
      case 'Stable': {
        // If the protocol of the next generation would not change, persist the new member id without a
        // rebalance; otherwise rebalance so that assignment and protocol stay consistent.
        const selectedProtocolOfNextGeneration = group.selectProtocol()
        if (group.protocolName === selectedProtocolOfNextGeneration) {
          this.info(
            `Static member which joins during Stable stage and doesn't affect selectProtocol will not trigger rebalance.`,
          )
          const assignment = new Map(group.allMemberMetadata.map((m) => [m.memberId, m.assignment] as const))
          this.storeGroup(group, assignment, (error) => {
            if (error !== ErrorCode.NONE) {
              this.warn(`Failed to persist metadata for group ${group.groupId}: ${errorName(error)}`)
              // Revert the replacement of the static member.
              group.updateMember(member, oldProtocols, oldRebalanceTimeoutMs, oldSessionTimeoutMs, null)
              const oldMember = group.replaceStaticMember(groupInstanceId, newMemberId, oldMemberId)
              this.completeAndScheduleNextHeartbeatExpiration(group, oldMember)
              callback(group.joinResult('', { error, leaderId: currentLeader }))
            } else if (supportSkippingAssignment) {
              // JoinGroup v9+ (KIP-814): tell the leader it is the leader but must not run the assignor
              // while the group is stable (assignors are neither idempotent nor free of side effects).
              const isLeader = group.isLeader(newMemberId)
              group.maybeInvokeJoinCallback(
                member,
                group.joinResult(newMemberId, {
                  skipAssignment: isLeader,
                  members: isLeader ? group.currentMemberMetadata() : [],
                }),
              )
            } else {
              // Before v9 the old leader id is returned, so that a rejoining leader does not see itself as
              // the leader and does not compute an assignment the stable group would not propagate.
              group.maybeInvokeJoinCallback(
                member,
                group.joinResult(newMemberId, { leaderId: currentLeader }),
              )
            }
          })
        } else {
          this.maybePrepareRebalance(
            group,
            `Group's selectedProtocol will change because static member ${member.memberId} with instance id ` +
              `${groupInstanceId} joined with change of protocol; client reason: ${reason}`,
          )
        }
        break
      }
      case 'CompletingRebalance':
        // The old member id may already be in the leader's assignment: rebalance so the new id gets one.
        this.prepareRebalance(
          group,
          `Updating metadata for static member ${member.memberId} with instance id ${groupInstanceId}; client reason: ${reason}`,
        )
        break
      case 'Empty':
      case 'Dead':
        throw new Error(
          `Group ${group.groupId} was not supposed to be in the state ${group.currentState} when the unknown static ` +
            `member ${groupInstanceId} rejoins.`,
        )
      case 'PreparingRebalance':
        break
    }
  }

  private updateMemberAndRebalance(
    group: GroupMetadata,
    member: MemberMetadata,
    p: JoinGroupParams,
    reason: string,
    callback: JoinCallback,
  ): void {
    group.updateMember(member, p.protocols, p.rebalanceTimeoutMs, p.sessionTimeoutMs, callback)
    this.maybePrepareRebalance(group, reason)
  }

  private maybePrepareRebalance(group: GroupMetadata, reason: string): void {
    if (group.canRebalance) this.prepareRebalance(group, reason)
  }

  private prepareRebalance(group: GroupMetadata, reason: string): void {
    // Members awaiting sync are told to rejoin.
    if (group.is('CompletingRebalance'))
      this.resetAndPropagateAssignmentError(group, ErrorCode.REBALANCE_IN_PROGRESS)
    this.removeSyncExpiration(group)
    const initial = group.is('Empty')
    group.transitionTo('PreparingRebalance')
    this.info(
      `Preparing to rebalance group ${group.groupId} in state ${group.currentState} with old generation ` +
        `${group.generationId} (${GROUP_METADATA_TOPIC_NAME}-${this.partitionFor(group.groupId)}) (reason: ${reason})`,
    )
    if (initial) {
      const delay = this.config.groupInitialRebalanceDelayMs
      this.scheduleInitialDelayedJoin(group, delay, delay, Math.max(group.rebalanceTimeoutMs - delay, 0))
    } else {
      this.tryCompleteElseWatchJoin(group, group.rebalanceTimeoutMs)
    }
  }

  /** DelayedJoin: completes when every known member has rejoined, or when the rebalance timeout expires. */
  private tryCompleteElseWatchJoin(group: GroupMetadata, timeoutMs: number): void {
    group.joinOp?.timer.cancel()
    group.joinOp = null
    if (group.hasAllMembersJoined) {
      this.onCompleteJoin(group)
      return
    }
    const op: JoinOperation = {
      kind: 'join',
      timer: this.schedule('DelayedJoin', timeoutMs, () => {
        if (group.joinOp !== op) return
        group.joinOp = null
        this.onCompleteJoin(group)
      }),
    }
    group.joinOp = op
  }

  /**
   * InitialDelayedJoin: the first rebalance of an Empty group waits `group.initial.rebalance.delay.ms`; each
   * time a new member joined a brand-new group meanwhile it waits again (at most the configured delay), until
   * the rebalance timeout is used up.
   */
  private scheduleInitialDelayedJoin(
    group: GroupMetadata,
    configuredRebalanceDelay: number,
    delayMs: number,
    remainingMs: number,
  ): void {
    group.joinOp?.timer.cancel()
    const op: JoinOperation = {
      kind: 'initial',
      timer: this.schedule('InitialDelayedJoin', delayMs, () => {
        if (group.joinOp !== op) return
        group.joinOp = null
        if (group.newMemberAdded && remainingMs !== 0) {
          group.newMemberAdded = false
          const delay = Math.min(configuredRebalanceDelay, remainingMs)
          const remaining = Math.max(remainingMs - delayMs, 0)
          this.scheduleInitialDelayedJoin(group, configuredRebalanceDelay, delay, remaining)
        } else {
          this.onCompleteJoin(group)
        }
      }),
    }
    group.joinOp = op
  }

  /** `rebalancePurgatory.checkAndComplete(GroupJoinKey)`: the initial delayed join only ends by its timer. */
  private checkAndCompleteJoin(group: GroupMetadata): void {
    const op = group.joinOp
    if (op !== null && op.kind === 'join' && group.hasAllMembersJoined) {
      op.timer.cancel()
      group.joinOp = null
      this.onCompleteJoin(group)
    }
  }

  private onCompleteJoin(group: GroupMetadata): void {
    const notYetRejoinedDynamic = group.notYetRejoinedMembers.filter((m) => !m.isStaticMember)
    if (notYetRejoinedDynamic.length > 0) {
      this.info(
        `Group ${group.groupId} removed dynamic members who haven't joined: ` +
          `Set(${notYetRejoinedDynamic.map((m) => m.memberId).join(', ')})`,
      )
      for (const m of notYetRejoinedDynamic) {
        group.remove(m.memberId)
        this.cancelHeartbeat(m)
      }
    }

    if (group.is('Dead')) {
      this.info(`Group ${group.groupId} is dead, skipping rebalance stage`)
      return
    }
    const election = group.maybeElectNewJoinedLeader()
    if (election.message !== undefined) this.info(election.message)
    if (!election.elected && group.size > 0) {
      // No member rejoined: wait another rebalance timeout, until the session timeouts remove the members.
      this.error(`Group ${group.groupId} could not complete rebalance because no members rejoined`)
      this.tryCompleteElseWatchJoin(group, group.rebalanceTimeoutMs)
      return
    }

    group.initNextGeneration()
    if (group.is('Empty')) {
      this.info(
        `Group ${group.groupId} with generation ${group.generationId} is now empty ` +
          `(${GROUP_METADATA_TOPIC_NAME}-${this.partitionFor(group.groupId)})`,
      )
      this.storeGroup(group, new Map(), (error) => {
        if (error !== ErrorCode.NONE) {
          // Should the broker fail before another rebalance, the previous generation comes back from the log
          // and most likely times out; safe, since an empty generation has no active members.
          this.warn(`Failed to write empty metadata for group ${group.groupId}: ${errorName(error)}`)
        }
      })
    } else {
      this.info(
        `Stabilized group ${group.groupId} generation ${group.generationId} ` +
          `(${GROUP_METADATA_TOPIC_NAME}-${this.partitionFor(group.groupId)}) with ${group.size} members`,
      )
      // Answer every member's pending JoinGroup.
      for (const member of group.allMemberMetadata) {
        group.maybeInvokeJoinCallback(
          member,
          group.joinResult(member.memberId, {
            members: group.isLeader(member.memberId) ? group.currentMemberMetadata() : [],
          }),
        )
        this.completeAndScheduleNextHeartbeatExpiration(group, member)
        member.isNew = false
        group.addPendingSyncMember(member.memberId)
      }
      this.schedulePendingSync(group)
    }
  }

  // ---------------------------------------------------------------- SyncGroup

  syncGroup(p: SyncGroupParams): Promise<SyncGroupResult> {
    return new Promise<SyncGroupResult>((resolve) => {
      const callback: SyncCallback = resolve
      const error = this.validateGroupStatus(p.groupId, 'SyncGroup')
      if (error === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) {
        // The state of the rebalance was lost with the coordinator move; REBALANCE_IN_PROGRESS makes the
        // member rejoin without rediscovering the coordinator (older clients do not expect LOAD_IN_PROGRESS).
        callback(syncError(ErrorCode.REBALANCE_IN_PROGRESS))
        return
      }
      if (error !== null) {
        callback(syncError(error))
        return
      }
      if (this.consumerGroups.isInUse(p.groupId)) {
        this.consumerGroups.classicSync(p).then(callback, (e: unknown) => {
          this.error(`SyncGroup of group ${p.groupId} to its consumer group failed: ${describeError(e)}`)
          callback(syncError(ErrorCode.UNKNOWN_SERVER_ERROR))
        })
        return
      }
      const group = this.groupManager.getGroup(p.groupId)
      if (group === undefined) {
        callback(syncError(ErrorCode.UNKNOWN_MEMBER_ID))
        return
      }
      this.doSyncGroup(group, p, callback)
    })
  }

  private validateSyncGroup(group: GroupMetadata, p: SyncGroupParams): number | null {
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    const memberError = this.validateCurrentMember(group, p.memberId, p.groupInstanceId, 'sync-group')
    if (memberError !== null) return memberError
    if (p.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION
    if (p.protocolType !== null && group.protocolType !== p.protocolType)
      return ErrorCode.INCONSISTENT_GROUP_PROTOCOL
    if (p.protocolName !== null && group.protocolName !== p.protocolName)
      return ErrorCode.INCONSISTENT_GROUP_PROTOCOL
    return null
  }

  private doSyncGroup(group: GroupMetadata, p: SyncGroupParams, callback: SyncCallback): void {
    const validationError = this.validateSyncGroup(group, p)
    if (validationError !== null) {
      callback(syncError(validationError))
      return
    }
    switch (group.currentState) {
      case 'Empty':
        callback(syncError(ErrorCode.UNKNOWN_MEMBER_ID))
        break
      case 'PreparingRebalance':
        callback(syncError(ErrorCode.REBALANCE_IN_PROGRESS))
        break
      case 'CompletingRebalance': {
        group.get(p.memberId).awaitingSyncCallback = callback
        this.removePendingSyncMember(group, p.memberId)
        // The leader's assignment: persist it, then move to Stable and answer everyone.
        if (group.isLeader(p.memberId)) {
          this.info(
            `Assignment received from leader ${p.memberId} for group ${group.groupId} for generation ` +
              `${group.generationId}. The group has ${group.size} members, ${group.allStaticMembers.length} of ` +
              `which are static.`,
          )
          const assignment = new Map<string, Buffer>()
          for (const a of p.assignments) assignment.set(a.memberId, a.assignment)
          const missing = group.allMembers.filter((m) => !assignment.has(m))
          for (const m of missing) assignment.set(m, Buffer.alloc(0))
          if (missing.length > 0) {
            this.warn(
              `Setting empty assignments for members Set(${missing.join(', ')}) of ${group.groupId} for generation ` +
                `${group.generationId}`,
            )
          }
          const generationId = group.generationId
          this.storeGroup(group, assignment, (error) => {
            // Another member may have joined meanwhile: act only if the group is still completing this
            // generation.
            if (group.is('CompletingRebalance') && generationId === group.generationId) {
              if (error !== ErrorCode.NONE) {
                this.resetAndPropagateAssignmentError(group, error)
                this.maybePrepareRebalance(
                  group,
                  `Error ${errorName(error)} when storing group assignment during SyncGroup (member: ${p.memberId})`,
                )
              } else {
                this.setAndPropagateAssignment(group, assignment)
                group.transitionTo('Stable')
              }
            }
          })
        }
        break
      }
      case 'Stable': {
        this.removePendingSyncMember(group, p.memberId)
        // A stable group answers with the member's current assignment.
        const member = group.get(p.memberId)
        callback({
          error: ErrorCode.NONE,
          protocolType: group.protocolType,
          protocolName: group.protocolName,
          assignment: member.assignment,
        })
        this.completeAndScheduleNextHeartbeatExpiration(group, member)
        break
      }
      case 'Dead':
        throw new Error(`Reached unexpected condition for Dead group ${group.groupId}`)
    }
  }

  private setAndPropagateAssignment(group: GroupMetadata, assignment: ReadonlyMap<string, Buffer>): void {
    for (const m of group.allMemberMetadata) m.assignment = assignment.get(m.memberId) ?? Buffer.alloc(0)
    this.propagateAssignment(group, ErrorCode.NONE)
  }

  private resetAndPropagateAssignmentError(group: GroupMetadata, error: number): void {
    for (const m of group.allMemberMetadata) m.assignment = Buffer.alloc(0)
    this.propagateAssignment(group, error)
  }

  private propagateAssignment(group: GroupMetadata, error: number): void {
    const ok = error === ErrorCode.NONE
    for (const member of group.allMemberMetadata) {
      if (member.assignment.length === 0 && ok) {
        this.warn(
          `Sending empty assignment to member ${member.memberId} of ${group.groupId} for generation ` +
            `${group.generationId} with no errors`,
        )
      }
      const answered = group.maybeInvokeSyncCallback(member, {
        error,
        protocolType: ok ? group.protocolType : null,
        protocolName: ok ? group.protocolName : null,
        assignment: member.assignment,
      })
      // Reset the session timeout after answering: an expiration while the member waited for the
      // assignment was ignored and left no expectation behind.
      if (answered) this.completeAndScheduleNextHeartbeatExpiration(group, member)
    }
  }

  private removePendingSyncMember(group: GroupMetadata, memberId: string): void {
    group.removePendingSyncMember(memberId)
    this.maybeCompleteSyncExpiration(group)
  }

  private removeSyncExpiration(group: GroupMetadata): void {
    group.clearPendingSyncMembers()
    this.maybeCompleteSyncExpiration(group)
  }

  private tryCompletePendingSync(group: GroupMetadata, generationId: number): boolean {
    if (generationId !== group.generationId) return true
    switch (group.currentState) {
      case 'Dead':
      case 'Empty':
      case 'PreparingRebalance':
        return true
      case 'CompletingRebalance':
      case 'Stable':
        return group.hasReceivedSyncFromAllMembers
    }
  }

  private maybeCompleteSyncExpiration(group: GroupMetadata): void {
    const op = group.syncOp
    if (op !== null && this.tryCompletePendingSync(group, op.generationId)) {
      op.timer.cancel()
      group.syncOp = null
    }
  }

  /** DelayedSync: members that have not sent SyncGroup within the rebalance timeout are removed. */
  private schedulePendingSync(group: GroupMetadata): void {
    group.syncOp?.timer.cancel()
    group.syncOp = null
    const generationId = group.generationId
    if (this.tryCompletePendingSync(group, generationId)) return
    const op: SyncOperation = {
      generationId,
      timer: this.schedule('DelayedSync', group.rebalanceTimeoutMs, () => {
        if (group.syncOp !== op) return
        group.syncOp = null
        this.onExpirePendingSync(group, generationId)
      }),
    }
    group.syncOp = op
  }

  private onExpirePendingSync(group: GroupMetadata, generationId: number): void {
    if (generationId !== group.generationId) {
      this.error(
        `Received unexpected notification of sync expiration for ${group.groupId} with an old generation ` +
          `${generationId} while the group has ${group.generationId}.`,
      )
      return
    }
    switch (group.currentState) {
      case 'Dead':
      case 'Empty':
      case 'PreparingRebalance':
        this.error(
          `Received unexpected notification of sync expiration after group ${group.groupId} already ` +
            `transitioned to the ${group.currentState} state.`,
        )
        break
      case 'CompletingRebalance':
      case 'Stable':
        if (!group.hasReceivedSyncFromAllMembers) {
          const pending = group.allPendingSyncMembers
          for (const memberId of pending) {
            const m = group.has(memberId) ? group.get(memberId) : undefined
            group.remove(memberId)
            if (m) this.cancelHeartbeat(m)
          }
          this.debug(
            `Group ${group.groupId} removed members who haven't sent their sync request: Set(${pending.join(', ')})`,
          )
          this.prepareRebalance(
            group,
            `Removing Set(${pending.join(', ')}) on pending sync request expiration`,
          )
        }
        break
    }
  }

  // ---------------------------------------------------------------- Heartbeat

  heartbeat(p: HeartbeatParams): number {
    const error = this.validateGroupStatus(p.groupId, 'Heartbeat')
    if (error !== null) {
      // While the group is loading, respond just blindly.
      return error === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS ? ErrorCode.NONE : error
    }
    if (this.consumerGroups.isInUse(p.groupId)) return this.consumerGroups.classicHeartbeat(p)
    const group = this.groupManager.getGroup(p.groupId)
    if (group === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    const memberError = this.validateCurrentMember(group, p.memberId, p.groupInstanceId, 'heartbeat')
    if (memberError !== null) return memberError
    if (p.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION
    switch (group.currentState) {
      case 'Empty':
        return ErrorCode.UNKNOWN_MEMBER_ID
      case 'CompletingRebalance':
        // Members may heartbeat after their JoinGroup response: a normal heartbeat.
        this.completeAndScheduleNextHeartbeatExpiration(group, group.get(p.memberId))
        return ErrorCode.NONE
      case 'PreparingRebalance':
        this.completeAndScheduleNextHeartbeatExpiration(group, group.get(p.memberId))
        return ErrorCode.REBALANCE_IN_PROGRESS
      case 'Stable':
        this.completeAndScheduleNextHeartbeatExpiration(group, group.get(p.memberId))
        return ErrorCode.NONE
      case 'Dead':
        throw new Error(`Reached unexpected condition for Dead group ${p.groupId}`)
    }
  }

  private completeAndScheduleNextHeartbeatExpiration(group: GroupMetadata, member: MemberMetadata): void {
    this.completeAndScheduleNextExpiration(group, member, member.sessionTimeoutMs)
  }

  /** Completes the member's current heartbeat expectation and schedules the next one. */
  private completeAndScheduleNextExpiration(
    group: GroupMetadata,
    member: MemberMetadata,
    timeoutMs: number,
  ): void {
    member.heartbeatSatisfied = true
    this.cancelHeartbeat(member)
    // The same key completes a pending member's expiration once the member is in the group.
    const pendingTimer = group.pendingMemberTimers.get(member.memberId)
    if (pendingTimer !== undefined && group.has(member.memberId)) {
      pendingTimer.cancel()
      group.pendingMemberTimers.delete(member.memberId)
    }
    member.heartbeatSatisfied = false
    // DelayedHeartbeat.tryComplete: nothing to wait for when the group is gone, the member is gone, or the
    // member is awaiting a join or sync (it expires with the rebalance instead).
    if (group.is('Dead') || !group.has(member.memberId) || member.hasSatisfiedHeartbeat) return
    const memberId = member.memberId
    const timer = this.schedule('DelayedHeartbeat', timeoutMs, () => {
      if (member.heartbeatTimer !== timer) return
      member.heartbeatTimer = null
      this.onExpireHeartbeat(group, memberId, false)
    })
    member.heartbeatTimer = timer
  }

  private addPendingMemberExpiration(group: GroupMetadata, memberId: string, timeoutMs: number): void {
    group.pendingMemberTimers.get(memberId)?.cancel()
    const timer = this.schedule('PendingMemberExpiration', timeoutMs, () => {
      if (group.pendingMemberTimers.get(memberId) !== timer) return
      group.pendingMemberTimers.delete(memberId)
      this.onExpireHeartbeat(group, memberId, true)
    })
    group.pendingMemberTimers.set(memberId, timer)
  }

  private cancelHeartbeat(member: MemberMetadata): void {
    member.heartbeatTimer?.cancel()
    member.heartbeatTimer = null
  }

  private onExpireHeartbeat(group: GroupMetadata, memberId: string, isPending: boolean): void {
    if (group.is('Dead')) {
      this.info(
        `Received notification of heartbeat expiration for member ${memberId} after group ${group.groupId} had ` +
          `already been unloaded or deleted.`,
      )
    } else if (isPending) {
      this.info(
        `Pending member ${memberId} in group ${group.groupId} has been removed after session timeout expiration.`,
      )
      this.removePendingMemberAndUpdateGroup(group, memberId)
    } else if (!group.has(memberId)) {
      this.debug(`Member ${memberId} has already been removed from the group.`)
    } else {
      const member = group.get(memberId)
      if (!member.hasSatisfiedHeartbeat) {
        this.info(
          `Member ${member.memberId} in group ${group.groupId} has failed, removing it from the group`,
        )
        this.removeMemberAndUpdateGroup(
          group,
          member,
          `removing member ${member.memberId} on heartbeat expiration`,
        )
      }
    }
  }

  private removeMemberAndUpdateGroup(group: GroupMetadata, member: MemberMetadata, reason: string): void {
    // A new member may time out while its JoinGroup waits in a rebalance: answer it first (UNKNOWN_MEMBER_ID
    // makes a still-active consumer join again).
    group.maybeInvokeJoinCallback(member, joinError('', ErrorCode.UNKNOWN_MEMBER_ID))
    group.remove(member.memberId)
    this.cancelHeartbeat(member)
    switch (group.currentState) {
      case 'Dead':
      case 'Empty':
        break
      case 'Stable':
      case 'CompletingRebalance':
        this.maybePrepareRebalance(group, reason)
        break
      case 'PreparingRebalance':
        this.checkAndCompleteJoin(group)
        break
    }
  }

  private removePendingMemberAndUpdateGroup(group: GroupMetadata, memberId: string): void {
    group.remove(memberId)
    if (group.is('PreparingRebalance')) this.checkAndCompleteJoin(group)
  }

  // ---------------------------------------------------------------- LeaveGroup

  /** LeaveGroup: a non-empty consumer group's (answered once written), else the classic group's (`leaveGroup`). */
  async leaveGroupAsync(
    groupId: string,
    leavingMembers: readonly LeaveGroupMember[],
  ): Promise<LeaveGroupResult> {
    const error = this.validateGroupStatus(groupId, 'LeaveGroup')
    if (error === null && this.consumerGroups.isInUse(groupId)) {
      return this.consumerGroups.classicLeave(groupId, leavingMembers)
    }
    return this.leaveGroup(groupId, leavingMembers)
  }

  leaveGroup(groupId: string, leavingMembers: readonly LeaveGroupMember[]): LeaveGroupResult {
    const error = this.validateGroupStatus(groupId, 'LeaveGroup')
    if (error !== null) return { error, members: [] }
    const group = this.groupManager.getGroup(groupId)
    if (group === undefined) {
      return {
        error: ErrorCode.NONE,
        members: leavingMembers.map((m) => ({ ...m, error: ErrorCode.UNKNOWN_MEMBER_ID })),
      }
    }
    if (group.is('Dead')) return { error: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] }

    const removeCurrentMemberFromGroup = (memberId: string, reason: string | null): void => {
      const member = group.get(memberId)
      const leaveReason = reason ?? 'not provided'
      this.removeMemberAndUpdateGroup(
        group,
        member,
        `Removing member ${memberId} on LeaveGroup; client reason: ${leaveReason}`,
      )
      this.info(
        `Member ${member.toString()} has left group ${groupId} through explicit \`LeaveGroup\`; client reason: ${leaveReason}`,
      )
    }

    const results = leavingMembers.map((leaving) => {
      const { memberId, groupInstanceId, reason } = leaving
      // Administrative removal by group instance id comes without a member id.
      if (memberId === '') {
        const current = groupInstanceId === null ? undefined : group.currentStaticMemberId(groupInstanceId)
        if (current === undefined) return { ...leaving, error: ErrorCode.UNKNOWN_MEMBER_ID }
        removeCurrentMemberFromGroup(current, reason)
        return { ...leaving, error: ErrorCode.NONE }
      }
      if (group.isPendingMember(memberId)) {
        this.removePendingMemberAndUpdateGroup(group, memberId)
        group.pendingMemberTimers.get(memberId)?.cancel()
        group.pendingMemberTimers.delete(memberId)
        this.info(
          `Pending member with memberId=${memberId} has left group ${group.groupId} through explicit \`LeaveGroup\` request`,
        )
        return { ...leaving, error: ErrorCode.NONE }
      }
      const memberError = this.validateCurrentMember(group, memberId, groupInstanceId, 'leave-group')
      if (memberError !== null) return { ...leaving, error: memberError }
      removeCurrentMemberFromGroup(memberId, reason)
      return { ...leaving, error: ErrorCode.NONE }
    })
    return { error: ErrorCode.NONE, members: results }
  }

  // ---------------------------------------------------------------- OffsetCommit

  /**
   * OffsetCommit v1+. Returns one result per distinct partition, in request order; a commit is acknowledged
   * only once its records are in `__consumer_offsets`.
   */
  async commitOffsets(p: OffsetCommitParams): Promise<OffsetCommitPartitionResult[]> {
    const now = this.clock.now()
    // v2-v4 may override the retention: the offset then expires at now + retention (old semantics).
    const expireTimestamp = p.retentionTimeMs === -1 ? null : now + p.retentionTimeMs
    const entries = pendingOffsets(
      p.partitions,
      (x) => (x.commitTimestamp === -1 ? now : x.commitTimestamp),
      expireTimestamp,
    )
    const all = (error: number): OffsetCommitPartitionResult[] =>
      entries.map((e) => ({ topic: e.topic, partition: e.partition, error }))

    const error = this.validateGroupStatus(p.groupId, 'OffsetCommit')
    if (error !== null) return all(error)
    const consumerError = this.consumerGroups.validateOffsetCommit(
      p.groupId,
      p.memberId,
      p.generationId,
      false,
      p.apiVersion ?? 9,
    )
    if (consumerError !== undefined) {
      // A consumer group (KIP-848): its offsets are kept in a classic group entry without members.
      if (consumerError !== null) return all(consumerError)
      const holder =
        this.groupManager.getGroup(p.groupId) ??
        this.addGroup(new GroupMetadata(p.groupId, 'Empty', () => this.clock.now()))
      return this.groupManager.storeOffsets(holder, p.memberId, entries, null)
    }
    let group = this.groupManager.getGroup(p.groupId)
    if (group === undefined) {
      if (p.generationId < 0) {
        // The group does not use Kafka's group management: allow the commit.
        this.info(`Creating simple consumer group ${p.groupId} via manual offset commit.`)
        group = this.addGroup(new GroupMetadata(p.groupId, 'Empty', () => this.clock.now()))
      } else {
        // Or the request comes from an older generation: either way, reject it.
        return all(ErrorCode.ILLEGAL_GENERATION)
      }
    }
    const validationError = this.validateOffsetCommit(
      group,
      p.generationId,
      p.memberId,
      p.groupInstanceId,
      false,
    )
    if (validationError !== null) return all(validationError)
    switch (group.currentState) {
      case 'Empty':
        return this.groupManager.storeOffsets(group, p.memberId, entries, null)
      case 'Stable':
      case 'PreparingRebalance':
        // Commits are allowed while preparing a rebalance: the heartbeat response tells the member to rejoin.
        this.completeAndScheduleNextHeartbeatExpiration(group, group.get(p.memberId))
        return this.groupManager.storeOffsets(group, p.memberId, entries, null)
      case 'CompletingRebalance':
        // The member has the new generation from its JoinGroup response but has not synced yet.
        return all(ErrorCode.REBALANCE_IN_PROGRESS)
      case 'Dead':
        throw new Error(`Logic error: unexpected group state ${group.currentState}`)
    }
  }

  /**
   * TxnOffsetCommit: the offsets stay pending (invisible to OffsetFetch, UNSTABLE_OFFSET_COMMIT with
   * require_stable) until `onTransactionCompleted` reports the producer's COMMIT or ABORT marker. Transaction
   * verification (KIP-890) is the caller's.
   */
  async commitTransactionalOffsets(
    p: TxnOffsetCommitParams,
    verify?: (offsetsPartition: number) => Promise<{ errorCode: number; guard?: VerificationGuard }>,
  ): Promise<OffsetCommitPartitionResult[]> {
    const now = this.clock.now()
    const entries = pendingOffsets(p.partitions, () => now, null)
    const all = (error: number): OffsetCommitPartitionResult[] =>
      entries.map((e) => ({ topic: e.topic, partition: e.partition, error }))
    let error = this.validateGroupStatus(p.groupId, 'TxnOffsetCommit')
    if (error !== null) return all(error)
    let verificationGuard = p.verificationGuard
    if (verify) {
      // KIP-890: the transaction must include this group's __consumer_offsets partition (AddOffsetsToTxn)
      const v = await verify(this.partitionFor(p.groupId))
      if (v.errorCode !== ErrorCode.NONE) return all(maybeConvertOffsetCommitError(v.errorCode))
      verificationGuard = v.guard
      error = this.validateGroupStatus(p.groupId, 'TxnOffsetCommit')
      if (error !== null) return all(error)
    }
    const group =
      this.groupManager.getGroup(p.groupId) ??
      this.addGroup(new GroupMetadata(p.groupId, 'Empty', () => this.clock.now()))
    const consumerError = this.consumerGroups.validateOffsetCommit(
      p.groupId,
      p.memberId,
      p.generationId,
      true,
      9,
    )
    const validationError =
      consumerError !== undefined
        ? consumerError
        : this.validateOffsetCommit(group, p.generationId, p.memberId, p.groupInstanceId, true)
    if (validationError !== null) return all(validationError)
    return this.groupManager.storeOffsets(group, p.memberId, entries, {
      producerId: p.producerId,
      producerEpoch: p.producerEpoch,
      verificationGuard,
    })
  }

  private validateOffsetCommit(
    group: GroupMetadata,
    generationId: number,
    memberId: string,
    groupInstanceId: string | null,
    isTransactional: boolean,
  ): number | null {
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    // Generation -1: the admin client or a consumer that does not use group management; it may commit
    // while the group is empty.
    if (generationId < 0 && group.is('Empty')) return null
    if (generationId >= 0 || memberId !== '' || groupInstanceId !== null) {
      const memberError = this.validateCurrentMember(
        group,
        memberId,
        groupInstanceId,
        isTransactional ? 'txn-offset-commit' : 'offset-commit',
      )
      if (memberError !== null) return memberError
      return generationId !== group.generationId ? ErrorCode.ILLEGAL_GENERATION : null
    }
    // Only members may commit to a non-empty group (transactional commits are exempt: older versions of that
    // protocol carry no member id or generation).
    if (!isTransactional && !group.is('Empty')) return ErrorCode.UNKNOWN_MEMBER_ID
    return null
  }

  /** A producer's transaction marker was written to the given `__consumer_offsets` partitions. */
  onTransactionCompleted(producerId: number, offsetsPartitions: readonly number[], isCommit: boolean): void {
    this.groupManager.handleTxnCompletion(producerId, offsetsPartitions, isCommit)
  }

  // ---------------------------------------------------------------- OffsetFetch

  /**
   * Offsets of a group, whatever its state (it may use Kafka only to store offsets). `partitions` null means
   * every partition the group has an offset for. A partition without an offset gets -1 and no error.
   */
  fetchOffsets(
    groupId: string,
    requireStable: boolean,
    partitions: readonly TopicPartition[] | null,
    member: { readonly memberId: string | null; readonly memberEpoch: number } | null = null,
  ): OffsetFetchResult {
    const error = this.validateGroupStatus(groupId, 'OffsetFetch')
    if (error !== null) return { error, partitions: [] }
    if (member !== null) {
      // OffsetFetch v9+: a consumer group member fetches with its member epoch.
      const memberError = this.consumerGroups.validateOffsetFetch(
        groupId,
        member.memberId,
        member.memberEpoch,
      )
      if (memberError !== undefined && memberError !== null) return { error: memberError, partitions: [] }
    }
    return {
      error: ErrorCode.NONE,
      partitions: this.groupManager.getOffsets(groupId, requireStable, partitions),
    }
  }

  // ---------------------------------------------------------------- DescribeGroups / ListGroups

  describeGroup(groupId: string): DescribeGroupResult {
    const error = this.validateGroupStatus(groupId, 'DescribeGroups')
    if (error !== null) return { error, summary: EMPTY_GROUP }
    const group = this.groupManager.getGroup(groupId)
    // A consumer group (KIP-848) is not a classic group: "Dead" before DescribeGroups v6, GROUP_ID_NOT_FOUND from it.
    if (this.consumerGroups.group(groupId) !== undefined) {
      return {
        error: ErrorCode.NONE,
        summary: DEAD_GROUP,
        notFound: `Group ${groupId} is not a classic group.`,
      }
    }
    if (group === undefined) {
      return { error: ErrorCode.NONE, summary: DEAD_GROUP, notFound: `Group ${groupId} not found.` }
    }
    return { error: ErrorCode.NONE, summary: group.summary() }
  }

  /**
   * Groups of every partition this broker coordinates. States match case-insensitively; an empty filter
   * matches all. Every group here is a "classic" group, so a type filter without "classic" matches none.
   */
  listGroups(statesFilter: readonly string[], typesFilter: readonly string[]): ListGroupsResult {
    if (!this.active) return { error: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] }
    const error = this.groupManager.isLoadingAnyPartition
      ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
      : ErrorCode.NONE
    const states = new Set(statesFilter.map((s) => s.toLowerCase()))
    const types = new Set(typesFilter.map((t) => t.toLowerCase()))
    const consumerIds = new Set(this.consumerGroups.allGroups().map((g) => g.groupId))
    const classic = types.size === 0 || types.has('classic')
    const groups = this.groupManager
      .currentGroups()
      // A consumer group's committed offsets are kept in a classic group entry without members: not listed.
      .filter((g) => (states.size === 0 || g.isInStates(states)) && classic && !consumerIds.has(g.groupId))
      .map((g) => g.overview())
    if (types.size === 0 || types.has('consumer')) {
      for (const g of this.consumerGroups.allGroups()) {
        if (states.size > 0 && !states.has(g.state.toLowerCase())) continue
        groups.push({ groupId: g.groupId, protocolType: 'consumer', state: g.state, groupType: 'consumer' })
      }
    }
    return { error, groups }
  }

  // ---------------------------------------------------------------- consumer groups (KIP-848)

  /** ConsumerGroupHeartbeat: join, reconcile or leave a consumer group. */
  consumerGroupHeartbeat(p: ConsumerGroupHeartbeatParams): Promise<ConsumerGroupHeartbeatResult> {
    return this.consumerGroups.heartbeat(p)
  }

  /** ConsumerGroupDescribe, one entry per requested group id in order. */
  consumerGroupDescribe(groupIds: readonly string[]): DescribedConsumerGroup[] {
    return groupIds.map((id) => this.consumerGroups.describe(id))
  }

  // ---------------------------------------------------------------- DeleteGroups / OffsetDelete

  /** Deletes Empty groups (their offsets and metadata are tombstoned); one error per distinct group id. */
  async deleteGroups(groupIds: readonly string[]): Promise<Map<string, number>> {
    const errors = new Map<string, number>()
    const eligible: GroupMetadata[] = []
    const consumerGroups: string[] = []
    for (const groupId of new Set(groupIds)) {
      const error = this.validateGroupStatus(groupId, 'DeleteGroups')
      if (error !== null) {
        errors.set(groupId, error)
        continue
      }
      // A consumer group (KIP-848) may be deleted when it has no members; its offsets live in a classic entry
      // without members, deleted beside it.
      const consumerGroup = this.consumerGroups.group(groupId)
      if (consumerGroup !== undefined) {
        if (consumerGroup.members.size > 0) {
          errors.set(groupId, ErrorCode.NON_EMPTY_GROUP)
          continue
        }
        consumerGroups.push(groupId)
        errors.set(groupId, ErrorCode.NONE)
      }
      const group = this.groupManager.getGroup(groupId)
      if (consumerGroup !== undefined && (group === undefined || group.is('Dead'))) continue
      if (group === undefined || group.is('Dead')) {
        errors.set(
          groupId,
          this.groupManager.groupNotExists(groupId)
            ? ErrorCode.GROUP_ID_NOT_FOUND
            : ErrorCode.NOT_COORDINATOR,
        )
      } else if (group.is('Empty')) {
        group.transitionTo('Dead')
        eligible.push(group)
        errors.set(groupId, ErrorCode.NONE)
      } else {
        errors.set(groupId, ErrorCode.NON_EMPTY_GROUP)
      }
    }
    for (const groupId of consumerGroups) {
      const error = await this.consumerGroups.deleteGroup(groupId)
      if (error !== ErrorCode.NONE) errors.set(groupId, error)
    }
    if (eligible.length > 0) {
      const removed = await this.groupManager.cleanupGroupMetadata(eligible, (g) => g.removeAllOffsets())
      this.info(
        `The following groups were deleted: ${eligible.map((g) => g.groupId).join(', ')}. ` +
          `A total of ${removed} offsets were removed.`,
      )
    }
    return errors
  }

  /**
   * Deletes committed offsets. Allowed for an Empty group, and for a consumer group for topics it does not
   * subscribe to (others get GROUP_SUBSCRIBED_TO_TOPIC); any other non-empty group gets NON_EMPTY_GROUP.
   */
  async deleteOffsets(groupId: string, partitions: readonly TopicPartition[]): Promise<DeleteOffsetsResult> {
    const error = this.validateGroupStatus(groupId, 'OffsetDelete')
    if (error !== null) return { error, partitions: [] }
    const group = this.groupManager.getGroup(groupId)
    if (group === undefined) {
      return {
        error: this.groupManager.groupNotExists(groupId)
          ? ErrorCode.GROUP_ID_NOT_FOUND
          : ErrorCode.NOT_COORDINATOR,
        partitions: [],
      }
    }
    const results = new Map<string, { topic: string; partition: number; error: number }>()
    let eligible: TopicPartition[] = []
    switch (group.currentState) {
      case 'Dead':
        return {
          error: this.groupManager.groupNotExists(groupId)
            ? ErrorCode.GROUP_ID_NOT_FOUND
            : ErrorCode.NOT_COORDINATOR,
          partitions: [],
        }
      case 'Empty':
        eligible = [...partitions]
        break
      default:
        if (!group.isConsumerGroup) return { error: ErrorCode.NON_EMPTY_GROUP, partitions: [] }
        for (const tp of partitions) {
          if (group.isSubscribedToTopic(tp.topic)) {
            results.set(tpKey(tp.topic, tp.partition), { ...tp, error: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC })
          } else {
            eligible.push(tp)
          }
        }
    }
    if (eligible.length > 0) {
      const removed = await this.groupManager.cleanupGroupMetadata([group], (g) => g.removeOffsets(eligible))
      for (const tp of eligible) results.set(tpKey(tp.topic, tp.partition), { ...tp, error: ErrorCode.NONE })
      this.info(
        `The following offsets of the group ${groupId} were deleted: ` +
          `${eligible.map((tp) => `${tp.topic}-${tp.partition}`).join(', ')}. A total of ${removed} offsets were removed.`,
      )
    }
    const ordered: OffsetCommitPartitionResult[] = []
    for (const tp of partitions) {
      const r = results.get(tpKey(tp.topic, tp.partition))
      if (r !== undefined && !ordered.includes(r)) ordered.push(r)
    }
    return { error: ErrorCode.NONE, partitions: ordered }
  }

  /** Removes the offsets of deleted topic partitions from every group. */
  async onPartitionsDeleted(tps: readonly TopicPartition[]): Promise<void> {
    const removed = await this.groupManager.cleanupGroupMetadata(this.groupManager.currentGroups(), (g) =>
      g.removeOffsets(tps),
    )
    this.info(
      `Removed ${removed} offsets associated with deleted partitions: ${tps.map((tp) => `${tp.topic}-${tp.partition}`).join(', ')}.`,
    )
  }

  /** The periodic task (`offsets.retention.check.interval.ms`): expire offsets, drop dead groups. */
  cleanupExpiredOffsets(): Promise<number> {
    return this.groupManager.cleanupExpiredOffsets()
  }

  /** Persists the group's metadata with the given assignment (GroupMetadataManager.storeGroup). */
  private storeGroup(
    group: GroupMetadata,
    assignment: ReadonlyMap<string, Buffer>,
    callback: (error: number) => void,
  ): void {
    this.groupManager.storeGroup(group, assignment, callback)
  }

  // ---------------------------------------------------------------- ownership (load / unload)

  /**
   * This broker became the leader of `__consumer_offsets-<partition>` in `leaderEpoch`: load its groups and
   * offsets and serve them. Resolves when the load task has run.
   */
  onElection(partition: number, leaderEpoch: number): Promise<void> {
    this.info(`Elected as the group coordinator for partition ${partition} in epoch ${leaderEpoch}`)
    return this.groupManager.scheduleLoadGroupAndOffsets(
      partition,
      leaderEpoch,
      (g) => this.onGroupLoaded(g),
      (p, records) => this.consumerGroups.loadPartition(p, records),
    )
  }

  /** This broker is no longer the leader: drop the partition's groups. `leaderEpoch` undefined = unknown. */
  onResignation(partition: number, leaderEpoch?: number): Promise<void> {
    this.info(
      `Resigned as the group coordinator for partition ${partition} in epoch ` +
        `${leaderEpoch ?? 'unknown'}`,
    )
    this.consumerGroups.unloadPartition(partition)
    return this.groupManager.removeGroupsForPartition(partition, leaderEpoch, (g) => this.onGroupUnloaded(g))
  }

  private onGroupLoaded(group: GroupMetadata): void {
    this.info(`Loading group metadata for ${group.groupId} with generation ${group.generationId}`)
    if (group.size > this.config.groupMaxSize) {
      this.prepareRebalance(
        group,
        `Freshly-loaded group is over capacity (${this.config.groupMaxSize}). Rebalancing in order to give a chance ` +
          `for consumers to commit offsets`,
      )
    }
    for (const m of group.allMemberMetadata) this.completeAndScheduleNextHeartbeatExpiration(group, m)
  }

  private onGroupUnloaded(group: GroupMetadata): void {
    this.info(`Unloading group metadata for ${group.groupId} with generation ${group.generationId}`)
    const previous = group.currentState
    group.transitionTo('Dead')
    switch (previous) {
      case 'Empty':
      case 'Dead':
        break
      case 'PreparingRebalance':
        for (const m of group.allMemberMetadata) {
          group.maybeInvokeJoinCallback(m, joinError(m.memberId, ErrorCode.NOT_COORDINATOR))
        }
        break
      case 'Stable':
      case 'CompletingRebalance':
        for (const m of group.allMemberMetadata)
          group.maybeInvokeSyncCallback(m, syncError(ErrorCode.NOT_COORDINATOR))
        break
    }
    this.removeSyncExpiration(group)
    this.cancelGroupTimers(group)
  }

  // ---------------------------------------------------------------- helpers

  private cancelGroupTimers(group: GroupMetadata): void {
    group.joinOp?.timer.cancel()
    group.joinOp = null
    group.syncOp?.timer.cancel()
    group.syncOp = null
    for (const t of group.pendingMemberTimers.values()) t.cancel()
    group.pendingMemberTimers.clear()
    for (const m of group.allMemberMetadata) this.cancelHeartbeat(m)
  }

  /** Schedules a delayed-operation callback; an error in it is logged, never thrown into the event loop. */
  private schedule(name: string, delayMs: number, fn: () => void, periodMs?: number): ScheduledTask {
    if (this.shuttingDown) return { cancel: () => {} }
    return this.scheduler.schedule(
      name,
      () => {
        if (this.shuttingDown) return
        try {
          fn()
        } catch (e) {
          this.error(`Error in delayed operation: ${describeError(e)}`)
        }
      },
      delayMs,
      periodMs,
    )
  }

  private isValidGroupId(groupId: string, api: GroupApi): boolean {
    switch (api) {
      case 'OffsetCommit':
      case 'OffsetFetch':
      case 'DescribeGroups':
      case 'DeleteGroups':
      case 'ConsumerGroupHeartbeat':
      case 'ConsumerGroupDescribe':
        // The empty group id stays valid for offsets (backwards compatibility), DescribeGroups and
        // DeleteGroups; the consumer group APIs check it themselves (INVALID_REQUEST / GROUP_ID_NOT_FOUND).
        return true
      default:
        return groupId !== ''
    }
  }

  /** The group id is valid, this coordinator is active, owns the group's partition and has loaded it. */
  private validateGroupStatus(groupId: string, api: GroupApi): number | null {
    if (!this.isValidGroupId(groupId, api)) return ErrorCode.INVALID_GROUP_ID
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    const partition = this.partitionFor(groupId)
    if (this.groupManager.isPartitionLoading(partition)) return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
    if (!this.groupManager.isPartitionOwned(partition)) return ErrorCode.NOT_COORDINATOR
    return null
  }

  private getOrMaybeCreateGroup(groupId: string, createIfNotExist: boolean): GroupMetadata | undefined {
    const g = this.groupManager.getGroup(groupId)
    if (g !== undefined || !createIfNotExist) return g
    return this.addGroup(new GroupMetadata(groupId, 'Empty', () => this.clock.now()))
  }

  private addGroup(group: GroupMetadata): GroupMetadata {
    return this.groupManager.addGroup(group)
  }

  private info(msg: string): void {
    this.logger.info(`[GroupCoordinator ${this.config.brokerId}]: ${msg}`)
  }

  private warn(msg: string): void {
    this.logger.warn(`[GroupCoordinator ${this.config.brokerId}]: ${msg}`)
  }

  private error(msg: string): void {
    this.logger.error(`[GroupCoordinator ${this.config.brokerId}]: ${msg}`)
  }

  private debug(msg: string): void {
    this.logger.debug(`[GroupCoordinator ${this.config.brokerId}]: ${msg}`)
  }
}

/** The offsets of a commit request, one per distinct partition (a repeated partition's last entry wins). */
function pendingOffsets<
  X extends {
    topic: string
    partition: number
    offset: number
    leaderEpoch: number
    metadata: string | null
  },
>(
  partitions: readonly X[],
  commitTimestamp: (x: X) => number,
  expireTimestamp: number | null,
): PendingOffset[] {
  const offsets = new Map<string, PendingOffset>()
  for (const x of partitions) {
    offsets.set(tpKey(x.topic, x.partition), {
      topic: x.topic,
      partition: x.partition,
      offsetAndMetadata: {
        offset: x.offset,
        leaderEpoch: x.leaderEpoch,
        metadata: x.metadata ?? '',
        commitTimestamp: commitTimestamp(x),
        expireTimestamp,
      },
    })
  }
  return [...offsets.values()]
}
