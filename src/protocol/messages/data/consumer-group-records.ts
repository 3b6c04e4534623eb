/**
 * The KIP-848 consumer group records of `__consumer_offsets`, as Kafka 4.0's group coordinator writes them.
 *
 * The key's leading int16 is the record type (3-8; Kafka 4.0 calls it the key's api key, older releases its key
 * version), followed by the key struct (not flexible). The value is an int16 version (0) followed by the value
 * struct (flexible: compact strings and tagged fields); a null value is a tombstone.
 *
 *   3 ConsumerGroupMetadata           group epoch
 *   4 ConsumerGroupPartitionMetadata  the subscribed topics (id, name, partition count) the assignment was computed on
 *   5 ConsumerGroupMemberMetadata     a member's subscription and client details
 *   6 ConsumerGroupTargetAssignmentMetadata  the target assignment epoch
 *   7 ConsumerGroupTargetAssignmentMember    a member's target assignment
 *   8 ConsumerGroupCurrentMemberAssignment   a member's epochs, state, assigned and pending-revocation partitions
 *
 * A member that uses the classic protocol inside a consumer group (online migration) carries its classic metadata
 * (session timeout, supported protocols) in tagged field 0 of its member metadata, as Kafka 4.0 writes it. Other
 * tagged fields of later Kafka releases (a metadata hash, the assignment timestamp) are skipped when read and not
 * written.
 */
import { decode } from '../../codec/codec.js'
import { Reader } from '../../codec/reader.js'
import {
  array,
  bytes,
  int32,
  int8,
  message,
  string,
  structField,
  T,
  uuid,
  type Infer,
  type Input,
} from '../../codec/schema.js'
import { decodeVersionPrefixed, encodeVersionPrefixed } from './version-prefixed.js'

export const ConsumerGroupRecordType = {
  GroupMetadata: 3,
  PartitionMetadata: 4,
  MemberMetadata: 5,
  TargetAssignmentMetadata: 6,
  TargetAssignmentMember: 7,
  CurrentMemberAssignment: 8,
} as const
export type ConsumerGroupRecordType = (typeof ConsumerGroupRecordType)[keyof typeof ConsumerGroupRecordType]

const groupKey = (name: string) =>
  message({ name, kind: 'data', validVersions: '0', flexibleVersions: 'none', fields: [string('groupId')] })
const memberKey = (name: string) =>
  message({
    name,
    kind: 'data',
    validVersions: '0',
    flexibleVersions: 'none',
    fields: [string('groupId'), string('memberId')],
  })

/** Keys 3, 4 and 6 name a group; 5, 7 and 8 a member of it. */
export const ConsumerGroupGroupKey = groupKey('ConsumerGroupMetadataKey')
export const ConsumerGroupMemberKey = memberKey('ConsumerGroupMemberMetadataKey')

export const ConsumerGroupMetadataValue = message({
  name: 'ConsumerGroupMetadataValue',
  kind: 'data',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [int32('epoch')],
})

export const ConsumerGroupPartitionMetadataValue = message({
  name: 'ConsumerGroupPartitionMetadataValue',
  kind: 'data',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    array('topics', [
      uuid('topicId'),
      string('topicName'),
      int32('numPartitions'),
      // racks per partition; an empty list when no partition has rack information (as Kafka writes it then)
      array('partitionMetadata', [int32('partition'), array('racks', T.string)]),
    ]),
  ],
})

export const ConsumerGroupMemberMetadataValue = message({
  name: 'ConsumerGroupMemberMetadataValue',
  kind: 'data',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    string('instanceId', { nullable: '0+' }),
    string('rackId', { nullable: '0+' }),
    string('clientId'),
    string('clientHost'),
    array('subscribedTopicNames', T.string),
    string('subscribedTopicRegex', { nullable: '0+' }),
    int32('rebalanceTimeoutMs', { default: -1 }),
    string('serverAssignor', { nullable: '0+' }),
    // null for a member of the consumer protocol
    structField(
      'classicMemberMetadata',
      [int32('sessionTimeoutMs'), array('supportedProtocols', [string('name'), bytes('metadata')])],
      { nullable: '0+', default: null, tag: 0 },
    ),
  ],
})

export const ConsumerGroupTargetAssignmentMetadataValue = message({
  name: 'ConsumerGroupTargetAssignmentMetadataValue',
  kind: 'data',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [int32('assignmentEpoch')],
})

const topicPartitions = <const N extends string>(name: N) =>
  array(name, [uuid('topicId'), array('partitions', T.int32)])

export const ConsumerGroupTargetAssignmentMemberValue = message({
  name: 'ConsumerGroupTargetAssignmentMemberValue',
  kind: 'data',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [topicPartitions('topicPartitions')],
})

export const ConsumerGroupCurrentMemberAssignmentValue = message({
  name: 'ConsumerGroupCurrentMemberAssignmentValue',
  kind: 'data',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    int32('memberEpoch'),
    int32('previousMemberEpoch'),
    // Kafka's MemberState: 0 STABLE, 1 UNREVOKED_PARTITIONS, 2 UNRELEASED_PARTITIONS, 127 UNKNOWN
    int8('state'),
    topicPartitions('assignedPartitions'),
    topicPartitions('partitionsPendingRevocation'),
  ],
})

