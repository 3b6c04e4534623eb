/**
 * Every broker's view of the cluster: live brokers, the controller, topics with their ids, assignments,
 * partition states and config overrides. Kept current by ZooKeeper watches on the znodes Kafka uses, so a
 * topic created, changed or deleted by anyone — this broker, another broker, or a tool writing ZooKeeper
 * directly — reaches every broker within moments.
 *
 * Design note (replaces Kafka's controller-to-broker UpdateMetadata/LeaderAndIsr requests): each broker watches
 * the partition state znodes itself and reacts to what they say. The znodes are the source of truth either way
 * — Kafka's controller only relays them — and watching them directly keeps one code path for standalone and
 * cluster mode and survives a controller fail-over without any resend logic. Watches are level-triggered here:
 * every notification re-reads the znode, so a missed intermediate value cannot leave a broker behind.
 */
import { EventEmitter } from 'node:events'
import type { Logger } from '../../util/logger.js'
import { systemScheduler } from '../../util/scheduler.js'
import type { KafkaZkClient } from './kafka-zk-client.js'
import { getDataWatched, isStoreError, type MetadataStore, type WatchEvent } from './store.js'
import {
  decodeEntityConfig,
  Paths,
  type BrokerRegistration,
  type LeaderAndIsr,
  type TopicAssignment,
} from './znodes.js'

export interface PartitionInfo {
  readonly topic: string
  readonly partition: number
  readonly replicas: readonly number[]
  readonly addingReplicas: readonly number[]
  readonly removingReplicas: readonly number[]
  /** null until the controller has written the partition's state. */
  readonly state: LeaderAndIsr | null
  /** zkVersion of the state znode (the partition epoch), -1 when there is none. */
  readonly zkVersion: number
}

export interface TopicInfo {
  readonly name: string
  readonly id: string
  readonly partitions: ReadonlyMap<number, PartitionInfo>
  readonly config: ReadonlyMap<string, string>
}

interface MutableTopic {
  name: string
  id: string
  partitions: Map<number, PartitionInfo>
  config: Map<string, string>
  /** zkVersion of the /brokers/topics/<t> znode last applied (reads older than it are dropped). */
  assignmentVersion: number
}

export interface MetadataCacheEvents {
  partition: [info: PartitionInfo]
  topicRemoved: [name: string, id: string, partitions: readonly number[]]
  topicAdded: [topic: TopicInfo]
  partitionsAdded: [topic: TopicInfo, partitions: readonly number[]]
  topicConfig: [topic: TopicInfo]
  brokers: [alive: ReadonlyMap<number, BrokerRegistration>]
  controller: [id: number | null]
  brokerConfig: [entity: string, config: ReadonlyMap<string, string>]
  /** /config/users/<sanitized user> changed (an empty config when the znode was removed). */
  userConfig: [sanitizedUser: string, config: ReadonlyMap<string, string>]
}

export class MetadataCache extends EventEmitter<MetadataCacheEvents> {
  clusterId = ''
  controllerId: number | null = null
  private brokerMap = new Map<number, BrokerRegistration>()
  private topicMap = new Map<string, MutableTopic>()
  private ids = new Map<string, string>()
  private generation = 0
  private stopped = false
  readonly brokerConfigs = new Map<string, Map<string, string>>()
  /** /config/users/<sanitized user name>: SCRAM credentials and user quotas, by sanitized user name. */
  readonly userConfigs = new Map<string, Map<string, string>>()
  /** Live replicas on failed log directories (applyOfflineReplicas): `topic\u0000partition` → broker → its epoch. */
  private readonly failedDirReplicas = new Map<string, Map<number, number>>()
  private umControllerEpoch = -1

  constructor(
    private readonly zk: KafkaZkClient,
    private readonly log: Logger,
    private readonly brokerId: number,
  ) {
    super()
  }

  private get store(): MetadataStore {
    return this.zk.store
  }

  get brokers(): ReadonlyMap<number, BrokerRegistration> {
    return this.brokerMap
  }

  get topics(): ReadonlyMap<string, TopicInfo> {
    return this.topicMap
  }

  topic(name: string): TopicInfo | undefined {
    return this.topicMap.get(name)
  }

  topicById(id: string): TopicInfo | undefined {
    const n = this.ids.get(id)
    return n === undefined ? undefined : this.topicMap.get(n)
  }

  partition(topic: string, partition: number): PartitionInfo | undefined {
    return this.topicMap.get(topic)?.partitions.get(partition)
  }

  isAlive(brokerId: number): boolean {
    return this.brokerMap.has(brokerId)
  }

  /**
   * The controller epoch of the last UpdateMetadata applied (Kafka's MetadataCache controller epoch); -1 before any.
   */
  get updateMetadataControllerEpoch(): number {
    return this.umControllerEpoch
  }

