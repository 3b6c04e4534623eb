/**
 * Topic administration as a ZooKeeper-mode Kafka broker does it (ZkAdminManager + AdminZkClient): validation
 * of names, partition counts, replication factors, assignments and configs; creation by writing
 * /config/topics/<t> and /brokers/topics/<t>; partition additions; deletion requests; and the waits that make
 * CreateTopics/DeleteTopics answer only when the cluster has acted (DelayedCreatePartitions /
 * DelayedDeleteTopics).
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import { systemScheduler, type Scheduler } from '../../util/scheduler.js'
import type { Logger } from '../../util/logger.js'
import { assignReplicasToBrokers, validateManualAssignment } from './assignment.js'
import type { KafkaZkClient } from './kafka-zk-client.js'
import { randomUuid, TopicExistsError } from './kafka-zk-client.js'
import type { MetadataCache } from './metadata-cache.js'

export const OFFSETS_TOPIC = '__consumer_offsets'
export const TRANSACTION_STATE_TOPIC = '__transaction_state'
export const INTERNAL_TOPICS: ReadonlySet<string> = new Set([OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC])

const LEGAL_CHARS = /^[a-zA-Z0-9._-]+$/
export const MAX_TOPIC_NAME_LENGTH = 249

/** Kafka's Topic.validate. */
export function validateTopicName(name: string): void {
  if (name.length === 0)
    throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, "Topic name is illegal, it can't be empty")
  if (name === '.' || name === '..') {
    throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, 'Topic name cannot be "." or ".."')
  }
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    throw new KafkaError(
      ErrorCode.INVALID_TOPIC_EXCEPTION,
      `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters, topic name: ${name}`,
    )
  }
  if (!LEGAL_CHARS.test(name)) {
    throw new KafkaError(
      ErrorCode.INVALID_TOPIC_EXCEPTION,
      `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`,
    )
  }
}

const unifyCollisionChars = (s: string): string => s.replace(/\./g, '_')

/** Records partitions created or deleted (the controller mutation quota); throws to refuse the mutation. */
export interface MutationRecorder {
  record(partitions: number): void
}

const NO_MUTATION_QUOTA: MutationRecorder = { record: () => {} }

export interface TopicAdminOptions {
  readonly numPartitions: number
  readonly defaultReplicationFactor: number
  readonly autoCreateTopicsEnable: boolean
  readonly deleteTopicEnable: boolean
  readonly offsetsTopicPartitions: number
  readonly offsetsTopicReplicationFactor: number
  readonly offsetsTopicSegmentBytes: number
  readonly transactionTopicPartitions: number
  readonly transactionTopicReplicationFactor: number
  readonly transactionTopicSegmentBytes: number
  readonly transactionTopicMinIsr: number
  /** Validates topic config overrides (throws KafkaError INVALID_CONFIG). */
  readonly validateTopicConfig: (config: ReadonlyMap<string, string>) => void
  /** Runs the timeouts of requests waiting for the cluster (CreateTopics timeout_ms...; default: Node's timers). */
  readonly scheduler?: Scheduler
}

export interface CreateTopicSpec {
  readonly name: string
  /** -1 = num.partitions */
  readonly numPartitions: number
  /** -1 = default.replication.factor */
  readonly replicationFactor: number
  /** Explicit assignment (partition → replicas); when given, the counts must be -1. */
  readonly assignments?: ReadonlyMap<number, readonly number[]>
  readonly configs: ReadonlyMap<string, string>
}

export interface CreatedTopic {
  readonly topicId: string
  readonly numPartitions: number
  readonly replicationFactor: number
  readonly configs: ReadonlyMap<string, string>
}

export class TopicAdmin {
  private readonly inFlightAutoCreates = new Map<string, Promise<void>>()

  constructor(
    private readonly zk: KafkaZkClient,
    private readonly cache: MetadataCache,
    private readonly opts: TopicAdminOptions,
    private readonly log: Logger,
  ) {}

  get autoCreateEnabled(): boolean {
    return this.opts.autoCreateTopicsEnable
  }

  private liveBrokers(): { id: number; rack: string | null }[] {
    return [...this.cache.brokers.values()].map((b) => ({ id: b.id, rack: b.rack }))
  }

  private checkCollision(name: string): void {
    const unified = unifyCollisionChars(name)
    for (const existing of this.cache.topics.keys()) {
      if (existing !== name && unifyCollisionChars(existing) === unified) {
        throw new KafkaError(
          ErrorCode.INVALID_TOPIC_EXCEPTION,
          `Topic '${name}' collides with existing topic: ${existing}`,
        )
      }
    }
  }

