/**
 * Moving a replica between the log directories of a broker (AlterReplicaLogDirs, KIP-113) with @platformatic/kafka,
 * the client that sends AlterReplicaLogDirs v2 and DescribeLogDirs v4, while a kafkajs producer (acks=all) writes to
 * the partition: the throttled move shows in DescribeLogDirs as a future replica with an offset lag, goes on after
 * the broker is killed and restarted mid-move, and ends with the replica in its new directory, the old directory's
 * folder gone and every acknowledged record readable. Per-partition errors: an unknown directory, an unknown topic, a
 * partition this broker does not host.
 */
import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { alterReplicaLogDirsV2, Connection, describeLogDirsV4 } from '@platformatic/kafka'
import { ConfigResourceTypes } from 'kafkajs'
import { afterAll, describe, expect, it } from 'vitest'
import { startCluster, type Cluster } from '../src/index.js'
import { ErrorCode } from '../src/protocol/errors.js'
import { uniqueName, waitFor } from './support/env.js'
import { kafkajs, withAdmin } from './support/kafkajs.js'

const clusters: Cluster[] = []
afterAll(async () => {
  for (const c of clusters) await c.stop().catch(() => undefined)
})

/** The move's throttle, bytes per second: the 600 KB already written take a few seconds to copy. */
const THROTTLE = 250_000

type AlterReplicaLogDirsResponse = Awaited<ReturnType<typeof alterReplicaLogDirsV2.api.async>>

async function withConnection<T>(c: Cluster, id: number, f: (conn: Connection) => Promise<T>): Promise<T> {
  const conn = new Connection('samsa-compat')
  await conn.connect(c.broker(id).host, c.broker(id).port)
  try {
    return await f(conn)
  } finally {
    await conn.close()
  }
}

describe('AlterReplicaLogDirs (@platformatic/kafka)', () => {
  it('moves a replica to the other log directory under a running producer, across a restart', async () => {
    const c = await startCluster({
      brokers: 2,
      logDirs: 2,
      logLevel: 'error',
      properties: {
        'log.segment.delete.delay.ms': 200,
        'replica.fetch.backoff.ms': 100,
        'zookeeper.session.timeout.ms': 1500,
      },
    })
    clusters.push(c)
    const topic = uniqueName('ald')
    const elsewhere = uniqueName('ald-other')
    await c.createTopic(topic, { assignment: [[0]] })
    await c.createTopic(elsewhere, { assignment: [[1]] })
    const b0 = c.broker(0)
    const dirOf = (): string | undefined => b0.logDirs.find((d) => existsSync(path.join(d, `${topic}-0`)))
    const from = dirOf()!
    const to = b0.logDirs.find((d) => d !== from)!

    const acked: string[] = []
    const kafka = kafkajs(c.bootstrapServers)
    const producer = kafka.producer({ allowAutoTopicCreation: false })
    await producer.connect()
    const value = (i: number): string => `${i}:${'x'.repeat(1000)}`
    let next = 0
    const send = async (n: number): Promise<void> => {
      const batch = Array.from({ length: n }, () => value(next++))
      await producer.send({ topic, acks: -1, messages: batch.map((v) => ({ value: v })) })
      acked.push(...batch.map((v) => v.split(':')[0]!))
    }
    for (let i = 0; i < 60; i++) await send(10)
    // a producer that keeps writing (well below the throttle) while the replica moves; retries ride out the restart
    let producing = true
    const writer = (async () => {
      while (producing) {
        await send(5).catch(() => undefined)
        await new Promise((r) => setTimeout(r, 20))
      }
    })()

    try {
      await withAdmin(kafkajs(b0.bootstrap), (admin) =>
        admin.alterConfigs({
          validateOnly: false,
          resources: [
            {
              type: ConfigResourceTypes.BROKER,
              name: '0',
              configEntries: [
                { name: 'replica.alter.log.dirs.io.max.bytes.per.second', value: String(THROTTLE) },
              ],
            },
          ],
        }),
      )
      await waitFor(
        'the throttle applied',
        () => b0.services.config.replicaAlterLogDirsIoMaxBytesPerSecond === THROTTLE,
      )

      // the client rejects an answer with any error, the answer in hand
      const answer = await withConnection(c, 0, (conn) =>
        alterReplicaLogDirsV2.api
          .async(conn, [
            { path: to, topics: [{ name: topic, partitions: [0] }] },
            { path: from, topics: [{ name: elsewhere, partitions: [0] }] },
            { path: '/no/such/dir', topics: [{ name: topic, partitions: [1] }] },
            { path: to, topics: [{ name: 'no-such-topic', partitions: [0] }] },
          ])
          .catch((e: { response?: AlterReplicaLogDirsResponse }) => {
            if (!e.response) throw e
            return e.response
          }),
      )
      const codes = new Map(
        answer.results.flatMap((t) =>
          t.partitions.map((p) => [`${t.topicName}-${p.partitionIndex}`, p.errorCode]),
        ),
      )
      expect(Object.fromEntries(codes)).toEqual({
        [`${topic}-0`]: ErrorCode.NONE,
        [`${elsewhere}-0`]: ErrorCode.REPLICA_NOT_AVAILABLE,
        [`${topic}-1`]: ErrorCode.LOG_DIR_NOT_FOUND,
        'no-such-topic-0': ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      })

      // the future replica, listed under the target directory with its lag behind the current log
      const futureOf = async (): Promise<{ lag: number; size: number } | undefined> => {
        const r = await withConnection(c, 0, (conn) =>
          describeLogDirsV4.api.async(conn, [{ name: topic, partitions: [0] }]),
        )
        const dir = r.results.find((d) => d.logDir === to)
        const p = dir?.topics.find((t) => t.name === topic)?.partitions.find((q) => q.isFutureKey)
        return p ? { lag: Number(p.offsetLag), size: Number(p.partitionSize) } : undefined
      }
      const seen = await waitFor('a future replica with an offset lag', async () => {
        const f = await futureOf()
        return f && f.lag > 0 && f.size > 0 ? f : undefined
      })
      expect(seen.lag).toBeGreaterThan(0)
      expect(readdirSync(to).some((n) => /^.+-0\.[0-9a-f]{32}-future$/.test(n))).toBe(true)

      // killed mid-move (and back once its ZooKeeper session has expired): the future log found at start-up goes on
      // being filled
      await b0.kill()
      await waitFor('the killed broker deregistered', () => !c.broker(1).services.cache.isAlive(0))
      await b0.start()
      await waitFor('the replica in its new directory', () => dirOf() === to, { timeoutMs: 30_000 })
      expect(await futureOf()).toBeUndefined()
      await waitFor(
        'the old directory without the partition',
        () => readdirSync(from).filter((n) => n.startsWith(`${topic}-0`)).length === 0,
        { timeoutMs: 10_000 },
      )
      expect(readdirSync(to).filter((n) => n.startsWith(`${topic}-0`))).toEqual([`${topic}-0`])
    } finally {
      producing = false
      await writer
      await producer.disconnect()
    }
    // writes go on in the new directory; every acknowledged record is there
    await producer.connect()
    await send(5)
    await producer.disconnect()
    const stored = new Set(c.readPartition(topic, 0).map((r) => r.value!.toString().split(':')[0]!))
    const lost = acked.filter((v) => !stored.has(v))
    expect(lost).toEqual([])
    expect(acked.length).toBeGreaterThan(600)
  })
})
