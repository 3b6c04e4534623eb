import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { crc32c } from '../../protocol/records/crc32c.js'
import { CheckpointFile, epochEntryFormatter, OffsetCheckpointFile } from './checkpoint-file.js'
import { CorruptSnapshotError } from './errors.js'
import {
  atomicWriteFileAsync,
  atomicWriteFileSync,
  fdatasyncAsync,
  filenamePrefixFromOffset,
  flushDirAsync,
  fsyncQueue,
  offsetFromFileName,
  parseTopicPartitionName,
  SMALL_FILE_WRITE_SLOTS,
  smallFileWriteQueue,
  threadPoolSize,
} from './file-utils.js'
import { OffsetIndex, TimeIndex } from './indexes.js'
import { LeaderEpochFileCache } from './leader-epoch-cache.js'
import { readMetaProperties, writeMetaProperties } from './meta-properties.js'
import { readPartitionMetadata, writePartitionMetadata } from './partition-metadata.js'
import {
  decodeSnapshot,
  encodeSnapshot,
  ProducerStateEntry,
  readSnapshot,
  writeSnapshot,
} from './producer-state.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'samsa-files-'))
  dirs.push(d)
  return d
}

describe('checkpoint files', () => {
  it('writes Kafka offset checkpoints: version, count, "topic partition offset"', () => {
    const path = join(tempDir(), 'recovery-point-offset-checkpoint')
    const f = new OffsetCheckpointFile(path)
    f.write([
      { topic: 'foo', partition: 0, offset: 42 },
      { topic: 'bar-baz', partition: 12, offset: 9007199254740000 },
    ])
    expect(readFileSync(path, 'utf8')).toBe('0\n2\nfoo 0 42\nbar-baz 12 9007199254740000\n')
    expect(f.readMap()).toEqual(
      new Map([
        ['foo-0', 42],
        ['bar-baz-12', 9007199254740000],
      ]),
    )
  })

  it('reads empty and missing files as empty and rejects malformed ones', () => {
    const d = tempDir()
    expect(new OffsetCheckpointFile(join(d, 'missing')).read()).toEqual([])
    writeFileSync(join(d, 'empty'), '')
    expect(new OffsetCheckpointFile(join(d, 'empty')).read()).toEqual([])
    writeFileSync(join(d, 'v1'), '1\n0\n')
    expect(() => new OffsetCheckpointFile(join(d, 'v1')).read()).toThrow(/Unrecognised version/)
    writeFileSync(join(d, 'count'), '0\n2\nfoo 0 1\n')
    expect(() => new OffsetCheckpointFile(join(d, 'count')).read()).toThrow(/Expected \[2\] entries/)
    writeFileSync(join(d, 'bad'), '0\n1\nfoo 0\n')
    expect(() => new OffsetCheckpointFile(join(d, 'bad')).read()).toThrow(/Malformed line/)
  })

  it('is generic over entry formats', () => {
    const path = join(tempDir(), 'leader-epoch-checkpoint')
    const f = new CheckpointFile(path, 0, epochEntryFormatter)
    f.write([{ epoch: 3, startOffset: 10 }])
    expect(readFileSync(path, 'utf8')).toBe('0\n1\n3 10\n')
    expect(f.read()).toEqual([{ epoch: 3, startOffset: 10 }])
  })
})

