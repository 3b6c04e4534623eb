/**
 * `meta.properties` of a log directory (Java properties). A ZooKeeper-mode broker writes version=0, broker.id
 * and cluster.id; KRaft writes version=1, node.id, cluster.id, directory.id.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseProperties, stringifyProperties } from '../../config/properties.js'
import { atomicWriteFileSync, isErrno, META_PROPERTIES_FILE } from './file-utils.js'

export type MetaProperties = Record<string, string>

export function metaPropertiesPath(dir: string): string {
  return join(dir, META_PROPERTIES_FILE)
}

/** The meta.properties of `dir`, or undefined when it has none. */
export function readMetaProperties(dir: string): MetaProperties | undefined {
  try {
    return Object.fromEntries(parseProperties(readFileSync(metaPropertiesPath(dir), 'latin1')))
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return undefined
    throw e
  }
}

/** Writes meta.properties atomically (temp file, fsync, rename), as java.util.Properties.store formats it. */
export function writeMetaProperties(dir: string, props: MetaProperties, now = new Date()): void {
  atomicWriteFileSync(
    metaPropertiesPath(dir),
    stringifyProperties(Object.entries(props), { comments: ['', now.toString()] }),
  )
}
