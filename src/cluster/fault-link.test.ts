import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { systemScheduler } from '../util/scheduler.js'
import { FaultLink } from './fault-link.js'

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of closers.splice(0)) await c()
})

/** An echo server: answers every chunk with 'echo:' + chunk. */
async function echoServer(): Promise<{ host: string; port: number }> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((s) => {
    sockets.add(s)
    s.on('data', (d) => s.write(`echo:${d.toString()}`))
    s.on('error', () => {})
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  closers.push(async () => {
    for (const s of sockets) s.destroy()
    await new Promise<void>((r) => server.close(() => r()))
  })
  return { host: '127.0.0.1', port: (server.address() as net.AddressInfo).port }
}

async function link(opts: Parameters<typeof FaultLink.open>[4] = {}): Promise<FaultLink> {
  const l = await FaultLink.open('test', systemScheduler, await echoServer(), '127.0.0.1', opts)
  closers.unshift(() => l.close())
  return l
}

/** A client connection that collects what it receives. */
async function connect(l: FaultLink): Promise<{ s: net.Socket; got: () => string; closed: Promise<void> }> {
  const s = net.connect(l.port, '127.0.0.1')
  let got = ''
  s.on('data', (d) => (got += d.toString()))
  s.on('error', () => {})
  const closed = new Promise<void>((r) => s.on('close', () => r()))
  await new Promise<void>((r) => s.once('connect', () => r()))
  closers.unshift(async () => void s.destroy())
  return { s, got: () => got, closed }
}

async function until(ok: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe('FaultLink', () => {
  it('passes bytes both ways; hold keeps them until heal, then delivers them in order', async () => {
    const l = await link()
    const c = await connect(l)
    c.s.write('a')
    await until(() => c.got() === 'echo:a')
    l.set({ up: 'hold', down: 'hold' })
    c.s.write('b')
    await new Promise((r) => setTimeout(r, 50))
    expect(c.got()).toBe('echo:a')
    l.heal()
    await l.heldConnectionsAnswered()
    await until(() => c.got() === 'echo:aecho:b')
  })

  it('drop discards bytes for good; the connection stays up', async () => {
    const l = await link()
    const c = await connect(l)
    l.set({ down: 'drop' })
    c.s.write('lost')
    await until(() => l.dropped('down') === 'echo:lost'.length)
    expect(l.dropped('up')).toBe(0)
    l.set({})
    c.s.write('kept')
    await until(() => c.got().includes('echo:kept'))
    expect(c.got()).not.toContain('lost')
  })

  it('classifies connections by source; a rule for one source leaves the others alone', async () => {
    const l = await link({ classify: (b) => (b.length < 2 ? undefined : b.toString('utf8', 0, 2)) })
    const a = await connect(l)
    const b = await connect(l)
    a.s.write('A')
    a.s.write('1') // the source is known from the second byte on
    b.s.write('B2')
    await until(() => a.got().includes('1') && b.got().length > 0)
    expect([...l.connections().entries()].sort()).toEqual([
      ['A1', 1],
      ['B2', 1],
    ])
    l.set({ up: 'hold' }, 'A1')
    a.s.write('x')
    b.s.write('y')
    await until(() => b.got().endsWith('echo:y'))
    expect(a.got()).not.toContain('x')
    l.heal()
    await until(() => a.got().endsWith('echo:x'))
  })

  it('refuse() resets the connections and refuses new ones; listen() serves again on the same port', async () => {
    const l = await link()
    const port = l.port
    const c = await connect(l)
    await l.refuse()
    await c.closed
    await expect(
      new Promise((resolve, reject) =>
        net.connect(port, '127.0.0.1').on('connect', resolve).on('error', reject),
      ),
    ).rejects.toThrow(/ECONNREFUSED/)
    await l.listen()
    expect(l.port).toBe(port)
    const d = await connect(l)
    d.s.write('z')
    await until(() => d.got() === 'echo:z')
  })
})
