import { int16, int32, message, string } from '../codec/schema.js'
import { api } from '../api.js'

// Versions 1 and 2 are the same as 0. Version 3 adds the group instance id (KIP-345).
// Version 4 is the first flexible version.
export const HeartbeatRequest = message({
  name: 'HeartbeatRequest',
  kind: 'request',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    string('groupId'),
    int32('generationId'),
    string('memberId'),
    string('groupInstanceId', { versions: '3+', nullable: '3+', default: null }),
  ],
})

// Version 1 adds throttle time. Versions 2 and 3 are the same as 1. Version 4 is the first flexible version.
export const HeartbeatResponse = message({
  name: 'HeartbeatResponse',
  kind: 'response',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [int32('throttleTimeMs', '1+'), int16('errorCode')],
})

export const Heartbeat = api({
  key: 12,
  request: HeartbeatRequest,
  response: HeartbeatResponse,
})
