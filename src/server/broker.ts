/**
 * One Samsa broker: the services of a ZooKeeper-mode Kafka broker (KafkaServer), wired together and started in
 * Kafka's order, and stopped in reverse. Standalone mode (no zookeeper.connect) is the same broker with its
 * metadata store in a file of the data directory instead of ZooKeeper: it registers, elects itself controller
 * and writes partition states exactly as it would in a cluster.
 */
import { replicaSelectorFor } from '../services/replica/replica-selector.js'
import os from 'node:os'
import path from 'node:path'
import type { BrokerConfig } from '../config/broker-config.js'
import { ConfigException } from '../config/config-def.js'
import { authorizerConfig, type AuthorizerConfig } from '../config/authorizer.js'
import { checkSupported } from '../config/unsupported.js'
import { resolveTopicConfig, validateTopicConfigs, type TopicConfig } from '../config/topic-config.js'
import { RequestDispatcher, type RequestInterceptor } from '../handlers/dispatcher.js'
import { createHandlers } from '../handlers/index.js'
import { BrokerClient, type BrokerAddress } from '../network/broker-client.js'
import { ErrorCode, errorName } from '../protocol/errors.js'
import { Apis } from '../protocol/messages/index.js'
import { ListenerBindError, SocketServer, type BoundListener } from '../network/socket-server.js'
import { resolveOverrides, type ConnectionQuotaConfig } from '../network/connection-quotas.js'
import {
  Controller,
  replicaKey,
  type BrokerLogDirs,
  type PartitionMetadata,
} from '../services/controller/controller.js'
import { ZERO_UUID } from '../protocol/codec/schema.js'
import type { LogConfig } from '../services/log/log-config.js'
import { createAndValidateLogDirs, LogManager } from '../services/log/log-manager.js'
import { readMetaProperties, writeMetaProperties } from '../services/log/meta-properties.js'
import { KafkaZkClient } from '../services/metadata/kafka-zk-client.js'
import { BrokerMetrics } from '../services/metrics/broker-metrics.js'
import { ClusterClient } from '../http/console/cluster-client.js'
import { authorizerAccess, consoleRoutes } from '../http/console/console-routes.js'
import { LocalMetadataStore } from '../services/metadata/local-store.js'
import { MetadataCache } from '../services/metadata/metadata-cache.js'
import type { MetadataStore } from '../services/metadata/store.js'
import { OFFSETS_TOPIC, TopicAdmin, TRANSACTION_STATE_TOPIC } from '../services/metadata/topic-admin.js'
import { ConfigAdmin } from '../services/metadata/config-admin.js'
import { ZkMetadataStore } from '../services/metadata/zk-store.js'
import type { EndPoint } from '../services/metadata/znodes.js'
import { ProducerIdManager } from '../services/producer/producer-id-manager.js'
import { GroupCoordinator } from '../services/group/coordinator.js'
import { MetadataStoreConsumerOffsets } from '../services/group/zk-offsets.js'
import { FetchSessionCache } from '../services/replica/fetch-session.js'
import { ReplicaFetcherManager } from '../services/replica/replica-fetcher.js'
import { ReplicaManager } from '../services/replica/replica-manager.js'
import {
  interBrokerClientSecurity,
  listenerSecurity,
  type ListenerSecuritySetup,
} from '../services/security/listener-security.js'
import { ScramCredentialAdmin } from '../services/security/scram-admin.js'
import {
  checkKeystoreCompatible,
  listenerTls,
  tlsMaterialChanged,
  tlsServerOptions,
} from '../services/security/tls-material.js'
import { ScramCredentialStore } from '../services/security/scram-credentials.js'
import { AclAuthorizer, DISABLED_AUTHORIZER } from '../services/security/authorizer.js'
import { createClientQuotas, requestQuotaApplies } from '../services/quota/client-quotas.js'
import { ReplicationQuotaManager } from '../services/quota/replication-quota.js'
import type { Services } from '../services/services.js'
import {
  ScopedScheduler,
  SystemScheduler,
  systemScheduler,
  type Clock,
  type Scheduler,
} from '../util/scheduler.js'
import { partitionFor } from '../services/group/config.js'
import { TransactionCoordinator } from '../services/transaction/coordinator.js'
import { TxnMarkerWriter } from '../services/transaction/marker-writer.js'
import { AddPartitionsToTxnManager } from '../services/transaction/partition-verifier.js'
import {
  InterBrokerMarkerTransport,
  InterBrokerVerificationTransport,
} from '../services/transaction/transports.js'
import { BrokerConnections } from '../network/broker-connections.js'
import type { Logger } from '../util/logger.js'
import { CoordinatorLogStore } from './coordinator-log-store.js'
import { HttpBindError, HttpServer, type BoundHttpListener } from '../http/http-server.js'
import { createRoutes, type Readiness } from '../http/routes.js'
import { metricSources } from './metric-sources.js'

/** Kafka's SecurityProtocol ids, as UpdateMetadata's endpoints carry them. */
const SECURITY_PROTOCOL_IDS: Readonly<Record<string, number>> = {
  PLAINTEXT: 0,
  SSL: 1,
  SASL_PLAINTEXT: 2,
  SASL_SSL: 3,
}

export const STANDALONE_METADATA_FILE = 'samsa-metadata.json'

export interface BrokerOptions {
  readonly config: BrokerConfig
  readonly logger: Logger
  /**
   * Runs every timer with Kafka semantics and tells the time (default: Node's timers and the system clock). A
   * `ManualScheduler` puts the broker on manual time; see DEVELOPERS.md, "Time and scheduling".
   */
  readonly scheduler?: Scheduler
  /** Aborts a startup that is still waiting for ZooKeeper (`start()` then rejects). */
  readonly signal?: AbortSignal
  /**
   * The broker cannot go on (every log directory failed): Kafka halts the process. Called once the broker has
   * stopped serving; the command line exits with status 1. Without it the broker shuts down.
   */
  readonly onFatal?: (reason: string) => void
  /**
   * The cluster metadata store to use instead of ZooKeeper or the standalone file: an in-process cluster's shared
   * ZooKeeper (see src/cluster). The broker is then a member of a cluster, as with `zookeeper.connect`.
   */
  readonly metadataStore?: (config: BrokerConfig, log: Logger) => MetadataStore | Promise<MetadataStore>
  /**
   * Where to connect to reach another broker's inter-broker endpoint (default: the endpoint itself). An in-process
   * cluster routes each broker's connections through its own fault-injecting link.
   */
  readonly route?: (to: number, endpoint: { host: string; port: number }) => { host: string; port: number }
  /** Sees every request before its handler runs (see `RequestInterceptor`). */
  readonly requestInterceptor?: RequestInterceptor
}

/** The typed log settings of a topic, from its overrides and the broker's defaults. */
export function toLogConfig(t: TopicConfig): LogConfig {
  return {
    segmentBytes: t.segmentBytes,
    segmentMs: t.segmentMs,
    segmentJitterMs: t.segmentJitterMs,
    segmentIndexBytes: t.segmentIndexBytes,
    indexIntervalBytes: t.indexIntervalBytes,
    retentionMs: t.retentionMs,
    retentionBytes: t.retentionBytes,
    flushMessages: t.flushMessages,
    flushMs: t.flushMs,
    maxMessageBytes: t.maxMessageBytes,
    messageTimestampType: t.messageTimestampType,
    messageTimestampBeforeMaxMs: t.messageTimestampBeforeMaxMs,
    messageTimestampAfterMaxMs: t.messageTimestampAfterMaxMs,
    cleanupPolicy: [...t.cleanupPolicy],
    fileDeleteDelayMs: t.fileDeleteDelayMs,
    preallocate: t.preallocate,
    compressionType: t.compressionType,
    compressionGzipLevel: t.compressionGzipLevel,
    compressionLz4Level: t.compressionLz4Level,
    compressionZstdLevel: t.compressionZstdLevel,
    deleteRetentionMs: t.deleteRetentionMs,
    minCompactionLagMs: t.minCompactionLagMs,
    maxCompactionLagMs: t.maxCompactionLagMs,
    minCleanableDirtyRatio: t.minCleanableDirtyRatio,
  }
}

