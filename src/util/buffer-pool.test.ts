import { describe, expect, it } from 'vitest'
import { BufferPool } from './buffer-pool.js'

describe('BufferPool', () => {
  it('recycles a released buffer for the next acquire of its size class', () => {
    const p = new BufferPool()
    const a = p.acquire(100_000)
    expect(a.length).toBe(100_000)
    p.release(a)
    const b = p.acquire(120_000)
    expect(b.buffer).toBe(a.buffer)
  })

  it('never recycles views, foreign buffers or a buffer released twice', () => {
    const p = new BufferPool()
    const a = p.acquire(50_000)
    p.release(a.subarray(0, 10))
    p.release(Buffer.alloc(50_000))
    expect(p.acquire(50_000).buffer).not.toBe(a.buffer)
    p.release(a)
    p.release(a)
    const x = p.acquire(50_000)
    const y = p.acquire(50_000)
    expect(x.buffer === a.buffer && y.buffer === a.buffer).toBe(false)
  })

  it('does not pool small or huge buffers', () => {
    const p = new BufferPool()
    const huge = p.acquire(20 * 1024 * 1024)
    p.release(huge)
    expect(p.acquire(20 * 1024 * 1024).buffer).not.toBe(huge.buffer)
    const small = p.acquire(100)
    expect(small.length).toBe(100)
    p.release(small) // ignored
  })
})

describe('BufferLease', () => {
  it('hands the buffer back when the last holder releases it, and refuses use after that', () => {
    const p = new BufferPool()
    p.poisonOnRelease = true
    const a = p.acquire(40_000).fill(7)
    const lease = p.lease(a)
    lease.retain() // e.g. a queued write keeps the bytes
    lease.release() // the dispatcher is done
    expect(lease.bytes[0]).toBe(7) // still held by the queued write: untouched
    expect(p.acquire(40_000).buffer).not.toBe(a.buffer)
    lease.release() // the write is done
    expect(lease.released).toBe(true)
    expect(a[0]).toBe(0xde) // poisoned: a reader that kept a view would see garbage
    expect(() => lease.bytes).toThrow(/read after its lease was released/)
    expect(() => lease.release()).toThrow(/released twice/)
    expect(() => lease.retain()).toThrow(/retained after it was released/)
    expect(p.acquire(40_000).buffer).toBe(a.buffer)
  })
})
