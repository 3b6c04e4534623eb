import { describe, expect, it } from 'vitest'
import { LocalMetadataStore } from '../metadata/local-store.js'
import { MetadataStoreConsumerOffsets } from './zk-offsets.js'

describe('MetadataStoreConsumerOffsets', () => {
  it('keeps v0 offsets where ZooKeeper-mode Kafka does, as decimal text', async () => {
    const store = new LocalMetadataStore(undefined)
    const offsets = new MetadataStoreConsumerOffsets(store)
    expect(await offsets.getConsumerOffset('g', 't', 0)).toBeNull()
    await offsets.setOrCreateConsumerOffset('g', 't', 0, 42)
    expect((await store.getData('/consumers/g/offsets/t/0'))!.data.toString()).toBe('42')
    await offsets.setOrCreateConsumerOffset('g', 't', 0, 43)
    expect(await offsets.getConsumerOffset('g', 't', 0)).toBe(43)
  })
})
