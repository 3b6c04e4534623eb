#!/usr/bin/env node
// `npm run bench:backlog`: does reading from disk stall the broker? The broker's event-loop delay while a consumer
// reads a backlog that is not in the page cache and a producer writes at half the maximum rate at the same time.
//
//   1. builds rdkafka_performance (scripts/bench/perf-tools/build.sh) and Samsa (SAMSA_SKIP_BUILD=1 skips)
//   2. starts a standalone Samsa with its data on disk (the temp dir) and scripts/bench/probe.mjs loaded
//   3. writes BENCH_BACKLOG_GB (default 2) GB of 1 KiB records to topic `backlog`, and measures the maximum produce
//      rate (acks=1) on topic `live`
//   4. writes the backlog's files to disk (sync) and drops them from the page cache (GNU dd iflag=nocache:
//      posix_fadvise DONTNEED)
//   5. a consumer reads the whole backlog from the beginning while a producer writes to `live` at half the maximum
//      rate; the probe reports the broker's event-loop delay (p50/p99/p99.9/max), CPU seconds and RSS over that time,
//      and what the delay was made of: GC pauses, the main thread's time on a CPU and waiting for one
// Prints the figures and writes them to bench/results/backlog.json (--out DIR elsewhere). Everything it starts is
// stopped and the temp dir removed, also on failure or Ctrl-C.
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import {
  benchArgs,
  buildPacedProducer,
  buildPerfTools,
  buildSamsa,
  delayParts,
  exited,
  fmt,
  fmtInt,
  log,
  makeWorkDir,
  parseConsume,
  perfArgs,
  perfProduce,
  probeSnapshot,
  runMain,
  runProgram,
  setup,
  startStandaloneBroker,
  started,
  withAdmin,
  writeResult,
} from './bench/common.mjs'

const opts = benchArgs()
const GB = Number(process.env.BENCH_BACKLOG_GB ?? 2)
const SIZE = 1024

setup({ name: 'bench-backlog', hardLimitMs: 1_200_000 })

/** Drops every file of dir (recursively) from the page cache. */
async function evict(dir) {
  let files = 0
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue
    const r = await runProgram('dd', [
      `if=${join(e.parentPath ?? e.path, e.name)}`,
      'iflag=nocache',
      'count=0',
    ])
    if (r.code !== 0) throw new Error(`dd iflag=nocache failed: ${r.stderr}`)
    files++
  }
  return files
}

async function main() {
  const workDir = makeWorkDir('samsa-bench-backlog-')
  const [PERF] = buildPerfTools(['rdkafka_performance'])
  buildSamsa()
  const load = () => readFileSync('/proc/loadavg', 'utf8').trim()
  const loadStart = load()
  const dataDir = join(workDir, 'data')
  const samsa = await startStandaloneBroker(workDir, { http: true })
  await withAdmin([samsa.bootstrap], (admin) =>
    admin.createTopics({
      waitForLeaders: true,
      topics: ['backlog', 'live'].map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })),
    }),
  )
  const records = Math.round((GB * 1e9) / SIZE)
  log(`writing the backlog: ${fmtInt(records)} records of ${SIZE} B`)
  const backlog = await perfProduce(PERF, {
    bootstrap: samsa.bootstrap,
    topic: 'backlog',
    size: SIZE,
    count: records,
    acks: 1,
    timeoutMs: 900_000,
  })
  if (backlog.delivered < records)
    throw new Error(`only ${backlog.delivered} of ${records} backlog records written`)
  log('measuring the maximum produce rate on `live`')
  const max = await perfProduce(PERF, {
    bootstrap: samsa.bootstrap,
    topic: 'live',
    size: SIZE,
    count: 200_000,
    acks: 1,
    timeoutMs: 120_000,
  })
  const rate = Math.max(100, Math.round(max.recordsPerSec / 2))
  const files = await evict(join(dataDir, 'backlog-0'))
  log(
    `evicted ${files} files of backlog-0 from the page cache; reading it while producing ${fmtInt(rate)} records/s`,
  )

  const paced = buildPacedProducer(workDir)
  await probeSnapshot(samsa)
  const t0 = Date.now()
  const consumer = runProgram(
    PERF,
    perfArgs('-C', 'backlog', samsa.bootstrap, '-o', 'beginning', '-c', String(records)),
    { timeoutMs: 900_000 },
  )
  let done = false
  consumer.finally(() => (done = true))
  // the producer runs in rounds of ~5 s until the consumer is done
  let produced = 0
  while (!done) {
    // perfProduce has no rate (and rdkafka_performance's -r falls far short of it): the paced producer keeps it
    const p = await runProgram(
      paced,
      [
        samsa.bootstrap,
        'live',
        String(SIZE),
        String(rate * 5),
        String(rate),
        '1',
        join(workDir, 'live-latency.txt'),
      ],
      { timeoutMs: 60_000 },
    )
    if (p.code !== 0) throw new Error(`paced-producer failed: ${p.stderr.slice(-2000)}`)
    produced += JSON.parse(p.stdout.trim().split('\n').pop()).delivered
  }
  const c = parseConsume(await consumer)
  const probe = await probeSnapshot(samsa)
  const ms = Date.now() - t0
  samsa.child.kill('SIGTERM')
  await exited(samsa.child, 15_000)

  const result = {
    date: new Date().toISOString(),
    loadAverage: { start: loadStart, end: load() },
    backlogBytes: backlog.bytes,
    consume: c,
    produceRate: rate,
    produced,
    ms,
    eventLoopDelay: probe.eld,
    cpuSeconds: probe.cpuSeconds,
    maxRss: probe.maxRss,
    gc: probe.gc,
    mainThread: probe.mainThread,
  }
  writeResult(opts.out, 'backlog.json', result)
  console.log('')
  console.log(
    `${fmt(backlog.bytes / 1e9, 2)} GB backlog read from disk (evicted from the page cache) at ${fmt(c.mbPerSec)} MB/s ` +
      `while producing ${fmtInt(rate)} records/s of 1 KiB (${fmtInt(produced)} in ${fmt(ms / 1000)} s); ` +
      `load average ${loadStart} -> ${result.loadAverage.end}`,
  )
  const e = probe.eld
  console.log(
    `broker event-loop delay p50/p99/p99.9/max ${fmt(e.p50, 2)}/${fmt(e.p99, 2)}/${fmt(e.p999, 2)}/${fmt(e.max, 2)} ms` +
      ` (${fmtInt(e.samples)} samples); CPU ${fmt(probe.cpuSeconds)} s; peak RSS ${fmtInt(probe.maxRss / 1e6)} MB`,
  )
  console.log(`  made of: ${delayParts(probe)}`)
  console.log(`total ${fmt((Date.now() - started) / 1000)} s`)
}

runMain(main)
