/**
 * Samsa brokers as real processes, started the way a user starts Kafka:
 *   bin/kafka-server-start.sh <properties> --override key=value ...
 * so tests can SIGTERM, `kill -9` and restart them on the same data dir and port. Output goes to a log file in
 * the run directory. Without `zkConnect` a broker runs standalone (config/standalone.properties); with it, in
 * ZooKeeper mode (config/server.properties) and is ready once /brokers/ids/<id> exists.
 */
import { basename, join } from 'node:path'
import { afterEach } from 'vitest'
import {
  KAFKA_SERVER_START,
  logsDir,
  markRunFailed,
  REPO_ROOT,
  runDir,
  scratchDir,
  sleep,
  STANDALONE_PROPERTIES,
  waitFor,
  ZK_MODE_PROPERTIES,
} from './env.js'
import { canConnect, freePort, isRunning, spawnLogged, type Spawned, stopProcess, tailFile } from './procs.js'
import { znodeExists } from './zk-client.js'

export type PropValue = string | number | boolean

export interface BrokerOptions {
  /** broker.id (default 0) */
  id?: number
  /** Listener port on 127.0.0.1 (default: a free one). */
  port?: number
  /** log.dirs (default: a new directory in the run directory) */
  dataDir?: string
  /** zookeeper.connect; unset = standalone */
  zkConnect?: string
  /** Properties file (default: config/standalone.properties, or config/server.properties with zkConnect). */
  propertiesFile?: string
  /** More --override key=value pairs. */
  overrides?: Record<string, PropValue>
  /** How long to wait for readiness (default 60 s). */
  startTimeoutMs?: number
  /** This broker's log level (default SAMSA_LOG_LEVEL, else info). */
  logLevel?: string
  /** Opens the process's V8 inspector on 127.0.0.1:<port> (support/inspector.ts: memory after a full GC). */
  inspectPort?: number
}

const running = new Set<BrokerProcess>()

export class BrokerProcess {
  readonly host = '127.0.0.1'
  readonly id: number
  readonly port: number
  readonly dataDir: string
  readonly zkConnect: string | undefined
  readonly logFile: string
  private proc: Spawned | undefined
  private readonly args: string[]
  private readonly startTimeoutMs: number
  private readonly logLevel: string | undefined
  private readonly inspectPort: number | undefined

  constructor(opts: Required<Pick<BrokerOptions, 'id' | 'port' | 'dataDir'>> & BrokerOptions) {
    this.id = opts.id
    this.port = opts.port
    this.dataDir = opts.dataDir
    this.zkConnect = opts.zkConnect
    this.startTimeoutMs = opts.startTimeoutMs ?? 60_000
    this.logLevel = opts.logLevel
    this.inspectPort = opts.inspectPort
    this.logFile = join(logsDir(), `broker-${opts.id}-${opts.port}-${basename(opts.dataDir)}.log`)
    const props = opts.propertiesFile ?? (opts.zkConnect ? ZK_MODE_PROPERTIES : STANDALONE_PROPERTIES)
    const overrides: Record<string, PropValue> = {
      'broker.id': opts.id,
      listeners: `PLAINTEXT://${this.host}:${opts.port}`,
      'log.dirs': opts.dataDir,
      // standalone.properties serves HTTP on 9644; test brokers serve it only when a test asks (a free port)
      'http.listeners': '',
      ...(opts.zkConnect ? { 'zookeeper.connect': opts.zkConnect } : {}),
      ...opts.overrides,
    }
    this.args = [props]
    for (const [k, v] of Object.entries(overrides)) this.args.push('--override', `${k}=${String(v)}`)
  }

  get bootstrap(): string {
    return `${this.host}:${this.port}`
  }

  get pid(): number | undefined {
    return this.proc?.pid
  }

  get isRunning(): boolean {
    return this.proc !== undefined && isRunning(this.proc)
  }

