/**
 * Test-runner integration (README "In a test runner"): a cluster per vitest worker (`clusterForWorker`, from a
 * setupFiles module or a test file), a cluster for a whole jest run (`jestGlobalSetup` / `jestGlobalTeardown`: its
 * addresses reach the test files through the environment, its controls through the HTTP control API), and
 * per-test namespaces (`namespace`) so that tests running in parallel against one cluster never share a topic or a
 * group.
 */
import { rmSync } from 'node:fs'
import { HttpServer } from '../http/http-server.js'
import { createLogger } from '../util/logger.js'
import { startCluster, type Cluster, type ClusterOptions } from './cluster.js'
import { controlRoutes } from './control-routes.js'

/** A cluster with its HTTP control API (what bin/samsa-cluster runs). */
export interface ClusterServer {
  readonly cluster: Cluster
  /** The control API's base URL, `http://127.0.0.1:<port>`. */
  readonly url: string
  stop(): Promise<void>
}

/**
 * Starts a cluster and serves its control API on `http` (`{ host, port }`, default an ephemeral port of
 * 127.0.0.1). `onStop` is called when a client asks for POST /cluster/stop.
 */
export async function startClusterServer(
  opts: ClusterOptions & { http?: { host: string; port: number }; onStop?: () => void } = {},
): Promise<ClusterServer> {
  const cluster = await startCluster(opts)
  const host = opts.http?.host ?? '127.0.0.1'
  const port = opts.http?.port ?? 0
  const http = new HttpServer(
    { listeners: [{ url: `http://${host}:${port}`, host, port }], describe: 'the cluster control API' },
    controlRoutes(cluster, { onStop: opts.onStop }),
    createLogger({ level: opts.logLevel ?? 'warn', fd: opts.logFd }).child({ name: 'samsa.cluster' }),
  )
  try {
    const [bound] = await http.start()
    return {
      cluster,
      url: `http://${bound!.host || '127.0.0.1'}:${bound!.boundPort}`,
      async stop() {
        await http.stop()
        await cluster.stop()
      },
    }
  } catch (e) {
    await cluster.stop().catch(() => {})
    throw e
  }
}

let namespaces = 0

/**
 * A name prefix no other test of this run uses — worker id, a counter and a random part: `w3-12-k9x2`. Give every
 * test its own (`${ns}.orders`, `${ns}.billing-group`) and tests can share one cluster in parallel.
 */
export function namespace(prefix = 'w'): string {
  const worker = process.env.VITEST_POOL_ID ?? process.env.JEST_WORKER_ID ?? String(process.pid)
  return `${prefix}${worker}-${++namespaces}-${Math.random().toString(36).slice(2, 6)}`
}

const WORKER_CLUSTER = Symbol.for('samsa.workerCluster')
type Holder = { [WORKER_CLUSTER]?: Promise<Cluster> }

/**
 * The cluster of this worker (a vitest worker thread or process): started by the first call, then shared by every
 * test file the worker runs (vitest resets modules between files, not `globalThis`); its temporary data is removed
 * when the worker exits. Call it from a `setupFiles` module or a `beforeAll`. Tests on other workers get their
 * own cluster, so a test that kills a broker affects only its worker's files; within a worker files run one after
 * the other.
 */
export function clusterForWorker(opts: ClusterOptions = {}): Promise<Cluster> {
  const holder = globalThis as Holder
  holder[WORKER_CLUSTER] ??= startCluster({ logLevel: 'error', ...opts }).then((c) => {
    // the process is going away: no clean shutdown needed, only its temporary directory removed
    process.once('exit', () => {
      if (opts.dataDir === undefined) rmSync(c.dataDir, { recursive: true, force: true })
    })
    return c
  })
  return holder[WORKER_CLUSTER]
}

const JEST_SERVER = Symbol.for('samsa.jestClusterServer')
type JestHolder = { [JEST_SERVER]?: ClusterServer }

/**
 * jest `globalSetup`: starts one cluster with its control API for the run and puts its addresses in the
 * environment the test workers inherit — SAMSA_BOOTSTRAP_SERVERS (comma separated) and SAMSA_CLUSTER_URL (the
 * control API). `export default () => jestGlobalSetup({ brokers: 3 })` in the globalSetup module;
 * `jestGlobalTeardown` in the globalTeardown module stops it.
 */
export async function jestGlobalSetup(opts: ClusterOptions = {}): Promise<ClusterServer> {
  const server = await startClusterServer({ logLevel: 'error', ...opts })
  ;(globalThis as JestHolder)[JEST_SERVER] = server
  process.env.SAMSA_BOOTSTRAP_SERVERS = server.cluster.bootstrap
  process.env.SAMSA_CLUSTER_URL = server.url
  return server
}

/** jest `globalTeardown`: stops the cluster `jestGlobalSetup` started. */
export async function jestGlobalTeardown(): Promise<void> {
  const holder = globalThis as JestHolder
  await holder[JEST_SERVER]?.stop()
  holder[JEST_SERVER] = undefined
}
