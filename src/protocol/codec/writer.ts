import { EncodeError } from './errors.js'

const TWO_32 = 4294967296
/** Long.MAX_VALUE and MIN_VALUE as doubles (2^63 and -2^63): values at or beyond them are clamped when written. */
const INT64_MAX = 2 ** 63
const INT64_MIN = -(2 ** 63)

/** Buffers at least this large are appended by reference instead of being copied. */
export const ZERO_COPY_THRESHOLD = 4096

/** A place in an already written buffer that can be filled in later (a size prefix). */
export interface Patch {
  readonly buf: Buffer
  readonly offset: number
}

/**
 * An append-only byte sink. Small values are written into a growable scratch buffer; large byte
 * arrays (record batches read from the log) are kept as separate chunks so they are never copied.
 * Bytes once written never move, which is what makes `reserveInt32` patches safe.
 */
export class Writer {
  private buf: Buffer
  private pos = 0
  private start = 0
  private readonly chunks: Buffer[] = []
  private chunkedBytes = 0

  constructor(initialCapacity = 256) {
    this.buf = Buffer.allocUnsafe(initialCapacity)
  }

  get length(): number {
    return this.chunkedBytes + (this.pos - this.start)
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return
    this.seal()
    this.buf = Buffer.allocUnsafe(Math.max(n, this.buf.length * 2))
    this.pos = 0
    this.start = 0
  }

  /** Moves the bytes written so far into the chunk list. */
  private seal(): void {
    if (this.pos > this.start) {
      const chunk = this.buf.subarray(this.start, this.pos)
      this.chunks.push(chunk)
      this.chunkedBytes += chunk.length
    }
    this.start = this.pos
  }

  int8(v: number): this {
    this.ensure(1)
    this.buf.writeInt8(v, this.pos)
    this.pos += 1
    return this
  }
  uint8(v: number): this {
    this.ensure(1)
    this.buf[this.pos++] = v
    return this
  }
  int16(v: number): this {
    this.ensure(2)
    this.buf.writeInt16BE(v, this.pos)
    this.pos += 2
    return this
  }
  uint16(v: number): this {
    this.ensure(2)
    this.buf.writeUInt16BE(v, this.pos)
    this.pos += 2
    return this
  }
  int32(v: number): this {
    this.ensure(4)
    this.buf.writeInt32BE(v, this.pos)
    this.pos += 4
    return this
  }
  uint32(v: number): this {
    this.ensure(4)
    this.buf.writeUInt32BE(v >>> 0, this.pos)
    this.pos += 4
    return this
  }
  int64(v: number): this {
    this.ensure(8)
    writeInt64(this.buf, this.pos, v)
    this.pos += 8
    return this
  }
  float64(v: number): this {
    this.ensure(8)
    this.buf.writeDoubleBE(v, this.pos)
    this.pos += 8
    return this
  }
  bool(v: boolean): this {
    return this.uint8(v ? 1 : 0)
  }

  uvarint(v: number): this {
    if (v < 0 || v > 0xffffffff || !Number.isInteger(v)) throw new EncodeError(`bad unsigned varint ${v}`)
    this.ensure(5)
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80
      v = Math.floor(v / 128)
    }
    this.buf[this.pos++] = v
    return this
  }

  varint(v: number): this {
    return this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1)
  }

  varlong(v: number): this {
    let u = v >= 0 ? v * 2 : -v * 2 - 1
    this.ensure(10)
    while (u >= 0x80) {
      this.buf[this.pos++] = (u % 128) | 0x80
      u = Math.floor(u / 128)
    }
    this.buf[this.pos++] = u
    return this
  }

  uuid(v: string): this {
    const b = Buffer.from(v, 'base64url')
    if (b.length !== 16) throw new EncodeError(`bad uuid "${v}"`)
    return this.raw(b)
  }

  utf8(s: string, byteLength: number): this {
    this.ensure(byteLength)
    this.pos += this.buf.write(s, this.pos, byteLength, 'utf8')
    return this
  }

  /** Appends bytes; large ones by reference (the caller must not modify them afterwards). */
  raw(b: Buffer): this {
    if (b.length >= ZERO_COPY_THRESHOLD) {
      this.seal()
      this.chunks.push(b)
      this.chunkedBytes += b.length
      return this
    }
    this.ensure(b.length)
    b.copy(this.buf, this.pos)
    this.pos += b.length
    return this
  }

  /** Appends everything another writer produced. */
  append(other: Writer): this {
    for (const c of other.finish()) this.raw(c)
    return this
  }

  reserveInt32(): Patch {
    this.ensure(4)
    const patch = { buf: this.buf, offset: this.pos }
    this.pos += 4
    return patch
  }

  static patchInt32(p: Patch, v: number): void {
    p.buf.writeInt32BE(v, p.offset)
  }

  /** The written bytes as a list of chunks (no copying). The writer may keep being used afterwards. */
  finish(): Buffer[] {
    this.seal()
    return this.chunks.slice()
  }

  /** The written bytes as one buffer (copies when there is more than one chunk). */
  toBuffer(): Buffer {
    const chunks = this.finish()
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
  }
}

export function writeInt64(buf: Buffer, pos: number, v: number): void {
  if (v >= INT64_MAX) {
    buf.writeUInt32BE(0x7fffffff, pos)
    buf.writeUInt32BE(0xffffffff, pos + 4)
    return
  }
  if (v <= INT64_MIN) {
    buf.writeUInt32BE(0x80000000, pos)
    buf.writeUInt32BE(0, pos + 4)
    return
  }
  const hi = Math.floor(v / TWO_32)
  buf.writeInt32BE(hi, pos)
  buf.writeUInt32BE(v - hi * TWO_32, pos + 4)
}

export function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * TWO_32 + buf.readUInt32BE(pos + 4)
}
