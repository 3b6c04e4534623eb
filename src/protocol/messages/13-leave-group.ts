import { array, int16, int32, message, string } from '../codec/schema.js'
import { api } from '../api.js'

// Versions 1 and 2 are the same as 0. Version 3 leaves a batch of members by member id and group instance id
// (KIP-345). Version 4 is the first flexible version. Version 5 adds a per-member Reason (KIP-800).
export const LeaveGroupRequest = message({
  name: 'LeaveGroupRequest',
  kind: 'request',
  validVersions: '0-5',
  flexibleVersions: '4+',
  fields: [
    string('groupId'),
    string('memberId', '0-2'),
    array(
      'members',
      [
        string('memberId', '3+'),
        string('groupInstanceId', { versions: '3+', nullable: '3+', default: null }),
        string('reason', { versions: '5+', nullable: '5+', default: null }),
      ],
      '3+',
    ),
  ],
})

// Version 1 adds throttle time. Version 2 is the same as 1. Version 3 answers per member.
// Version 4 is the first flexible version. Version 5 is the same as 4.
export const LeaveGroupResponse = message({
  name: 'LeaveGroupResponse',
  kind: 'response',
  validVersions: '0-5',
  flexibleVersions: '4+',
  fields: [
    int32('throttleTimeMs', '1+'),
    int16('errorCode'),
    array(
      'members',
      [
        string('memberId', '3+'),
        string('groupInstanceId', { versions: '3+', nullable: '3+' }),
        int16('errorCode', '3+'),
      ],
      '3+',
    ),
  ],
})

export const LeaveGroup = api({
  key: 13,
  request: LeaveGroupRequest,
  response: LeaveGroupResponse,
})
