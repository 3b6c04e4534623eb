/**
 * The snappy, lz4 and zstd codecs of record batches, in the framings Kafka uses (compression.ts registers them):
 *
 *  - snappy: xerial snappy-java's stream framing (SnappyOutputStream / SnappyInputStream): the 8-byte magic
 *    `\x82SNAPPY\x00`, int32 version, int32 compatible version, then blocks of int32 length + raw snappy data
 *    (big-endian). The reader also takes plain raw snappy, as SnappyInputStream does for data without the magic
 *    (librdkafka and kafkajs write that), and concatenated framed streams.
 *  - lz4: the LZ4 frame format as Kafka's Lz4BlockOutputStream / Lz4BlockInputStream speak it: magic 0x184D2204,
 *    FLG/BD, the descriptor checksum ((xxhash32 >> 8) & 0xFF), independent blocks of int32 LE size (high bit =
 *    stored uncompressed), end mark 0, and the optional content size, block and content checksums on reading.
 *    Magic-0 messages carry the historical descriptor checksum that also covers the magic bytes (KAFKA-3160):
 *    Kafka ignores the checksum when reading them and writes the broken one, and so do we.
 *  - zstd: standard zstd frames (one or more, skippable frames allowed).
 *
 * The block codecs come from pure JavaScript / WebAssembly packages: snappyjs (raw snappy), lz4js (LZ4 block
 * compression and xxhash32; its byte-by-byte block decoder is replaced by lz4DecodeBlock, ~5x faster), fzstd (zstd
 * streaming decompression, for payloads over 2 MiB or output over 8 MiB; below that the reference decoder of the
 * WebAssembly module, ~4x faster) and @bokuweb/zstd-wasm (that module: zstd compression and decompression, the reference C library compiled
 * to WebAssembly, instantiated synchronously on first use).
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createRequire } from 'node:module'
import { ErrorCode, KafkaError } from '../errors.js'

const require = createRequire(import.meta.url)

/** What compression.ts needs of a codec; `magic` is the message format (2 for record batches). */
export interface BatchCodec {
  compress(data: Buffer, magic?: number, level?: number): Buffer
  /** Throws an `InflateLimitError` rather than produce more than `maxBytes` (default: no limit). */
  decompress(data: Buffer, magic?: number, maxBytes?: number): Buffer
}

/**
 * A payload that would inflate beyond what its caller allows (a decompression bomb): thrown as soon as the output
 * passes the limit, before the rest is inflated.
 */
export class InflateLimitError extends Error {
  constructor(readonly maxBytes: number) {
    super(`it inflates to more than ${maxBytes} bytes`)
  }
}

/**
 * A stream that ends before its data does, where Kafka's decompressing stream reports an EOFException (gzip:
 * "Unexpected end of ZLIB input stream"): `partial` is what decodes before the end.
 */
export class TruncatedStreamError extends Error {
  constructor(readonly partial: Buffer) {
    super('Unexpected end of ZLIB input stream')
  }
}

function toBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.length)
}

// ---------------------------------------------------------------------------------------------------------------
// snappy

interface SnappyJs {
  compress(data: Uint8Array): Uint8Array
  uncompress(data: Uint8Array, maxLength?: number): Uint8Array
}

/** The codec packages load on first use: most brokers never see a compressed batch, and start-up pays for each. */
function lazy<T>(load: () => T): () => T {
  let m: T | undefined
  return () => (m ??= load())
}

const snappyjs = lazy(() => require('snappyjs') as SnappyJs)

/** `\x82SNAPPY\x00` (SnappyCodec.MAGIC_HEADER) */
export const SNAPPY_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])
/** magic + version + compatible version */
const SNAPPY_HEADER_SIZE = 16
/** SnappyCodec.DEFAULT_VERSION and MINIMUM_COMPATIBLE_VERSION */
const SNAPPY_VERSION = 1
/** SnappyOutputStream.DEFAULT_BLOCK_SIZE, what Kafka's SnappyOutputStream uses */
const SNAPPY_BLOCK_SIZE = 32 * 1024

function isSnappyMagic(data: Buffer, pos: number): boolean {
  return data.length - pos >= SNAPPY_MAGIC.length && data.compare(SNAPPY_MAGIC, 0, 8, pos, pos + 8) === 0
}

/** The largest raw snappy block accepted: its declared length is allocated at once. */
const SNAPPY_MAX_BLOCK = 1 << 30

