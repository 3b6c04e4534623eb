/**
 * CreateTopics (19), v0-7. Served by the controller only (others answer NOT_CONTROLLER, as ZooKeeper-mode Kafka
 * does, so clients retry against the controller from their metadata). Topics are validated (name, collisions,
 * counts, assignments, configs), written to ZooKeeper, and the answer waits up to timeout_ms until every new
 * partition has a leader (REQUEST_TIMED_OUT after that; the topic still exists).
 * Version notes: v1 validate_only and error messages; v4 partitions/replication factor may be -1 (broker
 * defaults); v5 returns partitions, replication factor and the topic's configs; v7 topic ids.
 * Quota: controller_mutation_rate counts the partitions created; from v6 a topic over the quota is answered
 * THROTTLING_QUOTA_EXCEEDED, before v6 it is created and the response throttled (KIP-599).
 * Authorization: Create on the cluster or on the topic (else TOPIC_AUTHORIZATION_FAILED); the configs,
 * partitions and replication factor of a created topic are only returned with DescribeConfigs on it (else
 * topic_config_error_code is TOPIC_AUTHORIZATION_FAILED).
 */
import type { CreateTopicsResponse } from '../protocol/messages/19-create-topics.js'
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode, toErrorCode, toErrorMessage } from '../protocol/errors.js'
import { describeTopicConfig } from '../config/topic-config.js'
import type { Services } from '../services/services.js'
import { AclOperation, authorizeCluster, filterAuthorized, ResourceType } from './authz.js'
import { controllerMutationQuota, controllerMutationThrottle } from './controller-quota.js'
import { defineHandler, type Elem, type Handler, type Out } from './handler.js'

export const CreateTopicsApi = Apis.CreateTopics

type Result = Elem<Out<typeof CreateTopicsResponse>['topics']>

export function createTopicsHandler(
  d: Pick<Services, 'topicAdmin' | 'controller' | 'config' | 'authorizer' | 'quotas'>,
): Handler {
  return defineHandler(CreateTopicsApi, {
    async handle(req, ctx) {
      const counts = new Map<string, number>()
      for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1)
      const dups = [...counts].filter(([, n]) => n > 1).map(([name]) => name)
      const results: Result[] = []
      const created: { name: string; partitions: number }[] = []
      const quota = controllerMutationQuota(d, ctx, 6)
      const names = req.topics.map((t) => t.name)
      const a = d.authorizer
      const mayCreate = (): Set<string> =>
        authorizeCluster(a, ctx, AclOperation.CREATE, { logIfDenied: false })
          ? new Set(names)
          : filterAuthorized(a, ctx, AclOperation.CREATE, ResourceType.TOPIC, names)
      const creatable = d.controller.isActive ? mayCreate() : new Set<string>()
      const configsVisible = d.controller.isActive
        ? filterAuthorized(a, ctx, AclOperation.DESCRIBE_CONFIGS, ResourceType.TOPIC, names, {
            logIfDenied: false,
          })
        : new Set<string>()
      for (const t of req.topics) {
        const base = { name: t.name, numPartitions: -1, replicationFactor: -1, configs: null }
        if (dups.includes(t.name)) {
          results.push({
            ...base,
            errorCode: ErrorCode.INVALID_REQUEST,
            errorMessage: `Create topics request from client \`${ctx.clientId}\` contains multiple entries for the following topics: ${dups.join(', ')}`,
          })
          continue
        }
        if (!d.controller.isActive) {
          results.push({
            ...base,
            errorCode: ErrorCode.NOT_CONTROLLER,
            errorMessage: 'This is not the correct controller for this cluster.',
          })
          continue
        }
        if (!creatable.has(t.name)) {
          results.push({
            ...base,
            errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
            errorMessage: 'Authorization failed.',
            topicConfigErrorCode: configsVisible.has(t.name)
              ? ErrorCode.NONE
              : ErrorCode.TOPIC_AUTHORIZATION_FAILED,
          })
          continue
        }
        try {
          const configs = new Map<string, string>()
          for (const c of t.configs) {
            if (c.value !== null) configs.set(c.name, c.value)
          }
          const assignments = new Map(t.assignments.map((a) => [a.partitionIndex, a.brokerIds]))
          const r = await d.topicAdmin.createTopic(
            {
              name: t.name,
              numPartitions: t.numPartitions,
              replicationFactor: t.replicationFactor,
              assignments,
              configs,
            },
            req.validateOnly,
            quota,
          )
          results.push(
            configsVisible.has(t.name)
              ? {
                  name: t.name,
                  topicId: r.topicId,
                  errorCode: ErrorCode.NONE,
                  errorMessage: null,
                  numPartitions: r.numPartitions,
                  replicationFactor: r.replicationFactor,
                  configs: describeTopicConfig(configs, d.config),
                }
              : {
                  name: t.name,
                  topicId: r.topicId,
                  errorCode: ErrorCode.NONE,
                  errorMessage: null,
                  topicConfigErrorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
                  configs: [],
                },
          )
          if (!req.validateOnly) created.push({ name: t.name, partitions: r.numPartitions })
        } catch (e) {
          results.push({ ...base, errorCode: toErrorCode(e), errorMessage: toErrorMessage(e) })
        }
      }
      if (created.length > 0 && req.timeoutMs > 0) {
        const ready = () => created.every((c) => d.topicAdmin.hasLeaders(c.name, c.partitions))
        if (!(await d.topicAdmin.waitFor(ready, req.timeoutMs))) {
          for (const r of results) {
            const c = created.find((x) => x.name === r.name)
            if (c && !d.topicAdmin.hasLeaders(c.name, c.partitions)) {
              r.errorCode = ErrorCode.REQUEST_TIMED_OUT
              r.errorMessage = `Timed out waiting for the leaders of ${c.name} to be elected.`
            }
          }
        }
      }
      return { throttleTimeMs: controllerMutationThrottle(d, ctx, quota), topics: results }
    },
  })
}
