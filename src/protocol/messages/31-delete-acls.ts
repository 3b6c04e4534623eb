import { array, int8, int16, int32, message, string } from '../codec/schema.js'
import { api } from '../api.js'

// Version 1 adds the resource pattern type (KIP-290). Version 2 is the first flexible version. Version 3
// adds the USER resource type (no field change).
export const DeleteAclsRequest = message({
  name: 'DeleteAclsRequest',
  kind: 'request',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    array('filters', [
      int8('resourceTypeFilter'),
      string('resourceNameFilter', { nullable: '0+' }),
      int8('patternTypeFilter', { versions: '1+', default: 3 }),
      string('principalFilter', { nullable: '0+' }),
      string('hostFilter', { nullable: '0+' }),
      int8('operation'),
      int8('permissionType'),
    ]),
  ],
})

export const DeleteAclsResponse = message({
  name: 'DeleteAclsResponse',
  kind: 'response',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    int32('throttleTimeMs'),
    array('filterResults', [
      int16('errorCode'),
      string('errorMessage', { nullable: '0+' }),
      array('matchingAcls', [
        int16('errorCode'),
        string('errorMessage', { nullable: '0+' }),
        int8('resourceType'),
        string('resourceName'),
        int8('patternType', { versions: '1+', default: 3 }),
        string('principal'),
        string('host'),
        int8('operation'),
        int8('permissionType'),
      ]),
    ]),
  ],
})

export const DeleteAcls = api({
  key: 31,
  request: DeleteAclsRequest,
  response: DeleteAclsResponse,
  errorResponse: {
    mirror: { filterResults: { from: 'filters', set: { errorCode: 'code', errorMessage: 'message' } } },
  },
})
