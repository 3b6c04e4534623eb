#!/usr/bin/env node
// `npx samsa server.properties [--override k=v]...`: the same as bin/kafka-server-start.sh (without -daemon), for
// npm installs. The pid file goes to run/ of the package unless SAMSA_PID_DIR says otherwise.
// `npx samsa cluster [options]`: the same as bin/samsa-cluster (an in-process cluster with HTTP controls).
import { existsSync, statSync } from 'node:fs'
import { fileURLToPath, URL } from 'node:url'

if (process.argv[2] === 'cluster') {
  process.argv.splice(2, 1)
  process.env.SAMSA_CLUSTER_PROGRAM = 'samsa cluster'
  await import('../dist/cluster-cli.js')
} else {
  process.env.SAMSA_PID_DIR ??= fileURLToPath(new URL('../run', import.meta.url))
  // dist/cli.bundle.js (one module instead of ~270: a faster start) unless it is missing or older than dist/cli.js
  const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : -1)
  const bundle = new URL('../dist/cli.bundle.js', import.meta.url)
  const current =
    mtime(fileURLToPath(bundle)) >= mtime(fileURLToPath(new URL('../dist/cli.js', import.meta.url)))
  await import(current && existsSync(fileURLToPath(bundle)) ? bundle.href : '../dist/cli.js')
}
