/**
 * Kafka's JAAS configuration syntax (JaasConfig), as written in `sasl.jaas.config` properties:
 *
 *   org.apache.kafka.common.security.plain.PlainLoginModule required
 *     username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";
 *
 * one or more `<login module class> <control flag> [key=value]* ;` entries, values quoted with " or ' (Java
 * StreamTokenizer escapes) or bare words, with // and /* *\/ comments.
 */
import { ConfigException } from '../../config/config-def.js'

export interface JaasEntry {
  readonly loginModule: string
  readonly controlFlag: 'required' | 'requisite' | 'sufficient' | 'optional'
  readonly options: ReadonlyMap<string, string>
}

export const PLAIN_LOGIN_MODULE = 'org.apache.kafka.common.security.plain.PlainLoginModule'
export const SCRAM_LOGIN_MODULE = 'org.apache.kafka.common.security.scram.ScramLoginModule'
export const OAUTHBEARER_LOGIN_MODULE = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule'

type Token = { kind: 'word' | 'quoted' | 'number'; text: string } | { kind: 'symbol'; text: string }

const isWordStart = (c: string): boolean => /[A-Za-z_$\u00a0-\u00ff-]/.test(c)
const isWordPart = (c: string): boolean => /[A-Za-z0-9_$.\u00a0-\u00ff-]/.test(c)

function tokenize(text: string): Token[] {
  const out: Token[] = []
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    if (c <= ' ') {
      i++
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n' && text[i] !== '\r') i++
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2)
      i = end < 0 ? text.length : end + 2
    } else if (c === '"' || c === "'") {
      let s = ''
      i++
      while (i < text.length && text[i] !== c && text[i] !== '\n' && text[i] !== '\r') {
        if (text[i] === '\\' && i + 1 < text.length) {
          const e = text[++i]!
          const escapes: Record<string, string> = {
            n: '\n',
            t: '\t',
            r: '\r',
            b: '\b',
            f: '\f',
            a: '\u0007',
            v: '\u000b',
          }
          if (/[0-7]/.test(e)) {
            let oct = e
            while (
              oct.length < 3 &&
              /[0-7]/.test(text[i + 1] ?? '') &&
              Number.parseInt(oct + text[i + 1], 8) <= 255
            )
              oct += text[++i]
            s += String.fromCharCode(Number.parseInt(oct, 8))
          } else s += escapes[e] ?? e
          i++
        } else s += text[i++]
      }
      i++
      out.push({ kind: 'quoted', text: s })
    } else if (/[0-9.]/.test(c)) {
      // StreamTokenizer reads a number here; JAAS values must be quoted words.
      let s = ''
      while (i < text.length && /[0-9.]/.test(text[i]!)) s += text[i++]
      out.push({ kind: 'number', text: s })
    } else if (isWordStart(c)) {
      let s = ''
      while (i < text.length && isWordPart(text[i]!)) s += text[i++]
      out.push({ kind: 'word', text: s })
    } else {
      out.push({ kind: 'symbol', text: c })
      i++
    }
  }
  return out
}

/** Parses a JAAS configuration value; throws ConfigException with Kafka's messages. */
export function parseJaasConfig(text: string, configName = 'sasl.jaas.config'): JaasEntry[] {
  const tokens = tokenize(text)
  const entries: JaasEntry[] = []
  const fail = (message: string): never => {
    throw new ConfigException(`${message} (in ${configName})`, configName)
  }
  let i = 0
  const isValue = (t: Token | undefined): t is Token =>
    t !== undefined && (t.kind === 'word' || t.kind === 'quoted')
  while (i < tokens.length) {
    const moduleToken = tokens[i++]!
    if (!isValue(moduleToken)) fail(`Unexpected token '${(moduleToken as Token).text}' in JAAS config`)
    const flagToken = tokens[i++]
    if (flagToken === undefined) fail('Login module control flag not specified in JAAS config')
    const flag = flagToken!.text.toLowerCase()
    if (!['required', 'requisite', 'sufficient', 'optional'].includes(flag))
      fail(`Invalid login module control flag '${flagToken!.text}' in JAAS config`)
    const options = new Map<string, string>()
    while (i < tokens.length && !(tokens[i]!.kind === 'symbol' && tokens[i]!.text === ';')) {
      const key = tokens[i++]!.text
      const eq = tokens[i++]
      const value = tokens[i++]
      if (!eq || eq.text !== '=' || !isValue(value))
        fail(`Value not specified for key '${key}' in JAAS config`)
      options.set(key, value!.text)
    }
    if (i >= tokens.length) fail('JAAS config entry not terminated by semi-colon')
    i++ // ';'
    entries.push({ loginModule: moduleToken.text, controlFlag: flag as JaasEntry['controlFlag'], options })
  }
  if (entries.length === 0) fail('Login module not specified in JAAS config')
  return entries
}
