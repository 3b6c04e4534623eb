import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { LocalMetadataStore } from './local-store.js'
import { ensurePath, StoreError, type WatchEvent } from './store.js'
import { tick } from './test-helpers.js'

describe('LocalMetadataStore', () => {
  it('follows ZooKeeper semantics for create, versions and deletes', async () => {
    const s = new LocalMetadataStore(undefined)
    await expect(s.create('/a/b', null)).rejects.toMatchObject({ code: 'NO_NODE' })
    await s.create('/a', Buffer.from('x'))
    await expect(s.create('/a', null)).rejects.toMatchObject({ code: 'NODE_EXISTS' })
    const st = await s.setData('/a', Buffer.from('y'), 0)
    expect(st.version).toBe(1)
    await expect(s.setData('/a', Buffer.from('z'), 0)).rejects.toMatchObject({ code: 'BAD_VERSION' })
    await s.create('/a/c', null)
    await expect(s.delete('/a')).rejects.toMatchObject({ code: 'NOT_EMPTY' })
    expect(await s.getChildren('/a')).toEqual(['c'])
    expect((await s.getData('/a'))!.data.toString()).toBe('y')
    expect(await s.getData('/missing')).toBeNull()
  })

  it('numbers sequential nodes from the parent cversion, zero padded to 10 digits', async () => {
    const s = new LocalMetadataStore(undefined)
    await s.create('/q', null)
    expect(await s.create('/q/n_', null, 'persistent_sequential')).toBe('/q/n_0000000000')
    expect(await s.create('/q/n_', null, 'persistent_sequential')).toBe('/q/n_0000000001')
  })

  it('fires one-shot watches asynchronously', async () => {
    const s = new LocalMetadataStore(undefined)
    const events: WatchEvent[] = []
    await s.exists('/w', (e) => events.push(e))
    await s.create('/w', null)
    expect(events).toEqual([])
    await tick()
    expect(events).toEqual([{ type: 'created', path: '/w' }])
    await s.getChildren('/w', (e) => events.push(e))
    await s.getData('/w', (e) => events.push(e))
    await s.create('/w/x', null)
    await s.setData('/w', Buffer.from('1'))
    await s.setData('/w', Buffer.from('2'))
    await tick()
    expect(events.slice(1)).toEqual([
      { type: 'childrenChanged', path: '/w' },
      { type: 'dataChanged', path: '/w' },
    ])
  })

  it('applies multi atomically', async () => {
    const s = new LocalMetadataStore(undefined)
    await s.create('/m', null)
    await expect(
      s.multi([
        { op: 'create', path: '/m/a', data: null },
        { op: 'check', path: '/m', version: 5 },
      ]),
    ).rejects.toBeInstanceOf(StoreError)
    expect(await s.exists('/m/a')).toBeNull()
    await s.multi([
      { op: 'create', path: '/m/a', data: null },
      { op: 'set', path: '/m', data: Buffer.from('v'), version: 0 },
    ])
    expect(await s.getChildren('/m')).toEqual(['a'])
  })

  it('persists persistent nodes but not ephemeral ones', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-store-')), 'meta.json')
    const s = new LocalMetadataStore(file)
    await ensurePath(s, '/brokers/topics/t', Buffer.from('{"x":1}'))
    await s.create('/brokers/ids', null)
    await s.create('/brokers/ids/1', Buffer.from('b'), 'ephemeral')
    expect((await s.exists('/brokers/ids/1'))!.ephemeralOwner).toBe(s.sessionId)
    const again = new LocalMetadataStore(file)
    expect((await again.getData('/brokers/topics/t'))!.data.toString()).toBe('{"x":1}')
    expect(await again.exists('/brokers/ids/1')).toBeNull()
    expect(await again.getChildren('/brokers')).toEqual(expect.arrayContaining(['topics', 'ids']))
  })

  it('a write that cannot be persisted changes nothing: no node, no notification, the file as it was', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-local-store-'))
    try {
      const file = path.join(dir, 'meta.json')
      const s = new LocalMetadataStore(file)
      await s.create('/a', Buffer.from('1'))
      const before = fs.readFileSync(file, 'utf8')
      await s.reserveSettled()
      expect(fs.statSync(`${file}.reserve`).size).toBeGreaterThanOrEqual(256 * 1024)
      const events: WatchEvent[] = []
      await s.getChildren('/', (e) => events.push(e))
      fs.mkdirSync(`${file}.tmp`) // the temporary file cannot be written
      await expect(s.create('/b', Buffer.from('2'))).rejects.toThrow()
      await expect(s.multi([{ op: 'create', path: '/c', data: null }])).rejects.toThrow()
      await tick()
      expect(await s.exists('/b')).toBeNull()
      expect(await s.exists('/c')).toBeNull()
      expect(events).toEqual([])
      expect(fs.readFileSync(file, 'utf8')).toBe(before)
      fs.rmdirSync(`${file}.tmp`)
      await s.create('/b', Buffer.from('2'))
      await tick()
      expect(events).toEqual([{ type: 'childrenChanged', path: '/' }])
      expect(Object.keys((JSON.parse(fs.readFileSync(file, 'utf8')) as { nodes: object }).nodes)).toContain(
        '/b',
      )
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