  /**
   * Applies the offline replicas of the partition states in an UpdateMetadata from the controller (Kafka's brokers
   * keep each partition state the controller sends; Samsa's take leaders, ISRs and replicas from ZooKeeper and keep
   * only which live replicas are offline — on a failed log directory). A partition state replaces what was known of
   * that partition. Returns false, changing nothing, for a controller epoch older than one already applied
   * (STALE_CONTROLLER_EPOCH).
   */
  applyOfflineReplicas(
    controllerEpoch: number,
    partitions: Iterable<{ topic: string; partition: number; offlineReplicas: readonly number[] }>,
  ): boolean {
    if (controllerEpoch < this.umControllerEpoch) return false
    this.umControllerEpoch = controllerEpoch
    for (const p of partitions) {
      const key = `${p.topic}\u0000${p.partition}`
      const on = new Map<number, number>()
      // replicas of brokers that are not registered are offline anyway; a live one's registration is remembered,
      // so that its directories count again once it registers anew (restarted)
      for (const r of p.offlineReplicas) {
        const epoch = this.brokerMap.get(r)?.epoch
        if (epoch !== undefined) on.set(r, epoch)
      }
      if (on.size > 0) this.failedDirReplicas.set(key, on)
      else this.failedDirReplicas.delete(key)
    }
    return true
  }

  /** Whether the controller said that `brokerId`'s replica of the partition is offline while the broker runs. */
  isOnFailedLogDir(topic: string, partition: number, brokerId: number): boolean {
    const epoch = this.failedDirReplicas.get(`${topic}\u0000${partition}`)?.get(brokerId)
    return epoch !== undefined && this.brokerMap.get(brokerId)?.epoch === epoch
  }

  /** Loads everything and arms the watches. Called again with a new generation after a session is replaced. */
  async start(clusterId: string): Promise<void> {
    this.clusterId = clusterId
    const gen = ++this.generation
    this.store.on('newSession', () => {
      if (gen === this.generation && !this.stopped) {
        this.log.info('[MetadataCache] New ZooKeeper session: reloading cluster metadata and watches')
        void this.start(clusterId).catch((e: unknown) => this.log.error({ err: e }, 'metadata reload failed'))
      }
    })
    await Promise.all([
      this.watchBrokers(gen),
      this.watchController(gen),
      this.watchTopics(gen),
      this.watchBrokerConfig(gen, '<default>'),
      this.watchBrokerConfig(gen, String(this.brokerId)),
      this.watchUsers(gen),
    ])
  }

  stop(): void {
    this.stopped = true
    this.generation++
  }

  private live(gen: number): boolean {
    return gen === this.generation && !this.stopped
  }

  /** Re-runs `load` whenever the watch it arms fires; errors are logged and retried. */
  private loop(
    gen: number,
    what: string,
    load: (watch: (e: WatchEvent) => void) => Promise<void>,
  ): Promise<void> {
    let running = false
    let again = false
    const run = async (): Promise<void> => {
      if (!this.live(gen)) return
      if (running) {
        again = true
        return
      }
      running = true
      try {
        await load(() => void run())
      } catch (e) {
        if (!this.live(gen)) return
        this.log.warn({ err: e }, `[MetadataCache] Failed to read ${what}; retrying`)
        // Real time, as every retry against the metadata store (see DEVELOPERS.md, "Time and scheduling").
        systemScheduler.schedule('metadata-read-retry', () => void run(), 1000)
      } finally {
        running = false
        if (again) {
          again = false
          void run()
        }
      }
    }
    return run()
  }

  private watchBrokers(gen: number): Promise<void> {
    return this.loop(gen, Paths.brokerIds, async (watch) => {
      const ids = await this.zk.getBrokerIds(watch)
      const next = new Map<number, BrokerRegistration>()
      for (const id of ids) {
        const b = await this.zk.getBroker(id)
        if (b) next.set(id, b)
      }
      if (!this.live(gen)) return
      const changed =
        next.size !== this.brokerMap.size ||
        [...next].some(([id, b]) => this.brokerMap.get(id)?.epoch !== b.epoch)
      this.brokerMap = next
      if (changed) this.emit('brokers', next)
    })
  }

  private watchController(gen: number): Promise<void> {
    return this.loop(gen, Paths.controller, async (watch) => {
      const id = await this.zk.getControllerId(watch)
      if (!this.live(gen)) return
      if (id !== this.controllerId) {
        this.controllerId = id
        this.emit('controller', id)
      }
    })
  }

