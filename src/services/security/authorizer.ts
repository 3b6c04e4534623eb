/**
 * The authorizer: Kafka's AclAuthorizer (ZooKeeper mode; `authorizer.class.name` =
 * kafka.security.authorizer.AclAuthorizer, or StandardAuthorizer's name, which Samsa takes as the same thing).
 *
 * An operation on a resource is allowed for a principal connecting from a host when the principal is a super user
 * (`super.users`); or, when no ACL at all applies to the resource, when `allow.everyone.if.no.acl.found` is true;
 * or when no Deny entry matches and an Allow entry matches. The ACLs that apply to a resource are the literal
 * pattern of its name, the literal wildcard `*` of its type and every prefixed pattern its name starts with. An
 * entry matches when its principal is the requester's or `User:*`, its host the client address or `*`, and its
 * operation the requested one or `All` — an Allow entry for Read, Write, Delete or Alter also grants Describe,
 * and one for AlterConfigs grants DescribeConfigs.
 *
 * ACLs are kept in the metadata store (acl-store.ts) and cached here; every broker learns of changes through the
 * change notifications Kafka writes, so ACLs created on one broker (or with kafka-acls.sh) apply on all of them.
 * Updates go through one queue (like AclAuthorizer's lock) and are conditional on the znode version, retried on
 * a conflicting write.
 *
 * Without an authorizer configured, `DISABLED_AUTHORIZER` allows everything and the ACL APIs answer
 * SECURITY_DISABLED, as Kafka does.
 */
import type { KafkaPrincipal } from '../../network/channel.js'
import { apiErrorOf } from '../../protocol/error-response.js'
import { ErrorCode } from '../../protocol/errors.js'
import type { Logger } from '../../util/logger.js'
import { systemScheduler } from '../../util/scheduler.js'
import { ChangeNotificationListener } from '../metadata/change-notifications.js'
import type { MetadataStore } from '../metadata/store.js'
import type { ResourceType } from './acl.js'
import {
  AclOperation,
  AclPermissionType,
  entryFilterMatches,
  entryKey,
  grantingOperations,
  indefiniteField,
  invalidBindingReason,
  operationName,
  patternFilterMatches,
  patternKey,
  patternString,
  PatternType,
  WILDCARD_HOST,
  WILDCARD_PRINCIPAL,
  WILDCARD_RESOURCE,
  type AccessControlEntry,
  type AclBinding,
  type AclBindingFilter,
  type Resource,
  type ResourcePattern,
} from './acl.js'
import {
  ACL_CHANGE_PREFIX,
  createAclChangeNotification,
  createAclPaths,
  decodeExtendedAclChange,
  decodeLiteralAclChange,
  EXTENDED_ACL_CHANGES_PATH,
  LITERAL_ACL_CHANGES_PATH,
  listAclPatterns,
  readAcls,
  writeAclsConditionally,
  type VersionedAcls,
} from './acl-store.js'

/** How a decision is logged (Kafka's Action.logIfAllowed / logIfDenied and the request it belongs to). */
export interface AuditOptions {
  /** Log an allowed access (at debug); false for probes such as authorized_operations. Default true. */
  readonly logIfAllowed?: boolean
  /** Log a denied access (at info); false when it only filters what is shown. Default true. */
  readonly logIfDenied?: boolean
  /** The request the access is for, in the log line. */
  readonly api?: string
  /** How many times the request names the resource. */
  readonly refCount?: number
}

/** The outcome of one ACL creation or deletion: an error code and message, or none. */
export interface AclResult {
  readonly errorCode: number
  readonly errorMessage: string | null
}

export const ACL_OK: AclResult = { errorCode: ErrorCode.NONE, errorMessage: null }

export interface AclDeleteResult {
  /** The bindings this filter deleted, each with the outcome of its deletion. */
  readonly deleted: readonly { readonly binding: AclBinding; readonly result: AclResult }[]
}

/**
 * What request handlers (and the HTTP console) decide access with. The principal is the connection's
 * authenticated principal; the host the client's IP address.
 */
