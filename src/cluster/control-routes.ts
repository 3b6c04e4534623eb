/**
 * The HTTP control API of an in-process cluster (`bin/samsa-cluster`, README "Driving a cluster over HTTP"): the
 * fault and time controls and the observation helpers of `Cluster`, as JSON over the HTTP listener of src/http/,
 * for test suites that are not written in JavaScript.
 *
 * Every body is a JSON object (empty for none); every answer is JSON. A request the API cannot take answers 400
 * (a malformed body, an unknown broker or API name), one the cluster's state refuses answers 409 (pausing a killed
 * broker), a wait that times out answers 504; each with `{ "error": "..." }`.
 */
import type { HttpHandler, HttpRequest, HttpResponse } from '../http/http-server.js'
import type { Cluster, ClusterBroker } from './cluster.js'
import type { FaultMode, NodeId } from './network.js'
import type { ClusterRecord } from './observe.js'

/** The longest a `/wait/...` request may wait (ms). */
export const MAX_WAIT_MS = 300_000

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

const json = (status: number, value: unknown): HttpResponse => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8' },
  body: JSON.stringify(value),
})

type Body = Readonly<Record<string, unknown>>

function parseBody(req: HttpRequest): Body {
  if (req.body.trim() === '') return {}
  let v: unknown
  try {
    v = JSON.parse(req.body)
  } catch (e) {
    throw new HttpError(400, `the body is not JSON: ${(e as Error).message}`)
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new HttpError(400, 'the body must be a JSON object')
  return v as Body
}

const bad = (msg: string): HttpError => new HttpError(400, msg)

function num(b: Body, k: string): number | undefined {
  const v = b[k]
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw bad(`${k} must be a number ≥ 0`)
  return v
}

function int(b: Body, k: string): number | undefined {
  const v = num(b, k)
  if (v !== undefined && !Number.isInteger(v)) throw bad(`${k} must be an integer`)
  return v
}

function str(b: Body, k: string): string | undefined {
  const v = b[k]
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string' || v === '') throw bad(`${k} must be a non-empty string`)
  return v
}

function need<T>(v: T | undefined, k: string): T {
  if (v === undefined) throw bad(`${k} is required`)
  return v
}

function bool(b: Body, k: string): boolean | undefined {
  const v = b[k]
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'boolean') throw bad(`${k} must be true or false`)
  return v
}

function list<T>(b: Body, k: string, item: (v: unknown) => T): T[] | undefined {
  const v = b[k]
  if (v === undefined || v === null) return undefined
  if (!Array.isArray(v)) throw bad(`${k} must be an array`)
  return v.map(item)
}

const FAULT_MODES: readonly FaultMode[] = ['hold', 'drop', 'refuse']

function mode(b: Body): FaultMode | undefined {
  const m = str(b, 'mode')
  if (m !== undefined && !(FAULT_MODES as readonly string[]).includes(m))
    throw bad(`mode must be one of ${FAULT_MODES.join(', ')}`)
  return m as FaultMode | undefined
}

function nodeId(v: unknown): NodeId {
  if (v === 'clients' || v === 'zookeeper') return v
  if (typeof v === 'number' && Number.isInteger(v)) return v
  throw bad(`a node is a broker id, "clients" or "zookeeper" (got ${JSON.stringify(v)})`)
}

function stringItem(v: unknown): string {
  if (typeof v !== 'string') throw bad(`expected a string, got ${JSON.stringify(v)}`)
  return v
}

function intItem(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw bad(`expected an integer, got ${JSON.stringify(v)}`)
  return v
}

const NUMERIC_QUERY = new Set(['broker', 'from', 'partition', 'timeoutMs'])

/** Query parameters as a body (the numeric ones as numbers). */
function queryBody(q: URLSearchParams): Body {
  const out: Record<string, unknown> = {}
  for (const [k, v] of q) out[k] = NUMERIC_QUERY.has(k) && /^\d+$/.test(v) ? Number(v) : v
  return out
}

function bytes(b: Buffer | null): { text: string; base64: string } | null {
  return b === null ? null : { text: b.toString('utf8'), base64: b.toString('base64') }
}

function recordJson(r: ClusterRecord): unknown {
  return {
    offset: r.offset,
    timestamp: r.timestamp,
    key: bytes(r.key),
    value: bytes(r.value),
    headers: r.headers.map((h) => ({ key: h.key, value: bytes(h.value) })),
    transactional: r.transactional,
    control: r.control,
  }
}

export function brokerJson(b: ClusterBroker): unknown {
  return { id: b.id, state: b.state, bootstrap: b.bootstrap, logDir: b.logDir }
}

export interface ControlOptions {
  /** Asked to stop the cluster (POST /cluster/stop): the command line stops it and exits. */
  readonly onStop?: () => void
}

