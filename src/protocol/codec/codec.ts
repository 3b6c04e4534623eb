/**
 * The one generic encoder/decoder. A message schema is compiled once per version into a tree of small
 * closures (cached on first use); every API at every version goes through this file.
 */
import type { TimeSlicer } from '../../util/time-slicer.js'
import { DecodeError, EncodeError } from './errors.js'
import { Reader } from './reader.js'
import type { AnyField, Input, MessageSchema, TypeSpec } from './schema.js'
import { inRange } from './versions.js'
import { Writer } from './writer.js'

/**
 * Where a decoded struct keeps the tagged fields its schema version does not declare (only present when there
 * were any). Written back in tag order, merged with the known ones.
 */
export const UNKNOWN_TAGGED_FIELDS = '_unknownTaggedFields'
export interface UnknownTaggedField {
  readonly tag: number
  readonly data: Buffer
}

interface Codec {
  read(r: Reader): unknown
  write(w: Writer, v: unknown): void
}

interface CompiledStruct extends Codec {
  readonly makeDefault: () => Record<string, unknown>
  /** The fields in wire order (tagged ones excluded). */
  readonly regular: readonly Slot[]
  /** The struct without its regular fields: defaults of absent and tagged fields before, tagged fields after. */
  readonly begin: () => Record<string, unknown>
  readonly readTagged: (r: Reader, o: Record<string, unknown>) => void
  readonly writeTagged: (w: Writer, v: Record<string, unknown>) => void
}

const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8')

function primitiveCodec(kind: string, flexible: boolean, nullable: boolean, where: string): Codec {
  const nullErr = (): never => {
    throw new EncodeError(`${where} is not nullable in this version`)
  }
  switch (kind) {
    case 'int8':
      return { read: (r) => r.int8(), write: (w, v) => w.int8(v as number) }
    case 'int16':
      return { read: (r) => r.int16(), write: (w, v) => w.int16(v as number) }
    case 'uint16':
      return { read: (r) => r.uint16(), write: (w, v) => w.uint16(v as number) }
    case 'int32':
      return { read: (r) => r.int32(), write: (w, v) => w.int32(v as number) }
    case 'uint32':
      return { read: (r) => r.uint32(), write: (w, v) => w.uint32(v as number) }
    case 'int64':
      return { read: (r) => r.int64(), write: (w, v) => w.int64(v as number) }
    case 'float64':
      return { read: (r) => r.float64(), write: (w, v) => w.float64(v as number) }
    case 'bool':
      return { read: (r) => r.bool(), write: (w, v) => w.bool(v as boolean) }
    case 'uuid':
      return { read: (r) => r.uuid(), write: (w, v) => w.uuid(v as string) }
    case 'string':
      return {
        read: (r) => {
          const n = flexible ? r.uvarint() - 1 : r.int16()
          if (n < 0) {
            if (n === -1 && nullable) return null
            throw new DecodeError(`${where}: null or negative length ${n} for a non-nullable string`)
          }
          return r.utf8(n)
        },
        write: (w, v) => {
          if (v === null) {
            if (!nullable) nullErr()
            if (flexible) w.uvarint(0)
            else w.int16(-1)
            return
          }
          const s = v as string
          const n = utf8Length(s)
          if (flexible) w.uvarint(n + 1)
          else {
            if (n > 0x7fff) throw new EncodeError(`${where}: string of ${n} bytes is too long`)
            w.int16(n)
          }
          w.utf8(s, n)
        },
      }
    case 'bytes':
    case 'records':
      return {
        read: (r) => {
          const n = flexible ? r.uvarint() - 1 : r.int32()
          if (n < 0) {
            if (n === -1 && nullable) return null
            throw new DecodeError(`${where}: null or negative length ${n} for non-nullable bytes`)
          }
          return r.slice(n)
        },
        write: (w, v) => {
          if (v === null) {
            if (!nullable) nullErr()
            if (flexible) w.uvarint(0)
            else w.int32(-1)
            return
          }
          const b = v as Buffer
          if (flexible) w.uvarint(b.length + 1)
          else w.int32(b.length)
          w.raw(b)
        },
      }
  }
  throw new Error(`unknown primitive ${kind}`)
}