export class Broker {
  readonly config: BrokerConfig
  /** The broker's own logger (kafka.server.KafkaServer), with the broker id once it is known. */
  log: Logger
  /** The logger the broker was given, with the broker id once it is known: services get named children. */
  private baseLog: Logger
  /** The broker's view of its scheduler: what is still pending when the broker has shut down is cancelled. */
  readonly scheduler: ScopedScheduler
  readonly clock: Clock
  brokerId = -1
  clusterId = ''
  /** What startup has created so far, in order; shutdown stops these (after a failed startup, only these). */
  private readonly parts: {
    store?: MetadataStore
    zk?: KafkaZkClient
    cache?: MetadataCache
    logManager?: LogManager
    services?: Services
    /** inter-broker connection pools and the like, closed at shutdown after the services */
    closeables: (() => void)[]
    authorizer?: AclAuthorizer
    socketServer?: SocketServer
    httpServer?: HttpServer
  } = { closeables: [] }
  private endpoints: EndPoint[] = []
  /** The czxid of our registration znode: Kafka's broker epoch. */
  private brokerEpoch = -1
  private stopping: Promise<void> | undefined
  private started = false
  /** How each listener (in `listeners` order) secures its connections; loaded before anything else starts. */
  private listenerSecurity: ListenerSecuritySetup[] = []
  /** TLS and SASL towards the other brokers' inter-broker listener. */
  private interBrokerSecurity: Omit<BrokerAddress, 'host' | 'port'> = {}
  /** SCRAM credentials from /config/users (attached to the metadata cache once it runs). */
  private readonly scramCredentials: ScramCredentialStore
  /** super.users and allow.everyone.if.no.acl.found, when an authorizer is configured. */
  private authorizerSettings: AuthorizerConfig | null = null
  private readonly startupSignal: AbortSignal | undefined
  private readonly onFatal: ((reason: string) => void) | undefined
  private halting = false
  private readonly opts: BrokerOptions
  private killed = false

  private constructor(opts: BrokerOptions) {
    this.onFatal = opts.onFatal
    this.opts = opts
    this.config = opts.config
    this.baseLog = opts.logger
    this.log = this.logger('kafka.server.KafkaServer')
    this.scheduler = new ScopedScheduler(opts.scheduler ?? new SystemScheduler(opts.logger), opts.logger)
    this.clock = this.scheduler.clock
    this.startupSignal = opts.signal
    this.scramCredentials = new ScramCredentialStore(this.log)
  }

  /** A child logger named as Kafka names the class doing the same job (kafka.log.LogManager, ...). */
  private logger(name: string): Logger {
    return this.baseLog.child({ name })
  }

  /** No ZooKeeper and no shared store: the broker is a cluster of its own. */
  get standalone(): boolean {
    return !this.config.zkConnect && !this.opts.metadataStore
  }

  /** The broker's services (what its request handlers are given); available once `start()` resolved. */
  get services(): Services {
    const s = this.parts.services
    if (!s) throw new Error('the broker has not started')
    return s
  }

  get boundListeners(): readonly BoundListener[] {
    return this.parts.socketServer?.listeners ?? []
  }

  get advertisedEndpoints(): readonly EndPoint[] {
    return this.endpoints
  }

  static async start(opts: BrokerOptions): Promise<Broker> {
    const b = new Broker(opts)
    try {
      await b.startup()
    } catch (e) {
      await b.shutdown().catch(() => {})
      throw e
    }
    return b
  }

  /** Resolved topic configs, keyed by the overrides map they were resolved from (replaced on every change). */
  private topicConfigs = new WeakMap<ReadonlyMap<string, string>, TopicConfig>()
  private readonly noOverrides: ReadonlyMap<string, string> = new Map()

  /** A topic's effective config (its overrides over the broker's defaults); cached, as produce asks per request. */
  topicConfig(topic: string, overrides?: ReadonlyMap<string, string>): TopicConfig {
    const o = overrides ?? this.parts.cache?.topic(topic)?.config ?? this.noOverrides
    let c = this.topicConfigs.get(o)
    if (!c) {
      c = resolveTopicConfig(o, this.config)
      this.topicConfigs.set(o, c)
    }
    return c
  }

  /** The typed log settings of a topic, from its overrides and the broker's defaults. */
  private logConfigFor(topic: string, overrides?: ReadonlyMap<string, string>): LogConfig {
    return toLogConfig(this.topicConfig(topic, overrides))
  }

  /** Kafka's KafkaServer.startup, step by step. */
  private async startup(): Promise<void> {
    // Never a silent downgrade: a listener or setting Samsa cannot honour stops the broker here, and so does TLS
    // material that does not load.
    checkSupported(this.config)
    this.authorizerSettings = authorizerConfig(this.config)
    this.listenerSecurity = this.config.listeners.map((l) =>
      listenerSecurity(this.config, l, {
        scramCredentials: this.scramCredentials,
        now: () => this.clock.now(),
        sleep: (ms) => this.scheduler.sleep(ms),
        log: this.log,
      }),
    )
    this.interBrokerSecurity = interBrokerClientSecurity(this.config)
    this.log.info(
      `[KafkaServer] starting (${this.standalone ? 'standalone' : this.config.zkConnect ? `ZooKeeper mode, ${this.config.zkConnect}` : 'with a shared metadata store'})`,
    )
    this.config.logWarnings(this.log)
    this.checkLogDirs()
    const zk = await this.openMetadataStore()
    await this.identify(zk)
    const cache = await this.startMetadataCache(zk)
    const logManager = this.startLogManager()
    const services = this.createServices(zk, cache, logManager)
    await this.startAuthorizer()
    await this.startSocketServer(services)
    await this.startHttpServer(services)
    await this.announce(services)
    this.started = true
    this.log.info(
      `[KafkaServer id=${this.brokerId}] started (${this.endpoints.map((e) => `${e.listenerName}://${e.host}:${e.port}`).join(', ')})`,
    )
  }

  /** 0. The log directories: created if missing, each a writable directory (standalone keeps its metadata there). */
  private checkLogDirs(): void {
    try {
      createAndValidateLogDirs(this.config.logDirs)
    } catch (e) {
      throw new ConfigException((e as Error).message, 'log.dirs')
    }
  }

  /** 1. The metadata store: ZooKeeper, or a file in the first log directory; Kafka's top-level znodes. */
  private async openMetadataStore(): Promise<KafkaZkClient> {
    const cfg = this.config
    if (this.opts.metadataStore) {
      this.parts.store = await this.opts.metadataStore(cfg, this.logger('kafka.zookeeper.ZooKeeperClient'))
      this.log.info(`Cluster metadata kept in ${this.parts.store.description}`)
    } else if (this.standalone) {
      const file = path.resolve(cfg.logDirs[0]!, STANDALONE_METADATA_FILE)
      this.log.info(`zookeeper.connect is not set: running standalone, cluster metadata kept in ${file}`)
      this.parts.store = new LocalMetadataStore(file, this.logger('kafka.zk.LocalMetadataStore'))
    } else {
      this.parts.store = await ZkMetadataStore.connect({
        connect: cfg.zkConnect!,
        sessionTimeoutMs: cfg.zkSessionTimeoutMs,
        connectionTimeoutMs: cfg.zkConnectionTimeoutMs,
        log: this.logger('kafka.zookeeper.ZooKeeperClient'),
        signal: this.startupSignal,
      })
    }
    // A startup stopped by a signal stops waiting for ZooKeeper: each wait ends after zookeeper.connection.timeout.ms.
    const store = this.parts.store
    if (this.startupSignal?.aborted) store.beginClose()
    else this.startupSignal?.addEventListener('abort', () => store.beginClose(), { once: true })
    const zk = new KafkaZkClient(store, this.logger('kafka.zk.KafkaZkClient'), this.clock)
    this.parts.zk = zk
    await zk.createTopLevelPaths()
    return zk
  }

