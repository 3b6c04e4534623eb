/**
 * DescribeLogDirs (35), v0-4: every log directory of this broker with the size of each partition replica in it
 * and its offset lag (log end offset minus high watermark for followers' "future" logs in Kafka; 0 here, as there
 * are no future logs), and from v4 the directory's total and usable bytes. A null topic list means all.
 * v3 adds a top-level error code. A failed directory is listed with KAFKA_STORAGE_ERROR (the controller reads this
 * to learn which replicas of a broker went offline with it).
 * Authorization: Describe on the cluster (else no directories and, from v3, CLUSTER_AUTHORIZATION_FAILED).
 */
import { Apis } from '../protocol/messages/index.js'
import { statfsSync } from 'node:fs'
import { ErrorCode } from '../protocol/errors.js'
import type { Services } from '../services/services.js'
import { AclOperation, authorizeCluster } from './authz.js'
import { groupBy } from './common.js'
import { defineHandler, type Handler } from './handler.js'

export const DescribeLogDirsApi = Apis.DescribeLogDirs

export function describeLogDirsHandler(d: Pick<Services, 'logManager' | 'authorizer'>): Handler {
  return defineHandler(DescribeLogDirsApi, {
    handle(req, ctx) {
      if (!authorizeCluster(d.authorizer, ctx, AclOperation.DESCRIBE))
        return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, results: [] }
      const wanted =
        req.topics === null
          ? null
          : new Set(req.topics.flatMap((t) => t.partitions.map((p) => `${t.topic}\u0000${p}`)))
      return {
        throttleTimeMs: 0,
        errorCode: 0,
        results: [
          ...d.logManager.liveLogDirs.map((dir) => {
            const logs = d.logManager
              .logsInDir(dir)
              .filter((l) => wanted === null || wanted.has(`${l.topic}\u0000${l.partition}`))
            let totalBytes = -1
            let usableBytes = -1
            try {
              const s = statfsSync(dir)
              totalBytes = s.blocks * s.bsize
              usableBytes = s.bavail * s.bsize
            } catch {
              // leave -1: unknown
            }
            return {
              errorCode: 0,
              logDir: dir,
              topics: [...groupBy(logs, (l) => l.topic)].map(([name, ls]) => ({
                name,
                partitions: ls.map((l) => ({
                  partitionIndex: l.partition,
                  partitionSize: l.size,
                  offsetLag: 0,
                  isFutureKey: false,
                })),
              })),
              totalBytes,
              usableBytes,
            }
          }),
          // A failed directory is listed with KAFKA_STORAGE_ERROR and nothing in it, as Kafka does.
          ...d.logManager.offlineLogDirs.map((dir) => ({
            errorCode: ErrorCode.KAFKA_STORAGE_ERROR,
            logDir: dir,
            topics: [],
            totalBytes: -1,
            usableBytes: -1,
          })),
        ],
      }
    },
  })
}
