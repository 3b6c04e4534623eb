/**
 * The consumer group protocol of KIP-848 (Kafka's GroupMetadataManager.consumerGroupHeartbeat and friends), beside
 * the classic protocol: ConsumerGroupHeartbeat and ConsumerGroupDescribe.
 *
 * A heartbeat joins (member epoch 0), leaves (-1; -2 for a static member's temporary leave) or reconciles. Every
 * change of the members, their subscriptions or the subscribed topics (created, deleted, grown — seen on each
 * heartbeat) bumps the group epoch; the next heartbeat then computes a new target assignment with the group's
 * assignor, and every member reconciles towards it on its own heartbeats (member.ts: revoke before assign).
 * Timers run on the injected scheduler: a member is fenced (removed, group epoch bumped) when its session times
 * out (`group.consumer.session.timeout.ms` after its last heartbeat) or when it keeps partitions it must revoke
 * longer than its rebalance timeout.
 *
 * The groups live in memory on the coordinator of their `__consumer_offsets` partition and durably in it: what a
 * heartbeat (or a timer) changed is written as Kafka's consumer group records (persistence.ts) before the heartbeat
 * is answered; a failed write puts the group back to what the log holds. A new coordinator rebuilds the groups
 * from those records (`loadPartition`); the caller drops them when it resigns (`unloadPartition`).
 */
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import type * as Re2js from 're2js'
import type { RE2JS } from 're2js'
import { ErrorCode, toErrorCode } from '../../../protocol/errors.js'
import { AppendErrors, coordinatorAppendError } from '../../coordinator/append-errors.js'
import {
  encodeConsumerGroupRecord,
  type ConsumerGroupRecord,
} from '../../../protocol/messages/data/consumer-group-records.js'
import type { GroupLogAppendRecord } from '../log-store.js'
import type { ScheduledTask, Scheduler } from '../../../util/scheduler.js'
import type { Logger } from '../../../util/logger.js'
import { isDowngradeEnabled, isUpgradeEnabled, type GroupCoordinatorConfig } from '../config.js'
import {
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
} from '../../../protocol/messages/data/consumer-protocol.js'
import { CONSUMER_PROTOCOL_TYPE, joinError, syncError } from '../group.js'
import type {
  HeartbeatParams,
  JoinGroupParams,
  JoinGroupResult,
  LeaveGroupMember,
  LeaveGroupResult,
  SyncGroupParams,
  SyncGroupResult,
} from '../types.js'
import {
  assignmentEntries,
  assignmentEquals,
  assignmentOf,
  EMPTY_ASSIGNMENT,
  isSubset,
  type Assignment,
} from './assignment.js'
import { CONSUMER_GROUP_ASSIGNORS, type AssignmentMemberSpec } from './assignors.js'
import { ConsumerGroup, type ConsumerGroupSnapshot } from './group.js'
import { recordsBetween, replayConsumerGroupRecords } from './persistence.js'
import {
  LEAVE_GROUP_MEMBER_EPOCH,
  LEAVE_GROUP_STATIC_MEMBER_EPOCH,
  newMember,
  reconcile,
  type ClassicMemberMetadata,
  type ConsumerGroupMember,
} from './member.js'

/** re2js loads on the first regular-expression subscription (KIP-848), not at every broker start. */
let re2jsModule: typeof Re2js | undefined
function re2js(): typeof Re2js {
  return (re2jsModule ??= createRequire(import.meta.url)('re2js') as typeof Re2js)
}

/** The topics the coordinator can assign: name -> id and partition count (the broker's metadata cache). */
export interface TopicInfo {
  readonly id: string
  readonly partitions: { readonly size: number }
}

export type TopicsView = () => ReadonlyMap<string, TopicInfo>

export interface TopicPartitions {
  readonly topicId: string
  readonly partitions: readonly number[]
}

export interface ConsumerGroupHeartbeatParams {
  readonly apiVersion: number
  readonly groupId: string
  readonly memberId: string
  readonly memberEpoch: number
  readonly instanceId: string | null
  readonly rackId: string | null
  readonly rebalanceTimeoutMs: number
  readonly subscribedTopicNames: readonly string[] | null
  readonly subscribedTopicRegex: string | null
  readonly serverAssignor: string | null
  readonly topicPartitions: readonly TopicPartitions[] | null
  readonly clientId: string
  readonly clientHost: string
  /**
   * Whether the member's principal may Describe a topic (Kafka 4.0's filterTopicDescribeAuthorizedTopics): a
   * regular expression subscription resolves only to such topics. Absent: every topic.
   */
  readonly topicDescribable?: (topicName: string) => boolean
}

export interface ConsumerGroupHeartbeatResult {
  readonly errorCode: number
  readonly errorMessage: string | null
  readonly memberId: string | null
  readonly memberEpoch: number
  readonly heartbeatIntervalMs: number
  readonly assignment: { readonly topicPartitions: TopicPartitions[] } | null
}

export interface DescribedAssignment {
  readonly topicPartitions: { topicId: string; topicName: string; partitions: number[] }[]
}

export interface DescribedConsumerGroup {
  readonly errorCode: number
  readonly errorMessage: string | null
  readonly groupId: string
  readonly groupState: string
  readonly groupEpoch: number
  readonly assignmentEpoch: number
  readonly assignorName: string
  readonly members: {
    memberId: string
    instanceId: string | null
    rackId: string | null
    memberEpoch: number
    clientId: string
    clientHost: string
    subscribedTopicNames: string[]
    subscribedTopicRegex: string | null
    assignment: DescribedAssignment
    targetAssignment: DescribedAssignment
    memberType: number
  }[]
}

/** A member of a classic group as an online migration carries it over (either way). */
export interface ClassicGroupMemberView {
  readonly memberId: string
  readonly instanceId: string | null
  readonly clientId: string
  readonly clientHost: string
  readonly rebalanceTimeoutMs: number
  readonly sessionTimeoutMs: number
  readonly supportedProtocols: readonly { readonly name: string; readonly metadata: Buffer }[]
  /** The embedded consumer protocol assignment (empty when the member has none yet). */
  readonly assignment: Buffer
}

export interface ClassicGroupView {
  readonly generationId: number
  readonly protocolType: string | null
  readonly protocolName: string | null
  readonly members: readonly ClassicGroupMemberView[]
}

/** The classic side of the group namespace, for the online migration between the two protocols. */
export interface ClassicGroupBridge {
  /** The classic group with members under this id, if there is one. */
  inUse(groupId: string): ClassicGroupView | undefined
  /**
   * Upgrade: the classic group gives its members up (its pending JoinGroup/SyncGroup are answered with
   * REBALANCE_IN_PROGRESS, its timers stop) and keeps its offsets. Returns the records that go with the consumer
   * group's first ones (the classic group's tombstone), and how to take the members back if that write fails.
   */
  release(groupId: string): MigrationChange
  /**
   * Downgrade: the classic group takes these members back, Stable, and rebalances when `rebalance` says so.
   * Returns its records (written with the consumer group's tombstones), and how to drop it again if that write
   * fails.
   */
  adopt(groupId: string, group: ClassicGroupView, rebalance: boolean): MigrationChange
}

/** The classic side of a conversion: its records, and the undo for when their write fails. */
export interface MigrationChange {
  readonly records: readonly GroupLogAppendRecord[]
  readonly undo: () => void
}

export interface ConsumerGroupCoordinatorOptions {
  readonly config: GroupCoordinatorConfig
  readonly scheduler: Scheduler
  readonly logger: Logger
  readonly topics: TopicsView
  /** null when this broker serves the group now, else the error to answer (NOT_COORDINATOR, ...). */
  readonly groupStatus: (groupId: string) => number | null
  /** The classic groups (the two protocols share one namespace). */
  readonly classicGroups: ClassicGroupBridge
  /** `__consumer_offsets` partition of a group. */
  readonly partitionFor: (groupId: string) => number
  /**
   * Appends records to a `__consumer_offsets` partition as its leader, waiting for the ISR (acks=all); rejects with
   * a `KafkaError` carrying the produce error.
   */
  readonly append: (partition: number, records: readonly GroupLogAppendRecord[]) => Promise<unknown>
}

