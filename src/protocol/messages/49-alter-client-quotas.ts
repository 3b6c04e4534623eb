import { array, bool, float64, int16, int32, message, string } from '../codec/schema.js'
import { api } from '../api.js'

// Version 0 (KIP-546). Version 1 is the same, and the first flexible version.
// A null entity name means the default entity of that type.
export const AlterClientQuotasRequest = message({
  name: 'AlterClientQuotasRequest',
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

export const AlterClientQuotas = api({
  key: 49,
  request: AlterClientQuotasRequest,
  response: AlterClientQuotasResponse,
  errorResponse: {
    mirror: {
      entries: {
        from: 'entries',
        // Kafka uses the error code's own message here (Errors.message()), not the thrown one.
        set: { errorCode: 'code', errorMessage: 'defaultMessage' },
        mirror: {
          entity: {
            from: 'entity',
            set: { entityType: { copy: 'entityType' }, entityName: { copy: 'entityName' } },
          },
        },
      },
    },
  },
})
