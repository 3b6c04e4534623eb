/** The broker's client quotas: the stored configs and one manager per enforced quota type (Kafka's QuotaManagers). */
import type { Logger } from '../../util/logger.js'
import type { Scheduler } from '../../util/scheduler.js'
import type { MetadataStore } from '../metadata/store.js'
import { ClientQuotaManager } from './client-quota-manager.js'
import { ClientQuotaStore } from './quota-store.js'

export interface ClientQuotas {
  readonly store: ClientQuotaStore
  /** producer_byte_rate: request bytes of Produce. */
  readonly produce: ClientQuotaManager
  /** consumer_byte_rate: response bytes of Fetch to consumers. */
  readonly fetch: ClientQuotaManager
}

export function createClientQuotas(
  metadataStore: MetadataStore,
  scheduler: Scheduler,
  window: { samples: number; windowMs: number },
  log: Logger,
): ClientQuotas {
  const store = new ClientQuotaStore(metadataStore, log)
  const manager = (type: 'producer_byte_rate' | 'consumer_byte_rate') =>
    new ClientQuotaManager({ type, source: store, scheduler, ...window })
  return { store, produce: manager('producer_byte_rate'), fetch: manager('consumer_byte_rate') }
}
