import { describe, expect, it } from 'vitest'
import { decodeBuffer, encodeToBuffer } from '../codec/codec.js'
import { DecodeError } from '../codec/errors.js'
import { Writer } from '../codec/writer.js'
import {
  AlterPartitionReassignmentsRequest,
  AlterPartitionReassignmentsResponse,
} from './45-alter-partition-reassignments.js'
import {
  ListPartitionReassignmentsRequest,
  ListPartitionReassignmentsResponse,
} from './46-list-partition-reassignments.js'
import { OffsetDeleteRequest, OffsetDeleteResponse } from './47-offset-delete.js'
import { DescribeClientQuotasRequest, DescribeClientQuotasResponse } from './48-describe-client-quotas.js'
import { AlterClientQuotasRequest } from './49-alter-client-quotas.js'
import { DescribeUserScramCredentialsRequest } from './50-describe-user-scram-credentials.js'
import { AlterUserScramCredentialsRequest } from './51-alter-user-scram-credentials.js'
import { DescribeClusterRequest, DescribeClusterResponse } from './60-describe-cluster.js'
import { DescribeProducersResponse } from './61-describe-producers.js'
import { DescribeTransactionsRequest } from './65-describe-transactions.js'
import { ListTransactionsRequest } from './66-list-transactions.js'
import {
  ConsumerGroupHeartbeatRequest,
  ConsumerGroupHeartbeatResponse,
} from './68-consumer-group-heartbeat.js'
import { ConsumerGroupDescribeResponse } from './69-consumer-group-describe.js'
import {
  decodeControlRecordKey,
  decodeEndTxnMarker,
  encodeControlRecordKey,
  encodeEndTxnMarker,
  ControlRecordType,
} from './data/control-records.js'
import {
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
} from './data/consumer-protocol.js'
import {
  decodeGroupMetadataValue,
  decodeGroupRecordKey,
  decodeOffsetCommitValue,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  GroupMetadataValue,
  OffsetCommitValue,
} from './data/group-metadata.js'
import {
  decodeTransactionLogKey,
  decodeTransactionLogValue,
  encodeTransactionLogKey,
  encodeTransactionLogValue,
  TransactionLogValue,
  TransactionStatus,
} from './data/transaction-log.js'

/** Builds a buffer from a readable list of parts: numbers are single bytes, strings are UTF-8. */
function bytesOf(...parts: (number | string | number[] | Buffer)[]): Buffer {
  const out: Buffer[] = []
  for (const p of parts) {
    if (typeof p === 'number') out.push(Buffer.from([p]))
    else if (typeof p === 'string') out.push(Buffer.from(p, 'utf8'))
    else if (Buffer.isBuffer(p)) out.push(p)
    else out.push(Buffer.from(p))
  }
  return Buffer.concat(out)
}
const i16 = (v: number): Buffer => new Writer().int16(v).toBuffer()
const i32 = (v: number): Buffer => new Writer().int32(v).toBuffer()
const i64 = (v: number): Buffer => new Writer().int64(v).toBuffer()
const f64 = (v: number): Buffer => new Writer().float64(v).toBuffer()
/** Classic (int16 length) string. */
const str = (s: string): Buffer => Buffer.concat([i16(Buffer.byteLength(s)), Buffer.from(s)])
/** Compact (uvarint length + 1) string, for short strings. */
const cstr = (s: string): Buffer => Buffer.concat([Buffer.from([Buffer.byteLength(s) + 1]), Buffer.from(s)])

