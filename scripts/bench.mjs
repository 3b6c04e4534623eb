#!/usr/bin/env node
// `npm run bench`: Samsa measured with librdkafka's own benchmark (rdkafka_performance) next to every baseline,
// each in the same run, so that the figures are ratios taken under the same load:
//   the C mock broker  librdkafka's in-memory mock cluster (scripts/bench/perf-tools/mockbroker.c): a peer that
//                      speaks Kafka but does no disk I/O
//   loopback           a bare Node socket pair moving the same bytes (scripts/bench/loopback.mjs): the ceiling for
//                      moving bytes through one connection on this machine
//   dd                 writing the same number of bytes, 256 KiB at a time, into the same log directory. dd only
//                      copies into the page cache; the broker's produce path (network, protocol, validation) bounds
//                      Samsa long before the disk does, so "disk / tmpfs" (the same broker with its log on tmpfs, in
//                      the same run) is printed too: about 1.0 means the disk costs nothing measurable. The disk
//                      run's notes give the broker's write system calls per GB (from /proc/<pid>/io: file writes of
//                      one produce request each, ~1 MB, plus one socket write per response; no fsync per append)
//
//   1. builds rdkafka_performance and mockbroker (scripts/bench/perf-tools/build.sh) and Samsa (npm run build;
//      SAMSA_SKIP_BUILD=1 skips)
//   2. starts two standalone Samsa brokers, one with log.dirs on tmpfs (/dev/shm: the software's own cost, no
//      disk) and one on disk (the temp dir, Kafka's default flush policy), each with scripts/bench/probe.mjs
//      loaded, which reports per phase the broker's event-loop delay, CPU seconds and RSS
//   3. the matrix: produce (acks=1) 1 KiB and 100 B records to the tmpfs broker and to the mock; 1 KiB to the
//      disk broker and dd; consume what was produced, next to the loopback, also with two consumer processes at
//      once (the broker's total) and with a raw Fetch client (scripts/bench/raw-fetch.mjs: one Fetch in flight
//      as a consumer has, records never decoded — the broker's own ceiling on one connection, not a real
//      client); the mock's consume rows next to Samsa's on a ~4.5 MB window topic (the mock keeps only ~5 MiB of
//      a partition): rdkafka_performance in whole passes and the raw Fetch client round and round, both brokers,
//      so that "window passes samsa / mock" and "mock ... / loopback" say what the client's one fetch in flight
//      allows a C broker that serves from memory; produce latency (acks=all, common.mjs LATENCY_PROPS: linger.ms=0
//      unless BENCH_LINGER_MS) at half the maximum rate of that same producer configuration with end-to-end latency measured by a consumer at the same time (p50/p99/p99.9)
//   4. prints a table with the ratios and CPU seconds per GB, writes bench/results/results.json (every figure)
//      and an SVG chart per series (bench/results/*.svg; --out DIR elsewhere)
//   5. unless --quick or --matrix-only: the cost of security: 1 KiB records through a second Samsa with PLAINTEXT,
//      SSL, SASL_PLAINTEXT and SASL_SSL listeners (TLS material made by openssl in the temp dir; SASL/PLAIN — the
//      mechanism only costs at connect); transactions: a librdkafka producer (scripts/bench/txn-producer.c, built
//      with gcc: rdkafka_performance has no transactions) writes 100-byte records with acks=all, idempotent, then
//      in transactions of 100 records; records/s of both, against Samsa and the mock
// --security-only runs step 5's security rows alone (with --quick, about a second each) and writes security.json.
// Each run is sized from a short probe so that it lasts about BENCH_SECONDS (default 4) seconds; --quick (what CI
// runs as a smoke test: it checks that everything runs, never a figure) makes them about a second.
// Everything it starts is stopped and the temp dirs removed, also on failure or Ctrl-C. The full run takes about
// three minutes. What it shares with scripts/bench-replication.mjs (process cleanup, running rdkafka_performance,
// starting Samsa, the table) is in scripts/bench/common.mjs.
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  ROOT,
  SECONDS,
  benchArgs,
  buildPerfTools,
  buildSamsa,
  children,
  delayParts,
  exited,
  fmt,
  fmtInt,
  freePort,
  latencyLine,
  latencyRun,
  log,
  makeWorkDir,
  maxLatencyRate,
  parseConsume,
  perfArgs,
  perfProduce,
  probeSnapshot,
  renderTable,
  runMain,
  runProgram,
  setup,
  sleep,
  startSamsaBroker,
  started,
  waitListening,
  withAdmin,
  writeResult,
} from './bench/common.mjs'
import { barChart } from './bench/svg.mjs'

const opts = benchArgs(
  {
    'matrix-only': { type: 'boolean', default: false },
    'security-only': { type: 'boolean', default: false },
    'soak-minutes': { type: 'string' },
  },
  { quick: true },
)
const QUICK = opts.quick
/** How long a measured run should last. */
const RUN_SECONDS = QUICK ? 1 : SECONDS
/** Records per transaction in the transactional produce run. */
const TXN_SIZE = 100
/** --soak-minutes N: the memory soak alone (see soak()). */
const SOAK_MINUTES = opts['soak-minutes'] === undefined ? undefined : Number(opts['soak-minutes'])
if (SOAK_MINUTES !== undefined && !(SOAK_MINUTES > 0))
  throw new Error('--soak-minutes needs a positive number')
/** How often the soak samples the broker (RSS, CPU, event-loop delay). */
const SOAK_SAMPLE_MS = Number(process.env.BENCH_SOAK_SAMPLE_SECONDS ?? 30) * 1000
const HARD_LIMIT_MS = SOAK_MINUTES === undefined ? 480_000 : SOAK_MINUTES * 60_000 + 300_000

setup({ name: 'bench', hardLimitMs: HARD_LIMIT_MS })

let workDir
let PERF
let MOCK

