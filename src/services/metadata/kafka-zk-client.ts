/**
 * Kafka's operations on the metadata store (KafkaZkClient / AdminZkClient), in typed form: broker registration,
 * cluster id, topics and their partition states, configs with change notifications, topic deletion requests,
 * producer id blocks and controller election. Handlers and services use these instead of raw paths.
 */
import { randomBytes } from 'node:crypto'
import type { Logger } from '../../util/logger.js'
import { systemClock, systemScheduler, type Clock } from '../../util/scheduler.js'
import {
  decodeBrokerRegistration,
  decodeClusterId,
  decodeController,
  decodeControllerEpoch,
  decodeEntityConfig,
  decodePartitionState,
  decodeProducerIdBlock,
  decodeLogDirEvent,
  decodeReassignment,
  decodeTopicAssignment,
  encodeBrokerRegistration,
  encodeClusterId,
  encodeConfigChange,
  encodeController,
  encodeControllerEpoch,
  encodeEntityConfig,
  encodePartitionState,
  encodeProducerIdBlock,
  encodeReassignment,
  encodeTopicAssignment,
  Paths,
  PERSISTENT_PATHS,
  PRODUCER_ID_BLOCK_SIZE,
  type BrokerRegistration,
  type ConfigEntityType,
  type LeaderAndIsr,
  type ProducerIdBlock,
  type ReassignmentEntry,
  type TopicAssignment,
} from './znodes.js'
import {
  deleteRecursive,
  ensurePath,
  getDataWatched,
  isStoreError,
  StoreError,
  type MetadataStore,
  type NodeStat,
  type StoreOp,
  type Watcher,
} from './store.js'

/** A new random Kafka Uuid in its base64url form, never the zero or the reserved "metadata topic" id. */
export function randomUuid(): string {
  for (;;) {
    const b = randomBytes(16)
    const s = b.toString('base64url')
    if (!s.startsWith('AAAAAAAAAAAAAAAAAAAAA') && !s.startsWith('-')) return s
  }
}

export interface PartitionStateWithVersion {
  readonly state: LeaderAndIsr
  readonly zkVersion: number
}

export class KafkaZkClient {
  constructor(
    readonly store: MetadataStore,
    private readonly log: Logger,
    /** The broker's clock, for the timestamps it writes (the /controller znode's). */
    private readonly clock: Clock = systemClock,
  ) {}

  /** Data of `path`; with a watcher, one is left even when the node does not exist yet. */
  private readData(path: string, watcher?: Watcher): Promise<{ data: Buffer; stat: NodeStat } | null> {
    return watcher ? getDataWatched(this.store, path, watcher) : this.store.getData(path)
  }

  /**
   * Kafka's persistent top-level paths, the missing ones created in one multi (one write of the local metadata
   * file, two fsyncs, instead of one per znode at a first start).
   */
  async createTopLevelPaths(): Promise<void> {
    const missing: string[] = []
    for (const path of PERSISTENT_PATHS) {
      let p = ''
      for (const part of path.split('/').filter(Boolean)) {
        p += '/' + part
        if (!missing.includes(p) && (await this.store.exists(p)) === null) missing.push(p)
      }
    }
    if (missing.length === 0) return
    try {
      await this.store.multi(missing.map((path) => ({ op: 'create', path, data: null, mode: 'persistent' })))
    } catch {
      // one already exists (the multi failed as a whole), or the store failed: one by one, as Kafka, which
      // tolerates the existing ones and reports a real failure
      for (const p of PERSISTENT_PATHS) await ensurePath(this.store, p)
    }
  }

  // --- cluster id ---

  async getOrCreateClusterId(proposed: string = randomUuid()): Promise<string> {
    const existing = await this.store.getData(Paths.clusterId)
    if (existing) return decodeClusterId(existing.data)
    await ensurePath(this.store, '/cluster')
    try {
      await this.store.create(Paths.clusterId, encodeClusterId(proposed), 'persistent')
      return proposed
    } catch (e) {
      if (!isStoreError(e, 'NODE_EXISTS')) throw e
      const now = await this.store.getData(Paths.clusterId)
      return decodeClusterId(now!.data)
    }
  }

  // --- brokers ---