// Captured by kafkajs against a real broker (tulios/kafkajs src/protocol/requests/<api>/fixtures). Request
// fixtures are the body only; flexible response fixtures start with the response header's empty tagged
// field section (one 0 byte), which is stripped here.
const KAFKAJS = {
  alterReassignmentsRequestV0: [
    0, 0, 117, 48, 3, 13, 116, 101, 115, 116, 45, 116, 111, 112, 105, 99, 45, 49, 3, 0, 0, 0, 0, 3, 0, 0, 0,
    0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 13, 116, 101, 115, 116, 45, 116, 111, 112,
    105, 99, 45, 50, 2, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0,
  ],
  alterReassignmentsResponseV0: [
    0, 0, 0, 0, 0, 0, 0, 1, 3, 13, 116, 101, 115, 116, 45, 116, 111, 112, 105, 99, 45, 49, 3, 0, 0, 0, 1, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 13, 116, 101, 115, 116, 45, 116, 111, 112, 105, 99, 45, 50, 2, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0,
  ],
  alterReassignmentsResponseErrorV0: [
    0, 0, 0, 0, 0, 0, 0, 1, 2, 75, 116, 101, 115, 116, 45, 116, 111, 112, 105, 99, 45, 102, 57, 100, 54, 100,
    97, 51, 48, 97, 56, 56, 57, 51, 100, 48, 101, 99, 51, 101, 57, 45, 56, 53, 53, 54, 51, 45, 57, 55, 53, 99,
    98, 101, 97, 98, 45, 49, 102, 100, 48, 45, 52, 56, 48, 48, 45, 56, 101, 54, 57, 45, 51, 98, 57, 55, 52,
    99, 50, 49, 97, 101, 102, 54, 2, 0, 0, 0, 0, 0, 39, 31, 82, 101, 112, 108, 105, 99, 97, 32, 97, 115, 115,
    105, 103, 110, 109, 101, 110, 116, 32, 105, 115, 32, 105, 110, 118, 97, 108, 105, 100, 46, 0, 0, 0,
  ],
  listReassignmentsRequestV0: [
    0, 0, 19, 136, 2, 75, 116, 101, 115, 116, 45, 116, 111, 112, 105, 99, 45, 49, 102, 49, 51, 49, 100, 100,
    55, 102, 56, 51, 98, 56, 100, 55, 50, 97, 52, 52, 55, 45, 51, 51, 50, 57, 56, 45, 100, 49, 51, 101, 99,
    54, 48, 50, 45, 49, 97, 51, 52, 45, 52, 49, 99, 56, 45, 98, 53, 57, 101, 45, 48, 54, 53, 55, 97, 101, 102,
    51, 97, 100, 50, 53, 2, 0, 0, 0, 0, 0, 0,
  ],
  listReassignmentsResponseV0: [
    0, 0, 0, 0, 0, 0, 0, 1, 2, 75, 116, 101, 115, 116, 45, 116, 111, 112, 105, 99, 45, 49, 102, 49, 51, 49,
    100, 100, 55, 102, 56, 51, 98, 56, 100, 55, 50, 97, 52, 52, 55, 45, 51, 51, 50, 57, 56, 45, 100, 49, 51,
    101, 99, 54, 48, 50, 45, 49, 97, 51, 52, 45, 52, 49, 99, 56, 45, 98, 53, 57, 101, 45, 48, 54, 53, 55, 97,
    101, 102, 51, 97, 100, 50, 53, 2, 0, 0, 0, 0, 4, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 1, 2, 0,
    0, 0, 0, 0, 0, 0,
  ],
}
const LONG_TOPIC = 'test-topic-1f131dd7f83b8d72a447-33298-d13ec602-1a34-41c8-b59e-0657aef3ad25'

describe('kafkajs captures (flexible v0)', () => {
  it('AlterPartitionReassignments v0 request', () => {
    const buf = Buffer.from(KAFKAJS.alterReassignmentsRequestV0)
    const req = decodeBuffer(AlterPartitionReassignmentsRequest, 0, buf)
    expect(req).toEqual({
      timeoutMs: 30000,
      topics: [
        {
          name: 'test-topic-1',
          partitions: [
            { partitionIndex: 0, replicas: [0, 1] },
            { partitionIndex: 1, replicas: [1, 2] },
          ],
        },
        { name: 'test-topic-2', partitions: [{ partitionIndex: 0, replicas: [0, 2] }] },
      ],
    })
    expect(encodeToBuffer(AlterPartitionReassignmentsRequest, 0, req)).toEqual(buf)
  })

  it('AlterPartitionReassignments v0 responses', () => {
    const ok = Buffer.from(KAFKAJS.alterReassignmentsResponseV0).subarray(1)
    const res = decodeBuffer(AlterPartitionReassignmentsResponse, 0, ok)
    expect(res).toEqual({
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: '',
      responses: [
        {
          name: 'test-topic-1',
          partitions: [
            { partitionIndex: 1, errorCode: 0, errorMessage: null },
            { partitionIndex: 0, errorCode: 0, errorMessage: null },
          ],
        },
        { name: 'test-topic-2', partitions: [{ partitionIndex: 0, errorCode: 0, errorMessage: null }] },
      ],
    })
    expect(encodeToBuffer(AlterPartitionReassignmentsResponse, 0, res)).toEqual(ok)

    const bad = Buffer.from(KAFKAJS.alterReassignmentsResponseErrorV0).subarray(1)
    const err = decodeBuffer(AlterPartitionReassignmentsResponse, 0, bad)
    expect(err.responses[0]!.name).toBe(
      'test-topic-f9d6da30a8893d0ec3e9-85563-975cbeab-1fd0-4800-8e69-3b974c21aef6',
    )
    expect(err.responses[0]!.partitions).toEqual([
      { partitionIndex: 0, errorCode: 39, errorMessage: 'Replica assignment is invalid.' },
    ])
    expect(encodeToBuffer(AlterPartitionReassignmentsResponse, 0, err)).toEqual(bad)
  })

  it('ListPartitionReassignments v0 request and response', () => {
    const reqBuf = Buffer.from(KAFKAJS.listReassignmentsRequestV0)
    const req = decodeBuffer(ListPartitionReassignmentsRequest, 0, reqBuf)
    expect(req).toEqual({ timeoutMs: 5000, topics: [{ name: LONG_TOPIC, partitionIndexes: [0] }] })
    expect(encodeToBuffer(ListPartitionReassignmentsRequest, 0, req)).toEqual(reqBuf)

    const resBuf = Buffer.from(KAFKAJS.listReassignmentsResponseV0).subarray(1)
    const res = decodeBuffer(ListPartitionReassignmentsResponse, 0, resBuf)
    expect(res).toEqual({
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: '',
      topics: [
        {
          name: LONG_TOPIC,
          partitions: [
            { partitionIndex: 0, replicas: [2, 1, 0], addingReplicas: [1], removingReplicas: [0] },
          ],
        },
      ],
    })
    expect(encodeToBuffer(ListPartitionReassignmentsResponse, 0, res)).toEqual(resBuf)
  })
})

