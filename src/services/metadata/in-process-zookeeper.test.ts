import { describe, expect, it } from 'vitest'
import { ManualScheduler } from '../../util/scheduler.js'
import { InProcessZooKeeper, type InProcessZkClient } from './in-process-zookeeper.js'
import { StoreError, type WatchEvent } from './store.js'
import { tick } from './test-helpers.js'

function setup(sessionTimeoutMs = 6000): {
  scheduler: ManualScheduler
  zk: InProcessZooKeeper
  client: (name?: string) => InProcessZkClient
} {
  const scheduler = new ManualScheduler()
  const zk = new InProcessZooKeeper({ scheduler })
  return {
    scheduler,
    zk,
    client: (name) => zk.connect({ sessionTimeoutMs, connectionTimeoutMs: 30, name }),
  }
}

/** The events a client emits, in order. */
function events(c: InProcessZkClient): string[] {
  const seen: string[] = []
  for (const e of ['connected', 'disconnected', 'newSession']) c.on(e, () => seen.push(e))
  return seen
}

/** Whether a promise has settled after the pending turns ran. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false
  p.then(
    () => (done = true),
    () => (done = true),
  )
  await tick()
  await tick()
  return done
}

describe('InProcessZooKeeper', () => {
  it('keeps one tree for every client: versions, sequential names, czxid and multi as ZooKeeper', async () => {
    const { client } = setup()
    const a = client('a')
    const b = client('b')
    await a.create('/x', Buffer.from('1'))
    expect((await b.getData('/x'))!.data.toString()).toBe('1')
    await expect(b.setData('/x', Buffer.from('2'), 5)).rejects.toMatchObject({ code: 'BAD_VERSION' })
    expect((await b.setData('/x', Buffer.from('2'), 0)).version).toBe(1)
    expect(await a.create('/x/s_', null, 'persistent_sequential')).toBe('/x/s_0000000000')
    expect(await b.create('/x/s_', null, 'persistent_sequential')).toBe('/x/s_0000000001')
    const first = (await a.exists('/x/s_0000000000'))!.czxid
    expect((await a.exists('/x/s_0000000001'))!.czxid).toBeGreaterThan(first)
    await expect(
      a.multi([
        { op: 'create', path: '/y', data: null },
        { op: 'check', path: '/x', version: 0 },
      ]),
    ).rejects.toBeInstanceOf(StoreError)
    expect(await b.exists('/y')).toBeNull()
    await a.multi([
      { op: 'create', path: '/y', data: null },
      { op: 'check', path: '/x', version: 1 },
    ])
    expect(await b.exists('/y')).not.toBeNull()
  })

  it('ephemeral nodes belong to their session: another session cannot delete them through deleteEphemeral', async () => {
    const { client } = setup()
    const a = client('a')
    const b = client('b')
    await a.create('/e', null, 'ephemeral')
    expect((await b.exists('/e'))!.ephemeralOwner).toBe(a.sessionId)
    expect(a.sessionId).not.toBe(b.sessionId)
    expect(await b.deleteEphemeral('/e')).toBe(false)
    expect(await b.exists('/e')).not.toBeNull()
    await expect(a.create('/e/child', null)).rejects.toMatchObject({ code: 'NO_CHILDREN_FOR_EPHEMERALS' })
    expect(await a.deleteEphemeral('/e')).toBe(true)
    expect(await b.exists('/e')).toBeNull()
  })

  it('a closed session removes its ephemeral nodes at once and fires the watches of other sessions', async () => {
    const { client } = setup()
    const a = client('a')
    const b = client('b')
    await a.create('/e', null, 'ephemeral')
    const seen: WatchEvent[] = []
    await b.exists('/e', (e) => seen.push(e))
    await a.close()
    expect(await b.exists('/e')).toBeNull()
    await tick()
    expect(seen).toEqual([{ type: 'deleted', path: '/e' }])
    await expect(a.getData('/e')).rejects.toMatchObject({ code: 'SESSION_EXPIRED' })
  })

  it('a client cut off from ZooKeeper: operations wait, the session expires after its timeout, a new one follows', async () => {
    const { client, scheduler } = setup(6000)
    const a = client('a')
    const b = client('b')
    const told = events(a)
    await a.create('/brokers', null)
    await a.create('/brokers/1', null, 'ephemeral')
    const watched: WatchEvent[] = []
    await b.getChildren('/brokers', (e) => watched.push(e))
    const oldSession = a.sessionId

    a.setConnected(false)
    const pending = a.getChildren('/brokers')
    expect(await settled(pending)).toBe(false)
    await scheduler.advance(5999)
    expect(await b.exists('/brokers/1')).not.toBeNull()
    await scheduler.advance(1)
    // expired on the server: the ephemeral node is gone and the other session heard of it
    expect(await b.exists('/brokers/1')).toBeNull()
    await tick()
    expect(watched).toEqual([{ type: 'childrenChanged', path: '/brokers' }])
    expect(told).toEqual(['disconnected'])

    a.setConnected(true)
    expect(await pending).toEqual([])
    await tick()
    expect(a.sessionId).not.toBe(oldSession)
    expect(told).toEqual(['disconnected', 'newSession', 'connected'])
  })

  it('a client back before its session timeout keeps its session and gets the watches that fired meanwhile', async () => {
    const { client, scheduler } = setup(6000)
    const a = client('a')
    const b = client('b')
    const told = events(a)
    await a.create('/n', null)
    const seen: WatchEvent[] = []
    await a.getData('/n', (e) => seen.push(e))
    const session = a.sessionId
    a.setConnected(false)
    await b.setData('/n', Buffer.from('v'))
    await scheduler.advance(5000)
    await tick()
    expect(seen).toEqual([])
    a.setConnected(true)
    await tick()
    expect(seen).toEqual([{ type: 'dataChanged', path: '/n' }])
    expect(a.sessionId).toBe(session)
    expect(told).toEqual(['disconnected', 'connected'])
    await scheduler.advance(60_000)
    expect(a.sessionId).toBe(session)
  })

  it('a frozen client hears nothing and its session expires; thawed, it learns of the expiry', async () => {
    const { client, scheduler } = setup(6000)
    const a = client('a')
    const b = client('b')
    const told = events(a)
    await a.create('/c', null, 'ephemeral')
    const seen: WatchEvent[] = []
    await a.exists('/other', (e) => seen.push(e))
    a.freeze()
    await b.create('/other', null)
    await tick()
    expect(seen).toEqual([])
    await scheduler.advance(6000)
    expect(await b.exists('/c')).toBeNull()
    a.thaw()
    await tick()
    // the watch belonged to the expired session: never delivered
    expect(seen).toEqual([])
    expect(told).toEqual(['newSession'])
    await a.create('/c', null, 'ephemeral')
    expect((await b.exists('/c'))!.ephemeralOwner).toBe(a.sessionId)
  })

  it('a halted client (a dead process) leaves its session until it expires; its operations never complete', async () => {
    const { client, scheduler } = setup(6000)
    const a = client('a')
    const b = client('b')
    await a.create('/h', null, 'ephemeral')
    a.halt()
    expect(await settled(a.getData('/h'))).toBe(false)
    expect(await b.exists('/h')).not.toBeNull()
    await scheduler.advance(6000)
    expect(await b.exists('/h')).toBeNull()
  })

  it('expire() ends a session at once: a connected client gets a new session', async () => {
    const { client, zk } = setup()
    const a = client('a')
    const told = events(a)
    const old = a.sessionId
    await a.create('/e', null, 'ephemeral')
    zk.expire(old)
    await tick()
    expect(a.sessionId).not.toBe(old)
    expect(told).toEqual(['newSession'])
    expect(await a.exists('/e')).toBeNull()
    expect(zk.sessionIds).toEqual([a.sessionId])
  })

  it('shutting down: a wait for the link is bounded by the connection timeout', async () => {
    const { client } = setup()
    const a = client('a')
    a.setConnected(false)
    a.beginClose()
    await expect(a.getData('/')).rejects.toMatchObject({ code: 'CONNECTION_LOSS' })
    await a.close()
  })
})
