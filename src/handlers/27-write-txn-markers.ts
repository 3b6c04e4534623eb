/**
 * WriteTxnMarkers (27), v0-1 (KafkaApis.handleWriteTxnMarkersRequest): a transaction coordinator has this broker
 * append COMMIT or ABORT markers to the partitions it leads (acks=all); markers reaching `__consumer_offsets`
 * make the transaction's offset commits visible to the group (or drop them). Each partition gets its own
 * error: UNKNOWN_TOPIC_OR_PARTITION if this broker has no replica of it, NOT_LEADER_OR_FOLLOWER if it is not
 * the leader, INVALID_PRODUCER_EPOCH / TRANSACTION_COORDINATOR_FENCED for a stale marker.
 * Version notes: v1 flexible.
 * Authorization: ClusterAction on the cluster (else CLUSTER_AUTHORIZATION_FAILED).
 */
import { Apis } from '../protocol/messages/index.js'
import type { Services } from '../services/services.js'
import { AclOperation, requireCluster } from './authz.js'
import { groupBy } from './common.js'
import { defineHandler, type Handler } from './handler.js'

export const WriteTxnMarkersApi = Apis.WriteTxnMarkers

export function writeTxnMarkersHandler(d: Pick<Services, 'txnMarkers' | 'authorizer'>): Handler {
  return defineHandler(WriteTxnMarkersApi, {
    async handle(req, ctx) {
      requireCluster(d.authorizer, ctx, AclOperation.CLUSTER_ACTION)
      const errors = await d.txnMarkers.write(
        req.markers.map((m) => ({
          producerId: m.producerId,
          producerEpoch: m.producerEpoch,
          coordinatorEpoch: m.coordinatorEpoch,
          commit: m.transactionResult,
          partitions: m.topics.flatMap((t) =>
            t.partitionIndexes.map((partition) => ({ topic: t.name, partition })),
          ),
        })),
      )
      return {
        markers: [...errors].map(([producerId, list]) => ({
          producerId,
          topics: [...groupBy(list, (e) => e.tp.topic)].map(([name, ps]) => ({
            name,
            partitions: ps.map((e) => ({ partitionIndex: e.tp.partition, errorCode: e.errorCode })),
          })),
        })),
      }
    },
  })
}
