/**
 * The web console's view of the cluster: what it shows and changes, asked of the brokers in Kafka's own protocol
 * over the inter-broker connections (the broker's BrokerConnections to whichever broker leads a partition,
 * coordinates a group or controls the cluster), the topology from this broker's metadata cache. So the console
 * behaves as a Kafka admin client and producer/consumer would: the same handlers, validation and error codes.
 */
import type { BrokerConnections } from '../../network/broker-connections.js'
import { ErrorCode, errorName } from '../../protocol/errors.js'
import { Apis } from '../../protocol/messages/index.js'
import { buildRecordBatch, readRecords, v2Batches } from '../../protocol/records/batch.js'
import type { MetadataCache } from '../../services/metadata/metadata-cache.js'

/** A Kafka error answered to a console action: the HTTP status and Kafka's error name and message. */
export class ConsoleError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly kafkaError?: string,
  ) {
    super(message)
    this.name = 'ConsoleError'
  }
}

const check = (code: number, message?: string | null, what = ''): void => {
  if (code === ErrorCode.NONE) return
  const status =
    code === ErrorCode.TOPIC_AUTHORIZATION_FAILED ||
    code === ErrorCode.GROUP_AUTHORIZATION_FAILED ||
    code === ErrorCode.CLUSTER_AUTHORIZATION_FAILED
      ? 403
      : code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION || code === ErrorCode.GROUP_ID_NOT_FOUND
        ? 404
        : 400
  const name = errorName(code)
  throw new ConsoleError(status, `${what}${what ? ': ' : ''}${message || name}`, name)
}

/** DescribeConfigs/AlterConfigs resource type of a topic. */
const TOPIC_RESOURCE = 2
const CONFIG_SOURCES: Record<number, string> = {
  1: 'DYNAMIC_TOPIC_CONFIG',
  2: 'DYNAMIC_BROKER_LOGGER_CONFIG',
  3: 'DYNAMIC_BROKER_CONFIG',
  4: 'DYNAMIC_DEFAULT_BROKER_CONFIG',
  5: 'STATIC_BROKER_CONFIG',
  6: 'DEFAULT_CONFIG',
  7: 'DYNAMIC_CLIENT_METRICS_CONFIG',
}

export interface PartitionView {
  readonly partition: number
  readonly leader: number
  readonly replicas: readonly number[]
  readonly isr: readonly number[]
  readonly underReplicated: boolean
  readonly offline: boolean
  readonly logStartOffset?: number
  readonly logEndOffset?: number
  readonly size?: number
}

export interface TopicSummary {
  readonly name: string
  readonly internal: boolean
  readonly partitions: number
  readonly replicationFactor: number
  readonly underReplicated: number
  readonly offline: number
  /** Bytes of the leader replicas (what DescribeLogDirs reports for them). */
  readonly size: number
  /** The sum of the partitions' log end offsets: its change over time is the rate of messages in. */
  readonly endOffsets: number
  /**
   * The sum of the offsets consumer groups have committed in the topic: its change over time is the rate of
   * messages out (read by groups; a consumer without a group commits nothing and is not counted).
   */
  readonly committedOffsets: number
}

export interface MessageView {
  readonly partition: number
  readonly offset: number
  readonly timestamp: number
  /** base64, null for none */
  readonly key: string | null
  readonly value: string | null
  readonly headers: readonly { readonly key: string; readonly value: string | null }[]
}

export interface GroupPartitionView {
  readonly topic: string
  readonly partition: number
  readonly currentOffset: number
  readonly logEndOffset: number
  readonly lag: number
  readonly memberId: string | null
}

export interface GroupView {
  readonly groupId: string
  readonly state: string
  readonly protocolType: string
  readonly protocol: string
  readonly coordinator: number
  readonly members: readonly {
    readonly memberId: string
    readonly clientId: string
    readonly host: string
    readonly assignment: readonly { readonly topic: string; readonly partitions: readonly number[] }[]
  }[]
  readonly partitions: readonly GroupPartitionView[]
  readonly totalLag: number
}

const TIMEOUT_MS = 30_000
const b64 = (b: Buffer | null): string | null => (b === null ? null : b.toString('base64'))