/** Topics a regular expression never matches (the Java consumer's `exclude.internal.topics`). */
const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state'])

class GroupError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message)
  }
}

/** A random id in Kafka's Uuid.toString form (22 characters of URL-safe base64). */
export function newMemberId(): string {
  return randomBytes(16).toString('base64url')
}

export class ConsumerGroupCoordinator {
  private readonly groups = new Map<string, ConsumerGroup>()
  private readonly sessionTimers = new Map<string, ScheduledTask>()
  private readonly rebalanceTimers = new Map<string, ScheduledTask>()
  /** Classic members: the JoinGroup deadline after a REBALANCE_IN_PROGRESS, the SyncGroup deadline after a join. */
  private readonly classicTimers = new Map<string, ScheduledTask>()
  /** Records to write before a group's next changes (the tombstone of the classic group it was converted from). */
  private readonly pendingRecords = new Map<string, GroupLogAppendRecord[]>()
  /** Per group: how to undo the classic side of a conversion whose records are pending (Kafka's timeline revert). */
  private readonly pendingUndos = new Map<string, (() => void)[]>()
  private readonly regexCache = new Map<string, RE2JS>()
  /**
   * Per group and member: whether the principal of its latest heartbeat may Describe a topic, which narrows its
   * regular expression. Not persisted: a member loaded from the log resolves its expression to the matching topics
   * already in its target assignment until its next heartbeat brings its principal.
   */
  private readonly describable = new Map<
    string,
    Map<string, (topicName: string, topicId: string) => boolean>
  >()
  /** What `__consumer_offsets` holds for each group (absent: nothing, or its tombstones). */
  private readonly persisted = new Map<string, ConsumerGroupSnapshot>()
  /** Per group: the tail of its chain of writes, and how often a failed write rolled it back (and with what). */
  private readonly writes = new Map<string, Promise<void>>()
  private readonly rollbacks = new Map<string, { count: number; error: number }>()

  constructor(private readonly o: ConsumerGroupCoordinatorOptions) {}

  private get config(): GroupCoordinatorConfig {
    return this.o.config
  }

  /** The consumer group, for inspection (tests, ListGroups, admin tooling). */
  group(groupId: string): ConsumerGroup | undefined {
    return this.groups.get(groupId)
  }

  /** True when the id names a consumer group that has members. */
  isInUse(groupId: string): boolean {
    return (this.groups.get(groupId)?.members.size ?? 0) > 0
  }

  allGroups(): ConsumerGroup[] {
    return [...this.groups.values()]
  }

  // ---------------------------------------------------------------- ConsumerGroupHeartbeat

  /**
   * Handles a heartbeat and answers once what it changed is in `__consumer_offsets` (as Kafka's coordinator runtime
   * does); a failed write undoes the change and is answered with the write's error.
   */
  async heartbeat(p: ConsumerGroupHeartbeatParams): Promise<ConsumerGroupHeartbeatResult> {
    const result = this.handleHeartbeat(p)
    const error = await this.persistChanges(p.groupId)
    return error === null ? result : errorResult(error, '')
  }

  /**
   * Writes what a request changed and tells whether the state it was answered from is in the log: null, else
   * the error of the write (also when a write queued before it failed and undid that state).
   */
  private async persistChanges(groupId: string): Promise<number | null> {
    if (!this.groups.has(groupId) && !this.persisted.has(groupId) && !this.pendingRecords.has(groupId)) {
      return null
    }
    const rolledBack = this.rollbacks.get(groupId)?.count ?? 0
    return this.persist(groupId).then(
      () => {
        const r = this.rollbacks.get(groupId)
        return r !== undefined && r.count !== rolledBack ? r.error : null
      },
      (e: unknown) => writeErrorCode(e),
    )
  }

  private handleHeartbeat(p: ConsumerGroupHeartbeatParams): ConsumerGroupHeartbeatResult {
    try {
      this.validateRequest(p)
      const status = this.o.groupStatus(p.groupId)
      if (status !== null) throw new GroupError(status, '')
      if (p.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH || p.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
        return this.leave(p)
      }
      return this.joinOrReconcile(p)
    } catch (e) {
      if (!(e instanceof GroupError)) throw e
      return errorResult(e.code, e.message)
    }
  }

  // ---------------------------------------------------------------- persistence

  /**
   * Writes what changed in the group since its last write (nothing when nothing did), after the writes already
   * queued for it. On failure the group goes back to what the log holds and every heartbeat waiting on the
   * undone state is answered with the error.
   */
  persist(groupId: string): Promise<void> {
    const run = (this.writes.get(groupId) ?? Promise.resolve()).then(() => this.writeChanges(groupId))
    const tail = run.catch(() => {})
    this.writes.set(groupId, tail)
    void tail.then(() => {
      if (this.writes.get(groupId) === tail) this.writes.delete(groupId)
    })
    return run
  }

  private async writeChanges(groupId: string): Promise<void> {
    const group = this.groups.get(groupId)
    const after = group?.snapshot()
    const before = this.persisted.get(groupId)
    const records = recordsBetween(groupId, before, after)
    const extra = this.pendingRecords.get(groupId) ?? []
    this.pendingRecords.delete(groupId)
    const undos = this.pendingUndos.get(groupId) ?? []
    this.pendingUndos.delete(groupId)
    if (records.length === 0 && extra.length === 0) return
    const now = this.o.scheduler.clock.now()
    try {
      await this.o.append(this.o.partitionFor(groupId), [
        ...extra,
        ...records.map((r) => ({ ...encodeConsumerGroupRecord(r), timestamp: now })),
      ])
    } catch (e) {
      const code = writeErrorCode(e)
      this.o.logger.warn(
        `[GroupCoordinator ${this.config.brokerId}]: [GroupId ${groupId}] Writing ${records.length} records ` +
          `failed with error code ${code}; the group is reverted to its last written state.`,
      )
      const r = this.rollbacks.get(groupId)
      this.rollbacks.set(groupId, { count: (r?.count ?? 0) + 1, error: code })
      this.revert(groupId, before)
      // the classic side of a conversion in this write goes back too (newest first)
      for (const undo of undos.reverse()) undo()
      throw e
    }
    if (after === undefined) this.persisted.delete(groupId)
    else this.persisted.set(groupId, after)
  }

  /** Puts a group back to what the log holds, with timers for the members it has again and none for the others. */
  private revert(groupId: string, to: ConsumerGroupSnapshot | undefined): void {
    let group = this.groups.get(groupId)
    if (group === undefined) {
      // a deletion that did not reach the log
      if (to === undefined) return
      group = new ConsumerGroup(groupId)
      this.groups.set(groupId, group)
    }
    const had = [...group.members.keys()]
    if (to === undefined) {
      this.groups.delete(groupId)
    } else {
      group.restore(to)
    }
    for (const id of had) if (to?.members.has(id) !== true) this.cancelTimers(groupId, id)
    for (const m of to?.members.values() ?? []) {
      if (!this.sessionTimers.has(this.key(groupId, m.memberId)))
        this.scheduleSessionTimeout(groupId, m.memberId)
    }
  }

  /** Rebuilds the consumer groups of a `__consumer_offsets` partition from its records (coordinator load). */
  loadPartition(partition: number, records: readonly ConsumerGroupRecord[]): void {
    for (const [groupId, snapshot] of replayConsumerGroupRecords(records)) {
      if (this.o.partitionFor(groupId) !== partition || this.groups.has(groupId)) continue
      const group = new ConsumerGroup(groupId)
      group.restore(snapshot)
      this.groups.set(groupId, group)
      this.persisted.set(groupId, snapshot)
      this.info(
        `[GroupId ${groupId}] Loaded consumer group with epoch ${group.groupEpoch} and ${group.members.size} members.`,
      )
      for (const m of group.members.values()) {
        this.scheduleSessionTimeout(groupId, m.memberId)
        if (m.state === 'UNREVOKED_PARTITIONS') this.scheduleRebalanceTimeout(groupId, m)
      }
    }
  }

