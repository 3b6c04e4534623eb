/**
 * Samsa's schemas checked against two independent declarations of the protocol as data, each with its own encoder
 * and decoder: kafka-python's (Debian's python3-kafka 2.0, /usr/bin/python3) and Sarama's (Debian's
 * golang-github-shopify-sarama-dev 1.22). For every request and response version the library declares and Samsa
 * implements, Samsa encodes a value (every field set, and every field at its emptiest), the library decodes the
 * bytes with its own declaration and encodes what it read again: it must read every byte and write the same bytes.
 * One process per library answers every case: conformance-kafka-python.py, and conformance-sarama/ built into
 * Sarama's package (Go, cached in node_modules/.cache). Neither library knows a flexible version; those are checked
 * against @platformatic/kafka (conformance.test.ts).
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  copyFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { encodeToBuffer } from '../codec/codec.js'
import type { MessageSchema } from '../codec/schema.js'
import { inRange } from '../codec/versions.js'
import { ALL_APIS } from './index.js'
import { emptyStruct, oneStruct, sampleStruct } from './test-samples.js'

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
 * Where a library's declaration differs from Kafka's (each checked against Kafka's JSON schemas), so that it cannot
 * read Samsa's bytes: the case, and why. A stale entry (a case that passes, or is not run) fails the test.
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

/** Sarama keeps less than the wire in its model of some messages, so what it writes back differs. */
const saramaRecords =
  "Sarama parses each partition's record set (it peeks the magic byte) and cannot read an empty one; the record " +
  'bytes are opaque to Samsa'
const saramaReplicaId = 'Sarama, a client, writes ReplicaId -1 whatever it read'
const saramaNoVersion =
  'Sarama does not keep the version it read in this response and writes v0 (it reads v1 right)'
const saramaCoordinator =
  'Sarama reads a coordinator with an empty host as none and writes NodeId -1, Port -1 back'
const saramaProtocols =
  'Sarama fills both GroupProtocols and OrderedGroupProtocols when it reads and then refuses to write both'
const SARAMA_DEPARTS: Record<string, string> = {
  ...Object.fromEntries([0, 1, 2, 3].map((v) => [`Produce request v${v} (one)`, saramaRecords])),
  ...Object.fromEntries(
    [0, 1, 2, 3, 4].flatMap((v) => [
      [`Fetch request v${v} (one)`, saramaReplicaId],
      [`Fetch request v${v} (empty)`, saramaReplicaId],
    ]),
  ),
  'ListOffsets response v1 (one)': saramaNoVersion,
  'DescribeAcls response v1 (one)': saramaNoVersion,
  'DeleteAcls response v1 (one)': saramaNoVersion,
  'FindCoordinator response v0 (empty)': saramaCoordinator,
  'FindCoordinator response v1 (empty)': saramaCoordinator,
  ...Object.fromEntries([0, 1, 2].map((v) => [`JoinGroup request v${v} (one)`, saramaProtocols])),
}

type Bridge = (cases: readonly Case[]) => { known: [Kind, number, number][]; results: Result[] }

function bridge(command: string, args: readonly string[]): Bridge {
  return (cases) => {
    const out = execFileSync(command, args, {
      input: JSON.stringify({
        cases: cases.map(({ kind, key, version, hex }) => ({ kind, key, version, hex })),
      }),
      maxBuffer: 64 * 1024 * 1024,
      timeout: 60_000,
    })
    return JSON.parse(out.toString('utf8')) as { known: [Kind, number, number][]; results: Result[] }
  }
}

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url))

const SARAMA_SOURCES = join(process.env.SARAMA_GOPATH ?? '/usr/share/gocode', 'src/github.com/Shopify/sarama')

/**
 * The Sarama bridge: conformance-sarama/samsa_conformance.go compiled into a copy of Sarama's package (links to
 * its sources) with GO111MODULE=off, and main.go beside it; built once per content of the two files.
 */