/** An array's element count (null for a null array), checked against the bytes left before anything is allocated. */
function readArrayLength(r: Reader, flexible: boolean, nullable: boolean, where: string): number | null {
  const n = flexible ? r.uvarint() - 1 : r.int32()
  if (n < 0) {
    if (n === -1 && nullable) return null
    throw new DecodeError(`${where}: null or negative length ${n} for a non-nullable array`)
  }
  // Each element takes at least one byte, so a count beyond the remaining bytes is malformed: refuse it before
  // allocating.
  if (n > r.remaining) throw new DecodeError(`${where}: array count ${n} exceeds remaining bytes`)
  return n
}

/** Writes an array's element count; false for a null array (nothing more to write). */
function writeArrayLength(
  w: Writer,
  v: unknown,
  flexible: boolean,
  nullable: boolean,
  where: string,
): boolean {
  if (v === null) {
    if (!nullable) throw new EncodeError(`${where} is not nullable in this version`)
    if (flexible) w.uvarint(0)
    else w.int32(-1)
    return false
  }
  const n = (v as readonly unknown[]).length
  if (flexible) w.uvarint(n + 1)
  else w.int32(n)
  return true
}

function arrayCodec(elem: Codec, flexible: boolean, nullable: boolean, where: string): Codec {
  return {
    read: (r) => {
      const n = readArrayLength(r, flexible, nullable, where)
      if (n === null) return null
      const out = new Array<unknown>(n)
      for (let i = 0; i < n; i++) out[i] = elem.read(r)
      return out
    },
    write: (w, v) => {
      if (!writeArrayLength(w, v, flexible, nullable, where)) return
      const a = v as readonly unknown[]
      for (let i = 0; i < a.length; i++) elem.write(w, a[i])
    },
  }
}

function typeCodec(
  spec: TypeSpec,
  version: number,
  flexible: boolean,
  nullable: boolean,
  where: string,
): Codec {
  if (spec.kind === 'array') {
    return arrayCodec(typeCodec(spec.elem, version, flexible, false, `${where}[]`), flexible, nullable, where)
  }
  if (spec.kind === 'struct') {
    const s = compileStruct(spec.fields, version, flexible, where)
    if (!nullable) return s
    // Nullable struct fields are preceded by an int8 presence marker (-1 = null, 1 = present).
    return {
      read: (r) => (r.int8() < 0 ? null : s.read(r)),
      write: (w, v) => {
        if (v === null) w.int8(-1)
        else {
          w.int8(1)
          s.write(w, v)
        }
      },
    }
  }
  return primitiveCodec(spec.kind, flexible, nullable, where)
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b)
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]))
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a)
    const ko = b as Record<string, unknown>
    return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], ko[k]))
  }
  return false
}

interface Slot {
  readonly field: AnyField
  readonly codec: Codec
  /** For an array of structs: the element's compiled struct, whether the array is flexible and nullable. */
  readonly array?: { readonly elem: CompiledStruct; readonly flexible: boolean; readonly nullable: boolean }
}

