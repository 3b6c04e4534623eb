/**
 * ZooKeeper's data model in memory: a tree of znodes with data versions, child versions, creation zxids,
 * ephemeral owners and sequential names, one-shot data and child watches, and all-or-nothing changes. It is the
 * server side only — sessions, and when watch notifications reach their clients, belong to the stores built on it
 * (`InProcessZooKeeper`, where several brokers' sessions share one tree).
 *
 * Every change runs inside `transact`: when anything in it throws, the nodes, the zxid and the watches are as they
 * were and no watch fires; when it completes, the watches it triggered are returned in the order ZooKeeper fires
 * them, for the caller to deliver asynchronously.
 */
import {
  applyOps,
  parentOf,
  StoreError,
  validatePath,
  type CreateMode,
  type NodeStat,
  type StoreOp,
  type Watcher,
} from './store.js'

export interface Znode {
  readonly data: Buffer
  readonly version: number
  readonly cversion: number
  readonly czxid: number
  readonly ctime: number
  readonly mtime: number
  /** The session that owns an ephemeral node; '0' for a persistent one. */
  readonly ephemeralOwner: string
  readonly children: ReadonlySet<string>
}

/** A watch that fired: call `watcher` with `event`. */
export interface FiredWatch {
  readonly watcher: Watcher
  readonly event: {
    readonly type: 'created' | 'deleted' | 'dataChanged' | 'childrenChanged'
    readonly path: string
  }
}

type WatchMap = Map<string, Set<Watcher>>

/** What a transaction changed, to undo it. */
interface Undo {
  readonly nodes: Map<string, Znode | undefined>
  readonly zxid: number
  readonly watches: { map: WatchMap; path: string; set: Set<Watcher> }[]
  readonly fired: FiredWatch[]
}

export const isEphemeral = (n: Znode): boolean => n.ephemeralOwner !== '0'

export class ZnodeTree {
  private readonly nodes = new Map<string, Znode>()
  private _zxid = 0
  private readonly dataWatches: WatchMap = new Map()
  private readonly childWatches: WatchMap = new Map()
  private tx: Undo | undefined

  /** @param now the server's wall clock (znode ctime and mtime) */
  constructor(private readonly now: () => number) {
    const t = now()
    this.nodes.set('/', {
      data: Buffer.alloc(0),
      version: 0,
      cversion: 0,
      czxid: 0,
      ctime: t,
      mtime: t,
      ephemeralOwner: '0',
      children: new Set(),
    })
  }

  get zxid(): number {
    return this._zxid
  }

  get(path: string): Znode | undefined {
    return this.nodes.get(path)
  }

  stat(n: Znode): NodeStat {
    return {
      version: n.version,
      cversion: n.cversion,
      czxid: n.czxid,
      ctime: n.ctime,
      mtime: n.mtime,
      ephemeralOwner: n.ephemeralOwner,
      numChildren: n.children.size,
    }
  }

  /** Every node, parents before children. */
  entries(): IterableIterator<[string, Znode]> {
    return this.nodes.entries()
  }

  /** The paths of the ephemeral nodes `owner` holds. */
  ephemeralsOf(owner: string): string[] {
    const out: string[] = []
    for (const [p, n] of this.nodes) if (n.ephemeralOwner === owner) out.push(p)
    return out
  }

  /**
   * Puts persisted nodes back (a store loading its file): `nodes` are persistent, listed parents first; the zxid
   * continues from `zxid`. Only before any change.
   */
  restore(zxid: number, nodes: Iterable<[string, Omit<Znode, 'children' | 'ephemeralOwner'>]>): void {
    this._zxid = zxid
    for (const [p, n] of nodes) {
      const existing = this.nodes.get(p)
      this.nodes.set(p, { ...n, ephemeralOwner: '0', children: existing?.children ?? new Set() })
      if (p === '/') continue
      const parent = this.nodes.get(parentOf(p))
      if (parent) (parent.children as Set<string>).add(p.slice(p.lastIndexOf('/') + 1))
    }
  }

  // --- watches ---

  watchData(path: string, w: Watcher | undefined): void {
    if (w) this.addWatch(this.dataWatches, path, w)
  }

  watchChildren(path: string, w: Watcher | undefined): void {
    if (w) this.addWatch(this.childWatches, path, w)
  }

  private addWatch(map: WatchMap, path: string, w: Watcher): void {
    let s = map.get(path)
    if (!s) map.set(path, (s = new Set()))
    s.add(w)
  }

  /** Forgets every watch `drop` says (the watches of a session that ended). */
  dropWatches(drop: (w: Watcher) => boolean): void {
    for (const map of [this.dataWatches, this.childWatches]) {
      for (const [p, s] of map) {
        for (const w of s) if (drop(w)) s.delete(w)
        if (s.size === 0) map.delete(p)
      }
    }
  }