describe('hand-computed cases', () => {
  it('AlterPartitionReassignments: a null replica list cancels (compact null array = 0)', () => {
    const buf = encodeToBuffer(AlterPartitionReassignmentsRequest, 0, {
      topics: [{ name: 't', partitions: [{ partitionIndex: 3 }] }],
    })
    expect(buf).toEqual(bytesOf(i32(60000), 2, cstr('t'), 2, i32(3), 0, 0, 0, 0))
    expect(
      decodeBuffer(AlterPartitionReassignmentsRequest, 0, buf).topics[0]!.partitions[0]!.replicas,
    ).toBeNull()
  })

  it('ListPartitionReassignments: null topics lists everything', () => {
    const buf = encodeToBuffer(ListPartitionReassignmentsRequest, 0, {})
    expect(buf).toEqual(bytesOf(i32(60000), 0, 0))
    expect(decodeBuffer(ListPartitionReassignmentsRequest, 0, buf).topics).toBeNull()
  })

  it('OffsetDelete v0 is classic-encoded, error code before throttle time', () => {
    const req = { groupId: 'g', topics: [{ name: 'tp', partitions: [{ partitionIndex: 1 }] }] }
    const reqBuf = bytesOf(str('g'), i32(1), str('tp'), i32(1), i32(1))
    expect(encodeToBuffer(OffsetDeleteRequest, 0, req)).toEqual(reqBuf)
    expect(decodeBuffer(OffsetDeleteRequest, 0, reqBuf)).toEqual(req)

    const res = {
      errorCode: 0,
      throttleTimeMs: 7,
      topics: [{ name: 'tp', partitions: [{ partitionIndex: 1, errorCode: 86 }] }],
    }
    const resBuf = bytesOf(i16(0), i32(7), i32(1), str('tp'), i32(1), i32(1), i16(86))
    expect(encodeToBuffer(OffsetDeleteResponse, 0, res)).toEqual(resBuf)
    expect(decodeBuffer(OffsetDeleteResponse, 0, resBuf)).toEqual(res)
  })

  it('DescribeClientQuotas: classic in v0, compact in v1', () => {
    const req = { components: [{ entityType: 'user', matchType: 2, match: null }], strict: true }
    expect(encodeToBuffer(DescribeClientQuotasRequest, 0, req)).toEqual(
      bytesOf(i32(1), str('user'), 2, i16(-1), 1),
    )
    const v1 = bytesOf(2, cstr('user'), 2, 0, 0, 1, 0)
    expect(encodeToBuffer(DescribeClientQuotasRequest, 1, req)).toEqual(v1)
    expect(decodeBuffer(DescribeClientQuotasRequest, 1, v1)).toEqual(req)

    const res = {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      entries: [
        {
          entity: [{ entityType: 'client-id', entityName: null }],
          values: [{ key: 'producer_byte_rate', value: 1024.5 }],
        },
      ],
    }
    const resV1 = bytesOf(
      i32(0),
      i16(0),
      0,
      2,
      2,
      cstr('client-id'),
      0,
      0,
      2,
      cstr('producer_byte_rate'),
      f64(1024.5),
      0,
      0,
      0,
    )
    expect(encodeToBuffer(DescribeClientQuotasResponse, 1, res)).toEqual(resV1)
    expect(decodeBuffer(DescribeClientQuotasResponse, 1, resV1)).toEqual(res)
    // Entries are nullable: a null array is int32 -1 in v0.
    const nullV0 = bytesOf(i32(0), i16(0), i16(-1), i32(-1))
    expect(decodeBuffer(DescribeClientQuotasResponse, 0, nullV0).entries).toBeNull()
  })

  it('AlterClientQuotas v1 round trip', () => {
    const req = {
      entries: [
        {
          entity: [{ entityType: 'user', entityName: 'alice' }],
          ops: [{ key: 'consumer_byte_rate', value: 2048, remove: false }],
        },
      ],
      validateOnly: true,
    }
    const buf = encodeToBuffer(AlterClientQuotasRequest, 1, req)
    expect(buf).toEqual(
      bytesOf(2, 2, cstr('user'), cstr('alice'), 0, 2, cstr('consumer_byte_rate'), f64(2048), 0, 0, 0, 1, 0),
    )
    expect(decodeBuffer(AlterClientQuotasRequest, 1, buf)).toEqual(req)
  })

  it('SCRAM credentials: null user list and compact bytes', () => {
    expect(encodeToBuffer(DescribeUserScramCredentialsRequest, 0, { users: null })).toEqual(bytesOf(0, 0))
    const up = {
      deletions: [],
      upsertions: [
        {
          name: 'u',
          mechanism: 1,
          iterations: 4096,
          salt: Buffer.from([1, 2]),
          saltedPassword: Buffer.from([3]),
        },
      ],
    }
    const buf = encodeToBuffer(AlterUserScramCredentialsRequest, 0, up)
    expect(buf).toEqual(bytesOf(1, 2, cstr('u'), 1, i32(4096), 3, 1, 2, 2, 3, 0, 0))
    expect(decodeBuffer(AlterUserScramCredentialsRequest, 0, buf)).toEqual(up)
  })

  it('DescribeCluster: defaults and EndpointType in v1', () => {
    expect(decodeBuffer(DescribeClusterRequest, 0, bytesOf(1, 0))).toEqual({
      includeClusterAuthorizedOperations: true,
      endpointType: 1,
    })
    expect(encodeToBuffer(DescribeClusterRequest, 1, { endpointType: 2 })).toEqual(bytesOf(0, 2, 0))
    const res = {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      endpointType: 1,
      clusterId: 'c1',
      controllerId: 1,
      brokers: [{ brokerId: 1, host: 'h', port: 9092, rack: null }],
      clusterAuthorizedOperations: -2147483648,
    }
    const v1 = bytesOf(
      i32(0),
      i16(0),
      0,
      1,
      cstr('c1'),
      i32(1),
      2,
      i32(1),
      cstr('h'),
      i32(9092),
      0,
      0,
      i32(-2147483648),
      0,
    )
    expect(encodeToBuffer(DescribeClusterResponse, 1, res)).toEqual(v1)
    expect(decodeBuffer(DescribeClusterResponse, 1, v1)).toEqual(res)
    // v0 has no EndpointType byte.
    expect(encodeToBuffer(DescribeClusterResponse, 0, res).length).toBe(v1.length - 1)
  })

  it('DescribeProducers response defaults', () => {
    const res = encodeToBuffer(DescribeProducersResponse, 0, {
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, activeProducers: [{ producerId: 7 }] }] }],
    })
    const back = decodeBuffer(DescribeProducersResponse, 0, res)
    expect(back.topics[0]!.partitions[0]!.errorMessage).toBeNull()
    expect(back.topics[0]!.partitions[0]!.activeProducers[0]).toEqual({
      producerId: 7,
      producerEpoch: 0,
      lastSequence: -1,
      lastTimestamp: -1,
      coordinatorEpoch: 0,
      currentTxnStartOffset: -1,
    })
  })

  it('DescribeTransactions / ListTransactions requests', () => {
    expect(encodeToBuffer(DescribeTransactionsRequest, 0, { transactionalIds: ['tx'] })).toEqual(
      bytesOf(2, cstr('tx'), 0),
    )
    expect(
      encodeToBuffer(ListTransactionsRequest, 0, { stateFilters: ['Ongoing'], producerIdFilters: [] }),
    ).toEqual(bytesOf(2, cstr('Ongoing'), 1, 0))
    const v1 = bytesOf(1, 2, i64(3), i64(60000), 0)
    expect(decodeBuffer(ListTransactionsRequest, 1, v1)).toEqual({
      stateFilters: [],
      producerIdFilters: [3],
      durationFilter: 60000,
    })
    expect(decodeBuffer(ListTransactionsRequest, 0, bytesOf(1, 1, 0)).durationFilter).toBe(-1)
  })

  it('ConsumerGroupHeartbeat: null defaults and the nullable assignment struct', () => {
    const join = encodeToBuffer(ConsumerGroupHeartbeatRequest, 0, {
      groupId: 'g',
      memberEpoch: 0,
      rebalanceTimeoutMs: 300000,
      subscribedTopicNames: ['t'],
      topicPartitions: [],
    })
    expect(join).toEqual(bytesOf(cstr('g'), cstr(''), i32(0), 0, 0, i32(300000), 2, cstr('t'), 0, 1, 0))
    const hb = decodeBuffer(
      ConsumerGroupHeartbeatRequest,
      0,
      bytesOf(cstr('g'), cstr('m'), i32(3), 0, 0, i32(-1), 0, 0, 0, 0),
    )
    expect(hb).toEqual({
      groupId: 'g',
      memberId: 'm',
      memberEpoch: 3,
      instanceId: null,
      rackId: null,
      rebalanceTimeoutMs: -1,
      subscribedTopicNames: null,
      subscribedTopicRegex: null,
      serverAssignor: null,
      topicPartitions: null,
    })

    // A null struct is a single int8 -1; a present one is int8 1 followed by the struct.
    const none = bytesOf(i32(0), i16(0), 0, cstr('m'), i32(1), i32(5000), 0xff, 0)
    expect(decodeBuffer(ConsumerGroupHeartbeatResponse, 0, none).assignment).toBeNull()
    expect(
      encodeToBuffer(ConsumerGroupHeartbeatResponse, 0, {
        memberId: 'm',
        memberEpoch: 1,
        heartbeatIntervalMs: 5000,
      }),
    ).toEqual(none)
    const topicId = Buffer.alloc(16, 1)
    const some = bytesOf(i32(0), i16(0), 0, 0, i32(2), i32(5000), 1, 2, topicId, 3, i32(0), i32(1), 0, 0, 0)
    const res = decodeBuffer(ConsumerGroupHeartbeatResponse, 0, some)
    expect(res.assignment).toEqual({
      topicPartitions: [{ topicId: topicId.toString('base64url'), partitions: [0, 1] }],
    })
    expect(encodeToBuffer(ConsumerGroupHeartbeatResponse, 0, res)).toEqual(some)
  })

  it('ConsumerGroupDescribe response round trip', () => {
    const tp = { topicId: Buffer.alloc(16, 2).toString('base64url'), topicName: 't', partitions: [0] }
    const res = {
      throttleTimeMs: 0,
      groups: [
        {
          errorCode: 0,
          errorMessage: null,
          groupId: 'g',
          groupState: 'Stable',
          groupEpoch: 4,
          assignmentEpoch: 4,
          assignorName: 'uniform',
          members: [
            {
              memberId: 'm',
              instanceId: null,
              rackId: 'r',
              memberEpoch: 4,
              clientId: 'c',
              clientHost: '/127.0.0.1',
              subscribedTopicNames: ['t'],
              subscribedTopicRegex: null,
              assignment: { topicPartitions: [tp] },
              targetAssignment: { topicPartitions: [] },
              memberType: -1,
            },
          ],
          authorizedOperations: -2147483648,
        },
      ],
    }
    const buf = encodeToBuffer(ConsumerGroupDescribeResponse, 0, res)
    expect(decodeBuffer(ConsumerGroupDescribeResponse, 0, buf)).toEqual(res)
    // v1 adds the member type (int8) after the target assignment.
    const v1 = structuredClone(res)
    const m0 = v1.groups[0]?.members[0]
    if (m0 !== undefined) m0.memberType = 1
    expect(
      decodeBuffer(ConsumerGroupDescribeResponse, 1, encodeToBuffer(ConsumerGroupDescribeResponse, 1, v1)),
    ).toEqual(v1)
    // The (non-nullable) assignment structs carry no presence byte: ... subscribedTopicRegex null (0), then
    // assignment = [1 topic][uuid][t][[0]][tags], its own tags, targetAssignment = [0 topics][tags].
    const tail = bytesOf(
      0,
      2,
      Buffer.alloc(16, 2),
      cstr('t'),
      2,
      i32(0),
      0,
      0,
      1,
      0,
      0,
      i32(-2147483648),
      0,
      0,
    )
    expect(buf.subarray(buf.length - tail.length)).toEqual(tail)
  })
})

