/**
 * UpdateMetadata (6), v0-7: the controller's partition states, sent to every broker (ZooKeeper mode). Samsa's brokers
 * read leaders, ISRs, replicas and live brokers from ZooKeeper themselves; what they take from this request is what
 * ZooKeeper does not hold — which live replicas are offline (on a failed log directory), for Metadata's
 * offline_replicas (v4+ carries them; earlier versions change nothing). A partition state replaces what was known of
 * that partition. v5+ group partitions by topic and carry the broker epoch (STALE_BROKER_EPOCH when older than this
 * broker's registration); an older controller epoch than one already applied gets STALE_CONTROLLER_EPOCH.
 * Authorization: ClusterAction on the cluster (else CLUSTER_AUTHORIZATION_FAILED).
 */
import { ErrorCode } from '../protocol/errors.js'
import { Apis } from '../protocol/messages/index.js'
import type { Services } from '../services/services.js'
import { AclOperation, requireCluster } from './authz.js'
import { defineHandler, type Handler } from './handler.js'

export const UpdateMetadataApi = Apis.UpdateMetadata

export function updateMetadataHandler(d: Pick<Services, 'cache' | 'authorizer' | 'config'>): Handler {
  return defineHandler(UpdateMetadataApi, {
    handle(req, ctx) {
      requireCluster(d.authorizer, ctx, AclOperation.CLUSTER_ACTION)
      const own = d.cache.brokers.get(d.config.brokerId)?.epoch
      if (req.brokerEpoch !== -1 && own !== undefined && req.brokerEpoch < own)
        return Promise.resolve({ errorCode: ErrorCode.STALE_BROKER_EPOCH })
      const states =
        ctx.apiVersion >= 5
          ? req.topicStates.flatMap((t) => t.partitionStates.map((p) => ({ ...p, topicName: t.topicName })))
          : req.ungroupedPartitionStates
      const partitions = ctx.apiVersion >= 4 ? states : []
      const applied = d.cache.applyOfflineReplicas(
        req.controllerEpoch,
        partitions.map((p) => ({
          topic: p.topicName,
          partition: p.partitionIndex,
          offlineReplicas: p.offlineReplicas,
        })),
      )
      return Promise.resolve({ errorCode: applied ? ErrorCode.NONE : ErrorCode.STALE_CONTROLLER_EPOCH })
    },
  })
}
