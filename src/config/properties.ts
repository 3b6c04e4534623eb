/**
 * Java .properties files with java.util.Properties semantics: `key=value`, `key: value` and `key value`; `#` and
 * `!` comment lines; leading whitespace ignored; a line ending in an odd number of backslashes continues on the next
 * line (whose leading whitespace is dropped); escapes `\t \n \r \f \uXXXX` and `\x` → `x`; later keys win.
 *
 * Kafka reads server.properties with Properties.load(InputStream), which decodes the bytes as ISO-8859-1;
 * `loadPropertiesFile` does the same, so a file that is valid for Kafka means the same thing here.
 */
import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'

const isWhitespace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\f'

/** Splits text into logical lines: comments and blank lines dropped, continuation lines joined. */
function logicalLines(text: string): string[] {
  const natural = text.split(/\r\n|\r|\n/)
  const out: string[] = []
  let current: string | null = null
  for (const raw of natural) {
    let i = 0
    while (isWhitespace(raw[i])) i++
    const line = raw.slice(i)
    if (current === null) {
      // A new logical line: blank and comment lines are skipped (a comment never continues).
      if (line === '' || line[0] === '#' || line[0] === '!') continue
      current = ''
    } else if (line === '') {
      // A continuation onto an empty line ends the logical line.
      out.push(current)
      current = null
      continue
    }
    let backslashes = 0
    for (let j = line.length - 1; j >= 0 && line[j] === '\\'; j--) backslashes++
    if (backslashes % 2 === 1) {
      current += line.slice(0, -1)
    } else {
      out.push(current + line)
      current = null
    }
  }
  // A continuation at the end of the input: the trailing backslash is dropped and the line kept.
  if (current !== null && current !== '') out.push(current)
  return out
}

/** Java's loadConvert: resolves backslash escapes. */
function unescape(s: string): string {
  if (!s.includes('\\')) return s
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const c = s[i]
    if (c !== '\\') {
      out += c
      continue
    }
    const n = s[++i]
    if (n === undefined) break
    if (n === 'u') {
      const hex = s.slice(i + 1, i + 5)
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new Error('Malformed \\uxxxx encoding.')
      out += String.fromCharCode(parseInt(hex, 16))
      i += 4
    } else if (n === 't') out += '\t'
    else if (n === 'n') out += '\n'
    else if (n === 'r') out += '\r'
    else if (n === 'f') out += '\f'
    else out += n
  }
  return out
}

/** Splits one logical line into its (still escaped) key and value, as Properties.load does. */
function splitKeyValue(line: string): [string, string] {
  let keyLen = 0
  let valueStart = line.length
  let hasSep = false
  let precedingBackslash = false
  while (keyLen < line.length) {
    const c = line[keyLen]
    if ((c === '=' || c === ':') && !precedingBackslash) {
      valueStart = keyLen + 1
      hasSep = true
      break
    }
    if (isWhitespace(c) && !precedingBackslash) {
      valueStart = keyLen + 1
      break
    }
    precedingBackslash = c === '\\' ? !precedingBackslash : false
    keyLen++
  }
  while (valueStart < line.length) {
    const c = line[valueStart]
    if (!isWhitespace(c)) {
      if (!hasSep && (c === '=' || c === ':')) hasSep = true
      else break
    }
    valueStart++
  }
  return [line.slice(0, keyLen), line.slice(valueStart)]
}

/** Parses the text of a .properties file. Later keys win. */
export function parseProperties(text: string): Map<string, string> {
  const props = new Map<string, string>()
  for (const line of logicalLines(text)) {
    const [key, value] = splitKeyValue(line)
    props.set(unescape(key), unescape(value))
  }
  return props
}

/** Reads a .properties file as Kafka does (ISO-8859-1). */
export async function loadPropertiesFile(path: string): Promise<Map<string, string>> {
  return parseProperties(await readFile(path, 'latin1'))
}

/** Reads a .properties file as Kafka does (ISO-8859-1), synchronously. */
export function loadPropertiesFileSync(path: string): Map<string, string> {
  return parseProperties(readFileSync(path, 'latin1'))
}

function escape(s: string, isKey: boolean): string {
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string
    const code = c.charCodeAt(0)
    if (c === ' ') out += i === 0 || isKey ? '\\ ' : ' '
    else if (c === '\t') out += '\\t'
    else if (c === '\n') out += '\\n'
    else if (c === '\r') out += '\\r'
    else if (c === '\f') out += '\\f'
    else if (c === '\\' || c === '=' || c === ':' || c === '#' || c === '!') out += `\\${c}`
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`
    else out += c
  }
  return out
}

/**
 * Writes properties the way Properties.store does: `key=value` lines, with spaces in keys, a leading space in a
 * value, separators, comment characters, control and non-ASCII characters escaped. Optional comment lines first.
 */
export function stringifyProperties(
  props: ReadonlyMap<string, string> | Iterable<readonly [string, string]>,
  options: { comments?: readonly string[] } = {},
): string {
  const lines: string[] = []
  for (const comment of options.comments ?? []) {
    for (const l of comment.split(/\r\n|\r|\n/)) lines.push(`#${l}`)
  }
  for (const [k, v] of props) lines.push(`${escape(k, true)}=${escape(v, false)}`)
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`
}

/**
 * Kafka's CommandLineUtils.parseKeyValueArgs for `--override key=value`: split at the first '=', a missing value
 * is the empty string. Later pairs win.
 */
export function parseKeyValueArgs(args: Iterable<string>): Map<string, string> {
  const props = new Map<string, string>()
  for (const arg of args) {
    if (arg === '') continue
    const eq = arg.indexOf('=')
    if (eq < 0) props.set(arg, '')
    else props.set(arg.slice(0, eq), arg.slice(eq + 1))
  }
  return props
}
