/**
 * One Samsa broker: the services of a ZooKeeper-mode Kafka broker (KafkaServer), wired together and started in
 * Kafka's order, and stopped in reverse. Standalone mode (no zookeeper.connect) is the same broker with its
 * metadata store in a file of the data directory instead of ZooKeeper: it registers, elects itself controller
 * and writes partition states exactly as it would in a cluster.
 */
import os from 'node:os'
import path from 'node:path'
import type { BrokerConfig } from '../config/broker-config.js'
import { checkSupported } from '../config/unsupported.js'
import { resolveTopicConfig, validateTopicConfigs, type TopicConfig } from '../config/topic-config.js'
import { RequestDispatcher } from '../handlers/dispatcher.js'
import { BrokerClient } from '../network/broker-client.js'
import { ErrorCode, errorName } from '../protocol/errors.js'
import { Apis } from '../protocol/messages/index.js'
import { SocketServer, type BoundListener } from '../network/socket-server.js'
import { Controller } from '../services/controller/controller.js'
import type { LogConfig } from '../services/log/log-config.js'
import { LogManager } from '../services/log/log-manager.js'
import { readMetaProperties, writeMetaProperties } from '../services/log/meta-properties.js'
import { KafkaZkClient } from '../services/metadata/kafka-zk-client.js'
import { LocalMetadataStore } from '../services/metadata/local-store.js'
import { MetadataCache } from '../services/metadata/metadata-cache.js'
import type { MetadataStore } from '../services/metadata/store.js'
import { OFFSETS_TOPIC, TopicAdmin } from '../services/metadata/topic-admin.js'
import { ConfigAdmin } from '../services/metadata/config-admin.js'
import { ZkMetadataStore } from '../services/metadata/zk-store.js'
import type { EndPoint } from '../services/metadata/znodes.js'
import { ProducerIdManager } from '../services/producer/producer-id-manager.js'
import { GroupCoordinator } from '../services/group/coordinator.js'
import { FetchSessionCache } from '../services/replica/fetch-session.js'
import { ReplicaFetcherManager } from '../services/replica/replica-fetcher.js'
import { ReplicaManager } from '../services/replica/replica-manager.js'
import { systemClock, type Clock } from '../util/clock.js'
import type { Logger } from '../util/logger.js'
import { ReplicaGroupLogStore } from './group-log-store.js'
import { createHandlers } from './handlers.js'

export const STANDALONE_METADATA_FILE = 'samsa-metadata.json'

export interface BrokerOptions {
  readonly config: BrokerConfig
  readonly logger: Logger
  readonly clock?: Clock
  /** Aborts a startup that is still waiting for ZooKeeper (`start()` then rejects). */
  readonly signal?: AbortSignal
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
    deleteRetentionMs: t.deleteRetentionMs,
    minCompactionLagMs: t.minCompactionLagMs,
    maxCompactionLagMs: t.maxCompactionLagMs,
    minCleanableDirtyRatio: t.minCleanableDirtyRatio,
  }
}

export class Broker {
  readonly config: BrokerConfig
  readonly log: Logger
  readonly clock: Clock
  brokerId = -1
  clusterId = ''
  store!: MetadataStore
  zk!: KafkaZkClient
  cache!: MetadataCache
  controller!: Controller
  topicAdmin!: TopicAdmin
  configAdmin!: ConfigAdmin
  logManager!: LogManager
  replicas!: ReplicaManager
  producerIds!: ProducerIdManager
  groups!: GroupCoordinator
  socketServer!: SocketServer
  dispatcher!: RequestDispatcher
  private endpoints: EndPoint[] = []
  /** The czxid of our registration znode: Kafka's broker epoch. */
  private brokerEpoch = -1
  private stopping: Promise<void> | undefined
  private started = false
  private readonly startupSignal: AbortSignal | undefined

  private constructor(opts: BrokerOptions) {
    this.config = opts.config
    this.log = opts.logger
    this.clock = opts.clock ?? systemClock
    this.startupSignal = opts.signal
  }

  get standalone(): boolean {
    return !this.config.zkConnect
  }

  get boundListeners(): readonly BoundListener[] {
    return this.socketServer.listeners
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
    const o = overrides ?? this.cache?.topic(topic)?.config ?? this.noOverrides
    let c = this.topicConfigs.get(o)
    if (!c) {
      c = resolveTopicConfig(o, this.config)
      this.topicConfigs.set(o, c)
    }
    return c
  }

