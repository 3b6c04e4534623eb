/**
 * The snappy, lz4 and zstd codecs against bytes made by other implementations:
 *  - KCAT_*: record batches librdkafka 2.0.2 (kcat -z snappy|lz4|zstd|gzip, idempotent producer) sent to a broker,
 *    copied from the segment file: 20 records, keys key-0..key-4, values value-N-xxx…;
 *  - JAVA_*: the uncompressed records of KCAT_GZIP compressed by xerial snappy-java 1.1.8 (SnappyOutputStream, the
 *    class Kafka's SnappyFactory uses, with its default 32 KiB blocks and with 1 KiB blocks) and by zstd-jni 1.5.7
 *    (ZstdOutputStreamNoFinalizer at level 3, what Kafka's ZstdFactory uses);
 *  - LZ4_CLI_*: the same records compressed by the lz4 1.9.4 command line tool (content checksum; block checksums).
 */
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ErrorCode, KafkaError } from '../errors.js'
import { buildRecordBatch, readBatchHeader, readRecords, verifyCrc } from './batch.js'
import {
  LZ4_MAGIC,
  lz4Compress,
  lz4DecodeBlock,
  lz4Decompress,
  snappyCompress,
  snappyDecompress,
  zstdCompress,
  zstdDecompress,
} from './codecs.js'
import { Compression, compress, decompress } from './compression.js'

const hex = (s: string): Buffer => Buffer.from(s, 'hex')

