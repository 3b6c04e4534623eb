/**
 * Disk faults (issue 12), with real file systems (root only: the tests mount them).
 *
 *  - Disk full: a standalone broker on a 40 MB tmpfs takes 60 MB. Appends are refused with KAFKA_STORAGE_ERROR
 *    (never UNKNOWN_SERVER_ERROR), the broker keeps serving, every acknowledged record stays readable, the failing
 *    checkpoint writes are logged once rather than every period, DeleteRecords and retention free space and writes
 *    resume by themselves; filled again, DeleteTopics works and frees the space; the metadata file is never torn
 *    and no temporary file is left.
 *  - Disk failure: the ext4 holding the log directory of a broker of a 3-broker cluster is shut down under an
 *    acks=all idempotent load (every I/O fails with EIO, as on a failing disk): the broker halts as Kafka does when its last log
 *    directory fails ("all log dirs ... have failed", exit status 1), leadership moves, and the checker finds
 *    nothing acknowledged lost or duplicated; with the disk back, the broker rejoins and the replicas are
 *    byte-identical.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { type BrokerProcess, printBrokerLogsOnFailure, startBroker } from './support/broker.js'
import { Checker, replicaDivergence } from './support/checker.js'
import {
  type Cluster,
  highWatermarkOf,
  logLines,
  produceTo,
  reportForeignSignals,
  startCluster,
} from './support/cluster.js'
import {
  canMount,
  failDisk,
  freeBytes,
  mountExt4,
  mountTmpfs,
  repairDisk,
  tempFiles,
  unmountAll,
} from './support/disk.js'
import { scratchDir, uniqueName, waitFor } from './support/env.js'
import { createTopic, kafkajs, withAdmin } from './support/kafkajs.js'
import { kcatConsume } from './support/kcat.js'

printBrokerLogsOnFailure()

let broker: BrokerProcess | undefined
let cluster: Cluster | undefined
reportForeignSignals(() => [cluster])

afterAll(async () => {
  await broker?.kill()
  await cluster?.stop()
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
    expect(tempFiles(dir)).toEqual([])
    expect(logLines(b.logFile, /UNKNOWN_SERVER_ERROR|Unknown broker error/)).toEqual([])
    await b.stop()
  })

  it('a failed disk (EIO): the broker halts as Kafka does, leadership moves, nothing acknowledged is lost', async () => {
    const dir = await scratchDir('ext4-fail')
    await mountExt4(dir, join(await scratchDir('ext4-image'), 'disk.img'), 300)
    // broker 1 keeps its log directory on a disk of its own
    cluster = await startCluster({
      ids: [1, 2, 3],
      brokerOverrides: (id): Record<string, string> => (id === 1 ? { 'log.dirs': dir } : {}),
    })
    const cl = cluster
    const topic = uniqueName('failing-disk')
    await withAdmin(kafkajs(cl.bootstrapAll()), (admin) =>
      admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic,
            replicaAssignment: [
              { partition: 0, replicas: [1, 2, 3] },
              { partition: 1, replicas: [1, 3, 2] },
            ],
          },
        ],
      }),
    )
    await cl.waitForTopic(topic, 2)
    const checker = await Checker.start({ bootstrap: cl.bootstrapAll(), topic, partitions: 2 })
    let verdict
    try {
      await checker.waitForProgress('warm-up', 200, { everyPartition: true })
      await failDisk(dir) // every read and write of broker 1's log directory fails with EIO from now on
      const exit = await waitFor('broker 1 to halt', () => (cl.broker(1).isRunning ? undefined : true), {
        timeoutMs: 30_000,
        intervalMs: 100,
      })
      expect(exit).toBe(true)
      expect(logLines(cl.broker(1).logFile, /all log dirs in .* have failed/).length).toBe(1)
      const took = await checker.waitForProgress('writes after the disk failed', 200, {
        everyPartition: true,
        timeoutMs: 60_000,
      })
      console.log(`[faults-disk] producing on every partition again ${took} ms after broker 1's disk failed`)
      await repairDisk(dir)
      await cl.broker(1).start()
      for (const p of [0, 1]) await cl.waitForIsr(topic, p, [1, 2, 3], 60_000)
      await checker.waitForProgress('writes after broker 1 is back', 100, { everyPartition: true })
    } finally {
      verdict = await checker.stop()
    }
    console.log(`[faults-disk] ${verdict.summary}`)
    expect(verdict.problems.slice(0, 20), verdict.summary).toEqual([])
    for (const p of [0, 1]) {
      const s = (await cl.partitionState(topic, p))!
      const hw = await highWatermarkOf(cl.broker(s.leader), topic, p)
      const replicas = cl.brokers.map((x) => ({ id: x.id, dataDir: x.id === 1 ? dir : x.dataDir }))
      await waitFor(
        `replicas of ${topic}-${p} byte-identical`,
        () => replicaDivergence(replicas, s.leader, topic, p, hw) === undefined,
        {
          timeoutMs: 30_000,
          intervalMs: 250,
        },
      )
    }
  })
})
