import { array, bool, float64, int16, int32, message, string } from '../codec/schema.js'

// Version 0 (KIP-546). Version 1 is the same, and the first flexible version.
// A null entity name means the default entity of that type.
export const AlterClientQuotasRequest = message({
  name: 'AlterClientQuotasRequest',
  apiKey: 49,
  kind: 'request',
  validVersions: '0-1',
  flexibleVersions: '1+',
  fields: [
    array('entries', [
      array('entity', [string('entityType'), string('entityName', { nullable: '0+' })]),
      array('ops', [string('key'), float64('value'), bool('remove')]),
    ]),
    bool('validateOnly'),
  ],
})

export const AlterClientQuotasResponse = message({
  name: 'AlterClientQuotasResponse',
  apiKey: 49,
  kind: 'response',
  validVersions: '0-1',
  flexibleVersions: '1+',
  fields: [
    int32('throttleTimeMs'),
    array('entries', [
      int16('errorCode'),
      string('errorMessage', { nullable: '0+' }),
      array('entity', [string('entityType'), string('entityName', { nullable: '0+' })]),
    ]),
  ],
})
