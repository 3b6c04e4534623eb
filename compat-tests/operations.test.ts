/**
 * What an operator meets on the first day, with the real scripts: a configuration the broker cannot run with ends
 * it at once with one line naming the property (and the --override that set it) and exit code 1;
 * bin/kafka-server-stop.sh stops only the brokers of its own installation, by broker id; `-daemon` brokers write
 * their own log files.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { printBrokerLogsOnFailure, startBroker } from './support/broker.js'
import {
  KAFKA_SERVER_START,
  logsDir,
  REPO_ROOT,
  scratchDir,
  STANDALONE_PROPERTIES,
  uniqueName,
  waitFor,
} from './support/env.js'
import { consumeWithGroup, createTopic, kafkajs, withAdmin, withProducer } from './support/kafkajs.js'
import { canConnect, freePort, registerPid, spawnLogged, stopProcess } from './support/procs.js'

printBrokerLogsOnFailure()

const KAFKA_SERVER_STOP = join(REPO_ROOT, 'bin', 'kafka-server-stop.sh')
const cleanups: Array<() => unknown> = []
afterAll(async () => {
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined)
})

interface Outcome {
  readonly code: number | string
  readonly output: string
}

/** Runs kafka-server-start.sh in the foreground with these overrides and waits for it to exit (it must). */
async function startExpectingExit(
  overrides: Record<string, string>,
  env: Record<string, string> = {},
): Promise<Outcome> {
  const logFile = join(logsDir(), `${uniqueName('bad-start')}.log`)
  const args = [STANDALONE_PROPERTIES, '--override', 'http.listeners=']
  for (const [k, v] of Object.entries(overrides)) args.push('--override', `${k}=${v}`)
  const p = spawnLogged('broker that must not start', KAFKA_SERVER_START, args, logFile, {
    cwd: REPO_ROOT,
    env: { ...process.env, SAMSA_PID_DIR: await scratchDir('pids'), ...env },
  })
  cleanups.push(() => stopProcess(p, 'SIGKILL'))
  let timer: NodeJS.Timeout | undefined
  const code = await Promise.race([
    p.exited,
    new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still running'), 20_000))),
  ])
  clearTimeout(timer)
  const text = readFileSync(logFile, 'utf8')
  // the harness's own ===== lines around the output
  const output = text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('====='))
    .join('\n')
  return { code, output }
}

/** The fatal (level 60) lines of JSON log output. */
function fatalLines(output: string): string[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { level: number; msg: string; err?: unknown })
    .filter((l) => l.level === 60)
    .map((l) => {
      expect(l.err, 'no stack trace for a configuration error').toBeUndefined()
      return l.msg
    })
}

