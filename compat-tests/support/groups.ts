/**
 * Consumer-group tooling for the compat tests, on top of the shared harness:
 *  - long-running client processes that report what they do as JSON lines (a kafkajs consumer in a child node
 *    process, the python group scripts python/group_*.py, the Sarama program sarama-group/main.go), so a test
 *    can watch assignments, messages and commits, and stop them cleanly or `kill -9` them;
 *  - in-process kafkajs group members that record their assignments and messages;
 *  - a ZooKeeper-mode cluster of brokers on a fresh chroot of the shared ZooKeeper;
 *  - group requests built with the repo's own codec (FindCoordinator, OffsetCommit, OffsetFetch, JoinGroup ...)
 *    sent to one chosen broker;
 *  - the records of a `__consumer_offsets` partition, read from a broker's data dir and decoded.
 * Every process started here is registered for the global teardown and killed in `stopGroupProcesses()`.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Consumer, ConsumerConfig, Kafka } from 'kafkajs'
import { afterEach, inject } from 'vitest'
import { Apis } from '../../src/protocol/messages/index.js'
import {
  decodeGroupRecordKey,
  decodeOffsetCommitValue,
  decodeGroupMetadataValue,
} from '../../src/protocol/messages/data/group-metadata.js'
import { iterateBatches, readRecords } from '../../src/protocol/records/batch.js'
import { type BrokerProcess, startBroker } from './broker.js'
import { logsDir, REPO_ROOT, runDir, sleep, SUPPORT_DIR, SYSTEM_PYTHON, uniqueName, waitFor } from './env.js'
import { pidRegistryFile } from './procs.js'
import { RawConnection } from './raw.js'
import { buildSaramaProgram } from './sarama.js'
import { withAdmin } from './kafkajs.js'
import { withZk } from './zk-client.js'

// ---------------------------------------------------------------------------------------------------------------
// Client processes that talk JSON lines

export interface ClientEvent {
  event: string
  [k: string]: unknown
}

const liveProcs = new Set<EventProcess>()

/**
 * A client program that prints one JSON object per line on stdout (its events) and reads commands from stdin.
 * Its stdout and stderr are also appended to a log file in the run directory.
 */
export class EventProcess {
  readonly events: ClientEvent[] = []
  readonly logFile: string
  readonly exited: Promise<number | string>
  private readonly child: ChildProcess
  private partial = ''
  private waiters: Array<() => void> = []

