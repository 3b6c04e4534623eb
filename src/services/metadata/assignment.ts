/**
 * Replica assignment for new topics and partitions — Kafka's AdminUtils.assignReplicasToBrokers: the first
 * replica of each partition goes round-robin over the brokers from a random start, and the following replicas
 * are placed with a shift that grows every full round, so leadership and followers spread evenly. When every
 * broker has a rack, the rack-aware variant alternates racks so that replicas of a partition land in
 * different racks where possible.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js'

export interface BrokerRack {
  readonly id: number
  readonly rack: string | null
}

const rand = (n: number): number => Math.floor(Math.random() * n)

function replicaIndex(
  firstReplicaIndex: number,
  secondReplicaShift: number,
  replicaIndex: number,
  n: number,
): number {
  const shift = 1 + ((secondReplicaShift + replicaIndex) % (n - 1))
  return (firstReplicaIndex + shift) % n
}

export interface AssignOptions {
  /** Index of the broker for partition 0's first replica (random when undefined, as in Kafka). */
  readonly fixedStartIndex?: number
  /** First partition id to assign (CreatePartitions starts after the existing ones). */
  readonly startPartitionId?: number
}

export function assignReplicasToBrokers(
  brokers: readonly BrokerRack[],
  numPartitions: number,
  replicationFactor: number,
  opts: AssignOptions = {},
): Map<number, number[]> {
  if (numPartitions <= 0)
    throw new KafkaError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions must be larger than 0.')
  if (replicationFactor <= 0) {
    throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0.')
  }
  if (replicationFactor > brokers.length) {
    throw new KafkaError(
      ErrorCode.INVALID_REPLICATION_FACTOR,
      `Replication factor: ${replicationFactor} larger than available brokers: ${brokers.length}.`,
    )
  }
  const withRack = brokers.filter((b) => b.rack !== null)
  if (withRack.length === 0)
    return assignRackUnaware(
      brokers.map((b) => b.id).sort((a, b) => a - b),
      numPartitions,
      replicationFactor,
      opts,
    )
  if (withRack.length !== brokers.length) {
    throw new KafkaError(
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      'Not all brokers have rack information for replica rack aware assignment.',
    )
  }
  return assignRackAware(brokers, numPartitions, replicationFactor, opts)
}

function assignRackUnaware(
  ids: readonly number[],
  numPartitions: number,
  rf: number,
  opts: AssignOptions,
): Map<number, number[]> {
  const out = new Map<number, number[]>()
  const n = ids.length
  const startIndex = opts.fixedStartIndex ?? rand(n)
  let currentPartitionId = Math.max(0, opts.startPartitionId ?? 0)
  let nextReplicaShift = opts.fixedStartIndex ?? rand(n)
  for (let i = 0; i < numPartitions; i++) {
    if (currentPartitionId > 0 && currentPartitionId % n === 0) nextReplicaShift += 1
    const firstReplicaIndex = (currentPartitionId + startIndex) % n
    const replicas = [ids[firstReplicaIndex]!]
    for (let j = 0; j < rf - 1; j++)
      replicas.push(ids[replicaIndex(firstReplicaIndex, nextReplicaShift, j, n)]!)
    out.set(currentPartitionId, replicas)
    currentPartitionId += 1
  }
  return out
}

/** Brokers ordered rack by rack in turn: racks a,b,c → a1,b1,c1,a2,b2,... (Kafka's getRackAlternatedBrokerList). */
function rackAlternated(brokers: readonly BrokerRack[]): number[] {
  const byRack = new Map<string, number[]>()
  for (const b of [...brokers].sort((x, y) => x.id - y.id)) {
    const list = byRack.get(b.rack!) ?? []
    list.push(b.id)
    byRack.set(b.rack!, list)
  }
  const racks = [...byRack.keys()].sort()
  const out: number[] = []
  for (let i = 0; out.length < brokers.length; i++) {
    for (const r of racks) {
      const list = byRack.get(r)!
      if (i < list.length) out.push(list[i]!)
    }
  }
  return out
}

function assignRackAware(
  brokers: readonly BrokerRack[],
  numPartitions: number,
  rf: number,
  opts: AssignOptions,
): Map<number, number[]> {
  const rackOf = new Map(brokers.map((b) => [b.id, b.rack!]))
  const numRacks = new Set(rackOf.values()).size
  const list = rackAlternated(brokers)
  const n = list.length
  const out = new Map<number, number[]>()
  const startIndex = opts.fixedStartIndex ?? rand(n)
  let currentPartitionId = Math.max(0, opts.startPartitionId ?? 0)
  let nextReplicaShift = opts.fixedStartIndex ?? rand(n)
  for (let i = 0; i < numPartitions; i++) {
    if (currentPartitionId > 0 && currentPartitionId % n === 0) nextReplicaShift += 1
    const firstReplicaIndex = (currentPartitionId + startIndex) % n
    const leader = list[firstReplicaIndex]!
    const replicas = [leader]
    const racksWithReplicas = new Set([rackOf.get(leader)!])
    const brokersWithReplicas = new Set([leader])
    let k = 0
    for (let j = 0; j < rf - 1; j++) {
      let done = false
      while (!done) {
        const broker = list[replicaIndex(firstReplicaIndex, nextReplicaShift * numRacks, k, n)]!
        const rack = rackOf.get(broker)!
        // Skip a broker whose rack already has a replica, unless every rack has one; skip a broker that already
        // has one unless every broker has one.
        if (
          (!racksWithReplicas.has(rack) || racksWithReplicas.size === numRacks) &&
          (!brokersWithReplicas.has(broker) || brokersWithReplicas.size === n)
        ) {
          replicas.push(broker)
          racksWithReplicas.add(rack)
          brokersWithReplicas.add(broker)
          done = true
        }
        k += 1
      }
    }
    out.set(currentPartitionId, replicas)
    currentPartitionId += 1
  }
  return out
}

/** Validates a manual assignment (CreateTopics with explicit assignments, CreatePartitions). */
export function validateManualAssignment(
  assignment: ReadonlyMap<number, readonly number[]>,
  liveBrokers: ReadonlySet<number>,
  expectedRf?: number,
): void {
  const ids = [...assignment.keys()].sort((a, b) => a - b)
  ids.forEach((p, i) => {
    if (p !== i) {
      throw new KafkaError(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        'Partitions should be a consecutive 0-based integer sequence',
      )
    }
  })
  for (const [p, replicas] of assignment) {
    if (replicas.length === 0)
      throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Partition ${p} has no replicas`)
    if (new Set(replicas).size !== replicas.length) {
      throw new KafkaError(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `Duplicate replica assignment found: ${replicas.join(',')}`,
      )
    }
    if (expectedRf !== undefined && replicas.length !== expectedRf) {
      throw new KafkaError(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        'All partitions should have the same number of replicas',
      )
    }
    const unknown = replicas.filter((r) => !liveBrokers.has(r))
    if (unknown.length > 0) {
      throw new KafkaError(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `Unknown broker(s) in replica assignment: ${unknown.join(', ')}.`,
      )
    }
  }
}