const KCAT_SNAPPY = hex(
  '00000000000000000000020600000000027b2dd3d0000200000013000001a201710fc8000001a201710ff800000000000000' +
    '0000000000000000000014ee134c3a0000000a6b65792d312476616c75652d312d78150110004e000002051e043238091e00' +
    '321d1e1901100062000004052804334c0928003352280019011000760000060532043460093200347a3200190114008a0100' +
    '0008053d043074093d0035a23d0019011400a00100000a05470831880109480036ca480019011400b40100000c055204329c' +
    '0d520037f2520019011400c80100000e055c0433b00d5c0038fe5c000d5c19011400dc0100001005660434c40d660039fe66' +
    '0042660019011400f20100001205700430da0d70043130fe71006a7100190114008602000014057b0431ee117b2efd02fe01' +
    '008e010014009a0200001605850832820249840031566403fe01008e01001400ae02005a18058f043396118f7ecb03fe0100' +
    '8e01001400c202005a1a05990434aa1199a63204fe01008e01001400d602005a1c05a30430be11a3ce9804fe01008e010014' +
    '00ea02005a1e05ad0431d211adf6fd04fe01008e01001400fe02005a2005b70432e611b7fe6205b162fe01008e0100140092' +
    '03005a2205c10433fa11c1fec70546c705fe01008e01001400a60300602405cb08348e038dbbfe2c066e2c06fe01008e0100' +
    '1400ba0300602605d50430a20dd50032fe9006969006fe01008e01000000',
)
const KCAT_LZ4 = hex(
  '0000000000000000000002010000000002d86700ec000300000013000001a2017113de000001a2017113f700000000000000' +
    '010000000000000000001404224d18604082c1010000f5053a0000000a6b65792d312476616c75652d312d78010051004e00' +
    '00021e002232381e0017321e00060200510062000004280022334c28001f3328000206020051007600000632002234603200' +
    '1f3432000c06020061008a010000083d002230743d001f353d00160602006100a00100000a47003231880148001f36480020' +
    '0602006100b40100000c520023329c52001f3752002a0602006100c80100000e5c002333b05c001f385c00340602006100dc' +
    '0100001066002334c466001f3966003e0602006100f20100001270002330da70002f3130710048060200610086020000147b' +
    '002431ee7b0008fd020f02005161009a0200001685003232820284021f316403030f0200516100ae02002e188f002433968f' +
    '000fcb030d0f0200516100c202002e1a99002434aa99000f3204170f0200516100d602002e1ca3002430bea3000f9804210f' +
    '0200516100ea02002e1ead002431d2ad000ffd042b0f0200516100fe02002e20b7002432e6b7000f6205350f020051610092' +
    '03002e22c1002433fac1000fc7053f0f0200516100a603003224cb0033348e03bb040f2c06490f0200516100ba03003226d5' +
    '002330a2d5001f329006530f02004d50787878780000000000',
)
const KCAT_ZSTD = hex(
  '00000000000000000000016d00000000029e575379000400000013000001a2017117df000001a2017117f200000000000000' +
    '020000000000000000001428b52ffd00589d0900324c2c33604fd218c8a1df9a7595eeabd67dd502be6a155a098f004880ff' +
    '008a003a44082164ef3d5393d01e04456b4ddb88d670db72a7c7d911256937f2e52e6a24ed3cb660a8c1db615cb1ccf7de98' +
    '291459f0de96279248f0de94eb471d786fc934830abc17e4b91333e05763e922017e298651aac4cfb7972f93eaf9b6b21542' +
    '3bdf4eae3626e79bc854ab90d0378ea787b8f9667155a89acfa60834f30c4f6bee271c0125c4201c16b2484209ac01fa0f02' +
    '4ea8113d8f02f2fe067033a30712489430ccb09df08ef08eb831e1d0d80385674960579705ad3b418afa778929f1b4ae8e98' +
    '94fa2a6c258ad7358914b0ef72a4c15a5d0951b2fb2904c708a8d25f366a2df4996f39c79a6a1162989f14958fb7c2506df0' +
    '4145808cb29b86f4025b14efd45a4cb0445fc907166a684280a20a',
)
const KCAT_GZIP = hex(
  '0000000000000000000001910000000002c5311126000100000013000001a201711bd0000001a201711be200000000000000' +
    '03000000000000000000141f8b0800000000000003b3626060e0ca4eadd43554294bcc294dd535d4ad8003063f060626b0ac' +
    '910544d6084916495d1203030b589db10f449d315675483aca1818d8c03a4c12203a4c08e840d2dbc5c8c0c001d66c5002d1' +
    '6c4ab466246316008de182f8bd8311628e1919e62099b80568220f24bce6404d34a7c84424b34f00cde68384f106a8d91654' +
    '321bc9963b405b0420f172046a8b25d56d41b2ef13d03e214854de82da676840430b91ac6e636260108144ff3b98d58674b1' +
    '1ac911b3808e1083a4982626a823b0e731ba38671d13839c0424914d8339875056a68bc30e011d26054997ab600e23bec4a0' +
    '0760b80674a20c2429ef8339919c72891e80e115d0b17290c47f09e658ca0a3f7a00867f40672b40b2cb3398b3a955c2d203' +
    '304c626690538264b05f300f50bf18a7076058c6cca0a202c9927dcc50afd0b2aea00760d805f4941a24132f827aca883ef5' +
    '113d000300f764adffee090000',
)
const JAVA_SNAPPY_FRAMED = hex(
  '82534e41505059000000000100000001000001d5ee134c3a0000000a6b65792d312476616c75652d312d78150110004e0000' +
    '02051e043238091e00321d1e1901100062000004052804334c0928003352280019011000760000060532043460093200347a' +
    '3200190114008a01000008053d043074093d0035a23d0019011400a00100000a05470831880109480036ca480019011400b4' +
    '0100000c055204329c0d520037f2520019011400c80100000e055c0433b00d5c0038fe5c000d5c19011400dc010000100566' +
    '0434c40d660039fe660042660019011400f20100001205700430da0d70043130fe71006a7100190114008602000014057b04' +
    '31ee117b2efd02fe01008e010014009a0200001605850832820249840031566403fe01008e01001400ae02001e18058f0433' +
    '96118f7ecb03fe01008e01001400c202001e1a05990434aa1199a63204fe01008e01001400d602001e1c05a30430be11a3ce' +
    '9804fe01008e01001400ea02001e1e05ad0431d211adf6fd04fe01008e01001400fe02001e2005b70432e611b7fe6205b162' +
    'fe01008e010014009203001e2205c10433fa11c1fec70546c705fe01008e01001400a60300242405cb08348e038dbbfe2c06' +
    '6e2c06fe01008e01001400ba0300242605d50430a20dd50032fe9006969006fe01008e01000000',
)
const JAVA_SNAPPY_FRAMED_1K_BLOCKS = hex(
  '82534e415050590000000001000000010000010d80084c3a0000000a6b65792d312476616c75652d312d78150110004e0000' +
    '02051e043238091e00321d1e1901100062000004052804334c0928003352280019011000760000060532043460093200347a' +
    '3200190114008a01000008053d043074093d0035a23d0019011400a00100000a05470831880109480036ca480019011400b4' +
    '0100000c055204329c0d520037f2520019011400c80100000e055c0433b00d5c0038fe5c000d5c19011400dc010000100566' +
    '0434c40d660039fe660042660019011400f20100001205700430da0d70043130fe71006a7100190114008602000014057b04' +
    '31ee117b2efd02fe01008e010014009a0200001605850832820249840031566403fe01005a0100000000a9800800782e0100' +
    '5800ae02001e180a6b65792d33960276616c75652d31332d2e2300fe0100d601001400c202001e1a05990434aa11990034fe' +
    '9900ee99000d9919011400d602001e1c05a30430be11a30035fea300fea30032a30019011400ea02001e1e05ad0431d211ad' +
    '0036fead00fead005aad0019011400fe02001e2005b70432e611b70037feb700feb70082b700190114009203001e2205c104' +
    '33fa11c10038fec100eec10000000050ee030078de01005800a6030024240a6b65792d348e0376616c75652d31392dde4f00' +
    'fe0100fe010009011400ba0300242605d50430a20dd5043230fed500fed500fad500287878787878787878787800',
)
const JAVA_ZSTD_STREAM = hex(
  '28b52ffd00589d0900324c2c33604fd218c8a1df9a7595eeabd67dd502be6a155a098f004880ff008a003a44082164ef3d53' +
    'dba51e84826eda46b486db963b05c7f91111deade4aa65d4f76e205332f4c0dd349e5ca6817b679654a473efcb91492c70ef' +
    'ca35a412b8f764ba4107dc2bf2dc8a29f0cbb1849101bf16c3285922c0b3982b94fa79d63235423dcf529e3a66e719c912bb' +
    '90d0338fa388c879867165a89bbfa60a54f30e4f6aee2f3c0125b424201aae272185f500fd09014ea8113d8f02f2fe067033' +
    'a30712489430ccb09df08ef08eb831e1d0d80385674960579705ad3b418afa778929f1b4ae8e9894fa2a6c258ad7358914b0' +
    'ef72a4c15a5d0951b2fb2904c708a8d25f366a2df4996f39c79a6a1162989f14958fb7c2506df04145808cb29b86f4025b14' +
    'efd45a4cb0445fc907166a684280a20a',
)
const LZ4_CLI_CONTENT_CHECKSUM = hex(
  '04224d186440a7c1010000f5053a0000000a6b65792d312476616c75652d312d78010051004e0000021e002232381e001732' +
    '1e00060200510062000004280022334c28001f33280002060200510076000006320022346032001f3432000c06020061008a' +
    '010000083d002230743d001f353d00160602006100a00100000a47003231880148001f364800200602006100b40100000c52' +
    '0023329c52001f3752002a0602006100c80100000e5c002333b05c001f385c00340602006100dc0100001066002334c46600' +
    '1f3966003e0602006100f20100001270002330da70002f3130710048060200610086020000147b002431ee7b0008fd020f02' +
    '005161009a0200001685003232820284021f316403030f0200516100ae02001e188f002433968f000fcb030d0f0200516100' +
    'c202001e1a99002434aa99000f3204170f0200516100d602001e1ca3002430bea3000f9804210f0200516100ea02001e1ead' +
    '002431d2ad000ffd042b0f0200516100fe02001e20b7002432e6b7000f6205350f02005161009203001e22c1002433fac100' +
    '0fc7053f0f0200516100a603002424cb0033348e03bb040f2c06490f0200516100ba03002426d5002330a2d5001f32900653' +
    '0f02004d50787878780000000000f4af82e1',
)
const LZ4_CLI_BLOCK_CHECKSUM = hex(
  '04224d187440bdc1010000f5053a0000000a6b65792d312476616c75652d312d78010051004e0000021e002232381e001732' +
    '1e00060200510062000004280022334c28001f33280002060200510076000006320022346032001f3432000c06020061008a' +
    '010000083d002230743d001f353d00160602006100a00100000a47003231880148001f364800200602006100b40100000c52' +
    '0023329c52001f3752002a0602006100c80100000e5c002333b05c001f385c00340602006100dc0100001066002334c46600' +
    '1f3966003e0602006100f20100001270002330da70002f3130710048060200610086020000147b002431ee7b0008fd020f02' +
    '005161009a0200001685003232820284021f316403030f0200516100ae02001e188f002433968f000fcb030d0f0200516100' +
    'c202001e1a99002434aa99000f3204170f0200516100d602001e1ca3002430bea3000f9804210f0200516100ea02001e1ead' +
    '002431d2ad000ffd042b0f0200516100fe02001e20b7002432e6b7000f6205350f02005161009203001e22c1002433fac100' +
    '0fc7053f0f0200516100a603002424cb0033348e03bb040f2c06490f0200516100ba03002426d5002330a2d5001f32900653' +
    '0f02004d5078787878005c6940a300000000f4af82e1',
)

