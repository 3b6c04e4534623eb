import { array, bool, int16, int32, int64, message, string, T } from '../codec/schema.js'
import { api } from '../api.js'

// Version 1 is the same as version 0. Version 2 is the first flexible version. Versions 3 and 4 change the
// response only.
export const DescribeLogDirsRequest = message({
  name: 'DescribeLogDirsRequest',
  kind: 'request',
  validVersions: '0-4',
  flexibleVersions: '2+',
  fields: [array('topics', [string('topic'), array('partitions', T.int32)], { nullable: '0+' })],
})

// Version 3 adds a top-level error code. Version 4 adds the volume's total and usable bytes (KIP-827).
export const DescribeLogDirsResponse = message({
  name: 'DescribeLogDirsResponse',
  kind: 'response',
  validVersions: '0-4',
  flexibleVersions: '2+',
  fields: [
    int32('throttleTimeMs'),
    int16('errorCode', '3+'),
    array('results', [
      int16('errorCode'),
      string('logDir'),
      array('topics', [
        string('name'),
        array('partitions', [
          int32('partitionIndex'),
          int64('partitionSize'),
          int64('offsetLag'),
          bool('isFutureKey'),
        ]),
      ]),
      int64('totalBytes', { versions: '4+', default: -1 }),
      int64('usableBytes', { versions: '4+', default: -1 }),
    ]),
  ],
})

export const DescribeLogDirs = api({
  key: 35,
  request: DescribeLogDirsRequest,
  response: DescribeLogDirsResponse,
})
