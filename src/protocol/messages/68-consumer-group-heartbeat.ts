import { array, int16, int32, message, string, structField, T, uuid } from '../codec/schema.js'
import { api } from '../api.js'

// Version 0 (KIP-848) is the only version in Kafka 3.9 and is flexible from the start.
// (Kafka 4.0 adds version 1 with SubscribedTopicRegex; 3.9's version 0 has no regex field.)
// Null fields mean "unchanged since the last heartbeat".
export const ConsumerGroupHeartbeatRequest = message({
  name: 'ConsumerGroupHeartbeatRequest',
  kind: 'request',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    string('groupId'),
    string('memberId'),
    int32('memberEpoch'),
    string('instanceId', { nullable: '0+', default: null }),
    string('rackId', { nullable: '0+', default: null }),
    int32('rebalanceTimeoutMs', { default: -1 }),
    array('subscribedTopicNames', T.string, { nullable: '0+', default: null }),
    string('serverAssignor', { nullable: '0+', default: null }),
    array('topicPartitions', [uuid('topicId'), array('partitions', T.int32)], {
      nullable: '0+',
      default: null,
    }),
  ],
})

export const ConsumerGroupHeartbeatResponse = message({
  name: 'ConsumerGroupHeartbeatResponse',
  kind: 'response',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    int32('throttleTimeMs'),
    int16('errorCode'),
    string('errorMessage', { nullable: '0+', default: null }),
    string('memberId', { nullable: '0+', default: null }),
    int32('memberEpoch'),
    int32('heartbeatIntervalMs'),
    structField('assignment', [array('topicPartitions', [uuid('topicId'), array('partitions', T.int32)])], {
      nullable: '0+',
      default: null,
    }),
  ],
})

export const ConsumerGroupHeartbeat = api({
  key: 68,
  request: ConsumerGroupHeartbeatRequest,
  response: ConsumerGroupHeartbeatResponse,
})
