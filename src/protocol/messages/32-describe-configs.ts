import { array, bool, int8, int16, int32, message, string, T } from '../codec/schema.js'
import { api } from '../api.js'

// Version 1 adds includeSynonyms. Version 2 is the same as version 1. Version 3 adds includeDocumentation
// (KIP-569). Version 4 is the first flexible version.
export const DescribeConfigsRequest = message({
  name: 'DescribeConfigsRequest',
  kind: 'request',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    array('resources', [
      int8('resourceType'),
      string('resourceName'),
      array('configurationKeys', T.string, { nullable: '0+' }),
    ]),
    bool('includeSynonyms', { versions: '1+', default: false }),
    bool('includeDocumentation', { versions: '3+', default: false }),
  ],
})

// Version 1 replaces isDefault with configSource and adds the synonyms. Version 3 adds the config type and
// documentation.
export const DescribeConfigsResponse = message({
  name: 'DescribeConfigsResponse',
  kind: 'response',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    int32('throttleTimeMs'),
    array('results', [
      int16('errorCode'),
      string('errorMessage', { nullable: '0+' }),
      int8('resourceType'),
      string('resourceName'),
      array('configs', [
        string('name'),
        string('value', { nullable: '0+' }),
        bool('readOnly'),
        bool('isDefault', '0'),
        int8('configSource', { versions: '1+', default: -1 }),
        bool('isSensitive'),
        array(
          'synonyms',
          [string('name', '1+'), string('value', { versions: '1+', nullable: '0+' }), int8('source', '1+')],
          '1+',
        ),
        int8('configType', { versions: '3+', default: 0 }),
        string('documentation', { versions: '3+', nullable: '0+' }),
      ]),
    ]),
  ],
})

export const DescribeConfigs = api({
  key: 32,
  request: DescribeConfigsRequest,
  response: DescribeConfigsResponse,
  errorResponse: {
    mirror: {
      results: {
        from: 'resources',
        set: {
          errorCode: 'code',
          errorMessage: 'defaultMessage',
          resourceType: { copy: 'resourceType' },
          resourceName: { copy: 'resourceName' },
        },
      },
    },
  },
})