  /** 2. Cluster id and broker id, checked against meta.properties as Kafka does. */
  private async identify(zk: KafkaZkClient): Promise<void> {
    const cfg = this.config
    this.clusterId = await zk.getOrCreateClusterId()
    const metas = cfg.logDirs.map((d) => readMetaProperties(d)).filter((m) => m !== undefined)
    for (const m of metas) {
      if (m['cluster.id'] && m['cluster.id'] !== this.clusterId) {
        throw new Error(
          `The Cluster ID ${this.clusterId} doesn't match stored clusterId ${m['cluster.id']} in meta.properties. ` +
            `The broker is trying to join the wrong cluster. Configured zookeeper.connect may be wrong.`,
        )
      }
    }
    const storedIds = new Set(
      metas
        .map((m) => m['broker.id'])
        .filter((x) => x !== undefined)
        .map(Number),
    )
    if (storedIds.size > 1)
      throw new Error(`Failed to match broker.id across log.dirs: ${[...storedIds].join(', ')}`)
    const storedId = storedIds.size === 1 ? [...storedIds][0]! : undefined
    let brokerId = cfg.brokerId
    if (brokerId < 0) {
      if (storedId !== undefined) brokerId = storedId
      else if (cfg.brokerIdGenerationEnable) brokerId = await zk.generateBrokerId(cfg.maxReservedBrokerId)
      else throw new Error('broker.id is not set and broker.id.generation.enable is false')
    } else if (storedId !== undefined && storedId !== brokerId) {
      throw new Error(
        `Configured broker.id ${brokerId} doesn't match stored broker.id ${storedId} in meta.properties.`,
      )
    }
    this.brokerId = brokerId
    // Every line from here on carries the broker id (several brokers may log to one place).
    if (this.baseLog.bindings().broker === undefined) {
      this.baseLog = this.baseLog.child({ broker: brokerId })
      this.log = this.logger('kafka.server.KafkaServer')
    }
    this.log.info(`[KafkaServer id=${brokerId}] Cluster ID = ${this.clusterId}`)
  }

  /** 3. The metadata cache (topic configs are needed to load the logs) and dynamic broker configs. */
  private async startMetadataCache(zk: KafkaZkClient): Promise<MetadataCache> {
    const cache = new MetadataCache(zk, this.logger('kafka.server.metadata.ZkMetadataCache'), this.brokerId)
    this.parts.cache = cache
    this.scramCredentials.attach(cache)
    await cache.start(this.clusterId)
    cache.on('brokerConfig', (entity, props) => this.applyDynamicBrokerConfig(entity, props))
    for (const [entity, props] of cache.brokerConfigs) this.applyDynamicBrokerConfig(entity, props)
    return cache
  }

  /** 4. The logs (locks the directories, recovers after a crash), then meta.properties. */
  private startLogManager(): LogManager {
    const cfg = this.config
    const logManager = new LogManager({
      logDirs: [...cfg.logDirs],
      configFor: (topic) => this.logConfigFor(topic),
      scheduler: this.scheduler,
      logger: this.logger('kafka.log.LogManager'),
      onLogDirFailure: (dir, _err, live) => this.onLogDirFailure(dir, live),
      initialTaskDelayMs: cfg.logInitialTaskDelayMs,
      retentionCheckMs: cfg.logRetentionCheckIntervalMs,
      flushCheckMs: cfg.logFlushSchedulerIntervalMs,
      flushRecoveryOffsetCheckpointMs: cfg.logFlushOffsetCheckpointIntervalMs,
      flushStartOffsetCheckpointMs: cfg.logFlushStartOffsetCheckpointIntervalMs,
      fileDeleteDelayMs: cfg.logSegmentDeleteDelayMs,
      producerIdExpirationMs: cfg.producerIdExpirationMs,
      producerIdExpirationCheckIntervalMs: cfg.producerIdExpirationCheckIntervalMs,
      maxTransactionTimeoutMs: cfg.transactionMaxTimeoutMs,
      transactionVerificationEnabled: cfg.transactionPartitionVerificationEnable,
      cleanerConfig: {
        enableCleaner: cfg.logCleanerEnable,
        numThreads: cfg.logCleanerThreads,
        dedupeBufferSize: cfg.logCleanerDedupeBufferSize,
        dedupeBufferLoadFactor: cfg.logCleanerDedupeBufferLoadFactor,
        ioBufferSize: cfg.logCleanerIoBufferSize,
        maxIoBytesPerSecond: cfg.logCleanerIoMaxBytesPerSecond,
        backOffMs: cfg.logCleanerBackoffMs,
      },
    })
    this.parts.logManager = logManager
    logManager.startup()
    for (const d of cfg.logDirs)
      writeMetaProperties(d, {
        version: '0',
        'broker.id': String(this.brokerId),
        'cluster.id': this.clusterId,
      })
    return logManager
  }

  /**
   * 5. Every service, each constructed once with the services it depends on (nothing started yet), and the
   * `Services` bundle the handlers are given. A new service is one line here and one field in `Services`.
   */
  private createServices(zk: KafkaZkClient, cache: MetadataCache, logManager: LogManager): Services {
    const cfg = this.config
    const metrics = new BrokerMetrics({ processMetrics: cfg.httpListeners.length > 0 })
    const replicas = this.createReplicaManager(zk, cache, logManager, metrics)
    const groups = this.createGroupCoordinator(cache, replicas)
    const producerIds = new ProducerIdManager(zk, this.brokerId)
    const { transactions, txnMarkers } = this.createTransactionCoordinator(
      cache,
      replicas,
      groups,
      producerIds,
    )
    const services: Services = {
      config: cfg,
      log: this.logger('kafka.server.KafkaApis'),
      clock: this.clock,
      cache,
      topicAdmin: this.createTopicAdmin(zk, cache),
      configAdmin: new ConfigAdmin(
        zk,
        cache,
        cfg,
        this.brokerId,
        this.logger('kafka.server.ZkAdminManager'),
        (c) => this.reloadListenerTls(c, false),
      ),
      controller: this.createController(zk, cache),
      logManager,
      replicas,
      fetchSessions: new FetchSessionCache(cfg.maxIncrementalFetchSessionCacheSlots, 120_000, () =>
        this.clock.now(),
      ),
      groups,
      zkOffsets: new MetadataStoreConsumerOffsets(zk.store),
      producerIds,
      transactions,
      txnMarkers,
      scramAdmin: new ScramCredentialAdmin(zk, this.logger('kafka.server.ZkAdminManager')),
      authorizer: this.createAuthorizer(zk),
      quotas: createClientQuotas(
        zk.store,
        this.scheduler,
        cfg.clientQuotaWindow,
        this.logger('kafka.server.ClientQuotaManager'),
        cfg.controllerQuotaWindow,
      ),
      metrics,
    }
    metrics.setSources(
      metricSources(services, {
        minInsyncReplicas: (topic) => this.topicConfig(topic).minInSyncReplicas,
        connections: () => this.parts.socketServer?.connectionCounts() ?? new Map(),
      }),
    )
    cache.on('topicRemoved', (topic) => metrics.topicDeleted(topic))
    this.parts.services = services
    return services
  }

  /** The ACL authorizer when authorizer.class.name names it, else one that allows everything (Kafka's None). */
  private createAuthorizer(zk: KafkaZkClient): Services['authorizer'] {
    const settings = this.authorizerSettings
    if (!settings) return DISABLED_AUTHORIZER
    const authorizer = new AclAuthorizer(zk.store, {
      ...settings,
      log: this.logger('kafka.security.authorizer.AclAuthorizer'),
      auditLog: this.logger('kafka.authorizer.logger'),
    })
    this.parts.authorizer = authorizer
    return authorizer
  }

  /** 5b. The authorizer loads the ACLs before any listener accepts a connection, as Kafka's does. */
  private async startAuthorizer(): Promise<void> {
    await this.parts.authorizer?.start()
    await this.parts.services?.quotas.store.start()
  }

