/**
 * The follower side of replication (Kafka's ReplicaFetcherManager / ReplicaFetcherThread): one fetcher per
 * leader broker pulls the partitions this broker follows from it, over the inter-broker listener, with Fetch
 * requests carrying our replica id. Before fetching a partition under a new leader epoch, the follower asks the
 * leader where its own latest epoch ends (OffsetForLeaderEpoch) and truncates any divergent tail — data that was
 * never committed — exactly as Kafka's AbstractFetcherThread does; offset-out-of-range is resolved against the
 * leader's log start / end offsets. Fetched batches are appended with the leader's offsets and epochs; the
 * follower's high watermark is the leader's, capped at its own log end offset.
 */
import { Apis } from '../../protocol/messages/index.js'
import { BrokerClient, BrokerClientError, type BrokerAddress } from '../../network/broker-client.js'
import { ErrorCode, errorName } from '../../protocol/errors.js'
import { completeBatchesLength } from '../../protocol/records/batch.js'
import type { BrokerMetrics } from '../metrics/broker-metrics.js'
import type { Logger } from '../../util/logger.js'
import type { Scheduler } from '../../util/scheduler.js'
import type { Partition } from './partition.js'
import type { FollowerFetcher } from './replica-manager.js'
import type { ReplicationQuotaManager } from '../quota/replication-quota.js'

export interface ReplicaFetcherConfig {
  readonly brokerId: number
  readonly clientId: string
  /**
   * The leader's endpoint on the inter-broker listener, with the TLS and SASL settings to reach it (undefined while
   * it is not known).
   */
  readonly endpointOf: (brokerId: number) => BrokerAddress | undefined
  readonly fetchMaxBytes: number
  readonly fetchResponseMaxBytes: number
  readonly fetchWaitMaxMs: number
  readonly fetchMinBytes: number
  readonly fetchBackoffMs: number
  readonly socketTimeoutMs: number
  /** Called after data was appended or the high watermark moved, so the replica manager can wake waiters. */
  readonly onProgress: (p: Partition) => void
  /** Runs the back-offs and the request timeouts; tells the time. */
  readonly scheduler: Scheduler
  readonly log: Logger
  /** Counts the bytes appended from leaders (ReplicationBytesInPerSec). */
  readonly metrics?: BrokerMetrics
  /** The follower side of replication throttles (KIP-73): what this broker fetches from leaders. */
  readonly quota?: ReplicationQuotaManager
}

interface FetchState {
  readonly p: Partition
  /** The leader epoch this state was created for; a different one means the partition moved on. */
  readonly leaderEpoch: number
  truncating: boolean
  delayedUntil: number
  /**
   * How far the last fetch left us behind the leader's high watermark (undefined before the first one); in sync
   * at 0 (PartitionFetchState.isReplicaInSync), and only a replica that is not in sync is ever throttled.
   */
  lag?: number
  /** The error last logged for this partition: a retry that fails the same way is not logged again. */
  lastError?: number
}

const FetchApi = Apis.Fetch
const ListOffsetsApi = Apis.ListOffsets
const OffsetForLeaderEpochApi = Apis.OffsetForLeaderEpoch

class ReplicaFetcherThread {
  readonly partitions = new Map<string, FetchState>()
  private client: BrokerClient | undefined
  private stopped = false
  /** Wakes a back-off sleep when the fetcher stops. */
  private readonly stopping = new AbortController()
  private loop: Promise<void> | undefined
  private readonly name: string
  /** The connection of the Fetch request on its way to the leader (a long poll there), if one is. */
  private polling: BrokerClient | undefined
  /** Set when the partitions changed: the fetch being planned must be planned again with them. */
  private changed = false
  /** Set when we closed the connection of a long poll ourselves (see add): not an error, no back-off. */
  private interrupted = false

  constructor(
    readonly leaderId: number,
    private readonly cfg: ReplicaFetcherConfig,
  ) {
    this.name = `[ReplicaFetcher replicaId=${cfg.brokerId}, leaderId=${leaderId}, fetcherId=0]`
  }

