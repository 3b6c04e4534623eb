import net from 'node:net'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { ZkMetadataStore } from './zk-store.js'

/**
 * A ZooKeeper that answers session handshakes (or not, per connection, as `answer(i)` says) and nothing else: no
 * answer to pings or requests, like a server that hangs once the session is up.
 */
async function fakeZooKeeper(
  answer: (connection: number) => boolean,
  negotiatedTimeoutMs: number,
  afterHandshake?: (connection: number, socket: net.Socket) => void,
): Promise<{ port: number; connections: () => number; drop: () => void; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>()
  let n = 0
  const server = net.createServer((s) => {
    const i = n++
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => {})
    let answered = false
    s.on('data', () => {
      if (answered || !answer(i)) return
      answered = true
      // ConnectResponse: protocolVersion, timeOut, sessionId, passwd (16 bytes)
      const body = Buffer.alloc(4 + 4 + 8 + 4 + 16)
      body.writeInt32BE(0, 0)
      body.writeInt32BE(negotiatedTimeoutMs, 4)
      body.writeBigInt64BE(0x1234n, 8)
      body.writeInt32BE(16, 16)
      const size = Buffer.alloc(4)
      size.writeInt32BE(body.length)
      s.write(Buffer.concat([size, body]))
      afterHandshake?.(i, s)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    connections: () => n,
    drop: () => {
      for (const s of sockets) s.destroy()
    },
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}

function capturingLogger(): { log: pino.Logger; lines: string[] } {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push((JSON.parse(chunk.toString()) as { msg: string }).msg)
      cb()
    },
  })
  return { log: pino({ level: 'info' }, stream), lines }
}

const until = async (what: string, cond: () => boolean, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

let cleanup: (() => Promise<void>)[] = []

/** A store with a 30 s session on the fake ZooKeeper (both closed after the test), counting its reconnects. */
async function storeOn(zk: { port: number; close: () => Promise<void> }): Promise<{
  store: ZkMetadataStore
  lines: string[]
  reconnects: () => number
}> {
  cleanup.push(zk.close)
  const { log, lines } = capturingLogger()
  const store = await ZkMetadataStore.connect({
    connect: `127.0.0.1:${zk.port}`,
    sessionTimeoutMs: 30_000,
    connectionTimeoutMs: 5000,
    log,
  })
  cleanup.push(() => store.close())
  let reconnected = 0
  store.on('connected', () => reconnected++)
  return { store, lines, reconnects: () => reconnected }
}
afterEach(async () => {
  for (const c of cleanup.reverse()) await c()
  cleanup = []
})

describe('ZkMetadataStore connection supervision (timeouts node-zookeeper-client lacks)', () => {
  it('an established connection that hears nothing for 2/3 of the session timeout is closed and reopened', async () => {
    const zk = await fakeZooKeeper(() => true, 1500)
    cleanup.push(zk.close)
    const { log, lines } = capturingLogger()
    const store = await ZkMetadataStore.connect({
      connect: `127.0.0.1:${zk.port}`,
      sessionTimeoutMs: 1500,
      connectionTimeoutMs: 5000,
      log,
    })
    cleanup.push(() => store.close())
    expect(zk.connections()).toBe(1)
    const t0 = Date.now()
    await until('a second connection', () => zk.connections() >= 2, 5000)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900) // not before 2/3 of 1500 ms of silence
    expect(lines.some((l) => l.includes('have not heard from the server'))).toBe(true)
  })

  it('a reconnect whose session handshake is never answered is abandoned and tried again', async () => {
    // Connection 0 is answered; after it drops, connection 1 is accepted and never answered (a ZooKeeper still
    // starting up); connection 2 is answered again.
    const zk = await fakeZooKeeper((i) => i !== 1, 30_000)
    const { store, lines, reconnects } = await storeOn(zk)
    // A 30 s session over one server: a connect timeout of 30 s. Shorten it as a smaller session would.
    ;(
      store as unknown as { client: { connectionManager: { connectTimeout: number } } }
    ).client.connectionManager.connectTimeout = 1000
    zk.drop()
    await until('the unanswered connection', () => zk.connections() >= 2, 5000)
    await until('a reconnect after the unanswered handshake', () => reconnects() >= 1, 5000)
    expect(zk.connections()).toBe(3)
    expect(lines.some((l) => l.includes('no answer to the session handshake'))).toBe(true)
  })

  it('a connection lost in the middle of a response leaves nothing behind for the next one', async () => {
    // Connection 0 is answered, then sends the first 14 bytes of a 1000-byte frame and drops (ZooKeeper stopped
    // while answering). Connection 1's handshake answer must be read as such, not as more of that frame.
    const zk = await fakeZooKeeper(
      () => true,
      30_000,
      (i, s) => {
        if (i !== 0) return
        const partial = Buffer.alloc(14)
        partial.writeInt32BE(1000, 0)
        s.write(partial, () => setTimeout(() => s.destroy(), 50))
      },
    )
    const { reconnects } = await storeOn(zk)
    await until('a reconnect after the torn frame', () => reconnects() >= 1, 5000)
    expect(zk.connections()).toBe(2)
  })

  it('while shutting down, an operation waits at most zookeeper.connection.timeout.ms for an unreachable ZooKeeper', async () => {
    const zk = await fakeZooKeeper(() => true, 30_000)
    const store = await ZkMetadataStore.connect({
      connect: `127.0.0.1:${zk.port}`,
      sessionTimeoutMs: 30_000,
      connectionTimeoutMs: 800,
      log: capturingLogger().log,
    })
    cleanup.push(() => store.close())
    await zk.close() // ZooKeeper is gone
    await until('the disconnection', () => !(store as unknown as { connected: boolean }).connected, 2000)
    store.beginClose()
    const t0 = Date.now()
    await expect(store.getData('/brokers/ids/1')).rejects.toThrow(/zookeeper.connection.timeout.ms/)
    const waited = Date.now() - t0
    expect(waited).toBeGreaterThanOrEqual(700)
    expect(waited).toBeLessThan(3000)
  })
})
