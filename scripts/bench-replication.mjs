#!/usr/bin/env node
// `node scripts/bench-replication.mjs`: what replication costs. Produce throughput of a three-broker Samsa
// cluster (ZooKeeper mode) measured with librdkafka's own benchmark (rdkafka_performance), 1 KiB records, one
// partition:
//   RF 3, acks=all (-a -1)   the leader waits until both followers have fetched the records
//   RF 3, acks=1   (-a 1)    the leader answers after its own append; followers replicate in the background
//   RF 1, acks=all (-a -1)   no followers: the replication-free baseline on the same cluster
//   RF 1, acks=1   (-a 1)
//
//   1. builds rdkafka_performance with ../shared/tools/perf/build.sh (as scripts/bench.mjs does)
//   2. builds Samsa (npm run build; SAMSA_SKIP_BUILD=1 skips)
//   3. starts a ZooKeeper from the local jars (ZOOKEEPER_CLASSPATH, default Debian's /usr/share/java) and three
//      brokers (bin/kafka-server-start.sh config/server.properties --override ...) in a temp dir
//   4. per case: a short probe to learn the rate, then a run sized to last about BENCH_SECONDS (default 4) s
//   5. prints MB/s (10^6 bytes) and msgs/s per case and the ratios to the RF 1 / acks=1 figures
// Everything it starts is stopped and the temp dir removed, also on failure or Ctrl-C (BENCH_KEEP=1 keeps the
// dir with the broker logs). Takes about a minute.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { clearTimeout, setTimeout } from 'node:timers'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4)
const SIZE = 1024
const HARD_LIMIT_MS = 240_000
const ZK_CLASSPATH = process.env.ZOOKEEPER_CLASSPATH ?? '/etc/zookeeper/conf:/usr/share/java/*'
const started = Date.now()

const children = new Set()
let workDir

function log(msg) {
  process.stderr.write(`[bench-replication ${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}\n`)
}

function cleanup() {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  }
  children.clear()
  if (workDir && process.env.BENCH_KEEP !== '1') rmSync(workDir, { recursive: true, force: true })
  else if (workDir) process.stderr.write(`[bench-replication] kept ${workDir}\n`)
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
  cleanup()
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

/** ZooKeeper's "srvr" four-letter word answers once it serves. */
function zkServing(port) {
  return new Promise((res) => {
    const s = net.connect({ host: '127.0.0.1', port })
    let out = ''
    const timer = setTimeout(() => (s.destroy(), res(false)), 1000)
    s.once('connect', () => s.write('srvr'))
    s.on('data', (d) => (out += d))
    s.once('error', () => (clearTimeout(timer), res(false)))
    s.once('close', () => (clearTimeout(timer), res(out.includes('Mode:'))))
  })
}

