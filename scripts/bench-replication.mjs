#!/usr/bin/env node
// `node scripts/bench-replication.mjs`: what replication costs. Produce throughput of a three-broker Samsa
// cluster (ZooKeeper mode) measured with librdkafka's own benchmark (rdkafka_performance), 1 KiB records, one
// partition:
//   RF 3, acks=all (-a -1)   the leader waits until both followers have fetched the records
//   RF 3, acks=1   (-a 1)    the leader answers after its own append; followers replicate in the background
//   RF 1, acks=all (-a -1)   no followers: the replication-free baseline on the same cluster
//   RF 1, acks=1   (-a 1)
//
//   1. builds rdkafka_performance with scripts/bench/perf-tools/build.sh (as scripts/bench.mjs does)
//   2. builds Samsa (npm run build; SAMSA_SKIP_BUILD=1 skips)
//   3. starts a ZooKeeper from the local jars (ZOOKEEPER_CLASSPATH, default Debian's /usr/share/java) and three
//      brokers (bin/kafka-server-start.sh config/server.properties --override ...) in a temp dir
//   4. per case: a short probe to learn the rate, then a run sized to last about BENCH_SECONDS (default 10) s, and
//      at most BENCH_MAX_GB (default 1) GB of records (10^9 bytes; a run cut short by it says so in its notes). Each
//      run — probe, sizing runs, the run reported — writes to a topic of its own that is deleted after it (and its
//      files gone before the next run starts), as are the latency topics: the disk holds one run's data at a time,
//      at most BENCH_MAX_GB × 3 (RF 3: every broker keeps a copy) plus the broker's small files
//   5. prints MB/s (10^6 bytes) and msgs/s per case and the ratios RF3-all/RF1-all, RF3-all/RF3-1, RF3-1/RF1-1
//   6. produce latency (acks=all, common.mjs LATENCY_PROPS: linger.ms=0 unless BENCH_LINGER_MS) of RF 3 and of
//      RF 1, each at half the maximum rate of that same producer configuration on that topic (an unpaced run first:
//      not the rdkafka_performance runs above, which batch), and end-to-end latency measured by a consumer at the same time: p50/p99/p99.9, with the rate
//      the producer reached (below the rate asked for, the figures are the producer's own queueing).
//      --latency-rate N measures both at N records/s instead (to find the knee)
//   7. per case and per latency run, what each broker did meanwhile (scripts/bench/probe.mjs): CPU seconds and
//      event-loop delay p99 of the leader (broker 0) and the two followers — whether a figure is bound by the
//      leader's CPU, by long synchronous stretches, or by neither (waiting: round trips, the followers' lag)
// Everything it starts is stopped and the temp dir removed, also on failure or Ctrl-C (BENCH_KEEP=1 keeps the
// dir with the broker logs). Takes about three minutes (BENCH_SECONDS=10). Without the per-run deletion and the
// byte cap, a default run wrote ~31 GB (every run stayed on disk) and once filled the machine's disk.
// What it shares with scripts/bench.mjs (process cleanup, running rdkafka_performance, starting brokers, the
// table) is in scripts/bench/common.mjs.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { parseArgs } from 'node:util'
import { clearTimeout, setTimeout } from 'node:timers'
import { join } from 'node:path'
import {
  SECONDS,
  buildPerfTools,
  buildSamsa,
  exited,
  fmt,
  fmtInt,
  latencyLine,
  latencyRun,
  maxLatencyRate,
  freePort,
  log,
  makeWorkDir,
  perfProduce,
  probeSnapshot,
  renderTable,
  runMain,
  setup,
  sleep,
  spawnLogged,
  started,
  startSamsaBroker,
  waitListening,
  waitStarted,
  withAdmin,
} from './bench/common.mjs'

const { values: opts } = parseArgs({ options: { 'latency-rate': { type: 'string' } } })
const FIXED_RATE = opts['latency-rate'] === undefined ? undefined : Number(opts['latency-rate'])
const SIZE = 1024
// RF 3 needs longer runs than bench.mjs's 4 s to be comparable with RF 1 (the followers' fetch loop settles):
// BENCH_SECONDS, default 10 here
const RUN_SECONDS = process.env.BENCH_SECONDS === undefined ? 10 : SECONDS
const HARD_LIMIT_MS = 180_000 + RUN_SECONDS * 40_000
// the most records one produce run writes: BENCH_MAX_GB (10^9 bytes) of SIZE-byte records
const MAX_GB = Number(process.env.BENCH_MAX_GB ?? 1)
if (!(MAX_GB > 0))
  throw new Error(`BENCH_MAX_GB must be a positive number of GB, not ${process.env.BENCH_MAX_GB}`)
const MAX_RECORDS = Math.max(10_000, Math.floor((MAX_GB * 1e9) / SIZE))
const ZK_CLASSPATH = process.env.ZOOKEEPER_CLASSPATH ?? '/etc/zookeeper/conf:/usr/share/java/*'

