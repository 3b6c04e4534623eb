/**
 * Client quota configs as a ZooKeeper-mode Kafka broker keeps them: /config/users/<user>,
 * /config/clients/<client-id> and /config/users/<user>/clients/<client-id> (sanitized names, `<default>` for the
 * default entity), each changed with a /config/changes notification (`{"version":2,"entity_path":"users/alice"}`)
 * that every broker follows (Kafka's DynamicConfigManager). The standalone broker keeps the same znodes in its
 * metadata file.
 *
 * DescribeClientQuotas / AlterClientQuotas are served from here (ZkAdminManager's rules and messages).
 * Samsa enforces producer_byte_rate and consumer_byte_rate; request_percentage, controller_mutation_rate and IP
 * quotas are refused by AlterClientQuotas rather than stored and silently not enforced.
 */
import { ErrorCode } from '../../protocol/errors.js'
import type { Logger } from '../../util/logger.js'
import { ChangeNotificationListener } from '../metadata/change-notifications.js'
import {
  decodeConfigChange,
  decodeEntityConfig,
  desanitizeEntityName,
  encodeConfigChange,
  encodeEntityConfig,
  Paths,
  sanitizeEntityName,
} from '../metadata/znodes.js'
import { ensurePath, type MetadataStore } from '../metadata/store.js'
import { DEFAULT_ENTITY, type QuotaConfigSource } from './client-quota-manager.js'

export const USER = 'user'
export const CLIENT_ID = 'client-id'
export const IP = 'ip'

/** The quota keys Kafka accepts for users and client ids, with their types (QuotaConfigs). */
const QUOTA_KEYS = new Map<string, 'LONG' | 'DOUBLE'>([
  ['producer_byte_rate', 'LONG'],
  ['consumer_byte_rate', 'LONG'],
  ['request_percentage', 'DOUBLE'],
  ['controller_mutation_rate', 'DOUBLE'],
])
/** The keys Samsa enforces; the others are refused rather than stored and ignored. */
const ENFORCED = new Set(['producer_byte_rate', 'consumer_byte_rate'])

export class QuotaError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message)
  }
}

export interface EntityPart {
  readonly entityType: string
  /** null: the default entity of the type. */
  readonly entityName: string | null
}

export interface FilterComponent {
  readonly entityType: string
  /** 0 EXACT (`match` names it), 1 DEFAULT, 2 SPECIFIED (any entity of the type). */
  readonly matchType: number
  readonly match: string | null
}

export interface QuotaOp {
  readonly key: string
  readonly value: number
  readonly remove: boolean
}

export interface DescribedEntry {
  readonly entity: EntityPart[]
  readonly values: { key: string; value: number }[]
}

/** Sanitized [user, client-id] of a stored entity; undefined where the entity has no part of that type. */
type EntityKey = readonly [user: string | undefined, client: string | undefined]

const pathOf = ([u, c]: EntityKey): string =>
  u !== undefined ? (c !== undefined ? `users/${u}/clients/${c}` : `users/${u}`) : `clients/${c!}`

function keyOfPath(entityPath: string): EntityKey | undefined {
  const parts = entityPath.split('/')
  if (parts[0] === 'clients' && parts.length === 2) return [undefined, parts[1]]
  if (parts[0] === 'users' && parts.length === 2) return [parts[1], undefined]
  if (parts[0] === 'users' && parts.length === 4 && parts[2] === 'clients') return [parts[1], parts[3]]
  return undefined
}

export class ClientQuotaStore implements QuotaConfigSource {
  /** Entity path (as in a change notification) → config. */
  private readonly configs = new Map<string, ReadonlyMap<string, string>>()
  private listener: ChangeNotificationListener | undefined