function produce(bootstrap, topic, size, count, timeoutMs, props = {}, acks = -1) {
  return perfProduce(PERF, { bootstrap, topic, size, count, acks, timeoutMs, props })
}

async function consume(bootstrap, topic, { count, exitAtEof = false, timeoutMs, props = {} }) {
  const args = perfArgs('-C', topic, bootstrap, '-o', 'beginning')
  for (const [k, v] of Object.entries(props)) args.push('-X', `${k}=${v}`)
  if (count !== undefined) args.push('-c', String(count))
  // -e waits for an empty fetch to see the end; keep that wait short
  if (exitAtEof) args.push('-e', '-X', 'fetch.wait.max.ms=10')
  return parseConsume(await runProgram(PERF, args, { timeoutMs }))
}

/**
 * A short probe to learn the rate, then runs sized to last about SECONDS (re-sized from the previous run while a
 * run comes out much shorter: the probe's rate includes connection set-up). Reports the last run.
 */
async function sizedProduce(bootstrap, topic, size, props = {}, acks = -1) {
  const probeCount = size >= 1024 ? 20_000 : 100_000
  const maxCount = size >= 1024 ? 4_000_000 : 40_000_000
  let last = await produce(bootstrap, topic, size, probeCount, 30_000, props, acks)
  let logged = last.delivered
  for (let i = 0; i < 4; i++) {
    const rate = Math.max(last.delivered, 1) / Math.max(last.ms, 1) // records per ms
    const count = Math.max(10_000, Math.min(Math.round(rate * RUN_SECONDS * 1100), maxCount))
    last = await produce(bootstrap, topic, size, count, RUN_SECONDS * 4000 + 10_000, props, acks)
    logged += last.delivered
    if (last.ms >= RUN_SECONDS * 700 || last.timedOut || count === maxCount) break
  }
  return { ...last, logged }
}

/** Reads the whole partition `passes` times (until about `minMs` of reading), and sums the passes. */
async function repeatedConsume(bootstrap, topic, count, { minMs = 2000, maxPasses = 5, props = {} } = {}) {
  const passes = []
  while (passes.length < maxPasses) {
    const c = await consume(bootstrap, topic, { count, timeoutMs: RUN_SECONDS * 6000 + 20_000, props })
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

/**
 * scripts/bench/raw-fetch.mjs (Fetch v11 as librdkafka sends it, one request in flight, only batch headers read)
 * over the whole partition, repeated until about `minMs` of reading; `size` is the record value size, so that
 * bytes count as rdkafka_performance counts them (values only).
 */
async function rawConsume(bootstrap, topic, count, size, { minMs = 2000, maxPasses = 5, wrap = false } = {}) {
  const script = join(ROOT, 'scripts', 'bench', 'raw-fetch.mjs')
  const args = [script, bootstrap, topic, String(count), String(size)]
  // round and round a partition smaller than count (the mock's window), librdkafka's default fetch sizes
  if (wrap) args.push(String(1024 * 1024), String(50 * 1024 * 1024), 'wrap')
  const passes = []
  while (passes.length < maxPasses) {
    const r = await runProgram(process.execPath, args, {
      timeoutMs: RUN_SECONDS * 6000 + 20_000,
    })
    if (r.code !== 0 || r.timedOut)
      throw new Error(`raw-fetch failed (${r.code ?? 'timed out'}): ${r.stderr}`)
    passes.push(JSON.parse(r.stdout.trim().split('\n').pop()))
    if (passes.reduce((a, p) => a + p.ms, 0) >= minMs) break
  }
  const sum = (k) => passes.reduce((a, p) => a + p[k], 0)
  const ms = Math.max(sum('ms'), 1)
  const fetches = sum('fetches')
  return {
    records: sum('records'),
    bytes: sum('bytes'),
    ms,
    passes: passes.length,
    fetches,
    recordsPerSec: (sum('records') * 1000) / ms,
    mbPerSec: sum('bytes') / (ms * 1000),
    // mean ms per fetch from the request written to the response's first bytes (the broker's turn), and from its
    // first bytes to its last (the transfer)
    waitMs: passes.reduce((a, p) => a + p.waitMs * p.fetches, 0) / fetches,
    transferMs: passes.reduce((a, p) => a + p.transferMs * p.fetches, 0) / fetches,
  }
}

/**
 * rdkafka_performance reading a whole (small) partition of `count` records `passes` times, one process per pass;
 * sums the passes. Each pass's time is taken from its MB/s (computed from microseconds) rather than its whole
 * milliseconds: a 4.5 MB pass lasts only a few (and its process start-up much longer, hence a fixed count).
 */
async function windowConsume(bootstrap, topic, count, passes) {
  let records = 0
  let bytes = 0
  let ms = 0
  for (let i = 0; i < passes; i++) {
    const c = await consume(bootstrap, topic, { count, timeoutMs: 30_000 })
    if (c.timedOut || c.records < count)
      throw new Error(`a window pass read ${c.records} of ${count} records`)
    records += c.records
    bytes += c.bytes
    ms += c.mbPerSec > 0 ? c.bytes / (c.mbPerSec * 1000) : c.ms
  }
  ms = Math.max(ms, 0.001)
  return { records, bytes, ms, passes, recordsPerSec: (records * 1000) / ms, mbPerSec: bytes / (ms * 1000) }
}

// ---------------------------------------------------------------------------------------------------------------

/** A standalone Samsa with its data in dataDir and the probe loaded. */
async function startSamsa(name, dataDir) {
  const samsa = await startSamsaBroker(
    'standalone.properties',
    // the HTTP listener on an ephemeral port: metrics on (as in config/standalone.properties), no port clash
    (port) => ({
      listeners: `PLAINTEXT://127.0.0.1:${port}`,
      'log.dirs': dataDir,
      'broker.id': 0,
      'http.listeners': 'http://127.0.0.1:0',
    }),
    join(workDir, `${name}.log`),
    { probe: true },
  )
  await waitListening(`Samsa (${name})`, samsa, 30_000)
  return { ...samsa, dataDir }
}

/** The tmpfs directory for a broker's data: under /dev/shm, removed on exit (undefined without /dev/shm). */
function tmpfsDir() {
  if (!existsSync('/dev/shm')) return undefined
  const dir = mkdtempSync('/dev/shm/samsa-bench-')
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }))
  return dir
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

