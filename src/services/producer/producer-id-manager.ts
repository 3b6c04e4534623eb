/**
 * Producer ids for idempotent producers (Kafka's ZooKeeper-mode ProducerIdManager): ids are handed out from
 * blocks of 1000 claimed in /latest_producer_id_block with a conditional write, so brokers of one cluster never
 * hand out the same id, and a restarted broker never reuses one.
 */
import type { KafkaZkClient } from '../metadata/kafka-zk-client.js'
import type { ProducerIdBlock } from '../metadata/znodes.js'

export class ProducerIdManager {
  private block: ProducerIdBlock | undefined
  private next = 0
  private fetching: Promise<void> | undefined

  constructor(
    private readonly zk: KafkaZkClient,
    private readonly brokerId: number,
  ) {}

  async generateProducerId(): Promise<number> {
    while (!this.block || this.next > this.block.end) {
      this.fetching ??= this.zk.allocateProducerIdBlock(this.brokerId).then(
        (b) => {
          this.block = b
          this.next = b.start
          this.fetching = undefined
        },
        (e: unknown) => {
          this.fetching = undefined
          throw e
        },
      )
      await this.fetching
    }
    return this.next++
  }
}