describe('__consumer_offsets records', () => {
  it('offset commit key: version 1, classic strings', () => {
    const key = encodeOffsetCommitKey({ group: 'g', topic: 't', partition: 2 })
    expect(key).toEqual(bytesOf(i16(1), str('g'), str('t'), i32(2)))
    expect(decodeGroupRecordKey(key)).toEqual({
      type: 'offsetCommit',
      version: 1,
      key: { group: 'g', topic: 't', partition: 2 },
    })
    // Version 0 keys read the same way.
    expect(decodeGroupRecordKey(bytesOf(i16(0), str('g'), str('t'), i32(2)))).toMatchObject({
      type: 'offsetCommit',
      version: 0,
    })
  })

  it('offset commit value: v3 without expire timestamp, v1 with it', () => {
    const v3 = encodeOffsetCommitValue({ offset: 42, leaderEpoch: 5, metadata: 'm', commitTimestamp: 1000 })
    expect(v3).toEqual(bytesOf(i16(3), i64(42), i32(5), str('m'), i64(1000)))
    expect(decodeOffsetCommitValue(v3)).toEqual({
      version: 3,
      value: { offset: 42, leaderEpoch: 5, metadata: 'm', commitTimestamp: 1000, expireTimestamp: -1 },
    })

    const v1 = encodeOffsetCommitValue({
      offset: 42,
      leaderEpoch: 5,
      metadata: '',
      commitTimestamp: 1000,
      expireTimestamp: 2000,
    })
    expect(v1).toEqual(bytesOf(i16(1), i64(42), str(''), i64(1000), i64(2000)))
    expect(decodeOffsetCommitValue(v1)!.value).toEqual({
      offset: 42,
      leaderEpoch: -1,
      metadata: '',
      commitTimestamp: 1000,
      expireTimestamp: 2000,
    })
    expect(encodeOffsetCommitValue({ offset: 1, expireTimestamp: -1 }).readInt16BE(0)).toBe(3)
  })

  it('offset commit value: reads the flexible v4 and refuses unknown versions; null is a tombstone', () => {
    const v4 = bytesOf(i16(4), i64(9), i32(-1), cstr('x'), i64(7), 0)
    expect(decodeOffsetCommitValue(v4)!.value).toEqual({
      offset: 9,
      leaderEpoch: -1,
      metadata: 'x',
      commitTimestamp: 7,
      expireTimestamp: -1,
    })
    expect(encodeToBuffer(OffsetCommitValue, 4, decodeOffsetCommitValue(v4)!.value)).toEqual(v4.subarray(2))
    expect(() => decodeOffsetCommitValue(bytesOf(i16(5), i64(9)))).toThrow(DecodeError)
    expect(decodeOffsetCommitValue(null)).toBeNull()
  })

  it('group metadata key and value (v3)', () => {
    const key = encodeGroupMetadataKey({ group: 'grp' })
    expect(key).toEqual(bytesOf(i16(2), str('grp')))
    expect(decodeGroupRecordKey(key)).toEqual({ type: 'groupMetadata', version: 2, key: { group: 'grp' } })

    const value = {
      protocolType: 'consumer',
      generation: 1,
      protocol: 'range',
      leader: 'm1',
      currentStateTimestamp: 1700000000000,
      members: [
        {
          memberId: 'm1',
          groupInstanceId: null,
          clientId: 'c',
          clientHost: '/h',
          rebalanceTimeout: 300000,
          sessionTimeout: 45000,
          subscription: Buffer.from([0, 1]),
          assignment: Buffer.from([]),
        },
      ],
    }
    const buf = encodeGroupMetadataValue(value)
    expect(buf).toEqual(
      bytesOf(
        i16(3),
        str('consumer'),
        i32(1),
        str('range'),
        str('m1'),
        i64(1700000000000),
        i32(1),
        str('m1'),
        i16(-1),
        str('c'),
        str('/h'),
        i32(300000),
        i32(45000),
        i32(2),
        0,
        1,
        i32(0),
      ),
    )
    expect(decodeGroupMetadataValue(buf)).toEqual({ version: 3, value })
    expect(decodeGroupMetadataValue(null)).toBeNull()
  })

  it('group metadata value: an empty group (null protocol and leader) and older versions', () => {
    const empty = {
      protocolType: 'consumer',
      generation: 2,
      protocol: null,
      leader: null,
      currentStateTimestamp: 5,
    }
    const buf = encodeGroupMetadataValue(empty)
    expect(buf).toEqual(bytesOf(i16(3), str('consumer'), i32(2), i16(-1), i16(-1), i64(5), i32(0)))
    expect(decodeGroupMetadataValue(buf)!.value).toEqual({ ...empty, members: [] })

    // A v0 record (no currentStateTimestamp, no rebalanceTimeout, no groupInstanceId).
    const v0 = bytesOf(
      i16(0),
      str(''),
      i32(0),
      str('p'),
      str('l'),
      i32(1),
      str('m'),
      str('c'),
      str('h'),
      i32(10000),
      i32(0),
      i32(0),
    )
    const decoded = decodeGroupMetadataValue(v0)!
    expect(decoded.version).toBe(0)
    expect(decoded.value.currentStateTimestamp).toBe(-1)
    expect(decoded.value.members[0]).toMatchObject({
      memberId: 'm',
      groupInstanceId: null,
      sessionTimeout: 10000,
    })

    // The flexible v4 encoding round-trips through the generic codec.
    const v4 = encodeToBuffer(GroupMetadataValue, 4, decoded.value)
    expect(v4[0]).toBe(1) // compact empty string
    expect(decodeGroupMetadataValue(Buffer.concat([i16(4), v4]))!.value).toEqual({
      ...decoded.value,
      members: [{ ...decoded.value.members[0], rebalanceTimeout: 0 }],
    })
  })

  it('types 3-8 are consumer group records; other key versions are reported as unknown', () => {
    expect(decodeGroupRecordKey(bytesOf(i16(3), str('g')))).toEqual({ type: 'consumerGroup', version: 3 })
    expect(decodeGroupRecordKey(bytesOf(i16(8), str('g'), str('m')))).toEqual({
      type: 'consumerGroup',
      version: 8,
    })
    expect(decodeGroupRecordKey(bytesOf(i16(9), str('g')))).toEqual({ type: 'unknown', version: 9 })
    expect(decodeGroupRecordKey(bytesOf(i16(-1)))).toEqual({ type: 'unknown', version: -1 })
    expect(() => decodeGroupRecordKey(Buffer.from([0]))).toThrow(DecodeError)
  })
})

