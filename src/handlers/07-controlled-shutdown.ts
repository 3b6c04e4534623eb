/**
 * ControlledShutdown (7), v0-3: a broker about to stop asks the controller to move the leadership of its
 * partitions elsewhere and take it out of the ISRs, so clients fail over before it goes (Kafka's controlled
 * shutdown, controlled.shutdown.enable). Answered by the active controller only (NOT_CONTROLLER elsewhere);
 * remaining_partitions lists what it still leads. v0 uses request header v0; v2 adds the broker epoch
 * (STALE_BROKER_EPOCH when it does not match the registration); v3 is flexible.
 * Authorization: ClusterAction on the cluster (else CLUSTER_AUTHORIZATION_FAILED).
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js'
import { Apis } from '../protocol/messages/index.js'
import type { Services } from '../services/services.js'
import { AclOperation, requireCluster } from './authz.js'
import { defineHandler, type Handler } from './handler.js'

export const ControlledShutdownApi = Apis.ControlledShutdown

export function controlledShutdownHandler(d: Pick<Services, 'controller' | 'authorizer'>): Handler {
  return defineHandler(ControlledShutdownApi, {
    async handle(req, ctx) {
      requireCluster(d.authorizer, ctx, AclOperation.CLUSTER_ACTION)
      if (!d.controller.isActive) throw new KafkaError(ErrorCode.NOT_CONTROLLER)
      const r = await d.controller.controlledShutdown(req.brokerId, req.brokerEpoch)
      return {
        errorCode: r.errorCode,
        remainingPartitions: r.remaining.map((p) => ({ topicName: p.topic, partitionIndex: p.partition })),
      }
    },
  })
}
