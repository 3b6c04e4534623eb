#!/usr/bin/env node
// `npx samsa server.properties [--override k=v]...`: the same as bin/kafka-server-start.sh (without -daemon), for
// npm installs. The pid file goes to run/ of the package unless SAMSA_PID_DIR says otherwise.
// `npx samsa cluster [options]`: the same as bin/samsa-cluster (an in-process cluster with HTTP controls).
import { fileURLToPath, URL } from 'node:url'

if (process.argv[2] === 'cluster') {
  process.argv.splice(2, 1)
  process.env.SAMSA_CLUSTER_PROGRAM = 'samsa cluster'
  await import('../dist/cluster-cli.js')
} else {
  process.env.SAMSA_PID_DIR ??= fileURLToPath(new URL('../run', import.meta.url))
  await import('../dist/cli.js')
}