/** The uncompressed length a raw snappy block declares (its leading varint), or -1 if it cannot be read. */
function snappyRawLength(data: Uint8Array): number {
  let n = 0
  for (let i = 0, shift = 1; i < 5 && i < data.length; i++, shift *= 128) {
    n += (data[i]! & 0x7f) * shift
    if ((data[i]! & 0x80) === 0) return n
  }
  return -1
}

/** One raw block, refused before its declared length is allocated if that is over `maxBytes`. */
function snappyRaw(data: Uint8Array, room: number, maxBytes = room): Buffer {
  if (snappyRawLength(data) > room) throw new InflateLimitError(maxBytes)
  return toBuffer(snappyjs().uncompress(data, SNAPPY_MAX_BLOCK))
}

/** SnappyInputStream: framed (possibly concatenated) streams, or one raw snappy block. */
export function snappyDecompress(data: Buffer, maxBytes = Infinity): Buffer {
  if (data.length < SNAPPY_HEADER_SIZE || !isSnappyMagic(data, 0)) return snappyRaw(data, maxBytes)
  const parts: Buffer[] = []
  let total = 0
  let pos = 0
  while (pos < data.length) {
    if (isSnappyMagic(data, pos)) {
      if (data.length - pos < SNAPPY_HEADER_SIZE) throw new Error('Truncated snappy stream header')
      const version = data.readInt32BE(pos + 8)
      if (version < SNAPPY_VERSION) {
        throw new Error(
          `Compressed with an incompatible codec version ${version}. At least version ${SNAPPY_VERSION} is required`,
        )
      }
      pos += SNAPPY_HEADER_SIZE
      continue
    }
    if (data.length - pos < 4) throw new Error('Truncated snappy chunk length')
    const chunkSize = data.readInt32BE(pos)
    pos += 4
    if (chunkSize < 0 || chunkSize > data.length - pos) {
      throw new Error(`Invalid snappy chunk size ${chunkSize} with ${data.length - pos} bytes left`)
    }
    const block = snappyRaw(data.subarray(pos, pos + chunkSize), maxBytes - total, maxBytes)
    total += block.length
    parts.push(block)
    pos += chunkSize
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts)
}

/** SnappyOutputStream: the xerial header, then 32 KiB blocks. */
export function snappyCompress(data: Buffer): Buffer {
  const header = Buffer.alloc(SNAPPY_HEADER_SIZE)
  SNAPPY_MAGIC.copy(header, 0)
  header.writeInt32BE(SNAPPY_VERSION, 8)
  header.writeInt32BE(SNAPPY_VERSION, 12)
  const parts: Buffer[] = [header]
  for (let pos = 0; pos < data.length; pos += SNAPPY_BLOCK_SIZE) {
    const block = toBuffer(
      snappyjs().compress(data.subarray(pos, Math.min(data.length, pos + SNAPPY_BLOCK_SIZE))),
    )
    const len = Buffer.alloc(4)
    len.writeInt32BE(block.length, 0)
    parts.push(len, block)
  }
  return Buffer.concat(parts)
}

// ---------------------------------------------------------------------------------------------------------------
// lz4

interface Lz4Js {
  compressBlock(
    src: Uint8Array,
    dst: Uint8Array,
    sIndex: number,
    sLength: number,
    hashTable: Uint32Array,
  ): number
  compressBound(n: number): number
}
interface Xxh32 {
  hash(seed: number, src: Uint8Array, index: number, len: number): number
}

const lz4js = lazy(() => require('lz4js') as Lz4Js)
const xxh32 = lazy(() => require('lz4js/xxh32.js') as Xxh32)

export const LZ4_MAGIC = 0x184d2204
const LZ4_FLG_VERSION = 0x40
const LZ4_FLG_VERSION_MASK = 0xc0
const LZ4_FLG_BLOCK_INDEPENDENCE = 0x20
const LZ4_FLG_BLOCK_CHECKSUM = 0x10
const LZ4_FLG_CONTENT_SIZE = 0x08
const LZ4_FLG_CONTENT_CHECKSUM = 0x04
const LZ4_FLG_RESERVED = 0x03
const LZ4_BD_RESERVED = 0x8f
const LZ4_INCOMPRESSIBLE = 0x80000000
/** Kafka writes 64 KiB blocks (BD.blockSizeValue 4) */
const LZ4_BLOCK_SIZE_ID = 4

function lz4MaxBlockSize(id: number): number {
  return 1 << (2 * id + 8)
}