/** Runs a program to completion (or kills it after timeoutMs); resolves with its output. */
function runProgram(cmd, args, { timeoutMs = 60_000 } = {}) {
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

function spawnLogged(cmd, args, logFile, env = process.env) {
  const fd = openSync(logFile, 'a')
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', fd, fd], env })
  children.add(child)
  return child
}

// ---------------------------------------------------------------------------------------------------------------
// rdkafka_performance output (see scripts/bench.mjs): the last line like
//   % 500000 messages produced (512000000 bytes), 500000 delivered (offset 499999, 0 failed) in 1120ms:
//     446184 msgs/s and 456.89 MB/s, 12 produce failures, 0 in queue, no compression

const PRODUCED_RE =
  /^% (\d+) messages produced \((\d+) bytes\), (\d+) delivered \(offset (-?\d+), (\d+) failed\) in (\d+)ms: (\d+) msgs\/s and ([\d.]+) MB\/s/

function parseProduce(r) {
  let m
  for (const line of r.stdout.split('\n')) {
    const x = PRODUCED_RE.exec(line.trim())
    if (x) m = x
  }
  if (!m) throw new Error(`no producer summary in rdkafka_performance output:\n${r.stdout}\n${r.stderr}`)
  return {
    delivered: Number(m[3]),
    failed: Number(m[5]),
    ms: Number(m[6]),
    msgsPerSec: Number(m[7]),
    mbPerSec: Number(m[8]),
    timedOut: r.timedOut,
    exit: r.code,
  }
}

let PERF

async function produce(bootstrap, topic, acks, count, timeoutMs) {
  const r = await runProgram(
    PERF,
    [
      '-P',
      '-t',
      topic,
      '-p',
      '0',
      '-b',
      bootstrap,
      '-s',
      String(SIZE),
      '-c',
      String(count),
      '-a',
      String(acks),
    ],
    { timeoutMs },
  )
  return parseProduce(r)
}

/** A short probe to learn the rate, then a run sized to last about SECONDS. */
async function sizedProduce(bootstrap, topic, acks) {
  // rdkafka_performance's time includes connecting and fetching metadata: probe long enough to see the rate
  const probe = await produce(bootstrap, topic, acks, 100_000, 60_000)
  const rate = Math.max(probe.delivered / Math.max(probe.ms, 1), 1) // records per ms
  const count = Math.max(10_000, Math.min(Math.round(rate * SECONDS * 1000), 3_000_000))
  const main = await produce(bootstrap, topic, acks, count, SECONDS * 5000 + 20_000)
  return { ...main, probe }
}

// ---------------------------------------------------------------------------------------------------------------

async function startZooKeeper() {
  const port = await freePort()
  const dir = join(workDir, 'zookeeper')
  mkdirSync(join(dir, 'data'), { recursive: true })
  const cfg = join(dir, 'zoo.cfg')
  writeFileSync(
    cfg,
    [
      'tickTime=500',
      `dataDir=${join(dir, 'data')}`,
      `clientPort=${port}`,
      'clientPortAddress=127.0.0.1',
      'maxClientCnxns=0',
      'admin.enableServer=false',
      '4lw.commands.whitelist=srvr,ruok',
      '',
    ].join('\n'),
  )
  const logFile = join(workDir, 'zookeeper.log')
  const child = spawnLogged(
    'java',
    ['-Xmx256m', '-cp', ZK_CLASSPATH, 'org.apache.zookeeper.server.quorum.QuorumPeerMain', cfg],
    logFile,
  )
  const deadline = Date.now() + 30_000
  while (!(await zkServing(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(
        `ZooKeeper did not start; log ${logFile}:\n${readFileSync(logFile, 'utf8').slice(-3000)}`,
      )
    }
    await sleep(100)
  }
  return { connect: `127.0.0.1:${port}`, child }
}

async function startBroker(id, zkConnect) {
  const port = await freePort()
  const dataDir = join(workDir, `broker-${id}`)
  const logFile = join(workDir, `broker-${id}.log`)
  const overrides = {
    'broker.id': id,
    listeners: `PLAINTEXT://127.0.0.1:${port}`,
    'log.dirs': dataDir,
    'zookeeper.connect': zkConnect,
    'offsets.topic.replication.factor': 3,
    'offsets.topic.num.partitions': 3,
    'default.replication.factor': 3,
    'min.insync.replicas': 2,
    'zookeeper.session.timeout.ms': 6000,
    'replica.lag.time.max.ms': 10000,
  }
  const args = [join(ROOT, 'config', 'server.properties')]
  for (const [k, v] of Object.entries(overrides)) args.push('--override', `${k}=${v}`)
  const child = spawnLogged(join(ROOT, 'bin', 'kafka-server-start.sh'), args, logFile, {
    ...process.env,
    SAMSA_LOG_LEVEL: process.env.SAMSA_LOG_LEVEL ?? 'warn',
  })
  return { id, port, bootstrap: `127.0.0.1:${port}`, child, logFile }
}

async function waitServing(b) {
  const deadline = Date.now() + 60_000
  while (!(await canConnect(b.port))) {
    if (b.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(
        `broker ${b.id} did not start; log ${b.logFile}:\n${readFileSync(b.logFile, 'utf8').slice(-3000)}`,
      )
    }
    await sleep(100)
  }
}

async function createTopics(bootstrap, topics) {
  const { Kafka, logLevel } = await import('kafkajs')
  const kafka = new Kafka({ clientId: 'bench-replication', brokers: bootstrap, logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map(({ topic, replicas, configs }) => ({
        topic,
        replicaAssignment: [{ partition: 0, replicas }],
        configEntries: Object.entries(configs ?? {}).map(([name, value]) => ({ name, value })),
      })),
    })
    // until every broker knows the leaders (followers are fetching)
    const deadline = Date.now() + 30_000
    for (;;) {
      const md = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.topic) })
      const ok = md.topics.every((t) =>
        t.partitions.every((p) => p.leader >= 0 && p.isr.length === p.replicas.length),
      )
      if (ok) break
      if (Date.now() > deadline) throw new Error(`topics not ready: ${JSON.stringify(md.topics)}`)
      await sleep(200)
    }
  } finally {
    await admin.disconnect()
  }
}

const fmt = (n, d = 1) =>
  n === undefined || Number.isNaN(n)
    ? '-'
    : n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })
const fmtInt = (n) => (n === undefined ? '-' : Math.round(n).toLocaleString('en-US'))

