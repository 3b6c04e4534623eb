#!/usr/bin/env node
// npm run soak -- --minutes N [--report file.json]
// Runs compat-tests/soak.test.ts for N minutes: a 3-broker cluster on a ZooKeeper of its own under mixed
// produce/consume/group churn, with kill -9 and clean restarts, pauses, freezes past the ZooKeeper session and
// ZooKeeper restarts injected in turn; prints the checker's verdict (acknowledged records lost, duplicated, out of
// order), the longest time without progress, every fault's recovery time and the brokers' RSS over time, and
// writes the whole summary as JSON (--report, default <run dir>/logs/soak-summary.json). CI runs the short default.
import { spawnSync } from 'node:child_process'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const { values: opts } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    report: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
})
if (opts.help) {
  console.log('usage: npm run soak -- --minutes N [--report summary.json]')
  process.exit(0)
}
const minutes = Number(opts.minutes)
if (!Number.isFinite(minutes) || minutes <= 0) {
  console.error(`--minutes must be a positive number, got ${opts.minutes}`)
  process.exit(2)
}
if (!process.env.SAMSA_SKIP_BUILD) {
  const b = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-if-stale.mjs')], { stdio: 'inherit' })
  if (b.status !== 0) process.exit(b.status ?? 1)
}
const env = { ...process.env, SAMSA_SOAK_MINUTES: String(minutes) }
if (opts.report) env.SAMSA_SOAK_REPORT = resolve(opts.report)
const r = spawnSync(
  join(ROOT, 'node_modules', '.bin', 'vitest'),
  ['run', '--project', 'compat', 'compat-tests/soak.test.ts'],
  { cwd: ROOT, env, stdio: 'inherit' },
)
process.exit(r.status ?? 1)
