/**
 * Kafka's text checkpoint files (server-common CheckpointFile): a version line, an entry-count line, then one
 * entry per line. Written to `<file>.tmp`, fsynced and renamed over the file.
 *   recovery-point-offset-checkpoint, log-start-offset-checkpoint, replication-offset-checkpoint:
 *     version 0, "topic partition offset"
 *   leader-epoch-checkpoint: version 0, "epoch startOffset"
 */
import { existsSync, readFileSync } from 'node:fs'
import { atomicWriteFileAsync, atomicWriteFileSync, isErrno, type TopicPartition } from './file-utils.js'

export interface EntryFormatter<T> {
  toLine(entry: T): string
  /** undefined when the line is malformed */
  fromLine(line: string): T | undefined
}

export class CheckpointFile<T> {
  constructor(
    readonly path: string,
    readonly version: number,
    private readonly formatter: EntryFormatter<T>,
  ) {}

  write(entries: Iterable<T>, sync = true): void {
    atomicWriteFileSync(this.path, this.format(entries), sync)
  }

  /**
   * write() with every step on libuv's thread pool (atomicWriteFileAsync: writes of one file serialized, a
   * synchronous write() meanwhile wins); the entries are taken now.
   */
  writeAsync(entries: Iterable<T>): Promise<void> {
    return atomicWriteFileAsync(this.path, () => this.format(entries))
  }

  /** The file's text for `entries`. */
  format(entries: Iterable<T>): string {
    const list = [...entries]
    const lines = [String(this.version), String(list.length), ...list.map((e) => this.formatter.toLine(e))]
    return lines.join('\n') + '\n'
  }

  /** Reads the entries; a missing or empty file has none. Throws on a malformed file. */
  read(): T[] {
    let text: string
    try {
      text = readFileSync(this.path, 'utf8')
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return []
      throw e
    }
    const lines = text.split(/\r?\n/)
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
    if (lines.length === 0) return []
    const version = toInt(lines[0]!, this.path)
    if (version !== this.version) {
      throw new Error(
        `Unrecognised version:${version}, expected version: ${this.version} in checkpoint file at: ${this.path}`,
      )
    }
    if (lines.length === 1) return []
    const expected = toInt(lines[1]!, this.path)
    const entries: T[] = []
    for (const line of lines.slice(2)) {
      const e = this.formatter.fromLine(line)
      if (e === undefined) throw new Error(`Malformed line in checkpoint file [${this.path}]: ${line}`)
      entries.push(e)
    }
    if (entries.length !== expected) {
      throw new Error(
        `Expected [${expected}] entries in checkpoint file [${this.path}], but found only [${entries.length}]`,
      )
    }
    return entries
  }

  exists(): boolean {
    return existsSync(this.path)
  }
}

function toInt(line: string, path: string): number {
  if (!/^-?\d+$/.test(line.trim())) throw new Error(`Malformed line in checkpoint file [${path}]: ${line}`)
  return Number(line.trim())
}

export interface TopicPartitionOffset extends TopicPartition {
  offset: number
}

/** "topic partition offset" (OffsetCheckpointFile.Formatter). */
export const offsetCheckpointFormatter: EntryFormatter<TopicPartitionOffset> = {
  toLine: (e) => `${e.topic} ${e.partition} ${e.offset}`,
  fromLine: (line) => {
    const parts = line.split(/\s+/)
    if (parts.length !== 3 || !/^\d+$/.test(parts[1]!) || !/^-?\d+$/.test(parts[2]!)) return undefined
    return { topic: parts[0]!, partition: Number(parts[1]), offset: Number(parts[2]) }
  },
}

/**
 * A per-log-directory offset checkpoint (recovery points, log start offsets, and the replica manager's
 * replication-offset-checkpoint), keyed by "topic-partition".
 */
export class OffsetCheckpointFile {
  static readonly VERSION = 0
  private readonly file: CheckpointFile<TopicPartitionOffset>

  constructor(readonly path: string) {
    this.file = new CheckpointFile(path, OffsetCheckpointFile.VERSION, offsetCheckpointFormatter)
  }

  write(offsets: Iterable<TopicPartitionOffset>, sync = true): void {
    this.file.write(offsets, sync)
  }

  /** write() on libuv's thread pool (CheckpointFile.writeAsync). */
  writeAsync(offsets: Iterable<TopicPartitionOffset>): Promise<void> {
    return this.file.writeAsync(offsets)
  }

  read(): TopicPartitionOffset[] {
    return this.file.read()
  }

  /** The checkpoint as a map keyed by `topic-partition`. */
  readMap(): Map<string, number> {
    return new Map(this.read().map((e) => [`${e.topic}-${e.partition}`, e.offset]))
  }
}

export interface EpochEntry {
  epoch: number
  startOffset: number
}

/** "epoch startOffset" (LeaderEpochCheckpointFile). */
export const epochEntryFormatter: EntryFormatter<EpochEntry> = {
  toLine: (e) => `${e.epoch} ${e.startOffset}`,
  fromLine: (line) => {
    const parts = line.split(/\s+/)
    if (parts.length !== 2 || !/^-?\d+$/.test(parts[0]!) || !/^-?\d+$/.test(parts[1]!)) return undefined
    return { epoch: Number(parts[0]), startOffset: Number(parts[1]) }
  },
}
