/**
 * DescribeUserScramCredentials / AlterUserScramCredentials (KIP-554) as a ZooKeeper-mode Kafka broker serves them
 * (ZkAdminManager): credentials live in /config/users/<sanitized user> next to the user's quotas, a change is
 * written with a /config/changes notification so every broker (and this one, through its watch) picks it up.
 * Standalone mode stores the same znodes in its metadata file. Validation and messages are Kafka's.
 */
import { apiErrorOf } from '../../protocol/error-response.js'
import { ErrorCode, errorInfo } from '../../protocol/errors.js'
import {
  credentialFromSaltedPassword,
  formatCredential,
  parseCredential,
  SCRAM_MAX_ITERATIONS,
  SCRAM_MECHANISMS,
  scramMechanismByType,
} from '../../protocol/sasl/scram.js'
import type { Logger } from '../../util/logger.js'
import type { KafkaZkClient } from '../metadata/kafka-zk-client.js'
import { Paths, sanitizeEntityName } from '../metadata/znodes.js'

export interface CredentialInfo {
  readonly mechanism: number
  readonly iterations: number
}

export interface DescribeUserResult {
  readonly user: string
  readonly errorCode: number
  readonly errorMessage: string | null
  readonly credentialInfos: readonly CredentialInfo[]
}

export interface DescribeResult {
  readonly errorCode: number
  readonly errorMessage: string | null
  readonly results: readonly DescribeUserResult[]
}

export interface ScramDeletion {
  readonly name: string
  readonly mechanism: number
}

export interface ScramUpsertion extends ScramDeletion {
  readonly iterations: number
  readonly salt: Buffer
  readonly saltedPassword: Buffer
}

export interface AlterUserResult {
  readonly user: string
  readonly errorCode: number
  readonly errorMessage: string | null
}

const USERNAME_MUST_NOT_BE_EMPTY = 'Username must not be empty'
const DESCRIBE_FAILED = 'Error processing describe user SCRAM credential configs request'

export class ScramCredentialAdmin {
  constructor(
    private readonly zk: KafkaZkClient,
    private readonly log: Logger,
  ) {}

  /** null or empty `users`: every user with a SCRAM credential (by znode name, as Kafka reports them). */
  async describe(users: readonly string[] | null): Promise<DescribeResult> {
    const all = users === null || users.length === 0
    const results = new Map<string, DescribeUserResult>()
    const add = (user: string, config: ReadonlyMap<string, string>, explicit: boolean): void => {
      const present = SCRAM_MECHANISMS.filter((m) => config.has(m.name))
      if (present.length === 0) {
        if (explicit)
          results.set(user, {
            user,
            errorCode: ErrorCode.RESOURCE_NOT_FOUND,
            errorMessage: `Attempt to describe a user credential that does not exist: ${user}`,
            credentialInfos: [],
          })
        return
      }
      try {
        const credentialInfos = present.map((m) => ({
          mechanism: m.type,
          iterations: parseCredential(config.get(m.name)!).iterations,
        }))
        results.set(user, { user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos })
      } catch (e) {
        this.log.error({ err: e }, DESCRIBE_FAILED)
        // Kafka answers the code's own message here (`Errors.message()`), never the thrown one.
        const { code } = apiErrorOf(e)
        results.set(user, {
          user,
          errorCode: code,
          errorMessage: errorInfo(code).message,
          credentialInfos: [],
        })
      }
    }
    try {
      if (all) {
        const names = (await this.zk.store.getChildren(Paths.configEntityType('users'))) ?? []
        for (const name of names) add(name, await this.zk.getEntityConfig('users', name), false)
        return {
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          results: [...results.keys()].sort().map((u) => results.get(u)!),
        }
      }
      const requested = users
      const illegal = new Set<string>(requested.filter((u) => u === ''))
      for (const u of illegal)
        results.set(u, {
          user: u,
          errorCode: ErrorCode.RESOURCE_NOT_FOUND,
          errorMessage: USERNAME_MUST_NOT_BE_EMPTY,
          credentialInfos: [],
        })
      const counts = new Map<string, number>()
      for (const u of requested) counts.set(u, (counts.get(u) ?? 0) + 1)
      const duplicated = new Set([...counts].filter(([u, n]) => n > 1 && !illegal.has(u)).map(([u]) => u))
      for (const u of duplicated)
        results.set(u, {
          user: u,
          errorCode: ErrorCode.DUPLICATE_RESOURCE,
          errorMessage: `Cannot describe SCRAM credentials for the same user twice in a single request: ${u}`,
          credentialInfos: [],
        })
      for (const u of new Set(requested)) {
        if (illegal.has(u) || duplicated.has(u)) continue
        add(u, await this.zk.getEntityConfig('users', sanitizeEntityName(u)), true)
      }
      return {
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        results: [...new Set(requested)].map((u) => results.get(u)!),
      }
    } catch (e) {
      this.log.error({ err: e }, DESCRIBE_FAILED)
      // ApiError.messageWithFallback(): the thrown message unless it is an unexpected error, else the code's own.
      const { code, message } = apiErrorOf(e)
      return { errorCode: code, errorMessage: message ?? errorInfo(code).message, results: [] }
    }
  }

