import { array, bool, float64, int16, int32, int8, message, string } from '../codec/schema.js'
import { api } from '../api.js'

// Version 0 (KIP-546). Version 1 is the same, and the first flexible version.
// matchType: 0 = exact name, 1 = default name, 2 = any specified name.
export const DescribeClientQuotasRequest = message({
  name: 'DescribeClientQuotasRequest',
  kind: 'request',
  validVersions: '0-1',
  flexibleVersions: '1+',
  fields: [
    array('components', [string('entityType'), int8('matchType'), string('match', { nullable: '0+' })]),
    bool('strict'),
  ],
})

export const DescribeClientQuotasResponse = message({
  name: 'DescribeClientQuotasResponse',
  kind: 'response',
  validVersions: '0-1',
  flexibleVersions: '1+',
  fields: [
    int32('throttleTimeMs'),
    int16('errorCode'),
    string('errorMessage', { nullable: '0+' }),
    array(
      'entries',
      [
        array('entity', [string('entityType'), string('entityName', { nullable: '0+' })]),
        array('values', [string('key'), float64('value')]),
      ],
      { nullable: '0+' },
    ),
  ],
})

export const DescribeClientQuotas = api({
  key: 48,
  request: DescribeClientQuotasRequest,
  response: DescribeClientQuotasResponse,
  errorResponse: { set: { errorCode: 'code', errorMessage: 'message', entries: { value: null } } },
})
