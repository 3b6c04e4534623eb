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
import { type Logger, silentLogger } from '../../util/logger.js'
import { atomicWriteFileSync, deleteIfExists } from '../log/file-utils.js'
import { asStorageError, storageFault } from '../log/storage-faults.js'
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
  /** Bytes set aside in the reserve file (see persist). */
  private reserved = 0

  constructor(
    private readonly file: string | undefined,
    private readonly log: Logger = silentLogger,
  ) {
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

  /**
   * Writes the persistent nodes atomically (temporary file, fsync, rename, fsync of the directory): a full disk or
   * a crash never leaves a torn file. The file shares its disk with the logs; so that a full disk can still be
   * rescued — deleting topics frees space but first writes the metadata — a reserve file next to it keeps room
   * for about two copies of the metadata: when a write finds the disk full, the reserve is given up for it, and it
   * is set aside again once there is room.
   */
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
    const text = Buffer.from(JSON.stringify(out), 'utf8')
    mkdirs(path.dirname(this.file))
    try {
      atomicWriteFileSync(this.file, text)
    } catch (e) {
      if (storageFault(e) !== 'full' || !deleteIfExists(this.reserveFile)) throw e
      this.log.warn(`${this.description}: the disk is full; the space reserved for the metadata is used`)
      atomicWriteFileSync(this.file, text)
    }
    this.keepReserve(text.length)
  }

  private get reserveFile(): string {
    return `${this.file}.reserve`
  }

  /** Sets aside max(256 KiB, 2 × the metadata size) in the reserve file, when there is room for it. */
  private keepReserve(metadataBytes: number): void {
    const want = Math.max(256 * 1024, 2 * metadataBytes)
    if (this.reserved >= want) return
    try {
      const fd = fs.openSync(this.reserveFile, 'w')
      try {
        const zeros = Buffer.alloc(64 * 1024)
        for (let at = 0; at < want; at += zeros.length)
          fs.writeSync(fd, zeros, 0, Math.min(zeros.length, want - at), at)
        fs.fdatasyncSync(fd)
      } finally {
        fs.closeSync(fd)
      }
      this.reserved = want
    } catch (e) {
      // no room yet: the next write tries again
      this.reserved = 0
      deleteIfExists(this.reserveFile)
      if (storageFault(e) !== 'full') throw e
    }
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

  /**
   * Applies `change` and persists it, all or nothing: when the change or the write fails (a full disk), the tree,
   * the watches and the pending notifications are as they were, and the error is thrown.
   */
  private transact<T>(change: () => T, ephemeralOnly = false): T {
    const nodes = new Map(this.nodes)
    const zxid = this.zxid
    const pendingBefore = this.pending.length
    const dataWatches = new Map([...this.dataWatches].map(([k, v]) => [k, new Set(v)]))
    const childWatches = new Map([...this.childWatches].map(([k, v]) => [k, new Set(v)]))
    let result: T
    try {
      result = change()
      if (!ephemeralOnly) this.persist()
    } catch (e) {
      this.nodes = nodes
      this.zxid = zxid
      this.pending.length = pendingBefore
      this.restoreWatches(this.dataWatches, dataWatches)
      this.restoreWatches(this.childWatches, childWatches)
      throw asStorageError(e, `Could not write ${this.description}`)
    }
    this.deliver()
    return result
  }

  async create(p: string, data: Buffer | null, mode: CreateMode = 'persistent'): Promise<string> {
    this.check()
    return this.transact(() => this.applyCreate(p, data, mode), mode.startsWith('ephemeral'))
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
    return this.transact(() => this.applySet(p, data, version), ephemeral)
  }

  async delete(p: string, version = -1): Promise<void> {
    this.check()
    const ephemeral = this.nodes.get(p)?.ephemeral ?? false
    this.transact(() => this.applyDelete(p, version), ephemeral)
  }

  /** Every ephemeral node of this store belongs to its one session (this process). */
  async deleteEphemeral(p: string): Promise<boolean> {
    this.check()
    const n = this.nodes.get(p)
    if (!n?.ephemeral) return false
    this.transact(() => this.applyDelete(p, n.version), true)
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
    this.transact(() => {
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
    })
  }

  private restoreWatches(target: Map<string, Set<Watcher>>, from: Map<string, Set<Watcher>>): void {
    target.clear()
    for (const [k, v] of from) target.set(k, v)
  }

  /** Its one session ends with the process: everything persistent is already in the file. */
  halt(): void {
    void this.close()
  }

  async close(): Promise<void> {
    this.closed = true
    this.dataWatches.clear()
    this.childWatches.clear()
  }
}
