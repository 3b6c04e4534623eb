/**
 * DescribeLogDirs (35), v0-4: every log directory of this broker with the size of each partition replica in it,
 * and from v4 the directory's total and usable bytes. A null topic list means all. A replica being moved to another
 * directory (AlterReplicaLogDirs) is listed twice, as in Kafka: its current log, and its future log under the target
 * directory with isFutureKey and, as offset lag, how far the future log's end is behind the current log's (0 for
 * current logs).
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
            const logs = [
              ...d.logManager.logsInDir(dir).map((log) => ({ log, isFutureKey: false, offsetLag: 0 })),
              ...d.logManager.futureLogsInDir(dir).map((log) => ({
                log,
                isFutureKey: true,
                offsetLag: Math.max(
                  0,
                  (d.logManager.getLog(log.topicPartition)?.logEndOffset ?? 0) - log.logEndOffset,
                ),
              })),
            ].filter(({ log: l }) => wanted === null || wanted.has(`${l.topic}\u0000${l.partition}`))
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
              topics: [...groupBy(logs, (l) => l.log.topic)].map(([name, ls]) => ({
                name,
                partitions: ls.map(({ log, isFutureKey, offsetLag }) => ({
                  partitionIndex: log.partition,
                  partitionSize: log.size,
                  offsetLag,
                  isFutureKey,
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
