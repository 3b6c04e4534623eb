// What scripts/bench.mjs and scripts/bench-replication.mjs share: the registry of the processes they start and its
// cleanup (on exit, Ctrl-C, SIGTERM and after a hard time limit) together with the temp dir, log(), running
// programs, building rdkafka_performance and mockbroker with scripts/bench/perf-tools/build.sh and reading
// rdkafka_performance's output, building and starting Samsa brokers (startStandaloneBroker: the one-broker set-up of
// bench-groups, -connections, -backlog and -scale), the command line every bench takes (benchArgs: --out, --quick),
// writing the results file (writeResult), and formatting numbers and tables. Call setup() first.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { clearTimeout, setTimeout } from 'node:timers'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 4)
export const started = Date.now()

/** Every process started; cleanup() kills those still running. */
export const children = new Set()
let name = 'bench'
let announceKept = false
let workDir

/**
 * Names the script (the log prefix and the Kafka client id), registers the cleanup on exit, SIGINT and SIGTERM,
 * and gives up after hardLimitMs. With announceKept, cleanup() says which temp dir BENCH_KEEP=1 kept.
 */
export function setup(opts) {
  name = opts.name
  announceKept = opts.announceKept ?? false
  process.on('exit', cleanup)
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      cleanup()
      process.exit(130)
    })
  }
  setTimeout(() => {
    log(`giving up after ${opts.hardLimitMs / 1000}s`)
    cleanup()
    process.exit(1)
  }, opts.hardLimitMs).unref()
}

export function log(msg) {
  process.stderr.write(`[${name} ${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}\n`)
}

export function cleanup() {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  }
  children.clear()
  if (workDir && process.env.BENCH_KEEP !== '1') rmSync(workDir, { recursive: true, force: true })
  else if (workDir && announceKept) process.stderr.write(`[${name}] kept ${workDir}\n`)
}

/** Creates the temp dir that cleanup() removes (BENCH_KEEP=1 keeps it). */
export function makeWorkDir(prefix) {
  workDir = mkdtempSync(join(tmpdir(), prefix))
  return workDir
}

/** Runs main(); then cleans up and exits 0, or logs the failure, cleans up and exits 1. */
export function runMain(main) {
  main().then(
    () => {
      cleanup()
      process.exit(0)
    },
    (e) => {
      log(`failed: ${e.stack ?? e}`)
      cleanup()
      process.exit(1)
    },
  )
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** Resolves once the child exits or after ms, whichever comes first. */
export const exited = (child, ms) => Promise.race([new Promise((r) => child.once('exit', r)), sleep(ms)])

export function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolvePort(port))
    })
  })
}

export function canConnect(port) {
  return new Promise((res) => {
    const s = net.connect({ host: '127.0.0.1', port })
    s.once('connect', () => (s.destroy(), res(true)))
    s.once('error', () => res(false))
  })
}

/** Runs a program to completion (or kills it after timeoutMs); resolves with its output. */
export function runProgram(cmd, args, { timeoutMs = 60_000 } = {}) {
  return new Promise((resolveRun, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    children.add(child)
    let stdout = ''
    let stderr = ''
    let timedOut = false
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    child.once('error', (e) => {
      clearTimeout(timer)
      children.delete(child)
      reject(e)
    })
    child.once('close', (code) => {
      clearTimeout(timer)
      children.delete(child)
      resolveRun({ code, stdout, stderr, timedOut })
    })
  })
}

/** Starts a long-running program in ROOT with its stdout and stderr appended to logFile. */
export function spawnLogged(cmd, args, logFile, env = process.env) {
  const fd = openSync(logFile, 'a')
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', fd, fd], env })
  children.add(child)
  return child
}

/**
 * Polls ready() every 100 ms until it is true; throws with the end of logFile if the child exits first or
 * timeoutMs passes.
 */
export async function waitStarted(what, { child, logFile }, timeoutMs, ready) {
  const deadline = Date.now() + timeoutMs
  while (!(await ready())) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`${what} did not start; log ${logFile}:\n${readFileSync(logFile, 'utf8').slice(-3000)}`)
    }
    await sleep(100)
  }
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * Builds the perf tools with scripts/bench/perf-tools/build.sh, which prints the paths of rdkafka_performance and
 * mockbroker last; returns the paths of `tools` (some of those two names), in that order. SAMSA_PERF_BUILD names
 * another build.sh.
 */
