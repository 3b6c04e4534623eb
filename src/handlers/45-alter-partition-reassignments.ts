/**
 * AlterPartitionReassignments (45), v0 (KIP-455). Sent to the controller (NOT_CONTROLLER elsewhere, for the whole
 * request). A replica list starts or redirects a partition's reassignment, a null list cancels it; every partition
 * gets its own error code (INVALID_REPLICA_ASSIGNMENT, UNKNOWN_TOPIC_OR_PARTITION, NO_REASSIGNMENT_IN_PROGRESS).
 * Authorization: Alter on the cluster (else CLUSTER_AUTHORIZATION_FAILED, on the request and on each partition).
 */
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode, KafkaError } from '../protocol/errors.js'
import type { Services } from '../services/services.js'
import { AclOperation, authorizeCluster } from './authz.js'
import { groupBy } from './common.js'
import { defineHandler, type Handler } from './handler.js'

export const AlterPartitionReassignmentsApi = Apis.AlterPartitionReassignments

export function alterPartitionReassignmentsHandler(d: Pick<Services, 'controller' | 'authorizer'>): Handler {
  return defineHandler(AlterPartitionReassignmentsApi, {
    async handle(req, ctx) {
      if (!authorizeCluster(d.authorizer, ctx, AclOperation.ALTER))
        throw new KafkaError(ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
      if (!d.controller.isActive) throw new KafkaError(ErrorCode.NOT_CONTROLLER)
      const wanted = req.topics.flatMap((t) =>
        t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas })),
      )
      const results = await d.controller.alterPartitionReassignments(wanted)
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        responses: [...groupBy(results, (r) => r.topic)].map(([name, rs]) => ({
          name,
          partitions: rs.map((r) => ({
            partitionIndex: r.partition,
            errorCode: r.errorCode,
            errorMessage: r.errorMessage,
          })),
        })),
      }
    },
  })
}
