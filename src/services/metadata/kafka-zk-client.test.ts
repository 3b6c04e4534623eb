import { describe, expect, it } from 'vitest'
import { silentLogger } from '../../util/logger.js'
import { KafkaZkClient } from './kafka-zk-client.js'
import { LocalMetadataStore } from './local-store.js'
import { StoreError } from './store.js'
import { Paths } from './znodes.js'

describe('KafkaZkClient', () => {
  it('controller election: a multi retried after a lost connection that finds its own first attempt is a win', async () => {
    const store = new LocalMetadataStore(undefined)
    const zk = new KafkaZkClient(store, silentLogger)
    await zk.createTopLevelPaths()
    // The first attempt is applied, its answer lost; the retry then fails with NODE_EXISTS.
    const multi = store.multi.bind(store)
    store.multi = async (ops) => {
      await multi(ops)
      throw new StoreError('NODE_EXISTS', Paths.controller)
    }
    const won = await zk.tryElectController(3)
    expect(won).toEqual({ epoch: 1, epochZkVersion: 1 })
    expect(await zk.getControllerId()).toBe(3)
  })

  it('controller election lost to another broker is a loss', async () => {
    const store = new LocalMetadataStore(undefined)
    const zk = new KafkaZkClient(store, silentLogger)
    await zk.createTopLevelPaths()
    expect(await zk.tryElectController(1)).toEqual({ epoch: 1, epochZkVersion: 1 })
    expect(await zk.tryElectController(2)).toBeNull()
  })

  it('deregistration and resignation delete only our own ephemeral znodes', async () => {
    const store = new LocalMetadataStore(undefined)
    const zk = new KafkaZkClient(store, silentLogger)
    await zk.createTopLevelPaths()
    // A persistent znode where an ephemeral one is expected (written by someone else) is left alone.
    await store.create(Paths.brokerId(1), Buffer.from('{}'), 'persistent')
    expect(await zk.deregisterBroker(1)).toBe(false)
    expect(await store.exists(Paths.brokerId(1))).not.toBeNull()
    expect(await zk.tryElectController(1)).not.toBeNull()
    expect(await zk.resignController()).toBe(true)
    expect(await store.exists(Paths.controller)).toBeNull()
    expect(await zk.resignController()).toBe(false)
  })
})