setup({ name: 'bench-replication', hardLimitMs: HARD_LIMIT_MS, announceKept: true })

let workDir
let PERF
/** The brokers' log.dirs. */
const brokerDirs = []

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

function produce(bootstrap, topic, acks, count, timeoutMs) {
  return perfProduce(PERF, { bootstrap, topic, size: SIZE, count, acks, timeoutMs })
}

/**
 * A short probe to learn the rate, then runs sized to last about RUN_SECONDS (at most MAX_RECORDS records),
 * re-sized from the previous run while one comes out much shorter (the probe's rate includes connecting and
 * fetching metadata: RF 3 runs sized from it alone lasted 2.4 s of the 4 asked for). Reports the last run. Every
 * run goes to a fresh topic made by `fresh()` and deleted after it, so the disk holds one run's records at a time.
 */
async function sizedProduce(bootstrap, fresh, acks) {
  const run = async (count, timeoutMs) => {
    const topic = await fresh()
    try {
      return await produce(bootstrap, topic, acks, count, timeoutMs)
    } finally {
      await deleteTopics(bootstrap.split(','), [topic])
    }
  }
  const probe = await run(Math.min(100_000, MAX_RECORDS), 60_000)
  let last = probe
  let capped = false
  for (let i = 0; i < 4; i++) {
    const rate = Math.max(last.delivered / Math.max(last.ms, 1), 1) // records per ms
    const wanted = Math.max(10_000, Math.round(rate * RUN_SECONDS * 1100))
    const count = Math.min(wanted, MAX_RECORDS)
    capped = count < wanted
    last = await run(count, RUN_SECONDS * 5000 + 20_000)
    if (last.ms >= RUN_SECONDS * 700 || last.timedOut || capped) break
  }
  return { ...last, probe, capped }
}

/**
 * Deletes the topics and waits until no broker has their files any more (the brokers here delete a deleted
 * topic's files after log.segment.delete.delay.ms = 1 s).
 */
async function deleteTopics(bootstrap, topics) {
  await withAdmin(bootstrap, (admin) => admin.deleteTopics({ topics, timeout: 30_000 }))
  const left = () =>
    brokerDirs.flatMap((d) => {
      try {
        return readdirSync(d).filter((f) => topics.some((t) => f.startsWith(`${t}-`)))
      } catch {
        return []
      }
    })
  const deadline = Date.now() + 60_000
  while (left().length > 0) {
    if (Date.now() > deadline)
      throw new Error(`the files of ${topics.join(', ')} were not deleted: ${left()}`)
    await sleep(100)
  }
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
  await waitStarted('ZooKeeper', { child, logFile }, 30_000, () => zkServing(port))
  return { connect: `127.0.0.1:${port}`, child }
}

async function startBroker(id, zkConnect) {
  const dataDir = join(workDir, `broker-${id}`)
  brokerDirs.push(dataDir)
  const overrides = (port) => ({
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
    // a deleted topic's files go after 1 s rather than 60 (each run's topic is deleted after it: see above)
    'log.segment.delete.delay.ms': 1000,
  })
  const broker = await startSamsaBroker('server.properties', overrides, join(workDir, `broker-${id}.log`), {
    probe: true,
  })
  return { id, ...broker }
}

const waitServing = (b) => waitListening(`broker ${b.id}`, b, 60_000)

/** Runs fn() and adds what each broker's probe saw meanwhile (CPU seconds, event-loop delay), in broker order. */
async function probed(brokers, fn) {
  for (const b of brokers) await probeSnapshot(b)
  const r = await fn()
  const probes = []
  for (const b of brokers) probes.push(await probeSnapshot(b))
  return { r, probes }
}

/** "CPU s 2.41/0.52/0.49, loop delay p99 48.2/15.1/14.0 ms" (leader first: broker 0 leads every topic). */
const probeNote = (probes) =>
  `CPU s ${probes.map((p) => fmt(p.cpuSeconds, 2)).join('/')}, ` +
  `loop delay p99 ${probes.map((p) => fmt(p.eld.p99, 1)).join('/')} ms`

function createTopics(bootstrap, topics) {
  return withAdmin(bootstrap, async (admin) => {
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
  })
}

function table(rows) {
  const header = ['case', 'topic', 'acks', 'MB/s', 'msgs/s', 'notes']
  const cells = rows.map((r) => [
    r.name,
    r.rf === 3 ? 'RF 3' : 'RF 1',
    r.acks === -1 ? 'all (-1)' : String(r.acks),
    fmt(r.result.mbPerSec, 2),
    fmtInt(r.result.recordsPerSec),
    r.notes,
  ])
  return renderTable(header, cells, [3, 4])
}

