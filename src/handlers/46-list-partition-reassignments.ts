/**
 * ListPartitionReassignments (46), v0 (KIP-455). Sent to the controller (NOT_CONTROLLER elsewhere). Lists the
 * reassignments in progress (replicas, adding and removing replicas) among the requested partitions, or all of
 * them for a null topic list; partitions not being moved (or unknown) are left out, as Kafka does.
 * Authorization: Describe on the cluster (else CLUSTER_AUTHORIZATION_FAILED).
 */
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode, KafkaError } from '../protocol/errors.js'
import type { Services } from '../services/services.js'
import { AclOperation, authorizeCluster } from './authz.js'
import { groupBy } from './common.js'
import { defineHandler, type Handler } from './handler.js'

export const ListPartitionReassignmentsApi = Apis.ListPartitionReassignments

export function listPartitionReassignmentsHandler(d: Pick<Services, 'controller' | 'authorizer'>): Handler {
  return defineHandler(ListPartitionReassignmentsApi, {
    async handle(req, ctx) {
      if (!authorizeCluster(d.authorizer, ctx, AclOperation.DESCRIBE))
        throw new KafkaError(ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
      if (!d.controller.isActive) throw new KafkaError(ErrorCode.NOT_CONTROLLER)
      const wanted =
        req.topics?.flatMap((t) => t.partitionIndexes.map((p) => ({ topic: t.name, partition: p }))) ?? null
      const ongoing = await d.controller.listPartitionReassignments(wanted)
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        topics: [...groupBy(ongoing, (r) => r.topic)].map(([name, rs]) => ({
          name,
          partitions: rs.map((r) => ({
            partitionIndex: r.partition,
            replicas: [...r.replicas],
            addingReplicas: [...r.addingReplicas],
            removingReplicas: [...r.removingReplicas],
          })),
        })),
      }
    },
  })
}
