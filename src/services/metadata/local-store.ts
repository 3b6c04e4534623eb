/**
 * Standalone mode's metadata store: ZooKeeper's data model kept in this process and persisted to one JSON file
 * in the data directory (written atomically, fsynced, on every change of a persistent node). Ephemeral nodes
 * live as long as the process, like a ZooKeeper session. Watches are one-shot and delivered asynchronously, in
 * order, after the operation that triggered them — the same contract as ZooKeeper's.
 */
import { EventEmitter } from 'node:events'
import fs from 'node:fs'
import path from 'node:path'
import { mkdirs } from '../../util/fs.js'
import {
  parentOf,
  StoreError,
  validatePath,
  type CreateMode,
  type MetadataStore,
  type NodeStat,
  type StoreOp,
  type WatchEvent,
  type Watcher,
} from './store.js'

interface Node {
  readonly data: Buffer
  readonly version: number
  readonly cversion: number
  readonly czxid: number
  readonly ctime: number
  readonly mtime: number
  readonly ephemeral: boolean
  readonly children: ReadonlySet<string>
}

interface PersistedNode {
  data: string
  version: number
  cversion: number
  czxid: number
  ctime: number
  mtime: number
}

interface PersistedFile {
  format: 'samsa-metadata'
  version: 1
  zxid: number
  nodes: Record<string, PersistedNode>
}

export class LocalMetadataStore extends EventEmitter implements MetadataStore {
  readonly sessionId: string
  private nodes = new Map<string, Node>()
  private zxid = 0
  private readonly dataWatches = new Map<string, Set<Watcher>>()
  private readonly childWatches = new Map<string, Set<Watcher>>()
  private pending: [Watcher, WatchEvent][] = []
  private closed = false

  /**
   * @param file where the tree is persisted; undefined keeps it in memory only (tests).
   * Its znode times (ctime, mtime) are wall-clock time, as ZooKeeper's server stamps them, whatever the broker's
   * scheduler.
   */
  constructor(private readonly file: string | undefined) {
    super()
    // eslint-disable-next-line no-restricted-properties -- an identifier, not a time
    this.sessionId = (BigInt(Date.now()) << 16n).toString(16)
    this.load()
  }

  get description(): string {
    return this.file ? `local metadata file ${this.file}` : 'in-memory metadata'
  }

  private load(): void {
    // eslint-disable-next-line no-restricted-properties -- ZooKeeper's own wall clock (see the constructor)
    const now = Date.now()
    this.nodes.set('/', {
      data: Buffer.alloc(0),
      version: 0,
      cversion: 0,
      czxid: 0,
      ctime: now,
      mtime: now,
      ephemeral: false,
      children: new Set(),
    })
    if (!this.file || !fs.existsSync(this.file)) return
    const parsed = JSON.parse(fs.readFileSync(this.file, 'utf8')) as PersistedFile
    if (parsed.format !== 'samsa-metadata') throw new Error(`${this.file} is not a Samsa metadata file`)
    this.zxid = parsed.zxid
    const paths = Object.keys(parsed.nodes).sort((a, b) => a.split('/').length - b.split('/').length)
    for (const p of paths) {
      const n = parsed.nodes[p]!
      const existing = this.nodes.get(p)
      this.nodes.set(p, {
        data: Buffer.from(n.data, 'base64'),
        version: n.version,
        cversion: n.cversion,
        czxid: n.czxid,
        ctime: n.ctime,
        mtime: n.mtime,
        ephemeral: false,
        children: existing?.children ?? new Set(),
      })
      if (p !== '/') {
        const parent = this.nodes.get(parentOf(p))
        if (parent) (parent.children as Set<string>).add(p.slice(p.lastIndexOf('/') + 1))
      }
    }
  }

