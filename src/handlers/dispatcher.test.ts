/** The dispatcher answers whatever a handler throws with the API's error response. */
import { describe, expect, it } from 'vitest'
import { Channel } from '../network/channel.js'
import { CloseConnection } from '../network/connection.js'
import { decode, encode, isFlexible } from '../protocol/codec/codec.js'
import { Reader } from '../protocol/codec/reader.js'
import type { Input } from '../protocol/codec/schema.js'
import { Writer } from '../protocol/codec/writer.js'
import { ErrorCode, KafkaError } from '../protocol/errors.js'
import {
  RequestHeader,
  requestHeaderVersion,
  ResponseHeader,
  responseHeaderVersion,
} from '../protocol/headers.js'
import { Apis } from '../protocol/messages/index.js'
import { pino } from 'pino'
import type { ApiDef } from '../protocol/api.js'
import { RequestDispatcher } from './dispatcher.js'
import { defineHandler, type Handler } from './handler.js'

const conn = new Channel({
  id: 'c1',
  listenerName: 'PLAINTEXT',
  securityProtocol: 'PLAINTEXT',
  remoteAddress: '127.0.0.1',
  remotePort: 5000,
  localAddress: '127.0.0.1',
  localPort: 9092,
})

function frame<Req, Res>(a: ApiDef<Req, Res>, version: number, body: Input<Req>): Buffer {
  const w = new Writer(256)
  const flexible = isFlexible(a.request, version)
  encode(
    RequestHeader,
    requestHeaderVersion(a.key, flexible, version),
    { requestApiKey: a.key, requestApiVersion: version, correlationId: 42, clientId: 'test' },
    w,
  )
  encode(a.request, version, body, w)
  return Buffer.concat(w.finish())
}

async function call<Req, Res>(
  d: RequestDispatcher,
  a: ApiDef<Req, Res>,
  version: number,
  body: Input<Req>,
): Promise<Res> {
  const chunks = await d.process(frame(a, version, body), conn)
  const r = new Reader(Buffer.concat(chunks!))
  expect(decode(ResponseHeader, responseHeaderVersion(a.key, isFlexible(a.response, version)), r)).toEqual({
    correlationId: 42,
  })
  return decode(a.response, version, r)
}

function setup() {
  const lines: { level: number; msg: string }[] = []
  const log = pino(
    { level: 'debug' },
    { write: (s: string) => void lines.push(JSON.parse(s) as { level: number; msg: string }) },
  )
  const throwing = (a: ApiDef<unknown, unknown>, e: unknown): Handler =>
    defineHandler(a, {
      handle: async () => {
        await Promise.resolve()
        throw e
      },
    })
  const d = new RequestDispatcher(
    [
      throwing(Apis.Heartbeat as ApiDef<unknown, unknown>, new KafkaError(ErrorCode.NOT_COORDINATOR)),
      throwing(Apis.DescribeGroups as ApiDef<unknown, unknown>, new TypeError('x is undefined')),
      defineHandler(Apis.Produce, {
        handle: () => {
          throw new KafkaError(ErrorCode.NOT_ENOUGH_REPLICAS, 'only 1 in sync')
        },
      }) as Handler,
    ],
    log,
  )
  return { d, lines }
}

describe('error responses from the dispatcher', () => {
  it('a KafkaError becomes its code, in the places the API declares', async () => {
    const { d } = setup()
    expect(await call(d, Apis.Heartbeat, 4, { groupId: 'g', memberId: 'm' })).toMatchObject({
      errorCode: ErrorCode.NOT_COORDINATOR,
    })
    const p = await call(d, Apis.Produce, 9, {
      acks: 1,
      topicData: [{ name: 't', partitionData: [{ index: 0, records: null }] }],
    })
    expect(p.responses[0]!.partitionResponses[0]).toMatchObject({
      index: 0,
      errorCode: ErrorCode.NOT_ENOUGH_REPLICAS,
      errorMessage: 'only 1 in sync',
      baseOffset: -1,
    })
  })

  it('anything else is UNKNOWN_SERVER_ERROR, logged with its stack, its message not sent', async () => {
    const { d, lines } = setup()
    const res = await call(d, Apis.DescribeGroups, 5, { groups: ['a', 'b'] })
    expect(res.groups.map((g) => [g.groupId, g.errorCode])).toEqual([
      ['a', ErrorCode.UNKNOWN_SERVER_ERROR],
      ['b', ErrorCode.UNKNOWN_SERVER_ERROR],
    ])
    const logged = lines.find((l) => l.level === 50)
    expect(logged?.msg).toMatch(/^Unexpected error handling DescribeGroups v5 request/)
    expect(JSON.stringify(logged)).toContain('x is undefined')
  })

  it('a failed request that wants no response (Produce acks=0) closes the connection', async () => {
    const { d } = setup()
    const f = frame(Apis.Produce, 9, { acks: 0, topicData: [] })
    expect(() => d.process(f, conn)).toThrow(CloseConnection)
  })
})

describe('the request quota in the dispatcher', () => {
  it("puts the request quota's throttle time in the response (at least what the handler set) and meters encoding", async () => {
    let now = 0
    const recorded: { api: number; ms: number; kind: string }[] = []
    const d = new RequestDispatcher(
      [
        defineHandler(Apis.Heartbeat, {
          handle: () => {
            now += 30 // the handler's synchronous work
            return { errorCode: 0, throttleTimeMs: 5 }
          },
        }) as Handler,
      ],
      pino({ level: 'silent' }),
      undefined,
      {
        now: () => now,
        requestCompleted: () => {},
        handlerTime: (ctx, _body, ms) => {
          recorded.push({ api: ctx.apiKey, ms, kind: 'handler' })
          return 250
        },
        networkTime: (ctx, ms) => recorded.push({ api: ctx.apiKey, ms, kind: 'network' }),
      },
    )
    const res = await call(d, Apis.Heartbeat, 4, { groupId: 'g', generationId: 1, memberId: 'm' })
    expect(res).toMatchObject({ errorCode: 0, throttleTimeMs: 250 })
    expect(recorded).toEqual([
      { api: Apis.Heartbeat.key, ms: 30, kind: 'handler' },
      { api: Apis.Heartbeat.key, ms: 0, kind: 'network' },
    ])
  })
})