  /** Kafka's broker.id.generation: the new zkVersion of /brokers/seqid plus reserved.broker.max.id. */
  async generateBrokerId(reservedMaxId: number): Promise<number> {
    await ensurePath(this.store, Paths.brokerSeqId)
    const stat = await this.store.setData(Paths.brokerSeqId, Buffer.alloc(0), -1)
    return stat.version + reservedMaxId
  }

  /**
   * Creates the ephemeral registration znode; returns the broker epoch (its czxid). A live registration of the
   * same id owned by another session is refused, as Kafka does ("NodeExists"); one left by our own previous
   * session (before its expiry was noticed) is replaced.
   */
  async registerBroker(b: Omit<BrokerRegistration, 'epoch'>): Promise<number> {
    const path = Paths.brokerId(b.id)
    const data = encodeBrokerRegistration(b)
    for (let attempt = 0; ; attempt++) {
      try {
        await this.store.create(path, data, 'ephemeral')
        const stat = await this.store.exists(path)
        return stat!.czxid
      } catch (e) {
        if (!isStoreError(e, 'NODE_EXISTS')) throw e
        const stat = await this.store.exists(path)
        if (stat && stat.ephemeralOwner === this.store.sessionId) return stat.czxid
        if (attempt >= 1 || !stat) {
          throw new Error(
            `Error while creating ephemeral at ${path}, node already exists and owner '0x${stat?.ephemeralOwner}' ` +
              `does not match current session '0x${this.store.sessionId}': another broker is registered with ` +
              `broker.id ${b.id}`,
            { cause: e },
          )
        }
        // Give a registration of a just-expired session of ours a moment to disappear, then check again (real
        // time: ZooKeeper expires sessions on its own clock).
        await systemScheduler.sleep(200)
      }
    }
  }

  /**
   * Removes our registration — only if our session owns it. A registration of the same id created by another
   * session (a new process of this broker, after ours expired) is never touched.
   */
  async deregisterBroker(id: number): Promise<boolean> {
    return this.store.deleteEphemeral(Paths.brokerId(id))
  }

  async getBrokerIds(watcher?: Watcher): Promise<number[]> {
    const c = (await this.store.getChildren(Paths.brokerIds, watcher)) ?? []
    return c
      .map(Number)
      .filter((n) => Number.isInteger(n))
      .sort((a, b) => a - b)
  }

  async getBroker(id: number, watcher?: Watcher): Promise<BrokerRegistration | null> {
    const r = await this.store.getData(Paths.brokerId(id), watcher)
    return r ? decodeBrokerRegistration(id, r.data, r.stat.czxid) : null
  }

  // --- controller ---

  async getControllerId(watcher?: Watcher): Promise<number | null> {
    const r = await this.readData(Paths.controller, watcher)
    if (!r) return null
    try {
      return decodeController(r.data)
    } catch {
      return null
    }
  }

  async getControllerEpoch(): Promise<{ epoch: number; zkVersion: number } | null> {
    const r = await this.store.getData(Paths.controllerEpoch)
    return r ? { epoch: decodeControllerEpoch(r.data), zkVersion: r.stat.version } : null
  }

  /**
   * Kafka's registerControllerAndIncrementControllerEpoch: one multi creating the ephemeral /controller and
   * bumping /controller_epoch conditionally. Returns the new epoch and epoch zkVersion, or null if another
   * broker won.
   */
  async tryElectController(brokerId: number): Promise<{ epoch: number; epochZkVersion: number } | null> {
    let current = await this.getControllerEpoch()
    if (!current) {
      try {
        await this.store.create(Paths.controllerEpoch, encodeControllerEpoch(0), 'persistent')
      } catch (e) {
        if (!isStoreError(e, 'NODE_EXISTS')) throw e
      }
      current = await this.getControllerEpoch()
      if (!current) return null
    }
    const epoch = current.epoch + 1
    try {
      await this.store.multi([
        {
          op: 'create',
          path: Paths.controller,
          data: encodeController(brokerId, this.clock.now()),
          mode: 'ephemeral',
        },
        {
          op: 'set',
          path: Paths.controllerEpoch,
          data: encodeControllerEpoch(epoch),
          version: current.zkVersion,
        },
      ])
    } catch (e) {
      if (!isStoreError(e, 'NODE_EXISTS') && !isStoreError(e, 'BAD_VERSION')) throw e
      // Kafka's checkControllerAndEpoch: a multi retried after a lost connection finds its own first attempt done.
      const ours = await this.controllerOwnedBySession(brokerId)
      return ours?.epoch === epoch ? ours : null
    }
    return { epoch, epochZkVersion: current.zkVersion + 1 }
  }

