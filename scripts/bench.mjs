#!/usr/bin/env node
// `npm run bench`: produce/consume throughput of a Samsa broker measured with librdkafka's own benchmark
// (rdkafka_performance), next to librdkafka's C mock broker (a peer that does no disk I/O) and a bare loopback
// socket (the ceiling for moving the same bytes on this machine).
//
//   1. builds rdkafka_performance and mockbroker with ../shared/tools/perf/build.sh
//   2. builds Samsa (npm run build; SAMSA_SKIP_BUILD=1 skips) and starts it standalone, data in a temp dir
//   3. for 100-byte and 1 KiB records: rdkafka_performance -P (acks=-1) then -C, against Samsa and the mock;
//      each run is sized from a short probe so it lasts about BENCH_SECONDS (default 4) seconds
//   4. a loopback sender/receiver pair moving as many bytes as Samsa's consume run did
//   5. prints MB/s (10^6 bytes) and records/s, and the ratios Samsa produce / mock produce and
//      Samsa consume / loopback
// Everything it starts is stopped and the temp dir removed, also on failure or Ctrl-C. Takes about a minute.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import net from 'node:net'
import { clearTimeout, setTimeout } from 'node:timers'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4)
const SIZES = [100, 1024]
const HARD_LIMIT_MS = 170_000
const started = Date.now()

const children = new Set()
let workDir

function log(msg) {
  process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}\n`)
}

function cleanup() {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  }
  children.clear()
  if (workDir && process.env.BENCH_KEEP !== '1') rmSync(workDir, { recursive: true, force: true })
}
process.on('exit', cleanup)
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    cleanup()
    process.exit(130)
  })
}
setTimeout(() => {
  log(`giving up after ${HARD_LIMIT_MS / 1000}s`)
  process.exit(1)
}, HARD_LIMIT_MS).unref()

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolvePort(port))
    })
  })
}

function canConnect(port) {
  return new Promise((res) => {
    const s = net.connect({ host: '127.0.0.1', port })
    s.once('connect', () => (s.destroy(), res(true)))
    s.once('error', () => res(false))
  })
}

/** Runs a program to completion (or kills it after timeoutMs); resolves with its output. */
function runProgram(cmd, args, { timeoutMs = 60_000, env } = {}) {
  return new Promise((resolveRun, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env })
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

function parseProduce(r, size) {
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

function parseConsume(r) {
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

let PERF
let MOCK

async function produce(bootstrap, topic, size, count, timeoutMs) {
  const r = await runProgram(
    PERF,
    ['-P', '-t', topic, '-p', '0', '-b', bootstrap, '-s', String(size), '-c', String(count), '-a', '-1'],
    { timeoutMs },
  )
  return parseProduce(r, size)
}

async function consume(bootstrap, topic, { count, exitAtEof = false, timeoutMs }) {
  const args = ['-C', '-t', topic, '-p', '0', '-b', bootstrap, '-o', 'beginning']
  if (count !== undefined) args.push('-c', String(count))
  // -e waits for an empty fetch to see the end; keep that wait short
  if (exitAtEof) args.push('-e', '-X', 'fetch.wait.max.ms=10')
  return parseConsume(await runProgram(PERF, args, { timeoutMs }))
}

/**
 * A short probe to learn the rate, then runs sized to last about SECONDS (re-sized from the previous run while a
 * run comes out much shorter: the probe's rate includes connection set-up). Reports the last run.
 */
async function sizedProduce(bootstrap, topic, size) {
  const probeCount = size >= 1024 ? 20_000 : 100_000
  const maxCount = size >= 1024 ? 4_000_000 : 40_000_000
  let last = await produce(bootstrap, topic, size, probeCount, 30_000)
  let logged = last.delivered
  for (let i = 0; i < 4; i++) {
    const rate = Math.max(last.delivered, 1) / Math.max(last.ms, 1) // records per ms
    const count = Math.max(10_000, Math.min(Math.round(rate * SECONDS * 1100), maxCount))
    last = await produce(bootstrap, topic, size, count, SECONDS * 4000 + 10_000)
    logged += last.delivered
    if (last.ms >= SECONDS * 700 || last.timedOut || count === maxCount) break
  }
  return { ...last, logged }
}

/** Reads the whole partition `passes` times (until about `minMs` of reading), and sums the passes. */
async function repeatedConsume(bootstrap, topic, count, { minMs = 2000, maxPasses = 5 } = {}) {
  const passes = []
  while (passes.length < maxPasses) {
    const c = await consume(bootstrap, topic, { count, timeoutMs: SECONDS * 6000 + 20_000 })
    passes.push(c)
    if (c.timedOut || c.records < count) break
    if (passes.reduce((a, p) => a + p.ms, 0) >= minMs) break
  }
  const records = passes.reduce((a, p) => a + p.records, 0)
  const bytes = passes.reduce((a, p) => a + p.bytes, 0)
  const ms = Math.max(
    passes.reduce((a, p) => a + p.ms, 0),
    1,
  )
  return {
    records,
    bytes,
    ms,
    passes: passes.length,
    recordsPerSec: (records * 1000) / ms,
    mbPerSec: bytes / (ms * 1000),
    timedOut: passes.some((p) => p.timedOut),
    short: passes.some((p) => p.records < count),
    lastRecords: passes[passes.length - 1].records,
  }
}

// ---------------------------------------------------------------------------------------------------------------

async function startSamsa() {
  const port = await freePort()
  const dataDir = join(workDir, 'samsa-data')
  const logFile = join(workDir, 'samsa.log')
  const fd = openSync(logFile, 'a')
  const child = spawn(
    join(ROOT, 'bin', 'kafka-server-start.sh'),
    [
      join(ROOT, 'config', 'standalone.properties'),
      '--override',
      `listeners=PLAINTEXT://127.0.0.1:${port}`,
      '--override',
      `log.dirs=${dataDir}`,
      '--override',
      'broker.id=0',
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, SAMSA_LOG_LEVEL: process.env.SAMSA_LOG_LEVEL ?? 'warn' },
    },
  )
  children.add(child)
  const deadline = Date.now() + 30_000
  while (!(await canConnect(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`Samsa did not start; log ${logFile}:\n${readFileSync(logFile, 'utf8').slice(-3000)}`)
    }
    await sleep(100)
  }
  return { bootstrap: `127.0.0.1:${port}`, child, logFile, dataDir }
}