function lz4Malformed(): Error {
  return new Error('Malformed LZ4 block')
}

/** An LZ4 sequence's length: `n` from the token, extended by 255-bytes while they last. */
function lz4Length(src: Uint8Array, pos: { s: number }, end: number, n: number): number {
  if (n !== 15) return n
  for (;;) {
    if (pos.s >= end) throw lz4Malformed()
    const b = src[pos.s++]!
    n += b
    if (b !== 255) return n
  }
}

/**
 * Decodes one LZ4 block of `src[start, end)` into `dst` (which it must fit) and returns the decoded length; throws
 * on a block that reads or writes out of bounds or refers before the block's start. The same result as lz4js's
 * decompressBlock, which copies byte by byte: this copies literal runs and matches of more than a few bytes with
 * native copies (a match shorter than its offset in one copyWithin, a repeating one by doubling), which is what
 * makes inflating a batch at produce time affordable (scanRecords).
 */
export function lz4DecodeBlock(src: Uint8Array, start: number, end: number, dst: Uint8Array): number {
  const pos = { s: start }
  const dEnd = dst.length
  let d = 0
  while (pos.s < end) {
    const token = src[pos.s++]!
    const lit = lz4Length(src, pos, end, token >>> 4)
    if (lit > 0) {
      let s = pos.s
      if (s + lit > end || d + lit > dEnd) throw lz4Malformed()
      if (lit < 16) for (let i = 0; i < lit; i++) dst[d++] = src[s++]!
      else {
        dst.set(src.subarray(s, s + lit), d)
        d += lit
        s += lit
      }
      pos.s = s
    }
    if (pos.s >= end) break // the last sequence has literals only
    if (pos.s + 2 > end) throw lz4Malformed()
    const offset = src[pos.s]! | (src[pos.s + 1]! << 8)
    pos.s += 2
    if (offset === 0 || offset > d) throw lz4Malformed()
    const len = lz4Length(src, pos, end, token & 0x0f) + 4
    if (d + len > dEnd) throw lz4Malformed()
    let from = d - offset
    if (len <= 32) {
      for (let i = 0; i < len; i++) dst[d++] = dst[from++]!
    } else if (offset >= len) {
      dst.copyWithin(d, from, from + len)
      d += len
    } else {
      // the match repeats its first `offset` bytes: copy them once, then double what is copied
      dst.copyWithin(d, from, from + offset)
      let copied = offset
      while (copied < len) {
        const n = Math.min(copied, len - copied)
        dst.copyWithin(d + copied, d, d + n)
        copied += n
      }
      d += len
    }
  }
  return d
}

/** The descriptor checksum; `brokenChecksum` also covers the 4 magic bytes (magic 0, KAFKA-3160). */
function lz4HeaderChecksum(frame: Uint8Array, descriptorEnd: number, brokenChecksum: boolean): number {
  const start = brokenChecksum ? 0 : 4
  return (xxh32().hash(0, frame, start, descriptorEnd - start) >>> 8) & 0xff
}

