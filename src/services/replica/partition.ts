/**
 * One partition as this broker sees it (Kafka's Partition): its log, the replica set, the leader and leader
 * epoch, the ISR and the partition epoch (the state znode's zkVersion), and — as leader — what every follower
 * has fetched, from which the high watermark and ISR membership are derived.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import type { Log } from '../log/log.js'
import type { LeaderAndIsr } from '../metadata/znodes.js'

export interface FollowerState {
  /** Log end offset the follower reported with its last fetch (-1 = unknown). */
  leo: number
  lastFetchTimeMs: number
  /** Leader LEO at the time of the follower's previous fetch (Kafka's lastFetchLeaderLogEndOffset). */
  lastFetchLeaderLeo: number
  lastCaughtUpTimeMs: number
}

export class Partition {
  readonly key: string
  log: Log | undefined
  topicId = ''
  replicas: readonly number[] = []
  isr: readonly number[] = []
  leaderId = -1
  leaderEpoch = -1
  /** zkVersion of the partition state znode: Kafka's partition epoch. */
  partitionEpoch = -1
  /** Offset at which this broker's current leadership started. */
  leaderEpochStartOffset = -1
  readonly followers = new Map<number, FollowerState>()
  /** An ISR change of ours that has been written (or is being written) but not yet seen back. */
  pendingIsr: readonly number[] | null = null

  constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly brokerId: number,
  ) {
    this.key = `${topic}-${partition}`
  }

  get isLeader(): boolean {
    return this.leaderId === this.brokerId
  }

  requireLog(): Log {
    if (!this.log)
      throw new KafkaError(
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        `no log for ${this.key} on broker ${this.brokerId}`,
      )
    return this.log
  }

  /** Kafka's check of a request's current_leader_epoch against ours. */
  checkLeaderEpoch(requestEpoch: number): void {
    if (requestEpoch === -1) return
    if (requestEpoch < this.leaderEpoch) {
      throw new KafkaError(
        ErrorCode.FENCED_LEADER_EPOCH,
        `leader epoch ${requestEpoch} is older than ${this.leaderEpoch}`,
      )
    }
    if (requestEpoch > this.leaderEpoch) {
      throw new KafkaError(
        ErrorCode.UNKNOWN_LEADER_EPOCH,
        `leader epoch ${requestEpoch} is newer than ${this.leaderEpoch}`,
      )
    }
  }

  state(controllerEpoch: number): LeaderAndIsr {
    return {
      leader: this.leaderId,
      leaderEpoch: this.leaderEpoch,
      isr: this.isr,
      controllerEpoch,
      leaderRecoveryState: 0,
    }
  }

  /**
   * The high watermark the leader may advance to: the smallest log end offset among itself and the ISR
   * followers (Kafka: maybeIncrementLeaderHW over the ISR).
   */
  computeHighWatermark(): number {
    const log = this.requireLog()
    let hw = log.logEndOffset
    for (const r of this.isr) {
      if (r === this.brokerId) continue
      const f = this.followers.get(r)
      if (!f || f.leo < 0) return log.highWatermark
      hw = Math.min(hw, f.leo)
    }
    return hw
  }
}