  private createTopicAdmin(zk: KafkaZkClient, cache: MetadataCache): TopicAdmin {
    const cfg = this.config
    return new TopicAdmin(
      zk,
      cache,
      {
        numPartitions: cfg.numPartitions,
        defaultReplicationFactor: cfg.defaultReplicationFactor,
        autoCreateTopicsEnable: cfg.autoCreateTopicsEnable,
        deleteTopicEnable: cfg.deleteTopicEnable,
        offsetsTopicPartitions: cfg.offsetsTopicNumPartitions,
        offsetsTopicReplicationFactor: cfg.offsetsTopicReplicationFactor,
        offsetsTopicSegmentBytes: cfg.offsetsTopicSegmentBytes,
        transactionTopicPartitions: cfg.transactionStateLogNumPartitions,
        transactionTopicReplicationFactor: cfg.transactionStateLogReplicationFactor,
        transactionTopicSegmentBytes: cfg.transactionStateLogSegmentBytes,
        transactionTopicMinIsr: cfg.transactionStateLogMinIsr,
        validateTopicConfig: (c) => validateTopicConfigs(c, cfg),
        scheduler: this.scheduler,
      },
      this.logger('kafka.zk.AdminZkClient'),
    )
  }

  /** The replica manager with its follower fetchers (which fetch over the inter-broker listener). */
  private createReplicaManager(
    zk: KafkaZkClient,
    cache: MetadataCache,
    logManager: LogManager,
    metrics: BrokerMetrics,
  ): ReplicaManager {
    const cfg = this.config
    const brokerId = this.brokerId
    const replicas = new ReplicaManager(
      {
        brokerId,
        replicaLagTimeMaxMs: cfg.replicaLagTimeMaxMs,
        highWatermarkCheckpointIntervalMs: cfg.replicaHighWatermarkCheckpointIntervalMs,
        logConfigFor: (topic, overrides) => this.logConfigFor(topic, overrides),
        minInsyncReplicasFor: (topic, overrides) => this.topicConfig(topic, overrides).minInSyncReplicas,
        scheduler: this.scheduler,
        log: this.logger('kafka.server.ReplicaManager'),
        stateChangeLog: this.logger('state.change.logger'),
        metrics,
        leaderQuota: this.replicationQuota('leader'),
        zkSessionTimeoutMs: this.standalone ? undefined : cfg.zkSessionTimeoutMs,
        replicaSelector: replicaSelectorFor(cfg.replicaSelectorClass) ?? null,
        alterLogDirs: {
          quota: this.replicationQuota('alterLogDirs'),
          rate: () => cfg.replicaAlterLogDirsIoMaxBytesPerSecond,
          chunkBytes: cfg.replicaFetchMaxBytes,
          backoffMs: cfg.replicaFetchBackoffMs,
        },
      },
      logManager,
      cache,
      zk,
    )
    replicas.setFollowerFetcher(this.createReplicaFetcher(cache, replicas, metrics))
    return replicas
  }

  /**
   * A replica's leader or follower side of replication throttling (leader/follower.replication.throttled.*), or
   * the throttle of replica moves between log directories (replica.alter.log.dirs.io.max.bytes.per.second, every
   * move).
   */
  private replicationQuota(side: 'leader' | 'follower' | 'alterLogDirs'): ReplicationQuotaManager {
    const cfg = this.config
    return new ReplicationQuotaManager({
      brokerId: this.brokerId,
      rate: () =>
        side === 'leader'
          ? cfg.leaderReplicationThrottledRate
          : side === 'follower'
            ? cfg.followerReplicationThrottledRate
            : cfg.replicaAlterLogDirsIoMaxBytesPerSecond,
      throttledReplicas: (topic) =>
        side === 'leader'
          ? this.topicConfig(topic).leaderReplicationThrottledReplicas
          : side === 'follower'
            ? this.topicConfig(topic).followerReplicationThrottledReplicas
            : ['*'],
      ...cfg.replicationQuotaWindow,
      clock: this.clock,
    })
  }

  /** The follower side: fetches from the leaders of the partitions this broker follows. */
  private createReplicaFetcher(
    cache: MetadataCache,
    replicas: ReplicaManager,
    metrics: BrokerMetrics,
  ): ReplicaFetcherManager {
    return new ReplicaFetcherManager({
      brokerId: this.brokerId,
      clientId: `broker-${this.brokerId}-fetcher-0`,
      endpointOf: (id) => this.interBrokerAddress(cache, id),
      fetchMaxBytes: this.config.replicaFetchMaxBytes,
      fetchResponseMaxBytes: this.config.replicaFetchResponseMaxBytes,
      fetchWaitMaxMs: this.config.replicaFetchWaitMaxMs,
      fetchMinBytes: this.config.replicaFetchMinBytes,
      fetchBackoffMs: this.config.replicaFetchBackoffMs,
      socketTimeoutMs: this.config.replicaSocketTimeoutMs,
      onProgress: (p) => replicas.onFollowerProgress(p),
      scheduler: this.scheduler,
      log: this.logger('kafka.server.ReplicaFetcherThread'),
      metrics,
      quota: this.replicationQuota('follower'),
    })
  }

  /**
   * The group coordinator, storing in `__consumer_offsets` through the replica manager, and following the
   * leadership of that topic's partitions and the deletion of topics.
   */
  private createGroupCoordinator(cache: MetadataCache, replicas: ReplicaManager): GroupCoordinator {
    const cfg = this.config
    const log = this.logger('kafka.coordinator.group.GroupCoordinator')
    const groups = new GroupCoordinator({
      config: this.groupCoordinatorConfig(),
      topics: () => cache.topics,
      logStore: new CoordinatorLogStore(
        replicas,
        OFFSETS_TOPIC,
        cfg.offsetCommitTimeoutMs,
        cfg.offsetsTopicCompressionType,
      ),
      scheduler: this.scheduler,
      logger: log,
      managerLogger: this.logger('kafka.coordinator.group.GroupMetadataManager'),
    })
    // Kafka's GroupCoordinator.onPartitionsDeleted: committed offsets of deleted topics are removed (tombstoned).
    cache.on('topicRemoved', (topic, _id, partitions) => {
      if (topic === OFFSETS_TOPIC) return
      groups
        .onPartitionsDeleted(partitions.map((partition) => ({ topic, partition })))
        .catch((e: unknown) =>
          log.warn({ err: e }, `Failed to remove the committed offsets of deleted topic ${topic}`),
        )
    })
    replicas.addLeadershipListener({
      onBecomeLeader: (tp, epoch) => {
        if (tp.topic === OFFSETS_TOPIC) void groups.onElection(tp.partition, epoch)
      },
      onResign: (tp, epoch) => {
        if (tp.topic === OFFSETS_TOPIC) void groups.onResignation(tp.partition, epoch)
      },
    })
    return groups
  }

  /** The group coordinator's settings (group.*, offsets.*, consumer.group.*, group.coordinator.*). */
  private groupCoordinatorConfig(): ConstructorParameters<typeof GroupCoordinator>[0]['config'] {
    return {
      brokerId: this.brokerId,
      groupMinSessionTimeoutMs: this.config.groupMinSessionTimeoutMs,
      groupMaxSessionTimeoutMs: this.config.groupMaxSessionTimeoutMs,
      groupInitialRebalanceDelayMs: this.config.groupInitialRebalanceDelayMs,
      groupMaxSize: this.config.groupMaxSize,
      offsetsTopicNumPartitions: this.config.offsetsTopicNumPartitions,
      offsetMetadataMaxBytes: this.config.offsetMetadataMaxBytes,
      offsetsRetentionMinutes: this.config.offsetsRetentionMinutes,
      offsetsRetentionCheckIntervalMs: this.config.offsetsRetentionCheckIntervalMs,
      consumerGroupProtocolEnabled: this.config.groupCoordinatorRebalanceProtocols.includes('consumer'),
      consumerGroupSessionTimeoutMs: this.config.consumerGroupSessionTimeoutMs,
      consumerGroupMinSessionTimeoutMs: this.config.consumerGroupMinSessionTimeoutMs,
      consumerGroupMaxSessionTimeoutMs: this.config.consumerGroupMaxSessionTimeoutMs,
      consumerGroupHeartbeatIntervalMs: this.config.consumerGroupHeartbeatIntervalMs,
      consumerGroupMinHeartbeatIntervalMs: this.config.consumerGroupMinHeartbeatIntervalMs,
      consumerGroupMaxHeartbeatIntervalMs: this.config.consumerGroupMaxHeartbeatIntervalMs,
      consumerGroupMaxSize: this.config.consumerGroupMaxSize,
      consumerGroupAssignors: this.config.consumerGroupAssignors,
      consumerGroupMigrationPolicy: this.config.consumerGroupMigrationPolicy,
    }
  }

