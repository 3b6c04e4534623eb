/**
 * Disk faults (issue 12), with real file systems (root only: the tests mount them).
 *
 *  - Disk full: a standalone broker on a 40 MB tmpfs takes 60 MB. Appends are refused with KAFKA_STORAGE_ERROR
 *    (never UNKNOWN_SERVER_ERROR), the broker keeps serving, every acknowledged record stays readable, the failing
 *    checkpoint writes are logged once rather than every period, DeleteRecords and retention free space and writes
 *    resume by themselves; filled again, DeleteTopics works and frees the space; the metadata file is never torn
 *    and no temporary file is left.
 *  - Disk full in a three-broker cluster (ZooKeeper, RF 3): the leader's and one follower's log directories are
 *    tmpfs mounts of 40 and 24 MB (the follower fills first); acks=all and acks=1 load fills them. Every broker stays up and answers, no promise
 *    rejects unhandled (an index write failing after the bytes were queued once left one per refused append),
 *    every record acknowledged to acks=all stays readable; after the topic is deleted a new RF 3 topic takes writes on
 *    all three (a full disk is transient here — storage-faults.ts — not an offline log directory).
 *  - Disk failure (EIO) under an acks=all idempotent load runs on an in-process cluster
 *    (failover-in-process.test.ts): the real-process test of the disk fault class is the full disk above.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { type BrokerProcess, printBrokerLogsOnFailure, startBroker } from './support/broker.js'
import { type Cluster, logLines, metadataOf, produceTo, startCluster } from './support/cluster.js'
import { canMount, freeBytes, mountTmpfs, tempFiles, unmountAll } from './support/disk.js'
import { scratchDir, uniqueName, waitFor } from './support/env.js'
import { createTopic, kafkajs, withAdmin } from './support/kafkajs.js'
import { kcatConsume, kcatProduce } from './support/kcat.js'

printBrokerLogsOnFailure()

let broker: BrokerProcess | undefined
let cluster: Cluster | undefined

afterAll(async () => {
  await broker?.kill()
  await cluster?.stop({ removeData: false }) // (the data dirs are mount points: unmounted below)
  await unmountAll()
})

const unhandled = (b: BrokerProcess): string[] => logLines(b.logFile, /Unhandled promise rejection/)

const KB = 1024
/** One batch of `n` records of 1 KiB, tagged. */
const batch = (tag: string, n = 256): Array<{ key: string; value: string }> =>
  Array.from({ length: n }, (_, i) => ({ key: `${tag}-${i}`, value: `${tag}:${i}:`.padEnd(KB, 'x') }))

/** Produces batches until `count` are sent or `stopAfterErrors` fail in a row; what was acknowledged, and the errors. */
async function fill(
  b: BrokerProcess,
  topic: string,
  prefix: string,
  count: number,
): Promise<{ acked: Array<{ tag: string; offset: number; n: number }>; errors: number[] }> {
  const acked: Array<{ tag: string; offset: number; n: number }> = []
  const errors: number[] = []
  // 256 KiB batches until they are refused, then single records until they are too: the disk is full to the brim
  let n = 256
  let inARow = 0
  for (let i = 0; i < count && (n > 1 || inARow < 5); i++) {
    const tag = `${prefix}${i}`
    const r = await produceTo(b, topic, 0, -1, batch(tag, n))
    if (r.errorCode === 0) {
      acked.push({ tag, offset: Number(r.baseOffset), n })
      inARow = 0
    } else {
      errors.push(r.errorCode)
      if (++inARow >= 3 && n > 1) {
        n = 1
        inARow = 0
      }
    }
  }
  return { acked, errors }
}

const metadataFileIsWhole = (dir: string): boolean => {
  const j = JSON.parse(readFileSync(join(dir, 'samsa-metadata.json'), 'utf8')) as { format: string }
  return j.format === 'samsa-metadata'
}