function createTopics(bootstrap, topics) {
  return withAdmin([bootstrap], (admin) =>
    admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })),
    }),
  )
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
// transactions

let TXN_PRODUCER

function buildTxnProducer() {
  const out = join(workDir, 'txn-producer')
  const src = join(ROOT, 'scripts', 'bench', 'txn-producer.c')
  const b = spawnSync('gcc', ['-O2', '-o', out, src, '-lrdkafka'], { encoding: 'utf8' })
  if (b.status !== 0) throw new Error(`building ${src} failed:\n${b.stderr}`)
  return out
}

/** `count` 100-byte records, idempotent (perTxn 0) or in transactions of `perTxn` records. */
async function txnProduce(bootstrap, topic, perTxn, count, timeoutMs) {
  const r = await runProgram(TXN_PRODUCER, [bootstrap, topic, '100', String(count), String(perTxn)], {
    timeoutMs,
  })
  if (r.code !== 0 || r.timedOut)
    throw new Error(`txn-producer failed (${r.code ?? 'timed out'}): ${r.stderr.slice(-2000)}`)
  const o = JSON.parse(r.stdout.trim().split('\n').pop())
  return {
    ...o,
    recordsPerSec: (o.records * 1000) / o.ms,
    transactionsPerSec: (o.transactions * 1000) / o.ms,
  }
}

/** A probe, then a run sized to last about SECONDS. */
async function sizedTxnProduce(bootstrap, topic, perTxn) {
  const probe = await txnProduce(bootstrap, topic, perTxn, perTxn ? 20 * perTxn : 50_000, 60_000)
  const count = Math.max(
    perTxn || 1,
    Math.round((probe.recordsPerSec * RUN_SECONDS) / (perTxn || 1)) * (perTxn || 1),
  )
  return txnProduce(bootstrap, topic, perTxn, Math.min(count, 20_000_000), RUN_SECONDS * 4000 + 30_000)
}

function txnTable(rows) {
  const header = ['target', 'mode', 'records/s', 'transactions/s', 'notes']
  const cells = rows.map((r) => [
    r.target,
    r.mode,
    fmtInt(r.run.recordsPerSec),
    r.run.transactions ? fmtInt(r.run.transactionsPerSec) : '-',
    `${fmtInt(r.run.records)} records in ${fmt(r.run.ms / 1000)} s`,
  ])
  return renderTable(header, cells, [2, 3])
}

// ---------------------------------------------------------------------------------------------------------------

/** A CA and a server certificate for 127.0.0.1, made by openssl; returns the broker's and the clients' settings. */
function tlsMaterial(dir) {
  const run = (args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  run(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=bench CA'])
  run(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'])
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n')
  run(
    ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial'].concat([
      '-out',
      'server.pem',
      '-days',
      '2',
      '-extfile',
      'san.ext',
    ]),
  )
  run([
    'pkcs12',
    '-export',
    '-in',
    'server.pem',
    '-inkey',
    'server.key',
    '-out',
    'server.p12',
    '-passout',
    'pass:bench',
  ])
  return { p12: join(dir, 'server.p12'), ca: join(dir, 'ca.pem') }
}

const JAAS =
  'org.apache.kafka.common.security.plain.PlainLoginModule required username="bench" password="bench-secret" ' +
  'user_bench="bench-secret";'

/** 1 KiB records through each kind of listener of one broker: what TLS and SASL cost. */
async function securityRows() {
  const tls = tlsMaterial(workDir)
  const dataDir = join(workDir, 'samsa-secure-data')
  const ports = { SSL: await freePort(), SASL_PLAINTEXT: await freePort(), SASL_SSL: await freePort() }
  const samsa = await startSamsaBroker(
    'standalone.properties',
    (port) => {
      ports.PLAINTEXT = port
      return {
        listeners: ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL']
          .map((n) => `${n}://127.0.0.1:${ports[n]}`)
          .join(','),
        'log.dirs': dataDir,
        'broker.id': 0,
        'sasl.enabled.mechanisms': 'PLAIN',
        'listener.name.sasl_plaintext.plain.sasl.jaas.config': JAAS,
        'listener.name.sasl_ssl.plain.sasl.jaas.config': JAAS,
        'ssl.keystore.type': 'PKCS12',
        'ssl.keystore.location': tls.p12,
        'ssl.keystore.password': 'bench',
      }
    },
    join(workDir, 'samsa-secure.log'),
  )
  await waitListening('Samsa (secure listeners)', samsa, 30_000)
  const sasl = { 'sasl.mechanisms': 'PLAIN', 'sasl.username': 'bench', 'sasl.password': 'bench-secret' }
  const clients = {
    PLAINTEXT: {},
    SSL: { 'security.protocol': 'ssl', 'ssl.ca.location': tls.ca },
    SASL_PLAINTEXT: { 'security.protocol': 'sasl_plaintext', ...sasl },
    SASL_SSL: { 'security.protocol': 'sasl_ssl', 'ssl.ca.location': tls.ca, ...sasl },
  }
  const topics = Object.keys(clients).map((l) => `bench-${l.toLowerCase()}`)
  await createTopics(`127.0.0.1:${ports.PLAINTEXT}`, topics)
  const rows = []
  for (const [listener, props] of Object.entries(clients)) {
    const bootstrap = `127.0.0.1:${ports[listener]}`
    const topic = `bench-${listener.toLowerCase()}`
    log(`Samsa ${listener} produce 1 KiB`)
    const p = await sizedProduce(bootstrap, topic, 1024, props)
    log(`Samsa ${listener} consume 1 KiB (${p.logged} records)`)
    const c = await repeatedConsume(bootstrap, topic, p.logged, { props })
    rows.push({ target: `samsa ${listener}`, size: 1024, produce: p, consume: c, notes: '' })
  }
  samsa.child.kill('SIGTERM')
  await exited(samsa.child, 15_000)
  const base = rows[0]
  for (const r of rows)
    r.notes = `${fmt((100 * r.produce.mbPerSec) / base.produce.mbPerSec, 0)} % / ${fmt((100 * r.consume.mbPerSec) / base.consume.mbPerSec, 0)} % of PLAINTEXT (produce / consume)`
  return rows
}

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
  return renderTable(header, cells, [2, 3, 4, 5])
}

