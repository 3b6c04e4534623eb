#!/usr/bin/env node
// The figures issue 16 asks for, measured on this machine (README "In-process clusters: figures"):
//   startup    start-up of a 3-broker in-process cluster (in-process ZooKeeper), median and worst of --runs
//   memory     memory per in-process broker: a process with 1 and one with --brokers brokers, after GC; the
//              difference per added broker
//   retention  one retention scenario (produce, segment.ms passes, produce, retention.ms passes, the first segment
//              is deleted on every replica) on manual time with the compat test's settings (segment.ms 60 s,
//              retention.ms 600 s, check interval 60 s), and on real time with --real-scale (1 = the same settings:
//              about 11 minutes; default 0.02: 1.2 s segments, 12 s retention)
//   workers    the same 3 brokers each in a worker thread (standalone brokers: what a thread costs, not a cluster)
// Usage: npm run figures:cluster [-- --only startup,memory,retention,workers --runs 5 --brokers 6 --real-scale 0.02]
// Runs dist/ (npm run build first); memory is measured in fresh processes (node --expose-gc).
import { execFileSync } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { URL } from 'node:url'
import { parseArgs } from 'node:util'
import { Worker } from 'node:worker_threads'
import { Kafka, logLevel } from 'kafkajs'
import { startCluster } from '../dist/index.js'

const { values: args } = parseArgs({
  options: {
    only: { type: 'string', default: 'startup,memory,retention,workers' },
    runs: { type: 'string', default: '5' },
    brokers: { type: 'string', default: '6' },
    'real-scale': { type: 'string', default: '0.02' },
  },
})
const only = new Set(args.only.split(','))
const mb = (n) => `${(n / 1048576).toFixed(1)} MB`
const ms = (n) => `${Math.round(n)} ms`
const gc = () => {
  if (globalThis.gc) for (let i = 0; i < 3; i++) globalThis.gc()
}
const quiet = { logLevel: 'error' }

async function startup() {
  const times = []
  for (let i = 0; i < Number(args.runs); i++) {
    const t0 = performance.now()
    const c = await startCluster({ brokers: 3, ...quiet })
    times.push(performance.now() - t0)
    await c.stop()
  }
  times.sort((a, b) => a - b)
  console.log(
    `startup: 3-broker cluster in ${ms(times[times.length >> 1])} (median of ${times.length}; ` +
      `best ${ms(times[0])}, worst ${ms(times[times.length - 1])})`,
  )
}

/** In a fresh process: a cluster of n brokers with a 3-partition topic (RF up to 3), then memory after GC. */
function clusterMemory(n) {
  const code = `
    import { startCluster } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)}
    const c = await startCluster({ brokers: ${n}, logLevel: 'error' })
    await c.createTopic('m', { partitions: 3, replicationFactor: ${Math.min(3, n)} })
    await new Promise((r) => setTimeout(r, 500))
    for (let i = 0; i < 3; i++) globalThis.gc()
    const m = process.memoryUsage()
    console.log(JSON.stringify({ heap: m.heapUsed, external: m.external, rss: m.rss }))
    await c.stop()`
  const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', code], {
    encoding: 'utf8',
  })
  return JSON.parse(out.trim().split('\n').pop())
}

async function memory() {
  const n = Number(args.brokers)
  const one = clusterMemory(1)
  const many = clusterMemory(n)
  const per = (k) => (many[k] - one[k]) / (n - 1)
  console.log(
    `memory: 1 broker: heap ${mb(one.heap)}, external ${mb(one.external)}, RSS ${mb(one.rss)}; ` +
      `${n} brokers: heap ${mb(many.heap)}, external ${mb(many.external)}, RSS ${mb(many.rss)} (whole process)`,
  )
  console.log(
    `memory: per in-process broker (the difference / ${n - 1}): heap ${mb(per('heap'))}, ` +
      `external ${mb(per('external'))}, RSS ${mb(per('rss'))}`,
  )
}

