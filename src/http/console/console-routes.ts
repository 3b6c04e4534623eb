/**
 * The web console's routes on the HTTP listener: the page at `GET /` and its JSON API under `/api/`.
 *
 *   GET    /api/brokers                      brokers, controller, the broker serving the console
 *   GET    /api/topics                       topics with partition, replication, health, size and offset totals
 *   POST   /api/topics                       create {name, partitions, replicationFactor, configs}
 *   GET    /api/topics/:topic                partitions (leader, replicas, ISR, offsets, size) and configs
 *   DELETE /api/topics/:topic                delete
 *   POST   /api/topics/:topic/partitions     add partitions {count}
 *   PUT    /api/topics/:topic/configs        change configs {configs: {name: value | null}} (null: default)
 *   GET    /api/topics/:topic/messages       ?partition=&limit=&offset= | &timestamp= (else the newest)
 *   POST   /api/topics/:topic/messages       produce {partition?, key?, value, headers?} (text)
 *   GET    /api/groups                       groups of every broker
 *   GET    /api/groups/:group                state, members, assignment, lag per partition and in total
 *   POST   /api/groups/:group/offsets        reset {topic, to: 'earliest' | 'latest' | {offset} | {timestamp}}
 *
 * Every action is checked by `access` (the cluster's authorizer) for the HTTP client, which is anonymous: while
 * an authorizer is configured, the console refuses every change (no anonymous writes) and shows what
 * User:ANONYMOUS may describe. Changes must be JSON requests (a cross-site form cannot send one without a CORS
 * preflight, which the listener does not grant).
 */
import { ANONYMOUS } from '../../network/channel.js'
import { AclOperation, ResourceType } from '../../services/security/acl.js'
import type { Authorizer } from '../../services/security/authorizer.js'
import type { HttpRequest, HttpResponse } from '../http-server.js'
import { type ClusterClient, ConsoleError } from './cluster-client.js'
import { CONSOLE_PAGE } from './page.js'

export type ConsoleOperation = 'Describe' | 'Read' | 'Write' | 'Create' | 'Delete' | 'Alter' | 'AlterConfigs'

export interface ConsoleResource {
  readonly type: 'Topic' | 'Group' | 'Cluster'
  readonly name: string
}

/** How the console follows the cluster's security. */
export interface ConsoleAccess {
  /** An authorizer is configured (authorizer.class.name). */
  readonly enabled: boolean
  /** Whether the anonymous HTTP client at `host` may do `op` on `resource`. */
  allowed(host: string, op: ConsoleOperation, resource: ConsoleResource): boolean
}

/** No authorizer: the console is as open as a PLAINTEXT listener. */
export const OPEN_ACCESS: ConsoleAccess = { enabled: false, allowed: () => true }

const CONSOLE_OPS: Record<ConsoleOperation, number> = {
  Describe: AclOperation.DESCRIBE,
  Read: AclOperation.READ,
  Write: AclOperation.WRITE,
  Create: AclOperation.CREATE,
  Delete: AclOperation.DELETE,
  Alter: AclOperation.ALTER,
  AlterConfigs: AclOperation.ALTER_CONFIGS,
}
const CONSOLE_TYPES: Record<ConsoleResource['type'], number> = {
  Topic: ResourceType.TOPIC,
  Group: ResourceType.GROUP,
  Cluster: ResourceType.CLUSTER,
}

/**
 * The console under the broker's authorizer: its HTTP client has no credentials, so it is User:ANONYMOUS at its
 * address, and sees and does only what ACLs grant that principal (changes are refused while ACLs are on).
 */
export function authorizerAccess(authorizer: Authorizer): ConsoleAccess {
  if (!authorizer.enabled) return OPEN_ACCESS
  return {
    enabled: true,
    allowed: (host, op, resource) =>
      authorizer.authorize(ANONYMOUS, host, CONSOLE_OPS[op] as AclOperation, {
        resourceType: CONSOLE_TYPES[resource.type] as ResourceType,
        name: resource.name,
      }),
  }
}

const json = (status: number, value: unknown): HttpResponse => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8' },
  body: JSON.stringify(value),
})

const bad = (message: string): ConsoleError => new ConsoleError(400, message, 'INVALID_REQUEST')