/** Reads a consumer protocol assignment (ConsumerProtocolAssignment: version, topics, user data). */
export function decodeAssignment(buf: Buffer | null): { topic: string; partitions: number[] }[] {
  if (!buf || buf.length < 6) return []
  try {
    let pos = 2
    const n = buf.readInt32BE(pos)
    pos += 4
    const out: { topic: string; partitions: number[] }[] = []
    for (let i = 0; i < n; i++) {
      const len = buf.readInt16BE(pos)
      pos += 2
      const topic = buf.toString('utf8', pos, pos + len)
      pos += len
      const m = buf.readInt32BE(pos)
      pos += 4
      const partitions: number[] = []
      for (let j = 0; j < m; j++, pos += 4) partitions.push(buf.readInt32BE(pos))
      out.push({ topic, partitions })
    }
    return out
  } catch {
    return [] // not the consumer protocol (or a newer layout): shown as no assignment
  }
}

export class ClusterClient {
  constructor(
    private readonly cache: MetadataCache,
    private readonly connections: BrokerConnections,
    private readonly brokerId: number,
  ) {}

  /** The controller, or this broker while there is none (it answers NOT_CONTROLLER, shown as such). */
  private controller(): number {
    return this.cache.controllerId ?? this.brokerId
  }

  private topicInfo(name: string) {
    const t = this.cache.topic(name)
    if (!t) throw new ConsoleError(404, `Topic ${name} does not exist`, 'UNKNOWN_TOPIC_OR_PARTITION')
    return t
  }

  private partitions(name: string): PartitionView[] {
    const t = this.topicInfo(name)
    return [...t.partitions.values()]
      .sort((a, b) => a.partition - b.partition)
      .map((p) => {
        const leader = p.state?.leader ?? -1
        const isr = p.state?.isr ?? []
        return {
          partition: p.partition,
          leader,
          replicas: p.replicas,
          isr,
          underReplicated: isr.length < p.replicas.length,
          offline: leader < 0 || !this.cache.isAlive(leader),
        }
      })
  }

