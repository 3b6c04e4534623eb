/**
 * Samsa's schemas checked against kafka-python's (Debian's python3-kafka, /usr/bin/python3), an independent
 * declaration of the protocol as data: for every request and response version kafka-python declares and Samsa
 * implements, Samsa encodes a value (every field set, and every field at its emptiest), kafka-python decodes the
 * bytes with its own struct and encodes what it read again: it must read every byte and write the same bytes.
 * One Python process answers every case (conformance-kafka-python.py). kafka-python 2.0 knows no flexible version;
 * those are checked against @platformatic/kafka (conformance.test.ts).
 */
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { encodeToBuffer } from '../codec/codec.js'
import type { AnyField, MessageSchema, TypeSpec } from '../codec/schema.js'
import { inRange } from '../codec/versions.js'
import { ALL_APIS } from './index.js'
import { sampleStruct } from './test-samples.js'

type Kind = 'request' | 'response'
interface Case {
  readonly kind: Kind
  readonly key: number
  readonly version: number
  readonly hex: string
  readonly label: string
}
type Result = { consumed: number; hex: string } | { error: string }

/**
 * Where kafka-python 2.0's declaration differs from Kafka's (each checked against Kafka's JSON schemas), so that it
 * cannot read Samsa's bytes: the case, and why. A stale entry (a case that passes, or is not run) fails the test.
 */
const forgottenTopic =
  "kafka-python declares forgotten_topics_data's topic as the String class instead of String('utf-8') and cannot " +
  'read a non-empty list (FetchRequest.json: ForgottenTopicsData.Topic string, v7+)'
const leaderEpoch64 =
  'kafka-python declares current_leader_epoch Int64; Kafka: CurrentLeaderEpoch int32 (ListOffsetsRequest.json, v4+)'
const PYTHON_DEPARTS: Record<string, string> = {
  'Fetch request v7 (full)': forgottenTopic,
  'Fetch request v8 (full)': forgottenTopic,
  'Fetch request v9 (full)': forgottenTopic,
  'Fetch request v10 (full)': forgottenTopic,
  'Fetch request v11 (full)': forgottenTopic,
  'ListOffsets request v4 (full)': leaderEpoch64,
  'ListOffsets request v5 (full)': leaderEpoch64,
  'Produce response v8 (full)':
    "kafka-python leaves out the partition's RecordErrors and ErrorMessage (ProduceResponse.json, v8+)",
  'FindCoordinator response v1 (full)':
    'kafka-python leaves out ThrottleTimeMs, the first field from v1 (FindCoordinatorResponse.json)',
  'FindCoordinator response v1 (empty)':
    'kafka-python leaves out ThrottleTimeMs, the first field from v1 (FindCoordinatorResponse.json)',
  'DescribeGroups response v3 (full)':
    "kafka-python leaves out the group's AuthorizedOperations int32 (DescribeGroupsResponse.json, v3+)",
  'DescribeConfigs response v1 (full)':
    'kafka-python reads ConfigSource (int8, v1+) as the v0 IsDefault boolean (DescribeConfigsResponse.json)',
}

/** Every field at its emptiest: nullable values null, arrays empty, numbers 0, strings and bytes empty. */
function emptyStruct(fields: readonly AnyField[], version: number): Record<string, unknown> {
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

const script = fileURLToPath(new URL('./conformance-kafka-python.py', import.meta.url))

function runPython(cases: readonly Case[]): { known: [Kind, number, number][]; results: Result[] } {
  const out = execFileSync('/usr/bin/python3', [script], {
    input: JSON.stringify({
      cases: cases.map(({ kind, key, version, hex }) => ({ kind, key, version, hex })),
    }),
    maxBuffer: 64 * 1024 * 1024,
    timeout: 30_000,
  })
  return JSON.parse(out.toString('utf8')) as { known: [Kind, number, number][]; results: Result[] }
}

// First ask which versions kafka-python declares, then send it Samsa's bytes for each of them.
const known = runPython([]).known
const cases: Case[] = []
for (const [kind, key, version] of known) {
  const api = ALL_APIS.find((a) => a.key === key)
  const schema = (kind === 'request' ? api?.request : api?.response) as MessageSchema<unknown> | undefined
  if (schema === undefined || !inRange(schema.validVersions, version)) continue
  const label = `${api!.name} ${kind} v${version}`
  for (const [variant, value] of [
    ['full', sampleStruct(schema.fields, version, 0)],
    ['empty', emptyStruct(schema.fields, version)],
  ] as const) {
    const hex = encodeToBuffer(schema, version, value).toString('hex')
    cases.push({ kind, key, version, hex, label: `${label} (${variant})` })
  }
}
const results = runPython(cases).results

describe('Samsa-encoded bytes decode and encode back byte for byte in kafka-python', () => {
  it('covers what both sides implement', () => {
    expect(cases.length / 2).toBeGreaterThan(100)
    const labels = new Set(cases.map((c) => c.label))
    for (const label of Object.keys(PYTHON_DEPARTS)) expect(labels, `stale entry ${label}`).toContain(label)
  })
  cases.forEach((c, i) => {
    const r = results[i]!
    const agrees = (): boolean => !('error' in r) && r.consumed === c.hex.length / 2 && r.hex === c.hex
    if (PYTHON_DEPARTS[c.label] !== undefined) {
      it(`${c.label}: kafka-python departs from Kafka`, () =>
        expect(agrees(), PYTHON_DEPARTS[c.label]).toBe(false))
      return
    }
    it(c.label, () => {
      expect(r).not.toHaveProperty('error')
      const ok = r as { consumed: number; hex: string }
      expect(ok.consumed, 'bytes kafka-python read').toBe(c.hex.length / 2)
      expect(ok.hex, 'bytes kafka-python wrote back').toBe(c.hex)
    })
  })
})