  private persist(): void {
    if (!this.file) return
    const out: PersistedFile = { format: 'samsa-metadata', version: 1, zxid: this.zxid, nodes: {} }
    for (const [p, n] of this.nodes) {
      if (n.ephemeral) continue
      out.nodes[p] = {
        data: n.data.toString('base64'),
        version: n.version,
        cversion: n.cversion,
        czxid: n.czxid,
        ctime: n.ctime,
        mtime: n.mtime,
      }
    }
    const tmp = `${this.file}.tmp`
    mkdirs(path.dirname(this.file))
    const fd = fs.openSync(tmp, 'w')
    try {
      fs.writeSync(fd, JSON.stringify(out))
      fs.fdatasyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
    fs.renameSync(tmp, this.file)
  }

  private stat(n: Node): NodeStat {
    return {
      version: n.version,
      cversion: n.cversion,
      czxid: n.czxid,
      ctime: n.ctime,
      mtime: n.mtime,
      ephemeralOwner: n.ephemeral ? this.sessionId : '0',
      numChildren: n.children.size,
    }
  }

  private check(): void {
    if (this.closed) throw new StoreError('SESSION_EXPIRED', '/', 'metadata store is closed')
  }

  private addWatch(map: Map<string, Set<Watcher>>, p: string, w: Watcher | undefined): void {
    if (!w) return
    let s = map.get(p)
    if (!s) map.set(p, (s = new Set()))
    s.add(w)
  }

  private trigger(map: Map<string, Set<Watcher>>, p: string, type: WatchEvent['type']): void {
    const s = map.get(p)
    if (!s) return
    map.delete(p)
    for (const w of s) this.pending.push([w, { type, path: p }])
  }

  private deliver(): void {
    if (this.pending.length === 0) return
    const batch = this.pending
    this.pending = []
    setImmediate(() => {
      for (const [w, e] of batch) {
        try {
          w(e)
        } catch (err) {
          this.emit('error', err)
        }
      }
    })
  }

  // --- the mutations, applied to `this.nodes`; multi() runs several against a backup it can restore ---

  private applyCreate(p: string, data: Buffer | null, mode: CreateMode): string {
    validatePath(p)
    const parentPath = parentOf(p)
    const parent = this.nodes.get(parentPath)
    if (!parent) throw new StoreError('NO_NODE', p)
    if (parent.ephemeral) throw new StoreError('NO_CHILDREN_FOR_EPHEMERALS', p)
    let actual = p
    if (mode === 'persistent_sequential' || mode === 'ephemeral_sequential') {
      actual = p + String(parent.cversion).padStart(10, '0')
    }
    if (this.nodes.has(actual)) throw new StoreError('NODE_EXISTS', actual)
    const zxid = ++this.zxid
    // eslint-disable-next-line no-restricted-properties -- ZooKeeper's own wall clock (see the constructor)
    const now = Date.now()
    const name = actual.slice(actual.lastIndexOf('/') + 1)
    const children = new Set(parent.children)
    children.add(name)
    this.nodes.set(parentPath, { ...parent, cversion: parent.cversion + 1, children })
    this.nodes.set(actual, {
      data: data ? Buffer.from(data) : Buffer.alloc(0),
      version: 0,
      cversion: 0,
      czxid: zxid,
      ctime: now,
      mtime: now,
      ephemeral: mode === 'ephemeral' || mode === 'ephemeral_sequential',
      children: new Set(),
    })
    this.trigger(this.dataWatches, actual, 'created')
    this.trigger(this.childWatches, parentPath, 'childrenChanged')
    return actual
  }

  private applySet(p: string, data: Buffer, version: number): NodeStat {
    const n = this.nodes.get(p)
    if (!n) throw new StoreError('NO_NODE', p)
    if (version !== -1 && version !== n.version) throw new StoreError('BAD_VERSION', p)
    ++this.zxid
    // eslint-disable-next-line no-restricted-properties -- ZooKeeper's own wall clock (see the constructor)
    const updated: Node = { ...n, data: Buffer.from(data), version: n.version + 1, mtime: Date.now() }
    this.nodes.set(p, updated)
    this.trigger(this.dataWatches, p, 'dataChanged')
    return this.stat(updated)
  }

  private applyDelete(p: string, version: number): void {
    if (p === '/') throw new StoreError('OTHER', p, 'cannot delete the root')
    const n = this.nodes.get(p)
    if (!n) throw new StoreError('NO_NODE', p)
    if (version !== -1 && version !== n.version) throw new StoreError('BAD_VERSION', p)
    if (n.children.size > 0) throw new StoreError('NOT_EMPTY', p)
    ++this.zxid
    this.nodes.delete(p)
    const parentPath = parentOf(p)
    const parent = this.nodes.get(parentPath)!
    const children = new Set(parent.children)
    children.delete(p.slice(p.lastIndexOf('/') + 1))
    this.nodes.set(parentPath, { ...parent, cversion: parent.cversion + 1, children })
    this.trigger(this.dataWatches, p, 'deleted')
    this.trigger(this.childWatches, p, 'deleted')
    this.trigger(this.childWatches, parentPath, 'childrenChanged')
  }

  private commit(ephemeralOnly: boolean): void {
    if (!ephemeralOnly) this.persist()
    this.deliver()
  }

  async create(p: string, data: Buffer | null, mode: CreateMode = 'persistent'): Promise<string> {
    this.check()
    const actual = this.applyCreate(p, data, mode)
    this.commit(mode.startsWith('ephemeral'))
    return actual
  }

  async getData(p: string, watcher?: Watcher): Promise<{ data: Buffer; stat: NodeStat } | null> {
    this.check()
    const n = this.nodes.get(p)
    if (!n) return null
    this.addWatch(this.dataWatches, p, watcher)
    return { data: n.data, stat: this.stat(n) }
  }

  async exists(p: string, watcher?: Watcher): Promise<NodeStat | null> {
    this.check()
    this.addWatch(this.dataWatches, p, watcher)
    const n = this.nodes.get(p)
    return n ? this.stat(n) : null
  }

  async setData(p: string, data: Buffer, version = -1): Promise<NodeStat> {
    this.check()
    const ephemeral = this.nodes.get(p)?.ephemeral ?? false
    const stat = this.applySet(p, data, version)
    this.commit(ephemeral)
    return stat
  }

  async delete(p: string, version = -1): Promise<void> {
    this.check()
    const ephemeral = this.nodes.get(p)?.ephemeral ?? false
    this.applyDelete(p, version)
    this.commit(ephemeral)
  }

  /** Every ephemeral node of this store belongs to its one session (this process). */
  async deleteEphemeral(p: string): Promise<boolean> {
    this.check()
    const n = this.nodes.get(p)
    if (!n?.ephemeral) return false
    this.applyDelete(p, n.version)
    this.commit(true)
    return true
  }

  beginClose(): void {}

  async getChildren(p: string, watcher?: Watcher): Promise<string[] | null> {
    this.check()
    const n = this.nodes.get(p)
    if (!n) return null
    this.addWatch(this.childWatches, p, watcher)
    return [...n.children]
  }

  async multi(ops: readonly StoreOp[]): Promise<void> {
    this.check()
    const backup = new Map(this.nodes)
    const zxid = this.zxid
    const pendingBefore = this.pending.length
    const dataWatches = new Map([...this.dataWatches].map(([k, v]) => [k, new Set(v)]))
    const childWatches = new Map([...this.childWatches].map(([k, v]) => [k, new Set(v)]))
    try {
      for (const op of ops) {
        switch (op.op) {
          case 'create':
            this.applyCreate(op.path, op.data, op.mode ?? 'persistent')
            break
          case 'set':
            this.applySet(op.path, op.data, op.version ?? -1)
            break
          case 'delete':
            this.applyDelete(op.path, op.version ?? -1)
            break
          case 'check': {
            const n = this.nodes.get(op.path)
            if (!n) throw new StoreError('NO_NODE', op.path)
            if (op.version !== -1 && n.version !== op.version) throw new StoreError('BAD_VERSION', op.path)
            break
          }
        }
      }
    } catch (e) {
      this.nodes = backup
      this.zxid = zxid
      this.pending.length = pendingBefore
      this.restoreWatches(this.dataWatches, dataWatches)
      this.restoreWatches(this.childWatches, childWatches)
      throw e
    }
    this.commit(false)
  }

  private restoreWatches(target: Map<string, Set<Watcher>>, from: Map<string, Set<Watcher>>): void {
    target.clear()
    for (const [k, v] of from) target.set(k, v)
  }

  async close(): Promise<void> {
    this.closed = true
    this.dataWatches.clear()
    this.childWatches.clear()
  }
}
