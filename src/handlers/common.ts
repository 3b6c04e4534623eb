/** Small pieces shared by several handlers. */
import type { MetadataCache } from '../services/metadata/metadata-cache.js'

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
