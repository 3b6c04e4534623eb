/**
 * Disk faults (issue 12), with real file systems (root only: the tests mount them).
 *
 *  - Disk full: a standalone broker on a 40 MB tmpfs takes 60 MB. Appends are refused with KAFKA_STORAGE_ERROR
 *    (never UNKNOWN_SERVER_ERROR), the broker keeps serving, every acknowledged record stays readable, the failing
 *    checkpoint writes are logged once rather than every period, DeleteRecords and retention free space and writes
 *    resume by themselves; filled again, DeleteTopics works and frees the space; the metadata file is never torn
 *    and no temporary file is left.
 *  - Disk failure (EIO) under an acks=all idempotent load runs on an in-process cluster
 *    (failover-in-process.test.ts): the real-process test of the disk fault class is the full disk above.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { type BrokerProcess, printBrokerLogsOnFailure, startBroker } from './support/broker.js'
import { logLines, produceTo } from './support/cluster.js'
import { canMount, freeBytes, mountTmpfs, tempFiles, unmountAll } from './support/disk.js'
import { scratchDir, uniqueName, waitFor } from './support/env.js'
import { createTopic, kafkajs, withAdmin } from './support/kafkajs.js'
import { kcatConsume } from './support/kcat.js'

printBrokerLogsOnFailure()

let broker: BrokerProcess | undefined

afterAll(async () => {
  await broker?.kill()
  await unmountAll()
})

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
    await b.stop()
  })
})
