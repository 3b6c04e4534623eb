/**
 * The principal of a TLS client certificate, as Kafka's DefaultKafkaPrincipalBuilder builds it: the subject's
 * distinguished name in the RFC 2253 form Java's X500Principal.getName() produces (most specific RDN first,
 * `CN=client,OU=eng,O=Acme,C=US`), passed through `ssl.principal.mapping.rules`.
 *
 * The rules use Kafka's syntax: a comma-separated list of `DEFAULT` (the DN unchanged) and
 * `RULE:<pattern>/<replacement>/[L|U]` (a Java regular expression that must match the whole DN, a replacement
 * with `$n` group references, optionally lower- or upper-casing the result); the first rule that matches wins.
 */
import { ConfigException } from '../../config/config-def.js'

// ---------------------------------------------------------------------------------------------------------------
// Subject DN from a DER certificate

interface Tlv {
  readonly tag: number
  /** Offset of the first content byte. */
  readonly start: number
  /** Offset after the last content byte. */
  readonly end: number
  /** Offset of the tag byte. */
  readonly offset: number
}

function readTlv(der: Buffer, offset: number): Tlv {
  if (offset + 2 > der.length) throw new Error('truncated DER')
  const tag = der[offset]!
  let len = der[offset + 1]!
  let start = offset + 2
  if (len & 0x80) {
    const n = len & 0x7f
    if (n === 0 || n > 4 || start + n > der.length) throw new Error('unsupported DER length')
    len = 0
    for (let i = 0; i < n; i++) len = len * 256 + der[start + i]!
    start += n
  }
  const end = start + len
  if (end > der.length) throw new Error('truncated DER')
  return { tag, start, end, offset }
}

function children(der: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = []
  for (let off = parent.start; off < parent.end;) {
    const t = readTlv(der, off)
    out.push(t)
    off = t.end
  }
  return out
}

function decodeOid(der: Buffer, t: Tlv): string {
  const parts: number[] = []
  let v = 0
  for (let i = t.start; i < t.end; i++) {
    const b = der[i]!
    v = v * 128 + (b & 0x7f)
    if ((b & 0x80) === 0) {
      if (parts.length === 0) {
        const first = v < 80 ? Math.floor(v / 40) : 2
        parts.push(first, v - first * 40)
      } else parts.push(v)
      v = 0
    }
  }
  return parts.join('.')
}

/** The keywords Java's RFC 2253 output uses; every other attribute type is written as its OID. */
const RFC2253_KEYWORDS: ReadonlyMap<string, string> = new Map([
  ['2.5.4.3', 'CN'],
  ['2.5.4.6', 'C'],
  ['2.5.4.7', 'L'],
  ['2.5.4.8', 'ST'],
  ['2.5.4.10', 'O'],
  ['2.5.4.11', 'OU'],
  ['2.5.4.9', 'STREET'],
  ['0.9.2342.19200300.100.1.25', 'DC'],
  ['0.9.2342.19200300.100.1.1', 'UID'],
])

const UTF8_STRING = 0x0c
const PRINTABLE_STRING = 0x13
const T61_STRING = 0x14
const IA5_STRING = 0x16
const GENERAL_STRING = 0x1b
const BMP_STRING = 0x1e

function stringValue(der: Buffer, t: Tlv): string | undefined {
  const bytes = der.subarray(t.start, t.end)
  switch (t.tag) {
    case UTF8_STRING:
    case PRINTABLE_STRING:
    case IA5_STRING:
    case GENERAL_STRING:
      return bytes.toString('utf8')
    case T61_STRING:
      return bytes.toString('latin1')
    case BMP_STRING:
      return Buffer.from(bytes).swap16().toString('utf16le')
    default:
      return undefined
  }
}

/** Characters Java escapes with a backslash anywhere in a value (RFC 2253's list plus '=' and '#'). */
const ESCAPED = ',=+<>#;"\\'

/** One attribute as AVA.toRFC2253String writes it. */
function formatAva(der: Buffer, ava: Tlv): string {
  const [typeTlv, valueTlv] = children(der, ava)
  if (!typeTlv || !valueTlv) throw new Error('malformed AttributeTypeAndValue')
  const oid = decodeOid(der, typeTlv)
  const keyword = RFC2253_KEYWORDS.get(oid)
  const str = keyword === undefined ? undefined : stringValue(der, valueTlv)
  if (keyword === undefined || str === undefined) {
    return `${keyword ?? oid}=#${der.subarray(valueTlv.offset, valueTlv.end).toString('hex')}`
  }
  let escaped = ''
  for (const c of str) {
    if (ESCAPED.includes(c)) escaped += `\\${c}`
    else if (c === '\u0000') escaped += '\\00'
    else escaped += c
  }
  // Leading and trailing spaces (and carriage returns) are escaped too.
  const chars = [...escaped]
  let lead = 0
  while (lead < chars.length && (chars[lead] === ' ' || chars[lead] === '\r')) lead++
  let trail = chars.length - 1
  while (trail >= 0 && (chars[trail] === ' ' || chars[trail] === '\r')) trail--
  const value = chars.map((c, i) => (i < lead || i > trail ? `\\${c}` : c)).join('')
  return `${keyword}=${value}`
}

/** The subject of a DER-encoded X.509 certificate as Java's X500Principal.getName() (RFC 2253) writes it. */
export function subjectDistinguishedName(certificate: Buffer): string {
  const cert = readTlv(certificate, 0)
  const [tbs] = children(certificate, cert)
  if (!tbs) throw new Error('malformed certificate')
  const fields = children(certificate, tbs)
  // [0] version (optional), serialNumber, signature, issuer, validity, subject
  const subjectIndex = fields[0]?.tag === 0xa0 ? 5 : 4
  const subject = fields[subjectIndex]
  if (!subject || subject.tag !== 0x30) throw new Error('malformed certificate subject')
  const rdns = children(certificate, subject).map((rdn) =>
    children(certificate, rdn)
      .map((ava) => formatAva(certificate, ava))
      .join('+'),
  )
  return rdns.reverse().join(',')
}

