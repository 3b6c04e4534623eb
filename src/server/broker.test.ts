/**
 * A whole standalone broker in this process on manual time (`startBroker({ scheduler })`): it starts and serves
 * without time passing, and what Kafka does on a timer — segment rolls, retention, delayed fetches — happens
 * when the test advances the clock, in milliseconds of real time.
 */
import { describe, expect, it } from 'vitest'
import type { BrokerClient } from '../network/broker-client.js'
import { ErrorCode } from '../protocol/errors.js'
import { Apis } from '../protocol/messages/index.js'
import { eventually } from '../util/test-helpers.js'
import { fetchPartition0, producePartition0, useManualBrokers } from './test-helpers.js'

const startManual = useManualBrokers()

const manualBroker = () => startManual({ 'log.retention.check.interval.ms': 1000 })

async function produce(c: BrokerClient, topic: string, now: number): Promise<number> {
  const p = await producePartition0(c, topic, now)
  expect(p.errorCode).toBe(ErrorCode.NONE)
  return p.baseOffset
}

describe('a broker on manual time', () => {
  it('starts, creates topics and serves without time passing; rolls and deletes segments when time is advanced', async () => {
    const { b, s, c } = await manualBroker()
    const api = Apis.CreateTopics
    const created = await c.send(api, c.version(api.key, 5), {
      topics: [
        {
          name: 'timed',
          numPartitions: 1,
          replicationFactor: 1,
          assignments: [],
          configs: [
            { name: 'segment.ms', value: '10000' },
            { name: 'retention.ms', value: '60000' },
          ],
        },
      ],
      timeoutMs: 30_000,
      validateOnly: false,
    })
    expect(created.topics[0]!.errorCode).toBe(ErrorCode.NONE)
    const t0 = s.clock.now()
    expect(await produce(c, 'timed', t0)).toBe(0)
    const log = () => b.broker.services.replicas.getPartition('timed', 0)!.log!

    await s.advance(10_001) // segment.ms has passed: the next append rolls
    expect(await produce(c, 'timed', s.clock.now())).toBe(1)
    expect(log().numberOfSegments).toBe(2)

    await s.advance(50_000) // t0 + 60 001 ms: the first segment is past retention.ms at the next check
    expect(log().logStartOffset).toBe(0)
    await s.advance(1000)
    expect(log().logStartOffset).toBe(1)
    expect(log().numberOfSegments).toBe(1)
  })

  it('holds a fetch that waits for data until its max wait passes on the manual clock', async () => {
    const { b, s, c } = await manualBroker()
    const create = Apis.CreateTopics
    await c.send(create, c.version(create.key, 5), {
      topics: [{ name: 'waiting', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 30_000,
      validateOnly: false,
    })
    let answered = false
    const fetched = fetchPartition0(c, 'waiting', { maxWaitMs: 5000, minBytes: 1 }).finally(
      () => (answered = true),
    )
    await eventually(() => b.broker.services.replicas.delayedFetch.size > 0)
    await s.advance(4999)
    expect(answered).toBe(false)
    await s.advance(1)
    const r = await fetched
    expect(r.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE)
    expect(r.responses[0]!.partitions[0]!.records?.length ?? 0).toBe(0)
  })
})
