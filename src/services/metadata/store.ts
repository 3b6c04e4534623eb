/**
 * The coordination store the cluster metadata lives in: ZooKeeper in cluster mode, or a local file in
 * standalone mode. Both offer ZooKeeper's model — a tree of znodes with versions, ephemeral and sequential
 * nodes, one-shot watches and atomic multi-operations — so the controller and the metadata cache are the
 * same code in both modes, and a standalone broker's metadata has exactly the layout of a ZooKeeper-mode one.
 */
import type { EventEmitter } from 'node:events'

export type CreateMode = 'persistent' | 'ephemeral' | 'persistent_sequential' | 'ephemeral_sequential'

export interface NodeStat {
  /** Data version, the "zkVersion" Kafka uses for conditional updates. */
  readonly version: number
  readonly cversion: number
  /** Creation zxid (a broker's epoch is the czxid of its registration znode). */
  readonly czxid: number
  readonly ctime: number
  readonly mtime: number
  /** Session id owning an ephemeral node, or '0' for persistent nodes. */
  readonly ephemeralOwner: string
  readonly numChildren: number
}

export type WatchEventType = 'created' | 'deleted' | 'dataChanged' | 'childrenChanged'

export interface WatchEvent {
  readonly type: WatchEventType
  readonly path: string
}

export type Watcher = (event: WatchEvent) => void

export type StoreErrorCode =
  | 'NO_NODE'
  | 'NODE_EXISTS'
  | 'BAD_VERSION'
  | 'NOT_EMPTY'
  | 'NO_CHILDREN_FOR_EPHEMERALS'
  | 'CONNECTION_LOSS'
  | 'SESSION_EXPIRED'
  | 'OTHER'

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    readonly path: string,
    message?: string,
  ) {
    super(message ?? `${code} for ${path}`)
    this.name = 'StoreError'
  }
}

export const isStoreError = (e: unknown, code: StoreErrorCode): e is StoreError =>
  e instanceof StoreError && e.code === code

export type StoreOp =
  | { readonly op: 'create'; readonly path: string; readonly data: Buffer | null; readonly mode?: CreateMode }
  | { readonly op: 'set'; readonly path: string; readonly data: Buffer; readonly version?: number }
  | { readonly op: 'delete'; readonly path: string; readonly version?: number }
  | { readonly op: 'check'; readonly path: string; readonly version: number }

/** What a multi's operations are given to, in order, with their defaults filled in (a znode tree, a ZooKeeper
 * transaction). */
export interface StoreOpTarget {
  create(path: string, data: Buffer | null, mode: CreateMode): void
  setData(path: string, data: Buffer, version: number): void
  delete(path: string, version: number): void
  check(path: string, version: number): void
}

/** Gives each operation of a multi to `target`, in order. */
export function applyOps(ops: readonly StoreOp[], target: StoreOpTarget): void {
  for (const op of ops) {
    switch (op.op) {
      case 'create':
        target.create(op.path, op.data, op.mode ?? 'persistent')
        break
      case 'set':
        target.setData(op.path, op.data, op.version ?? -1)
        break
      case 'delete':
        target.delete(op.path, op.version ?? -1)
        break
      case 'check':
        target.check(op.path, op.version)
        break
    }
  }
}

/**
 * Session events: 'connected' (after any (re)connect), 'disconnected', and 'newSession' after the previous
 * session expired and a new one was established — ephemeral nodes and watches are gone then, and owners must
 * re-register them, as Kafka's ZooKeeperClient state-change handlers do.
 */
