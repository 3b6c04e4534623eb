/**
 * AlterReplicaLogDirs (34), v0-2: moves this broker's replicas of the named partitions to the named log directories
 * (absolute paths of log.dirs), as Kafka's KafkaApis.handleAlterReplicaLogDirsRequest. The move itself (a future log
 * copied in the background, then swapped in) is the replica service's (ReplicaManager.alterReplicaLogDir). Per
 * partition: LOG_DIR_NOT_FOUND for a directory that is not in log.dirs, KAFKA_STORAGE_ERROR for an offline one (or
 * an offline replica, or while any directory is offline), REPLICA_NOT_AVAILABLE for a partition not hosted here yet
 * (its directory is remembered for when it is created), UNKNOWN_TOPIC_OR_PARTITION for one that does not exist.
 * A partition named twice goes to the last directory naming it.
 * Authorization: Alter on the cluster (else CLUSTER_AUTHORIZATION_FAILED for every partition).
 */
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode } from '../protocol/errors.js'
import type { Services } from '../services/services.js'
import { AclOperation, authorizeCluster } from './authz.js'
import { groupBy } from './common.js'
import { defineHandler, type Handler } from './handler.js'

export const AlterReplicaLogDirsApi = Apis.AlterReplicaLogDirs

export function alterReplicaLogDirsHandler(d: Pick<Services, 'replicas' | 'authorizer'>): Handler {
  return defineHandler(AlterReplicaLogDirsApi, {
    handle(req, ctx) {
      const wanted = new Map<string, { topic: string; partition: number; dir: string }>()
      for (const dir of req.dirs)
        for (const t of dir.topics)
          for (const partition of t.partitions)
            wanted.set(`${t.name}\u0000${partition}`, { topic: t.name, partition, dir: dir.path })
      const allowed = authorizeCluster(d.authorizer, ctx, AclOperation.ALTER)
      const results = [...wanted.values()].map((w) => ({
        ...w,
        errorCode: allowed
          ? d.replicas.alterReplicaLogDir(w.topic, w.partition, w.dir)
          : ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
      }))
      return {
        throttleTimeMs: 0,
        results: [...groupBy(results, (r) => r.topic)].map(([topicName, rs]) => ({
          topicName,
          partitions: rs.map((r) => ({ partitionIndex: r.partition, errorCode: r.errorCode })),
        })),
      }
    },
  })
}
