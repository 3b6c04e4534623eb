#!/usr/bin/env node
// Builds dist/ (tsc, then the single-file entry dist/cli.bundle.cjs: scripts/bundle.mjs) only when it is missing or
// older than src/. Run by `npm start` (prestart), so that a start
// from an up-to-date build takes a second instead of a full TypeScript compile, and by `prepare`, which npm runs
// on `npm install` in a checkout, in the clone of a git dependency (after installing its dev dependencies) and
// before `npm pack`: dist/ is what the package ships. When npm only links a folder (`npm install /path/to/samsa`)
// the folder's own dependencies are not installed: a current dist/ is then used as it is, and a missing or stale
// one is an error that says what to do.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, relative } from 'node:path'
import { fileURLToPath, URL } from 'node:url'
import { bundle, BUNDLE } from './bundle.mjs'

/** The source files (src/**\/*.ts that tsc compiles) whose dist/*.js is missing or older than they are. */
export function staleSources(root) {
  const src = join(root, 'src')
  const dist = join(root, 'dist')
  if (!existsSync(src)) return [] // an installed package: dist/ is all there is
  const stale = []
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name)
      if (e.isDirectory()) walk(p)
      else if (
        e.name.endsWith('.ts') &&
        !e.name.endsWith('.d.ts') &&
        !e.name.endsWith('.test.ts') &&
        e.name !== 'test-helpers.ts'
      ) {
        const out = join(dist, relative(src, p)).replace(/\.ts$/, '.js')
        if (!existsSync(out) || statSync(out).mtimeMs < statSync(p).mtimeMs) stale.push(relative(root, p))
      }
    }
  }
  walk(src)
  return stale
}

/** Whether dist/cli.bundle.cjs is there and not older than dist/cli.js (what bin/kafka-server-start.sh checks). */
export function bundleCurrent(root) {
  const b = join(root, BUNDLE)
  const cli = join(root, 'dist', 'cli.js')
  return existsSync(b) && existsSync(cli) && statSync(b).mtimeMs >= statSync(cli).mtimeMs
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = fileURLToPath(new URL('..', import.meta.url))
  const stale = staleSources(root)
  if (stale.length === 0) {
    // dist/ is current; the single-file entry is made again when it is missing or older than dist/cli.js
    if (existsSync(join(root, 'src')) && !bundleCurrent(root)) await bundle(root)
    process.exit(0)
  }
  let tsc
  try {
    tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  } catch {
    process.stderr.write(
      `samsa: dist/ is not built (or older than src/) and TypeScript is not installed in ${root}.\n` +
        `Run \`npm install\` there first (it builds dist/), or install samsa from git or from \`npm pack\`.\n`,
    )
    process.exit(1)
  }
  process.stderr.write(
    `samsa: building dist/ (${stale.length} source file${stale.length === 1 ? '' : 's'} changed, e.g. ${stale[0]})\n`,
  )
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' })
  if (r.status === 0) await bundle(root)
  process.exit(r.status ?? 1)
}
