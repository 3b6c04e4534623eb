#!/usr/bin/env node
// `npm run bench:scale`: one standalone broker with many partitions (BENCH_PARTITIONS, default 10,000: 100 topics
// of 100 partitions).
//   1. builds Samsa (SAMSA_SKIP_BUILD=1 skips) and starts it with its data in the temp dir and the probe loaded
//   2. creates the topics (kafkajs admin), writes one record to every partition (kafkajs producer), and reports the
//      time that took and the broker's RSS
//   3. times a full Metadata request (v1, every topic) on a raw socket: from the request's first byte to the
//      response's last, median and maximum of 10
//   4. stops the broker (SIGTERM) and starts it again on the same data: the time to listening and to answering a
//      full Metadata request, and the RSS after start-up
//   5. produces 1 KiB records (acks=1, rdkafka_performance, BENCH_PRODUCE_COUNT of them, default 500,000) spread at
//      random over a topic of 1,000 partitions, then to a topic of one partition: the ratio of the two and the peak RSS
// Prints the figures and writes them to bench/results/scale.json (--out DIR elsewhere).
import { readFileSync } from 'node:fs'
import net from 'node:net'
import {
  benchArgs,
  buildPerfTools,
  buildSamsa,
  canConnect,
  exited,
  fmt,
  fmtInt,
  log,
  makeWorkDir,
  perfProduce,
  probeSnapshot,
  runMain,
  setup,
  sleep,
  startStandaloneBroker,
  started,
  writeResult,
} from './bench/common.mjs'

const opts = benchArgs()
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 10_000)
const PER_TOPIC = Math.min(100, PARTITIONS)
const TOPICS = Math.ceil(PARTITIONS / PER_TOPIC)
/** Partitions of the topic the spread produce run writes to, and how many 1 KiB records each run writes. */
const SPREAD = Math.min(1000, PARTITIONS)
const PRODUCE_COUNT = Number(process.env.BENCH_PRODUCE_COUNT ?? 500_000)

setup({ name: 'bench-scale', hardLimitMs: 1_200_000 })

/** Metadata v1 for every topic on a raw socket; resolves with {ms, bytes} once the whole response arrived. */
function metadataRequest(port) {
  return new Promise((resolve, reject) => {
    const clientId = Buffer.from('bench-scale')
    const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length + 4)
    let o = body.writeInt16BE(3, 0) // Metadata
    o = body.writeInt16BE(1, o) // v1
    o = body.writeInt32BE(1, o) // correlation id
    o = body.writeInt16BE(clientId.length, o)
    o += clientId.copy(body, o)
    body.writeInt32BE(-1, o) // every topic
    const frame = Buffer.concat([Buffer.alloc(4), body])
    frame.writeInt32BE(body.length, 0)
    const s = net.connect({ host: '127.0.0.1', port, noDelay: true })
    let t0
    let got = 0
    let want = -1
    let head = Buffer.alloc(0)
    s.once('connect', () => {
      t0 = process.hrtime.bigint()
      s.write(frame)
    })
    s.on('data', (d) => {
      if (want < 0) {
        head = Buffer.concat([head, d])
        if (head.length < 4) return
        want = head.readInt32BE(0) + 4
        got = head.length
      } else got += d.length
      if (got >= want) {
        const ms = Number(process.hrtime.bigint() - t0) / 1e6
        s.destroy()
        resolve({ ms, bytes: want })
      }
    })
    s.once('error', reject)
  })
}

async function timedMetadata(port, n) {
  const runs = []
  for (let i = 0; i < n; i++) runs.push(await metadataRequest(port))
  const ms = runs.map((r) => r.ms).sort((a, b) => a - b)
  return { medianMs: ms[Math.floor(ms.length / 2)], maxMs: ms[ms.length - 1], bytes: runs[0].bytes }
}

