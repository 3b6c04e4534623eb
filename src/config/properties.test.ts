import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  loadPropertiesFile,
  loadPropertiesFileSync,
  parseKeyValueArgs,
  parseProperties,
  stringifyProperties,
} from './properties.js'

const obj = (m: Map<string, string>): Record<string, string> => Object.fromEntries(m)

describe('parseProperties', () => {
  it('reads the three separator forms', () => {
    expect(obj(parseProperties('a=1\nb: 2\nc 3\nd\t4\ne:5\nf=\n'))).toEqual({
      a: '1',
      b: '2',
      c: '3',
      d: '4',
      e: '5',
      f: '',
    })
  })

  it('skips comments, blank lines and leading whitespace', () => {
    const text = '# comment\n! also a comment\n\n   \n   key = value\n\t\fother=x\n  # indented comment\n'
    expect(obj(parseProperties(text))).toEqual({ key: 'value', other: 'x' })
  })

  it('keeps trailing whitespace of values but drops whitespace around the separator', () => {
    expect(parseProperties('k   =   v  ').get('k')).toBe('v  ')
    expect(parseProperties('k   :=v').get('k')).toBe('=v')
    expect(parseProperties('k = = v').get('k')).toBe('= v')
  })

  it('a key alone has an empty value', () => {
    expect(obj(parseProperties('lonely\nalso   \n'))).toEqual({ lonely: '', also: '' })
  })

  it('later keys win', () => {
    expect(parseProperties('a=1\na=2\n').get('a')).toBe('2')
  })

  it('joins continuation lines, dropping the next line’s leading whitespace', () => {
    const text = 'log.dirs=/a,\\\n    /b,\\\n\t/c\nnext=1\n'
    expect(obj(parseProperties(text))).toEqual({ 'log.dirs': '/a,/b,/c', next: '1' })
  })

  it('an even number of trailing backslashes does not continue', () => {
    expect(obj(parseProperties('a=x\\\\\nb=y'))).toEqual({ a: 'x\\', b: 'y' })
    expect(obj(parseProperties('a=x\\\\\\\nb=y'))).toEqual({ a: 'x\\b=y' })
  })

  it('a continuation line starting with # is not a comment; a comment line never continues', () => {
    expect(obj(parseProperties('a=1,\\\n#2\n'))).toEqual({ a: '1,#2' })
    expect(obj(parseProperties('# comment \\\nb=2\n'))).toEqual({ b: '2' })
  })

  it('a continuation onto an empty line ends the value', () => {
    expect(obj(parseProperties('a=1\\\n\n  b=2\n'))).toEqual({ a: '1', b: '2' })
    expect(obj(parseProperties('a=1\\\n   \nb=2'))).toEqual({ a: '1', b: '2' })
  })

  it('a trailing backslash at the end of input is dropped', () => {
    expect(parseProperties('a=1\\').get('a')).toBe('1')
  })

  it('handles CRLF and CR line ends', () => {
    expect(obj(parseProperties('a=1\r\nb=2\rc=3\r\nd=4,\\\r\n  5'))).toEqual({
      a: '1',
      b: '2',
      c: '3',
      d: '4,5',
    })
  })

  it('resolves escapes', () => {
    const p = parseProperties('tab=a\\tb\nnl=a\\nb\ncr=\\r\nff=\\f\nbs=a\\\\b\nu=\\u0041\\u00e9\nx=\\q\n')
    expect(obj(p)).toEqual({ tab: 'a\tb', nl: 'a\nb', cr: '\r', ff: '\f', bs: 'a\\b', u: 'Aé', x: 'q' })
  })

  it('escaped separators and spaces belong to the key', () => {
    const p = parseProperties('a\\=b=c\nx\\:y:z\nsp\\ ace=v\n\\#notcomment=1\n')
    expect(obj(p)).toEqual({ 'a=b': 'c', 'x:y': 'z', 'sp ace': 'v', '#notcomment': '1' })
  })

  it('rejects a malformed \\u escape', () => {
    expect(() => parseProperties('a=\\u12')).toThrow('Malformed \\uxxxx encoding.')
  })

  it('reads a typical server.properties', () => {
    const text = [
      '############################# Server Basics #############################',
      '',
      '# The id of the broker. This must be set to a unique integer for each broker.',
      'broker.id=0',
      '#listeners=PLAINTEXT://:9092',
      'num.network.threads=3',
      'log.dirs=/tmp/kafka-logs',
      'zookeeper.connect=localhost:2181',
      'zookeeper.connection.timeout.ms=18000',
    ].join('\n')
    expect(obj(parseProperties(text))).toEqual({
      'broker.id': '0',
      'num.network.threads': '3',
      'log.dirs': '/tmp/kafka-logs',
      'zookeeper.connect': 'localhost:2181',
      'zookeeper.connection.timeout.ms': '18000',
    })
  })
})

describe('loadPropertiesFile', () => {
  it('reads files as ISO-8859-1, as Properties.load(InputStream) does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'samsa-props-'))
    const path = join(dir, 'server.properties')
    writeFileSync(path, Buffer.from([0x61, 0x3d, 0xe9, 0x0a])) // a=<0xE9>
    expect((await loadPropertiesFile(path)).get('a')).toBe('é')
    expect(loadPropertiesFileSync(path).get('a')).toBe('é')
  })
})

describe('stringifyProperties', () => {
  it('round-trips awkward keys and values', () => {
    const m = new Map([
      ['plain', 'value'],
      ['with space', ' leading and trailing '],
      ['sep=:', 'a=b:c'],
      ['#hash', '!bang'],
      ['ctl', 'a\tb\nc\r\f'],
      ['unicode', 'é€'],
      ['backslash', 'a\\b'],
      ['empty', ''],
    ])
    const text = stringifyProperties(m, { comments: ['generated'] })
    expect(text.startsWith('#generated\n')).toBe(true)
    expect(text).toContain('with\\ space=\\ leading and trailing \n')
    expect(text).toContain('unicode=\\u00E9\\u20AC\n')
    expect(parseProperties(text)).toEqual(m)
  })
})

describe('parseKeyValueArgs', () => {
  it('splits at the first =, missing values are empty, later wins', () => {
    expect(obj(parseKeyValueArgs(['a=1', 'b=x=y', 'c', 'd=', 'a=2', '']))).toEqual({
      a: '2',
      b: 'x=y',
      c: '',
      d: '',
    })
  })
})