  private watchBrokerConfig(gen: number, entity: string): Promise<void> {
    return this.loop(gen, Paths.configEntity('brokers', entity), async (watch) => {
      const r = await getDataWatched(this.store, Paths.configEntity('brokers', entity), watch)
      if (!this.live(gen)) return
      const config = decodeEntityConfig(r?.data ?? null)
      this.brokerConfigs.set(entity, config)
      this.emit('brokerConfig', entity, config)
    })
  }

  /** The children of /config/users, each watched for its config (credentials added or removed take effect at once). */
  private watchUsers(gen: number): Promise<void> {
    const watched = new Set<string>()
    const path = Paths.configEntityType('users')
    return this.loop(gen, path, async (watch) => {
      const names = (await this.store.getChildren(path, watch)) ?? []
      if (!this.live(gen)) return
      for (const n of [...watched]) {
        if (names.includes(n)) continue
        watched.delete(n)
        if (this.userConfigs.delete(n)) this.emit('userConfig', n, new Map())
      }
      const fresh = names.filter((n) => !watched.has(n))
      for (const n of fresh) watched.add(n)
      await Promise.all(fresh.map((n) => this.watchUserConfig(gen, n, watched)))
    })
  }

  private watchUserConfig(gen: number, name: string, watched: ReadonlySet<string>): Promise<void> {
    const path = Paths.configEntity('users', name)
    return this.loop(gen, path, async (watch) => {
      if (!watched.has(name)) return
      const r = await getDataWatched(this.store, path, watch)
      if (!this.live(gen) || !watched.has(name)) return
      const config = decodeEntityConfig(r?.data ?? null)
      const prev = this.userConfigs.get(name)
      if (prev && prev.size === config.size && [...config].every(([k, v]) => prev.get(k) === v)) return
      if (r === null) this.userConfigs.delete(name)
      else this.userConfigs.set(name, config)
      this.emit('userConfig', name, config)
    })
  }

  private watchTopics(gen: number): Promise<void> {
    const known = new Set<string>()
    return this.loop(gen, Paths.brokerTopics, async (watch) => {
      const names = await this.zk.getTopics(watch)
      const fresh = names.filter((n) => !known.has(n))
      for (const n of fresh) known.add(n)
      for (const n of [...known]) if (!names.includes(n)) known.delete(n)
      await Promise.all(
        fresh.map((n) =>
          this.watchTopic(gen, n).catch((e: unknown) =>
            this.log.warn({ err: e }, `failed to load topic ${n}`),
          ),
        ),
      )
      for (const n of [...this.topicMap.keys()]) if (!names.includes(n)) this.removeTopic(n)
    })
  }

  private removeTopic(name: string): void {
    const t = this.topicMap.get(name)
    if (!t) return
    this.topicMap.delete(name)
    if (this.ids.get(t.id) === name) this.ids.delete(t.id)
    for (const p of t.partitions.keys()) this.failedDirReplicas.delete(`${name}\u0000${p}`)
    this.emit('topicRemoved', name, t.id, [...t.partitions.keys()])
  }

  private async watchTopic(gen: number, name: string): Promise<void> {
    const watchedPartitions = new Set<number>()
    let firstLoad = true
    let done = false
    await this.loop(gen, Paths.topic(name), async (watch) => {
      if (done) return
      const r = await this.zk.getTopicAssignment(name, watch)
      if (!this.live(gen)) return
      if (!r) {
        done = true
        this.removeTopic(name)
        return
      }
      const a = r.assignment
      let t = this.topicMap.get(name)
      const id = a.topicId ?? (t?.id || '')
      let idAssigned = false
      if (t && t.id === '' && a.topicId) {
        // A topic written without an id (by an old tool) that the controller has just given one.
        t.id = a.topicId
        this.ids.set(a.topicId, name)
        idAssigned = true
      }
      if (!t || (a.topicId && t.id !== a.topicId)) {
        if (t) this.removeTopic(name)
        t = { name, id, partitions: new Map(), config: new Map(), assignmentVersion: -1 }
        this.topicMap.set(name, t)
        if (id) this.ids.set(id, name)
      }
      const topic = t
      // A read older than what the cache holds (this broker's own write, applied at once, overtook it) is dropped.
      if (r.zkVersion < topic.assignmentVersion) return
      const changed = this.applyAssignment(topic, a, r.zkVersion)
      const newPartitions = [...a.partitions.keys()].filter((p) => !watchedPartitions.has(p))
      for (const p of newPartitions) watchedPartitions.add(p)
      if (firstLoad) {
        firstLoad = false
        await this.watchTopicConfig(gen, name)
      }
      await Promise.all(newPartitions.map((p) => this.watchPartitionState(gen, name, p)))
      if (newPartitions.length > 0) {
        if (newPartitions.length === a.partitions.size) this.emit('topicAdded', topic)
        else this.emit('partitionsAdded', topic, newPartitions)
      }
      // Replica changes of existing partitions (reassignment) are announced as partition events, and so is a
      // topic id given to every partition.
      for (const [p, info] of topic.partitions)
        if (!newPartitions.includes(p) && (idAssigned || changed.includes(p))) this.emit('partition', info)
    })
  }

