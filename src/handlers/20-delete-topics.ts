/**
 * DeleteTopics (20), v0-6. Served by the controller only (NOT_CONTROLLER elsewhere). Marks topics for deletion
 * under /admin/delete_topics; the controller deletes them, every broker removes its logs, and the answer waits
 * up to timeout_ms until the topics are gone from this broker's metadata (REQUEST_TIMED_OUT otherwise).
 * Version notes: v5 error messages; v6 topics may be named by id.
 * Quota: controller_mutation_rate counts the partitions deleted; from v5 a topic over the quota is answered
 * THROTTLING_QUOTA_EXCEEDED, before v5 it is deleted and the response throttled (KIP-599).
 * Authorization: Delete on the topic (else TOPIC_AUTHORIZATION_FAILED); a topic named by id that the principal
 * may not Describe is answered without its name.
 */
import type { DeleteTopicsResponse } from '../protocol/messages/20-delete-topics.js'
import { Apis } from '../protocol/messages/index.js'
import { ZERO_UUID } from '../protocol/codec/schema.js'
import { ErrorCode, toErrorCode, toErrorMessage } from '../protocol/errors.js'
import type { Services } from '../services/services.js'
import { AclOperation, authorize, ResourceType } from './authz.js'
import { controllerMutationQuota, controllerMutationThrottle } from './controller-quota.js'
import { defineHandler, type Elem, type Handler, type Out } from './handler.js'

export const DeleteTopicsApi = Apis.DeleteTopics

type Result = Elem<Out<typeof DeleteTopicsResponse>['responses']>

export function deleteTopicsHandler(
  d: Pick<Services, 'topicAdmin' | 'cache' | 'controller' | 'authorizer' | 'quotas'>,
): Handler {
  return defineHandler(DeleteTopicsApi, {
    async handle(req, ctx) {
      const wanted: { name: string | null; topicId: string }[] =
        ctx.apiVersion >= 6
          ? req.topics.map((t) => ({ name: t.name, topicId: t.topicId }))
          : req.topicNames.map((n) => ({ name: n, topicId: ZERO_UUID }))
      const results: Result[] = []
      const deleting: { name: string; id: string }[] = []
      const quota = controllerMutationQuota(d, ctx, 5)
      for (const w of wanted) {
        let name = w.name
        let id = w.topicId
        const byId = (name === null || name === '') && id !== ZERO_UUID
        if (byId) {
          const t = d.cache.topicById(id)
          if (!t) {
            results.push({
              name: null,
              topicId: id,
              errorCode: ErrorCode.UNKNOWN_TOPIC_ID,
              errorMessage: 'This server does not host this topic ID.',
            })
            continue
          }
          name = t.name
        } else {
          id = d.cache.topic(name ?? '')?.id ?? ZERO_UUID
        }
        if (!d.controller.isActive) {
          results.push({
            name,
            topicId: id,
            errorCode: ErrorCode.NOT_CONTROLLER,
            errorMessage: 'This is not the correct controller for this cluster.',
          })
          continue
        }
        const may = (op: AclOperation): boolean => authorize(d.authorizer, ctx, op, ResourceType.TOPIC, name!)
        if (byId && !may(AclOperation.DESCRIBE)) {
          results.push({
            name: null,
            topicId: id,
            errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
            errorMessage: null,
          })
          continue
        }
        if (!may(AclOperation.DELETE)) {
          results.push({
            name,
            topicId: id,
            errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
            errorMessage: null,
          })
          continue
        }
        try {
          await d.topicAdmin.deleteTopic(name!, quota)
          results.push({ name, topicId: id, errorCode: ErrorCode.NONE, errorMessage: null })
          deleting.push({ name: name!, id })
        } catch (e) {
          results.push({ name, topicId: id, errorCode: toErrorCode(e), errorMessage: toErrorMessage(e) })
        }
      }
      if (deleting.length > 0 && req.timeoutMs > 0) {
        const gone = (x: { name: string; id: string }) => {
          const t = d.cache.topic(x.name)
          return !t || (x.id !== ZERO_UUID && t.id !== x.id)
        }
        if (!(await d.topicAdmin.waitFor(() => deleting.every(gone), req.timeoutMs))) {
          for (const r of results) {
            const x = deleting.find((y) => y.name === r.name)
            if (x && !gone(x)) {
              r.errorCode = ErrorCode.REQUEST_TIMED_OUT
              r.errorMessage = `Timed out waiting for the deletion of ${x.name}.`
            }
          }
        }
      }
      return { throttleTimeMs: controllerMutationThrottle(d, ctx, quota), responses: results }
    },
  })
}
