/**
 * DescribeConfigs (32), v0-4: topic configs (effective values with their sources), broker configs (this broker's
 * id, or '' for the dynamic cluster defaults), and broker loggers.
 * Version notes: v0 reports is_default instead of a source and no synonyms; v1 sources and synonyms; v3 config
 * types and documentation; v4 flexible.
 */
import { Apis } from '../protocol/messages/index.js'
import { ConfigSource } from '../config/config-def.js'
import { toErrorCode, toErrorMessage } from '../protocol/errors.js'
import type { Services } from '../services/services.js'
import { defineHandler, type Handler } from './handler.js'

export const DescribeConfigsApi = Apis.DescribeConfigs

export function describeConfigsHandler(d: Pick<Services, 'configAdmin'>): Handler {
  return defineHandler(DescribeConfigsApi, {
    handle(req, ctx) {
      const v = ctx.apiVersion
      return {
        throttleTimeMs: 0,
        results: req.resources.map((r) => {
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
      }
    },
  })
}
