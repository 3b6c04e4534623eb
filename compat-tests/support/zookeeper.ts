/**
 * ZooKeeper for the compat tests: a `zookeeper:3.8` container through testcontainers when a Docker engine is
 * reachable, otherwise the local ZooKeeper jars (Debian's package) on a free port of 127.0.0.1 with a temp data
 * dir. SAMSA_ZK=local or SAMSA_ZK=testcontainers forces one. Each start logs which one it used.
 * The handle can stop/start ZooKeeper on the same data and port (fault tests), and stops it for good at the end.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { join } from 'node:path'
import { logsDir, scratchDir, sleep, waitFor } from './env.js'
import { freePort, isRunning, spawnLogged, type Spawned, stopProcess, tailFile } from './procs.js'

export type ZkMode = 'testcontainers' | 'local'

export interface ZooKeeper {
  readonly mode: ZkMode
  readonly host: string
  readonly port: number
  /** host:port (add a chroot suffix yourself if you want one) */
  readonly connectString: string
  /** Where its output goes (local mode). */
  readonly logFile: string | undefined
  /** Takes ZooKeeper down without losing its data: a clean stop, or `kill: true` for SIGKILL. */
  down(opts?: { kill?: boolean }): Promise<void>
  /** Brings it back on the same port and data; resolves once it answers. */
  up(): Promise<void>
  /** down() then up(). */
  restart(opts?: { kill?: boolean }): Promise<void>
  /** Stops it for good and removes the container (the local data dir goes with the run directory). */
  stop(): Promise<void>
}

const ZK_IMAGE = 'zookeeper:3.8'
/**
 * Debian's /usr/share/java holds several SLF4J bindings and the JVM happens to pick slf4j-nop, which leaves
 * ZooKeeper's log empty; slf4j-simple ahead of the rest makes it log (to the process's stderr, i.e. its log file).
 */
const SLF4J_SIMPLE = '/usr/share/java/slf4j-simple.jar'
const ZK_CLASSPATH =
  process.env.ZOOKEEPER_CLASSPATH ??
  `/etc/zookeeper/conf:${existsSync(SLF4J_SIMPLE) ? `${SLF4J_SIMPLE}:` : ''}/usr/share/java/*`
/** slf4j-simple's settings: timestamps, so ZooKeeper's lines can be put next to the brokers'. */
const ZK_LOG_PROPS = [
  '-Dorg.slf4j.simpleLogger.showDateTime=true',
  "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSSZ",
]

/** Sends a four-letter-word command and returns the answer ('' on failure). */
export function fourLetterWord(host: string, port: number, cmd: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port })
    let out = ''
    const timer = setTimeout(() => {
      sock.destroy()
      resolve(out)
    }, timeoutMs)
    sock.once('connect', () => sock.write(cmd))
    sock.on('data', (d: Buffer) => (out += d.toString('utf8')))
    sock.once('error', () => {
      clearTimeout(timer)
      resolve('')
    })
    sock.once('close', () => {
      clearTimeout(timer)
      resolve(out)
    })
  })
}

async function waitServing(
  host: string,
  port: number,
  timeoutMs: number,
  onFail?: () => string,
): Promise<void> {
  try {
    await waitFor(
      `ZooKeeper at ${host}:${port}`,
      async () => (await fourLetterWord(host, port, 'srvr')).includes('Mode:'),
      { timeoutMs, intervalMs: 100 },
    )
  } catch (e) {
    throw new Error(`${(e as Error).message}${onFail ? `\n${onFail()}` : ''}`, { cause: e })
  }
}

/** Why testcontainers cannot be used here, or undefined when a Docker engine is reachable. */
async function dockerUnavailableReason(): Promise<string | undefined> {
  try {
    const tc = await import('testcontainers')
    await tc.getContainerRuntimeClient()
    return undefined
  } catch (e) {
    return (e as Error).message.split('\n')[0]
  }
}