export interface Authorizer {
  /** An authorizer is configured (`authorizer.class.name`); without one everything is allowed. */
  readonly enabled: boolean
  authorize(
    principal: KafkaPrincipal,
    host: string,
    op: AclOperation,
    resource: Resource,
    audit?: AuditOptions,
  ): boolean
  /** Whether the principal may perform `op` on at least one resource of the type (Authorizer.authorizeByResourceType). */
  authorizeByResourceType(
    principal: KafkaPrincipal,
    host: string,
    op: AclOperation,
    type: ResourceType,
  ): boolean
  /** The stored bindings matching a filter (DescribeAcls). */
  acls(filter: AclBindingFilter): AclBinding[]
  createAcls(bindings: readonly AclBinding[]): Promise<AclResult[]>
  deleteAcls(filters: readonly AclBindingFilter[]): Promise<AclDeleteResult[]>
}

/** No authorizer configured: everything is allowed, nothing is stored. */
export const DISABLED_AUTHORIZER: Authorizer = {
  enabled: false,
  authorize: () => true,
  authorizeByResourceType: () => true,
  acls: () => [],
  createAcls: () => Promise.reject(new Error('No Authorizer is configured.')),
  deleteAcls: () => Promise.reject(new Error('No Authorizer is configured.')),
}

export interface AclAuthorizerOptions {
  /** `super.users`: principals (`User:admin`) allowed everything. */
  readonly superUsers: readonly string[]
  /** `allow.everyone.if.no.acl.found`. */
  readonly allowEveryoneIfNoAclFound: boolean
  readonly log: Logger
  /** Where access decisions are logged (Kafka's `kafka.authorizer.logger`); default `log`. */
  readonly auditLog?: Logger
  /** Attempts at a conditional update of one resource's ACLs before giving up (Kafka: 10 retries). */
  readonly maxUpdateRetries?: number
  /**
   * The back-off between attempts (default: 100-150 ms of real time, as every retry against ZooKeeper; see
   * DEVELOPERS.md, "Time and scheduling").
   */
  readonly retryBackoff?: () => Promise<void>
}

interface CachedAcls {
  readonly pattern: ResourcePattern
  readonly entries: readonly AccessControlEntry[]
  readonly zkVersion: number
}

const principalString = (p: KafkaPrincipal): string => `${p.principalType}:${p.name}`

export class AclAuthorizer implements Authorizer {
  readonly enabled = true
  private readonly superUsers: ReadonlySet<string>
  private readonly allowIfNoAcl: boolean
  /** Patterns with at least one entry, by patternKey. */
  private readonly cache = new Map<string, CachedAcls>()
  private listeners: ChangeNotificationListener[] = []
  /** Updates and notification processing run one at a time, in order. */
  private queue: Promise<unknown> = Promise.resolve()
  private readonly log: Logger
  private readonly audit: Logger
  private readonly maxUpdateRetries: number
  private readonly retryBackoff: () => Promise<void>

  constructor(
    private readonly store: MetadataStore,
    opts: AclAuthorizerOptions,
  ) {
    this.superUsers = new Set(opts.superUsers)
    this.allowIfNoAcl = opts.allowEveryoneIfNoAclFound
    this.log = opts.log
    this.audit = opts.auditLog ?? opts.log
    this.maxUpdateRetries = opts.maxUpdateRetries ?? 10
    this.retryBackoff =
      opts.retryBackoff ?? (() => systemScheduler.sleep(100 + Math.floor(Math.random() * 50)))
  }

  /**
   * Creates Kafka's ACL paths, starts following change notifications and then loads every ACL (in that order, so
   * no change falls between the load and the first notification).
   */
  async start(): Promise<void> {
    await createAclPaths(this.store)
    const reload = (): Promise<void> => this.serially(() => this.loadAll())
    this.listeners = [
      new ChangeNotificationListener({
        store: this.store,
        root: LITERAL_ACL_CHANGES_PATH,
        prefix: ACL_CHANGE_PREFIX,
        handle: (data) => this.processChange(decodeLiteralAclChange(data)),
        onNewSession: reload,
        log: this.log,
      }),
      new ChangeNotificationListener({
        store: this.store,
        root: EXTENDED_ACL_CHANGES_PATH,
        prefix: ACL_CHANGE_PREFIX,
        handle: (data) => this.processChange(decodeExtendedAclChange(data)),
        log: this.log,
      }),
    ]
    for (const l of this.listeners) await l.start()
    await reload()
    this.log.info(
      `[AclAuthorizer] Loaded ${this.cache.size} ACL resource patterns` +
        (this.superUsers.size > 0 ? `; super users: ${[...this.superUsers].join(', ')}` : ''),
    )
  }

