import { array, int16, int32, message, string, T } from '../codec/schema.js'
import { api } from '../api.js'

// Versions 1 and 2 are the same as 0. Version 3 is the first flexible version.
// Version 4 adds StatesFilter (KIP-518). Version 5 adds TypesFilter (KIP-848).
export const ListGroupsRequest = message({
  name: 'ListGroupsRequest',
  kind: 'request',
  validVersions: '0-5',
  flexibleVersions: '3+',
  fields: [array('statesFilter', T.string, '4+'), array('typesFilter', T.string, '5+')],
})

// Version 1 adds throttle time. Version 2 is the same as 1. Version 3 is the first flexible version.
// Version 4 adds GroupState (KIP-518). Version 5 adds GroupType (KIP-848).
export const ListGroupsResponse = message({
  name: 'ListGroupsResponse',
  kind: 'response',
  validVersions: '0-5',
  flexibleVersions: '3+',
  fields: [
    int32('throttleTimeMs', '1+'),
    int16('errorCode'),
    array('groups', [
      string('groupId'),
      string('protocolType'),
      string('groupState', '4+'),
      string('groupType', '5+'),
    ]),
  ],
})

export const ListGroups = api({
  key: 16,
  request: ListGroupsRequest,
  response: ListGroupsResponse,
})
