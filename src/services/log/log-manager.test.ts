import { spawnSync } from 'node:child_process'
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import { buildRecordBatch } from '../../protocol/records/batch.js'
import { ManualClock, ManualScheduler } from '../../util/scheduler.js'
import { defaultLogConfig, type LogConfig } from './log-config.js'
import {
  acquireDirLock,
  createAndValidateLogDirs,
  LogManager,
  type LogManagerOptions,
  releaseDirLock,
} from './log-manager.js'

const dirs: string[] = []
const managers: LogManager[] = []
afterEach(async () => {
  for (const m of managers.splice(0)) await m.shutdown()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'samsa-lm-'))
  dirs.push(d)
  return d
}

function setup(logDirs: string[], extra: Partial<LogManagerOptions> = {}, config: Partial<LogConfig> = {}) {
  const clock = new ManualClock(1_700_000_000_000)
  const scheduler = new ManualScheduler(clock)
  const make = (): LogManager => {
    const m = new LogManager({
      logDirs,
      scheduler,
      configFor: () => ({ ...defaultLogConfig(), ...config }),
      ...extra,
    })
    managers.push(m)
    return m
  }
  return { clock, scheduler, make }
}

const batch = (n = 1, ts = 1_700_000_000_000): Buffer =>
  buildRecordBatch({
    records: Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: 'v', timestamp: ts })),
    now: ts,
  })

function code(f: () => unknown): number {
  try {
    f()
  } catch (e) {
    if (e instanceof KafkaError) return e.code
    throw e
  }
  throw new Error('expected a KafkaError')
}