  constructor(
    readonly what: string,
    command: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv = {},
  ) {
    this.logFile = join(logsDir(), `${what.replace(/[^\w.-]+/g, '_')}.log`)
    appendFileSync(this.logFile, `\n===== ${new Date().toISOString()} ${command} ${args.join(' ')}\n`)
    this.child = spawn(command, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, PYTHONUNBUFFERED: '1', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    if (!this.child.pid) throw new Error(`could not start ${what}: ${command}`)
    liveProcs.add(this)
    const pid = this.child.pid
    setTimeout(() => {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()
        appendFileSync(pidRegistryFile(), JSON.stringify({ pid, cmd, what }) + '\n')
      } catch {
        /* already gone */
      }
    }, 200).unref()
    this.child.stdout!.on('data', (d: Buffer) => {
      appendFileSync(this.logFile, d)
      this.partial += d.toString('utf8')
      const lines = this.partial.split('\n')
      this.partial = lines.pop()!
      for (const line of lines) {
        const t = line.trim()
        if (!t.startsWith('{')) continue
        try {
          this.events.push(JSON.parse(t) as ClientEvent)
        } catch {
          /* not an event */
        }
      }
      this.wake()
    })
    this.child.stderr!.on('data', (d: Buffer) => appendFileSync(this.logFile, d))
    this.child.stdin!.on('error', () => undefined)
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        liveProcs.delete(this)
        appendFileSync(this.logFile, `\n===== ${new Date().toISOString()} exited: ${code ?? signal}\n`)
        this.wake()
        resolve(code ?? signal ?? -1)
      })
    })
  }

  get pid(): number {
    return this.child.pid!
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  private wake(): void {
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
  }

  /** Events of one kind. */
  all(kind: string): ClientEvent[] {
    return this.events.filter((e) => e.event === kind)
  }

  /** Waits until `check(events)` returns a truthy value; fails when the process exits or `timeoutMs` passes. */
  async until<T>(
    what: string,
    check: (events: ClientEvent[]) => T | undefined | false | null,
    timeoutMs = 30_000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const v = check(this.events)
      if (v) return v
      const err = this.events.find((e) => e.event === 'error')
      if (err)
        throw new Error(`${this.what}: ${JSON.stringify(err)} (waiting for ${what}); log ${this.logFile}`)
      if (!this.running) {
        throw new Error(`${this.what} exited while waiting for ${what}; log ${this.logFile}:\n${this.tail()}`)
      }
      const left = deadline - Date.now()
      if (left <= 0) {
        throw new Error(
          `${this.what}: timed out after ${timeoutMs} ms waiting for ${what}; log ${this.logFile}:\n${this.tail()}`,
        )
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 250))
        this.waiters.push(() => {
          clearTimeout(t)
          resolve()
        })
      })
    }
  }

  /** Sends one command line. */
  send(line: string): void {
    if (this.running) this.child.stdin!.write(line + '\n')
  }

  /** Asks the program to stop ("stop" on stdin) and waits for it to exit (SIGKILL after `timeoutMs`). */
  async stop(timeoutMs = 20_000): Promise<number | string> {
    if (!this.running) return this.exited
    this.send('stop')
    const r = await Promise.race([this.exited, sleep(timeoutMs).then(() => 'timeout' as const)])
    if (r !== 'timeout') return r
    await this.kill()
    return `did not stop within ${timeoutMs} ms; killed`
  }

  /** `kill -9` and wait for the exit. */
  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL')
    await this.exited
  }

  /** Waits for the program to exit on its own. */
  async waitExit(timeoutMs = 60_000): Promise<number | string> {
    const r = await Promise.race([this.exited, sleep(timeoutMs).then(() => 'timeout' as const)])
    if (r === 'timeout') {
      await this.kill()
      throw new Error(
        `${this.what} did not exit within ${timeoutMs} ms; log ${this.logFile}:\n${this.tail()}`,
      )
    }
    return r
  }

  tail(n = 3000): string {
    try {
      const t = readFileSync(this.logFile, 'utf8')
      return t.length > n ? '…' + t.slice(-n) : t
    } catch {
      return ''
    }
  }
}

/** Kills every client process started here that is still running (for afterAll / afterEach). */
export async function stopGroupProcesses(): Promise<void> {
  await Promise.all([...liveProcs].map((p) => p.kill()))
}

/** The last event of a kind carrying a result (`result`), or throws with the process's error. */
export function resultOf<T = ClientEvent>(p: EventProcess): T {
  const err = p.events.find((e) => e.event === 'error')
  if (err) throw new Error(`${p.what} failed: ${String(err.error)}\n${String(err.trace ?? '')}`)
  const r = [...p.events].reverse().find((e) => e.event === 'result')
  if (!r) throw new Error(`${p.what} printed no result; log ${p.logFile}:\n${p.tail()}`)
  return r as unknown as T
}

// ---------------------------------------------------------------------------------------------------------------
// kafkajs in a child process

