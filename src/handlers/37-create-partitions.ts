/**
 * CreatePartitions (37), v0-3. Served by the controller only (NOT_CONTROLLER elsewhere). Adds partitions to a
 * topic (with Kafka's assignment, or the given one), and waits up to timeout_ms for their leaders.
 * Version notes: v2 is the first flexible version; v3 may answer THROTTLING_QUOTA_EXCEEDED.
 * Quota: controller_mutation_rate counts the partitions added; from v3 a topic over the quota is answered
 * THROTTLING_QUOTA_EXCEEDED, before v3 the partitions are added and the response throttled (KIP-599).
 * Authorization: Alter on the topic (else TOPIC_AUTHORIZATION_FAILED).
 */
import type { CreatePartitionsResponse } from '../protocol/messages/37-create-partitions.js'
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode, toErrorCode, toErrorMessage } from '../protocol/errors.js'
import type { Services } from '../services/services.js'
import { AclOperation, authorize, ResourceType } from './authz.js'
import { controllerMutationQuota, controllerMutationThrottle } from './controller-quota.js'
import { defineHandler, type Elem, type Handler, type Out } from './handler.js'

export const CreatePartitionsApi = Apis.CreatePartitions

type Result = Elem<Out<typeof CreatePartitionsResponse>['results']>

export function createPartitionsHandler(
  d: Pick<Services, 'topicAdmin' | 'controller' | 'authorizer' | 'quotas'>,
): Handler {
  return defineHandler(CreatePartitionsApi, {
    async handle(req, ctx) {
      const counts = new Map<string, number>()
      for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1)
      const results: Result[] = []
      const grown: { name: string; count: number }[] = []
      const quota = controllerMutationQuota(d, ctx, 3)
      for (const t of req.topics) {
        if ((counts.get(t.name) ?? 0) > 1) {
          results.push({
            name: t.name,
            errorCode: ErrorCode.INVALID_REQUEST,
            errorMessage: 'Duplicate topic in request.',
          })
          continue
        }
        if (!d.controller.isActive) {
          results.push({
            name: t.name,
            errorCode: ErrorCode.NOT_CONTROLLER,
            errorMessage: 'This is not the correct controller for this cluster.',
          })
          continue
        }
        if (!authorize(d.authorizer, ctx, AclOperation.ALTER, ResourceType.TOPIC, t.name)) {
          results.push({
            name: t.name,
            errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
            errorMessage: 'The topic authorization is failed.',
          })
          continue
        }
        try {
          await d.topicAdmin.createPartitions(
            t.name,
            t.count,
            t.assignments?.map((a) => a.brokerIds) ?? null,
            req.validateOnly,
            quota,
          )
          results.push({ name: t.name, errorCode: ErrorCode.NONE, errorMessage: null })
          if (!req.validateOnly) grown.push({ name: t.name, count: t.count })
        } catch (e) {
          results.push({ name: t.name, errorCode: toErrorCode(e), errorMessage: toErrorMessage(e) })
        }
      }
      if (grown.length > 0 && req.timeoutMs > 0) {
        await d.topicAdmin.waitFor(
          () => grown.every((g) => d.topicAdmin.hasLeaders(g.name, g.count)),
          req.timeoutMs,
        )
        for (const r of results) {
          const g = grown.find((x) => x.name === r.name)
          if (g && !d.topicAdmin.hasLeaders(g.name, g.count)) {
            r.errorCode = ErrorCode.REQUEST_TIMED_OUT
            r.errorMessage = `Timed out waiting for the leaders of the new partitions of ${g.name}.`
          }
        }
      }
      return { throttleTimeMs: controllerMutationThrottle(d, ctx, quota), results }
    },
  })
}