// ---------------------------------------------------------------------------------------------------------------
// the matrix

/** Runs fn() and adds what the broker's probe saw meanwhile (event-loop delay, CPU seconds, RSS). */
async function probed(broker, fn) {
  await probeSnapshot(broker)
  const r = await fn()
  return { ...r, probe: await probeSnapshot(broker) }
}

/** `bytes` written into dir by dd in 256 KiB blocks (no fsync: Kafka's default flush policy); MB/s. */
async function dd(dir, bytes) {
  const bs = 256 * 1024
  const file = join(dir, 'dd.bench')
  const t0 = process.hrtime.bigint()
  const r = await runProgram('dd', [
    'if=/dev/zero',
    `of=${file}`,
    `bs=${bs}`,
    `count=${Math.ceil(bytes / bs)}`,
  ])
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  if (r.code !== 0) throw new Error(`dd failed: ${r.stderr}`)
  const written = statSync(file).size
  rmSync(file, { force: true })
  return { bytes: written, ms, mbPerSec: written / (ms * 1000) }
}

/** The kernel's I/O counters of a process (/proc/<pid>/io), or undefined where there are none. */
function procIo(pid) {
  try {
    const io = {}
    for (const line of readFileSync(`/proc/${pid}/io`, 'utf8').split('\n')) {
      const [k, v] = line.split(':')
      if (v !== undefined) io[k.trim()] = Number(v)
    }
    return io
  } catch {
    return undefined
  }
}

/** Write system calls (files and sockets) and bytes sent to storage per GB produced, between two procIo(). */
function ioDelta(a, b, bytes) {
  if (!a || !b || !(bytes > 0)) return undefined
  const gb = bytes / 1e9
  return {
    writeCallsPerGb: (b.syscw - a.syscw) / gb,
    storageBytesPerByte: (b.write_bytes - a.write_bytes) / bytes,
  }
}

const cpuPerGb = (probe, bytes) => (probe && bytes ? probe.cpuSeconds / (bytes / 1e9) : NaN)
const mb = (bytes) => `${fmt(bytes / 1e6, 0)} MB`

/** Records of `size` bytes in a window topic: ~4.5 MB, under the ~5 MiB the mock keeps of a partition. */
const windowRecords = (size) => Math.floor(4_500_000 / size)