  private trigger(map: WatchMap, path: string, type: FiredWatch['event']['type']): void {
    const s = map.get(path)
    if (!s) return
    map.delete(path)
    this.tx!.watches.push({ map, path, set: s })
    for (const watcher of s) this.tx!.fired.push({ watcher, event: { type, path } })
  }

  // --- changes ---

  /**
   * Runs `change` all or nothing (see the file comment) and returns its result with the watches it fired. Nested
   * calls join the outer transaction.
   */
  transact<T>(change: () => T): { result: T; fired: FiredWatch[] } {
    if (this.tx) return { result: change(), fired: [] }
    const tx: Undo = { nodes: new Map(), zxid: this._zxid, watches: [], fired: [] }
    this.tx = tx
    try {
      const result = change()
      return { result, fired: tx.fired }
    } catch (e) {
      for (const [p, n] of tx.nodes) {
        if (n === undefined) this.nodes.delete(p)
        else this.nodes.set(p, n)
      }
      this._zxid = tx.zxid
      for (const { map, path, set } of tx.watches.reverse()) {
        const now = map.get(path)
        if (now) for (const w of set) now.add(w)
        else map.set(path, set)
      }
      throw e
    } finally {
      this.tx = undefined
    }
  }

  private put(path: string, n: Znode | undefined): void {
    const tx = this.tx
    if (!tx) throw new Error('znode changes run inside transact()')
    if (!tx.nodes.has(path)) tx.nodes.set(path, this.nodes.get(path))
    if (n === undefined) this.nodes.delete(path)
    else this.nodes.set(path, n)
  }

  /** Creates a node (its name suffixed with the parent's cversion when sequential); returns the actual path. */
  create(path: string, data: Buffer | null, mode: CreateMode, owner: string): string {
    validatePath(path)
    const parentPath = parentOf(path)
    const parent = this.nodes.get(parentPath)
    if (!parent) throw new StoreError('NO_NODE', path)
    if (isEphemeral(parent)) throw new StoreError('NO_CHILDREN_FOR_EPHEMERALS', path)
    const actual =
      mode === 'persistent_sequential' || mode === 'ephemeral_sequential'
        ? path + String(parent.cversion).padStart(10, '0')
        : path
    if (this.nodes.has(actual)) throw new StoreError('NODE_EXISTS', actual)
    const zxid = ++this._zxid
    const t = this.now()
    const children = new Set(parent.children)
    children.add(actual.slice(actual.lastIndexOf('/') + 1))
    this.put(parentPath, { ...parent, cversion: parent.cversion + 1, children })
    this.put(actual, {
      data: data ? Buffer.from(data) : Buffer.alloc(0),
      version: 0,
      cversion: 0,
      czxid: zxid,
      ctime: t,
      mtime: t,
      ephemeralOwner: mode === 'ephemeral' || mode === 'ephemeral_sequential' ? owner : '0',
      children: new Set(),
    })
    this.trigger(this.dataWatches, actual, 'created')
    this.trigger(this.childWatches, parentPath, 'childrenChanged')
    return actual
  }

  setData(path: string, data: Buffer, version: number): Znode {
    const n = this.nodes.get(path)
    if (!n) throw new StoreError('NO_NODE', path)
    if (version !== -1 && version !== n.version) throw new StoreError('BAD_VERSION', path)
    ++this._zxid
    const updated: Znode = { ...n, data: Buffer.from(data), version: n.version + 1, mtime: this.now() }
    this.put(path, updated)
    this.trigger(this.dataWatches, path, 'dataChanged')
    return updated
  }

  delete(path: string, version: number): void {
    if (path === '/') throw new StoreError('OTHER', path, 'cannot delete the root')
    const n = this.nodes.get(path)
    if (!n) throw new StoreError('NO_NODE', path)
    if (version !== -1 && version !== n.version) throw new StoreError('BAD_VERSION', path)
    if (n.children.size > 0) throw new StoreError('NOT_EMPTY', path)
    ++this._zxid
    this.put(path, undefined)
    const parentPath = parentOf(path)
    const parent = this.nodes.get(parentPath)!
    const children = new Set(parent.children)
    children.delete(path.slice(path.lastIndexOf('/') + 1))
    this.put(parentPath, { ...parent, cversion: parent.cversion + 1, children })
    this.trigger(this.dataWatches, path, 'deleted')
    this.trigger(this.childWatches, path, 'deleted')
    this.trigger(this.childWatches, parentPath, 'childrenChanged')
  }

  check(path: string, version: number): void {
    const n = this.nodes.get(path)
    if (!n) throw new StoreError('NO_NODE', path)
    if (version !== -1 && n.version !== version) throw new StoreError('BAD_VERSION', path)
  }

  /** The operations of a multi, in order (inside `transact`, so that they apply all or nothing). */
  apply(ops: readonly StoreOp[], owner: string): void {
    applyOps(ops, {
      create: (path, data, mode) => void this.create(path, data, mode, owner),
      setData: (path, data, version) => void this.setData(path, data, version),
      delete: (path, version) => this.delete(path, version),
      check: (path, version) => this.check(path, version),
    })
  }
}
