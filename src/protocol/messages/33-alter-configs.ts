import { array, bool, int8, int16, int32, message, string } from '../codec/schema.js'
import { api } from '../api.js'

// Version 1 is the same as version 0. Version 2 is the first flexible version.
export const AlterConfigsRequest = message({
  name: 'AlterConfigsRequest',
  kind: 'request',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    array('resources', [
      int8('resourceType'),
      string('resourceName'),
      array('configs', [string('name'), string('value', { nullable: '0+' })]),
    ]),
    bool('validateOnly'),
  ],
})

export const AlterConfigsResponse = message({
  name: 'AlterConfigsResponse',
  kind: 'response',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    int32('throttleTimeMs'),
    array('responses', [
      int16('errorCode'),
      string('errorMessage', { nullable: '0+' }),
      int8('resourceType'),
      string('resourceName'),
    ]),
  ],
})

export const AlterConfigs = api({
  key: 33,
  request: AlterConfigsRequest,
  response: AlterConfigsResponse,
  errorResponse: {
    mirror: {
      responses: {
        from: 'resources',
        set: {
          errorCode: 'code',
          errorMessage: 'message',
          resourceType: { copy: 'resourceType' },
          resourceName: { copy: 'resourceName' },
        },
      },
    },
  },
})