describe('LeaderEpochFileCache', () => {
  it('assigns monotonic entries and checkpoints them', async () => {
    const path = join(tempDir(), 'leader-epoch-checkpoint')
    const c = new LeaderEpochFileCache(path)
    c.assign(2, 0)
    c.assign(2, 5) // same epoch, later offset: ignored
    c.assign(4, 10)
    expect(c.entries()).toEqual([
      { epoch: 2, startOffset: 0 },
      { epoch: 4, startOffset: 10 },
    ])
    await c.flushed()
    expect(readFileSync(path, 'utf8')).toBe('0\n2\n2 0\n4 10\n')
    // a conflicting entry truncates the ones that break monotonicity
    c.assign(3, 8)
    expect(c.entries()).toEqual([
      { epoch: 2, startOffset: 0 },
      { epoch: 3, startOffset: 8 },
    ])
    await c.flushed()
    expect(new LeaderEpochFileCache(path).entries()).toEqual(c.entries())
    expect(() => c.assign(-1, 0)).toThrow()
  })

  it('a cache loaded from its file does not write it again until its entries change', async () => {
    const path = join(tempDir(), 'leader-epoch-checkpoint')
    writeFileSync(path, '0\n2\n1 0\n2 10\n')
    const inode = statSync(path).ino
    const c = new LeaderEpochFileCache(path)
    await c.flushed()
    c.flushSync()
    c.close()
    expect(statSync(path).ino).toBe(inode) // not replaced
    const d = new LeaderEpochFileCache(path)
    d.assign(3, 20)
    await d.flushed()
    expect(readFileSync(path, 'utf8')).toBe('0\n3\n1 0\n2 10\n3 20\n')
  })

  it('truncateFromEndAsyncFlush (a log load) drops the entries at once and writes the file off the event loop', async () => {
    const path = join(tempDir(), 'leader-epoch-checkpoint')
    writeFileSync(path, '0\n2\n1 0\n2 10\n')
    const c = new LeaderEpochFileCache(path)
    c.truncateFromEndAsyncFlush(10)
    expect(c.entries()).toEqual([{ epoch: 1, startOffset: 0 }])
    expect(readFileSync(path, 'utf8')).toBe('0\n2\n1 0\n2 10\n') // not yet
    await c.flushed()
    expect(readFileSync(path, 'utf8')).toBe('0\n1\n1 0\n')
    c.truncateFromEndAsyncFlush(10) // nothing at or above 10: no write
    await c.flushed()
    expect(readFileSync(path, 'utf8')).toBe('0\n1\n1 0\n')
  })

  it('writes assigned entries off the event loop; a truncation writes at once and is never overwritten by an older write', async () => {
    const dir = tempDir()
    const path = join(dir, 'leader-epoch-checkpoint')
    const c = new LeaderEpochFileCache(path)
    c.assign(1, 0)
    expect(existsSync(path)).toBe(false) // not yet: the write runs on libuv's pool
    await c.flushed()
    expect(readFileSync(path, 'utf8')).toBe('0\n1\n1 0\n')
    c.assign(2, 10)
    c.assign(3, 20)
    await Promise.resolve() // the write of [1 0, 2 10, 3 20] is under way
    c.truncateFromEnd(10) // synchronous, as Kafka's truncation
    expect(readFileSync(path, 'utf8')).toBe('0\n1\n1 0\n')
    await c.flushed()
    expect(readFileSync(path, 'utf8')).toBe('0\n1\n1 0\n')
    expect(readdirSync(dir)).toEqual(['leader-epoch-checkpoint'])
    // a close writes what is pending and drops the writes not yet started
    c.assign(5, 30)
    c.close()
    expect(new LeaderEpochFileCache(path).entries()).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 5, startOffset: 30 },
    ])
    await c.flushed()
    expect(readdirSync(dir)).toEqual(['leader-epoch-checkpoint'])
  })

  it('answers endOffsetFor the way OffsetForLeaderEpoch does', () => {
    const c = new LeaderEpochFileCache(undefined)
    expect(c.endOffsetFor(0, 100)).toEqual({ epoch: -1, endOffset: -1 })
    c.assign(1, 10)
    c.assign(3, 20)
    c.assign(5, 30)
    expect(c.endOffsetFor(-1, 100)).toEqual({ epoch: -1, endOffset: -1 })
    expect(c.endOffsetFor(5, 100)).toEqual({ epoch: 5, endOffset: 100 }) // the latest epoch: the LEO
    expect(c.endOffsetFor(3, 100)).toEqual({ epoch: 3, endOffset: 30 })
    expect(c.endOffsetFor(4, 100)).toEqual({ epoch: 3, endOffset: 30 }) // unknown epoch: the one below
    expect(c.endOffsetFor(0, 100)).toEqual({ epoch: 0, endOffset: 10 }) // below all: the first start offset
    expect(c.endOffsetFor(6, 100)).toEqual({ epoch: -1, endOffset: -1 }) // above all
    expect(c.latestEpoch()).toBe(5)
    expect(c.previousEpoch()).toBe(3)
    expect(c.epochForOffset(25)).toBe(3)
    expect(c.epochForOffset(20)).toBe(3)
    expect(c.epochForOffset(5)).toBeUndefined()
  })

  it('truncates from the end and from the start', () => {
    const c = new LeaderEpochFileCache(undefined)
    c.assign(1, 10)
    c.assign(3, 20)
    c.assign(5, 30)
    c.truncateFromEnd(20)
    expect(c.entries()).toEqual([{ epoch: 1, startOffset: 10 }])
    c.assign(3, 20)
    c.assign(5, 30)
    c.truncateFromStart(25)
    expect(c.entries()).toEqual([
      { epoch: 3, startOffset: 25 },
      { epoch: 5, startOffset: 30 },
    ])
    c.truncateFromStart(30)
    expect(c.entries()).toEqual([{ epoch: 5, startOffset: 30 }])
    c.truncateFromStart(10)
    expect(c.entries()).toEqual([{ epoch: 5, startOffset: 30 }])
  })

  it('does not rewrite the checkpoint when truncating from the start changes nothing (each log load)', () => {
    const path = join(tempDir(), 'leader-epoch-checkpoint')
    const c = new LeaderEpochFileCache(path)
    c.assign(1, 10)
    c.assign(3, 20)
    writeFileSync(path, 'marker') // any rewrite would replace it
    c.truncateFromStart(10)
    expect(readFileSync(path, 'utf8')).toBe('marker')
    c.truncateFromStart(15)
    expect(new LeaderEpochFileCache(path).entries()).toEqual([
      { epoch: 1, startOffset: 15 },
      { epoch: 3, startOffset: 20 },
    ])
  })
})

