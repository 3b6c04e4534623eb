/**
 * The response to a request that failed as a whole, built from the request and the response schema — Kafka's
 * `AbstractRequest.getErrorResponse`. Each API declares its shape as data next to its schema (`api({ ...,
 * errorResponse })` in messages/NN-name.ts): which response fields carry the error, which response arrays
 * mirror which request arrays (one entry per requested topic, partition, group, resource, ...), and the
 * sentinel values Kafka puts beside the error (offsets -1, empty names). Every field not named takes its schema
 * default. The dispatcher uses this for any error a handler throws, so handlers contain only their success path.
 *
 *   errorResponse: {
 *     set: { errorCode: 'code' },                       // top-level error code
 *     mirror: {
 *       topics: {                                       // response array ...
 *         from: 'topics',                               // ... with one entry per element of this request array
 *         set: { name: { copy: 'name' } },              // a field copied from the request element
 *         mirror: { partitions: { from: 'partitions', set: { partitionIndex: { copy: 'partitionIndex' },
 *                                                            errorCode: 'code', offset: { value: -1 } } } },
 *       },
 *     },
 *   }
 *
 * `from` may be a dotted path to flatten nested request arrays ('topicStates.partitionStates'), or several
 * paths whose elements are concatenated; a path whose field does not exist in the request's version
 * contributes nothing, and a null array counts as empty. `copy` looks the field up in the request element
 * being mirrored, then in the enclosing ones ('.' is the element itself, for arrays of strings or numbers).
 */
import { inRange, parseVersions } from './codec/versions.js'
import type { AnyField, Input, MessageSchema, TypeSpec } from './codec/schema.js'
import { ErrorCode, errorInfo, KafkaError } from './errors.js'

/** What Kafka's `ApiError.fromThrowable` keeps of a thrown error. */
export interface ApiError {
  readonly code: number
  /** The thrown message when it adds to the code's default message; never for UNKNOWN_SERVER_ERROR. */
  readonly message: string | null
}

export function apiErrorOf(e: unknown): ApiError {
  if (!(e instanceof KafkaError)) return { code: ErrorCode.UNKNOWN_SERVER_ERROR, message: null }
  const generic = e.code === ErrorCode.UNKNOWN_SERVER_ERROR || e.message === errorInfo(e.code).message
  return { code: e.code, message: generic ? null : e.message }
}

export type ErrorValue =
  /** The error code. */
  | 'code'
  /** Kafka's `ApiError.message()`: the thrown message, or null when it adds nothing. */
  | 'message'
  /** The error code's own message (`Errors.message()`), whatever was thrown. */
  | 'defaultMessage'
  /** A field of the request element being mirrored or of an enclosing one; '.' is the element itself. */
  | { readonly copy: string; readonly ifNull?: unknown }
  /** A constant (only in these versions, when given; the field's default in the others). */
  | { readonly value: unknown; readonly versions?: string }

export interface ErrorShape {
  /** Response fields at this level and their values. */
  readonly set?: Readonly<Record<string, ErrorValue>>
  /** Response arrays at this level, mirrored from request arrays. */
  readonly mirror?: Readonly<Record<string, Mirror | readonly Mirror[]>>
}

export interface Mirror extends ErrorShape {
  /** The request array(s) whose elements become entries of the response array (see above). */
  readonly from: string | readonly string[]
  /** Versions this mirror applies to (default: every version in which the response array exists). */
  readonly versions?: string
  /** Repeated entries are dropped and the rest sorted by this response field (Kafka collects them in a set). */
  readonly distinctBy?: string
}

export interface ErrorResponseShape extends ErrorShape {
  /** No response at all (the connection is closed) when this top-level request field has this value. */
  readonly noResponseIf?: { readonly field: string; readonly value: unknown }
}

/** The error response of most APIs: the error in the top-level error code, everything else default. */
export const TOP_LEVEL_ERROR_CODE: ErrorResponseShape = { set: { errorCode: 'code' } }

interface Scope {
  /** The fields of the request element (null for a string or number element). */
  readonly fields: readonly AnyField[] | null
  readonly value: unknown
}

const list = <T>(x: T | readonly T[]): readonly T[] => (Array.isArray(x) ? (x as readonly T[]) : [x as T])

function structFields(spec: TypeSpec): readonly AnyField[] | null {
  let t = spec
  while (t.kind === 'array') t = t.elem
  return t.kind === 'struct' ? t.fields : null
}

/**
 * The error response of `request` (decoded at `version`) for `error`, or null when Kafka sends none (the
 * connection is closed instead).
 */
export function buildErrorResponse<Req, Res>(
  api: {
    readonly request: MessageSchema<Req>
    readonly response: MessageSchema<Res>
    readonly errorResponse: ErrorResponseShape
  },
  version: number,
  request: Req,
  error: ApiError,
): Input<Res> | null {
  const shape = api.errorResponse
  const top = request as Record<string, unknown>
  if (shape.noResponseIf && top[shape.noResponseIf.field] === shape.noResponseIf.value) return null
  const scopes: Scope[] = [{ fields: api.request.fields, value: request }]
  return build(shape, api.response.fields, scopes, version, error) as Input<Res>
}

