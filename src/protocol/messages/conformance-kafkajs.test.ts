/**
 * Samsa's schemas checked against kafkajs, used live: an independent client with its own hand-written encoder per
 * request version and decoder per response version (node_modules/kafkajs/src/protocol/requests/<api>/v<N>/).
 *
 * - Requests: for every version kafkajs implements, kafkajs encodes a request (ARGS below: realistic values, nulls
 *   and empties included); Samsa decodes it with its schema, reads every byte, and encodes it again byte for byte.
 * - Responses: for the same versions, Samsa encodes a value (every field set; every field at its emptiest) and
 *   kafkajs's decoder reads it; it must read every byte (its Decoder is watched to see where it stopped).
 *
 * kafkajs knows two flexible versions (AlterPartitionReassignments v0, ListPartitionReassignments v0); it writes
 * and reads the header's tagged-field section as part of the body, so that byte is moved across here. Where
 * kafkajs departs from Kafka, the case is listed with the reason; a stale entry fails.
 */
import { readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { decodeBuffer, encodeToBuffer, isFlexible } from '../codec/codec.js'
import type { AnyField, MessageSchema } from '../codec/schema.js'
import { inRange } from '../codec/versions.js'
import { ALL_APIS } from './index.js'
import { emptyStruct, sampleStruct } from './test-samples.js'

const require = createRequire(import.meta.url)
const requestsDir = fileURLToPath(
  new URL('../../../node_modules/kafkajs/src/protocol/requests', import.meta.url),
)
const kafkajs = (p: string): unknown => require(join(requestsDir, '..', p))

interface KjsEncoder {
  readonly buffer: Buffer
}
interface KjsRequest {
  readonly apiKey: number
  readonly apiVersion: number
  readonly encode: () => Promise<KjsEncoder>
}
type KjsRequestFn = (args: unknown) => KjsRequest
interface KjsResponse {
  readonly decode: (raw: Buffer) => Promise<unknown>
}
/** Most response modules are the decoder; some are a function of the request's arguments returning it. */
type KjsResponseModule = KjsResponse | ((args: unknown) => KjsResponse)

/**
 * Every kafkajs Decoder sets its `offset` in its constructor and moves it on each read; an accessor on the
 * prototype sees them all, so the one reading the response buffer tells how far the response decoder read.
 */
const Decoder = kafkajs('decoder.js') as { prototype: object }
const offsets = new WeakMap<object, number>()
const decoders = new Map<Buffer, object>()
Object.defineProperty(Decoder.prototype, 'offset', {
  configurable: true,
  get(this: object): number {
    return offsets.get(this) ?? 0
  },
  set(this: { buffer: Buffer }, v: number) {
    offsets.set(this, v)
    if (!decoders.has(this.buffer)) decoders.set(this.buffer, this)
  },
})

async function kafkajsDecode(
  response: KjsResponse,
  raw: Buffer,
): Promise<{ consumed: number; error?: string }> {
  decoders.clear()
  try {
    await response.decode(raw)
  } catch (e) {
    return { consumed: offsets.get(decoders.get(raw) ?? {}) ?? 0, error: String(e) }
  }
  return { consumed: offsets.get(decoders.get(raw) ?? {}) ?? 0 }
}

const KjsEncoderClass = kafkajs('encoder.js') as new () => { writeBytes(v: string): KjsEncoder }
const topics1 = [{ topic: 't1', partitions: [0, 2] }]
const assignment = Buffer.from([0, 0, 0, 0, 0, 1, 0, 2, 't'.charCodeAt(0), 0])

/** kafkajs's request arguments, by its folder name: one object holds what every version of that API reads. */
const ARGS: Record<string, unknown> = {
  addOffsetsToTxn: { transactionalId: 'tx-1', producerId: '7', producerEpoch: 2, groupId: 'g1' },
  addPartitionsToTxn: {
    transactionalId: 'tx-1',
    producerId: '7',
    producerEpoch: 2,
    topics: [
      { topic: 't1', partitions: [0, 1] },
      { topic: 'ünï', partitions: [] },
    ],
  },
  alterConfigs: {
    resources: [
      { type: 2, name: 't1', configEntries: [{ name: 'retention.ms', value: '1000' }] },
      { type: 4, name: '1', configEntries: [] },
    ],
    validateOnly: true,
  },
  alterPartitionReassignments: {
    topics: [{ topic: 't1', partitionAssignment: [{ partition: 0, replicas: [1, 2] }] }],
    timeout: 30000,
  },
  apiVersions: {},
  createAcls: {
    creations: [
      {
        resourceType: 2,
        resourceName: 't',
        resourcePatternType: 3,
        principal: 'User:a',
        host: '*',
        operation: 3,
        permissionType: 3,
      },
    ],
  },
  createPartitions: {
    topicPartitions: [
      { topic: 't1', count: 4, assignments: [[1, 2]] },
      { topic: 't2', count: 2 },
    ],
    validateOnly: true,
    timeout: 30000,
  },
  createTopics: {
    topics: [
      {
        topic: 't1',
        numPartitions: 3,
        replicationFactor: 1,
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
      },
      { topic: 't2', replicaAssignment: [{ partition: 0, replicas: [1, 2] }] },
    ],
    validateOnly: true,
    timeout: 30000,
  },
  deleteAcls: {
    filters: [
      {
        resourceType: 1,
        resourceName: null,
        resourcePatternType: 1,
        principal: 'User:a',
        host: null,
        operation: 1,
        permissionType: 1,
      },
    ],
  },
  deleteGroups: ['g1', 'g2'],
  deleteRecords: { topics: [{ topic: 't1', partitions: [{ partition: 0, offset: '100' }] }], timeout: 30000 },
  deleteTopics: { topics: ['t1', 'ünï'], timeout: 30000 },
  describeAcls: {
    resourceType: 2,
    resourceName: 't1',
    resourcePatternType: 3,
    principal: null,
    host: '*',
    operation: 1,
    permissionType: 3,
  },
  describeConfigs: {
    resources: [
      { type: 2, name: 't1' },
      { type: 4, name: '1', configNames: ['log.retention.ms'] },
    ],
    includeSynonyms: true,
  },
  describeGroups: { groupIds: ['g1', 'g2'] },
  endTxn: { transactionalId: 'tx-1', producerId: '7', producerEpoch: 2, transactionResult: true },
  fetch: {
    replicaId: -1,
    maxWaitTime: 500,
    minBytes: 1,
    maxBytes: 52428800,
    isolationLevel: 1,
    sessionId: 3,
    sessionEpoch: 4,
    rackId: 'rack-a',
    topics: [
      {
        topic: 't1',
        partitions: [
          { partition: 0, currentLeaderEpoch: 3, fetchOffset: '42', logStartOffset: '2', maxBytes: 1048576 },
          { partition: 1, fetchOffset: '0', maxBytes: 1 },
        ],
      },
    ],
    forgottenTopics: topics1,
  },
  findCoordinator: { groupId: 'g1', coordinatorKey: 'tx-1', coordinatorType: 1 },
  heartbeat: { groupId: 'g1', groupGenerationId: 3, memberId: 'm-1', groupInstanceId: 'i-1' },
  initProducerId: { transactionalId: 'tx-1', transactionTimeout: 60000 },
  joinGroup: {
    groupId: 'g1',
    sessionTimeout: 45000,
    rebalanceTimeout: 300000,
    memberId: '',
    groupInstanceId: 'instance-1',
    protocolType: 'consumer',
    groupProtocols: [{ name: 'range', metadata: Buffer.from([0, 3, 0, 0]) }, { name: 'roundrobin' }],
  },
  leaveGroup: {
    groupId: 'g1',
    memberId: 'm-1',
    members: [{ memberId: 'm-1' }, { memberId: 'm-2', groupInstanceId: 'i-2' }],
  },
  listGroups: {},
  listOffsets: {
    replicaId: -1,
    isolationLevel: 1,
    topics: [{ topic: 't1', partitions: [{ partition: 0, timestamp: '-2' }, { partition: 1 }] }],
  },
  listPartitionReassignments: { topics: [{ topic: 't1', partitions: [0, 1] }], timeout: 30000 },
  metadata: { topics: ['t1', 'ünï'], allowAutoTopicCreation: false },
  offsetCommit: {
    groupId: 'g1',
    groupGenerationId: 5,
    memberId: 'm-1',
    retentionTime: '-1',
    topics: [
      {
        topic: 't1',
        partitions: [
          { partition: 0, offset: '9', timestamp: '1700000000000', metadata: 'md' },
          { partition: 1, offset: '0' },
        ],
      },
    ],
  },
  offsetFetch: { groupId: 'g1', topics: [{ topic: 't1', partitions: [{ partition: 0 }, { partition: 1 }] }] },
  produce: {
    acks: -1,
    timeout: 30000,
    transactionalId: 'tx-1',
    producerId: '7',
    producerEpoch: 2,
    topicData: [
      {
        topic: 't1',
        partitions: [
          {
            partition: 0,
            firstSequence: 0,
            messages: [
              { key: 'k', value: 'v1', timestamp: 1700000000000, headers: { h: 'x' } },
              { key: null, value: null, timestamp: 1700000000001 },
            ],
          },
        ],
      },
    ],
  },
  // kafkajs's SASL mechanisms hand over the bytes already framed (int32 size first), as here
  saslAuthenticate: { authBytes: new KjsEncoderClass().writeBytes('\u0000alice\u0000secret').buffer },
  saslHandshake: { mechanism: 'SCRAM-SHA-512' },
  syncGroup: {
    groupId: 'g1',
    generationId: 3,
    memberId: 'm-1',
    groupInstanceId: 'i-1',
    groupAssignment: [
      { memberId: 'm-1', memberAssignment: assignment },
      { memberId: 'm-2', memberAssignment: Buffer.alloc(0) },
    ],
  },
  txnOffsetCommit: {
    transactionalId: 'tx-1',
    groupId: 'g1',
    producerId: '7',
    producerEpoch: 2,
    topics: [{ topic: 't1', partitions: [{ partition: 0, offset: '10', metadata: null }] }],
  },
}

/** Where kafkajs departs from Kafka's message definitions, by case label, with the reason. */
const noClosingTags =
  "kafkajs's decoder stops before the response's closing tagged-field section (it reads the header's, not the body's)"
const DEPARTS: Record<string, string> = {
  'AlterPartitionReassignments response v0 (full)': noClosingTags,
  'AlterPartitionReassignments response v0 (empty)': noClosingTags,
  'ListPartitionReassignments response v0 (full)': noClosingTags,
  'ListPartitionReassignments response v0 (empty)': noClosingTags,
}

interface Version {
  readonly dir: string
  readonly version: number
}
const versions: Version[] = readdirSync(requestsDir, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) =>
    readdirSync(join(requestsDir, d.name))
      .filter((v) => /^v\d+$/.test(v))
      .map((v) => ({ dir: d.name, version: Number(v.slice(1)) })),
  )
  .sort((a, b) => a.dir.localeCompare(b.dir) || a.version - b.version)