  private async startup(): Promise<void> {
    const cfg = this.config
    const log = this.log
    // Never a silent downgrade: a listener or setting Samsa cannot honour stops the broker here.
    checkSupported(cfg)
    log.info(
      `[KafkaServer] starting (${this.standalone ? 'standalone' : `ZooKeeper mode, ${cfg.zkConnect}`})`,
    )
    cfg.logWarnings(log)

    // 1. The metadata store: ZooKeeper, or a file in the first log directory.
    if (this.standalone) {
      const file = path.resolve(cfg.logDirs[0]!, STANDALONE_METADATA_FILE)
      log.info(`zookeeper.connect is not set: running standalone, cluster metadata kept in ${file}`)
      this.store = new LocalMetadataStore(file)
    } else {
      this.store = await ZkMetadataStore.connect({
        connect: cfg.zkConnect!,
        sessionTimeoutMs: cfg.zkSessionTimeoutMs,
        connectionTimeoutMs: cfg.zkConnectionTimeoutMs,
        log,
        signal: this.startupSignal,
      })
    }
    this.zk = new KafkaZkClient(this.store, log)
    await this.zk.createTopLevelPaths()

    // 2. Cluster id and broker id, checked against meta.properties as Kafka does.
    this.clusterId = await this.zk.getOrCreateClusterId()
    const metas = cfg.logDirs.map((d) => readMetaProperties(d)).filter((m) => m !== undefined)
    for (const m of metas) {
      if (m['cluster.id'] && m['cluster.id'] !== this.clusterId) {
        throw new Error(
          `The Cluster ID ${this.clusterId} doesn't match stored clusterId Some(${m['cluster.id']}) in meta.properties. ` +
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
      else if (cfg.brokerIdGenerationEnable)
        brokerId = await this.zk.generateBrokerId(cfg.maxReservedBrokerId)
      else throw new Error('broker.id is not set and broker.id.generation.enable is false')
    } else if (storedId !== undefined && storedId !== brokerId) {
      throw new Error(
        `Configured broker.id ${brokerId} doesn't match stored broker.id Some(${storedId}) in meta.properties.`,
      )
    }
    this.brokerId = brokerId
    log.info(`[KafkaServer id=${brokerId}] Cluster ID = ${this.clusterId}`)

    // 3. The metadata cache (topic configs are needed to load the logs).
    this.cache = new MetadataCache(this.zk, log, brokerId)
    await this.cache.start(this.clusterId)
    const logConfigFor = (topic: string, overrides?: ReadonlyMap<string, string>) =>
      toLogConfig(this.topicConfig(topic, overrides))

    this.cache.on('brokerConfig', (entity, props) => this.applyDynamicBrokerConfig(entity, props))
    for (const [entity, props] of this.cache.brokerConfigs) this.applyDynamicBrokerConfig(entity, props)

    // 4. The logs (locks the directories, recovers after a crash), then meta.properties.
    this.logManager = new LogManager({
      logDirs: [...cfg.logDirs],
      configFor: (topic) => logConfigFor(topic),
      clock: this.clock,
      logger: log,
      retentionCheckMs: cfg.logRetentionCheckIntervalMs,
      flushCheckMs: cfg.logFlushSchedulerIntervalMs,
      flushRecoveryOffsetCheckpointMs: cfg.logFlushOffsetCheckpointIntervalMs,
      flushStartOffsetCheckpointMs: cfg.logFlushStartOffsetCheckpointIntervalMs,
      fileDeleteDelayMs: cfg.logSegmentDeleteDelayMs,
      producerIdExpirationMs: cfg.producerIdExpirationMs,
      producerIdExpirationCheckIntervalMs: cfg.producerIdExpirationCheckIntervalMs,
      maxTransactionTimeoutMs: cfg.transactionMaxTimeoutMs,
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
    this.logManager.startup()
    for (const d of cfg.logDirs)
      writeMetaProperties(d, { version: '0', 'broker.id': String(brokerId), 'cluster.id': this.clusterId })

    // 5. Services.
    this.topicAdmin = new TopicAdmin(
      this.zk,
      this.cache,
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
      },
      log,
    )
    this.configAdmin = new ConfigAdmin(this.zk, this.cache, cfg, brokerId, log)
    this.replicas = new ReplicaManager(
      {
        brokerId,
        replicaLagTimeMaxMs: cfg.replicaLagTimeMaxMs,
        highWatermarkCheckpointIntervalMs: cfg.replicaHighWatermarkCheckpointIntervalMs,
        logConfigFor: (topic, overrides) => logConfigFor(topic, overrides),
        minInsyncReplicasFor: (topic, overrides) => this.topicConfig(topic, overrides).minInSyncReplicas,
        clock: this.clock,
        log,
      },
      this.logManager,
      this.cache,
      this.zk,
    )
    const interBrokerListener = cfg.interBrokerListenerName
    this.replicas.setFollowerFetcher(
      new ReplicaFetcherManager({
        brokerId,
        clientId: `broker-${brokerId}-fetcher-0`,
        endpointOf: (id) => {
          const ep = this.cache.brokers.get(id)?.endpoints.find((e) => e.listenerName === interBrokerListener)
          return ep ? { host: ep.host, port: ep.port } : undefined
        },
        fetchMaxBytes: cfg.replicaFetchMaxBytes,
        fetchResponseMaxBytes: cfg.replicaFetchResponseMaxBytes,
        fetchWaitMaxMs: cfg.replicaFetchWaitMaxMs,
        fetchMinBytes: cfg.replicaFetchMinBytes,
        fetchBackoffMs: cfg.replicaFetchBackoffMs,
        socketTimeoutMs: cfg.replicaSocketTimeoutMs,
        onProgress: (p) => this.replicas.onFollowerProgress(p),
        log,
      }),
    )
    this.producerIds = new ProducerIdManager(this.zk, brokerId)
    this.groups = new GroupCoordinator({
      config: {
        brokerId,
        groupMinSessionTimeoutMs: cfg.groupMinSessionTimeoutMs,
        groupMaxSessionTimeoutMs: cfg.groupMaxSessionTimeoutMs,
        groupInitialRebalanceDelayMs: cfg.groupInitialRebalanceDelayMs,
        groupMaxSize: cfg.groupMaxSize,
        offsetsTopicNumPartitions: cfg.offsetsTopicNumPartitions,
        offsetMetadataMaxBytes: cfg.offsetMetadataMaxBytes,
        offsetsRetentionMinutes: cfg.offsetsRetentionMinutes,
        offsetsRetentionCheckIntervalMs: cfg.offsetsRetentionCheckIntervalMs,
      },
      logStore: new ReplicaGroupLogStore(
        this.replicas,
        cfg.offsetCommitTimeoutMs,
        cfg.offsetsTopicCompressionType,
      ),
      clock: this.clock,
      logger: log,
    })
    // Kafka's GroupCoordinator.onPartitionsDeleted: committed offsets of deleted topics are removed (tombstoned).
    this.cache.on('topicRemoved', (topic, _id, partitions) => {
      if (topic === OFFSETS_TOPIC) return
      this.groups
        .onPartitionsDeleted(partitions.map((partition) => ({ topic, partition })))
        .catch((e: unknown) =>
          log.warn({ err: e }, `Failed to remove the committed offsets of deleted topic ${topic}`),
        )
    })
    this.replicas.addLeadershipListener({
      onBecomeLeader: (tp, epoch) => {
        if (tp.topic === OFFSETS_TOPIC) void this.groups.onElection(tp.partition, epoch)
      },
      onResign: (tp, epoch) => {
        if (tp.topic === OFFSETS_TOPIC) void this.groups.onResignation(tp.partition, epoch)
      },
    })
    this.controller = new Controller(
      this.zk,
      this.cache,
      {
        brokerId,
        deleteTopicEnable: cfg.deleteTopicEnable,
        autoLeaderRebalanceEnable: cfg.autoLeaderRebalanceEnable,
        leaderImbalanceCheckIntervalMs: cfg.leaderImbalanceCheckIntervalSeconds * 1000,
        leaderImbalancePerBrokerPercentage: cfg.leaderImbalancePerBrokerPercentage,
        uncleanLeaderElection: (topic) => this.topicConfig(topic).uncleanLeaderElectionEnable,
      },
      log,
    )

    // 6. The request handlers and the socket server (bound now so that port 0 becomes a real port).
    this.dispatcher = new RequestDispatcher([], log)
    for (const h of createHandlers(
      this,
      new FetchSessionCache(cfg.maxIncrementalFetchSessionCacheSlots, 120_000, () => this.clock.now()),
    )) {
      this.dispatcher.register(h)
    }
    this.socketServer = new SocketServer(
      {
        listeners: cfg.listeners.map((l) => ({
          name: l.name,
          securityProtocol: l.securityProtocol,
          host: l.host,
          port: l.port,
        })),
        limits: {
          maxRequestSize: cfg.socketRequestMaxBytes,
          maxInFlight: 1000,
          writeHighWaterMark: 32 * 1024 * 1024,
        },
        maxConnections: cfg.maxConnections,
        maxConnectionsPerIp: cfg.maxConnectionsPerIp,
        connectionsMaxIdleMs: cfg.connectionsMaxIdleMs,
      },
      this.dispatcher,
      log,
    )
    const bound = await this.socketServer.start()
    this.endpoints = this.advertise(bound)

    // 7. Start the services that act on metadata, then announce the broker.
    this.groups.startup(this.cache.topic(OFFSETS_TOPIC)?.partitions.size ?? cfg.offsetsTopicNumPartitions)
    this.replicas.start()
    await this.register()
    await this.controller.start()
    this.store.on('newSession', () => void this.reregister())
    this.started = true
    log.info(
      `[KafkaServer id=${brokerId}] started (${this.endpoints.map((e) => `${e.listenerName}://${e.host}:${e.port}`).join(', ')})`,
    )
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
    // Topic configs that fall back to broker defaults (log.retention.ms, ...) follow the new values.
    if (this.logManager) {
      for (const l of this.logManager.allLogs())
        this.logManager.updateConfig(l, toLogConfig(this.topicConfig(l.topic)))
    }
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
    const session = this.store.sessionId
    for (let attempt = 1; this.stopping === undefined && this.store.sessionId === session; attempt++) {
      try {
        await this.register()
        return
      } catch (e) {
        this.log.error(
          { err: e },
          `Failed to re-register broker after session expiry (attempt ${attempt}); retrying`,
        )
        await new Promise((r) => setTimeout(r, 1000))
      }
    }
  }

  private async register(): Promise<void> {
    const epoch = await this.zk.registerBroker({
      id: this.brokerId,
      endpoints: this.endpoints,
      rack: this.config.rack,
      jmxPort: -1,
      timestamp: this.clock.now(),
      features: {},
    })
    this.brokerEpoch = epoch
    this.log.info(
      `[KafkaZkClient] Registered broker ${this.brokerId} at path /brokers/ids/${this.brokerId} with epoch ${epoch}`,
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
        await new Promise((r) => setTimeout(r, cfg.controlledShutdownRetryBackoffMs))
      }
    }
    this.log.warn(
      `${prefix} Proceeding to do an unclean shutdown as all the controlled shutdown attempts failed`,
    )
  }

  private async sendControlledShutdown(): Promise<{ errorCode: number; remaining: number }> {
    const controllerId = this.cache.controllerId
    if (controllerId === null) return { errorCode: ErrorCode.NOT_CONTROLLER, remaining: -1 }
    if (controllerId === this.brokerId && this.controller.isActive) {
      const r = await this.controller.controlledShutdown(this.brokerId, this.brokerEpoch)
      return { errorCode: r.errorCode, remaining: r.remaining.length }
    }
    const listener = this.config.interBrokerListenerName
    const ep = this.cache.brokers.get(controllerId)?.endpoints.find((e) => e.listenerName === listener)
    if (!ep) return { errorCode: ErrorCode.NOT_CONTROLLER, remaining: -1 }
    const client = await BrokerClient.connect({
      host: ep.host,
      port: ep.port,
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

  /** Clean shutdown: stop serving, give up leadership and controllership, flush and close the logs. */
  shutdown(): Promise<void> {
    this.stopping ??= this.doShutdown()
    return this.stopping
  }

  private async doShutdown(): Promise<void> {
    const log = this.log
    log.info(`[KafkaServer id=${this.brokerId}] shutting down`)
    const step = async (what: string, f: () => unknown): Promise<void> => {
      try {
        await f()
      } catch (e) {
        log.warn({ err: e }, `[KafkaServer id=${this.brokerId}] error during shutdown (${what})`)
      }
    }
    if (this.started && !this.standalone && this.config.controlledShutdownEnable) {
      await step('controlled shutdown', () => this.controlledShutdown())
    }
    if (this.socketServer) await step('socket server', () => this.socketServer.stop())
    if (this.controller) await step('controller', () => this.controller.stop())
    if (this.groups) await step('group coordinator', () => this.groups.shutdown())
    if (this.replicas) await step('replica manager', () => this.replicas.shutdown())
    if (this.logManager) await step('log manager', () => this.logManager.shutdown())
    if (this.zk && this.started) await step('deregistration', () => this.zk.deregisterBroker(this.brokerId))
    if (this.cache) this.cache.stop()
    if (this.store) await step('metadata store', () => this.store.close())
    log.info(`[KafkaServer id=${this.brokerId}] shut down completed`)
  }
}
