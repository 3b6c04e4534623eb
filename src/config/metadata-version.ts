/**
 * Kafka's MetadataVersion list (inter.broker.protocol.version, log.message.format.version), as of 3.9: the
 * versions, the short forms that pick a release's latest IV, and the record format each supports.
 */
import { ConfigException, type Validator } from './config-def.js'

const VERSIONS: readonly string[] = [
  '0.8.0',
  '0.8.1',
  '0.8.2',
  '0.9.0',
  '0.10.0-IV0',
  '0.10.0-IV1',
  '0.10.1-IV0',
  '0.10.1-IV1',
  '0.10.1-IV2',
  '0.10.2-IV0',
  '0.11.0-IV0',
  '0.11.0-IV1',
  '0.11.0-IV2',
  '1.0-IV0',
  '1.1-IV0',
  '2.0-IV0',
  '2.0-IV1',
  '2.1-IV0',
  '2.1-IV1',
  '2.1-IV2',
  '2.2-IV0',
  '2.2-IV1',
  '2.3-IV0',
  '2.3-IV1',
  '2.4-IV0',
  '2.4-IV1',
  '2.5-IV0',
  '2.6-IV0',
  '2.7-IV0',
  '2.7-IV1',
  '2.7-IV2',
  '2.8-IV0',
  '2.8-IV1',
  '3.0-IV0',
  '3.0-IV1',
  '3.1-IV0',
  '3.2-IV0',
  '3.3-IV0',
  '3.3-IV1',
  '3.3-IV2',
  '3.3-IV3',
  '3.4-IV0',
  '3.5-IV0',
  '3.5-IV1',
  '3.5-IV2',
  '3.6-IV0',
  '3.6-IV1',
  '3.6-IV2',
  '3.7-IV0',
  '3.7-IV1',
  '3.7-IV2',
  '3.7-IV3',
  '3.7-IV4',
  '3.8-IV0',
  '3.9-IV0',
]

/** The default inter.broker.protocol.version of Kafka 3.9 (MetadataVersion.latestProduction). */
export const LATEST_PRODUCTION_VERSION = '3.9-IV0'
/** The default log.message.format.version (IBP_3_0_IV1), also the one used whenever the IBP is 3.0 or later. */
export const DEFAULT_MESSAGE_FORMAT_VERSION = '3.0-IV1'

const BY_KEY = new Map<string, number>()
VERSIONS.forEach((v, i) => {
  BY_KEY.set(v, i)
  // The short form ("2.8", "0.10.1") names the latest IV of that release.
  const dash = v.indexOf('-')
  if (dash > 0) BY_KEY.set(v.slice(0, dash), i)
})

/**
 * MetadataVersion.fromVersionString: "3.9", "3.9-IV0" or a longer release number ("2.8.1", "0.10.0.1") whose
 * extra segments are ignored. Returns the full version ("3.9-IV0"); throws for anything unknown.
 */
export function parseMetadataVersion(versionString: string): string {
  const segments = versionString.split('.')
  const numSegments = versionString.startsWith('0.') ? 3 : 2
  const key = numSegments >= segments.length ? versionString : segments.slice(0, numSegments).join('.')
  const index = BY_KEY.get(key)
  if (index === undefined) throw new Error(`Version ${versionString} is not a valid version`)
  return VERSIONS[index] as string
}

/** Orders two version strings (each in any accepted form). */
export function compareMetadataVersions(a: string, b: string): number {
  return VERSIONS.indexOf(parseMetadataVersion(a)) - VERSIONS.indexOf(parseMetadataVersion(b))
}

/** The highest record batch format (0, 1 or 2) a version supports. */
export function recordVersionOf(version: string): 0 | 1 | 2 {
  if (compareMetadataVersions(version, '0.10.0-IV0') < 0) return 0
  if (compareMetadataVersions(version, '0.11.0-IV0') < 0) return 1
  return 2
}

/** Kafka's MetadataVersionValidator. */
export const metadataVersionValidator: Validator = {
  description: `[${[...new Set(VERSIONS.map((v) => v.split('-')[0]))].join(', ')}]`,
  ensureValid(name, value) {
    try {
      parseMetadataVersion(String(value))
    } catch (e) {
      throw ConfigException.invalid(name, value, (e as Error).message)
    }
  },
}
