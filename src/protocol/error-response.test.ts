/**
 * Error responses built from the schema (Kafka's getErrorResponse): for every API at every version, a failed
 * request's response encodes, decodes, and carries the error in every error code field it has; then, API by API,
 * the places Kafka puts it.
 */
import { describe, expect, it } from 'vitest'
import { decodeBuffer, encodeToBuffer } from './codec/codec.js'
import { ZERO_UUID, type AnyField, type TypeSpec } from './codec/schema.js'
import { inRange } from './codec/versions.js'
import { apiErrorOf, buildErrorResponse, type ApiError } from './error-response.js'
import { ErrorCode, errorInfo, KafkaError } from './errors.js'
import { ALL_APIS, Apis } from './messages/index.js'
import { sampleStruct } from './messages/test-samples.js'
import type { ApiDef } from './api.js'

/** APIs whose error response has nowhere to put the error in these versions (as in Kafka). */
const CARRIES_NO_ERROR: Record<string, (v: number) => boolean> = {
  DescribeLogDirs: (v) => v < 3,
}

/** Every error code field (errorCode, partitionErrorCode, ...) and error message field in a decoded value. */
function errorFields(
  fields: readonly AnyField[],
  version: number,
  value: Record<string, unknown>,
  out: { codes: unknown[]; messages: unknown[] },
): void {
  for (const f of fields) {
    // Tagged fields (CreateTopics' topicConfigErrorCode) are not part of an error response.
    if (!inRange(f.versions, version) || inRange(f.taggedVersions, version)) continue
    const v = value[f.name]
    if (/^(e|.*E)rrorCode$/.test(f.name)) out.codes.push(v)
    if (/^(e|.*E)rrorMessage$/.test(f.name)) out.messages.push(v)
    let t: TypeSpec = f.type
    while (t.kind === 'array') t = t.elem
    if (t.kind !== 'struct' || v === null) continue
    const structs = Array.isArray(v) ? (v as unknown[]).flat(3) : [v]
    for (const s of structs) errorFields(t.fields, version, s as Record<string, unknown>, out)
  }
}

function respond(
  a: ApiDef<unknown, unknown>,
  v: number,
  req: Record<string, unknown>,
  error: ApiError,
): Record<string, unknown> | null {
  const request = decodeBuffer(a.request, v, encodeToBuffer(a.request, v, req))
  const res = buildErrorResponse(a, v, request, error)
  if (res === null) return null
  return decodeBuffer(a.response, v, encodeToBuffer(a.response, v, res)) as Record<string, unknown>
}

const detailed: ApiError = { code: ErrorCode.NOT_COORDINATOR, message: 'broker 3 is not the coordinator' }

describe('error responses of every API at every version', () => {
  for (const a of ALL_APIS) {
    it(`${a.name} (${a.key})`, () => {
      for (let v = a.request.validVersions.min; v <= a.request.validVersions.max; v++) {
        const req = sampleStruct(a.request.fields, v, 0)
        for (const error of [detailed, apiErrorOf(new Error('boom'))]) {
          const res = respond(a, v, req, error)
          expect(res, `${a.name} v${v}`).not.toBeNull()
          const found = { codes: [] as unknown[], messages: [] as unknown[] }
          errorFields(a.response.fields, v, res!, found)
          if (!CARRIES_NO_ERROR[a.name]?.(v))
            expect(found.codes.length, `${a.name} v${v} carries the error`).toBeGreaterThan(0)
          expect(new Set(found.codes), `${a.name} v${v}`).toEqual(
            new Set(found.codes.length ? [error.code] : []),
          )
          for (const m of found.messages)
            expect([null, error.message, errorInfo(error.code).message], `${a.name} v${v}`).toContain(m)
        }
      }
    })
  }
})

