/**
 * A kafkajs ZSTD codec on @bokuweb/zstd-wasm (zstd compiled to WebAssembly): @kafkajs/zstd cannot be used here
 * because its native dependency (cppzst) does not build on Node 20.
 *   CompressionCodecs[CompressionTypes.ZSTD] = ZstdCodec
 */
import { compress, decompress, init } from '@bokuweb/zstd-wasm'

let ready: Promise<void> | undefined
const ensureReady = (): Promise<void> => (ready ??= init())

const ZSTD_CONTENTSIZE_UNKNOWN = -1

/** The frame content size from a zstd frame header, or -1 when the frame does not carry it. */
function frameContentSize(buf: Uint8Array): number {
  if (buf.length < 6 || buf[0] !== 0x28 || buf[1] !== 0xb5 || buf[2] !== 0x2f || buf[3] !== 0xfd) {
    return ZSTD_CONTENTSIZE_UNKNOWN
  }
  const fhd = buf[4]!
  const fcsFlag = fhd >> 6
  const singleSegment = (fhd >> 5) & 1
  const dictIdFlag = fhd & 3
  const pos = 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][dictIdFlag]!
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  const fcsSize = fcsFlag === 0 ? (singleSegment ? 1 : 0) : [0, 2, 4, 8][fcsFlag]!
  if (fcsSize === 0 || pos + fcsSize > buf.length) return ZSTD_CONTENTSIZE_UNKNOWN
  switch (fcsSize) {
    case 1:
      return view.getUint8(pos)
    case 2:
      return view.getUint16(pos, true) + 256
    case 4:
      return view.getUint32(pos, true)
    default: {
      const lo = view.getUint32(pos, true)
      const hi = view.getUint32(pos + 4, true)
      return hi * 2 ** 32 + lo
    }
  }
}

/** Decompresses a zstd payload; frames without a content size get a growing output buffer. */
export async function zstdDecompress(data: Buffer): Promise<Buffer> {
  await ensureReady()
  const known = frameContentSize(data)
  if (known !== ZSTD_CONTENTSIZE_UNKNOWN) return Buffer.from(decompress(data))
  let capacity = Math.max(1 << 20, data.length * 16)
  for (;;) {
    try {
      return Buffer.from(decompress(data, { defaultHeapSize: capacity }))
    } catch (e) {
      if (capacity >= 1 << 30) throw e
      capacity *= 4
    }
  }
}

export async function zstdCompress(data: Buffer, level = 3): Promise<Buffer> {
  await ensureReady()
  return Buffer.from(compress(data, level))
}

/** The kafkajs codec factory (the shape of kafkajs' own gzip codec). */
export const ZstdCodec = (): {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>
  decompress(buffer: Buffer): Promise<Buffer>
} => ({
  compress: (encoder) => zstdCompress(encoder.buffer),
  decompress: (buffer) => zstdDecompress(buffer),
})
