/**
 * `npm install` on the Node version the project documents (package.json engines, README) must not warn
 * EBADENGINE: every dependency, dev dependencies included, has to fit this Node.
 */
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const root = new URL('..', import.meta.url)

describe('engines', () => {
  // asynchronous, with room for a busy machine; --ignore-scripts: the checkout's prepare (a build when dist/ is
  // stale) has nothing to do with engines
  it('npm install on this Node warns about no dependency’s engine', async () => {
    const r = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
      execFile(
        'npm',
        ['install', '--dry-run', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'],
        { cwd: root, encoding: 'utf8', timeout: 150_000, maxBuffer: 16 * 1024 * 1024 },
        (err, _stdout, stderr) =>
          resolve({
            status: err ? ((err as { code?: number }).code ?? null) : 0,
            stderr: stderr + (err ? String(err) : ''),
          }),
      )
    })
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr.split('\n').filter((l) => l.includes('EBADENGINE'))).toEqual([])
  }, 180_000)

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