describe('consumer protocol', () => {
  it('subscription v0 bytes (what older clients send)', () => {
    const buf = bytesOf(i16(0), i32(1), str('t'), i32(-1))
    expect(decodeSubscription(buf)).toEqual({
      version: 0,
      value: { topics: ['t'], userData: null, ownedPartitions: [], generationId: -1, rackId: null },
    })
    expect(encodeSubscription({ topics: ['t'] }, 0)).toEqual(buf)
  })

  it('subscription v3 round trip and byte layout', () => {
    const sub = {
      topics: ['a', 'b'],
      userData: Buffer.from([9]),
      ownedPartitions: [{ topic: 'a', partitions: [0] }],
      generationId: 3,
      rackId: 'r1',
    }
    const buf = encodeSubscription(sub)
    expect(buf).toEqual(
      bytesOf(
        i16(3),
        i32(2),
        str('a'),
        str('b'),
        i32(1),
        9,
        i32(1),
        str('a'),
        i32(1),
        i32(0),
        i32(3),
        str('r1'),
      ),
    )
    expect(decodeSubscription(buf)).toEqual({ version: 3, value: sub })
  })

  it('a newer subscription version is read as v3 and trailing fields are ignored', () => {
    const v3 = encodeSubscription({ topics: ['t'], rackId: 'r' })
    const v7 = Buffer.concat([i16(7), v3.subarray(2), Buffer.from([1, 2, 3, 4])])
    expect(decodeSubscription(v7)).toEqual({
      version: 7,
      value: { topics: ['t'], userData: null, ownedPartitions: [], generationId: -1, rackId: 'r' },
    })
    expect(() => decodeSubscription(bytesOf(i16(-1), i32(0), i32(-1)))).toThrow(DecodeError)
  })

  it('assignment round trip, byte layout and newer versions', () => {
    const asg = { assignedPartitions: [{ topic: 't', partitions: [0, 2] }], userData: null }
    const buf = encodeAssignment(asg)
    expect(buf).toEqual(bytesOf(i16(3), i32(1), str('t'), i32(2), i32(0), i32(2), i32(-1)))
    expect(decodeAssignment(buf)).toEqual({ version: 3, value: asg })
    expect(encodeAssignment(asg, 0).subarray(2)).toEqual(buf.subarray(2))
    const v9 = Buffer.concat([i16(9), buf.subarray(2), Buffer.from([0xff])])
    expect(decodeAssignment(v9)).toEqual({ version: 9, value: asg })
  })
})

