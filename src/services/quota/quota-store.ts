/**
 * Client quota configs as a ZooKeeper-mode Kafka broker keeps them: /config/users/<user>,
 * /config/clients/<client-id> and /config/users/<user>/clients/<client-id> (sanitized names, `<default>` for the
 * default entity), each changed with a /config/changes notification (`{"version":2,"entity_path":"users/alice"}`)
 * that every broker follows (Kafka's DynamicConfigManager). The standalone broker keeps the same znodes in its
 * metadata file.
 *
 * IP quotas (`connection_creation_rate`, KIP-612) live in /config/ips/<ip> (and /config/ips/<default>); the
 * socket server's connection quotas read them (ipConnectionRate).
 *
 * DescribeClientQuotas / AlterClientQuotas are served from here (ZkAdminManager's rules and messages).
 * Every key is enforced: producer_byte_rate, consumer_byte_rate, request_percentage (ClientQuotaManager) and
 * controller_mutation_rate (ControllerMutationQuotaManager).
 */
import dns from 'node:dns'
import net from 'node:net'
import { normalizeIp } from '../../network/connection-quotas.js'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
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
/** The keys of an IP entity (DynamicConfig.Ip). */
const IP_QUOTA_KEYS = new Map<string, 'INT'>([['connection_creation_rate', 'INT']])
const INT_MAX = 2147483647

