// Loaded into a Samsa broker by `npm run bench` (NODE_OPTIONS=--import=<this file>): measures what the benchmark
// cannot see from outside. On SIGUSR2 it appends one JSON line to $SAMSA_BENCH_PROBE_FILE describing the time since
// the previous SIGUSR2 (or the start), then starts over:
//   {"eld":{"p50":ms,"p99":ms,"p999":ms,"max":ms,"samples":n},"cpuSeconds":s,"rss":bytes,"maxRss":bytes}
// eld is the event-loop delay (perf_hooks.monitorEventLoopDelay, sampled every 2 ms): how late a timer ran, i.e.
// how long the longest synchronous stretches kept every connection waiting.
import { appendFileSync } from 'node:fs'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { setInterval } from 'node:timers'

const file = process.env.SAMSA_BENCH_PROBE_FILE
if (file) {
  const h = monitorEventLoopDelay({ resolution: 2 })
  h.enable()
  let cpu = process.cpuUsage()
  let peak = 0
  const rss = () => {
    try {
      return process.memoryUsage.rss()
    } catch {
      return 0 // it needs a file descriptor: none left (EMFILE) is the broker's problem to report, not the probe's
    }
  }
  const sampleRss = () => (peak = Math.max(peak, rss()))
  const timer = setInterval(sampleRss, 100)
  timer.unref()
  process.on('SIGUSR2', () => {
    sampleRss()
    const used = process.cpuUsage(cpu)
    const ms = (ns) => Math.round(ns / 1e3) / 1e3
    const line = {
      eld: {
        p50: ms(h.percentile(50)),
        p99: ms(h.percentile(99)),
        p999: ms(h.percentile(99.9)),
        max: ms(h.max),
        samples: h.count,
      },
      cpuSeconds: (used.user + used.system) / 1e6,
      rss: rss(),
      maxRss: peak,
    }
    appendFileSync(file, JSON.stringify(line) + '\n')
    h.reset()
    cpu = process.cpuUsage()
    peak = 0
  })
}
