/**
 * An in-memory `GroupLogStore`: one record list per partition, with hooks to hold appends back or fail them.
 * For tests, and usable as a stand-in wherever a real `__consumer_offsets` log is not wanted.
 */
import { KafkaError } from '../../protocol/errors.js'
import type {
  GroupLogAppendOptions,
  GroupLogAppendRecord,
  GroupLogAppendResult,
  GroupLogRecord,
  GroupLogStore,
} from './log-store.js'

interface Held {
  readonly run: () => void
}

export class InMemoryGroupLogStore implements GroupLogStore {
  private readonly logs = new Map<number, GroupLogRecord[]>()
  private readonly failures: number[] = []
  private held: Held[] = []
  private holding = false
  /** Every append, in order (partition, records and options), for assertions. */
  readonly appends: {
    partition: number
    records: readonly GroupLogAppendRecord[]
    options: GroupLogAppendOptions
  }[] = []

  /** The records of a partition (a copy). */
  records(partition: number): GroupLogRecord[] {
    return [...(this.logs.get(partition) ?? [])]
  }

  /** Adds records directly to a partition's log, as if they had been written before (e.g. by another broker). */
  seed(partition: number, records: readonly Omit<GroupLogRecord, 'offset'>[]): void {
    const log = this.logFor(partition)
    for (const r of records) log.push({ ...r, offset: log.length })
  }

  /** The next appends fail with these error codes, one each. */
  failNextAppends(...codes: number[]): void {
    this.failures.push(...codes)
  }

  /** From now on appends wait until `release()` (used to observe commits in flight). */
  hold(): void {
    this.holding = true
  }

  /** Completes every held append (in order) and stops holding. */
  release(): void {
    this.holding = false
    const held = this.held
    this.held = []
    for (const h of held) h.run()
  }

  get heldCount(): number {
    return this.held.length
  }

  append(
    partition: number,
    records: readonly GroupLogAppendRecord[],
    options: GroupLogAppendOptions = {},
  ): Promise<GroupLogAppendResult> {
    this.appends.push({ partition, records, options })
    const failure = this.failures.shift()
    return new Promise<GroupLogAppendResult>((resolve, reject) => {
      const run = (): void => {
        if (failure !== undefined) {
          reject(new KafkaError(failure))
          return
        }
        const log = this.logFor(partition)
        const baseOffset = log.length
        for (const r of records) {
          log.push({
            offset: log.length,
            key: r.key,
            value: r.value,
            timestamp: r.timestamp,
            ...(options.transactional
              ? { producerId: options.producerId ?? -1, isTransactional: true }
              : { producerId: options.producerId ?? -1 }),
          })
        }
        resolve({ baseOffset })
      }
      if (this.holding) this.held.push({ run })
      else run()
    })
  }

  async *read(partition: number): AsyncIterable<GroupLogRecord> {
    for (const r of this.records(partition)) yield r
  }

  private logFor(partition: number): GroupLogRecord[] {
    let log = this.logs.get(partition)
    if (!log) this.logs.set(partition, (log = []))
    return log
  }
}
