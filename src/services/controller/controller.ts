/**
 * The controller, as in ZooKeeper-mode Kafka: one broker wins the ephemeral /controller znode (bumping
 * /controller_epoch in the same multi) and from then on owns every partition state znode. It
 *  - writes the initial state of new partitions (leader = first live replica, ISR = live replicas),
 *  - elects new leaders when a leader's broker dies (from the live ISR; from any live replica only when
 *    unclean.leader.election.enable), shrinks the ISR of partitions whose followers died, and brings
 *    offline partitions back when an ISR member returns,
 *  - executes topic deletions requested under /admin/delete_topics and preferred leader elections requested
 *    under /admin/preferred_replica_election or via ElectLeaders, and rebalances leadership to preferred
 *    replicas when auto.leader.rebalance.enable,
 *  - moves partitions between brokers (KIP-455 reassignments requested under /admin/reassign_partitions or via
 *    AlterPartitionReassignments): the topic znode gets RS = TRS + ORS with AR/RS, the new replicas start
 *    following, and once every target replica is in the ISR leadership moves into TRS, the ISR and the replica
 *    set shrink to TRS and the removed replicas delete their logs.
 * Every write is conditional on the partition znode's version and fenced by the controller epoch's zkVersion,
 * so a deposed controller can never overwrite its successor. Events are handled one at a time (Kafka's
 * ControllerEventManager); the handling is level-triggered: each pass compares the whole cluster state with
 * what it should be, so nothing depends on seeing every intermediate event.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import type { Logger } from '../../util/logger.js'
import { systemScheduler, type ScheduledTask, type Scheduler } from '../../util/scheduler.js'
import { randomUuid, type KafkaZkClient } from '../metadata/kafka-zk-client.js'
import type { MetadataCache, PartitionInfo } from '../metadata/metadata-cache.js'
import { getDataWatched, isStoreError } from '../metadata/store.js'
import {
  decodePartitionsList,
  decodeReassignment,
  Paths,
  type LeaderAndIsr,
  type ReassignmentEntry,
  type ReplicaAssignment,
  type TopicAssignment,
} from '../metadata/znodes.js'
import {
  invalidReplicas,
  isBeingReassigned,
  originReplicas,
  reassignTo,
  sameAssignment,
  targetReplicas,
} from './reassignment.js'

export interface ControllerConfig {
  readonly brokerId: number
  readonly deleteTopicEnable: boolean
  readonly autoLeaderRebalanceEnable: boolean
  readonly leaderImbalanceCheckIntervalMs: number
  readonly leaderImbalancePerBrokerPercentage: number
  /** unclean.leader.election.enable for a topic (topic override or broker default). */
  readonly uncleanLeaderElection: (topic: string) => boolean
  /**
   * A broker's log directories as its DescribeLogDirs answers (the controller's own broker without a request):
   * rejects when the broker cannot be asked.
   */
  readonly describeLogDirs: (brokerId: number) => Promise<BrokerLogDirs>
  /**
   * Sends a broker an UpdateMetadata with these partition states (this broker's own cache without a request):
   * rejects when the broker cannot be told.
   */
  readonly updateMetadata: (
    brokerId: number,
    controllerEpoch: number,
    partitions: readonly PartitionMetadata[],
  ) => Promise<void>
}

/** A partition's state as the controller sends it in UpdateMetadata: offline replicas as Kafka's controller counts them. */
export interface PartitionMetadata {
  readonly info: PartitionInfo
  /** Replicas on brokers that are not registered or on a failed log directory of their broker. */
  readonly offlineReplicas: readonly number[]
}

/** What a broker said of its log directories: how many are offline, and the replicas in the online ones. */
export interface BrokerLogDirs {
  readonly offlineDirs: number
  /** `topic\u0000partition` of every replica in an online directory. */
  readonly onlineReplicas: ReadonlySet<string>
}

