import { array, int16, int32, int8, message, string, T } from '../codec/schema.js'

// Version 1 adds KeyType. Version 2 is the same as 1. Version 3 is the first flexible version.
// Version 4 batches keys in CoordinatorKeys (KIP-699). Version 5 may return TRANSACTION_ABORTABLE (KIP-890).
// Version 6 allows share-group keys (KIP-932).
export const FindCoordinatorRequest = message({
  name: 'FindCoordinatorRequest',
  apiKey: 10,
  kind: 'request',
  validVersions: '0-6',
  flexibleVersions: '3+',
  fields: [
    string('key', '0-3'),
    int8('keyType', { versions: '1+', default: 0 }),
    array('coordinatorKeys', T.string, '4+'),
  ],
})

// Version 1 adds throttle time and an error message. Version 2 is the same as 1. Version 3 is the first flexible
// version. Version 4 answers per key in Coordinators (KIP-699). Versions 5 and 6 are the same as 4.
export const FindCoordinatorResponse = message({
  name: 'FindCoordinatorResponse',
  apiKey: 10,
  kind: 'response',
  validVersions: '0-6',
  flexibleVersions: '3+',
  fields: [
    int32('throttleTimeMs', '1+'),
    int16('errorCode', '0-3'),
    string('errorMessage', { versions: '1-3', nullable: '1-3' }),
    int32('nodeId', '0-3'),
    string('host', '0-3'),
    int32('port', '0-3'),
    array(
      'coordinators',
      [
        string('key', '4+'),
        int32('nodeId', '4+'),
        string('host', '4+'),
        int32('port', '4+'),
        int16('errorCode', '4+'),
        string('errorMessage', { versions: '4+', nullable: '4+' }),
      ],
      '4+',
    ),
  ],
})
