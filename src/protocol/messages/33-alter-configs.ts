import { array, bool, int8, int16, int32, message, string } from '../codec/schema.js'

// Version 1 is the same as version 0. Version 2 is the first flexible version.
export const AlterConfigsRequest = message({
  name: 'AlterConfigsRequest',
  apiKey: 33,
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
  apiKey: 33,
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