describe('a configuration the broker cannot run with', () => {
  it('log.dirs under /proc (where recursive mkdir never returns) fails at once', async () => {
    const port = await freePort()
    const r = await startExpectingExit({
      listeners: `PLAINTEXT://127.0.0.1:${port}`,
      'log.dirs': '/proc/samsa-nope',
    })
    expect(r.code).toBe(1)
    expect(fatalLines(r.output)).toEqual([
      'Fatal error during KafkaServer startup: Invalid --override log.dirs=/proc/samsa-nope: log.dirs: ' +
        'Failed to create data directory /proc/samsa-nope: no such file or directory (ENOENT)',
    ])
  })

  it('log.dirs naming a file, or a directory it cannot write', async () => {
    const file = join(await scratchDir('file-shaped'), 'not-a-dir')
    writeFileSync(file, 'x')
    const port = await freePort()
    const r = await startExpectingExit({ listeners: `PLAINTEXT://127.0.0.1:${port}`, 'log.dirs': file })
    expect(r.code).toBe(1)
    expect(fatalLines(r.output)).toEqual([
      `Fatal error during KafkaServer startup: Invalid --override log.dirs=${file}: log.dirs: ` +
        `Failed to create data directory ${file}: a path component is a file, not a directory (ENOTDIR)`,
    ])
    const ro = await startExpectingExit({
      listeners: `PLAINTEXT://127.0.0.1:${port}`,
      'log.dirs': '/proc/self',
    })
    expect(ro.code).toBe(1)
    expect(fatalLines(ro.output)).toEqual([
      expect.stringMatching(
        /^Fatal error during KafkaServer startup: Invalid --override log.dirs=\/proc\/self: log.dirs: \/proc\/self is not a writable log directory: /,
      ),
    ])
  })

  it('a port in use names the listener and the address', async () => {
    const port = await freePort()
    const squatter = net.createServer()
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve))
    cleanups.push(() => squatter.close())
    const r = await startExpectingExit({
      listeners: `PLAINTEXT://127.0.0.1:${port}`,
      'log.dirs': await scratchDir('port-in-use'),
    })
    expect(r.code).toBe(1)
    expect(fatalLines(r.output)).toEqual([
      `Fatal error during KafkaServer startup: Invalid --override listeners=PLAINTEXT://127.0.0.1:${port}: ` +
        `listeners: Socket server failed to bind to 127.0.0.1:${port}: Address already in use.`,
    ])
  })

  it('a port out of range names the override', async () => {
    const r = await startExpectingExit({
      listeners: 'PLAINTEXT://127.0.0.1:99999',
      'log.dirs': await scratchDir('bad-port'),
    })
    expect(r.code).toBe(1)
    expect(fatalLines(r.output)).toEqual([
      "Invalid --override listeners=PLAINTEXT://127.0.0.1:99999: Error creating broker listeners from 'PLAINTEXT://127.0.0.1:99999': port out of range:99999",
    ])
  })

  it('on a terminal the line is text: time, level, logger, message', async () => {
    const port = await freePort()
    const dir = await scratchDir('tty')
    // script(1) gives the broker a terminal as stdout
    const cmd = [KAFKA_SERVER_START, STANDALONE_PROPERTIES, '--override']
      .concat([`listeners=PLAINTEXT://127.0.0.1:${port}`, '--override', 'num.partitions=none'])
      .map((a) => `'${a}'`)
      .join(' ')
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, SAMSA_PID_DIR: dir, LOG_LEVEL: '', SAMSA_LOG_LEVEL: '' },
      timeout: 60_000,
    })
    expect(r.status).toBe(1)
    const plain = r.stdout.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '').trim()
    expect(plain).toMatch(
      /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] FATAL \(kafka\.Kafka\): Invalid --override num.partitions=none: Invalid value none for configuration num.partitions: Not a number of type INT$/,
    )
  })

  it('a bad SAMSA_LOG_LEVEL is one clear line', async () => {
    const r = await startExpectingExit(
      { listeners: `PLAINTEXT://127.0.0.1:${await freePort()}`, 'log.dirs': await scratchDir('bad-level') },
      { SAMSA_LOG_LEVEL: 'verbose', LOG_LEVEL: '' },
    )
    expect(r.code).toBe(1)
    expect(r.output).toBe(
      "Invalid SAMSA_LOG_LEVEL 'verbose': expected one of trace, debug, info, warn, error, fatal, silent",
    )
  })
})

interface Daemon {
  readonly id: number
  readonly port: number
  readonly pidDir: string
  readonly logDir: string
  pid: number
}

/** Starts a standalone broker with `kafka-server-start.sh -daemon` and waits until it serves. */
async function startDaemon(id: number, pidDir: string): Promise<Daemon> {
  const port = await freePort()
  const logDir = await scratchDir(`daemon-logs-${id}`)
  const r = spawnSync(
    KAFKA_SERVER_START,
    [
      '-daemon',
      STANDALONE_PROPERTIES,
      '--override',
      `broker.id=${id}`,
      '--override',
      `listeners=PLAINTEXT://127.0.0.1:${port}`,
      '--override',
      `log.dirs=${await scratchDir(`daemon-data-${id}`)}`,
      '--override',
      'http.listeners=',
    ],
    {
      cwd: REPO_ROOT,
      // SAMSA_LOG_DIR unset: the script's default, LOG_DIR (the side logs: controller.log, state-change.log)
      env: { ...process.env, SAMSA_PID_DIR: pidDir, LOG_DIR: logDir, SAMSA_LOG_DIR: undefined },
      encoding: 'utf8',
    },
  )
  expect(r.status, r.stderr).toBe(0)
  const pidFile = await waitFor(`the pid file of daemon broker ${id}`, () =>
    readdirSync(pidDir).find((f) => f.startsWith(`samsa-broker-${id}-`)),
  )
  const pid = Number(readFileSync(join(pidDir, pidFile), 'utf8').trim())
  registerPid(pid, `daemon broker ${id}`)
  cleanups.push(() => {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      /* gone */
    }
  })
  await waitFor(`daemon broker ${id} to listen on ${port}`, () => canConnect('127.0.0.1', port), {
    timeoutMs: 60_000,
  })
  return { id, port, pidDir, logDir, pid }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

function stopScript(pidDir: string, ...args: string[]): { status: number | null; stdout: string } {
  const r = spawnSync(KAFKA_SERVER_STOP, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, SAMSA_PID_DIR: pidDir },
    encoding: 'utf8',
  })
  return { status: r.status, stdout: r.stdout + r.stderr }
}