const KAFKAJS_CHILD = `
import { createRequire } from 'node:module'
const require = createRequire(process.env.SAMSA_REPO_ROOT + '/package.json')
const { Kafka, logLevel } = require('kafkajs')
const cfg = JSON.parse(process.argv[2])
const emit = (o) => process.stdout.write(JSON.stringify(o) + '\\n')
const kafka = new Kafka({
  clientId: cfg.clientId ?? 'samsa-compat-child',
  brokers: cfg.brokers,
  logLevel: logLevel.NOTHING,
  connectionTimeout: 5000,
  retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 2000 },
})
const consumer = kafka.consumer({
  groupId: cfg.groupId,
  sessionTimeout: cfg.sessionTimeout ?? 6000,
  rebalanceTimeout: cfg.rebalanceTimeout ?? 10000,
  heartbeatInterval: cfg.heartbeatInterval ?? 1000,
  maxWaitTimeInMs: 200,
})
const { GROUP_JOIN, COMMIT_OFFSETS, CRASH } = consumer.events
consumer.on(GROUP_JOIN, (e) => emit({ event: 'join', memberId: e.payload.memberId, assignment: e.payload.memberAssignment }))
consumer.on(COMMIT_OFFSETS, (e) => emit({ event: 'commit', topics: e.payload.topics }))
consumer.on(CRASH, (e) => emit({ event: 'crash', error: String(e.payload.error && e.payload.error.message) }))
await consumer.connect()
await consumer.subscribe({ topics: [cfg.topic], fromBeginning: true })
await consumer.run({
  autoCommit: !cfg.manualCommit,
  eachMessage: async ({ topic, partition, message }) => {
    const value = message.value ? message.value.toString() : null
    const offset = Number(message.offset)
    emit({ event: 'message', partition, offset, value })
    if (cfg.manualCommit && !(value || '').startsWith('nocommit')) {
      await consumer.commitOffsets([{ topic, partition, offset: String(offset + 1) }])
      emit({ event: 'committed', partition, offset: offset + 1 })
    }
  },
})
emit({ event: 'running' })
process.stdin.setEncoding('utf8')
process.stdin.on('end', () => process.exit(0)) // the test runner went away
process.stdin.on('data', async (d) => {
  if (String(d).includes('stop')) {
    await consumer.disconnect()
    emit({ event: 'stopped' })
    process.exit(0)
  }
})
`

/**
 * A kafkajs consumer group member in its own node process (so it can be `kill -9`ed). It consumes `topic`
 * from the beginning and reports `join` (with its assignment), `message`, `commit` events. With `manualCommit`,
 * autoCommit is off and it commits each message right after processing it (event `committed`), except
 * messages whose value starts with "nocommit".
 */
export function startKafkajsChild(opts: {
  brokers: string[]
  topic: string
  groupId: string
  name: string
  manualCommit?: boolean
  sessionTimeout?: number
  heartbeatInterval?: number
}): EventProcess {
  const script = join(runDir(), 'group-kafkajs-child.mjs')
  if (!existsSync(script)) writeFileSync(script, KAFKAJS_CHILD)
  return new EventProcess(`kafkajs-child-${opts.name}`, process.execPath, [script, JSON.stringify(opts)], {
    SAMSA_REPO_ROOT: REPO_ROOT,
  })
}

// ---------------------------------------------------------------------------------------------------------------
// kafkajs members in this process

export interface Received {
  member: string
  partition: number
  offset: number
  value: string
}

/**
 * A kafkajs consumer in this process that records its assignments (per generation) and every message it
 * processes (into a shared `sink`, tagged with its name). autoCommit stays kafkajs' default unless configured.
 */
export class KafkajsMember {
  readonly consumer: Consumer
  /** One entry per completed rebalance (kafkajs' GROUP_JOIN event carries no generation id). */
  readonly joins: Array<{ at: number; memberId: string; isLeader: boolean; partitions: number[] }> = []
  crashed: unknown