  /**
   * The transaction coordinator (storing in `__transaction_state`, following the leadership of its partitions),
   * the marker writer of this broker's partitions, and the verification of transactional writes (KIP-890), with
   * the inter-broker connections they send WriteTxnMarkers and AddPartitionsToTxn over.
   */
  private createTransactionCoordinator(
    cache: MetadataCache,
    replicas: ReplicaManager,
    groups: GroupCoordinator,
    producerIds: ProducerIdManager,
  ): { transactions: TransactionCoordinator; txnMarkers: TxnMarkerWriter } {
    const cfg = this.config
    const log = this.logger('kafka.coordinator.transaction.TransactionCoordinator')
    const brokerId = this.brokerId
    const endpointOf = (id: number) => this.interBrokerAddress(cache, id)
    const connections = (purpose: string): BrokerConnections => this.interBrokerConnections(cache, purpose)
    const markerConnections = connections('txn-marker-sender')
    this.parts.closeables.push(() => markerConnections.close())
    const txnMarkers = this.createTxnMarkerWriter(replicas, groups)
    const transactions = new TransactionCoordinator({
      brokerId,
      config: {
        transactionalIdExpirationMs: cfg.transactionalIdExpirationMs,
        transactionMaxTimeoutMs: cfg.transactionMaxTimeoutMs,
        transactionLogNumPartitions: cfg.transactionStateLogNumPartitions,
        abortTimedOutTransactionsIntervalMs: cfg.transactionAbortTimedOutTransactionCleanupIntervalMs,
        removeExpiredTransactionalIdsIntervalMs: cfg.transactionRemoveExpiredTransactionalIdCleanupIntervalMs,
        requestTimeoutMs: cfg.requestTimeoutMs,
        maxBatchBytes: this.topicConfig(TRANSACTION_STATE_TOPIC).maxMessageBytes,
      },
      logStore: new CoordinatorLogStore(
        replicas,
        TRANSACTION_STATE_TOPIC,
        cfg.requestTimeoutMs,
        'uncompressed',
        cfg.transactionStateLogLoadBufferSize,
      ),
      producerIds,
      markerDestination: (tp) => {
        const state = cache.partition(tp.topic, tp.partition)?.state
        if (!cache.partition(tp.topic, tp.partition)) return { kind: 'unknown-partition' }
        if (!state || state.leader < 0 || !cache.isAlive(state.leader) || !endpointOf(state.leader))
          return { kind: 'unavailable' }
        return { kind: 'leader', brokerId: state.leader }
      },
      markerTransport: new InterBrokerMarkerTransport(brokerId, markerConnections, txnMarkers),
      scheduler: this.scheduler,
      logger: log,
    })
    if (cfg.transactionPartitionVerificationEnable) this.startTxnVerification(cache, replicas, transactions)
    replicas.addLeadershipListener({
      onBecomeLeader: (tp, epoch) => {
        if (tp.topic === TRANSACTION_STATE_TOPIC) void transactions.onElection(tp.partition, epoch)
      },
      onResign: (tp, epoch) => {
        if (tp.topic === TRANSACTION_STATE_TOPIC) transactions.onResignation(tp.partition, epoch)
      },
    })
    return { transactions, txnMarkers }
  }

  /** Writes the transaction markers of this broker's partitions (WriteTxnMarkers); offsets markers reach the groups. */
  private createTxnMarkerWriter(replicas: ReplicaManager, groups: GroupCoordinator): TxnMarkerWriter {
    return new TxnMarkerWriter({
      hostsPartition: (tp) => replicas.getPartition(tp.topic, tp.partition) !== undefined,
      append: async (entries, timeoutMs) => {
        const results = await replicas.appendRecords(timeoutMs, -1, 'coordinator', entries)
        return (tp) => results.get(`${tp.topic}-${tp.partition}`)?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR
      },
      onOffsetsMarkersWritten: (producerId, partitions, commit) =>
        groups.onTransactionCompleted(producerId, partitions, commit),
      requestTimeoutMs: this.config.requestTimeoutMs,
      clock: this.clock,
      logger: this.logger('kafka.server.KafkaApis'),
    })
  }

  /** KIP-890: transactional writes verified with their coordinator (AddPartitionsToTxn, verifyOnly). */
  private startTxnVerification(
    cache: MetadataCache,
    replicas: ReplicaManager,
    transactions: TransactionCoordinator,
  ): void {
    const brokerId = this.brokerId
    const endpointOf = (id: number) => this.interBrokerAddress(cache, id)
    const verifyConnections = this.interBrokerConnections(cache, 'add-partitions-to-txn-sender')
    this.parts.closeables.push(() => verifyConnections.close())
    const verifier = new AddPartitionsToTxnManager({
      coordinatorFor: (transactionalId) => {
        const topic = cache.topic(TRANSACTION_STATE_TOPIC)
        if (!topic) return { error: ErrorCode.COORDINATOR_NOT_AVAILABLE }
        const leader = topic.partitions.get(partitionFor(transactionalId, topic.partitions.size))?.state
          ?.leader
        if (leader === undefined || leader < 0 || !cache.isAlive(leader) || !endpointOf(leader))
          return { error: ErrorCode.COORDINATOR_NOT_AVAILABLE }
        return { brokerId: leader }
      },
      transport: new InterBrokerVerificationTransport(
        brokerId,
        verifyConnections,
        transactions,
        (tp) => cache.partition(tp.topic, tp.partition) !== undefined,
      ),
      logger: this.logger('kafka.server.AddPartitionsToTxnManager'),
    })
    replicas.setTransactionVerifier(verifier)
    this.parts.closeables.push(() => verifier.shutdown())
  }

  /**
   * How to reach another broker: its endpoint on the inter-broker listener (through `route`, when given), with that
   * listener's TLS and SASL; undefined while the broker or its endpoint is unknown.
   */
  private interBrokerAddress(cache: MetadataCache, id: number): BrokerAddress | undefined {
    const listener = this.config.interBrokerListenerName
    const ep = cache.brokers.get(id)?.endpoints.find((e) => e.listenerName === listener)
    if (!ep) return undefined
    const to = this.opts.route?.(id, ep) ?? ep
    return { host: to.host, port: to.port, ...this.interBrokerSecurity }
  }

  private createController(zk: KafkaZkClient, cache: MetadataCache): Controller {
    const cfg = this.config
    const connections = this.interBrokerConnections(cache, 'controller')
    this.parts.closeables.push(() => connections.close())
    return new Controller(
      zk,
      cache,
      {
        brokerId: this.brokerId,
        deleteTopicEnable: cfg.deleteTopicEnable,
        autoLeaderRebalanceEnable: cfg.autoLeaderRebalanceEnable,
        leaderImbalanceCheckIntervalMs: cfg.leaderImbalanceCheckIntervalSeconds * 1000,
        leaderImbalancePerBrokerPercentage: cfg.leaderImbalancePerBrokerPercentage,
        uncleanLeaderElection: (topic) => this.topicConfig(topic).uncleanLeaderElectionEnable,
        describeLogDirs: (id) => this.describeLogDirsOf(id, connections),
        updateMetadata: (id, epoch, partitions) =>
          this.updateMetadataOf(id, epoch, partitions, cache, connections),
      },
      this.logger('kafka.controller.KafkaController'),
      this.scheduler,
    )
  }

