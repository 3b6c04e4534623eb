/**
 * Samsa's schemas checked against an independent implementation of the protocol: @platformatic/kafka, which
 * hand-writes an encoder and a decoder per API version (the newest versions, flexible ones included).
 *
 * - Responses: for every API version both sides know, random values are encoded by Samsa and decoded by the
 *   client's own parser, which must consume every byte and read back the same values in the same order.
 * - Requests: the client encodes a request (see REQUESTS below); Samsa must decode it, consume every byte, and
 *   encode it again byte for byte.
 *
 * The client leaves tagged fields out (its reader skips a tagged-field section by its count, so it cannot read a
 * non-empty one), so the random values here keep tagged fields at their defaults; codec.test.ts covers tags.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { decodeBuffer, encodeToBuffer, isFlexible } from '../codec/codec.js'
import type { AnyField, MessageSchema, TypeSpec } from '../codec/schema.js'
import { inRange } from '../codec/versions.js'
import { ALL_APIS } from './index.js'

interface ClientWriter {
  readonly buffer: Buffer
}
interface ClientReader {
  position: number
  readonly length: number
}
interface ClientApiModule {
  readonly api: { readonly key: number; readonly version: number }
  readonly createRequest: (...args: unknown[]) => ClientWriter
  readonly parseResponse: (
    correlationId: number,
    apiKey: number,
    apiVersion: number,
    r: ClientReader,
  ) => unknown
}

// The package's exports map hides its per-API modules, so they are loaded from its folder.
const clientDist = fileURLToPath(new URL('../../../node_modules/@platformatic/kafka/dist', import.meta.url))
const { Reader: ClientReaderClass } = (await import(
  pathToFileURL(join(clientDist, 'protocol/reader.js')).href
)) as {
  Reader: { from(b: Buffer): ClientReader }
}

async function loadClientApis(): Promise<ClientApiModule[]> {
  const out: ClientApiModule[] = []
  const apisDir = join(clientDist, 'apis')
  for (const group of readdirSync(apisDir, { withFileTypes: true })) {
    if (!group.isDirectory()) continue
    for (const file of readdirSync(join(apisDir, group.name))) {
      if (!file.endsWith('.js') || file === 'index.js') continue
      const m = (await import(
        pathToFileURL(join(apisDir, group.name, file)).href
      )) as Partial<ClientApiModule>
      if (m.api && m.createRequest && m.parseResponse) out.push(m as ClientApiModule)
    }
  }
  return out.sort((a, b) => a.api.key - b.api.key || a.api.version - b.api.version)
}

const clientApis = await loadClientApis()
const samsaApi = (key: number) => ALL_APIS.find((a) => a.key === key)

/** A small seeded PRNG (mulberry32) so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function randomValue(
  spec: TypeSpec,
  nullable: boolean,
  version: number,
  next: () => number,
  depth: number,
): unknown {
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1))
  // null for nullable strings and bytes; arrays are never null here, because the client reads a null array as []
  if (nullable && spec.kind !== 'array' && next() < 0.2) return null
  switch (spec.kind) {
    case 'int8':
      return int(-128, 127)
    case 'int16':
      return int(-32768, 32767)
    case 'uint16':
      return int(0, 65535)
    case 'int32':
      return int(-(2 ** 31), 2 ** 31 - 1)
    case 'uint32':
      return int(0, 2 ** 32 - 1)
    case 'int64':
      return int(-(2 ** 53) + 1, 2 ** 53 - 1)
    case 'float64':
      return (next() - 0.5) * 1e6
    case 'bool':
      return next() < 0.5
    case 'uuid':
      return Buffer.from(Array.from({ length: 16 }, () => int(0, 255))).toString('base64url')
    case 'string':
      return ['', 'a', 'topic-1', 'ünïcødé ✓', 'x'.repeat(int(0, 40))][int(0, 4)]
    case 'bytes':
      return Buffer.from(Array.from({ length: int(0, 12) }, () => int(0, 255)))
    case 'records':
      return null
    case 'array': {
      const n = depth > 3 ? 0 : int(0, 3)
      return Array.from({ length: n }, () => randomValue(spec.elem, false, version, next, depth + 1))
    }
    case 'struct':
      return randomStruct(spec.fields, version, next, depth + 1)
  }
}

function randomStruct(
  fields: readonly AnyField[],
  version: number,
  next: () => number,
  depth: number,
): Record<string, unknown> {
  const o: Record<string, unknown> = {}
  for (const f of fields) {
    if (!inRange(f.versions, version)) continue
    if (f.tag !== undefined && inRange(f.taggedVersions, version)) continue // left at its default (see top)
    // Error codes from Kafka's table (the client builds an error object for each one it reads)
    o[f.name] = /errorCode$/.test(f.name)
      ? ERROR_CODES[Math.floor(next() * ERROR_CODES.length)]
      : randomValue(f.type, inRange(f.nullableVersions, version), version, next, depth)
  }
  return o
}

const ERROR_CODES = [0, 0, 0, 3, 6, 15, 16, 29, 87]

const uuidText = (b64: string): string =>
  Buffer.from(b64, 'base64url')
    .toString('hex')
    .replace(/(.{8})(.{4})(.{4})(.{4})(.{12})/, '$1-$2-$3-$4-$5')

/** The leaf values of a Samsa value in wire order (tagged fields left out), normalised for comparison. */
function samsaLeaves(
  fields: readonly AnyField[],
  version: number,
  v: Record<string, unknown>,
  out: unknown[],
): void {
  for (const f of fields) {
    if (!inRange(f.versions, version)) continue
    if (f.tag !== undefined && inRange(f.taggedVersions, version)) continue
    leaf(f.type, v[f.name], version, out)
  }
}
function leaf(spec: TypeSpec, x: unknown, version: number, out: unknown[]): void {
  if (spec.kind === 'records') return // opaque bytes, covered by the record batch tests
  if (x === null || x === undefined) {
    out.push(null)
    return
  }
  if (spec.kind === 'array') for (const e of x as unknown[]) leaf(spec.elem, e, version, out)
  else if (spec.kind === 'struct') samsaLeaves(spec.fields, version, x as Record<string, unknown>, out)
  else if (spec.kind === 'uuid') out.push(uuidText(x as string))
  else if (Buffer.isBuffer(x)) out.push(x.toString('hex'))
  else out.push(x)
}