  /** Kafka's throwIfConsumerGroupHeartbeatRequestIsInvalid. */
  private validateRequest(p: ConsumerGroupHeartbeatParams): void {
    const invalid = (msg: string): GroupError => new GroupError(ErrorCode.INVALID_REQUEST, msg)
    if (p.groupId === '') throw invalid("GroupId can't be empty.")
    if (p.apiVersion >= 1 && p.memberId === '') throw invalid("MemberId can't be empty.")
    if (p.instanceId !== null && p.instanceId === '') throw invalid("InstanceId can't be empty.")
    if (p.rackId !== null && p.rackId === '') throw invalid("RackId can't be empty.")
    if (p.subscribedTopicNames !== null && p.subscribedTopicRegex !== null) {
      throw invalid('SubscribedTopicNames and SubscribedTopicRegex cannot be used together.')
    }
    if (p.memberEpoch > 0 || p.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH) {
      if (p.memberId === '') throw invalid("MemberId can't be empty.")
    } else if (p.memberEpoch === 0) {
      if (p.rebalanceTimeoutMs === -1) throw invalid('RebalanceTimeoutMs must be provided in first request.')
      if (p.topicPartitions === null || p.topicPartitions.length > 0) {
        throw invalid('TopicPartitions must be empty when (re-)joining.')
      }
      if (p.subscribedTopicNames === null && p.subscribedTopicRegex === null) {
        throw invalid('SubscribedTopicNames or SubscribedTopicRegex must be set in first request.')
      }
    } else if (p.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      if (p.memberId === '') throw invalid("MemberId can't be empty.")
      if (p.instanceId === null) throw invalid("InstanceId can't be null.")
    } else {
      throw invalid(`MemberEpoch is invalid.`)
    }
    if (p.subscribedTopicRegex !== null) this.regex(p.subscribedTopicRegex)
    if (p.serverAssignor !== null && !this.config.consumerGroupAssignors.includes(p.serverAssignor)) {
      throw new GroupError(
        ErrorCode.UNSUPPORTED_ASSIGNOR,
        `ServerAssignor ${p.serverAssignor} is not supported. Supported assignors: ` +
          `${this.config.consumerGroupAssignors.join(', ')}.`,
      )
    }
  }

  /** Compiles an RE2/J regular expression (cached); INVALID_REGULAR_EXPRESSION when it does not compile. */
  private regex(source: string): RE2JS {
    let r = this.regexCache.get(source)
    if (r === undefined) {
      try {
        r = re2js().RE2JS.compile(source)
      } catch (e) {
        throw new GroupError(
          ErrorCode.INVALID_REGULAR_EXPRESSION,
          `SubscribedTopicRegex is not a valid regular expression: ${(e as Error).message}.`,
        )
      }
      if (this.regexCache.size > 1000) this.regexCache.clear()
      this.regexCache.set(source, r)
    }
    return r
  }