  stop(): void {
    for (const l of this.listeners) l.stop()
    this.listeners = []
  }

  // --- decisions ---

  authorize(
    principal: KafkaPrincipal,
    host: string,
    op: AclOperation,
    resource: Resource,
    audit: AuditOptions = {},
  ): boolean {
    const who = principalString(principal)
    const allowed = this.superUsers.has(who) || this.aclsAllow(who, host, op, resource)
    this.logDecision(who, host, op, resource, allowed, audit)
    return allowed
  }

  private aclsAllow(who: string, host: string, op: AclOperation, resource: Resource): boolean {
    const acls = this.matchingAcls(resource.resourceType, resource.name)
    if (acls.length === 0) return this.allowIfNoAcl
    const applies = (e: AccessControlEntry, o: AclOperation, permission: AclPermissionType): boolean =>
      e.permissionType === permission &&
      (e.principal === who || e.principal === WILDCARD_PRINCIPAL) &&
      (e.operation === o || e.operation === AclOperation.ALL) &&
      (e.host === host || e.host === WILDCARD_HOST)
    if (acls.some((e) => applies(e, op, AclPermissionType.DENY))) return false
    return grantingOperations(op).some((o) => acls.some((e) => applies(e, o, AclPermissionType.ALLOW)))
  }

  /** The entries of the literal pattern, the type's wildcard and every prefix of the name. */
  private matchingAcls(type: ResourceType, name: string): AccessControlEntry[] {
    const out: AccessControlEntry[] = []
    const add = (p: ResourcePattern): void => {
      const c = this.cache.get(patternKey(p))
      if (c) out.push(...c.entries)
    }
    add({ resourceType: type, name: WILDCARD_RESOURCE, patternType: PatternType.LITERAL })
    if (name !== WILDCARD_RESOURCE) add({ resourceType: type, name, patternType: PatternType.LITERAL })
    for (let i = 1; i <= name.length; i++)
      add({ resourceType: type, name: name.slice(0, i), patternType: PatternType.PREFIXED })
    return out
  }

  authorizeByResourceType(
    principal: KafkaPrincipal,
    host: string,
    op: AclOperation,
    type: ResourceType,
  ): boolean {
    const who = principalString(principal)
    if (this.superUsers.has(who)) return true
    // The names of the patterns of this type with an entry that applies to us, by permission and pattern type.
    const names = (permission: AclPermissionType, patternType: PatternType): Set<string> => {
      const s = new Set<string>()
      for (const c of this.cache.values()) {
        if (c.pattern.resourceType !== type || c.pattern.patternType !== patternType) continue
        const applies = c.entries.some(
          (e) =>
            e.permissionType === permission &&
            (e.principal === who || e.principal === WILDCARD_PRINCIPAL) &&
            (e.host === host || e.host === WILDCARD_HOST) &&
            (e.operation === op || e.operation === AclOperation.ALL),
        )
        if (applies) s.add(c.pattern.name)
      }
      return s
    }
    const denyLiterals = names(AclPermissionType.DENY, PatternType.LITERAL)
    const decide = (): boolean => {
      if (denyLiterals.has(WILDCARD_RESOURCE)) return false
      if (this.allowIfNoAcl) return true
      const denyPrefixes = names(AclPermissionType.DENY, PatternType.PREFIXED)
      const allowLiterals = names(AclPermissionType.ALLOW, PatternType.LITERAL)
      const allowPrefixes = names(AclPermissionType.ALLOW, PatternType.PREFIXED)
      const deniedByPrefix = (n: string): boolean => [...denyPrefixes].some((d) => n.startsWith(d))
      return (
        [...allowPrefixes].some((p) => !deniedByPrefix(p)) ||
        [...allowLiterals].some(
          (l) => l === WILDCARD_RESOURCE || (!denyLiterals.has(l) && !deniedByPrefix(l)),
        )
      )
    }
    const allowed = decide()
    this.logDecision(who, host, op, { resourceType: type, name: 'NONE' }, allowed, {}, PatternType.UNKNOWN)
    return allowed
  }

