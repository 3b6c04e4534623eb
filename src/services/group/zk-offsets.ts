/**
 * OffsetCommit v0 and OffsetFetch v0 keep offsets in ZooKeeper in ZooKeeper-mode Kafka ("For version 0,
 * always store offsets in ZK", KafkaApis 3.9): `/consumers/<group>/offsets/<topic>/<partition>` holds the
 * offset as decimal text (`KafkaZkClient.setOrCreateConsumerOffset` / `getConsumerOffset`). No group
 * coordination is involved. This implementation works on the broker's metadata store (ZooKeeper, or the
 * standalone file store with the same layout).
 */
import { ensurePath, isStoreError, type MetadataStore } from '../metadata/store.js'

export interface ZkConsumerOffsetStore {
  setOrCreateConsumerOffset(group: string, topic: string, partition: number, offset: number): Promise<void>
  /** The stored offset, or null when there is none. */
  getConsumerOffset(group: string, topic: string, partition: number): Promise<number | null>
}

const offsetPath = (group: string, topic: string, partition: number): string =>
  `/consumers/${group}/offsets/${topic}/${partition}`

export class MetadataStoreConsumerOffsets implements ZkConsumerOffsetStore {
  constructor(private readonly store: MetadataStore) {}

  async setOrCreateConsumerOffset(
    group: string,
    topic: string,
    partition: number,
    offset: number,
  ): Promise<void> {
    const path = offsetPath(group, topic, partition)
    const data = Buffer.from(String(offset), 'utf8')
    try {
      await this.store.setData(path, data)
    } catch (e) {
      if (!isStoreError(e, 'NO_NODE')) throw e
      await ensurePath(this.store, path, data)
      // ensurePath leaves an existing node alone: a concurrent creation wins the race, then this write does.
      await this.store.setData(path, data)
    }
  }

  async getConsumerOffset(group: string, topic: string, partition: number): Promise<number | null> {
    const r = await this.store.getData(offsetPath(group, topic, partition))
    if (r === null) return null
    const n = Number(r.data.toString('utf8').trim())
    return Number.isFinite(n) ? n : null
  }
}

/** An in-memory `ZkConsumerOffsetStore` (tests). */
export class InMemoryConsumerOffsets implements ZkConsumerOffsetStore {
  readonly offsets = new Map<string, number>()

  async setOrCreateConsumerOffset(
    group: string,
    topic: string,
    partition: number,
    offset: number,
  ): Promise<void> {
    this.offsets.set(offsetPath(group, topic, partition), offset)
  }

  async getConsumerOffset(group: string, topic: string, partition: number): Promise<number | null> {
    return this.offsets.get(offsetPath(group, topic, partition)) ?? null
  }
}
