import { afterEach, describe, expect, it } from 'vitest'
import { ErrorCode } from '../../protocol/errors.js'
import { silentLogger } from '../../util/logger.js'
import { ManualScheduler } from '../../util/scheduler.js'
import { eventually } from '../../util/test-helpers.js'
import { KafkaZkClient } from '../metadata/kafka-zk-client.js'
import { LocalMetadataStore } from '../metadata/local-store.js'
import { MetadataCache } from '../metadata/metadata-cache.js'
import { Paths } from '../metadata/znodes.js'
import { Controller, replicaKey, type ControllerConfig } from './controller.js'

const ep = (port: number) => [
  { listenerName: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: '127.0.0.1', port },
]

const register = (zk: KafkaZkClient, id: number) =>
  zk.registerBroker({
    id,
    endpoints: ep(9000 + id),
    rack: null,
    jmxPort: -1,
    timestamp: Date.now(),
    features: {},
  })

/** Writes a topic's znodes as an old tool would (no topic id): partition -> replicas. */
const createTopic = (
  zk: KafkaZkClient,
  name: string,
  partitions: [number, number[]][],
  configs = new Map<string, string>(),
) =>
  zk.createTopic(
    name,
    {
      partitions: new Map(partitions),
      topicId: null,
      addingReplicas: new Map(),
      removingReplicas: new Map(),
    },
    configs,
  )

