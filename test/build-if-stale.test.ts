import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { bundleCurrent, staleSources } from '../scripts/build-if-stale.mjs'

describe('build-if-stale (npm start, prepare)', () => {
  it('lists the sources whose compiled file is missing or older', () => {
    const root = mkdtempSync(join(tmpdir(), 'samsa-stale-'))
    mkdirSync(join(root, 'src', 'util'), { recursive: true })
    writeFileSync(join(root, 'src', 'cli.ts'), '')
    writeFileSync(join(root, 'src', 'util', 'x.ts'), '')
    writeFileSync(join(root, 'src', 'util', 'x.test.ts'), '')
    expect(staleSources(root).sort()).toEqual(['src/cli.ts', 'src/util/x.ts'])

    mkdirSync(join(root, 'dist', 'util'), { recursive: true })
    writeFileSync(join(root, 'dist', 'cli.js'), '')
    writeFileSync(join(root, 'dist', 'util', 'x.js'), '')
    const past = new Date(Date.now() - 60_000)
    utimesSync(join(root, 'src', 'cli.ts'), past, past)
    utimesSync(join(root, 'src', 'util', 'x.ts'), past, past)
    expect(staleSources(root)).toEqual([])

    utimesSync(join(root, 'src', 'util', 'x.ts'), new Date(), new Date(Date.now() + 60_000))
    expect(staleSources(root)).toEqual(['src/util/x.ts'])
  })

  it('an installed package (no src/) is never stale', () => {
    expect(staleSources(mkdtempSync(join(tmpdir(), 'samsa-stale-')))).toEqual([])
  })

  it('the single-file entry is current unless missing or older than dist/cli.js (a tsc alone)', () => {
    const root = mkdtempSync(join(tmpdir(), 'samsa-stale-'))
    mkdirSync(join(root, 'dist'))
    writeFileSync(join(root, 'dist', 'cli.js'), '')
    expect(bundleCurrent(root)).toBe(false)
    writeFileSync(join(root, 'dist', 'cli.bundle.cjs'), '')
    const now = new Date()
    utimesSync(join(root, 'dist', 'cli.js'), now, now)
    utimesSync(join(root, 'dist', 'cli.bundle.cjs'), now, now)
    expect(bundleCurrent(root)).toBe(true)
    utimesSync(join(root, 'dist', 'cli.js'), now, new Date(now.getTime() + 60_000))
    expect(bundleCurrent(root)).toBe(false)
  })
})
