import { execFileSync } from 'node:child_process'
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { asciiComments } from '../scripts/bundle.mjs'

const REPO = dirname(dirname(fileURLToPath(import.meta.url)))

describe('bundle (dist/cli.bundle.cjs)', () => {
  it('leaves only ASCII, every line and column where it was (the source map still fits)', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'samsa-bundle-')), 'b.js')
    const source = '/** a \u2014 b \u2192 c */\nconst x = "\\u2014" // \u{1F600} d\n'
    writeFileSync(file, source)
    asciiComments(file)
    const out = readFileSync(file, 'utf8')
    expect(out).toBe('/** a ? b ? c */\nconst x = "\\u2014" // ?? d\n')
    expect(out.split('\n').map((l) => l.length)).toEqual(source.split('\n').map((l) => l.length))
  })
})

describe('bin/start-bundle.cjs (V8 code cache for the bundle)', () => {
  it('writes a cache named for the bundle after a start that ran, and the next start uses it as it is', () => {
    const root = mkdtempSync(join(tmpdir(), 'samsa-start-bundle-'))
    mkdirSync(join(root, 'bin'))
    mkdirSync(join(root, 'dist'))
    copyFileSync(join(REPO, 'bin', 'start-bundle.cjs'), join(root, 'bin', 'start-bundle.cjs'))
    const bundle = join(root, 'dist', 'cli.bundle.cjs')
    // a "broker" that runs past the start-up (2 s) and exits; it prints what its require resolves against
    writeFileSync(
      bundle,
      "const t = Date.now(); while (Date.now() - t < 2100); console.log(typeof require('node:fs').statSync, __filename)\n",
    )
    const run = (): string =>
      execFileSync(process.execPath, [join(root, 'bin', 'start-bundle.cjs')], { encoding: 'utf8' }).trim()
    const caches = (): string[] => readdirSync(join(root, 'dist')).filter((f) => f.endsWith('.cache'))

    expect(run()).toBe(`function ${bundle}`)
    const st = statSync(bundle)
    expect(caches()).toEqual([`cli.bundle.cjs.${st.size}-${Math.trunc(st.mtimeMs)}.cache`])
    const written = statSync(join(root, 'dist', caches()[0]!)).mtimeMs

    expect(run()).toBe(`function ${bundle}`)
    expect(statSync(join(root, 'dist', caches()[0]!)).mtimeMs).toBe(written) // accepted: not written again

    // a rebuilt bundle of the same length gets a cache of its own
    utimesSync(bundle, new Date(), new Date(Date.now() + 5000))
    expect(run()).toBe(`function ${bundle}`)
    expect(caches()).toHaveLength(2)
  }, 30_000)
})