describe('LogManager', () => {
  it('writes partition.metadata off the event loop, and at the latest in a clean shutdown', async () => {
    const a = tempDir()
    const { make } = setup([a])
    const m = make()
    m.startup()
    m.getOrCreateLog({ topic: 'id', partition: 0 }, 'KQ3ulyK0TV-FfsbDWWQFmg')
    m.getOrCreateLog({ topic: 'id', partition: 1 }).assignTopicId('KQ3ulyK0TV-FfsbDWWQFmg')
    await m.shutdown()
    for (const p of [0, 1]) {
      expect(readFileSync(join(a, `id-${p}`, 'partition.metadata'), 'utf8')).toBe(
        'version: 0\ntopic_id: KQ3ulyK0TV-FfsbDWWQFmg\n',
      )
      expect(existsSync(join(a, `id-${p}`, 'partition.metadata.tmp'))).toBe(false)
    }
    const again = make()
    again.startup()
    expect(again.getLog('id', 1)?.topicId).toBe('KQ3ulyK0TV-FfsbDWWQFmg')
  })

  it('creates logs in the directory with the fewest partitions and reloads them after a clean shutdown', async () => {
    const a = tempDir()
    const b = tempDir()
    const { make } = setup([a, b])
    const m = make()
    m.startup()
    const l0 = m.getOrCreateLog({ topic: 't', partition: 0 }, 'KQ3ulyK0TV-FfsbDWWQFmg')
    const l1 = m.getOrCreateLog({ topic: 't', partition: 1 })
    const l2 = m.getOrCreateLog({ topic: 't', partition: 2 })
    expect(l0.parentDir).toBe(a)
    expect(l1.parentDir).toBe(b)
    expect(l2.parentDir).toBe(a)
    expect(m.getOrCreateLog({ topic: 't', partition: 0 })).toBe(l0)
    expect(m.getLog('t', 1)).toBe(l1)
    // written on libuv's pool, not on the request path
    expect(existsSync(join(a, 't-0', 'partition.metadata'))).toBe(false)
    await l0.topicIdWritten()
    expect(readFileSync(join(a, 't-0', 'partition.metadata'), 'utf8')).toBe(
      'version: 0\ntopic_id: KQ3ulyK0TV-FfsbDWWQFmg\n',
    )
    expect(code(() => m.getOrCreateLog({ topic: 't', partition: 0 }, 'AAAAAAAAAAAAAAAAAAAAAQ'))).toBe(
      ErrorCode.INCONSISTENT_TOPIC_ID,
    )
    for (let i = 0; i < 3; i++) l0.appendAsLeader(batch(2), { leaderEpoch: 0 })
    l1.appendAsLeader(batch(1), { leaderEpoch: 0 })
    l0.updateHighWatermark(6)
    l0.maybeIncrementLogStartOffset(2)
    expect(readFileSync(join(a, '.lock'), 'utf8').trim()).toBe(String(process.pid))
    await m.shutdown()

    expect(readFileSync(join(a, 'recovery-point-offset-checkpoint'), 'utf8')).toBe('0\n2\nt 0 6\nt 2 0\n')
    expect(readFileSync(join(b, 'recovery-point-offset-checkpoint'), 'utf8')).toBe('0\n1\nt 1 1\n')
    expect(readFileSync(join(a, 'log-start-offset-checkpoint'), 'utf8')).toBe('0\n1\nt 0 2\n')
    expect(readFileSync(join(b, 'log-start-offset-checkpoint'), 'utf8')).toBe('0\n0\n')
    expect(JSON.parse(readFileSync(join(a, '.kafka_cleanshutdown'), 'utf8'))).toEqual({
      version: 0,
      brokerEpoch: -1,
    })
    expect(existsSync(join(a, '.lock'))).toBe(false)
    expect(readdirSync(join(a, 't-0')).filter((n) => n.endsWith('.snapshot'))).toEqual([
      '00000000000000000006.snapshot',
    ])

    const m2 = make()
    m2.startup()
    expect(existsSync(join(a, '.kafka_cleanshutdown'))).toBe(false)
    expect(
      m2
        .allLogs()
        .map((l) => `${l.name}:${l.logStartOffset}-${l.logEndOffset}`)
        .sort(),
    ).toEqual(['t-0:2-6', 't-1:0-1', 't-2:0-0'])
    expect(m2.getLog('t', 0)!.topicId).toBe('KQ3ulyK0TV-FfsbDWWQFmg')
  })

  it('recovers the logs of a directory without a clean shutdown marker', () => {
    const a = tempDir()
    const { make } = setup([a])
    const m = make()
    m.startup()
    const log = m.getOrCreateLog({ topic: 'r', partition: 0 })
    log.appendAsLeader(batch(3), { leaderEpoch: 1 })
    const size = log.size
    // simulate kill -9: drop the manager without shutdown, garbage at the end of the segment
    log.closeHandlers()
    releaseDirLock(join(a, '.lock'))
    managers.splice(managers.indexOf(m), 1)
    appendFileSync(join(a, 'r-0', '00000000000000000000.log'), Buffer.from('torn write'))
    const m2 = make()
    m2.startup()
    const again = m2.getLog('r', 0)!
    expect(again.logEndOffset).toBe(3)
    expect(again.size).toBe(size)
  })

  it('deletes logs asynchronously after renaming them', async () => {
    const a = tempDir()
    const { make, scheduler } = setup([a], { fileDeleteDelayMs: 1000 })
    const m = make()
    m.startup()
    m.getOrCreateLog({ topic: 'gone', partition: 4 }).appendAsLeader(batch(), { leaderEpoch: 0 })
    const removed = m.deleteLog('gone', 4)!
    expect(m.getLog('gone', 4)).toBeUndefined()
    expect(removed.dir).toMatch(/gone-4\.[0-9a-f]{32}-delete$/)
    expect(existsSync(removed.dir)).toBe(true)
    expect(existsSync(join(a, 'gone-4'))).toBe(false)
    await scheduler.advance(1000)
    expect(existsSync(removed.dir)).toBe(false)
    // a deletion interrupted by a crash is finished at the next startup
    mkdirSync(join(a, 'old-0.0123456789abcdef0123456789abcdef-delete'))
    mkdirSync(join(a, 'stray-1.0123456789abcdef0123456789abcdef-stray'))
    await m.shutdown()
    const m2 = make()
    m2.startup()
    expect(readdirSync(a).filter((n) => n.includes('-delete') || n.includes('-stray'))).toEqual([])
    expect(m2.allLogs()).toEqual([])
  })

  it('runs retention, flush and checkpoint tasks on its scheduler', async () => {
    const a = tempDir()
    const { make, scheduler, clock } = setup(
      [a],
      {
        retentionCheckMs: 1000,
        flushCheckMs: 500,
        flushRecoveryOffsetCheckpointMs: 700,
        initialTaskDelayMs: 0,
      },
      { segmentBytes: 300, retentionMs: 10_000, flushMs: 2000 },
    )
    const m = make()
    m.startup()
    const log = m.getOrCreateLog({ topic: 'ret', partition: 0 })
    for (let i = 0; i < 10; i++) log.appendAsLeader(batch(1, clock.now()), { leaderEpoch: 0 })
    log.updateHighWatermark(log.logEndOffset)
    const segments = log.numberOfSegments
    expect(segments).toBeGreaterThan(2)
    await scheduler.advance(0) // background flush of rolled segments
    const rp = log.recoveryPoint
    expect(rp).toBeLessThan(10)
    await scheduler.advance(2500) // flush.ms passed
    expect(log.recoveryPoint).toBe(10)
    expect(readFileSync(join(a, 'recovery-point-offset-checkpoint'), 'utf8')).toBe('0\n1\nret 0 10\n')
    clock.advance(20_000)
    await scheduler.advance(1000)
    expect(log.numberOfSegments).toBe(1)
    expect(log.logStartOffset).toBe(10)
  })

  it('applies configuration changes to a topic or one log', () => {
    const a = tempDir()
    const { make } = setup([a])
    const m = make()
    m.startup()
    const log = m.getOrCreateLog({ topic: 'c', partition: 0 })
    m.updateConfig('c', { ...defaultLogConfig(), retentionMs: 5 })
    expect(log.config.retentionMs).toBe(5)
    m.updateConfig(log, { ...defaultLogConfig(), retentionMs: 6 })
    expect(log.config.retentionMs).toBe(6)
    expect(m.getOrCreateLog({ topic: 'c', partition: 1 }).config.retentionMs).toBe(6)
  })
})