/** The leaf values of the client's decoded object, in the order its parser read them. */
function clientLeaves(x: unknown, out: unknown[]): void {
  if (x === undefined) return // a field the parser declares but does not read in this version
  if (x === null) out.push(null)
  else if (typeof x === 'bigint') out.push(Number(x))
  else if (Buffer.isBuffer(x)) out.push(x.toString('hex'))
  else if (Array.isArray(x)) for (const e of x) clientLeaves(e, out)
  else if (x instanceof Map) for (const [k, e] of x) clientLeaves([k, e], out)
  else if (typeof x === 'object') for (const e of Object.values(x)) clientLeaves(e, out)
  else out.push(x)
}

function clientParse(m: ClientApiModule, bytes: Buffer): { value: unknown; consumed: number } {
  const r = ClientReaderClass.from(bytes)
  let value: unknown
  try {
    value = m.parseResponse(1, m.api.key, m.api.version, r)
  } catch (e) {
    // A response with error codes is thrown as a ResponseError carrying the parsed response.
    const response = (e as { response?: unknown }).response
    if (response === undefined) throw e
    value = response
  }
  return { value, consumed: r.position }
}

/**
 * Where the client's decoded object is not a plain mirror of the wire, with the reason; such versions are still
 * checked for consuming every byte.
 */
const SHAPE_DIFFERS: Record<string, string> = {
  'Produce v7': 'the client adds record_errors and error_message (v8+) with default values',
}

/**
 * Where the client's parser departs from Kafka's own message definitions (clients/src/main/resources/common/
 * message/*.json), checked field by field; Samsa follows Kafka's definitions there, so these are not compared.
 */
const CLIENT_DEPARTS: Record<string, string> = {
  'Metadata v9': 'the client does not read cluster_authorized_operations (Kafka: versions 8-10)',
  'Metadata v10': 'the client does not read cluster_authorized_operations (Kafka: versions 8-10)',
  'Metadata v11':
    'the client reads a boolean cluster_authorized_operations that Kafka removed in v11 (KIP-700)',
  'OffsetForLeaderEpoch v4': 'the client reads partition before error_code; Kafka has ErrorCode first',
  'DescribeConfigs v2': 'the client reads config_type and documentation, which Kafka has from v3 on',
  'OffsetDelete v0': 'the client reads compact strings/arrays; Kafka has OffsetDelete v0 non-flexible',
  'ConsumerGroupHeartbeat v0':
    'the client does not read the tagged-field section closing the Assignment struct',
  'ConsumerGroupDescribe v0': 'the client reads subscribed_topic_names as one string; Kafka: []string',
}

