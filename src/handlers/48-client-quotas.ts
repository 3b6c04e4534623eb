/**
 * DescribeClientQuotas (48) and AlterClientQuotas (49), v0–1 (KIP-546): the client quotas of users and client ids
 * as stored in /config/users and /config/clients (services/quota/quota-store.ts has the rules).
 *
 * Authorization as KafkaApis: DescribeConfigs on the cluster to describe, AlterConfigs on the cluster to alter
 * (else CLUSTER_AUTHORIZATION_FAILED for the request or for every entry).
 */
import { Apis } from '../protocol/messages/index.js'
import { QuotaError } from '../services/quota/quota-store.js'
import type { Services } from '../services/services.js'
import { AclOperation, requireCluster } from './authz.js'
import { defineHandler, type Handler } from './handler.js'

export const DescribeClientQuotasApi = Apis.DescribeClientQuotas
export const AlterClientQuotasApi = Apis.AlterClientQuotas

type QuotaServices = Pick<Services, 'quotas' | 'authorizer'>

export function describeClientQuotasHandler(s: QuotaServices): Handler {
  return defineHandler(DescribeClientQuotasApi, {
    handle(req, ctx) {
      requireCluster(s.authorizer, ctx, AclOperation.DESCRIBE_CONFIGS)
      // A refused filter (QuotaError) is answered by the dispatcher from the schema's errorResponse
      const entries = s.quotas.store.describe(req.components, req.strict)
      return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, entries }
    },
  })
}

export function alterClientQuotasHandler(s: QuotaServices): Handler {
  return defineHandler(AlterClientQuotasApi, {
    async handle(req, ctx) {
      requireCluster(s.authorizer, ctx, AclOperation.ALTER_CONFIGS)
      const entries = []
      for (const e of req.entries) {
        try {
          await s.quotas.store.alter(e.entity, e.ops, req.validateOnly)
          entries.push({ errorCode: 0, errorMessage: null, entity: e.entity })
        } catch (err) {
          if (!(err instanceof QuotaError)) throw err
          entries.push({ errorCode: err.code, errorMessage: err.message, entity: e.entity })
        }
      }
      return { throttleTimeMs: 0, entries }
    },
  })
}
