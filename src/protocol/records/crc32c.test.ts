import { describe, expect, it } from 'vitest'
import { crc32c } from './crc32c.js'

/** Bit-at-a-time reference implementation. */
function slowCrc32c(buf: Uint8Array): number {
  let c = ~0
  for (const b of buf) {
    c ^= b
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
  }
  return ~c >>> 0
}

describe('crc32c', () => {
  it('matches the standard check value', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283)
  })

  it('matches the RFC 3720 (iSCSI) test vectors', () => {
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa)
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43)
    const inc = Buffer.from(Array.from({ length: 32 }, (_, i) => i))
    expect(crc32c(inc)).toBe(0x46dd794e)
    const dec = Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i))
    expect(crc32c(dec)).toBe(0x113fdb5c)
  })

  it('is 0 for empty input', () => {
    expect(crc32c(Buffer.alloc(0))).toBe(0)
  })

  it('agrees with the bitwise implementation on every length and alignment', () => {
    const data = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 131 + 7) & 0xff))
    for (let start = 0; start < 9; start++) {
      for (let len = 0; len < 40; len++) {
        expect(crc32c(data, start, start + len)).toBe(slowCrc32c(data.subarray(start, start + len)))
      }
    }
    expect(crc32c(data)).toBe(slowCrc32c(data))
  })

  it('continues from a previous value', () => {
    const a = Buffer.from('hello, ')
    const b = Buffer.from('world')
    expect(crc32c(b, 0, b.length, crc32c(a))).toBe(crc32c(Buffer.concat([a, b])))
  })
})

describe('crc32c implementations', () => {
  it('agree on every length and offset', async () => {
    const { crc32c, crc32cJs } = await import('./crc32c.js')
    const b = Buffer.alloc(5000)
    for (let i = 0; i < b.length; i++) b[i] = (i * 131 + 7) & 255
    for (const [s, e] of [
      [0, 0],
      [0, 63],
      [1, 65],
      [3, 4096],
      [17, 5000],
    ] as const) {
      expect(crc32c(b, s, e)).toBe(crc32cJs(b, s, e))
      expect(crc32c(b, s, e, 0x1234)).toBe(crc32cJs(b, s, e, 0x1234))
    }
  })
})
