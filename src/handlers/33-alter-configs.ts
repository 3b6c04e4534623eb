/**
 * AlterConfigs (33), v0-2, and IncrementalAlterConfigs (44), v0-1: topic overrides and dynamic broker configs
 * (this broker's id, or '' for the cluster defaults), validated as Kafka validates them and stored in
 * ZooKeeper, from where every broker applies them; IncrementalAlterConfigs also sets the broker's log level
 * (BROKER_LOGGER). AlterConfigs replaces the resource's whole dynamic config; IncrementalAlterConfigs applies
 * SET/DELETE/APPEND/SUBTRACT to it. validate_only checks without writing.
 * Authorization: AlterConfigs on the cluster (brokers, broker loggers) or on the topic (else
 * CLUSTER_AUTHORIZATION_FAILED / TOPIC_AUTHORIZATION_FAILED for that resource, without a message).
 */
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode, toErrorCode, toErrorMessage } from '../protocol/errors.js'
import type { Services } from '../services/services.js'
import { configResourceAccess, type AuthzContext } from './authz.js'
import { defineHandler, type Handler } from './handler.js'

export const AlterConfigsApi = Apis.AlterConfigs
export const IncrementalAlterConfigsApi = Apis.IncrementalAlterConfigs

async function result(
  d: Pick<Services, 'authorizer'>,
  ctx: AuthzContext,
  resourceType: number,
  resourceName: string,
  f: () => Promise<void>,
) {
  const denied = configResourceAccess(d.authorizer, ctx, 'alter', resourceType, resourceName)
  if (denied !== ErrorCode.NONE) return { errorCode: denied, errorMessage: null, resourceType, resourceName }
  try {
    await f()
    return { errorCode: 0, errorMessage: null, resourceType, resourceName }
  } catch (e) {
    return { errorCode: toErrorCode(e), errorMessage: toErrorMessage(e), resourceType, resourceName }
  }
}

export function alterConfigsHandler(d: Pick<Services, 'configAdmin' | 'authorizer'>): Handler {
  return defineHandler(AlterConfigsApi, {
    async handle(req, ctx) {
      const responses = []
      for (const r of req.resources) {
        const configs = new Map(r.configs.map((c) => [c.name, c.value]))
        responses.push(
          await result(d, ctx, r.resourceType, r.resourceName, () =>
            d.configAdmin.alter(r.resourceType, r.resourceName, configs, req.validateOnly),
          ),
        )
      }
      return { throttleTimeMs: 0, responses }
    },
  })
}

export function incrementalAlterConfigsHandler(d: Pick<Services, 'configAdmin' | 'authorizer'>): Handler {
  return defineHandler(IncrementalAlterConfigsApi, {
    async handle(req, ctx) {
      const responses = []
      for (const r of req.resources) {
        const ops = r.configs.map((c) => ({ name: c.name, op: c.configOperation, value: c.value }))
        responses.push(
          await result(d, ctx, r.resourceType, r.resourceName, () =>
            d.configAdmin.incrementalAlter(r.resourceType, r.resourceName, ops, req.validateOnly),
          ),
        )
      }
      return { throttleTimeMs: 0, responses }
    },
  })
}
