#!/usr/bin/env node
// `npm run bench:groups`: what consumer groups cost at scale. One standalone broker (data in the temp dir, the probe
// loaded):
//   1. offset commits: BENCH_GROUPS (default 1,000) groups each committing an offset once a second (OffsetCommit v2,
//      generation -1: the commits of simple consumers, spread evenly over the second, pipelined on a few raw
//      connections), and next to it the single broker's produce latency (1 KiB, acks=all, linger.ms=0, at half the
//      acks=all maximum; end-to-end latency by a consumer at the same time). The latency run is made without and
//      with the committers, alternated (BENCH_PAIRS pairs, default 2), so the two are compared under the same load;
//      prints p50/p99/p99.9 of both, the commits per second reached, their round-trip p99 and any error code
//   2. a rebalance: BENCH_MEMBERS (default 200) kafkajs consumers (classic protocol, Kafka's default session and
//      heartbeat settings) join one group on a topic of as many partitions; once every member holds its assignment,
//      one member leaves (disconnect: LeaveGroup) and the script times until every remaining member has rejoined
//      (kafkajs' GROUP_JOIN event), and until the group is Stable with one member fewer (DescribeGroups)
// Prints the figures and writes them to bench/results/groups.json (--out DIR elsewhere). Everything it starts is
// stopped and the temp dir removed, also on failure or Ctrl-C. --quick: 50 groups, 10 members, ~1 s latency runs.
import { readFileSync } from 'node:fs'
import net from 'node:net'
import { join } from 'node:path'
import {
  SECONDS,
  benchArgs,
  buildPerfTools,
  buildSamsa,
  exited,
  fmt,
  fmtInt,
  latencyLine,
  latencyRun,
  log,
  makeWorkDir,
  perfProduce,
  probeSnapshot,
  runMain,
  setup,
  sleep,
  startStandaloneBroker,
  started,
  withAdmin,
  writeResult,
} from './bench/common.mjs'

const opts = benchArgs({}, { quick: true })
const QUICK = opts.quick
const GROUPS = Number(process.env.BENCH_GROUPS ?? (QUICK ? 50 : 1000))
const MEMBERS = Number(process.env.BENCH_MEMBERS ?? (QUICK ? 10 : 200))
const PAIRS = Number(process.env.BENCH_PAIRS ?? (QUICK ? 1 : 2))
const RUN_SECONDS = QUICK ? 1 : SECONDS
/** Raw connections the committers share. */
const COMMIT_CONNECTIONS = 4

setup({ name: 'bench-groups', hardLimitMs: 900_000 })

// ---------------------------------------------------------------------------------------------------------------
// OffsetCommit v2 on raw sockets

const str = (s) => {
  const b = Buffer.from(s)
  const len = Buffer.alloc(2)
  len.writeInt16BE(b.length)
  return Buffer.concat([len, b])
}
const i16 = (n) => {
  const b = Buffer.alloc(2)
  b.writeInt16BE(n)
  return b
}
const i32 = (n) => {
  const b = Buffer.alloc(4)
  b.writeInt32BE(n)
  return b
}
const i64 = (n) => {
  const b = Buffer.alloc(8)
  b.writeBigInt64BE(BigInt(n))
  return b
}

/** An OffsetCommit v2 frame: group, generation -1, no member, default retention, topic partition 0 at offset. */
function offsetCommitFrame(correlationId, group, topic, offset) {
  const body = Buffer.concat([
    i16(8), // OffsetCommit
    i16(2),
    i32(correlationId),
    str('bench-groups'),
    str(group),
    i32(-1),
    str(''),
    i64(-1),
    i32(1),
    str(topic),
    i32(1),
    i32(0),
    i64(offset),
    i16(-1), // metadata: null
  ])
  return Buffer.concat([i32(body.length), body])
}

/** A FindCoordinator v0 frame for group (what a client asks first: it creates __consumer_offsets). */
function findCoordinatorFrame(correlationId, group) {
  const body = Buffer.concat([i16(10), i16(0), i32(correlationId), str('bench-groups'), str(group)])
  return Buffer.concat([i32(body.length), body])
}

/**
 * A raw connection that sends OffsetCommit (or FindCoordinator) frames and calls back with each response's first
 * error code.
 */
