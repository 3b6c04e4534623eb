import { describe, expect, it } from 'vitest'
import { decodeBuffer, encodeToBuffer } from '../codec/codec.js'
import type { MessageSchema } from '../codec/schema.js'
import { CreateTopicsRequest, CreateTopicsResponse } from './19-create-topics.js'
import { DeleteTopicsRequest, DeleteTopicsResponse } from './20-delete-topics.js'
import { DeleteRecordsRequest, DeleteRecordsResponse } from './21-delete-records.js'
import { InitProducerIdRequest, InitProducerIdResponse } from './22-init-producer-id.js'
import { OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse } from './23-offset-for-leader-epoch.js'
import { AddPartitionsToTxnRequest, AddPartitionsToTxnResponse } from './24-add-partitions-to-txn.js'
import { AddOffsetsToTxnRequest, AddOffsetsToTxnResponse } from './25-add-offsets-to-txn.js'
import { EndTxnRequest, EndTxnResponse } from './26-end-txn.js'
import { WriteTxnMarkersRequest, WriteTxnMarkersResponse } from './27-write-txn-markers.js'
import { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from './28-txn-offset-commit.js'
import { DescribeAclsRequest, DescribeAclsResponse } from './29-describe-acls.js'
import { CreateAclsRequest, CreateAclsResponse } from './30-create-acls.js'
import { DeleteAclsRequest, DeleteAclsResponse } from './31-delete-acls.js'
import { DescribeConfigsRequest, DescribeConfigsResponse } from './32-describe-configs.js'
import { AlterConfigsRequest, AlterConfigsResponse } from './33-alter-configs.js'
import { DescribeLogDirsRequest, DescribeLogDirsResponse } from './35-describe-log-dirs.js'
import { SaslAuthenticateRequest, SaslAuthenticateResponse } from './36-sasl-authenticate.js'
import { CreatePartitionsRequest, CreatePartitionsResponse } from './37-create-partitions.js'
import { DeleteGroupsRequest, DeleteGroupsResponse } from './42-delete-groups.js'
import { ElectLeadersRequest, ElectLeadersResponse } from './43-elect-leaders.js'
import {
  IncrementalAlterConfigsRequest,
  IncrementalAlterConfigsResponse,
} from './44-incremental-alter-configs.js'

/** Bytes from parts: a number is one byte, a string is its UTF-8 bytes (no length), an array is spread. */
function wire(...parts: (number | string | readonly number[])[]): Buffer {
  const out: number[] = []
  for (const p of parts) {
    if (typeof p === 'number') out.push(p & 0xff)
    else if (typeof p === 'string') out.push(...Buffer.from(p, 'utf8'))
    else out.push(...p)
  }
  return Buffer.from(out)
}

/** Decodes, and checks that re-encoding the decoded value gives the same bytes. */
function roundTrip<T>(schema: MessageSchema<T>, version: number, buf: Buffer): T {
  const value = decodeBuffer(schema, version, buf)
  expect(encodeToBuffer(schema, version, value as never).toString('hex')).toBe(buf.toString('hex'))
  return value
}

// Wire bytes captured by kafkajs (tulios/kafkajs, src/protocol/requests/<api>/fixtures/*.json): request
// bodies without the request header, response bodies without the correlation id.
const kafkajs = {
  createTopicsV0Request: [
    0, 0, 0, 2, 0, 31, 116, 101, 115, 116, 45, 116, 111, 112, 105, 99, 45, 99, 56, 100, 56, 99, 97, 51, 100,
    57, 53, 52, 57, 53, 99, 54, 98, 57, 48, 48, 100, 255, 255, 255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    31, 116, 101, 115, 116, 45, 116, 111, 112, 105, 99, 45, 48, 53, 48, 102, 98, 50, 101, 54, 97, 101, 100,
    49, 51, 97, 57, 53, 52, 50, 56, 56, 255, 255, 255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 19, 136,
  ],
  createTopicsV1Request: [
    0, 0, 0, 2, 0, 31, 116, 101, 115, 116, 45, 116, 111, 112, 105, 99, 45, 99, 56, 100, 56, 99, 97, 51, 100,
    57, 53, 52, 57, 53, 99, 54, 98, 57, 48, 48, 100, 255, 255, 255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    31, 116, 101, 115, 116, 45, 116, 111, 112, 105, 99, 45, 48, 53, 48, 102, 98, 50, 101, 54, 97, 101, 100,
    49, 51, 97, 57, 53, 52, 50, 56, 56, 255, 255, 255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 19, 136,
    1,
  ],
  createTopicsV0Response: [
    0, 0, 0, 2, 0, 31, 116, 101, 115, 116, 45, 116, 111, 112, 105, 99, 45, 99, 56, 100, 56, 99, 97, 51, 100,
    57, 53, 52, 57, 53, 99, 54, 98, 57, 48, 48, 100, 0, 0, 0, 31, 116, 101, 115, 116, 45, 116, 111, 112, 105,
    99, 45, 48, 53, 48, 102, 98, 50, 101, 54, 97, 101, 100, 49, 51, 97, 57, 53, 52, 50, 56, 56, 0, 0,
  ],
  deleteTopicsV1Request: [
    0, 0, 0, 2, 0, 74, 116, 101, 115, 116, 45, 116, 111, 112, 105, 99, 45, 51, 56, 54, 101, 97, 52, 48, 52,
    51, 57, 54, 100, 54, 54, 51, 97, 56, 48, 52, 50, 45, 53, 54, 50, 57, 56, 45, 101, 54, 101, 50, 54, 51, 51,
    49, 45, 100, 101, 50, 53, 45, 52, 56, 100, 56, 45, 57, 48, 98, 54, 45, 52, 55, 49, 48, 99, 100, 48, 98,
    54, 49, 56, 98, 0, 74, 116, 101, 115, 116, 45, 116, 111, 112, 105, 99, 45, 98, 98, 53, 100, 52, 99, 48,
    99, 51, 55, 97, 101, 53, 51, 101, 98, 56, 98, 53, 51, 45, 53, 54, 50, 57, 56, 45, 97, 99, 50, 48, 50, 98,
    102, 56, 45, 55, 56, 101, 55, 45, 52, 100, 56, 98, 45, 97, 100, 48, 55, 45, 52, 101, 48, 49, 100, 56, 49,
    52, 56, 100, 98, 48, 0, 0, 19, 136,
  ],
  deleteTopicsV1Response: [
    0, 0, 0, 0, 0, 0, 0, 2, 0, 74, 116, 101, 115, 116, 45, 116, 111, 112, 105, 99, 45, 98, 98, 53, 100, 52,
    99, 48, 99, 51, 55, 97, 101, 53, 51, 101, 98, 56, 98, 53, 51, 45, 53, 54, 50, 57, 56, 45, 97, 99, 50, 48,
    50, 98, 102, 56, 45, 55, 56, 101, 55, 45, 52, 100, 56, 98, 45, 97, 100, 48, 55, 45, 52, 101, 48, 49, 100,
    56, 49, 52, 56, 100, 98, 48, 0, 0, 0, 74, 116, 101, 115, 116, 45, 116, 111, 112, 105, 99, 45, 51, 56, 54,
    101, 97, 52, 48, 52, 51, 57, 54, 100, 54, 54, 51, 97, 56, 48, 52, 50, 45, 53, 54, 50, 57, 56, 45, 101, 54,
    101, 50, 54, 51, 51, 49, 45, 100, 101, 50, 53, 45, 52, 56, 100, 56, 45, 57, 48, 98, 54, 45, 52, 55, 49,
    48, 99, 100, 48, 98, 54, 49, 56, 98, 0, 0,
  ],
  deleteRecordsV0Request: [
    0, 0, 0, 1, 0, 74, 116, 101, 115, 116, 45, 116, 111, 112, 105, 99, 45, 52, 50, 49, 51, 50, 99, 97, 49, 99,
    55, 57, 101, 53, 100, 100, 54, 99, 52, 51, 54, 45, 56, 49, 56, 56, 52, 45, 49, 52, 100, 51, 97, 49, 56,
    49, 45, 48, 49, 51, 100, 45, 52, 49, 55, 54, 45, 56, 101, 55, 101, 45, 55, 53, 49, 56, 97, 54, 55, 102,
    52, 56, 49, 51, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 19, 136,
  ],
  deleteRecordsV0Response: [
    0, 0, 0, 0, 0, 0, 0, 1, 0, 74, 116, 101, 115, 116, 45, 116, 111, 112, 105, 99, 45, 53, 100, 97, 54, 56,
    51, 102, 97, 51, 98, 49, 56, 57, 56, 50, 50, 51, 52, 57, 56, 45, 57, 55, 49, 49, 57, 45, 100, 48, 54, 56,
    50, 57, 101, 51, 45, 51, 53, 100, 50, 45, 52, 98, 57, 55, 45, 98, 52, 98, 52, 45, 55, 99, 48, 51, 100, 52,
    97, 100, 55, 99, 99, 56, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0,
  ],
  initProducerIdV0Request: [
    0, 25, 105, 110, 105, 116, 112, 114, 111, 100, 117, 99, 101, 114, 105, 100, 116, 114, 97, 110, 115, 97,
    99, 116, 105, 111, 110, 0, 0, 117, 48,
  ],
  initProducerIdV0Response: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 238, 0, 0],
  addPartitionsToTxnV0Request: [
    0, 21, 116, 101, 115, 116, 45, 116, 114, 97, 110, 115, 97, 99, 116, 105, 111, 110, 97, 108, 45, 105, 100,
    0, 0, 0, 0, 0, 0, 3, 233, 0, 0, 0, 0, 0, 1, 0, 10, 116, 101, 115, 116, 45, 116, 111, 112, 105, 99, 0, 0,
    0, 4, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3,
  ],
  addPartitionsToTxnV0Response: [
    0, 0, 0, 0, 0, 0, 0, 1, 0, 74, 116, 101, 115, 116, 45, 116, 111, 112, 105, 99, 45, 102, 54, 98, 97, 98,
    57, 55, 56, 98, 100, 99, 97, 48, 57, 52, 54, 56, 56, 101, 51, 45, 51, 55, 48, 49, 53, 45, 99, 97, 52, 102,
    55, 97, 100, 52, 45, 53, 100, 99, 99, 45, 52, 98, 98, 57, 45, 57, 56, 53, 51, 45, 98, 49, 101, 52, 99, 52,
    101, 100, 55, 56, 97, 55, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0, 0,
  ],
  addOffsetsToTxnV0Request: [
    0, 21, 116, 101, 115, 116, 45, 116, 114, 97, 110, 115, 97, 99, 116, 105, 111, 110, 97, 108, 45, 105, 100,
    0, 0, 0, 0, 0, 0, 3, 233, 0, 0, 0, 6, 102, 111, 111, 98, 97, 114,
  ],
  endTxnV0Request: [
    0, 21, 116, 101, 115, 116, 45, 116, 114, 97, 110, 115, 97, 99, 116, 105, 111, 110, 97, 108, 45, 105, 100,
    0, 0, 0, 0, 0, 0, 3, 233, 0, 0, 1,
  ],
  endTxnV0Response: [0, 0, 0, 0, 0, 0],
  txnOffsetCommitV0Request: [
    0, 21, 116, 101, 115, 116, 45, 116, 114, 97, 110, 115, 97, 99, 116, 105, 111, 110, 97, 108, 45, 105, 100,
    0, 13, 116, 101, 115, 116, 45, 103, 114, 111, 117, 112, 45, 105, 100, 0, 0, 0, 0, 0, 0, 78, 32, 0, 0, 0,
    0, 0, 1, 0, 10, 116, 101, 115, 116, 45, 116, 111, 112, 105, 99, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
    0, 0, 255, 255, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255,
  ],
  txnOffsetCommitV0Response: [
    0, 0, 0, 0, 0, 0, 0, 1, 0, 74, 116, 101, 115, 116, 45, 116, 111, 112, 105, 99, 45, 48, 98, 97, 51, 51, 49,
    55, 51, 102, 55, 54, 54, 52, 100, 55, 53, 99, 54, 98, 50, 45, 54, 51, 54, 51, 50, 45, 97, 48, 100, 97, 98,
    48, 55, 57, 45, 49, 99, 57, 97, 45, 52, 52, 98, 97, 45, 98, 101, 50, 53, 45, 99, 97, 51, 100, 53, 48, 100,
    102, 53, 48, 48, 51, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0, 0,
  ],
  describeAclsV1Request: [
    2, 0, 74, 116, 101, 115, 116, 45, 116, 111, 112, 105, 99, 45, 51, 48, 57, 49, 101, 51, 55, 99, 98, 51, 52,
    101, 49, 101, 57, 49, 54, 99, 102, 97, 45, 49, 56, 48, 50, 57, 45, 49, 98, 50, 55, 55, 98, 52, 49, 45, 52,
    102, 52, 48, 45, 52, 55, 52, 48, 45, 57, 50, 55, 52, 45, 53, 49, 102, 53, 53, 54, 102, 50, 49, 50, 99, 57,
    3, 255, 255, 0, 1, 42, 2, 3,
  ],
  describeAclsV1Response: [
    0, 0, 0, 0, 0, 0, 255, 255, 0, 0, 0, 1, 2, 0, 74, 116, 101, 115, 116, 45, 116, 111, 112, 105, 99, 45, 51,
    48, 57, 49, 101, 51, 55, 99, 98, 51, 52, 101, 49, 101, 57, 49, 54, 99, 102, 97, 45, 49, 56, 48, 50, 57,
    45, 49, 98, 50, 55, 55, 98, 52, 49, 45, 52, 102, 52, 48, 45, 52, 55, 52, 48, 45, 57, 50, 55, 52, 45, 53,
    49, 102, 53, 53, 54, 102, 50, 49, 50, 99, 57, 3, 0, 0, 0, 1, 0, 72, 85, 115, 101, 114, 58, 98, 111, 98,
    45, 98, 98, 99, 57, 101, 56, 102, 50, 49, 99, 97, 48, 100, 49, 101, 54, 48, 101, 98, 97, 45, 49, 56, 48,
    50, 57, 45, 101, 48, 99, 101, 101, 49, 51, 54, 45, 54, 102, 48, 53, 45, 52, 51, 102, 99, 45, 97, 50, 51,
    53, 45, 50, 54, 97, 55, 55, 57, 101, 55, 50, 52, 49, 51, 0, 1, 42, 2, 3,
  ],
  createAclsV1Request: [
    0, 0, 0, 1, 2, 0, 74, 116, 101, 115, 116, 45, 116, 111, 112, 105, 99, 45, 51, 57, 50, 56, 53, 48, 100,
    100, 54, 100, 55, 97, 53, 100, 53, 98, 49, 57, 99, 101, 45, 49, 52, 52, 55, 50, 45, 52, 97, 50, 49, 54,
    57, 99, 49, 45, 52, 55, 56, 52, 45, 52, 55, 49, 55, 45, 98, 50, 100, 49, 45, 57, 49, 56, 57, 98, 100, 102,
    98, 56, 51, 50, 50, 3, 0, 72, 85, 115, 101, 114, 58, 98, 111, 98, 45, 52, 51, 51, 48, 52, 48, 55, 57, 52,
    54, 53, 56, 53, 48, 54, 55, 100, 50, 98, 50, 45, 49, 52, 52, 55, 50, 45, 50, 57, 48, 52, 52, 52, 54, 97,
    45, 52, 56, 56, 99, 45, 52, 101, 52, 48, 45, 56, 100, 50, 52, 45, 99, 100, 55, 102, 55, 53, 56, 100, 101,
    55, 49, 51, 0, 1, 42, 2, 3,
  ],
  createAclsV1Response: [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 255, 255],
  deleteAclsV1Request: [
    0, 0, 0, 1, 2, 0, 74, 116, 101, 115, 116, 45, 116, 111, 112, 105, 99, 45, 48, 48, 48, 98, 48, 102, 97, 57,
    48, 48, 56, 102, 57, 50, 48, 98, 99, 54, 56, 52, 45, 50, 48, 56, 50, 54, 45, 54, 98, 99, 102, 53, 55, 57,
    101, 45, 101, 56, 56, 50, 45, 52, 55, 98, 56, 45, 57, 53, 56, 54, 45, 101, 55, 55, 56, 53, 56, 56, 102,
    57, 101, 55, 56, 3, 0, 72, 85, 115, 101, 114, 58, 98, 111, 98, 45, 53, 49, 102, 101, 49, 53, 100, 57, 102,
    99, 49, 99, 53, 97, 51, 98, 101, 53, 102, 50, 45, 50, 48, 56, 50, 54, 45, 102, 99, 102, 49, 50, 56, 51,
    48, 45, 98, 53, 97, 49, 45, 52, 55, 55, 97, 45, 56, 97, 99, 57, 45, 56, 54, 54, 97, 52, 48, 56, 56, 50,
    55, 51, 97, 0, 1, 42, 1, 3,
  ],
  deleteAclsV1Response: [
    0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 255, 255, 0, 0, 0, 1, 0, 0, 255, 255, 2, 0, 74, 116, 101, 115, 116, 45, 116,
    111, 112, 105, 99, 45, 48, 48, 48, 98, 48, 102, 97, 57, 48, 48, 56, 102, 57, 50, 48, 98, 99, 54, 56, 52,
    45, 50, 48, 56, 50, 54, 45, 54, 98, 99, 102, 53, 55, 57, 101, 45, 101, 56, 56, 50, 45, 52, 55, 98, 56, 45,
    57, 53, 56, 54, 45, 101, 55, 55, 56, 53, 56, 56, 102, 57, 101, 55, 56, 3, 0, 72, 85, 115, 101, 114, 58,
    98, 111, 98, 45, 53, 49, 102, 101, 49, 53, 100, 57, 102, 99, 49, 99, 53, 97, 51, 98, 101, 53, 102, 50, 45,
    50, 48, 56, 50, 54, 45, 102, 99, 102, 49, 50, 56, 51, 48, 45, 98, 53, 97, 49, 45, 52, 55, 55, 97, 45, 56,
    97, 99, 57, 45, 56, 54, 54, 97, 52, 48, 56, 56, 50, 55, 51, 97, 0, 1, 42, 2, 3,
  ],
  describeConfigsV1Request: [
    0, 0, 0, 1, 2, 0, 11, 116, 111, 112, 105, 99, 45, 116, 101, 115, 116, 49, 0, 0, 0, 2, 0, 16, 99, 111, 109,
    112, 114, 101, 115, 115, 105, 111, 110, 46, 116, 121, 112, 101, 0, 12, 114, 101, 116, 101, 110, 116, 105,
    111, 110, 46, 109, 115, 1,
  ],
  describeConfigsV1Response: [
    0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 255, 255, 2, 0, 11, 116, 111, 112, 105, 99, 45, 116, 101, 115, 116, 49, 0,
    0, 0, 2, 0, 16, 99, 111, 109, 112, 114, 101, 115, 115, 105, 111, 110, 46, 116, 121, 112, 101, 0, 8, 112,
    114, 111, 100, 117, 99, 101, 114, 0, 5, 0, 0, 0, 0, 1, 0, 16, 99, 111, 109, 112, 114, 101, 115, 115, 105,
    111, 110, 46, 116, 121, 112, 101, 0, 8, 112, 114, 111, 100, 117, 99, 101, 114, 5, 0, 12, 114, 101, 116,
    101, 110, 116, 105, 111, 110, 46, 109, 115, 0, 9, 54, 48, 52, 56, 48, 48, 48, 48, 48, 0, 5, 0, 0, 0, 0, 0,
  ],
  alterConfigsV0Request: [
    0, 0, 0, 1, 2, 0, 74, 116, 101, 115, 116, 45, 116, 111, 112, 105, 99, 45, 100, 55, 102, 97, 57, 50, 99,
    48, 51, 49, 55, 55, 100, 56, 55, 53, 55, 51, 98, 49, 45, 51, 56, 48, 55, 54, 45, 50, 49, 51, 54, 52, 102,
    54, 54, 45, 56, 54, 49, 51, 45, 52, 55, 101, 48, 45, 98, 50, 55, 51, 45, 98, 99, 57, 100, 101, 51, 57, 55,
    53, 49, 53, 101, 0, 0, 0, 1, 0, 14, 99, 108, 101, 97, 110, 117, 112, 46, 112, 111, 108, 105, 99, 121, 0,
    7, 99, 111, 109, 112, 97, 99, 116, 0,
  ],
  alterConfigsV0Response: [
    0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 255, 255, 2, 0, 74, 116, 101, 115, 116, 45, 116, 111, 112, 105, 99, 45, 100,
    55, 102, 97, 57, 50, 99, 48, 51, 49, 55, 55, 100, 56, 55, 53, 55, 51, 98, 49, 45, 51, 56, 48, 55, 54, 45,
    50, 49, 51, 54, 52, 102, 54, 54, 45, 56, 54, 49, 51, 45, 52, 55, 101, 48, 45, 98, 50, 55, 51, 45, 98, 99,
    57, 100, 101, 51, 57, 55, 53, 49, 53, 101,
  ],
  saslAuthenticateV0RequestPlain: [
    0, 0, 0, 14, 0, 116, 101, 115, 116, 0, 116, 101, 115, 116, 116, 101, 115, 116,
  ],
  saslAuthenticateV1ResponsePlain: [0, 0, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 126, 64],
  createPartitionsV0Request: [
    0, 0, 0, 2, 0, 31, 116, 101, 115, 116, 45, 116, 111, 112, 105, 99, 45, 99, 56, 100, 56, 99, 97, 51, 100,
    57, 53, 52, 57, 53, 99, 54, 98, 57, 48, 48, 100, 0, 0, 0, 3, 255, 255, 255, 255, 0, 31, 116, 101, 115,
    116, 45, 116, 111, 112, 105, 99, 45, 48, 53, 48, 102, 98, 50, 101, 54, 97, 101, 100, 49, 51, 97, 57, 53,
    52, 50, 56, 56, 0, 0, 0, 5, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0,
    0, 2, 0, 0, 19, 136, 0,
  ],
  createPartitionsV0Response: [
    0, 0, 0, 0, 0, 0, 0, 2, 0, 74, 116, 101, 115, 116, 45, 116, 111, 112, 105, 99, 45, 102, 100, 101, 54, 55,
    98, 53, 97, 55, 57, 55, 57, 56, 52, 97, 99, 48, 56, 51, 55, 45, 53, 53, 52, 57, 50, 45, 49, 98, 102, 50,
    102, 51, 48, 97, 45, 99, 99, 101, 56, 45, 52, 48, 51, 100, 45, 56, 56, 57, 55, 45, 54, 57, 48, 50, 97, 48,
    98, 56, 54, 102, 98, 48, 0, 0, 255, 255, 0, 74, 116, 101, 115, 116, 45, 116, 111, 112, 105, 99, 45, 51,
    100, 54, 99, 53, 51, 97, 102, 50, 101, 48, 102, 57, 98, 49, 100, 49, 55, 53, 55, 45, 53, 53, 52, 57, 50,
    45, 99, 98, 100, 101, 50, 51, 52, 52, 45, 100, 57, 100, 51, 45, 52, 97, 100, 55, 45, 98, 52, 48, 56, 45,
    57, 57, 54, 99, 100, 97, 49, 51, 101, 54, 101, 53, 0, 0, 255, 255,
  ],
} as const

