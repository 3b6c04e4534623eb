/**
 * Malformed and invalid input on raw sockets. Framing errors (garbage, absurd or negative sizes, unknown API keys,
 * unparseable bodies) close that connection, as Kafka does; invalid but well-formed Produce requests get Kafka's
 * error codes (UNKNOWN_SERVER_ERROR -1 for a compressed payload that does not decompress, CORRUPT_MESSAGE 2, MESSAGE_TOO_LARGE 10, INVALID_REQUIRED_ACKS 21, INVALID_RECORD 87 with record_errors) on a connection that stays usable.
 * After every case the broker keeps serving other clients: a long-lived kafkajs admin connection, a fresh raw
 * connection, and kcat.
 */
import type { Admin } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Infer, Input } from '../src/protocol/codec/schema.js'
import { ProduceRequest, ProduceResponse } from '../src/protocol/messages/00-produce.js'
import { ApiVersionsRequest, ApiVersionsResponse } from '../src/protocol/messages/18-api-versions.js'
import { buildRecordBatch, computeBatchCrc, CRC_OFFSET } from '../src/protocol/records/batch.js'
import { Compression } from '../src/protocol/records/compression.js'
import { type BrokerProcess, printBrokerLogsOnFailure, startBroker } from './support/broker.js'
import { uniqueName } from './support/env.js'
import { createTopic, kafkajs } from './support/kafkajs.js'
import { kcatConsume, kcatMetadata } from './support/kcat.js'
import { RawConnection } from './support/raw.js'

const PRODUCE = { key: 0, request: ProduceRequest, response: ProduceResponse }
const API_VERSIONS = { key: 18, request: ApiVersionsRequest, response: ApiVersionsResponse }
const PRODUCE_VERSION = 7

const UNKNOWN_SERVER_ERROR = -1
const CORRUPT_MESSAGE = 2
const MESSAGE_TOO_LARGE = 10
const INVALID_REQUIRED_ACKS = 21
const INVALID_RECORD = 87

let broker: BrokerProcess
let admin: Admin
let topic: string
let smallTopic: string
let compactedTopic: string

printBrokerLogsOnFailure()

beforeAll(async () => {
  broker = await startBroker()
  topic = uniqueName('bad')
  smallTopic = uniqueName('small')
  await createTopic(broker.bootstrap, topic)
  await createTopic(broker.bootstrap, smallTopic, { configs: { 'max.message.bytes': '1024' } })
  compactedTopic = uniqueName('compacted')
  await createTopic(broker.bootstrap, compactedTopic, { configs: { 'cleanup.policy': 'compact' } })
  admin = kafkajs(broker.bootstrap).admin()
  await admin.connect()
})

afterAll(async () => {
  await admin?.disconnect()
  await broker?.stop()
})

async function connect(): Promise<RawConnection> {
  return RawConnection.connect(broker.host, broker.port)
}

/** The broker still serves: the existing admin connection, a new raw connection, and kcat. */
async function expectServing(): Promise<void> {
  expect(broker.isRunning).toBe(true)
  expect(await admin.listTopics()).toContain(topic)
  const c = await connect()
  try {
    const res = await c.request(API_VERSIONS, 0, {})
    expect(res.errorCode).toBe(0)
    expect(res.apiKeys.some((k) => k.apiKey === 0)).toBe(true)
  } finally {
    c.close()
  }
  const md = await kcatMetadata(broker.bootstrap, topic)
  expect(md.topics[0]?.partitions).toHaveLength(1)
}

function produceBody(topicName: string, records: Buffer, acks = -1): Input<Infer<typeof ProduceRequest>> {
  return {
    transactionalId: null,
    acks,
    timeoutMs: 10_000,
    topicData: [{ name: topicName, partitionData: [{ index: 0, records }] }],
  }
}

function validBatch(value = 'ok'): Buffer {
  return buildRecordBatch({ records: [{ key: 'k', value }] })
}

/** `batch` with its compressed payload (after the 61-byte header) replaced, its length and CRC made right again. */
function withPayload(batch: Buffer, payload: Buffer): Buffer {
  const b = Buffer.concat([batch.subarray(0, 61), payload])
  b.writeInt32BE(b.length - 12, 8)
  b.writeUInt32BE(computeBatchCrc(b), CRC_OFFSET)
  return b
}