  /**
   * For the controller: a broker's log directories, from its DescribeLogDirs answer (a failed directory answers
   * KAFKA_STORAGE_ERROR), or for this broker from its own log manager.
   */
  private async describeLogDirsOf(id: number, connections: BrokerConnections): Promise<BrokerLogDirs> {
    const logs = this.parts.services?.logManager
    if (id === this.brokerId && logs) {
      return {
        offlineDirs: logs.offlineLogDirs.length,
        onlineReplicas: new Set(
          logs.liveLogDirs.flatMap((d) => logs.logsInDir(d).map((l) => replicaKey(l.topic, l.partition))),
        ),
      }
    }
    const { response } = await connections.send(id, Apis.DescribeLogDirs, 4, 0, () => ({ topics: null }))
    if (response.errorCode !== ErrorCode.NONE)
      throw new Error(`DescribeLogDirs answered ${errorName(response.errorCode)}`)
    const onlineReplicas = new Set<string>()
    let offlineDirs = 0
    for (const r of response.results) {
      if (r.errorCode !== ErrorCode.NONE) offlineDirs++
      else
        for (const t of r.topics)
          for (const p of t.partitions)
            // a future replica (a move under way) is not the replica: its current log may be in a failed directory
            if (!p.isFutureKey) onlineReplicas.add(replicaKey(t.name, p.partitionIndex))
    }
    return { offlineDirs, onlineReplicas }
  }

  /**
   * For the controller: UpdateMetadata with these partition states to broker `id` (v4+, which carry the offline
   * replicas), or to this broker's own cache. Rejects only when the request could not be delivered.
   */
  private async updateMetadataOf(
    id: number,
    controllerEpoch: number,
    partitions: readonly PartitionMetadata[],
    cache: MetadataCache,
    connections: BrokerConnections,
  ): Promise<void> {
    if (id === this.brokerId) {
      cache.applyOfflineReplicas(
        controllerEpoch,
        partitions.map((p) => ({
          topic: p.info.topic,
          partition: p.info.partition,
          offlineReplicas: p.offlineReplicas,
        })),
      )
      return
    }
    const state = (p: PartitionMetadata) => ({
      topicName: p.info.topic,
      partitionIndex: p.info.partition,
      controllerEpoch: p.info.state!.controllerEpoch,
      leader: p.info.state!.leader,
      leaderEpoch: p.info.state!.leaderEpoch,
      isr: [...p.info.state!.isr],
      zkVersion: p.info.zkVersion,
      replicas: [...p.info.replicas],
      offlineReplicas: [...p.offlineReplicas],
    })
    const byTopic = new Map<string, PartitionMetadata[]>()
    for (const p of partitions) byTopic.set(p.info.topic, [...(byTopic.get(p.info.topic) ?? []), p])
    const { response } = await connections.send(id, Apis.UpdateMetadata, 7, 4, () => ({
      controllerId: this.brokerId,
      controllerEpoch,
      brokerEpoch: cache.brokers.get(id)?.epoch ?? -1,
      ungroupedPartitionStates: partitions.map(state),
      topicStates: [...byTopic].map(([topicName, ps]) => ({
        topicName,
        topicId: cache.topic(topicName)?.id || ZERO_UUID,
        partitionStates: ps.map(state),
      })),
      liveBrokers: [...cache.brokers.values()].map((b) => ({
        id: b.id,
        v0Host: b.endpoints[0]?.host ?? '',
        v0Port: b.endpoints[0]?.port ?? -1,
        endpoints: b.endpoints.map((e) => ({
          port: e.port,
          host: e.host,
          listener: e.listenerName,
          securityProtocol: SECURITY_PROTOCOL_IDS[e.securityProtocol] ?? -1,
        })),
        rack: b.rack,
      })),
    }))
    // delivered: an error answer (a stale controller or broker epoch) is logged, as Kafka's controller does, not
    // sent again (the controller's queue retries only what could not be delivered)
    if (response.errorCode !== ErrorCode.NONE)
      this.log.warn(
        `[Controller id=${this.brokerId}] Received error ${errorName(response.errorCode)} in UpdateMetadata response from broker ${id}`,
      )
  }

  /** 6. The request handlers and the socket server (bound now so that port 0 becomes a real port). */
  private async startSocketServer(services: Services): Promise<void> {
    const cfg = this.config
    const socketServer = new SocketServer(
      {
        listeners: cfg.listeners.map((l, i) => ({
          name: l.name,
          securityProtocol: l.securityProtocol,
          host: l.host,
          port: l.port,
          security: this.listenerSecurity[i]?.security,
        })),
        limits: {
          maxRequestSize: cfg.socketRequestMaxBytes,
          maxInFlight: 1000,
          writeHighWaterMark: 32 * 1024 * 1024,
        },
        connectionQuotas: await this.connectionQuotaConfig(cfg),
        ipConnectionRate: (ip) => services.quotas.store.ipConnectionRate(ip),
        connectionsMaxIdleMs: cfg.connectionsMaxIdleMs,
        scheduler: this.scheduler,
      },
      new RequestDispatcher(
        createHandlers(services),
        this.logger('kafka.server.KafkaApis'),
        this.opts.requestInterceptor,
        {
          now: () => this.clock.monotonic(),
          requestCompleted: (request, version, ms) => services.metrics.requestCompleted(request, version, ms),
          // request_percentage: percent of one request handler thread over the quota window (ms / 10 each).
          handlerTime: (ctx, body, ms) =>
            requestQuotaApplies(ctx.apiKey, body, ctx.apiVersion)
              ? services.quotas.request.recordAndThrottle(ctx, ms / 10)
              : 0,
          networkTime: (ctx, ms) => {
            services.quotas.request.record(
              { user: ctx.principal.name, clientId: ctx.clientId ?? '' },
              ms / 10,
            )
          },
        },
      ),
      this.logger('kafka.network.SocketServer'),
    )
    this.parts.socketServer = socketServer
    let bound: readonly BoundListener[]
    try {
      bound = await socketServer.start()
    } catch (e) {
      if (e instanceof ListenerBindError) throw new ConfigException(e.message, 'listeners')
      throw e
    }
    this.endpoints = this.advertise(bound)
  }

  /**
   * The connection quotas of `cfg` (Kafka's ConnectionQuotas and ListenerConnectionQuota configs), with the hosts of
   * max.connections.per.ip.overrides resolved; rejects with a ConfigException when one does not resolve.
   */
  private async connectionQuotaConfig(cfg: BrokerConfig): Promise<ConnectionQuotaConfig> {
    let overrides: Map<string, number>
    try {
      overrides = await resolveOverrides(cfg.maxConnectionsPerIpOverrides)
    } catch (e) {
      throw new ConfigException((e as Error).message, 'max.connections.per.ip.overrides')
    }
    return {
      maxConnections: cfg.maxConnections,
      maxConnectionsPerIp: cfg.maxConnectionsPerIp,
      maxConnectionsPerIpOverrides: overrides,
      maxConnectionCreationRate: cfg.maxConnectionCreationRate,
      listeners: new Map(
        cfg.listeners.map((l) => [
          l.name,
          {
            maxConnections: cfg.listenerValue(l.name, 'max.connections') as number,
            maxConnectionCreationRate: cfg.listenerValue(l.name, 'max.connection.creation.rate') as number,
          },
        ]),
      ),
      interBrokerListenerName: cfg.interBrokerListenerName,
      window: cfg.clientQuotaWindow,
    }
  }

  /** Connections to other brokers' inter-broker listeners (with its TLS/SASL), for one purpose (the client id). */
  private interBrokerConnections(cache: MetadataCache, purpose: string): BrokerConnections {
    return new BrokerConnections((id) => {
      const address = this.interBrokerAddress(cache, id)
      return address
        ? {
            ...address,
            clientId: `broker-${this.brokerId}-${purpose}`,
            requestTimeoutMs: this.config.requestTimeoutMs,
            scheduler: this.scheduler,
          }
        : undefined
    })
  }