  /**
   * The controller epoch when /controller names `brokerId` and was created by the current session (so this
   * broker holds it), else null.
   */
  async controllerOwnedBySession(
    brokerId: number,
  ): Promise<{ epoch: number; epochZkVersion: number } | null> {
    const [controller, epoch] = await Promise.all([
      this.store.getData(Paths.controller),
      this.getControllerEpoch(),
    ])
    if (!controller || !epoch || controller.stat.ephemeralOwner !== this.store.sessionId) return null
    try {
      if (decodeController(controller.data) !== brokerId) return null
    } catch {
      return null
    }
    return { epoch: epoch.epoch, epochZkVersion: epoch.zkVersion }
  }

  /**
   * Gives up /controller — only the znode our own session created. A /controller naming this broker id but owned
   * by another session (this broker's next process, or our next session after an expiry) is left alone.
   */
  async resignController(): Promise<boolean> {
    try {
      return await this.store.deleteEphemeral(Paths.controller)
    } catch (e) {
      if (e instanceof StoreError) return false
      throw e
    }
  }

  // --- topics ---

  async getTopics(watcher?: Watcher): Promise<string[]> {
    return (await this.store.getChildren(Paths.brokerTopics, watcher)) ?? []
  }

  async getTopicAssignment(
    topic: string,
    watcher?: Watcher,
  ): Promise<{ assignment: TopicAssignment; zkVersion: number } | null> {
    const r = await this.store.getData(Paths.topic(topic), watcher)
    return r ? { assignment: decodeTopicAssignment(topic, r.data), zkVersion: r.stat.version } : null
  }

  async topicExists(topic: string): Promise<boolean> {
    return (await this.store.exists(Paths.topic(topic))) !== null
  }

  /**
   * AdminZkClient.createTopicWithAssignment: the topic's config overrides first, then the assignment znode; the
   * controller notices the new topic and writes the partition states.
   */
  async createTopic(
    topic: string,
    assignment: TopicAssignment,
    config: ReadonlyMap<string, string>,
  ): Promise<void> {
    const configPath = Paths.configEntity('topics', topic)
    const configData = encodeEntityConfig(config)
    if (await this.store.exists(configPath)) await this.store.setData(configPath, configData)
    else await this.store.create(configPath, configData, 'persistent')
    try {
      await this.store.create(Paths.topic(topic), encodeTopicAssignment(assignment), 'persistent')
    } catch (e) {
      if (isStoreError(e, 'NODE_EXISTS')) throw new TopicExistsError(topic)
      throw e
    }
  }

  async setTopicAssignment(
    topic: string,
    assignment: TopicAssignment,
    expectedVersion: number,
  ): Promise<void> {
    await this.store.setData(Paths.topic(topic), encodeTopicAssignment(assignment), expectedVersion)
  }

  /**
   * The controller's write of a topic's assignment (a reassignment step): conditional on the topic znode's version
   * and fenced by the controller epoch's zkVersion. Returns the new version, or null when either version no longer
   * matches (or the topic went): the caller finds out which, as ZooKeeper names only the first operation of a multi.
   */
  async setTopicAssignmentAsController(
    topic: string,
    assignment: TopicAssignment,
    expectedVersion: number,
    controllerEpochZkVersion: number,
  ): Promise<number | null> {
    try {
      await this.store.multi([
        { op: 'check', path: Paths.controllerEpoch, version: controllerEpochZkVersion },
        {
          op: 'set',
          path: Paths.topic(topic),
          data: encodeTopicAssignment(assignment),
          version: expectedVersion,
        },
      ])
      return expectedVersion + 1
    } catch (e) {
      if (isStoreError(e, 'BAD_VERSION') || isStoreError(e, 'NO_NODE')) return null
      throw e
    }
  }

  // --- /admin/reassign_partitions ---

