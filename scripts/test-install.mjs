#!/usr/bin/env node
// `npm run test:install`: Samsa installs as a dependency from its git URL (`npm install git+file://<this checkout>`
// at HEAD, which npm clones, installs with its dev dependencies and builds through `prepare`) without the registry
// (`--offline`: every package comes from npm's cache, which `npm ci` in this checkout filled), and the installed
// package works: `import { startBroker } from 'samsa'` starts and stops a broker, `npx samsa --help` prints the
// usage. Minutes (npm installs the dev dependencies in its clone and runs tsc), so not in CI's run.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, URL } from 'node:url'

const repo = fileURLToPath(new URL('..', import.meta.url))
const STEP_TIMEOUT_MS = 15 * 60_000

function run(what, cmd, args, cwd) {
  const t0 = Date.now()
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: STEP_TIMEOUT_MS, env: process.env })
  const secs = ((Date.now() - t0) / 1000).toFixed(1)
  if (r.status !== 0) {
    console.error(
      `test:install: ${what} failed (exit ${r.status ?? r.signal}, ${secs} s)\n${r.stdout}${r.stderr}`,
    )
    process.exit(1)
  }
  console.log(`test:install: ${what} (${secs} s)`)
  return r.stdout
}

const head = run('git rev-parse HEAD', 'git', ['rev-parse', 'HEAD'], repo).trim()
const dir = mkdtempSync(join(tmpdir(), 'samsa-install-'))
try {
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'uses-samsa', version: '1.0.0', type: 'module' }),
  )
  run(
    `npm install --offline git+file://${repo}#${head}`,
    'npm',
    ['install', '--offline', '--no-audit', '--no-fund', `git+file://${repo}#${head}`],
    dir,
  )
  writeFileSync(
    join(dir, 'embed.mjs'),
    [
      "import net from 'node:net'",
      "import { startBroker } from 'samsa'",
      "const b = await startBroker({ port: 0, logLevel: 'warn' })",
      'await new Promise((ok, fail) => net.connect(b.port, b.host, function () { this.end(); ok() }).on("error", fail))',
      'console.log(`broker ${b.brokerId} served ${b.bootstrap}`)',
      'await b.stop()',
    ].join('\n'),
  )
  const out = run('import { startBroker } from "samsa"', process.execPath, ['embed.mjs'], dir)
  if (!/^broker \d+ served 127\.0\.0\.1:\d+$/m.test(out)) throw new Error(`unexpected output: ${out}`)
  const usage = run('npx samsa --help', 'npx', ['--offline', 'samsa', '--help'], dir)
  if (!usage.includes('USAGE: samsa')) throw new Error(`npx samsa --help printed: ${usage}`)
  console.log('test:install: passed')
} finally {
  rmSync(dir, { recursive: true, force: true })
}
