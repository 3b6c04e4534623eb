/**
 * Kafka's SkimpyOffsetMap: the log cleaner's key → latest offset map. Keys are stood in for by their MD5 hash
 * (16 bytes) and each entry takes 24 bytes of one fixed buffer (hash + int64 offset), so the map holds
 * `memory / 24` entries whatever the keys' sizes. Collisions are resolved by probing: the successive int32s of the
 * hash, then linear probing. No deletes.
 */
import { createHash } from 'node:crypto'

export interface OffsetMap {
  readonly slots: number
  put(key: Buffer, offset: number): void
  /** the offset of `key`, or -1 */
  get(key: Buffer): number
  updateLatestOffset(offset: number): void
  clear(): void
  readonly size: number
  /** the latest offset put (or set by updateLatestOffset); -1 when empty */
  readonly latestOffset: number
  /** size / slots */
  readonly utilization: number
}

const HASH_SIZE = 16

export class SkimpyOffsetMap implements OffsetMap {
  readonly bytesPerEntry = HASH_SIZE + 8
  readonly slots: number
  private readonly bytes: Buffer
  private entries = 0
  private lookups = 0
  private probes = 0
  private lastOffset = -1

  /** @param memory the bytes the map may use */
  constructor(memory: number) {
    this.slots = Math.floor(memory / this.bytesPerEntry)
    this.bytes = Buffer.alloc(this.slots * this.bytesPerEntry)
  }

  private hash(key: Buffer): Buffer {
    return createHash('md5').update(key).digest()
  }

  private isEmpty(pos: number): boolean {
    const b = this.bytes
    for (let i = 0; i < this.bytesPerEntry; i += 4) if (b.readUInt32BE(pos + i) !== 0) return false
    return true
  }

  /** The byte position of the `attempt`th probe (SkimpyOffsetMap.positionOf). */
  private positionOf(hash: Buffer, attempt: number): number {
    const probe =
      (hash.readInt32BE(Math.min(attempt, HASH_SIZE - 4)) + Math.max(0, attempt - HASH_SIZE + 4)) | 0
    // Utils.abs: Integer.MIN_VALUE maps to 0
    const abs = probe === -2147483648 ? 0 : Math.abs(probe)
    this.probes++
    return (abs % this.slots) * this.bytesPerEntry
  }

  /** The int64 offset after the hash (offsets are below 2^53). */
  private writeOffset(pos: number, offset: number): void {
    this.bytes.writeUInt32BE(Math.floor(offset / 2 ** 32), pos + HASH_SIZE)
    this.bytes.writeUInt32BE(offset >>> 0, pos + HASH_SIZE + 4)
  }

  private sameHash(hash: Buffer, pos: number): boolean {
    return this.bytes.compare(hash, 0, HASH_SIZE, pos, pos + HASH_SIZE) === 0
  }

  put(key: Buffer, offset: number): void {
    if (this.entries >= this.slots) {
      throw new Error(
        `Attempted to add a new entry to a full offset map, entries: ${this.entries}, slots: ${this.slots}`,
      )
    }
    this.lookups++
    const hash = this.hash(key)
    let attempt = 0
    let pos = this.positionOf(hash, attempt)
    while (!this.isEmpty(pos)) {
      if (this.sameHash(hash, pos)) {
        this.writeOffset(pos, offset)
        this.lastOffset = offset
        return
      }
      attempt++
      pos = this.positionOf(hash, attempt)
    }
    hash.copy(this.bytes, pos)
    this.writeOffset(pos, offset)
    this.lastOffset = offset
    this.entries++
  }

  get(key: Buffer): number {
    this.lookups++
    const hash = this.hash(key)
    const maxAttempts = this.slots + HASH_SIZE - 4
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const pos = this.positionOf(hash, attempt)
      if (this.isEmpty(pos)) return -1
      if (this.sameHash(hash, pos)) {
        return (
          this.bytes.readUInt32BE(pos + HASH_SIZE) * 2 ** 32 + this.bytes.readUInt32BE(pos + HASH_SIZE + 4)
        )
      }
    }
    return -1
  }

  updateLatestOffset(offset: number): void {
    this.lastOffset = offset
  }

  clear(): void {
    this.entries = 0
    this.lookups = 0
    this.probes = 0
    this.lastOffset = -1
    this.bytes.fill(0)
  }

  get size(): number {
    return this.entries
  }

  get latestOffset(): number {
    return this.lastOffset
  }

  get utilization(): number {
    return this.slots === 0 ? 0 : this.entries / this.slots
  }

  /** (probes - lookups) / lookups */
  get collisionRate(): number {
    return this.lookups === 0 ? 0 : (this.probes - this.lookups) / this.lookups
  }
}
