/**
 * A classic group and its members, with Kafka 3.9's state machine (`GroupMetadata.scala`,
 * `MemberMetadata.scala`): membership, static members, pending members (KIP-394), protocol votes, the
 * counters the rebalance waits on, and the group's committed and in-flight offsets.
 *
 * States and their transitions (a transition from any other state is a bug and throws):
 *   PreparingRebalance  <- Stable, CompletingRebalance, Empty
 *   CompletingRebalance <- PreparingRebalance
 *   Stable              <- CompletingRebalance
 *   Empty               <- PreparingRebalance
 *   Dead                <- any state
 */
import { randomUUID } from 'node:crypto'
import { Reader } from '../../protocol/codec/reader.js'
import { decode } from '../../protocol/codec/codec.js'
import { ConsumerProtocolSubscription } from '../../protocol/messages/data/consumer-protocol.js'
import { ErrorCode } from '../../protocol/errors.js'
import type { ScheduledTask } from '../../util/scheduler.js'
import type {
  GroupOverview,
  GroupState,
  GroupSummary,
  JoinGroupResponseMember,
  JoinGroupResult,
  MemberSummary,
  OffsetAndMetadata,
  Protocol,
  SyncGroupResult,
  TopicPartition,
} from './types.js'

export const CONSUMER_PROTOCOL_TYPE = 'consumer'

const VALID_PREVIOUS_STATES: Readonly<Record<GroupState, readonly GroupState[]>> = {
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Empty: ['PreparingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
}

export type JoinCallback = (result: JoinGroupResult) => void
export type SyncCallback = (result: SyncGroupResult) => void

/** JoinGroupResult for an error: Kafka's `JoinGroupResult(memberId, error)`. */
export function joinError(memberId: string, error: number): JoinGroupResult {
  return {
    error,
    memberId,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leaderId: '',
    skipAssignment: false,
    members: [],
  }
}

export function syncError(error: number): SyncGroupResult {
  return { error, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) }
}

