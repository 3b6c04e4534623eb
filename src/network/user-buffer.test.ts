import { createHash } from 'node:crypto'
import net from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { fetchBufferPool } from '../util/buffer-pool.js'
import { silentLogger } from '../util/logger.js'
import { eventually } from '../util/test-helpers.js'
import { connectionQuotaConfig } from './connection-quotas.js'
import type { RequestProcessor } from './connection.js'
import { SocketServer } from './socket-server.js'
import { BrokerClient } from './broker-client.js'
import { RequestDispatcher } from '../handlers/dispatcher.js'
import { apiVersionsHandler } from '../handlers/18-api-versions.js'
import { api, defineHandler, type Handler } from '../handlers/handler.js'
import { bytes, int32, message } from '../protocol/codec/schema.js'
import { forceUserBufferFallback, userBufferSupported } from './user-buffer.js'

// Frames of this processor: tag int32, then filler. It holds every frame for a few event-loop turns (as a produce
// frame is held until its write lands) while later reads go on, then answers tag + sha1 of the frame as it is then.
let server: SocketServer | undefined

afterEach(async () => {
  forceUserBufferFallback(false)
  fetchBufferPool.poisonOnRelease = false
  await server?.stop()
  server = undefined
})

const turns = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r))
}

async function start(readInPlace: boolean, maxRequestSize = 4 << 20): Promise<number> {
  const processor: RequestProcessor = {
    mayOverlap: () => true,
    async process(f) {
      const lease = fetchBufferPool.lease(f)
      await turns(3)
      const answer = Buffer.alloc(24)
      answer.writeInt32BE(f.readInt32BE(0), 0)
      createHash('sha1').update(lease.bytes).digest().copy(answer, 4)
      lease.release() // a pooled frame goes back (and is poisoned): a frame still read by anyone shows it
      return [answer]
    },
  }
  server = new SocketServer(
    {
      listeners: [{ name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: '127.0.0.1', port: 0 }],
      limits: { maxRequestSize, maxInFlight: 4, writeHighWaterMark: 1 << 20 },
      connectionQuotas: connectionQuotaConfig({ maxConnections: 10, maxConnectionsPerIp: 10 }),
      connectionsMaxIdleMs: 600_000,
      readInPlace,
    },
    processor,
    silentLogger,
  )
  const [l] = await server.start()
  return l!.boundPort
}

/** Frames of many sizes (some read in place, some not), written in pieces of odd sizes, prefixes split too. */
function frames(): { bytes: Buffer; expected: string[] } {
  const sizes = [
    8,
    100,
    16 * 1024 - 1,
    16 * 1024,
    70_000,
    1_000_000,
    8,
    1_000_000,
    300_000,
    9,
    200,
    2_000_000,
    3_500_000, // (in place: a buffer that grows 1 -> 2 -> 4 MiB as the bytes arrive)
  ]
  const parts: Buffer[] = []
  const expected: string[] = []
  sizes.forEach((size, tag) => {
    const body = Buffer.alloc(size)
    for (let i = 4; i < body.length; i++) body[i] = (i * 31 + tag * 7) & 0xff
    body.writeInt32BE(tag, 0)
    const prefix = Buffer.alloc(4)
    prefix.writeInt32BE(body.length)
    parts.push(prefix, body)
    expected.push(`${tag}:${createHash('sha1').update(body).digest('hex')}`)
  })
  return { bytes: Buffer.concat(parts), expected }
}

async function exchange(port: number, bytes: Buffer, answers: number): Promise<string[]> {
  const s = net.connect(port, '127.0.0.1')
  s.setNoDelay(true)
  s.on('error', () => {})
  const got: Buffer[] = []
  let gotBytes = 0
  s.on('data', (d: Buffer) => {
    got.push(d)
    gotBytes += d.length
  })
  await new Promise<void>((r) => s.once('connect', () => r()))
  // pieces of 3 bytes (a split size prefix), 70 KiB, 1 byte, 1 MiB... each write flushed before the next
  const pieces = [3, 70_001, 1, 1 << 20, 5, 33_333]
  for (let off = 0, i = 0; off < bytes.length; i++) {
    const n = pieces[i % pieces.length]!
    const piece = bytes.subarray(off, off + n)
    off += piece.length
    if (s.destroyed) throw new Error(`closed after ${off} bytes`)
    if (!s.write(piece))
      await new Promise((r) => {
        s.once('drain', r)
        s.once('close', r)
      })
    await turns(1)
  }
  const want = answers * 28
  await eventually(() => gotBytes >= want || s.destroyed)
  expect(s.destroyed).toBe(false)
  s.destroy()
  const all = Buffer.concat(got)
  const out: string[] = []
  for (let o = 0; o < want; o += 28)
    out.push(`${all.readInt32BE(o + 4)}:${all.subarray(o + 8, o + 28).toString('hex')}`)
  return out
}