const fx = (name: keyof typeof kafkajs): Buffer => Buffer.from(kafkajs[name])

describe('kafkajs captured bytes (non-flexible versions)', () => {
  it('CreateTopics v0/v1 request and v0 response', () => {
    const v0 = roundTrip(CreateTopicsRequest, 0, fx('createTopicsV0Request'))
    expect(v0.topics.map((t) => t.name)).toEqual([
      'test-topic-c8d8ca3d95495c6b900d',
      'test-topic-050fb2e6aed13a954288',
    ])
    expect(v0.topics[0]).toMatchObject({
      numPartitions: -1,
      replicationFactor: -1,
      assignments: [],
      configs: [],
    })
    expect(v0.timeoutMs).toBe(5000)
    expect(v0.validateOnly).toBe(false)
    expect(roundTrip(CreateTopicsRequest, 1, fx('createTopicsV1Request')).validateOnly).toBe(true)

    const res = roundTrip(CreateTopicsResponse, 0, fx('createTopicsV0Response'))
    expect(res.topics).toHaveLength(2)
    expect(res.topics[1]).toMatchObject({ name: 'test-topic-050fb2e6aed13a954288', errorCode: 0 })
    // fields of later versions take Kafka's defaults
    expect(res.throttleTimeMs).toBe(0)
    expect(res.topics[0]).toMatchObject({
      errorMessage: '',
      numPartitions: -1,
      replicationFactor: -1,
      configs: [],
    })
  })

  it('DeleteTopics v1', () => {
    const req = roundTrip(DeleteTopicsRequest, 1, fx('deleteTopicsV1Request'))
    expect(req.topicNames).toHaveLength(2)
    expect(req.topicNames[0]).toMatch(/^test-topic-386ea404396d663a8042-/)
    expect(req.timeoutMs).toBe(5000)
    expect(req.topics).toEqual([])
    const res = roundTrip(DeleteTopicsResponse, 1, fx('deleteTopicsV1Response'))
    expect(res.throttleTimeMs).toBe(0)
    expect(res.responses.map((r) => r.errorCode)).toEqual([0, 0])
    expect(res.responses[0]!.errorMessage).toBeNull()
    expect(res.responses[0]!.topicId).toBe('AAAAAAAAAAAAAAAAAAAAAA')
  })

  it('DeleteRecords v0', () => {
    const req = roundTrip(DeleteRecordsRequest, 0, fx('deleteRecordsV0Request'))
    expect(req.topics[0]!.partitions).toEqual([{ partitionIndex: 0, offset: 7 }])
    expect(req.timeoutMs).toBe(5000)
    const res = roundTrip(DeleteRecordsResponse, 0, fx('deleteRecordsV0Response'))
    expect(res.topics[0]!.partitions).toEqual([{ partitionIndex: 0, lowWatermark: 7, errorCode: 0 }])
  })

  it('InitProducerId v0', () => {
    const req = roundTrip(InitProducerIdRequest, 0, fx('initProducerIdV0Request'))
    expect(req).toEqual({
      transactionalId: 'initproduceridtransaction',
      transactionTimeoutMs: 30000,
      producerId: -1,
      producerEpoch: -1,
    })
    const res = roundTrip(InitProducerIdResponse, 0, fx('initProducerIdV0Response'))
    expect(res).toEqual({ throttleTimeMs: 0, errorCode: 0, producerId: 1006, producerEpoch: 0 })
  })

  it('AddPartitionsToTxn v0 (the pre-batching form)', () => {
    const req = roundTrip(AddPartitionsToTxnRequest, 0, fx('addPartitionsToTxnV0Request'))
    expect(req.v3AndBelowTransactionalId).toBe('test-transactional-id')
    expect(req.v3AndBelowProducerId).toBe(1001)
    expect(req.v3AndBelowProducerEpoch).toBe(0)
    expect(req.v3AndBelowTopics).toEqual([{ name: 'test-topic', partitions: [0, 1, 2, 3] }])
    expect(req.transactions).toEqual([])
    const res = roundTrip(AddPartitionsToTxnResponse, 0, fx('addPartitionsToTxnV0Response'))
    expect(res.resultsByTopicV3AndBelow[0]!.resultsByPartition).toEqual([
      { partitionIndex: 1, partitionErrorCode: 0 },
      { partitionIndex: 2, partitionErrorCode: 0 },
    ])
    expect(res.resultsByTransaction).toEqual([])
  })

  it('AddOffsetsToTxn v0 and EndTxn v0', () => {
    expect(roundTrip(AddOffsetsToTxnRequest, 0, fx('addOffsetsToTxnV0Request'))).toEqual({
      transactionalId: 'test-transactional-id',
      producerId: 1001,
      producerEpoch: 0,
      groupId: 'foobar',
    })
    expect(roundTrip(EndTxnRequest, 0, fx('endTxnV0Request'))).toEqual({
      transactionalId: 'test-transactional-id',
      producerId: 1001,
      producerEpoch: 0,
      committed: true,
    })
    expect(roundTrip(EndTxnResponse, 0, fx('endTxnV0Response'))).toEqual({ throttleTimeMs: 0, errorCode: 0 })
  })

  it('TxnOffsetCommit v0', () => {
    const req = roundTrip(TxnOffsetCommitRequest, 0, fx('txnOffsetCommitV0Request'))
    expect(req).toMatchObject({
      transactionalId: 'test-transactional-id',
      groupId: 'test-group-id',
      producerId: 20000,
      producerEpoch: 0,
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
    })
    expect(req.topics[0]!.partitions).toEqual([
      { partitionIndex: 1, committedOffset: 0, committedLeaderEpoch: -1, committedMetadata: null },
      { partitionIndex: 2, committedOffset: 0, committedLeaderEpoch: -1, committedMetadata: null },
    ])
    const res = roundTrip(TxnOffsetCommitResponse, 0, fx('txnOffsetCommitV0Response'))
    expect(res.topics[0]!.partitions).toEqual([
      { partitionIndex: 1, errorCode: 0 },
      { partitionIndex: 2, errorCode: 0 },
    ])
  })

  it('DescribeAcls v1', () => {
    const req = roundTrip(DescribeAclsRequest, 1, fx('describeAclsV1Request'))
    expect(req).toMatchObject({
      resourceTypeFilter: 2,
      patternTypeFilter: 3,
      principalFilter: null,
      hostFilter: '*',
      operation: 2,
      permissionType: 3,
    })
    const res = roundTrip(DescribeAclsResponse, 1, fx('describeAclsV1Response'))
    expect(res.errorMessage).toBeNull()
    expect(res.resources[0]).toMatchObject({ resourceType: 2, patternType: 3 })
    expect(res.resources[0]!.acls[0]).toMatchObject({ host: '*', operation: 2, permissionType: 3 })
    expect(res.resources[0]!.acls[0]!.principal).toMatch(/^User:bob-/)
  })

  it('CreateAcls v1 and DeleteAcls v1', () => {
    const c = roundTrip(CreateAclsRequest, 1, fx('createAclsV1Request'))
    expect(c.creations[0]).toMatchObject({
      resourceType: 2,
      resourcePatternType: 3,
      host: '*',
      operation: 2,
      permissionType: 3,
    })
    expect(roundTrip(CreateAclsResponse, 1, fx('createAclsV1Response'))).toEqual({
      throttleTimeMs: 0,
      results: [{ errorCode: 0, errorMessage: null }],
    })
    const d = roundTrip(DeleteAclsRequest, 1, fx('deleteAclsV1Request'))
    expect(d.filters[0]).toMatchObject({
      resourceTypeFilter: 2,
      patternTypeFilter: 3,
      hostFilter: '*',
      operation: 1,
    })
    const dr = roundTrip(DeleteAclsResponse, 1, fx('deleteAclsV1Response'))
    expect(dr.filterResults[0]!.errorMessage).toBeNull()
    expect(dr.filterResults[0]!.matchingAcls[0]).toMatchObject({
      errorCode: 0,
      errorMessage: null,
      resourceType: 2,
      patternType: 3,
      host: '*',
      operation: 2,
      permissionType: 3,
    })
  })

  it('DescribeConfigs v1', () => {
    const req = roundTrip(DescribeConfigsRequest, 1, fx('describeConfigsV1Request'))
    expect(req).toEqual({
      resources: [
        {
          resourceType: 2,
          resourceName: 'topic-test1',
          configurationKeys: ['compression.type', 'retention.ms'],
        },
      ],
      includeSynonyms: true,
      includeDocumentation: false,
    })
    const res = roundTrip(DescribeConfigsResponse, 1, fx('describeConfigsV1Response'))
    const [first, second] = res.results[0]!.configs
    expect(first).toMatchObject({
      name: 'compression.type',
      value: 'producer',
      readOnly: false,
      configSource: 5,
    })
    expect(first!.synonyms).toEqual([{ name: 'compression.type', value: 'producer', source: 5 }])
    expect(second).toMatchObject({
      name: 'retention.ms',
      value: '604800000',
      isSensitive: false,
      synonyms: [],
    })
    expect(first).toMatchObject({ isDefault: false, configType: 0, documentation: '' })
  })

  it('AlterConfigs v0', () => {
    const req = roundTrip(AlterConfigsRequest, 0, fx('alterConfigsV0Request'))
    expect(req.resources[0]!.configs).toEqual([{ name: 'cleanup.policy', value: 'compact' }])
    expect(req.validateOnly).toBe(false)
    const res = roundTrip(AlterConfigsResponse, 0, fx('alterConfigsV0Response'))
    expect(res.responses[0]).toMatchObject({ errorCode: 0, errorMessage: null, resourceType: 2 })
  })

  it('SaslAuthenticate v0 request and v1 response', () => {
    const req = roundTrip(SaslAuthenticateRequest, 0, fx('saslAuthenticateV0RequestPlain'))
    expect(req.authBytes.toString('utf8')).toBe('\0test\0testtest')
    const res = roundTrip(SaslAuthenticateResponse, 1, fx('saslAuthenticateV1ResponsePlain'))
    expect(res.errorMessage).toBeNull()
    expect(res.authBytes.length).toBe(0)
    expect(res.sessionLifetimeMs).toBe(360000)
  })

  it('CreatePartitions v0', () => {
    const req = roundTrip(CreatePartitionsRequest, 0, fx('createPartitionsV0Request'))
    expect(req.topics[0]).toMatchObject({ count: 3, assignments: null })
    expect(req.topics[1]).toMatchObject({
      count: 5,
      assignments: [{ brokerIds: [0] }, { brokerIds: [1] }, { brokerIds: [2] }],
    })
    expect(req).toMatchObject({ timeoutMs: 5000, validateOnly: false })
    const res = roundTrip(CreatePartitionsResponse, 0, fx('createPartitionsV0Response'))
    expect(res.results.map((r) => [r.errorCode, r.errorMessage])).toEqual([
      [0, null],
      [0, null],
    ])
  })
})

