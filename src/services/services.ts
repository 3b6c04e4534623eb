/**
 * The broker's services as one typed bundle: what request handlers are given. The broker builds it once, after
 * every service exists (`Broker.createServices`), and hands the same object to every handler factory; nothing
 * in it is set later. Handlers import this interface and the service types they call — never the broker.
 *
 * Each handler declares the slice it uses (`Pick<Services, 'replicas' | 'cache'>`, or a structural subset such
 * as `{ groups: GroupCoordinator }`), so its unit test builds only that slice.
 *
 * Adding a service (a transaction coordinator, a security service with authenticator/authorizer/quotas,
 * metrics, ...): one readonly field here, one line in `Broker.createServices` that constructs it with its own
 * dependencies, and its start/stop in the broker's startup and shutdown steps. A service receives the other
 * services it needs through its constructor; services never import this bundle (it would make every service
 * depend on every other one).
 */
import type { BrokerConfig } from '../config/broker-config.js'
import type { Clock } from '../util/scheduler.js'
import type { Logger } from '../util/logger.js'
import type { Controller } from './controller/controller.js'
import type { GroupCoordinator } from './group/coordinator.js'
import type { ZkConsumerOffsetStore } from './group/zk-offsets.js'
import type { LogManager } from './log/log-manager.js'
import type { BrokerMetrics } from './metrics/broker-metrics.js'
import type { ConfigAdmin } from './metadata/config-admin.js'
import type { MetadataCache } from './metadata/metadata-cache.js'
import type { TopicAdmin } from './metadata/topic-admin.js'
import type { ProducerIdManager } from './producer/producer-id-manager.js'
import type { FetchSessionCache } from './replica/fetch-session.js'
import type { Authorizer } from './security/authorizer.js'
import type { ReplicaManager } from './replica/replica-manager.js'
import type { TransactionCoordinator } from './transaction/coordinator.js'
import type { TxnMarkerWriter } from './transaction/marker-writer.js'
import type { ScramCredentialAdmin } from './security/scram-admin.js'
import type { ClientQuotas } from './quota/client-quotas.js'

export interface Services {
  /** The broker's configuration (static and dynamic broker configs). */
  readonly config: BrokerConfig
  readonly log: Logger
  readonly clock: Clock
  /** The cluster as this broker sees it: brokers, controller, topics, partition states (ZooKeeper watches). */
  readonly cache: MetadataCache
  /** Topic creation, deletion, partition growth, internal topics. */
  readonly topicAdmin: TopicAdmin
  /** Topic and broker configs: describe, alter, incremental alter. */
  readonly configAdmin: ConfigAdmin
  /** The controller (active on one broker of the cluster at a time). */
  readonly controller: Controller
  /** The logs of this broker's partition replicas, by directory. */
  readonly logManager: LogManager
  /** Partition leaders and followers: appends, fetches, high watermarks, ISR, delayed operations. */
  readonly replicas: ReplicaManager
  /** Incremental fetch sessions (KIP-227). */
  readonly fetchSessions: FetchSessionCache
  /** The classic group coordinator and its `__consumer_offsets` storage. */
  readonly groups: GroupCoordinator
  /** OffsetCommit/OffsetFetch v0 offsets, kept in ZooKeeper (`/consumers/...`) as ZooKeeper-mode Kafka does. */
  readonly zkOffsets: ZkConsumerOffsetStore
  /** Producer ids for idempotent producers, from blocks claimed in ZooKeeper. */
  readonly producerIds: ProducerIdManager
  /** The transaction coordinator and its `__transaction_state` storage (KIP-98). */
  readonly transactions: TransactionCoordinator
  /** The partition-leader side of WriteTxnMarkers: appends COMMIT/ABORT markers. */
  readonly txnMarkers: TxnMarkerWriter
  /** SCRAM credentials in /config/users: DescribeUserScramCredentials / AlterUserScramCredentials. */
  readonly scramAdmin: ScramCredentialAdmin
  /**
   * Decides who may do what (Kafka's ACL authorizer, `authorizer.class.name`); without one configured it allows
   * everything. Handlers use it through handlers/authz.ts.
   */
  readonly authorizer: Authorizer
  /** Client quotas (producer_byte_rate, consumer_byte_rate) from /config/users and /config/clients. */
  readonly quotas: ClientQuotas
  /** Prometheus metrics: hot-path counters and scrape-time gauges (Kafka's JMX names, as the JMX exporter maps them). */
  readonly metrics: BrokerMetrics
}
