/**
 * The records of `__consumer_offsets`, as Kafka 3.9's group coordinator writes and reads them.
 *
 * A record's key is an int16 key version followed by the key struct: versions 0 and 1 are an offset
 * commit key, version 2 is a group metadata key, 3-8 are the KIP-848 consumer group records
 * (consumer-group-records.ts). The value is an int16 value version followed by the
 * value struct of the type the key names; a null value is a tombstone (the offset or group was deleted).
 */
import { decode } from '../../codec/codec.js'
import { Reader } from '../../codec/reader.js'
import { decodeVersionPrefixed, encodeVersionPrefixed } from './version-prefixed.js'
import { array, bytes, int32, int64, message, string, type Infer, type Input } from '../../codec/schema.js'
import { inRange } from '../../codec/versions.js'

// Versions 0 and 1 are identical: Kafka writes version 1.
export const OffsetCommitKey = message({
  name: 'OffsetCommitKey',
  kind: 'data',
  validVersions: '0-1',
  flexibleVersions: 'none',
  fields: [string('group', '0-1'), string('topic', '0-1'), int32('partition', '0-1')],
})

// Version 1 adds expireTimestamp (only in version 1). Version 2 drops it again. Version 3 adds
// leaderEpoch. Version 4 (KIP-915) is the first flexible version; Kafka 3.9 reads it but does not write it.
export const OffsetCommitValue = message({
  name: 'OffsetCommitValue',
  kind: 'data',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    int64('offset'),
    int32('leaderEpoch', { versions: '3+', default: -1 }),
    string('metadata'),
    int64('commitTimestamp'),
    int64('expireTimestamp', { versions: '1', default: -1 }),
  ],
})

export const GroupMetadataKey = message({
  name: 'GroupMetadataKey',
  kind: 'data',
  validVersions: '2',
  flexibleVersions: 'none',
  fields: [string('group', '2')],
})

// Version 1 adds the members' rebalanceTimeout. Version 2 adds currentStateTimestamp. Version 3 adds the
// members' groupInstanceId (KIP-345). Version 4 (KIP-915) is the first flexible version; Kafka 3.9 reads
// it but does not write it. A version 0 record has no rebalanceTimeout: Kafka then uses the member's
// sessionTimeout as its rebalance timeout.
export const GroupMetadataValue = message({
  name: 'GroupMetadataValue',
  kind: 'data',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    string('protocolType'),
    int32('generation'),
    string('protocol', { nullable: '0+' }),
    string('leader', { nullable: '0+' }),
    int64('currentStateTimestamp', { versions: '2+', default: -1 }),
    array('members', [
      string('memberId'),
      string('groupInstanceId', { versions: '3+', nullable: '3+', default: null }),
      string('clientId'),
      string('clientHost'),
      int32('rebalanceTimeout', '1+'),
      int32('sessionTimeout'),
      bytes('subscription'),
      bytes('assignment'),
    ]),
  ],
})

export type OffsetCommitKeyData = Infer<typeof OffsetCommitKey>
export type OffsetCommitValueData = Infer<typeof OffsetCommitValue>
export type GroupMetadataKeyData = Infer<typeof GroupMetadataKey>
export type GroupMetadataValueData = Infer<typeof GroupMetadataValue>

/** The key version Kafka 3.9 writes for offset commits. */
export const OFFSET_COMMIT_KEY_VERSION = 1
/** The key version of group metadata records. */
export const GROUP_METADATA_KEY_VERSION = 2
/** The offset commit value version Kafka 3.9 writes when the commit carries an expire timestamp. */
export const OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRE = 1
/** The offset commit value version Kafka 3.9 writes otherwise (the highest non-flexible version). */
export const OFFSET_COMMIT_VALUE_VERSION = 3
/** The group metadata value version Kafka 3.9 writes (the highest non-flexible version). */
export const GROUP_METADATA_VALUE_VERSION = 3

export function encodeOffsetCommitKey(key: Input<OffsetCommitKeyData>): Buffer {
  return encodeVersionPrefixed(OffsetCommitKey, OFFSET_COMMIT_KEY_VERSION, key)
}

/** Version 1 when an expire timestamp is set (not -1), else version 3, as Kafka 3.9 does. */
export function encodeOffsetCommitValue(value: Input<OffsetCommitValueData>): Buffer {
  const expire = value.expireTimestamp
  const version =
    expire !== undefined && expire !== -1
      ? OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRE
      : OFFSET_COMMIT_VALUE_VERSION
  return encodeVersionPrefixed(OffsetCommitValue, version, value)
}

export function encodeGroupMetadataKey(key: Input<GroupMetadataKeyData>): Buffer {
  return encodeVersionPrefixed(GroupMetadataKey, GROUP_METADATA_KEY_VERSION, key)
}

export function encodeGroupMetadataValue(value: Input<GroupMetadataValueData>): Buffer {
  return encodeVersionPrefixed(GroupMetadataValue, GROUP_METADATA_VALUE_VERSION, value)
}

export type GroupRecordKey =
  | { readonly type: 'offsetCommit'; readonly version: number; readonly key: OffsetCommitKeyData }
  | { readonly type: 'groupMetadata'; readonly version: number; readonly key: GroupMetadataKeyData }
  /** Types 3-8: the KIP-848 consumer group records (consumer-group-records.ts). */
  | { readonly type: 'consumerGroup'; readonly version: number }
  /** Any other key version: the loader skips these. */
  | { readonly type: 'unknown'; readonly version: number }

/** Reads the key version and decodes the key it names. Like Kafka, bytes after the struct are ignored. */
export function decodeGroupRecordKey(buf: Buffer): GroupRecordKey {
  const r = new Reader(buf)
  const version = r.int16()
  if (inRange(OffsetCommitKey.validVersions, version)) {
    return { type: 'offsetCommit', version, key: decode(OffsetCommitKey, version, r) }
  }
  if (inRange(GroupMetadataKey.validVersions, version)) {
    return { type: 'groupMetadata', version, key: decode(GroupMetadataKey, version, r) }
  }
  if (version >= 3 && version <= 8) return { type: 'consumerGroup', version }
  return { type: 'unknown', version }
}

/** Decodes an offset commit value; null (a tombstone) stays null. */
export function decodeOffsetCommitValue(
  buf: Buffer | null,
): { version: number; value: OffsetCommitValueData } | null {
  return buf === null ? null : decodeVersionPrefixed(OffsetCommitValue, buf)
}

/** Decodes a group metadata value; null (a tombstone) stays null. */
export function decodeGroupMetadataValue(
  buf: Buffer | null,
): { version: number; value: GroupMetadataValueData } | null {
  return buf === null ? null : decodeVersionPrefixed(GroupMetadataValue, buf)
}
