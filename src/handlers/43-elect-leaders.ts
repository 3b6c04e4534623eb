/**
 * ElectLeaders (43), v0-2. Sent to the controller (NOT_CONTROLLER elsewhere, for the whole request). Preferred
 * (0) or unclean (1, v1+) elections for the given partitions, or for all partitions when the list is null.
 * v0 carries no election type (preferred) and no top-level error code.
 * Authorization: Alter on the cluster (else CLUSTER_AUTHORIZATION_FAILED, also on each requested partition).
 */
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode, KafkaError } from '../protocol/errors.js'
import type { Services } from '../services/services.js'
import { AclOperation, authorizeCluster } from './authz.js'
import { groupBy } from './common.js'
import { defineHandler, type Handler } from './handler.js'

export const ElectLeadersApi = Apis.ElectLeaders

export function electLeadersHandler(d: Pick<Services, 'controller' | 'authorizer'>): Handler {
  return defineHandler(ElectLeadersApi, {
    async handle(req, ctx) {
      const type = req.electionType === 1 ? 'unclean' : 'preferred'
      const wanted =
        req.topicPartitions?.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p }))) ??
        null
      if (!authorizeCluster(d.authorizer, ctx, AclOperation.ALTER)) {
        const denied = ErrorCode.CLUSTER_AUTHORIZATION_FAILED
        return {
          throttleTimeMs: 0,
          errorCode: denied,
          replicaElectionResults: (req.topicPartitions ?? []).map((t) => ({
            topic: t.topic,
            partitionResult: t.partitions.map((p) => ({
              partitionId: p,
              errorCode: denied,
              errorMessage: null,
            })),
          })),
        }
      }
      if (!d.controller.isActive) throw new KafkaError(ErrorCode.NOT_CONTROLLER)
      const results = await d.controller.electLeaders(type, wanted)
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        replicaElectionResults: [...groupBy(results, (r) => r.topic)].map(([topic, rs]) => ({
          topic,
          partitionResult: rs.map((r) => ({
            partitionId: r.partition,
            errorCode: r.errorCode,
            errorMessage: r.errorMessage,
          })),
        })),
      }
    },
  })
}
