import { array, int16, int32, int64, message, string } from '../codec/schema.js'
import { api } from '../api.js'

// Version 0 is sent with a request header that has no client id (a header concern, not this body's).
// Version 1 is the same as 0. Version 2 adds the broker epoch. Version 3 is the first flexible version.
export const ControlledShutdownRequest = message({
  name: 'ControlledShutdownRequest',
  kind: 'request',
  validVersions: '0-3',
  flexibleVersions: '3+',
  fields: [int32('brokerId'), int64('brokerEpoch', { versions: '2+', default: -1 })],
})

// Versions 1 and 2 are the same as 0. Version 3 is the first flexible version.
export const ControlledShutdownResponse = message({
  name: 'ControlledShutdownResponse',
  kind: 'response',
  validVersions: '0-3',
  flexibleVersions: '3+',
  fields: [int16('errorCode'), array('remainingPartitions', [string('topicName'), int32('partitionIndex')])],
})

export const ControlledShutdown = api({
  key: 7,
  request: ControlledShutdownRequest,
  response: ControlledShutdownResponse,
})
