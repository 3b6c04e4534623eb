/**
 * Replication throttles (KIP-73) are not implemented: the replica fetcher and the leader copy at full speed. So a
 * throttle an operator sets (AlterConfigs on a broker or a topic, as Kafka's tools do) is refused with
 * INVALID_REQUEST or INVALID_CONFIG rather than accepted and ignored.
 */
export const THROTTLE_RATE_CONFIGS = [
  'leader.replication.throttled.rate',
  'follower.replication.throttled.rate',
]
export const THROTTLED_REPLICAS_CONFIGS = [
  'leader.replication.throttled.replicas',
  'follower.replication.throttled.replicas',
]

export function throttleUnsupported(name: string, value: string): string {
  return `${name}=${value}: Samsa does not throttle replication (KIP-73) yet; replicas are copied at full speed`
}