function committerConnection(port) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port })
    const pending = new Map()
    let buf = Buffer.alloc(0)
    let nextId = 1
    sock.setNoDelay(true)
    sock.once('error', reject)
    sock.on('data', (d) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const size = buf.readInt32BE(0)
        const frame = buf.subarray(4, 4 + size)
        buf = buf.subarray(4 + size)
        const id = frame.readInt32BE(0)
        const entry = pending.get(id)
        pending.delete(id)
        if (entry?.find) {
          entry.cb(frame.readInt16BE(4)) // error_code first
          continue
        }
        // topics[1]: name, partitions[1]: partition int32, error int16
        const nameLen = frame.readInt16BE(8)
        entry?.cb(frame.readInt16BE(4 + 4 + 2 + nameLen + 4 + 4))
      }
    })
    sock.once('connect', () =>
      resolve({
        commit(group, topic, offset) {
          const id = nextId++
          return new Promise((cb) => {
            pending.set(id, { cb })
            sock.write(offsetCommitFrame(id, group, topic, offset))
          })
        },
        findCoordinator(group) {
          const id = nextId++
          return new Promise((cb) => {
            pending.set(id, { cb, find: true })
            sock.write(findCoordinatorFrame(id, group))
          })
        },
        close: () => sock.destroy(),
      }),
    )
  })
}

/**
 * GROUPS groups, each committing once a second, spread evenly over the second, until stop() is called; resolves
 * stop() with commits per second, the round-trip percentiles and the error codes seen.
 */
