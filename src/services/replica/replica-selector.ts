/**
 * Replica selectors (KIP-392, `replica.selector.class`): which replica a consumer should read a partition from.
 * The leader asks its selector on every consumer fetch (Fetch v11+, which carries the client's rack); a choice other
 * than itself goes back as `preferred_read_replica` and the consumer reads from that follower until the leader tells
 * it otherwise (or the follower answers OFFSET_OUT_OF_RANGE and the client falls back to the leader).
 *
 * The two selectors Kafka ships are the only classes Samsa knows; naming another stops the broker at start-up.
 */
import { LEADER_SELECTOR_CLASS, RACK_AWARE_SELECTOR_CLASS } from '../../config/unsupported.js'

/** What the selector knows of one replica that can serve the fetch offset (Kafka's ReplicaView). */
export interface ReplicaView {
  readonly brokerId: number
  /** The replica's rack (`broker.rack`), null when unset or when the broker has no endpoint on the listener. */
  readonly rack: string | null
  readonly logEndOffset: number
  /** How long ago the replica was last caught up with the leader (0 for the leader itself). */
  readonly timeSinceLastCaughtUpMs: number
}

/** Kafka's ClientMetadata, as far as the selectors use it. */
export interface ClientMetadata {
  /** Fetch v11 `rack_id` (`client.rack`); empty when the client did not set one. */
  readonly rackId: string
  readonly listenerName: string
}

/** Picks the replica to read from; `leader` is always among `replicas`. */
export type ReplicaSelector = (
  client: ClientMetadata,
  leader: ReplicaView,
  replicas: readonly ReplicaView[],
) => ReplicaView

/** org.apache.kafka.common.replica.LeaderSelector: always the leader. */
export const leaderSelector: ReplicaSelector = (_client, leader) => leader

/** The more caught-up replica first: the higher log end offset, then the more recently caught up. */
function moreCaughtUp(a: ReplicaView, b: ReplicaView): number {
  if (a.logEndOffset !== b.logEndOffset) return b.logEndOffset - a.logEndOffset
  return a.timeSinceLastCaughtUpMs - b.timeSinceLastCaughtUpMs
}

/**
 * org.apache.kafka.common.replica.RackAwareReplicaSelector: a client without a rack, or whose rack holds no replica,
 * reads from the leader; so does one in the leader's rack; otherwise the most caught-up replica of its rack.
 */
export const rackAwareSelector: ReplicaSelector = (client, leader, replicas) => {
  if (client.rackId === '') return leader
  const sameRack = replicas.filter((r) => r.rack === client.rackId)
  if (sameRack.length === 0 || sameRack.some((r) => r.brokerId === leader.brokerId)) return leader
  return [...sameRack].sort(moreCaughtUp)[0]!
}

/** The selector a `replica.selector.class` value names, or undefined for a class Samsa does not have. */
export function replicaSelectorFor(className: string | null): ReplicaSelector | null | undefined {
  if (className === null || className === '') return null
  if (className === LEADER_SELECTOR_CLASS) return leaderSelector
  if (className === RACK_AWARE_SELECTOR_CLASS) return rackAwareSelector
  return undefined
}