export function buildPerfTools(tools) {
  const script = process.env.SAMSA_PERF_BUILD ?? join(ROOT, 'scripts', 'bench', 'perf-tools', 'build.sh')
  log(`building ${tools.join(' and ')} (${script})`)
  const build = spawnSync('bash', [script], {
    encoding: 'utf8',
  })
  if (build.status !== 0) throw new Error(`perf tools build failed:\n${build.stdout}\n${build.stderr}`)
  const printed = build.stdout.trim().split('\n').slice(-2)
  const paths = tools.map((tool) => printed.find((p) => p.endsWith(tool)))
  if (paths.includes(undefined)) {
    const what = tools.length === 1 ? `${tools[0]} path` : 'tool paths'
    throw new Error(`build.sh did not print the ${what}:\n${build.stdout}`)
  }
  return paths
}

/** npm run build, unless SAMSA_SKIP_BUILD=1; if it fails, goes on with an existing dist/. */
export function buildSamsa() {
  if (process.env.SAMSA_SKIP_BUILD === '1') return
  log('npm run build')
  const b = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, encoding: 'utf8' })
  if (b.status !== 0) {
    if (!existsSync(join(ROOT, 'dist', 'cli.js')))
      throw new Error(`npm run build failed:\n${b.stdout}${b.stderr}`)
    log(`npm run build failed; using the existing dist/:\n${(b.stdout + b.stderr).slice(0, 2000)}`)
  }
}

/**
 * Starts a Samsa broker on a free port: bin/kafka-server-start.sh config/<config> with `--override k=v` for each
 * entry of overrides(port), in order, its output appended to logFile (SAMSA_LOG_LEVEL defaults to warn), with
 * `env` added to the environment, on `port` if given (a restart on the same address) else a free one. With `probe`,
 * the broker runs with scripts/bench/probe.mjs (see probeSnapshot).
 */
export async function startSamsaBroker(
  config,
  overrides,
  logFile,
  { env = {}, probe = false, port: fixedPort } = {},
) {
  const port = fixedPort ?? (await freePort())
  const args = [join(ROOT, 'config', config)]
  for (const [k, v] of Object.entries(overrides(port))) args.push('--override', `${k}=${v}`)
  const probeFile = probe ? `${logFile}.probe` : undefined
  const probeEnv = probe
    ? {
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${join(ROOT, 'scripts', 'bench', 'probe.mjs')}`,
        SAMSA_BENCH_PROBE_FILE: probeFile,
      }
    : {}
  const child = spawnLogged(join(ROOT, 'bin', 'kafka-server-start.sh'), args, logFile, {
    ...process.env,
    SAMSA_LOG_LEVEL: process.env.SAMSA_LOG_LEVEL ?? 'warn',
    ...env,
    ...probeEnv,
  })
  return { port, bootstrap: `127.0.0.1:${port}`, child, logFile, probeFile, probeLines: 0 }
}

/**
 * What the broker started with `probe` did since the previous snapshot (or its start): event-loop delay
 * percentiles (ms), CPU seconds (user + system), RSS and peak RSS (bytes). SIGUSR2 asks scripts/bench/probe.mjs
 * for a line in the probe file; this waits for it.
 */
export async function probeSnapshot(broker) {
  broker.child.kill('SIGUSR2')
  const deadline = Date.now() + 10_000
  for (;;) {
    const lines = existsSync(broker.probeFile)
      ? readFileSync(broker.probeFile, 'utf8').split('\n').filter(Boolean)
      : []
    if (lines.length > broker.probeLines) {
      broker.probeLines = lines.length
      return JSON.parse(lines[lines.length - 1])
    }
    if (Date.now() > deadline || broker.child.exitCode !== null)
      throw new Error(`no probe snapshot from the broker (${broker.probeFile})`)
    await sleep(20)
  }
}

/**
 * The one standalone broker most benches measure: config/standalone.properties, broker.id 0, log.dirs
 * `<workDir>/data`, its log `<workDir>/<name>.log`, scripts/bench/probe.mjs loaded; `overrides` are added (or
 * replace these), `http` adds an HTTP listener on a free port, `port` restarts it on the same address. Resolves once
 * it accepts connections (within `waitMs`), or at once when `waitMs` is 0 (the caller waits its own way).
 */
export async function startStandaloneBroker(
  workDir,
  { name = 'samsa', overrides = {}, http = false, port, waitMs = 30_000 } = {},
) {
  const broker = await startSamsaBroker(
    'standalone.properties',
    (p) => ({
      listeners: `PLAINTEXT://127.0.0.1:${p}`,
      'log.dirs': join(workDir, 'data'),
      'broker.id': 0,
      ...(http ? { 'http.listeners': 'http://127.0.0.1:0' } : {}),
      ...overrides,
    }),
    join(workDir, `${name}.log`),
    { probe: true, port },
  )
  if (waitMs > 0) await waitListening('Samsa', broker, waitMs)
  return broker
}