describe.runIf(canMount)('disk faults', () => {
  it('a full disk: KAFKA_STORAGE_ERROR, nothing acknowledged lost, space freed by DeleteRecords and DeleteTopics, writes resume', async () => {
    const dir = await scratchDir('tmpfs-full')
    await mountTmpfs(dir, 40)
    broker = await startBroker({
      dataDir: dir,
      logLevel: 'debug', // to see the checkpoint retries that are not logged as errors
      overrides: {
        'log.segment.bytes': 4 * KB * KB,
        'log.segment.delete.delay.ms': 500,
        'log.initial.task.delay.ms': 500,
        'log.retention.check.interval.ms': 1000,
        'log.flush.offset.checkpoint.interval.ms': 500,
        'log.flush.start.offset.checkpoint.interval.ms': 500,
        'replica.high.watermark.checkpoint.interval.ms': 500,
      },
    })
    const b = broker
    const topic = uniqueName('fill')
    await createTopic(b.bootstrap, topic)

    // 60 MB into 40 MB
    const first = await fill(b, topic, 'a', 400)
    expect(first.errors.length, 'some appends were refused').toBeGreaterThan(0)
    expect(new Set(first.errors), 'refused with KAFKA_STORAGE_ERROR only').toEqual(new Set([56]))
    expect(b.isRunning).toBe(true)
    const ackedRecords = first.acked.reduce((n, a) => n + a.n, 0)
    console.log(
      `[faults-disk] ${ackedRecords} records of 1 KiB acknowledged before the disk was full, ${freeBytes(dir)} bytes free, ` +
        `${first.errors.length} appends refused`,
    )
    const errorLines = (re: RegExp): number =>
      logLines(b.logFile, re).filter((l) => l.includes('"level":50')).length
    // The periodic checkpoints keep failing meanwhile: each failure is logged once, not every 500 ms.
    await waitFor(
      'the checkpoints to have failed again several times',
      () => logLines(b.logFile, /still failing/).length >= 9,
      {
        timeoutMs: 20_000,
        intervalMs: 200,
      },
    )
    for (const what of [
      /recovery offsets checkpoint/,
      /log start offsets checkpoint/,
      /high watermark checkpoint/,
    ]) {
      expect(errorLines(what), `${String(what)} failures logged as errors`).toBeLessThanOrEqual(1)
    }
    expect(errorLines(/is full: appends are refused/)).toBe(1)

    // every acknowledged record is readable, at its offset
    const read = await kcatConsume(b.bootstrap, topic, { timeoutMs: 120_000 })
    expect(read.length).toBe(ackedRecords)
    const byOffset = new Map(read.map((m) => [m.offset, m.payload]))
    for (const a of first.acked) expect(byOffset.get(a.offset)?.startsWith(`${a.tag}:0:`)).toBe(true)

    // DeleteRecords up to the end frees the old segments (retention acts on the log start offset)
    await withAdmin(kafkajs(b.bootstrap), async (admin) => {
      const [end] = await admin.fetchTopicOffsets(topic) // (also loads the topic's metadata into kafkajs)
      await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: end!.high }] })
    })
    // writes resume by themselves once the space is back
    await waitFor(
      'an append to be accepted again',
      async () => (await produceTo(b, topic, 0, -1, batch('again'))).errorCode === 0,
      { timeoutMs: 30_000, intervalMs: 500 },
    )
    expect(logLines(b.logFile, /takes appends again/).length).toBeGreaterThan(0)

    // full again; then DeleteTopics rescues it
    const second = await fill(b, topic, 'b', 400)
    expect(second.errors.length).toBeGreaterThan(0)
    await withAdmin(kafkajs(b.bootstrap), (admin) => admin.deleteTopics({ topics: [topic], timeout: 20_000 }))
    const next = uniqueName('after')
    await waitFor(
      'room for a new topic after the deletion',
      async () => {
        try {
          await createTopic(b.bootstrap, next)
          return true
        } catch {
          return false
        }
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    )
    await waitFor(
      'an append to the new topic',
      async () => (await produceTo(b, next, 0, -1, batch('new'))).errorCode === 0,
      {
        timeoutMs: 30_000,
        intervalMs: 500,
      },
    )
    expect(metadataFileIsWhole(dir)).toBe(true)
    // no temporary file left behind by a failed write (it would take space); the periodic checkpoints (every
    // 500 ms here) each have one while their write is under way, so wait for a moment with none
    await waitFor('no temporary file in the log directory', () => tempFiles(dir).length === 0, {
      timeoutMs: 10_000,
      intervalMs: 20,
    })
    expect(logLines(b.logFile, /UNKNOWN_SERVER_ERROR|Unknown broker error/)).toEqual([])
    expect(unhandled(b)).toEqual([])
    await b.stop()
  })

  it('an index entry that finds no room after its records were queued: KAFKA_STORAGE_ERROR, the broker answers, nothing rejects unhandled', async () => {
    const dir = await scratchDir('tmpfs-index')
    await mountTmpfs(dir, 16)
    const b = (broker = await startBroker({ dataDir: dir }))
    const topic = uniqueName('index')
    await createTopic(b.bootstrap, topic)
    // 256 KiB: the segment's last page has room left; no index entry yet (one comes every index.interval.bytes)
    expect((await produceTo(b, topic, 0, -1, batch('a'))).errorCode).toBe(0)
    // the file system full to the last page
    const filler = join(dir, 'filler')
    const fd = openSync(filler, 'w')
    const block = Buffer.alloc(4096, 1)
    try {
      for (;;) writeSync(fd, block)
    } catch (e) {
      expect((e as NodeJS.ErrnoException).code).toBe('ENOSPC')
    } finally {
      closeSync(fd)
    }
    // a small batch fits in the segment's last page, its offset index entry needs a new page: the append is
    // refused after its bytes were queued for the write-behind (that promise once rejected unhandled)
    for (let i = 0; i < 3; i++)
      expect((await produceTo(b, topic, 0, -1, batch(`small${i}`, 1))).errorCode).toBe(56)
    expect(b.isRunning).toBe(true)
    expect((await metadataOf(b, [topic])).topics[0]?.errorCode).toBe(0)
    rmSync(filler)
    await waitFor(
      'an append to be accepted again',
      async () => (await produceTo(b, topic, 0, -1, batch('again', 1))).errorCode === 0,
      { timeoutMs: 30_000, intervalMs: 200 },
    )
    await b.stop() // (its log written out)
    expect(unhandled(b)).toEqual([])
  })

  it('three brokers, the leader and a follower full: every broker stays up and answers, nothing rejects unhandled, writes resume after a deletion', async () => {
    const c = (cluster = await startCluster({
      size: 3,
      start: false,
      overrides: {
        'log.segment.bytes': 4 * KB * KB,
        'log.segment.delete.delay.ms': 500,
        'replica.lag.time.max.ms': 3000,
        'min.insync.replicas': 2,
        'log.flush.offset.checkpoint.interval.ms': 500,
        'replica.high.watermark.checkpoint.interval.ms': 500,
      },
    }))
    // the follower's the smaller: it fills first (its fetched appends fail), then the leader's
    await mountTmpfs(c.broker(0).dataDir, 40)
    await mountTmpfs(c.broker(1).dataDir, 24)
    // (and until every broker knows the others: else the replica assignment below may name one it has not seen)
    await c.ensureRunning()
    const topic = uniqueName('fill3')
    await withAdmin(kafkajs(c.bootstrapAll()), (admin) =>
      admin.createTopics({
        waitForLeaders: true,
        timeout: 20_000,
        topics: [{ topic, replicaAssignment: [{ partition: 0, replicas: [0, 1, 2] }] }],
      }),
    )
    await c.waitForTopic(topic, 1)
    const leader = c.broker(0)
    // 60 MB each way into 40 MB: acks=all, then acks=1
    const acked: Array<{ tag: string; offset: number }> = []
    const errors = new Set<number>()
    for (const acks of [-1, 1]) {
      let refused = 0
      for (let i = 0; i < 240 && refused < 10; i++) {
        const tag = `${acks}-${i}`
        const r = await produceTo(leader, topic, 0, acks, batch(tag), 5_000).catch(() => undefined)
        if (r?.errorCode === 0) {
          acked.push({ tag, offset: Number(r.baseOffset) })
        } else {
          refused++
          if (r) errors.add(r.errorCode)
        }
      }
    }
    // then a librdkafka producer (kcat: several Produce requests in flight, batches of 1 KiB records) against the
    // full disks, which is what once left an unhandled rejection per refused append (bench:replication)
    for (const acks of [-1, 1]) {
      const records = Array.from({ length: 20_000 }, (_, i) => ({
        value: `kcat${acks}-${i}:`.padEnd(KB, 'x'),
      }))
      await kcatProduce(c.bootstrapAll().join(','), topic, records, {
        acks,
        partition: 0,
        props: { 'message.timeout.ms': 5000 },
        timeoutMs: 60_000,
      }).catch(() => undefined) // (delivery failures: the disks are full)
    }
    expect(errors.size, 'appends were refused').toBeGreaterThan(0)
    // KAFKA_STORAGE_ERROR, or (acks=all) NOT_ENOUGH_REPLICAS / REQUEST_TIMED_OUT once the full follower fell
    // behind: never an unknown error
    for (const e of errors) expect([56, 19, 20, 7]).toContain(e)
    console.log(
      `[faults-disk] 3 brokers: ${acked.length} batches of 256 KiB acknowledged, refused with ${[...errors].join(',')}; ` +
        `free: ${freeBytes(c.broker(0).dataDir)}, ${freeBytes(c.broker(1).dataDir)} bytes`,
    )
    // the followers kept fetching (and failing to append) for a while: every broker is up and answers
    await waitFor(
      'the full follower to have retried its appends',
      () => logLines(c.broker(1).logFile, /KAFKA_STORAGE_ERROR|is full/).length > 0,
    )
    for (const b of c.brokers) {
      expect(b.isRunning, `broker ${b.id} running`).toBe(true)
      const md = await metadataOf(b, [topic])
      expect(md.topics[0]?.errorCode, `broker ${b.id} answers Metadata`).toBe(0)
      expect(unhandled(b), `broker ${b.id}: no unhandled rejection`).toEqual([])
    }
    // every record acknowledged to acks=all is readable, at its offset
    const read = await kcatConsume(c.bootstrap(0), topic, { timeoutMs: 120_000 })
    const byOffset = new Map(read.map((m) => [m.offset, m.payload]))
    for (const a of acked.filter((x) => x.tag.startsWith('-1-')))
      expect(byOffset.get(a.offset)?.startsWith(`${a.tag}:0:`), `${a.tag} at ${a.offset}`).toBe(true)

    // space freed: the topic deleted, a new RF 3 topic takes acks=all writes on all three
    await withAdmin(kafkajs(c.bootstrapAll()), (admin) =>
      admin.deleteTopics({ topics: [topic], timeout: 20_000 }),
    )
    const next = uniqueName('after3')
    await waitFor(
      'a new RF 3 topic to be created',
      async () => {
        try {
          await withAdmin(kafkajs(c.bootstrapAll()), (admin) =>
            admin.createTopics({
              waitForLeaders: true,
              timeout: 10_000,
              topics: [{ topic: next, replicaAssignment: [{ partition: 0, replicas: [0, 1, 2] }] }],
            }),
          )
          return true
        } catch {
          return false
        }
      },
      { timeoutMs: 60_000, intervalMs: 1000 },
    )
    await c.waitForTopic(next, 1)
    await waitFor(
      'an acks=all append to the new topic',
      async () =>
        (await produceTo(leader, next, 0, -1, batch('new'), 5_000).catch(() => undefined))?.errorCode === 0,
      { timeoutMs: 60_000, intervalMs: 500 },
    )
    await waitFor(
      'every broker to be in the ISR of the new topic',
      async () => (await c.partitionState(next, 0))?.isr.length === 3,
      { timeoutMs: 60_000, intervalMs: 500 },
    )
    for (const b of c.brokers) {
      expect(b.isRunning).toBe(true)
      expect(unhandled(b)).toEqual([])
      expect(logLines(b.logFile, /UNKNOWN_SERVER_ERROR|Unknown broker error/)).toEqual([])
    }
  })
})
