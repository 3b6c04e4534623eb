import { array, bool, int8, int16, int32, message, string } from '../codec/schema.js'
import { api } from '../api.js'
import { AlterConfigs } from './33-alter-configs.js'

// KIP-339. Version 1 is the first flexible version. configOperation: 0 SET, 1 DELETE, 2 APPEND, 3 SUBTRACT.
export const IncrementalAlterConfigsRequest = message({
  name: 'IncrementalAlterConfigsRequest',
  kind: 'request',
  validVersions: '0-1',
  flexibleVersions: '1+',
  fields: [
    array('resources', [
      int8('resourceType'),
      string('resourceName'),
      array('configs', [string('name'), int8('configOperation'), string('value', { nullable: '0+' })]),
    ]),
    bool('validateOnly'),
  ],
})

export const IncrementalAlterConfigsResponse = message({
  name: 'IncrementalAlterConfigsResponse',
  kind: 'response',
  validVersions: '0-1',
  flexibleVersions: '1+',
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

export const IncrementalAlterConfigs = api({
  key: 44,
  request: IncrementalAlterConfigsRequest,
  response: IncrementalAlterConfigsResponse,
  // As AlterConfigs: one result per resource.
  errorResponse: AlterConfigs.errorResponse,
})