async function main() {
  workDir = makeWorkDir('samsa-bench-replication-')
  PERF = buildPerfTools(['rdkafka_performance'])[0]
  buildSamsa()

  const zk = await startZooKeeper()
  log(`ZooKeeper at ${zk.connect}`)
  const zkConnect = `${zk.connect}/samsa-bench`
  const brokers = await Promise.all([0, 1, 2].map((id) => startBroker(id, zkConnect)))
  await Promise.all(brokers.map(waitServing))
  const bootstrap = brokers.map((b) => b.bootstrap)
  log(`brokers at ${bootstrap.join(', ')}, data in ${workDir}`)

  // a fresh topic per run (sizedProduce); the leader is broker 0 every time
  const cases = [
    { name: 'rf3-acks-all', rf: 3, acks: -1, replicas: [0, 1, 2] },
    { name: 'rf3-acks-1', rf: 3, acks: 1, replicas: [0, 1, 2] },
    { name: 'rf1-acks-all', rf: 1, acks: -1, replicas: [0], configs: { 'min.insync.replicas': '1' } },
    { name: 'rf1-acks-1', rf: 1, acks: 1, replicas: [0], configs: { 'min.insync.replicas': '1' } },
  ]
  await createTopics(bootstrap, [
    { topic: 'bench-rf3-latency', replicas: [0, 1, 2] },
    { topic: 'bench-rf1-latency', replicas: [0], configs: { 'min.insync.replicas': '1' } },
  ])

  const rows = []
  for (const c of cases) {
    log(`${c.name}: rdkafka_performance -P -s ${SIZE} -a ${c.acks}`)
    let n = 0
    const fresh = async () => {
      const topic = `bench-${c.name}-${n++}`
      await createTopics(bootstrap, [{ topic, replicas: c.replicas, configs: c.configs }])
      return topic
    }
    const { r: result, probes } = await probed(brokers, () =>
      sizedProduce(bootstrap.join(','), fresh, c.acks),
    )
    const notes = [`${fmtInt(result.delivered)} records in ${fmt(result.ms / 1000)} s`, probeNote(probes)]
    if (result.capped) notes.push(`capped at BENCH_MAX_GB=${MAX_GB}`)
    if (result.failed) notes.push(`${result.failed} delivery failures`)
    if (result.timedOut) notes.push('TIMED OUT (partial figures)')
    rows.push({ ...c, result, notes: notes.join('; ') })
  }

  // latency of acks=all at half the rate acks=all reached with the same RF (a topic of its own: its consumer starts
  // at the end)
  const latency = {}
  for (const rf of [3, 1]) {
    const topic = `bench-rf${rf}-latency`
    const maxRate =
      FIXED_RATE === undefined
        ? await maxLatencyRate(bootstrap.join(','), topic, { dir: workDir, seconds: RUN_SECONDS })
        : undefined
    const rate = FIXED_RATE ?? maxRate / 2
    log(
      `latency: RF ${rf} acks=all at ${fmtInt(rate)} records/s${maxRate ? ` (half of ${fmtInt(maxRate)})` : ''}`,
    )
    const { r, probes } = await probed(brokers, () =>
      latencyRun(PERF, bootstrap.join(','), topic, rate, { dir: workDir, seconds: RUN_SECONDS, maxRate }),
    )
    latency[rf] = { ...r, probes }
    await deleteTopics(bootstrap, [topic])
  }

  for (const b of brokers) b.child.kill('SIGTERM')
  await Promise.all(brokers.map((b) => exited(b.child, 15_000)))
  zk.child.kill('SIGTERM')

  const by = Object.fromEntries(rows.map((r) => [r.name, r.result]))
  console.log('')
  console.log(
    `rdkafka_performance (librdkafka 2.0.2) against 3 Samsa brokers (ZooKeeper mode), 1 partition led by broker 0, ` +
      `${SIZE}-byte records, ~${RUN_SECONDS} s per case; MB = 10^6 bytes`,
  )
  console.log(table(rows))
  console.log('')
  console.log(
    `RF 3 acks=all / RF 1 acks=all = ${fmt(by['rf3-acks-all'].mbPerSec / by['rf1-acks-all'].mbPerSec, 2)}    ` +
      `RF 3 acks=all / RF 3 acks=1 = ${fmt(by['rf3-acks-all'].mbPerSec / by['rf3-acks-1'].mbPerSec, 2)}    ` +
      `RF 3 acks=1 / RF 1 acks=1 = ${fmt(by['rf3-acks-1'].mbPerSec / by['rf1-acks-1'].mbPerSec, 2)}`,
  )
  const at = FIXED_RATE === undefined ? 'half the maximum' : 'fixed rate'
  for (const rf of [3, 1]) {
    console.log(latencyLine(`RF ${rf} acks=all (${at})`, latency[rf]))
    console.log(`  brokers 0 (leader)/1/2 meanwhile: ${probeNote(latency[rf].probes)}`)
  }
  console.log(`total ${fmt((Date.now() - started) / 1000)} s`)
}

runMain(main)