  add(p: Partition): void {
    this.partitions.set(p.key, { p, leaderEpoch: p.leaderEpoch, truncating: true, delayedUntil: 0 })
    // One line for the partitions added together (Kafka: "Added fetcher to broker N for partitions ...").
    if (this.added.length === 0) queueMicrotask(() => this.logAdded())
    this.added.push(`${p.key} (leader epoch ${p.leaderEpoch}, log end offset ${p.log?.logEndOffset})`)
    this.changed = true
    // A fetch long-polling at the leader does not carry this partition (or carries its old leader epoch), and the
    // next one only starts once it came back: up to replica.fetch.wait.max.ms when the other partitions are idle,
    // and an acks=all write to the new partition waits as long (a topic created beside idle ones: every follower
    // waited up to 500 ms before it fetched it). Kafka's fetcher threads wait so; here the poll is dropped (its
    // connection closed, the leader's answer to it goes nowhere) and the fetcher reconnects and fetches at once
    // with the partition. Partitions are added by LeaderAndIsr, so this is rare; a batch of them drops one poll.
    if (this.polling) this.interrupt(this.polling)
    this.loop ??= this.run().finally(() => (this.loop = undefined))
  }

  private interrupt(client: BrokerClient): void {
    this.polling = undefined
    this.interrupted = true
    if (this.client === client) this.client = undefined
    client.close()
  }

  private added: string[] = []

  private logAdded(): void {
    const added = this.added
    this.added = []
    if (added.length > 0)
      this.cfg.log.info(
        `${this.name} Added fetcher to broker ${this.leaderId} for partitions ${added.join(', ')}`,
      )
  }

  /** Logs a partition's fetch error once, not on every retry. */
  private logError(s: FetchState, code: number, message: string): void {
    if (s.lastError === code) return
    s.lastError = code
    this.cfg.log.info(message)
  }

  remove(key: string): boolean {
    return this.partitions.delete(key)
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.stopping.abort()
    this.client?.close()
    await this.loop
  }

  private valid(s: FetchState): boolean {
    return (
      this.partitions.get(s.p.key) === s &&
      s.p.leaderId === this.leaderId &&
      s.p.leaderEpoch === s.leaderEpoch &&
      s.p.log !== undefined
    )
  }

  private async connect(): Promise<BrokerClient | undefined> {
    if (this.client?.isOpen) return this.client
    const ep = this.cfg.endpointOf(this.leaderId)
    if (!ep) return undefined
    try {
      this.client = await BrokerClient.connect({
        ...ep,
        clientId: this.cfg.clientId,
        requestTimeoutMs: this.cfg.socketTimeoutMs,
        scheduler: this.cfg.scheduler,
      })
      return this.client
    } catch (e) {
      this.cfg.log.warn(
        `${this.name} Error connecting to leader ${this.leaderId} at ${ep.host}:${ep.port}: ${(e as Error).message}`,
      )
      return undefined
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped && this.partitions.size > 0) {
      const client = await this.connect()
      if (!client) {
        await this.sleep(this.cfg.fetchBackoffMs)
        continue
      }
      try {
        this.changed = false
        const now = this.cfg.scheduler.clock.now()
        const ready = [...this.partitions.values()].filter((s) => s.delayedUntil <= now && this.valid(s))
        const truncating = ready.filter((s) => s.truncating)
        if (truncating.length > 0) await this.truncate(client, truncating)
        // partitions added while the truncation was on its way: plan again with them (from here to the fetch's
        // send nothing waits, so a later add finds the fetch polling and drops it)
        if (this.changed) continue
        const fetching = ready.filter((s) => !s.truncating && this.valid(s) && !this.throttled(s))
        if (fetching.length === 0) {
          await this.sleep(Math.min(this.cfg.fetchBackoffMs, 100))
          continue
        }
        await this.fetch(client, fetching)
      } catch (e) {
        this.polling = undefined
        if (this.stopped) return
        if (this.interrupted) {
          this.interrupted = false
          continue
        }
        const msg = e instanceof BrokerClientError ? e.message : String(e)
        this.cfg.log.warn(`${this.name} Error in fetch from leader ${this.leaderId}: ${msg}`)
        this.client?.close()
        this.client = undefined
        await this.sleep(this.cfg.fetchBackoffMs)
      }
    }
  }

  /** ReplicaFetcherThread.shouldFollowerThrottle: a throttled replica that is not in sync, over the quota. */
  private throttled(s: FetchState): boolean {
    const q = this.cfg.quota
    return q !== undefined && q.shouldThrottle(s.p.topic, s.p.partition, s.lag === 0)
  }