  /** 6b. The HTTP listeners (http.listeners): metrics, health checks, the web console. */
  private async startHttpServer(services: Services): Promise<void> {
    const listeners = this.config.httpListeners
    if (listeners.length === 0) return
    const consoleConnections = this.interBrokerConnections(services.cache, 'console')
    this.parts.closeables.push(() => consoleConnections.close())
    const httpServer = new HttpServer(
      { listeners },
      createRoutes({
        metrics: services.metrics,
        alive: () => this.stopping === undefined,
        readiness: () => this.readiness(),
        more: consoleRoutes({
          client: new ClusterClient(services.cache, consoleConnections, this.brokerId),
          access: authorizerAccess(services.authorizer),
          now: () => this.scheduler.clock.now(),
        }),
      }),
      this.logger('kafka.server.HttpServer'),
    )
    this.parts.httpServer = httpServer
    try {
      await httpServer.start()
    } catch (e) {
      if (e instanceof HttpBindError) throw new ConfigException(e.message, 'http.listeners')
      throw e
    }
  }

  /** The bound HTTP listeners (empty without http.listeners). */
  get httpListeners(): readonly BoundHttpListener[] {
    return this.parts.httpServer?.listeners ?? []
  }

  /**
   * /readyz: the Kafka listeners are up, the broker is registered (its /brokers/ids znode is the one it wrote), and
   * it serves every partition the partition states name it the leader of.
   */
  readiness(): Readiness {
    const { socketServer, services: s } = this.parts
    const listening =
      this.stopping === undefined &&
      socketServer !== undefined &&
      socketServer.listeners.length === this.config.listeners.length
    const registration = s?.cache.brokers.get(this.brokerId)
    const registered = this.started && registration !== undefined && registration.epoch === this.brokerEpoch
    const notServed: string[] = []
    if (s) {
      for (const t of s.cache.topics.values()) {
        for (const p of t.partitions.values()) {
          if (p.state?.leader !== this.brokerId) continue
          const local = s.replicas.getPartition(t.name, p.partition)
          if (!local?.isLeader || !local.log) notServed.push(`${t.name}-${p.partition}`)
        }
      }
    }
    const checks = {
      listeners: {
        ok: listening,
        detail: listening ? undefined : 'the Kafka listeners are not accepting connections',
      },
      registered: {
        ok: registered,
        detail: registered ? undefined : `broker ${this.brokerId} is not registered (yet) under /brokers/ids`,
      },
      leadership: {
        ok: notServed.length === 0,
        detail:
          notServed.length === 0
            ? undefined
            : `led here but not served yet: ${notServed.slice(0, 20).join(', ')}${notServed.length > 20 ? ', ...' : ''}`,
      },
    }
    return { ready: listening && registered && notServed.length === 0, checks }
  }

  /** 7. Start the services that act on metadata, then announce the broker (registration, controller election). */
  private async announce(s: Services): Promise<void> {
    s.groups.startup(s.cache.topic(OFFSETS_TOPIC)?.partitions.size ?? this.config.offsetsTopicNumPartitions)
    s.transactions.startup(
      () =>
        s.cache.topic(TRANSACTION_STATE_TOPIC)?.partitions.size ??
        this.config.transactionStateLogNumPartitions,
    )
    s.replicas.start()
    // Listening before the first registration: a session replaced while the controller starts must not leave the
    // broker unregistered for good.
    this.parts.store!.on('newSession', () => void this.reregister())
    await this.register()
    await s.controller.start()
  }

  /** A change of /config/brokers/<default> or /config/brokers/<our id>: Kafka's DynamicBrokerConfig update. */
  private applyDynamicBrokerConfig(entity: string, props: ReadonlyMap<string, string>): void {
    if (entity !== '<default>' && entity !== String(this.brokerId)) return
    const level = entity === '<default>' ? 'cluster-default' : 'per-broker'
    try {
      for (const m of this.config.setDynamicConfigs(level, props)) this.log.warn(m)
    } catch (e) {
      this.log.error({ err: e }, `Invalid dynamic ${level} broker config ignored: ${(e as Error).message}`)
      return
    }
    if (props.size > 0)
      this.log.info(
        `Dynamic ${level} broker configs: {${[...props].map(([k, v]) => `${k}=${v}`).join(', ')}}`,
      )
    try {
      this.reloadListenerTls(this.config, true)
    } catch (e) {
      this.log.error({ err: e }, `Key store update not applied: ${(e as Error).message}`)
    }
    const socketServer = this.parts.socketServer
    if (socketServer) {
      this.connectionQuotaConfig(this.config).then(
        (q) => socketServer.quotas.reconfigure(q),
        (e: unknown) =>
          this.log.error({ err: e }, `Connection quota update not applied: ${(e as Error).message}`),
      )
    }
    // Topic configs that fall back to broker defaults (log.retention.ms, ...) follow the new values.
    const logManager = this.parts.logManager
    if (logManager) {
      for (const l of logManager.allLogs()) logManager.updateConfig(l, this.logConfigFor(l.topic))
    }
  }

  /**
   * KIP-226: the TLS material of each SSL / SASL_SSL listener as `config` gives it, read again (a key store file
   * renewed in place counts as changed). A changed key store must keep the certificate's subject and names
   * (ConfigException otherwise); with `apply`, new connections get it. Existing connections keep theirs.
   */
  private reloadListenerTls(config: BrokerConfig, apply: boolean): void {
    this.config.listeners.forEach((l, i) => {
      const setup = this.listenerSecurity[i]
      if (!setup?.tls) return
      const next = listenerTls(config, l.name, l.securityProtocol)
      if (!tlsMaterialChanged(setup.tls, next)) return
      checkKeystoreCompatible(setup.tls, next)
      if (!apply) return
      this.parts.socketServer?.updateTls(l.name, next.secureContext)
      // Before the socket server starts (dynamic configs read at start-up) it takes the new options from here.
      const security = setup.security && { ...setup.security, tls: tlsServerOptions(next) }
      this.listenerSecurity[i] = { ...setup, security, tls: next }
      this.log.info(`Reloaded the TLS key and trust stores of listener ${l.name}`)
    })
  }

  /** advertised.listeners (defaulting to listeners), with ports bound as 0 replaced by the real ones. */
  private advertise(bound: readonly BoundListener[]): EndPoint[] {
    const fallbackHost = os.hostname()
    return this.config
      .resolveAdvertisedListeners(() => fallbackHost)
      .map((e) => {
        const b = bound.find((x) => x.name === e.name)
        return {
          listenerName: e.name,
          securityProtocol: e.securityProtocol,
          host: e.host,
          port: e.port === 0 && b ? b.boundPort : e.port,
        }
      })
  }

  /**
   * Registers again in a new session (the previous one expired), retrying every second until it works, the broker
   * stops or a newer session takes over — a broker that is up but unregistered would be invisible to the cluster.
   */
  private async reregister(): Promise<void> {
    const store = this.parts.store!
    const session = store.sessionId
    for (let attempt = 1; this.stopping === undefined && store.sessionId === session; attempt++) {
      try {
        await this.register()
        return
      } catch (e) {
        this.log.error(
          { err: e },
          `Failed to re-register broker after session expiry (attempt ${attempt}); retrying`,
        )
        await systemScheduler.sleep(1000) // real time, as every retry against ZooKeeper
      }
    }
  }

  private async register(): Promise<void> {
    const epoch = await this.parts.zk!.registerBroker({
      id: this.brokerId,
      endpoints: this.endpoints,
      rack: this.config.rack,
      jmxPort: -1,
      timestamp: this.clock.now(),
      features: {},
    })
    this.brokerEpoch = epoch
    this.log.info(
      this.standalone
        ? `Registered broker ${this.brokerId} in the standalone metadata store with epoch ${epoch}`
        : `[KafkaZkClient] Registered broker ${this.brokerId} at path /brokers/ids/${this.brokerId} with epoch ${epoch}`,
    )
  }