/** Lz4BlockInputStream: one LZ4 frame. Magic-0 data skips the descriptor checksum (ignoreFlagDescriptorChecksum). */
export function lz4Decompress(data: Buffer, magic = 2, maxBytes = Infinity): Buffer {
  if (data.length < 7) throw new Error('Stream ended prematurely')
  if (data.readUInt32LE(0) !== LZ4_MAGIC) throw new Error('Stream unsupported (invalid magic bytes)')
  const flg = data[4]!
  const bd = data[5]!
  if ((flg & LZ4_FLG_VERSION_MASK) !== LZ4_FLG_VERSION) throw new Error(`Version unsupported: ${flg >>> 6}`)
  if ((flg & LZ4_FLG_RESERVED) !== 0) throw new Error('Reserved bits of the frame descriptor are set')
  if ((bd & LZ4_BD_RESERVED) !== 0) throw new Error('Reserved bits of the block descriptor are set')
  const sizeId = (bd >>> 4) & 0x07
  if (sizeId < 4) throw new Error(`Block size value ${sizeId} is not supported`)
  const maxBlockSize = lz4MaxBlockSize(sizeId)
  let pos = 6
  if (flg & LZ4_FLG_CONTENT_SIZE) pos += 8
  if (data.length < pos + 1) throw new Error('Stream ended prematurely')
  if (magic > 0 && data[pos] !== lz4HeaderChecksum(data, pos, false)) {
    throw new Error('Stream frame descriptor corrupted')
  }
  pos++
  const blockChecksum = (flg & LZ4_FLG_BLOCK_CHECKSUM) !== 0
  const contentChecksum = (flg & LZ4_FLG_CONTENT_CHECKSUM) !== 0
  const parts: Buffer[] = []
  let total = 0
  let contentHash = 0
  for (;;) {
    if (data.length - pos < 4) throw new Error('Stream ended prematurely')
    const word = data.readUInt32LE(pos)
    pos += 4
    const compressed = (word & LZ4_INCOMPRESSIBLE) === 0
    const blockSize = word & ~LZ4_INCOMPRESSIBLE
    if (blockSize === 0) {
      if (contentChecksum) {
        if (data.length - pos < 4) throw new Error('Stream ended prematurely')
        // Kafka (KafkaLZ4BlockInputStream) xors the per-block hashes; the LZ4 frame format hashes the whole
        // content. Accept either: the frame's own producer decides which it wrote.
        const expected = data.readUInt32LE(pos)
        const content = Buffer.concat(parts)
        if (expected !== xxh32().hash(0, content, 0, content.length) && expected !== contentHash >>> 0) {
          throw new Error('Content checksum mismatch')
        }
      }
      break
    }
    if (blockSize > maxBlockSize) throw new Error(`Block size ${blockSize} exceeded max: ${maxBlockSize}`)
    if (data.length - pos < blockSize + (blockChecksum ? 4 : 0)) throw new Error('Stream ended prematurely')
    let block: Buffer
    if (compressed) {
      // every byte of out[0, n) is written by the decoder
      const out = Buffer.allocUnsafe(maxBlockSize)
      block = out.subarray(0, lz4DecodeBlock(data, pos, pos + blockSize, out))
    } else {
      block = data.subarray(pos, pos + blockSize)
    }
    if (contentChecksum) contentHash ^= xxh32().hash(0, block, 0, block.length)
    if (blockChecksum && xxh32().hash(0, data, pos, blockSize) !== data.readUInt32LE(pos + blockSize)) {
      throw new Error('Block checksum mismatch')
    }
    pos += blockSize + (blockChecksum ? 4 : 0)
    total += block.length
    if (total > maxBytes) throw new InflateLimitError(maxBytes)
    parts.push(block)
  }
  return parts.length === 1 ? Buffer.from(parts[0]!) : Buffer.concat(parts)
}

/**
 * Lz4BlockOutputStream: FLG with block independence only, 64 KiB blocks, each stored raw when compression does not
 * make it smaller, the end mark, no checksums. Magic 0 gets the broken descriptor checksum, as Kafka writes it.
 */
export function lz4Compress(data: Buffer, magic = 2): Buffer {
  const maxBlockSize = lz4MaxBlockSize(LZ4_BLOCK_SIZE_ID)
  const header = Buffer.alloc(7)
  header.writeUInt32LE(LZ4_MAGIC, 0)
  header[4] = LZ4_FLG_VERSION | LZ4_FLG_BLOCK_INDEPENDENCE
  header[5] = LZ4_BLOCK_SIZE_ID << 4
  header[6] = lz4HeaderChecksum(header, 6, magic === 0)
  const parts: Buffer[] = [header]
  const scratch = Buffer.alloc(lz4js().compressBound(maxBlockSize))
  for (let pos = 0; pos < data.length; pos += maxBlockSize) {
    const src = data.subarray(pos, Math.min(data.length, pos + maxBlockSize))
    // a fresh hash table per block keeps the blocks independent
    const n = lz4js().compressBlock(src, scratch, 0, src.length, new Uint32Array(1 << 16))
    const size = Buffer.alloc(4)
    if (n > 0 && n < src.length) {
      size.writeUInt32LE(n, 0)
      parts.push(size, Buffer.from(scratch.subarray(0, n)))
    } else {
      size.writeUInt32LE((src.length | LZ4_INCOMPRESSIBLE) >>> 0, 0)
      parts.push(size, src)
    }
  }
  parts.push(Buffer.alloc(4))
  return Buffer.concat(parts)
}

// ---------------------------------------------------------------------------------------------------------------
// zstd

interface Fzstd {
  Decompress: new (ondata: (chunk: Uint8Array, final: boolean) => void) => {
    push(chunk: Uint8Array, final?: boolean): void
  }
}

const fzstd = lazy(() => require('fzstd') as Fzstd)