describe('where Kafka puts the error', () => {
  it('keeps a thrown message only when it adds to the default one, and never for unknown errors', () => {
    expect(apiErrorOf(new KafkaError(ErrorCode.NOT_CONTROLLER, 'moved to 2'))).toEqual({
      code: ErrorCode.NOT_CONTROLLER,
      message: 'moved to 2',
    })
    expect(apiErrorOf(new KafkaError(ErrorCode.NOT_CONTROLLER))).toEqual({
      code: ErrorCode.NOT_CONTROLLER,
      message: null,
    })
    expect(apiErrorOf(new TypeError('x is undefined'))).toEqual({
      code: ErrorCode.UNKNOWN_SERVER_ERROR,
      message: null,
    })
  })

  it('Produce: every partition with -1 offsets and the message; none at all for acks=0', () => {
    const req = {
      acks: -1,
      timeoutMs: 1000,
      topicData: [
        {
          name: 'a',
          partitionData: [
            { index: 0, records: null },
            { index: 2, records: null },
          ],
        },
        { name: 'b', partitionData: [{ index: 1, records: null }] },
      ],
    }
    const res = respond(Apis.Produce, 9, req, detailed)!
    expect(res.responses).toEqual([
      {
        name: 'a',
        partitionResponses: [0, 2].map((index) => ({
          index,
          errorCode: detailed.code,
          baseOffset: -1,
          logAppendTimeMs: -1,
          logStartOffset: -1,
          recordErrors: [],
          errorMessage: detailed.message,
          currentLeader: { leaderId: -1, leaderEpoch: -1 },
        })),
      },
      {
        name: 'b',
        partitionResponses: [expect.objectContaining({ index: 1, errorCode: detailed.code, baseOffset: -1 })],
      },
    ])
    expect(respond(Apis.Produce, 9, { ...req, acks: 0 }, detailed)).toBeNull()
  })

  it('Fetch: partitions below v13, only the top-level error and the session id from v13', () => {
    const topics = [{ topic: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', partitions: [{ partition: 4 }] }]
    const v12 = respond(Apis.Fetch, 12, { sessionId: 7, topics }, detailed)!
    expect(v12).toMatchObject({ errorCode: detailed.code, sessionId: 7 })
    expect(v12.responses).toEqual([
      {
        topic: 't',
        topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
        partitions: [
          expect.objectContaining({
            partitionIndex: 4,
            errorCode: detailed.code,
            highWatermark: -1,
            lastStableOffset: -1,
            logStartOffset: -1,
            abortedTransactions: null,
            preferredReadReplica: -1,
          }),
        ],
      },
    ])
    const v13 = respond(Apis.Fetch, 13, { sessionId: 7, topics }, detailed)!
    expect(v13).toMatchObject({ errorCode: detailed.code, sessionId: 7, responses: [] })
  })

  it('OffsetFetch: per partition below v2, top-level in v2-7, per group from v8', () => {
    const topics = [{ name: 't', partitionIndexes: [0, 1] }]
    const v1 = respond(Apis.OffsetFetch, 1, { groupId: 'g', topics }, detailed)!
    expect(v1.topics).toEqual([
      {
        name: 't',
        partitions: [0, 1].map((partitionIndex) => ({
          partitionIndex,
          committedOffset: -1,
          committedLeaderEpoch: -1,
          metadata: '',
          errorCode: detailed.code,
        })),
      },
    ])
    const v7 = respond(Apis.OffsetFetch, 7, { groupId: 'g', topics }, detailed)!
    expect(v7).toMatchObject({ errorCode: detailed.code, topics: [] })
    const v8 = respond(
      Apis.OffsetFetch,
      8,
      { groups: [{ groupId: 'a', topics }, { groupId: 'b' }] },
      detailed,
    )!
    expect(v8.groups).toEqual([
      { groupId: 'a', topics: [], errorCode: detailed.code },
      { groupId: 'b', topics: [], errorCode: detailed.code },
    ])
  })

  it("FindCoordinator: no node, and the error code's own message", () => {
    const old = respond(Apis.FindCoordinator, 3, { key: 'g' }, detailed)!
    expect(old).toMatchObject({
      errorCode: detailed.code,
      errorMessage: errorInfo(detailed.code).message,
      nodeId: -1,
      host: '',
      port: -1,
    })
    const batched = respond(Apis.FindCoordinator, 4, { coordinatorKeys: ['a', 'b'] }, detailed)!
    expect(batched.coordinators).toEqual(
      ['a', 'b'].map((key) => ({
        key,
        nodeId: -1,
        host: '',
        port: -1,
        errorCode: detailed.code,
        errorMessage: errorInfo(detailed.code).message,
      })),
    )
  })

  it('Metadata: every requested topic, a topic asked for by id alone named ""', () => {
    const id = 'AAAAAAAAAAAAAAAAAAAAAQ'
    const res = respond(
      Apis.Metadata,
      12,
      { topics: [{ name: 'x' }, { name: null, topicId: id }] },
      detailed,
    )!
    expect(res.topics).toEqual([
      expect.objectContaining({ name: 'x', errorCode: detailed.code, isInternal: false, partitions: [] }),
      expect.objectContaining({ name: '', topicId: id, errorCode: detailed.code }),
    ])
    expect(respond(Apis.Metadata, 1, { topics: null }, detailed)!.topics).toEqual([])
  })

  it('JoinGroup: unknown generation and member, protocol name "" below v7 and null from v7', () => {
    const req = { groupId: 'g', memberId: 'm', protocolType: 'consumer', protocols: [] }
    for (const [v, protocolName] of [
      [6, ''],
      [7, null],
    ] as const) {
      expect(respond(Apis.JoinGroup, v, req, detailed)).toMatchObject({
        errorCode: detailed.code,
        generationId: -1,
        protocolName,
        leader: '',
        memberId: '',
        members: [],
      })
    }
  })

  it('ElectLeaders: per requested partition (no top-level code in v0), nothing for a null list', () => {
    const req = { topicPartitions: [{ topic: 't', partitions: [3] }] }
    const v0 = respond(Apis.ElectLeaders, 0, req, detailed)!
    expect(v0.replicaElectionResults).toEqual([
      {
        topic: 't',
        partitionResult: [{ partitionId: 3, errorCode: detailed.code, errorMessage: detailed.message }],
      },
    ])
    expect(respond(Apis.ElectLeaders, 2, { topicPartitions: null }, detailed)).toMatchObject({
      errorCode: detailed.code,
      replicaElectionResults: [],
    })
  })

  it('DeleteTopics: by name below v6, by name and id from v6', () => {
    expect(respond(Apis.DeleteTopics, 5, { topicNames: ['a'] }, detailed)!.responses).toEqual([
      { name: 'a', topicId: ZERO_UUID, errorCode: detailed.code, errorMessage: null },
    ])
    const id = 'AAAAAAAAAAAAAAAAAAAAAQ'
    expect(
      respond(Apis.DeleteTopics, 6, { topics: [{ name: null, topicId: id }] }, detailed)!.responses,
    ).toEqual([{ name: null, topicId: id, errorCode: detailed.code, errorMessage: null }])
  })

  it('AlterUserScramCredentials: each user once, sorted', () => {
    const res = respond(
      Apis.AlterUserScramCredentials,
      0,
      { deletions: [{ name: 'zed' }, { name: 'amy' }], upsertions: [{ name: 'zed' }] },
      detailed,
    )!
    expect(res.results).toEqual(
      ['amy', 'zed'].map((user) => ({ user, errorCode: detailed.code, errorMessage: detailed.message })),
    )
  })
})
