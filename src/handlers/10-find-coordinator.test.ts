import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import type { GroupCoordinator } from '../services/group/coordinator.js'
import type { MetadataCache, PartitionInfo } from '../services/metadata/metadata-cache.js'
import type { TopicAdmin } from '../services/metadata/topic-admin.js'
import type { TransactionCoordinator } from '../services/transaction/coordinator.js'
import { DISABLED_AUTHORIZER } from '../services/security/authorizer.js'
import type { BrokerRegistration } from '../services/metadata/znodes.js'
import { findCoordinatorHandler } from './10-find-coordinator.js'
import { testRequestContext } from './test-context.js'

const ctx = (apiVersion: number) => testRequestContext(10, apiVersion)

describe('FindCoordinator', () => {
  it('warns once per leaderless __consumer_offsets partition, and again after it had a leader', async () => {
    const lines: string[] = []
    const log = pino(
      { level: 'warn', base: undefined },
      { write: (l: string) => lines.push((JSON.parse(l) as { msg: string }).msg) },
    )
    const partition: { info: PartitionInfo } = {
      info: {
        topic: '__consumer_offsets',
        partition: 0,
        replicas: [1, 2, 3],
        addingReplicas: [],
        removingReplicas: [],
        state: { leader: -1, leaderEpoch: 3, isr: [2], controllerEpoch: 1, leaderRecoveryState: 0 },
        zkVersion: 3,
      },
    }
    const broker1: BrokerRegistration = {
      id: 1,
      endpoints: [{ listenerName: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: 'h1', port: 9093 }],
      rack: null,
      jmxPort: -1,
      timestamp: 0,
      features: {},
      epoch: 1,
    }
    const cache = {
      brokers: new Map([[1, broker1]]),
      topic: () => ({
        name: '__consumer_offsets',
        id: 'x',
        config: new Map(),
        partitions: new Map([[0, partition.info]]),
      }),
    } as unknown as MetadataCache
    const h = findCoordinatorHandler({
      cache,
      topicAdmin: {} as TopicAdmin,
      groups: { partitionFor: () => 0 } as unknown as GroupCoordinator,
      transactions: { partitionFor: () => 0 } as unknown as TransactionCoordinator,
      log,
      authorizer: DISABLED_AUTHORIZER,
    })
    const find = async (): Promise<number> =>
      ((await h.handle({ key: 'g1', keyType: 0, coordinatorKeys: [] }, ctx(3))) as { errorCode: number })
        .errorCode

    expect(await find()).toBe(15) // COORDINATOR_NOT_AVAILABLE
    expect(await find()).toBe(15)
    expect(lines).toEqual([
      "Group coordinator partition __consumer_offsets-0 has no leader (replicas [1,2,3], ISR [2], live brokers [1]): groups that map to it, such as 'g1', get COORDINATOR_NOT_AVAILABLE until one of its replicas is back. __consumer_offsets has replication factor 3 (offsets.topic.replication.factor): each of its partitions needs a live replica in the ISR.",
    ])
    partition.info = { ...partition.info, state: { ...partition.info.state!, leader: 1, isr: [1] } }
    expect(await find()).toBe(0)
    partition.info = { ...partition.info, state: { ...partition.info.state!, leader: -1 } }
    expect(await find()).toBe(15)
    expect(lines).toHaveLength(2)
  })
})