/** The zstd library's default ZSTD_d_windowLogMax (ZSTD_WINDOWLOG_LIMIT_DEFAULT, what zstd-jni uses in Kafka). */
const ZSTD_WINDOW_LOG_LIMIT = 27
const ZSTD_MAGIC = 0xfd2fb528

/**
 * The window a zstd frame at the start of `data` needs (the frame's content size for single-segment frames), or -1
 * if the header cannot be read (the decoder then reports the error).
 */
function zstdWindowSize(data: Buffer): number {
  if (data.length < 6 || data.readUInt32LE(0) !== ZSTD_MAGIC) return -1
  const fhd = data[4]!
  const singleSegment = (fhd & 0x20) !== 0
  if (!singleSegment) {
    const wd = data[5]!
    const base = 2 ** (10 + (wd >> 3))
    return base + (base / 8) * (wd & 7)
  }
  const dictBytes = [0, 1, 2, 4][fhd & 3]!
  const fcsBytes = [1, 2, 4, 8][fhd >> 6]!
  const at = 5 + dictBytes
  if (data.length < at + fcsBytes) return -1
  if (fcsBytes === 1) return data[at]!
  if (fcsBytes === 2) return data.readUInt16LE(at) + 256
  if (fcsBytes === 4) return data.readUInt32LE(at)
  return Number(data.readBigUInt64LE(at))
}

/**
 * Streaming decompression: the output is counted as it comes and refused once past `maxBytes`; a frame whose window
 * is larger than zstd's default limit (128 MiB) or larger than `maxBytes` is refused before its window is allocated.
 */
export function zstdDecompress(data: Buffer, maxBytes = Infinity): Buffer {
  const window = zstdWindowSize(data)
  // a single-segment frame's window is its declared content size
  if ((data[4]! & 0x20) !== 0 && window > maxBytes) throw new InflateLimitError(maxBytes)
  if (window > 2 ** ZSTD_WINDOW_LOG_LIMIT)
    throw new Error(`Frame requires too much memory for decoding (window of ${window} bytes)`)
  const fast = zstdDecompressWasm(data, maxBytes)
  if (fast) return fast
  const parts: Buffer[] = []
  let total = 0
  const d = new (fzstd().Decompress)((chunk) => {
    total += chunk.length
    if (total > maxBytes) throw new InflateLimitError(maxBytes)
    // the decoder reuses its window: keep a copy
    if (chunk.length > 0) parts.push(Buffer.from(chunk))
  })
  d.push(data, true)
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total)
}

/** The WebAssembly JS API (not in this project's `lib`): compiled and instantiated synchronously here. */
interface WasmInstance {
  exports: object
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object, imports: object) => WasmInstance
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly

/** The parts of the Emscripten module of @bokuweb/zstd-wasm used here (its simple/compress.js uses the same). */
interface ZstdWasmModule {
  instantiateWasm?: (imports: object, receive: (instance: WasmInstance) => unknown) => unknown
  init(buf?: Uint8Array): unknown
  calledRun?: boolean
  HEAPU8: Uint8Array
  _malloc(size: number): number
  _free(ptr: number): void
  _ZSTD_compressBound(size: number): number
  _ZSTD_compress(dst: number, dstCapacity: number, src: number, srcSize: number, level: number): number
  _ZSTD_decompress(dst: number, dstCapacity: number, src: number, srcSize: number): number
  _ZSTD_isError(code: number): number
}

let zstdWasm: ZstdWasmModule | undefined
let zstdWasmError: Error | undefined

/**
 * A private instance of the package's Emscripten module, started synchronously: its own init() is asynchronous
 * and shares one module-wide instance with anyone else who loads the package (the compat tests' kafkajs codec).
 */
function loadZstdWasm(): ZstdWasmModule {
  if (zstdWasm) return zstdWasm
  if (zstdWasmError) throw zstdWasmError
  try {
    // the package exports only its entry point; the glue and the binary sit beside it (it loads them so itself)
    const dir = dirname(require.resolve('@bokuweb/zstd-wasm'))
    const gluePath = join(dir, 'zstd.js')
    const glue = readFileSync(gluePath, 'utf8')
    const wasmModule = new wasmApi.Module(readFileSync(join(dir, 'zstd.wasm')))
    const moduleExports: { Module?: ZstdWasmModule } = {}
    // evaluates the CommonJS glue in a scope of its own, so that this instance is ours alone
    const evaluate = new Function('exports', 'require', 'module', '__filename', '__dirname', glue) as (
      ...args: unknown[]
    ) => void
    evaluate(moduleExports, require, { exports: moduleExports }, gluePath, dirname(gluePath))
    const m = moduleExports.Module
    if (!m) throw new Error('the zstd WebAssembly glue exports no Module')
    let instance: WasmInstance | undefined
    m.instantiateWasm = (imports, receive) => {
      instance ??= new wasmApi.Instance(wasmModule, imports)
      receive(instance)
      return instance.exports
    }
    m.init()
    if (!m.calledRun) throw new Error('the zstd WebAssembly runtime did not start')
    zstdWasm = m
    return m
  } catch (e) {
    zstdWasmError = e as Error
    throw e
  }
}