async function matrix(samsa, disk, mock) {
  const rows = []
  const add = (row) => {
    rows.push(row)
    log(`  ${row.series} ${row.target}: ${fmt(row.mbPerSec, 1)} MB/s`)
  }
  const ratios = {}
  const produced = {}
  for (const size of [1024, 100]) {
    const topic = `bench-${size}`
    const label = size === 1024 ? '1 KiB' : '100 B'
    log(`produce ${label} acks=1: Samsa (tmpfs), then the mock`)
    const sp = await probed(samsa, () => sizedProduce(samsa.bootstrap, topic, size, {}, 1))
    produced[size] = sp.logged
    add({
      series: `produce ${label}`,
      target: 'samsa (tmpfs)',
      mbPerSec: sp.mbPerSec,
      recordsPerSec: sp.recordsPerSec,
      cpuSecondsPerGb: cpuPerGb(sp.probe, sp.logged * size),
      eld: sp.probe.eld,
      rss: sp.probe.maxRss,
      notes: `${fmtInt(sp.delivered)} in ${fmt(sp.ms / 1000)} s${sp.failed ? `; ${sp.failed} failed` : ''}${sp.timedOut ? '; TIMED OUT' : ''}`,
    })
    const mp = await sizedProduce(mock.bootstrap, topic, size, {}, 1)
    add({
      series: `produce ${label}`,
      target: 'mock',
      mbPerSec: mp.mbPerSec,
      recordsPerSec: mp.recordsPerSec,
      notes: `${fmtInt(mp.delivered)} in ${fmt(mp.ms / 1000)} s`,
    })
    ratios[`produce ${label} tmpfs / mock`] = sp.mbPerSec / mp.mbPerSec
  }

  log('produce 1 KiB acks=1: Samsa (disk), then dd of the same size into its log directory')
  const io0 = procIo(disk.child.pid)
  const dp = await probed(disk, () => sizedProduce(disk.bootstrap, 'bench-disk', 1024, {}, 1))
  const io = ioDelta(io0, procIo(disk.child.pid), dp.logged * 1024)
  add({
    series: 'produce 1 KiB to disk',
    target: 'samsa (disk)',
    mbPerSec: dp.mbPerSec,
    recordsPerSec: dp.recordsPerSec,
    cpuSecondsPerGb: cpuPerGb(dp.probe, dp.logged * 1024),
    eld: dp.probe.eld,
    rss: dp.probe.maxRss,
    notes: `${fmtInt(dp.delivered)} in ${fmt(dp.ms / 1000)} s${io ? `; ${fmtInt(io.writeCallsPerGb)} write calls/GB (file and socket)` : ''}`,
    io,
  })
  const d = await dd(disk.dataDir, dp.bytes)
  add({
    series: 'produce 1 KiB to disk',
    target: 'dd',
    mbPerSec: d.mbPerSec,
    notes: `${mb(d.bytes)} in ${fmt(d.ms / 1000, 2)} s, 256 KiB writes`,
  })
  ratios['produce 1 KiB disk / dd'] = dp.mbPerSec / d.mbPerSec
  // The same broker code with its log on tmpfs, in the same run: what the disk itself costs (about 1.0 when the
  // produce path, not the disk, is the bound — dd only copies into the page cache, with no network or protocol)
  const tmpfsRow = rows.find((r) => r.series === 'produce 1 KiB' && r.target === 'samsa (tmpfs)')
  if (tmpfsRow) ratios['produce 1 KiB disk / tmpfs'] = dp.mbPerSec / tmpfsRow.mbPerSec

  for (const size of [1024, 100]) {
    log(
      `window topics for the mock comparison: ${fmtInt(windowRecords(size))} records of ${size} B, Samsa and the mock`,
    )
    for (const b of [samsa, mock]) {
      const w = await produce(b.bootstrap, `bench-window-${size}`, size, windowRecords(size), 30_000, {}, 1)
      if (w.delivered !== windowRecords(size))
        throw new Error(`window topic: ${w.delivered} records delivered`)
    }
  }
  for (const size of [1024, 100]) {
    const topic = `bench-${size}`
    const label = size === 1024 ? '1 KiB' : '100 B'
    log(`consume ${label}: Samsa (tmpfs), then the loopback`)
    const sc = await probed(samsa, () => repeatedConsume(samsa.bootstrap, topic, produced[size]))
    add({
      series: `consume ${label}`,
      target: 'samsa (tmpfs)',
      mbPerSec: sc.mbPerSec,
      recordsPerSec: sc.recordsPerSec,
      cpuSecondsPerGb: cpuPerGb(sc.probe, sc.bytes),
      eld: sc.probe.eld,
      rss: sc.probe.maxRss,
      notes: `${sc.passes} x ${fmtInt(produced[size])} in ${fmt(sc.ms / 1000)} s${sc.short ? `; a pass read only ${sc.lastRecords}` : ''}`,
    })
    const perPass = Math.max(Math.round(sc.bytes / sc.passes), size * 10_000)
    const lb = await loopback(perPass, 64 * 1024)
    add({
      series: `consume ${label}`,
      target: 'loopback',
      mbPerSec: lb.mbPerSec,
      recordsPerSec: lb.bytes / size / (lb.ms / 1000),
      notes: `${lb.passes} x ${mb(perPass)} in ${fmt(lb.ms / 1000, 2)} s, 64 KiB writes, no protocol`,
    })
    ratios[`consume ${label} / loopback`] = sc.mbPerSec / lb.mbPerSec
    {
      // one consumer process is bound by its own CPU (decoding ~1 M records/s at 100 B) and by its one fetch in
      // flight: does a second process raise the broker's total?
      log(`consume ${label}: two consumer processes at once, each reading the whole partition`)
      const two = await probed(samsa, async () => {
        const runs = await Promise.all(
          [0, 1].map(() =>
            consume(samsa.bootstrap, topic, {
              count: produced[size],
              timeoutMs: RUN_SECONDS * 6000 + 20_000,
            }),
          ),
        )
        // as rdkafka_performance times one consumer (its first message to its last), over both: they start together
        const ms = Math.max(...runs.map((r) => r.ms), 1)
        const bytes = runs.reduce((a, r) => a + r.bytes, 0)
        const records = runs.reduce((a, r) => a + r.records, 0)
        return {
          ms,
          bytes,
          records,
          each: runs,
          mbPerSec: bytes / (ms * 1000),
          recordsPerSec: (records * 1000) / ms,
        }
      })
      add({
        series: `consume ${label}`,
        target: 'samsa, 2 consumers',
        mbPerSec: two.mbPerSec,
        recordsPerSec: two.recordsPerSec,
        cpuSecondsPerGb: cpuPerGb(two.probe, two.bytes),
        eld: two.probe.eld,
        rss: two.probe.maxRss,
        notes: `both together; each ${two.each.map((r) => fmt(r.mbPerSec, 1)).join(' and ')} MB/s`,
      })
      ratios[`consume ${label} 2 consumers / 1`] = two.mbPerSec / sc.mbPerSec
    }
    // The broker's own ceiling on one connection: the same fetches without a real consumer's per-record work
    log(`consume ${label}: a raw Fetch client (scripts/bench/raw-fetch.mjs, records not decoded)`)
    const raw = await probed(samsa, () => rawConsume(samsa.bootstrap, topic, produced[size], size))
    add({
      series: `consume ${label}`,
      target: 'samsa, raw Fetch client',
      mbPerSec: raw.mbPerSec,
      recordsPerSec: raw.recordsPerSec,
      cpuSecondsPerGb: cpuPerGb(raw.probe, raw.bytes),
      eld: raw.probe.eld,
      rss: raw.probe.maxRss,
      notes:
        `not a consumer: batch headers only; ${raw.passes} x ${fmtInt(produced[size])}, ${fmtInt(raw.fetches)} ` +
        `fetches, per fetch ${fmt(raw.waitMs, 2)} ms to the first byte + ${fmt(raw.transferMs, 2)} ms transfer`,
    })
    ratios[`consume ${label} raw Fetch client / loopback`] = raw.mbPerSec / lb.mbPerSec

    // librdkafka's C mock broker serving the same clients: is the consumer's one fetch in flight what bounds it?
    // The mock keeps only the last ~5 MiB of a partition (librdkafka 2.0.2), so both brokers are measured on a
    // window topic of ~4.5 MB: rdkafka_performance reads it in whole passes (timed from its first message to its
    // last, so one fetch of ~5 goes untimed: these rows are higher than the full-partition row above, the same for
    // both brokers), the raw Fetch client reads it round and round
    const wTopic = `bench-window-${size}`
    const wCount = windowRecords(size)
    const wMb = `${fmt((wCount * size) / 1e6, 1)} MB`
    log(
      `consume ${label}: a ${wMb} window, rdkafka_performance passes and the raw Fetch client, mock and Samsa`,
    )
    for (const [target, b] of [
      ['mock', mock],
      ['samsa (tmpfs)', samsa],
    ]) {
      const w = await windowConsume(b.bootstrap, wTopic, wCount, QUICK ? 2 : 20)
      add({
        series: `consume ${label}`,
        target: `${target}, ${wMb} passes`,
        mbPerSec: w.mbPerSec,
        recordsPerSec: w.recordsPerSec,
        notes: `rdkafka_performance, ${w.passes} x ${fmtInt(wCount)} records in ${fmt(w.ms / 1000, 2)} s`,
      })
      const r = await rawConsume(b.bootstrap, wTopic, produced[size], size, { wrap: true })
      add({
        series: `consume ${label}`,
        target: `${target}, raw Fetch client, window`,
        mbPerSec: r.mbPerSec,
        recordsPerSec: r.recordsPerSec,
        notes:
          `${fmtInt(r.fetches)} fetches round a ${wMb} window, per fetch ${fmt(r.waitMs, 2)} ms to ` +
          `the first byte + ${fmt(r.transferMs, 2)} ms transfer`,
      })
      ratios[`consume ${label} ${target === 'mock' ? 'mock' : 'samsa'} window passes / loopback`] =
        w.mbPerSec / lb.mbPerSec
      if (target === 'mock') {
        ratios[`consume ${label} mock raw Fetch client / loopback`] = r.mbPerSec / lb.mbPerSec
      }
    }
    const row = (t) => rows.find((x) => x.series === `consume ${label}` && x.target === t)
    ratios[`consume ${label} window passes samsa / mock`] =
      row(`samsa (tmpfs), ${wMb} passes`).mbPerSec / row(`mock, ${wMb} passes`).mbPerSec
    ratios[`consume ${label} raw Fetch client, window, samsa / mock`] =
      row('samsa (tmpfs), raw Fetch client, window').mbPerSec / row('mock, raw Fetch client, window').mbPerSec
  }

  // 50 % of the maximum of the latency run's own producer configuration (LATENCY_PROPS), not of the batched runs above
  const maxRate = await maxLatencyRate(samsa.bootstrap, 'bench-latency', {
    dir: workDir,
    seconds: RUN_SECONDS,
  })
  log(`latency: 1 KiB acks=all at ${fmtInt(maxRate / 2)} records/s (half of ${fmtInt(maxRate)}, its maximum)`)
  const lat = await probed(samsa, () =>
    latencyRun(PERF, samsa.bootstrap, 'bench-latency', maxRate / 2, {
      dir: workDir,
      seconds: RUN_SECONDS,
      maxRate,
    }),
  )
  return { rows, ratios, latency: { ...lat, eld: lat.probe.eld } }
}

