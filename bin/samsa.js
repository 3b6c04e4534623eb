#!/usr/bin/env node
// `npx samsa [server.properties] [--override k=v]...`: the same as bin/kafka-server-start.sh, for npm installs.
import('../dist/cli.js')