/** The uncompressed records of the kcat batches (all four carry the same keys and values). */
const PAYLOAD = decompress(Compression.GZIP, KCAT_GZIP.subarray(61))

function expectKcatRecords(batch: Buffer): void {
  const recs = readRecords(batch)
  expect(recs).toHaveLength(20)
  recs.forEach((r, i) => {
    expect(r.offset).toBe(i)
    expect(r.key!.toString()).toBe(`key-${(i + 1) % 5}`)
    expect(r.value!.toString()).toBe(`value-${i + 1}-${'x'.repeat((i + 1) * 10)}`)
  })
}

describe('batches produced by librdkafka', () => {
  it.each([
    ['gzip', KCAT_GZIP, Compression.GZIP],
    ['snappy (raw, unframed)', KCAT_SNAPPY, Compression.SNAPPY],
    ['lz4 (LZ4 frame)', KCAT_LZ4, Compression.LZ4],
    ['zstd', KCAT_ZSTD, Compression.ZSTD],
  ])('decodes %s', (_name, batch, code) => {
    const h = readBatchHeader(batch)
    expect(h.compression).toBe(code)
    expect(h.recordCount).toBe(20)
    expect(h.producerId).toBeGreaterThanOrEqual(0)
    expect(verifyCrc(batch)).toBe(true)
    expectKcatRecords(batch)
  })

  it('decompress to payloads of the same size (only timestamp deltas differ)', () => {
    expect(PAYLOAD.length).toBe(2542)
    expect(snappyDecompress(KCAT_SNAPPY.subarray(61)).length).toBe(2542)
    expect(lz4Decompress(KCAT_LZ4.subarray(61)).length).toBe(2542)
    expect(zstdDecompress(KCAT_ZSTD.subarray(61)).length).toBe(2542)
  })
})