function compileStruct(
  fields: readonly AnyField[],
  version: number,
  flexible: boolean,
  where: string,
): CompiledStruct {
  const regular: Slot[] = []
  const tagged: Slot[] = []
  const absent: AnyField[] = []
  for (const f of fields) {
    const here = `${where}.${f.name}`
    if (!inRange(f.versions, version)) {
      absent.push(f)
      continue
    }
    const fieldFlexible = flexible && inRange(f.flexibleVersions, version)
    const nullable = inRange(f.nullableVersions, version)
    const t = f.type
    // An array of structs keeps its element's compiled struct, for the time-sliced walk (decodeSliced)
    const array =
      t.kind === 'array' && t.elem.kind === 'struct'
        ? {
            elem: compileStruct(t.elem.fields, version, fieldFlexible, `${here}[]`),
            flexible: fieldFlexible,
            nullable,
          }
        : undefined
    const codec = array
      ? arrayCodec(array.elem, fieldFlexible, nullable, here)
      : typeCodec(t, version, fieldFlexible, nullable, here)
    if (f.tag !== undefined && inRange(f.taggedVersions, version)) {
      if (!flexible) throw new Error(`${here}: tagged field in a non-flexible version ${version}`)
      tagged.push({ field: f, codec })
    } else regular.push({ field: f, codec, ...(array ? { array } : {}) })
  }
  tagged.sort((a, b) => a.field.tag! - b.field.tag!)
  const byTag = new Map<number, Slot>(tagged.map((s) => [s.field.tag!, s]))

  const makeDefault = (): Record<string, unknown> => {
    const o: Record<string, unknown> = {}
    for (const f of fields) o[f.name] = f.makeDefault()
    return o
  }

  const begin = (): Record<string, unknown> => {
    const o: Record<string, unknown> = {}
    for (const f of absent) o[f.name] = f.makeDefault()
    for (const t of tagged) o[t.field.name] = t.field.makeDefault()
    return o
  }

  const readTagged = (r: Reader, o: Record<string, unknown>): void => {
    if (!flexible) return
    const n = r.uvarint()
    let lastTag = -1
    for (let i = 0; i < n; i++) {
      const tag = r.uvarint()
      if (tag <= lastTag)
        throw new DecodeError(`${where}: tagged fields out of order (${tag} after ${lastTag})`)
      lastTag = tag
      const size = r.uvarint()
      const slot = byTag.get(tag)
      if (!slot) {
        // Kept as opaque bytes, as Kafka's generated messages keep _unknownTaggedFields, so a value passed on
        // (or written back) carries what this version of Samsa does not understand.
        const unknown = (o[UNKNOWN_TAGGED_FIELDS] ??= []) as UnknownTaggedField[]
        unknown.push({ tag, data: Buffer.from(r.slice(size)) })
        continue
      }
      const sub = new Reader(r.buf, r.pos, r.pos + size)
      if (sub.end > r.end) throw new DecodeError(`${where}: tagged field ${tag} overruns its struct`)
      o[slot.field.name] = slot.codec.read(sub)
      r.skip(size)
    }
  }

  const read = (r: Reader): Record<string, unknown> => {
    const o = begin()
    for (const s of regular) o[s.field.name] = s.codec.read(r)
    readTagged(r, o)
    return o
  }

  const writeTagged = (w: Writer, v: Record<string, unknown>): void => {
    if (!flexible) return
    const present: { tag: number; write: (w: Writer) => void; length: number }[] = []
    for (const t of tagged) {
      const x = v[t.field.name]
      if (x === undefined || deepEqual(x, t.field.makeDefault())) continue
      const sub = new Writer(64)
      t.codec.write(sub, x)
      present.push({ tag: t.field.tag!, length: sub.length, write: (w) => w.append(sub) })
    }
    const unknown = v[UNKNOWN_TAGGED_FIELDS] as readonly UnknownTaggedField[] | undefined
    if (unknown?.length) {
      for (const u of unknown) {
        if (byTag.has(u.tag)) continue // a known field of this version: its decoded value wins
        present.push({ tag: u.tag, length: u.data.length, write: (w) => w.raw(u.data) })
      }
      present.sort((a, b) => a.tag - b.tag)
    }
    w.uvarint(present.length)
    for (const p of present) {
      w.uvarint(p.tag)
      w.uvarint(p.length)
      p.write(w)
    }
  }

  const write = (w: Writer, value: unknown): void => {
    const v = (value ?? {}) as Record<string, unknown>
    for (const s of regular) {
      const x = v[s.field.name]
      s.codec.write(w, x === undefined ? s.field.makeDefault() : x)
    }
    writeTagged(w, v)
  }

  return { read, write, makeDefault, regular, begin, readTagged, writeTagged }
}

const cache = new WeakMap<MessageSchema<unknown>, Map<number, CompiledStruct>>()

function compiled(schema: MessageSchema<unknown>, version: number): CompiledStruct {
  let perVersion = cache.get(schema)
  if (!perVersion) {
    perVersion = new Map()
    cache.set(schema, perVersion)
  }
  let c = perVersion.get(version)
  if (!c) {
    if (!inRange(schema.validVersions, version)) {
      throw new EncodeError(`${schema.name} has no version ${version}`)
    }
    c = compileStruct(schema.fields, version, inRange(schema.flexibleVersions, version), schema.name)
    perVersion.set(version, c)
  }
  return c
}

