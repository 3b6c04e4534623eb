/**
 * Standalone mode's metadata store: ZooKeeper's data model kept in this process and persisted to one JSON file
 * in the data directory (written atomically, fsynced, on every change of a persistent node). Ephemeral nodes
 * live as long as the process, like a ZooKeeper session. Watches are one-shot and delivered asynchronously, in
 * order, after the operation that triggered them — the same contract as ZooKeeper's.
 */
import { EventEmitter } from 'node:events'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { mkdirs } from '../../util/fs.js'
import { type Logger, silentLogger } from '../../util/logger.js'
import { atomicWriteFileSync, deleteIfExists } from '../log/file-utils.js'
import { asStorageError, storageFault } from '../log/storage-faults.js'
import {
  StoreError,
  type CreateMode,
  type MetadataStore,
  type NodeStat,
  type StoreOp,
  type Watcher,
} from './store.js'
import { isEphemeral, ZnodeTree, type FiredWatch } from './znode-tree.js'

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
  /**
   * The znodes. Their times (ctime, mtime) are wall-clock time, as ZooKeeper's server stamps them, whatever the
   * broker's scheduler.
   */
  // eslint-disable-next-line no-restricted-properties -- ZooKeeper's own wall clock
  private readonly tree = new ZnodeTree(() => Date.now())
  private closed = false

  /** Bytes set aside in the reserve file (see persist). */
  private reserved = 0
  /** The reserve file being written on the thread pool, if it is. */
  private reserving: Promise<void> | undefined
  /** Bumped when the reserve file is given up: a write of it under way then does not count. */
  private reserveGeneration = 0

  /** @param file where the tree is persisted; undefined keeps it in memory only (tests). */
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
    if (!this.file || !fs.existsSync(this.file)) return
    const parsed = JSON.parse(fs.readFileSync(this.file, 'utf8')) as PersistedFile
    if (parsed.format !== 'samsa-metadata') throw new Error(`${this.file} is not a Samsa metadata file`)
    const paths = Object.keys(parsed.nodes).sort((a, b) => a.split('/').length - b.split('/').length)
    this.tree.restore(
      parsed.zxid,
      paths.map((p) => {
        const n = parsed.nodes[p]!
        return [p, { ...n, data: Buffer.from(n.data, 'base64') }] as const
      }),
    )
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
    const out: PersistedFile = { format: 'samsa-metadata', version: 1, zxid: this.tree.zxid, nodes: {} }
    for (const [p, n] of this.tree.entries()) {
      if (isEphemeral(n)) continue
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
      this.reserved = 0
      this.reserveGeneration++
      this.log.warn(`${this.description}: the disk is full; the space reserved for the metadata is used`)
      atomicWriteFileSync(this.file, text)
    }
    this.keepReserve(text.length)
  }

  private get reserveFile(): string {
    return `${this.file}.reserve`
  }

  /**
   * Sets aside max(256 KiB, 2 × the metadata size) in the reserve file, when there is room for it. Written on the
   * thread pool (the writes and the fdatasync are of no change's durability; at every start they were the largest
   * write the event loop waited for), one at a time; a later persist asks again for what is still missing.
   */
  private keepReserve(metadataBytes: number): void {
    const want = Math.max(256 * 1024, 2 * metadataBytes)
    if (this.reserved >= want || this.reserving || this.closed) return
    const generation = this.reserveGeneration
    const file = this.reserveFile
    this.reserving = (async () => {
      try {
        const f = await fsp.open(file, 'w')
        try {
          const zeros = Buffer.alloc(64 * 1024)
          for (let at = 0; at < want; at += zeros.length)
            await f.write(zeros, 0, Math.min(zeros.length, want - at), at)
          await f.datasync()
        } finally {
          await f.close()
        }
        if (generation === this.reserveGeneration) this.reserved = want
      } catch (e) {
        // no room yet: the next write tries again
        this.reserved = 0
        if (generation === this.reserveGeneration) deleteIfExists(file)
        if (storageFault(e) !== 'full')
          this.log.warn(`${this.description}: could not set space aside: ${String(e)}`)
      } finally {
        this.reserving = undefined
      }
    })()
  }

  /** Resolves once no write of the reserve file is under way (tests, close). */
  async reserveSettled(): Promise<void> {
    while (this.reserving) await this.reserving
  }

  private check(): void {
    if (this.closed) throw new StoreError('SESSION_EXPIRED', '/', 'metadata store is closed')
  }

  /** Delivers the watches a change fired, in order, after the operation (as ZooKeeper does). */
  private deliver(fired: readonly FiredWatch[]): void {
    if (fired.length === 0) return
    setImmediate(() => {
      for (const { watcher, event } of fired) {
        try {
          watcher(event)
        } catch (err) {
          this.emit('error', err)
        }
      }
    })
  }

  /**
   * Applies `change` and persists it, all or nothing: when the change or the write fails (a full disk), the tree,
   * the watches and the pending notifications are as they were, and the error is thrown.
   */
  private transact<T>(change: () => T, ephemeralOnly = false): T {
    let done: { result: T; fired: FiredWatch[] }
    try {
      done = this.tree.transact(() => {
        const result = change()
        if (!ephemeralOnly) this.persist()
        return result
      })
    } catch (e) {
      throw asStorageError(e, `Could not write ${this.description}`)
    }
    this.deliver(done.fired)
    return done.result
  }

  async create(p: string, data: Buffer | null, mode: CreateMode = 'persistent'): Promise<string> {
    this.check()
    return this.transact(() => this.tree.create(p, data, mode, this.sessionId), mode.startsWith('ephemeral'))
  }

  async getData(p: string, watcher?: Watcher): Promise<{ data: Buffer; stat: NodeStat } | null> {
    this.check()
    const n = this.tree.get(p)
    if (!n) return null
    this.tree.watchData(p, watcher)
    return { data: n.data, stat: this.tree.stat(n) }
  }

  async exists(p: string, watcher?: Watcher): Promise<NodeStat | null> {
    this.check()
    this.tree.watchData(p, watcher)
    const n = this.tree.get(p)
    return n ? this.tree.stat(n) : null
  }

  async setData(p: string, data: Buffer, version = -1): Promise<NodeStat> {
    this.check()
    const n = this.tree.get(p)
    return this.tree.stat(
      this.transact(() => this.tree.setData(p, data, version), n !== undefined && isEphemeral(n)),
    )
  }

  async delete(p: string, version = -1): Promise<void> {
    this.check()
    const n = this.tree.get(p)
    this.transact(() => this.tree.delete(p, version), n !== undefined && isEphemeral(n))
  }

  /** Every ephemeral node of this store belongs to its one session (this process). */
  async deleteEphemeral(p: string): Promise<boolean> {
    this.check()
    const n = this.tree.get(p)
    if (!n || !isEphemeral(n)) return false
    this.transact(() => this.tree.delete(p, n.version), true)
    return true
  }

  beginClose(): void {}

  async getChildren(p: string, watcher?: Watcher): Promise<string[] | null> {
    this.check()
    const n = this.tree.get(p)
    if (!n) return null
    this.tree.watchChildren(p, watcher)
    return [...n.children]
  }

  async multi(ops: readonly StoreOp[]): Promise<void> {
    this.check()
    this.transact(() => this.tree.apply(ops, this.sessionId))
  }

  /** Its one session ends with the process: everything persistent is already in the file. */
  halt(): void {
    void this.close()
  }

  async close(): Promise<void> {
    this.closed = true
    this.tree.dropWatches(() => true)
    await this.reserveSettled()
  }
}
