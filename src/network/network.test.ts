import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { RequestDispatcher } from '../handlers/dispatcher.js'
import { apiVersionsHandler, ApiVersionsApi } from '../handlers/18-api-versions.js'
import { defineHandler, api, type Handler } from '../handlers/handler.js'
import { int32, message } from '../protocol/codec/schema.js'
import { silentLogger } from '../util/logger.js'
import { ManualScheduler } from '../util/scheduler.js'
import { eventually } from '../util/test-helpers.js'
import { BrokerClient } from './broker-client.js'
import { connectionQuotaConfig, type ConnectionQuotaConfig } from './connection-quotas.js'
import type { RequestProcessor } from './connection.js'
import { SocketServer } from './socket-server.js'

// A test-only API (key 1000) whose response is delayed by the number of milliseconds in the request, on the
// test's manual time.
const SleepRequest = message({
  name: 'SleepRequest',
  kind: 'request',
  validVersions: '0',
  flexibleVersions: 'none',
  fields: [int32('ms'), int32('tag')],
})
const SleepResponse = message({
  name: 'SleepResponse',
  kind: 'response',
  validVersions: '0',
  flexibleVersions: 'none',
  fields: [int32('tag')],
})
const SleepApi = api({ key: 1000, request: SleepRequest, response: SleepResponse, errorResponse: {} })

let server: SocketServer | undefined
let scheduler = new ManualScheduler()

async function start(
  maxRequestSize = 1024 * 1024,
  connectionsMaxIdleMs = 600_000,
  quotas: Partial<ConnectionQuotaConfig> = { maxConnections: 100, maxConnectionsPerIp: 100 },
): Promise<number> {
  scheduler = new ManualScheduler()
  const d2 = new RequestDispatcher([], silentLogger)
  d2.register(apiVersionsHandler(() => d2.handlers))
  d2.register(
    defineHandler(SleepApi, {
      handle: async (req) => {
        await scheduler.sleep(req.ms)
        return { tag: req.tag }
      },
    }) as Handler,
  )
  server = new SocketServer(
    {
      listeners: [{ name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: '127.0.0.1', port: 0 }],
      limits: { maxRequestSize, maxInFlight: 100, writeHighWaterMark: 1 << 20 },
      connectionQuotas: connectionQuotaConfig(quotas),
      connectionsMaxIdleMs,
      scheduler,
    },
    d2,
    silentLogger,
  )
  const [l] = await server.start()
  return l!.boundPort
}

/** A server on the test's scheduler whose requests go to `processor` (not the dispatcher); returns its port. */
async function startProcessor(processor: RequestProcessor): Promise<number> {
  server = new SocketServer(
    {
      listeners: [{ name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: '127.0.0.1', port: 0 }],
      limits: { maxRequestSize: 1024, maxInFlight: 100, writeHighWaterMark: 1 << 20 },
      connectionQuotas: connectionQuotaConfig({ maxConnections: 10, maxConnectionsPerIp: 10 }),
      connectionsMaxIdleMs: 600_000,
      scheduler,
    },
    processor,
    silentLogger,
  )
  const [l] = await server.start()
  return l!.boundPort
}

afterEach(async () => {
  await server?.stop()
  server = undefined
})

/** Lets I/O and promise jobs run, then moves the manual time on by `step` ms, `times` times. */
async function passTime(step: number, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    for (let j = 0; j < 20; j++) await new Promise((r) => setImmediate(r))
    await scheduler.advance(step)
  }
}

/**
 * Sends raw bytes; resolves when `expectBytes` bytes came back (`closed` false: the connection was still open
 * then) or when the server closed the connection, whichever comes first. `whenSent` runs once the bytes are written.
 */
function raw(
  port: number,
  bytes: Buffer,
  expectBytes = Infinity,
  whenSent: () => unknown = () => {},
): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let got = 0
    const s = net.connect(port, '127.0.0.1', () => s.write(bytes, () => void whenSent()))
    s.on('data', (c) => {
      chunks.push(c)
      got += c.length
      if (got < expectBytes) return
      s.removeAllListeners('close')
      s.destroy()
      resolve({ data: Buffer.concat(chunks), closed: false })
    })
    s.on('close', () => resolve({ data: Buffer.concat(chunks), closed: true }))
    s.on('error', () => {})
  })
}

