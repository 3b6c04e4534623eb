import { array, bool, bytes, int16, int32, message, string, T } from '../codec/schema.js'
import { api } from '../api.js'

// Versions 1 and 2 are the same as 0. Version 3 asks for authorized operations.
// Version 4 is the same as 3 (the response carries group instance ids). Version 5 is the first flexible version.
// Version 6 (KIP-1043) is the same as 5; the response reports a group that is not a classic group as an error.
export const DescribeGroupsRequest = message({
  name: 'DescribeGroupsRequest',
  kind: 'request',
  validVersions: '0-6',
  flexibleVersions: '5+',
  fields: [array('groups', T.string), bool('includeAuthorizedOperations', '3+')],
})

// Version 1 adds throttle time. Version 2 is the same as 1. Version 3 adds authorized operations.
// Version 4 adds the members' group instance ids. Version 5 is the first flexible version.
// Version 6 adds the error message (GROUP_ID_NOT_FOUND for a group that is absent or not a classic group).
export const DescribeGroupsResponse = message({
  name: 'DescribeGroupsResponse',
  kind: 'response',
  validVersions: '0-6',
  flexibleVersions: '5+',
  fields: [
    int32('throttleTimeMs', '1+'),
    array('groups', [
      int16('errorCode'),
      string('errorMessage', { versions: '6+', nullable: '6+', default: null }),
      string('groupId'),
      string('groupState'),
      string('protocolType'),
      string('protocolData'),
      array('members', [
        string('memberId'),
        string('groupInstanceId', { versions: '4+', nullable: '4+', default: null }),
        string('clientId'),
        string('clientHost'),
        bytes('memberMetadata'),
        bytes('memberAssignment'),
      ]),
      int32('authorizedOperations', { versions: '3+', default: -2147483648 }),
    ]),
  ],
})

export const DescribeGroups = api({
  key: 15,
  request: DescribeGroupsRequest,
  response: DescribeGroupsResponse,
  errorResponse: {
    mirror: {
      groups: {
        from: 'groups',
        set: {
          groupId: { copy: '.' },
          errorCode: 'code',
          groupState: { value: '' },
          protocolType: { value: '' },
          protocolData: { value: '' },
          authorizedOperations: { value: -2147483648 },
        },
      },
    },
  },
})
