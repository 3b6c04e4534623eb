import { DecodeError } from './errors.js'

const TWO_32 = 4294967296

/** A 64-bit value as a number if a double holds it exactly (±2^63 stand for Long.MIN/MAX), else a DecodeError. */
function exactOrRefuse(v: bigint, what: string): number {
  if (v === -(2n ** 63n)) return -(2 ** 63) // Long.MIN_VALUE
  if (v === 2n ** 63n - 1n) return 2 ** 63 // Long.MAX_VALUE
  const n = Number(v)
  if (BigInt(n) !== v) throw new DecodeError(`${what} ${v} cannot be represented exactly`)
  return n
}

/**
 * A bounds-checked cursor over a Buffer. Every read throws DecodeError instead of reading past `end`,
 * so a malformed frame can never read another request's bytes or crash the broker.
 */
export class Reader {
  pos: number
  readonly end: number

  constructor(
    readonly buf: Buffer,
    pos = 0,
    end = buf.length,
  ) {
    this.pos = pos
    this.end = end
  }

  get remaining(): number {
    return this.end - this.pos
  }

  private need(n: number): number {
    const p = this.pos
    if (n < 0 || p + n > this.end) {
      throw new DecodeError(`need ${n} bytes at offset ${p}, only ${this.end - p} left`)
    }
    this.pos = p + n
    return p
  }

  int8(): number {
    return this.buf.readInt8(this.need(1))
  }
  uint8(): number {
    return this.buf[this.need(1)]!
  }
  int16(): number {
    return this.buf.readInt16BE(this.need(2))
  }
  uint16(): number {
    return this.buf.readUInt16BE(this.need(2))
  }
  int32(): number {
    return this.buf.readInt32BE(this.need(4))
  }
  uint32(): number {
    return this.buf.readUInt32BE(this.need(4))
  }
  /**
   * int64 as a JS number. Every value a double holds exactly is returned as is (all of |v| <= 2^53, and the
   * sentinels Long.MAX_VALUE / Long.MIN_VALUE as ±2^63, which the writer turns back into the same bits); any other
   * value would be silently rounded, so it is refused with a DecodeError instead.
   */
  int64(): number {
    const p = this.need(8)
    const hi = this.buf.readInt32BE(p)
    const lo = this.buf.readUInt32BE(p + 4)
    if (hi >= -0x200000 && hi < 0x200000) return hi * TWO_32 + lo // |v| <= 2^53: always exact
    if (hi === 0x7fffffff && lo === 0xffffffff) return 2 ** 63 // Long.MAX_VALUE
    return exactOrRefuse(this.buf.readBigInt64BE(p), 'int64')
  }
  float64(): number {
    return this.buf.readDoubleBE(this.need(8))
  }
  bool(): boolean {
    return this.buf[this.need(1)] !== 0
  }

  /** Unsigned LEB128 varint of at most 5 bytes (a Java int). */
  uvarint(): number {
    // one and two bytes (most lengths and deltas of records) without the general loop
    const p = this.pos
    if (p + 1 < this.end) {
      const b0 = this.buf[p]!
      if (b0 < 0x80) {
        this.pos = p + 1
        return b0
      }
      const b1 = this.buf[p + 1]!
      if (b1 < 0x80) {
        this.pos = p + 2
        return (b0 & 0x7f) | (b1 << 7)
      }
    }
    let result = 0
    let shift = 0
    for (let i = 0; i < 5; i++) {
      const b = this.uint8()
      result += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) {
        if (result > 0xffffffff) throw new DecodeError('unsigned varint overflows 32 bits')
        return result
      }
      shift += 7
    }
    throw new DecodeError('unsigned varint longer than 5 bytes')
  }

  /** Zig-zag encoded signed varint (int32). */
  varint(): number {
    const u = this.uvarint()
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2
  }

  /** Zig-zag encoded signed varlong (int64), returned as a JS number (exact, or refused as int64() is). */
  varlong(): number {
    const start = this.pos
    if (start < this.end && this.buf[start]! < 0x80) {
      const u = this.buf[start]!
      this.pos = start + 1
      return u % 2 === 0 ? u / 2 : -(u + 1) / 2
    }
    let result = 0
    let shift = 0
    for (let i = 0; i < 10; i++) {
      const b = this.uint8()
      result += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) {
        if (result <= 2 ** 53) return result % 2 === 0 ? result / 2 : -(result + 1) / 2
        return this.bigVarlong(start)
      }
      shift += 7
    }
    throw new DecodeError('varlong longer than 10 bytes')
  }

  /** The slow path of varlong() for values beyond 2^53: decoded again exactly. */
  private bigVarlong(start: number): number {
    let u = 0n
    let shift = 0n
    for (let p = start; p < this.pos; p++) {
      u |= BigInt(this.buf[p] & 0x7f) << shift
      shift += 7n
    }
    u &= (1n << 64n) - 1n
    return exactOrRefuse((u >> 1n) ^ -(u & 1n), 'varlong')
  }

  uuid(): string {
    const p = this.need(16)
    return this.buf.toString('base64url', p, p + 16)
  }

  /** `n` bytes as a view into the underlying buffer (no copy). */
  slice(n: number): Buffer {
    const p = this.need(n)
    return this.buf.subarray(p, p + n)
  }

  utf8(n: number): string {
    const p = this.need(n)
    return this.buf.toString('utf8', p, p + n)
  }

  skip(n: number): void {
    this.need(n)
  }
}
