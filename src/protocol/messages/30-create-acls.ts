import { array, int8, int16, int32, message, string } from '../codec/schema.js'
import { api } from '../api.js'

// Version 1 adds the resource pattern type (KIP-290). Version 2 is the first flexible version. Version 3
// adds the USER resource type (no field change).
export const CreateAclsRequest = message({
  name: 'CreateAclsRequest',
  kind: 'request',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    array('creations', [
      int8('resourceType'),
      string('resourceName'),
      int8('resourcePatternType', { versions: '1+', default: 3 }),
      string('principal'),
      string('host'),
      int8('operation'),
      int8('permissionType'),
    ]),
  ],
})

export const CreateAclsResponse = message({
  name: 'CreateAclsResponse',
  kind: 'response',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    int32('throttleTimeMs'),
    array('results', [int16('errorCode'), string('errorMessage', { nullable: '0+' })]),
  ],
})

export const CreateAcls = api({
  key: 30,
  request: CreateAclsRequest,
  response: CreateAclsResponse,
  errorResponse: {
    mirror: { results: { from: 'creations', set: { errorCode: 'code', errorMessage: 'message' } } },
  },
})
