/**
 * Every API at every version: a value with every field populated (non-default where the type allows, so that
 * tagged fields are written too) is encoded, decoded and re-encoded; the two encodings must be identical and
 * the decoded value must carry every field present in that version.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import type { ApiDef } from '../api.js'
import { decodeBuffer, encodeToBuffer, isFlexible } from '../codec/codec.js'
import type { AnyField, MessageSchema, TypeSpec } from '../codec/schema.js'
import { inRange } from '../codec/versions.js'
import { ALL_APIS } from './index.js'
import { project, sampleStruct } from './test-samples.js'

function checkPresent(
  fields: readonly AnyField[],
  version: number,
  value: Record<string, unknown>,
  path: string,
): void {
  for (const f of fields) {
    expect(value, `${path}.${f.name}`).toHaveProperty(f.name)
    let t: TypeSpec = f.type
    const v = value[f.name]
    if (t.kind === 'struct' && v && inRange(f.versions, version))
      checkPresent(t.fields, version, v as Record<string, unknown>, `${path}.${f.name}`)
    while (t.kind === 'array') t = t.elem
  }
}

function roundTrip(schema: MessageSchema<unknown>, version: number): void {
  const value = sampleStruct(schema.fields, version, 0)
  const bytes = encodeToBuffer(schema, version, value)
  const decoded = decodeBuffer(schema, version, bytes) as Record<string, unknown>
  checkPresent(schema.fields, version, decoded, schema.name)
  const again = encodeToBuffer(schema, version, decoded)
  expect(again.equals(bytes), `${schema.name} v${version} re-encodes identically`).toBe(true)
  // every field present in this version comes back with the value that was sent
  expect(project(schema.fields, version, decoded), `${schema.name} v${version}`).toEqual(value)
}

describe('every API at every version', () => {
  it('declares request/response pairs with matching keys and version ranges', () => {
    const keys = new Set<number>()
    for (const a of ALL_APIS) {
      expect(keys.has(a.key), `duplicate key ${a.key}`).toBe(false)
      keys.add(a.key)
      expect(a.request.kind).toBe('request')
      expect(a.response.kind).toBe('response')
      expect(a.request.validVersions).toEqual(a.response.validVersions)
      expect(a.request.flexibleVersions).toEqual(a.response.flexibleVersions)
    }
    expect(ALL_APIS.length).toBeGreaterThanOrEqual(45)
  })

  it('declares only APIs that a feature uses (a schema comes with its feature)', () => {
    const srcRoot = fileURLToPath(new URL('../../', import.meta.url))
    const sources: string[] = []
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, e.name)
        if (e.isDirectory()) walk(full)
        else if (
          e.name.endsWith('.ts') &&
          !e.name.endsWith('.test.ts') &&
          !full.includes('/protocol/messages/')
        )
          sources.push(readFileSync(full, 'utf8'))
      }
    }
    walk(srcRoot)
    const all = sources.join('\n')
    const unused = ALL_APIS.filter(
      (a) => !new RegExp(`\\bApis\\.${a.name}\\b|\\b${a.name}(Request|Response)\\b`).test(all),
    ).map((a) => a.name)
    expect(unused).toEqual([])
  })

  for (const a of ALL_APIS) {
    it(`${a.name} (${a.key}) round-trips v${a.request.validVersions.min}-${a.request.validVersions.max}`, () => {
      for (let v = a.request.validVersions.min; v <= a.request.validVersions.max; v++) {
        roundTrip(a.request, v)
        roundTrip(a.response, v)
        expect(isFlexible(a.request, v)).toBe(isFlexible(a.response, v))
      }
    })
  }
})

describe('one declaration per API', () => {
  const dir = path.dirname(fileURLToPath(import.meta.url))
  const files = readdirSync(dir).filter((f) => /^\d\d-.*\.ts$/.test(f) && !f.endsWith('.test.ts'))
  const kebab = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()

  it.each(files)('%s declares the API its name says', async (file) => {
    const mod = (await import(`./${file.replace(/\.ts$/, '.js')}`)) as Record<string, unknown>
    const apis = Object.values(mod).filter((x): x is ApiDef<unknown, unknown> =>
      ALL_APIS.includes(x as never),
    )
    expect(apis).toHaveLength(1)
    const a = apis[0]!
    expect(`${String(a.key).padStart(2, '0')}-${kebab(a.name)}.ts`).toBe(file)
  })

  it('lists every file in index.ts', () => {
    expect(ALL_APIS.map((a) => `${String(a.key).padStart(2, '0')}-${kebab(a.name)}.ts`).sort()).toEqual(
      [...files].sort(),
    )
  })
})
