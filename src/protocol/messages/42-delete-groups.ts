import { array, int16, int32, message, string, T } from '../codec/schema.js'
import { api } from '../api.js'

// Version 1 is the same as version 0. Version 2 is the first flexible version.
export const DeleteGroupsRequest = message({
  name: 'DeleteGroupsRequest',
  kind: 'request',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [array('groupsNames', T.string)],
})

export const DeleteGroupsResponse = message({
  name: 'DeleteGroupsResponse',
  kind: 'response',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [int32('throttleTimeMs'), array('results', [string('groupId'), int16('errorCode')])],
})

export const DeleteGroups = api({
  key: 42,
  request: DeleteGroupsRequest,
  response: DeleteGroupsResponse,
  errorResponse: {
    mirror: { results: { from: 'groupsNames', set: { groupId: { copy: '.' }, errorCode: 'code' } } },
  },
})