  /** The pending ZooKeeper reassignments (null when the znode does not exist); a watcher is left either way. */
  async getPartitionReassignment(
    watcher?: Watcher,
  ): Promise<{ entries: ReassignmentEntry[]; zkVersion: number } | null> {
    const r = await this.readData(Paths.reassignPartitions, watcher)
    return r ? { entries: decodeReassignment(r.data), zkVersion: r.stat.version } : null
  }

  /**
   * Rewrites (or, with no entries left, deletes) /admin/reassign_partitions, fenced by the controller epoch (Kafka's
   * setOrCreatePartitionReassignment / deletePartitionReassignment).
   */
  async setPartitionReassignment(
    entries: readonly ReassignmentEntry[],
    controllerEpochZkVersion: number,
  ): Promise<void> {
    const check: StoreOp = { op: 'check', path: Paths.controllerEpoch, version: controllerEpochZkVersion }
    const exists = await this.store.exists(Paths.reassignPartitions)
    if (entries.length === 0) {
      if (!exists) return
      try {
        await this.store.multi([check, { op: 'delete', path: Paths.reassignPartitions }])
      } catch (e) {
        if (!isStoreError(e, 'NO_NODE')) throw e
      }
      return
    }
    const data = encodeReassignment(entries)
    await this.store.multi([
      check,
      exists
        ? { op: 'set', path: Paths.reassignPartitions, data }
        : { op: 'create', path: Paths.reassignPartitions, data },
    ])
  }

  async getPartitions(topic: string): Promise<number[]> {
    const c = (await this.store.getChildren(Paths.topicPartitions(topic))) ?? []
    return c.map(Number).filter((n) => Number.isInteger(n))
  }

  async getPartitionState(
    topic: string,
    partition: number,
    watcher?: Watcher,
  ): Promise<PartitionStateWithVersion | null> {
    const r = await this.readData(Paths.partitionState(topic, partition), watcher)
    if (!r) return null
    return {
      state: decodePartitionState(r.data, Paths.partitionState(topic, partition)),
      zkVersion: r.stat.version,
    }
  }

  /** Creates partition state znodes (controller only), fenced by the controller epoch's zkVersion. */
  async createPartitionStates(
    topic: string,
    states: ReadonlyMap<number, LeaderAndIsr>,
    controllerEpochZkVersion: number,
  ): Promise<void> {
    await ensurePath(this.store, Paths.topicPartitions(topic))
    const ops: StoreOp[] = [{ op: 'check', path: Paths.controllerEpoch, version: controllerEpochZkVersion }]
    for (const [p, s] of states) {
      if (!(await this.store.exists(Paths.partition(topic, p)))) {
        ops.push({ op: 'create', path: Paths.partition(topic, p), data: null })
      }
      ops.push({ op: 'create', path: Paths.partitionState(topic, p), data: encodePartitionState(s) })
    }
    await this.store.multi(ops)
  }

  /**
   * Conditional update of a partition state (the zkVersion is the partition epoch). With a controller epoch
   * zkVersion the write is also fenced against a newer controller. Returns the new zkVersion, or null when the
   * expected version no longer matches (someone else changed it first).
   */
  async updatePartitionState(
    topic: string,
    partition: number,
    state: LeaderAndIsr,
    expectedZkVersion: number,
    controllerEpochZkVersion?: number,
  ): Promise<number | null> {
    const path = Paths.partitionState(topic, partition)
    try {
      if (controllerEpochZkVersion === undefined) {
        const stat = await this.store.setData(path, encodePartitionState(state), expectedZkVersion)
        return stat.version
      }
      await this.store.multi([
        { op: 'check', path: Paths.controllerEpoch, version: controllerEpochZkVersion },
        { op: 'set', path, data: encodePartitionState(state), version: expectedZkVersion },
      ])
      return expectedZkVersion + 1
    } catch (e) {
      if (isStoreError(e, 'BAD_VERSION') || isStoreError(e, 'NO_NODE')) return null
      throw e
    }
  }

  async deleteTopicZnodes(topic: string): Promise<void> {
    await deleteRecursive(this.store, Paths.topic(topic))
    await deleteRecursive(this.store, Paths.configEntity('topics', topic))
  }

  /** Kafka's propagateLogDirEvent: a sequential /log_dir_event_notification/log_dir_event_ znode for the controller. */
  async propagateLogDirEvent(brokerId: number): Promise<void> {
    await ensurePath(this.store, Paths.logDirEventNotification)
    await this.store.create(
      `${Paths.logDirEventNotification}/log_dir_event_`,
      Buffer.from(JSON.stringify({ version: 1, broker: brokerId, event: 1 })),
      'persistent_sequential',
    )
  }

