import { describe, expect, it } from 'vitest'
import { javaStringHashCode, kafkaAbs, partitionFor, resolveGroupCoordinatorConfig } from './config.js'

describe('partitionFor', () => {
  it("uses Java's String.hashCode over UTF-16 code units", () => {
    expect(javaStringHashCode('')).toBe(0)
    expect(javaStringHashCode('hello')).toBe(99162322)
    expect(javaStringHashCode('my-group')).toBe(-1906497762)
    expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648)
    expect(javaStringHashCode('€😀')).toBe(9810703) // a surrogate pair counts as two units
  })

  it("maps with Kafka's Utils.abs (Integer.MIN_VALUE -> 0) modulo the partition count", () => {
    expect(kafkaAbs(-2147483648)).toBe(0)
    expect(kafkaAbs(-5)).toBe(5)
    expect(partitionFor('hello', 50)).toBe(22)
    expect(partitionFor('my-group', 50)).toBe(12)
    expect(partitionFor('polygenelubricants', 50)).toBe(0)
    expect(partitionFor('console-consumer-12345', 50)).toBe(6)
    expect(partitionFor('test-group', 7)).toBe(627841412 % 7)
  })

  it("has Kafka's defaults", () => {
    expect(resolveGroupCoordinatorConfig({ brokerId: 3 })).toEqual({
      brokerId: 3,
      groupMinSessionTimeoutMs: 6000,
      groupMaxSessionTimeoutMs: 1_800_000,
      groupInitialRebalanceDelayMs: 3000,
      groupMaxSize: 2_147_483_647,
      offsetsTopicNumPartitions: 50,
      offsetMetadataMaxBytes: 4096,
      offsetsRetentionMinutes: 10_080,
      offsetsRetentionCheckIntervalMs: 600_000,
      consumerGroupProtocolEnabled: false,
      consumerGroupSessionTimeoutMs: 45_000,
      consumerGroupMinSessionTimeoutMs: 45_000,
      consumerGroupMaxSessionTimeoutMs: 60_000,
      consumerGroupHeartbeatIntervalMs: 5000,
      consumerGroupMinHeartbeatIntervalMs: 5000,
      consumerGroupMaxHeartbeatIntervalMs: 15_000,
      consumerGroupMaxSize: 2_147_483_647,
      consumerGroupAssignors: ['uniform', 'range'],
      consumerGroupMigrationPolicy: 'bidirectional',
    })
  })

  it('checks the consumer group bounds as Kafka', () => {
    expect(() => resolveGroupCoordinatorConfig({ brokerId: 1, consumerGroupSessionTimeoutMs: 1000 })).toThrow(
      'group.consumer.session.timeout.ms must be greater than or equal to group.consumer.min.session.timeout.ms',
    )
    expect(() =>
      resolveGroupCoordinatorConfig({
        brokerId: 1,
        consumerGroupHeartbeatIntervalMs: 15_000,
        consumerGroupSessionTimeoutMs: 15_000,
        consumerGroupMinSessionTimeoutMs: 1000,
      }),
    ).toThrow('group.consumer.heartbeat.interval.ms must be less than group.consumer.session.timeout.ms')
  })
})