function matrixTable(rows) {
  const header = ['series', 'target', 'MB/s', 'records/s', 'CPU s/GB', 'ELD p99/max ms', 'RSS MB', 'notes']
  const cells = rows.map((r) => [
    r.series,
    r.target,
    fmt(r.mbPerSec, 1),
    fmtInt(r.recordsPerSec),
    fmt(r.cpuSecondsPerGb, 2),
    r.eld ? `${fmt(r.eld.p99, 1)} / ${fmt(r.eld.max, 1)}` : '',
    r.rss ? fmtInt(r.rss / 1e6) : '',
    r.notes ?? '',
  ])
  return renderTable(header, cells, [2, 3, 4, 5, 6])
}

function writeResults(result) {
  writeResult(opts.out, 'results.json', result)
  const charts = {
    'throughput.svg': barChart({
      title: 'Throughput (MB/s, 10^6 bytes), Samsa next to its baselines in the same run',
      unit: 'MB/s',
      bars: result.matrix.rows.map((r) => ({
        label: `${r.series}: ${r.target}`,
        value: r.mbPerSec,
        group: r.series,
      })),
    }),
    'ratios.svg': barChart({
      title: 'Samsa / baseline, same run',
      unit: 'x',
      bars: Object.entries(result.matrix.ratios).map(([label, value]) => ({ label, value })),
    }),
    'cpu.svg': barChart({
      title: 'Broker CPU seconds per GB',
      unit: 's/GB',
      bars: result.matrix.rows
        .filter((r) => Number.isFinite(r.cpuSecondsPerGb))
        .map((r) => ({ label: `${r.series}: ${r.target}`, value: r.cpuSecondsPerGb })),
    }),
    'latency.svg': barChart({
      title: `Latency (ms), 1 KiB acks=all at ${fmtInt(result.matrix.latency.rate)} records/s`,
      unit: 'ms',
      bars: ['produce', 'endToEnd'].flatMap((k) =>
        ['p50', 'p99', 'p999'].map((q) => ({
          label: `${k === 'produce' ? 'produce' : 'end-to-end'} ${q.replace('p999', 'p99.9')}`,
          value: result.matrix.latency[k][q],
          group: k,
        })),
      ),
    }),
    'event-loop-delay.svg': barChart({
      title: 'Broker event-loop delay p99 (ms) per phase',
      unit: 'ms',
      bars: result.matrix.rows
        .filter((r) => r.eld)
        .map((r) => ({ label: `${r.series}: ${r.target}`, value: r.eld.p99 }))
        .concat([{ label: 'latency run', value: result.matrix.latency.eld.p99 }]),
    }),
  }
  for (const [file, svg] of Object.entries(charts)) writeFileSync(join(opts.out, file), svg)
  log(`results in ${opts.out} (results.json, ${Object.keys(charts).join(', ')})`)
}

/** --security-only: the cost of TLS and SASL alone (same broker, same run), into <out>/security.json. */
async function securityOnly() {
  buildSamsa()
  const load = readFileSync('/proc/loadavg', 'utf8').trim()
  const rows = await securityRows()
  const end = readFileSync('/proc/loadavg', 'utf8').trim()
  const result = {
    date: new Date().toISOString(),
    quick: QUICK,
    runSeconds: RUN_SECONDS,
    loadAverage: { start: load, end },
    rows,
  }
  writeResult(opts.out, 'security.json', result)
  console.log('')
  console.log(
    `The cost of security: 1 KiB records, one broker with a listener of each kind (SASL/PLAIN), ~${RUN_SECONDS} s per ` +
      `run; load average ${load} -> ${end}`,
  )
  console.log(table(rows))
  console.log(`total ${fmt((Date.now() - started) / 1000)} s`)
}