/** The control API's routes for `cluster` (see the file comment and README). */
export function controlRoutes(cluster: Cluster, opts: ControlOptions = {}): HttpHandler {
  const latency = new Map<number, () => void>()
  let nextLatencyId = 1

  const brokerOf = (idText: string): ClusterBroker => {
    const id = Number(idText)
    if (!Number.isInteger(id)) throw bad(`not a broker id: ${idText}`)
    try {
      return cluster.broker(id)
    } catch (e) {
      throw new HttpError(404, (e as Error).message)
    }
  }

  /** Runs a cluster call, mapping its refusals (a broker not running, an unknown API) to HTTP statuses. */
  const call = async <T>(status: number, f: () => T | Promise<T>): Promise<T> => {
    try {
      return await f()
    } catch (e) {
      if (e instanceof HttpError) throw e
      const msg = (e as Error).message
      throw new HttpError(/^timed out after/.test(msg) ? 504 : status, msg)
    }
  }

  const waitOpts = (b: Body): { timeoutMs: number } => {
    const t = num(b, 'timeoutMs') ?? 30_000
    if (t > MAX_WAIT_MS) throw bad(`timeoutMs may be at most ${MAX_WAIT_MS}`)
    return { timeoutMs: t }
  }

  const info = (): unknown => ({
    bootstrapServers: cluster.bootstrap,
    brokers: cluster.brokers.map(brokerJson),
    controller: cluster.controller,
    manualTime: cluster.manualTime,
    now: cluster.scheduler.clock.now(),
  })

  const brokerAction = async (b: ClusterBroker, action: string, body: Body): Promise<unknown> => {
    switch (action) {
      case 'kill':
        await b.kill()
        break
      case 'stop':
        await call(409, () => b.stop({ controlled: bool(body, 'controlled') }))
        break
      case 'start':
        await call(409, () => b.start())
        break
      case 'restart':
        await call(409, () => b.restart({ kill: bool(body, 'kill') }))
        break
      case 'pause':
        await call(409, () => b.pause(num(body, 'ms')))
        break
      case 'resume':
        await b.resume()
        break
      case 'fail-disk': {
        const dirs = list(body, 'dirs', stringItem)
        const error = str(body, 'error') ?? 'EIO'
        if (error !== 'EIO' && error !== 'ENOSPC') throw bad('error must be EIO or ENOSPC')
        await call(409, () => b.failDisk(dirs, { error }))
        break
      }
      case 'heal-disk':
        await call(409, () => b.healDisk())
        break
      default:
        throw new HttpError(404, `no broker action ${action}`)
    }
    return brokerJson(b)
  }

  const waitFor = async (what: string, body: Body): Promise<unknown> => {
    const w = waitOpts(body)
    switch (what) {
      case 'leader': {
        const notIn = list(body, 'notIn', intItem)
        const topic = need(str(body, 'topic'), 'topic')
        const leader = await call(409, () =>
          cluster.waitForLeader(topic, int(body, 'partition') ?? 0, { ...w, notIn }),
        )
        return { leader }
      }
      case 'isr': {
        const topic = need(str(body, 'topic'), 'topic')
        const size = need(int(body, 'size'), 'size')
        const isr = await call(409, () => cluster.waitForIsr(topic, int(body, 'partition') ?? 0, size, w))
        return { isr }
      }
      case 'group': {
        const group = need(str(body, 'group'), 'group')
        const g = await call(409, () =>
          cluster.waitForGroup(group, { ...w, state: str(body, 'state'), members: int(body, 'members') }),
        )
        return g
      }
      case 'lag': {
        const group = need(str(body, 'group'), 'group')
        const topics = list(body, 'topics', stringItem)
        await call(409, () => cluster.waitForLag(group, { ...w, topics, lag: int(body, 'lag') }))
        return { lag: Object.fromEntries(cluster.lag(group, topics) ?? []) }
      }
      default:
        throw new HttpError(404, `no wait condition ${what} (leader, isr, group, lag)`)
    }
  }

  const route = async (req: HttpRequest): Promise<unknown> => {
    const parts = req.path
      .split('/')
      .filter((p) => p !== '')
      .map(decodeURIComponent)
    const m = req.method
    const body = m === 'POST' ? parseBody(req) : queryBody(req.query)
    const [a, b, c, d, e] = parts
    const only = (method: string): void => {
      if (m !== method) throw new HttpError(405, `use ${method} for ${req.path}`)
    }
    switch (a) {
      case 'cluster':
        if (b === undefined) return (only('GET'), info())
        if (b === 'stop' && parts.length === 2) {
          only('POST')
          if (!opts.onStop) throw new HttpError(409, 'this cluster is not stopped over HTTP')
          setImmediate(opts.onStop)
          return { stopping: true }
        }
        break
      case 'brokers':
        if (b === undefined) return (only('GET'), cluster.brokers.map(brokerJson))
        if (c === undefined) return (only('GET'), brokerJson(brokerOf(b)))
        if (parts.length === 3) return (only('POST'), brokerAction(brokerOf(b), c, body))
        break
      case 'network':
        if (parts.length === 1) return (only('GET'), { links: cluster.network.list() })
        if (parts.length !== 2) break
        only('POST')
        if (b === 'partition') {
          const groups = need(
            list(body, 'groups', (g) => list({ g }, 'g', nodeId)!),
            'groups',
          )
          await call(400, () => cluster.partitionNetwork(groups, { mode: mode(body) }))
        } else if (b === 'link') {
          const from = nodeId(body.from)
          const to = nodeId(body.to)
          const fault = { mode: mode(body), delayMs: num(body, 'delayMs'), oneWay: bool(body, 'oneWay') }
          await call(400, () => cluster.setLink(from, to, fault))
        } else if (b === 'heal') {
          await cluster.heal()
        } else break
        return { links: cluster.network.list() }
      case 'latency':
        if (b === undefined && m === 'POST') {
          const rule = {
            ms: need(num(body, 'ms'), 'ms'),
            apis: list(body, 'apis', stringItem),
            brokers: list(body, 'brokers', intItem),
          }
          const remove = await call(400, () => cluster.injectLatency(rule))
          const id = nextLatencyId++
          latency.set(id, remove)
          return { id, ...rule }
        }
        if (b === undefined && m === 'DELETE') {
          cluster.clearLatency()
          latency.clear()
          return {}
        }
        if (b !== undefined && parts.length === 2) {
          only('DELETE')
          const remove = latency.get(Number(b))
          if (!remove) throw new HttpError(404, `no latency rule ${b}`)
          remove()
          latency.delete(Number(b))
          return {}
        }
        break
      case 'time':
        if (b === undefined)
          return (only('GET'), { now: cluster.scheduler.clock.now(), manual: cluster.manualTime })
        if (b === 'advance' && parts.length === 2) {
          only('POST')
          const ms = need(num(body, 'ms'), 'ms')
          await call(409, () => cluster.advanceTime(ms))
          return { now: cluster.scheduler.clock.now() }
        }
        break
      case 'topics':
        if (b === undefined) {
          only('POST')
          const name = need(str(body, 'name'), 'name')
          const config = body.config
          if (
            config !== undefined &&
            (typeof config !== 'object' || config === null || Array.isArray(config))
          )
            throw bad('config must be an object of topic configs')
          const configs: Record<string, string> = {}
          for (const [k, v] of Object.entries((config ?? {}) as Body)) configs[k] = String(v)
          await call(409, () =>
            cluster.createTopic(name, {
              partitions: int(body, 'partitions'),
              replicationFactor: int(body, 'replicationFactor'),
              config: configs,
              ...waitOpts(body),
            }),
          )
          return { name }
        }
        if (c === 'partitions' && d !== undefined) {
          only('GET')
          const p = Number(d)
          if (!Number.isInteger(p)) throw bad(`not a partition: ${d}`)
          if (e === undefined && parts.length === 4)
            return {
              topic: b,
              partition: p,
              leader: cluster.leader(b, p) ?? null,
              isr: cluster.isr(b, p) ?? null,
            }
          if (e === 'records' && parts.length === 5) {
            const to = str(body, 'to')
            if (to !== undefined && to !== 'highWatermark' && to !== 'logEnd')
              throw bad('to must be highWatermark or logEnd')
            const records = await call(409, () =>
              cluster.readPartition(b, p, {
                broker: int(body, 'broker'),
                from: int(body, 'from'),
                to,
                controlRecords: body.controlRecords === 'true',
              }),
            )
            return { records: records.map(recordJson) }
          }
        }
        break
      case 'groups':
        if (b !== undefined && parts.length === 2) {
          only('GET')
          return {
            group: cluster.group(b) ?? null,
            lag: Object.fromEntries(cluster.lag(b) ?? []),
          }
        }
        break
      case 'wait':
        if (b !== undefined && parts.length === 2) return (only('POST'), waitFor(b, body))
        break
      case 'requests':
        if (b === undefined && m === 'DELETE') {
          for (const x of cluster.brokers) x.clearRequests()
          return {}
        }
        if (b === undefined) {
          only('GET')
          const requests = cluster.requests({
            broker: int(body, 'broker'),
            api: str(body, 'api'),
            clientId: str(body, 'clientId'),
          })
          return { requests }
        }
        break
    }
    throw new HttpError(404, `no route for ${m} ${req.path}`)
  }

  return async (req) => {
    try {
      return json(200, await route(req))
    } catch (e) {
      if (e instanceof HttpError) return json(e.status, { error: e.message })
      throw e
    }
  }
}
