/**
 * The values the group coordinator takes and returns, independent of any wire version.
 */

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead'

export interface Protocol {
  readonly name: string
  readonly metadata: Buffer
}

export interface TopicPartition {
  readonly topic: string
  readonly partition: number
}

/** One committed offset, as cached and as stored in an OffsetCommitValue. */
export interface OffsetAndMetadata {
  readonly offset: number
  /** -1 when the commit carried no leader epoch. */
  readonly leaderEpoch: number
  readonly metadata: string
  readonly commitTimestamp: number
  /** Only set by OffsetCommit v2-v4 with an explicit retention time (old expiration semantics). */
  readonly expireTimestamp: number | null
}

export interface JoinGroupResponseMember {
  readonly memberId: string
  readonly groupInstanceId: string | null
  readonly metadata: Buffer
}

export interface JoinGroupResult {
  readonly error: number
  readonly memberId: string
  readonly generationId: number
  readonly protocolType: string | null
  readonly protocolName: string | null
  readonly leaderId: string
  readonly skipAssignment: boolean
  /** Every member's metadata for the leader; empty for followers. */
  readonly members: readonly JoinGroupResponseMember[]
}

export interface SyncGroupResult {
  readonly error: number
  readonly protocolType: string | null
  readonly protocolName: string | null
  readonly assignment: Buffer
}

export interface JoinGroupParams {
  readonly groupId: string
  /** '' for a member that does not have a member id yet. */
  readonly memberId: string
  readonly groupInstanceId: string | null
  /** JoinGroup v4+ without a group instance id: a new member first gets MEMBER_ID_REQUIRED (KIP-394). */
  readonly requireKnownMemberId: boolean
  /** JoinGroup v9+ (KIP-814). */
  readonly supportSkippingAssignment: boolean
  readonly clientId: string
  readonly clientHost: string
  /** JoinGroup v0 has none: pass the session timeout, as Kafka does. */
  readonly rebalanceTimeoutMs: number
  readonly sessionTimeoutMs: number
  readonly protocolType: string
  readonly protocols: readonly Protocol[]
  readonly reason: string | null
}

export interface SyncGroupParams {
  readonly groupId: string
  readonly generationId: number
  readonly memberId: string
  readonly groupInstanceId: string | null
  /** SyncGroup v5+; null when not sent. */
  readonly protocolType: string | null
  readonly protocolName: string | null
  readonly assignments: readonly { readonly memberId: string; readonly assignment: Buffer }[]
}

export interface HeartbeatParams {
  readonly groupId: string
  readonly generationId: number
  readonly memberId: string
  readonly groupInstanceId: string | null
}

export interface LeaveGroupMember {
  readonly memberId: string
  readonly groupInstanceId: string | null
  readonly reason: string | null
}

export interface LeaveGroupResult {
  readonly error: number
  readonly members: readonly (LeaveGroupMember & { readonly error: number })[]
}

export interface OffsetCommitPartition extends TopicPartition {
  readonly offset: number
  /** -1 when not sent (before v6). */
  readonly leaderEpoch: number
  /** null becomes ''. */
  readonly metadata: string | null
  /** OffsetCommit v1 only; -1 means "now". */
  readonly commitTimestamp: number
}

export interface OffsetCommitParams {
  readonly groupId: string
  /** '' for none (v0 and simple consumers). */
  readonly memberId: string
  readonly groupInstanceId: string | null
  /** -1 for simple consumers (and v0). */
  readonly generationId: number
  /** OffsetCommit v2-v4; -1 means "the broker's retention". */
  readonly retentionTimeMs: number
  readonly partitions: readonly OffsetCommitPartition[]
  /** The request's version: members of a consumer group (KIP-848) must use OffsetCommit v9+. Default 9. */
  readonly apiVersion?: number
}

export interface OffsetCommitPartitionResult extends TopicPartition {
  readonly error: number
}

export interface OffsetFetchPartitionResult extends TopicPartition {
  readonly offset: number
  readonly leaderEpoch: number
  readonly metadata: string
  readonly error: number
}

export interface OffsetFetchResult {
  readonly error: number
  readonly partitions: readonly OffsetFetchPartitionResult[]
}

export interface MemberSummary {
  readonly memberId: string
  readonly groupInstanceId: string | null
  readonly clientId: string
  readonly clientHost: string
  readonly metadata: Buffer
  readonly assignment: Buffer
}

export interface GroupSummary {
  readonly state: string
  readonly protocolType: string
  readonly protocol: string
  readonly members: readonly MemberSummary[]
}

export interface DescribeGroupResult {
  readonly error: number
  readonly summary: GroupSummary
  /**
   * Set when there is no classic group by that id (absent, or a consumer group): Kafka's GroupIdNotFoundException
   * message, answered as GROUP_ID_NOT_FOUND from DescribeGroups v6 and as a "Dead" group before.
   */
  readonly notFound?: string
}

export interface GroupOverview {
  readonly groupId: string
  readonly protocolType: string
  readonly state: string
  readonly groupType: string
}

export interface ListGroupsResult {
  readonly error: number
  readonly groups: readonly GroupOverview[]
}

export interface DeleteOffsetsResult {
  readonly error: number
  readonly partitions: readonly OffsetCommitPartitionResult[]
}

/** What the offset handlers need to know about topics (the broker's MetadataCache fits). */
export interface TopicMetadataView {
  topic(name: string): object | undefined
  partition(topic: string, partition: number): object | undefined
}