describe('createAndValidateLogDirs', () => {
  it('creates missing directories with their parents and their .lock file', () => {
    const d = join(tempDir(), 'a', 'b')
    createAndValidateLogDirs([d])
    expect(existsSync(join(d, '.lock'))).toBe(true)
  })

  it('fails with a message naming the directory when it is a file or cannot be created', () => {
    const file = join(tempDir(), 'file')
    writeFileSync(file, '')
    expect(() => createAndValidateLogDirs([file])).toThrow(
      `Failed to create data directory ${file}: a path component is a file, not a directory (ENOTDIR)`,
    )
    if (existsSync('/proc/self'))
      expect(() => createAndValidateLogDirs(['/proc/samsa-nope'])).toThrow(
        'Failed to create data directory /proc/samsa-nope: no such file or directory (ENOENT)',
      )
  })

  it.runIf(existsSync('/proc/self'))('fails for a directory it cannot write', () => {
    expect(() => createAndValidateLogDirs(['/proc/self'])).toThrow(
      /^\/proc\/self is not a writable log directory: /,
    )
  })
})

describe('log directory lock', () => {
  it('stops two managers from using one directory', () => {
    const a = tempDir()
    const { make } = setup([a])
    make().startup()
    const second = make()
    expect(code(() => second.startup())).toBe(ErrorCode.KAFKA_STORAGE_ERROR)
  })

  it('refuses a lock held by a live process and takes over a stale or empty one', () => {
    const a = tempDir()
    writeFileSync(join(a, '.lock'), `${process.ppid}\n`)
    expect(code(() => acquireDirLock(a))).toBe(ErrorCode.KAFKA_STORAGE_ERROR)
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!
    writeFileSync(join(a, '.lock'), `${dead}\n`)
    const p = acquireDirLock(a)
    expect(readFileSync(p, 'utf8').trim()).toBe(String(process.pid))
    releaseDirLock(p)
    expect(existsSync(p)).toBe(false)
    writeFileSync(join(a, '.lock'), '') // the empty file a Kafka broker leaves behind
    const q = acquireDirLock(a)
    releaseDirLock(q)
  })
})