// ---------------------------------------------------------------------------------------------------------------
// ssl.principal.mapping.rules

interface Rule {
  readonly isDefault: boolean
  readonly pattern?: RegExp
  readonly source?: string
  readonly replacement?: string
  readonly toLowerCase?: boolean
  readonly toUpperCase?: boolean
}

const RULE_PATTERN = String.raw`(DEFAULT)|RULE:((\\.|[^\\/])*)/((\\.|[^\\/])*)/([LU]?).*?|(.*?)`
const RULE_SPLITTER = new RegExp(String.raw`\s*(${RULE_PATTERN})\s*(,\s*|$)`, 'g')
const RULE_PARSER = new RegExp(`^(?:${RULE_PATTERN})`)

function countGroups(re: RegExp): number {
  return (new RegExp(`${re.source}|`).exec('')?.length ?? 1) - 1
}

/**
 * Java's Matcher.replaceAll replacement syntax: `$n` inserts group n, a backslash takes the next character
 * literally. Kafka first turns references to groups the pattern does not have into literals.
 */
function javaReplacement(template: string, groups: readonly (string | undefined)[]): string {
  let out = ''
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!
    if (c === '\\' && i + 1 < template.length) {
      out += template[++i]
    } else if (c === '$' && i + 1 < template.length && /[0-9]/.test(template[i + 1]!)) {
      // The longest group number that exists (Java reads digits while the number stays a valid group).
      let n = Number(template[++i])
      while (i + 1 < template.length && /[0-9]/.test(template[i + 1]!)) {
        const next = n * 10 + Number(template[i + 1])
        if (next >= groups.length) break
        n = next
        i++
      }
      if (n >= groups.length) throw new Error(`No group ${n}`)
      out += groups[n] ?? ''
    } else out += c
  }
  return out
}

/** Kafka's escapeLiteralBackReferences: `$n` beyond the pattern's groups becomes a literal `\$n`. */
function escapeLiteralBackReferences(replacement: string, groupCount: number): string {
  if (groupCount === 0) return replacement
  let value = replacement
  const re = /\$(\d+)/g
  let m: RegExpExecArray | null
  while ((m = re.exec(value)) !== null) {
    const num = m[1]!
    if (num.startsWith('0')) continue
    let index = Number(num)
    while (index > groupCount && index >= 10) index = Math.floor(index / 10)
    if (index > groupCount) {
      const groupStart = m.index + 1
      value = `${value.slice(0, groupStart - 1)}\\${value.slice(groupStart - 1)}`
      re.lastIndex = m.index + 2
    }
  }
  return value
}

export class SslPrincipalMapper {
  private readonly rules: readonly Rule[]

  constructor(readonly rulesString: string) {
    this.rules = SslPrincipalMapper.parse(rulesString)
  }

  private static parse(rules: string): Rule[] {
    const out: Rule[] = []
    for (const m of rules.trim().matchAll(RULE_SPLITTER)) {
      const rule = m[1] ?? ''
      const p = RULE_PARSER.exec(rule)
      if (!p) throw new ConfigException(`Invalid rule: ${rule}`, 'ssl.principal.mapping.rules')
      if (p[0].length !== rule.length)
        throw new ConfigException(
          `Invalid rule: \`${rule}\`, unmatched substring: \`${rule.slice(p[0].length)}\``,
          'ssl.principal.mapping.rules',
        )
      if (p[1] !== undefined) out.push({ isDefault: true })
      else if (p[2] !== undefined) {
        let pattern: RegExp
        try {
          pattern = new RegExp(p[2])
        } catch (e) {
          throw new ConfigException(
            `Invalid rule: ${rule}: ${(e as Error).message}`,
            'ssl.principal.mapping.rules',
          )
        }
        out.push({
          isDefault: false,
          pattern,
          source: p[2],
          replacement: p[4] ?? '',
          toLowerCase: p[6] === 'L',
          toUpperCase: p[6] === 'U',
        })
      }
    }
    return out
  }

  /** The principal name of a distinguished name; throws when no rule applies (the connection then fails). */
  getName(distinguishedName: string): string {
    for (const r of this.rules) {
      const name = this.apply(r, distinguishedName)
      if (name !== undefined) return name
    }
    throw new Error(`No rules apply to ${distinguishedName}, rules ${this.toString()}`)
  }

  private apply(r: Rule, dn: string): string | undefined {
    if (r.isDefault) return dn
    const pattern = r.pattern!
    const whole = new RegExp(`^(?:${pattern.source})$`, pattern.flags)
    if (!whole.test(dn)) return undefined
    const replacement = escapeLiteralBackReferences(r.replacement!, countGroups(pattern))
    const all = new RegExp(pattern.source, 'g')
    let result = ''
    let last = 0
    for (const m of dn.matchAll(all)) {
      result += dn.slice(last, m.index) + javaReplacement(replacement, [...m])
      last = m.index + m[0].length
    }
    result += dn.slice(last)
    if (r.toLowerCase) return result.toLowerCase()
    if (r.toUpperCase) return result.toUpperCase()
    return result
  }

  toString(): string {
    const parts = this.rules.map((r) => {
      if (r.isDefault) return 'DEFAULT'
      return `RULE:${r.source}/${r.replacement}${r.toLowerCase ? '/L' : r.toUpperCase ? '/U' : ''}`
    })
    return `[${parts.join(', ')}]`
  }
}