describe('responses encoded by Samsa decode in @platformatic/kafka', () => {
  const cases = clientApis.filter((m) => {
    const a = samsaApi(m.api.key)
    return a !== undefined && inRange(a.response.validVersions, m.api.version)
  })
  const departs = cases.filter((m) => CLIENT_DEPARTS[`${samsaApi(m.api.key)!.name} v${m.api.version}`])
  it('covers the APIs both sides implement', () => {
    expect(cases.length).toBeGreaterThan(70)
    expect(departs.length).toBe(Object.keys(CLIENT_DEPARTS).length) // no stale entries
  })
  for (const m of cases) {
    if (departs.includes(m)) continue
    const a = samsaApi(m.api.key)!
    const label = `${a.name} v${m.api.version}`
    it(label, () => {
      const schema = a.response as MessageSchema<unknown>
      const next = rng(m.api.key * 1000 + m.api.version)
      for (let i = 0; i < 25; i++) {
        const value = randomStruct(schema.fields, m.api.version, next, 0)
        const bytes = encodeToBuffer(schema, m.api.version, value)
        const parsed = clientParse(m, bytes)
        // The client's parsers stop before the message's own (empty) tagged-field section in flexible versions
        const trailer = isFlexible(schema, m.api.version) ? 1 : 0
        expect(parsed.consumed, `${label}: bytes the client read`).toBe(bytes.length - trailer)
        if (SHAPE_DIFFERS[label]) continue
        const want: unknown[] = []
        samsaLeaves(schema.fields, m.api.version, value, want)
        const got: unknown[] = []
        clientLeaves(parsed.value, got)
        if (process.env.CONFORMANCE_DEBUG && JSON.stringify(got) !== JSON.stringify(want))
          process.stderr.write(
            `${label}\n got ${JSON.stringify(got)}\nwant ${JSON.stringify(want)}\nparsed ${JSON.stringify(parsed.value, (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x))}\n`,
          )
        expect(got, `${label}: values`).toEqual(want)
      }
    })
  }
})

const id1 = '0b8c0e2e-5c4a-4f0e-9a59-3c7b1f2d4e61'
const id2 = 'f0e1d2c3-b4a5-9687-7869-5a4b3c2d1e0f'

