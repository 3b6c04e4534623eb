import { describe, expect, it } from 'vitest'
import { LocalMetadataStore } from './local-store.js'
import { ensurePath, getDataWatched, type WatchEvent } from './store.js'
import { createBehindFirstRead, tick } from './test-helpers.js'

describe('getDataWatched', () => {
  it('reads a node created between the missed read and the existence watch', async () => {
    const s = new LocalMetadataStore(undefined)
    const raced = createBehindFirstRead(s, '/p', Buffer.from('v1'))
    const events: WatchEvent[] = []
    const r = await getDataWatched(s, '/p', (e) => events.push(e))
    expect(raced()).toBe(true)
    expect(r?.data.toString()).toBe('v1')
    // and the watch it left still reports the next change
    await s.setData('/p', Buffer.from('v2'))
    await tick()
    expect(events.map((e) => e.type)).toContain('dataChanged')
  })

  it('leaves an existence watch on a node that does not exist', async () => {
    const s = new LocalMetadataStore(undefined)
    const events: WatchEvent[] = []
    expect(await getDataWatched(s, '/q', (e) => events.push(e))).toBeNull()
    await s.create('/q', null)
    await tick()
    expect(events).toEqual([{ type: 'created', path: '/q' }])
  })
})

describe('ensurePath', () => {
  it('creates the missing nodes in one multi, the data on the last one', async () => {
    const s = new LocalMetadataStore(undefined)
    await s.create('/a', null)
    const multis: string[][] = []
    const multi = s.multi.bind(s)
    s.multi = async (ops) => {
      multis.push(ops.map((o) => o.path))
      return multi(ops)
    }
    await ensurePath(s, '/a/b/c/d', Buffer.from('x'))
    expect(multis).toEqual([['/a/b', '/a/b/c', '/a/b/c/d']])
    expect((await s.getData('/a/b/c'))?.data.length).toBe(0)
    expect((await s.getData('/a/b/c/d'))?.data.toString()).toBe('x')
    await ensurePath(s, '/a/b/c/d', Buffer.from('y')) // there: left alone
    expect((await s.getData('/a/b/c/d'))?.data.toString()).toBe('x')
    expect(multis).toHaveLength(1)
  })

  it('falls back to one by one when another writer created one of them meanwhile', async () => {
    const s = new LocalMetadataStore(undefined)
    await s.create('/x', null)
    const exists = s.exists.bind(s)
    s.exists = async (p, w) => {
      const r = await exists(p, w)
      if (p === '/x/y' && r === null) await s.create('/x/y', Buffer.from('theirs'))
      return r
    }
    await ensurePath(s, '/x/y/z', Buffer.from('mine'))
    expect((await s.getData('/x/y'))?.data.toString()).toBe('theirs')
    expect((await s.getData('/x/y/z'))?.data.toString()).toBe('mine')
  })
})