  constructor(
    readonly name: string,
    kafka: Kafka,
    readonly topic: string,
    groupId: string,
    private readonly sink: Received[],
    config: Partial<ConsumerConfig> = {},
  ) {
    this.consumer = kafka.consumer({
      groupId,
      sessionTimeout: 6000,
      rebalanceTimeout: 10_000,
      heartbeatInterval: 1000,
      maxWaitTimeInMs: 200,
      ...config,
    })
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      this.joins.push({
        at: Date.now(),
        memberId: e.payload.memberId,
        isLeader: e.payload.isLeader,
        partitions: [...(e.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b),
      })
    })
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      this.crashed = e.payload.error
    })
  }

  async start(runConfig: { autoCommit?: boolean } = {}): Promise<this> {
    await this.consumer.connect()
    await this.consumer.subscribe({ topics: [this.topic], fromBeginning: true })
    await this.consumer.run({
      ...runConfig,
      eachMessage: async ({ partition, message }) => {
        this.sink.push({
          member: this.name,
          partition,
          offset: Number(message.offset),
          value: message.value ? message.value.toString() : '',
        })
      },
    })
    return this
  }

  /** The partitions of the latest generation this member joined. */
  get assignment(): number[] {
    return this.joins[this.joins.length - 1]?.partitions ?? []
  }

  get memberId(): string | undefined {
    return this.joins[this.joins.length - 1]?.memberId
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect()
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Python group scripts

export type PyGroupLib = 'confluent-kafka' | 'kafka-python'

const PY_GROUP_SCRIPTS: Record<PyGroupLib, string> = {
  'confluent-kafka': join(SUPPORT_DIR, 'python', 'group_confluent.py'),
  'kafka-python': join(SUPPORT_DIR, 'python', 'group_kafka_python.py'),
}

/** Starts a python group script (see its docstring for the arguments) as an EventProcess. */
export function startPyGroup(lib: PyGroupLib, name: string, args: Record<string, unknown>): EventProcess {
  return new EventProcess(`${lib}-${name}`, SYSTEM_PYTHON, [PY_GROUP_SCRIPTS[lib], JSON.stringify(args)])
}

/** Runs a python group script to completion and returns its events (throws on an error event). */
export async function runPyGroup(
  lib: PyGroupLib,
  name: string,
  args: Record<string, unknown>,
  timeoutMs = 60_000,
): Promise<EventProcess> {
  const p = startPyGroup(lib, name, args)
  await p.waitExit(timeoutMs)
  resultOf(p)
  return p
}

// ---------------------------------------------------------------------------------------------------------------
// Sarama ConsumerGroup (sarama-group/main.go)

export function buildSaramaGroup(): Promise<string> {
  return buildSaramaProgram('sarama-group', 'sarama-group')
}

export async function runSaramaGroup(
  name: string,
  args: Record<string, unknown>,
  timeoutMs = 60_000,
): Promise<EventProcess> {
  const bin = await buildSaramaGroup()
  const p = new EventProcess(`sarama-group-${name}`, bin, [JSON.stringify(args)])
  await p.waitExit(timeoutMs)
  resultOf(p)
  return p
}

// ---------------------------------------------------------------------------------------------------------------
// A ZooKeeper-mode cluster

export function sharedZkConnect(): string {
  try {
    return inject('zkConnect')
  } catch {
    return process.env.SAMSA_ZK_CONNECT ?? ''
  }
}

export interface Cluster {
  readonly zkConnect: string
  readonly brokers: BrokerProcess[]
  readonly bootstrap: string[]
  broker(id: number): BrokerProcess
  stop(): Promise<void>
}

/**
 * Starts `n` brokers (ids 1..n) in ZooKeeper mode on a new chroot of the shared ZooKeeper, with
 * `__consumer_offsets` replicated `n` times.
 */
export async function startCluster(
  n: number,
  overrides: Record<string, string | number | boolean> = {},
): Promise<Cluster> {
  const zk = sharedZkConnect()
  if (!zk) throw new Error('no ZooKeeper: the global setup could not start one')
  const zkConnect = `${zk}/${uniqueName('groups')}`
  const brokers: BrokerProcess[] = []
  const cluster: Cluster = {
    zkConnect,
    brokers,
    get bootstrap() {
      return brokers.map((b) => b.bootstrap)
    },
    broker(id: number) {
      const b = brokers.find((x) => x.id === id)
      if (!b) throw new Error(`no broker ${id}`)
      return b
    },
    async stop() {
      await Promise.all(brokers.map((b) => b.stop(15_000)))
    },
  }
  const results = await Promise.allSettled(
    Array.from({ length: n }, (_, i) =>
      startBroker({
        id: i + 1,
        zkConnect,
        overrides: {
          'offsets.topic.replication.factor': n,
          'default.replication.factor': n,
          'zookeeper.session.timeout.ms': 6000,
          'group.initial.rebalance.delay.ms': 0,
          ...overrides,
        },
      }),
    ),
  )
  for (const r of results) if (r.status === 'fulfilled') brokers.push(r.value)
  const failed = results.find((r) => r.status === 'rejected')
  if (failed) {
    await cluster.stop()
    throw failed.reason
  }
  return cluster
}

/** /brokers/topics/__consumer_offsets/partitions/<p>/state from ZooKeeper. */
export async function offsetsPartitionState(
  zkConnect: string,
  partition: number,
): Promise<{ leader: number; leader_epoch: number; isr: number[] } | undefined> {
  return withZk(
    zkConnect,
    (c) =>
      new Promise((resolve, reject) => {
        c.getData(`/brokers/topics/__consumer_offsets/partitions/${partition}/state`, (err, data) => {
          if (err) {
            if (String(err).includes('NO_NODE')) resolve(undefined)
            else reject(err instanceof Error ? err : new Error(String(err)))
            return
          }
          resolve(
            JSON.parse(data.toString('utf8')) as { leader: number; leader_epoch: number; isr: number[] },
          )
        })
      }),
  )
}

/**
 * An afterEach hook for files whose brokers are only stopped in afterAll: when a test failed and one of
 * `brokers()` logged a SIGTERM/SIGINT, the failure may not be Samsa's: someone ran bin/kafka-server-stop.sh on
 * this machine (it signals every Samsa broker it finds). Says so, with the log line.
 */
export function reportForeignStops(brokers: () => Array<BrokerProcess | undefined>): void {
  afterEach((ctx) => {
    if (ctx.task.result?.state !== 'fail') return
    for (const b of brokers()) {
      if (!b) continue
      let text: string
      try {
        text = readFileSync(b.logFile, 'utf8')
      } catch {
        continue
      }
      for (const line of text.split('\n').filter((l) => /Received SIG(TERM|INT)/.test(l))) {
        console.log(
          `[groups] WARNING: broker ${b.id} (${b.bootstrap}) was signalled by someone outside this test ` +
            `(bin/kafka-server-stop.sh elsewhere?): ${line.slice(0, 200)}`,
        )
      }
    }
  })
}

// ---------------------------------------------------------------------------------------------------------------
// Raw group requests with the repo's codec

/** The `__consumer_offsets` partition of a group (Kafka's abs(hashCode) % partitions). */
export function offsetsPartitionFor(groupId: string, partitions = 50): number {
  let h = 0
  for (let i = 0; i < groupId.length; i++) h = (Math.imul(31, h) + groupId.charCodeAt(i)) | 0
  return (h === -2147483648 ? 0 : Math.abs(h)) % partitions
}

/** Opens a raw connection to one broker, runs `fn`, closes. */
export async function withRaw<T>(
  broker: { host: string; port: number },
  fn: (c: RawConnection) => Promise<T>,
): Promise<T> {
  const c = await RawConnection.connect(broker.host, broker.port)
  try {
    return await fn(c)
  } finally {
    c.close()
  }
}

export async function rawFindCoordinator(
  broker: { host: string; port: number },
  groupId: string,
): Promise<{ errorCode: number; nodeId: number; host: string; port: number }> {
  return withRaw(broker, async (c) => {
    const r = await c.request(Apis.FindCoordinator, 3, { key: groupId, keyType: 0 })
    return { errorCode: r.errorCode, nodeId: r.nodeId, host: r.host, port: r.port }
  })
}

/**
 * Asks `broker` for the group's coordinator until it names one (the first FindCoordinator creates
 * `__consumer_offsets`), as a client does before its first group request; returns the coordinator's id.
 */
export async function waitCoordinator(
  broker: { host: string; port: number },
  groupId: string,
): Promise<number> {
  const r = await waitFor(
    `a coordinator for ${groupId}`,
    async () => {
      const f = await rawFindCoordinator(broker, groupId)
      return f.errorCode === 0 ? f : undefined
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  )
  return r.nodeId
}

/** OffsetFetch v7 for one group on one broker: the group error and the partitions. */
export async function rawOffsetFetch(
  broker: { host: string; port: number },
  groupId: string,
  topic: string,
  partitions: number[],
  version = 7,
): Promise<{
  errorCode: number
  partitions: Array<{
    partition: number
    offset: number
    leaderEpoch: number
    metadata: string | null
    errorCode: number
  }>
}> {
  return withRaw(broker, async (c) => {
    const r = await c.request(Apis.OffsetFetch, version, {
      groupId,
      topics: [{ name: topic, partitionIndexes: partitions }],
      requireStable: false,
    })
    return {
      errorCode: r.errorCode,
      partitions: r.topics.flatMap((t) =>
        t.partitions.map((p) => ({
          partition: p.partitionIndex,
          offset: p.committedOffset,
          leaderEpoch: p.committedLeaderEpoch,
          metadata: p.metadata,
          errorCode: p.errorCode,
        })),
      ),
    }
  })
}

/** OffsetCommit (v8 by default) as a simple consumer (generation -1, no member id). */
export async function rawOffsetCommit(
  broker: { host: string; port: number },
  groupId: string,
  topic: string,
  partitions: Array<{ partition: number; offset: number; leaderEpoch?: number; metadata?: string | null }>,
  version = 8,
): Promise<Array<{ partition: number; errorCode: number }>> {
  return withRaw(broker, async (c) => {
    const r = await c.request(Apis.OffsetCommit, version, {
      groupId,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [
        {
          name: topic,
          partitions: partitions.map((p) => ({
            partitionIndex: p.partition,
            committedOffset: p.offset,
            committedLeaderEpoch: p.leaderEpoch ?? -1,
            committedMetadata: p.metadata ?? null,
          })),
        },
      ],
    })
    return r.topics.flatMap((t) =>
      t.partitions.map((p) => ({ partition: p.partitionIndex, errorCode: p.errorCode })),
    )
  })
}

/** DescribeGroups v4 (with the members' group instance ids) for one group on one broker. */
export async function rawDescribeGroup(
  broker: { host: string; port: number },
  groupId: string,
): Promise<{
  errorCode: number
  state: string
  protocol: string
  members: Array<{ memberId: string; groupInstanceId: string | null; clientId: string }>
}> {
  return withRaw(broker, async (c) => {
    const r = await c.request(Apis.DescribeGroups, 4, {
      groups: [groupId],
      includeAuthorizedOperations: false,
    })
    const g = r.groups[0]!
    return {
      errorCode: g.errorCode,
      state: g.groupState,
      protocol: g.protocolData,
      members: g.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
      })),
    }
  })
}