  private sleep(ms: number): Promise<void> {
    return this.cfg.scheduler.sleep(ms, this.stopping.signal)
  }

  /** Kafka's leader-epoch based truncation (getOffsetTruncationState), repeated until it converges. */
  private async truncate(client: BrokerClient, states: FetchState[]): Promise<void> {
    const version = client.version(OffsetForLeaderEpochApi.key, 4, 3)
    const byTopic = new Map<string, FetchState[]>()
    for (const s of states) {
      const list = byTopic.get(s.p.topic) ?? []
      list.push(s)
      byTopic.set(s.p.topic, list)
    }
    const res = await client.send(OffsetForLeaderEpochApi, version, {
      replicaId: this.cfg.brokerId,
      topics: [...byTopic].map(([topic, ss]) => ({
        topic,
        partitions: ss.map((s) => ({
          partition: s.p.partition,
          currentLeaderEpoch: s.leaderEpoch,
          leaderEpoch: s.p.log!.latestEpoch() ?? -1,
        })),
      })),
    })
    for (const t of res.topics) {
      for (const r of t.partitions) {
        const s = this.partitions.get(`${t.topic}-${r.partition}`)
        if (!s || !this.valid(s)) continue
        const log = s.p.log!
        if (r.errorCode !== ErrorCode.NONE) {
          this.logError(
            s,
            r.errorCode,
            `${this.name} OffsetForLeaderEpoch for ${s.p.key} failed with ${errorName(r.errorCode)}; retrying later`,
          )
          s.delayedUntil = this.cfg.scheduler.clock.now() + this.cfg.fetchBackoffMs
          continue
        }
        const leo = log.logEndOffset
        let target: number
        let done = true
        const ourEpoch = log.latestEpoch()
        if (r.endOffset < 0 || ourEpoch === undefined) {
          // The leader knows nothing of our epochs (or we have none): keep what is known to be committed.
          target = Math.min(log.highWatermark, leo)
        } else if (r.leaderEpoch < 0) {
          target = Math.min(r.endOffset, leo)
        } else {
          const ours = log.endOffsetForEpoch(r.leaderEpoch)
          if (ours && ours.epoch === r.leaderEpoch) target = Math.min(r.endOffset, ours.endOffset)
          else if (ours) {
            target = Math.min(ours.endOffset, leo)
            done = false
          } else target = Math.min(log.highWatermark, leo)
        }
        if (target < leo) {
          this.cfg.log.info(
            `${this.name} Truncating partition ${s.p.key} with TruncationState(offset=${target}, completed=${done}) due to leader epoch and offset EpochEndOffset(errorCode=0, partition=${r.partition}, leaderEpoch=${r.leaderEpoch}, endOffset=${r.endOffset})`,
          )
          log.truncateTo(target)
        }
        s.truncating = !done && target < leo
      }
    }
  }

