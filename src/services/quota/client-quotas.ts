/** The broker's client quotas: the stored configs and one manager per enforced quota type (Kafka's QuotaManagers). */
import type { Logger } from '../../util/logger.js'
import type { Scheduler } from '../../util/scheduler.js'
import type { MetadataStore } from '../metadata/store.js'
import { ClientQuotaManager, type ClientQuotaType } from './client-quota-manager.js'
import { ClientQuotaStore } from './quota-store.js'
import { ControllerMutationQuotaManager, type TokenBucketConfig } from './controller-mutation-quota.js'

export interface ClientQuotas {
  readonly store: ClientQuotaStore
  /** producer_byte_rate: request bytes of Produce. */
  readonly produce: ClientQuotaManager
  /** consumer_byte_rate: response bytes of Fetch to consumers. */
  readonly fetch: ClientQuotaManager
  /** request_percentage: the broker's time in the client's requests (Kafka's ClientRequestQuotaManager). */
  readonly request: ClientQuotaManager
  /** controller_mutation_rate: partitions created and deleted (Kafka's ControllerMutationQuotaManager, KIP-599). */
  readonly controllerMutation: ControllerMutationQuotaManager
}

/** Requests between brokers, exempt from the request quota as Kafka exempts ClusterAction requests. */
const INTER_BROKER_APIS = new Set([4, 5, 6, 7, 27]) // LeaderAndIsr, StopReplica, UpdateMetadata, ControlledShutdown, WriteTxnMarkers

/** Whether a request counts towards request_percentage (not a broker's: inter-broker APIs, follower fetches). */
export function requestQuotaApplies(apiKey: number, body: unknown, apiVersion: number): boolean {
  if (INTER_BROKER_APIS.has(apiKey)) return false
  if (apiKey === 1) {
    const f = body as { replicaId?: number; replicaState?: { replicaId: number } }
    const replicaId = apiVersion >= 15 ? (f.replicaState?.replicaId ?? -1) : (f.replicaId ?? -1)
    return replicaId < 0
  }
  return true
}

export function createClientQuotas(
  metadataStore: MetadataStore,
  scheduler: Scheduler,
  window: { samples: number; windowMs: number },
  log: Logger,
  controllerWindow: TokenBucketConfig = window,
): ClientQuotas {
  const store = new ClientQuotaStore(metadataStore, log)
  const manager = (type: ClientQuotaType) =>
    new ClientQuotaManager({ type, source: store, scheduler, ...window })
  return {
    store,
    produce: manager('producer_byte_rate'),
    fetch: manager('consumer_byte_rate'),
    request: manager('request_percentage'),
    controllerMutation: new ControllerMutationQuotaManager({ ...controllerWindow, source: store, scheduler }),
  }
}