  private logDecision(
    who: string,
    host: string,
    op: AclOperation,
    resource: Resource,
    allowed: boolean,
    audit: AuditOptions,
    patternType: PatternType = PatternType.LITERAL,
  ): void {
    const loud = allowed ? (audit.logIfAllowed ?? true) : (audit.logIfDenied ?? true)
    const level = allowed ? (loud ? 'debug' : 'trace') : loud ? 'info' : 'trace'
    if (!this.audit.isLevelEnabled(level)) return
    const pattern = patternString({ ...resource, patternType })
    this.audit[level](
      `Principal = ${who} is ${allowed ? 'Allowed' : 'Denied'} Operation = ${operationName(op)} from host = ` +
        `${host} on resource = ${pattern}` +
        (audit.api ? ` for request = ${audit.api}` : '') +
        ` with resourceRefCount = ${audit.refCount ?? 1}`,
    )
  }

  // --- ACL administration ---

  acls(filter: AclBindingFilter): AclBinding[] {
    const out: AclBinding[] = []
    for (const c of this.cache.values()) {
      if (!patternFilterMatches(filter.patternFilter, c.pattern)) continue
      for (const entry of c.entries) {
        if (entryFilterMatches(filter.entryFilter, entry)) out.push({ pattern: c.pattern, entry })
      }
    }
    return out
  }

  createAcls(bindings: readonly AclBinding[]): Promise<AclResult[]> {
    return this.serially(async () => {
      const results: AclResult[] = bindings.map(() => ACL_OK)
      const byPattern = new Map<string, { pattern: ResourcePattern; items: [number, AclBinding][] }>()
      bindings.forEach((b, i) => {
        const why = invalidBindingReason(b)
        if (why !== null) {
          results[i] = { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: why }
          return
        }
        const k = patternKey(b.pattern)
        const g = byPattern.get(k) ?? { pattern: b.pattern, items: [] }
        g.items.push([i, b])
        byPattern.set(k, g)
      })
      for (const { pattern, items } of byPattern.values()) {
        try {
          await this.updateResourceAcls(pattern, (current) => {
            const next = new Map(current.map((e) => [entryKey(e), e]))
            for (const [, b] of items) next.set(entryKey(b.entry), b.entry)
            return [...next.values()]
          })
        } catch (e) {
          const failed = this.failure(e)
          for (const [i] of items) results[i] = failed
        }
      }
      return results
    })
  }

  deleteAcls(filters: readonly AclBindingFilter[]): Promise<AclDeleteResult[]> {
    return this.serially(async () => {
      const deleted = filters.map(() => [] as { binding: AclBinding; result: AclResult }[])
      // The cached patterns, and the one or two patterns a definite filter names (it may not be cached yet).
      const patterns = new Map<string, ResourcePattern>()
      for (const c of this.cache.values()) patterns.set(patternKey(c.pattern), c.pattern)
      for (const f of filters) {
        const pf = f.patternFilter
        if (indefiniteField(pf) !== null || pf.name === null) continue
        const types =
          pf.patternType === PatternType.ANY ? [PatternType.LITERAL, PatternType.PREFIXED] : [pf.patternType]
        for (const patternType of types) {
          if (patternType !== PatternType.LITERAL && patternType !== PatternType.PREFIXED) continue
          const p = { resourceType: pf.resourceType, name: pf.name, patternType }
          patterns.set(patternKey(p), p)
        }
      }
      for (const pattern of patterns.values()) {
        const matching = filters
          .map((f, i) => [f, i] as const)
          .filter(([f]) => patternFilterMatches(f.patternFilter, pattern))
        if (matching.length === 0) continue
        let removed: [number, AccessControlEntry][] = []
        try {
          await this.updateResourceAcls(pattern, (current) => {
            removed = []
            return current.filter((entry) => {
              const first = matching.find(([f]) => entryFilterMatches(f.entryFilter, entry))
              if (first) removed.push([first[1], entry])
              return first === undefined
            })
          })
          for (const [i, entry] of removed) deleted[i]!.push({ binding: { pattern, entry }, result: ACL_OK })
        } catch (e) {
          const failed = this.failure(e)
          for (const [i, entry] of removed) deleted[i]!.push({ binding: { pattern, entry }, result: failed })
        }
      }
      return deleted.map((d) => ({ deleted: d }))
    })
  }