async function highWatermark(t: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(t)
  return Number(offsets.find((o) => o.partition === 0)!.high)
}

describe('framing errors close the connection; the broker keeps serving', () => {
  it('an HTTP request', async () => {
    const c = await connect()
    await c.write(Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'))
    expect(await c.waitClosed()).toBe(true)
    await expectServing()
  })

  it('random bytes after a plausible size', async () => {
    const c = await connect()
    const junk = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 151 + 7) & 0xff))
    const size = Buffer.alloc(4)
    size.writeInt32BE(junk.length)
    await c.write(Buffer.concat([size, junk]))
    expect(await c.waitClosed()).toBe(true)
    await expectServing()
  })

  it('a 2 GiB length prefix', async () => {
    const c = await connect()
    const b = Buffer.alloc(4 + 64, 0x41)
    b.writeInt32BE(0x7fffffff, 0)
    await c.write(b)
    expect(await c.waitClosed()).toBe(true)
    await expectServing()
  })

  it('a negative length prefix', async () => {
    const c = await connect()
    const b = Buffer.alloc(4 + 16, 0)
    b.writeInt32BE(-1, 0)
    await c.write(b)
    expect(await c.waitClosed()).toBe(true)
    await expectServing()
  })

  it('an unknown API key', async () => {
    const c = await connect()
    // a well-formed v1 request header for API key 1000, no body
    const header = Buffer.alloc(2 + 2 + 4 + 2 + 3)
    header.writeInt16BE(1000, 0)
    header.writeInt16BE(0, 2)
    header.writeInt32BE(42, 4)
    header.writeInt16BE(3, 8)
    header.write('raw', 10)
    const size = Buffer.alloc(4)
    size.writeInt32BE(header.length)
    await c.write(Buffer.concat([size, header]))
    const r = await c.readFrame(10_000)
    expect(r.kind, 'Kafka closes the connection on an unknown API key').toBe('closed')
    await expectServing()
  })

  it('a request whose body is cut short (complete frame)', async () => {
    const c = await connect()
    const { bytes } = c.encodeRequest(PRODUCE, PRODUCE_VERSION, produceBody(topic, validBatch()))
    // keep the header and half the body, with a size that matches what is sent
    const cut = bytes.subarray(0, 4 + Math.floor((bytes.length - 4) / 2))
    const frame = Buffer.from(cut)
    frame.writeInt32BE(frame.length - 4, 0)
    await c.write(frame)
    const r = await c.readFrame(10_000)
    expect(r.kind).toBe('closed')
    expect(await highWatermark(topic)).toBe(0)
    await expectServing()
  })

  it('a frame that stops half way (client closes)', async () => {
    const c = await connect()
    const { bytes } = c.encodeRequest(PRODUCE, PRODUCE_VERSION, produceBody(topic, validBatch()))
    await c.write(bytes.subarray(0, Math.floor(bytes.length / 2)))
    c.socket.end()
    await c.waitClosed(5_000)
    c.close()
    expect(await highWatermark(topic)).toBe(0)
    await expectServing()
  })
})