function saramaBridge(): string {
  const dir = here('./conformance-sarama')
  const files = ['samsa_conformance.go', 'main.go']
  const hash = createHash('sha256')
  for (const f of files) hash.update(readFileSync(join(dir, f)))
  const cache = here('../../../node_modules/.cache/samsa-conformance')
  const bin = join(cache, `sarama-${hash.digest('hex').slice(0, 16)}`)
  if (existsSync(bin)) return bin
  mkdirSync(cache, { recursive: true })
  const gopath = mkdtempSync(join(tmpdir(), 'samsa-sarama-'))
  try {
    const pkg = join(gopath, 'src/github.com/Shopify/sarama')
    const main = join(gopath, 'src/samsaconformance')
    mkdirSync(pkg, { recursive: true })
    mkdirSync(main, { recursive: true })
    for (const f of readdirSync(SARAMA_SOURCES))
      if (f.endsWith('.go') && !f.endsWith('_test.go')) symlinkSync(join(SARAMA_SOURCES, f), join(pkg, f))
    copyFileSync(join(dir, 'samsa_conformance.go'), join(pkg, 'samsa_conformance.go'))
    copyFileSync(join(dir, 'main.go'), join(main, 'main.go'))
    execFileSync('go', ['build', '-o', bin, '.'], {
      cwd: main,
      env: {
        ...process.env,
        GO111MODULE: 'off',
        GOPATH: `${gopath}:${join(SARAMA_SOURCES, '../../../..')}`,
        GOFLAGS: '',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 300_000,
    })
  } finally {
    rmSync(gopath, { recursive: true, force: true })
  }
  return bin
}

/** Samsa's bytes for every version both sides know, two values each (every field set; every field empty). */
type Variant = 'full' | 'one' | 'empty'

function casesFor(known: readonly [Kind, number, number][], variants: readonly Variant[]): Case[] {
  const cases: Case[] = []
  for (const [kind, key, version] of known) {
    const api = ALL_APIS.find((a) => a.key === key)
    const schema = (kind === 'request' ? api?.request : api?.response) as MessageSchema<unknown> | undefined
    if (schema === undefined || !inRange(schema.validVersions, version)) continue
    const label = `${api!.name} ${kind} v${version}`
    for (const variant of variants) {
      const value =
        variant === 'empty'
          ? emptyStruct(schema.fields, version)
          : variant === 'one'
            ? oneStruct(schema.fields, version, sampleStruct(schema.fields, version, 0))
            : sampleStruct(schema.fields, version, 0)
      const hex = encodeToBuffer(schema, version, value).toString('hex')
      cases.push({ kind, key, version, hex, label: `${label} (${variant})` })
    }
  }
  return cases.sort((a, b) => a.key - b.key || a.version - b.version || a.label.localeCompare(b.label))
}

function roundTrips(
  library: string,
  run: Bridge,
  variants: readonly Variant[],
  departs: Record<string, string>,
  atLeast: number,
): void {
  // First ask which versions the library declares, then send it Samsa's bytes for each of them.
  const cases = casesFor(run([]).known, variants)
  const results = run(cases).results
  describe(`Samsa-encoded bytes decode and encode back byte for byte in ${library}`, () => {
    it('covers what both sides implement', () => {
      expect(cases.length / variants.length).toBeGreaterThanOrEqual(atLeast)
      const labels = new Set(cases.map((c) => c.label))
      for (const label of Object.keys(departs)) expect(labels, `stale entry ${label}`).toContain(label)
    })
    cases.forEach((c, i) => {
      const r = results[i]!
      const agrees = (): boolean => !('error' in r) && r.consumed === c.hex.length / 2 && r.hex === c.hex
      if (departs[c.label] !== undefined) {
        it(`${c.label}: ${library} departs from Kafka`, () => expect(agrees(), departs[c.label]).toBe(false))
        return
      }
      it(c.label, () => {
        expect(r).not.toHaveProperty('error')
        const ok = r as { consumed: number; hex: string }
        expect(ok.consumed, `bytes ${library} read`).toBe(c.hex.length / 2)
        expect(ok.hex, `bytes ${library} wrote back`).toBe(c.hex)
      })
    })
  })
}

roundTrips(
  'kafka-python',
  bridge('/usr/bin/python3', [here('./conformance-kafka-python.py')]),
  ['full', 'empty'],
  PYTHON_DEPARTS,
  170,
)
roundTrips('Sarama', bridge(saramaBridge(), []), ['one', 'empty'], SARAMA_DEPARTS, 50)