describe('__transaction_state records', () => {
  it('key: version 0 and the transactional id', () => {
    const key = encodeTransactionLogKey({ transactionalId: 'tx' })
    expect(key).toEqual(bytesOf(i16(0), str('tx')))
    expect(decodeTransactionLogKey(key)).toEqual({ version: 0, key: { transactionalId: 'tx' } })
    expect(decodeTransactionLogKey(bytesOf(i16(1), str('tx')))).toEqual({ version: 1, key: null })
  })

  it('value: version 0 by default, flexible version 1 on request', () => {
    const value = {
      producerId: 1000,
      producerEpoch: 2,
      transactionTimeoutMs: 60000,
      transactionStatus: TransactionStatus.ONGOING,
      transactionPartitions: [{ topic: 't', partitionIds: [0, 1] }],
      transactionLastUpdateTimestampMs: 11,
      transactionStartTimestampMs: 10,
    }
    const v0 = encodeTransactionLogValue(value)
    expect(v0).toEqual(
      bytesOf(
        i16(0),
        i64(1000),
        i16(2),
        i32(60000),
        1,
        i32(1),
        str('t'),
        i32(2),
        i32(0),
        i32(1),
        i64(11),
        i64(10),
      ),
    )
    expect(decodeTransactionLogValue(v0)).toEqual({ version: 0, value })

    const v1 = encodeTransactionLogValue(value, 1)
    expect(v1).toEqual(
      bytesOf(
        i16(1),
        i64(1000),
        i16(2),
        i32(60000),
        1,
        2,
        cstr('t'),
        3,
        i32(0),
        i32(1),
        0,
        i64(11),
        i64(10),
        0,
      ),
    )
    expect(decodeTransactionLogValue(v1)).toEqual({ version: 1, value })
  })

  it('value: empty transactions have null partitions; tombstones and unknown versions', () => {
    const empty = { producerId: 1, transactionStatus: TransactionStatus.EMPTY, transactionPartitions: null }
    const buf = encodeTransactionLogValue(empty)
    expect(buf.subarray(2 + 8 + 2 + 4 + 1, 2 + 8 + 2 + 4 + 1 + 4)).toEqual(i32(-1))
    expect(decodeTransactionLogValue(buf)!.value.transactionPartitions).toBeNull()
    expect(decodeTransactionLogValue(null)).toBeNull()
    expect(() => decodeTransactionLogValue(bytesOf(i16(2), i64(0)))).toThrow(DecodeError)
    // Unknown tagged fields in the flexible version are skipped.
    const v1 = encodeToBuffer(TransactionLogValue, 1, empty)
    const withTag = Buffer.concat([i16(1), v1.subarray(0, v1.length - 1), Buffer.from([1, 0, 8]), i64(-1)])
    expect(decodeTransactionLogValue(withTag)!.value.producerId).toBe(1)
  })
})