/** A request the quota rules refuse, with Kafka's error code (a KafkaError, so the dispatcher can answer it). */
export class QuotaError extends KafkaError {
  constructor(code: number, message: string) {
    super(code, message)
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

/**
 * Sanitized [user, client-id] of a stored entity, undefined where the entity has no part of that type; or the IP
 * (as stored, `<default>` for the default) of an IP entity.
 */
type EntityKey = readonly [user: string | undefined, client: string | undefined, ip?: string]

const pathOf = ([u, c, ip]: EntityKey): string =>
  ip !== undefined
    ? `ips/${ip}`
    : u !== undefined
      ? c !== undefined
        ? `users/${u}/clients/${c}`
        : `users/${u}`
      : `clients/${c!}`

function keyOfPath(entityPath: string): EntityKey | undefined {
  const parts = entityPath.split('/')
  if (parts[0] === 'clients' && parts.length === 2) return [undefined, parts[1]]
  if (parts[0] === 'users' && parts.length === 2) return [parts[1], undefined]
  if (parts[0] === 'users' && parts.length === 4 && parts[2] === 'clients') return [parts[1], parts[3]]
  if (parts[0] === 'ips' && parts.length === 2) return [undefined, undefined, parts[1]]
  return undefined
}

/** The address of an IP entity name (Kafka: InetAddress.getByName), undefined when it does not resolve. */
async function resolveIpEntity(name: string): Promise<string | undefined> {
  if (net.isIP(name) !== 0) return normalizeIp(name)
  try {
    return normalizeIp((await dns.promises.lookup(name)).address)
  } catch {
    return undefined
  }
}

export class ClientQuotaStore implements QuotaConfigSource {
  /** Entity path (as in a change notification) → config. */
  private readonly configs = new Map<string, ReadonlyMap<string, string>>()
  /** connection_creation_rate by resolved IP address (`<default>` for the default entity). */
  private readonly ipRates = new Map<string, number>()
  /** The address each IP entity resolved to. */
  private readonly ipEntityAddress = new Map<string, string>()
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
    return this.configs.size === 0 ? undefined : this.configs.get(`users/${u}`)
  }
  client(c: string): ReadonlyMap<string, string> | undefined {
    return this.configs.size === 0 ? undefined : this.configs.get(`clients/${c}`)
  }
  userClient(u: string, c: string): ReadonlyMap<string, string> | undefined {
    // no key built when nothing is configured (every request asks)
    return this.configs.size === 0 ? undefined : this.configs.get(`users/${u}/clients/${c}`)
  }

  /** connection_creation_rate of an IP address (its entity, else <default>; INT_MAX, unlimited, when neither). */
  ipConnectionRate(ip: string): number {
    return this.ipRates.get(normalizeIp(ip)) ?? this.ipRates.get(DEFAULT_ENTITY) ?? INT_MAX
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
    for (const ip of (await this.store.getChildren(Paths.configEntityType('ips'))) ?? [])
      keys.push([undefined, undefined, ip])
    this.configs.clear()
    this.ipRates.clear()
    this.ipEntityAddress.clear()
    for (const k of keys) await this.reload(k)
  }

  private async reload(key: EntityKey): Promise<void> {
    const path = pathOf(key)
    const r = await this.store.getData(`/config/${path}`)
    const all = decodeEntityConfig(r?.data ?? null)
    const ip = key[2]
    if (ip !== undefined) {
      const old = this.ipEntityAddress.get(ip)
      if (old !== undefined) this.ipRates.delete(old)
      this.ipEntityAddress.delete(ip)
      const quotas = new Map([...all].filter(([k]) => IP_QUOTA_KEYS.has(k)))
      if (quotas.size === 0) {
        this.configs.delete(path)
        return
      }
      this.configs.set(path, quotas)
      const address = ip === DEFAULT_ENTITY ? DEFAULT_ENTITY : await resolveIpEntity(ip)
      const rate = Number(quotas.get('connection_creation_rate'))
      if (address === undefined) {
        this.log.warn(`[ClientQuotaStore] /config/${path}: ${ip} does not resolve; its quota is not applied`)
      } else if (Number.isFinite(rate)) {
        this.ipRates.set(address, rate)
        this.ipEntityAddress.set(ip, address)
      }
      return
    }
    const quotas = new Map([...all].filter(([k]) => QUOTA_KEYS.has(k)))
    if (quotas.size === 0) {
      this.configs.delete(path)
      return
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
      const [u, c, ip] = keyOfPath(path)!
      if (!matches(USER, u) || !matches(CLIENT_ID, c) || !matches(IP, ip)) continue
      const name = (n: string): string | null => (n === DEFAULT_ENTITY ? null : desanitizeEntityName(n))
      const entity: EntityPart[] = []
      if (u !== undefined) entity.push({ entityType: USER, entityName: name(u) })
      if (c !== undefined) entity.push({ entityType: CLIENT_ID, entityName: name(c) })
      if (ip !== undefined) entity.push({ entityType: IP, entityName: ip === DEFAULT_ENTITY ? null : ip })
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
    let ip: string | undefined
    for (const e of entity) {
      const sanitized = e.entityName === null ? DEFAULT_ENTITY : sanitizeEntityName(e.entityName)
      if (e.entityType === USER && user === undefined) user = sanitized
      else if (e.entityType === CLIENT_ID && client === undefined) client = sanitized
      else if (e.entityType === IP && ip === undefined) ip = e.entityName ?? DEFAULT_ENTITY
      else if (e.entityType === USER || e.entityType === CLIENT_ID || e.entityType === IP) {
        throw new QuotaError(ErrorCode.INVALID_REQUEST, `Duplicate ${e.entityType} entity type`)
      } else {
        throw new QuotaError(ErrorCode.INVALID_REQUEST, `Unhandled client quota entity type: ${e.entityType}`)
      }
      if (e.entityName === '')
        throw new QuotaError(ErrorCode.INVALID_REQUEST, `Empty ${e.entityType} not supported`)
    }
    if (ip !== undefined && (user !== undefined || client !== undefined))
      throw new QuotaError(
        ErrorCode.INVALID_REQUEST,
        'Invalid quota entity combination, IP entity should not be combined with User or ClientId entity.',
      )
    if (ip !== undefined && ip !== DEFAULT_ENTITY && (await resolveIpEntity(ip)) === undefined)
      throw new QuotaError(ErrorCode.INVALID_REQUEST, `${ip} is not a valid IP or resolvable host.`)
    const key: EntityKey = ip !== undefined ? [undefined, undefined, ip] : [user, client]
    const path = pathOf(key)
    const znode = `/config/${path}`
    const props = decodeEntityConfig((await this.store.getData(znode))?.data ?? null)
    for (const op of ops) {
      if (op.remove) {
        props.delete(op.key)
        continue
      }
      if (ip !== undefined) {
        if (!IP_QUOTA_KEYS.has(op.key))
          throw new QuotaError(ErrorCode.INVALID_REQUEST, `Invalid configuration key ${op.key}`)
        const n = Math.trunc(op.value + 1e-6)
        if (!Number.isFinite(op.value) || Math.abs(n - op.value) > 1e-6 || n > INT_MAX)
          throw new QuotaError(ErrorCode.INVALID_REQUEST, `Configuration ${op.key} must be a Int value`)
        if (n < 0)
          throw new QuotaError(
            ErrorCode.INVALID_REQUEST,
            `Invalid value ${n} for configuration ${op.key}: Value must be at least 0`,
          )
        props.set(op.key, String(n))
        continue
      }
      const type = QUOTA_KEYS.get(op.key)
      if (type === undefined)
        throw new QuotaError(ErrorCode.INVALID_REQUEST, `Invalid configuration key ${op.key}`)
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
    await this.reload(key)
  }
}