describe('producer state snapshots', () => {
  it('use Kafka 3.9 layout: version 1, CRC-32C, int32-counted 46-byte entries', () => {
    const entries = [
      new ProducerStateEntry(1000, 3, 7, 1_700_000_000_123, 55, [
        { lastSeq: 9, lastOffset: 60, offsetDelta: 4, timestamp: 1_700_000_000_123 },
      ]),
      new ProducerStateEntry(2000, 0, -1, 42, undefined, []),
    ]
    const buf = encodeSnapshot(entries)
    expect(buf.length).toBe(2 + 4 + 4 + 2 * 46)
    expect(buf.readInt16BE(0)).toBe(1)
    expect(buf.readUInt32BE(2)).toBe(crc32c(buf, 6))
    expect(buf.readInt32BE(6)).toBe(2)
    // first entry, field by field
    expect(Number(buf.readBigInt64BE(10))).toBe(1000)
    expect(buf.readInt16BE(18)).toBe(3)
    expect(buf.readInt32BE(20)).toBe(9)
    expect(Number(buf.readBigInt64BE(24))).toBe(60)
    expect(buf.readInt32BE(32)).toBe(4)
    expect(Number(buf.readBigInt64BE(36))).toBe(1_700_000_000_123)
    expect(buf.readInt32BE(44)).toBe(7)
    expect(Number(buf.readBigInt64BE(48))).toBe(55)
    // the empty entry: no batch → last sequence -1, last offset -1, offset delta 0
    expect(buf.readInt32BE(56 + 10)).toBe(-1)
    expect(Number(buf.readBigInt64BE(56 + 14))).toBe(-1)
    expect(buf.readInt32BE(56 + 22)).toBe(0)
    expect(Number(buf.readBigInt64BE(56 + 38))).toBe(-1)

    const back = decodeSnapshot(buf)
    expect(back[0]).toMatchObject({
      producerId: 1000,
      producerEpoch: 3,
      coordinatorEpoch: 7,
      currentTxnFirstOffset: 55,
      lastTimestamp: 1_700_000_000_123,
    })
    expect(back[0]!.batchMetadata).toEqual([
      { lastSeq: 9, lastOffset: 60, offsetDelta: 4, timestamp: 1_700_000_000_123 },
    ])
    expect(back[0]!.firstSeq).toBe(5)
    expect(back[1]).toMatchObject({ producerId: 2000, currentTxnFirstOffset: undefined, batchMetadata: [] })

    const path = join(tempDir(), '00000000000000000061.snapshot')
    writeSnapshot(path, entries)
    expect(readFileSync(path).equals(buf)).toBe(true)
    expect(readSnapshot(path)).toHaveLength(2)
  })

  it('rejects a corrupt snapshot', () => {
    const buf = encodeSnapshot([new ProducerStateEntry(1, 0, -1, 0, undefined, [])])
    buf[20]! ^= 1
    expect(() => decodeSnapshot(buf)).toThrow(CorruptSnapshotError)
    const v = encodeSnapshot([])
    v.writeInt16BE(2, 0)
    expect(() => decodeSnapshot(v)).toThrow(/unknown file version/)
  })
})

