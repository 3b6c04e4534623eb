import { describe, expect, it } from 'vitest'
import { silentLogger } from '../../util/logger.js'
import { KafkaZkClient } from './kafka-zk-client.js'
import { LocalMetadataStore } from './local-store.js'
import { MetadataCache } from './metadata-cache.js'
import { createBehindFirstRead } from './test-helpers.js'
import { encodePartitionState, encodeTopicAssignment, Paths } from './znodes.js'

const state = encodePartitionState({
  leader: 0,
  leaderEpoch: 0,
  isr: [0],
  controllerEpoch: 1,
  leaderRecoveryState: 0,
})

describe('MetadataCache', () => {
  it('learns a partition state the controller creates between its read and its watch', async () => {
    const store = new LocalMetadataStore(undefined)
    const zk = new KafkaZkClient(store, silentLogger)
    await zk.createTopLevelPaths()
    await store.create(
      Paths.topic('t'),
      encodeTopicAssignment({
        partitions: new Map([[0, [0]]]),
        topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
        addingReplicas: new Map(),
        removingReplicas: new Map(),
      }),
    )
    // The first read of the state finds nothing; the controller writes it right after that read.
    const raced = createBehindFirstRead(store, Paths.partitionState('t', 0), state)
    const cache = new MetadataCache(zk, silentLogger, 0)
    await cache.start('cluster')
    expect(raced()).toBe(true)
    expect(cache.partition('t', 0)?.state?.leader).toBe(0)
    cache.stop()
  })
})
