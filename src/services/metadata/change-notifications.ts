/**
 * Kafka's ZkNodeChangeNotificationListener: watches a directory of sequential notification znodes
 * (`/kafka-acl-changes/acl_changes_0000000042`, ...), hands the data of each one it has not processed yet to a
 * handler, in sequence order, one at a time, and purges notifications older than `expirationMs` (15 minutes, as
 * Kafka) so the directory does not grow forever.
 *
 * After a ZooKeeper session is replaced (watches are gone) the owner is told through `onNewSession` and the
 * directory is read again; the owner may reload everything, as notifications purged meanwhile are lost.
 */
import type { Logger } from '../../util/logger.js'
import { systemClock, systemScheduler, type Clock } from '../../util/scheduler.js'
import { ensurePath, isStoreError, type MetadataStore } from './store.js'

export interface ChangeNotificationOptions {
  readonly store: MetadataStore
  /** The directory of notifications, e.g. /kafka-acl-changes. */
  readonly root: string
  /** The name prefix of each notification, e.g. acl_changes_. */
  readonly prefix: string
  /** Processes one notification's data; what it throws is logged and the notification counts as processed. */
  readonly handle: (data: Buffer) => Promise<void>
  /** Called before the directory is read again in a new ZooKeeper session. */
  readonly onNewSession?: () => Promise<void>
  readonly log: Logger
  /** Notifications older than this are deleted (default 15 minutes, as Kafka's changeExpirationMs). */
  readonly expirationMs?: number
  /**
   * Compared with the znodes' creation times, which ZooKeeper's server stamps with its wall clock: the system clock
   * by default, whatever scheduler the broker runs on.
   */
  readonly clock?: Clock
}

export class ChangeNotificationListener {
  private lastExecuted = -1
  private running = false
  private again = false
  private stopped = false
  private readonly expirationMs: number
  private readonly clock: Clock
  private readonly onSession = (): void => {
    if (this.stopped) return
    void (async () => {
      try {
        await this.opts.onNewSession?.()
      } catch (e) {
        this.opts.log.warn({ err: e }, `Failed to reload after a new ZooKeeper session (${this.opts.root})`)
      }
      this.run()
    })()
  }

  constructor(private readonly opts: ChangeNotificationOptions) {
    this.expirationMs = opts.expirationMs ?? 15 * 60 * 1000
    this.clock = opts.clock ?? systemClock
  }

  /** Creates the directory, arms the watch and processes what is there; resolves once that first pass is done. */
  async start(): Promise<void> {
    await ensurePath(this.opts.store, this.opts.root)
    this.opts.store.on('newSession', this.onSession)
    await this.pass()
  }

  stop(): void {
    this.stopped = true
    this.opts.store.off('newSession', this.onSession)
  }

  private run(): void {
    void this.pass()
  }

  /** One pass over the directory; passes never overlap (a change during one triggers another). */
  private async pass(): Promise<void> {
    if (this.stopped) return
    if (this.running) {
      this.again = true
      return
    }
    this.running = true
    try {
      const children = await this.opts.store.getChildren(this.opts.root, () => this.run())
      if (children) await this.process(children.filter((c) => c.startsWith(this.opts.prefix)).sort())
    } catch (e) {
      if (!this.stopped) {
        this.opts.log.warn({ err: e }, `Failed to process notifications under ${this.opts.root}; retrying`)
        // Real time, as every retry against the metadata store (see DEVELOPERS.md, "Time and scheduling").
        systemScheduler.schedule('change-notification-retry', () => this.run(), 1000)
      }
    } finally {
      this.running = false
      if (this.again) {
        this.again = false
        this.run()
      }
    }
  }

  private async process(notifications: readonly string[]): Promise<void> {
    const { store, root, prefix, log } = this.opts
    const now = this.clock.now()
    for (const n of notifications) {
      if (this.stopped) return
      const id = Number(n.slice(prefix.length))
      if (!Number.isFinite(id) || id <= this.lastExecuted) continue
      const r = await store.getData(`${root}/${n}`)
      if (r) {
        try {
          await this.opts.handle(r.data)
        } catch (e) {
          log.error({ err: e }, `Error processing notification ${root}/${n}`)
        }
      } else {
        log.warn(`read null data from ${root}/${n} when processing notification ${n}`)
      }
      this.lastExecuted = id
    }
    // purgeObsoleteNotifications
    for (const n of notifications) {
      const path = `${root}/${n}`
      const stat = await store.exists(path)
      if (stat && now - stat.ctime > this.expirationMs) {
        try {
          await store.delete(path)
        } catch (e) {
          if (!isStoreError(e, 'NO_NODE')) throw e
        }
      }
    }
  }
}