describe('indexes', () => {
  it('ignore zero padding and refuse non-monotonic data', () => {
    const d = tempDir()
    const p = join(d, '00000000000000000100.index')
    const b = Buffer.alloc(80)
    b.writeInt32BE(5, 0)
    b.writeInt32BE(4097, 4)
    b.writeInt32BE(9, 8)
    b.writeInt32BE(8200, 12)
    writeFileSync(p, b)
    const idx = new OffsetIndex(p, 100, 1024)
    expect(idx.entries).toBe(2)
    expect(idx.lookup(104)).toEqual({ offset: 100, position: 0 })
    expect(idx.lookup(107)).toEqual({ offset: 105, position: 4097 })
    expect(idx.lookup(1000)).toEqual({ offset: 109, position: 8200 })
    idx.append(120, 9000)
    idx.close()
    expect(readFileSync(p).length).toBe(24)
    b.writeInt32BE(3, 8)
    writeFileSync(p, b)
    const bad = new OffsetIndex(p, 100, 1024)
    expect(bad.load()).toBe(false)
    writeFileSync(p, Buffer.alloc(13))
    expect(new OffsetIndex(p, 100, 1024).load()).toBe(false)
  })

  it('loads an index on the thread pool as load() would, unless it was renamed or loaded meanwhile', async () => {
    const d = tempDir()
    const p = join(d, '00000000000000000100.index')
    const b = Buffer.alloc(24)
    for (const [i, [rel, pos]] of [
      [5, 4097],
      [9, 8200],
    ].entries()) {
      b.writeInt32BE(rel!, i * 8)
      b.writeInt32BE(pos!, i * 8 + 4)
    }
    writeFileSync(p, b)
    const idx = new OffsetIndex(p, 100, 1024)
    await idx.loadAsync()
    writeFileSync(p, Buffer.alloc(0)) // what is in memory is what was read
    expect(idx.entries).toBe(2)
    expect(idx.lookup(107)).toEqual({ offset: 105, position: 4097 })
    writeFileSync(p, b)
    const renamed = new OffsetIndex(p, 100, 1024)
    const loading = renamed.loadAsync()
    renamed.renameTo(`${p}.deleted`)
    await loading
    writeFileSync(`${p}.deleted`, b.subarray(0, 8))
    expect(renamed.entries).toBe(1) // read from its new name, not taken from the read in flight
    const corrupt = new OffsetIndex(join(d, 'bad.index'), 100, 1024)
    writeFileSync(corrupt.path, Buffer.alloc(13))
    await corrupt.loadAsync()
    expect(corrupt.load()).toBe(false)
  })

  it('time index lookups and the reserved last slot', () => {
    const d = tempDir()
    const t = new TimeIndex(join(d, 'x.timeindex'), 0, 36)
    expect(t.lookup(5)).toEqual({ timestamp: -1, offset: 0 })
    t.maybeAppend(100, 3)
    t.maybeAppend(100, 4) // not larger: ignored
    t.maybeAppend(200, 9)
    expect(t.isFull()).toBe(true)
    expect(() => t.maybeAppend(300, 12)).toThrow(/full/)
    t.maybeAppend(300, 12, true)
    expect(t.lookup(250)).toEqual({ timestamp: 200, offset: 9 })
    t.truncateTo(9)
    expect(t.entries).toBe(1)
    expect(t.lastEntry()).toEqual({ timestamp: 100, offset: 3 })
  })
})