  private joinOrReconcile(p: ConsumerGroupHeartbeatParams): ConsumerGroupHeartbeatResult {
    const group = this.getOrMaybeCreateGroup(p.groupId, p.memberEpoch === 0)
    const memberId = p.memberEpoch === 0 && p.memberId === '' ? newMemberId() : p.memberId
    let member: ConsumerGroupMember
    let created = false
    let replaced: ConsumerGroupMember | undefined
    const full = (): GroupError =>
      new GroupError(
        ErrorCode.GROUP_MAX_SIZE_REACHED,
        `The consumer group has reached its maximum capacity of ${this.config.consumerGroupMaxSize} members.`,
      )
    if (p.instanceId !== null) {
      const existing = group.staticMember(p.instanceId)
      if (p.memberEpoch === 0) {
        if (existing !== undefined && existing.memberEpoch !== LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
          throw new GroupError(
            ErrorCode.UNRELEASED_INSTANCE_ID,
            `Static member ${existing.memberId} with instance id ${p.instanceId} is not released yet.`,
          )
        }
        if (existing !== undefined) {
          // A new incarnation of a static member takes over its epoch and assignment.
          replaced = existing
          member = { ...existing, memberId, memberEpoch: existing.previousMemberEpoch }
        } else {
          if (group.members.size >= this.config.consumerGroupMaxSize) throw full()
          member = newMember(memberId)
          created = true
        }
      } else {
        member = this.knownStaticMember(existing, p.memberId, p.instanceId)
        this.checkMemberEpoch(member, p)
      }
    } else {
      const existing = group.members.get(memberId)
      if (existing !== undefined) {
        if (p.memberEpoch !== 0) this.checkMemberEpoch(existing, p)
        member = existing
      } else if (p.memberEpoch === 0) {
        if (group.members.size >= this.config.consumerGroupMaxSize) throw full()
        member = newMember(memberId)
        created = true
      } else {
        throw new GroupError(
          ErrorCode.UNKNOWN_MEMBER_ID,
          `Member ${memberId} is not a member of group ${group.groupId}.`,
        )
      }
    }

    const before = created ? EMPTY_ASSIGNMENT : member.assignedPartitions
    const updated: ConsumerGroupMember = {
      ...member,
      instanceId: p.instanceId,
      rackId: p.rackId ?? member.rackId,
      clientId: p.clientId,
      clientHost: p.clientHost,
      rebalanceTimeoutMs: p.rebalanceTimeoutMs === -1 ? member.rebalanceTimeoutMs : p.rebalanceTimeoutMs,
      subscribedTopicNames:
        p.subscribedTopicNames ?? (p.subscribedTopicRegex !== null ? [] : member.subscribedTopicNames),
      subscribedTopicRegex:
        p.subscribedTopicRegex ?? (p.subscribedTopicNames !== null ? null : member.subscribedTopicRegex),
      serverAssignor: p.serverAssignor ?? member.serverAssignor,
    }
    const owned = p.topicPartitions === null ? null : assignmentOf(p.topicPartitions)
    let auth = this.describable.get(group.groupId)
    if (auth === undefined) this.describable.set(group.groupId, (auth = new Map()))
    auth.set(memberId, p.topicDescribable ?? (() => true))
    const reconciled = this.updateAndReconcile(group, member, updated, created, replaced, owned)

    // Kafka's rule: the assignment goes out on a full request — joining (epoch 0), or every field a client must
    // send after an error (rebalance timeout, subscription, owned partitions) — and whenever it changed.
    const fullRequest =
      p.memberEpoch === 0 ||
      (p.rebalanceTimeoutMs !== -1 &&
        (p.subscribedTopicNames !== null || p.subscribedTopicRegex !== null) &&
        p.topicPartitions !== null)
    const sendAssignment = fullRequest || !assignmentEquals(before, reconciled.assignedPartitions)
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId,
      memberEpoch: reconciled.memberEpoch,
      heartbeatIntervalMs: this.config.consumerGroupHeartbeatIntervalMs,
      assignment: sendAssignment
        ? { topicPartitions: assignmentEntries(reconciled.assignedPartitions) }
        : null,
    }
  }

  /**
   * Steps 1-3 of a heartbeat or a classic member's JoinGroup: puts the updated member in the group (bumping the
   * group epoch when its subscription or the subscribed topics changed), computes a new target assignment when the
   * group epoch moved past it, and reconciles the member towards its target (`owned`: the partitions it says it
   * owns, null when it did not say).
   */
  private updateAndReconcile(
    group: ConsumerGroup,
    member: ConsumerGroupMember,
    updated: ConsumerGroupMember,
    created: boolean,
    replaced: ConsumerGroupMember | undefined,
    owned: Assignment | null,
  ): ConsumerGroupMember {
    const memberId = updated.memberId
    let bump =
      created ||
      !sameList(updated.subscribedTopicNames, member.subscribedTopicNames) ||
      updated.subscribedTopicRegex !== member.subscribedTopicRegex ||
      updated.serverAssignor !== member.serverAssignor ||
      updated.rackId !== member.rackId

    if (replaced !== undefined) {
      this.cancelTimers(group.groupId, replaced.memberId)
      group.removeMemberKeepingTarget(replaced.memberId, memberId)
      this.info(
        `[GroupId ${group.groupId}] Static member ${replaced.memberId} with instance id ${updated.instanceId} ` +
          `is replaced by member ${memberId}.`,
      )
    }
    group.updateMember(updated)
    const metadata = this.subscriptionMetadata(group)
    if (!sameMap(metadata, group.subscriptionMetadata)) {
      group.subscriptionMetadata = metadata
      bump = true
    }
    if (bump) {
      group.groupEpoch += 1
      this.info(
        `[GroupId ${group.groupId}] Bumped group epoch to ${group.groupEpoch}` +
          (created ? ` (member ${memberId} joined).` : '.'),
      )
    }
    if (group.groupEpoch > group.targetAssignmentEpoch) this.computeTargetAssignment(group)

    const reconciled = reconcile(
      updated,
      group.targetAssignmentEpoch,
      group.targetAssignment.get(memberId) ?? EMPTY_ASSIGNMENT,
      group.partitionEpochs(memberId),
      owned,
    )
    group.updateMember(reconciled)
    this.scheduleSessionTimeout(group.groupId, memberId)
    if (reconciled.state === 'UNREVOKED_PARTITIONS') {
      if (updated.state !== 'UNREVOKED_PARTITIONS' || created || replaced !== undefined) {
        this.scheduleRebalanceTimeout(group.groupId, reconciled)
      }
    } else {
      this.cancelRebalanceTimeout(group.groupId, memberId)
    }
    return reconciled
  }

  /** Kafka's throwIfStaticMemberIsUnknown: the static member must exist and have the request's member id. */
  private knownStaticMember(
    existing: ConsumerGroupMember | undefined,
    memberId: string,
    instanceId: string,
  ): ConsumerGroupMember {
    if (existing === undefined) {
      throw new GroupError(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${instanceId} is unknown.`)
    }
    if (existing.memberId !== memberId) {
      throw new GroupError(
        ErrorCode.FENCED_INSTANCE_ID,
        `Static member ${memberId} with instance id ${instanceId} was fenced by member ${existing.memberId}.`,
      )
    }
    return existing
  }

  /** Kafka's throwIfMemberEpochIsInvalid. */
  private checkMemberEpoch(member: ConsumerGroupMember, p: ConsumerGroupHeartbeatParams): void {
    if (p.memberEpoch > member.memberEpoch) {
      throw new GroupError(
        ErrorCode.FENCED_MEMBER_EPOCH,
        `The consumer group member has a greater member epoch (${p.memberEpoch}) than the one known by the ` +
          `group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`,
      )
    }
    if (p.memberEpoch < member.memberEpoch) {
      // The response carrying the new epoch may have been lost: the previous epoch is fine while the member owns
      // no more than it is assigned.
      const owned = p.topicPartitions === null ? null : assignmentOf(p.topicPartitions)
      if (
        p.memberEpoch !== member.previousMemberEpoch ||
        owned === null ||
        !isSubset(owned, member.assignedPartitions)
      ) {
        throw new GroupError(
          ErrorCode.FENCED_MEMBER_EPOCH,
          `The consumer group member has a smaller member epoch (${p.memberEpoch}) than the one known by the ` +
            `group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`,
        )
      }
    }
  }

  private leave(p: ConsumerGroupHeartbeatParams): ConsumerGroupHeartbeatResult {
    const group = this.getOrMaybeCreateGroup(p.groupId, false)
    let member: ConsumerGroupMember | undefined
    if (p.instanceId !== null) {
      member = this.knownStaticMember(group.staticMember(p.instanceId), p.memberId, p.instanceId)
    } else {
      member = group.members.get(p.memberId)
      if (member === undefined) {
        throw new GroupError(
          ErrorCode.UNKNOWN_MEMBER_ID,
          `Member ${p.memberId} is not a member of group ${group.groupId}.`,
        )
      }
    }
    if (p.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      // A temporary leave: the static member keeps its assignment until its session times out or it comes back.
      this.info(
        `[GroupId ${group.groupId}] Static member ${member.memberId} with instance id ${p.instanceId} left temporarily.`,
      )
      group.updateMember({
        ...member,
        memberEpoch: LEAVE_GROUP_STATIC_MEMBER_EPOCH,
        previousMemberEpoch: member.memberEpoch,
      })
      this.cancelRebalanceTimeout(group.groupId, member.memberId)
    } else {
      this.info(`[GroupId ${group.groupId}] Member ${member.memberId} left the consumer group.`)
      this.fenceMember(group, member.memberId)
    }
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId: member.memberId,
      memberEpoch: p.memberEpoch,
      heartbeatIntervalMs: 0,
      assignment: null,
    }
  }

  private getOrMaybeCreateGroup(groupId: string, create: boolean): ConsumerGroup {
    const g = this.groups.get(groupId)
    if (g !== undefined && g.members.size > 0) return g
    const classic = this.o.classicGroups.inUse(groupId)
    if (classic !== undefined) {
      if (create && this.validateOnlineUpgrade(groupId, classic))
        return this.convertToConsumerGroup(groupId, classic)
      throw new GroupError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} is not a consumer group.`)
    }
    if (g !== undefined) return g
    if (!create) throw new GroupError(ErrorCode.GROUP_ID_NOT_FOUND, `Consumer group ${groupId} not found.`)
    const created = new ConsumerGroup(groupId)
    this.groups.set(groupId, created)
    return created
  }

  /**
   * Removes members, their target assignments and timers, and bumps the group epoch; when only classic members
   * are left, the group may go back to the classic protocol (downgrade).
   */
  private fenceMember(group: ConsumerGroup, ...memberIds: string[]): void {
    for (const memberId of memberIds) {
      this.cancelTimers(group.groupId, memberId)
      group.removeMember(memberId)
    }
    if (this.maybeDowngrade(group)) return
    group.groupEpoch += 1
    group.subscriptionMetadata = this.subscriptionMetadata(group)
  }

  // ---------------------------------------------------------------- online migration (KIP-848)

  /** Kafka's validateOnlineUpgrade: may this classic group become a consumer group? */
  private validateOnlineUpgrade(groupId: string, classic: ClassicGroupView): boolean {
    const cannot = (why: string): boolean => {
      this.info(`Cannot upgrade classic group ${groupId} to consumer group because ${why}.`)
      return false
    }
    if (!isUpgradeEnabled(this.config.consumerGroupMigrationPolicy))
      return cannot('the online upgrade is disabled')
    if (classic.protocolType !== CONSUMER_PROTOCOL_TYPE) {
      return cannot('the group does not use the consumer embedded protocol')
    }
    if (classic.members.length > this.config.consumerGroupMaxSize) {
      return cannot('the group size exceeds the consumer group maximum size')
    }
    return true
  }

  /**
   * Kafka's convertToConsumerGroup (ConsumerGroup.fromClassicGroup): the classic members become members of a consumer
   * group at the classic generation, stable, each assigned (and targeted) what the classic group last gave it; the
   * joining member then bumps the group epoch, so they are asked to rejoin. The classic group's tombstone goes
   * with the consumer group's first records; its offsets stay.
   */
  private convertToConsumerGroup(groupId: string, classic: ClassicGroupView): ConsumerGroup {
    const topics = this.o.topics()
    const epoch = classic.generationId
    const members: ConsumerGroupMember[] = []
    try {
      for (const m of classic.members) {
        const protocol = m.supportedProtocols.find((x) => x.name === classic.protocolName)
        if (protocol === undefined)
          throw new Error(`member ${m.memberId} has no ${classic.protocolName} metadata`)
        const subscription = decodeSubscription(protocol.metadata).value
        const assigned =
          m.assignment.length === 0
            ? EMPTY_ASSIGNMENT
            : idAssignment(decodeAssignment(m.assignment).value.assignedPartitions, topics)
        members.push({
          ...newMember(m.memberId),
          instanceId: m.instanceId,
          rackId: subscription.rackId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          rebalanceTimeoutMs: m.rebalanceTimeoutMs,
          subscribedTopicNames: [...subscription.topics],
          memberEpoch: epoch,
          previousMemberEpoch: epoch,
          assignedPartitions: assigned,
          classicMemberMetadata: {
            sessionTimeoutMs: m.sessionTimeoutMs,
            supportedProtocols: m.supportedProtocols.map((x) => ({ name: x.name, metadata: x.metadata })),
          },
        })
      }
    } catch (e) {
      this.o.logger.warn(
        `[GroupCoordinator ${this.config.brokerId}]: Cannot upgrade the classic group ${groupId} to consumer group ` +
          `because the embedded consumer protocol is malformed: ${(e as Error).message}.`,
      )
      throw new GroupError(
        ErrorCode.GROUP_ID_NOT_FOUND,
        `Cannot upgrade the classic group ${groupId} to consumer group because the embedded consumer protocol is malformed.`,
      )
    }
    const group = new ConsumerGroup(groupId)
    group.groupEpoch = epoch
    for (const m of members) group.updateMember(m)
    group.setTargetAssignment(epoch, new Map(members.map((m) => [m.memberId, m.assignedPartitions])))
    this.groups.set(groupId, group)
    this.addPendingChange(groupId, this.o.classicGroups.release(groupId))
    for (const m of members) this.scheduleSessionTimeout(groupId, m.memberId)
    this.info(`[GroupId ${groupId}] Converted the classic group to a consumer group.`)
    return group
  }

  /**
   * Kafka's validateOnlineDowngradeWithFencedMembers + convertToClassicGroup, after members left or were fenced:
   * when every member left uses the classic protocol (and there is one), the group goes back to a classic group
   * at the group epoch, each member keeping its assigned partitions, and the classic group rebalances. With
   * `joining` (a classic static member that replaced the last consumer-protocol member: Kafka's
   * validateOnlineDowngradeWithReplacedMemberId) it does not rebalance. The consumer group's tombstones are its
   * next write; its offsets stay. True when the group was converted.
   */
  private maybeDowngrade(group: ConsumerGroup, joining: string | null = null): boolean {
    const members = [...group.members.values()]
    if (members.length === 0) return false
    const classic: { m: ConsumerGroupMember; c: ClassicMemberMetadata }[] = []
    for (const m of members) {
      if (m.classicMemberMetadata === null) return false
      classic.push({ m, c: m.classicMemberMetadata })
    }
    const cannot = (why: string): boolean => {
      this.info(`Cannot downgrade consumer group ${group.groupId} to classic group because ${why}.`)
      return false
    }
    if (!isDowngradeEnabled(this.config.consumerGroupMigrationPolicy)) {
      return cannot('the online downgrade is disabled')
    }
    if (members.length > this.config.groupMaxSize) {
      return cannot('its group size is greater than classic group max size')
    }
    // The protocol every member supports, in the first member's order of preference.
    const first = classic[0]?.c.supportedProtocols ?? []
    const common = first.find((p) =>
      classic.every((x) => x.c.supportedProtocols.some((q) => q.name === p.name)),
    )
    const names = new Map<string, string>()
    for (const [name, t] of this.o.topics()) names.set(t.id, name)
    const view: ClassicGroupView = {
      generationId: group.groupEpoch,
      protocolType: CONSUMER_PROTOCOL_TYPE,
      protocolName: common?.name ?? first[0]?.name ?? null,
      members: classic.map(({ m, c }) => ({
        memberId: m.memberId,
        instanceId: m.instanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: c.sessionTimeoutMs,
        supportedProtocols: c.supportedProtocols,
        assignment: classicAssignment(m.assignedPartitions, names),
      })),
    }
    for (const m of members) this.cancelTimers(group.groupId, m.memberId)
    this.groups.delete(group.groupId)
    this.describable.delete(group.groupId)
    this.info(`[GroupId ${group.groupId}] Converted the consumer group to a classic group.`)
    // A downgrade by a joining static member needs no rebalance: it took the replaced member's assignment.
    this.addPendingChange(group.groupId, this.o.classicGroups.adopt(group.groupId, view, joining === null))
    return true
  }

  /** The classic side of a conversion goes with the group's next write (and is undone if that write fails). */
  private addPendingChange(groupId: string, change: MigrationChange): void {
    this.pendingRecords.set(groupId, [...(this.pendingRecords.get(groupId) ?? []), ...change.records])
    this.pendingUndos.set(groupId, [...(this.pendingUndos.get(groupId) ?? []), change.undo])
  }

  // ---------------------------------------------------------------- classic members in a consumer group

  /**
   * JoinGroup of a classic member to a non-empty consumer group (Kafka's classicGroupJoinToConsumerGroup): the
   * member joins or updates its subscription like a heartbeat would, with the partitions its subscription says it
   * owns, and is answered at once as a follower (the assignment comes from the server-side assignor in SyncGroup).
   */
  async classicJoin(p: JoinGroupParams): Promise<JoinGroupResult> {
    let result: JoinGroupResult
    try {
      result = this.handleClassicJoin(p)
    } catch (e) {
      if (!(e instanceof GroupError)) throw e
      return joinError(p.memberId, e.code)
    }
    const error = await this.persistChanges(p.groupId)
    if (error !== null) return joinError(p.memberId, error)
    if (
      result.error === ErrorCode.NONE &&
      this.groups.get(p.groupId)?.members.has(result.memberId) === true
    ) {
      this.cancelClassicTimer(p.groupId, result.memberId, 'join')
      this.scheduleSessionTimeout(p.groupId, result.memberId)
      this.scheduleClassicTimer(p.groupId, result.memberId, 'sync', p.rebalanceTimeoutMs)
    }
    return result
  }

  private handleClassicJoin(p: JoinGroupParams): JoinGroupResult {
    const group = this.groups.get(p.groupId)
    if (group === undefined || group.members.size === 0) {
      throw new GroupError(ErrorCode.UNKNOWN_MEMBER_ID, `Group ${p.groupId} is not a consumer group.`)
    }
    const unknown = p.memberId === ''
    const memberId = unknown ? newMemberId() : p.memberId
    if (group.members.size >= this.config.consumerGroupMaxSize && (unknown || !group.members.has(memberId))) {
      throw new GroupError(
        ErrorCode.GROUP_MAX_SIZE_REACHED,
        `The consumer group has reached its maximum capacity of ${this.config.consumerGroupMaxSize} members.`,
      )
    }
    this.throwIfClassicProtocolIsNotSupported(group, memberId, p)
    if (p.requireKnownMemberId && unknown && p.groupInstanceId === null) {
      this.info(
        `[GroupId ${p.groupId}] Dynamic member with unknown member id joins the consumer group. Created a new ` +
          `member id ${memberId} and requesting the member to rejoin with this id.`,
      )
      return joinError(memberId, ErrorCode.MEMBER_ID_REQUIRED)
    }
    let member: ConsumerGroupMember
    let created = false
    let replaced: ConsumerGroupMember | undefined
    if (p.groupInstanceId === null) {
      const existing = group.members.get(memberId)
      if (existing === undefined) {
        member = newMember(memberId)
        created = true
      } else {
        member = existing
      }
    } else {
      const existing = group.staticMember(p.groupInstanceId)
      if (existing === undefined) {
        if (!unknown) {
          throw new GroupError(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${p.groupInstanceId} is unknown.`)
        }
        member = newMember(memberId)
        created = true
      } else if (unknown) {
        // A new incarnation of a static member takes over its epoch and assignment.
        replaced = existing
        member = { ...existing, memberId }
      } else if (existing.memberId !== memberId) {
        throw new GroupError(
          ErrorCode.FENCED_INSTANCE_ID,
          `Static member ${memberId} with instance id ${p.groupInstanceId} was fenced by member ${existing.memberId}.`,
        )
      } else {
        member = existing
      }
    }
    let subscription
    try {
      subscription = decodeSubscription(p.protocols[0]?.metadata ?? Buffer.alloc(0)).value
    } catch {
      // Kafka throws an IllegalStateException here, which its coordinator answers with UNKNOWN_SERVER_ERROR
      throw new GroupError(
        ErrorCode.UNKNOWN_SERVER_ERROR,
        'Malformed embedded consumer protocol in subscription deserialization.',
      )
    }
    const updated: ConsumerGroupMember = {
      ...member,
      instanceId: p.groupInstanceId,
      rackId: subscription.rackId ?? member.rackId,
      clientId: p.clientId,
      clientHost: p.clientHost,
      rebalanceTimeoutMs: p.rebalanceTimeoutMs === -1 ? member.rebalanceTimeoutMs : p.rebalanceTimeoutMs,
      subscribedTopicNames: [...subscription.topics],
      subscribedTopicRegex: null,
      classicMemberMetadata: {
        sessionTimeoutMs: p.sessionTimeoutMs,
        supportedProtocols: p.protocols.map((x) => ({ name: x.name, metadata: x.metadata })),
      },
    }
    // Version 0 of the embedded protocol does not say what the member owns: an eager member owns nothing on join.
    const owned = idAssignment(subscription.ownedPartitions, this.o.topics())
    const reconciled = this.updateAndReconcile(group, member, updated, created, replaced, owned)
    // Kafka's validateOnlineDowngradeWithReplacedMemberId: a classic static member replaced the last member using
    // the consumer protocol, so every member is a classic one now and the group may go back to the classic protocol.
    if (replaced !== undefined) this.maybeDowngrade(group, memberId)
    return {
      error: ErrorCode.NONE,
      memberId,
      generationId: reconciled.memberEpoch,
      protocolType: CONSUMER_PROTOCOL_TYPE,
      protocolName: p.protocols[0]?.name ?? null,
      leaderId: '',
      skipAssignment: false,
      members: [],
    }
  }

  /** Kafka's throwIfClassicProtocolIsNotSupported. */
  private throwIfClassicProtocolIsNotSupported(
    group: ConsumerGroup,
    memberId: string,
    p: JoinGroupParams,
  ): void {
    const names = new Set(p.protocols.map((x) => x.name))
    let supported = p.protocolType === CONSUMER_PROTOCOL_TYPE && names.size > 0
    for (const m of group.members.values()) {
      if (!supported) break
      if (m.memberId === memberId || m.classicMemberMetadata === null) continue
      supported = m.classicMemberMetadata.supportedProtocols.some((x) => names.has(x.name))
    }
    if (!supported) {
      throw new GroupError(
        ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
        `Member ${memberId} uses a protocol the consumer group does not support.`,
      )
    }
  }

  /** The member a classic request names (Kafka's validateConsumerGroupMember + throwIfMemberDoesNotUseClassicProtocol). */
  private classicMember(
    group: ConsumerGroup,
    memberId: string,
    instanceId: string | null,
  ): ConsumerGroupMember & { classicMemberMetadata: ClassicMemberMetadata } {
    let member: ConsumerGroupMember | undefined
    if (instanceId === null) {
      member = group.members.get(memberId)
      if (member === undefined) {
        throw new GroupError(
          ErrorCode.UNKNOWN_MEMBER_ID,
          `Member ${memberId} is not a member of group ${group.groupId}.`,
        )
      }
    } else {
      member = group.staticMember(instanceId)
      if (member === undefined) {
        throw new GroupError(
          ErrorCode.UNKNOWN_MEMBER_ID,
          `Member with instance id ${instanceId} is not a member of group ${group.groupId}.`,
        )
      }
      if (member.memberId !== memberId) {
        throw new GroupError(
          ErrorCode.FENCED_INSTANCE_ID,
          `Static member ${memberId} with instance id ${instanceId} was fenced by member ${member.memberId}.`,
        )
      }
    }
    const classic = member.classicMemberMetadata
    if (classic === null) {
      throw new GroupError(
        ErrorCode.UNKNOWN_MEMBER_ID,
        `Member ${memberId} does not use the classic protocol.`,
      )
    }
    return { ...member, classicMemberMetadata: classic }
  }

  /**
   * SyncGroup of a classic member of a consumer group (Kafka's classicGroupSyncToConsumerGroup): its assigned
   * partitions, in the embedded consumer protocol, once the writes before it are in the log. REBALANCE_IN_PROGRESS
   * when the group epoch moved past the member's (it must rejoin first).
   */
  async classicSync(p: SyncGroupParams): Promise<SyncGroupResult> {
    const group = this.groups.get(p.groupId)
    if (group === undefined || group.members.size === 0) return syncError(ErrorCode.UNKNOWN_MEMBER_ID)
    let member: ConsumerGroupMember & { classicMemberMetadata: ClassicMemberMetadata }
    try {
      member = this.classicMember(group, p.memberId, p.groupInstanceId)
      if (p.generationId !== member.memberEpoch) {
        throw new GroupError(
          ErrorCode.ILLEGAL_GENERATION,
          `The request generation id ${p.generationId} is not equal to the member epoch ${member.memberEpoch} ` +
            `of member ${member.memberId}.`,
        )
      }
      const protocol = member.classicMemberMetadata.supportedProtocols[0]?.name ?? null
      if (
        (p.protocolType !== null && p.protocolType !== CONSUMER_PROTOCOL_TYPE) ||
        (p.protocolName !== null && p.protocolName !== protocol)
      ) {
        throw new GroupError(
          ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
          'The protocol type or name is inconsistent.',
        )
      }
      this.throwIfRebalanceInProgress(group, member)
    } catch (e) {
      if (!(e instanceof GroupError)) throw e
      return syncError(e.code)
    }
    const error = await this.persistChanges(p.groupId)
    if (error !== null) return syncError(error)
    if (this.groups.get(p.groupId)?.members.has(member.memberId) === true) {
      this.cancelClassicTimer(p.groupId, member.memberId, 'sync')
      this.scheduleSessionTimeout(p.groupId, member.memberId)
    }
    const names = new Map<string, string>()
    for (const [name, t] of this.o.topics()) names.set(t.id, name)
    return {
      error: ErrorCode.NONE,
      protocolType: p.protocolType,
      protocolName: p.protocolName,
      assignment: classicAssignment(member.assignedPartitions, names),
    }
  }

  /** Kafka's throwIfRebalanceInProgress: a member behind the group epoch rejoins first (unless it is revoking). */
  private throwIfRebalanceInProgress(group: ConsumerGroup, member: ConsumerGroupMember): void {
    if (group.groupEpoch > member.memberEpoch && member.state !== 'UNREVOKED_PARTITIONS') {
      this.scheduleClassicTimerIfAbsent(group.groupId, member.memberId, 'join', member.rebalanceTimeoutMs)
      throw new GroupError(
        ErrorCode.REBALANCE_IN_PROGRESS,
        `A new rebalance is triggered in group ${group.groupId} and member ${member.memberId} should rejoin to catch up.`,
      )
    }
  }

  /**
   * Heartbeat of a classic member of a consumer group (Kafka's classicGroupHeartbeatToConsumerGroup): keeps its
   * session; REBALANCE_IN_PROGRESS when it must rejoin — the group epoch moved past its epoch, it has partitions to
   * revoke, or the partitions it waits for are free now.
   */
  classicHeartbeat(p: HeartbeatParams): number {
    const group = this.groups.get(p.groupId)
    if (group === undefined || group.members.size === 0) return ErrorCode.UNKNOWN_MEMBER_ID
    try {
      const member = this.classicMember(group, p.memberId, p.groupInstanceId)
      if (p.generationId !== member.memberEpoch) return ErrorCode.ILLEGAL_GENERATION
      this.scheduleSessionTimeout(group.groupId, member.memberId)
      if (
        member.memberEpoch < group.groupEpoch ||
        member.state === 'UNREVOKED_PARTITIONS' ||
        (member.state === 'UNRELEASED_PARTITIONS' && !this.waitingOnUnreleasedPartition(group, member))
      ) {
        this.scheduleClassicTimerIfAbsent(group.groupId, member.memberId, 'join', member.rebalanceTimeoutMs)
        return ErrorCode.REBALANCE_IN_PROGRESS
      }
      return ErrorCode.NONE
    } catch (e) {
      if (!(e instanceof GroupError)) throw e
      return e.code
    }
  }

  /** True while some partition of the member's target is still owned by another member. */
  private waitingOnUnreleasedPartition(group: ConsumerGroup, member: ConsumerGroupMember): boolean {
    const target = group.targetAssignment.get(member.memberId) ?? EMPTY_ASSIGNMENT
    const ownerEpoch = group.partitionEpochs(member.memberId)
    for (const [t, ps] of target) {
      for (const x of ps) {
        if (member.assignedPartitions.get(t)?.has(x) !== true && ownerEpoch(t, x) !== -1) return true
      }
    }
    return false
  }

  /**
   * LeaveGroup to a consumer group (Kafka's classicGroupLeaveToConsumerGroup): the members named (by member id,
   * or by instance id for a static member) leave for good; the group epoch is bumped once.
   */
  async classicLeave(groupId: string, leaving: readonly LeaveGroupMember[]): Promise<LeaveGroupResult> {
    const group = this.groups.get(groupId)
    if (group === undefined) {
      return {
        error: ErrorCode.NONE,
        members: leaving.map((m) => ({ ...m, error: ErrorCode.UNKNOWN_MEMBER_ID })),
      }
    }
    const removed: string[] = []
    const members = leaving.map((l) => {
      let member: ConsumerGroupMember | undefined
      if (l.groupInstanceId !== null) {
        member = group.staticMember(l.groupInstanceId)
        if (member !== undefined && l.memberId !== '' && member.memberId !== l.memberId) {
          return { ...l, error: ErrorCode.FENCED_INSTANCE_ID }
        }
      } else {
        member = group.members.get(l.memberId)
      }
      if (member === undefined || removed.includes(member.memberId)) {
        return { ...l, error: ErrorCode.UNKNOWN_MEMBER_ID }
      }
      this.info(
        `[GroupId ${groupId}] Member ${member.memberId} has left the consumer group through explicit ` +
          `\`LeaveGroup\` request; client reason: ${l.reason ?? 'not provided'}.`,
      )
      removed.push(member.memberId)
      return { ...l, error: ErrorCode.NONE }
    })
    if (removed.length > 0) this.fenceMember(group, ...removed)
    const error = await this.persistChanges(groupId)
    return error === null ? { error: ErrorCode.NONE, members } : { error, members: [] }
  }

  private scheduleClassicTimer(
    groupId: string,
    memberId: string,
    kind: 'join' | 'sync',
    timeoutMs: number,
  ): void {
    const k = `${this.key(groupId, memberId)}\u0000${kind}`
    this.classicTimers.get(k)?.cancel()
    this.classicTimers.set(
      k,
      this.o.scheduler.schedule(
        `consumer-group-${kind}-${groupId}-${memberId}`,
        () => {
          this.classicTimers.delete(k)
          const group = this.groups.get(groupId)
          if (group?.members.has(memberId) !== true) return
          this.info(
            `[GroupId ${groupId}] Member ${memberId} fenced from the group because its ` +
              `${kind === 'join' ? 'JoinGroup' : 'SyncGroup'} did not come within its rebalance timeout of ${timeoutMs}ms.`,
          )
          this.fenceMember(group, memberId)
          this.persistInBackground(groupId)
        },
        Math.max(0, timeoutMs),
      ),
    )
  }

  private scheduleClassicTimerIfAbsent(
    groupId: string,
    memberId: string,
    kind: 'join' | 'sync',
    timeoutMs: number,
  ): void {
    if (!this.classicTimers.has(`${this.key(groupId, memberId)}\u0000${kind}`)) {
      this.scheduleClassicTimer(groupId, memberId, kind, timeoutMs)
    }
  }

  private cancelClassicTimer(groupId: string, memberId: string, kind: 'join' | 'sync'): void {
    const k = `${this.key(groupId, memberId)}\u0000${kind}`
    this.classicTimers.get(k)?.cancel()
    this.classicTimers.delete(k)
  }

  // ---------------------------------------------------------------- offsets

  /**
   * Kafka's ConsumerGroup.validateOffsetCommit, for a group id that is a consumer group (undefined otherwise):
   * null when the commit may go ahead, else the error. Member epoch -1 (admin clients, consumers without group
   * management) may commit to an empty group only.
   */
  validateOffsetCommit(
    groupId: string,
    memberId: string,
    memberEpoch: number,
    isTransactional: boolean,
    apiVersion: number,
  ): number | null | undefined {
    const group = this.groups.get(groupId)
    if (group === undefined) return undefined
    if (memberEpoch < 0 && group.members.size === 0) return null
    const member = group.members.get(memberId)
    if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
    // A classic member commits with its generation (the member epoch): any other is ILLEGAL_GENERATION.
    if (member.classicMemberMetadata !== null) {
      return memberEpoch === member.memberEpoch ? null : ErrorCode.ILLEGAL_GENERATION
    }
    // "OffsetCommit version 9 or above must be used by members using the consumer group protocol"
    if (!isTransactional && apiVersion < 9) return ErrorCode.UNSUPPORTED_VERSION
    return memberEpochError(memberEpoch, member.memberEpoch)
  }

  /**
   * Kafka's ConsumerGroup.validateOffsetFetch (OffsetFetch v9+): a member fetching with its member epoch must be
   * a member at that epoch; epoch -1 (admin clients) may always fetch. undefined when the id is not a consumer
   * group.
   */
  validateOffsetFetch(
    groupId: string,
    memberId: string | null,
    memberEpoch: number,
  ): number | null | undefined {
    const group = this.groups.get(groupId)
    if (group === undefined) return undefined
    if (memberEpoch < 0) return null
    const member = memberId === null ? undefined : group.members.get(memberId)
    if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
    if (member.classicMemberMetadata !== null) {
      return memberEpoch === member.memberEpoch ? null : ErrorCode.ILLEGAL_GENERATION
    }
    return memberEpochError(memberEpoch, member.memberEpoch)
  }

  // ---------------------------------------------------------------- assignment

  /** The topics the members subscribe to, by name or by regular expression, that exist now. */
  private subscriptionMetadata(group: ConsumerGroup): Map<string, string> {
    const topics = this.o.topics()
    const out = new Map<string, string>()
    for (const m of group.members.values()) {
      for (const n of m.subscribedTopicNames) {
        const t = topics.get(n)
        if (t !== undefined) out.set(n, `${t.id}/${t.partitions.size}`)
      }
      for (const [name, t] of this.regexTopics(group, m)) out.set(name, `${t.id}/${t.partitions.size}`)
    }
    return new Map([...out].sort((a, b) => (a[0] < b[0] ? -1 : 1)))
  }

  /**
   * The existing topics a member's regular expression resolves to: matching, not internal, and describable by the
   * member's principal (see `describable`).
   */
  private regexTopics(group: ConsumerGroup, m: ConsumerGroupMember): Map<string, TopicInfo> {
    const out = new Map<string, TopicInfo>()
    if (m.subscribedTopicRegex === null) return out
    const r = this.regex(m.subscribedTopicRegex)
    const auth = this.describable.get(group.groupId)
    for (const id of auth?.keys() ?? []) if (!group.members.has(id)) auth?.delete(id)
    const target = group.targetAssignment.get(m.memberId) ?? EMPTY_ASSIGNMENT
    const allowed = auth?.get(m.memberId) ?? ((_name: string, id: string) => target.has(id))
    for (const [name, t] of this.o.topics()) {
      if (!INTERNAL_TOPICS.has(name) && r.matches(name) && allowed(name, t.id)) out.set(name, t)
    }
    return out
  }

  private memberTopicIds(group: ConsumerGroup, m: ConsumerGroupMember): Set<string> {
    const topics = this.o.topics()
    const ids = new Set<string>()
    for (const n of m.subscribedTopicNames) {
      const t = topics.get(n)
      if (t !== undefined) ids.add(t.id)
    }
    for (const t of this.regexTopics(group, m).values()) ids.add(t.id)
    return ids
  }

  private computeTargetAssignment(group: ConsumerGroup): void {
    const assignorName = group.preferredAssignor(this.config.consumerGroupAssignors[0] ?? 'uniform')
    const assignor = CONSUMER_GROUP_ASSIGNORS.get(assignorName)
    if (assignor === undefined) return
    const counts = new Map<string, number>()
    for (const t of this.o.topics().values()) counts.set(t.id, t.partitions.size)
    const specs = new Map<string, AssignmentMemberSpec>()
    for (const [id, m] of group.members) {
      specs.set(id, {
        subscribedTopicIds: this.memberTopicIds(group, m),
        currentAssignment: group.targetAssignment.get(id) ?? EMPTY_ASSIGNMENT,
      })
    }
    group.setTargetAssignment(
      group.groupEpoch,
      assignor.assign(specs, (t) => counts.get(t) ?? 0),
    )
    this.info(
      `[GroupId ${group.groupId}] Computed a new target assignment for epoch ${group.groupEpoch} ` +
        `with the ${assignorName} assignor.`,
    )
  }

  // ---------------------------------------------------------------- timers

  private key(groupId: string, memberId: string): string {
    return `${groupId}\u0000${memberId}`
  }

  private scheduleSessionTimeout(groupId: string, memberId: string): void {
    const k = this.key(groupId, memberId)
    this.sessionTimers.get(k)?.cancel()
    this.sessionTimers.set(
      k,
      this.o.scheduler.schedule(
        `consumer-group-session-${groupId}-${memberId}`,
        () => {
          this.sessionTimers.delete(k)
          const group = this.groups.get(groupId)
          if (group?.members.has(memberId) !== true) return
          this.info(
            `[GroupId ${groupId}] Member ${memberId} fenced from the group because its session expired.`,
          )
          this.fenceMember(group, memberId)
          this.persistInBackground(groupId)
        },
        this.groups.get(groupId)?.members.get(memberId)?.classicMemberMetadata?.sessionTimeoutMs ??
          this.config.consumerGroupSessionTimeoutMs,
      ),
    )
  }

  private scheduleRebalanceTimeout(groupId: string, member: ConsumerGroupMember): void {
    const k = this.key(groupId, member.memberId)
    this.rebalanceTimers.get(k)?.cancel()
    const epoch = member.memberEpoch
    this.rebalanceTimers.set(
      k,
      this.o.scheduler.schedule(
        `consumer-group-rebalance-${groupId}-${member.memberId}`,
        () => {
          this.rebalanceTimers.delete(k)
          const group = this.groups.get(groupId)
          const m = group?.members.get(member.memberId)
          if (group === undefined || m === undefined) return
          if (m.memberEpoch !== epoch || m.state !== 'UNREVOKED_PARTITIONS') return
          this.info(
            `[GroupId ${groupId}] Member ${m.memberId} fenced from the group because it failed to revoke ` +
              `partitions within ${m.rebalanceTimeoutMs}ms.`,
          )
          this.fenceMember(group, m.memberId)
          this.persistInBackground(groupId)
        },
        Math.max(0, member.rebalanceTimeoutMs),
      ),
    )
  }

  private persistInBackground(groupId: string): void {
    this.persist(groupId).catch(() => {})
  }

  private cancelRebalanceTimeout(groupId: string, memberId: string): void {
    const k = this.key(groupId, memberId)
    this.rebalanceTimers.get(k)?.cancel()
    this.rebalanceTimers.delete(k)
  }

  private cancelTimers(groupId: string, memberId: string): void {
    const k = this.key(groupId, memberId)
    this.sessionTimers.get(k)?.cancel()
    this.sessionTimers.delete(k)
    this.cancelRebalanceTimeout(groupId, memberId)
    this.cancelClassicTimer(groupId, memberId, 'join')
    this.cancelClassicTimer(groupId, memberId, 'sync')
  }

  /** Drops the groups of a `__consumer_offsets` partition this broker no longer leads, with their timers. */
  unloadPartition(partition: number): void {
    for (const g of [...this.groups.values()]) {
      if (this.o.partitionFor(g.groupId) !== partition) continue
      for (const id of g.members.keys()) this.cancelTimers(g.groupId, id)
      this.groups.delete(g.groupId)
    }
    for (const groupId of [...this.persisted.keys()]) {
      if (this.o.partitionFor(groupId) !== partition) continue
      this.persisted.delete(groupId)
      this.rollbacks.delete(groupId)
    }
  }

  shutdown(): void {
    for (const t of this.sessionTimers.values()) t.cancel()
    for (const t of this.rebalanceTimers.values()) t.cancel()
    for (const t of this.classicTimers.values()) t.cancel()
    this.sessionTimers.clear()
    this.rebalanceTimers.clear()
    this.classicTimers.clear()
  }

  /**
   * Deletes an empty consumer group and writes its tombstones (DeleteGroups, or its offsets expired):
   * NON_EMPTY_GROUP when it has members, else the error of the write (NONE).
   */
  async deleteGroup(groupId: string): Promise<number> {
    const g = this.groups.get(groupId)
    if (g === undefined) return ErrorCode.NONE
    if (g.members.size > 0) return ErrorCode.NON_EMPTY_GROUP
    this.groups.delete(groupId)
    this.describable.delete(groupId)
    this.info(`[GroupId ${groupId}] Deleted the consumer group.`)
    return this.persist(groupId).then(
      () => ErrorCode.NONE,
      (e: unknown) => writeErrorCode(e),
    )
  }

  // ---------------------------------------------------------------- ConsumerGroupDescribe

  describe(groupId: string): DescribedConsumerGroup {
    const empty = { groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [] }
    const status = this.o.groupStatus(groupId)
    if (status !== null) return { errorCode: status, errorMessage: null, groupId, ...empty }
    const group = this.groups.get(groupId)
    if (group === undefined) {
      const message =
        this.o.classicGroups.inUse(groupId) !== undefined
          ? `Group ${groupId} is not a consumer group.`
          : `Group ${groupId} not found.`
      return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: message, groupId, ...empty }
    }
    const names = new Map<string, string>()
    for (const [name, t] of this.o.topics()) names.set(t.id, name)
    const describe = (a: Assignment): DescribedAssignment => ({
      topicPartitions: assignmentEntries(a).map((e) => ({ ...e, topicName: names.get(e.topicId) ?? '' })),
    })
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      groupId,
      groupState: group.state,
      groupEpoch: group.groupEpoch,
      assignmentEpoch: group.targetAssignmentEpoch,
      assignorName: group.preferredAssignor(this.config.consumerGroupAssignors[0] ?? 'uniform'),
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        instanceId: m.instanceId,
        rackId: m.rackId,
        memberEpoch: m.memberEpoch,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscribedTopicNames: [...m.subscribedTopicNames],
        subscribedTopicRegex: m.subscribedTopicRegex,
        assignment: describe(m.assignedPartitions),
        targetAssignment: describe(group.targetAssignment.get(m.memberId) ?? EMPTY_ASSIGNMENT),
        // Kafka's memberType: 0 classic, 1 consumer
        memberType: m.classicMemberMetadata === null ? 1 : 0,
      })),
    }
  }

  private info(msg: string): void {
    this.o.logger.info(`[GroupCoordinator ${this.config.brokerId}]: ${msg}`)
  }
}

