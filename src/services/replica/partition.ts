/**
 * One partition as this broker sees it (Kafka's Partition): its log, the replica assignment, the leader and leader
 * epoch, the ISR and the partition epoch (the state znode's zkVersion), and — as leader — what every follower has
 * fetched, from which the high watermark and ISR membership are derived.
 *
 * The partition owns its role transitions (makeLeader / makeFollower / stop, as Kafka's Partition does on a
 * LeaderAndIsr or StopReplica request) and the follower bookkeeping; the replica manager decides when to call
 * them, writes ISR changes to the metadata store and wakes the requests waiting on the partition. Nothing else
 * changes a partition's fields.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import type { Log } from '../log/log.js'
import type { LeaderAndIsr, ReplicaAssignment } from '../metadata/znodes.js'

export type { ReplicaAssignment }

export interface FollowerState {
  /** Log end offset the follower reported with its last fetch (-1 = unknown). */
  leo: number
  lastFetchTimeMs: number
  /** Leader LEO at the time of the follower's previous fetch (Kafka's lastFetchLeaderLogEndOffset). */
  lastFetchLeaderLeo: number
  lastCaughtUpTimeMs: number
  /** Log start offset the follower reported with its last fetch (-1 = unknown). */
  logStartOffset: number
}

/** The state of a partition to apply, as the controller wrote it (Kafka's LeaderAndIsrPartitionState). */
export interface PartitionStateUpdate {
  readonly state: LeaderAndIsr
  /** zkVersion of the state znode. */
  readonly partitionEpoch: number
  readonly assignment: ReplicaAssignment
}

export class Partition {
  readonly key: string
  private _log: Log | undefined
  private _topicId = ''
  private _assignment: ReplicaAssignment = { replicas: [], addingReplicas: [], removingReplicas: [] }
  private _isr: readonly number[] = []
  private _leaderId = -1
  private _leaderEpoch = -1
  private _partitionEpoch = -1
  private _leaderEpochStartOffset = -1
  private readonly _followers = new Map<number, FollowerState>()
  private _pendingIsr: readonly number[] | null = null

  constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly brokerId: number,
  ) {
    this.key = `${topic}-${partition}`
  }

  get log(): Log | undefined {
    return this._log
  }

  get topicId(): string {
    return this._topicId
  }

  /** The full replica set (during a reassignment: the target replicas and the ones being removed). */
  get replicas(): readonly number[] {
    return this._assignment.replicas
  }

  get assignment(): ReplicaAssignment {
    return this._assignment
  }

  get isr(): readonly number[] {
    return this._isr
  }

  get leaderId(): number {
    return this._leaderId
  }

  get leaderEpoch(): number {
    return this._leaderEpoch
  }

  /** zkVersion of the partition state znode: Kafka's partition epoch. */
  get partitionEpoch(): number {
    return this._partitionEpoch
  }

  /** Offset at which this broker's current leadership started. */
  get leaderEpochStartOffset(): number {
    return this._leaderEpochStartOffset
  }

  /** As leader: what each follower has fetched (read-only outside Partition, which alone changes it). */
  get followers(): ReadonlyMap<number, Readonly<FollowerState>> {
    return this._followers
  }

  /** An ISR change of ours that has been written (or is being written) but not yet seen back. */
  get pendingIsr(): readonly number[] | null {
    return this._pendingIsr
  }

  get isLeader(): boolean {
    return this._leaderId === this.brokerId
  }

  requireLog(): Log {
    if (!this._log)
      throw new KafkaError(
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        `no log for ${this.key} on broker ${this.brokerId}`,
      )
    return this._log
  }

  /** The log this replica reads and writes (opened or created by the log manager). */
  attachLog(log: Log): void {
    this._log = log
  }

  setTopicId(id: string): void {
    this._topicId = id
  }

  /** Kafka's check of a request's current_leader_epoch against ours. */
  checkLeaderEpoch(requestEpoch: number): void {
    if (requestEpoch === -1) return
    if (requestEpoch < this._leaderEpoch) {
      throw new KafkaError(
        ErrorCode.FENCED_LEADER_EPOCH,
        `leader epoch ${requestEpoch} is older than ${this._leaderEpoch}`,
      )
    }
    if (requestEpoch > this._leaderEpoch) {
      throw new KafkaError(
        ErrorCode.UNKNOWN_LEADER_EPOCH,
        `leader epoch ${requestEpoch} is newer than ${this._leaderEpoch}`,
      )
    }
  }

  state(controllerEpoch: number): LeaderAndIsr {
    return {
      leader: this._leaderId,
      leaderEpoch: this._leaderEpoch,
      isr: this._isr,
      controllerEpoch,
      leaderRecoveryState: 0,
    }
  }

  /**
   * Kafka's Partition.makeLeader. Returns true when this starts a new leadership (a new leader epoch): the caller
   * then stops fetching the partition and tells the leadership listeners. On a new epoch the leader epoch starts at
   * the log end offset and the followers' fetch state starts over (Kafka's resetReplicaState): a new leader knows
   * nothing of its followers yet; a leader re-elected in a new epoch keeps the log end offsets they reported. ISR
   * members count as caught up now, the others as never.
   */
  makeLeader(update: PartitionStateUpdate, now: number): boolean {
    const { state } = update
    const log = this.requireLog()
    const wasLeader = this.isLeader
    const newEpoch = state.leaderEpoch !== this._leaderEpoch
    this._isr = state.isr
    this._partitionEpoch = update.partitionEpoch
    this._pendingIsr = null
    this.setAssignment(update.assignment)
    if (wasLeader && !newEpoch) return false
    this._leaderId = this.brokerId
    this._leaderEpoch = state.leaderEpoch
    this._leaderEpochStartOffset = log.logEndOffset
    log.assignLeaderEpoch(state.leaderEpoch, log.logEndOffset)
    for (const [r, f] of this._followers) {
      const inSync = this._isr.includes(r)
      if (!wasLeader) f.leo = -1
      f.lastFetchLeaderLeo = wasLeader ? this._leaderEpochStartOffset : -1
      f.lastFetchTimeMs = wasLeader && inSync ? now : 0
      f.lastCaughtUpTimeMs = inSync ? now : 0
    }
    return true
  }

  /**
   * The replica set (a reassignment's step may come before or after the state change it goes with). As leader,
   * followers that joined get a fetch state (never caught up) and those that left lose theirs.
   */
  private setAssignment(assignment: ReplicaAssignment): void {
    this._assignment = assignment
    for (const r of [...this._followers.keys()])
      if (!assignment.replicas.includes(r)) this._followers.delete(r)
    for (const r of assignment.replicas) {
      if (r === this.brokerId || this._followers.has(r)) continue
      this._followers.set(r, {
        leo: -1,
        lastFetchTimeMs: 0,
        lastFetchLeaderLeo: -1,
        lastCaughtUpTimeMs: 0,
        logStartOffset: -1,
      })
    }
  }

  /**
   * Kafka's Partition.makeFollower. Returns true when the leader or the leader epoch changed: the caller then
   * (re)starts fetching from the new leader.
   */
  makeFollower(update: PartitionStateUpdate): boolean {
    const { state } = update
    const leaderChanged = this._leaderId !== state.leader || this._leaderEpoch !== state.leaderEpoch
    this._assignment = update.assignment
    this._isr = state.isr
    this._partitionEpoch = update.partitionEpoch
    this._pendingIsr = null
    if (!leaderChanged) return false
    this._leaderId = state.leader
    this._leaderEpoch = state.leaderEpoch
    this._followers.clear()
    return true
  }

  /** The replica is no longer hosted here (StopReplica): no role, no log. */
  stop(): void {
    this._leaderId = -1
    this._log = undefined
  }

  /**
   * A follower fetched at `fetchOffset` while our log ended at `leaderLeo` (Kafka's updateFollowerFetchState).
   * Returns false for a broker that is not a follower of this partition.
   */
  updateFollowerFetchState(
    replicaId: number,
    fetchOffset: number,
    leaderLeo: number,
    now: number,
    logStartOffset = -1,
  ): boolean {
    const f = this._followers.get(replicaId)
    if (!f) return false
    if (fetchOffset >= leaderLeo) f.lastCaughtUpTimeMs = now
    else if (fetchOffset >= f.lastFetchLeaderLeo && f.lastFetchLeaderLeo >= 0)
      f.lastCaughtUpTimeMs = Math.max(f.lastCaughtUpTimeMs, f.lastFetchTimeMs)
    f.lastFetchLeaderLeo = leaderLeo
    f.lastFetchTimeMs = now
    f.leo = fetchOffset
    f.logStartOffset = logStartOffset
    return true
  }

  /**
   * The ISR with `replicaId` added, when that follower has caught up (Kafka's maybeExpandIsr: its log end offset
   * reached the high watermark and the start of the current leader epoch) and no ISR change is pending; else null.
   */
  isrExpansion(replicaId: number, isAlive: (id: number) => boolean): readonly number[] | null {
    if (!this.isLeader || this._isr.includes(replicaId) || this._pendingIsr) return null
    const f = this._followers.get(replicaId)
    const log = this._log
    if (!f || !log) return null
    if (f.leo >= log.highWatermark && f.leo >= this._leaderEpochStartOffset && isAlive(replicaId))
      return [...this._isr, replicaId]
    return null
  }

  /** ISR followers that have not caught up for longer than `maxLagMs` (Kafka's getOutOfSyncReplicas). */
  outOfSyncReplicas(now: number, maxLagMs: number): number[] {
    if (!this.isLeader || !this._log || this._pendingIsr) return []
    return this._isr.filter((r) => {
      if (r === this.brokerId) return false
      const f = this._followers.get(r)
      return !f || now - f.lastCaughtUpTimeMs > maxLagMs
    })
  }

  /** An ISR change of ours is being written. */
  beginIsrUpdate(isr: readonly number[]): void {
    this._pendingIsr = isr
  }

  /** Whether `isr` is still the change being written (no other state was applied meanwhile). */
  isPendingIsr(isr: readonly number[]): boolean {
    return this._pendingIsr === isr
  }

  /** The ISR change was written as `partitionEpoch`. */
  completeIsrUpdate(isr: readonly number[], partitionEpoch: number): void {
    this._pendingIsr = null
    this._isr = isr
    this._partitionEpoch = partitionEpoch
  }

  /** The ISR change was not written (the state moved on, or the write failed). */
  abortIsrUpdate(): void {
    this._pendingIsr = null
  }

  /**
   * The high watermark the leader may advance to: the smallest log end offset among itself and the ISR
   * followers (Kafka: maybeIncrementLeaderHW over the ISR). The leader's own counts up to what is in its files
   * (Log.writtenEndOffset: produce appends still on their way to the file do not count yet).
   */
  computeHighWatermark(): number {
    const log = this.requireLog()
    let hw = log.writtenEndOffset
    for (const r of this._isr) {
      if (r === this.brokerId) continue
      const f = this._followers.get(r)
      if (!f || f.leo < 0) return log.highWatermark
      hw = Math.min(hw, f.leo)
    }
    return hw
  }

  /** As leader, moves the high watermark up to what the ISR has; returns whether it moved. */
  maybeIncrementHighWatermark(): boolean {
    if (!this.isLeader || !this._log) return false
    const hw = this.computeHighWatermark()
    if (hw <= this._log.highWatermark) return false
    this._log.updateHighWatermark(hw)
    return true
  }
}