export const replicaKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`

export type ElectionType = 'preferred' | 'unclean'

export interface ElectionResult {
  readonly topic: string
  readonly partition: number
  readonly errorCode: number
  readonly errorMessage: string | null
}

export interface ReassignmentResult {
  readonly topic: string
  readonly partition: number
  readonly errorCode: number
  readonly errorMessage: string | null
}

/** A partition's reassignment as ListPartitionReassignments reports it. */
export interface OngoingReassignment extends ReplicaAssignment {
  readonly topic: string
  readonly partition: number
}

const NO_LEADER = -1
/** Asking a broker for its log directories: attempts before waiting for the next change, first back-off. */
const LOG_DIRS_ATTEMPTS = 5
const LOG_DIRS_RETRY_MS = 500
/**
 * An UpdateMetadata a broker did not take is sent again after this back-off, doubled on each failure up to the
 * maximum (Kafka's controller-to-broker sender retries after 100 ms, its connections back off up to
 * reconnect.backoff.max.ms, 1 s), as long as the broker stays registered.
 */
const METADATA_RETRY_MS = 100
const METADATA_RETRY_MAX_MS = 1000

/**
 * The DescribeLogDirs conversation with one broker: the registration epoch its log directories were learnt under,
 * the one it is being asked under (an answer for an older registration is not taken), and the failed attempts of
 * this round with the retry that is due, if any (none after LOG_DIRS_ATTEMPTS failures: the broker is asked again on
 * the next change, with a fresh round). A learnt broker may be asked again (a log dir event) and stays learnt
 * meanwhile.
 */
interface LogDirsConversation {
  learnt: number | undefined
  asking: number | undefined
  attempts: number
  retry: ScheduledTask | undefined
}

/**
 * The UpdateMetadata conversation with one broker registration (Kafka's ControllerChannelManager keeps a request
 * queue per broker): the partitions whose newest state the broker still has to be told, at most one request in
 * flight, and the retry of a request the broker did not take.
 */
interface MetadataQueue {
  /** the broker's registration epoch: the queue goes when the broker deregisters or registers again */
  readonly epoch: number
  /** `replicaKey`s to send; their state is read when the request is built, so the newest state wins */
  readonly pending: Set<string>
  sending: boolean
  failures: number
  retry: ScheduledTask | undefined
}
const tpKey = (topic: string, partition: number): string => `${topic}-${partition}`

export class Controller {
  private active = false
  private epoch = -1
  private epochZkVersion = -1
  private queue: Promise<void> = Promise.resolve()
  private stopped = false
  private rebalanceTimer: ScheduledTask | undefined
  private retryTimer: ScheduledTask | undefined
  private generation = 0
  private reconcileQueued = false
  /** Brokers in a controlled shutdown: never chosen as leaders, taken out of ISRs (Kafka's shuttingDownBrokerIds). */
  private readonly shuttingDown = new Set<number>()
  /**
   * Replicas on a failed log directory of a broker that still runs (Kafka's ControllerContext.replicasOnOfflineDirs),
   * by broker, with the broker epoch they were learnt under: they are neither leader nor ISR member until that
   * broker registers again.
   */
  private readonly offlineReplicas = new Map<number, { epoch: number; replicas: ReadonlySet<string> }>()
  /**
   * Brokers whose log directories this controller has learnt, with the registration epoch it learnt them under.
   * A new controller asks every live broker (Kafka's controller learns it from the LeaderAndIsr answers it gets
   * at fail-over and at each broker's start-up); one that does not answer is asked again with a bounded back-off
   * and on the next change. One conversation per broker (LogDirsConversation).
   */
  private readonly logDirs = new Map<number, LogDirsConversation>()
  /** Brokers sent the offline replicas known so far (UpdateMetadata), with the registration epoch they were sent to. */
  private readonly metadataSent = new Map<number, number>()
  /** UpdateMetadata still to be delivered, per broker (see MetadataQueue). */
  private readonly metadataQueues = new Map<number, MetadataQueue>()
  /** Reassignments requested under /admin/reassign_partitions, taken out of the znode as each completes. */
  private readonly zkReassignments = new Map<string, ReassignmentEntry>()

  constructor(
    private readonly zk: KafkaZkClient,
    private readonly cache: MetadataCache,
    private readonly cfg: ControllerConfig,
    private readonly log: Logger,
    private readonly scheduler: Scheduler,
  ) {}

  get isActive(): boolean {
    return this.active
  }

  get controllerEpoch(): number {
    return this.epoch
  }

  /**
   * The replicas (`replicaKey`) of broker `brokerId` on a failed log directory, as this controller learnt them under
   * the broker's current registration; empty when it learnt none or is not the active controller.
   */
  offlineReplicasOn(brokerId: number): ReadonlySet<string> {
    const o = this.offlineReplicas.get(brokerId)
    return this.active && o && this.cache.brokers.get(brokerId)?.epoch === o.epoch ? o.replicas : new Set()
  }

  private get prefix(): string {
    return `[Controller id=${this.cfg.brokerId}]`
  }

  async start(): Promise<void> {
    this.cache.on('controller', (id) => {
      if (id === null) this.enqueue('elect', () => this.elect())
      else if (id !== this.cfg.brokerId && this.active) this.enqueue('resign', async () => this.resign())
    })
    this.cache.on('brokers', () => this.requestReconcile('broker change'))
    this.cache.on('topicAdded', () => this.requestReconcile('new topic'))
    this.cache.on('partitionsAdded', () => this.requestReconcile('new partitions'))
    // Unclean leader election turned on (for a topic, or as the brokers' dynamic default) elects offline partitions
    // at once (Kafka's TopicUncleanLeaderElectionEnable / UncleanLeaderElectionEnable events).
    this.cache.on('topicConfig', (t) => {
      if (this.cfg.uncleanLeaderElection(t.name)) this.requestReconcile('unclean leader election enabled')
    })
    this.cache.on('brokerConfig', () => this.requestReconcile('broker config change'))
    // An ISR change of a partition being moved may complete its reassignment.
    this.cache.on('partition', (p) => {
      if (isBeingReassigned(p)) this.requestReconcile('reassignment progress')
    })
    this.zk.store.on('newSession', () => {
      this.enqueue('session', async () => {
        if (this.active) this.resign()
        await this.elect()
      })
    })
    this.enqueue('startup', () => this.elect())
    await this.queue
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.rebalanceTimer?.cancel()
    this.retryTimer?.cancel()
    this.forgetLogDirs()
    await this.queue.catch(() => {})
    if (this.active) {
      this.active = false
      await this.zk.resignController().catch(() => false)
    }
  }

  /** Runs controller work one piece at a time. */
  private enqueue(name: string, fn: () => Promise<void>): Promise<void> {
    const next = this.queue.then(async () => {
      if (this.stopped) return
      try {
        await fn()
      } catch (e) {
        this.log.error({ err: e }, `${this.prefix} Error processing ${name} event`)
        if (this.active && !this.stopped) {
          // Real time, as every retry against the metadata store (see DEVELOPERS.md, "Time and scheduling").
          this.retryTimer?.cancel()
          this.retryTimer = systemScheduler.schedule(
            'controller-retry',
            () => this.requestReconcile('retry after error'),
            1000,
          )
        }
      }
    })
    this.queue = next
    return next
  }

  /**
   * Runs `fn` on the controller's queue for a caller that waits for its outcome (a request). It always settles:
   * NOT_CONTROLLER when the controller stopped, or was no longer the active controller, before `fn`'s turn came.
   */
  private submit<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const notController = (): void =>
        reject(new KafkaError(ErrorCode.NOT_CONTROLLER, `Broker ${this.cfg.brokerId} is not the controller`))
      if (this.stopped) return notController()
      void this.enqueue(name, async () => {
        if (!this.active) return notController()
        try {
          resolve(await fn())
        } catch (e) {
          reject(e)
        }
      }).then(notController) // a job skipped because the controller stopped; no-op once settled
    })
  }

  private requestReconcile(reason: string): void {
    if (!this.active || this.reconcileQueued) return
    this.reconcileQueued = true
    void this.enqueue(`reconcile (${reason})`, async () => {
      this.reconcileQueued = false
      if (this.active) await this.reconcile()
    })
  }

  private async elect(): Promise<void> {
    if (this.active || this.stopped) return
    const current = await this.zk.getControllerId()
    let won: { epoch: number; epochZkVersion: number } | null
    if (current !== null) {
      if (current !== this.cfg.brokerId) return
      // Ours. From this very session (an election whose answer was lost, retried after a reconnect, or one
      // that won while we resigned for a session change): we are the controller. From a session that is gone:
      // let it expire rather than fight over it.
      won = await this.zk.controllerOwnedBySession(this.cfg.brokerId)
      if (!won) {
        this.log.info(
          `${this.prefix} /controller names this broker from a previous session; waiting for it to go`,
        )
        return
      }
    } else {
      won = await this.zk.tryElectController(this.cfg.brokerId)
      if (!won) {
        this.log.info(`${this.prefix} Another broker was elected controller`)
        return
      }
    }
    this.active = true
    this.epoch = won.epoch
    this.epochZkVersion = won.epochZkVersion
    const gen = ++this.generation
    this.log.info(
      `${this.prefix} ${this.cfg.brokerId} successfully elected as the controller. Epoch incremented to ` +
        `${this.epoch} and epoch zk version is now ${this.epochZkVersion}`,
    )
    await this.watchAdmin(gen)
    await this.reconcile()
    if (this.cfg.autoLeaderRebalanceEnable) {
      const every = this.cfg.leaderImbalanceCheckIntervalMs
      this.rebalanceTimer = this.scheduler.schedule(
        'auto-leader-rebalance-task',
        () => this.enqueue('auto leader rebalance', () => this.autoRebalance()),
        every,
        every,
      )
    }
  }

  private resign(): void {
    if (!this.active) return
    this.log.info(`${this.prefix} Resigning as the controller`)
    this.active = false
    this.generation++
    this.rebalanceTimer?.cancel()
    this.rebalanceTimer = undefined
    this.zkReassignments.clear()
    this.offlineReplicas.clear()
    this.forgetLogDirs()
  }

  private async watchAdmin(gen: number): Promise<void> {
    const store = this.zk.store
    const onDelete = (): void => {
      if (gen === this.generation)
        void this.enqueue('topic deletion', () => this.processDeletions(gen, onDelete))
    }
    await this.processDeletions(gen, onDelete)
    const onPreferred = (): void => {
      if (gen === this.generation) {
        void this.enqueue('preferred replica election', () =>
          this.processPreferredElectionZnode(gen, onPreferred),
        )
      }
    }
    await store.exists(Paths.preferredReplicaElection, onPreferred)
    await this.processPreferredElectionZnode(gen, onPreferred)
    const onReassign = (): void => {
      if (gen === this.generation)
        void this.enqueue('partition reassignment', () => this.processReassignZnode(gen, onReassign))
    }
    await this.processReassignZnode(gen, onReassign)
    const onLogDirEvent = (): void => {
      if (gen === this.generation)
        void this.enqueue('log dir event', () => this.processLogDirEvents(gen, onLogDirEvent))
    }
    await this.processLogDirEvents(gen, onLogDirEvent)
  }

  // --- log directory failures ---

  /**
   * /log_dir_event_notification/log_dir_event_<seq>: a broker lost a log directory (Kafka's
   * LogDirEventNotification). The controller asks that broker which of its replicas are offline — Kafka sends it a
   * LeaderAndIsr and reads KAFKA_STORAGE_ERROR from the answer; Samsa's brokers take partition states from
   * ZooKeeper, so it asks with DescribeLogDirs: with a directory offline, every replica assigned to the broker that
   * is in none of its online directories is offline. The notifications are deleted once read, as Kafka does.
   */
  private async processLogDirEvents(gen: number, rewatch: () => void): Promise<void> {
    const events = await this.zk.getLogDirEvents(rewatch)
    if (gen !== this.generation || events.length === 0) return
    const brokers = new Set<number>()
    for (const e of events) if (e.broker !== null) brokers.add(e.broker)
    for (const e of events) await this.zk.deleteLogDirEvent(e.name)
    for (const id of brokers) {
      this.log.info(`${this.prefix} Broker ${id} reported a failed log directory; asking for its log dirs`)
      this.askLogDirs(gen, id)
    }
  }

  /**
   * Asks every live broker whose log directories this controller has not learnt under its current registration
   * (all of them right after an election; a broker that registered again; one that did not answer yet).
   */
  private learnLogDirs(): void {
    for (const [id, b] of this.cache.brokers) {
      const c = this.logDirs.get(id)
      if (c?.learnt === b.epoch || c?.asking === b.epoch) continue
      if (c?.retry) continue // a retry is due
      if (c) c.attempts = 0 // asked again on a change: a fresh round of retries
      this.askLogDirs(this.generation, id)
    }
  }

  private logDirsOf(brokerId: number): LogDirsConversation {
    let c = this.logDirs.get(brokerId)
    if (!c) {
      c = { learnt: undefined, asking: undefined, attempts: 0, retry: undefined }
      this.logDirs.set(brokerId, c)
    }
    return c
  }

  /** The broker's answer comes back on the controller's queue; waiting for it never holds the queue up. */
  private askLogDirs(gen: number, brokerId: number): void {
    const epoch = this.cache.brokers.get(brokerId)?.epoch
    if (epoch === undefined) return // gone: its replicas are offline with it
    const c = this.logDirsOf(brokerId)
    c.asking = epoch
    const current = (): boolean =>
      gen === this.generation && this.active && this.cache.brokers.get(brokerId)?.epoch === epoch
    this.cfg.describeLogDirs(brokerId).then(
      (dirs) =>
        void this.enqueue('log dirs', async () => {
          if (c.asking === epoch) c.asking = undefined
          if (!current()) return
          c.learnt = epoch
          c.retry?.cancel()
          c.retry = undefined
          c.attempts = 0
          await this.onBrokerLogDirFailure(brokerId, epoch, dirs)
        }),
      (e: unknown) => {
        if (c.asking === epoch) c.asking = undefined
        if (!current()) return
        c.attempts++
        const last = c.attempts >= LOG_DIRS_ATTEMPTS
        this.log.warn(
          { err: e },
          `${this.prefix} Could not learn the log directories of broker ${brokerId}` +
            (last ? '; asking again on the next change' : '; asking again'),
        )
        if (last) return
        c.retry?.cancel()
        c.retry = this.scheduler.schedule(
          'controller-log-dirs-retry',
          () => {
            c.retry = undefined
            if (current()) this.askLogDirs(gen, brokerId)
          },
          LOG_DIRS_RETRY_MS * 2 ** (c.attempts - 1),
        )
      },
    )
  }

  private forgetLogDirs(): void {
    for (const c of this.logDirs.values()) c.retry?.cancel()
    this.logDirs.clear()
    this.metadataSent.clear()
    for (const id of [...this.metadataQueues.keys()]) this.dropMetadataQueue(id)
  }

  /**
   * UpdateMetadata with the states of `keys` (`replicaKey`s) to `to` (every live broker by default), as Kafka's
   * controller sends them after a log dir failure, a broker's start-up or its own election. Not waited for: each
   * broker has its queue (MetadataQueue); a request the broker does not take is sent again, with the newest state of
   * its partitions, until the broker takes it or deregisters.
   */
  private sendOfflineReplicas(
    keys: Iterable<string>,
    to: Iterable<number> = this.cache.brokers.keys(),
  ): void {
    const list = [...keys]
    if (list.length === 0) return
    for (const id of [...to]) {
      const q = this.metadataQueueOf(id)
      if (!q) continue
      for (const k of list) q.pending.add(k)
      if (!q.sending && !q.retry) this.flushMetadata(id, q)
    }
  }

  /** The broker's queue for its current registration (a new one after it registered again); none if it is gone. */
  private metadataQueueOf(id: number): MetadataQueue | undefined {
    const epoch = this.cache.brokers.get(id)?.epoch
    const q = this.metadataQueues.get(id)
    if (q && q.epoch === epoch) return q
    if (q) this.dropMetadataQueue(id)
    if (epoch === undefined) return undefined
    const fresh: MetadataQueue = {
      epoch,
      pending: new Set(),
      sending: false,
      failures: 0,
      retry: undefined,
    }
    this.metadataQueues.set(id, fresh)
    return fresh
  }

  private dropMetadataQueue(id: number): void {
    const q = this.metadataQueues.get(id)
    if (!q) return
    q.retry?.cancel()
    q.retry = undefined
    this.metadataQueues.delete(id)
    if (q.pending.size > 0)
      this.log.info(
        `${this.prefix} Dropped the UpdateMetadata of ${q.pending.size} partitions queued for broker ${id}: its registration ${q.epoch} is gone`,
      )
  }

  /** Whether `q` is still the queue of the broker's current registration under an active controller. */
  private metadataQueueLive(id: number, q: MetadataQueue): boolean {
    if (!this.active || this.metadataQueues.get(id) !== q) return false
    if (this.cache.brokers.get(id)?.epoch === q.epoch) return true
    this.dropMetadataQueue(id)
    return false
  }

  /** Sends everything queued for the broker in one request, built from the partitions' states now. */
  private flushMetadata(id: number, q: MetadataQueue): void {
    if (!this.metadataQueueLive(id, q)) return
    const keys = [...q.pending]
    q.pending.clear()
    const partitions = this.partitionMetadata(keys)
    if (partitions.length === 0) return
    q.sending = true
    this.cfg.updateMetadata(id, this.epoch, partitions).then(
      () => {
        q.sending = false
        if (q.failures > 0)
          this.log.info(`${this.prefix} Broker ${id} took UpdateMetadata after ${q.failures} failed attempts`)
        q.failures = 0
        if (q.pending.size > 0) this.flushMetadata(id, q)
      },
      (e: unknown) => {
        q.sending = false
        if (!this.metadataQueueLive(id, q)) return
        for (const k of keys) q.pending.add(k)
        q.failures++
        const delay = Math.min(METADATA_RETRY_MS * 2 ** (q.failures - 1), METADATA_RETRY_MAX_MS)
        const msg = `${this.prefix} Could not send UpdateMetadata to broker ${id} (attempt ${q.failures}); retrying in ${delay} ms while it is registered`
        if (q.failures === 1) this.log.warn({ err: e }, msg)
        else this.log.debug({ err: e }, msg)
        q.retry = this.scheduler.schedule(
          'controller-update-metadata-retry',
          () => {
            q.retry = undefined
            this.flushMetadata(id, q)
          },
          delay,
        )
      },
    )
  }

  /** The partitions' states as UpdateMetadata carries them (offline replicas as this controller counts them). */
  private partitionMetadata(keys: Iterable<string>): PartitionMetadata[] {
    const partitions: PartitionMetadata[] = []
    for (const key of keys) {
      const [topic, partition] = key.split('\u0000') as [string, string]
      const info = this.cache.partition(topic, Number(partition))
      if (!info?.state) continue
      const offline = info.replicas.filter(
        (r) => !this.cache.isAlive(r) || this.offlineReplicasOn(r).has(key),
      )
      partitions.push({ info, offlineReplicas: offline })
    }
    return partitions
  }

  /** Every replica on a failed log directory that this controller knows of. */
  private allOfflineReplicas(): Set<string> {
    const all = new Set<string>()
    for (const o of this.offlineReplicas.values()) for (const k of o.replicas) all.add(k)
    return all
  }

  /**
   * Kafka's onBrokerLogDirFailure: the broker's offline replicas leave every ISR and lose their leadership. A
   * directory never comes back while the broker runs, so what was learnt under this registration stays.
   */
  private async onBrokerLogDirFailure(brokerId: number, epoch: number, dirs: BrokerLogDirs): Promise<void> {
    if (dirs.offlineDirs === 0) return
    const known = this.offlineReplicas.get(brokerId)
    const offline = new Set<string>(known?.epoch === epoch ? known.replicas : [])
    const before = offline.size
    for (const topic of this.cache.topics.values())
      for (const p of topic.partitions.values())
        if (
          p.state &&
          p.replicas.includes(brokerId) &&
          !dirs.onlineReplicas.has(replicaKey(p.topic, p.partition))
        )
          offline.add(replicaKey(p.topic, p.partition))
    this.log.info(
      `${this.prefix} Replicas on the failed log dirs of broker ${brokerId} are offline: ` +
        ([...offline].map((k) => k.replace('\u0000', '-')).join(', ') || 'none'),
    )
    this.offlineReplicas.set(brokerId, { epoch, replicas: offline })
    if (offline.size > before) {
      await this.reconcile()
      this.sendOfflineReplicas(offline)
    }
  }

  /** `brokers` without those whose replica of `p` is on a failed log directory. */
  private onlineFor(p: PartitionInfo, brokers: Set<number>): Set<number> {
    if (this.offlineReplicas.size === 0) return brokers
    const key = replicaKey(p.topic, p.partition)
    const off = p.replicas.filter((r) => this.offlineReplicas.get(r)?.replicas.has(key))
    if (off.length === 0) return brokers
    const out = new Set(brokers)
    for (const r of off) out.delete(r)
    return out
  }

  // --- topic deletion ---

  private async processDeletions(gen: number, rewatch: () => void): Promise<void> {
    const topics = await this.zk.getTopicsMarkedForDeletion(rewatch)
    if (gen !== this.generation) return
    for (const t of topics) {
      if (!this.cfg.deleteTopicEnable) {
        this.log.info(`${this.prefix} Removing ${t} from the deletion queue: delete.topic.enable is false`)
        await this.zk.unmarkTopicForDeletion(t)
        continue
      }
      this.log.info(`${this.prefix} Deleting topic ${t}`)
      await this.zk.deleteTopicZnodes(t)
      await this.zk.unmarkTopicForDeletion(t)
      this.log.info(`${this.prefix} Deletion of topic ${t} successfully completed`)
    }
  }

  // --- the reconcile pass ---

  /**
   * Brokers that may lead or stay in an ISR: the live ones (read from ZooKeeper itself, as the cache may not have
   * seen a registration yet) minus those in a controlled shutdown.
   */
  private async alive(): Promise<Set<number>> {
    return (await this.liveBrokers()).eligible
  }

  /** Registered brokers (`live`), and those of them not in a controlled shutdown (`eligible`). */
  private async liveBrokers(): Promise<{ live: Set<number>; eligible: Set<number> }> {
    const ids = await this.zk.getBrokerIds()
    for (const id of [...this.shuttingDown]) if (!ids.includes(id)) this.shuttingDown.delete(id)
    return { live: new Set(ids), eligible: new Set(ids.filter((id) => !this.shuttingDown.has(id))) }
  }

  /**
   * ControlledShutdown (API 7) on the controller: moves leadership of the broker's partitions to other ISR
   * members and takes it out of every ISR, as Kafka's KafkaController.doControlledShutdown does. Returns the
   * partitions it still leads (no other live ISR member). The broker epoch must match its registration.
   */
  controlledShutdown(
    brokerId: number,
    brokerEpoch: number,
  ): Promise<{ errorCode: number; remaining: { topic: string; partition: number }[] }> {
    return this.submit('controlled shutdown', async () => {
      const reg = await this.zk.getBroker(brokerId)
      if (!reg) return { errorCode: ErrorCode.BROKER_NOT_AVAILABLE, remaining: [] }
      if (brokerEpoch !== -1 && reg.epoch !== brokerEpoch)
        return { errorCode: ErrorCode.STALE_BROKER_EPOCH, remaining: [] }
      this.log.info(`${this.prefix} Shutting down broker ${brokerId}`)
      this.shuttingDown.add(brokerId)
      const alive = await this.alive()
      const remaining: { topic: string; partition: number }[] = []
      for (const topic of this.cache.topics.values()) {
        for (const p of topic.partitions.values()) {
          // Only replicated partitions can move (Kafka leaves single-replica ones alone and does not count them).
          if (!p.state || !p.replicas.includes(brokerId) || p.replicas.length < 2) continue
          const next = await this.updateState(p, (cur) => {
            if (!cur.isr.includes(brokerId) && cur.leader !== brokerId) return null
            const isr = cur.isr.filter((r) => r !== brokerId)
            if (cur.leader !== brokerId)
              return { ...cur, isr, leaderEpoch: cur.leaderEpoch + 1, controllerEpoch: this.epoch }
            const leader = p.replicas.find((r) => isr.includes(r) && alive.has(r))
            if (leader === undefined) return null
            return { ...cur, leader, isr, leaderEpoch: cur.leaderEpoch + 1, controllerEpoch: this.epoch }
          })
          if (next?.leader === brokerId) remaining.push({ topic: p.topic, partition: p.partition })
        }
      }
      return { errorCode: ErrorCode.NONE, remaining }
    })
  }

  /** Brings every partition state in line with the live brokers. */
  private async reconcile(): Promise<void> {
    const { live: liveBrokers, eligible: aliveBrokers } = await this.liveBrokers()
    // A broker that registered again (restarted) brings its log directories back.
    const back: string[] = []
    for (const [id, o] of [...this.offlineReplicas])
      if (this.cache.brokers.get(id)?.epoch !== o.epoch) {
        this.offlineReplicas.delete(id)
        back.push(...o.replicas)
      }
    this.learnLogDirs()
    for (const topic of this.cache.topics.values()) if (!topic.id) await this.assignTopicId(topic.name)
    for (const topic of this.cache.topics.values()) {
      const missing = new Map<number, LeaderAndIsr>()
      for (const p of topic.partitions.values()) {
        if (p.state === null) {
          const alive = this.onlineFor(p, aliveBrokers)
          const replicas = p.replicas.filter((r) => alive.has(r))
          if (replicas.length === 0) continue
          missing.set(p.partition, {
            leader: replicas[0]!,
            leaderEpoch: 0,
            isr: replicas,
            controllerEpoch: this.epoch,
            leaderRecoveryState: 0,
          })
        }
      }
      if (missing.size > 0) await this.createStates(topic.name, missing)
    }
    for (const topic of this.cache.topics.values()) {
      for (const p of topic.partitions.values()) {
        if (p.state === null) continue
        const s = p.state
        const live = this.onlineFor(p, liveBrokers)
        const alive = this.onlineFor(p, aliveBrokers)
        const leaderDead = s.leader === NO_LEADER || !live.has(s.leader)
        const deadFollowers = s.isr.filter((r) => r !== s.leader && !live.has(r))
        if (leaderDead || deadFollowers.length > 0)
          await this.updateState(p, (cur) => this.offlineElection(p, cur, live, alive))
      }
    }
    for (const topic of this.cache.topics.values())
      for (const p of topic.partitions.values())
        if (this.active && isBeingReassigned(p))
          await this.maybeCompleteReassignment(p, this.onlineFor(p, aliveBrokers))
    if (!this.active) return
    // a broker that deregistered (or registered again) is not told what was queued for its old registration
    for (const [id, q] of [...this.metadataQueues])
      if (this.cache.brokers.get(id)?.epoch !== q.epoch) this.dropMetadataQueue(id)
    // the brokers learn which replicas are back (their broker registered again), and a broker that registered (or
    // that this controller has not told yet) every replica known to be offline
    this.sendOfflineReplicas(back)
    const fresh: number[] = []
    for (const [id, b] of this.cache.brokers)
      if (this.metadataSent.get(id) !== b.epoch) {
        this.metadataSent.set(id, b.epoch)
        fresh.push(id)
      }
    if (fresh.length > 0) this.sendOfflineReplicas(this.allOfflineReplicas(), fresh)
  }

  /**
   * Topics written to ZooKeeper without a topic id (by tools predating KIP-516) get one from the controller, as
   * Kafka's controller does since 2.8.
   */
  private async assignTopicId(topic: string): Promise<void> {
    const cur = await this.zk.getTopicAssignment(topic)
    if (!cur || cur.assignment.topicId) return
    const topicId = randomUuid()
    try {
      await this.zk.setTopicAssignment(topic, { ...cur.assignment, topicId }, cur.zkVersion)
      this.log.info(`${this.prefix} Assigned topic id ${topicId} to topic ${topic}`)
    } catch (e) {
      if (!isStoreError(e, 'BAD_VERSION') && !isStoreError(e, 'NO_NODE')) throw e
    }
  }

  private async createStates(topic: string, states: Map<number, LeaderAndIsr>): Promise<void> {
    try {
      await this.zk.createPartitionStates(topic, states, this.epochZkVersion)
      this.log.info(
        `${this.prefix} Initialized ${states.size} partition(s) of ${topic}: ` +
          [...states].map(([p, s]) => `${p} leader ${s.leader} isr [${s.isr.join(',')}]`).join('; '),
      )
    } catch (e) {
      if (isStoreError(e, 'BAD_VERSION')) {
        this.log.warn(`${this.prefix} Controller epoch moved on; another controller is active`)
        this.resign()
        return
      }
      if (isStoreError(e, 'NODE_EXISTS')) return // written meanwhile; the watch will tell us
      if (isStoreError(e, 'NO_NODE')) return // topic deleted meanwhile
      throw e
    }
  }

  /**
   * Kafka's OfflinePartitionLeaderElectionStrategy plus the controller's ISR clean-up of dead replicas.
   * Returns the new state, or null when nothing needs to change.
   */
  private offlineElection(
    p: PartitionInfo,
    cur: LeaderAndIsr,
    live: ReadonlySet<number>,
    alive: ReadonlySet<number>,
  ): LeaderAndIsr | null {
    const liveIsr = cur.isr.filter((r) => live.has(r))
    const leaderAlive = cur.leader !== NO_LEADER && live.has(cur.leader)
    if (leaderAlive) {
      if (liveIsr.length === cur.isr.length) return null
      return { ...cur, isr: liveIsr, leaderEpoch: cur.leaderEpoch + 1, controllerEpoch: this.epoch }
    }
    let leader = p.replicas.find((r) => liveIsr.includes(r) && alive.has(r))
    let isr = liveIsr
    let recovery = cur.leaderRecoveryState
    if (leader === undefined && this.cfg.uncleanLeaderElection(p.topic)) {
      leader = p.replicas.find((r) => alive.has(r))
      if (leader !== undefined) {
        this.log.warn(
          `${this.prefix} Unclean leader election for ${p.topic}-${p.partition}: broker ${leader} is not in the ISR ` +
            `[${cur.isr.join(',')}]; data loss may occur`,
        )
        isr = [leader]
        recovery = 1
      }
    }
    if (leader === undefined) {
      if (cur.leader === NO_LEADER) return null
      // No eligible leader: the partition goes offline, keeping the last ISR member so it can return as leader.
      const keep = cur.isr.length <= 1 ? cur.isr : cur.isr.filter((r) => r !== cur.leader)
      this.log.warn(
        `${this.prefix} Partition ${p.topic}-${p.partition} is offline: no live replica in ISR [${cur.isr.join(',')}]`,
      )
      return {
        ...cur,
        leader: NO_LEADER,
        isr: keep.length > 0 ? keep : cur.isr,
        leaderEpoch: cur.leaderEpoch + 1,
        controllerEpoch: this.epoch,
      }
    }
    this.log.info(
      `${this.prefix} Elected ${leader} as leader of ${p.topic}-${p.partition} (was ${cur.leader}), ISR [${isr.join(',')}], ` +
        `leader epoch ${cur.leaderEpoch + 1}`,
    )
    return {
      leader,
      isr,
      leaderEpoch: cur.leaderEpoch + 1,
      controllerEpoch: this.epoch,
      leaderRecoveryState: recovery,
    }
  }

  /** Conditional read-modify-write of one partition state, retried when a leader changed the ISR meanwhile. */
  private async updateState(
    p: PartitionInfo,
    change: (cur: LeaderAndIsr) => LeaderAndIsr | null,
  ): Promise<LeaderAndIsr | null> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const cur = await this.zk.getPartitionState(p.topic, p.partition)
      if (!cur) return null
      const next = change(cur.state)
      if (!next) return cur.state
      try {
        const v = await this.zk.updatePartitionState(
          p.topic,
          p.partition,
          next,
          cur.zkVersion,
          this.epochZkVersion,
        )
        if (v !== null) return next
      } catch (e) {
        if (isStoreError(e, 'BAD_VERSION')) {
          this.resign()
          return null
        }
        throw e
      }
      // Either the partition or the controller epoch changed. Find out which.
      const epoch = await this.zk.getControllerEpoch()
      if (!epoch || epoch.zkVersion !== this.epochZkVersion) {
        this.log.warn(`${this.prefix} Controller epoch moved on; resigning`)
        this.resign()
        return null
      }
    }
    throw new Error(`could not update the state of ${p.topic}-${p.partition} after 5 attempts`)
  }

  // --- preferred leaders ---

  private preferredElection(
    p: PartitionInfo,
    cur: LeaderAndIsr,
    alive: ReadonlySet<number>,
  ): LeaderAndIsr | null {
    const preferred = p.replicas[0]
    if (preferred === undefined || cur.leader === preferred) return null
    if (!alive.has(preferred) || !cur.isr.includes(preferred)) return null
    this.log.info(
      `${this.prefix} Moving leadership of ${p.topic}-${p.partition} to its preferred replica ${preferred}`,
    )
    return { ...cur, leader: preferred, leaderEpoch: cur.leaderEpoch + 1, controllerEpoch: this.epoch }
  }

  private async processPreferredElectionZnode(gen: number, rewatch: () => void): Promise<void> {
    const r = await getDataWatched(this.zk.store, Paths.preferredReplicaElection, rewatch)
    if (!r || gen !== this.generation) return
    let parts: { topic: string; partition: number }[] = []
    try {
      parts = decodePartitionsList(r.data, Paths.preferredReplicaElection)
    } catch (e) {
      this.log.warn({ err: e }, `${this.prefix} Ignoring malformed ${Paths.preferredReplicaElection}`)
    }
    await this.electLeadersNow('preferred', parts)
    try {
      await this.zk.store.delete(Paths.preferredReplicaElection)
    } catch (e) {
      if (!isStoreError(e, 'NO_NODE')) throw e
    }
  }

  /** ElectLeaders (API 43) on the controller. `partitions` null = every partition. */
  electLeaders(
    type: ElectionType,
    partitions: readonly { topic: string; partition: number }[] | null,
  ): Promise<ElectionResult[]> {
    return this.submit('elect leaders', () => this.electLeadersNow(type, partitions))
  }

  private async electLeadersNow(
    type: ElectionType,
    partitions: readonly { topic: string; partition: number }[] | null,
  ): Promise<ElectionResult[]> {
    const alive = await this.alive()
    const list =
      partitions ??
      [...this.cache.topics.values()].flatMap((t) =>
        [...t.partitions.keys()].map((p) => ({ topic: t.name, partition: p })),
      )
    const results: ElectionResult[] = []
    for (const { topic, partition } of list) {
      const p = this.cache.partition(topic, partition)
      if (!p || !p.state) {
        results.push({
          topic,
          partition,
          errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          errorMessage: null,
        })
        continue
      }
      let changed = false
      let noEligible = false
      const next = await this.updateState(p, (cur) => {
        const n =
          type === 'preferred'
            ? this.preferredElection(p, cur, alive)
            : cur.leader !== NO_LEADER && alive.has(cur.leader)
              ? null
              : this.uncleanElection(p, cur, alive)
        if (n) changed = true
        else if (type === 'preferred' ? p.replicas[0] !== cur.leader : cur.leader === NO_LEADER)
          noEligible = true
        return n
      })
      if (changed && next) results.push({ topic, partition, errorCode: ErrorCode.NONE, errorMessage: null })
      else if (noEligible) {
        results.push({
          topic,
          partition,
          errorCode: ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE,
          errorMessage: `Failed to elect leader for partition ${topic}-${partition} under strategy ${type === 'preferred' ? 'PreferredReplicaPartitionLeaderElectionStrategy' : 'OfflinePartitionLeaderElectionStrategy(true)'}`,
        })
      } else {
        results.push({
          topic,
          partition,
          errorCode: ErrorCode.ELECTION_NOT_NEEDED,
          errorMessage: 'Leader election not needed for topic partition.',
        })
      }
    }
    return results
  }

  private uncleanElection(
    p: PartitionInfo,
    cur: LeaderAndIsr,
    alive: ReadonlySet<number>,
  ): LeaderAndIsr | null {
    const liveIsr = cur.isr.filter((r) => alive.has(r))
    const leader = p.replicas.find((r) => liveIsr.includes(r)) ?? p.replicas.find((r) => alive.has(r))
    if (leader === undefined) return null
    const isr = liveIsr.includes(leader) ? liveIsr : [leader]
    return {
      leader,
      isr,
      leaderEpoch: cur.leaderEpoch + 1,
      controllerEpoch: this.epoch,
      leaderRecoveryState: liveIsr.includes(leader) ? cur.leaderRecoveryState : 1,
    }
  }

  /** Kafka's checkAndTriggerAutoLeaderRebalance. */
  private async autoRebalance(): Promise<void> {
    if (!this.active) return
    const alive = await this.alive()
    const byPreferred = new Map<number, PartitionInfo[]>()
    for (const t of this.cache.topics.values()) {
      for (const p of t.partitions.values()) {
        const pref = p.replicas[0]
        if (pref === undefined || !p.state) continue
        const list = byPreferred.get(pref) ?? []
        list.push(p)
        byPreferred.set(pref, list)
      }
    }
    for (const [broker, parts] of byPreferred) {
      if (!alive.has(broker)) continue
      const imbalanced = parts.filter((p) => p.state!.leader !== broker)
      const ratio = (imbalanced.length * 100) / parts.length
      if (ratio <= this.cfg.leaderImbalancePerBrokerPercentage) continue
      this.log.info(
        `${this.prefix} Leader imbalance ratio for broker ${broker} is ${ratio.toFixed(1)}%; rebalancing`,
      )
      for (const p of imbalanced) await this.updateState(p, (cur) => this.preferredElection(p, cur, alive))
    }
  }
  // --- partition reassignment (KIP-455) ---

  /**
   * AlterPartitionReassignments (API 45) on the controller: a replica list starts (or redirects) a reassignment,
   * null cancels one. Each partition is answered on its own; a refused one is left exactly as it was.
   */
  alterPartitionReassignments(
    requests: readonly { topic: string; partition: number; replicas: readonly number[] | null }[],
  ): Promise<ReassignmentResult[]> {
    return this.submit('alter partition reassignments', async () => {
      const { live, eligible } = await this.liveBrokers()
      const deleting = new Set(await this.zk.getTopicsMarkedForDeletion())
      const results: ReassignmentResult[] = []
      let zkChanged = false
      for (const r of requests) {
        const answer = (errorCode: number, errorMessage: string | null = null): void => {
          results.push({ topic: r.topic, partition: r.partition, errorCode, errorMessage })
        }
        const p = this.cache.partition(r.topic, r.partition)
        if (!p || deleting.has(r.topic)) {
          answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unable to find partition ${r.topic}-${r.partition}.`)
          continue
        }
        let target: readonly number[]
        if (r.replicas === null) {
          if (!isBeingReassigned(p)) {
            answer(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS)
            continue
          }
          target = originReplicas(p)
        } else {
          const invalid = invalidReplicas(p, r.replicas, live)
          if (invalid) {
            answer(ErrorCode.INVALID_REPLICA_ASSIGNMENT, invalid)
            continue
          }
          target = r.replicas
        }
        // The latest request wins over one made through the znode.
        if (this.zkReassignments.delete(tpKey(r.topic, r.partition))) zkChanged = true
        const failure = await this.startReassignment(p, target, eligible)
        if (failure) answer(ErrorCode.REASSIGNMENT_IN_PROGRESS, failure)
        else answer(ErrorCode.NONE)
      }
      if (zkChanged) await this.writeZkReassignments()
      return results
    })
  }

  /** ListPartitionReassignments (API 46) on the controller. `partitions` null = every ongoing reassignment. */
  listPartitionReassignments(
    partitions: readonly { topic: string; partition: number }[] | null,
  ): Promise<OngoingReassignment[]> {
    return this.submit('list partition reassignments', async () => {
      const all = partitions
        ? partitions.map((r) => this.cache.partition(r.topic, r.partition))
        : [...this.cache.topics.values()].flatMap((t) => [...t.partitions.values()])
      return all
        .filter((p): p is PartitionInfo => p !== undefined && isBeingReassigned(p))
        .map((p) => ({
          topic: p.topic,
          partition: p.partition,
          replicas: p.replicas,
          addingReplicas: p.addingReplicas,
          removingReplicas: p.removingReplicas,
        }))
    })
  }

  /** Reads /admin/reassign_partitions (on creation, on change and when this broker becomes the controller). */
  private async processReassignZnode(gen: number, rewatch: () => void): Promise<void> {
    const r = await getDataWatched(this.zk.store, Paths.reassignPartitions, rewatch)
    if (gen !== this.generation || !this.active) return
    this.zkReassignments.clear()
    if (!r) return
    let entries: ReassignmentEntry[]
    try {
      entries = decodeReassignment(r.data)
    } catch (e) {
      this.log.warn({ err: e }, `${this.prefix} Removing malformed ${Paths.reassignPartitions}`)
      await this.writeZkReassignments()
      return
    }
    for (const e of entries) this.zkReassignments.set(tpKey(e.topic, e.partition), e)
    const { live, eligible } = await this.liveBrokers()
    const deleting = new Set(await this.zk.getTopicsMarkedForDeletion())
    const failed: string[] = []
    for (const e of entries) {
      const key = tpKey(e.topic, e.partition)
      if (!this.zkReassignments.has(key)) continue // completed at once by an earlier entry's pass
      const p = this.cache.partition(e.topic, e.partition)
      const error =
        !p || deleting.has(e.topic)
          ? 'unknown partition'
          : (invalidReplicas(p, e.replicas, live) ?? (await this.startReassignment(p, e.replicas, eligible)))
      if (error) {
        failed.push(`${key}: ${error}`)
        this.zkReassignments.delete(key)
      }
    }
    if (failed.length > 0) {
      this.log.warn(`${this.prefix} Failed reassignment through zk: ${failed.join('; ')}`)
      await this.writeZkReassignments()
    }
  }

  private async writeZkReassignments(): Promise<void> {
    try {
      await this.zk.setPartitionReassignment([...this.zkReassignments.values()], this.epochZkVersion)
    } catch (e) {
      if (!isStoreError(e, 'BAD_VERSION')) throw e
      this.log.warn(`${this.prefix} Controller epoch moved on; resigning`)
      this.resign()
    }
  }

  /**
   * Phase one of Kafka's onPartitionReassignment: RS = TRS + ORS with AR and RR written to the topic znode, which
   * makes the new replicas start following. Completes at once when every target replica is already in the ISR.
   * Returns why it could not start, or null.
   */
  private async startReassignment(
    p: PartitionInfo,
    target: readonly number[],
    alive: ReadonlySet<number>,
  ): Promise<string | null> {
    const next = reassignTo(p, target)
    if (!sameAssignment(p, next)) {
      this.log.info(
        `${this.prefix} Reassigning ${p.topic}-${p.partition} from [${originReplicas(p).join(',')}] to ` +
          `[${target.join(',')}]: replicas [${next.replicas.join(',')}], adding [${next.addingReplicas.join(',')}], ` +
          `removing [${next.removingReplicas.join(',')}]`,
      )
      const failure = await this.moveTo(p, next, alive)
      if (failure) return failure
    }
    const now = this.cache.partition(p.topic, p.partition)
    if (now && isBeingReassigned(now)) await this.maybeCompleteReassignment(now, alive)
    else await this.dropZkReassignment(p.topic, p.partition) // nothing to wait for (a reorder, or already there)
    return null
  }

  /**
   * Phase two, once every target replica is in the ISR: leadership moves into TRS if it is outside, the ISR and the
   * replica set shrink to TRS (the removed replicas stop and delete their logs), the znode entry goes.
   */
  private async maybeCompleteReassignment(p: PartitionInfo, alive: ReadonlySet<number>): Promise<void> {
    if (!isBeingReassigned(p)) return
    const target = targetReplicas(p)
    const cur = await this.zk.getPartitionState(p.topic, p.partition)
    if (!cur || !target.every((r) => cur.state.isr.includes(r))) return
    this.log.info(
      `${this.prefix} Target replicas [${target.join(',')}] have all caught up with the leader for reassigning ` +
        `partition ${p.topic}-${p.partition}`,
    )
    const failure = await this.moveTo(
      p,
      { replicas: target, addingReplicas: [], removingReplicas: [] },
      alive,
    )
    if (failure) {
      this.log.warn(
        `${this.prefix} Cannot complete the reassignment of ${p.topic}-${p.partition}: ${failure}`,
      )
      return
    }
    this.log.info(
      `${this.prefix} Completed reassignment of ${p.topic}-${p.partition} to [${target.join(',')}]`,
    )
    await this.dropZkReassignment(p.topic, p.partition)
  }

  private async dropZkReassignment(topic: string, partition: number): Promise<void> {
    if (this.zkReassignments.delete(tpKey(topic, partition))) await this.writeZkReassignments()
  }

  /**
   * Writes a new replica assignment of one partition: first its state when the leader or ISR members fall outside
   * the new replica set (leader: the first target replica that is alive and in the ISR), then the topic znode.
   */
  private async moveTo(
    p: PartitionInfo,
    next: ReplicaAssignment,
    alive: ReadonlySet<number>,
  ): Promise<string | null> {
    const target = targetReplicas(next)
    let failure: string | null = null
    if (p.state) {
      await this.updateState(p, (cur) => {
        failure = null
        const isr = cur.isr.filter((r) => next.replicas.includes(r))
        if (cur.leader !== NO_LEADER && !next.replicas.includes(cur.leader)) {
          const leader = target.find((r) => isr.includes(r) && alive.has(r))
          if (leader === undefined) {
            failure = `none of the replicas [${target.join(',')}] is alive and in the ISR [${cur.isr.join(',')}]`
            return null
          }
          this.log.info(
            `${this.prefix} Moving leadership of ${p.topic}-${p.partition} from ${cur.leader} to ${leader} ` +
              `(reassignment), ISR [${isr.join(',')}], leader epoch ${cur.leaderEpoch + 1}`,
          )
          return { ...cur, leader, isr, leaderEpoch: cur.leaderEpoch + 1, controllerEpoch: this.epoch }
        }
        if (isr.length === cur.isr.length || isr.length === 0) return null
        return { ...cur, isr, leaderEpoch: cur.leaderEpoch + 1, controllerEpoch: this.epoch }
      })
      if (failure) return failure
    }
    if (!this.active) return `broker ${this.cfg.brokerId} is no longer the controller`
    await this.writeAssignment(p.topic, p.partition, next)
    return null
  }

  /** Conditional write of one partition's replicas in its topic znode, fenced by the controller epoch. */
  private async writeAssignment(topic: string, partition: number, a: ReplicaAssignment): Promise<void> {
    const put = (m: ReadonlyMap<number, readonly number[]>, v: readonly number[]) => {
      const n = new Map(m)
      if (v.length > 0) n.set(partition, v)
      else n.delete(partition)
      return n
    }
    for (let attempt = 0; attempt < 5; attempt++) {
      const cur = await this.zk.getTopicAssignment(topic)
      if (!cur) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${topic} is gone`)
      const assignment: TopicAssignment = {
        ...cur.assignment,
        partitions: put(cur.assignment.partitions, a.replicas),
        addingReplicas: put(cur.assignment.addingReplicas, a.addingReplicas),
        removingReplicas: put(cur.assignment.removingReplicas, a.removingReplicas),
      }
      const v = await this.zk.setTopicAssignmentAsController(
        topic,
        assignment,
        cur.zkVersion,
        this.epochZkVersion,
      )
      if (v !== null) {
        this.cache.applyOwnAssignment(topic, assignment, v)
        return
      }
      const epoch = await this.zk.getControllerEpoch()
      if (!epoch || epoch.zkVersion !== this.epochZkVersion) {
        this.log.warn(`${this.prefix} Controller epoch moved on; resigning`)
        this.resign()
        throw new KafkaError(ErrorCode.NOT_CONTROLLER, `Broker ${this.cfg.brokerId} is not the controller`)
      }
    }
    throw new Error(`could not update the assignment of ${topic} after 5 attempts`)
  }
}
