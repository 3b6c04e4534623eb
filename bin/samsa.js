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
  // dist/cli.bundle.cjs (one module instead of ~270, with V8's code cache: bin/start-bundle.cjs) unless it is
  // missing or older than dist/cli.js
  const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : -1)
  const bundle = fileURLToPath(new URL('../dist/cli.bundle.cjs', import.meta.url))
  const current = mtime(bundle) >= mtime(fileURLToPath(new URL('../dist/cli.js', import.meta.url)))
  await import(current && existsSync(bundle) ? './start-bundle.cjs' : '../dist/cli.js')
}
