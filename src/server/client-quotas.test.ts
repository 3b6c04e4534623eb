/**
 * consumer_byte_rate end to end in a standalone broker: a consumer over its quota gets an empty Fetch response with
 * the throttle time, its connection muted for the throttle time (KafkaApis: the throttled response of
 * the fetch context, unrecordQuotaSensor).
 */
import { describe, expect, it } from 'vitest'
import { fetchPartition0, producePartition0, useManualBrokers } from './test-helpers.js'

const startManual = useManualBrokers()

describe('consumer_byte_rate', () => {
  it('answers a consumer over its quota with an empty response and the throttle time; served again after it', async () => {
    const { b, s, c } = await startManual()
    const admin = b.broker.services.topicAdmin
    await admin.createTopic(
      { name: 'metered', numPartitions: 1, replicationFactor: 1, assignments: new Map(), configs: new Map() },
      false,
    )
    await admin.waitFor(() => admin.hasLeaders('metered', 1), 30_000)
    expect((await producePartition0(c, 'metered')).errorCode).toBe(0)
    const quotas = b.broker.services.quotas.store
    const entity = [{ entityType: 'client-id', entityName: 'test' }]
    await quotas.alter(entity, [{ key: 'consumer_byte_rate', value: 1, remove: false }], false)

    const throttled = await fetchPartition0(c, 'metered', { maxWaitMs: 0, minBytes: 0 })
    expect(throttled.responses).toEqual([])
    expect(throttled.throttleTimeMs).toBeGreaterThan(0)
    // The connection is muted until the throttle time has passed on the broker's clock (the mute itself: quota.test);
    // without the quota the records come.
    await quotas.alter(entity, [{ key: 'consumer_byte_rate', value: 0, remove: true }], false)
    const next = fetchPartition0(c, 'metered', { maxWaitMs: 0, minBytes: 0 })
    await s.advance(throttled.throttleTimeMs)
    const r = await next
    expect(r.throttleTimeMs).toBe(0)
    expect(r.responses[0]?.partitions[0]?.records?.length).toBeGreaterThan(0)
  })
})
