import { array, bool, int16, int32, int8, message, string } from '../codec/schema.js'
import { api } from '../api.js'

// Version 0 (KIP-700) is flexible from the start.
// Version 1 adds EndpointType (KIP-919): 1 = brokers, 2 = controllers.
export const DescribeClusterRequest = message({
  name: 'DescribeClusterRequest',
  kind: 'request',
  validVersions: '0-1',
  flexibleVersions: '0+',
  fields: [bool('includeClusterAuthorizedOperations'), int8('endpointType', { versions: '1+', default: 1 })],
})

// Version 1 echoes EndpointType and may return MISMATCHED_ENDPOINT_TYPE / UNSUPPORTED_ENDPOINT_TYPE.
export const DescribeClusterResponse = message({
  name: 'DescribeClusterResponse',
  kind: 'response',
  validVersions: '0-1',
  flexibleVersions: '0+',
  fields: [
    int32('throttleTimeMs'),
    int16('errorCode'),
    string('errorMessage', { nullable: '0+', default: null }),
    int8('endpointType', { versions: '1+', default: 1 }),
    string('clusterId'),
    int32('controllerId', { default: -1 }),
    array('brokers', [
      int32('brokerId'),
      string('host'),
      int32('port'),
      string('rack', { nullable: '0+', default: null }),
    ]),
    int32('clusterAuthorizedOperations', { default: -2147483648 }),
  ],
})

export const DescribeCluster = api({
  key: 60,
  request: DescribeClusterRequest,
  response: DescribeClusterResponse,
  errorResponse: { set: { errorCode: 'code', errorMessage: 'message' } },
})