/** The retention scenario; returns its wall time. */
async function retentionRun(manual, scale) {
  const segmentMs = Math.round(60_000 * scale)
  const retentionMs = Math.round(600_000 * scale)
  const t0 = performance.now()
  const c = await startCluster({
    brokers: 3,
    manualTime: manual,
    ...quiet,
    // manual time: the compat test's check interval; real time: a quarter of a segment, so that the first segment
    // is deleted before the second one is past retention.ms too, and the first check as soon (Kafka's 30 s
    // log.initial.task.delay.ms passes in the first advance on manual time, and within the 11 minutes at scale 1)
    properties: manual
      ? { 'log.retention.check.interval.ms': 60_000 }
      : {
          'log.retention.check.interval.ms': Math.max(100, Math.round(segmentMs / 4)),
          ...(scale < 1 ? { 'log.initial.task.delay.ms': Math.max(100, Math.round(segmentMs / 4)) } : {}),
        },
  })
  try {
    const topic = `retention-${manual ? 'manual' : 'real'}`
    await c.createTopic(topic, {
      replicationFactor: 3,
      config: { 'segment.ms': segmentMs, 'retention.ms': retentionMs },
    })
    const kafka = new Kafka({ brokers: c.bootstrapServers, logLevel: logLevel.NOTHING, clientId: 'figures' })
    const producer = kafka.producer()
    await producer.connect()
    const send = (tag) =>
      producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: 5 }, (_, i) => ({
          value: `${tag}-${i}`,
          timestamp: String(c.scheduler.clock.now()),
        })),
      })
    const wait = async (ms) => (manual ? c.advanceTime(ms) : sleep(ms))
    await send('first')
    await c.waitForIsr(topic, 0, 3)
    await wait(segmentMs + 1)
    await send('second') // rolls a segment
    // manual: exactly retention.ms (the first segment is past it, the second is not); real: half a segment short
    await wait(manual ? retentionMs : retentionMs - segmentMs / 2)
    for (const b of c.brokers)
      await c.until(
        () => `broker ${b.id} to delete the first segment`,
        () => c.readPartition(topic, 0, { broker: b.id })[0]?.offset === 5,
        Math.max(30_000, 3 * segmentMs),
      )
    await producer.disconnect()
    return performance.now() - t0
  } finally {
    await c.stop()
  }
}

async function retention() {
  const manual = await retentionRun(true, 1)
  console.log(
    `retention: manual time, segment.ms 60 s / retention.ms 600 s: ${ms(manual)} for the whole scenario`,
  )
  const scale = Number(args['real-scale'])
  const real = await retentionRun(false, scale)
  console.log(
    `retention: real time, segment.ms ${ms(60_000 * scale)} / retention.ms ${ms(600_000 * scale)}: ${ms(real)}` +
      (scale === 1 ? '' : ` (the same settings as the manual run would take at least ${ms(660_000)})`),
  )
}

async function workers() {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads')
    const t0 = performance.now()
    import(workerData.url).then(async ({ startBroker }) => {
      const b = await startBroker({ logLevel: 'error' })
      parentPort.postMessage({ ms: performance.now() - t0, heap: process.memoryUsage().heapUsed })
      parentPort.once('message', async () => { await b.stop(); process.exit(0) })
    })`
  const url = new URL('../dist/index.js', import.meta.url).href
  gc()
  const rss0 = process.memoryUsage().rss
  const t0 = performance.now()
  const ws = Array.from({ length: 3 }, () => new Worker(code, { eval: true, workerData: { url } }))
  const ready = await Promise.all(ws.map((w) => new Promise((r) => w.once('message', r))))
  const all = performance.now() - t0
  gc()
  const rss = process.memoryUsage().rss - rss0
  console.log(
    `workers: 3 standalone brokers in 3 worker threads ready in ${ms(all)} (each ${ready.map((r) => ms(r.ms)).join(' / ')}); ` +
      `RSS +${mb(rss)} (${mb(rss / 3)} per thread), each thread's own heap ${ready.map((r) => mb(r.heap)).join(' / ')}`,
  )
  await Promise.all(ws.map((w) => new Promise((r) => (w.once('exit', r), w.postMessage('stop')))))
  const t1 = performance.now()
  const c = await startCluster({ brokers: 3, ...quiet })
  console.log(
    `workers: for comparison, 3 brokers in this thread (a cluster, with its ZooKeeper): ${ms(performance.now() - t1)}`,
  )
  await c.stop()
}

if (only.has('startup')) await startup()
if (only.has('memory')) await memory()
if (only.has('workers')) await workers()
if (only.has('retention')) await retention()
