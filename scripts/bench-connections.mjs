#!/usr/bin/env node
// `npm run bench:connections`: what an idle client connection costs the broker. One standalone broker (data in the
// temp dir, the probe loaded); BENCH_CONNECTIONS (default 10,000) TCP connections from this process, each sending
// one ApiVersions request (v0) and reading its answer, as a client does before it goes quiet; then they stay idle.
//   1. RSS of the broker before, with every connection open and answered (after a few idle seconds), and after
//      they are closed again; the difference per connection
//   2. the time to open and answer them all
// The open-file limit of both processes (`ulimit -n`) must exceed the number of connections (plus the broker's
// files); the script says so instead of failing half-way. Writes bench/results/connections.json (--out DIR).
import { readFileSync } from 'node:fs'
import net from 'node:net'
import {
  benchArgs,
  buildSamsa,
  exited,
  fmt,
  fmtInt,
  log,
  makeWorkDir,
  probeSnapshot,
  runMain,
  setup,
  sleep,
  startStandaloneBroker,
  started,
  writeResult,
} from './bench/common.mjs'

const opts = benchArgs()
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10_000)
const IDLE_MS = 5000

setup({ name: 'bench-connections', hardLimitMs: 600_000 })

/** ApiVersions v0 on a new connection; resolves with the socket once the answer arrived. */
function connectAndAsk(port, i) {
  return new Promise((resolve, reject) => {
    const clientId = Buffer.from(`bench-${i}`)
    const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length)
    let o = body.writeInt16BE(18, 0) // ApiVersions
    o = body.writeInt16BE(0, o)
    o = body.writeInt32BE(i, o)
    o = body.writeInt16BE(clientId.length, o)
    clientId.copy(body, o)
    const frame = Buffer.concat([Buffer.alloc(4), body])
    frame.writeInt32BE(body.length, 0)
    const s = net.connect({ host: '127.0.0.1', port })
    let got = 0
    let want = -1
    s.once('connect', () => s.write(frame))
    s.on('data', (d) => {
      got += d.length
      if (want < 0 && got >= 4) want = d.readInt32BE(0) + 4
      if (want >= 0 && got >= want) {
        s.removeAllListeners('data')
        resolve(s)
      }
    })
    s.once('error', reject)
  })
}

function openFileLimit() {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'))
  const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0]
  return soft === 'unlimited' ? Infinity : Number(soft)
}

async function main() {
  const limit = openFileLimit()
  if (limit < CONNECTIONS + 200)
    throw new Error(
      `ulimit -n is ${limit}: too low for ${CONNECTIONS} connections (raise it or set BENCH_CONNECTIONS)`,
    )
  const workDir = makeWorkDir('samsa-bench-connections-')
  buildSamsa()
  const samsa = await startStandaloneBroker(workDir, {
    http: true,
    // idle connections stay (Kafka's default closes them after 10 minutes)
    overrides: { 'connections.max.idle.ms': 3_600_000 },
  })
  await sleep(IDLE_MS)
  const before = await probeSnapshot(samsa)
  log(`broker RSS ${fmtInt(before.rss / 1e6)} MB; opening ${fmtInt(CONNECTIONS)} connections`)
  const t0 = Date.now()
  const sockets = []
  for (let i = 0; i < CONNECTIONS; i += 200) {
    const batch = []
    for (let j = i; j < Math.min(CONNECTIONS, i + 200); j++) batch.push(connectAndAsk(samsa.port, j))
    sockets.push(...(await Promise.all(batch)))
  }
  const openMs = Date.now() - t0
  log(`opened and answered in ${fmt(openMs / 1000)} s; idle for ${IDLE_MS / 1000} s`)
  await sleep(IDLE_MS)
  const open = await probeSnapshot(samsa)
  for (const s of sockets) s.destroy()
  await sleep(IDLE_MS)
  const after = await probeSnapshot(samsa)
  samsa.child.kill('SIGTERM')
  await exited(samsa.child, 15_000)

  const perConnection = (open.rss - before.rss) / CONNECTIONS
  const result = {
    date: new Date().toISOString(),
    loadAverage: readFileSync('/proc/loadavg', 'utf8').trim(),
    connections: CONNECTIONS,
    openMs,
    rssBefore: before.rss,
    rssOpen: open.rss,
    rssAfter: after.rss,
    bytesPerConnection: perConnection,
  }
  writeResult(opts.out, 'connections.json', result)
  console.log('')
  console.log(
    `${fmtInt(CONNECTIONS)} idle connections (each answered one ApiVersions): broker RSS ${fmtInt(before.rss / 1e6)} MB ` +
      `before, ${fmtInt(open.rss / 1e6)} MB with them open, ${fmtInt(after.rss / 1e6)} MB after they closed: ` +
      `${fmt(perConnection / 1024, 1)} KB each; opened in ${fmt(openMs / 1000)} s; load average ${result.loadAverage}`,
  )
  console.log(`total ${fmt((Date.now() - started) / 1000)} s`)
}

runMain(main)
