import { describe, expect, it } from 'vitest'
import { silentLogger } from '../../util/logger.js'
import { KafkaZkClient } from './kafka-zk-client.js'
import { LocalMetadataStore } from './local-store.js'
import { MetadataCache } from './metadata-cache.js'
import { ensurePath } from './store.js'
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
    const statePath = Paths.partitionState('t', 0)
    const getData = store.getData.bind(store)
    let raced = false
    store.getData = async (p, w) => {
      const r = await getData(p, w)
      if (p === statePath && !raced) {
        raced = true
        await ensurePath(store, Paths.partition('t', 0))
        await store.create(statePath, state)
      }
      return r
    }
    const cache = new MetadataCache(zk, silentLogger, 0)
    await cache.start('cluster')
    expect(raced).toBe(true)
    expect(cache.partition('t', 0)?.state?.leader).toBe(0)
    cache.stop()
  })
})