describe('small files', () => {
  it('partition.metadata', () => {
    const d = tempDir()
    expect(readPartitionMetadata(d)).toBeUndefined()
    writePartitionMetadata(d, 'KQ3ulyK0TV-FfsbDWWQFmg')
    expect(readFileSync(join(d, 'partition.metadata'), 'utf8')).toBe(
      'version: 0\ntopic_id: KQ3ulyK0TV-FfsbDWWQFmg\n',
    )
    expect(readPartitionMetadata(d)).toBe('KQ3ulyK0TV-FfsbDWWQFmg')
    writeFileSync(join(d, 'partition.metadata'), 'version: 1\ntopic_id: KQ3ulyK0TV-FfsbDWWQFmg\n')
    expect(() => readPartitionMetadata(d)).toThrow()
  })

  it('meta.properties', () => {
    const d = tempDir()
    expect(readMetaProperties(d)).toBeUndefined()
    writeMetaProperties(d, { version: '0', 'broker.id': '1', 'cluster.id': 'Ab-cD_ef0123456789ABCD' })
    const text = readFileSync(join(d, 'meta.properties'), 'utf8')
    expect(text.startsWith('#\n#')).toBe(true)
    expect(text).toContain('broker.id=1\n')
    expect(readMetaProperties(d)).toEqual({
      version: '0',
      'broker.id': '1',
      'cluster.id': 'Ab-cD_ef0123456789ABCD',
    })
    // a file written by Kafka
    writeFileSync(
      join(d, 'meta.properties'),
      '#\n#Tue Oct 22 10:00:00 UTC 2024\ncluster.id=x\\:y\nversion=0\nbroker.id = 3\n',
    )
    expect(readMetaProperties(d)).toEqual({ 'cluster.id': 'x:y', version: '0', 'broker.id': '3' })
  })

  it('file names', () => {
    expect(filenamePrefixFromOffset(42)).toBe('00000000000000000042')
    expect(offsetFromFileName('00000000000000000042.log.deleted')).toBe(42)
    expect(offsetFromFileName('leader-epoch-checkpoint')).toBeUndefined()
    expect(parseTopicPartitionName('/data/my-topic-12')).toEqual({ topic: 'my-topic', partition: 12 })
    expect(parseTopicPartitionName('my-topic-3.0123456789abcdef0123456789abcdef-delete')).toEqual({
      topic: 'my-topic',
      partition: 3,
    })
    expect(() => parseTopicPartitionName('nodash')).toThrow()
    expect(() => parseTopicPartitionName('topic-x')).toThrow()
  })
})