describe('snappy', () => {
  it('reads the xerial framing of snappy-java (SnappyOutputStream)', () => {
    expect(JAVA_SNAPPY_FRAMED.subarray(0, 8).toString('latin1')).toBe('\x82SNAPPY\x00')
    expect(snappyDecompress(JAVA_SNAPPY_FRAMED).equals(PAYLOAD)).toBe(true)
    expect(snappyDecompress(JAVA_SNAPPY_FRAMED_1K_BLOCKS).equals(PAYLOAD)).toBe(true)
  })

  it('reads concatenated framed streams', () => {
    const two = Buffer.concat([JAVA_SNAPPY_FRAMED, JAVA_SNAPPY_FRAMED_1K_BLOCKS])
    expect(snappyDecompress(two).equals(Buffer.concat([PAYLOAD, PAYLOAD]))).toBe(true)
  })

  it('writes exactly what snappy-java writes', () => {
    expect(snappyCompress(PAYLOAD).equals(JAVA_SNAPPY_FRAMED)).toBe(true)
  })

  it('round-trips data spanning several 32 KiB blocks', () => {
    const big = Buffer.concat(
      Array.from({ length: 40 }, (_, i) => Buffer.concat([PAYLOAD, Buffer.from([i])])),
    )
    const c = snappyCompress(big)
    expect(c.length).toBeLessThan(big.length)
    expect(snappyDecompress(c).equals(big)).toBe(true)
  })

  it('rejects truncated frames', () => {
    expect(() => snappyDecompress(JAVA_SNAPPY_FRAMED.subarray(0, JAVA_SNAPPY_FRAMED.length - 3))).toThrow()
  })
})

