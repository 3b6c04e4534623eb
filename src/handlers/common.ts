/** Small pieces shared by several handlers. */
import type { MetadataCache } from '../services/metadata/metadata-cache.js'

/** Kafka's AclOperation codes. */
export const AclOperation = {
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const

const bits = (ops: readonly number[]): number => ops.reduce((acc, op) => acc | (1 << op), 0)

/** Without an authorizer every operation on a resource is allowed; these are the bit sets Kafka reports then. */
export const TOPIC_AUTHORIZED_OPERATIONS = bits([
  AclOperation.READ,
  AclOperation.WRITE,
  AclOperation.CREATE,
  AclOperation.DELETE,
  AclOperation.ALTER,
  AclOperation.DESCRIBE,
  AclOperation.DESCRIBE_CONFIGS,
  AclOperation.ALTER_CONFIGS,
])
export const CLUSTER_AUTHORIZED_OPERATIONS = bits([
  AclOperation.CREATE,
  AclOperation.ALTER,
  AclOperation.DESCRIBE,
  AclOperation.CLUSTER_ACTION,
  AclOperation.DESCRIBE_CONFIGS,
  AclOperation.ALTER_CONFIGS,
  AclOperation.IDEMPOTENT_WRITE,
])
export const GROUP_AUTHORIZED_OPERATIONS = bits([
  AclOperation.READ,
  AclOperation.DESCRIBE,
  AclOperation.DELETE,
])

export interface BrokerEndpoint {
  readonly id: number
  readonly host: string
  readonly port: number
  readonly rack: string | null
}

/** Live brokers with their endpoint for one listener (brokers without that listener are left out, as in Kafka). */
export function brokersForListener(cache: MetadataCache, listenerName: string): BrokerEndpoint[] {
  const out: BrokerEndpoint[] = []
  for (const b of cache.brokers.values()) {
    const ep = b.endpoints.find((e) => e.listenerName === listenerName)
    if (ep) out.push({ id: b.id, host: ep.host, port: ep.port, rack: b.rack })
  }
  return out.sort((a, b) => a.id - b.id)
}

export function endpointOf(
  cache: MetadataCache,
  brokerId: number,
  listenerName: string,
): BrokerEndpoint | undefined {
  const b = cache.brokers.get(brokerId)
  const ep = b?.endpoints.find((e) => e.listenerName === listenerName)
  return b && ep ? { id: b.id, host: ep.host, port: ep.port, rack: b.rack } : undefined
}

/** Groups items by a key, keeping first-seen order (responses list topics in request order). */
export function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>()
  for (const it of items) {
    const k = key(it)
    const list = m.get(k)
    if (list) list.push(it)
    else m.set(k, [it])
  }
  return m
}