  private failure(e: unknown): AclResult {
    this.log.warn({ err: e }, `Failed to update ACLs: ${(e as Error).message}`)
    const { code, message } = apiErrorOf(e)
    return { errorCode: code, errorMessage: message }
  }

  /**
   * AclAuthorizer.updateResourceAcls: reads the current ACLs (the cache, or the store), writes `update(current)`
   * conditionally on the version read, and on a conflicting write re-reads and tries again.
   */
  private async updateResourceAcls(
    pattern: ResourcePattern,
    update: (current: readonly AccessControlEntry[]) => AccessControlEntry[],
  ): Promise<void> {
    const cached = this.cache.get(patternKey(pattern))
    let current: VersionedAcls = cached ?? (await this.read(pattern))
    for (let attempt = 0; attempt <= this.maxUpdateRetries; attempt++) {
      const next = update(current.entries)
      const version = await writeAclsConditionally(this.store, pattern, next, current.zkVersion)
      if (version === null) {
        await this.retryBackoff()
        current = await this.read(pattern)
        continue
      }
      const changed = !sameEntries(current.entries, next)
      this.updateCache(pattern, { entries: next, zkVersion: version })
      if (changed) {
        this.log.info(
          `[AclAuthorizer] Updated ACLs for ${patternString(pattern)} with new version ${version}`,
        )
        await createAclChangeNotification(this.store, pattern)
      }
      return
    }
    throw new Error(
      `Failed to update ACLs for ${patternString(pattern)} after trying a maximum of ${this.maxUpdateRetries} times`,
    )
  }

  private read(pattern: ResourcePattern): Promise<VersionedAcls> {
    return readAcls(this.store, pattern, (why) =>
      this.log.warn(`Ignoring an ACL of ${patternString(pattern)}: ${why}`),
    )
  }

  private updateCache(pattern: ResourcePattern, acls: VersionedAcls): void {
    const k = patternKey(pattern)
    if (acls.entries.length === 0) this.cache.delete(k)
    else this.cache.set(k, { pattern, entries: acls.entries, zkVersion: acls.zkVersion })
  }

  private async loadAll(): Promise<void> {
    const patterns = await listAclPatterns(this.store, (t) =>
      this.log.warn(`Ignoring unknown ResourceType: ${t}`),
    )
    const fresh = new Map<string, CachedAcls>()
    for (const pattern of patterns) {
      const acls = await this.read(pattern)
      if (acls.entries.length > 0) fresh.set(patternKey(pattern), { pattern, ...acls })
    }
    this.cache.clear()
    for (const [k, v] of fresh) this.cache.set(k, v)
  }

  private processChange(pattern: ResourcePattern): Promise<void> {
    return this.serially(async () => {
      const acls = await this.read(pattern)
      this.log.info(
        `[AclAuthorizer] Processing Acl change notification for ${patternString(pattern)}, ` +
          `${acls.entries.length} ACLs, zkVersion ${acls.zkVersion}`,
      )
      this.updateCache(pattern, acls)
    })
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work)
    this.queue = run.catch(() => {})
    return run
  }
}

function sameEntries(a: readonly AccessControlEntry[], b: readonly AccessControlEntry[]): boolean {
  if (a.length !== b.length) return false
  const keys = new Set(a.map(entryKey))
  return b.every((e) => keys.has(entryKey(e)))
}
