import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { mkdirs } from './fs.js'

describe('mkdirs', () => {
  it('creates missing parents and accepts a directory that exists', () => {
    const base = mkdtempSync(join(tmpdir(), 'samsa-mkdirs-'))
    const dir = join(base, 'a', 'b', 'c')
    mkdirs(dir)
    expect(statSync(dir).isDirectory()).toBe(true)
    mkdirs(dir)
    mkdirs(base)
  })

  it('fails with ENOTDIR when a path component is a file', () => {
    const base = mkdtempSync(join(tmpdir(), 'samsa-mkdirs-'))
    writeFileSync(join(base, 'file'), 'x')
    expect(() => mkdirs(join(base, 'file'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }))
    expect(() => mkdirs(join(base, 'file', 'below'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }))
  })

  it.runIf(existsSync('/proc/self'))('fails at once under /proc, where recursive mkdir never returns', () => {
    expect(() => mkdirs('/proc/samsa-nope/deeper')).toThrow(expect.objectContaining({ code: 'ENOENT' }))
    expect(existsSync('/proc/samsa-nope')).toBe(false)
  })
})