/** The error codes a broker gives for group requests about `groupId` (to see NOT_COORDINATOR). */
export async function rawGroupErrors(
  broker: { host: string; port: number },
  groupId: string,
  topic: string,
): Promise<{
  offsetFetch: number
  offsetCommit: number
  joinGroup: number
  heartbeat: number
  describeGroups: number
}> {
  return withRaw(broker, async (c) => {
    const fetch = await c.request(Apis.OffsetFetch, 7, {
      groupId,
      topics: [{ name: topic, partitionIndexes: [0] }],
      requireStable: false,
    })
    const commit = await c.request(Apis.OffsetCommit, 8, {
      groupId,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [
        {
          name: topic,
          partitions: [
            { partitionIndex: 0, committedOffset: 0, committedLeaderEpoch: -1, committedMetadata: '' },
          ],
        },
      ],
    })
    const join = await c.request(Apis.JoinGroup, 5, {
      groupId,
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      memberId: '',
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
    })
    const hb = await c.request(Apis.Heartbeat, 3, {
      groupId,
      generationId: 1,
      memberId: 'nobody',
      groupInstanceId: null,
    })
    const describe = await c.request(Apis.DescribeGroups, 3, {
      groups: [groupId],
      includeAuthorizedOperations: false,
    })
    return {
      offsetFetch: fetch.errorCode,
      offsetCommit: commit.topics[0]!.partitions[0]!.errorCode,
      joinGroup: join.errorCode,
      heartbeat: hb.errorCode,
      describeGroups: describe.groups[0]!.errorCode,
    }
  })
}

