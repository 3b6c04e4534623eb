import { array, int8, int16, int32, message, string } from '../codec/schema.js'
import { api } from '../api.js'

// Version 1 adds the resource pattern type (KIP-290; 3 = LITERAL when absent). Version 2 is the first
// flexible version. Version 3 adds the USER resource type (no field change).
export const DescribeAclsRequest = message({
  name: 'DescribeAclsRequest',
  kind: 'request',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    int8('resourceTypeFilter'),
    string('resourceNameFilter', { nullable: '0+' }),
    int8('patternTypeFilter', { versions: '1+', default: 3 }),
    string('principalFilter', { nullable: '0+' }),
    string('hostFilter', { nullable: '0+' }),
    int8('operation'),
    int8('permissionType'),
  ],
})

export const DescribeAclsResponse = message({
  name: 'DescribeAclsResponse',
  kind: 'response',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    int32('throttleTimeMs'),
    int16('errorCode'),
    string('errorMessage', { nullable: '0+' }),
    array('resources', [
      int8('resourceType'),
      string('resourceName'),
      int8('patternType', { versions: '1+', default: 3 }),
      array('acls', [string('principal'), string('host'), int8('operation'), int8('permissionType')]),
    ]),
  ],
})

export const DescribeAcls = api({
  key: 29,
  request: DescribeAclsRequest,
  response: DescribeAclsResponse,
  errorResponse: { set: { errorCode: 'code', errorMessage: 'message' } },
})