  async alter(
    deletions: readonly ScramDeletion[],
    upsertions: readonly ScramUpsertion[],
  ): Promise<AlterUserResult[]> {
    const results: AlterUserResult[] = []
    const fail = (user: string, code: number, message: string): void => {
      results.push({ user, errorCode: code, errorMessage: message })
    }
    // Users refused outright: empty names, unknown mechanisms, unacceptable iteration counts.
    const illegal = new Map<string, string>()
    for (const d of deletions) {
      if (d.name === '') illegal.set(d.name, USERNAME_MUST_NOT_BE_EMPTY)
      else if (!scramMechanismByType(d.mechanism)) illegal.set(d.name, 'Unknown SCRAM mechanism')
    }
    for (const u of upsertions) {
      const m = scramMechanismByType(u.mechanism)
      if (u.name === '') illegal.set(u.name, USERNAME_MUST_NOT_BE_EMPTY)
      else if (!m) illegal.set(u.name, 'Unknown SCRAM mechanism')
      else if (u.iterations < m.minIterations || u.iterations > SCRAM_MAX_ITERATIONS)
        illegal.set(
          u.name,
          u.iterations > SCRAM_MAX_ITERATIONS ? 'Too many iterations' : 'Too few iterations',
        )
    }
    for (const [user, message] of illegal)
      fail(
        user,
        message === 'Unknown SCRAM mechanism'
          ? ErrorCode.UNSUPPORTED_SASL_MECHANISM
          : ErrorCode.UNACCEPTABLE_CREDENTIAL,
        message,
      )

    const pairs = [...deletions, ...upsertions].filter((x) => !illegal.has(x.name))
    const seen = new Set<string>()
    const duplicated = new Set<string>()
    for (const p of pairs) {
      const k = `${p.name}\u0000${p.mechanism}`
      if (seen.has(k)) duplicated.add(p.name)
      seen.add(k)
    }
    for (const user of duplicated)
      fail(
        user,
        ErrorCode.DUPLICATE_RESOURCE,
        'A user credential cannot be altered twice in the same request',
      )

    const users = [...new Set(pairs.map((p) => p.name))].filter((u) => !duplicated.has(u))
    const configs = new Map<string, Map<string, string>>()
    for (const u of users) configs.set(u, await this.zk.getEntityConfig('users', sanitizeEntityName(u)))

    const missing = new Set(
      deletions
        .filter((d) => users.includes(d.name))
        .filter((d) => !configs.get(d.name)!.has(scramMechanismByType(d.mechanism)!.name))
        .map((d) => d.name),
    )
    for (const user of missing)
      fail(user, ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist')

    for (const user of users.filter((u) => !missing.has(u))) {
      const config = configs.get(user)!
      try {
        for (const d of deletions.filter((x) => x.name === user))
          config.delete(scramMechanismByType(d.mechanism)!.name)
        for (const u of upsertions.filter((x) => x.name === user)) {
          const m = scramMechanismByType(u.mechanism)!
          config.set(
            m.name,
            formatCredential(credentialFromSaltedPassword(m, u.salt, u.saltedPassword, u.iterations)),
          )
        }
        await this.zk.setEntityConfig('users', sanitizeEntityName(user), config)
        results.push({ user, errorCode: ErrorCode.NONE, errorMessage: null })
      } catch (e) {
        this.log.info({ err: e }, 'Error encountered while altering user SCRAM credentials')
        fail(user, ErrorCode.UNKNOWN_SERVER_ERROR, errorInfo(ErrorCode.UNKNOWN_SERVER_ERROR).message)
      }
    }
    return results
  }
}
