import { DecodeError } from './errors.js'

const TWO_32 = 4294967296

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
  /** int64 as a JS number: exact for |v| <= 2^53, which covers offsets, timestamps and ids in practice. */
  int64(): number {
    const p = this.need(8)
    return this.buf.readInt32BE(p) * TWO_32 + this.buf.readUInt32BE(p + 4)
  }
  float64(): number {
    return this.buf.readDoubleBE(this.need(8))
  }
  bool(): boolean {
    return this.buf[this.need(1)] !== 0
  }

  /** Unsigned LEB128 varint of at most 5 bytes (a Java int). */
  uvarint(): number {
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

  /** Zig-zag encoded signed varlong (int64), returned as a JS number. */
  varlong(): number {
    let result = 0
    let shift = 0
    for (let i = 0; i < 10; i++) {
      const b = this.uint8()
      result += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) return result % 2 === 0 ? result / 2 : -(result + 1) / 2
      shift += 7
    }
    throw new DecodeError('varlong longer than 10 bytes')
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