function body(req: HttpRequest): Record<string, unknown> {
  const type = req.headers['content-type'] ?? ''
  if (!type.startsWith('application/json'))
    throw new ConsoleError(415, 'Send the request as application/json')
  try {
    const v: unknown = JSON.parse(req.body || '{}')
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad('The body must be a JSON object')
    return v as Record<string, unknown>
  } catch (e) {
    throw e instanceof ConsoleError ? e : bad(`The body is not JSON: ${(e as Error).message}`)
  }
}

function int(v: unknown, what: string, min = 0): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min)
    throw bad(`${what} must be an integer >= ${min}`)
  return n
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string' || v === '') throw bad(`${what} must be a non-empty string`)
  return v
}

const text = (v: unknown): Buffer | null =>
  v === null || v === undefined ? null : Buffer.from(typeof v === 'string' ? v : JSON.stringify(v), 'utf8')

export interface ConsoleDeps {
  readonly client: ClusterClient
  readonly access: ConsoleAccess
  /** Wall-clock milliseconds (record timestamps). */
  now(): number
}

/** The console's route function for RouteDeps.more: undefined for paths that are not the console's. */
export function consoleRoutes(d: ConsoleDeps): (req: HttpRequest) => Promise<HttpResponse> | undefined {
  return (req) => {
    if (req.path === '/' || req.path === '/index.html') {
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return Promise.resolve(json(405, { error: 'use GET' }))
      return Promise.resolve({
        status: 200,
        headers: {
          'content-type': 'text/html; charset=utf-8',
          'content-security-policy':
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:",
          'x-frame-options': 'DENY',
        },
        body: CONSOLE_PAGE,
      })
    }
    if (!req.path.startsWith('/api/')) return undefined
    return api(d, req).then(
      (v) => json(200, v ?? { ok: true }),
      (e: unknown) => {
        if (e instanceof ConsoleError) return json(e.status, { error: e.message, kafkaError: e.kafkaError })
        throw e
      },
    )
  }
}

