#!/usr/bin/env node
// `npx samsa server.properties [--override k=v]...`: the same as bin/kafka-server-start.sh (without -daemon), for
// npm installs. The pid file goes to run/ of the package unless SAMSA_PID_DIR says otherwise.
import { fileURLToPath, URL } from 'node:url'

process.env.SAMSA_PID_DIR ??= fileURLToPath(new URL('../run', import.meta.url))
await import('../dist/cli.js')
