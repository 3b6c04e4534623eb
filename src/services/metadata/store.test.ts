import { describe, expect, it } from 'vitest'
import { LocalMetadataStore } from './local-store.js'
import { getDataWatched, type WatchEvent } from './store.js'
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
