import { array, bool, int8, int16, int32, message, string, structField, T, uuid } from '../codec/schema.js'
import { api } from '../api.js'

// Version 0 (KIP-848) is flexible from the start. Version 1 (Kafka 4.0, KIP-1099) adds the members' MemberType.
export const ConsumerGroupDescribeRequest = message({
  name: 'ConsumerGroupDescribeRequest',
  kind: 'request',
  validVersions: '0-1',
  flexibleVersions: '0+',
  fields: [array('groupIds', T.string), bool('includeAuthorizedOperations')],
})

const assignmentFields = [
  array('topicPartitions', [uuid('topicId'), string('topicName'), array('partitions', T.int32)]),
] as const

export const ConsumerGroupDescribeResponse = message({
  name: 'ConsumerGroupDescribeResponse',
  kind: 'response',
  validVersions: '0-1',
  flexibleVersions: '0+',
  fields: [
    int32('throttleTimeMs'),
    array('groups', [
      int16('errorCode'),
      string('errorMessage', { nullable: '0+', default: null }),
      string('groupId'),
      string('groupState'),
      int32('groupEpoch'),
      int32('assignmentEpoch'),
      string('assignorName'),
      array('members', [
        string('memberId'),
        string('instanceId', { nullable: '0+', default: null }),
        string('rackId', { nullable: '0+', default: null }),
        int32('memberEpoch'),
        string('clientId'),
        string('clientHost'),
        array('subscribedTopicNames', T.string),
        string('subscribedTopicRegex', { nullable: '0+', default: null }),
        structField('assignment', assignmentFields),
        structField('targetAssignment', assignmentFields),
        // -1 unknown, 0 a member using the classic protocol, 1 a member using the consumer protocol.
        int8('memberType', { versions: '1+', default: -1 }),
      ]),
      int32('authorizedOperations', { default: -2147483648 }),
    ]),
  ],
})

export const ConsumerGroupDescribe = api({
  key: 69,
  request: ConsumerGroupDescribeRequest,
  response: ConsumerGroupDescribeResponse,
  errorResponse: {
    mirror: { groups: { from: 'groupIds', set: { groupId: { copy: '.' }, errorCode: 'code' } } },
  },
})
