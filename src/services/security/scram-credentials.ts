/**
 * The SCRAM credentials the broker authenticates against: Kafka's /config/users/<sanitized user> znodes
 * (`{"SCRAM-SHA-256":"salt=…,stored_key=…,server_key=…,iterations=4096", …}`), kept current by the metadata
 * cache's watches — a user added while the broker runs can log in at once, one removed is locked out at once.
 * Standalone mode reads the same layout from its metadata file.
 */
import { parseCredential, type ScramCredential } from '../../protocol/sasl/scram.js'
import { sanitizeEntityName } from '../metadata/znodes.js'
import type { Logger } from '../../util/logger.js'

/** Where user configs come from (the metadata cache). */
export interface UserConfigSource {
  readonly userConfigs: ReadonlyMap<string, ReadonlyMap<string, string>>
  on(event: 'userConfig', listener: () => void): unknown
}

export class ScramCredentialStore {
  private cache: UserConfigSource | undefined
  private readonly parsed = new Map<string, ScramCredential | null>()

  constructor(private readonly log: Logger) {}

  /** Starts reading credentials from the metadata cache (before that, nobody can log in with SCRAM). */
  attach(cache: UserConfigSource): void {
    this.cache = cache
    cache.on('userConfig', () => this.parsed.clear())
  }

  lookup(username: string, mechanism: string): ScramCredential | undefined {
    const value = this.cache?.userConfigs.get(sanitizeEntityName(username))?.get(mechanism)
    if (value === undefined) return undefined
    let c = this.parsed.get(value)
    if (c === undefined) {
      try {
        c = parseCredential(value)
      } catch (e) {
        this.log.warn(`Invalid ${mechanism} credential of user ${username} ignored: ${(e as Error).message}`)
        c = null
      }
      this.parsed.set(value, c)
    }
    return c ?? undefined
  }
}