async function startMock(topics) {
  const child = spawn(MOCK, ['1', ...topics.flatMap((t) => [t, '1'])], { stdio: ['ignore', 'pipe', 'pipe'] })
  children.add(child)
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  const deadline = Date.now() + 10_000
  while (!out.includes('\n')) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error('mockbroker did not print its address')
    await sleep(20)
  }
  return { bootstrap: out.split('\n')[0].trim(), child }
}

async function createTopics(bootstrap, topics) {
  const { Kafka, logLevel } = await import('kafkajs')
  const admin = new Kafka({ clientId: 'bench', brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })),
    })
  } finally {
    await admin.disconnect()
  }
}

async function loopbackOnce(bytes, chunk) {
  const script = join(ROOT, 'scripts', 'bench', 'loopback.mjs')
  const recv = spawn(process.execPath, [script, 'recv', String(bytes)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  children.add(recv)
  let out = ''
  recv.stdout.on('data', (d) => (out += d))
  while (!out.includes('\n')) {
    if (recv.exitCode !== null) throw new Error('loopback receiver failed')
    await sleep(10)
  }
  const { port } = JSON.parse(out.split('\n')[0])
  const send = await runProgram(
    process.execPath,
    [script, 'send', String(port), String(bytes), String(chunk)],
    {
      timeoutMs: 60_000,
    },
  )
  if (send.code !== 0) throw new Error(`loopback sender failed: ${send.stderr}`)
  const deadline = Date.now() + 60_000
  while (out.split('\n').filter(Boolean).length < 2) {
    if (Date.now() > deadline) throw new Error('loopback receiver did not finish')
    await sleep(10)
  }
  children.delete(recv)
  return JSON.parse(out.split('\n').filter(Boolean)[1]).ms
}

/** Moves `bytes` through a loopback socket, repeated until about `minMs` of transfer; sums the passes. */
async function loopback(bytes, chunk, { minMs = 1000, maxPasses = 5 } = {}) {
  let ms = 0
  let passes = 0
  while (passes < maxPasses && ms < minMs) {
    ms += await loopbackOnce(bytes, chunk)
    passes++
  }
  return { bytes: bytes * passes, ms, passes, mbPerSec: (bytes * passes) / (ms * 1000) }
}

// ---------------------------------------------------------------------------------------------------------------

const fmt = (n, d = 1) =>
  n === undefined || Number.isNaN(n)
    ? '-'
    : n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })
const fmtInt = (n) => (n === undefined ? '-' : Math.round(n).toLocaleString('en-US'))

