/**
 * DescribeConfigs (32), v0-4: topic configs (effective values with their sources), broker configs (this broker's
 * id, or '' for the dynamic cluster defaults), and broker loggers.
 * Version notes: v0 reports is_default instead of a source and no synonyms; v1 sources and synonyms; v3 config
 * types and documentation; v4 flexible.
 * Authorization: DescribeConfigs on the cluster (brokers, broker loggers) or on the topic (else
 * CLUSTER_AUTHORIZATION_FAILED / TOPIC_AUTHORIZATION_FAILED for that resource, listed after the others).
 */
import { Apis } from '../protocol/messages/index.js'
import { ConfigSource } from '../config/config-def.js'
import { ErrorCode, errorInfo, toErrorCode, toErrorMessage } from '../protocol/errors.js'
import type { Services } from '../services/services.js'
import { configResourceAccess } from './authz.js'
import { defineHandler, type Handler } from './handler.js'

export const DescribeConfigsApi = Apis.DescribeConfigs

export function describeConfigsHandler(d: Pick<Services, 'configAdmin' | 'authorizer'>): Handler {
  return defineHandler(DescribeConfigsApi, {
    handle(req, ctx) {
      const v = ctx.apiVersion
      const denied = new Map<(typeof req.resources)[number], number>()
      for (const r of req.resources) {
        const error = configResourceAccess(d.authorizer, ctx, 'describe', r.resourceType, r.resourceName)
        if (error !== ErrorCode.NONE) denied.set(r, error)
      }
      return {
        throttleTimeMs: 0,
        results: [
          ...req.resources
            .filter((r) => !denied.has(r))
            .map((r) => {
              try {
                const configs = d.configAdmin.describe(r.resourceType, r.resourceName, {
                  keys: r.configurationKeys,
                  includeSynonyms: v >= 1 && req.includeSynonyms,
                  includeDocumentation: v >= 3 && req.includeDocumentation,
                })
                return {
                  errorCode: 0,
                  errorMessage: null,
                  resourceType: r.resourceType,
                  resourceName: r.resourceName,
                  configs: configs.map((c) => ({
                    name: c.name,
                    value: c.value,
                    readOnly: c.readOnly,
                    isDefault: c.configSource === ConfigSource.DEFAULT_CONFIG,
                    configSource: c.configSource,
                    isSensitive: c.isSensitive,
                    synonyms: c.synonyms.map((s) => ({ name: s.name, value: s.value, source: s.source })),
                    configType: c.configType,
                    documentation: c.documentation,
                  })),
                }
              } catch (e) {
                return {
                  errorCode: toErrorCode(e),
                  errorMessage: toErrorMessage(e),
                  resourceType: r.resourceType,
                  resourceName: r.resourceName,
                  configs: [],
                }
              }
            }),
          ...[...denied].map(([r, errorCode]) => ({
            errorCode,
            errorMessage: errorInfo(errorCode).message,
            resourceType: r.resourceType,
            resourceName: r.resourceName,
            configs: [],
          })),
        ],
      }
    },
  })
}
