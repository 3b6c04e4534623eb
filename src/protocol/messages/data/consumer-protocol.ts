/**
 * The embedded protocol of the "consumer" protocol type: the member metadata a consumer sends in
 * JoinGroup (a subscription) and the assignment the leader sends back in SyncGroup. Both are an int16
 * version followed by the struct.
 *
 * Kafka reads a version newer than it knows as its highest known version and ignores whatever follows
 * (new versions may only append fields), so these helpers do the same.
 */
import { decodeVersionPrefixed, encodeVersionPrefixed } from './version-prefixed.js'
import { array, bytes, int32, message, string, T, type Infer, type Input } from '../../codec/schema.js'

// Version 1 adds OwnedPartitions (KIP-429). Version 2 adds GenerationId (KIP-792).
// Version 3 adds RackId (KIP-881).
export const ConsumerProtocolSubscription = message({
  name: 'ConsumerProtocolSubscription',
  kind: 'data',
  validVersions: '0-3',
  flexibleVersions: 'none',
  fields: [
    array('topics', T.string),
    bytes('userData', { nullable: '0+', default: null }),
    array('ownedPartitions', [string('topic', '1+'), array('partitions', T.int32, '1+')], '1+'),
    int32('generationId', { versions: '2+', default: -1 }),
    string('rackId', { versions: '3+', nullable: '3+', default: null }),
  ],
})

// Versions 1 to 3 are the same as version 0 (they follow the subscription's version bumps).
export const ConsumerProtocolAssignment = message({
  name: 'ConsumerProtocolAssignment',
  kind: 'data',
  validVersions: '0-3',
  flexibleVersions: 'none',
  fields: [
    array('assignedPartitions', [string('topic'), array('partitions', T.int32)]),
    bytes('userData', { nullable: '0+', default: null }),
  ],
})

export type ConsumerProtocolSubscriptionData = Infer<typeof ConsumerProtocolSubscription>
export type ConsumerProtocolAssignmentData = Infer<typeof ConsumerProtocolAssignment>

/** The highest version of either struct that Kafka 3.9 knows (and writes). */
export const CONSUMER_PROTOCOL_VERSION = 3

/** `version` is the version on the wire (possibly newer than 3); `value` is read as min(version, 3). */
export function decodeSubscription(buf: Buffer): {
  version: number
  value: ConsumerProtocolSubscriptionData
} {
  return decodeVersionPrefixed(ConsumerProtocolSubscription, buf, 'read-as-highest')
}

export function encodeSubscription(
  value: Input<ConsumerProtocolSubscriptionData>,
  version: number = CONSUMER_PROTOCOL_VERSION,
): Buffer {
  return encodeVersionPrefixed(ConsumerProtocolSubscription, version, value)
}

/** `version` is the version on the wire (possibly newer than 3); `value` is read as min(version, 3). */
export function decodeAssignment(buf: Buffer): { version: number; value: ConsumerProtocolAssignmentData } {
  return decodeVersionPrefixed(ConsumerProtocolAssignment, buf, 'read-as-highest')
}

export function encodeAssignment(
  value: Input<ConsumerProtocolAssignmentData>,
  version: number = CONSUMER_PROTOCOL_VERSION,
): Buffer {
  return encodeVersionPrefixed(ConsumerProtocolAssignment, version, value)
}