function frame(
  apiKey: number,
  version: number,
  correlationId: number,
  body: Buffer = Buffer.alloc(0),
): Buffer {
  const header = Buffer.alloc(10)
  header.writeInt16BE(apiKey, 0)
  header.writeInt16BE(version, 2)
  header.writeInt32BE(correlationId, 4)
  header.writeInt16BE(-1, 8) // null client id
  const size = Buffer.alloc(4)
  size.writeInt32BE(header.length + body.length)
  return Buffer.concat([size, header, body])
}

describe('socket server and dispatcher', () => {
  it('max.connections: a connection over the limit waits, unread, until another closes', async () => {
    const port = await start(1024 * 1024, 600_000, { maxConnections: 1 })
    const first = net.connect(port, '127.0.0.1')
    first.on('error', () => {})
    await eventually(() => server!.connectionCount === 1)
    let answered = false
    const second = raw(port, frame(18, 0, 7), 4).then((r) => {
      answered = true
      return r
    })
    await eventually(() => server!.quotas.waiting('PLAINTEXT') === 1)
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r))
    expect(answered).toBe(false)
    first.destroy()
    const r = await second
    expect(r.closed).toBe(false)
    expect(r.data.length).toBeGreaterThanOrEqual(4)
  })

  it('max.connections.per.ip.overrides: a connection over the IP limit is closed at once', async () => {
    const port = await start(1024 * 1024, 600_000, {
      maxConnectionsPerIp: 100,
      maxConnectionsPerIpOverrides: new Map([['127.0.0.1', 1]]),
    })
    const first = net.connect(port, '127.0.0.1')
    first.on('error', () => {})
    await eventually(() => server!.connectionCount === 1)
    const r = await raw(port, frame(18, 0, 7), 4)
    expect(r).toEqual({ data: Buffer.alloc(0), closed: true })
    first.destroy()
    await eventually(() => server!.quotas.ipCount('127.0.0.1') === 0)
    expect((await raw(port, frame(18, 0, 8), 4)).closed).toBe(false)
  })

  it('serves ApiVersions derived from the registered handlers', async () => {
    const port = await start()
    const c = await BrokerClient.connect({ host: '127.0.0.1', port, clientId: 't', requestTimeoutMs: 5000 })
    const res = await c.send(ApiVersionsApi, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1.0' })
    expect(res.errorCode).toBe(0)
    expect(res.apiKeys).toEqual([
      { apiKey: 18, minVersion: 0, maxVersion: 4 },
      { apiKey: 1000, minVersion: 0, maxVersion: 0 },
    ])
    const bad = await c.send(ApiVersionsApi, 3, { clientSoftwareName: '-bad-', clientSoftwareVersion: '1' })
    expect(bad.errorCode).toBe(42)
    c.close()
  })

  it('answers a too-new ApiVersions in the v0 format with UNSUPPORTED_VERSION', async () => {
    const port = await start()
    const { data, closed } = await raw(port, frame(18, 9, 77), 20)
    expect(closed).toBe(false)
    // size, correlation id, error 35, one api key entry (18, 0, 4)
    expect(data.toString('hex')).toBe(
      '00000010' + '0000004d' + '0023' + '00000001' + '0012' + '0000' + '0004',
    )
  })

  it('returns responses in request order even when an earlier request finishes later', async () => {
    const port = await start()
    const body = (ms: number, tag: number) => {
      const b = Buffer.alloc(8)
      b.writeInt32BE(ms, 0)
      b.writeInt32BE(tag, 4)
      return b
    }
    const { data } = await raw(
      port,
      Buffer.concat([
        frame(1000, 0, 1, body(200, 1)),
        frame(1000, 0, 2, body(0, 2)),
        frame(1000, 0, 3, body(50, 3)),
      ]),
      36,
      // once the requests are in, time passes in steps (each request starts when the one before it is answered)
      () => passTime(50, 8),
    )
    const ids = [0, 12, 24].map((o) => data.readInt32BE(o + 4))
    expect(ids).toEqual([1, 2, 3])
  })

  it('closes the connection on an unknown API key, an unsupported version, a malformed body, garbage and oversized frames', async () => {
    const port = await start(1000)
    expect((await raw(port, frame(9999, 0, 1))).closed).toBe(true)
    expect((await raw(port, frame(1000, 5, 1))).closed).toBe(true)
    expect((await raw(port, frame(1000, 0, 1, Buffer.from([1, 2])))).closed).toBe(true)
    expect((await raw(port, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))).closed).toBe(true)
    const huge = Buffer.alloc(4)
    huge.writeInt32BE(0x7fffffff)
    expect((await raw(port, huge)).closed).toBe(true)
    const negative = Buffer.from('ffffffff', 'hex')
    expect((await raw(port, negative)).closed).toBe(true)
    // and keeps serving everyone else
    const c = await BrokerClient.connect({ host: '127.0.0.1', port, clientId: 't', requestTimeoutMs: 5000 })
    expect((await c.send(ApiVersionsApi, 0, {})).errorCode).toBe(0)
    c.close()
  })

  it('closes connections idle for longer than connections.max.idle.ms, on its scheduler', async () => {
    const port = await start(1024 * 1024, 10_000)
    const apiVersions = frame(18, 0, 1)
    const idle = net.connect(port, '127.0.0.1')
    const closed = new Promise<void>((resolve) => idle.on('close', () => resolve()))
    idle.on('error', () => {})
    // served once at t=0, then idle
    await new Promise<void>((resolve) => {
      idle.once('data', () => resolve())
      idle.write(apiVersions)
    })
    expect(server!.connectionCount).toBe(1)
    await scheduler.advance(10_000) // idle for exactly connections.max.idle.ms: kept
    expect(server!.connectionCount).toBe(1)
    await scheduler.advance(1000) // the next check finds it idle for longer
    expect(server!.connectionCount).toBe(0)
    await closed
  })

  it('BrokerClient reads responses that arrive in many small socket chunks, size prefix split too', async () => {
    const port = await start()
    // a proxy that passes requests as they are and hands the answers back 3 bytes per socket write, one write per
    // timer turn (so the client sees each piece as its own chunk, and two pipelined answers interleave piecewise)
    const proxy = net.createServer((down) => {
      const up = net.connect(port, '127.0.0.1')
      down.setNoDelay(true)
      down.on('data', (d) => up.write(d))
      let queue = Promise.resolve()
      up.on('data', (d) => {
        queue = queue.then(async () => {
          for (let i = 0; i < d.length; i += 3) {
            if (down.destroyed) return
            down.write(d.subarray(i, i + 3))
            await new Promise((r) => setTimeout(r, 0))
          }
        })
      })
      down.on('close', () => up.destroy())
      up.on('close', () => down.destroy())
    })
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))
    try {
      const proxyPort = (proxy.address() as net.AddressInfo).port
      const c = await BrokerClient.connect({
        host: '127.0.0.1',
        port: proxyPort,
        clientId: 't',
        requestTimeoutMs: 30_000,
      })
      const answers = [c.send(SleepApi, 0, { ms: 0, tag: 8 }), c.send(SleepApi, 0, { ms: 0, tag: 9 })]
      expect(await Promise.all(answers)).toEqual([{ tag: 8 }, { tag: 9 }])
      c.close()
    } finally {
      await new Promise((r) => proxy.close(r))
    }
  })

  it("times out a request that gets no answer within the client's request timeout, on its scheduler", async () => {
    const port = await start()
    const c = await BrokerClient.connect({
      host: '127.0.0.1',
      port,
      clientId: 't',
      requestTimeoutMs: 500,
      scheduler,
    })
    let settled = false
    const sent = c.send(SleepApi, 0, { ms: 1000, tag: 1 }).finally(() => (settled = true))
    sent.catch(() => {})
    await eventually(() => scheduler.pending().length >= 2) // the timeout and the handler's sleep
    await scheduler.advance(499)
    expect(settled).toBe(false)
    await scheduler.advance(1)
    await expect(sent).rejects.toThrow('Sleep request timed out')
    expect(c.isOpen).toBe(false)
  })

  it('starts a request only once the responses ahead of it are done, except pipelined overlapping ones', async () => {
    // Frames of this processor: kind int16 (0 = may overlap, like Produce), delay int32 ms, tag int32. The answer
    // is the tag and how many requests had completed when the request started.
    scheduler = new ManualScheduler()
    let completed = 0
    const processor: RequestProcessor = {
      mayOverlap: (f) => f.readInt16BE(0) === 0,
      async process(f) {
        const seen = completed
        const answer = Buffer.alloc(8)
        answer.writeInt32BE(f.readInt32BE(6), 0)
        answer.writeInt32BE(seen, 4)
        await scheduler.sleep(f.readInt32BE(2))
        completed++
        return [answer]
      },
    }
    const port = await startProcessor(processor)
    const req = (kind: number, ms: number, tag: number): Buffer => {
      const b = Buffer.alloc(14)
      b.writeInt32BE(10, 0)
      b.writeInt16BE(kind, 4)
      b.writeInt32BE(ms, 6)
      b.writeInt32BE(tag, 10)
      return b
    }
    const { data } = await raw(
      port,
      Buffer.concat([
        req(0, 150, 1), // overlapping (a produce waiting for acks)
        req(0, 10, 2), // overlapping: starts at once
        req(1, 0, 3), // a metadata request: starts after 1 and 2 answered
        req(0, 0, 4), // overlapping, but behind a request that is not: waits for it
      ]),
      48,
      () => passTime(10, 20),
    )
    const answers = [0, 12, 24, 36].map((o) => [data.readInt32BE(o + 4), data.readInt32BE(o + 8)])
    expect(answers).toEqual([
      [1, 0],
      [2, 0],
      [3, 2],
      [4, 3],
    ])
  })
  it('writes the responses that complete in the same tick with one socket write', async () => {
    // Three pipelined overlapping requests (like acks=all produces that one log write acknowledges) complete in
    // the same round of promise jobs: their responses leave in one corked write, not one write each.
    let open: () => void = () => {}
    const gate = new Promise<void>((r) => (open = r))
    let started = 0
    const processor: RequestProcessor = {
      mayOverlap: () => true,
      async process(f) {
        started++
        await gate
        return [Buffer.from(f.subarray(0, 4))]
      },
    }
    const port = await startProcessor(processor)
    const client = net.connect(port, '127.0.0.1')
    client.on('error', () => {})
    const writes: number[] = [] // chunks per write of the server's sockets
    const proto = net.Socket.prototype as unknown as {
      _writev(this: net.Socket, chunks: unknown[], cb: () => void): void
      _write(this: net.Socket, chunk: unknown, enc: string, cb: () => void): void
    }
    const realWritev = proto._writev
    const realWrite = proto._write
    proto._writev = function (chunks, cb) {
      if (this !== client) writes.push(chunks.length)
      realWritev.call(this, chunks, cb)
    }
    proto._write = function (chunk, enc, cb) {
      if (this !== client) writes.push(1)
      realWrite.call(this, chunk, enc, cb)
    }
    try {
      const req = (tag: number): Buffer => {
        const b = Buffer.alloc(12)
        b.writeInt32BE(8, 0)
        b.writeInt32BE(tag, 4)
        return b
      }
      const got: Buffer[] = []
      let bytes = 0
      const answered = new Promise<void>((resolve) =>
        client.on('data', (c: Buffer) => {
          got.push(c)
          bytes += c.length
          if (bytes >= 24) resolve()
        }),
      )
      client.write(Buffer.concat([req(1), req(2), req(3)]))
      await eventually(() => started === 3)
      open()
      await answered
      const data = Buffer.concat(got)
      expect([0, 8, 16].map((o) => data.readInt32BE(o + 4))).toEqual([1, 2, 3])
      expect(writes).toEqual([6]) // three size prefixes and three bodies
    } finally {
      proto._writev = realWritev
      proto._write = realWrite
      client.destroy()
    }
  })
})