const uuidBytes = Array.from({ length: 16 }, (_, i) => i + 1)
const uuidString = Buffer.from(uuidBytes).toString('base64url')
const zeros = (n: number): number[] => new Array<number>(n).fill(0)

// Byte layouts below are written field by field, so they are kept out of the formatter's way.
describe('hand-computed flexible versions', () => {
  it('CreateTopics v5 request: compact strings/arrays, null config value, tagged sections', () => {
    // prettier-ignore
    const buf = wire(
      0x02, // topics: 1 element
      0x02, 't', // name
      0xff, 0xff, 0xff, 0xff, // numPartitions -1
      0xff, 0xff, // replicationFactor -1
      0x01, // assignments: empty
      0x02, 0x02, 'a', 0x00, 0x00, // configs: [{ name "a", value null }], tags
      0x00, // topic tags
      0x00, 0x00, 0xea, 0x60, // timeoutMs 60000
      0x00, // validateOnly
      0x00, // tags
    )
    const v = roundTrip(CreateTopicsRequest, 5, buf)
    expect(v.topics[0]!.configs).toEqual([{ name: 'a', value: null }])
    expect(v.timeoutMs).toBe(60000)
    // fields left out when encoding take Kafka's defaults: timeoutMs 60000
    expect(encodeToBuffer(CreateTopicsRequest, 5, { topics: [] }).toString('hex')).toBe(
      '01' + '0000ea60' + '00' + '00',
    )
  })

  it('CreateTopics v5/v7 response: tagged topicConfigErrorCode and null configs', () => {
    // prettier-ignore
    const v5 = wire(
      0, 0, 0, 0, // throttleTimeMs
      0x02, // topics: 1
      0x02, 't', // name
      0x00, 0x00, // errorCode
      0x00, // errorMessage null
      0, 0, 0, 3, // numPartitions
      0, 1, // replicationFactor
      0x00, // configs null
      0x01, 0x00, 0x02, 0x00, 0x1d, // 1 tagged field: tag 0, size 2, topicConfigErrorCode 29
      0x00, // tags
    )
    const r5 = roundTrip(CreateTopicsResponse, 5, v5)
    expect(r5.topics[0]).toMatchObject({
      errorMessage: null,
      numPartitions: 3,
      configs: null,
      topicConfigErrorCode: 29,
    })

    // prettier-ignore
    const v7 = wire(
      0, 0, 0, 5, // throttleTimeMs
      0x02, 0x02, 't', uuidBytes, 0x00, 0x00, 0x00, // name, topicId, errorCode, errorMessage null
      0, 0, 0, 1, 0, 3, // numPartitions 1, replicationFactor 3
      0x02, 0x02, 'k', 0x00, 0x01, 0x05, 0x00, 0x00, // configs: [{ k, null, readOnly, source 5, !sensitive }]
      0x00, // no tagged fields: topicConfigErrorCode is at its default
      0x00,
    )
    const r7 = roundTrip(CreateTopicsResponse, 7, v7)
    expect(r7.topics[0]!.topicId).toBe(uuidString)
    expect(r7.topics[0]!.topicConfigErrorCode).toBe(0)
    expect(r7.topics[0]!.configs).toEqual([
      { name: 'k', value: null, readOnly: true, configSource: 5, isSensitive: false },
    ])
  })

  it('DeleteTopics v6 request names topics by id (null name) and v6 response', () => {
    // prettier-ignore
    const req = wire(
      0x03, // topics: 2
      0x00, uuidBytes, 0x00, // { name null, topicId }
      0x02, 'x', zeros(16), 0x00, // { name "x", zero id }
      0, 0, 0x03, 0xe8, // timeoutMs 1000
      0x00,
    )
    const v = roundTrip(DeleteTopicsRequest, 6, req)
    expect(v.topics).toEqual([
      { name: null, topicId: uuidString },
      { name: 'x', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' },
    ])
    expect(v.topicNames).toEqual([])

    // prettier-ignore
    const res = wire(0, 0, 0, 0, 0x02, 0x00, uuidBytes, 0x00, 0x64, 0x00, 0x00, 0x00)
    expect(roundTrip(DeleteTopicsResponse, 6, res).responses).toEqual([
      { name: null, topicId: uuidString, errorCode: 100, errorMessage: null },
    ])
  })

  it('InitProducerId v2 (flexible, before producer id) and v4', () => {
    const v2 = roundTrip(InitProducerIdRequest, 2, wire(0x00, 0, 0, 0xea, 0x60, 0x00))
    expect(v2).toEqual({
      transactionalId: null,
      transactionTimeoutMs: 60000,
      producerId: -1,
      producerEpoch: -1,
    })
    // prettier-ignore
    const v4 = wire(0x03, 'tx', 0, 0, 0xea, 0x60, zeros(7), 9, 0, 2, 0x00)
    expect(roundTrip(InitProducerIdRequest, 4, v4)).toEqual({
      transactionalId: 'tx',
      transactionTimeoutMs: 60000,
      producerId: 9,
      producerEpoch: 2,
    })
    // prettier-ignore
    const r5 = wire(0, 0, 0, 0, 0, 0, zeros(7), 1, 0, 0, 0x00)
    expect(roundTrip(InitProducerIdResponse, 5, r5).producerId).toBe(1)
  })

  it('OffsetForLeaderEpoch v4 request and response; v0 defaults', () => {
    // prettier-ignore
    const req = wire(
      0xff, 0xff, 0xff, 0xff, // replicaId -1
      0x02, 0x02, 't', // topics: [{ topic "t"
      0x02, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 4, 0x00, //   partitions: [{ 0, current 5, epoch 4 }]
      0x00, // }]
      0x00,
    )
    const v = roundTrip(OffsetForLeaderEpochRequest, 4, req)
    expect(v.replicaId).toBe(-1)
    expect(v.topics[0]!.partitions).toEqual([{ partition: 0, currentLeaderEpoch: 5, leaderEpoch: 4 }])
    // v0 has neither replicaId nor currentLeaderEpoch
    // prettier-ignore
    const v0 = decodeBuffer(OffsetForLeaderEpochRequest, 0, wire(0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 4))
    expect(v0.replicaId).toBe(-2)
    expect(v0.topics[0]!.partitions[0]).toEqual({ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 4 })

    // prettier-ignore
    const res = wire(
      0, 0, 0, 0, // throttleTimeMs
      0x02, 0x02, 't', // topics: [{ topic "t"
      0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, zeros(7), 0x64, 0x00, //   partitions: [{ error 0, 0, epoch 4, end 100 }]
      0x00, // }]
      0x00,
    )
    expect(roundTrip(OffsetForLeaderEpochResponse, 4, res).topics[0]!.partitions).toEqual([
      { errorCode: 0, partition: 0, leaderEpoch: 4, endOffset: 100 },
    ])
    // v0 response has no leader epoch
    // prettier-ignore
    const r0 = decodeBuffer(OffsetForLeaderEpochResponse, 0, wire(0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, zeros(7), 7))
    expect(r0.topics[0]!.partitions[0]).toEqual({ errorCode: 0, partition: 0, leaderEpoch: -1, endOffset: 7 })
  })

  it('AddPartitionsToTxn v3 (client form) and v4 (batched broker form)', () => {
    // prettier-ignore
    const v3 = wire(0x03, 'tx', zeros(7), 5, 0, 1, 0x02, 0x02, 't', 0x02, 0, 0, 0, 7, 0x00, 0x00)
    expect(roundTrip(AddPartitionsToTxnRequest, 3, v3)).toMatchObject({
      v3AndBelowTransactionalId: 'tx',
      v3AndBelowProducerId: 5,
      v3AndBelowProducerEpoch: 1,
      v3AndBelowTopics: [{ name: 't', partitions: [7] }],
      transactions: [],
    })
    // prettier-ignore
    const v4 = wire(
      0x02, // transactions: 1
      0x03, 'tx', zeros(7), 5, 0, 1, // transactionalId, producerId 5, epoch 1
      0x01, // verifyOnly
      0x02, 0x02, 't', 0x03, 0, 0, 0, 0, 0, 0, 0, 1, 0x00, // topics: [{ "t", [0, 1] }]
      0x00, // transaction tags
      0x00,
    )
    const r4 = roundTrip(AddPartitionsToTxnRequest, 4, v4)
    expect(r4.transactions).toEqual([
      {
        transactionalId: 'tx',
        producerId: 5,
        producerEpoch: 1,
        verifyOnly: true,
        topics: [{ name: 't', partitions: [0, 1] }],
      },
    ])
    expect(r4.v3AndBelowTransactionalId).toBe('')

    // prettier-ignore
    const res4 = wire(
      0, 0, 0, 0, // throttleTimeMs
      0, 0, // errorCode
      0x02, 0x03, 'tx', // resultsByTransaction: [{ "tx"
      0x02, 0x02, 't', 0x02, 0, 0, 0, 0, 0, 0x35, 0x00, 0x00, //   topicResults: [{ "t", [{ 0, 53 }] }]
      0x00, // }]
      0x00,
    )
    expect(roundTrip(AddPartitionsToTxnResponse, 4, res4).resultsByTransaction).toEqual([
      {
        transactionalId: 'tx',
        topicResults: [{ name: 't', resultsByPartition: [{ partitionIndex: 0, partitionErrorCode: 53 }] }],
      },
    ])
  })

  it('TxnOffsetCommit v3 carries the group member fields', () => {
    // prettier-ignore
    const buf = wire(
      0x03, 'tx', 0x02, 'g', zeros(7), 5, 0, 1, // transactionalId, groupId, producerId 5, epoch 1
      0, 0, 0, 3, 0x02, 'm', 0x00, // generationId 3, memberId "m", groupInstanceId null
      0x02, 0x02, 't', // topics: [{ "t"
      0x02, 0, 0, 0, 0, zeros(7), 0x2a, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00, //   [{ 0, offset 42, epoch -1, "" }]
      0x00, // }]
      0x00,
    )
    const v = roundTrip(TxnOffsetCommitRequest, 3, buf)
    expect(v).toMatchObject({ generationId: 3, memberId: 'm', groupInstanceId: null })
    expect(v.topics[0]!.partitions).toEqual([
      { partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: -1, committedMetadata: '' },
    ])
    expect(roundTrip(TxnOffsetCommitResponse, 4, wire(0, 0, 0, 0, 0x01, 0x00)).topics).toEqual([])
  })

  it('AddOffsetsToTxn and EndTxn at version 4', () => {
    // prettier-ignore
    const add = wire(0x03, 'tx', zeros(7), 1, 0, 0, 0x02, 'g', 0x00)
    expect(roundTrip(AddOffsetsToTxnRequest, 4, add).groupId).toBe('g')
    expect(roundTrip(AddOffsetsToTxnResponse, 4, wire(0, 0, 0, 0, 0, 0, 0x00))).toEqual({
      throttleTimeMs: 0,
      errorCode: 0,
    })
    // prettier-ignore
    const end = wire(0x03, 'tx', zeros(7), 1, 0, 0, 0x00, 0x00)
    expect(roundTrip(EndTxnRequest, 4, end).committed).toBe(false)
    expect(roundTrip(EndTxnResponse, 4, wire(0, 0, 0, 0, 0, 0x30, 0x00)).errorCode).toBe(48)
  })

  it('WriteTxnMarkers v1', () => {
    // prettier-ignore
    const req = wire(
      0x02, zeros(7), 5, 0, 1, 0x01, // markers: [{ producerId 5, epoch 1, commit
      0x02, 0x02, 't', 0x02, 0, 0, 0, 3, 0x00, //   topics: [{ "t", [3] }]
      0, 0, 0, 7, 0x00, //   coordinatorEpoch 7 }]
      0x00,
    )
    expect(roundTrip(WriteTxnMarkersRequest, 1, req).markers).toEqual([
      {
        producerId: 5,
        producerEpoch: 1,
        transactionResult: true,
        topics: [{ name: 't', partitionIndexes: [3] }],
        coordinatorEpoch: 7,
      },
    ])
    // prettier-ignore
    const res = wire(0x02, zeros(7), 5, 0x02, 0x02, 't', 0x02, 0, 0, 0, 3, 0, 0, 0x00, 0x00, 0x00, 0x00)
    expect(roundTrip(WriteTxnMarkersResponse, 1, res).markers[0]!.topics[0]!.partitions).toEqual([
      { partitionIndex: 3, errorCode: 0 },
    ])
  })

  it('ACL APIs at versions 2 and 3: null filters, USER resource type', () => {
    // prettier-ignore
    const describe2 = wire(0x01, 0x00, 0x01, 0x00, 0x00, 0x01, 0x01, 0x00)
    expect(roundTrip(DescribeAclsRequest, 2, describe2)).toEqual({
      resourceTypeFilter: 1,
      resourceNameFilter: null,
      patternTypeFilter: 1,
      principalFilter: null,
      hostFilter: null,
      operation: 1,
      permissionType: 1,
    })
    expect(roundTrip(DescribeAclsResponse, 3, wire(0, 0, 0, 0, 0, 0, 0x00, 0x01, 0x00)).resources).toEqual([])
    // prettier-ignore
    const create3 = wire(0x02, 7, 0x02, 'u', 3, 0x02, 'U', 0x02, '*', 2, 3, 0x00, 0x00)
    expect(roundTrip(CreateAclsRequest, 3, create3).creations[0]).toMatchObject({
      resourceType: 7,
      resourceName: 'u',
    })
    // prettier-ignore
    const created = wire(0, 0, 0, 0, 0x02, 0, 0, 0x00, 0x00, 0x00)
    expect(roundTrip(CreateAclsResponse, 3, created).results).toEqual([{ errorCode: 0, errorMessage: null }])
    // prettier-ignore
    const delete3 = wire(0x02, 7, 0x00, 1, 0x00, 0x00, 1, 1, 0x00, 0x00)
    expect(roundTrip(DeleteAclsRequest, 3, delete3).filters[0]).toMatchObject({
      resourceNameFilter: null,
      patternTypeFilter: 1,
    })
    // prettier-ignore
    const deleted = wire(0, 0, 0, 0, 0x02, 0, 0, 0x00, 0x01, 0x00, 0x00)
    expect(roundTrip(DeleteAclsResponse, 3, deleted).filterResults).toEqual([
      { errorCode: 0, errorMessage: null, matchingAcls: [] },
    ])
  })

  it('DescribeConfigs v4: null key list, documentation; v0 isDefault', () => {
    // prettier-ignore
    const req = wire(0x02, 0x02, 0x02, 't', 0x00, 0x00, 0x01, 0x01, 0x00)
    expect(roundTrip(DescribeConfigsRequest, 4, req)).toEqual({
      resources: [{ resourceType: 2, resourceName: 't', configurationKeys: null }],
      includeSynonyms: true,
      includeDocumentation: true,
    })
    // prettier-ignore
    const res = wire(
      0, 0, 0, 0, 0x02, // throttleTimeMs, results: 1
      0, 0, 0x00, 0x02, 0x02, 't', // errorCode, errorMessage null, resourceType 2, name
      0x02, 0x02, 'k', 0x02, 'v', 0x00, 0x01, 0x00, // configs: [{ k, v, !readOnly, source 1, !sensitive
      0x01, // synonyms: []
      0x02, 0x00, // configType 2, documentation null
      0x00, 0x00, 0x00, // config tags, result tags, tags
    )
    expect(roundTrip(DescribeConfigsResponse, 4, res).results[0]!.configs[0]).toEqual({
      name: 'k',
      value: 'v',
      readOnly: false,
      isDefault: false,
      configSource: 1,
      isSensitive: false,
      synonyms: [],
      configType: 2,
      documentation: null,
    })
    // v0: isDefault present; configSource, synonyms, configType, documentation absent
    // prettier-ignore
    const v0 = wire(0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0xff, 0xff, 2, 0, 1, 't', 0, 0, 0, 1, 0, 1, 'k', 0xff, 0xff, 1, 1, 0)
    expect(roundTrip(DescribeConfigsResponse, 0, v0).results[0]!.configs[0]).toMatchObject({
      value: null,
      readOnly: true,
      isDefault: true,
      configSource: -1,
      synonyms: [],
    })
  })

  it('AlterConfigs v2 and IncrementalAlterConfigs v1', () => {
    expect(roundTrip(AlterConfigsRequest, 2, wire(0x01, 0x01, 0x00)).validateOnly).toBe(true)
    expect(roundTrip(AlterConfigsResponse, 2, wire(0, 0, 0, 0, 0x01, 0x00)).responses).toEqual([])
    // prettier-ignore
    const req = wire(
      0x02, 0x02, 0x02, 't', // resources: [{ type 2, "t"
      0x02, 0x02, 'k', 0x01, 0x00, 0x00, //   configs: [{ "k", DELETE, null }]
      0x00, // }]
      0x00, // validateOnly
      0x00,
    )
    expect(roundTrip(IncrementalAlterConfigsRequest, 1, req)).toEqual({
      resources: [
        { resourceType: 2, resourceName: 't', configs: [{ name: 'k', configOperation: 1, value: null }] },
      ],
      validateOnly: false,
    })
    // prettier-ignore
    const res = wire(0, 0, 0, 0, 0x02, 0, 0, 0x00, 0x02, 0x02, 't', 0x00, 0x00)
    expect(roundTrip(IncrementalAlterConfigsResponse, 1, res).responses).toEqual([
      { errorCode: 0, errorMessage: null, resourceType: 2, resourceName: 't' },
    ])
  })

  it('DescribeLogDirs: null topic list, v3 error code and v4 volume sizes', () => {
    expect(roundTrip(DescribeLogDirsRequest, 2, wire(0x00, 0x00))).toEqual({ topics: null })
    expect(roundTrip(DescribeLogDirsRequest, 0, wire(0xff, 0xff, 0xff, 0xff))).toEqual({ topics: null })
    // prettier-ignore
    const v4 = wire(
      0, 0, 0, 0, 0, 0, // throttleTimeMs, errorCode
      0x02, 0, 0, 0x03, '/d', // results: [{ errorCode 0, logDir "/d"
      0x02, 0x02, 't', 0x02, 0, 0, 0, 0, zeros(7), 0x10, zeros(8), 0x00, 0x00, 0x00, //   topics
      zeros(6), 0x03, 0xe8, zeros(6), 0x01, 0xf4, //   totalBytes 1000, usableBytes 500
      0x00, // }]
      0x00,
    )
    const r = roundTrip(DescribeLogDirsResponse, 4, v4)
    expect(r.results[0]).toMatchObject({ logDir: '/d', totalBytes: 1000, usableBytes: 500 })
    expect(r.results[0]!.topics[0]!.partitions[0]).toEqual({
      partitionIndex: 0,
      partitionSize: 16,
      offsetLag: 0,
      isFutureKey: false,
    })
    // v2: no top-level error code, sizes default to -1
    // prettier-ignore
    const v2 = wire(0, 0, 0, 0, 0x02, 0, 0, 0x03, '/d', 0x01, 0x00, 0x00)
    expect(roundTrip(DescribeLogDirsResponse, 2, v2).results[0]).toMatchObject({
      totalBytes: -1,
      usableBytes: -1,
    })
  })

  it('SaslAuthenticate v2 uses compact bytes', () => {
    expect(roundTrip(SaslAuthenticateRequest, 2, wire(0x04, 'abc', 0x00)).authBytes.toString()).toBe('abc')
    // prettier-ignore
    const res = wire(0, 0, 0x00, 0x01, zeros(6), 0x03, 0xe8, 0x00)
    expect(roundTrip(SaslAuthenticateResponse, 2, res)).toEqual({
      errorCode: 0,
      errorMessage: null,
      authBytes: Buffer.alloc(0),
      sessionLifetimeMs: 1000,
    })
  })

  it('CreatePartitions v2 with a null assignment list; errorMessage defaults to null', () => {
    // prettier-ignore
    const buf = wire(0x02, 0x02, 't', 0, 0, 0, 4, 0x00, 0x00, 0, 0, 0x13, 0x88, 0x01, 0x00)
    expect(roundTrip(CreatePartitionsRequest, 2, buf)).toEqual({
      topics: [{ name: 't', count: 4, assignments: null }],
      timeoutMs: 5000,
      validateOnly: true,
    })
    expect(encodeToBuffer(CreatePartitionsResponse, 3, { results: [{ name: 't' }] }).toString('hex')).toBe(
      '00000000' + '02' + '0274' + '0000' + '00' + '00' + '00',
    )
  })

  it('DeleteGroups v2', () => {
    expect(roundTrip(DeleteGroupsRequest, 2, wire(0x03, 0x02, 'a', 0x02, 'b', 0x00))).toEqual({
      groupsNames: ['a', 'b'],
    })
    // prettier-ignore
    const res = wire(0, 0, 0, 0, 0x02, 0x02, 'a', 0, 69, 0x00, 0x00)
    expect(roundTrip(DeleteGroupsResponse, 2, res)).toEqual({
      throttleTimeMs: 0,
      results: [{ groupId: 'a', errorCode: 69 }],
    })
  })

  it('ElectLeaders: null topics (all partitions), v0 without election type', () => {
    expect(roundTrip(ElectLeadersRequest, 2, wire(0x01, 0x00, 0, 0, 0xea, 0x60, 0x00))).toEqual({
      electionType: 1,
      topicPartitions: null,
      timeoutMs: 60000,
    })
    // prettier-ignore
    const v0 = wire(0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0x27, 0x10)
    expect(roundTrip(ElectLeadersRequest, 0, v0)).toEqual({
      electionType: 0,
      topicPartitions: [{ topic: 't', partitions: [2] }],
      timeoutMs: 10000,
    })
    // prettier-ignore
    const res = wire(0, 0, 0, 0, 0, 0, 0x02, 0x02, 't', 0x02, 0, 0, 0, 2, 0, 84, 0x03, 'no', 0x00, 0x00, 0x00)
    expect(roundTrip(ElectLeadersResponse, 2, res).replicaElectionResults).toEqual([
      { topic: 't', partitionResult: [{ partitionId: 2, errorCode: 84, errorMessage: 'no' }] },
    ])
  })

  it('DeleteRecords v2', () => {
    // prettier-ignore
    const req = wire(0x02, 0x02, 't', 0x02, 0, 0, 0, 1, zeros(7), 9, 0x00, 0x00, 0, 0, 0x13, 0x88, 0x00)
    expect(roundTrip(DeleteRecordsRequest, 2, req)).toEqual({
      topics: [{ name: 't', partitions: [{ partitionIndex: 1, offset: 9 }] }],
      timeoutMs: 5000,
    })
    expect(roundTrip(DeleteRecordsResponse, 2, wire(0, 0, 0, 0, 0x01, 0x00)).topics).toEqual([])
  })
})