describe('controller on the local metadata store', () => {
  const stops: (() => Promise<void> | void)[] = []
  afterEach(async () => {
    for (const s of stops.splice(0)) await s()
  })

  async function cluster(
    brokerIds: number[],
    scheduler = new ManualScheduler(),
    overrides: Partial<ControllerConfig> = {},
    beforeStart?: (zk: KafkaZkClient) => Promise<void>,
  ) {
    const store = new LocalMetadataStore(undefined)
    const zk = new KafkaZkClient(store, silentLogger)
    await zk.createTopLevelPaths()
    for (const id of brokerIds) await register(zk, id)
    await beforeStart?.(zk)
    const cache = new MetadataCache(zk, silentLogger, brokerIds[0]!)
    await cache.start(await zk.getOrCreateClusterId())
    const controller = new Controller(
      zk,
      cache,
      {
        brokerId: brokerIds[0]!,
        deleteTopicEnable: true,
        autoLeaderRebalanceEnable: false,
        leaderImbalanceCheckIntervalMs: 300_000,
        leaderImbalancePerBrokerPercentage: 10,
        uncleanLeaderElection: () => false,
        describeLogDirs: () => Promise.resolve({ offlineDirs: 0, onlineReplicas: new Set<string>() }),
        updateMetadata: () => Promise.resolve(),
        ...overrides,
      },
      silentLogger,
      scheduler,
    )
    await controller.start()
    stops.push(
      () => controller.stop(),
      () => cache.stop(),
    )
    return { store, zk, cache, controller, scheduler }
  }

  it('takes up a /controller its own session already holds (an election answered after a reconnect)', async () => {
    // The election went through, but its caller never learned it (the answer was lost with the connection).
    const { controller } = await cluster([1], undefined, {}, async (zk) => {
      expect(await zk.tryElectController(1)).not.toBeNull()
    })
    expect(controller.isActive).toBe(true)
    expect(controller.controllerEpoch).toBe(1)
  })

  it('wins the election and bumps the controller epoch', async () => {
    const { zk, controller } = await cluster([1])
    expect(controller.isActive).toBe(true)
    expect(await zk.getControllerId()).toBe(1)
    expect((await zk.getControllerEpoch())!.epoch).toBe(1)
  })

  it('writes partition states for a topic created in ZooKeeper directly', async () => {
    const { zk, cache } = await cluster([1, 2, 3])
    const partitions = new Map([
      [0, [1, 2, 3]],
      [1, [2, 3, 1]],
    ])
    await zk.createTopic(
      'direct',
      {
        partitions,
        topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
        addingReplicas: new Map(),
        removingReplicas: new Map(),
      },
      new Map(),
    )
    await eventually(() => cache.partition('direct', 1)?.state != null)
    expect(cache.partition('direct', 0)!.state).toMatchObject({ leader: 1, leaderEpoch: 0, isr: [1, 2, 3] })
    expect(cache.partition('direct', 1)!.state).toMatchObject({ leader: 2, isr: [2, 3, 1] })
    const raw = JSON.parse((await zk.store.getData(Paths.partitionState('direct', 0)))!.data.toString())
    expect(raw).toEqual({ controller_epoch: 1, leader: 1, version: 1, leader_epoch: 0, isr: [1, 2, 3] })
  })

  it('gives a topic written without a topic id one, without the brokers seeing it recreated', async () => {
    const { zk, cache } = await cluster([1])
    let removed = 0
    cache.on('topicRemoved', () => removed++)
    await createTopic(zk, 'old-tool', [[0, [1]]])
    await eventually(() => (cache.topic('old-tool')?.id ?? '') !== '')
    const id = cache.topic('old-tool')!.id
    expect((await zk.getTopicAssignment('old-tool'))!.assignment.topicId).toBe(id)
    expect(cache.topicById(id)?.name).toBe('old-tool')
    expect(removed).toBe(0)
  })

  it('moves leadership off a dead broker and takes it out of the ISR', async () => {
    const { zk, cache, store } = await cluster([1, 2, 3])
    await createTopic(zk, 't', [[0, [2, 3, 1]]])
    await eventually(() => cache.partition('t', 0)?.state?.leader === 2)
    await store.delete(Paths.brokerId(2))
    await eventually(() => cache.partition('t', 0)?.state?.leader === 3)
    expect(cache.partition('t', 0)!.state).toMatchObject({ leader: 3, leaderEpoch: 1, isr: [3, 1] })
  })

  it('keeps the last ISR member and marks the partition offline when no ISR replica is alive', async () => {
    const { zk, cache, store } = await cluster([1, 2])
    await createTopic(zk, 'solo', [[0, [2]]])
    await eventually(() => cache.partition('solo', 0)?.state?.leader === 2)
    await store.delete(Paths.brokerId(2))
    await eventually(() => cache.partition('solo', 0)?.state?.leader === -1)
    expect(cache.partition('solo', 0)!.state!.isr).toEqual([2])
    await register(zk, 2)
    await eventually(() => cache.partition('solo', 0)?.state?.leader === 2)
  })

  it('elects an out-of-sync replica of an offline partition once unclean election is turned on for its topic', async () => {
    const ref: { cache?: MetadataCache } = {}
    const { zk, store, cache } = await cluster([1, 2, 3], undefined, {
      uncleanLeaderElection: (topic) =>
        ref.cache?.topic(topic)?.config.get('unclean.leader.election.enable') === 'true',
    })
    ref.cache = cache
    await createTopic(zk, 'u', [[0, [2, 3]]])
    await eventually(() => cache.partition('u', 0)?.state?.leader === 2)
    await store.delete(Paths.brokerId(3))
    await eventually(() => cache.partition('u', 0)?.state?.isr.join() === '2')
    await store.delete(Paths.brokerId(2))
    await eventually(() => cache.partition('u', 0)?.state?.leader === -1)
    await register(zk, 3) // out of sync: not eligible while unclean election is off
    await eventually(() => cache.brokers.has(3))
    await zk.setEntityConfig('topics', 'u', new Map([['retention.ms', '1000']]))
    await eventually(() => cache.topic('u')?.config.get('retention.ms') === '1000')
    expect(cache.partition('u', 0)!.state).toMatchObject({ leader: -1, isr: [2] })
    await zk.setEntityConfig('topics', 'u', new Map([['unclean.leader.election.enable', 'true']]))
    await eventually(() => cache.partition('u', 0)?.state?.leader === 3)
    expect(cache.partition('u', 0)!.state).toMatchObject({ leader: 3, isr: [3], leaderRecoveryState: 1 })
  })

  it('deletes topics marked for deletion', async () => {
    const { zk, cache } = await cluster([1])
    await createTopic(zk, 'gone', [[0, [1]]], new Map([['retention.ms', '1000']]))
    await eventually(() => cache.topic('gone') !== undefined)
    await zk.markTopicForDeletion('gone')
    await eventually(() => cache.topic('gone') === undefined)
    expect(await zk.store.exists(Paths.topic('gone'))).toBeNull()
    expect(await zk.store.exists(Paths.configEntity('topics', 'gone'))).toBeNull()
    await eventually(async () => (await zk.getTopicsMarkedForDeletion()).length === 0)
  })

  /** `topic`-0 (replicas [2, 1]) led by 1 after broker 2 went away; 2 is registered again, not yet in the ISR. */
  async function awayFromPreferred(env: Awaited<ReturnType<typeof cluster>>, topic: string): Promise<void> {
    const { zk, cache, store } = env
    await createTopic(zk, topic, [[0, [2, 1]]])
    await eventually(() => cache.partition(topic, 0)?.state?.leader === 2)
    await store.delete(Paths.brokerId(2))
    await eventually(() => cache.partition(topic, 0)?.state?.leader === 1)
    await register(zk, 2)
  }

  /** What broker 2's leader does once it caught up: puts it back into the ISR of `topic`-0. */
  async function backInIsr(env: Awaited<ReturnType<typeof cluster>>, topic: string): Promise<void> {
    const s = (await env.zk.getPartitionState(topic, 0))!
    await env.zk.updatePartitionState(topic, 0, { ...s.state, isr: [1, 2] }, s.zkVersion)
    await eventually(() => env.cache.partition(topic, 0)?.state?.isr.length === 2)
  }

  it('runs preferred leader elections', async () => {
    const env = await cluster([1, 2])
    const { cache, controller } = env
    await awayFromPreferred(env, 'p')
    // broker 2 is not back in the ISR yet (its leader would add it), so the election is not possible
    const [r1] = await controller.electLeaders('preferred', [{ topic: 'p', partition: 0 }])
    expect(r1!.errorCode).toBe(83)
    await backInIsr(env, 'p')
    const [r2] = await controller.electLeaders('preferred', [{ topic: 'p', partition: 0 }])
    expect(r2!.errorCode).toBe(0)
    await eventually(() => cache.partition('p', 0)?.state?.leader === 2)
  })

  it('rebalances leadership to preferred replicas every leader.imbalance.check.interval, on its scheduler', async () => {
    const env = await cluster([1, 2], new ManualScheduler(), {
      autoLeaderRebalanceEnable: true,
      leaderImbalanceCheckIntervalMs: 300_000,
    })
    const { zk, cache, scheduler } = env
    expect(scheduler.pending()).toEqual(['auto-leader-rebalance-task'])
    await awayFromPreferred(env, 'r')
    await backInIsr(env, 'r')
    await scheduler.advance(299_999)
    expect(cache.partition('r', 0)!.state!.leader).toBe(1)
    await scheduler.advance(1) // the task's pass has written the state when advance returns
    expect((await zk.getPartitionState('r', 0))!.state.leader).toBe(2)
  })

  it('answers requests it can no longer serve with NOT_CONTROLLER once stopped, never leaving them waiting', async () => {
    const { controller } = await cluster([1])
    const notController = { code: ErrorCode.NOT_CONTROLLER }
    const queued = Promise.allSettled([
      controller.electLeaders('preferred', null),
      controller.controlledShutdown(1, -1),
    ])
    await controller.stop()
    expect(await queued).toMatchObject([
      { status: 'rejected', reason: notController },
      { status: 'rejected', reason: notController },
    ])
    await expect(controller.electLeaders('preferred', null)).rejects.toMatchObject(notController)
    await expect(controller.controlledShutdown(1, -1)).rejects.toMatchObject(notController)
  })
  // --- partition reassignment ---

  /** The leader's ISR expansion, as a leader writes it: `isr` for `topic`-0. */
  async function expandIsr(zk: KafkaZkClient, topic: string, isr: number[]): Promise<void> {
    const cur = (await zk.getPartitionState(topic, 0))!
    expect(await zk.updatePartitionState(topic, 0, { ...cur.state, isr }, cur.zkVersion)).not.toBeNull()
  }

  const assignmentOf = async (zk: KafkaZkClient, topic: string) => {
    const a = (await zk.getTopicAssignment(topic))!.assignment
    return {
      replicas: a.partitions.get(0),
      adding: a.addingReplicas.get(0),
      removing: a.removingReplicas.get(0),
    }
  }

  it('reassigns a partition as Kafka does: RS = TRS + ORS while moving, then leader, ISR and replicas in TRS', async () => {
    const { zk, cache, controller } = await cluster([1, 2, 3, 4])
    await createTopic(zk, 'move', [[0, [1, 2, 3]]])
    await eventually(() => cache.partition('move', 0)?.state?.leader === 1)
    const res = await controller.alterPartitionReassignments([
      { topic: 'move', partition: 0, replicas: [2, 3, 4] },
    ])
    expect(res).toEqual([{ topic: 'move', partition: 0, errorCode: ErrorCode.NONE, errorMessage: null }])
    expect(await assignmentOf(zk, 'move')).toEqual({ replicas: [2, 3, 4, 1], adding: [4], removing: [1] })
    expect(await controller.listPartitionReassignments(null)).toEqual([
      { topic: 'move', partition: 0, replicas: [2, 3, 4, 1], addingReplicas: [4], removingReplicas: [1] },
    ])
    expect(cache.partition('move', 0)!.state!.leader).toBe(1) // the old leader leads until the new replicas caught up
    await expandIsr(zk, 'move', [1, 2, 3, 4])
    await eventually(() => cache.partition('move', 0)!.replicas.length === 3)
    expect(await assignmentOf(zk, 'move')).toEqual({
      replicas: [2, 3, 4],
      adding: undefined,
      removing: undefined,
    })
    expect((await zk.getPartitionState('move', 0))!.state).toMatchObject({ leader: 2, isr: [2, 3, 4] })
    expect(await controller.listPartitionReassignments(null)).toEqual([])
  })

  it("refuses bad reassignments with Kafka's errors, per partition, changing nothing", async () => {
    const { zk, cache, controller } = await cluster([1, 2, 3])
    await createTopic(zk, 'bad', [[0, [1, 2]]])
    await eventually(() => cache.partition('bad', 0)?.state != null)
    const before = await zk.getTopicAssignment('bad')
    const res = await controller.alterPartitionReassignments([
      { topic: 'bad', partition: 0, replicas: [] },
      { topic: 'bad', partition: 0, replicas: [1, 1] },
      { topic: 'bad', partition: 0, replicas: [1, -2] },
      { topic: 'bad', partition: 0, replicas: [1, 9] },
      { topic: 'bad', partition: 0, replicas: null },
      { topic: 'bad', partition: 5, replicas: [1] },
      { topic: 'nope', partition: 0, replicas: [1] },
    ])
    expect(res.map((r) => [r.errorCode, r.errorMessage])).toEqual([
      [ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Empty replica list specified in partition reassignment.'],
      [
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        'Duplicate replica ids in partition reassignment replica list: [1, 1]',
      ],
      [ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Invalid broker id in replica list: [1, -2]'],
      [
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        'Replica assignment has brokers that are not alive. Replica list: [9], live broker list: [1, 2, 3]',
      ],
      [ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, null],
      [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'Unable to find partition bad-5.'],
      [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'Unable to find partition nope-0.'],
    ])
    expect(await zk.getTopicAssignment('bad')).toEqual(before)
  })

  it('cancels a reassignment: back to the original replicas, the added ones dropped from the ISR', async () => {
    const { zk, cache, controller } = await cluster([1, 2, 3, 4])
    await createTopic(zk, 'undo', [[0, [1, 2]]])
    await eventually(() => cache.partition('undo', 0)?.state?.leader === 1)
    await controller.alterPartitionReassignments([{ topic: 'undo', partition: 0, replicas: [3, 4] }])
    await expandIsr(zk, 'undo', [1, 2, 3])
    await eventually(() => cache.partition('undo', 0)?.state?.isr.length === 3)
    const res = await controller.alterPartitionReassignments([
      { topic: 'undo', partition: 0, replicas: null },
    ])
    expect(res[0]!.errorCode).toBe(ErrorCode.NONE)
    expect(await assignmentOf(zk, 'undo')).toEqual({
      replicas: [1, 2],
      adding: undefined,
      removing: undefined,
    })
    expect((await zk.getPartitionState('undo', 0))!.state).toMatchObject({ leader: 1, isr: [1, 2] })
  })

  it('runs reassignments written to /admin/reassign_partitions and removes each entry once done', async () => {
    const { zk, cache, store } = await cluster([1, 2, 3])
    await createTopic(zk, 'zk', [
      [0, [1, 2]],
      [1, [1, 2]],
    ])
    await eventually(() => cache.partition('zk', 1)?.state != null)
    await store.create(
      Paths.reassignPartitions,
      Buffer.from(
        JSON.stringify({
          version: 1,
          partitions: [
            { topic: 'zk', partition: 0, replicas: [2, 3] },
            { topic: 'zk', partition: 1, replicas: [2, 1] }, // a reorder: done at once
            { topic: 'zk', partition: 7, replicas: [1] }, // unknown: dropped
          ],
        }),
      ),
    )
    await eventually(() => cache.partition('zk', 0)!.addingReplicas.length === 1)
    await eventually(async () => {
      const r = await zk.getPartitionReassignment()
      return r?.entries.length === 1 && r.entries[0]!.partition === 0
    })
    expect(cache.partition('zk', 1)!.replicas).toEqual([2, 1])
    await expandIsr(zk, 'zk', [1, 2, 3])
    await eventually(async () => (await zk.getPartitionReassignment()) === null)
    expect(await assignmentOf(zk, 'zk')).toEqual({ replicas: [2, 3], adding: undefined, removing: undefined })
    expect((await zk.getPartitionState('zk', 0))!.state).toMatchObject({ leader: 2, isr: [2, 3] })
  })

  it('a new controller finishes a reassignment its predecessor started', async () => {
    const { zk, cache, controller, store } = await cluster([1, 2, 3])
    await createTopic(zk, 'fo', [[0, [1]]])
    await eventually(() => cache.partition('fo', 0)?.state?.leader === 1)
    await controller.alterPartitionReassignments([{ topic: 'fo', partition: 0, replicas: [2] }])
    await controller.stop()
    const cache2 = new MetadataCache(zk, silentLogger, 2)
    await cache2.start(await zk.getOrCreateClusterId())
    const c2 = new Controller(
      zk,
      cache2,
      {
        brokerId: 2,
        deleteTopicEnable: true,
        autoLeaderRebalanceEnable: false,
        leaderImbalanceCheckIntervalMs: 300_000,
        leaderImbalancePerBrokerPercentage: 10,
        uncleanLeaderElection: () => false,
        describeLogDirs: () => Promise.reject(new Error('no broker to ask')),
        updateMetadata: () => Promise.resolve(),
      },
      silentLogger,
      new ManualScheduler(),
    )
    stops.push(
      () => c2.stop(),
      () => cache2.stop(),
    )
    await c2.start()
    await eventually(() => c2.isActive)
    expect(await c2.listPartitionReassignments(null)).toHaveLength(1)
    await expandIsr(zk, 'fo', [1, 2])
    await eventually(async () => (await assignmentOf(zk, 'fo')).replicas?.join() === '2')
    expect((await zk.getPartitionState('fo', 0))!.state).toMatchObject({ leader: 2, isr: [2] })
    expect(store).toBeDefined()
  })

  it("on a log dir event, takes the broker's offline replicas out of leadership and the ISR until it registers again", async () => {
    const asked: number[] = []
    let failed = false
    const { zk, store, cache } = await cluster([1, 2, 3], undefined, {
      describeLogDirs: (id) => {
        asked.push(id)
        // broker 2 lost the directory holding t-0, t-1 and t-2; t-3 is in its other, online directory
        if (id === 2 && failed)
          return Promise.resolve({ offlineDirs: 1, onlineReplicas: new Set([replicaKey('t', 3)]) })
        return Promise.resolve({ offlineDirs: 0, onlineReplicas: new Set<string>() })
      },
    })
    await eventually(() => asked.length === 3) // the new controller asked every live broker
    expect(asked.sort()).toEqual([1, 2, 3])
    asked.length = 0
    failed = true
    await createTopic(zk, 't', [
      [0, [2, 1, 3]],
      [1, [1, 2, 3]],
      [2, [2]],
      [3, [3, 1, 2]],
    ])
    await eventually(() => [0, 1, 2, 3].every((p) => cache.partition('t', p)?.state != null))
    await store.create(
      `${Paths.logDirEventNotification}/log_dir_event_`,
      Buffer.from('not json'),
      'persistent_sequential',
    )
    await zk.propagateLogDirEvent(2)
    await eventually(() => cache.partition('t', 0)?.state?.leader === 1)
    await eventually(() => cache.partition('t', 2)?.state?.leader === -1)
    expect(asked).toEqual([2]) // only the broker that reported
    expect(cache.partition('t', 0)!.state!.isr).toEqual([1, 3])
    await eventually(() => cache.partition('t', 1)?.state?.isr.join() === '1,3')
    expect(cache.partition('t', 2)!.state!.isr).toEqual([2]) // the last ISR member stays, as in Kafka
    expect(cache.partition('t', 3)!.state).toMatchObject({ leader: 3, isr: [3, 1, 2] })
    expect(await zk.getLogDirEvents()).toEqual([]) // both deleted, the malformed one too
    // restarted (a new registration): its replicas count again; the offline partition gets its leader back
    await store.delete(Paths.brokerId(2))
    failed = false // its directories are healthy after the restart
    await register(zk, 2)
    await eventually(() => cache.partition('t', 2)?.state?.leader === 2)
  })
  it('a newly elected controller learns the offline replicas of every live broker, asking again one that did not answer', async () => {
    const scheduler = new ManualScheduler()
    const asked: number[] = []
    let brokerThreeDown = 2 // broker 3 fails to answer twice, then answers
    let repaired = false // broker 2's directory, once it restarts
    const told = new Map<number, string[]>() // UpdateMetadata: broker -> partitions with offline replicas
    const { cache, controller, store, zk } = await cluster(
      [1, 2, 3],
      scheduler,
      {
        uncleanLeaderElection: () => true,
        updateMetadata: (id, epoch, partitions) => {
          for (const p of partitions)
            told.set(id, [
              ...(told.get(id) ?? []),
              `${p.info.topic}-${p.info.partition}:${p.offlineReplicas.join(',')}`,
            ])
          if (id === 1)
            cache.applyOfflineReplicas(
              epoch,
              partitions.map((p) => ({
                topic: p.info.topic,
                partition: p.info.partition,
                offlineReplicas: p.offlineReplicas,
              })),
            )
          return Promise.resolve()
        },
        describeLogDirs: (id) => {
          asked.push(id)
          if (id === 3 && brokerThreeDown-- > 0) return Promise.reject(new Error('connection refused'))
          // broker 2 lost the directory holding t-0 and t-1; broker 3 the one holding u-0
          if (id === 2 && !repaired)
            return Promise.resolve({ offlineDirs: 1, onlineReplicas: new Set<string>() })
          if (id === 3) return Promise.resolve({ offlineDirs: 1, onlineReplicas: new Set<string>() })
          return Promise.resolve({ offlineDirs: 0, onlineReplicas: new Set<string>() })
        },
      },
      async (zk) => {
        // what the previous controller left: t-0 led by nobody with the offline replica its last ISR member (Kafka
        // keeps the last one; a single replica), t-1 led by 1 with 2 already out of the ISR, u-0 led by 1 with 3 out
        await createTopic(zk, 't', [
          [0, [2]],
          [1, [1, 2]],
        ])
        await createTopic(zk, 'u', [[0, [1, 3]]])
        await zk.store.create(Paths.controllerEpoch, Buffer.from('7'))
        const s = (leader: number, isr: number[]) => ({
          leader,
          leaderEpoch: 5,
          isr,
          controllerEpoch: 0,
          leaderRecoveryState: 0,
        })
        await zk.createPartitionStates(
          't',
          new Map([
            [0, s(-1, [2])],
            [1, s(1, [1])],
          ]),
          -1,
        )
        await zk.createPartitionStates('u', new Map([[0, s(1, [1])]]), -1)
      },
    )
    expect(controller.isActive).toBe(true)
    // Kafka's new controller elects before the answers are in (its LeaderAndIsr answers come later); once broker 2
    // answered, its replica is out again
    await eventually(() => controller.offlineReplicasOn(2).has(replicaKey('t', 0)))
    await eventually(() => cache.partition('t', 0)?.state?.leader === -1)
    expect(controller.offlineReplicasOn(2)).toEqual(new Set([replicaKey('t', 0), replicaKey('t', 1)]))
    // every live broker is told (UpdateMetadata's offline_replicas), the controller's own through its cache
    for (const id of [1, 2, 3]) expect(told.get(id)).toEqual(expect.arrayContaining(['t-0:2', 't-1:2']))
    expect(cache.isOnFailedLogDir('t', 0, 2)).toBe(true)
    expect(cache.isOnFailedLogDir('t', 0, 1)).toBe(false)
    expect(cache.applyOfflineReplicas(controller.controllerEpoch - 1, [])).toBe(false) // STALE_CONTROLLER_EPOCH
    // broker 3 did not answer: asked again after 0.5 s, then 1 s
    expect(asked.filter((id) => id === 3)).toHaveLength(1)
    await scheduler.advance(500)
    await eventually(() => asked.filter((id) => id === 3).length === 2)
    expect(controller.offlineReplicasOn(3).size).toBe(0)
    await scheduler.advance(1000)
    await eventually(() => controller.offlineReplicasOn(3).has(replicaKey('u', 0)))
    expect(told.get(2)).toContain('u-0:3')
    // broker 1 goes: unclean election is on, yet neither offline replica may lead
    await store.delete(Paths.brokerId(1))
    await eventually(() => cache.partition('t', 1)?.state?.leader === -1)
    await eventually(() => cache.partition('u', 0)?.state?.leader === -1)
    expect(cache.partition('t', 0)!.state!.leader).toBe(-1)
    // back (a new registration of broker 1, the others unchanged): it leads again, the offline replicas still not
    await register(zk, 1)
    await eventually(() => cache.partition('t', 1)?.state?.leader === 1)
    await eventually(() => cache.partition('u', 0)?.state?.leader === 1)
    expect(cache.partition('t', 0)!.state!.leader).toBe(-1)
    // broker 2 restarts with its directories back: the brokers learn its replicas are online again
    told.clear()
    repaired = true
    await store.delete(Paths.brokerId(2))
    await register(zk, 2)
    await eventually(() => told.get(1)?.includes('t-0:') === true)
    expect(cache.isOnFailedLogDir('t', 0, 2)).toBe(false)
  })

  it('sends an UpdateMetadata a broker did not take again, with the newest state, until it deregisters', async () => {
    const scheduler = new ManualScheduler()
    let failed = true // broker 2's directory holding t-0
    let threeRefuses = 3 // broker 3 does not take the first three requests
    const attempts: { id: number; states: string[] }[] = []
    const { cache, controller, store, zk } = await cluster(
      [1, 2, 3],
      scheduler,
      {
        updateMetadata: (id, _epoch, partitions) => {
          attempts.push({
            id,
            states: partitions.map(
              (p) => `${p.info.topic}-${p.info.partition}:${p.offlineReplicas.join(',')}`,
            ),
          })
          if (id === 3 && threeRefuses-- > 0) return Promise.reject(new Error('connection refused'))
          return Promise.resolve()
        },
        describeLogDirs: (id) =>
          Promise.resolve(
            id === 2 && failed
              ? { offlineDirs: 1, onlineReplicas: new Set<string>() }
              : { offlineDirs: 0, onlineReplicas: new Set<string>() },
          ),
      },
      async (zk) => {
        await createTopic(zk, 't', [[0, [1, 2, 3]]])
        await zk.store.create(Paths.controllerEpoch, Buffer.from('1'))
        const state = {
          leader: 1,
          leaderEpoch: 0,
          isr: [1, 2, 3],
          controllerEpoch: 0,
          leaderRecoveryState: 0,
        }
        await zk.createPartitionStates('t', new Map([[0, state]]), -1)
      },
    )
    const toThree = () => attempts.filter((a) => a.id === 3)
    await eventually(() => controller.offlineReplicasOn(2).has(replicaKey('t', 0)))
    await eventually(() => toThree().length === 1)
    expect(toThree()[0]!.states).toEqual(['t-0:2'])
    // retried after 100 ms, then 200 ms: one request in flight per broker, nothing sent in between
    await scheduler.advance(99)
    expect(toThree()).toHaveLength(1)
    await scheduler.advance(1)
    await eventually(() => toThree().length === 2)
    // meanwhile broker 2 restarts with its directory repaired: the retry carries the newest state only
    failed = false
    await store.delete(Paths.brokerId(2))
    await register(zk, 2)
    await eventually(() => !controller.offlineReplicasOn(2).has(replicaKey('t', 0)))
    await eventually(() => cache.brokers.get(2) !== undefined)
    expect(toThree()).toHaveLength(2)
    await scheduler.advance(200)
    await eventually(() => toThree().length === 3)
    await scheduler.advance(400)
    await eventually(() => toThree().length === 4) // taken
    expect(toThree()[3]!.states).toEqual(['t-0:'])
    await scheduler.advance(10_000)
    expect(toThree()).toHaveLength(4)
    // a broker that never takes it is retried (back-off at most 1 s) until it deregisters, then forgotten
    threeRefuses = Number.POSITIVE_INFINITY
    failed = true
    await store.delete(Paths.brokerId(2))
    await register(zk, 2)
    await eventually(() => toThree().length === 5)
    for (let i = 0; i < 6; i++) await scheduler.advance(1000)
    await eventually(() => toThree().length >= 9)
    await store.delete(Paths.brokerId(3))
    await eventually(() => cache.brokers.get(3) === undefined)
    const sent = toThree().length
    for (let i = 0; i < 5; i++) await scheduler.advance(1000)
    expect(toThree().length).toBeLessThanOrEqual(sent + 1) // at most the one that was due
  })
})