async function main() {
  const workDir = makeWorkDir('samsa-bench-scale-')
  buildSamsa()
  // waits below for the port itself: a restart loads every partition before it listens
  const start = (name, port) =>
    startStandaloneBroker(workDir, {
      name,
      port,
      overrides: { 'log.segment.bytes': 1024 * 1024 },
      waitMs: 0,
    })
  let samsa = await start('samsa')
  const port = samsa.port
  while (!(await canConnect(port))) await sleep(20)
  log(`creating ${TOPICS} topics of ${PER_TOPIC} partitions`)
  const { Kafka, logLevel, Partitioners } = await import('kafkajs')
  const kafka = new Kafka({
    clientId: 'bench-scale',
    brokers: [samsa.bootstrap],
    logLevel: logLevel.NOTHING,
    requestTimeout: 300_000,
  })
  const admin = kafka.admin()
  await admin.connect()
  const topics = Array.from({ length: TOPICS }, (_, i) => `scale-${i}`)
  const t0 = Date.now()
  for (let i = 0; i < topics.length; i += 20) {
    await admin.createTopics({
      waitForLeaders: false,
      timeout: 120_000,
      topics: topics
        .slice(i, i + 20)
        .map((topic) => ({ topic, numPartitions: PER_TOPIC, replicationFactor: 1 })),
    })
  }
  const createMs = Date.now() - t0
  await admin.disconnect()
  log(`created in ${fmt(createMs / 1000)} s; writing one record to every partition`)
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
  await producer.connect()
  const t1 = Date.now()
  for (let i = 0; i < topics.length; i += 10) {
    await producer.sendBatch({
      acks: 1,
      topicMessages: topics.slice(i, i + 10).map((topic) => ({
        topic,
        messages: Array.from({ length: PER_TOPIC }, (_, p) => ({ partition: p, value: 'x'.repeat(100) })),
      })),
    })
  }
  const writeMs = Date.now() - t1
  await producer.disconnect()
  const loaded = await probeSnapshot(samsa)
  log('timing full Metadata requests')
  const metadata = await timedMetadata(port, 10)

  log('restarting on the same data')
  samsa.child.kill('SIGTERM')
  await exited(samsa.child, 120_000)
  const r0 = Date.now()
  samsa = await start('samsa-restarted', port)
  while (!(await canConnect(port))) await sleep(5)
  const listeningMs = Date.now() - r0
  const firstMetadata = await metadataRequest(port)
  const answeringMs = Date.now() - r0
  const restarted = await probeSnapshot(samsa)
  const metadataAfter = await timedMetadata(port, 10)

  log(`produce 1 KiB acks=1 spread over ${SPREAD} partitions, then to one partition (rdkafka_performance)`)
  const spreadAdmin = kafka.admin() // the same port after the restart; its 5-minute request timeout
  await spreadAdmin.connect()
  await spreadAdmin.createTopics({
    waitForLeaders: true,
    timeout: 120_000,
    topics: [
      { topic: 'spread', numPartitions: SPREAD, replicationFactor: 1 },
      { topic: 'single', numPartitions: 1, replicationFactor: 1 },
    ],
  })
  await spreadAdmin.disconnect()
  const [perf] = buildPerfTools(['rdkafka_performance'])
  const produceTo = async (topic, partition) => {
    // a short warm-up (connections, metadata), then the measured run
    await perfProduce(perf, {
      bootstrap: samsa.bootstrap,
      topic,
      size: 1024,
      count: 20_000,
      acks: 1,
      partition,
      timeoutMs: 60_000,
    })
    return perfProduce(perf, {
      bootstrap: samsa.bootstrap,
      topic,
      size: 1024,
      count: PRODUCE_COUNT,
      acks: 1,
      partition,
      timeoutMs: 300_000,
    })
  }
  const spread = await produceTo('spread', -1)
  const single = await produceTo('single', 0)
  const produced = await probeSnapshot(samsa)
  samsa.child.kill('SIGTERM')
  await exited(samsa.child, 120_000)

  const result = {
    date: new Date().toISOString(),
    loadAverage: readFileSync('/proc/loadavg', 'utf8').trim(),
    partitions: TOPICS * PER_TOPIC,
    createMs,
    writeMs,
    rssLoaded: loaded.rss,
    metadata,
    restart: {
      listeningMs,
      answeringMs,
      firstMetadataMs: firstMetadata.ms,
      rss: restarted.rss,
      metadataAfter,
    },
    produce: {
      partitions: SPREAD,
      spreadMbPerSec: spread.mbPerSec,
      singleMbPerSec: single.mbPerSec,
      ratio: spread.mbPerSec / single.mbPerSec,
      rss: produced.maxRss,
    },
  }
  writeResult(opts.out, 'scale.json', result)
  console.log('')
  console.log(
    `${fmtInt(result.partitions)} partitions (${TOPICS} topics): created in ${fmt(createMs / 1000)} s, one record ` +
      `each in ${fmt(writeMs / 1000)} s; RSS ${fmtInt(loaded.rss / 1e6)} MB; load average ${result.loadAverage}`,
  )
  console.log(
    `full Metadata (v1, ${fmtInt(metadata.bytes)} bytes): median ${fmt(metadata.medianMs, 1)} ms, max ${fmt(metadata.maxMs, 1)} ms`,
  )
  console.log(
    `restart on the same data: listening after ${fmtInt(listeningMs)} ms, first full Metadata answered after ` +
      `${fmtInt(answeringMs)} ms; RSS ${fmtInt(restarted.rss / 1e6)} MB; full Metadata then median ` +
      `${fmt(metadataAfter.medianMs, 1)} ms`,
  )
  console.log(
    `produce 1 KiB acks=1 over ${fmtInt(SPREAD)} partitions ${fmt(spread.mbPerSec, 1)} MB/s, to one partition ` +
      `${fmt(single.mbPerSec, 1)} MB/s: ${fmt(result.produce.ratio, 2)}x; peak RSS ${fmtInt(produced.maxRss / 1e6)} MB`,
  )
  console.log(`total ${fmt((Date.now() - started) / 1000)} s`)
}

runMain(main)
