/**
 * A setup file of the compat project: watches the test worker's event loop from a worker thread. When the loop
 * has not turned for STALL_MS (a synchronous loop in a test or in the harness — vitest's own timeouts cannot fire
 * then, so a run would hang silently until CI's limit), the thread pauses the main thread through the inspector,
 * writes its JavaScript stack to <logs>/stall-<pid>.log and to stderr, and lets it go on. Once per stall.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { logsDir } from './env.js'

const STALL_MS = Number(process.env.SAMSA_STALL_MS ?? 60_000)

declare global {
  var samsaStallWatch: boolean | undefined
}

// The thread's code, in CommonJS (eval: true). It gets the heartbeat array and the report path.
const WATCHER = `
const { workerData } = require('node:worker_threads')
const inspector = require('node:inspector')
const fs = require('node:fs')
const { beat, stallMs, file } = workerData
let reported = false
setInterval(() => {
  const last = Atomics.load(beat, 0)
  const stalled = Date.now() / 1000 - last > stallMs / 1000
  if (!stalled) { reported = false; return }
  if (reported) return
  reported = true
  const session = new inspector.Session()
  try { session.connectToMainThread() } catch (e) { fs.writeSync(2, 'stall-watch: ' + e + '\\n'); return }
  const urls = new Map()
  session.on('Debugger.scriptParsed', (m) => urls.set(m.params.scriptId, m.params.url))
  session.on('Debugger.paused', (m) => {
    const frames = m.params.callFrames.map((f) =>
      '    at ' + (f.functionName || '<anonymous>') + ' (' + (f.url || urls.get(f.location.scriptId) || '?') + ':' + (f.location.lineNumber + 1) + ':' +
      (f.location.columnNumber + 1) + ')')
    const text = '[stall-watch] pid ' + process.pid + ': the test worker\\'s event loop has not turned for ' +
      Math.round(Date.now() / 1000 - last) + ' s; its stack:\\n' + frames.join('\\n') + '\\n'
    try { fs.writeFileSync(file, text) } catch {}
    fs.writeSync(2, text)
    session.post('Debugger.resume', () => session.disconnect())
  })
  session.post('Debugger.enable', () => session.post('Debugger.pause'))
}, 2000)
`

if (!globalThis.samsaStallWatch) {
  globalThis.samsaStallWatch = true
  const beat = new Int32Array(new SharedArrayBuffer(4))
  const tick = (): void => void Atomics.store(beat, 0, Math.floor(Date.now() / 1000))
  tick()
  setInterval(tick, 1000).unref()
  const file = join(logsDir(), `stall-${process.pid}.log`)
  try {
    const w = new Worker(WATCHER, { eval: true, workerData: { beat, stallMs: STALL_MS, file } })
    w.unref()
    w.on('error', (e) => writeFileSync(file, `stall-watch failed: ${String(e)}\n`))
  } catch (e) {
    writeFileSync(file, `stall-watch not started: ${String(e)}\n`)
  }
}
