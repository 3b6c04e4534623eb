/**
 * Incremental fetch sessions (KIP-227), as Kafka's FetchManager / FetchSessionCache run them.
 *
 *  - epoch -1, id 0: a sessionless full fetch (librdkafka, kafkajs, followers of old versions);
 *  - epoch -1, id N: closes session N, then a sessionless full fetch;
 *  - epoch 0: a full fetch that opens a new session (its id is returned; 0 if the cache has no room);
 *  - epoch > 0: an incremental fetch of session N: the request only lists partitions that changed (added or
 *    updated) and topics to forget; the session remembers the rest, and the response lists only partitions with
 *    something new (records, an error, a moved high watermark / log start offset).
 * Errors: FETCH_SESSION_ID_NOT_FOUND for an unknown id, INVALID_FETCH_SESSION_EPOCH for a wrong epoch.
 */
import { randomInt } from 'node:crypto'
import { ErrorCode } from '../../protocol/errors.js'
import type { FetchPartitionRequest } from './replica-manager.js'

export interface SessionPartition {
  readonly topic: string
  readonly topicId: string
  readonly partition: number
  fetchOffset: number
  partitionMaxBytes: number
  currentLeaderEpoch: number
  lastFetchedEpoch: number
  logStartOffset: number
  /** What the last response told the client (so unchanged partitions can be left out). */
  lastHighWatermark: number
  lastLogStartOffset: number
}

interface Session {
  readonly id: number
  epoch: number
  readonly partitions: Map<string, SessionPartition>
  readonly privileged: boolean
  lastUsedMs: number
  readonly createdMs: number
}

/** A partition of a Fetch request as the session sees it: the replica manager's request plus the topic id. */
export interface SessionRequestPartition extends FetchPartitionRequest {
  readonly topicId: string
}

export type SessionContext =
  | { readonly kind: 'sessionless' }
  | { readonly kind: 'full'; readonly sessionId: number; readonly session: Session | undefined }
  | { readonly kind: 'incremental'; readonly session: Session }
  | { readonly kind: 'error'; readonly errorCode: number }

export const INITIAL_EPOCH = 0
export const FINAL_EPOCH = -1

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`

export class FetchSessionCache {
  private readonly sessions = new Map<number, Session>()

  constructor(
    private readonly maxSlots: number,
    private readonly evictionMs: number,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.sessions.size
  }

  /**
   * Resolves the request's session parameters. For full fetches the partitions of the request are the
   * partitions to read; for incremental ones the returned session holds them (after applying the request).
   */
  newContext(
    sessionId: number,
    epoch: number,
    partitions: readonly SessionRequestPartition[],
    forgotten: readonly { topic: string; partitions: readonly number[] }[],
    privileged: boolean,
  ): SessionContext {
    if (epoch === FINAL_EPOCH) {
      if (sessionId !== 0) this.sessions.delete(sessionId)
      return { kind: 'sessionless' }
    }
    if (epoch === INITIAL_EPOCH) {
      if (sessionId !== 0) this.sessions.delete(sessionId)
      const s = this.create(partitions, privileged)
      return { kind: 'full', sessionId: s?.id ?? 0, session: s }
    }
    const s = this.sessions.get(sessionId)
    if (!s) return { kind: 'error', errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND }
    if (s.epoch !== epoch) return { kind: 'error', errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH }
    for (const f of forgotten) for (const p of f.partitions) s.partitions.delete(key(f.topic, p))
    for (const p of partitions) {
      const k = key(p.topic, p.partition)
      const existing = s.partitions.get(k)
      if (existing) {
        existing.fetchOffset = p.fetchOffset
        existing.partitionMaxBytes = p.partitionMaxBytes
        existing.currentLeaderEpoch = p.currentLeaderEpoch
        existing.lastFetchedEpoch = p.lastFetchedEpoch
        existing.logStartOffset = p.logStartOffset
      } else {
        s.partitions.set(k, { ...p, lastHighWatermark: -2, lastLogStartOffset: -2 })
      }
    }
    s.epoch = nextEpoch(s.epoch)
    s.lastUsedMs = this.now()
    return { kind: 'incremental', session: s }
  }

  private create(partitions: readonly SessionRequestPartition[], privileged: boolean): Session | undefined {
    const now = this.now()
    if (this.sessions.size >= this.maxSlots && !this.evictOne(now, privileged)) return undefined
    let id = 0
    while (id === 0 || this.sessions.has(id)) id = randomInt(1, 0x7fffffff)
    const s: Session = {
      id,
      epoch: nextEpoch(INITIAL_EPOCH),
      partitions: new Map(
        partitions.map((p) => [
          key(p.topic, p.partition),
          { ...p, lastHighWatermark: -2, lastLogStartOffset: -2 },
        ]),
      ),
      privileged,
      lastUsedMs: now,
      createdMs: now,
    }
    this.sessions.set(id, s)
    return s
  }

  /** Kafka's eviction: a stale session (unused for the eviction time) goes first; followers may evict consumers. */
  private evictOne(now: number, privileged: boolean): boolean {
    let victim: Session | undefined
    for (const s of this.sessions.values()) {
      const stale = now - s.lastUsedMs > this.evictionMs
      if (stale || (privileged && !s.privileged)) {
        if (!victim || s.lastUsedMs < victim.lastUsedMs) victim = s
      }
    }
    if (!victim) return false
    this.sessions.delete(victim.id)
    return true
  }

  remove(id: number): void {
    this.sessions.delete(id)
  }
}

function nextEpoch(e: number): number {
  return e >= 0x7fffffff ? 1 : e + 1
}

/** Whether an incremental response must list this partition (Kafka's CachedPartition.maybeUpdateResponseData). */
export function mustInclude(
  p: SessionPartition,
  r: {
    errorCode: number
    highWatermark: number
    logStartOffset: number
    records: Buffer | null
    divergingEpoch: unknown
  },
): boolean {
  const include =
    r.errorCode !== ErrorCode.NONE ||
    (r.records !== null && r.records.length > 0) ||
    r.divergingEpoch !== null ||
    r.highWatermark !== p.lastHighWatermark ||
    r.logStartOffset !== p.lastLogStartOffset
  p.lastHighWatermark = r.highWatermark
  p.lastLogStartOffset = r.logStartOffset
  return include
}
