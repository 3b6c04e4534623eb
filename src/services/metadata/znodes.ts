/**
 * ZooKeeper paths and znode contents exactly as a ZooKeeper-mode Apache Kafka 3.x broker writes them
 * (kafka.zk.ZkData), so Kafka's own tools and anything else reading these znodes sees a normal Kafka cluster.
 * Encoders write Kafka's current versions; decoders accept the older versions Kafka accepts.
 */

export const Paths = {
  brokers: '/brokers',
  brokerIds: '/brokers/ids',
  brokerId: (id: number) => `/brokers/ids/${id}`,
  brokerSeqId: '/brokers/seqid',
  brokerTopics: '/brokers/topics',
  topic: (t: string) => `/brokers/topics/${t}`,
  topicPartitions: (t: string) => `/brokers/topics/${t}/partitions`,
  partition: (t: string, p: number) => `/brokers/topics/${t}/partitions/${p}`,
  partitionState: (t: string, p: number) => `/brokers/topics/${t}/partitions/${p}/state`,
  controller: '/controller',
  controllerEpoch: '/controller_epoch',
  clusterId: '/cluster/id',
  config: '/config',
  configEntityType: (type: ConfigEntityType) => `/config/${type}`,
  configEntity: (type: ConfigEntityType, name: string) => `/config/${type}/${name}`,
  configChanges: '/config/changes',
  configChangePrefix: 'config_change_',
  admin: '/admin',
  deleteTopics: '/admin/delete_topics',
  deleteTopic: (t: string) => `/admin/delete_topics/${t}`,
  reassignPartitions: '/admin/reassign_partitions',
  preferredReplicaElection: '/admin/preferred_replica_election',
  isrChangeNotification: '/isr_change_notification',
  isrChangePrefix: 'isr_change_',
  logDirEventNotification: '/log_dir_event_notification',
  logDirEvent: (name: string) => `/log_dir_event_notification/${name}`,
  latestProducerIdBlock: '/latest_producer_id_block',
  consumers: '/consumers',
  consumerOffset: (group: string, topic: string, partition: number) =>
    `/consumers/${group}/offsets/${topic}/${partition}`,
  feature: '/feature',
} as const

export type ConfigEntityType = 'topics' | 'clients' | 'users' | 'brokers' | 'ips'

const UNRESERVED = /^[A-Za-z0-9._-]*$/

/**
 * Kafka's Sanitizer.sanitize: the znode name of a user or client id (URL-encoded as Java's URLEncoder does, with
 * '*' as %2A and a space as %20).
 */
export function sanitizeEntityName(name: string): string {
  if (UNRESERVED.test(name)) return name // the common case, without a copy (quotas sanitize on every request)
  let out = ''
  for (const b of Buffer.from(name, 'utf8')) {
    const c = String.fromCharCode(b)
    if (/[A-Za-z0-9._-]/.test(c)) out += c
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

/** Kafka's Sanitizer.desanitize (Java's URLDecoder: '+' is a space). */
export function desanitizeEntityName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '))
  } catch {
    return name
  }
}

/** Created at start-up by every broker (ZkData.PersistentZkPaths). */
export const PERSISTENT_PATHS: readonly string[] = [
  Paths.consumers,
  Paths.brokerIds,
  Paths.brokerTopics,
  Paths.configChanges,
  Paths.deleteTopics,
  Paths.brokerSeqId,
  Paths.isrChangeNotification,
  Paths.latestProducerIdBlock,
  Paths.logDirEventNotification,
  ...(['topics', 'clients', 'users', 'brokers', 'ips'] as const).map((t) => Paths.configEntityType(t)),
]

const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v), 'utf8')