function table(rows) {
  const header = [
    'target',
    'record',
    'produce MB/s',
    'produce rec/s',
    'consume MB/s',
    'consume rec/s',
    'notes',
  ]
  const cells = rows.map((r) => [
    r.target,
    r.size === 1024 ? '1 KiB' : `${r.size} B`,
    fmt(r.produce?.mbPerSec, 2),
    fmtInt(r.produce?.recordsPerSec),
    fmt(r.consume?.mbPerSec, 2),
    fmtInt(r.consume?.recordsPerSec),
    r.notes ?? '',
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)))
  const line = (c) =>
    c.map((x, i) => (i < 2 || i === 6 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join('  ')
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n')
}

async function main() {
  workDir = mkdtempSync(join(tmpdir(), 'samsa-bench-'))

  log('building rdkafka_performance and mockbroker (../shared/tools/perf/build.sh)')
  const build = spawnSync('bash', [join(ROOT, '..', 'shared', 'tools', 'perf', 'build.sh')], {
    encoding: 'utf8',
  })
  if (build.status !== 0) throw new Error(`perf tools build failed:\n${build.stdout}\n${build.stderr}`)
  const paths = build.stdout.trim().split('\n').slice(-2)
  PERF = paths.find((p) => p.endsWith('rdkafka_performance'))
  MOCK = paths.find((p) => p.endsWith('mockbroker'))
  if (!PERF || !MOCK) throw new Error(`build.sh did not print the tool paths:\n${build.stdout}`)

  if (process.env.SAMSA_SKIP_BUILD !== '1') {
    log('npm run build')
    const b = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, encoding: 'utf8' })
    if (b.status !== 0) {
      if (!existsSync(join(ROOT, 'dist', 'cli.js')))
        throw new Error(`npm run build failed:\n${b.stdout}${b.stderr}`)
      log(`npm run build failed; using the existing dist/:\n${(b.stdout + b.stderr).slice(0, 2000)}`)
    }
  }

  const topics = SIZES.map((s) => `bench-${s}`)
  const samsa = await startSamsa()
  log(`Samsa at ${samsa.bootstrap}, data in ${samsa.dataDir}`)
  await createTopics(samsa.bootstrap, topics)
  const mock = await startMock(topics)
  log(`mock broker at ${mock.bootstrap}`)

  const rows = []
  const ratios = []
  for (const size of SIZES) {
    const topic = `bench-${size}`

    log(`Samsa produce ${size} B`)
    const sp = await sizedProduce(samsa.bootstrap, topic, size)
    log(`Samsa consume ${size} B (${sp.logged} records)`)
    const sc = await repeatedConsume(samsa.bootstrap, topic, sp.logged)
    const sNotes = [
      `produce: ${fmtInt(sp.delivered)} in ${fmt(sp.ms / 1000)} s`,
      `consume: ${sc.passes} x ${fmtInt(sp.logged)} in ${fmt(sc.ms / 1000)} s`,
    ]
    if (sp.failed) sNotes.push(`${sp.failed} delivery failures`)
    if (sp.timedOut || sc.timedOut) sNotes.push('TIMED OUT (partial figures)')
    if (sc.short) sNotes.push(`a pass consumed only ${sc.lastRecords}/${sp.logged}`)
    rows.push({ target: 'samsa', size, produce: sp, consume: sc, notes: sNotes.join('; ') })

    log(`mock produce ${size} B`)
    const mp = await sizedProduce(mock.bootstrap, topic, size)
    log(`mock consume ${size} B`)
    const mc = await consume(mock.bootstrap, topic, { exitAtEof: true, timeoutMs: 30_000 })
    rows.push({
      target: 'mock',
      size,
      produce: mp,
      consume: mc,
      notes: `produce: ${fmtInt(mp.delivered)} in ${fmt(mp.ms / 1000)} s; consume: ${fmtInt(mc.records)} (the mock keeps only ~5 MB)`,
    })

    const perPass = Math.max(Math.round(sc.bytes / sc.passes), size * 10_000)
    log(`loopback ${size} B (${perPass} bytes per pass)`)
    const lb = await loopback(perPass, 64 * 1024)
    rows.push({
      target: 'loopback',
      size,
      consume: { mbPerSec: lb.mbPerSec, recordsPerSec: lb.bytes / size / (lb.ms / 1000) },
      notes: `${lb.passes} x ${fmt(perPass / 1e6)} MB in ${fmt(lb.ms / 1000, 2)} s, 64 KiB writes, no protocol`,
    })
    ratios.push({ size, produce: sp.mbPerSec / mp.mbPerSec, consume: sc.mbPerSec / lb.mbPerSec })
  }

  const stopT0 = Date.now()
  samsa.child.kill('SIGTERM')
  mock.child.kill('SIGTERM')
  await Promise.race([new Promise((r) => samsa.child.once('exit', r)), sleep(15_000)])
  log(`Samsa stopped (exit ${samsa.child.exitCode ?? samsa.child.signalCode}) in ${Date.now() - stopT0} ms`)

  console.log('')
  console.log(
    `rdkafka_performance (librdkafka 2.0.2), 1 partition, acks=-1, ~${SECONDS} s per run; MB = 10^6 bytes`,
  )
  console.log(table(rows))
  console.log('')
  for (const r of ratios) {
    const label = r.size === 1024 ? '1 KiB' : `${r.size} B`
    console.log(
      `${label.padEnd(6)}  Samsa produce / mock produce = ${fmt(r.produce, 2)}    Samsa consume / loopback = ${fmt(r.consume, 2)}`,
    )
  }
  console.log(`total ${fmt((Date.now() - started) / 1000)} s`)
}

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
