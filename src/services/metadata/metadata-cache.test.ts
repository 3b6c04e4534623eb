import { describe, expect, it } from 'vitest'
import { silentLogger } from '../../util/logger.js'
import { KafkaZkClient } from './kafka-zk-client.js'
import { LocalMetadataStore } from './local-store.js'
import { MetadataCache } from './metadata-cache.js'
import { ensurePath, parentOf } from './store.js'
import { createBehindFirstRead, tick } from './test-helpers.js'
import { encodePartitionState, encodeTopicAssignment, Paths, type LeaderAndIsr } from './znodes.js'

const state = encodePartitionState({
  leader: 0,
  leaderEpoch: 0,
  isr: [0],
  controllerEpoch: 1,
  leaderRecoveryState: 0,
})

/** A store with topic `t`: one partition with these replicas (and no state yet). */
async function storeWithTopic(replicas: number[]): Promise<{ store: LocalMetadataStore; zk: KafkaZkClient }> {
  const store = new LocalMetadataStore(undefined)
  const zk = new KafkaZkClient(store, silentLogger)
  await zk.createTopLevelPaths()
  await store.create(
    Paths.topic('t'),
    encodeTopicAssignment({
      partitions: new Map([[0, replicas]]),
      topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
      addingReplicas: new Map(),
      removingReplicas: new Map(),
    }),
  )
  return { store, zk }
}

describe('MetadataCache', () => {
  it('learns a partition state the controller creates between its read and its watch', async () => {
    const { store, zk } = await storeWithTopic([0])
    // The first read of the state finds nothing; the controller writes it right after that read.
    const raced = createBehindFirstRead(store, Paths.partitionState('t', 0), state)
    const cache = new MetadataCache(zk, silentLogger, 0)
    await cache.start('cluster')
    expect(raced()).toBe(true)
    expect(cache.partition('t', 0)?.state?.leader).toBe(0)
    cache.stop()
  })

  it('never goes back to an older partition state: a read overtaken by our own ISR write is dropped', async () => {
    const { store, zk } = await storeWithTopic([0, 1])
    const s0: LeaderAndIsr = {
      leader: 0,
      leaderEpoch: 0,
      isr: [0, 1],
      controllerEpoch: 1,
      leaderRecoveryState: 0,
    }
    await ensurePath(store, parentOf(Paths.partitionState('t', 0)))
    await store.create(Paths.partitionState('t', 0), encodePartitionState(s0))
    const cache = new MetadataCache(zk, silentLogger, 0)
    await cache.start('cluster')
    expect(cache.partition('t', 0)?.zkVersion).toBe(0)
    const seen: number[] = []
    cache.on('partition', (p) => seen.push(p.zkVersion))

    // The controller bumps the leader epoch (version 1); the watch's read of it is held up on its way back...
    const getData = store.getData.bind(store)
    let release: (() => void) | undefined
    store.getData = async (p, w) => {
      const r = await getData(p, w)
      if (p === Paths.partitionState('t', 0) && r?.stat.version === 1 && !release) {
        await new Promise<void>((resolve) => (release = resolve))
      }
      return r
    }
    const s1 = { ...s0, leaderEpoch: 1 }
    expect(await zk.updatePartitionState('t', 0, s1, 0)).toBe(1)
    for (let i = 0; i < 10 && !release; i++) await tick()
    expect(release).toBeDefined()
    // ...while this broker, as leader, shrinks the ISR (version 2) and applies its own write at once.
    const s2 = { ...s1, isr: [0] }
    expect(await zk.updatePartitionState('t', 0, s2, 1)).toBe(2)
    cache.applyOwnWrite('t', 0, s2, 2)
    release!()
    for (let i = 0; i < 10; i++) await tick()
    expect(cache.partition('t', 0)?.zkVersion).toBe(2)
    expect(cache.partition('t', 0)?.state?.isr).toEqual([0])
    expect(seen).toEqual([2]) // never 2 then 1
    cache.stop()
  })
})