describe('lz4', () => {
  it('reads frames with content and block checksums (lz4 tool)', () => {
    expect(lz4Decompress(LZ4_CLI_CONTENT_CHECKSUM).equals(PAYLOAD)).toBe(true)
    expect(lz4Decompress(LZ4_CLI_BLOCK_CHECKSUM).equals(PAYLOAD)).toBe(true)
  })

  it('verifies the checksums', () => {
    const badContent = Buffer.from(LZ4_CLI_CONTENT_CHECKSUM)
    badContent[badContent.length - 1]! ^= 0xff
    expect(() => lz4Decompress(badContent)).toThrow(/Content checksum mismatch/)
    const badBlock = Buffer.from(LZ4_CLI_BLOCK_CHECKSUM)
    // block, block checksum, end mark, content checksum (FLG 0x74)
    badBlock[badBlock.length - 9]! ^= 0xff
    expect(() => lz4Decompress(badBlock)).toThrow(/Block checksum mismatch/)
  })

  it('writes Kafka frames: independent 64 KiB blocks, descriptor checksum, end mark', () => {
    const big = Buffer.concat(
      Array.from({ length: 60 }, (_, i) => Buffer.concat([PAYLOAD, Buffer.from([i])])),
    )
    const c = lz4Compress(big)
    expect(c.readUInt32LE(0)).toBe(LZ4_MAGIC)
    expect(c[4]).toBe(0x60) // version 01, block independence
    expect(c[5]).toBe(0x40) // 64 KiB blocks
    expect(c.readUInt32LE(c.length - 4)).toBe(0)
    expect(lz4Decompress(c).equals(big)).toBe(true)
    // the same header as librdkafka's, checksum byte included
    expect(c.subarray(0, 7).equals(KCAT_LZ4.subarray(61, 68))).toBe(true)
  })

  it('stores incompressible blocks raw', () => {
    const random = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919 + ((i * i) >> 3)) & 0xff))
    const c = lz4Compress(random)
    expect(lz4Decompress(c).equals(random)).toBe(true)
  })

  it('checks the descriptor checksum of v2 data but not of magic-0 data (KAFKA-3160)', () => {
    const legacy = lz4Compress(PAYLOAD, 0)
    const current = lz4Compress(PAYLOAD, 2)
    expect(legacy[6]).not.toBe(current[6]) // magic 0 checksums the magic bytes too
    expect(() => lz4Decompress(legacy, 2)).toThrow(/frame descriptor corrupted/)
    expect(lz4Decompress(legacy, 0).equals(PAYLOAD)).toBe(true)
    expect(lz4Decompress(current, 1).equals(PAYLOAD)).toBe(true)
  })
})

describe('lz4DecodeBlock (native copies) against lz4js', () => {
  const lz4js = createRequire(import.meta.url)('lz4js') as {
    compressBlock(src: Uint8Array, dst: Uint8Array, s: number, n: number, table: Uint32Array): number
    decompressBlock(src: Uint8Array, dst: Uint8Array, s: number, n: number, d: number): number
    compressBound(n: number): number
  }
  /** Data with runs, repeats at short and long distances, and noise: every kind of sequence. */
  const data = fc
    .array(
      fc.oneof(
        fc.uint8Array({ minLength: 1, maxLength: 40 }),
        fc.record({ byte: fc.integer({ min: 0, max: 255 }), n: fc.integer({ min: 1, max: 3000 }) }),
        fc.record({
          unit: fc.uint8Array({ minLength: 1, maxLength: 9 }),
          times: fc.integer({ min: 1, max: 400 }),
        }),
      ),
      { maxLength: 40 },
    )
    .map((parts) =>
      Buffer.concat(
        parts.map((p) =>
          p instanceof Uint8Array
            ? p
            : 'byte' in p
              ? Buffer.alloc(p.n, p.byte)
              : Buffer.concat(Array.from({ length: p.times }, () => p.unit)),
        ),
      ).subarray(0, 65536),
    )

  it('decodes what lz4js encodes, as lz4js decodes it', () => {
    fc.assert(
      fc.property(data, (src) => {
        const packed = Buffer.alloc(lz4js.compressBound(src.length) + 16)
        const n = lz4js.compressBlock(src, packed, 0, src.length, new Uint32Array(1 << 16))
        fc.pre(n > 0) // 0: incompressible, stored raw
        const ours = Buffer.alloc(65536)
        const theirs = Buffer.alloc(65536)
        const m = lz4DecodeBlock(packed, 0, n, ours)
        expect(m).toBe(lz4js.decompressBlock(packed, theirs, 0, n, 0))
        expect(ours.subarray(0, m).equals(src)).toBe(true)
      }),
      { numRuns: 100 },
    )
  })

  it('throws on blocks that read or write out of bounds or refer before the start, never more', () => {
    const out = Buffer.alloc(64)
    expect(() => lz4DecodeBlock(Buffer.from([0x10 * 15]), 0, 1, out)).toThrow(/Malformed/) // length cut off
    expect(() => lz4DecodeBlock(Buffer.from([0x50, 1, 2]), 0, 3, out)).toThrow(/Malformed/) // 5 literals, 2 bytes
    expect(() => lz4DecodeBlock(Buffer.from([0x14, 0x61, 2, 0]), 0, 4, out)).toThrow(/Malformed/) // offset 2 > 1
    expect(() => lz4DecodeBlock(Buffer.from([0x1f, 0x61, 1, 0, 255, 0]), 0, 6, out)).toThrow(/Malformed/) // > 64
    expect(lz4DecodeBlock(Buffer.from([0x1f, 0x61, 1, 0, 40]), 0, 5, out)).toBe(60) // 1 + 59 of 'a'
    expect(out.subarray(0, 60).equals(Buffer.alloc(60, 0x61))).toBe(true)
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (junk) => {
        try {
          expect(lz4DecodeBlock(junk, 0, junk.length, out)).toBeLessThanOrEqual(64)
        } catch (e) {
          expect((e as Error).message).toBe('Malformed LZ4 block')
        }
      }),
      { numRuns: 500 },
    )
  })
})