export interface MetadataStore extends EventEmitter {
  readonly description: string
  /** The current session id (hex), owner of this process's ephemeral nodes. */
  readonly sessionId: string
  /**
   * How long (ms) the server has not been heard from on the current connection — it stays connected in the
   * client's view while a frozen process (SIGSTOP) or a blocked event loop cannot notice anything. Stores with no
   * server (in-process) leave it out.
   */
  silentForMs?(): number
  create(path: string, data: Buffer | null, mode?: CreateMode): Promise<string>
  /** Data and stat, or null when the node does not exist (no watch is left then: `getDataWatched` leaves one either way). */
  getData(path: string, watcher?: Watcher): Promise<{ data: Buffer; stat: NodeStat } | null>
  /** Stat or null; a watcher is left whether or not the node exists. */
  exists(path: string, watcher?: Watcher): Promise<NodeStat | null>
  setData(path: string, data: Buffer, version?: number): Promise<NodeStat>
  delete(path: string, version?: number): Promise<void>
  /** Children names, or null when the node does not exist. */
  getChildren(path: string, watcher?: Watcher): Promise<string[] | null>
  /** All or nothing; throws the error of the first failing operation. */
  multi(ops: readonly StoreOp[]): Promise<void>
  /**
   * Deletes an ephemeral node if, and only if, the current session owns it (never retried in another session);
   * returns whether it did. Another session's ephemeral node is never deleted.
   */
  deleteEphemeral(path: string): Promise<boolean>
  /**
   * The owner is shutting down: from now on operations wait for a connection at most
   * zookeeper.connection.timeout.ms, and an expired session is not replaced.
   */
  beginClose(): void
  close(): Promise<void>
  /**
   * The process died (an in-process cluster's kill -9): the connection is dropped without closing the session, so
   * its ephemeral nodes stay until ZooKeeper expires it; nothing is sent any more.
   */
  halt(): void
}

/**
 * `getData` that leaves a watch whether or not the node exists, like Kafka's
 * `registerZNodeChangeHandlerAndCheckExistence`: a missing node gets an existence watch, and a node created between
 * the two reads is read again — otherwise its creation would fall between them unseen, and the watch left by
 * `exists` would wait for a later change that may never come.
 */
export async function getDataWatched(
  store: MetadataStore,
  path: string,
  watcher: Watcher,
): Promise<{ data: Buffer; stat: NodeStat } | null> {
  for (;;) {
    const r = await store.getData(path, watcher)
    if (r) return r
    if ((await store.exists(path, watcher)) === null) return null
  }
}

/**
 * Creates every missing ancestor and the node itself (persistent, empty); existing nodes are left as they are.
 * Two or more missing nodes are created in one multi (one round trip; one write of the standalone metadata file,
 * two fsyncs, instead of one per node); when another client created one of them meanwhile, the multi fails as a
 * whole and they are created one by one, each tolerating NODE_EXISTS.
 */
export async function ensurePath(
  store: MetadataStore,
  path: string,
  data: Buffer | null = null,
): Promise<void> {
  const parts = path.split('/').filter(Boolean)
  let p = ''
  let first = parts.length
  for (let i = 0; i < parts.length; i++) {
    p += '/' + parts[i]
    if ((await store.exists(p)) === null) {
      first = i
      break
    }
  }
  const missing: string[] = []
  for (let i = first; i < parts.length; i++) missing.push('/' + parts.slice(0, i + 1).join('/'))
  const dataOf = (p: string): Buffer | null => (p === missing[missing.length - 1] ? data : null)
  if (missing.length >= 2) {
    try {
      await store.multi(missing.map((p) => ({ op: 'create', path: p, data: dataOf(p), mode: 'persistent' })))
      return
    } catch (e) {
      if (!isStoreError(e, 'NODE_EXISTS')) throw e
    }
  }
  for (const p of missing) {
    try {
      await store.create(p, dataOf(p), 'persistent')
    } catch (e) {
      if (!isStoreError(e, 'NODE_EXISTS')) throw e
    }
  }
}

/** Deletes a node and everything under it. Missing nodes are fine. */
export async function deleteRecursive(store: MetadataStore, path: string): Promise<void> {
  const children = await store.getChildren(path)
  if (children === null) return
  for (const c of children) await deleteRecursive(store, `${path}/${c}`)
  try {
    await store.delete(path)
  } catch (e) {
    if (!isStoreError(e, 'NO_NODE')) throw e
  }
}

export function parentOf(path: string): string {
  const i = path.lastIndexOf('/')
  return i <= 0 ? '/' : path.slice(0, i)
}

export function validatePath(path: string): void {
  if (!path.startsWith('/') || (path.length > 1 && path.endsWith('/')) || path.includes('//')) {
    throw new StoreError('OTHER', path, `invalid path "${path}"`)
  }
}
