import { array, bytes, int16, int32, message, string } from '../codec/schema.js'
import { api } from '../api.js'

// Versions 1 and 2 are the same as 0. Version 3 adds the group instance id (KIP-345).
// Version 4 is the first flexible version. Version 5 adds the protocol type and name (KIP-559).
export const SyncGroupRequest = message({
  name: 'SyncGroupRequest',
  kind: 'request',
  validVersions: '0-5',
  flexibleVersions: '4+',
  fields: [
    string('groupId'),
    int32('generationId'),
    string('memberId'),
    string('groupInstanceId', { versions: '3+', nullable: '3+', default: null }),
    string('protocolType', { versions: '5+', nullable: '5+', default: null }),
    string('protocolName', { versions: '5+', nullable: '5+', default: null }),
    array('assignments', [string('memberId'), bytes('assignment')]),
  ],
})

// Version 1 adds throttle time. Versions 2 and 3 are the same as 1. Version 4 is the first flexible version.
// Version 5 adds the protocol type and name (KIP-559).
export const SyncGroupResponse = message({
  name: 'SyncGroupResponse',
  kind: 'response',
  validVersions: '0-5',
  flexibleVersions: '4+',
  fields: [
    int32('throttleTimeMs', '1+'),
    int16('errorCode'),
    string('protocolType', { versions: '5+', nullable: '5+', default: null }),
    string('protocolName', { versions: '5+', nullable: '5+', default: null }),
    bytes('assignment'),
  ],
})

export const SyncGroup = api({
  key: 14,
  request: SyncGroupRequest,
  response: SyncGroupResponse,
})