/** The largest payload and output the one-shot WebAssembly decoder takes (its heap never shrinks). */
const ZSTD_WASM_MAX_INPUT = 2 << 20
const ZSTD_WASM_MAX_OUTPUT = 8 << 20
/** ZSTD_error_dstSize_tooSmall */
const ZSTD_DST_SIZE_TOO_SMALL = 70

/**
 * The reference decoder (WebAssembly, ~4x faster than fzstd) for what fits its bounds: ZSTD_decompress writes into
 * a buffer of min(maxBytes, 8 MiB) and fails rather than pass its end, so a payload inflating beyond maxBytes is
 * an InflateLimitError here too. Undefined when the payload is not for it (too large, no WebAssembly) or it failed
 * otherwise: the streaming decoder then decides, with its own errors.
 */
function zstdDecompressWasm(data: Buffer, maxBytes: number): Buffer | undefined {
  if (data.length > ZSTD_WASM_MAX_INPUT) return undefined
  let m: ZstdWasmModule
  try {
    m = loadZstdWasm()
  } catch {
    return undefined
  }
  const capacity = Math.min(maxBytes, ZSTD_WASM_MAX_OUTPUT)
  const src = m._malloc(Math.max(1, data.length))
  const dst = m._malloc(Math.max(1, capacity))
  try {
    m.HEAPU8.set(data, src)
    const n = m._ZSTD_decompress(dst, capacity, src, data.length)
    if (m._ZSTD_isError(n)) {
      const code = n < 0 ? -n : 2 ** 32 - n
      if (code === ZSTD_DST_SIZE_TOO_SMALL && capacity === maxBytes) throw new InflateLimitError(maxBytes)
      return undefined
    }
    // HEAPU8 is read after the call: the heap may have grown (and been replaced) during it
    return Buffer.from(m.HEAPU8.subarray(dst, dst + n))
  } finally {
    m._free(src)
    m._free(dst)
  }
}

/** Kafka's default compression.zstd.level */
export const ZSTD_DEFAULT_LEVEL = 3

export function zstdCompress(data: Buffer, level = ZSTD_DEFAULT_LEVEL): Buffer {
  let m: ZstdWasmModule
  try {
    m = loadZstdWasm()
  } catch (e) {
    throw new KafkaError(
      ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
      `zstd compression is not available: ${(e as Error).message}`,
    )
  }
  const bound = m._ZSTD_compressBound(data.length)
  const dst = m._malloc(bound)
  const src = m._malloc(Math.max(1, data.length))
  try {
    m.HEAPU8.set(data, src)
    const n = m._ZSTD_compress(dst, bound, src, data.length, level)
    if (m._ZSTD_isError(n)) throw new Error(`zstd compression failed with code ${n}`)
    // HEAPU8 is read after the call: the heap may have grown (and been replaced) during it
    return Buffer.from(m.HEAPU8.subarray(dst, dst + n))
  } finally {
    m._free(src)
    m._free(dst)
  }
}

/** Whether zstd compression works here (the WebAssembly module loads). */
export function zstdCompressionAvailable(): boolean {
  try {
    loadZstdWasm()
    return true
  } catch {
    return false
  }
}

export const snappyCodec: BatchCodec = {
  compress: (d) => snappyCompress(d),
  decompress: (d, _magic, maxBytes) => snappyDecompress(d, maxBytes),
}

export const lz4Codec: BatchCodec = {
  compress: (d, magic) => lz4Compress(d, magic),
  decompress: (d, magic, maxBytes) => lz4Decompress(d, magic, maxBytes),
}

export const zstdCodec: BatchCodec = {
  compress: (d, _magic, level) => zstdCompress(d, level),
  decompress: (d, _magic, maxBytes) => zstdDecompress(d, maxBytes),
}