describe('reading into our own buffers (user-buffer.ts) and the fallback', () => {
  it("Node 20's internals let accepted sockets read into our buffers", () => {
    expect(userBufferSupported()).toBe(true)
  })

  for (const mode of ['in place', "'data' events", 'forced fallback'] as const) {
    it(`${mode}: frames of every size arrive intact and in order while earlier ones are still held`, async () => {
      fetchBufferPool.poisonOnRelease = true
      if (mode === 'forced fallback') forceUserBufferFallback(true)
      const port = await start(mode !== "'data' events")
      const { bytes, expected } = frames()
      const answers = exchange(port, bytes, expected.length)
      await eventually(() => server!.connectionCount === 1)
      expect(server!.inPlaceConnectionCount).toBe(mode === 'in place' ? 1 : 0)
      expect(await answers).toEqual(expected)
    })

    it(`${mode}: a large frame declared costs what has arrived of it, not its declared size`, async () => {
      if (mode === 'forced fallback') forceUserBufferFallback(true)
      const port = await start(mode !== "'data' events")
      const sizes: number[] = []
      const realAcquire = fetchBufferPool.acquire.bind(fetchBufferPool)
      const acquire = vi.spyOn(fetchBufferPool, 'acquire').mockImplementation((size: number) => {
        sizes.push(size)
        return realAcquire(size)
      })
      try {
        const body = Buffer.alloc((4 << 20) - 1, 5)
        body.writeInt32BE(77, 0)
        const prefix = Buffer.alloc(4)
        prefix.writeInt32BE(body.length)
        const s = net.connect(port, '127.0.0.1')
        s.on('error', () => {})
        const answer = new Promise<Buffer>((r) => s.once('data', r))
        s.write(Buffer.concat([prefix, body.subarray(0, 100)]))
        await eventually(() => server!.connectionCount === 1)
        await turns(20)
        expect(Math.max(0, ...sizes), 'the most allocated for it so far').toBeLessThanOrEqual(1 << 20)
        s.write(body.subarray(100))
        const a = await answer
        expect(a.readInt32BE(4)).toBe(77)
        expect(a.subarray(8, 28).toString('hex')).toBe(createHash('sha1').update(body).digest('hex'))
        s.destroy()
      } finally {
        acquire.mockRestore()
      }
    })

    it(`${mode}: an oversized frame is refused before its body is read; stop() sees every connection`, async () => {
      if (mode === 'forced fallback') forceUserBufferFallback(true)
      const port = await start(mode !== "'data' events", 64 * 1024)
      const s = net.connect(port, '127.0.0.1')
      s.on('error', () => {})
      const closed = new Promise<void>((r) => s.once('close', () => r()))
      const prefix = Buffer.alloc(4)
      prefix.writeInt32BE(64 * 1024 + 1)
      s.write(Buffer.concat([prefix, Buffer.alloc(1000)]))
      await closed
      // a connection that stays open is closed by stop()
      const open = net.connect(port, '127.0.0.1')
      open.on('error', () => {})
      const openClosed = new Promise<void>((r) => open.once('close', () => r()))
      await eventually(() => server!.connectionCount === 1)
      await server!.stop()
      server = undefined
      await openClosed
    })
  }
})

// A test-only API (key 1001) whose response carries `size` bytes of a pattern that depends on `tag`.
const BlobRequest = message({
  name: 'BlobRequest',
  kind: 'request',
  validVersions: '0',
  flexibleVersions: 'none',
  fields: [int32('size'), int32('tag')],
})
const BlobResponse = message({
  name: 'BlobResponse',
  kind: 'response',
  validVersions: '0',
  flexibleVersions: 'none',
  fields: [int32('tag'), bytes('data')],
})
const BlobApi = api({ key: 1001, request: BlobRequest, response: BlobResponse, errorResponse: {} })
const blob = (size: number, tag: number): Buffer => {
  const b = Buffer.alloc(size)
  for (let i = 0; i < size; i++) b[i] = (i * 13 + tag) & 0xff
  return b
}

describe('BrokerClient reads responses into its own buffers', () => {
  for (const tlsLike of [false, true]) {
    it(`${tlsLike ? "'data' events (forced)" : 'in place'}: pipelined responses of every size arrive intact`, async () => {
      const dispatcher = new RequestDispatcher([], silentLogger)
      dispatcher.register(apiVersionsHandler(() => dispatcher.handlers))
      dispatcher.register(
        defineHandler(BlobApi, {
          handle: async (req) => {
            await turns(req.tag % 3)
            return { tag: req.tag, data: blob(req.size, req.tag) }
          },
        }) as Handler,
      )
      server = new SocketServer(
        {
          listeners: [{ name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: '127.0.0.1', port: 0 }],
          limits: { maxRequestSize: 1 << 20, maxInFlight: 100, writeHighWaterMark: 1 << 20 },
          connectionQuotas: connectionQuotaConfig({ maxConnections: 10, maxConnectionsPerIp: 10 }),
          connectionsMaxIdleMs: 600_000,
        },
        dispatcher,
        silentLogger,
      )
      const [l] = await server.start()
      const c = await BrokerClient.connect({
        host: '127.0.0.1',
        port: l!.boundPort,
        clientId: 't',
        requestTimeoutMs: 30_000,
        readInPlace: !tlsLike,
      })
      try {
        expect(c.readsInPlace).toBe(!tlsLike)
        const sizes = [0, 100, 16 * 1024, 3_000_000, 1, 300_000, 70_000, 2_000_000, 10]
        const answers = await Promise.all(sizes.map((size, tag) => c.send(BlobApi, 0, { size, tag })))
        answers.forEach((a, tag) => {
          expect(a.tag).toBe(tag)
          expect(a.data!.equals(blob(sizes[tag]!, tag))).toBe(true)
        })
      } finally {
        c.close()
      }
    })
  }
})