function parse(data: Buffer, what: string): Record<string, unknown> {
  let v: unknown
  try {
    v = JSON.parse(data.toString('utf8'))
  } catch {
    throw new Error(`invalid JSON in ${what}: ${data.toString('utf8').slice(0, 200)}`)
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${what} is not a JSON object`)
  return v as Record<string, unknown>
}

const num = (v: unknown, what: string): number => {
  const n = typeof v === 'string' ? Number(v) : v
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new Error(`${what} is not a number`)
  return n
}

const intArray = (v: unknown, what: string): number[] => {
  if (!Array.isArray(v)) throw new Error(`${what} is not an array`)
  return v.map((x, i) => num(x, `${what}[${i}]`))
}

// --- /brokers/ids/<id> ---

export interface EndPoint {
  readonly listenerName: string
  readonly securityProtocol: string
  readonly host: string
  readonly port: number
}

export interface BrokerRegistration {
  readonly id: number
  readonly endpoints: readonly EndPoint[]
  readonly rack: string | null
  readonly jmxPort: number
  readonly timestamp: number
  readonly features: Record<string, { min_version: number; max_version: number }>
  /** czxid of the registration znode: Kafka's broker epoch. */
  readonly epoch: number
}

export function encodeBrokerRegistration(b: Omit<BrokerRegistration, 'epoch'>): Buffer {
  const plaintext = b.endpoints.find((e) => e.securityProtocol === 'PLAINTEXT')
  const out: Record<string, unknown> = {
    features: b.features,
    listener_security_protocol_map: Object.fromEntries(
      b.endpoints.map((e) => [e.listenerName, e.securityProtocol]),
    ),
    endpoints: b.endpoints.map((e) => `${e.listenerName}://${formatHost(e.host)}:${e.port}`),
    jmx_port: b.jmxPort,
    port: plaintext ? plaintext.port : -1,
    host: plaintext ? plaintext.host : null,
    version: 5,
    timestamp: String(b.timestamp),
  }
  if (b.rack !== null) out.rack = b.rack
  return json(out)
}

const formatHost = (h: string): string => (h.includes(':') && !h.startsWith('[') ? `[${h}]` : h)

export function parseEndpoint(s: string, protocolMap: Record<string, string>): EndPoint {
  const m = /^([A-Za-z0-9_.-]+):\/\/(\[[^\]]*\]|[^:]*):(-?\d+)$/.exec(s)
  if (!m) throw new Error(`unable to parse ${s} to a broker endpoint`)
  const listenerName = m[1]!
  const host = m[2]!.startsWith('[') ? m[2]!.slice(1, -1) : m[2]!
  return {
    listenerName,
    securityProtocol: protocolMap[listenerName] ?? listenerName,
    host,
    port: Number(m[3]),
  }
}

export function decodeBrokerRegistration(id: number, data: Buffer, epoch: number): BrokerRegistration {
  const o = parse(data, `/brokers/ids/${id}`)
  const version = num(o.version, 'version')
  const protocolMap = (o.listener_security_protocol_map ?? {}) as Record<string, string>
  let endpoints: EndPoint[]
  if (version >= 2 && Array.isArray(o.endpoints)) {
    endpoints = (o.endpoints as string[]).map((e) => parseEndpoint(e, protocolMap))
  } else {
    endpoints = [
      {
        listenerName: 'PLAINTEXT',
        securityProtocol: 'PLAINTEXT',
        host: String(o.host),
        port: num(o.port, 'port'),
      },
    ]
  }
  return {
    id,
    endpoints,
    rack: typeof o.rack === 'string' ? o.rack : null,
    jmxPort: o.jmx_port === undefined ? -1 : num(o.jmx_port, 'jmx_port'),
    timestamp: o.timestamp === undefined ? 0 : num(o.timestamp, 'timestamp'),
    features: (o.features ?? {}) as BrokerRegistration['features'],
    epoch,
  }
}

// --- /brokers/topics/<topic> ---

/** The replicas of one partition, with those a reassignment is adding or removing (KIP-455). */
export interface ReplicaAssignment {
  /** Every replica, in preference order: during a reassignment the target replicas, then the ones leaving. */
  readonly replicas: readonly number[]
  readonly addingReplicas: readonly number[]
  readonly removingReplicas: readonly number[]
}

