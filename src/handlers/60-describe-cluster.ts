/**
 * DescribeCluster (60), v0-1. The cluster id, the controller and the live brokers on the request's listener.
 * v1 adds endpoint_type: a ZooKeeper-mode broker only serves brokers (1); asking for controllers (2) gets
 * UNSUPPORTED_ENDPOINT_TYPE, as Kafka 3.9 answers on a broker listener.
 */
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode } from '../protocol/errors.js'
import type { Services } from '../services/services.js'
import { brokersForListener, CLUSTER_AUTHORIZED_OPERATIONS } from './common.js'
import { defineHandler, type Handler } from './handler.js'

export const DescribeClusterApi = Apis.DescribeCluster

const BROKER_ENDPOINT_TYPE = 1

export function describeClusterHandler(d: Pick<Services, 'cache'>): Handler {
  return defineHandler(DescribeClusterApi, {
    handle(req, ctx) {
      if (req.endpointType !== BROKER_ENDPOINT_TYPE) {
        return {
          errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
          errorMessage: 'The broker only handles the BROKER endpoint type',
          endpointType: req.endpointType,
          clusterId: d.cache.clusterId,
        }
      }
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        endpointType: BROKER_ENDPOINT_TYPE,
        clusterId: d.cache.clusterId,
        controllerId: d.cache.controllerId ?? -1,
        brokers: brokersForListener(d.cache, ctx.connection.listenerName).map((b) => ({
          brokerId: b.id,
          host: b.host,
          port: b.port,
          rack: b.rack,
        })),
        clusterAuthorizedOperations: req.includeClusterAuthorizedOperations
          ? CLUSTER_AUTHORIZED_OPERATIONS
          : -2147483648,
      }
    },
  })
}
