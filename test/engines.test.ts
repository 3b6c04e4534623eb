/**
 * `npm install` on the Node version the project documents (package.json engines, README) must not warn
 * EBADENGINE: every dependency, dev dependencies included, has to fit this Node.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const root = new URL('..', import.meta.url)

describe('engines', () => {
  it('npm install on this Node warns about no dependency’s engine', () => {
    const r = spawnSync('npm', ['install', '--dry-run', '--offline', '--no-audit', '--no-fund'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr.split('\n').filter((l) => l.includes('EBADENGINE'))).toEqual([])
  })

  it('the documented Node version is the one in package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
      engines: { node: string }
    }
    const min = /^>=\s*([\d.]+)$/.exec(pkg.engines.node)?.[1]
    expect(min).toBeDefined()
    expect(readFileSync(new URL('README.md', root), 'utf8')).toContain(`Node.js ≥ ${min}`)
    const [major, minor] = process.versions.node.split('.').map(Number) as [number, number]
    const [minMajor, minMinor] = min!.split('.').map(Number) as [number, number]
    expect(major > minMajor || (major === minMajor && minor >= minMinor)).toBe(true)
  })
})
