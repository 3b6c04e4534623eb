/**
 * Property tests of every request and response schema at every version (fast-check):
 *  - decoding arbitrary bytes, and valid encodings with bytes changed, cut short or lengthened, either yields a
 *    value or throws DecodeError — never another exception (a RangeError from a Buffer read, an allocation of a
 *    length taken from the wire, ...), which would be a broker bug rather than a bad client;
 *  - any value the schema allows (random numbers in each type's range, strings, bytes, nulls where nullable,
 *    arrays, nested structs, tagged fields) encodes, decodes to the same value and re-encodes to the same bytes,
 *    and the time-sliced codec (decodeSliced/encodeSliced, for huge messages) reads and writes the same.
 * The number of runs per schema and version is FUZZ_RUNS (default 15; `FUZZ_RUNS=2000 npx vitest run
 * src/protocol/messages/fuzz.test.ts` for a long run); a failure prints fast-check's seed and shrunk input.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { TimeSlicer } from '../../util/time-slicer.js'
import { decodeBuffer, decodeSliced, encodeSliced, encodeToBuffer } from '../codec/codec.js'
import { Reader } from '../codec/reader.js'
import { Writer } from '../codec/writer.js'
import { DecodeError } from '../codec/errors.js'
import type { AnyField, MessageSchema, TypeSpec } from '../codec/schema.js'
import { inRange } from '../codec/versions.js'
import { ALL_APIS } from './index.js'
import { project, sampleStruct } from './test-samples.js'

const RUNS = Number(process.env.FUZZ_RUNS ?? 15)

const bytesArb = (max: number): fc.Arbitrary<Buffer> =>
  fc.uint8Array({ maxLength: max }).map((b) => Buffer.from(b))

function typeArb(spec: TypeSpec, version: number, depth: number): fc.Arbitrary<unknown> {
  switch (spec.kind) {
    case 'int8':
      return fc.integer({ min: -128, max: 127 })
    case 'int16':
      return fc.integer({ min: -32768, max: 32767 })
    case 'uint16':
      return fc.integer({ min: 0, max: 65535 })
    case 'int32':
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })
    case 'uint32':
      return fc.integer({ min: 0, max: 2 ** 32 - 1 })
    case 'int64':
      return fc.maxSafeInteger()
    case 'float64':
      return fc.double()
    case 'bool':
      return fc.boolean()
    case 'uuid':
      return fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('base64url'))
    case 'string':
      return fc.string({ unit: 'grapheme', maxLength: 12 })
    case 'bytes':
    case 'records':
      return bytesArb(24)
    case 'array':
      return fc.array(typeArb(spec.elem, version, depth + 1), { maxLength: depth >= 3 ? 0 : 3 })
    case 'struct':
      return structArb(spec.fields, version, depth + 1)
  }
}

function structArb(
  fields: readonly AnyField[],
  version: number,
  depth: number,
): fc.Arbitrary<Record<string, unknown>> {
  const model: Record<string, fc.Arbitrary<unknown>> = {}
  for (const f of fields) {
    if (!inRange(f.versions, version)) continue
    const a = typeArb(f.type, version, depth)
    model[f.name] = inRange(f.nullableVersions, version) ? fc.option(a, { nil: null, freq: 4 }) : a
  }
  return fc.record(model)
}

/** A valid encoding with damage: bytes replaced, cut at a point, or bytes inserted. */
function damaged(valid: Buffer): fc.Arbitrary<Buffer> {
  const n = Math.max(valid.length, 1)
  const replace = fc
    .array(fc.tuple(fc.nat({ max: n - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })
    .map((edits) => {
      const b = Buffer.from(valid)
      for (const [i, v] of edits) if (i < b.length) b[i] = v
      return b
    })
  const cut = fc.nat({ max: valid.length }).map((i) => valid.subarray(0, i))
  const insert = fc
    .tuple(fc.nat({ max: valid.length }), bytesArb(8))
    .map(([i, extra]) => Buffer.concat([valid.subarray(0, i), extra, valid.subarray(i)]))
  return fc.oneof(replace, cut, insert)
}

function decodesOrRefuses(schema: MessageSchema<unknown>, version: number, bytes: Buffer): void {
  try {
    decodeBuffer(schema, version, bytes)
  } catch (e) {
    if (!(e instanceof DecodeError)) {
      throw new Error(
        `${schema.name} v${version}: ${String(e)} (not a DecodeError) decoding ${bytes.toString('hex')}`,
        { cause: e },
      )
    }
  }
}

/** The request and response schemas of an API at each of its versions. */
const schemasOf = (
  a: (typeof ALL_APIS)[number],
): Array<{ schema: MessageSchema<unknown>; version: number }> => {
  const out: Array<{ schema: MessageSchema<unknown>; version: number }> = []
  for (let v = a.request.validVersions.min; v <= a.request.validVersions.max; v++) {
    out.push({ schema: a.request, version: v }, { schema: a.response, version: v })
  }
  return out
}

/** Generous: a long run (FUZZ_RUNS) on a busy machine. */
const TIMEOUT_MS = 20_000 + RUNS * 400

describe('every schema at every version, fuzzed', () => {
  for (const a of ALL_APIS) {
    const versions = `v${a.request.validVersions.min}-${a.request.validVersions.max}`
    it(
      `${a.name} ${versions}: decoding arbitrary or damaged bytes throws DecodeError or nothing`,
      () => {
        for (const { schema, version } of schemasOf(a)) {
          const valid = encodeToBuffer(schema, version, sampleStruct(schema.fields, version, 0))
          fc.assert(
            fc.property(fc.oneof(bytesArb(96), damaged(valid)), (bytes) =>
              decodesOrRefuses(schema, version, bytes),
            ),
            { numRuns: RUNS * 2 },
          )
        }
      },
      TIMEOUT_MS,
    )

    it(
      `${a.name} ${versions}: any value the schema allows round-trips`,
      async () => {
        for (const { schema, version } of schemasOf(a)) {
          await fc.assert(
            fc.asyncProperty(structArb(schema.fields, version, 0), async (value) => {
              const bytes = encodeToBuffer(schema, version, value)
              const decoded = decodeBuffer(schema, version, bytes) as Record<string, unknown>
              expect(project(schema.fields, version, decoded), `${schema.name} v${version}`).toEqual(value)
              expect(encodeToBuffer(schema, version, decoded).equals(bytes)).toBe(true)
              // the time-sliced codec (huge requests and responses) reads and writes the same
              const r = new Reader(bytes)
              expect(await decodeSliced(schema, version, r, new TimeSlicer(0))).toEqual(decoded)
              expect(r.remaining).toBe(0)
              const w = new Writer()
              await encodeSliced(schema, version, decoded, w, new TimeSlicer(0))
              expect(w.toBuffer().equals(bytes)).toBe(true)
            }),
            { numRuns: RUNS },
          )
        }
      },
      TIMEOUT_MS,
    )
  }
})
