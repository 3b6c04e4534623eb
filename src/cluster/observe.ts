/**
 * What a test of an in-process cluster asserts on, read from the brokers themselves: who leads a partition and
 * with which ISR, whether a group is Stable with N members, a group's lag, the records of a partition. The
 * `waitFor…` helpers wait for a state (polling every few milliseconds of real time) and fail with what they last
 * saw.
 */
import { v2Batches, readRecords, type RecordHeader } from '../protocol/records/batch.js'
import type { Services } from '../services/services.js'

/** What is read of a cluster's broker (`ObservedBroker`). */
export interface ObservedBroker {
  readonly id: number
  readonly state: string
  /** Its services; only while it runs (or is paused). */
  readonly services: Services
}

export interface WaitOptions {
  /** How long to wait, in real milliseconds (default 30 000). */
  readonly timeoutMs?: number
}

export interface ClusterRecord {
  readonly offset: number
  readonly timestamp: number
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly headers: readonly RecordHeader[]
  /** Set for the records of a transaction (markers are left out unless asked for). */
  readonly transactional: boolean
  readonly control: boolean
}

export interface ReadPartitionOptions {
  /** Read this broker's replica (default: the leader's). */
  readonly broker?: number
  /** First offset (default: the log start offset). */
  readonly from?: number
  /** Up to the high watermark (default: what consumers see) or to the log end offset. */
  readonly to?: 'highWatermark' | 'logEnd'
  /** Include transaction markers (default false). */
  readonly controlRecords?: boolean
}

/** The running brokers (paused ones included: their state can still be read). */
export function running(brokers: readonly ObservedBroker[]): ObservedBroker[] {
  return brokers.filter((b) => b.state === 'running' || b.state === 'paused')
}

/**
 * The broker serving as leader of a partition: the leader of the newest partition state any running broker has
 * heard of (the highest leader epoch — a broker cut off or paused still holds an older one), provided it runs, is
 * not paused and has taken the leadership at that epoch; undefined otherwise.
 */
export function leaderOf(
  brokers: readonly ObservedBroker[],
  topic: string,
  partition: number,
): number | undefined {
  let newest: { leader: number; leaderEpoch: number } | undefined
  for (const b of running(brokers)) {
    const s = b.services.cache.partition(topic, partition)?.state
    if (s && (!newest || s.leaderEpoch > newest.leaderEpoch)) newest = s
  }
  if (!newest) return undefined
  const { leader, leaderEpoch } = newest
  const b = brokers.find((x) => x.id === leader)
  if (b?.state !== 'running') return undefined
  const replica = b.services.replicas.getPartition(topic, partition)
  return replica?.isLeader && replica.leaderEpoch === leaderEpoch ? leader : undefined
}

/** The ISR of a partition as its leader holds it (undefined without a leader). */
export function isrOf(
  brokers: readonly ObservedBroker[],
  topic: string,
  partition: number,
): readonly number[] | undefined {
  const id = leaderOf(brokers, topic, partition)
  if (id === undefined) return undefined
  return brokers.find((b) => b.id === id)!.services.replicas.getPartition(topic, partition)?.isr
}

/** The broker coordinating a group (the leader of its __consumer_offsets partition, loaded). */
export function coordinatorOf(
  brokers: readonly ObservedBroker[],
  groupId: string,
): ObservedBroker | undefined {
  return running(brokers).find((b) => {
    const g = b.services.groups
    return g.isActive && g.isCoordinatorFor(groupId) && !g.isCoordinatorLoadInProgress(groupId)
  })
}

export interface GroupView {
  readonly coordinator: number
  readonly state: string
  readonly members: readonly string[]
}

export function groupOf(brokers: readonly ObservedBroker[], groupId: string): GroupView | undefined {
  const c = coordinatorOf(brokers, groupId)
  if (!c) return undefined
  const d = c.services.groups.describeGroup(groupId)
  if (d.error !== 0) return undefined
  return { coordinator: c.id, state: d.summary.state, members: d.summary.members.map((m) => m.memberId) }
}

/**
 * A group's lag per partition (`topic-partition` → high watermark − committed offset; a partition without a
 * committed offset counts from the log start offset). `topics` adds every partition of those topics; without it,
 * the partitions the group has committed offsets for.
 */
export function lagOf(
  brokers: readonly ObservedBroker[],
  groupId: string,
  topics?: readonly string[],
): Map<string, number> | undefined {
  const c = coordinatorOf(brokers, groupId)
  if (!c) return undefined
  const offsets = c.services.groups.fetchOffsets(groupId, false, null)
  if (offsets.error !== 0) return undefined
  const committed = new Map<string, { topic: string; partition: number; offset: number }>()
  for (const p of offsets.partitions) committed.set(`${p.topic}-${p.partition}`, p)
  for (const t of topics ?? []) {
    const info = c.services.cache.topic(t)
    if (!info) return undefined
    for (const p of info.partitions.keys())
      if (!committed.has(`${t}-${p}`)) committed.set(`${t}-${p}`, { topic: t, partition: p, offset: -1 })
  }
  const lag = new Map<string, number>()
  for (const [key, p] of committed) {
    if (topics && !topics.includes(p.topic)) continue
    const leader = leaderOf(brokers, p.topic, p.partition)
    if (leader === undefined) return undefined
    const log = brokers
      .find((b) => b.id === leader)!
      .services.replicas.getPartition(p.topic, p.partition)?.log
    if (!log) return undefined
    lag.set(key, log.highWatermark - (p.offset < 0 ? log.logStartOffset : p.offset))
  }
  return lag
}

/** The records of one replica of a partition, decoded (see `ReadPartitionOptions`). */
export function readPartitionOf(
  brokers: readonly ObservedBroker[],
  topic: string,
  partition: number,
  opts: ReadPartitionOptions = {},
): ClusterRecord[] {
  const id = opts.broker ?? leaderOf(brokers, topic, partition)
  if (id === undefined) throw new Error(`${topic}-${partition} has no leader to read from`)
  const b = running(brokers).find((x) => x.id === id)
  if (!b) throw new Error(`broker ${id} is not running`)
  const log = b.services.replicas.getPartition(topic, partition)?.log
  if (!log) throw new Error(`broker ${id} has no replica of ${topic}-${partition}`)
  const end = opts.to === 'logEnd' ? log.logEndOffset : log.highWatermark
  const out: ClusterRecord[] = []
  let offset = Math.max(opts.from ?? log.logStartOffset, log.logStartOffset)
  while (offset < end) {
    const r = log.read(offset, { maxBytes: 1 << 20, maxOffset: end, minOneMessage: true })
    if (r.records.length === 0) break
    let next = offset
    for (const h of v2Batches(r.records)) {
      if (h.position + h.sizeInBytes > r.records.length) break
      next = h.lastOffset + 1
      if (h.isControl && !opts.controlRecords) continue
      for (const rec of readRecords(r.records, h.position)) {
        if (rec.offset < offset || rec.offset >= end) continue
        out.push({
          offset: rec.offset,
          timestamp: rec.timestamp,
          key: rec.key,
          value: rec.value,
          headers: rec.headers,
          transactional: h.isTransactional,
          control: h.isControl,
        })
      }
    }
    if (next <= offset) break
    offset = next
  }
  return out
}