export type ConsumerGroupMetadataValueData = Infer<typeof ConsumerGroupMetadataValue>
export type ConsumerGroupPartitionMetadataValueData = Infer<typeof ConsumerGroupPartitionMetadataValue>
export type ConsumerGroupMemberMetadataValueData = Infer<typeof ConsumerGroupMemberMetadataValue>
export type ConsumerGroupTargetAssignmentMetadataValueData = Infer<
  typeof ConsumerGroupTargetAssignmentMetadataValue
>
export type ConsumerGroupTargetAssignmentMemberValueData = Infer<
  typeof ConsumerGroupTargetAssignmentMemberValue
>
export type ConsumerGroupCurrentMemberAssignmentValueData = Infer<
  typeof ConsumerGroupCurrentMemberAssignmentValue
>

/** A decoded consumer group record: its type, the group (and member) it is about, and its value (null: tombstone). */
export type ConsumerGroupRecord =
  | { type: 3; groupId: string; value: ConsumerGroupMetadataValueData | null }
  | { type: 4; groupId: string; value: ConsumerGroupPartitionMetadataValueData | null }
  | { type: 5; groupId: string; memberId: string; value: ConsumerGroupMemberMetadataValueData | null }
  | { type: 6; groupId: string; value: ConsumerGroupTargetAssignmentMetadataValueData | null }
  | { type: 7; groupId: string; memberId: string; value: ConsumerGroupTargetAssignmentMemberValueData | null }
  | {
      type: 8
      groupId: string
      memberId: string
      value: ConsumerGroupCurrentMemberAssignmentValueData | null
    }

/** Input of `encodeConsumerGroupRecord` (the same shapes, with optional defaults). */
export type ConsumerGroupRecordInput =
  | { type: 3; groupId: string; value: Input<ConsumerGroupMetadataValueData> | null }
  | { type: 4; groupId: string; value: Input<ConsumerGroupPartitionMetadataValueData> | null }
  | { type: 5; groupId: string; memberId: string; value: Input<ConsumerGroupMemberMetadataValueData> | null }
  | { type: 6; groupId: string; value: Input<ConsumerGroupTargetAssignmentMetadataValueData> | null }
  | {
      type: 7
      groupId: string
      memberId: string
      value: Input<ConsumerGroupTargetAssignmentMemberValueData> | null
    }
  | {
      type: 8
      groupId: string
      memberId: string
      value: Input<ConsumerGroupCurrentMemberAssignmentValueData> | null
    }

export function isConsumerGroupRecordType(t: number): t is ConsumerGroupRecordType {
  return t >= 3 && t <= 8
}

/** Key and value bytes of a record (value null for a tombstone). */
export function encodeConsumerGroupRecord(r: ConsumerGroupRecordInput): {
  key: Buffer
  value: Buffer | null
} {
  const key =
    'memberId' in r
      ? encodeVersionPrefixed(ConsumerGroupMemberKey, 0, { groupId: r.groupId, memberId: r.memberId })
      : encodeVersionPrefixed(ConsumerGroupGroupKey, 0, { groupId: r.groupId })
  // the key's prefix is the record type, not a struct version
  key.writeInt16BE(r.type, 0)
  if (r.value === null) return { key, value: null }
  switch (r.type) {
    case 3:
      return { key, value: encodeVersionPrefixed(ConsumerGroupMetadataValue, 0, r.value) }
    case 4:
      return { key, value: encodeVersionPrefixed(ConsumerGroupPartitionMetadataValue, 0, r.value) }
    case 5:
      return { key, value: encodeVersionPrefixed(ConsumerGroupMemberMetadataValue, 0, r.value) }
    case 6:
      return { key, value: encodeVersionPrefixed(ConsumerGroupTargetAssignmentMetadataValue, 0, r.value) }
    case 7:
      return { key, value: encodeVersionPrefixed(ConsumerGroupTargetAssignmentMemberValue, 0, r.value) }
    case 8:
      return { key, value: encodeVersionPrefixed(ConsumerGroupCurrentMemberAssignmentValue, 0, r.value) }
  }
}

/**
 * Decodes a record whose key starts with a type of 3-8 (the caller read that type). Values of a version this
 * broker does not know are refused (DecodeError), as Kafka's loader fails on them.
 */
export function decodeConsumerGroupRecord(key: Buffer, value: Buffer | null): ConsumerGroupRecord {
  const r = new Reader(key)
  const type = r.int16()
  const member = (): { groupId: string; memberId: string } => decode(ConsumerGroupMemberKey, 0, r)
  const group = (): { groupId: string } => decode(ConsumerGroupGroupKey, 0, r)
  const v = <Tv>(schema: Parameters<typeof decodeVersionPrefixed<Tv>>[0]): Tv | null =>
    value === null ? null : decodeVersionPrefixed(schema, value).value
  switch (type) {
    case 3:
      return { type, ...group(), value: v(ConsumerGroupMetadataValue) }
    case 4:
      return { type, ...group(), value: v(ConsumerGroupPartitionMetadataValue) }
    case 5:
      return { type, ...member(), value: v(ConsumerGroupMemberMetadataValue) }
    case 6:
      return { type, ...group(), value: v(ConsumerGroupTargetAssignmentMetadataValue) }
    case 7:
      return { type, ...member(), value: v(ConsumerGroupTargetAssignmentMemberValue) }
    case 8:
      return { type, ...member(), value: v(ConsumerGroupCurrentMemberAssignmentValue) }
    default:
      throw new Error(`not a consumer group record type: ${type}`)
  }
}