  /**
   * Kafka's controlled shutdown: ask the controller to move leadership of our replicated partitions to other ISR
   * members (and take us out of the ISRs) before we stop, retrying controlled.shutdown.max.retries times.
   */
  private async controlledShutdown(): Promise<void> {
    const cfg = this.config
    const prefix = `[KafkaServer id=${this.brokerId}]`
    for (let attempt = 1; attempt <= cfg.controlledShutdownMaxRetries; attempt++) {
      this.log.info(`${prefix} Starting controlled shutdown (attempt ${attempt})`)
      try {
        const r = await this.sendControlledShutdown()
        if (r.errorCode === ErrorCode.NONE && r.remaining === 0) {
          this.log.info(`${prefix} Controlled shutdown request returned successfully`)
          return
        }
        this.log.info(
          `${prefix} Remaining partitions to move: ${r.remaining}; controller answered ${errorName(r.errorCode)}`,
        )
      } catch (e) {
        this.log.warn(`${prefix} Error during controlled shutdown: ${(e as Error).message}`)
      }
      if (attempt < cfg.controlledShutdownMaxRetries) {
        // Real time, as Kafka's Thread.sleep here: stopping a broker never waits for a manual clock.
        await systemScheduler.sleep(cfg.controlledShutdownRetryBackoffMs)
      }
    }
    this.log.warn(
      `${prefix} Proceeding to do an unclean shutdown as all the controlled shutdown attempts failed`,
    )
  }

  private async sendControlledShutdown(): Promise<{ errorCode: number; remaining: number }> {
    const { cache, controller } = this.services
    const controllerId = cache.controllerId
    if (controllerId === null) return { errorCode: ErrorCode.NOT_CONTROLLER, remaining: -1 }
    if (controllerId === this.brokerId && controller.isActive) {
      const r = await controller.controlledShutdown(this.brokerId, this.brokerEpoch)
      return { errorCode: r.errorCode, remaining: r.remaining.length }
    }
    const address = this.interBrokerAddress(cache, controllerId)
    if (!address) return { errorCode: ErrorCode.NOT_CONTROLLER, remaining: -1 }
    // Its request timeout stays on real time (BrokerClient's default): stopping never waits for a manual clock.
    const client = await BrokerClient.connect({
      ...address,
      clientId: `broker-${this.brokerId}-controlled-shutdown`,
      requestTimeoutMs: this.config.controllerSocketTimeoutMs,
    })
    try {
      const api = Apis.ControlledShutdown
      const r = await client.send(api, client.version(api.key, 3, 0), {
        brokerId: this.brokerId,
        brokerEpoch: this.brokerEpoch,
      })
      return { errorCode: r.errorCode, remaining: r.remainingPartitions.length }
    } finally {
      client.close()
    }
  }

  /**
   * A log directory failed (LogManager took it offline). Kafka's ReplicaManager.handleLogDirFailure: the replicas
   * in it stop (requests for them get KAFKA_STORAGE_ERROR), the controller is told through a
   * /log_dir_event_notification znode, and when no log directory is left the broker halts.
   */
  private onLogDirFailure(dir: string, live: readonly string[]): void {
    if (live.length === 0) {
      this.halt(`Shutdown broker because all log dirs in ${this.config.logDirs.join(', ')} have failed`)
      return
    }
    this.parts.services?.replicas.onLogDirFailure(dir)
    const zk = this.parts.zk
    if (zk && !this.standalone) {
      zk.propagateLogDirEvent(this.brokerId).catch((e: unknown) =>
        this.log.warn({ err: e }, `Could not notify the controller of the failure of log dir ${dir}`),
      )
    }
  }

  /**
   * Stops at once, as Kafka's Exit.halt: no controlled shutdown, no flush (the disk is not trusted). The socket
   * server stops and the ZooKeeper session is closed, so that the cluster moves leadership away at once.
   */
  private halt(reason: string): void {
    if (this.halting) return
    this.halting = true
    this.log.fatal(reason)
    void (async () => {
      await this.parts.socketServer?.stop().catch(() => {})
      await this.parts.store?.close().catch(() => {})
      if (this.onFatal) this.onFatal(reason)
      else await this.shutdown()
    })()
  }

  /**
   * The in-process equivalent of `kill -9` (an in-process cluster's `kill()`): the broker stops at once, without any
   * step of a shutdown — no controlled shutdown, no flush, no checkpoint, no clean shutdown marker, no
   * deregistration. Its connections are reset, its files closed, its timers cancelled and its ZooKeeper session is
   * left to expire; a broker started on the same log directories recovers as after a crash.
   */
  kill(): void {
    if (this.killed) return
    this.killed = true
    this.stopping ??= Promise.resolve()
    const { store, cache, logManager, services: s, socketServer } = this.parts
    store?.halt()
    cache?.stop()
    this.scheduler.shutdown()
    // First: from here on the logs write nothing (the replica manager's checkpoint below finds no live directory).
    logManager?.halt()
    void socketServer?.stop()
    // What is left only ends loops and timers (the fetchers would otherwise keep reconnecting); none writes.
    const quietly = (f: () => Promise<void>): void => void f().catch(() => {})
    if (s) {
      s.quotas.store.stop()
      quietly(() => s.controller.stop())
      quietly(() => s.transactions.shutdown())
      quietly(() => s.groups.shutdown())
      quietly(() => s.replicas.shutdown())
    }
    for (const close of this.parts.closeables) {
      try {
        close()
      } catch {
        // the process is gone either way
      }
    }
    this.log.info(`[KafkaServer id=${this.brokerId}] halted (killed without a shutdown)`)
  }

  /**
   * Clean shutdown: stop serving, give up leadership (controlled shutdown, unless `controlled` is false) and
   * controllership, flush and close the logs.
   */
  shutdown(opts: { controlled?: boolean } = {}): Promise<void> {
    this.stopping ??= this.doShutdown(opts.controlled ?? this.config.controlledShutdownEnable)
    return this.stopping
  }

  /**
   * @param controlled whether to move leadership away first (controlled.shutdown.enable; an in-process cluster's
   * last broker has no one to hand it to)
   */
  private async doShutdown(controlled: boolean): Promise<void> {
    const log = this.log
    log.info(`[KafkaServer id=${this.brokerId}] shutting down`)
    const step = async (what: string, f: () => unknown): Promise<void> => {
      try {
        await f()
      } catch (e) {
        log.warn({ err: e }, `[KafkaServer id=${this.brokerId}] error during shutdown (${what})`)
      }
    }
    const { store, zk, cache, logManager, services: s, socketServer, authorizer, httpServer } = this.parts
    // From here on a ZooKeeper that cannot be reached holds each step up for at most
    // zookeeper.connection.timeout.ms, and an expired session is not replaced: the shutdown ends either way.
    store?.beginClose()
    if (this.started && !this.standalone && controlled) {
      await step('controlled shutdown', () => this.controlledShutdown())
    }
    if (socketServer) await step('socket server', () => socketServer.stop())
    if (httpServer) await step('HTTP server', () => httpServer.stop())
    if (authorizer) authorizer.stop()
    s?.quotas.store.stop()
    if (s) await step('controller', () => s.controller.stop())
    if (s) await step('transaction coordinator', () => s.transactions.shutdown())
    if (s) await step('group coordinator', () => s.groups.shutdown())
    if (s) await step('replica manager', () => s.replicas.shutdown())
    for (const close of this.parts.closeables) await step('inter-broker connections', close)
    if (logManager) await step('log manager', () => logManager.shutdown())
    // Kafka deregisters by closing its session; deleting our own registration first (and only ours) tells the
    // cluster at once, before the session close reaches ZooKeeper.
    if (zk && this.started) await step('deregistration', () => zk.deregisterBroker(this.brokerId))
    if (cache) cache.stop()
    if (store) await step('metadata store', () => store.close())
    this.scheduler.shutdown()
    log.info(`[KafkaServer id=${this.brokerId}] shut down completed`)
  }
}