describe('bin/kafka-server-stop.sh', () => {
  it('stops only the brokers of its installation, and with --node-id=1 only broker 1 (not 10)', async () => {
    const ours = await scratchDir('pids-ours')
    const theirs = await scratchDir('pids-theirs') // another installation's run directory
    const [b1, b10, other1] = await Promise.all([
      startDaemon(1, ours),
      startDaemon(10, ours),
      startDaemon(1, theirs),
    ])

    expect(stopScript(ours, '--node-id=1').status).toBe(0)
    await waitFor('broker 1 to exit', () => !alive(b1.pid))
    expect(alive(b10.pid)).toBe(true)
    expect(alive(other1.pid)).toBe(true)
    await waitFor('its pid file to be removed', () => !existsSync(join(ours, `samsa-broker-1-${b1.pid}.pid`)))

    expect(stopScript(ours).status).toBe(0)
    await waitFor('broker 10 to exit', () => !alive(b10.pid))
    expect(alive(other1.pid)).toBe(true)
    expect(stopScript(ours)).toEqual({ status: 1, stdout: 'No kafka server to stop\n' })

    // a stale pid file (its process is gone) is removed, not signalled
    writeFileSync(join(ours, 'samsa-broker-7-999999.pid'), '999999\n')
    expect(stopScript(ours, '--node-id=7').status).toBe(1)
    expect(existsSync(join(ours, 'samsa-broker-7-999999.pid'))).toBe(false)

    expect(stopScript(theirs, '--node-id=1').status).toBe(0)
    await waitFor('the other installation’s broker 1 to exit', () => !alive(other1.pid))

    // each -daemon broker wrote its own server.log (the text layout, as readable as Kafka's: time, level, logger,
    // its broker id in each line), controller.log (Kafka's appender for kafka.controller) and kafkaServer.out
    for (const b of [b1, b10, other1]) {
      const lines = readFileSync(join(b.logDir, 'server.log'), 'utf8').trim().split('\n')
      const layout =
        /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] (INFO|WARN|ERROR) \(kafka\.[\w.]+\): \[broker (\d+)\] /
      expect(lines.filter((l) => layout.exec(l)?.[2] !== String(b.id))).toEqual([])
      expect(lines.some((l) => l.endsWith(`[KafkaServer id=${b.id}] shut down completed`))).toBe(true)
      expect(readFileSync(join(b.logDir, 'controller.log'), 'utf8')).toMatch(
        new RegExp(
          `\\[broker ${b.id}\\] \\[Controller id=${b.id}\\] ${b.id} successfully elected as the controller`,
        ),
      )
      expect(existsSync(join(b.logDir, 'kafkaServer.out'))).toBe(true)
    }
  })
})

describe('config/standalone.properties (the development profile)', () => {
  it('applies a short retention.ms within seconds', async () => {
    const b = await startBroker()
    cleanups.push(() => b.stop())
    const topic = uniqueName('retention')
    await createTopic(b.bootstrap, topic, { configs: { 'retention.ms': '100' } })
    const kafka = kafkajs(b.bootstrap)
    await withProducer(kafka, {}, (p) =>
      p.send({ topic, acks: -1, messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] }),
    )
    const started = Date.now()
    await waitFor(
      'retention to delete the three records',
      () => withAdmin(kafka, async (a) => (await a.fetchTopicOffsets(topic))[0]?.low === '3'),
      { timeoutMs: 30_000, intervalMs: 500 },
    )
    expect(Date.now() - started).toBeLessThan(20_000)
  })
})

/** Normalises an INFO message: numbers, ids, paths and timings out, so that its shape is what remains. */
function shape(msg: string): string {
  return msg
    .replace(/(^|[\s=])\/[^\s,\]]*/g, '$1<path>')
    .replace(/Cluster ID = \S+/, 'Cluster ID = <id>')
    .replace(/kafkajs-[0-9a-f-]+/g, '<member>')
    .replace(/\d+/g, 'N')
}

