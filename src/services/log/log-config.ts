/**
 * Topic-level log configuration with Kafka's semantics and Kafka 3.9's defaults (LogConfig / ServerLogConfigs).
 * A plain object: the properties layer maps `segment.bytes` etc. (and the broker-level `log.*` defaults) onto it.
 * Durations are milliseconds; "unlimited" longs are {@link LONG_MAX}.
 */

/** Java's Long.MAX_VALUE as a JS number (rounds to 2^63); anything at or above 2^53 is treated as infinite. */
export const LONG_MAX = 2 ** 63

export type MessageTimestampType = 'CreateTime' | 'LogAppendTime'

export interface LogConfig {
  /** segment.bytes (1 GiB) */
  segmentBytes: number
  /** segment.ms (7 days) */
  segmentMs: number
  /** segment.jitter.ms (0) */
  segmentJitterMs: number
  /** segment.index.bytes (10 MiB): the maximum size of .index / .timeindex files */
  segmentIndexBytes: number
  /** index.interval.bytes (4096) */
  indexIntervalBytes: number
  /** retention.ms (7 days); -1 = unlimited */
  retentionMs: number
  /** retention.bytes (-1 = unlimited) */
  retentionBytes: number
  /** flush.messages (Long.MAX: leave it to the OS) */
  flushMessages: number
  /** flush.ms (Long.MAX: leave it to the OS) */
  flushMs: number
  /** max.message.bytes (1048588) */
  maxMessageBytes: number
  /** message.timestamp.type */
  messageTimestampType: MessageTimestampType
  /** message.timestamp.before.max.ms (Long.MAX) */
  messageTimestampBeforeMaxMs: number
  /** message.timestamp.after.max.ms (Long.MAX in 3.9) */
  messageTimestampAfterMaxMs: number
  /** cleanup.policy: any of 'delete', 'compact' */
  cleanupPolicy: string[]
  /** file.delete.delay.ms (60000) */
  fileDeleteDelayMs: number
  /** preallocate (false) */
  preallocate: boolean
  /** compression.type ('producer'): the codec the leader stores batches in (producer: the batch's own) */
  compressionType: string
  /** compression.gzip.level (-1: zlib's default) when re-encoding to gzip */
  compressionGzipLevel: number
  /** compression.lz4.level (9, the only level Samsa's LZ4 encoder honours: see definitions.ts lz4LevelValidator) */
  compressionLz4Level: number
  /** compression.zstd.level (3) when re-encoding to zstd */
  compressionZstdLevel: number
  /** delete.retention.ms (1 day) */
  deleteRetentionMs: number
  /** min.compaction.lag.ms (0) */
  minCompactionLagMs: number
  /** max.compaction.lag.ms (Long.MAX) */
  maxCompactionLagMs: number
  /** min.cleanable.dirty.ratio (0.5) */
  minCleanableDirtyRatio: number
}

export function defaultLogConfig(): LogConfig {
  return {
    segmentBytes: 1024 * 1024 * 1024,
    segmentMs: 7 * 24 * 60 * 60 * 1000,
    segmentJitterMs: 0,
    segmentIndexBytes: 10 * 1024 * 1024,
    indexIntervalBytes: 4096,
    retentionMs: 7 * 24 * 60 * 60 * 1000,
    retentionBytes: -1,
    flushMessages: LONG_MAX,
    flushMs: LONG_MAX,
    maxMessageBytes: 1024 * 1024 + 12,
    messageTimestampType: 'CreateTime',
    messageTimestampBeforeMaxMs: LONG_MAX,
    messageTimestampAfterMaxMs: LONG_MAX,
    cleanupPolicy: ['delete'],
    fileDeleteDelayMs: 60000,
    preallocate: false,
    compressionType: 'producer',
    compressionGzipLevel: -1,
    compressionLz4Level: 9,
    compressionZstdLevel: 3,
    deleteRetentionMs: 24 * 60 * 60 * 1000,
    minCompactionLagMs: 0,
    maxCompactionLagMs: LONG_MAX,
    minCleanableDirtyRatio: 0.5,
  }
}

/** True when `v` stands for "no limit" (Long.MAX or anything a double cannot count exactly). */
export function isUnbounded(v: number): boolean {
  return v >= Number.MAX_SAFE_INTEGER
}

export function isCompacted(c: LogConfig): boolean {
  return c.cleanupPolicy.includes('compact')
}

export function isDeleteEnabled(c: LogConfig): boolean {
  return c.cleanupPolicy.includes('delete')
}

/** LogConfig.randomSegmentJitter: a random value in [0, min(segment.jitter.ms, segment.ms)). */
export function randomSegmentJitter(c: LogConfig): number {
  if (c.segmentJitterMs <= 0) return 0
  return Math.floor(Math.random() * Math.min(c.segmentJitterMs, c.segmentMs))
}

/** Kafka's topic config name of each LogConfig field. */
const KAFKA_NAMES: Readonly<Record<keyof LogConfig, string>> = {
  segmentBytes: 'segment.bytes',
  segmentMs: 'segment.ms',
  segmentJitterMs: 'segment.jitter.ms',
  segmentIndexBytes: 'segment.index.bytes',
  indexIntervalBytes: 'index.interval.bytes',
  retentionMs: 'retention.ms',
  retentionBytes: 'retention.bytes',
  flushMessages: 'flush.messages',
  flushMs: 'flush.ms',
  maxMessageBytes: 'max.message.bytes',
  messageTimestampType: 'message.timestamp.type',
  messageTimestampBeforeMaxMs: 'message.timestamp.before.max.ms',
  messageTimestampAfterMaxMs: 'message.timestamp.after.max.ms',
  cleanupPolicy: 'cleanup.policy',
  fileDeleteDelayMs: 'file.delete.delay.ms',
  preallocate: 'preallocate',
  compressionType: 'compression.type',
  compressionGzipLevel: 'compression.gzip.level',
  compressionLz4Level: 'compression.lz4.level',
  compressionZstdLevel: 'compression.zstd.level',
  deleteRetentionMs: 'delete.retention.ms',
  minCompactionLagMs: 'min.compaction.lag.ms',
  maxCompactionLagMs: 'max.compaction.lag.ms',
  minCleanableDirtyRatio: 'min.cleanable.dirty.ratio',
}

/** A long as Kafka prints it (Long.MAX_VALUE rather than 2^63). */
export function formatLong(n: number): string {
  return n >= LONG_MAX ? '9223372036854775807' : String(n)
}

/**
 * The settings that differ from Kafka's defaults, as Kafka's LogConfig.overriddenConfigsAsLoggableString prints
 * them: `{cleanup.policy=compact, segment.bytes=104857600}`.
 */
export function overriddenConfigsString(cfg: LogConfig): string {
  const defaults = defaultLogConfig()
  const out: string[] = []
  for (const key of Object.keys(KAFKA_NAMES) as (keyof LogConfig)[]) {
    const v = cfg[key]
    const d = defaults[key]
    if (Array.isArray(v) ? v.join(',') === (d as string[]).join(',') : v === d) continue
    const text = Array.isArray(v) ? v.join(',') : typeof v === 'number' ? formatLong(v) : String(v)
    out.push(`${KAFKA_NAMES[key]}=${text}`)
  }
  return `{${out.sort().join(', ')}}`
}
