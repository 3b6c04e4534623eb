/**
 * The replica manager's own timers, on manual time: ISR expiration (replica.lag.time.max.ms) and the high
 * watermark checkpoint, with the cluster state in an in-memory metadata store.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { silentLogger } from '../../util/logger.js'
import { ManualClock, ManualScheduler } from '../../util/scheduler.js'
import { eventually } from '../../util/test-helpers.js'
import { defaultLogConfig } from '../log/log-config.js'
import { LogManager } from '../log/log-manager.js'
import { KafkaZkClient } from '../metadata/kafka-zk-client.js'
import { LocalMetadataStore } from '../metadata/local-store.js'
import { MetadataCache } from '../metadata/metadata-cache.js'
import { buildRecordBatch } from '../../protocol/records/batch.js'
import type { Clock } from '../../util/scheduler.js'
import { ReplicationQuotaManager } from '../quota/replication-quota.js'
import { HIGH_WATERMARK_CHECKPOINT_FILE, ReplicaManager, type FetchParams } from './replica-manager.js'
import { rackAwareSelector, type ReplicaSelector } from './replica-selector.js'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/**
 * Broker 1 leading `t-0` (replicas [1, 2], ISR [1, 2], or as given); the followers never fetch by themselves.
 */
async function leaderWithSilentFollower(
  opts: {
    replicas?: number[]
    isr?: number[]
    leader?: number
    leaderQuota?: (clock: Clock) => ReplicationQuotaManager
    zkSessionTimeoutMs?: number
    replicaSelector?: ReplicaSelector
  } = {},
) {
  const replicaIds = opts.replicas ?? [1, 2]
  const clock = new ManualClock(1_700_000_000_000)
  const scheduler = new ManualScheduler(clock)
  const store = new LocalMetadataStore(undefined)
  const zk = new KafkaZkClient(store, silentLogger, scheduler.clock)
  await zk.createTopLevelPaths()
  for (const id of replicaIds) {
    const endpoints = [
      { listenerName: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: 'h', port: 9092 + id },
    ]
    await zk.registerBroker({ id, endpoints, rack: `rack-${id}`, jmxPort: -1, timestamp: 0, features: {} })
  }
  const controller = (await zk.tryElectController(1))!
  await zk.createTopic(
    't',
    {
      partitions: new Map([[0, replicaIds]]),
      topicId: null,
      addingReplicas: new Map(),
      removingReplicas: new Map(),
    },
    new Map(),
  )
  await zk.createPartitionStates(
    't',
    new Map([
      [
        0,
        {
          leader: opts.leader ?? 1,
          leaderEpoch: 0,
          isr: opts.isr ?? [1, 2],
          controllerEpoch: controller.epoch,
          leaderRecoveryState: 0,
        },
      ],
    ]),
    controller.epochZkVersion,
  )
  const cache = new MetadataCache(zk, silentLogger, 1)
  await cache.start(await zk.getOrCreateClusterId())
  cleanups.push(() => cache.stop())
  const dir = mkdtempSync(join(tmpdir(), 'samsa-rm-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  const logManager = new LogManager({ logDirs: [dir], scheduler })
  logManager.startup()
  cleanups.push(() => logManager.shutdown())
  const replicas = new ReplicaManager(
    {
      brokerId: 1,
      replicaLagTimeMaxMs: 10_000,
      highWatermarkCheckpointIntervalMs: 5000,
      logConfigFor: () => defaultLogConfig(),
      minInsyncReplicasFor: () => 1,
      scheduler,
      log: silentLogger,
      leaderQuota: opts.leaderQuota?.(scheduler.clock),
      zkSessionTimeoutMs: opts.zkSessionTimeoutMs,
      replicaSelector: opts.replicaSelector,
    },
    logManager,
    cache,
    zk,
  )
  replicas.start()
  cleanups.push(() => replicas.shutdown())
  await eventually(() => replicas.getPartition('t', 0)?.leaderId === (opts.leader ?? 1))
  return { scheduler, clock, store, zk, cache, replicas, dir }
}

/** A Fetch of `t-0` from `fetchOffset` by `replicaId` (a follower, or -1 for a consumer), answered at once. */
const fetchAs = (replicaId: number, fetchOffset: number, more: Partial<FetchParams> = {}): FetchParams => ({
  replicaId,
  maxWaitMs: 0,
  minBytes: 1,
  maxBytes: 1 << 20,
  isolationLevel: 0,
  partitions: [
    {
      topic: 't',
      partition: 0,
      fetchOffset,
      partitionMaxBytes: 1 << 20,
      currentLeaderEpoch: 0,
      lastFetchedEpoch: -1,
      logStartOffset: 0,
    },
  ],
  ...more,
})

describe('ReplicaManager on manual time', () => {
  it('takes a follower out of the ISR once it has not caught up for more than replica.lag.time.max.ms', async () => {
    const { scheduler, zk, cache } = await leaderWithSilentFollower()
    // isr-expiration runs every replica.lag.time.max.ms / 2; at 10 000 ms the follower is exactly at the limit
    await scheduler.advance(10_000)
    expect((await zk.getPartitionState('t', 0))!.state.isr).toEqual([1, 2])
    await scheduler.advance(5000)
    await eventually(() => cache.partition('t', 0)?.state?.isr.join() === '1')
    expect((await zk.getPartitionState('t', 0))!.state).toMatchObject({ leader: 1, leaderEpoch: 0, isr: [1] })
  })

  it('writes the high watermark checkpoint every replica.high.watermark.checkpoint.interval.ms', async () => {
    const { scheduler, dir } = await leaderWithSilentFollower()
    const file = join(dir, HIGH_WATERMARK_CHECKPOINT_FILE)
    expect(existsSync(file)).toBe(false)
    await scheduler.advance(4999)
    expect(existsSync(file)).toBe(false)
    await scheduler.advance(1)
    expect(existsSync(file)).toBe(true)
    expect(readFileSync(file, 'utf8')).toBe('0\n1\nt 0 0\n')
  })

  it('a shutdown during a periodic checkpoint write (on the thread pool) waits for it, then writes its own', async () => {
    const { scheduler, replicas, dir } = await leaderWithSilentFollower()
    const file = join(dir, HIGH_WATERMARK_CHECKPOINT_FILE)
    const tick = scheduler.advance(5000)
    await Promise.all([tick, replicas.shutdown()])
    expect(readFileSync(file, 'utf8')).toBe('0\n1\nt 0 0\n')
    expect(existsSync(`${file}.tmp`)).toBe(false)
  })
})

describe('ReplicaManager.isDeposed (a leader cut off from ZooKeeper and from its followers)', () => {
  const followerFetch = (): FetchParams => fetchAs(2, 0)
  const produce = async (replicas: ReplicaManager, now: number) =>
    (
      await replicas.appendRecords(1000, 1, 'client', [
        {
          topic: 't',
          partition: 0,
          records: buildRecordBatch({ records: [{ key: null, value: 'v' }], now }),
        },
      ])
    ).get('t-0')!.errorCode

  it('only past zookeeper.session.timeout.ms without ZooKeeper AND once an ISR follower stopped fetching', async () => {
    // the clock alone moves (no scheduled task runs): the ISR shrink could not be written without ZooKeeper either
    const { clock, store, replicas } = await leaderWithSilentFollower({ zkSessionTimeoutMs: 6000 })
    await replicas.fetchMessages(followerFetch()) // broker 2 caught up (empty log)
    expect(replicas.isDeposed('t', 0)).toBe(false)
    store.emit('disconnected')
    clock.advance(6001) // past the session, but the follower caught up 6 s ago (replica.lag.time.max.ms is 10 s)
    expect(replicas.isDeposed('t', 0)).toBe(false)
    await replicas.fetchMessages(followerFetch()) // a ZooKeeper outage alone deposes nobody: it keeps fetching
    clock.advance(9000)
    expect(replicas.isDeposed('t', 0)).toBe(false)
    clock.advance(1001) // 10 001 ms since broker 2 last caught up: it follows another leader
    expect(replicas.isDeposed('t', 0)).toBe(true)
    expect(replicas.isDeposed('t', 1)).toBe(false) // not a partition of ours
    expect(await produce(replicas, clock.now())).toBe(6) // NOT_LEADER_OR_FOLLOWER
    store.emit('connected') // back in ZooKeeper: the controller's word counts again
    expect(replicas.isDeposed('t', 0)).toBe(false)
    expect(await produce(replicas, clock.now())).toBe(0)
  })

  it('a follower silent for long is no deposition while ZooKeeper is reachable, nor past the session in standalone', async () => {
    const { clock, store, replicas } = await leaderWithSilentFollower({ zkSessionTimeoutMs: 6000 })
    clock.advance(60_000)
    expect(replicas.isDeposed('t', 0)).toBe(false) // connected: the ISR shrink does the job
    const standalone = await leaderWithSilentFollower()
    standalone.store.emit('disconnected')
    standalone.clock.advance(60_000)
    expect(standalone.replicas.isDeposed('t', 0)).toBe(false)
    store.emit('disconnected')
    clock.advance(6001)
    expect(replicas.isDeposed('t', 0)).toBe(true) // broker 2 never fetched
  })

  it('a frozen broker (SIGSTOP) wakes up connected in its own view: the silence of ZooKeeper counts', async () => {
    const { clock, store, replicas } = await leaderWithSilentFollower({ zkSessionTimeoutMs: 6000 })
    let silent = 0
    Object.assign(store, { silentForMs: () => silent })
    clock.advance(20_000) // frozen for 20 s: the follower fetched from the new leader meanwhile
    expect(replicas.isDeposed('t', 0)).toBe(false) // heard from ZooKeeper a moment ago
    silent = 20_000
    expect(replicas.isDeposed('t', 0)).toBe(true)
    // the connection closed for its silence: lost since ZooKeeper was last heard from, not since the close
    store.emit('disconnected')
    silent = 0 // the store forgot the old connection while a new session is being set up
    expect(replicas.isDeposed('t', 0)).toBe(true)
    // then a new session replaces the expired one: deposed until the partition's state is read again
    store.emit('newSession')
    store.emit('connected')
    expect(replicas.isDeposed('t', 0)).toBe(true)
  })
})

describe('ReplicaManager replication throttle (leader side, KIP-73)', () => {
  it('answers a throttled follower that is not in sync empty while over the rate; in-sync ones always get data', async () => {
    let q: ReplicationQuotaManager | undefined
    const { replicas, scheduler } = await leaderWithSilentFollower({
      replicas: [1, 2, 3],
      isr: [1, 2],
      leaderQuota: (clock) =>
        (q = new ReplicationQuotaManager({
          brokerId: 1,
          rate: () => 1000,
          throttledReplicas: () => ['0:1'],
          samples: 11,
          windowMs: 1000,
          clock,
        })),
    })
    const records = buildRecordBatch({
      records: Array.from({ length: 20 }, (_, i) => ({ key: null, value: `value-${i}`.padEnd(100, '.') })),
      now: scheduler.clock.now(),
    })
    await replicas.appendRecords(1000, 1, 'client', [{ topic: 't', partition: 0, records }])
    const size = records.length
    const got = async (replicaId: number, offset = 0) =>
      (await replicas.fetchMessages(fetchAs(replicaId, offset)))[0]!.records!.length
    expect(await got(2, 20)).toBe(0) // broker 2 has it all: the high watermark moves to 20
    expect(await got(3)).toBe(size) // under the rate: served, and counted
    expect(q!.rate()).toBe(size) // over 1 s at least
    expect(await got(3)).toBe(0) // over the rate now: held back
    expect(await got(2)).toBe(size) // in sync: never held back, but counted
    expect(await got(-1)).toBe(size) // consumers are not replication
    expect(q!.rate()).toBe(2 * size)
    // 2 * size bytes measure at or below 1000 B/s once 2 * size ms have passed since the first record
    await scheduler.advance(2 * size - 50)
    expect(await got(3)).toBe(0)
    await scheduler.advance(100)
    expect(await got(3)).toBe(size)
  })
})

describe('ReplicaManager fetch from follower (KIP-392)', () => {
  const consumerFetch = (fetchOffset: number, rackId: string | null, more: Partial<FetchParams> = {}) =>
    fetchAs(more.replicaId ?? -1, fetchOffset, {
      clientMetadata: rackId === null ? null : { rackId, listenerName: 'PLAINTEXT' },
      ...more,
    })
  const batch = (base: number, now: number) =>
    buildRecordBatch({
      baseOffset: base,
      records: Array.from({ length: 10 }, (_, i) => ({ key: null, value: `v-${base + i}` })),
      now,
    })

  it("a follower's long poll is answered once a produce append lands in the file, without the clock moving", async () => {
    const { replicas, scheduler } = await leaderWithSilentFollower()
    // the follower waits at the log end for up to a minute of (manual) time
    const waiting = replicas.fetchMessages(fetchAs(2, 0, { maxWaitMs: 60_000 }))
    let answered = false
    void waiting.then(() => (answered = true))
    // acks=1: answered once the write-behind has put the bytes in the file; the follower's fetch must have been
    // woken then (the append itself, still on its way, had nothing it could read)
    await replicas.appendRecords(1000, 1, 'client', [
      { topic: 't', partition: 0, records: batch(0, scheduler.clock.now()) },
    ])
    await eventually(() => answered)
    const [r] = await waiting
    expect(r!.errorCode).toBe(0)
    expect(r!.records!.length).toBe(batch(0, 0).length)
  })

  it('the leader names the in-sync follower of the consumer rack that holds the offset, and serves the rest', async () => {
    const { replicas, scheduler } = await leaderWithSilentFollower({
      replicas: [1, 2, 3],
      isr: [1, 2],
      replicaSelector: rackAwareSelector,
    })
    await replicas.appendRecords(1000, 1, 'client', [
      { topic: 't', partition: 0, records: batch(0, scheduler.clock.now()) },
    ])
    await replicas.appendRecords(1000, 1, 'client', [
      { topic: 't', partition: 0, records: batch(0, scheduler.clock.now()) },
    ])
    const fetch = async (p: FetchParams) => (await replicas.fetchMessages(p))[0]!
    expect((await fetch(consumerFetch(10, '', { replicaId: 2 }))).records!.length).toBeGreaterThan(0) // 2 at 10
    const toFollower = await fetch(consumerFetch(5, 'rack-2'))
    expect(toFollower).toMatchObject({ errorCode: 0, preferredReadReplica: 2, highWatermark: 10 })
    expect(toFollower.records!.length).toBe(0)
    // Broker 2 does not hold offset 15 yet; broker 3 is not in sync; rack-1 is the leader's; no rack; v < 11.
    for (const p of [
      consumerFetch(15, 'rack-2'),
      consumerFetch(0, 'rack-3'),
      consumerFetch(0, 'rack-1'),
      consumerFetch(0, ''),
      consumerFetch(0, null),
    ]) {
      const r = await fetch(p)
      expect(r.preferredReadReplica ?? -1).toBe(-1)
      expect(r.errorCode).toBe(0)
    }
    expect((await fetch(consumerFetch(0, 'rack-3'))).records!.length).toBeGreaterThan(0)
  })

  it('a follower serves v11+ consumers up to its high watermark, OFFSET_OUT_OF_RANGE past its log end', async () => {
    const { replicas, scheduler } = await leaderWithSilentFollower({ leader: 2 })
    const p = replicas.getPartition('t', 0)!
    const log = p.log!
    log.appendAsFollower(batch(0, scheduler.clock.now()))
    log.appendAsFollower(batch(10, scheduler.clock.now()))
    log.updateHighWatermark(10)
    const fetch = async (f: FetchParams) => (await replicas.fetchMessages(f))[0]!
    const first = await fetch(consumerFetch(0, 'rack-1'))
    expect(first).toMatchObject({ errorCode: 0, highWatermark: 10 })
    expect(first.records!.length).toBe(batch(0, 0).length)
    const atHw = await fetch(consumerFetch(10, ''))
    expect(atHw).toMatchObject({ errorCode: 0, highWatermark: 10 })
    expect(atHw.records!.length).toBe(0)
    expect((await fetch(consumerFetch(21, 'rack-1'))).errorCode).toBe(1) // OFFSET_OUT_OF_RANGE
    expect((await fetch(consumerFetch(0, null))).errorCode).toBe(6) // NOT_LEADER_OR_FOLLOWER before v11
    expect((await fetch(consumerFetch(0, '', { replicaId: 3 }))).errorCode).toBe(6) // replication: leader only
    // A consumer waiting at the follower's high watermark is answered when the high watermark moves.
    const waiting = fetch(consumerFetch(10, 'rack-1', { maxWaitMs: 60_000 }))
    log.updateHighWatermark(20)
    replicas.onFollowerProgress(p)
    const second = await waiting
    expect(second).toMatchObject({ errorCode: 0, highWatermark: 20 })
    expect(second.records!.length).toBe(batch(10, 0).length)
  })
})