describe('fsyncs on the thread pool', () => {
  it("take at most half of libuv's pool; the rest wait their turn, in order", async () => {
    expect(threadPoolSize({})).toBe(4)
    expect(threadPoolSize({ UV_THREADPOOL_SIZE: '16' })).toBe(16)
    expect(threadPoolSize({ UV_THREADPOOL_SIZE: 'x' })).toBe(4)
    const dir = mkdtempSync(join(tmpdir(), 'samsa-fsync-'))
    const fds = Array.from({ length: 6 }, (_, i) => {
      writeFileSync(join(dir, `f${i}`), 'x')
      return openSync(join(dir, `f${i}`), 'r+')
    })
    try {
      const slots = Math.max(1, Math.floor(threadPoolSize() / 2))
      const done: number[] = []
      const all = [
        ...fds.map((fd, i) => fdatasyncAsync(fd).then(() => done.push(i))),
        flushDirAsync(dir).then(() => done.push(6)),
      ]
      expect(fsyncQueue()).toEqual({ running: slots, waiting: 7 - slots })
      await Promise.all(all)
      expect(fsyncQueue()).toEqual({ running: 0, waiting: 0 })
      expect(done).toHaveLength(7)
    } finally {
      for (const fd of fds) closeSync(fd)
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('atomic writes off the event loop', () => {
  it('serializes writes of one file, and a synchronous write meanwhile wins, with no temporary file left', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'samsa-atomic-'))
    const path = join(dir, 'replication-offset-checkpoint')
    try {
      await Promise.all([atomicWriteFileAsync(path, 'a\n'), atomicWriteFileAsync(path, 'b\n')])
      expect(readFileSync(path, 'utf8')).toBe('b\n')
      // a shutdown's synchronous checkpoint while a periodic one is under way (at any of its steps) or queued: the
      // newer one stays
      for (let turns = 0; turns < 12; turns++) {
        const first = atomicWriteFileAsync(path, 'old\n')
        const queued = atomicWriteFileAsync(path, 'older\n')
        for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r))
        atomicWriteFileSync(path, `new ${turns}\n`)
        await Promise.all([first, queued])
        expect(readFileSync(path, 'utf8')).toBe(`new ${turns}\n`)
        expect(readdirSync(dir)).toEqual(['replication-offset-checkpoint'])
      }
      // and later asynchronous writes take effect again
      await atomicWriteFileAsync(path, 'later\n')
      expect(readFileSync(path, 'utf8')).toBe('later\n')
      const cp = new OffsetCheckpointFile(path)
      await cp.writeAsync([{ topic: 't', partition: 0, offset: 42 }])
      expect(cp.read()).toEqual([{ topic: 't', partition: 0, offset: 42 }])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('small-file writes within their slots', () => {
  it('hold at most SMALL_FILE_WRITE_SLOTS descriptors however many files are written at once; the last content wins', async () => {
    const dir = tempDir()
    const openFds = (): number => readdirSync('/proc/self/fd').length
    const canCount = existsSync('/proc/self/fd')
    const before = canCount ? openFds() : 0
    let peak = 0
    let peakRunning = 0
    let sampling = true
    const sample = (): void => {
      if (canCount) peak = Math.max(peak, openFds() - before)
      peakRunning = Math.max(peakRunning, smallFileWriteQueue().running)
      if (sampling) setImmediate(sample)
    }
    sample()
    // as bench:scale's creation of thousands of partitions: partition.metadata and leader-epoch-checkpoint of each,
    // asked for in one turn of the event loop, some of them several times
    const files = 400
    const writes: Promise<void>[] = []
    const caches: LeaderEpochFileCache[] = []
    for (let i = 0; i < files; i++) {
      const path = join(dir, `p-${i}.metadata`)
      writes.push(atomicWriteFileAsync(path, 'first\n'))
      writes.push(atomicWriteFileAsync(path, `second ${i}\n`))
      if (i % 2 === 0) writes.push(atomicWriteFileAsync(path, () => `third ${i}\n`))
      const cache = new LeaderEpochFileCache(join(dir, `p-${i}.leader-epoch-checkpoint`))
      cache.assign(1, 0)
      cache.assign(2, i)
      caches.push(cache)
    }
    const settled = await Promise.allSettled([...writes, ...caches.map((c) => c.flushed())])
    sampling = false
    expect(settled.filter((r) => r.status === 'rejected')).toEqual([])
    expect(peakRunning).toBeLessThanOrEqual(SMALL_FILE_WRITE_SLOTS)
    expect(peakRunning).toBeGreaterThan(1)
    // each write holds its temporary file; a directory fsync holds one more (within the fsync slots)
    if (canCount) expect(peak).toBeLessThanOrEqual(SMALL_FILE_WRITE_SLOTS + threadPoolSize())
    for (let i = 0; i < files; i++) {
      expect(readFileSync(join(dir, `p-${i}.metadata`), 'utf8')).toBe(
        i % 2 === 0 ? `third ${i}\n` : `second ${i}\n`,
      )
      expect(readFileSync(join(dir, `p-${i}.leader-epoch-checkpoint`), 'utf8')).toBe(
        i === 0 ? '0\n1\n2 0\n' : `0\n2\n1 0\n2 ${i}\n`,
      )
    }
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([])
    expect(smallFileWriteQueue()).toEqual({ running: 0, waiting: 0 })
  })
})