export const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`

/** A cached offset with the log offset of the batch that carried it (to order regular and transactional commits). */
export interface CommitRecord extends TopicPartition {
  readonly appendedBatchOffset: number | null
  readonly offsetAndMetadata: OffsetAndMetadata
}

function olderThan(a: CommitRecord, b: CommitRecord): boolean {
  return (a.appendedBatchOffset ?? -1) < (b.appendedBatchOffset ?? -1)
}

export class MemberMetadata {
  assignment: Buffer = Buffer.alloc(0)
  awaitingJoinCallback: JoinCallback | null = null
  awaitingSyncCallback: SyncCallback | null = null
  isNew = false
  /** Set while a heartbeat (or any sign of life) completes the current expectation. */
  heartbeatSatisfied = false
  /** The session (or new-member join) expiration; owned by the coordinator. */
  heartbeatTimer: ScheduledTask | null = null

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    readonly clientId: string,
    readonly clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    readonly protocolType: string,
    public supportedProtocols: readonly Protocol[],
  ) {}

  get isStaticMember(): boolean {
    return this.groupInstanceId !== null
  }

  get isAwaitingJoin(): boolean {
    return this.awaitingJoinCallback !== null
  }

  get isAwaitingSync(): boolean {
    return this.awaitingSyncCallback !== null
  }

  /** The metadata sent for a protocol; throws if the member does not support it. */
  metadata(protocol: string): Buffer {
    const p = this.supportedProtocols.find((x) => x.name === protocol)
    if (!p) throw new Error(`Member ${this.memberId} does not support protocol ${protocol}`)
    return p.metadata
  }

  get hasSatisfiedHeartbeat(): boolean {
    // New members can be expired while awaiting join, so this is checked first; members awaiting a
    // rebalance satisfy the expectation; everyone else needs the next heartbeat.
    if (this.isNew) return this.heartbeatSatisfied
    if (this.isAwaitingJoin || this.isAwaitingSync) return true
    return this.heartbeatSatisfied
  }

  /** Same protocols, in the same order, with byte-identical metadata. */
  matches(protocols: readonly Protocol[]): boolean {
    if (protocols.length !== this.supportedProtocols.length) return false
    for (let i = 0; i < protocols.length; i++) {
      const a = protocols[i]!
      const b = this.supportedProtocols[i]!
      if (a.name !== b.name || !a.metadata.equals(b.metadata)) return false
    }
    return true
  }

  /** The member's preferred protocol among the candidates. */
  vote(candidates: ReadonlySet<string>): string {
    const p = this.supportedProtocols.find((x) => candidates.has(x.name))
    if (!p) throw new Error(`Member ${this.memberId} does not support any of the candidate protocols`)
    return p.name
  }

  summary(protocol: string): MemberSummary {
    return {
      memberId: this.memberId,
      groupInstanceId: this.groupInstanceId,
      clientId: this.clientId,
      clientHost: this.clientHost,
      metadata: this.metadata(protocol),
      assignment: this.assignment,
    }
  }

  summaryNoMetadata(): MemberSummary {
    return {
      memberId: this.memberId,
      groupInstanceId: this.groupInstanceId,
      clientId: this.clientId,
      clientHost: this.clientHost,
      metadata: Buffer.alloc(0),
      assignment: Buffer.alloc(0),
    }
  }

  toString(): string {
    return (
      `MemberMetadata(memberId=${this.memberId}, groupInstanceId=${this.groupInstanceId ?? 'None'}, ` +
      `clientId=${this.clientId}, clientHost=${this.clientHost}, sessionTimeoutMs=${this.sessionTimeoutMs}, ` +
      `rebalanceTimeoutMs=${this.rebalanceTimeoutMs}, supportedProtocols=List(${this.supportedProtocols
        .map((p) => p.name)
        .join(', ')}))`
    )
  }
}

/** The rebalance operation a group waits on (Kafka's DelayedJoin / InitialDelayedJoin). */
export type JoinOperation =
  | { readonly kind: 'join'; readonly timer: ScheduledTask }
  | { readonly kind: 'initial'; readonly timer: ScheduledTask }

export interface SyncOperation {
  readonly generationId: number
  readonly timer: ScheduledTask
}

/** What an online upgrade took from a classic group, to give back if its write fails. */
export interface ReleasedClassicMembers {
  readonly members: readonly MemberMetadata[]
  readonly generationId: number
  readonly protocolType: string | null
  readonly protocolName: string | null
  readonly leaderId: string | null
  readonly state: GroupState
}

export class GroupMetadata {
  private state: GroupState
  currentStateTimestamp: number | null
  protocolType: string | null = null
  protocolName: string | null = null
  generationId = 0
  private leaderId: string | null = null

  private readonly members = new Map<string, MemberMetadata>()
  /** group.instance.id -> member.id */
  private readonly staticMembers = new Map<string, string>()
  private readonly pendingMembers = new Set<string>()
  private numMembersAwaitingJoin = 0
  private readonly supportedProtocols = new Map<string, number>()
  private readonly offsets = new Map<string, CommitRecord>()
  private readonly pendingOffsetCommits = new Map<
    string,
    TopicPartition & { offsetAndMetadata: OffsetAndMetadata }
  >()
  private readonly pendingTransactionalOffsetCommits = new Map<number, Map<string, CommitRecord>>()
  private receivedTransactionalOffsetCommits = false
  private receivedConsumerOffsetCommits = false
  private readonly pendingSyncMembers = new Set<string>()
  /** For the "consumer" protocol type: the topics the members subscribe to; null when unknown. */
  private subscribedTopics: ReadonlySet<string> | null = null

  /** Set when a new member joins a brand-new group during its initial delayed rebalance. */
  newMemberAdded = false

  // Delayed operations, owned by the coordinator.
  joinOp: JoinOperation | null = null
  syncOp: SyncOperation | null = null
  readonly pendingMemberTimers = new Map<string, ScheduledTask>()

  constructor(
    readonly groupId: string,
    initialState: GroupState,
    private readonly now: () => number,
  ) {
    this.state = initialState
    this.currentStateTimestamp = now()
  }

  /** Kafka's `GroupMetadata.loadGroup`: a group read back from its GroupMetadataValue. */
  static load(
    groupId: string,
    initialState: GroupState,
    generationId: number,
    protocolType: string | null,
    protocolName: string | null,
    leaderId: string | null,
    currentStateTimestamp: number | null,
    members: readonly MemberMetadata[],
    now: () => number,
  ): GroupMetadata {
    const group = new GroupMetadata(groupId, initialState, now)
    group.generationId = generationId
    group.protocolType = protocolType === null || protocolType === '' ? null : protocolType
    group.protocolName = protocolName
    group.leaderId = leaderId
    group.currentStateTimestamp = currentStateTimestamp
    for (const m of members) group.add(m, null)
    group.subscribedTopics = group.computeSubscribedTopics()
    return group
  }

  get currentState(): GroupState {
    return this.state
  }

  is(state: GroupState): boolean {
    return this.state === state
  }

  has(memberId: string): boolean {
    return this.members.has(memberId)
  }

  get(memberId: string): MemberMetadata {
    const m = this.members.get(memberId)
    if (!m) throw new Error(`Member ${memberId} is not in group ${this.groupId}`)
    return m
  }

  get size(): number {
    return this.members.size
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId
  }

  get leaderOrNull(): string | null {
    return this.leaderId
  }

  /**
   * A JoinGroup answer for `memberId` in the current generation: no error, the current leader, no member list
   * unless `members` is given (only the leader gets one) — each part overridable for the special cases.
   */
  joinResult(
    memberId: string,
    opts: {
      error?: number
      leaderId?: string | null
      skipAssignment?: boolean
      members?: readonly JoinGroupResponseMember[]
    } = {},
  ): JoinGroupResult {
    return {
      error: opts.error ?? ErrorCode.NONE,
      memberId,
      generationId: this.generationId,
      protocolType: this.protocolType,
      protocolName: this.protocolName,
      leaderId: (opts.leaderId === undefined ? this.leaderId : opts.leaderId) ?? '',
      skipAssignment: opts.skipAssignment ?? false,
      members: opts.members ?? [],
    }
  }

  get currentStateTimestampOrDefault(): number {
    return this.currentStateTimestamp ?? -1
  }

  get isConsumerGroup(): boolean {
    return this.protocolType === CONSUMER_PROTOCOL_TYPE
  }

  add(member: MemberMetadata, callback: JoinCallback | null): void {
    if (member.groupInstanceId !== null) {
      if (this.staticMembers.has(member.groupInstanceId)) {
        throw new Error(
          `Static member with groupInstanceId=${member.groupInstanceId} cannot be added to group ${this.groupId} since it is already a member`,
        )
      }
      this.staticMembers.set(member.groupInstanceId, member.memberId)
    }
    if (this.members.size === 0) this.protocolType = member.protocolType
    if (this.leaderId === null) this.leaderId = member.memberId
    this.members.set(member.memberId, member)
    this.incSupportedProtocols(member)
    member.awaitingJoinCallback = callback
    if (member.isAwaitingJoin) this.numMembersAwaitingJoin++
    this.pendingMembers.delete(member.memberId)
  }

  remove(memberId: string): void {
    const member = this.members.get(memberId)
    if (member) {
      this.members.delete(memberId)
      this.decSupportedProtocols(member)
      if (member.isAwaitingJoin) this.numMembersAwaitingJoin--
      if (member.groupInstanceId !== null) this.staticMembers.delete(member.groupInstanceId)
    }
    if (this.isLeader(memberId)) {
      const first = this.members.keys().next()
      this.leaderId = first.done ? null : first.value
    }
    this.pendingMembers.delete(memberId)
    this.pendingSyncMembers.delete(memberId)
  }

  /**
   * Keeps the leader if it rejoined, else picks any member that did. False when there is no leader or no
   * member rejoined.
   */
  maybeElectNewJoinedLeader(): { elected: boolean; message?: string } {
    if (this.leaderId === null) return { elected: false }
    const current = this.get(this.leaderId)
    if (current.isAwaitingJoin) return { elected: true }
    for (const [id, m] of this.members) {
      if (m.isAwaitingJoin) {
        this.leaderId = id
        return {
          elected: true,
          message:
            `Group leader [member.id: ${current.memberId}, group.instance.id: ${current.groupInstanceId ?? 'None'}] ` +
            `failed to join before rebalance timeout, while new leader ${m.toString()} was elected.`,
        }
      }
    }
    return {
      elected: false,
      message:
        `Group leader [member.id: ${current.memberId}, group.instance.id: ${current.groupInstanceId ?? 'None'}] ` +
        `failed to join before rebalance timeout, and the group couldn't proceed to next generation` +
        `because no member joined.`,
    }
  }

  /**
   * Static members only: gives the member a new member id, fencing whoever waits on a join or sync with the
   * old one.
   */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): MemberMetadata {
    const member = this.members.get(oldMemberId)
    if (!member) throw new Error(`Cannot replace non-existing member id ${oldMemberId}`)
    this.members.delete(oldMemberId)
    this.maybeInvokeJoinCallback(member, joinError(oldMemberId, ErrorCode.FENCED_INSTANCE_ID))
    this.maybeInvokeSyncCallback(member, syncError(ErrorCode.FENCED_INSTANCE_ID))
    member.memberId = newMemberId
    this.members.set(newMemberId, member)
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId
    this.staticMembers.set(groupInstanceId, newMemberId)
    return member
  }

  isPendingMember(memberId: string): boolean {
    return this.pendingMembers.has(memberId)
  }

  addPendingMember(memberId: string): void {
    if (this.has(memberId)) {
      throw new Error(
        `Attempt to add pending member ${memberId} which is already a stable member of the group`,
      )
    }
    this.pendingMembers.add(memberId)
  }

  addPendingSyncMember(memberId: string): void {
    if (!this.has(memberId)) {
      throw new Error(
        `Attempt to add a pending sync for member ${memberId} which is not a member of the group`,
      )
    }
    this.pendingSyncMembers.add(memberId)
  }

  removePendingSyncMember(memberId: string): void {
    if (!this.has(memberId)) {
      throw new Error(
        `Attempt to remove a pending sync for member ${memberId} which is not a member of the group`,
      )
    }
    this.pendingSyncMembers.delete(memberId)
  }

  get hasReceivedSyncFromAllMembers(): boolean {
    return this.pendingSyncMembers.size === 0
  }

  get allPendingSyncMembers(): string[] {
    return [...this.pendingSyncMembers]
  }

  clearPendingSyncMembers(): void {
    this.pendingSyncMembers.clear()
  }

  hasStaticMember(groupInstanceId: string): boolean {
    return this.staticMembers.has(groupInstanceId)
  }

  currentStaticMemberId(groupInstanceId: string): string | undefined {
    return this.staticMembers.get(groupInstanceId)
  }

  get notYetRejoinedMembers(): MemberMetadata[] {
    return [...this.members.values()].filter((m) => !m.isAwaitingJoin)
  }

  get hasAllMembersJoined(): boolean {
    return this.members.size === this.numMembersAwaitingJoin && this.pendingMembers.size === 0
  }

  get allMembers(): string[] {
    return [...this.members.keys()]
  }

  get allStaticMembers(): string[] {
    return [...this.staticMembers.keys()]
  }

  get allPendingMembers(): string[] {
    return [...this.pendingMembers]
  }

  get numPending(): number {
    return this.pendingMembers.size
  }

  get numAwaiting(): number {
    return this.numMembersAwaitingJoin
  }

  get allMemberMetadata(): MemberMetadata[] {
    return [...this.members.values()]
  }

  /** The largest rebalance timeout of the members (0 for no members). */
  get rebalanceTimeoutMs(): number {
    let t = 0
    for (const m of this.members.values()) t = Math.max(t, m.rebalanceTimeoutMs)
    return t
  }

  /** `clientId-UUID`, or `groupInstanceId-UUID` for static members. */
  generateMemberId(clientId: string, groupInstanceId: string | null): string {
    return `${groupInstanceId ?? clientId}-${randomUUID()}`
  }

  get canRebalance(): boolean {
    return VALID_PREVIOUS_STATES.PreparingRebalance.includes(this.state)
  }

  transitionTo(target: GroupState): void {
    if (!VALID_PREVIOUS_STATES[target].includes(this.state)) {
      throw new Error(
        `Group ${this.groupId} should be in the ${VALID_PREVIOUS_STATES[target].join(',')} states before moving to ` +
          `${target} state. Instead it is in ${this.state} state`,
      )
    }
    this.state = target
    this.currentStateTimestamp = this.now()
  }

  /** The protocol every member supports that gets the most first-choice votes. */
  selectProtocol(): string {
    if (this.members.size === 0) throw new Error('Cannot select protocol for empty group')
    const candidates = this.candidateProtocols()
    const votes = new Map<string, number>()
    for (const m of this.members.values()) {
      const p = m.vote(candidates)
      votes.set(p, (votes.get(p) ?? 0) + 1)
    }
    let best = ''
    let bestVotes = -1
    for (const [p, n] of votes) {
      if (n > bestVotes) {
        best = p
        bestVotes = n
      }
    }
    return best
  }

  private candidateProtocols(): Set<string> {
    const n = this.members.size
    const out = new Set<string>()
    for (const [p, count] of this.supportedProtocols) if (count === n) out.add(p)
    return out
  }

  private incSupportedProtocols(member: MemberMetadata): void {
    for (const p of member.supportedProtocols) {
      this.supportedProtocols.set(p.name, (this.supportedProtocols.get(p.name) ?? 0) + 1)
    }
  }

  private decSupportedProtocols(member: MemberMetadata): void {
    for (const p of member.supportedProtocols) {
      this.supportedProtocols.set(p.name, (this.supportedProtocols.get(p.name) ?? 0) - 1)
    }
  }

  /**
   * An Empty group accepts any non-empty protocol type with at least one protocol; otherwise the type must
   * match and one protocol must be supported by every current member.
   */
  supportsProtocols(memberProtocolType: string, memberProtocols: ReadonlySet<string>): boolean {
    if (this.is('Empty')) return memberProtocolType !== '' && memberProtocols.size > 0
    if (this.protocolType !== memberProtocolType) return false
    for (const p of memberProtocols) {
      if ((this.supportedProtocols.get(p) ?? 0) === this.members.size) return true
    }
    return false
  }

  get subscribedTopicsOrNull(): ReadonlySet<string> | null {
    return this.subscribedTopics
  }

  /** True when the consumer group subscribes to the topic, or when that is not known (to be safe). */
  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics === null || this.subscribedTopics.has(topic)
  }

  /**
   * For protocol type "consumer": the union of the members' subscribed topics, parsed with the version 0
   * schema (the prefix of every version). null when the type differs, no protocol is chosen yet, or a
   * subscription does not parse.
   */
  computeSubscribedTopics(): ReadonlySet<string> | null {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE) return null
    if (this.members.size === 0) return new Set()
    if (this.protocolName === null) return null
    try {
      const topics = new Set<string>()
      for (const m of this.members.values()) {
        const r = new Reader(m.metadata(this.protocolName))
        r.int16() // the version; every version starts with the version 0 fields
        for (const t of decode(ConsumerProtocolSubscription, 0, r).topics) topics.add(t)
      }
      return topics
    } catch {
      return null
    }
  }

  updateMember(
    member: MemberMetadata,
    protocols: readonly Protocol[],
    rebalanceTimeoutMs: number,
    sessionTimeoutMs: number,
    callback: JoinCallback | null,
  ): void {
    this.decSupportedProtocols(member)
    member.supportedProtocols = protocols
    this.incSupportedProtocols(member)
    member.rebalanceTimeoutMs = rebalanceTimeoutMs
    member.sessionTimeoutMs = sessionTimeoutMs
    if (callback !== null && !member.isAwaitingJoin) this.numMembersAwaitingJoin++
    else if (callback === null && member.isAwaitingJoin) this.numMembersAwaitingJoin--
    member.awaitingJoinCallback = callback
  }

  /**
   * Online upgrade (KIP-848): the members move to a consumer group; this entry stays, Empty, for the offsets.
   * Whoever still waits on a JoinGroup or SyncGroup is answered with `error`.
   */
  releaseMembersForMigration(error: number): ReleasedClassicMembers {
    const before: ReleasedClassicMembers = {
      members: [...this.members.values()],
      generationId: this.generationId,
      protocolType: this.protocolType,
      protocolName: this.protocolName,
      leaderId: this.leaderId,
      state: this.state,
    }
    const released = before.members
    for (const m of released) {
      this.maybeInvokeJoinCallback(m, joinError(m.memberId, error))
      this.maybeInvokeSyncCallback(m, syncError(error))
      this.remove(m.memberId)
    }
    for (const id of [...this.pendingMembers]) this.remove(id)
    this.protocolType = null
    this.protocolName = null
    this.subscribedTopics = null
    this.clearPendingSyncMembers()
    this.state = 'Empty'
    this.currentStateTimestamp = this.now()
    return before
  }

  /**
   * The write of an online upgrade failed (KIP-848): the members released by `releaseMembersForMigration` come
   * back, at their generation with their assignments, the group Stable (the coordinator rebalances it when it was
   * not).
   */
  restoreReleasedMembers(released: ReleasedClassicMembers): void {
    this.generationId = released.generationId
    for (const m of released.members) this.add(m, null)
    this.protocolType = released.protocolType
    this.protocolName = released.protocolName
    if (released.leaderId !== null && this.members.has(released.leaderId)) this.leaderId = released.leaderId
    this.subscribedTopics = this.computeSubscribedTopics()
    this.state = 'Stable'
    this.currentStateTimestamp = this.now()
  }

  /** Online downgrade (KIP-848): the group takes back members of a consumer group, Stable at `generationId`. */
  adoptMembersForMigration(
    generationId: number,
    protocolType: string,
    protocolName: string | null,
    members: readonly MemberMetadata[],
  ): void {
    this.generationId = generationId
    for (const m of members) this.add(m, null)
    this.protocolType = protocolType
    this.protocolName = protocolName
    this.subscribedTopics = this.computeSubscribedTopics()
    this.state = 'Stable'
    this.currentStateTimestamp = this.now()
  }

  maybeInvokeJoinCallback(member: MemberMetadata, result: JoinGroupResult): void {
    const cb = member.awaitingJoinCallback
    if (cb === null) return
    member.awaitingJoinCallback = null
    this.numMembersAwaitingJoin--
    cb(result)
  }

  /** Returns true when a sync callback was waiting and has been answered. */
  maybeInvokeSyncCallback(member: MemberMetadata, result: SyncGroupResult): boolean {
    const cb = member.awaitingSyncCallback
    if (cb === null) return false
    member.awaitingSyncCallback = null
    cb(result)
    return true
  }

  initNextGeneration(): void {
    this.generationId++
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol()
      this.subscribedTopics = this.computeSubscribedTopics()
      this.transitionTo('CompletingRebalance')
    } else {
      this.protocolName = null
      this.subscribedTopics = this.computeSubscribedTopics()
      this.transitionTo('Empty')
    }
    this.receivedConsumerOffsetCommits = false
    this.receivedTransactionalOffsetCommits = false
    this.clearPendingSyncMembers()
  }

  currentMemberMetadata(): JoinGroupResponseMember[] {
    if (this.is('Dead') || this.is('PreparingRebalance') || this.protocolName === null) {
      throw new Error(`Cannot obtain member metadata for group in state ${this.state}`)
    }
    const protocol = this.protocolName
    return [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.metadata(protocol),
    }))
  }

  summary(): GroupSummary {
    if (this.is('Stable')) {
      const protocol = this.protocolName
      if (protocol === null) throw new Error('Invalid null group protocol for stable group')
      return {
        state: this.state,
        protocolType: this.protocolType ?? '',
        protocol,
        members: [...this.members.values()].map((m) => m.summary(protocol)),
      }
    }
    return {
      state: this.state,
      protocolType: this.protocolType ?? '',
      protocol: '',
      members: [...this.members.values()].map((m) => m.summaryNoMetadata()),
    }
  }

  overview(): GroupOverview {
    return {
      groupId: this.groupId,
      protocolType: this.protocolType ?? '',
      state: this.state,
      groupType: 'classic',
    }
  }

  /** Case-insensitive match of the state name against a set of lower-cased names. */
  isInStates(lowerCaseStates: ReadonlySet<string>): boolean {
    return lowerCaseStates.has(this.state.toLowerCase())
  }

  // ---- offsets ----

  initializeOffsets(
    offsets: Iterable<CommitRecord>,
    pendingTxnOffsets: ReadonlyMap<number, Map<string, CommitRecord>>,
  ): void {
    for (const o of offsets) this.offsets.set(tpKey(o.topic, o.partition), o)
    for (const [pid, m] of pendingTxnOffsets) this.pendingTransactionalOffsetCommits.set(pid, m)
  }

  onOffsetCommitAppend(commit: CommitRecord): void {
    const key = tpKey(commit.topic, commit.partition)
    const pending = this.pendingOffsetCommits.get(key)
    if (pending !== undefined) {
      const current = this.offsets.get(key)
      if (current === undefined || olderThan(current, commit)) this.offsets.set(key, commit)
      // The entry may be gone when the topic was deleted meanwhile (removeOffsets).
      if (pending.offsetAndMetadata === commit.offsetAndMetadata) this.pendingOffsetCommits.delete(key)
    }
  }

  failPendingOffsetWrite(tp: TopicPartition, offset: OffsetAndMetadata): void {
    const key = tpKey(tp.topic, tp.partition)
    if (this.pendingOffsetCommits.get(key)?.offsetAndMetadata === offset)
      this.pendingOffsetCommits.delete(key)
  }

  prepareOffsetCommit(offsets: readonly (TopicPartition & { offsetAndMetadata: OffsetAndMetadata })[]): void {
    this.receivedConsumerOffsetCommits = true
    for (const o of offsets) this.pendingOffsetCommits.set(tpKey(o.topic, o.partition), o)
  }

  prepareTxnOffsetCommit(
    producerId: number,
    offsets: readonly (TopicPartition & { offsetAndMetadata: OffsetAndMetadata })[],
  ): void {
    this.receivedTransactionalOffsetCommits = true
    let producerOffsets = this.pendingTransactionalOffsetCommits.get(producerId)
    if (!producerOffsets)
      this.pendingTransactionalOffsetCommits.set(producerId, (producerOffsets = new Map()))
    for (const o of offsets) {
      producerOffsets.set(tpKey(o.topic, o.partition), {
        topic: o.topic,
        partition: o.partition,
        appendedBatchOffset: null,
        offsetAndMetadata: o.offsetAndMetadata,
      })
    }
  }

  get hasReceivedConsistentOffsetCommits(): boolean {
    return !this.receivedConsumerOffsetCommits || !this.receivedTransactionalOffsetCommits
  }

  failPendingTxnOffsetCommit(producerId: number, tp: TopicPartition): void {
    const pending = this.pendingTransactionalOffsetCommits.get(producerId)
    if (!pending) return
    pending.delete(tpKey(tp.topic, tp.partition))
    if (pending.size === 0) this.pendingTransactionalOffsetCommits.delete(producerId)
  }

  onTxnOffsetCommitAppend(producerId: number, commit: CommitRecord): void {
    const pending = this.pendingTransactionalOffsetCommits.get(producerId)
    if (!pending) return
    const key = tpKey(commit.topic, commit.partition)
    if (pending.get(key)?.offsetAndMetadata === commit.offsetAndMetadata) pending.set(key, commit)
  }

  /** Applies (commit) or drops (abort) a producer's pending transactional offsets once its marker is written. */
  completePendingTxnOffsetCommit(producerId: number, isCommit: boolean): void {
    const pending = this.pendingTransactionalOffsetCommits.get(producerId)
    this.pendingTransactionalOffsetCommits.delete(producerId)
    if (!isCommit || !pending) return
    for (const [key, commit] of pending) {
      if (commit.appendedBatchOffset === null) {
        throw new Error(
          `Trying to complete a transactional offset commit for producerId ${producerId} and groupId ${this.groupId} ` +
            `even though the offset commit record itself hasn't been appended to the log.`,
        )
      }
      const current = this.offsets.get(key)
      if (current === undefined || olderThan(current, commit)) this.offsets.set(key, commit)
    }
  }

  get activeProducers(): number[] {
    return [...this.pendingTransactionalOffsetCommits.keys()]
  }

  hasPendingOffsetCommitsFromProducer(producerId: number): boolean {
    return this.pendingTransactionalOffsetCommits.has(producerId)
  }

  hasPendingOffsetCommitsForTopicPartition(tp: TopicPartition): boolean {
    const key = tpKey(tp.topic, tp.partition)
    if (this.pendingOffsetCommits.has(key)) return true
    for (const m of this.pendingTransactionalOffsetCommits.values()) if (m.has(key)) return true
    return false
  }

  removeAllOffsets(): Map<string, CommitRecord> {
    return this.removeOffsets([...this.offsets.values()])
  }

  removeOffsets(tps: readonly TopicPartition[]): Map<string, CommitRecord> {
    const removed = new Map<string, CommitRecord>()
    for (const tp of tps) {
      const key = tpKey(tp.topic, tp.partition)
      this.pendingOffsetCommits.delete(key)
      for (const m of this.pendingTransactionalOffsetCommits.values()) m.delete(key)
      const o = this.offsets.get(key)
      if (o !== undefined) {
        this.offsets.delete(key)
        removed.set(key, o)
      }
    }
    return removed
  }

  /**
   * Kafka 2.1+ (KIP-211) expiration. An Empty group with a protocol type expires every offset once the group
   * has been empty for the retention period (or, for metadata without a state timestamp, the retention since
   * the commit). A Stable consumer group that knows its subscriptions expires offsets of topics it no longer
   * subscribes to, by commit time. A group without a protocol type (simple consumers) expires by commit time.
   * An offset with an explicit expire timestamp (OffsetCommit v2-v4 retention) expires at that time.
   * Offsets with a commit in flight never expire.
   */
  removeExpiredOffsets(currentTimestamp: number, offsetRetentionMs: number): Map<string, CommitRecord> {
    const expired = (
      baseTimestamp: (c: CommitRecord) => number,
      subscribed: ReadonlySet<string> = new Set(),
    ): Map<string, CommitRecord> => {
      const out = new Map<string, CommitRecord>()
      for (const [key, c] of this.offsets) {
        if (subscribed.has(c.topic) || this.pendingOffsetCommits.has(key)) continue
        const expire = c.offsetAndMetadata.expireTimestamp
        const isExpired =
          expire === null
            ? currentTimestamp - baseTimestamp(c) >= offsetRetentionMs
            : currentTimestamp >= expire
        if (isExpired) out.set(key, c)
      }
      return out
    }

    let result: Map<string, CommitRecord>
    if (this.protocolType !== null && this.is('Empty')) {
      const stateTs = this.currentStateTimestamp
      result = expired((c) => stateTs ?? c.offsetAndMetadata.commitTimestamp)
    } else if (
      this.protocolType === CONSUMER_PROTOCOL_TYPE &&
      this.subscribedTopics !== null &&
      this.is('Stable')
    ) {
      result = expired((c) => c.offsetAndMetadata.commitTimestamp, this.subscribedTopics)
    } else if (this.protocolType === null) {
      result = expired((c) => c.offsetAndMetadata.commitTimestamp)
    } else {
      result = new Map()
    }
    for (const key of result.keys()) this.offsets.delete(key)
    return result
  }

  get allOffsets(): CommitRecord[] {
    return [...this.offsets.values()]
  }

  offset(tp: TopicPartition): OffsetAndMetadata | undefined {
    return this.offsets.get(tpKey(tp.topic, tp.partition))?.offsetAndMetadata
  }

  get numOffsets(): number {
    return this.offsets.size
  }

  get hasOffsets(): boolean {
    return (
      this.offsets.size > 0 ||
      this.pendingOffsetCommits.size > 0 ||
      this.pendingTransactionalOffsetCommits.size > 0
    )
  }

  toString(): string {
    return (
      `GroupMetadata(groupId=${this.groupId}, generation=${this.generationId}, ` +
      `protocolType=${this.protocolType ?? 'None'}, currentState=${this.state}, members=${this.members.size})`
    )
  }
}
