import { array, int16, int32, message, string, T } from '../codec/schema.js'

// Version 1 is the same as version 0. Version 2 is the first flexible version.
export const DeleteGroupsRequest = message({
  name: 'DeleteGroupsRequest',
  apiKey: 42,
  kind: 'request',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [array('groupsNames', T.string)],
})

export const DeleteGroupsResponse = message({
  name: 'DeleteGroupsResponse',
  apiKey: 42,
  kind: 'response',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [int32('throttleTimeMs'), array('results', [string('groupId'), int16('errorCode')])],
})