async function startCommitters(port, topic) {
  const conns = await Promise.all(Array.from({ length: COMMIT_CONNECTIONS }, () => committerConnection(port)))
  // every group's coordinator first (a standalone broker coordinates them all, once __consumer_offsets is loaded)
  const deadline = Date.now() + 60_000
  for (let g = 0; g < GROUPS; g++) {
    for (;;) {
      const error = await conns[0].findCoordinator(`bench-group-${g}`)
      if (error === 0) break
      if (Date.now() > deadline) throw new Error(`FindCoordinator bench-group-${g}: error ${error}`)
      await sleep(100)
    }
  }
  const rtts = []
  const errors = {}
  let sent = 0
  let done = 0
  let running = true
  const t0 = Date.now()
  const TICK_MS = 10
  const perTick = GROUPS / (1000 / TICK_MS)
  const loop = (async () => {
    let tick = 0
    let owed = 0
    while (running) {
      owed += perTick
      while (owed >= 1) {
        owed--
        const g = sent % GROUPS
        const conn = conns[g % conns.length]
        const at = process.hrtime.bigint()
        sent++
        void conn.commit(`bench-group-${g}`, topic, Math.floor(sent / GROUPS)).then((error) => {
          rtts.push(Number(process.hrtime.bigint() - at) / 1e6)
          if (error !== 0) errors[error] = (errors[error] ?? 0) + 1
          done++
        })
      }
      tick++
      const wait = t0 + tick * TICK_MS - Date.now()
      await sleep(Math.max(wait, 0))
    }
  })()
  return async () => {
    running = false
    await loop
    const deadline = Date.now() + 10_000
    while (done < sent && Date.now() < deadline) await sleep(20)
    for (const c of conns) c.close()
    rtts.sort((a, b) => a - b)
    const at = (q) => (rtts.length ? rtts[Math.min(rtts.length - 1, Math.floor(q * rtts.length))] : NaN)
    const seconds = (Date.now() - t0) / 1000
    return {
      sent,
      answered: done,
      commitsPerSecond: done / seconds,
      rttMs: { p50: at(0.5), p99: at(0.99), max: rtts[rtts.length - 1] },
      errors,
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// the rebalance

async function rebalance(samsa, topic) {
  const bootstrap = samsa.bootstrap
  const { Kafka, logLevel } = await import('kafkajs')
  const kafka = new Kafka({ clientId: 'bench-groups', brokers: [bootstrap], logLevel: logLevel.NOTHING })
  const group = 'bench-rebalance'
  const joins = new Map() // member index -> time of its latest GROUP_JOIN
  const assigned = new Map() // member index -> partitions in its latest assignment
  const consumers = []
  log(`${MEMBERS} members join ${group}`)
  const tJoin = Date.now()
  for (let i = 0; i < MEMBERS; i++) {
    const c = kafka.consumer({ groupId: group, maxWaitTimeInMs: 1000 })
    c.on(c.events.GROUP_JOIN, (e) => {
      joins.set(i, Date.now())
      const a = e.payload.memberAssignment ?? {}
      assigned.set(
        i,
        Object.values(a).reduce((n, ps) => n + ps.length, 0),
      )
    })
    consumers.push(c)
  }
  await Promise.all(
    consumers.map(async (c) => {
      await c.connect()
      await c.subscribe({ topics: [topic], fromBeginning: true })
      await c.run({ eachMessage: async () => {} })
    }),
  )
  const settled = async (members, since, deadlineMs) => {
    const deadline = Date.now() + deadlineMs
    for (;;) {
      const ok =
        members.every((i) => (joins.get(i) ?? 0) >= since) &&
        members.reduce((n, i) => n + (assigned.get(i) ?? 0), 0) === MEMBERS
      if (ok) return Date.now()
      if (Date.now() > deadline) return undefined
      await sleep(5)
    }
  }
  const all = consumers.map((_, i) => i)
  // every member has joined once and the partitions are all handed out; then wait for a quiet group
  let stable = await settled(all, tJoin, 300_000)
  if (stable === undefined) throw new Error(`${MEMBERS} members did not all get an assignment in 300 s`)
  const joinMs = stable - tJoin
  log(`all ${MEMBERS} members hold an assignment after ${fmt(joinMs / 1000)} s`)
  const describe = () =>
    withAdmin([bootstrap], async (admin) => (await admin.describeGroups([group])).groups[0])
  for (const deadline = Date.now() + 120_000; ;) {
    const g = await describe()
    if (g.state === 'Stable' && g.members.length === MEMBERS) break
    if (Date.now() > deadline) throw new Error(`group not Stable with ${MEMBERS} members: ${g.state}`)
    await sleep(500)
  }
  await sleep(3000) // a few heartbeats of a quiet, Stable group
  const leaver = MEMBERS - 1
  const rest = all.filter((i) => i !== leaver)
  await probeSnapshot(samsa)
  const cpu0 = process.cpuUsage()
  const t0 = Date.now()
  await consumers[leaver].disconnect()
  const leftMs = Date.now() - t0
  const done = await settled(rest, t0, 120_000)
  const rejoinMs = done === undefined ? NaN : done - t0
  let stableMs = NaN
  for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
    const g = await describe()
    if (g.state === 'Stable' && g.members.length === MEMBERS - 1) {
      stableMs = Date.now() - t0
      break
    }
    await sleep(50)
  }
  // who was busy meanwhile: the broker, or this process (the 200 clients)
  const broker = await probeSnapshot(samsa)
  const clients = process.cpuUsage(cpu0)
  const spanMs = Date.now() - t0
  await Promise.all(rest.map((i) => consumers[i].disconnect().catch(() => {})))
  return {
    members: MEMBERS,
    joinMs,
    leaveCallMs: leftMs,
    rejoinMs,
    stableMs,
    spanMs,
    brokerCpuSeconds: broker.cpuSeconds,
    brokerEld: broker.eld,
    clientCpuSeconds: (clients.user + clients.system) / 1e6,
  }
}

// ---------------------------------------------------------------------------------------------------------------

async function main() {
  const workDir = makeWorkDir('samsa-bench-groups-')
  const [PERF] = buildPerfTools(['rdkafka_performance'])
  buildSamsa()
  const load = readFileSync('/proc/loadavg', 'utf8').trim()
  log(`load average at the start: ${load}`)
  const samsa = await startStandaloneBroker(workDir, { http: true })
  await withAdmin([samsa.bootstrap], (admin) =>
    admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: 'bench-max', numPartitions: 1, replicationFactor: 1 },
        { topic: 'bench-commits', numPartitions: 1, replicationFactor: 1 },
        { topic: 'bench-members', numPartitions: MEMBERS, replicationFactor: 1 },
        ...Array.from({ length: 2 * PAIRS }, (_, i) => ({
          topic: `bench-latency-${i}`,
          numPartitions: 1,
          replicationFactor: 1,
        })),
      ],
    }),
  )

  // 1. the acks=all maximum, then latency at half of it without and with the committers, alternated
  const produce = (count) =>
    perfProduce(PERF, {
      bootstrap: samsa.bootstrap,
      topic: 'bench-max',
      size: 1024,
      count,
      acks: -1,
      timeoutMs: 120_000,
    })
  const probe = await produce(QUICK ? 20_000 : 100_000)
  const maxRun = await produce(
    Math.max(10_000, Math.round((probe.delivered / Math.max(probe.ms, 1)) * RUN_SECONDS * 1000)),
  )
  const rate = maxRun.recordsPerSec / 2
  log(`acks=all maximum ${fmtInt(maxRun.recordsPerSec)} records/s; latency runs at ${fmtInt(rate)}`)
  const runs = []
  for (let i = 0; i < 2 * PAIRS; i++) {
    const withCommits = i % 2 === 1
    const stop = withCommits ? await startCommitters(samsa.port, 'bench-commits') : undefined
    if (withCommits) await sleep(1000) // the committers reach their rate first
    await probeSnapshot(samsa)
    const lat = await latencyRun(PERF, samsa.bootstrap, `bench-latency-${i}`, rate, {
      dir: workDir,
      seconds: RUN_SECONDS,
    })
    const p = await probeSnapshot(samsa)
    const commits = stop ? await stop() : undefined
    runs.push({ withCommits, latency: lat, eld: p.eld, cpuSeconds: p.cpuSeconds, rss: p.rss, commits })
    log(
      `  ${withCommits ? `with ${GROUPS} committing groups` : 'no committers'}: produce p99 ` +
        `${fmt(lat.produce.p99, 2)} ms${commits ? `; ${fmtInt(commits.commitsPerSecond)} commits/s, errors ${JSON.stringify(commits.errors)}` : ''}`,
    )
  }

  // 2. the rebalance
  const reb = await rebalance(samsa, 'bench-members')
  const rss = (await probeSnapshot(samsa)).maxRss

  samsa.child.kill('SIGTERM')
  await exited(samsa.child, 15_000)
  const end = readFileSync('/proc/loadavg', 'utf8').trim()
  const result = {
    date: new Date().toISOString(),
    quick: QUICK,
    loadAverage: { start: load, end },
    groups: GROUPS,
    acksAllMaxRecordsPerSec: maxRun.recordsPerSec,
    runs,
    rebalance: reb,
    peakRssDuringRebalance: rss,
  }
  writeResult(opts.out, 'groups.json', result)
  console.log('')
  console.log(`one standalone broker; load average ${load} -> ${end}`)
  for (const r of runs) {
    const what = r.withCommits ? `with ${GROUPS} groups committing every second` : 'no committers'
    console.log(
      `${latencyLine(`acks=all, ${what}`, r.latency)}; event-loop delay p99 ${fmt(r.eld.p99, 2)} ms`,
    )
    if (r.commits)
      console.log(
        `  commits: ${fmtInt(r.commits.commitsPerSecond)}/s answered (${fmtInt(r.commits.sent)} sent), round trip ` +
          `p50/p99/max ${fmt(r.commits.rttMs.p50, 2)}/${fmt(r.commits.rttMs.p99, 2)}/${fmt(r.commits.rttMs.max, 2)} ms, ` +
          `error codes ${JSON.stringify(r.commits.errors)}`,
      )
  }
  console.log(
    `rebalance: ${reb.members} members joined and held an assignment after ${fmt(reb.joinMs / 1000, 2)} s; one ` +
      `left: every other member rejoined after ${fmt(reb.rejoinMs / 1000, 2)} s, the group was Stable with ` +
      `${reb.members - 1} after ${fmt(reb.stableMs / 1000, 2)} s; in those ${fmt(reb.spanMs / 1000, 2)} s the broker used ` +
      `${fmt(reb.brokerCpuSeconds, 2)} CPU s (event-loop delay p99 ${fmt(reb.brokerEld.p99, 1)} ms), the clients' process ` +
      `${fmt(reb.clientCpuSeconds, 2)} CPU s; peak broker RSS ${fmtInt(rss / 1e6)} MB`,
  )
  console.log(`results in ${join(opts.out, 'groups.json')}; total ${fmt((Date.now() - started) / 1000)} s`)
}

runMain(main)