async function startWithTestcontainers(): Promise<ZooKeeper> {
  const tc = await import('testcontainers')
  // A fixed host port so that a restarted container keeps its address.
  const hostPort = await freePort()
  const container = await new tc.GenericContainer(ZK_IMAGE)
    .withExposedPorts({ container: 2181, host: hostPort })
    .withEnvironment({ ZOO_4LW_COMMANDS_WHITELIST: 'srvr,ruok,stat', ZOO_ADMINSERVER_ENABLED: 'false' })
    .withWaitStrategy(tc.Wait.forListeningPorts())
    .withStartupTimeout(120_000)
    .start()
  const host = container.getHost()
  const port = container.getMappedPort(2181)
  await waitServing(host, port, 60_000)
  const client = await tc.getContainerRuntimeClient()
  const raw = client.container.getById(container.getId())
  let stopped = false
  const zk: ZooKeeper = {
    mode: 'testcontainers',
    host,
    port,
    connectString: `${host}:${port}`,
    logFile: undefined,
    async down(opts) {
      if (opts?.kill) await raw.kill()
      else await raw.stop({ t: 10 })
    },
    async up() {
      await raw.start()
      await waitServing(host, port, 60_000)
    },
    async restart(opts) {
      await zk.down(opts)
      await zk.up()
    },
    async stop() {
      if (stopped) return
      stopped = true
      await container.stop({ timeout: 5_000 })
    },
  }
  console.log(
    `[compat] ZooKeeper: testcontainers ${ZK_IMAGE} (container ${container.getId().slice(0, 12)}) at ${zk.connectString}`,
  )
  return zk
}

async function startLocal(reason: string): Promise<ZooKeeper> {
  const host = '127.0.0.1'
  const port = await freePort()
  const dir = await scratchDir(`zookeeper-${port}`)
  const dataDir = join(dir, 'data')
  mkdirSync(dataDir, { recursive: true })
  const cfg = join(dir, 'zoo.cfg')
  writeFileSync(
    cfg,
    [
      'tickTime=500',
      'initLimit=10',
      'syncLimit=5',
      `dataDir=${dataDir}`,
      `clientPort=${port}`,
      `clientPortAddress=${host}`,
      'maxClientCnxns=0',
      'admin.enableServer=false',
      '4lw.commands.whitelist=srvr,ruok,stat,mntr',
      // tickTime 500 allows session timeouts down to 1 s (minSessionTimeout = 2 ticks) for fault tests.
      'minSessionTimeout=1000',
      'maxSessionTimeout=60000',
      '',
    ].join('\n'),
  )
  const logFile = join(logsDir(), `zookeeper-${port}.log`)
  let proc: Spawned | undefined
  const launch = async (): Promise<void> => {
    proc = spawnLogged(
      `zookeeper:${port}`,
      'java',
      [
        '-Xmx256m',
        `-Dzookeeper.log.dir=${dir}`,
        '-Dzookeeper.root.logger=INFO,CONSOLE',
        ...ZK_LOG_PROPS,
        '-cp',
        ZK_CLASSPATH,
        'org.apache.zookeeper.server.quorum.QuorumPeerMain',
        cfg,
      ],
      logFile,
    )
    const p = proc
    await waitServing(host, port, 30_000, () => {
      const state = isRunning(p)
        ? 'still running'
        : `exited with ${String(p.child.exitCode ?? p.child.signalCode)}`
      return `ZooKeeper process ${state}; log ${logFile}:\n${tailFile(logFile, 3000)}`
    })
  }
  await launch()
  let stopped = false
  const zk: ZooKeeper = {
    mode: 'local',
    host,
    port,
    connectString: `${host}:${port}`,
    logFile,
    async down(opts) {
      if (proc && isRunning(proc)) await stopProcess(proc, opts?.kill ? 'SIGKILL' : 'SIGTERM', 15_000)
      // The port must be free before a restart can bind it again.
      await waitFor(
        `port ${port} to close`,
        async () => (await fourLetterWord(host, port, 'ruok', 300)) === '',
        {
          timeoutMs: 10_000,
        },
      )
    },
    async up() {
      if (proc && isRunning(proc)) return
      await launch()
    },
    async restart(opts) {
      await zk.down(opts)
      await sleep(100)
      await zk.up()
    },
    async stop() {
      if (stopped) return
      stopped = true
      if (proc && isRunning(proc)) await stopProcess(proc, 'SIGTERM', 15_000)
    },
  }
  console.log(
    `[compat] ZooKeeper: local jars (${ZK_CLASSPATH}) at ${zk.connectString}, data ${dataDir}, log ${logFile} — ${reason}`,
  )
  return zk
}

/** Starts a ZooKeeper as described above. */
export async function startZooKeeper(): Promise<ZooKeeper> {
  const forced = process.env.SAMSA_ZK
  if (forced === 'local') return startLocal('SAMSA_ZK=local')
  const reason = await dockerUnavailableReason()
  if (forced === 'testcontainers') {
    if (reason) throw new Error(`SAMSA_ZK=testcontainers but no container runtime: ${reason}`)
    return startWithTestcontainers()
  }
  if (reason === undefined) return startWithTestcontainers()
  return startLocal(`no Docker engine reachable (${reason})`)
}
