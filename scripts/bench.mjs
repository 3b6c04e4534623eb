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
//   6. the cost of security: 1 KiB records through a second Samsa with PLAINTEXT, SSL, SASL_PLAINTEXT and SASL_SSL
//      listeners (TLS material made by openssl in the temp dir; SASL/PLAIN — the mechanism only costs at connect)
//   7. transactions: a librdkafka producer (scripts/bench/txn-producer.c, built with gcc: rdkafka_performance has
//      no transactions) writes 100-byte records with acks=all, idempotent, then in transactions of 100 records;
//      records/s of both, against Samsa and the mock
// Everything it starts is stopped and the temp dir removed, also on failure or Ctrl-C. Takes about two minutes.
// What it shares with scripts/bench-replication.mjs (process cleanup, running rdkafka_performance, starting
// Samsa, the table) is in scripts/bench/common.mjs.
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  ROOT,
  SECONDS,
  buildPerfTools,
  buildSamsa,
  children,
  exited,
  fmt,
  fmtInt,
  freePort,
  log,
  makeWorkDir,
  parseConsume,
  perfProduce,
  renderTable,
  runMain,
  runProgram,
  setup,
  sleep,
  started,
  startSamsaBroker,
  waitListening,
  withAdmin,
} from './bench/common.mjs'

const SIZES = [100, 1024]
/** Records per transaction in the transactional produce run. */
const TXN_SIZE = 100
const HARD_LIMIT_MS = 360_000

setup({ name: 'bench', hardLimitMs: HARD_LIMIT_MS })

let workDir
let PERF
let MOCK

function produce(bootstrap, topic, size, count, timeoutMs, props = {}) {
  return perfProduce(PERF, { bootstrap, topic, size, count, acks: -1, timeoutMs, props })
}

async function consume(bootstrap, topic, { count, exitAtEof = false, timeoutMs, props = {} }) {
  const args = ['-C', '-t', topic, '-p', '0', '-b', bootstrap, '-o', 'beginning']
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
async function sizedProduce(bootstrap, topic, size, props = {}) {
  const probeCount = size >= 1024 ? 20_000 : 100_000
  const maxCount = size >= 1024 ? 4_000_000 : 40_000_000
  let last = await produce(bootstrap, topic, size, probeCount, 30_000, props)
  let logged = last.delivered
  for (let i = 0; i < 4; i++) {
    const rate = Math.max(last.delivered, 1) / Math.max(last.ms, 1) // records per ms
    const count = Math.max(10_000, Math.min(Math.round(rate * SECONDS * 1100), maxCount))
    last = await produce(bootstrap, topic, size, count, SECONDS * 4000 + 10_000, props)
    logged += last.delivered
    if (last.ms >= SECONDS * 700 || last.timedOut || count === maxCount) break
  }
  return { ...last, logged }
}

/** Reads the whole partition `passes` times (until about `minMs` of reading), and sums the passes. */
async function repeatedConsume(bootstrap, topic, count, { minMs = 2000, maxPasses = 5, props = {} } = {}) {
  const passes = []
  while (passes.length < maxPasses) {
    const c = await consume(bootstrap, topic, { count, timeoutMs: SECONDS * 6000 + 20_000, props })
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
  const dataDir = join(workDir, 'samsa-data')
  const samsa = await startSamsaBroker(
    'standalone.properties',
    (port) => ({ listeners: `PLAINTEXT://127.0.0.1:${port}`, 'log.dirs': dataDir, 'broker.id': 0 }),
    join(workDir, 'samsa.log'),
  )
  await waitListening('Samsa', samsa, 30_000)
  return { ...samsa, dataDir }
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
    Math.round((probe.recordsPerSec * SECONDS) / (perTxn || 1)) * (perTxn || 1),
  )
  return txnProduce(bootstrap, topic, perTxn, Math.min(count, 20_000_000), SECONDS * 4000 + 30_000)
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

async function main() {
  workDir = makeWorkDir('samsa-bench-')
  ;[PERF, MOCK] = buildPerfTools(['rdkafka_performance', 'mockbroker'])
  buildSamsa()

  TXN_PRODUCER = buildTxnProducer()
  const txnTopics = ['bench-idempotent', 'bench-transactional']
  const topics = SIZES.map((s) => `bench-${s}`)
  const samsa = await startSamsa()
  log(`Samsa at ${samsa.bootstrap}, data in ${samsa.dataDir}`)
  await createTopics(samsa.bootstrap, [...topics, ...txnTopics])
  const mock = await startMock([...topics, ...txnTopics])
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

  const txnRows = []
  for (const [target, bootstrap] of [
    ['samsa', samsa.bootstrap],
    ['mock', mock.bootstrap],
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

  const stopT0 = Date.now()
  samsa.child.kill('SIGTERM')
  mock.child.kill('SIGTERM')
  await exited(samsa.child, 15_000)
  log(`Samsa stopped (exit ${samsa.child.exitCode ?? samsa.child.signalCode}) in ${Date.now() - stopT0} ms`)

  const security = await securityRows()

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
  console.log('')
  console.log('The cost of security: 1 KiB records, one broker with a listener of each kind (SASL/PLAIN)')
  console.log(table(security))
  console.log('')
  console.log(
    `librdkafka 2.0.2 producer (scripts/bench/txn-producer.c), 100-byte records, 1 partition, acks=all, ` +
      `idempotent; ~${SECONDS} s per run`,
  )
  console.log(txnTable(txnRows))
  const sIdem = txnRows.find((r) => r.target === 'samsa' && r.mode === 'idempotent').run.recordsPerSec
  const sTxn = txnRows.find((r) => r.target === 'samsa' && r.mode !== 'idempotent').run.recordsPerSec
  console.log(`Samsa transactional / idempotent = ${fmt(sTxn / sIdem, 2)}`)
  console.log(`total ${fmt((Date.now() - started) / 1000)} s`)
}

runMain(main)
