import { array, bool, int16, int32, int64, message, string } from '../codec/schema.js'
import { api } from '../api.js'

// Version 1 adds throttle time to the response. Version 2 is the same as version 1.
// Version 3 is the first flexible version; the client sends its software name and version (KIP-511).
// Version 4 is the same as version 3 (a client sending it accepts UNSUPPORTED_VERSION with the v0 form).
export const ApiVersionsRequest = message({
  name: 'ApiVersionsRequest',
  kind: 'request',
  validVersions: '0-4',
  flexibleVersions: '3+',
  fields: [string('clientSoftwareName', '3+'), string('clientSoftwareVersion', '3+')],
})

export const ApiVersionsResponse = message({
  name: 'ApiVersionsResponse',
  kind: 'response',
  validVersions: '0-4',
  flexibleVersions: '3+',
  fields: [
    int16('errorCode'),
    array('apiKeys', [int16('apiKey'), int16('minVersion'), int16('maxVersion')]),
    int32('throttleTimeMs', '1+'),
    array('supportedFeatures', [string('name'), int16('minVersion'), int16('maxVersion')], {
      versions: '3+',
      tag: 0,
    }),
    int64('finalizedFeaturesEpoch', { versions: '3+', tag: 1, default: -1 }),
    array('finalizedFeatures', [string('name'), int16('maxVersionLevel'), int16('minVersionLevel')], {
      versions: '3+',
      tag: 2,
    }),
    bool('zkMigrationReady', { versions: '3+', tag: 3, default: false }),
  ],
})

export const ApiVersions = api({
  key: 18,
  request: ApiVersionsRequest,
  response: ApiVersionsResponse,
})
