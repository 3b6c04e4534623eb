/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of v2 record batches and of Kafka's producer
 * state snapshots. It sits on the produce hot path (every appended batch is verified), so the hardware-accelerated
 * implementation of @node-rs/crc32 (SSE4.2 / ARMv8 CRC instructions, a prebuilt binary in the npm package) is used
 * when it loads; otherwise a pure JavaScript slicing-by-8 implementation (about a quarter of the speed).
 */
import { createRequire } from 'node:module'

type NativeCrc32c = (input: Buffer, initialState?: number) => number

let nativeModule: NativeCrc32c | null | undefined
/**
 * @node-rs/crc32's crc32c, loaded on first use (null when it does not load, or SAMSA_PURE_JS_CRC=1): loading the
 * native binary is a good part of the broker's start-up, and nothing before the first record batch needs it.
 */
function native(): NativeCrc32c | null {
  if (nativeModule !== undefined) return nativeModule
  nativeModule = null
  if (process.env.SAMSA_PURE_JS_CRC === '1') return nativeModule
  try {
    const mod = createRequire(import.meta.url)('@node-rs/crc32') as { crc32c?: NativeCrc32c }
    if (typeof mod.crc32c === 'function') nativeModule = mod.crc32c
  } catch {
    // the JavaScript implementation serves
  }
  return nativeModule
}

const POLY = 0x82f63b78

const TABLE = (() => {
  const t = new Int32Array(8 * 256)
  for (let i = 0; i < 256; i++) {
    let c = i
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1
    t[i] = c
  }
  for (let i = 0; i < 256; i++) {
    let c = t[i]!
    for (let s = 1; s < 8; s++) {
      c = t[c & 0xff]! ^ (c >>> 8)
      t[s * 256 + i] = c
    }
  }
  return t
})()

/**
 * CRC-32C of `buf[start, end)`, as an unsigned 32-bit number. `initial` continues a previous result
 * (crc32c(a ++ b) === crc32c(b, 0, b.length, crc32c(a))).
 */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length, initial = 0): number {
  if (end - start >= 64) {
    const hw = nativeModule === undefined ? native() : nativeModule
    if (hw) return hw(Buffer.from(buf.buffer, buf.byteOffset + start, end - start), initial) >>> 0
  }
  return crc32cJs(buf, start, end, initial)
}

/** The pure JavaScript implementation (exported for tests that compare the two). */
export function crc32cJs(buf: Uint8Array, start = 0, end = buf.length, initial = 0): number {
  const t = TABLE
  let c = ~initial
  let i = start
  const end8 = start + ((end - start) & ~7)
  while (i < end8) {
    c ^= buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24)
    c =
      t[1792 + (c & 0xff)]! ^
      t[1536 + ((c >>> 8) & 0xff)]! ^
      t[1280 + ((c >>> 16) & 0xff)]! ^
      t[1024 + (c >>> 24)]! ^
      t[768 + buf[i + 4]!]! ^
      t[512 + buf[i + 5]!]! ^
      t[256 + buf[i + 6]!]! ^
      t[buf[i + 7]!]!
    i += 8
  }
  while (i < end) c = t[(c ^ buf[i++]!) & 0xff]! ^ (c >>> 8)
  return ~c >>> 0
}