describe('npm start', () => {
  it('starts from the built output when it is current, and logs at INFO what Kafka shows for the same events', async () => {
    const port = await freePort()
    const pidDir = await scratchDir('npm-start-pids')
    const logDir = await scratchDir('npm-start-logdir')
    const logFile = join(logsDir(), `${uniqueName('npm-start')}.log`)
    const p = spawnLogged(
      'npm start',
      'npm',
      [
        'start',
        '--silent',
        '--',
        '--override',
        `listeners=PLAINTEXT://127.0.0.1:${port}`,
        '--override',
        `log.dirs=${await scratchDir('npm-start')}`,
        '--override',
        'http.listeners=',
      ],
      logFile,
      {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          SAMSA_PID_DIR: pidDir,
          SAMSA_LOG_DIR: logDir,
          SAMSA_LOG_LEVEL: '',
          LOG_LEVEL: '',
        },
      },
    )
    cleanups.push(() => stopProcess(p, 'SIGKILL'))
    await waitFor('npm start to serve', () => canConnect('127.0.0.1', port), { timeoutMs: 60_000 })
    const topic = uniqueName('first-group')
    const kafka = kafkajs(`127.0.0.1:${port}`)
    await withProducer(kafka, {}, (pr) => pr.send({ topic, acks: -1, messages: [{ value: 'a' }] }))
    const got = await consumeWithGroup(kafka, { topic, count: 1, groupId: topic, fromBeginning: true })
    expect(got).toHaveLength(1)
    const output = readFileSync(logFile, 'utf8')
    expect(output).not.toMatch(/samsa: building dist/)
    expect(output).not.toMatch(/has changed since the last build/)
    // the broker writes its pid file: stop it the way an operator would
    expect(stopScript(pidDir).status).toBe(0)
    expect(await p.exited).toBe(0)

    // What Kafka's config/log4j.properties puts on the console (and in server.log) at INFO: the controller's and
    // the state-change logger's lines go to controller.log and state-change.log of LOG_DIR instead.
    const info = readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; name: string; msg: string })
      .filter((l) => l.level === 30)
    expect(info.filter((l) => /^kafka\.controller|^state\.change/.test(l.name))).toEqual([])
    const started = info.findIndex((l) => /\[KafkaServer id=0\] started/.test(l.msg))
    expect(started).toBeGreaterThan(0)
    // start-up: Kafka's lines for the same steps (no config dump: Samsa has none to show at INFO)
    expect(info.slice(0, started + 1).map((l) => shape(l.msg))).toEqual([
      '[KafkaServer] starting (standalone)',
      'zookeeper.connect is not set: running standalone, cluster metadata kept in <path>',
      '[KafkaServer id=N] Cluster ID = <id>',
      '[LogManager] Loading logs from log dirs <path>',
      '[LogManager] Attempting recovery for all logs in <path> since no clean shutdown file was found',
      '[LogManager] Loaded N logs in Nms',
      '[LogManager] Starting log cleanup with a period of N ms.',
      '[LogManager] Starting log flusher with a default period of N ms.',
      'Starting the log cleaner',
      'Awaiting socket connections on N.N.N.N:N (listener PLAINTEXT).',
      '[GroupCoordinator N]: Starting up.',
      '[GroupCoordinator N]: Startup complete.',
      '[TransactionCoordinator id=N] Starting up.',
      '[TransactionCoordinator id=N] Startup complete.',
      'Registered broker N in the standalone metadata store with epoch N',
      '[KafkaServer id=N] started (PLAINTEXT://N.N.N.N:N)',
    ])
    // the group's first use: the topic and __consumer_offsets made (per partition five lines, where Kafka's
    // server.log has seven: its log created and loaded, the coordinator's load) and the group's own rebalance
    const stopping = info.findIndex((l) => /Received SIGTERM/.test(l.msg))
    const rest = info.slice(started + 1, stopping).map((l) => shape(l.msg.replaceAll(topic, '<topic>')))
    const perPartition = [
      /__consumer_offsets-N, dir=<path>\] Loading producer state till offset N$/,
      /Created log for partition __consumer_offsets-N in <path> with properties/,
      /Elected as the group coordinator for partition N in epoch N$/,
      /Scheduling loading of offsets and group metadata from __consumer_offsets-N for epoch N$/,
      /Finished loading offsets and group metadata from __consumer_offsets-N in N milliseconds/,
    ]
    for (const kind of perPartition) expect(rest.filter((m) => kind.test(m)).length, String(kind)).toBe(50)
    const others = rest.filter((m) => !perPartition.some((kind) => kind.test(m)))
    expect(others.slice(0, 4)).toEqual([
      'Creating topic <topic> with configuration {} and initial partition assignment N -> [N]',
      '[Log partition=<topic>-N, dir=<path>] Loading producer state till offset N',
      '[LogManager] Created log for partition <topic>-N in <path> with properties {}',
      expect.stringMatching(/^Creating topic __consumer_offsets with configuration \{cleanup.policy=compact/),
    ])
    // then the group: join, rebalance, assignment, leave (Kafka's GroupCoordinator lines)
    expect(
      others.slice(4).every((m) => /[Gg]roup <topic>/.test(m)),
      others.join('\n'),
    ).toBe(true)
    expect(others.length).toBeLessThanOrEqual(4 + 8)
    // the controller's and the state changes' lines are in their own files, as Kafka's are
    expect(readFileSync(join(logDir, 'controller.log'), 'utf8')).toMatch(
      /successfully elected as the controller/,
    )
    expect(readFileSync(join(logDir, 'state-change.log'), 'utf8')).toMatch(
      /__consumer_offsets-49 starts at leader epoch/,
    )
  })
})
