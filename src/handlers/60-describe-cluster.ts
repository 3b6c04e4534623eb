/**
 * DescribeCluster (60), v0-1. The cluster id, the controller and the live brokers on the request's listener.
 * v1 adds endpoint_type: a ZooKeeper-mode broker only serves brokers (1); asking for controllers (2) gets
 * UNSUPPORTED_ENDPOINT_TYPE, as Kafka 3.9 answers on a broker listener.
 * The cluster's authorized operations (when asked for) need Describe on the cluster; without it they are 0.
 */
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode } from '../protocol/errors.js'
import type { Services } from '../services/services.js'
import { CLUSTER_NAME } from '../services/security/acl.js'
import { AclOperation, authorizeCluster, authorizedOperations, ResourceType } from './authz.js'
import { brokersForListener } from './common.js'
import { defineHandler, type Handler } from './handler.js'

export const DescribeClusterApi = Apis.DescribeCluster

const BROKER_ENDPOINT_TYPE = 1

export function describeClusterHandler(d: Pick<Services, 'cache' | 'authorizer'>): Handler {
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
        clusterAuthorizedOperations: !req.includeClusterAuthorizedOperations
          ? -2147483648
          : authorizeCluster(d.authorizer, ctx, AclOperation.DESCRIBE)
            ? authorizedOperations(d.authorizer, ctx, ResourceType.CLUSTER, CLUSTER_NAME)
            : 0,
      }
    },
  })
}
