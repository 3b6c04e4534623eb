import { array, int16, int32, int64, message, records, string, structField } from '../codec/schema.js'
import { api } from '../api.js'
import { perPartition } from '../error-response.js'

// Version 1 and 2 are the same as version 0 on the wire (v2 requires message format v1).
// Version 3 adds the transactional id and message format v2 (record batches).
// Versions 4-8 are the same as version 3 (new error codes, zstd from v7, KIP-467 errors in the response from v8).
// Version 9 is the first flexible version.
// Version 10 is the same as version 9 (the response gains KIP-951 tagged fields).
// Version 11 is the same as version 10 (TRANSACTION_ABORTABLE, KIP-890).
export const ProduceRequest = message({
  name: 'ProduceRequest',
  kind: 'request',
  validVersions: '0-11',
  flexibleVersions: '9+',
  fields: [
    string('transactionalId', { versions: '3+', nullable: '3+', default: null }),
    int16('acks'),
    int32('timeoutMs'),
    array('topicData', [
      string('name'),
      array('partitionData', [int32('index'), records('records', { nullable: '0+' })]),
    ]),
  ],
})

// Version 1 adds the throttle time; version 2 the log append time; version 5 the log start offset.
// Version 8 adds per-record errors and an error message (KIP-467). Version 9 is the first flexible version.
// Version 10 adds the tagged CurrentLeader (per partition) and NodeEndpoints (top level) of KIP-951.
export const ProduceResponse = message({
  name: 'ProduceResponse',
  kind: 'response',
  validVersions: '0-11',
  flexibleVersions: '9+',
  fields: [
    array('responses', [
      string('name'),
      array('partitionResponses', [
        int32('index'),
        int16('errorCode'),
        int64('baseOffset'),
        int64('logAppendTimeMs', { versions: '2+', default: -1 }),
        int64('logStartOffset', { versions: '5+', default: -1 }),
        array(
          'recordErrors',
          [
            int32('batchIndex', '8+'),
            string('batchIndexErrorMessage', { versions: '8+', nullable: '8+', default: null }),
          ],
          {
            versions: '8+',
          },
        ),
        string('errorMessage', { versions: '8+', nullable: '8+', default: null }),
        structField(
          'currentLeader',
          [
            int32('leaderId', { versions: '10+', default: -1 }),
            int32('leaderEpoch', { versions: '10+', default: -1 }),
          ],
          { versions: '10+', tag: 0 },
        ),
      ]),
    ]),
    int32('throttleTimeMs', { versions: '1+', default: 0 }),
    array(
      'nodeEndpoints',
      [
        int32('nodeId', '10+'),
        string('host', '10+'),
        int32('port', '10+'),
        string('rack', { versions: '10+', nullable: '10+', default: null }),
      ],
      { versions: '10+', tag: 0 },
    ),
  ],
})

export const Produce = api({
  key: 0,
  request: ProduceRequest,
  response: ProduceResponse,
  errorResponse: {
    // acks=0: no response; the connection is closed so that the producer refreshes its metadata.
    noResponseIf: { field: 'acks', value: 0 },
    mirror: perPartition(
      {
        errorCode: 'code',
        errorMessage: 'message',
        baseOffset: { value: -1 },
        logAppendTimeMs: { value: -1 },
        logStartOffset: { value: -1 },
      },
      {
        topics: 'responses',
        fromTopics: 'topicData',
        partitions: 'partitionResponses',
        fromPartitions: 'partitionData',
        index: 'index',
      },
    ),
  },
})