export function isFlexible(schema: MessageSchema<unknown>, version: number): boolean {
  return inRange(schema.flexibleVersions, version)
}

export function decode<Tv>(schema: MessageSchema<Tv>, version: number, r: Reader): Tv {
  return compiled(schema, version).read(r) as Tv
}

export function encode<Tv>(schema: MessageSchema<Tv>, version: number, value: Input<Tv>, w: Writer): void {
  compiled(schema, version).write(w, value)
}

/** Whether a compiled struct has arrays of structs anywhere below it (those are walked element by element). */
const hasStructArrays = (c: CompiledStruct): boolean => c.regular.some((s) => s.array !== undefined)

async function readSliced(
  c: CompiledStruct,
  r: Reader,
  slicer: TimeSlicer,
): Promise<Record<string, unknown>> {
  const o = c.begin()
  for (const s of c.regular) {
    if (!s.array) {
      o[s.field.name] = s.codec.read(r)
      continue
    }
    const { elem, flexible, nullable } = s.array
    const n = readArrayLength(r, flexible, nullable, s.field.name)
    if (n === null) {
      o[s.field.name] = null
      continue
    }
    const deep = hasStructArrays(elem)
    const out = new Array<unknown>(n)
    for (let i = 0; i < n; i++) {
      out[i] = deep ? await readSliced(elem, r, slicer) : elem.read(r)
      const due = slicer.due()
      if (due) await due
    }
    o[s.field.name] = out
  }
  c.readTagged(r, o)
  return o
}

async function writeSliced(c: CompiledStruct, w: Writer, value: unknown, slicer: TimeSlicer): Promise<void> {
  const v = (value ?? {}) as Record<string, unknown>
  for (const s of c.regular) {
    const x = v[s.field.name] === undefined ? s.field.makeDefault() : v[s.field.name]
    if (!s.array) {
      s.codec.write(w, x)
      continue
    }
    const { elem, flexible, nullable } = s.array
    if (!writeArrayLength(w, x, flexible, nullable, s.field.name)) continue
    const deep = hasStructArrays(elem)
    for (const e of x as readonly unknown[]) {
      if (deep) await writeSliced(elem, w, e, slicer)
      else elem.write(w, e)
      const due = slicer.due()
      if (due) await due
    }
  }
  c.writeTagged(w, v)
}

/**
 * decode() for huge messages: the same bytes, the same result, but arrays of structs are walked element by
 * element and the event loop runs whenever `slicer`'s slice is used up, so a request naming a million topics does
 * not hold up every other connection while it is parsed. Tagged fields and arrays of scalars are read at once.
 */
export function decodeSliced<Tv>(
  schema: MessageSchema<Tv>,
  version: number,
  r: Reader,
  slicer: TimeSlicer,
): Promise<Tv> {
  return readSliced(compiled(schema, version), r, slicer) as Promise<Tv>
}

/** encode() for huge messages, time-sliced as decodeSliced. */
export function encodeSliced<Tv>(
  schema: MessageSchema<Tv>,
  version: number,
  value: Input<Tv>,
  w: Writer,
  slicer: TimeSlicer,
): Promise<void> {
  return writeSliced(compiled(schema, version), w, value, slicer)
}

/** Decodes a whole buffer and insists that nothing is left over. */
export function decodeBuffer<Tv>(schema: MessageSchema<Tv>, version: number, buf: Buffer): Tv {
  const r = new Reader(buf)
  const v = decode(schema, version, r)
  if (r.remaining !== 0) throw new DecodeError(`${schema.name} v${version}: ${r.remaining} trailing bytes`)
  return v
}

export function encodeToBuffer<Tv>(schema: MessageSchema<Tv>, version: number, value: Input<Tv>): Buffer {
  const w = new Writer()
  encode(schema, version, value, w)
  return w.toBuffer()
}

/** A fully populated value with every field at its default. */
export function defaults<Tv>(schema: MessageSchema<Tv>): Tv {
  const o: Record<string, unknown> = {}
  for (const f of schema.fields) o[f.name] = f.makeDefault()
  return o as Tv
}