describe('control records', () => {
  it('control record key: 4 bytes, version 0', () => {
    expect(encodeControlRecordKey(ControlRecordType.COMMIT)).toEqual(Buffer.from([0, 0, 0, 1]))
    expect(encodeControlRecordKey(ControlRecordType.ABORT)).toEqual(Buffer.from([0, 0, 0, 0]))
    expect(decodeControlRecordKey(Buffer.from([0, 0, 0, 1]))).toEqual({ version: 0, type: 1 })
    // Newer versions are read as version 0.
    expect(decodeControlRecordKey(Buffer.from([0, 1, 0, 0, 0xaa]))).toEqual({ version: 1, type: 0 })
    expect(() => decodeControlRecordKey(Buffer.from([0, 0, 0]))).toThrow(DecodeError)
    expect(() => decodeControlRecordKey(Buffer.from([0xff, 0xff, 0, 1]))).toThrow(DecodeError)
  })

  it('end transaction marker value: 6 bytes, version 0', () => {
    expect(encodeEndTxnMarker(5)).toEqual(Buffer.from([0, 0, 0, 0, 0, 5]))
    expect(decodeEndTxnMarker(Buffer.from([0, 0, 0, 0, 1, 0]))).toEqual({ version: 0, coordinatorEpoch: 256 })
    expect(decodeEndTxnMarker(Buffer.from([0, 3, 0xff, 0xff, 0xff, 0xff, 9]))).toEqual({
      version: 3,
      coordinatorEpoch: -1,
    })
    expect(() => decodeEndTxnMarker(Buffer.from([0, 0, 0, 0, 0]))).toThrow(DecodeError)
  })
})