  /** Sets the replicas of a topic's partitions from its assignment; returns the partitions whose replicas changed. */
  private applyAssignment(topic: MutableTopic, a: TopicAssignment, zkVersion: number): number[] {
    topic.assignmentVersion = zkVersion
    const changed: number[] = []
    const same = (x: readonly number[] | undefined, y: readonly number[]): boolean =>
      x !== undefined && x.length === y.length && x.every((v, i) => v === y[i])
    for (const [p, replicas] of a.partitions) {
      const prev = topic.partitions.get(p)
      const adding = a.addingReplicas.get(p) ?? []
      const removing = a.removingReplicas.get(p) ?? []
      if (
        prev &&
        same(prev.replicas, replicas) &&
        same(prev.addingReplicas, adding) &&
        same(prev.removingReplicas, removing)
      )
        continue
      topic.partitions.set(p, {
        topic: topic.name,
        partition: p,
        replicas,
        addingReplicas: adding,
        removingReplicas: removing,
        state: prev?.state ?? null,
        zkVersion: prev?.zkVersion ?? -1,
      })
      changed.push(p)
    }
    return changed
  }

  /**
   * Applies an assignment this broker itself (as the controller) just wrote as `zkVersion` of the topic znode, so
   * its next decisions do not wait for the watch. Ignored when the cache already has that version or a newer one.
   */
  applyOwnAssignment(name: string, a: TopicAssignment, zkVersion: number): void {
    const t = this.topicMap.get(name)
    if (!t || zkVersion <= t.assignmentVersion) return
    if (a.partitions.size !== t.partitions.size || [...a.partitions.keys()].some((p) => !t.partitions.has(p)))
      return // new partitions: left to the watch, which also starts watching their states
    for (const p of this.applyAssignment(t, a, zkVersion)) this.emit('partition', t.partitions.get(p)!)
  }

  private watchTopicConfig(gen: number, name: string): Promise<void> {
    return this.loop(gen, Paths.configEntity('topics', name), async (watch) => {
      const path = Paths.configEntity('topics', name)
      const r = await getDataWatched(this.store, path, watch)
      const t = this.topicMap.get(name)
      if (!this.live(gen) || !t) return
      const config = decodeEntityConfig(r?.data ?? null)
      const changed = config.size !== t.config.size || [...config].some(([k, v]) => t.config.get(k) !== v)
      t.config = config
      if (changed) this.emit('topicConfig', t)
    })
  }

  private watchPartitionState(gen: number, topic: string, partition: number): Promise<void> {
    let gone = false
    return this.loop(gen, Paths.partitionState(topic, partition), async (watch) => {
      if (gone) return
      let r
      try {
        r = await this.zk.getPartitionState(topic, partition, watch)
      } catch (e) {
        if (isStoreError(e, 'NO_NODE')) return
        throw e
      }
      const t = this.topicMap.get(topic)
      if (!this.live(gen)) return
      if (!t) {
        gone = true
        return
      }
      const prev = t.partitions.get(partition)
      if (!prev) return
      if (!r && prev.state === null) return
      // An answer older than what the cache holds — this broker's own ISR write (applyOwnWrite) got there while
      // the read was on its way — is dropped: the view only moves forward. The state znode's version orders every
      // write to it, and each writer only raises the leader epoch (and the controller epoch is fenced), so a
      // monotonic zkVersion keeps (controller epoch, leader epoch, partition epoch) monotonic too.
      if (r && prev.state !== null && r.zkVersion < prev.zkVersion) return
      const info: PartitionInfo = { ...prev, state: r?.state ?? null, zkVersion: r?.zkVersion ?? -1 }
      t.partitions.set(partition, info)
      if (prev.zkVersion !== info.zkVersion || (prev.state === null) !== (info.state === null)) {
        this.emit('partition', info)
      }
    })
  }

  /**
   * Applies a state this broker itself just wrote (ISR change as leader), so it does not wait for the watch.
   * Ignored if the cache already has a newer version.
   */
  applyOwnWrite(topic: string, partition: number, state: LeaderAndIsr, zkVersion: number): void {
    const t = this.topicMap.get(topic)
    const prev = t?.partitions.get(partition)
    if (!t || !prev || prev.zkVersion >= zkVersion) return
    const info: PartitionInfo = { ...prev, state, zkVersion }
    t.partitions.set(partition, info)
    this.emit('partition', info)
  }
}