/**
 * The command line of a bench: `--out DIR` (where the results go; default bench/results), `--quick` when `quick`,
 * and the script's own `options` (node:util parseArgs). Returns the values.
 */
export function benchArgs(options = {}, { quick = false } = {}) {
  return parseArgs({
    options: {
      ...(quick ? { quick: { type: 'boolean', default: false } } : {}),
      out: { type: 'string', default: join(ROOT, 'bench', 'results') },
      ...options,
    },
  }).values
}

/** Writes `result` as indented JSON to `dir`/`file` (the directory made if missing); returns the path. */
export function writeResult(dir, file, result) {
  mkdirSync(dir, { recursive: true })
  const path = join(dir, file)
  writeFileSync(path, JSON.stringify(result, null, 2) + '\n')
  return path
}

/** Waits until the broker from startSamsaBroker() accepts connections. */
export function waitListening(what, broker, timeoutMs) {
  return waitStarted(what, broker, timeoutMs, () => canConnect(broker.port))
}

/** Runs fn with a connected kafkajs admin client (client id: the script's name) and disconnects it after. */
export async function withAdmin(brokers, fn) {
  const { Kafka, logLevel } = await import('kafkajs')
  const admin = new Kafka({ clientId: name, brokers, logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  try {
    return await fn(admin)
  } finally {
    await admin.disconnect()
  }
}

// ---------------------------------------------------------------------------------------------------------------
// rdkafka_performance output. The producer prints, once a second and at the end:
//   % 500000 messages produced (50000000 bytes), 500000 delivered (offset 499999, 0 failed) in 1120ms:
//     446184 msgs/s and 44.62 MB/s, 12 produce failures, 0 in queue, no compression
// and the consumer:
//   % 45900 messages (4590000 bytes) consumed in 509ms: 90171 msgs/s (9.02 MB/s)
// (MB = 10^6 bytes: bytes / microseconds). The last such line is the final summary.

const PRODUCED_RE =
  /^% (\d+) messages produced \((\d+) bytes\), (\d+) delivered \(offset (-?\d+), (\d+) failed\) in (\d+)ms: (\d+) msgs\/s and ([\d.]+) MB\/s/
const CONSUMED_RE = /^% (\d+) messages \((\d+) bytes\) consumed in (\d+)ms: (\d+) msgs\/s \(([\d.]+) MB\/s\)/

function lastMatch(text, re) {
  let m
  for (const line of text.split('\n')) {
    const x = re.exec(line.trim())
    if (x) m = x
  }
  return m
}

/** The producer's summary in runProgram()'s result r, for `size`-byte records. */
export function parseProduce(r, size) {
  const m = lastMatch(r.stdout, PRODUCED_RE)
  if (!m) throw new Error(`no producer summary in rdkafka_performance output:\n${r.stdout}\n${r.stderr}`)
  const delivered = Number(m[3])
  const ms = Number(m[6])
  return {
    delivered,
    failed: Number(m[5]),
    ms,
    recordsPerSec: Number(m[7]),
    mbPerSec: Number(m[8]),
    bytes: delivered * size,
    timedOut: r.timedOut,
    exit: r.code,
  }
}

/** The consumer's summary in runProgram()'s result r. */
export function parseConsume(r) {
  const m = lastMatch(r.stdout, CONSUMED_RE)
  if (!m) throw new Error(`no consumer summary in rdkafka_performance output:\n${r.stdout}\n${r.stderr}`)
  return {
    records: Number(m[1]),
    bytes: Number(m[2]),
    ms: Number(m[3]),
    recordsPerSec: Number(m[4]),
    mbPerSec: Number(m[5]),
    timedOut: r.timedOut,
    exit: r.code,
  }
}

/** rdkafka_performance's arguments to produce (-P) or consume (-C) partition 0 of topic, then `more`. */
export const perfArgs = (mode, topic, bootstrap, ...more) => [
  mode,
  '-t',
  topic,
  '-p',
  '0',
  '-b',
  bootstrap,
  ...more,
]

/**
 * rdkafka_performance (at path perf) -P: `count` records of `size` bytes to `partition` (default 0; -1 spreads them
 * over every partition at random) of topic with -a acks.
 */
export async function perfProduce(
  perf,
  { bootstrap, topic, size, count, acks, timeoutMs, props = {}, partition = 0 },
) {
  // -1: librdkafka's partitioner places each record, and records without a key stick to one partition for
  // sticky.partitioning.linger.ms (10 ms) at a time — at full speed nearly everything went to a few partitions
  // (scale8: of 1,000, median 4 KB, one 293 MB of 538). 0 makes it pick a random partition per record.
  const all = partition === -1 ? { 'sticky.partitioning.linger.ms': 0, ...props } : props
  const props_ = Object.entries(all).flatMap(([k, v]) => ['-X', `${k}=${v}`])
  const args = perfArgs(
    '-P',
    topic,
    bootstrap,
    '-s',
    String(size),
    '-c',
    String(count),
    '-a',
    String(acks),
    ...props_,
  )
  args[args.indexOf('-p') + 1] = String(partition) // -1: a random partition per record
  const r = await runProgram(perf, args, { timeoutMs })
  return parseProduce(r, size)
}

// ---------------------------------------------------------------------------------------------------------------

export const fmt = (n, d = 1) =>
  n === undefined || Number.isNaN(n)
    ? '-'
    : n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })
export const fmtInt = (n) => (n === undefined ? '-' : Math.round(n).toLocaleString('en-US'))

/** A text table: the header, a rule, then the rows; the columns numbered in `right` are right-aligned. */
export function renderTable(header, cells, right) {
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)))
  const line = (c) =>
    c.map((x, i) => (right.includes(i) ? x.padStart(widths[i]) : x.padEnd(widths[i]))).join('  ')
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n')
}

// ---------------------------------------------------------------------------------------------------------------
// latency

/**
 * The producer configuration of every latency run (and of the unpaced run that finds its maximum): librdkafka's
 * defaults (batch.num.messages 10,000, batch.size 1,000,000, no idempotence, compression none) with acks=all and
 * linger.ms = BENCH_LINGER_MS (default 0: a record is sent as soon as the connection can take it, so what is measured
 * is the broker's latency and not the client's batching wait; librdkafka's and the Java client's own default is 5 ms,
 * which adds up to 5 ms to every record).
 */
export const LATENCY_PROPS = { 'linger.ms': process.env.BENCH_LINGER_MS ?? '0' }
const latencyConfig = (props) =>
  `acks=all ` +
  Object.entries({ ...LATENCY_PROPS, ...props })
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')

/** One line for a latencyRun() result: the rate asked for and reached, produce and end-to-end percentiles. */
export function latencyLine(what, l) {
  const q = (x) => `${fmt(x.p50, 2)}/${fmt(x.p99, 2)}/${fmt(x.p999, 2)} ms`
  const behind = l.achievedRate < l.rate * 0.95 ? ' — the producer FELL BEHIND: mostly its own queueing' : ''
  return (
    `latency, ${what}, 1 KiB, ${latencyConfig(l.props)}, ${fmtInt(l.rate)} records/s asked` +
    (l.maxRate ? ` (50 % of ${fmtInt(l.maxRate)}/s, the same producer unpaced)` : '') +
    `, ${fmtInt(l.achievedRate)} reached${behind}: ` +
    `produce p50/p99/p99.9 ${q(l.produce)} (${fmtInt(l.produce.count)}); end-to-end ${q(l.endToEnd)} (${fmtInt(l.endToEnd.count)})`
  )
}

/**
 * What a probe snapshot (probeSnapshot) says the event-loop delay was made of: the GC's pauses, and the main
 * thread's time on a CPU against its time runnable but waiting for one (the machine's load, not the broker's work).
 */
export function delayParts(p) {
  const g = (x) => (x ? `${fmtInt(x.n)} (${fmt(x.ms, 0)} ms in all, longest ${fmt(x.max, 1)})` : '-')
  const t = p.mainThread
  return (
    `GC pauses minor ${g(p.gc?.minor)}, major ${g(p.gc?.major)}; main thread ` +
    (t ? `on a CPU ${fmt(t.runSeconds, 2)} s, waiting for one ${fmt(t.waitSeconds, 2)} s` : 'times unknown')
  )
}

/** Percentiles (ms) of the latencies (µs, one a line) rdkafka_performance -A wrote to file. */
export function latencyPercentiles(file) {
  const v = existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map(Number)
        .sort((a, b) => a - b)
    : []
  const at = (q) => (v.length ? v[Math.min(v.length - 1, Math.floor(q * v.length))] / 1000 : NaN)
  return {
    count: v.length,
    p50: at(0.5),
    p99: at(0.99),
    p999: at(0.999),
    max: v.length ? v[v.length - 1] / 1000 : NaN,
  }
}