  constructor(
    private readonly store: MetadataStore,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await ensurePath(this.store, Paths.configChanges)
    this.listener = new ChangeNotificationListener({
      store: this.store,
      root: Paths.configChanges,
      prefix: Paths.configChangePrefix,
      handle: async (data) => {
        const [type, name] = decodeConfigChange(data)
        const key = keyOfPath(`${type}/${name}`)
        if (key) await this.reload(key)
      },
      onNewSession: () => this.loadAll(),
      log: this.log,
    })
    await this.listener.start()
    await this.loadAll()
  }

  stop(): void {
    this.listener?.stop()
  }

  user(u: string): ReadonlyMap<string, string> | undefined {
    return this.configs.get(`users/${u}`)
  }
  client(c: string): ReadonlyMap<string, string> | undefined {
    return this.configs.get(`clients/${c}`)
  }
  userClient(u: string, c: string): ReadonlyMap<string, string> | undefined {
    return this.configs.get(`users/${u}/clients/${c}`)
  }

  private async loadAll(): Promise<void> {
    const keys: EntityKey[] = []
    for (const c of (await this.store.getChildren(Paths.configEntityType('clients'))) ?? [])
      keys.push([undefined, c])
    for (const u of (await this.store.getChildren(Paths.configEntityType('users'))) ?? []) {
      keys.push([u, undefined])
      const clients = (await this.store.getChildren(`${Paths.configEntity('users', u)}/clients`)) ?? []
      for (const c of clients) keys.push([u, c])
    }
    this.configs.clear()
    for (const k of keys) await this.reload(k)
  }

  private async reload(key: EntityKey): Promise<void> {
    const path = pathOf(key)
    const r = await this.store.getData(`/config/${path}`)
    const all = decodeEntityConfig(r?.data ?? null)
    const quotas = new Map([...all].filter(([k]) => QUOTA_KEYS.has(k)))
    if (quotas.size === 0) {
      this.configs.delete(path)
      return
    }
    const ignored = [...quotas.keys()].filter((k) => !ENFORCED.has(k))
    if (ignored.length > 0) {
      this.log.warn(
        `[ClientQuotaStore] /config/${path} sets ${ignored.join(', ')}, which Samsa does not enforce`,
      )
    }
    this.configs.set(path, quotas)
  }

  /** DescribeClientQuotas (ZkAdminManager.describeClientQuotas); throws QuotaError for an invalid filter. */
  describe(components: readonly FilterComponent[], strict: boolean): DescribedEntry[] {
    const byType = new Map<string, FilterComponent>()
    for (const c of components) {
      if (c.entityType === '') {
        throw new QuotaError(ErrorCode.INVALID_REQUEST, 'Unexpected empty filter component entity type')
      }
      if (c.entityType !== USER && c.entityType !== CLIENT_ID && c.entityType !== IP) {
        throw new QuotaError(
          ErrorCode.UNSUPPORTED_VERSION,
          `Custom entity type '${c.entityType}' not supported`,
        )
      }
      if (byType.has(c.entityType)) {
        throw new QuotaError(
          ErrorCode.INVALID_REQUEST,
          `Duplicate ${c.entityType} filter component entity type`,
        )
      }
      if (c.matchType < 0 || c.matchType > 2) {
        throw new QuotaError(ErrorCode.INVALID_REQUEST, `Unknown match type ${c.matchType}`)
      }
      byType.set(c.entityType, c)
    }
    if (byType.has(IP) && (byType.has(USER) || byType.has(CLIENT_ID))) {
      throw new QuotaError(
        ErrorCode.INVALID_REQUEST,
        'Invalid entity filter component combination, IP filter component should not be used with user or clientId filter component.',
      )
    }
    const matches = (type: string, sanitized: string | undefined): boolean => {
      const c = byType.get(type)
      if (!c) return sanitized === undefined || !strict
      if (sanitized === undefined) return false
      if (c.matchType === 1) return sanitized === DEFAULT_ENTITY
      if (c.matchType === 0) return c.match !== null && sanitized === sanitizeEntityName(c.match)
      return true
    }
    const out: DescribedEntry[] = []
    for (const [path, config] of this.configs) {
      const [u, c] = keyOfPath(path)!
      if (byType.has(IP) || !matches(USER, u) || !matches(CLIENT_ID, c)) continue
      const name = (n: string): string | null => (n === DEFAULT_ENTITY ? null : desanitizeEntityName(n))
      const entity: EntityPart[] = []
      if (u !== undefined) entity.push({ entityType: USER, entityName: name(u) })
      if (c !== undefined) entity.push({ entityType: CLIENT_ID, entityName: name(c) })
      out.push({ entity, values: [...config].map(([key, value]) => ({ key, value: Number(value) })) })
    }
    return out
  }

