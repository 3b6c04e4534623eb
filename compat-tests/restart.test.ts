/**
 * Durability of a standalone broker across crashes: what was acknowledged with acks=-1 survives `kill -9` and a
 * restart on the same data dir, offsets continue where they were, and a torn tail (garbage appended to the last
 * segment after the crash) is truncated by recovery without losing acknowledged data.
 */
import { appendFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BrokerProcess, printBrokerLogsOnFailure, startBroker } from './support/broker.js'
import { uniqueName } from './support/env.js'
import { createTopic, kafkajs, withAdmin, withProducer } from './support/kafkajs.js'
import { kcatConsume } from './support/kcat.js'

printBrokerLogsOnFailure()

let broker: BrokerProcess

beforeAll(async () => {
  broker = await startBroker()
})

afterAll(async () => {
  await broker?.stop()
})

interface Acked {
  partition: number
  offset: number
  key: string
  value: string
}

/** Produces `rounds` sends of `perRound` messages spread over `partitions` with acks=-1; returns what was acked. */
async function produceAcked(
  bootstrap: string,
  topic: string,
  partitions: number,
  rounds: number,
  perRound: number,
  tag: string,
): Promise<Acked[]> {
  const acked: Acked[] = []
  await withProducer(kafkajs(bootstrap), {}, async (p) => {
    for (let r = 0; r < rounds; r++) {
      const msgs = Array.from({ length: perRound }, (_, i) => ({
        partition: i % partitions,
        key: `${tag}-r${r}-${i}`,
        value: `${tag} round ${r} message ${i} ${'z'.repeat(100)}`,
      }))
      const md = await p.send({ topic, acks: -1, messages: msgs })
      for (const res of md) {
        expect(res.errorCode).toBe(0)
        const mine = msgs.filter((m) => m.partition === res.partition)
        mine.forEach((m, j) =>
          acked.push({
            partition: res.partition,
            offset: Number(res.baseOffset) + j,
            key: m.key,
            value: m.value,
          }),
        )
      }
    }
  })
  return acked
}

async function expectAllReadable(
  bootstrap: string,
  topic: string,
  acked: Acked[],
  partitions: number,
): Promise<void> {
  for (let p = 0; p < partitions; p++) {
    const want = acked.filter((a) => a.partition === p).sort((a, b) => a.offset - b.offset)
    const got = await kcatConsume(bootstrap, topic, { partition: p })
    expect(
      got.map((m) => ({ partition: m.partition, offset: m.offset, key: m.key, value: m.payload })),
    ).toEqual(want)
  }
}

async function highWatermarks(bootstrap: string, topic: string): Promise<Map<number, number>> {
  return withAdmin(kafkajs(bootstrap), async (admin) => {
    const offsets = await admin.fetchTopicOffsets(topic)
    return new Map(offsets.map((o) => [o.partition, Number(o.high)]))
  })
}

/** The active (last) segment file of a partition. */
function lastSegment(dataDir: string, topic: string, partition: number): string {
  const dir = join(dataDir, `${topic}-${partition}`)
  const logs = readdirSync(dir)
    .filter((f) => /^\d{20}\.log$/.test(f))
    .sort()
  if (logs.length === 0) throw new Error(`no segment files in ${dir}: ${readdirSync(dir).join(', ')}`)
  return join(dir, logs[logs.length - 1]!)
}

describe('restart', () => {
  it('SIGTERM is a clean shutdown and data survives the restart', async () => {
    const topic = uniqueName('clean')
    await createTopic(broker.bootstrap, topic)
    const acked = await produceAcked(broker.bootstrap, topic, 1, 3, 10, 'clean')
    expect(await broker.stop()).toBe(0)
    await broker.start()
    await expectAllReadable(broker.bootstrap, topic, acked, 1)
  })

  it('kill -9: everything acknowledged with acks=-1 is readable after restart, and offsets continue', async () => {
    const topic = uniqueName('crash')
    await createTopic(broker.bootstrap, topic, { partitions: 2 })
    const acked = await produceAcked(broker.bootstrap, topic, 2, 10, 50, 'before')
    expect(acked).toHaveLength(500)

    await broker.kill()
    await broker.start()

    await expectAllReadable(broker.bootstrap, topic, acked, 2)
    const hw = await highWatermarks(broker.bootstrap, topic)
    expect(hw.get(0)).toBe(250)
    expect(hw.get(1)).toBe(250)

    const after = await produceAcked(broker.bootstrap, topic, 2, 1, 10, 'after')
    expect(after.filter((a) => a.partition === 0).map((a) => a.offset)).toEqual([250, 251, 252, 253, 254])
    expect(after.filter((a) => a.partition === 1).map((a) => a.offset)).toEqual([250, 251, 252, 253, 254])
    await expectAllReadable(broker.bootstrap, topic, [...acked, ...after], 2)

    // and a second crash right after the new writes
    await broker.kill()
    await broker.start()
    await expectAllReadable(broker.bootstrap, topic, [...acked, ...after], 2)
  })

  it('torn tail: garbage appended to the last segment after kill -9 is truncated on restart', async () => {
    const topic = uniqueName('torn')
    await createTopic(broker.bootstrap, topic, { partitions: 2 })
    const acked = await produceAcked(broker.bootstrap, topic, 2, 5, 20, 'torn')
    await broker.kill()

    // partition 0: the start of a batch header whose length runs past the end of the file (a torn write)
    const seg0 = lastSegment(broker.dataDir, topic, 0)
    const size0 = statSync(seg0).size
    const torn = Buffer.alloc(40)
    torn.writeBigInt64BE(50n, 0) // base offset = the next offset
    torn.writeInt32BE(4000, 8) // length: far more than what follows
    torn.writeInt32BE(0, 12) // partition leader epoch
    torn.writeInt8(2, 16) // magic
    torn.fill(0xab, 17)
    appendFileSync(seg0, torn)
    // partition 1: plain random bytes
    const seg1 = lastSegment(broker.dataDir, topic, 1)
    const size1 = statSync(seg1).size
    appendFileSync(seg1, Buffer.from(Array.from({ length: 97 }, (_, i) => (i * 37 + 11) & 0xff)))

    await broker.start()

    await expectAllReadable(broker.bootstrap, topic, acked, 2)
    const hw = await highWatermarks(broker.bootstrap, topic)
    expect(hw.get(0)).toBe(50)
    expect(hw.get(1)).toBe(50)
    // recovery cut the files back to the last valid batch
    expect(statSync(seg0).size).toBe(size0)
    expect(statSync(seg1).size).toBe(size1)

    const after = await produceAcked(broker.bootstrap, topic, 2, 2, 4, 'after-torn')
    expect(after.filter((a) => a.partition === 0).map((a) => a.offset)).toEqual([50, 51, 52, 53])
    await expectAllReadable(broker.bootstrap, topic, [...acked, ...after], 2)

    // survives another clean restart too
    expect(await broker.stop()).toBe(0)
    await broker.start()
    await expectAllReadable(broker.bootstrap, topic, [...acked, ...after], 2)
  })
})