  /**
   * The pending log directory failure notifications (children of /log_dir_event_notification, watched), each with
   * the broker it names; a znode that is not Kafka's JSON names none (null) and is deleted like the others.
   */
  async getLogDirEvents(watcher?: Watcher): Promise<{ name: string; broker: number | null }[]> {
    const names = (await this.store.getChildren(Paths.logDirEventNotification, watcher)) ?? []
    const out: { name: string; broker: number | null }[] = []
    for (const name of names.sort()) {
      const r = await this.store.getData(Paths.logDirEvent(name))
      if (!r) continue
      let broker: number | null = null
      try {
        broker = decodeLogDirEvent(r.data)
      } catch {
        // not a notification Kafka would write: dropped
      }
      out.push({ name, broker })
    }
    return out
  }

  async deleteLogDirEvent(name: string): Promise<void> {
    try {
      await this.store.delete(Paths.logDirEvent(name))
    } catch (e) {
      if (!isStoreError(e, 'NO_NODE')) throw e
    }
  }

  // --- deletion requests ---

  async markTopicForDeletion(topic: string): Promise<void> {
    try {
      await this.store.create(Paths.deleteTopic(topic), null, 'persistent')
    } catch (e) {
      if (!isStoreError(e, 'NODE_EXISTS')) throw e
    }
  }

  async getTopicsMarkedForDeletion(watcher?: Watcher): Promise<string[]> {
    return (await this.store.getChildren(Paths.deleteTopics, watcher)) ?? []
  }

  async unmarkTopicForDeletion(topic: string): Promise<void> {
    try {
      await this.store.delete(Paths.deleteTopic(topic))
    } catch (e) {
      if (!isStoreError(e, 'NO_NODE')) throw e
    }
  }

  // --- configs ---

  async getEntityConfig(
    type: ConfigEntityType,
    name: string,
    watcher?: Watcher,
  ): Promise<Map<string, string>> {
    const r = await this.store.getData(Paths.configEntity(type, name), watcher)
    return decodeEntityConfig(r?.data ?? null)
  }

  /** AdminZkClient.changeConfigs: writes the entity's config and a change notification for every broker. */
  async setEntityConfig(
    type: ConfigEntityType,
    name: string,
    config: ReadonlyMap<string, string>,
  ): Promise<void> {
    const path = Paths.configEntity(type, name)
    const data = encodeEntityConfig(config)
    if (await this.store.exists(path)) await this.store.setData(path, data)
    else {
      await ensurePath(this.store, Paths.configEntityType(type))
      await this.store.create(path, data, 'persistent')
    }
    await this.store.create(
      `${Paths.configChanges}/${Paths.configChangePrefix}`,
      encodeConfigChange(`${type}/${name}`),
      'persistent_sequential',
    )
  }

  // --- producer ids ---

  /** ProducerIdManager (ZK): claims the next block of 1000 ids with a conditional write. */
  async allocateProducerIdBlock(brokerId: number): Promise<ProducerIdBlock> {
    await ensurePath(this.store, Paths.latestProducerIdBlock)
    for (;;) {
      const r = await this.store.getData(Paths.latestProducerIdBlock)
      const prev = r ? decodeProducerIdBlock(r.data) : null
      const start = prev ? prev.end + 1 : 0
      const block = { brokerId, start, end: start + PRODUCER_ID_BLOCK_SIZE - 1 }
      try {
        await this.store.setData(
          Paths.latestProducerIdBlock,
          encodeProducerIdBlock(block),
          r ? r.stat.version : -1,
        )
        this.log.info(`Acquired new producerId block ${JSON.stringify(block)} by writing to ZooKeeper`)
        return block
      } catch (e) {
        if (!isStoreError(e, 'BAD_VERSION')) throw e
      }
    }
  }

  async stat(path: string): Promise<NodeStat | null> {
    return this.store.exists(path)
  }
}

export class TopicExistsError extends Error {
  constructor(readonly topic: string) {
    super(`Topic '${topic}' already exists.`)
    this.name = 'TopicExistsError'
  }
}