function table(rows) {
  const header = ['case', 'topic', 'acks', 'MB/s', 'msgs/s', 'notes']
  const cells = rows.map((r) => [
    r.name,
    r.rf === 3 ? 'RF 3' : 'RF 1',
    r.acks === -1 ? 'all (-1)' : String(r.acks),
    fmt(r.result.mbPerSec, 2),
    fmtInt(r.result.msgsPerSec),
    r.notes,
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)))
  const line = (c) =>
    c.map((x, i) => (i === 3 || i === 4 ? x.padStart(widths[i]) : x.padEnd(widths[i]))).join('  ')
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n')
}

async function main() {
  workDir = mkdtempSync(join(tmpdir(), 'samsa-bench-replication-'))

  log('building rdkafka_performance (../shared/tools/perf/build.sh)')
  const build = spawnSync('bash', [join(ROOT, '..', 'shared', 'tools', 'perf', 'build.sh')], {
    encoding: 'utf8',
  })
  if (build.status !== 0) throw new Error(`perf tools build failed:\n${build.stdout}\n${build.stderr}`)
  PERF = build.stdout
    .trim()
    .split('\n')
    .find((p) => p.endsWith('rdkafka_performance'))
  if (!PERF) throw new Error(`build.sh did not print the rdkafka_performance path:\n${build.stdout}`)

  if (process.env.SAMSA_SKIP_BUILD !== '1') {
    log('npm run build')
    const b = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, encoding: 'utf8' })
    if (b.status !== 0) {
      if (!existsSync(join(ROOT, 'dist', 'cli.js')))
        throw new Error(`npm run build failed:\n${b.stdout}${b.stderr}`)
      log(`npm run build failed; using the existing dist/:\n${(b.stdout + b.stderr).slice(0, 2000)}`)
    }
  }

  const zk = await startZooKeeper()
  log(`ZooKeeper at ${zk.connect}`)
  const zkConnect = `${zk.connect}/samsa-bench`
  const brokers = await Promise.all([0, 1, 2].map((id) => startBroker(id, zkConnect)))
  await Promise.all(brokers.map(waitServing))
  const bootstrap = brokers.map((b) => b.bootstrap)
  log(`brokers at ${bootstrap.join(', ')}, data in ${workDir}`)

  // a fresh topic per case; the leader is broker 0 every time
  const cases = [
    { name: 'rf3-acks-all', rf: 3, acks: -1, replicas: [0, 1, 2] },
    { name: 'rf3-acks-1', rf: 3, acks: 1, replicas: [0, 1, 2] },
    { name: 'rf1-acks-all', rf: 1, acks: -1, replicas: [0], configs: { 'min.insync.replicas': '1' } },
    { name: 'rf1-acks-1', rf: 1, acks: 1, replicas: [0], configs: { 'min.insync.replicas': '1' } },
  ]
  await createTopics(
    bootstrap,
    cases.map((c) => ({ topic: `bench-${c.name}`, replicas: c.replicas, configs: c.configs })),
  )

  const rows = []
  for (const c of cases) {
    log(`${c.name}: rdkafka_performance -P -s ${SIZE} -a ${c.acks}`)
    const result = await sizedProduce(bootstrap.join(','), `bench-${c.name}`, c.acks)
    const notes = [`${fmtInt(result.delivered)} records in ${fmt(result.ms / 1000)} s`]
    if (result.failed) notes.push(`${result.failed} delivery failures`)
    if (result.timedOut) notes.push('TIMED OUT (partial figures)')
    rows.push({ ...c, result, notes: notes.join('; ') })
  }

  for (const b of brokers) b.child.kill('SIGTERM')
  await Promise.all(
    brokers.map((b) => Promise.race([new Promise((r) => b.child.once('exit', r)), sleep(15_000)])),
  )
  zk.child.kill('SIGTERM')

  const by = Object.fromEntries(rows.map((r) => [r.name, r.result]))
  console.log('')
  console.log(
    `rdkafka_performance (librdkafka 2.0.2) against 3 Samsa brokers (ZooKeeper mode), 1 partition led by broker 0, ` +
      `${SIZE}-byte records, ~${SECONDS} s per case; MB = 10^6 bytes`,
  )
  console.log(table(rows))
  console.log('')
  console.log(
    `RF 3 acks=all / RF 1 acks=all = ${fmt(by['rf3-acks-all'].mbPerSec / by['rf1-acks-all'].mbPerSec, 2)}    ` +
      `RF 3 acks=all / RF 3 acks=1 = ${fmt(by['rf3-acks-all'].mbPerSec / by['rf3-acks-1'].mbPerSec, 2)}    ` +
      `RF 3 acks=1 / RF 1 acks=1 = ${fmt(by['rf3-acks-1'].mbPerSec / by['rf1-acks-1'].mbPerSec, 2)}`,
  )
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
