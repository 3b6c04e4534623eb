import { describe, expect, it } from 'vitest'
import { ApiVersionsResponse } from '../messages/18-api-versions.js'
import { RequestHeader } from '../headers.js'
import { decodeBuffer, encodeToBuffer, UNKNOWN_TAGGED_FIELDS } from './codec.js'
import { Reader } from './reader.js'
import { array, int32, int64, message, string, struct, structField, T, uuid } from './schema.js'
import { Writer } from './writer.js'
import { DecodeError } from './errors.js'

describe('primitives', () => {
  it('round-trips unsigned varints at the byte boundaries', () => {
    for (const v of [0, 1, 127, 128, 16383, 16384, 2 ** 21, 2 ** 28, 0xffffffff]) {
      const w = new Writer()
      w.uvarint(v)
      expect(new Reader(w.toBuffer()).uvarint()).toBe(v)
    }
    const w = new Writer()
    w.uvarint(300)
    expect([...w.toBuffer()]).toEqual([0xac, 0x02])
  })

  it('zig-zag encodes varints and varlongs as Kafka does', () => {
    const cases: [number, number[]][] = [
      [0, [0]],
      [-1, [1]],
      [1, [2]],
      [-64, [127]],
      [64, [128, 1]],
    ]
    for (const [v, bytes] of cases) {
      const w = new Writer()
      w.varint(v)
      expect([...w.toBuffer()]).toEqual(bytes)
      expect(new Reader(Buffer.from(bytes)).varint()).toBe(v)
    }
    for (const v of [0, -1, 1, 2 ** 40, -(2 ** 40), 1700000000000]) {
      const w = new Writer()
      w.varlong(v)
      expect(new Reader(w.toBuffer()).varlong()).toBe(v)
    }
  })

  it('writes int64 exactly and clamps Long.MAX_VALUE', () => {
    const w = new Writer()
    w.int64(-1)
      .int64(2 ** 40 + 5)
      .int64(2 ** 63) // Long.MAX_VALUE as a JS number
    const b = w.toBuffer()
    expect(b.subarray(0, 8).toString('hex')).toBe('ffffffffffffffff')
    expect(b.readBigInt64BE(8)).toBe(2n ** 40n + 5n)
    expect(b.readBigInt64BE(16)).toBe(9223372036854775807n)
    const r = new Reader(b)
    expect(r.int64()).toBe(-1)
    expect(r.int64()).toBe(2 ** 40 + 5)
  })

  it('refuses to read past the end', () => {
    expect(() => new Reader(Buffer.from([0, 1])).int32()).toThrow(DecodeError)
    expect(() => new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x0f])).uvarint()).toThrow(DecodeError)
  })

  it('keeps large byte arrays as separate chunks without copying', () => {
    const big = Buffer.alloc(10_000, 7)
    const w = new Writer()
    w.int32(big.length).raw(big).int8(1)
    const chunks = w.finish()
    expect(chunks).toHaveLength(3)
    expect(chunks[1]).toBe(big)
    expect(w.length).toBe(10_005)
  })
})

describe('ApiVersionsResponse', () => {
  const value = { errorCode: 0, apiKeys: [{ apiKey: 0, minVersion: 0, maxVersion: 9 }], throttleTimeMs: 0 }

  it('encodes v0 byte for byte', () => {
    expect(encodeToBuffer(ApiVersionsResponse, 0, value).toString('hex')).toBe(
      '0000' + '00000001' + '000000000009',
    )
  })

  it('encodes v3 with compact arrays and tagged field sections', () => {
    expect(encodeToBuffer(ApiVersionsResponse, 3, value).toString('hex')).toBe(
      '0000' + '02' + '000000000009' + '00' + '00000000' + '00',
    )
  })

  it('writes tagged fields only when they differ from their default, in tag order', () => {
    const buf = encodeToBuffer(ApiVersionsResponse, 3, {
      ...value,
      zkMigrationReady: true,
      finalizedFeaturesEpoch: 5,
    })
    const back = decodeBuffer(ApiVersionsResponse, 3, buf)
    expect(back.finalizedFeaturesEpoch).toBe(5)
    expect(back.zkMigrationReady).toBe(true)
    // two tagged fields: count 2, tag 1 (size 8), tag 3 (size 1)
    expect(buf.subarray(buf.length - 14).toString('hex')).toBe(
      '02' + '0108' + '0000000000000005' + '0301' + '01',
    )
  })

  it('fills fields absent from a version with their defaults', () => {
    const back = decodeBuffer(ApiVersionsResponse, 0, encodeToBuffer(ApiVersionsResponse, 0, value))
    expect(back).toEqual({
      ...value,
      supportedFeatures: [],
      finalizedFeaturesEpoch: -1,
      finalizedFeatures: [],
      zkMigrationReady: false,
    })
  })
})

describe('request header', () => {
  it('keeps client_id a classic string in header v2', () => {
    const buf = encodeToBuffer(RequestHeader, 2, {
      requestApiKey: 18,
      requestApiVersion: 3,
      correlationId: 1,
      clientId: 'ab',
    })
    expect(buf.toString('hex')).toBe('0012' + '0003' + '00000001' + '0002' + '6162' + '00')
    expect(
      decodeBuffer(RequestHeader, 1, encodeToBuffer(RequestHeader, 1, { clientId: null })).clientId,
    ).toBeNull()
  })
})