const apiByKey = (key: number) => ALL_APIS.find((a) => a.key === key)

interface Case {
  readonly label: string
  readonly run: () => Promise<void>
}
const cases: Case[] = []
const uncovered: string[] = []

for (const { dir, version } of versions) {
  const requestFn = require(join(requestsDir, dir, `v${version}`, 'request.js')) as KjsRequestFn
  const responseModule = require(join(requestsDir, dir, `v${version}`, 'response.js')) as KjsResponseModule
  const response = typeof responseModule === 'function' ? responseModule(ARGS[dir]) : responseModule
  const probe = requestFn(clone(ARGS[dir] ?? {}))
  const api = apiByKey(probe.apiKey)
  if (api === undefined || !inRange(api.request.validVersions, version)) {
    uncovered.push(`${dir} v${version}`)
    continue
  }
  const request = api.request as MessageSchema<unknown>
  const responseSchema = api.response as MessageSchema<unknown>
  const flexible = isFlexible(request, version)
  cases.push({
    label: `${api.name} request v${version}`,
    run: async () => {
      expect(ARGS[dir], `ARGS for ${dir}`).toBeDefined()
      let bytes = (await requestFn(clone(ARGS[dir])).encode()).buffer
      if (flexible) {
        expect(bytes[0], 'the header tagged-field section kafkajs writes first').toBe(0)
        bytes = bytes.subarray(1)
      }
      const decoded = decodeBuffer(request, version, bytes)
      const again = encodeToBuffer(request, version, decoded as object)
      expect(again.toString('hex')).toBe(bytes.toString('hex'))
    },
  })
  for (const variant of ['full', 'empty'] as const) {
    cases.push({
      label: `${api.name} response v${version} (${variant})`,
      run: async () => {
        const value =
          variant === 'full'
            ? sampleStruct(responseSchema.fields, version, 0)
            : emptyStruct(responseSchema.fields, version)
        const body = encodeToBuffer(responseSchema, version, noRecords(responseSchema.fields, version, value))
        const raw = flexible ? Buffer.concat([Buffer.from([0]), body]) : body
        const r = await kafkajsDecode(response, raw)
        expect(r.error).toBeUndefined()
        expect(r.consumed, 'bytes kafkajs read').toBe(raw.length)
      },
    })
  }
}