export interface TopicAssignment {
  /** partition -> replica broker ids, in preference order */
  readonly partitions: ReadonlyMap<number, readonly number[]>
  readonly topicId: string | null
  readonly addingReplicas: ReadonlyMap<number, readonly number[]>
  readonly removingReplicas: ReadonlyMap<number, readonly number[]>
}

const mapToObj = (m: ReadonlyMap<number, readonly number[]>): Record<string, readonly number[]> =>
  Object.fromEntries([...m].sort((a, b) => a[0] - b[0]).map(([k, v]) => [String(k), v]))

const nonEmpty = (m: ReadonlyMap<number, readonly number[]>): Map<number, readonly number[]> =>
  new Map([...m].filter(([, v]) => v.length > 0))

export function encodeTopicAssignment(a: TopicAssignment): Buffer {
  const out: Record<string, unknown> = {
    partitions: mapToObj(a.partitions),
    // Only partitions being reassigned are listed, as Kafka writes them.
    adding_replicas: mapToObj(nonEmpty(a.addingReplicas)),
    removing_replicas: mapToObj(nonEmpty(a.removingReplicas)),
    version: a.topicId ? 3 : 2,
  }
  if (a.topicId) out.topic_id = a.topicId
  return json(out)
}

function objToMap(v: unknown, what: string): Map<number, number[]> {
  const m = new Map<number, number[]>()
  if (v === undefined || v === null) return m
  if (typeof v !== 'object') throw new Error(`${what} is not an object`)
  for (const [k, r] of Object.entries(v as Record<string, unknown>))
    m.set(num(k, what), intArray(r, `${what}.${k}`))
  return m
}

export function decodeTopicAssignment(topic: string, data: Buffer): TopicAssignment {
  const o = parse(data, `/brokers/topics/${topic}`)
  return {
    partitions: objToMap(o.partitions, 'partitions'),
    topicId: typeof o.topic_id === 'string' ? o.topic_id : null,
    addingReplicas: objToMap(o.adding_replicas, 'adding_replicas'),
    removingReplicas: objToMap(o.removing_replicas, 'removing_replicas'),
  }
}

// --- /brokers/topics/<topic>/partitions/<p>/state ---

export interface LeaderAndIsr {
  readonly leader: number
  readonly leaderEpoch: number
  readonly isr: readonly number[]
  readonly controllerEpoch: number
  /** 0 = RECOVERED, 1 = RECOVERING (only written when not recovered) */
  readonly leaderRecoveryState: number
}

export function encodePartitionState(s: LeaderAndIsr): Buffer {
  const out: Record<string, unknown> = {
    controller_epoch: s.controllerEpoch,
    leader: s.leader,
    version: 1,
    leader_epoch: s.leaderEpoch,
    isr: s.isr,
  }
  if (s.leaderRecoveryState !== 0) out.leader_recovery_state = s.leaderRecoveryState
  return json(out)
}

export function decodePartitionState(data: Buffer, what = 'partition state'): LeaderAndIsr {
  const o = parse(data, what)
  return {
    leader: num(o.leader, 'leader'),
    leaderEpoch: num(o.leader_epoch, 'leader_epoch'),
    isr: intArray(o.isr, 'isr'),
    controllerEpoch: num(o.controller_epoch, 'controller_epoch'),
    leaderRecoveryState:
      o.leader_recovery_state === undefined ? 0 : num(o.leader_recovery_state, 'leader_recovery_state'),
  }
}

// --- /controller, /controller_epoch ---

export function encodeController(brokerId: number, timestamp: number): Buffer {
  return json({ version: 2, brokerid: brokerId, timestamp: String(timestamp), kraftControllerEpoch: -1 })
}

export function decodeController(data: Buffer): number {
  return num(parse(data, '/controller').brokerid, 'brokerid')
}

export const encodeControllerEpoch = (epoch: number): Buffer => Buffer.from(String(epoch), 'utf8')
export const decodeControllerEpoch = (data: Buffer): number =>
  num(data.toString('utf8').trim(), '/controller_epoch')