/** Arguments for the client's request encoders, by API version: realistic values, nulls and empties included. */
const REQUESTS: Record<string, readonly unknown[]> = {
  'Produce v11': [
    -1,
    30000,
    [
      {
        topic: 't1',
        partition: 0,
        key: Buffer.from('k'),
        value: Buffer.from('v1'),
        timestamp: 1700000000000n,
      },
      {
        topic: 't1',
        partition: 2,
        value: Buffer.from('v2'),
        headers: new Map([[Buffer.from('h'), Buffer.from('x')]]),
        timestamp: 1n,
      },
      { topic: 'ünï', partition: 1, value: null, timestamp: 5n },
    ],
    { transactionalId: 'tx-1', producerId: 7n, producerEpoch: 2, compression: 'gzip' },
  ],
  'Fetch v17': [
    500,
    1,
    52428800,
    1,
    0,
    -1,
    [
      {
        topicId: id1,
        partitions: [
          {
            partition: 0,
            currentLeaderEpoch: 3,
            fetchOffset: 42n,
            lastFetchedEpoch: -1,
            partitionMaxBytes: 1048576,
          },
        ],
      },
    ],
    [{ topic: id2, partitions: [1, 2] }],
    'rack-a',
  ],
  'ListOffsets v9': [
    -1,
    1,
    [{ name: 't1', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2n }] }],
  ],
  'Metadata v12': [['t1', 'ünï'], true, true],
  'OffsetCommit v9': [
    'g1',
    5,
    'm-1',
    null,
    [
      {
        name: 't1',
        partitions: [
          { partitionIndex: 0, committedOffset: 9n, committedLeaderEpoch: -1, committedMetadata: null },
        ],
      },
    ],
  ],
  'OffsetFetch v9': [
    [{ groupId: 'g1', memberId: null, memberEpoch: -1, topics: [{ name: 't1', partitionIndexes: [0, 1] }] }],
    true,
  ],
  'FindCoordinator v6': [1, ['tx-1', 'tx-2']],
  'JoinGroup v9': [
    'g1',
    45000,
    300000,
    '',
    'instance-1',
    'consumer',
    [{ name: 'range', metadata: Buffer.from([0, 3, 0, 0]) }],
    'joining',
  ],
  'Heartbeat v4': ['g1', 3, 'm-1', null],
  'LeaveGroup v5': ['g1', [{ memberId: 'm-1', groupInstanceId: null, reason: 'bye' }]],
  'SyncGroup v5': [
    'g1',
    3,
    'm-1',
    null,
    'consumer',
    'range',
    [{ memberId: 'm-1', assignment: Buffer.from([1, 2]) }],
  ],
  'DescribeGroups v5': [['g1', 'g2'], true],
  'ListGroups v5': [['Stable'], ['classic']],
  'SaslHandshake v1': ['SCRAM-SHA-512'],
  'ApiVersions v4': ['samsa-test', '1.0.0'],
  'CreateTopics v7': [
    [
      {
        name: 't1',
        numPartitions: 3,
        replicationFactor: 1,
        assignments: [],
        configs: [{ name: 'cleanup.policy', value: 'compact' }],
      },
      {
        name: 't2',
        numPartitions: -1,
        replicationFactor: -1,
        assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }],
        configs: [],
      },
    ],
    30000,
    false,
  ],
  'DeleteTopics v6': [[{ name: 't1', topicId: id1 }], 30000],
  'DeleteRecords v2': [[{ name: 't1', partitions: [{ partitionIndex: 0, offset: 100n }] }], 30000],
  'InitProducerId v5': ['tx-1', 60000, -1n, -1],
  'OffsetForLeaderEpoch v4': [
    -1,
    [{ name: 't1', partitions: [{ partitionIndex: 0, currentLeaderEpoch: 2, leaderEpoch: 1 }] }],
  ],
  'AddPartitionsToTxn v5': [
    [
      {
        transactionalId: 'tx-1',
        producerId: 7n,
        producerEpoch: 2,
        verifyOnly: true,
        topics: [{ name: 't1', partitions: [0, 1] }],
      },
    ],
  ],
  'AddOffsetsToTxn v4': ['tx-1', 7n, 2, 'g1'],
  'EndTxn v4': ['tx-1', 7n, 2, true],
  'TxnOffsetCommit v4': [
    'tx-1',
    'g1',
    7n,
    2,
    3,
    'm-1',
    null,
    [
      {
        name: 't1',
        partitions: [
          { partitionIndex: 0, committedOffset: 10n, committedLeaderEpoch: -1, committedMetadata: '' },
        ],
      },
    ],
  ],
  'DescribeAcls v3': [2, 't1', 3, 'User:alice', null, 1, 3],
  'CreateAcls v3': [
    [
      {
        resourceType: 2,
        resourceName: 't',
        resourcePatternType: 4,
        principal: 'User:a',
        host: '*',
        operation: 3,
        permissionType: 3,
      },
    ],
  ],
  'DescribeConfigs v4': [
    [
      { resourceType: 2, resourceName: 't1', configurationKeys: null },
      { resourceType: 4, resourceName: '1', configurationKeys: ['log.retention.ms'] },
    ],
    true,
    false,
  ],
  'SaslAuthenticate v2': [Buffer.from('\u0000alice\u0000secret')],
  'CreatePartitions v3': [[{ name: 't1', count: 4, assignments: null }], 30000, true],
  'DeleteGroups v2': [['g1', 'g2']],
  'IncrementalAlterConfigs v1': [
    [
      {
        resourceType: 2,
        resourceName: 't1',
        configs: [
          { name: 'retention.ms', configOperation: 0, value: '1000' },
          { name: 'x', configOperation: 1, value: null },
        ],
      },
    ],
    false,
  ],
  'ListPartitionReassignments v0': [30000, [{ name: 't1', partitionIndexes: [0] }]],
  'AlterClientQuotas v1': [
    [
      {
        entities: [{ entityType: 'user', entityName: null }],
        ops: [{ key: 'producer_byte_rate', value: 1024, remove: false }],
      },
    ],
    true,
  ],
  'DescribeCluster v1': [true, 1],
  'DescribeProducers v0': [[{ name: 't1', partitionIndexes: [0, 1] }]],
  'DescribeTransactions v0': [['tx-1']],
  'ListTransactions v1': [['Ongoing'], [7n], 1000n],
  'ConsumerGroupHeartbeat v0': [
    'g1',
    'm-1',
    0,
    null,
    null,
    300000,
    ['t1'],
    'uniform',
    [{ topicId: id1, partitions: [0] }],
  ],
  'ConsumerGroupDescribe v0': [['g1'], true],
}

describe('requests encoded by @platformatic/kafka decode in Samsa and encode back byte for byte', () => {
  for (const [label, args] of Object.entries(REQUESTS)) {
    it(label, () => {
      const [name, v] = label.split(' v')
      const version = Number(v)
      const a = ALL_APIS.find((x) => x.name === name)!
      const m = clientApis.find((x) => x.api.key === a.key && x.api.version === version)
      expect(m, `the client encodes ${label}`).toBeDefined()
      const bytes = m!.createRequest(...structuredCloneArgs(args)).buffer
      const decoded = decodeBuffer(a.request as MessageSchema<unknown>, version, bytes)
      const again = encodeToBuffer(a.request as MessageSchema<unknown>, version, decoded as object)
      expect(again.toString('hex')).toBe(bytes.toString('hex'))
    })
  }
})

/** The client's encoders fill in defaults on the objects they are given; each test gets its own copy. */
function structuredCloneArgs(args: readonly unknown[]): unknown[] {
  return args.map((x) =>
    typeof x === 'object' && x !== null && !Buffer.isBuffer(x) ? structuredClone(x) : x,
  )
}