describe('schema features', () => {
  const Demo = message({
    name: 'Demo',
    kind: 'data',
    validVersions: '0-3',
    flexibleVersions: '2+',
    fields: [
      string('name', { nullable: '1+' }),
      uuid('id', '3+'),
      array('items', T.int32, { versions: '0+', nullable: '1+' }),
      array('nested', struct([int32('a'), int64('b', { versions: '1+', default: -1 })])),
      structField('leader', [int32('id', { default: -1 }), int32('epoch', { default: -1 })], {
        versions: '2+',
        tag: 0,
      }),
    ],
  })

  it('round-trips every version', () => {
    const v = {
      name: 'x',
      id: 'AAAAAAAAAAAAAAAAAAAAAQ',
      items: [1, 2, 3],
      nested: [{ a: 1, b: 2 }],
      leader: { id: 4, epoch: 5 },
    }
    for (let version = 0; version <= 3; version++) {
      const back = decodeBuffer(Demo, version, encodeToBuffer(Demo, version, v))
      expect(back.name).toBe('x')
      expect(back.items).toEqual([1, 2, 3])
      expect(back.nested[0]!.b).toBe(version >= 1 ? 2 : -1)
      expect(back.leader).toEqual(version >= 2 ? { id: 4, epoch: 5 } : { id: -1, epoch: -1 })
      expect(back.id).toBe(version >= 3 ? v.id : 'AAAAAAAAAAAAAAAAAAAAAA')
    }
  })

  it('handles null where nullable and refuses it where not', () => {
    expect(decodeBuffer(Demo, 1, encodeToBuffer(Demo, 1, { name: null, items: null })).items).toBeNull()
    expect(() => encodeToBuffer(Demo, 0, { name: null })).toThrow(/not nullable/)
    expect(() => decodeBuffer(Demo, 0, Buffer.from('ffff', 'hex'))).toThrow(DecodeError)
  })

  it('refuses an array count larger than the bytes left', () => {
    expect(() => decodeBuffer(Demo, 0, Buffer.from('0000' + '7fffffff', 'hex'))).toThrow(/exceeds remaining/)
  })

  it('keeps unknown tagged fields and writes them back in tag order with the known ones', () => {
    // version 2: name "", items [], nested [], tagged: {tag 5, 2 bytes}
    const buf = Buffer.from('01' + '01' + '01' + '01' + '05' + '02' + 'abcd', 'hex')
    const v = decodeBuffer(Demo, 2, buf)
    expect(v.leader).toEqual({ id: -1, epoch: -1 })
    expect((v as Record<string, unknown>)[UNKNOWN_TAGGED_FIELDS]).toEqual([
      { tag: 5, data: Buffer.from('abcd', 'hex') },
    ])
    expect(encodeToBuffer(Demo, 2, v).toString('hex')).toBe(buf.toString('hex'))
    // with the known tag 0 set too, tag 0 comes first, then the kept tag 5
    const both = encodeToBuffer(Demo, 2, { ...v, leader: { id: 1, epoch: 2 } })
    expect(both.toString('hex')).toBe('010101' + '02' + '0009' + '000000010000000200' + '0502abcd')
    expect(decodeBuffer(Demo, 2, both).leader).toEqual({ id: 1, epoch: 2 })
  })

  it('adds no unknown-field property when there were none', () => {
    const v = decodeBuffer(Demo, 2, encodeToBuffer(Demo, 2, { name: 'a' }))
    expect(Object.keys(v)).not.toContain(UNKNOWN_TAGGED_FIELDS)
  })
})

describe('64-bit integers', () => {
  const int64Of = (v: bigint): Reader => {
    const b = Buffer.alloc(8)
    b.writeBigInt64BE(v)
    return new Reader(b)
  }
  const varlongOf = (v: bigint): Reader => {
    let u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n))
    const bytes: number[] = []
    while (u >= 0x80n) {
      bytes.push(Number(u & 0x7fn) | 0x80)
      u >>= 7n
    }
    bytes.push(Number(u))
    return new Reader(Buffer.from(bytes))
  }

  it('reads every value a double holds exactly, and Long.MIN/MAX_VALUE as ±2^63', () => {
    for (const v of [0n, -1n, 2n ** 53n, -(2n ** 53n), 2n ** 53n - 1n, 2n ** 60n, -(2n ** 62n), 10n ** 17n]) {
      expect(int64Of(v).int64()).toBe(Number(v))
      expect(varlongOf(v).varlong()).toBe(Number(v))
    }
    expect(int64Of(2n ** 63n - 1n).int64()).toBe(2 ** 63)
    expect(int64Of(-(2n ** 63n)).int64()).toBe(-(2 ** 63))
    expect(varlongOf(2n ** 63n - 1n).varlong()).toBe(2 ** 63)
    expect(varlongOf(-(2n ** 63n)).varlong()).toBe(-(2 ** 63))
    // and the writer turns the sentinels back into the same bits
    expect(
      new Writer()
        .int64(int64Of(2n ** 63n - 1n).int64())
        .toBuffer()
        .readBigInt64BE(),
    ).toBe(2n ** 63n - 1n)
    expect(
      new Writer()
        .int64(-(2 ** 63))
        .toBuffer()
        .readBigInt64BE(),
    ).toBe(-(2n ** 63n))
  })

  it('refuses a value it would have to round', () => {
    for (const v of [2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 63n - 2n, 1234567890123456789n]) {
      expect(() => int64Of(v).int64()).toThrow(/cannot be represented exactly/)
      expect(() => varlongOf(v).varlong()).toThrow(/cannot be represented exactly/)
    }
  })
})
