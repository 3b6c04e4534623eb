/**
 * Test values for any schema: every field present in a version gets a value (non-default where the type allows,
 * so tagged fields are written too; arrays get two elements, down to a depth of 4).
 */
import type { AnyField, TypeSpec } from '../codec/schema.js'
import { inRange } from '../codec/versions.js'

let counter = 0

function sample(spec: TypeSpec, version: number, depth: number): unknown {
  counter++
  switch (spec.kind) {
    case 'int8':
      return (counter % 100) + 1
    case 'int16':
      return (counter % 30000) + 1
    case 'uint16':
      return (counter % 60000) + 1
    case 'int32':
    case 'uint32':
      return counter * 7 + 1
    case 'int64':
      return 1_700_000_000_000 + counter
    case 'float64':
      return counter + 0.5
    case 'bool':
      return true
    case 'uuid':
      return Buffer.alloc(16, counter % 255 || 1).toString('base64url')
    case 'string':
      return `s${counter}-é`
    case 'bytes':
    case 'records':
      return Buffer.from([counter % 256, 1, 2, 3])
    case 'array':
      return depth > 4 ? [] : [sample(spec.elem, version, depth + 1), sample(spec.elem, version, depth + 1)]
    case 'struct':
      return sampleStruct(spec.fields, version, depth + 1)
  }
}

export function sampleStruct(
  fields: readonly AnyField[],
  version: number,
  depth: number,
): Record<string, unknown> {
  const o: Record<string, unknown> = {}
  for (const f of fields) if (inRange(f.versions, version)) o[f.name] = sample(f.type, version, depth)
  return o
}

/** The fields of a decoded value that exist in this version, recursively (absent ones hold defaults). */
export function project(
  fields: readonly AnyField[],
  version: number,
  value: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const f of fields) {
    if (!inRange(f.versions, version)) continue
    out[f.name] = projectValue(f.type, version, value[f.name])
  }
  return out
}

function projectValue(t: TypeSpec, version: number, v: unknown): unknown {
  if (v === null || v === undefined) return v
  if (t.kind === 'array') return (v as unknown[]).map((x) => projectValue(t.elem, version, x))
  if (t.kind === 'struct') return project(t.fields, version, v as Record<string, unknown>)
  return v
}