async function api(d: ConsoleDeps, req: HttpRequest): Promise<unknown> {
  const parts = req.path
    .slice('/api/'.length)
    .split('/')
    .map((p) => {
      try {
        return decodeURIComponent(p)
      } catch {
        throw bad(`Bad path segment ${p}`)
      }
    })
  const m = req.method
  const host = req.remoteAddress
  /** `change`: the action changes the cluster (a Read of a group that commits offsets is one). */
  const may = (
    op: ConsoleOperation,
    type: ConsoleResource['type'],
    name: string,
    change = op !== 'Describe' && op !== 'Read',
  ): void => {
    if (change && d.access.enabled)
      throw new ConsoleError(
        403,
        'The console has no authenticated user and refuses changes while ACLs are on (authorizer.class.name); ' +
          'use a Kafka client with credentials',
        'CLUSTER_AUTHORIZATION_FAILED',
      )
    if (!d.access.allowed(host, op, { type, name }))
      throw new ConsoleError(
        403,
        `Not authorized to ${op} ${type} ${name}`,
        `${type.toUpperCase()}_AUTHORIZATION_FAILED`,
      )
  }
  const canSee = (type: 'Topic' | 'Group', name: string): boolean =>
    d.access.allowed(host, 'Describe', { type, name })
  const c = d.client

  switch (parts[0]) {
    case 'brokers':
      if (parts.length === 1 && m === 'GET') {
        may('Describe', 'Cluster', 'kafka-cluster')
        return { ...c.brokers(), aclsOn: d.access.enabled }
      }
      break
    case 'topics': {
      if (parts.length === 1) {
        if (m === 'GET')
          return (await c.topics((g) => canSee('Group', g))).filter((t) => canSee('Topic', t.name))
        if (m === 'POST') {
          const b = body(req)
          const name = str(b.name, 'name')
          may('Create', 'Topic', name)
          const configs: Record<string, string> = {}
          if (b.configs !== undefined && b.configs !== null) {
            if (typeof b.configs !== 'object') throw bad('configs must be an object')
            for (const [k, v] of Object.entries(b.configs as Record<string, unknown>)) configs[k] = String(v)
          }
          await c.createTopic(
            name,
            b.partitions === undefined || b.partitions === '' ? -1 : int(b.partitions, 'partitions', 1),
            b.replicationFactor === undefined || b.replicationFactor === ''
              ? -1
              : int(b.replicationFactor, 'replicationFactor', 1),
            configs,
          )
          return { ok: true }
        }
        break
      }
      const topic = parts[1]!
      if (parts.length === 2) {
        if (m === 'GET') {
          may('Describe', 'Topic', topic)
          return c.topic(topic)
        }
        if (m === 'DELETE') {
          may('Delete', 'Topic', topic)
          return c.deleteTopic(topic)
        }
        break
      }
      if (parts.length !== 3) break
      if (parts[2] === 'partitions' && m === 'POST') {
        may('Alter', 'Topic', topic)
        return c.addPartitions(topic, int(body(req).count, 'count', 1))
      }
      if (parts[2] === 'configs' && m === 'PUT') {
        may('AlterConfigs', 'Topic', topic)
        const cfg = body(req).configs
        if (typeof cfg !== 'object' || cfg === null) throw bad('configs must be an object')
        const changes: Record<string, string | null> = {}
        for (const [k, v] of Object.entries(cfg as Record<string, unknown>))
          changes[k] = v === null || v === '' ? null : String(v)
        return c.alterConfigs(topic, changes)
      }
      if (parts[2] === 'messages' && m === 'GET') {
        may('Read', 'Topic', topic)
        const q = req.query
        const limit = Math.min(q.has('limit') ? int(q.get('limit'), 'limit', 1) : 20, 500)
        const partition = q.has('partition') ? int(q.get('partition'), 'partition') : 0
        const from = q.get('offset')
          ? { offset: int(q.get('offset'), 'offset') }
          : q.get('timestamp')
            ? { timestamp: timestampOf(q.get('timestamp')!) }
            : ({ newest: true } as const)
        return c.messages(topic, partition, from, limit)
      }
      if (parts[2] === 'messages' && m === 'POST') {
        may('Write', 'Topic', topic)
        const b = body(req)
        const headers = b.headers ?? {}
        if (typeof headers !== 'object' || headers === null) throw bad('headers must be an object')
        return c.produce(
          topic,
          b.partition === undefined || b.partition === '' || b.partition === null
            ? undefined
            : int(b.partition, 'partition'),
          {
            key: b.key === '' ? null : text(b.key),
            value: text(b.value),
            headers: Object.entries(headers as Record<string, unknown>).map(([key, v]) => ({
              key,
              value: text(v),
            })),
          },
          d.now(),
        )
      }
      break
    }
    case 'groups': {
      if (parts.length === 1 && m === 'GET')
        return (await c.groups()).filter((g) => canSee('Group', g.groupId))
      const group = parts[1]!
      if (parts.length === 2 && m === 'GET') {
        may('Describe', 'Group', group)
        const g = await c.group(group)
        return { ...g, partitions: g.partitions.filter((p) => canSee('Topic', p.topic)) }
      }
      if (parts.length === 3 && parts[2] === 'offsets' && m === 'POST') {
        const b = body(req)
        const topic = str(b.topic, 'topic')
        may('Read', 'Group', group, true)
        may('Read', 'Topic', topic, true)
        const to = b.to
        const target =
          to === 'earliest'
            ? ({ earliest: true } as const)
            : to === 'latest'
              ? ({ latest: true } as const)
              : typeof to === 'object' && to !== null && 'offset' in to
                ? { offset: int((to as { offset: unknown }).offset, 'to.offset') }
                : typeof to === 'object' && to !== null && 'timestamp' in to
                  ? { timestamp: timestampOf((to as { timestamp: unknown }).timestamp) }
                  : undefined
        if (!target) throw bad("to must be 'earliest', 'latest', {offset} or {timestamp}")
        return { offsets: await c.resetOffsets(group, topic, target) }
      }
      break
    }
  }
  throw new ConsoleError(404, `no route for ${m} ${req.path}`)
}

/** Milliseconds since the epoch, or an ISO 8601 date-time. */
function timestampOf(v: unknown): number {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v)
  const t = typeof v === 'string' ? Date.parse(v) : NaN
  if (Number.isNaN(t) || t < 0)
    throw bad('timestamp must be milliseconds since the epoch or an ISO 8601 date-time')
  return t
}
