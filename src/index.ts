/**
 * Samsa as a library: start a real Kafka-compatible broker inside a Node process (for example in a test
 * suite), point any Kafka client at `bootstrap`, and `stop()` it when done. No Docker, no JVM.
 *
 *   const broker = await startBroker()
 *   const kafka = new Kafka({ brokers: [broker.bootstrap] })
 *   ...
 *   await broker.stop()
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { BrokerConfig } from './config/broker-config.js'
import { Broker } from './server/broker.js'
import { createLogger, type Logger } from './util/logger.js'
import type { Scheduler } from './util/scheduler.js'

export { Broker } from './server/broker.js'
export { BrokerConfig } from './config/broker-config.js'
export { ManualClock, ManualScheduler, SystemScheduler } from './util/scheduler.js'
export type { Clock, ScheduledTask, Scheduler } from './util/scheduler.js'
export { Cluster, ClusterBroker, startCluster } from './cluster/cluster.js'
export {
  clusterForWorker,
  jestGlobalSetup,
  jestGlobalTeardown,
  namespace,
  startClusterServer,
} from './cluster/test-runner.js'
export type { ClusterServer } from './cluster/test-runner.js'
export type { BrokerState, ClusterOptions, Props, PropValue, ServedRequest } from './cluster/cluster.js'
export type { ClusterRecord, GroupView, ReadPartitionOptions, WaitOptions } from './cluster/observe.js'
export type { FaultMode, LinkFault, LinkOptions, NodeId, PartitionOptions } from './cluster/network.js'
export { InProcessZooKeeper } from './services/metadata/in-process-zookeeper.js'

export interface StartBrokerOptions {
  /** Broker properties with Kafka's names, e.g. `{ 'num.partitions': 3 }`; they win over everything below. */
  readonly properties?: Readonly<Record<string, string | number | boolean>>
  /** Interface to listen on (default 127.0.0.1). */
  readonly host?: string
  /** Port to listen on (default 0: an ephemeral port). */
  readonly port?: number
  /** Data directory (default: a new temporary directory, deleted by stop()). */
  readonly logDir?: string
  /** pino log level (default: warn). */
  readonly logLevel?: string
  /** A logger of your own (overrides logLevel). */
  readonly logger?: Logger
  /**
   * The scheduler every timer of the broker runs on (default: real time). With a `ManualScheduler` the broker runs
   * on manual time: retention, segment rolls, session timeouts, delayed fetches... happen only when you
   * `await scheduler.advance(ms)`.
   */
  readonly scheduler?: Scheduler
}

export interface RunningBroker {
  readonly host: string
  readonly port: number
  /** "host:port", for a client's bootstrap servers. */
  readonly bootstrap: string
  readonly brokerId: number
  readonly clusterId: string
  readonly logDirs: readonly string[]
  /** The broker itself, for anything more. */
  readonly broker: Broker
  /** Shuts down cleanly; removes the data directory if it was a temporary one (also when start-up fails). */
  stop(): Promise<void>
}

/** Starts a standalone broker (unless `zookeeper.connect` is among the properties). */
export async function startBroker(opts: StartBrokerOptions = {}): Promise<RunningBroker> {
  const host = opts.host ?? '127.0.0.1'
  const tempDir = opts.logDir ? undefined : mkdtempSync(path.join(os.tmpdir(), 'samsa-'))
  const logDir = opts.logDir ?? tempDir!
  const props = new Map<string, string>([
    ['broker.id', '0'],
    ['listeners', `PLAINTEXT://${host}:${opts.port ?? 0}`],
    ['log.dirs', logDir],
    ['offsets.topic.replication.factor', '1'],
    ['transaction.state.log.replication.factor', '1'],
    ['transaction.state.log.min.isr', '1'],
    ['group.initial.rebalance.delay.ms', '0'],
  ])
  for (const [k, v] of Object.entries(opts.properties ?? {})) props.set(k, String(v))
  let config: BrokerConfig
  let broker: Broker
  try {
    const logger = opts.logger ?? createLogger({ level: opts.logLevel ?? 'warn' })
    config = new BrokerConfig(props)
    broker = await Broker.start({ config, logger, scheduler: opts.scheduler })
  } catch (e) {
    if (tempDir) rmSync(tempDir, { recursive: true, force: true })
    throw e
  }
  const ep = broker.advertisedEndpoints[0]!
  return {
    host: ep.host,
    port: ep.port,
    bootstrap: `${ep.host}:${ep.port}`,
    brokerId: broker.brokerId,
    clusterId: broker.clusterId,
    logDirs: config.logDirs,
    broker,
    async stop() {
      await broker.shutdown()
      if (tempDir) rmSync(tempDir, { recursive: true, force: true })
    },
  }
}
