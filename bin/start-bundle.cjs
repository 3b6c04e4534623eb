#!/usr/bin/env node
// Starts the broker from dist/cli.bundle.cjs (`npm run build` makes it: scripts/bundle.mjs) with V8's code cache,
// as bin/kafka-server-start.sh and bin/samsa.js do when the bundle is current. Without a cache Node parses the
// whole 1.6 MB file at every start (about half of loading it, the largest part of start-up after Node's own); the
// cache holds the compiled code. The first start without one (or whose cache this Node or its flags reject)
// writes it next to the bundle five seconds after start-up (or at an exit after more than two), so that it holds
// the functions the start-up ran. Its name carries the bundle's size and modification time: V8 checks only the
// length of the source it is given, and a rebuilt bundle must never meet the code of an earlier one (the build
// also deletes old caches). A read-only installation just starts without one.
'use strict'
const fs = require('node:fs')
const path = require('node:path')
const vm = require('node:vm')
const { Module, createRequire } = require('node:module')

const bundle = path.join(__dirname, '..', 'dist', 'cli.bundle.cjs')
const stat = fs.statSync(bundle)
const cacheFile = `${bundle}.${stat.size}-${Math.trunc(stat.mtimeMs)}.cache`
let cachedData
try {
  cachedData = fs.readFileSync(cacheFile)
} catch {
  // none yet
}
const script = new vm.Script(Module.wrap(fs.readFileSync(bundle, 'utf8')), { filename: bundle, cachedData })
if (cachedData === undefined || script.cachedDataRejected) {
  let written = false
  const write = () => {
    if (written) return
    written = true
    const tmp = `${cacheFile}.${process.pid}.tmp`
    try {
      fs.writeFileSync(tmp, script.createCachedData())
      fs.renameSync(tmp, cacheFile)
    } catch {
      fs.rmSync(tmp, { force: true }) // read-only or full: starts stay as they were
    }
  }
  setTimeout(write, 5000).unref()
  // not from a run that only printed --help or refused its configuration: its cache would lack the start-up's code
  process.once('exit', () => process.uptime() > 2 && write())
}
const m = new Module(bundle, module)
m.filename = bundle
script.runInThisContext()(m.exports, createRequire(bundle), m, bundle, path.dirname(bundle))
