import { array, int16, int32, int8, message, string, T } from '../codec/schema.js'
import { api } from '../api.js'

// Version 1 adds KeyType. Version 2 is the same as 1. Version 3 is the first flexible version.
// Version 4 batches keys in CoordinatorKeys (KIP-699). Version 5 may return TRANSACTION_ABORTABLE (KIP-890).
// Version 6 allows share-group keys (KIP-932).
export const FindCoordinatorRequest = message({
  name: 'FindCoordinatorRequest',
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

export const FindCoordinator = api({
  key: 10,
  request: FindCoordinatorRequest,
  response: FindCoordinatorResponse,
  errorResponse: {
    // The error code's own message, and Node.noNode() as the coordinator.
    set: {
      errorCode: 'code',
      errorMessage: 'defaultMessage',
      nodeId: { value: -1 },
      host: { value: '' },
      port: { value: -1 },
    },
    mirror: {
      coordinators: {
        from: 'coordinatorKeys',
        set: {
          key: { copy: '.' },
          errorCode: 'code',
          errorMessage: 'defaultMessage',
          nodeId: { value: -1 },
          host: { value: '' },
          port: { value: -1 },
        },
      },
    },
  },
})
