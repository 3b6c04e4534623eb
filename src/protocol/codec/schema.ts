/**
 * The schema language every Kafka API is declared in, once, as data.
 *
 * A message is a list of fields; each field has a type, the versions it exists in, the versions in which
 * it may be null, an optional tag (a tagged field in flexible versions) and a default used when the field
 * is absent from a version. The TypeScript type of a decoded message is inferred from the same
 * declaration, so there is no second, hand-written description to drift from the schema.
 */
import { ALL_VERSIONS, NO_VERSIONS, parseVersions, type VersionRange } from './versions.js'

export type PrimitiveKind =
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'float64'
  | 'bool'
  | 'uuid'
  | 'string'
  | 'bytes'
  | 'records'

export type TypeSpec =
  | { readonly kind: PrimitiveKind }
  | { readonly kind: 'array'; readonly elem: TypeSpec }
  | { readonly kind: 'struct'; readonly fields: readonly AnyField[] }

/** A type descriptor; `T` is the TypeScript type of a decoded value (phantom). */
export interface Type<T> {
  readonly spec: TypeSpec
  readonly __value?: T
}

export interface Field<N extends string, T> {
  readonly name: N
  readonly type: TypeSpec
  readonly versions: VersionRange
  readonly nullableVersions: VersionRange
  readonly taggedVersions: VersionRange
  readonly tag: number | undefined
  /** Versions in which this field uses the flexible (compact) encoding; narrower than the message's only for
   * RequestHeader.ClientId, which Kafka keeps as a classic string even in header v2. */
  readonly flexibleVersions: VersionRange
  /** Produces the value used when the field is absent from a version or not set when encoding. */
  readonly makeDefault: () => unknown
  readonly about: string | undefined
  readonly __value?: T
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- existential field type for heterogeneous lists
export type AnyField = Field<string, any>

export interface FieldOptions<T = unknown> {
  /** Versions the field exists in, e.g. "0+", "3-7". Defaults to "0+". */
  readonly versions?: string
  /** Versions in which the field may be null. */
  readonly nullable?: string
  /** Tag number: the field is a tagged field in its versions (which must be flexible). */
  readonly tag?: number
  /** Versions in which it is tagged, when narrower than `versions`. */
  readonly taggedVersions?: string
  /** Narrows the flexible versions for this one field ("none" = always classic encoding). */
  readonly flexibleVersions?: string
  readonly default?: T
  readonly about?: string
}

type FieldArg<T> = string | FieldOptions<T> | undefined

/** Decoded type of a struct declared with these fields. */
export type StructOf<F extends readonly AnyField[]> = {
  -readonly [K in F[number] as K['name']]: K extends Field<string, infer T> ? T : never
}

type WithNull<T, O> = O extends { readonly nullable: string } ? T | null : T

export type Infer<X> =
  X extends MessageSchema<infer T>
    ? T
    : X extends Type<infer T>
      ? T
      : X extends Field<string, infer T>
        ? T
        : never

/** What an encoder accepts: every field optional (absent fields take their default), recursively. */
export type Input<T> = T extends Buffer
  ? T
  : T extends readonly (infer E)[]
    ? readonly Input<E>[]
    : T extends object
      ? { [K in keyof T]?: Input<T[K]> }
      : T

const prim = <T>(kind: PrimitiveKind): Type<T> => ({ spec: { kind } })

export const T = {
  int8: prim<number>('int8'),
  int16: prim<number>('int16'),
  uint16: prim<number>('uint16'),
  int32: prim<number>('int32'),
  uint32: prim<number>('uint32'),
  int64: prim<number>('int64'),
  float64: prim<number>('float64'),
  bool: prim<boolean>('bool'),
  uuid: prim<string>('uuid'),
  string: prim<string>('string'),
  bytes: prim<Buffer>('bytes'),
  records: prim<Buffer | null>('records'),
} as const

export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA'

function typeDefault(spec: TypeSpec): () => unknown {
  switch (spec.kind) {
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
    case 'int64':
    case 'float64':
      return () => 0
    case 'bool':
      return () => false
    case 'uuid':
      return () => ZERO_UUID
    case 'string':
      return () => ''
    case 'bytes':
      return () => Buffer.alloc(0)
    case 'records':
      return () => null
    case 'array':
      return () => []
    case 'struct': {
      const fields = spec.fields
      return () => {
        const o: Record<string, unknown> = {}
        for (const f of fields) o[f.name] = f.makeDefault()
        return o
      }
    }
  }
}

function makeField<N extends string, T>(name: N, type: TypeSpec, arg: FieldArg<T>): Field<N, T> {
  const opts: FieldOptions<T> = typeof arg === 'string' ? { versions: arg } : (arg ?? {})
  const versions = opts.versions === undefined ? ALL_VERSIONS : parseVersions(opts.versions)
  const nullableVersions = opts.nullable === undefined ? NO_VERSIONS : parseVersions(opts.nullable)
  const taggedVersions =
    opts.tag === undefined
      ? NO_VERSIONS
      : opts.taggedVersions === undefined
        ? versions
        : parseVersions(opts.taggedVersions)
  let makeDefault: () => unknown
  if ('default' in opts) {
    const d = opts.default
    makeDefault =
      d !== null && typeof d === 'object' && !Buffer.isBuffer(d) ? () => structuredClone(d) : () => d
  } else {
    makeDefault = typeDefault(type)
  }
  const flexibleVersions =
    opts.flexibleVersions === undefined ? ALL_VERSIONS : parseVersions(opts.flexibleVersions)
  return {
    name,
    type,
    versions,
    nullableVersions,
    taggedVersions,
    tag: opts.tag,
    flexibleVersions,
    makeDefault,
    about: opts.about,
  }
}

function scalar<T>(type: Type<T>) {
  function build<const N extends string>(name: N, arg?: string): Field<N, T>
  function build<const N extends string, const O extends FieldOptions<T | null>>(
    name: N,
    arg: O,
  ): Field<N, WithNull<T, O>>
  function build(name: string, arg?: FieldArg<unknown>): AnyField {
    return makeField(name, type.spec, arg)
  }
  return build
}

export const int8 = scalar(T.int8)
export const int16 = scalar(T.int16)
export const uint16 = scalar(T.uint16)
export const int32 = scalar(T.int32)
export const uint32 = scalar(T.uint32)
export const int64 = scalar(T.int64)
export const float64 = scalar(T.float64)
export const bool = scalar(T.bool)
export const uuid = scalar(T.uuid)
export const string = scalar(T.string)
export const bytes = scalar(T.bytes)
/** Record batches (or legacy message sets), kept as opaque bytes. */
export const records = scalar(T.records)

/** A struct type, usable as an array element or as the type of a struct field. */
export function struct<const F extends readonly AnyField[]>(fields: F): Type<StructOf<F>> {
  return { spec: { kind: 'struct', fields } }
}

type ElemOf<E> = E extends readonly AnyField[] ? StructOf<E> : E extends Type<infer X> ? X : never

/** An array of a primitive type (`T.int32`), of a struct type, or of a struct given by its fields. */
export function array<const N extends string, const E extends readonly AnyField[] | Type<unknown>>(
  name: N,
  elem: E,
  arg?: string,
): Field<N, ElemOf<E>[]>
export function array<
  const N extends string,
  const E extends readonly AnyField[] | Type<unknown>,
  const O extends FieldOptions<unknown>,
>(name: N, elem: E, arg: O): Field<N, WithNull<ElemOf<E>[], O>>
export function array(
  name: string,
  elem: readonly AnyField[] | Type<unknown>,
  arg?: FieldArg<unknown>,
): AnyField {
  const elemSpec: TypeSpec = Array.isArray(elem)
    ? { kind: 'struct', fields: elem as readonly AnyField[] }
    : (elem as Type<unknown>).spec
  return makeField(name, { kind: 'array', elem: elemSpec }, arg)
}

/** A field whose value is a single struct (Kafka's `"type": "SomeStruct"`). */
export function structField<
  const N extends string,
  const F extends readonly AnyField[],
  const O extends FieldOptions<unknown>,
>(name: N, fields: F, arg: O): Field<N, WithNull<StructOf<F>, O>>
export function structField<const N extends string, const F extends readonly AnyField[]>(
  name: N,
  fields: F,
  arg?: FieldArg<unknown>,
): Field<N, StructOf<F>>
export function structField(name: string, fields: readonly AnyField[], arg?: FieldArg<unknown>): AnyField {
  return makeField(name, { kind: 'struct', fields }, arg)
}

export interface MessageSchema<Tv> {
  readonly name: string
  readonly kind: 'request' | 'response' | 'data'
  readonly validVersions: VersionRange
  readonly flexibleVersions: VersionRange
  readonly fields: readonly AnyField[]
  readonly __value?: Tv
}

export interface MessageDef<F extends readonly AnyField[]> {
  readonly name: string
  readonly kind: 'request' | 'response' | 'data'
  readonly validVersions: string
  readonly flexibleVersions: string
  readonly fields: F
}

export function message<const F extends readonly AnyField[]>(def: MessageDef<F>): MessageSchema<StructOf<F>> {
  const schema: MessageSchema<StructOf<F>> = {
    name: def.name,
    kind: def.kind,
    validVersions: parseVersions(def.validVersions),
    flexibleVersions: parseVersions(def.flexibleVersions),
    fields: def.fields,
  }
  validateSchema(schema)
  return schema
}

function validateSchema(schema: MessageSchema<unknown>): void {
  const check = (fields: readonly AnyField[], path: string): void => {
    const names = new Set<string>()
    const tags = new Set<number>()
    for (const f of fields) {
      if (names.has(f.name)) throw new Error(`${path}: duplicate field ${f.name}`)
      names.add(f.name)
      if (f.tag !== undefined) {
        if (tags.has(f.tag)) throw new Error(`${path}.${f.name}: duplicate tag ${f.tag}`)
        tags.add(f.tag)
        const tv = f.taggedVersions
        const fv = schema.flexibleVersions
        if (tv.min < fv.min || tv.max > fv.max) {
          throw new Error(`${path}.${f.name}: tagged versions must be flexible versions`)
        }
      }
      let t: TypeSpec = f.type
      while (t.kind === 'array') t = t.elem
      if (t.kind === 'struct') check(t.fields, `${path}.${f.name}`)
    }
  }
  check(schema.fields, schema.name)
}