// --- /cluster/id ---

export const encodeClusterId = (id: string): Buffer => json({ version: '1', id })
export const decodeClusterId = (data: Buffer): string => String(parse(data, '/cluster/id').id)

// --- /config/<type>/<name>, /config/changes ---

export function encodeEntityConfig(config: ReadonlyMap<string, string>): Buffer {
  return json({ version: 1, config: Object.fromEntries(config) })
}

export function decodeEntityConfig(data: Buffer | null): Map<string, string> {
  if (!data || data.length === 0) return new Map()
  const o = parse(data, 'entity config')
  const c = (o.config ?? {}) as Record<string, unknown>
  return new Map(Object.entries(c).map(([k, v]) => [k, String(v)]))
}

export const encodeConfigChange = (entityPath: string): Buffer =>
  json({ version: 2, entity_path: entityPath })

/** Returns [entityType, entityName] of a change notification (v1 carries entity_type/entity_name). */
export function decodeConfigChange(data: Buffer): [string, string] {
  const o = parse(data, 'config change notification')
  if (typeof o.entity_path === 'string') {
    const i = o.entity_path.indexOf('/')
    return [o.entity_path.slice(0, i), o.entity_path.slice(i + 1)]
  }
  return [String(o.entity_type), String(o.entity_name)]
}

// --- /latest_producer_id_block ---

export interface ProducerIdBlock {
  readonly brokerId: number
  readonly start: number
  readonly end: number
}

export const PRODUCER_ID_BLOCK_SIZE = 1000

export function encodeProducerIdBlock(b: ProducerIdBlock): Buffer {
  return json({ version: 1, broker: b.brokerId, block_start: String(b.start), block_end: String(b.end) })
}

export function decodeProducerIdBlock(data: Buffer): ProducerIdBlock | null {
  if (data.length === 0) return null
  const o = parse(data, '/latest_producer_id_block')
  return {
    brokerId: num(o.broker, 'broker'),
    start: num(o.block_start, 'block_start'),
    end: num(o.block_end, 'block_end'),
  }
}

// --- notifications ---

export interface TopicPartitionRef {
  readonly topic: string
  readonly partition: number
}

export const encodePartitionsList = (ps: readonly TopicPartitionRef[]): Buffer =>
  json({ version: 1, partitions: ps })

export function decodePartitionsList(data: Buffer, what: string): TopicPartitionRef[] {
  const o = parse(data, what)
  if (!Array.isArray(o.partitions)) return []
  return (o.partitions as Record<string, unknown>[]).map((p) => ({
    topic: String(p.topic),
    partition: num(p.partition, 'partition'),
  }))
}

export interface ReassignmentEntry extends TopicPartitionRef {
  readonly replicas: readonly number[]
}

/**
 * The broker of a /log_dir_event_notification/log_dir_event_<seq> znode (Kafka's LogDirEventNotificationSequenceZNode:
 * {"version":1,"broker":N,"event":1}; event 1 is LogDirFailure, the only one there is).
 */
export function decodeLogDirEvent(data: Buffer): number {
  return num(parse(data, Paths.logDirEventNotification).broker, 'broker')
}

/** /admin/reassign_partitions as Kafka's ReassignPartitionsZNode writes it. */
export const encodeReassignment = (entries: readonly ReassignmentEntry[]): Buffer =>
  json({
    version: 1,
    partitions: entries.map((e) => ({ topic: e.topic, partition: e.partition, replicas: e.replicas })),
  })

export function decodeReassignment(data: Buffer): ReassignmentEntry[] {
  const o = parse(data, Paths.reassignPartitions)
  if (!Array.isArray(o.partitions)) return []
  return (o.partitions as Record<string, unknown>[]).map((p) => ({
    topic: String(p.topic),
    partition: num(p.partition, 'partition'),
    replicas: intArray(p.replicas, 'replicas'),
  }))
}
