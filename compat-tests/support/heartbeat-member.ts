/**
 * A KIP-848 consumer group member written from the protocol (no npm or Debian client sends ConsumerGroupHeartbeat
 * v1 yet): it heartbeats with the repo's codec as a client would and gives up revoked partitions at once.
 */
import { randomBytes } from 'node:crypto'
import { Apis } from '../../src/protocol/messages/index.js'
import { withRaw } from './groups.js'

export type TopicPartitions = { topicId: string; partitions: number[] }

export class HeartbeatMember {
  readonly memberId = randomBytes(16).toString('base64url')
  epoch = 0
  owned: TopicPartitions[] = []
  constructor(
    readonly groupId: string,
    readonly topic: string,
  ) {}

  /** One heartbeat (joining at epoch 0); `leave` sends epoch -1. */
  async beat(broker: { host: string; port: number }, leave = false) {
    const r = await withRaw(broker, (c) =>
      c.request(Apis.ConsumerGroupHeartbeat, 1, {
        groupId: this.groupId,
        memberId: this.memberId,
        memberEpoch: leave ? -1 : this.epoch,
        rebalanceTimeoutMs: this.epoch === 0 ? 30_000 : -1,
        subscribedTopicNames: this.epoch === 0 ? [this.topic] : null,
        topicPartitions: this.owned,
      }),
    )
    if (r.errorCode === 0 && !leave) {
      this.epoch = r.memberEpoch
      if (r.assignment !== null) this.owned = r.assignment.topicPartitions
    }
    return r
  }

  get count(): number {
    return this.owned.reduce((n, t) => n + t.partitions.length, 0)
  }
}