  /** Starts the process and waits until it serves (port open; registered in ZooKeeper in ZK mode). */
  async start(): Promise<this> {
    if (this.isRunning) throw new Error(`broker ${this.id} is already running`)
    this.proc = spawnLogged(
      `broker ${this.id} (${this.bootstrap})`,
      KAFKA_SERVER_START,
      this.args,
      this.logFile,
      {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          LOG_LEVEL: this.logLevel ?? process.env.SAMSA_LOG_LEVEL ?? process.env.LOG_LEVEL ?? 'info',
          SAMSA_LOG_LEVEL: this.logLevel ?? process.env.SAMSA_LOG_LEVEL ?? '',
          // pid files of test brokers stay in the run directory, not in run/ of the checkout
          SAMSA_PID_DIR: join(runDir(), 'pidfiles'),
          ...(this.inspectPort === undefined
            ? {}
            : {
                NODE_OPTIONS:
                  `${process.env.NODE_OPTIONS ?? ''} --inspect=127.0.0.1:${this.inspectPort}`.trim(),
              }),
        },
      },
    )
    running.add(this)
    await this.waitReady()
    return this
  }

  private describeFailure(why: string): Error {
    const state =
      this.proc && isRunning(this.proc)
        ? 'running'
        : `exited (${String(this.proc?.child.exitCode ?? this.proc?.child.signalCode)})`
    return new Error(
      `broker ${this.id} at ${this.bootstrap} ${why}; process ${state}; log ${this.logFile}:\n${tailFile(this.logFile, 4000)}`,
    )
  }

  private async waitReady(): Promise<void> {
    const proc = this.proc!
    const deadline = Date.now() + this.startTimeoutMs
    for (;;) {
      if (!isRunning(proc)) throw this.describeFailure('did not start')
      if (await canConnect(this.host, this.port, 500)) break
      if (Date.now() > deadline)
        throw this.describeFailure(`did not accept connections within ${this.startTimeoutMs} ms`)
      await sleep(100)
    }
    if (this.zkConnect) {
      const path = `/brokers/ids/${this.id}`
      try {
        await waitFor(`${path} in ZooKeeper`, () => znodeExists(this.zkConnect!, path), {
          timeoutMs: Math.max(1000, deadline - Date.now()),
          intervalMs: 200,
        })
      } catch (e) {
        throw this.describeFailure((e as Error).message)
      }
    }
  }

  /** Clean shutdown (SIGTERM); resolves with the exit code. Escalates to SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 30_000): Promise<number | string> {
    running.delete(this)
    if (!this.proc) return 'not started'
    return stopProcess(this.proc, 'SIGTERM', timeoutMs)
  }

  /** `kill -9`. */
  async kill(): Promise<void> {
    running.delete(this)
    if (!this.proc) return
    await stopProcess(this.proc, 'SIGKILL', 10_000)
  }

  /** Stops (SIGTERM, or SIGKILL with `kill: true`) and starts again on the same port and data dir. */
  async restart(opts: { kill?: boolean } = {}): Promise<this> {
    if (opts.kill) await this.kill()
    else await this.stop()
    return this.start()
  }

  /** The last part of this broker's log. */
  logTail(maxBytes = 4000): string {
    return tailFile(this.logFile, maxBytes)
  }
}

/** Creates and starts a broker (see BrokerOptions). */
export async function startBroker(opts: BrokerOptions = {}): Promise<BrokerProcess> {
  const id = opts.id ?? 0
  const port = opts.port ?? (await freePort())
  const dataDir = opts.dataDir ?? (await scratchDir(`broker-${id}`))
  const b = new BrokerProcess({ ...opts, id, port, dataDir })
  try {
    return await b.start()
  } catch (e) {
    await b.kill()
    throw e
  }
}

/** Every broker this worker started and has not stopped (for cleanup). */
export function runningBrokers(): BrokerProcess[] {
  return [...running]
}

/** SIGTERMs every broker still running (SIGKILL after a while). For afterAll hooks. */
export async function stopAllBrokers(): Promise<void> {
  await Promise.all([...running].map((b) => b.stop(15_000)))
}

/**
 * Registers an afterEach hook that, when a test failed, prints the tail of every running broker's log
 * (the full logs stay in the run directory).
 */
export function printBrokerLogsOnFailure(): void {
  afterEach((ctx) => {
    if (ctx.task.result?.state !== 'fail') return
    markRunFailed()
    for (const b of running) {
      console.log(
        `----- broker ${b.id} (${b.bootstrap}) log tail, full log: ${b.logFile}\n${b.logTail(3000)}`,
      )
    }
  })
}