describe('zstd', () => {
  it('reads zstd-jni streams (no content size), concatenated and skippable frames', () => {
    expect(zstdDecompress(JAVA_ZSTD_STREAM).equals(PAYLOAD)).toBe(true)
    const skippable = Buffer.alloc(13)
    skippable.writeUInt32LE(0x184d2a50, 0)
    skippable.writeUInt32LE(5, 4)
    const frames = Buffer.concat([JAVA_ZSTD_STREAM, skippable, zstdCompress(PAYLOAD)])
    expect(zstdDecompress(frames).equals(Buffer.concat([PAYLOAD, PAYLOAD]))).toBe(true)
  })

  it('round-trips', () => {
    const c = zstdCompress(PAYLOAD)
    expect(c.readUInt32LE(0)).toBe(0xfd2fb528)
    expect(c.length).toBeLessThan(PAYLOAD.length / 4)
    expect(zstdDecompress(c).equals(PAYLOAD)).toBe(true)
    expect(zstdDecompress(zstdCompress(Buffer.alloc(0))).length).toBe(0)
  })

  it('the WebAssembly decoder and the streaming one (payloads over 2 MiB, output over 8 MiB) agree, limits too', () => {
    // incompressible: a payload over 2 MiB goes to fzstd
    const noise = randomBytes(2200 * 1024)
    const big = zstdCompress(noise, 1)
    expect(big.length).toBeGreaterThan(2 << 20)
    expect(zstdDecompress(big).equals(noise)).toBe(true)
    expect(() => zstdDecompress(big, noise.length - 1)).toThrow(/more than/)
    // 8 MiB + 4 KiB of a pattern: small payload, more output than the WebAssembly buffer holds
    const pattern = Buffer.alloc((8 << 20) + 4096, 'abcdefg')
    const packed = zstdCompress(pattern)
    expect(zstdDecompress(packed).equals(pattern)).toBe(true)
    expect(() => zstdDecompress(packed, 1 << 20)).toThrow(/more than 1048576/)
    // a corrupt frame is the streaming decoder's error
    const corrupt = Buffer.from(zstdCompress(PAYLOAD))
    corrupt.fill(0xee, 8, 20)
    expect(() => zstdDecompress(corrupt)).toThrow()
  })
})

describe('compression.ts', () => {
  it('registers snappy, lz4 and zstd by default, for reading and writing batches', () => {
    for (const code of [Compression.SNAPPY, Compression.LZ4, Compression.ZSTD]) {
      const b = buildRecordBatch({
        records: Array.from({ length: 30 }, (_, i) => ({
          key: `k${i % 3}`,
          value: 'v'.repeat(100),
          timestamp: i,
        })),
        compression: code,
        now: 0,
      })
      expect(readBatchHeader(b).compression).toBe(code)
      expect(b.length).toBeLessThan(1000)
      const recs = readRecords(b)
      expect(recs).toHaveLength(30)
      expect(recs[29]!.key!.toString()).toBe('k2')
      expect(decompress(code, compress(code, PAYLOAD)).equals(PAYLOAD)).toBe(true)
    }
  })

  it('gives an empty payload for an empty input (emptied batches keep their compression bits)', () => {
    for (const code of [1, 2, 3, 4]) expect(decompress(code, Buffer.alloc(0)).length).toBe(0)
  })

  it("reports garbage as UNKNOWN_SERVER_ERROR (Kafka: the codec stream's IOException in a KafkaException)", () => {
    for (const code of [Compression.GZIP, Compression.LZ4, Compression.ZSTD, Compression.SNAPPY]) {
      try {
        decompress(code, Buffer.from('definitely not compressed data'))
        expect.unreachable()
      } catch (e) {
        expect(e).toBeInstanceOf(KafkaError)
        expect((e as KafkaError).code).toBe(ErrorCode.UNKNOWN_SERVER_ERROR)
      }
    }
  })
})
