// Loaded into a Samsa broker by `npm run bench` (NODE_OPTIONS=--import=<this file>): measures what the benchmark
// cannot see from outside. On SIGUSR2 it appends one JSON line to $SAMSA_BENCH_PROBE_FILE describing the time since
// the previous SIGUSR2 (or the start), then starts over:
//   {"eld":{"p50":ms,"p99":ms,"p999":ms,"max":ms,"samples":n},"cpuSeconds":s,"rss":bytes,"maxRss":bytes,
//    "gc":{"minor":{"n":n,"ms":ms,"max":ms},"major":{"n":n,"ms":ms,"max":ms}},"mainThread":{"runSeconds":s,"waitSeconds":s}}
// eld is the event-loop delay (perf_hooks.monitorEventLoopDelay, sampled every 2 ms): how late a timer ran, i.e.
// how long the longest synchronous stretches kept every connection waiting. What the delay is made of:
// - gc: the garbage collector's pauses (perf_hooks 'gc' entries): minor = scavenges; major = mark-compact,
//   incremental marking steps and weak callbacks. n pauses, ms their sum, max the longest.
// - mainThread (Linux: /proc/thread-self/schedstat of the main thread): runSeconds on a CPU, waitSeconds runnable
//   but waiting for one (other processes had both cores). A delay that is mostly waitSeconds is the machine's load,
//   not the broker's work; null where there is no schedstat.
import { appendFileSync, readFileSync } from 'node:fs'
import { PerformanceObserver, constants, monitorEventLoopDelay } from 'node:perf_hooks'
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
  const pauses = () => ({ minor: { n: 0, ms: 0, max: 0 }, major: { n: 0, ms: 0, max: 0 } })
  let gc = pauses()
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const g = e.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR ? gc.minor : gc.major
      g.n++
      g.ms += e.duration
      g.max = Math.max(g.max, e.duration)
    }
  }).observe({ entryTypes: ['gc'] })
  // read on the main thread (the signal handler runs there): thread-self is the main thread
  const sched = () => {
    try {
      const [run, wait] = readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ').map(Number)
      return { run, wait }
    } catch {
      return undefined
    }
  }
  let lastSched = sched()
  const timer = setInterval(sampleRss, 100)
  timer.unref()
  process.on('SIGUSR2', () => {
    sampleRss()
    const used = process.cpuUsage(cpu)
    const round = (x) => Math.round(x * 1e3) / 1e3
    const ms = (ns) => round(ns / 1e6)
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
      gc: Object.fromEntries(
        Object.entries(gc).map(([k, g]) => [k, { n: g.n, ms: round(g.ms), max: round(g.max) }]),
      ),
      mainThread: null,
    }
    const now = sched()
    if (now && lastSched)
      line.mainThread = {
        runSeconds: round((now.run - lastSched.run) / 1e9),
        waitSeconds: round((now.wait - lastSched.wait) / 1e9),
      }
    appendFileSync(file, JSON.stringify(line) + '\n')
    h.reset()
    gc = pauses()
    lastSched = sched()
    cpu = process.cpuUsage()
    peak = 0
  })
}