  /** Log start and end offsets of partitions, asked of their leaders (-1 timestamp: latest, -2: earliest). */
  async offsets(
    parts: readonly { topic: string; partition: number; leader: number }[],
    timestamp: number,
  ): Promise<Map<string, number>> {
    const out = new Map<string, number>()
    const byLeader = new Map<number, { topic: string; partition: number }[]>()
    for (const p of parts) {
      if (p.leader < 0 || !this.cache.isAlive(p.leader)) continue
      let l = byLeader.get(p.leader)
      if (!l) byLeader.set(p.leader, (l = []))
      l.push(p)
    }
    await Promise.all(
      [...byLeader].map(async ([leader, ps]) => {
        const topics = new Map<string, number[]>()
        for (const p of ps) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p.partition])
        try {
          const { response } = await this.connections.send(leader, Apis.ListOffsets, 5, 1, () => ({
            replicaId: -1,
            isolationLevel: 0,
            topics: [...topics].map(([name, partitions]) => ({
              name,
              partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp })),
            })),
          }))
          for (const t of response.topics)
            for (const p of t.partitions)
              if (p.errorCode === ErrorCode.NONE) out.set(`${t.name}-${p.partitionIndex}`, Number(p.offset))
        } catch {
          // that leader is unreachable right now: its partitions show no offsets
        }
      }),
    )
    return out
  }

  /** Partition sizes of the leader replicas, from DescribeLogDirs on each live broker. */
  private async sizes(topics: readonly string[] | null): Promise<Map<string, number>> {
    const out = new Map<string, number>()
    await Promise.all(
      [...this.cache.brokers.keys()].map(async (id) => {
        try {
          const { response } = await this.connections.send(id, Apis.DescribeLogDirs, 1, 0, () => ({
            topics:
              topics === null
                ? null
                : topics.map((topic) => ({ topic, partitions: this.partitionIds(topic) })),
          }))
          for (const dir of response.results)
            for (const t of dir.topics)
              for (const p of t.partitions) {
                if (p.isFutureKey) continue
                const leader = this.cache.partition(t.name, p.partitionIndex)?.state?.leader
                if (leader === id) out.set(`${t.name}-${p.partitionIndex}`, Number(p.partitionSize))
              }
        } catch {
          // unreachable broker: its partitions show no size
        }
      }),
    )
    return out
  }

  private partitionIds(topic: string): number[] {
    return [...(this.cache.topic(topic)?.partitions.keys() ?? [])]
  }

  brokers() {
    return {
      servedBy: this.brokerId,
      controller: this.cache.controllerId,
      brokers: [...this.cache.brokers.values()]
        .sort((a, b) => a.id - b.id)
        .map((b) => ({
          id: b.id,
          rack: b.rack,
          upSince: b.timestamp,
          endpoints: b.endpoints.map((e) => `${e.listenerName}://${e.host}:${e.port}`),
        })),
    }
  }

  /** Every topic; `groupVisible` picks the groups whose commits count as messages out (those the user may see). */
  async topics(groupVisible: (groupId: string) => boolean = () => true): Promise<TopicSummary[]> {
    const names = [...this.cache.topics.keys()].sort()
    const all = names.flatMap((topic) => this.partitions(topic).map((p) => ({ topic, ...p })))
    const [ends, sizes, committed] = await Promise.all([
      this.offsets(all, -1),
      this.sizes(null),
      this.committedByTopic(groupVisible),
    ])
    return names.map((name) => {
      const ps = all.filter((p) => p.topic === name)
      return {
        name,
        internal: name.startsWith('__'),
        partitions: ps.length,
        replicationFactor: ps[0]?.replicas.length ?? 0,
        underReplicated: ps.filter((p) => p.underReplicated).length,
        offline: ps.filter((p) => p.offline).length,
        size: ps.reduce((a, p) => a + (sizes.get(`${name}-${p.partition}`) ?? 0), 0),
        endOffsets: ps.reduce((a, p) => a + (ends.get(`${name}-${p.partition}`) ?? 0), 0),
        committedOffsets: committed.get(name) ?? 0,
      }
    })
  }

  /** Topic -> the sum of every group's committed offsets in it, asked of each group's coordinator. */
  private async committedByTopic(visible: (groupId: string) => boolean): Promise<Map<string, number>> {
    const out = new Map<string, number>()
    const groups = (await this.groups()).filter((g) => visible(g.groupId))
    await Promise.all(
      groups.map(async (g) => {
        try {
          for (const c of await this.committed(g.coordinator, g.groupId))
            out.set(c.topic, (out.get(c.topic) ?? 0) + c.offset)
        } catch {
          // a group that went away or moved between the listing and the fetch: counted at the next refresh
        }
      }),
    )
    return out
  }

  /** The offsets a group has committed (partitions without one left out). */
  private async committed(
    coordinator: number,
    groupId: string,
  ): Promise<{ topic: string; partition: number; offset: number }[]> {
    const { response } = await this.connections.send(coordinator, Apis.OffsetFetch, 7, 2, () => ({
      groupId,
      topics: null,
      requireStable: false,
    }))
    check(response.errorCode, null, `Fetching the offsets of ${groupId}`)
    return response.topics.flatMap((t) =>
      t.partitions
        .filter((p) => p.errorCode === ErrorCode.NONE && Number(p.committedOffset) >= 0)
        .map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: Number(p.committedOffset) })),
    )
  }

  async topic(name: string) {
    const parts = this.partitions(name)
    const withTopic = parts.map((p) => ({ topic: name, ...p }))
    const [starts, ends, sizes, configs] = await Promise.all([
      this.offsets(withTopic, -2),
      this.offsets(withTopic, -1),
      this.sizes([name]),
      this.configs(name),
    ])
    return {
      name,
      partitions: parts.map((p) => ({
        ...p,
        logStartOffset: starts.get(`${name}-${p.partition}`),
        logEndOffset: ends.get(`${name}-${p.partition}`),
        size: sizes.get(`${name}-${p.partition}`),
      })),
      configs,
    }
  }

  async configs(name: string) {
    this.topicInfo(name)
    const { response } = await this.connections.send(this.brokerId, Apis.DescribeConfigs, 1, 1, () => ({
      resources: [{ resourceType: TOPIC_RESOURCE, resourceName: name, configurationKeys: null }],
      includeSynonyms: false,
    }))
    const r = response.results[0]!
    check(r.errorCode, r.errorMessage, `Describing the configs of ${name}`)
    return r.configs.map((c) => ({
      name: c.name,
      value: c.isSensitive ? null : c.value,
      source: CONFIG_SOURCES[c.configSource] ?? 'UNKNOWN',
      readOnly: c.readOnly,
      sensitive: c.isSensitive,
    }))
  }

  /** Sets (value) or removes (null: back to the default) topic configs, keeping the other dynamic ones. */
  async alterConfigs(name: string, changes: Readonly<Record<string, string | null>>): Promise<void> {
    const current = await this.configs(name)
    const next = new Map<string, string | null>()
    for (const c of current) if (c.source === 'DYNAMIC_TOPIC_CONFIG') next.set(c.name, c.value)
    for (const [k, v] of Object.entries(changes)) {
      if (v === null) next.delete(k)
      else next.set(k, v)
    }
    const { response } = await this.connections.send(this.controller(), Apis.AlterConfigs, 1, 0, () => ({
      resources: [
        {
          resourceType: TOPIC_RESOURCE,
          resourceName: name,
          configs: [...next].map(([n, value]) => ({ name: n, value })),
        },
      ],
      validateOnly: false,
    }))
    const r = response.responses[0]!
    check(r.errorCode, r.errorMessage, `Changing the configs of ${name}`)
  }

  async createTopic(
    name: string,
    partitions: number,
    replicationFactor: number,
    configs: Readonly<Record<string, string>>,
  ): Promise<void> {
    const { response } = await this.connections.send(this.controller(), Apis.CreateTopics, 4, 2, () => ({
      topics: [
        {
          name,
          numPartitions: partitions,
          replicationFactor,
          assignments: [],
          configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })),
        },
      ],
      timeoutMs: TIMEOUT_MS,
      validateOnly: false,
    }))
    const t = response.topics[0]!
    check(t.errorCode, t.errorMessage, `Creating ${name}`)
  }

  async deleteTopic(name: string): Promise<void> {
    this.topicInfo(name)
    const { response } = await this.connections.send(this.controller(), Apis.DeleteTopics, 4, 1, () => ({
      topicNames: [name],
      topics: [],
      timeoutMs: TIMEOUT_MS,
    }))
    const t = response.responses[0]!
    check(t.errorCode, t.errorMessage, `Deleting ${name}`)
  }

  async addPartitions(name: string, count: number): Promise<void> {
    this.topicInfo(name)
    const { response } = await this.connections.send(this.controller(), Apis.CreatePartitions, 1, 0, () => ({
      topics: [{ name, count, assignments: null }],
      timeoutMs: TIMEOUT_MS,
      validateOnly: false,
    }))
    const r = response.results[0]!
    check(r.errorCode, r.errorMessage, `Adding partitions to ${name}`)
  }

  /** Produces one record with acks=all; the partition is chosen round-robin over the leaders when not given. */
  async produce(
    name: string,
    partition: number | undefined,
    record: { key: Buffer | null; value: Buffer | null; headers: { key: string; value: Buffer | null }[] },
    now: number,
  ): Promise<{ partition: number; offset: number }> {
    const parts = this.partitions(name).filter((p) => !p.offline)
    const p =
      partition === undefined
        ? parts[Math.floor(Math.random() * parts.length)]
        : this.partitions(name).find((x) => x.partition === partition)
    if (!p) throw new ConsoleError(400, `No partition of ${name} is online`, 'LEADER_NOT_AVAILABLE')
    const batch = buildRecordBatch({ records: [record], now })
    const { response } = await this.connections.send(p.leader, Apis.Produce, 8, 3, () => ({
      transactionalId: null,
      acks: -1,
      timeoutMs: TIMEOUT_MS,
      topicData: [{ name, partitionData: [{ index: p.partition, records: batch }] }],
    }))
    const r = response.responses[0]!.partitionResponses[0]!
    check(r.errorCode, r.errorMessage, `Producing to ${name}-${p.partition}`)
    return { partition: p.partition, offset: Number(r.baseOffset) }
  }

  /**
   * Up to `limit` records of one partition: the newest ones, or from an offset, or from the first offset at or
   * after a timestamp (ListOffsets).
   */
  async messages(
    name: string,
    partition: number,
    from: { newest: true } | { offset: number } | { timestamp: number },
    limit: number,
  ): Promise<{ messages: MessageView[]; logStartOffset?: number; logEndOffset?: number }> {
    const p = this.partitions(name).find((x) => x.partition === partition)
    if (!p)
      throw new ConsoleError(
        404,
        `Partition ${name}-${partition} does not exist`,
        'UNKNOWN_TOPIC_OR_PARTITION',
      )
    if (p.offline)
      throw new ConsoleError(503, `Partition ${name}-${partition} has no leader`, 'LEADER_NOT_AVAILABLE')
    const tp = [{ topic: name, ...p }]
    const key = `${name}-${partition}`
    const [starts, ends] = await Promise.all([this.offsets(tp, -2), this.offsets(tp, -1)])
    const start = starts.get(key) ?? 0
    const end = ends.get(key) ?? 0
    let offset: number
    if ('newest' in from) offset = Math.max(start, end - limit)
    else if ('offset' in from) offset = Math.max(start, from.offset)
    else offset = (await this.offsets(tp, from.timestamp)).get(key) ?? end
    const messages: MessageView[] = []
    // read on while batches end before `limit` records (a fetch returns whole batches, maybe of other offsets)
    for (let rounds = 0; rounds < 10 && messages.length < limit && offset < end; rounds++) {
      const { response } = await this.connections.send(p.leader, Apis.Fetch, 11, 4, () => ({
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 1024 * 1024,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          { topic: name, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 1024 * 1024 }] },
        ],
        forgottenTopicsData: [],
        rackId: '',
      }))
      const r = response.responses[0]?.partitions[0]
      if (!r) break
      check(r.errorCode, null, `Reading ${name}-${partition}`)
      const records = r.records
      if (!records || records.length === 0) break
      let next = offset
      for (const b of v2Batches(records)) {
        if (b.isControl) {
          next = Math.max(next, b.lastOffset + 1)
          continue
        }
        for (const rec of readRecords(records, b.position)) {
          next = Math.max(next, rec.offset + 1)
          if (rec.offset < offset || messages.length >= limit) continue
          messages.push({
            partition,
            offset: rec.offset,
            timestamp: rec.timestamp,
            key: b64(rec.key),
            value: b64(rec.value),
            headers: rec.headers.map((h) => ({ key: h.key, value: b64(h.value) })),
          })
        }
      }
      if (next === offset) break
      offset = next
    }
    return { messages, logStartOffset: starts.get(key), logEndOffset: ends.get(key) }
  }

  async groups(): Promise<{ groupId: string; state: string; protocolType: string; coordinator: number }[]> {
    const out: { groupId: string; state: string; protocolType: string; coordinator: number }[] = []
    await Promise.all(
      [...this.cache.brokers.keys()].map(async (id) => {
        try {
          const { response } = await this.connections.send(id, Apis.ListGroups, 4, 4, () => ({
            statesFilter: [],
          }))
          for (const g of response.groups)
            out.push({
              groupId: g.groupId,
              state: g.groupState,
              protocolType: g.protocolType,
              coordinator: id,
            })
        } catch {
          // unreachable broker: its groups are not listed
        }
      }),
    )
    return out.sort((a, b) => a.groupId.localeCompare(b.groupId))
  }

  private async coordinator(groupId: string): Promise<number> {
    const { response } = await this.connections.send(this.brokerId, Apis.FindCoordinator, 3, 1, () => ({
      key: groupId,
      keyType: 0,
    }))
    check(response.errorCode, response.errorMessage, `Finding the coordinator of ${groupId}`)
    return response.nodeId
  }

  async group(groupId: string): Promise<GroupView> {
    const coordinator = await this.coordinator(groupId)
    const [described, committed] = await Promise.all([
      this.connections.send(coordinator, Apis.DescribeGroups, 4, 0, () => ({
        groups: [groupId],
        includeAuthorizedOperations: false,
      })),
      this.committed(coordinator, groupId),
    ])
    const g = described.response.groups[0]!
    check(g.errorCode, null, `Describing ${groupId}`)
    const members = g.members.map((m) => ({
      memberId: m.memberId,
      clientId: m.clientId,
      host: m.clientHost,
      assignment: g.protocolType === 'consumer' ? decodeAssignment(m.memberAssignment) : [],
    }))
    const owner = new Map<string, string>()
    for (const m of members)
      for (const a of m.assignment) for (const p of a.partitions) owner.set(`${a.topic}-${p}`, m.memberId)
    const leaders = committed.map((c) => ({
      ...c,
      leader: this.cache.partition(c.topic, c.partition)?.state?.leader ?? -1,
    }))
    const ends = await this.offsets(leaders, -1)
    const partitions = committed
      .map((c) => {
        const end = ends.get(`${c.topic}-${c.partition}`) ?? c.offset
        return {
          topic: c.topic,
          partition: c.partition,
          currentOffset: c.offset,
          logEndOffset: end,
          lag: Math.max(0, end - c.offset),
          memberId: owner.get(`${c.topic}-${c.partition}`) ?? null,
        }
      })
      .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
    return {
      groupId,
      state: g.groupState,
      protocolType: g.protocolType,
      protocol: g.protocolData,
      coordinator,
      members,
      partitions,
      totalLag: partitions.reduce((a, p) => a + p.lag, 0),
    }
  }

  /**
   * Resets a group's committed offsets of a topic (all its partitions) to the earliest or latest offset, an
   * offset, or the first offset at a timestamp, as kafka-consumer-groups --reset-offsets does: only while the
   * group has no members (the coordinator refuses otherwise, and the refusal is shown).
   */
  async resetOffsets(
    groupId: string,
    topic: string,
    to: { earliest: true } | { latest: true } | { offset: number } | { timestamp: number },
  ): Promise<{ partition: number; offset: number }[]> {
    const parts = this.partitions(topic).map((p) => ({ topic, ...p }))
    let targets: Map<string, number>
    if ('offset' in to) {
      const [s, e] = await Promise.all([this.offsets(parts, -2), this.offsets(parts, -1)])
      targets = new Map(
        parts.map((p) => {
          const k = `${topic}-${p.partition}`
          return [k, Math.min(Math.max(to.offset, s.get(k) ?? 0), e.get(k) ?? to.offset)]
        }),
      )
    } else {
      const ts = 'earliest' in to ? -2 : 'latest' in to ? -1 : to.timestamp
      targets = await this.offsets(parts, ts)
      if (ts >= 0) {
        // no offset at or after the timestamp: the end of the log
        const ends = await this.offsets(parts, -1)
        for (const [k, v] of ends) if (!targets.has(k) || targets.get(k)! < 0) targets.set(k, v)
      }
    }
    const chosen = parts
      .filter((p) => targets.has(`${topic}-${p.partition}`))
      .map((p) => ({ partition: p.partition, offset: targets.get(`${topic}-${p.partition}`)! }))
    if (chosen.length === 0)
      throw new ConsoleError(503, `No partition of ${topic} is online`, 'LEADER_NOT_AVAILABLE')
    const coordinator = await this.coordinator(groupId)
    const { response } = await this.connections.send(coordinator, Apis.OffsetCommit, 7, 2, () => ({
      groupId,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [
        {
          name: topic,
          partitions: chosen.map((c) => ({
            partitionIndex: c.partition,
            committedOffset: c.offset,
            committedLeaderEpoch: -1,
            committedMetadata: '',
          })),
        },
      ],
    }))
    for (const t of response.topics)
      for (const p of t.partitions)
        check(p.errorCode, null, `Resetting ${groupId} on ${topic}-${p.partitionIndex}`)
    return chosen
  }
}

export const _forTests = { check }
