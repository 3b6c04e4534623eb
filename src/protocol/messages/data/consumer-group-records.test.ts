import { describe, expect, it } from 'vitest'
import {
  decodeConsumerGroupRecord,
  encodeConsumerGroupRecord,
  type ConsumerGroupRecord,
} from './consumer-group-records.js'
import { decodeGroupRecordKey } from './group-metadata.js'

const TOPIC = 'AAAAAAAAAAAAAAAAAAAAAQ'

describe('consumer group records (types 3-8)', () => {
  it('encodes keys as the record type then the key struct, values as version 0 flexible structs', () => {
    const { key, value } = encodeConsumerGroupRecord({ type: 3, groupId: 'g', value: { epoch: 5 } })
    expect(key.toString('hex')).toBe('0003' + '0001' + '67')
    // version 0, epoch, no tagged fields
    expect(value?.toString('hex')).toBe('0000' + '00000005' + '00')
    const member = encodeConsumerGroupRecord({ type: 8, groupId: 'g', memberId: 'm', value: null })
    expect([member.key.toString('hex'), member.value]).toEqual(['0008' + '000167' + '00016d', null])
    expect(decodeGroupRecordKey(key)).toEqual({ type: 'consumerGroup', version: 3 })
  })

  it('round-trips every type', () => {
    const records: ConsumerGroupRecord[] = [
      { type: 3, groupId: 'g', value: { epoch: 7 } },
      {
        type: 4,
        groupId: 'g',
        value: { topics: [{ topicId: TOPIC, topicName: 't', numPartitions: 3, partitionMetadata: [] }] },
      },
      {
        type: 5,
        groupId: 'g',
        memberId: 'm',
        value: {
          instanceId: null,
          rackId: 'r1',
          clientId: 'c',
          clientHost: '/127.0.0.1',
          subscribedTopicNames: ['t'],
          subscribedTopicRegex: null,
          rebalanceTimeoutMs: 30_000,
          serverAssignor: 'uniform',
          classicMemberMetadata: null,
        },
      },
      {
        type: 5,
        groupId: 'g',
        memberId: 'classic',
        value: {
          instanceId: 'i1',
          rackId: null,
          clientId: 'kafkajs',
          clientHost: '/127.0.0.1',
          subscribedTopicNames: ['t'],
          subscribedTopicRegex: null,
          rebalanceTimeoutMs: 60_000,
          serverAssignor: null,
          // tagged field 0 (online migration)
          classicMemberMetadata: {
            sessionTimeoutMs: 10_000,
            supportedProtocols: [{ name: 'range', metadata: Buffer.from([0, 0, 0, 0, 0, 1]) }],
          },
        },
      },
      { type: 6, groupId: 'g', value: { assignmentEpoch: 7 } },
      {
        type: 7,
        groupId: 'g',
        memberId: 'm',
        value: { topicPartitions: [{ topicId: TOPIC, partitions: [0, 2] }] },
      },
      {
        type: 8,
        groupId: 'g',
        memberId: 'm',
        value: {
          memberEpoch: 7,
          previousMemberEpoch: 6,
          state: 1,
          assignedPartitions: [{ topicId: TOPIC, partitions: [0] }],
          partitionsPendingRevocation: [{ topicId: TOPIC, partitions: [2] }],
        },
      },
      { type: 5, groupId: 'g', memberId: 'm', value: null },
    ]
    for (const r of records) {
      const { key, value } = encodeConsumerGroupRecord(r)
      expect(decodeConsumerGroupRecord(key, value)).toEqual(r)
    }
  })

  it('refuses a value version it does not know', () => {
    const { key, value } = encodeConsumerGroupRecord({ type: 3, groupId: 'g', value: { epoch: 1 } })
    value!.writeInt16BE(1, 0)
    expect(() => decodeConsumerGroupRecord(key, value)).toThrow()
  })
})