  /**
   * Validates and (unless validateOnly) creates a topic. Throws KafkaError with Kafka's code and message.
   * `mutations` records the partitions about to be created once the topic is valid (the controller mutation quota,
   * which may refuse by throwing).
   */
  async createTopic(
    spec: CreateTopicSpec,
    validateOnly: boolean,
    mutations: MutationRecorder = NO_MUTATION_QUOTA,
  ): Promise<CreatedTopic> {
    validateTopicName(spec.name)
    if (this.cache.topic(spec.name) || (await this.zk.topicExists(spec.name))) {
      throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${spec.name}' already exists.`)
    }
    this.checkCollision(spec.name)
    const brokers = this.liveBrokers()
    let assignment: Map<number, number[]>
    if (spec.assignments && spec.assignments.size > 0) {
      if (spec.numPartitions !== -1 || spec.replicationFactor !== -1) {
        throw new KafkaError(
          ErrorCode.INVALID_REQUEST,
          'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.',
        )
      }
      validateManualAssignment(
        spec.assignments,
        new Set(brokers.map((b) => b.id)),
        spec.assignments.values().next().value?.length,
      )
      assignment = new Map([...spec.assignments].map(([p, r]) => [p, [...r]]))
    } else {
      const partitions = spec.numPartitions === -1 ? this.opts.numPartitions : spec.numPartitions
      const rf = spec.replicationFactor === -1 ? this.opts.defaultReplicationFactor : spec.replicationFactor
      if (partitions <= 0) {
        throw new KafkaError(
          ErrorCode.INVALID_PARTITIONS,
          `Number of partitions was set to an invalid non-positive value.`,
        )
      }
      if (rf <= 0) {
        throw new KafkaError(
          ErrorCode.INVALID_REPLICATION_FACTOR,
          `Replication factor was set to an invalid non-positive value.`,
        )
      }
      assignment = assignReplicasToBrokers(brokers, partitions, rf)
    }
    this.opts.validateTopicConfig(spec.configs)
    const rf = assignment.get(0)?.length ?? 0
    const topicId = randomUuid()
    if (!validateOnly) {
      mutations.record(assignment.size)
      try {
        await this.zk.createTopic(
          spec.name,
          { partitions: assignment, topicId, addingReplicas: new Map(), removingReplicas: new Map() },
          spec.configs,
        )
      } catch (e) {
        if (e instanceof TopicExistsError) throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, e.message)
        throw e
      }
      this.log.info(
        `Creating topic ${spec.name} with configuration {${[...spec.configs].map(([k, v]) => `${k}=${v}`).join(', ')}} and initial ` +
          `partition assignment ${[...assignment].map(([p, r]) => `${p} -> [${r.join(',')}]`).join(', ')}`,
      )
    }
    return { topicId, numPartitions: assignment.size, replicationFactor: rf, configs: spec.configs }
  }

  /**
   * Auto-creation (Metadata with allow_auto_topic_creation, produce/fetch paths of old clients): creates the
   * topic with broker defaults. Concurrent requests for the same topic share one attempt.
   */
  autoCreate(name: string): Promise<void> {
    const existing = this.inFlightAutoCreates.get(name)
    if (existing) return existing
    const p = (async () => {
      try {
        if (name === OFFSETS_TOPIC || name === TRANSACTION_STATE_TOPIC) {
          await this.ensureInternalTopic(name)
          return
        }
        await this.createTopic({ name, numPartitions: -1, replicationFactor: -1, configs: new Map() }, false)
      } catch (e) {
        if (e instanceof KafkaError && e.code === ErrorCode.TOPIC_ALREADY_EXISTS) return
        throw e
      }
    })().finally(() => this.inFlightAutoCreates.delete(name))
    this.inFlightAutoCreates.set(name, p)
    return p
  }

  /**
   * Creates __consumer_offsets / __transaction_state with their configured partitions, replication and
   * configs. Kafka refuses (COORDINATOR_NOT_AVAILABLE for the caller) while there are fewer live brokers
   * than the replication factor.
   */
  async ensureInternalTopic(name: string): Promise<void> {
    if (this.cache.topic(name)) return
    const offsets = name === OFFSETS_TOPIC
    const rf = offsets ? this.opts.offsetsTopicReplicationFactor : this.opts.transactionTopicReplicationFactor
    const partitions = offsets ? this.opts.offsetsTopicPartitions : this.opts.transactionTopicPartitions
    const brokers = this.liveBrokers()
    if (brokers.length < rf) {
      throw new KafkaError(
        ErrorCode.COORDINATOR_NOT_AVAILABLE,
        `Number of alive brokers '${brokers.length}' does not meet the required replication factor '${rf}' for the ` +
          `${name} topic (configured via '${offsets ? 'offsets' : 'transaction.state.log'}.replication.factor'). ` +
          `This error can be ignored if the cluster is starting up and not all brokers are up yet.`,
      )
    }
    const configs = new Map<string, string>([['cleanup.policy', 'compact']])
    if (offsets) {
      configs.set('segment.bytes', String(this.opts.offsetsTopicSegmentBytes))
      // Kafka's offsetsTopicConfigs: batches keep the codec the coordinator wrote them with.
      configs.set('compression.type', 'producer')
    } else {
      configs.set('segment.bytes', String(this.opts.transactionTopicSegmentBytes))
      configs.set('min.insync.replicas', String(this.opts.transactionTopicMinIsr))
      configs.set('unclean.leader.election.enable', 'false')
      configs.set('compression.type', 'uncompressed')
    }
    try {
      await this.createTopic({ name, numPartitions: partitions, replicationFactor: rf, configs }, false)
    } catch (e) {
      if (e instanceof KafkaError && e.code === ErrorCode.TOPIC_ALREADY_EXISTS) return
      this.log.warn({ err: e }, `Failed to create the internal topic ${name}: ${(e as Error).message}`)
      throw e
    }
  }

  /** CreatePartitions: adds partitions to an existing topic (the count only grows). */
  async createPartitions(
    name: string,
    count: number,
    newAssignments: readonly (readonly number[])[] | null,
    validateOnly: boolean,
    mutations: MutationRecorder = NO_MUTATION_QUOTA,
  ): Promise<void> {
    const current = await this.zk.getTopicAssignment(name)
    if (!current || (await this.zk.store.exists(`/admin/delete_topics/${name}`))) {
      throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`)
    }
    const existing = current.assignment.partitions
    const oldCount = existing.size
    if (count < oldCount) {
      throw new KafkaError(
        ErrorCode.INVALID_PARTITIONS,
        `Topic currently has ${oldCount} partitions, which is higher than the requested ${count}.`,
      )
    }
    if (count === oldCount) {
      throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic already has ${oldCount} partitions.`)
    }
    const rf = existing.get(0)?.length ?? 1
    const brokers = this.liveBrokers()
    let added: Map<number, number[]>
    if (newAssignments) {
      if (newAssignments.length !== count - oldCount) {
        throw new KafkaError(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `Increasing the number of partitions by ${count - oldCount} but ${newAssignments.length} assignments provided.`,
        )
      }
      added = new Map(newAssignments.map((r, i) => [oldCount + i, [...r]]))
      const all = new Map([...existing, ...added])
      validateManualAssignment(
        all,
        new Set([...brokers.map((b) => b.id), ...[...existing.values()].flat()]),
        rf,
      )
      const unknown = [...added.values()].flat().filter((r) => !this.cache.isAlive(r))
      if (unknown.length > 0) {
        throw new KafkaError(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `Unknown broker(s) in replica assignment: ${[...new Set(unknown)].join(', ')}.`,
        )
      }
    } else {
      const startIndex =
        existing.get(0)?.[0] !== undefined
          ? Math.max(
              0,
              brokers.findIndex((b) => b.id === existing.get(0)![0]),
            )
          : undefined
      added = assignReplicasToBrokers(brokers, count - oldCount, rf, {
        fixedStartIndex: startIndex,
        startPartitionId: oldCount,
      })
    }
    if (validateOnly) return
    mutations.record(count - oldCount)
    const partitions = new Map([...existing, ...added])
    await this.zk.setTopicAssignment(name, { ...current.assignment, partitions }, current.zkVersion)
    this.log.info(
      `Creating ${count - oldCount} partitions for '${name}' with the following replica assignment: ${[...added].map(([p, r]) => `${p} -> [${r.join(',')}]`).join(', ')}.`,
    )
  }

  /** DeleteTopics: requests the deletion (its partitions recorded in `mutations`); the controller carries it out. */
  async deleteTopic(name: string, mutations: MutationRecorder = NO_MUTATION_QUOTA): Promise<void> {
    if (!this.opts.deleteTopicEnable) {
      throw new KafkaError(ErrorCode.TOPIC_DELETION_DISABLED, 'Topic deletion is disabled.')
    }
    if (!this.cache.topic(name) && !(await this.zk.topicExists(name))) {
      throw new KafkaError(
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        'This server does not host this topic-partition.',
      )
    }
    mutations.record(this.cache.topic(name)?.partitions.size ?? 0)
    await this.zk.markTopicForDeletion(name)
  }

  /** Resolves when the predicate holds for the cache, or after the timeout (false). Re-checked on cache changes. */
  waitFor(pred: () => boolean, timeoutMs: number): Promise<boolean> {
    if (pred()) return Promise.resolve(true)
    if (timeoutMs <= 0) return Promise.resolve(false)
    return new Promise((resolve) => {
      const events = ['partition', 'topicRemoved', 'topicAdded', 'partitionsAdded', 'brokers'] as const
      const check = (): void => {
        if (!pred()) return
        done(true)
      }
      const done = (ok: boolean): void => {
        timer.cancel()
        for (const e of events) this.cache.off(e, check)
        resolve(ok)
      }
      const timer = (this.opts.scheduler ?? systemScheduler).schedule(
        'topic-admin-wait',
        () => done(false),
        timeoutMs,
      )
      for (const e of events) this.cache.on(e, check)
    })
  }

  /** True when every partition of the topic has a live leader in this broker's cache. */
  hasLeaders(name: string, partitions?: number): boolean {
    const t = this.cache.topic(name)
    if (!t || (partitions !== undefined && t.partitions.size < partitions)) return false
    for (const p of t.partitions.values()) {
      if (!p.state || p.state.leader < 0 || !this.cache.isAlive(p.state.leader)) return false
    }
    return true
  }
}