// ---------------------------------------------------------------------------------------------------------------
// __consumer_offsets on disk

export type GroupLogEntry =
  | {
      type: 'offset'
      offset: number
      group: string
      topic: string
      partition: number
      /** null for a tombstone */
      value: { offset: number; leaderEpoch: number; metadata: string; commitTimestamp: number } | null
    }
  | {
      type: 'group'
      offset: number
      group: string
      generation: number | null
      members: number
      protocol: string | null
    }

/** Decodes every record of `__consumer_offsets-<partition>` in a broker's data dir (all segments). */
export function readOffsetsPartition(dataDir: string, partition: number): GroupLogEntry[] {
  const dir = join(dataDir, `__consumer_offsets-${partition}`)
  if (!existsSync(dir)) return []
  const out: GroupLogEntry[] = []
  for (const f of readdirSync(dir)
    .filter((x) => /^\d{20}\.log$/.test(x))
    .sort()) {
    const buf = readFileSync(join(dir, f))
    for (const e of iterateBatches(buf)) {
      if (e.kind !== 'v2' || e.header.isControl) continue
      for (const rec of readRecords(buf, e.position)) {
        if (!rec.key) continue
        const k = decodeGroupRecordKey(rec.key)
        if (k.type === 'offsetCommit') {
          const v = decodeOffsetCommitValue(rec.value)
          out.push({
            type: 'offset',
            offset: rec.offset,
            group: k.key.group,
            topic: k.key.topic,
            partition: k.key.partition,
            value: v
              ? {
                  offset: v.value.offset,
                  leaderEpoch: v.value.leaderEpoch,
                  metadata: v.value.metadata,
                  commitTimestamp: v.value.commitTimestamp,
                }
              : null,
          })
        } else if (k.type === 'groupMetadata') {
          const v = decodeGroupMetadataValue(rec.value)
          out.push({
            type: 'group',
            offset: rec.offset,
            group: k.key.group,
            generation: v ? v.value.generation : null,
            members: v ? v.value.members.length : 0,
            protocol: v ? v.value.protocol : null,
          })
        }
      }
    }
  }
  return out
}