/**
 * --soak-minutes N: one standalone broker (data in the temp dir, Kafka's default flush policy) under full load for N
 * minutes — rdkafka_performance producing 1 KiB records acks=1 as fast as it can, in back-to-back runs of about 10 s,
 * while a second one reads the partition from the beginning to the end, again and again. The topic keeps at most
 * about 1 GB (retention.bytes, 100 MB segments) so that the disk does not fill. Every BENCH_SOAK_SAMPLE_SECONDS
 * (default 30) it samples the broker's RSS (now and the peak of the window), CPU seconds and event-loop delay, and
 * the bytes produced and consumed; prints the series and writes it to <out>/soak.json.
 */
async function soak(minutes) {
  buildSamsa()
  const load = readFileSync('/proc/loadavg', 'utf8').trim()
  log(`soak: ${minutes} min of produce + consume, load average ${load}`)
  const broker = await startSamsa('samsa-soak', join(workDir, 'samsa-soak-data'))
  const topic = 'bench-soak'
  await withAdmin([broker.bootstrap], (admin) =>
    admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          numPartitions: 1,
          replicationFactor: 1,
          configEntries: [
            { name: 'retention.bytes', value: String(1_000_000_000) },
            { name: 'segment.bytes', value: String(100_000_000) },
          ],
        },
      ],
    }),
  )
  const end = Date.now() + minutes * 60_000
  const totals = { produced: 0, consumed: 0, producerRuns: 0, consumerRuns: 0, failedRuns: 0 }
  const producer = (async () => {
    let count = 200_000
    while (Date.now() < end) {
      const p = await produce(broker.bootstrap, topic, 1024, count, 120_000, {}, 1)
      totals.produced += p.delivered * 1024
      totals.producerRuns++
      if (p.timedOut || p.exit !== 0) totals.failedRuns++
      // about 10 s per run
      count = Math.max(10_000, Math.min(4_000_000, Math.round((p.delivered / Math.max(p.ms, 1)) * 10_000)))
    }
  })()
  const consumer = (async () => {
    while (Date.now() < end) {
      let c
      try {
        c = await consume(broker.bootstrap, topic, { count: 2_000_000, exitAtEof: true, timeoutMs: 120_000 })
      } catch {
        totals.failedRuns++
        await sleep(1000)
        continue
      }
      totals.consumed += c.bytes
      totals.consumerRuns++
    }
  })()
  const samples = []
  await probeSnapshot(broker)
  const t0 = Date.now()
  let last = { produced: 0, consumed: 0, at: t0 }
  while (Date.now() < end) {
    await sleep(Math.min(SOAK_SAMPLE_MS, Math.max(end - Date.now(), 0)))
    const p = await probeSnapshot(broker)
    const now = Date.now()
    const sec = (now - last.at) / 1000
    const sample = {
      minute: (now - t0) / 60_000,
      rssMb: p.rss / 1e6,
      maxRssMb: p.maxRss / 1e6,
      cpuSeconds: p.cpuSeconds,
      eldP99: p.eld.p99,
      // completed client runs only: a run's bytes count in the window it ended in
      producedMbPerSec: (totals.produced - last.produced) / 1e6 / sec,
      consumedMbPerSec: (totals.consumed - last.consumed) / 1e6 / sec,
    }
    samples.push(sample)
    last = { produced: totals.produced, consumed: totals.consumed, at: now }
    log(
      `  ${fmt(sample.minute)} min: RSS ${fmtInt(sample.rssMb)} MB (peak ${fmtInt(sample.maxRssMb)}), ` +
        `CPU ${fmt(sample.cpuSeconds)} s, ELD p99 ${fmt(sample.eldP99)} ms, ` +
        `produced ${fmt(sample.producedMbPerSec)} MB/s, consumed ${fmt(sample.consumedMbPerSec)} MB/s`,
    )
  }
  await Promise.all([producer, consumer])
  broker.child.kill('SIGTERM')
  await exited(broker.child, 15_000)
  const endLoad = readFileSync('/proc/loadavg', 'utf8').trim()
  const peak = Math.max(...samples.map((s) => s.maxRssMb))
  const firstHalf = samples.slice(0, Math.ceil(samples.length / 2))
  const secondHalf = samples.slice(Math.ceil(samples.length / 2))
  const maxOf = (xs) => (xs.length ? Math.max(...xs.map((s) => s.maxRssMb)) : NaN)
  const result = {
    date: new Date().toISOString(),
    minutes,
    sampleSeconds: SOAK_SAMPLE_MS / 1000,
    loadAverage: { start: load, end: endLoad },
    totals,
    peakRssMb: peak,
    peakRssMbFirstHalf: maxOf(firstHalf),
    peakRssMbSecondHalf: maxOf(secondHalf),
    samples,
  }
  writeResult(opts.out, 'soak.json', result)
  console.log('')
  console.log(
    `soak: ${minutes} min, 1 KiB acks=1 produce + consume from the beginning, one partition (<= ~1 GB kept); ` +
      `load average ${load} -> ${endLoad}`,
  )
  const header = ['minute', 'RSS MB', 'peak RSS MB', 'CPU s', 'ELD p99 ms', 'produced MB/s', 'consumed MB/s']
  const cells = samples.map((s) => [
    fmt(s.minute),
    fmtInt(s.rssMb),
    fmtInt(s.maxRssMb),
    fmt(s.cpuSeconds),
    fmt(s.eldP99),
    fmt(s.producedMbPerSec),
    fmt(s.consumedMbPerSec),
  ])
  console.log(renderTable(header, cells, [0, 1, 2, 3, 4, 5, 6]))
  console.log(
    `peak RSS ${fmtInt(peak)} MB (first half ${fmtInt(result.peakRssMbFirstHalf)}, second half ` +
      `${fmtInt(result.peakRssMbSecondHalf)}); produced ${fmt(totals.produced / 1e9, 2)} GB, consumed ` +
      `${fmt(totals.consumed / 1e9, 2)} GB; ${totals.failedRuns} failed client runs`,
  )
  console.log(`results in ${join(opts.out, 'soak.json')}; total ${fmt((Date.now() - started) / 1000)} s`)
}