/** Builds scripts/bench/paced-producer.c (gcc, -lrdkafka) into dir once; returns its path. */
export function buildPacedProducer(dir) {
  const out = join(dir, 'paced-producer')
  if (existsSync(out)) return out
  const src = join(ROOT, 'scripts', 'bench', 'paced-producer.c')
  const b = spawnSync('gcc', ['-O2', '-o', out, src, '-lrdkafka'], { encoding: 'utf8' })
  if (b.status !== 0) throw new Error(`building ${src} failed:\n${b.stderr}`)
  return out
}

/**
 * Produce latency (acks=all, LATENCY_PROPS: each record's time from produce() to its acknowledgement) of 1 KiB
 * records at `rate` records/s for about `seconds`, with a consumer reading the same records as they arrive
 * (end-to-end latency: from produce() to the consumer's poll, on the same clock). The producer is
 * scripts/bench/paced-producer.c (rdkafka_performance's `-r` falls far short of the rate on a busy machine), the
 * consumer rdkafka_performance at `perf`; the latency files go to `dir`. `props` go to the producer (over LATENCY_PROPS); `maxRate`, when the rate is
 * half of maxLatencyRate()'s, is only reported.
 */
export async function latencyRun(perf, bootstrap, topic, rate, { dir, seconds, props = {}, maxRate }) {
  rate = Math.max(1, Math.round(rate))
  const count = Math.max(1000, Math.round(rate * seconds))
  const prodFile = join(dir, `latency-produce-${topic}.txt`)
  const e2eFile = join(dir, `latency-e2e-${topic}.txt`)
  const timeoutMs = seconds * 3000 + 15_000
  const paced = buildPacedProducer(dir)
  const e2e = ['-o', 'end', '-l', '-A', e2eFile, '-c', String(count), '-X', 'fetch.wait.max.ms=100']
  const consumer = runProgram(perf, perfArgs('-C', topic, bootstrap, ...e2e), { timeoutMs })
  await sleep(1500) // the consumer connects and reaches the end of the partition
  const extra = Object.entries({ ...LATENCY_PROPS, ...props }).map(([k, v]) => `${k}=${v}`)
  const producer = await runProgram(
    paced,
    [bootstrap, topic, '1024', String(count), String(rate), '-1', prodFile, ...extra],
    { timeoutMs },
  )
  await consumer
  // the rate the producer reached: below the target, the client or the broker could not keep up and the latencies
  // are mostly queueing (a point past the knee, not the latency at `rate`)
  let summary = {}
  try {
    summary = JSON.parse(producer.stdout.trim().split('\n').pop())
  } catch {
    // no summary: the producer failed; exit says so
  }
  // (records acknowledged per second, up to the last acknowledgement)
  const achievedRate = summary.records ? (summary.delivered * 1000) / Math.max(summary.ms, 1) : NaN
  return {
    rate,
    maxRate,
    props,
    achievedRate,
    count,
    failed: summary.failed,
    produce: latencyPercentiles(prodFile),
    endToEnd: latencyPercentiles(e2eFile),
    exit: producer.code,
  }
}

/**
 * The maximum rate (records/s) of the latency runs' producer configuration (LATENCY_PROPS, acks=all, 1 KiB, one
 * partition): paced-producer asked for far more than anyone can reach, so it hands librdkafka records as fast as its
 * queue takes them. A short run first, then one sized to last about `seconds`. "50 % of the maximum" for latencyRun
 * is half of this — the same producer, not a batched rdkafka_performance run with other settings.
 */
export async function maxLatencyRate(bootstrap, topic, { dir, seconds, props = {} }) {
  const paced = buildPacedProducer(dir)
  const extra = Object.entries({ ...LATENCY_PROPS, ...props }).map(([k, v]) => `${k}=${v}`)
  const run = async (count) => {
    const r = await runProgram(
      paced,
      [bootstrap, topic, '1024', String(count), '1e9', '-1', join(dir, `max-${topic}.txt`), ...extra],
      { timeoutMs: seconds * 5000 + 60_000 },
    )
    const s = JSON.parse(r.stdout.trim().split('\n').pop() || '{}')
    if (!s.delivered) throw new Error(`unpaced producer delivered nothing: ${r.stderr.slice(-500)}`)
    return { rate: (s.delivered * 1000) / Math.max(s.ms, 1), ms: s.ms }
  }
  const probe = await run(20_000)
  if (probe.ms >= seconds * 700) return probe.rate
  return (await run(Math.max(20_000, Math.round(probe.rate * seconds)))).rate
}