  private async fetch(client: BrokerClient, states: FetchState[]): Promise<void> {
    const version = client.version(FetchApi.key, 12, 4)
    const byTopic = new Map<string, FetchState[]>()
    for (const s of states) {
      const list = byTopic.get(s.p.topic) ?? []
      list.push(s)
      byTopic.set(s.p.topic, list)
    }
    const offsets = new Map(states.map((s) => [s.p.key, s.p.log!.logEndOffset]))
    this.polling = client
    const res = await client.send(
      FetchApi,
      version,
      {
        replicaId: this.cfg.brokerId,
        maxWaitMs: this.cfg.fetchWaitMaxMs,
        minBytes: this.cfg.fetchMinBytes,
        maxBytes: this.cfg.fetchResponseMaxBytes,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [...byTopic].map(([topic, ss]) => ({
          topic,
          partitions: ss.map((s) => ({
            partition: s.p.partition,
            currentLeaderEpoch: s.leaderEpoch,
            fetchOffset: offsets.get(s.p.key)!,
            lastFetchedEpoch: -1,
            logStartOffset: s.p.log!.logStartOffset,
            partitionMaxBytes: this.cfg.fetchMaxBytes,
          })),
        })),
      },
      this.cfg.fetchWaitMaxMs + this.cfg.socketTimeoutMs,
    )
    this.polling = undefined // (a failed send: run's catch clears it)
    for (const t of res.responses) {
      for (const r of t.partitions) {
        const key = `${t.topic}-${r.partitionIndex}`
        const s = this.partitions.get(key)
        if (!s || !this.valid(s)) continue
        const log = s.p.log!
        if (log.logEndOffset !== offsets.get(key)) continue // truncated or reset meanwhile
        switch (r.errorCode) {
          case ErrorCode.NONE: {
            s.lastError = undefined
            const records = r.records
            const n = records ? completeBatchesLength(records) : 0
            if (n > 0) {
              log.appendAsFollower(records!.subarray(0, n))
              this.cfg.metrics?.replicated(n)
              // In-sync traffic counts too, so that the total stays within the bound.
              if (this.cfg.quota?.isThrottled(s.p.topic, s.p.partition)) this.cfg.quota.record(n)
            }
            s.lag = Math.max(0, r.highWatermark - log.logEndOffset)
            log.updateHighWatermark(Math.min(r.highWatermark, log.logEndOffset))
            if (r.logStartOffset > log.logStartOffset && r.logStartOffset <= log.highWatermark) {
              log.maybeIncrementLogStartOffset(r.logStartOffset, 'LeaderOffsetIncremented')
            }
            this.cfg.onProgress(s.p)
            break
          }
          case ErrorCode.OFFSET_OUT_OF_RANGE:
            await this.handleOutOfRange(client, s)
            break
          default:
            this.logError(
              s,
              r.errorCode,
              `${this.name} Error ${errorName(r.errorCode)} fetching ${key} from leader ${this.leaderId}; backing off`,
            )
            s.delayedUntil = this.cfg.scheduler.clock.now() + this.cfg.fetchBackoffMs
        }
      }
    }
  }

  /** Kafka's handleOutOfRangeError: reset to the leader's log end (we are ahead) or log start (we fell behind). */
  private async handleOutOfRange(client: BrokerClient, s: FetchState): Promise<void> {
    const version = client.version(ListOffsetsApi.key, 7, 1)
    const ask = async (timestamp: number): Promise<number> => {
      const res = await client.send(ListOffsetsApi, version, {
        replicaId: this.cfg.brokerId,
        topics: [
          {
            name: s.p.topic,
            partitions: [{ partitionIndex: s.p.partition, currentLeaderEpoch: s.leaderEpoch, timestamp }],
          },
        ],
      })
      const p = res.topics[0]?.partitions[0]
      if (!p || p.errorCode !== ErrorCode.NONE)
        throw new BrokerClientError(`ListOffsets for ${s.p.key}: ${errorName(p?.errorCode ?? -1)}`)
      return p.offset
    }
    const log = s.p.log!
    const leaderEnd = await ask(-1)
    if (leaderEnd < log.logEndOffset) {
      this.cfg.log.warn(
        `${this.name} Reset fetch offset for ${s.p.key} from ${log.logEndOffset} to the leader's end offset ${leaderEnd}`,
      )
      log.truncateTo(leaderEnd)
      return
    }
    const leaderStart = await ask(-2)
    if (log.logEndOffset < leaderStart) {
      this.cfg.log.warn(
        `${this.name} Our log end offset ${log.logEndOffset} of ${s.p.key} is below the leader's log start ${leaderStart}; restarting the log there`,
      )
      log.truncateFullyAndStartAt(leaderStart)
    }
  }
}

export class ReplicaFetcherManager implements FollowerFetcher {
  private readonly fetchers = new Map<number, ReplicaFetcherThread>()

  constructor(private readonly cfg: ReplicaFetcherConfig) {}

  addPartition(p: Partition): void {
    let f = this.fetchers.get(p.leaderId)
    if (!f) {
      f = new ReplicaFetcherThread(p.leaderId, this.cfg)
      this.fetchers.set(p.leaderId, f)
    }
    f.add(p)
  }

  removePartition(key: string): void {
    for (const [leader, f] of this.fetchers) {
      if (f.remove(key) && f.partitions.size === 0) {
        this.fetchers.delete(leader)
        void f.stop()
      }
    }
  }

  throttledByteRate(): number {
    return this.cfg.quota?.rate() ?? 0
  }

  async shutdown(): Promise<void> {
    const all = [...this.fetchers.values()]
    this.fetchers.clear()
    await Promise.all(all.map((f) => f.stop()))
  }
}