async function main() {
  workDir = makeWorkDir('samsa-bench-')
  if (SOAK_MINUTES !== undefined) {
    ;[PERF] = buildPerfTools(['rdkafka_performance'])
    return soak(SOAK_MINUTES)
  }
  if (opts['security-only']) {
    ;[PERF, MOCK] = buildPerfTools(['rdkafka_performance', 'mockbroker'])
    return securityOnly()
  }
  ;[PERF, MOCK] = buildPerfTools(['rdkafka_performance', 'mockbroker'])
  buildSamsa()
  const uptime = readFileSync('/proc/loadavg', 'utf8').trim()
  log(`load average at the start: ${uptime}`)

  const shm = tmpfsDir()
  if (!shm) log('no /dev/shm: the "tmpfs" broker keeps its data in the temp dir')
  const samsa = await startSamsa('samsa-tmpfs', shm ?? join(workDir, 'samsa-tmpfs-data'))
  const disk = await startSamsa('samsa-disk', join(workDir, 'samsa-disk-data'))
  log(`Samsa at ${samsa.bootstrap} (data in ${samsa.dataDir}) and ${disk.bootstrap} (${disk.dataDir})`)
  const topics = ['bench-1024', 'bench-100', 'bench-latency', 'bench-window-1024', 'bench-window-100']
  await createTopics(samsa.bootstrap, topics)
  await createTopics(disk.bootstrap, ['bench-disk'])
  const mock = await startMock(topics)
  log(`mock broker at ${mock.bootstrap}`)

  const m = await matrix(samsa, disk, mock)
  const result = {
    date: new Date().toISOString(),
    quick: QUICK,
    runSeconds: RUN_SECONDS,
    loadAverage: { start: uptime, end: readFileSync('/proc/loadavg', 'utf8').trim() },
    cpus: (await import('node:os')).cpus().length,
    node: process.version,
    librdkafka: '2.0.2',
    matrix: m,
  }

  for (const b of [samsa, disk]) b.child.kill('SIGTERM')
  mock.child.kill('SIGTERM')
  await Promise.all([exited(samsa.child, 15_000), exited(disk.child, 15_000)])

  if (!QUICK && !opts['matrix-only']) {
    const txnSamsa = await startSamsa('samsa-txn', join(workDir, 'samsa-txn-data'))
    const txnTopics = ['bench-idempotent', 'bench-transactional']
    await createTopics(txnSamsa.bootstrap, txnTopics)
    const txnMock = await startMock(txnTopics)
    TXN_PRODUCER = buildTxnProducer()
    const txnRows = []
    for (const [target, bootstrap] of [
      ['samsa', txnSamsa.bootstrap],
      ['mock', txnMock.bootstrap],
    ]) {
      log(`${target} idempotent produce (txn-producer)`)
      txnRows.push({ target, mode: 'idempotent', run: await sizedTxnProduce(bootstrap, txnTopics[0], 0) })
      log(`${target} transactional produce, ${TXN_SIZE} records per transaction`)
      txnRows.push({
        target,
        mode: `transactions of ${TXN_SIZE}`,
        run: await sizedTxnProduce(bootstrap, txnTopics[1], TXN_SIZE),
      })
    }
    txnSamsa.child.kill('SIGTERM')
    txnMock.child.kill('SIGTERM')
    await exited(txnSamsa.child, 15_000)
    result.transactions = txnRows
    result.security = await securityRows()
  }
  result.loadAverage.end = readFileSync('/proc/loadavg', 'utf8').trim()
  writeResults(result)

  console.log('')
  console.log(
    `rdkafka_performance (librdkafka 2.0.2), 1 partition, acks=1, ~${RUN_SECONDS} s per run; MB = 10^6 bytes; ` +
      `load average ${result.loadAverage.start} -> ${result.loadAverage.end}`,
  )
  console.log(matrixTable(m.rows))
  console.log('')
  for (const [k, v] of Object.entries(m.ratios)) console.log(`${k.padEnd(28)} ${fmt(v, 2)}`)
  const l = m.latency
  console.log('')
  console.log(
    `${latencyLine('single broker, acks=all (half the maximum)', l)}; event-loop delay p99 ${fmt(l.eld.p99, 2)} ms, ` +
      `max ${fmt(l.eld.max, 2)} ms; ${delayParts(l.probe)}`,
  )
  if (result.security) {
    console.log('')
    console.log('The cost of security: 1 KiB records, one broker with a listener of each kind (SASL/PLAIN)')
    console.log(table(result.security))
  }
  if (result.transactions) {
    const txnRows = result.transactions
    console.log('')
    console.log(
      `librdkafka 2.0.2 producer (scripts/bench/txn-producer.c), 100-byte records, 1 partition, acks=all, ` +
        `idempotent; ~${RUN_SECONDS} s per run`,
    )
    console.log(txnTable(txnRows))
    const sIdem = txnRows.find((r) => r.target === 'samsa' && r.mode === 'idempotent').run.recordsPerSec
    const sTxn = txnRows.find((r) => r.target === 'samsa' && r.mode !== 'idempotent').run.recordsPerSec
    console.log(`Samsa transactional / idempotent = ${fmt(sTxn / sIdem, 2)}`)
  }
  console.log(`total ${fmt((Date.now() - started) / 1000)} s`)
}

runMain(main)