describe('invalid produce requests get error codes', () => {
  it('a record batch with a wrong CRC: CORRUPT_MESSAGE (2); a right CRC over gzip that does not decompress: UNKNOWN_SERVER_ERROR (-1), cut short: INVALID_RECORD (87); nothing appended', async () => {
    const c = await connect()
    try {
      const batch = validBatch('corrupt me')
      batch.writeUInt32BE((batch.readUInt32BE(CRC_OFFSET) ^ 0xdeadbeef) >>> 0, CRC_OFFSET)
      const res = await c.request(PRODUCE, PRODUCE_VERSION, produceBody(topic, batch))
      const p = res.responses[0]!.partitionResponses[0]!
      expect(p.errorCode).toBe(CORRUPT_MESSAGE)
      expect(await highWatermark(topic)).toBe(0)

      // a payload byte flipped (CRC no longer matches) as well
      const flipped = validBatch('flip a byte')
      flipped[flipped.length - 3] ^= 0xff
      const res2 = await c.request(PRODUCE, PRODUCE_VERSION, produceBody(topic, flipped))
      expect(res2.responses[0]!.partitionResponses[0]!.errorCode).toBe(CORRUPT_MESSAGE)

      // a right CRC over a gzip payload that does not decompress: UNKNOWN_SERVER_ERROR, as Kafka's (the stream's
      // IOException in a KafkaException); one cut short after its header: INVALID_RECORD (an EOFException)
      const gzip = buildRecordBatch({
        records: Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `value ${i}` })),
        compression: Compression.GZIP,
      })
      const garbage = withPayload(gzip, Buffer.alloc(gzip.length - 61, 0xa5))
      const res3 = await c.request(PRODUCE, PRODUCE_VERSION, produceBody(topic, garbage))
      expect(res3.responses[0]!.partitionResponses[0]!.errorCode).toBe(UNKNOWN_SERVER_ERROR)
      const cut = withPayload(gzip, gzip.subarray(61, 61 + Math.floor((gzip.length - 61) / 2)))
      const res4 = await c.request(PRODUCE, PRODUCE_VERSION, produceBody(topic, cut))
      expect(res4.responses[0]!.partitionResponses[0]!.errorCode).toBe(INVALID_RECORD)
      expect(await highWatermark(topic)).toBe(0)

      // the same connection still works
      const ok = await c.request(PRODUCE, PRODUCE_VERSION, produceBody(topic, validBatch('good')))
      expect(ok.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0 })
    } finally {
      c.close()
    }
    const got = await kcatConsume(broker.bootstrap, topic)
    expect(got.map((m) => m.payload)).toEqual(['good'])
    await expectServing()
  })

  it('a batch larger than max.message.bytes: MESSAGE_TOO_LARGE (10)', async () => {
    const c = await connect()
    try {
      const big = buildRecordBatch({ records: [{ key: 'k', value: 'x'.repeat(3000) }] })
      expect(big.length).toBeGreaterThan(1024)
      const res = await c.request(PRODUCE, PRODUCE_VERSION, produceBody(smallTopic, big))
      expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(MESSAGE_TOO_LARGE)
      expect(await highWatermark(smallTopic)).toBe(0)
      const ok = await c.request(PRODUCE, PRODUCE_VERSION, produceBody(smallTopic, validBatch('fits')))
      expect(ok.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0 })
    } finally {
      c.close()
    }
    await expectServing()
  })

  it('a null key on a compacted topic: INVALID_RECORD (87) naming the record (v8+ record_errors)', async () => {
    const c = await connect()
    try {
      const batch = buildRecordBatch({
        records: [
          { key: 'a', value: '1' },
          { key: null, value: '2' },
        ],
      })
      for (const version of [8, 9, 11]) {
        const res = await c.request(PRODUCE, version, produceBody(compactedTopic, batch))
        const p = res.responses[0]!.partitionResponses[0]!
        expect(p.errorCode).toBe(INVALID_RECORD)
        expect(p.errorMessage).toMatch(/Compacted topic cannot accept message without key/)
        expect(p.recordErrors).toEqual([
          { batchIndex: 1, batchIndexErrorMessage: expect.stringMatching(/without key/) },
        ])
      }
      // v7 has no record_errors; the code is the same
      const v7 = await c.request(PRODUCE, 7, produceBody(compactedTopic, batch))
      expect(v7.responses[0]!.partitionResponses[0]!.errorCode).toBe(INVALID_RECORD)
    } finally {
      c.close()
    }
    expect(await highWatermark(compactedTopic)).toBe(0)
    await expectServing()
  })

  it('acks=2: INVALID_REQUIRED_ACKS (21)', async () => {
    const before = await highWatermark(topic)
    const c = await connect()
    try {
      const res = await c.request(PRODUCE, PRODUCE_VERSION, produceBody(topic, validBatch('acks2'), 2))
      expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(INVALID_REQUIRED_ACKS)
      const ok = await c.request(PRODUCE, PRODUCE_VERSION, produceBody(topic, validBatch('acks1'), 1))
      expect(ok.responses[0]!.partitionResponses[0]!.errorCode).toBe(0)
    } finally {
      c.close()
    }
    expect(await highWatermark(topic)).toBe(before + 1)
    await expectServing()
  })
})
