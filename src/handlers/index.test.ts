/** Handler files are named by the key of the API they serve, and index.ts registers every one of them. */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { Apis } from '../protocol/messages/index.js'

const dir = path.dirname(fileURLToPath(import.meta.url))
const files = readdirSync(dir).filter((f) => /^\d\d-.*\.ts$/.test(f) && !f.endsWith('.test.ts'))
const served = (file: string): string[] =>
  [...readFileSync(path.join(dir, file), 'utf8').matchAll(/= Apis\.(\w+)\b/g)].map((m) => m[1]!)

describe('handler files', () => {
  it.each(files)('%s serves the API of its key first', (file) => {
    const names = served(file)
    expect(names.length).toBeGreaterThan(0)
    const first = Apis[names[0] as keyof typeof Apis]
    expect(String(first.key).padStart(2, '0')).toBe(file.slice(0, 2))
  })

  it('are all registered in index.ts', () => {
    const index = readFileSync(path.join(dir, 'index.ts'), 'utf8')
    for (const f of files) expect(index, f).toContain(`from './${f.replace(/\.ts$/, '.js')}'`)
  })
})