function errorResult(code: number, message: string): ConsumerGroupHeartbeatResult {
  return {
    errorCode: code,
    errorMessage: message === '' ? null : message,
    memberId: null,
    memberEpoch: 0,
    heartbeatIntervalMs: 0,
    assignment: null,
  }
}

/** A failed `__consumer_offsets` write as the error a group request answers (Kafka 4.0's coordinator service). */
function writeErrorCode(e: unknown): number {
  return coordinatorAppendError(toErrorCode(e), AppendErrors.consumerGroup)
}

/** FENCED_MEMBER_EPOCH for an epoch from the future, STALE_MEMBER_EPOCH for an old one. */
function memberEpochError(received: number, expected: number): number | null {
  if (received > expected) return ErrorCode.FENCED_MEMBER_EPOCH
  if (received < expected) return ErrorCode.STALE_MEMBER_EPOCH
  return null
}

/** Partitions by topic name (the embedded consumer protocol) as partitions by topic id; unknown topics are left out. */
function idAssignment(
  partitions: readonly { readonly topic: string; readonly partitions: readonly number[] }[],
  topics: ReadonlyMap<string, TopicInfo>,
): Assignment {
  const out = new Map<string, Set<number>>()
  for (const { topic, partitions: ps } of partitions) {
    const t = topics.get(topic)
    if (t === undefined) continue
    let set = out.get(t.id)
    if (set === undefined) out.set(t.id, (set = new Set()))
    for (const x of ps) set.add(x)
  }
  return out
}

/** An assignment in the embedded consumer protocol (topic names sorted, partitions ascending). */
function classicAssignment(a: Assignment, names: ReadonlyMap<string, string>): Buffer {
  const assignedPartitions = [...a]
    .flatMap(([id, ps]) => {
      const topic = names.get(id)
      return topic === undefined ? [] : [{ topic, partitions: [...ps].sort((x, y) => x - y) }]
    })
    .sort((x, y) => (x.topic < y.topic ? -1 : x.topic > y.topic ? 1 : 0))
  return encodeAssignment({ assignedPartitions, userData: null })
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

function sameMap(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false
  for (const [k, v] of a) if (b.get(k) !== v) return false
  return true
}
