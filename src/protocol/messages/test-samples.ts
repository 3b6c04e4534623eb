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

/** Every field at its emptiest: nullable values null, arrays empty, numbers 0, strings and bytes empty. */
export function emptyStruct(fields: readonly AnyField[], version: number): Record<string, unknown> {
  const o: Record<string, unknown> = {}
  for (const f of fields) {
    if (!inRange(f.versions, version)) continue
    o[f.name] = inRange(f.nullableVersions, version) ? null : emptyValue(f.type, version)
  }
  return o
}

function emptyValue(t: TypeSpec, version: number): unknown {
  switch (t.kind) {
    case 'array':
      return []
    case 'struct':
      return emptyStruct(t.fields, version)
    case 'string':
      return ''
    case 'bytes':
    case 'records':
      return Buffer.alloc(0)
    case 'bool':
      return false
    case 'uuid':
      return Buffer.alloc(16).toString('base64url')
    default:
      return 0
  }
}

/**
 * Every field set, but each array cut to one element and record sets empty: for a library that keeps a list in a
 * hash map (which does not keep its order) and parses record sets into its own model of them.
 */
export function oneStruct(
  fields: readonly AnyField[],
  version: number,
  value: Record<string, unknown>,
): Record<string, unknown> {
  const o: Record<string, unknown> = {}
  for (const f of fields)
    if (inRange(f.versions, version)) o[f.name] = oneValue(f.type, version, value[f.name])
  return o
}

function oneValue(t: TypeSpec, version: number, v: unknown): unknown {
  if (v === null) return v
  if (t.kind === 'records') return Buffer.alloc(0)
  if (t.kind === 'array') return (v as unknown[]).slice(0, 1).map((x) => oneValue(t.elem, version, x))
  if (t.kind === 'struct') return oneStruct(t.fields, version, v as Record<string, unknown>)
  return v
}