/** The latest committed offset per partition of (group, topic) in those records (null after a tombstone). */
export function latestCommits(
  entries: GroupLogEntry[],
  group: string,
  topic: string,
): Map<number, number | null> {
  const m = new Map<number, number | null>()
  for (const e of entries) {
    if (e.type === 'offset' && e.group === group && e.topic === topic)
      m.set(e.partition, e.value?.offset ?? null)
  }
  return m
}

// ---------------------------------------------------------------------------------------------------------------
// Small helpers

/** Messages `prefix-<i>` spread round-robin over `partitions`. */
export function spread(
  prefix: string,
  n: number,
  partitions: number,
): Array<{ partition: number; value: string }> {
  return Array.from({ length: n }, (_, i) => ({ partition: i % partitions, value: `${prefix}-${i}` }))
}

export const count = <T>(xs: readonly T[], key: (x: T) => string): Map<string, number> => {
  const m = new Map<string, number>()
  for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + 1)
  return m
}

/**
 * A positive barrier for "every message of `topic` has reached the group, and nothing more will": waits until `sink`
 * holds the last record of each partition that has any (a member receives a partition in offset order, so nothing
 * before that record can still arrive) and, with a `groupId`, until the group has committed the log end offsets (so
 * no member can start over from an earlier one). Use it instead of waiting a while for stray duplicates.
 */
export async function waitAllDelivered(
  kafka: Kafka,
  topic: string,
  groupId: string | undefined,
  sink: readonly { partition: number; offset: number }[],
  { timeoutMs = 30_000 }: { timeoutMs?: number } = {},
): Promise<void> {
  const ends = await withAdmin(kafka, (a) => a.fetchTopicOffsets(topic))
  const last = ends
    .filter((e) => Number(e.high) > Number(e.low))
    .map((e): [number, number] => [e.partition, Number(e.high)])
  await waitFor(
    `the last records of ${topic} (${last.map(([p, end]) => `${p}@${end - 1}`).join(', ')})`,
    () => last.every(([p, end]) => sink.some((r) => r.partition === p && r.offset === end - 1)),
    { timeoutMs },
  )
  if (groupId === undefined) return
  await waitFor(
    `${groupId} to commit the end offsets of ${topic}`,
    () =>
      withAdmin(kafka, async (a) => {
        const got = (await a.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions
        return last.every(([p, end]) => Number(got.find((g) => g.partition === p)?.offset) === end)
      }),
    { timeoutMs },
  )
}

/** Values that occur more than once. */
export function duplicates<T>(xs: readonly T[], key: (x: T) => string): string[] {
  return [...count(xs, key)].filter(([, n]) => n > 1).map(([k]) => k)
}

export { waitFor, sleep }
