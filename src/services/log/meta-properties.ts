/**
 * `meta.properties` of a log directory (Java properties: `key=value` lines, `#` comments). A ZooKeeper-mode
 * broker writes version=0, broker.id and cluster.id; KRaft writes version=1, node.id, cluster.id, directory.id.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { atomicWriteFileSync, isErrno, META_PROPERTIES_FILE } from './file-utils.js'

export type MetaProperties = Record<string, string>

export function metaPropertiesPath(dir: string): string {
  return join(dir, META_PROPERTIES_FILE)
}

/** Parses Java properties text (the subset Kafka writes: `key=value`, `key: value`, comments, escapes). */
export function parseProperties(text: string): MetaProperties {
  const out: MetaProperties = {}
  const rawLines = text.split(/\r?\n/)
  for (let i = 0; i < rawLines.length; i++) {
    let line = rawLines[i]!.replace(/^\s+/, '')
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < rawLines.length) {
      line = line.slice(0, -1) + rawLines[++i]!.replace(/^\s+/, '')
    }
    const m = /^((?:\\.|[^=:\s\\])*)\s*[=:\s]\s*(.*)$/.exec(line)
    const key = unescape(m ? m[1]! : line)
    const value = unescape(m ? m[2]! : '')
    out[key] = value
  }
  return out
}

function unescape(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, c: string) => {
    if (c.length === 5) return String.fromCharCode(parseInt(c.slice(1), 16))
    return c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c === 'f' ? '\f' : c
  })
}

function escape(s: string, isKey: boolean): string {
  let out = s
    .replace(/[\\=:#!]/g, (c) => `\\${c}`)
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t')
  if (isKey) out = out.replace(/ /g, '\\ ')
  else out = out.replace(/^ /, '\\ ')
  return out
}

/** Properties text the way java.util.Properties.store writes it (header comment, then key=value lines). */
export function formatProperties(props: MetaProperties, now = new Date()): string {
  const lines = ['#', `#${now.toString()}`]
  for (const [k, v] of Object.entries(props)) lines.push(`${escape(k, true)}=${escape(v, false)}`)
  return lines.join('\n') + '\n'
}

/** The meta.properties of `dir`, or undefined when it has none. */
export function readMetaProperties(dir: string): MetaProperties | undefined {
  try {
    return parseProperties(readFileSync(metaPropertiesPath(dir), 'utf8'))
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return undefined
    throw e
  }
}

/** Writes meta.properties atomically (temp file, fsync, rename). */
export function writeMetaProperties(dir: string, props: MetaProperties): void {
  atomicWriteFileSync(metaPropertiesPath(dir), formatProperties(props))
}