  /**
   * AlterClientQuotas for one entry (ZkAdminManager.alterClientQuotas): validates, and unless `validateOnly`
   * writes the entity's config with a change notification. Throws QuotaError for an invalid entry.
   */
  async alter(entity: readonly EntityPart[], ops: readonly QuotaOp[], validateOnly: boolean): Promise<void> {
    if (entity.length === 0)
      throw new QuotaError(ErrorCode.INVALID_REQUEST, 'Invalid empty client quota entity')
    let user: string | undefined
    let client: string | undefined
    for (const e of entity) {
      const sanitized = e.entityName === null ? DEFAULT_ENTITY : sanitizeEntityName(e.entityName)
      if (e.entityType === USER && user === undefined) user = sanitized
      else if (e.entityType === CLIENT_ID && client === undefined) client = sanitized
      else if (e.entityType === IP) {
        throw new QuotaError(
          ErrorCode.INVALID_REQUEST,
          'IP quotas (connection_creation_rate) are not supported by Samsa',
        )
      } else if (e.entityType === USER || e.entityType === CLIENT_ID) {
        throw new QuotaError(ErrorCode.INVALID_REQUEST, `Duplicate ${e.entityType} entity type`)
      } else {
        throw new QuotaError(ErrorCode.INVALID_REQUEST, `Unhandled client quota entity type: ${e.entityType}`)
      }
      if (e.entityName === '')
        throw new QuotaError(ErrorCode.INVALID_REQUEST, `Empty ${e.entityType} not supported`)
    }
    const path = pathOf([user, client])
    const znode = `/config/${path}`
    const props = decodeEntityConfig((await this.store.getData(znode))?.data ?? null)
    for (const op of ops) {
      if (op.remove) {
        props.delete(op.key)
        continue
      }
      const type = QUOTA_KEYS.get(op.key)
      if (type === undefined)
        throw new QuotaError(ErrorCode.INVALID_REQUEST, `Invalid configuration key ${op.key}`)
      if (!ENFORCED.has(op.key)) {
        throw new QuotaError(ErrorCode.INVALID_REQUEST, `Samsa does not enforce ${op.key} quotas`)
      }
      if (type === 'LONG') {
        const epsilon = 1e-6
        const n = Math.trunc(op.value + epsilon)
        if (!Number.isFinite(op.value) || Math.abs(n - op.value) > epsilon) {
          throw new QuotaError(ErrorCode.INVALID_REQUEST, `Configuration ${op.key} must be a Long value`)
        }
        props.set(op.key, String(n))
      } else props.set(op.key, String(op.value))
    }
    if (validateOnly) return
    const data = encodeEntityConfig(props)
    if ((await this.store.getData(znode)) === null) {
      await ensurePath(this.store, znode.slice(0, znode.lastIndexOf('/')))
      await this.store.create(znode, data, 'persistent')
    } else await this.store.setData(znode, data)
    await this.store.create(
      `${Paths.configChanges}/${Paths.configChangePrefix}`,
      encodeConfigChange(path),
      'persistent_sequential',
    )
    // This broker sees its own change at once, not only when the notification comes round.
    await this.reload([user, client])
  }
}
