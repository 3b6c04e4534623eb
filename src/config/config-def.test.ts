import { describe, expect, it } from 'vitest'
import {
  atLeast,
  between,
  convertToString,
  formatDouble,
  formatLong,
  LONG_MAX,
  parseAndValidate,
  parseType,
  Password,
  ValidList,
  ValidString,
} from './config-def.js'
import { brokerConfigDef } from './definitions.js'
import { compareMetadataVersions, parseMetadataVersion, recordVersionOf } from './metadata-version.js'

const def = (name: string) => {
  const d = brokerConfigDef(name)
  if (!d) throw new Error(name)
  return d
}

describe('parseType', () => {
  it('parses each type, trimming first', () => {
    expect(parseType('x', ' TRUE ', 'boolean')).toBe(true)
    expect(parseType('x', 'False', 'boolean')).toBe(false)
    expect(parseType('x', ' 42 ', 'int')).toBe(42)
    expect(parseType('x', '+7', 'int')).toBe(7)
    expect(parseType('x', '-32768', 'short')).toBe(-32768)
    expect(parseType('x', '9223372036854775807', 'long')).toBe(LONG_MAX)
    expect(parseType('x', '1e3', 'double')).toBe(1000)
    expect(parseType('x', '.5', 'double')).toBe(0.5)
    expect(parseType('x', '2d', 'double')).toBe(2)
    expect(parseType('x', ' a , b,c ', 'list')).toEqual(['a', 'b', 'c'])
    expect(parseType('x', '   ', 'list')).toEqual([])
    expect(parseType('x', ' s ', 'string')).toBe('s')
    expect(parseType('x', 'secret', 'password')).toBeInstanceOf(Password)
  })

  it("rejects bad values with Kafka's messages", () => {
    expect(() => parseType('num.partitions', 'abc', 'int')).toThrow(
      'Invalid value abc for configuration num.partitions: Not a number of type INT',
    )
    expect(() => parseType('x', '2147483648', 'int')).toThrow('Not a number of type INT')
    expect(() => parseType('x', '1.5', 'int')).toThrow('Not a number of type INT')
    expect(() => parseType('x', '', 'int')).toThrow('Not a number of type INT')
    expect(() => parseType('x', '32768', 'short')).toThrow('Not a number of type SHORT')
    expect(() => parseType('x', '9223372036854775808', 'long')).toThrow('Not a number of type LONG')
    expect(() => parseType('x', '0x10', 'long')).toThrow('Not a number of type LONG')
    expect(() => parseType('x', 'half', 'double')).toThrow('Not a number of type DOUBLE')
    expect(() => parseType('log.preallocate', 'yes', 'boolean')).toThrow(
      'Invalid value yes for configuration log.preallocate: Expected value to be either true or false',
    )
  })
})

describe('validators', () => {
  it('ranges', () => {
    expect(() => parseAndValidate(def('num.partitions'), '0')).toThrow(
      'Invalid value 0 for configuration num.partitions: Value must be at least 1',
    )
    expect(() => parseAndValidate(def('log.cleaner.min.cleanable.ratio'), '2')).toThrow(
      'Invalid value 2.0 for configuration log.cleaner.min.cleanable.ratio: Value must be no more than 1',
    )
    expect(parseAndValidate(def('log.cleaner.min.cleanable.ratio'), '0.25')).toBe(0.25)
    expect(atLeast(1).description).toBe('[1,...]')
    expect(between(1, 17).description).toBe('[1,...,17]')
  })

  it('valid strings and lists', () => {
    expect(() => parseAndValidate(def('compression.type'), 'brotli')).toThrow(
      'Invalid value brotli for configuration compression.type: String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer',
    )
    expect(() => parseAndValidate(def('log.cleanup.policy'), 'delete,compactt')).toThrow(
      'Invalid value compactt for configuration log.cleanup.policy: String must be one of: compact, delete',
    )
    expect(parseAndValidate(def('log.cleanup.policy'), 'compact, delete')).toEqual(['compact', 'delete'])
    expect(ValidString.in('a', 'b').description).toBe('[a, b]')
    expect(ValidList.in('a').description).toBe('[a]')
  })

  it('compression levels', () => {
    expect(parseAndValidate(def('compression.gzip.level'), '-1')).toBe(-1)
    expect(() => parseAndValidate(def('compression.gzip.level'), '0')).toThrow(
      'Value must be between 1 and 9, or -1',
    )
    expect(() => parseAndValidate(def('compression.lz4.level'), '18')).toThrow(
      'Value must be no more than 17',
    )
    // LZ4 HC levels cannot be honoured (Samsa's encoder is LZ4's fast one, Kafka's default level 9)
    expect(parseAndValidate(def('compression.lz4.level'), '9')).toBe(9)
    expect(() => parseAndValidate(def('compression.lz4.level'), '12')).toThrow(
      'Samsa cannot honour LZ4 level 12',
    )
    expect(parseAndValidate(def('compression.zstd.level'), '-5')).toBe(-5)
  })

  it('metadata versions', () => {
    expect(parseAndValidate(def('inter.broker.protocol.version'), '2.8')).toBe('2.8')
    expect(() => parseAndValidate(def('inter.broker.protocol.version'), '3.99')).toThrow(
      'Invalid value 3.99 for configuration inter.broker.protocol.version: Version 3.99 is not a valid version',
    )
  })
})

describe('metadata versions', () => {
  it('resolves short and long forms', () => {
    expect(parseMetadataVersion('3.9')).toBe('3.9-IV0')
    expect(parseMetadataVersion('2.8.1')).toBe('2.8-IV1')
    expect(parseMetadataVersion('0.10.0.1')).toBe('0.10.0-IV1')
    expect(parseMetadataVersion('0.8.2')).toBe('0.8.2')
    expect(parseMetadataVersion('3.3-IV2')).toBe('3.3-IV2')
    expect(compareMetadataVersions('2.8', '3.0')).toBeLessThan(0)
    expect(recordVersionOf('0.9.0')).toBe(0)
    expect(recordVersionOf('0.10.2')).toBe(1)
    expect(recordVersionOf('0.11.0')).toBe(2)
  })
})

describe('formatting', () => {
  it('prints numbers as Java does', () => {
    expect(formatLong(LONG_MAX)).toBe('9223372036854775807')
    expect(formatLong(-9223372036854775808)).toBe('-9223372036854775808')
    expect(formatLong(604800000)).toBe('604800000')
    expect(formatDouble(0.5)).toBe('0.5')
    expect(formatDouble(2)).toBe('2.0')
    expect(formatDouble(Number.MAX_VALUE)).toBe('1.7976931348623157E308')
    expect(formatDouble(1e-5)).toBe('1.0E-5')
    expect(convertToString(['a', 'b'], 'list')).toBe('a,b')
    expect(convertToString(LONG_MAX, 'long')).toBe('9223372036854775807')
    expect(convertToString(0.9, 'double')).toBe('0.9')
    expect(convertToString(null, 'string')).toBeNull()
    expect(String(new Password('x'))).toBe('[hidden]')
  })
})