/**
 * Record sets are opaque bytes to Samsa and kafkajs parses them, so responses carry an empty set here (a null one
 * kafkajs reads as a size of -1; Kafka's brokers send an empty set, never null).
 */
function noRecords(
  fields: readonly AnyField[],
  version: number,
  value: Record<string, unknown>,
): Record<string, unknown> {
  const o: Record<string, unknown> = { ...value }
  for (const f of fields) {
    const v = value[f.name]
    if (!inRange(f.versions, version) || v === null || v === undefined) continue
    const t = f.type.kind === 'array' ? f.type.elem : f.type
    const each = (x: unknown): unknown =>
      t.kind === 'struct' ? noRecords(t.fields, version, x as Record<string, unknown>) : x
    if (t.kind === 'records') o[f.name] = Buffer.alloc(0)
    else if (f.type.kind === 'array') o[f.name] = (v as unknown[]).map(each)
    else o[f.name] = each(v)
  }
  return o
}

/** kafkajs's encoders fill in defaults on the objects they are given, so each encoding gets its own copy. */
function clone<T>(x: T): T {
  if (Buffer.isBuffer(x) || x === null || typeof x !== 'object') return x
  if (Array.isArray(x)) return x.map(clone) as T
  return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, clone(v)])) as T
}

describe('kafkajs encodes requests that Samsa reads and writes back byte for byte; it decodes Samsa responses', () => {
  it('covers every request version kafkajs implements', () => {
    expect(uncovered).toEqual([])
    expect(versions.length).toBeGreaterThanOrEqual(100)
    const labels = new Set(cases.map((c) => c.label))
    for (const label of Object.keys(DEPARTS)) expect(labels, `stale entry ${label}`).toContain(label)
  })
  for (const c of cases) {
    const why = DEPARTS[c.label]
    if (why === undefined) it(c.label, c.run)
    else
      it(`${c.label}: kafkajs departs from Kafka`, async () => {
        await expect(c.run(), why).rejects.toThrow()
      })
  }
})
