// Type declarations for codec packages that ship none.
declare module 'kafkajs-snappy' {
  const SnappyCodec: () => {
    compress(encoder: { buffer: Buffer }): Promise<Buffer>
    decompress(buffer: Buffer): Promise<Buffer>
  }
  export default SnappyCodec
}

declare module 'kafkajs-lz4' {
  export default class LZ4Codec {
    constructor(options?: Record<string, unknown>)
    codec: () => {
      compress(encoder: { buffer: Buffer }): Promise<Buffer>
      decompress(buffer: Buffer): Promise<Buffer>
    }
  }
}
