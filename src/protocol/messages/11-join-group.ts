import { array, bool, bytes, int16, int32, message, string } from '../codec/schema.js'
import { api } from '../api.js'

// Version 1 adds RebalanceTimeoutMs. Versions 2 and 3 are the same as 1.
// Version 4: a new member must join twice, the first time getting MEMBER_ID_REQUIRED (KIP-394).
// Version 5 adds the group instance id (KIP-345). Version 6 is the first flexible version.
// Version 7 is the same as 6. Version 8 adds Reason (KIP-800). Version 9 is the same as 8.
export const JoinGroupRequest = message({
  name: 'JoinGroupRequest',
  kind: 'request',
  validVersions: '0-9',
  flexibleVersions: '6+',
  fields: [
    string('groupId'),
    int32('sessionTimeoutMs'),
    int32('rebalanceTimeoutMs', { versions: '1+', default: -1 }),
    string('memberId'),
    string('groupInstanceId', { versions: '5+', nullable: '5+', default: null }),
    string('protocolType'),
    array('protocols', [string('name'), bytes('metadata')]),
    string('reason', { versions: '8+', nullable: '8+', default: null }),
  ],
})

// Version 1 is the same as 0. Version 2 adds throttle time. Versions 3 and 4 are the same as 2.
// Version 5 adds the members' group instance ids. Version 6 is the first flexible version.
// Version 7 adds ProtocolType and lets ProtocolName be null (KIP-559). Version 8 is the same as 7.
// Version 9 adds SkipAssignment (KIP-814).
export const JoinGroupResponse = message({
  name: 'JoinGroupResponse',
  kind: 'response',
  validVersions: '0-9',
  flexibleVersions: '6+',
  fields: [
    int32('throttleTimeMs', '2+'),
    int16('errorCode'),
    int32('generationId', { default: -1 }),
    string('protocolType', { versions: '7+', nullable: '7+', default: null }),
    string('protocolName', { nullable: '7+' }),
    string('leader'),
    bool('skipAssignment', { versions: '9+', default: false }),
    string('memberId'),
    array('members', [
      string('memberId'),
      string('groupInstanceId', { versions: '5+', nullable: '5+', default: null }),
      bytes('metadata'),
    ]),
  ],
})

export const JoinGroup = api({
  key: 11,
  request: JoinGroupRequest,
  response: JoinGroupResponse,
  errorResponse: {
    set: {
      errorCode: 'code',
      generationId: { value: -1 },
      // "" below v7 (the field's default), null from v7.
      protocolName: { value: null, versions: '7+' },
      leader: { value: '' },
      memberId: { value: '' },
    },
  },
})
