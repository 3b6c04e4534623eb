import { array, bool, int16, int32, int8, message, string } from '../codec/schema.js'
import { api } from '../api.js'

// Version 0 (KIP-584) is flexible from the start.
// Version 1 (KIP-778) replaces AllowDowngrade with UpgradeType (1 = upgrade, 2 = safe downgrade,
// 3 = unsafe downgrade) and adds ValidateOnly.
export const UpdateFeaturesRequest = message({
  name: 'UpdateFeaturesRequest',
  kind: 'request',
  validVersions: '0-1',
  flexibleVersions: '0+',
  fields: [
    int32('timeoutMs', { default: 60000 }),
    array('featureUpdates', [
      string('feature'),
      int16('maxVersionLevel'),
      bool('allowDowngrade', '0'),
      int8('upgradeType', { versions: '1+', default: 1 }),
    ]),
    bool('validateOnly', { versions: '1+', default: false }),
  ],
})

// Version 1 is the same as version 0.
export const UpdateFeaturesResponse = message({
  name: 'UpdateFeaturesResponse',
  kind: 'response',
  validVersions: '0-1',
  flexibleVersions: '0+',
  fields: [
    int32('throttleTimeMs'),
    int16('errorCode'),
    string('errorMessage', { nullable: '0+' }),
    array('results', [string('feature'), int16('errorCode'), string('errorMessage', { nullable: '0+' })]),
  ],
})

export const UpdateFeatures = api({
  key: 57,
  request: UpdateFeaturesRequest,
  response: UpdateFeaturesResponse,
  errorResponse: { set: { errorCode: 'code', errorMessage: 'message' } },
})