function build(
  shape: ErrorShape,
  resFields: readonly AnyField[],
  scopes: readonly Scope[],
  version: number,
  error: ApiError,
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, v] of Object.entries(shape.set ?? {})) {
    const x = valueOf(v, scopes, version, error)
    if (x !== undefined) out[name] = x
  }
  for (const [name, mirrors] of Object.entries(shape.mirror ?? {})) {
    const field = resFields.find((f) => f.name === name)!
    if (!inRange(field.versions, version)) continue
    const elemFields = structFields(field.type)!
    let entries: Record<string, unknown>[] = []
    for (const m of list(mirrors)) {
      if (m.versions !== undefined && !inRange(parseVersions(m.versions), version)) continue
      for (const path of list(m.from)) {
        for (const chain of elements(path.split('.'), scopes, version)) {
          entries.push(build(m, elemFields, chain, version, error))
        }
      }
      if (m.distinctBy !== undefined) {
        const key = m.distinctBy
        const seen = new Map<unknown, Record<string, unknown>>()
        for (const e of entries) if (!seen.has(e[key])) seen.set(e[key], e)
        entries = [...seen.values()].sort((a, b) => String(a[key]).localeCompare(String(b[key])))
      }
    }
    out[name] = entries
  }
  return out
}

/** Every element reached by a path of request arrays, each with its chain of enclosing elements. */
function elements(path: readonly string[], scopes: readonly Scope[], version: number): Scope[][] {
  const [head, ...rest] = path
  const f = scopes[0]!.fields?.find((x) => x.name === head)
  if (!f || !inRange(f.versions, version)) return []
  const arr = (scopes[0]!.value as Record<string, unknown>)[head!] as readonly unknown[] | null
  const fields = structFields(f.type)
  const out: Scope[][] = []
  for (const value of arr ?? []) {
    const chain = [{ fields, value }, ...scopes]
    if (rest.length === 0) out.push(chain)
    else out.push(...elements(rest, chain, version))
  }
  return out
}

function valueOf(v: ErrorValue, scopes: readonly Scope[], version: number, error: ApiError): unknown {
  if (v === 'code') return error.code
  if (v === 'message') return error.message
  if (v === 'defaultMessage') return errorInfo(error.code).message
  if ('value' in v) {
    return v.versions === undefined || inRange(parseVersions(v.versions), version) ? v.value : undefined
  }
  if (v.copy === '.') return scopes[0]!.value
  for (const s of scopes) {
    const f = s.fields?.find((x) => x.name === v.copy)
    if (f && inRange(f.versions, version)) {
      const x = (s.value as Record<string, unknown>)[v.copy]
      return x === null && 'ifNull' in v ? v.ifNull : x
    }
  }
  return undefined
}

/** Checks, once when an API is declared, that every name in its error shape exists in its schemas. */
export function checkErrorShape(
  what: string,
  shape: ErrorResponseShape,
  request: MessageSchema<unknown>,
  response: MessageSchema<unknown>,
): void {
  if (shape.noResponseIf && !request.fields.some((f) => f.name === shape.noResponseIf!.field)) {
    throw new Error(`${what}: no request field ${shape.noResponseIf.field}`)
  }
  check(what, shape, response.fields, [request.fields])
}

function check(
  what: string,
  shape: ErrorShape,
  resFields: readonly AnyField[],
  reqScopes: readonly (readonly AnyField[] | null)[],
): void {
  for (const [name, v] of Object.entries(shape.set ?? {})) {
    if (!resFields.some((f) => f.name === name)) throw new Error(`${what}: no response field ${name}`)
    if (typeof v === 'object' && 'copy' in v && v.copy !== '.') {
      if (!reqScopes.some((s) => s?.some((f) => f.name === v.copy)))
        throw new Error(`${what}: ${name} copies ${v.copy}, which no enclosing request element has`)
    }
  }
  for (const [name, mirrors] of Object.entries(shape.mirror ?? {})) {
    const field = resFields.find((f) => f.name === name)
    const elemFields = field && field.type.kind === 'array' ? structFields(field.type) : null
    if (!elemFields) throw new Error(`${what}: ${name} is not an array of structs in the response`)
    for (const m of list(mirrors)) {
      for (const path of list(m.from)) {
        let scopes = reqScopes
        for (const seg of path.split('.')) {
          const f = scopes[0]?.find((x) => x.name === seg)
          if (!f || f.type.kind !== 'array')
            throw new Error(`${what}: ${name} from ${path}: no request array ${seg}`)
          scopes = [structFields(f.type), ...scopes]
        }
        check(`${what}.${name}`, m, elemFields, scopes)
      }
    }
  }
}

export interface PerPartitionNames {
  /** Response topic array (default 'topics') and the request's (default: the same name). */
  readonly topics?: string
  readonly fromTopics?: string
  /** Topic name field of both (default 'name'). */
  readonly name?: string
  /** Response partition array (default 'partitions') and the request's (default: the same name). */
  readonly partitions?: string
  readonly fromPartitions?: string
  /** Partition index field of the response (default 'partitionIndex') and of the request ('.' for an array of
   * indexes; default: the same name). */
  readonly index?: string
  readonly fromIndex?: string
}

/**
 * The most common shape: one entry per requested topic (its name copied), each with one entry per requested
 * partition (its index copied) carrying `set`.
 */
export function perPartition(
  set: Readonly<Record<string, ErrorValue>>,
  n: PerPartitionNames = {},
): Readonly<Record<string, Mirror>> {
  const topics = n.topics ?? 'topics'
  const name = n.name ?? 'name'
  const partitions = n.partitions ?? 'partitions'
  const index = n.index ?? 'partitionIndex'
  return {
    [topics]: {
      from: n.fromTopics ?? topics,
      set: { [name]: { copy: name } },
      mirror: {
        [partitions]: {
          from: n.fromPartitions ?? partitions,
          set: { [index]: { copy: n.fromIndex ?? index }, ...set },
        },
      },
    },
  }
}
