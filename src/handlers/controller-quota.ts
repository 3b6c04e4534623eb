/**
 * The controller mutation quota around CreateTopics, CreatePartitions and DeleteTopics (KIP-599): the request's
 * quota (strict from the version that can answer THROTTLING_QUOTA_EXCEEDED, permissive before), and at the end
 * the throttle time left for the response, with the channel muted for it (Kafka's
 * sendResponseMaybeThrottleWithControllerQuota; the request quota's own time is merged by the dispatcher).
 */
import type { ControllerMutationQuota } from '../services/quota/controller-mutation-quota.js'
import type { Services } from '../services/services.js'
import type { RequestContext } from './handler.js'

export function controllerMutationQuota(
  d: Pick<Services, 'quotas'>,
  ctx: RequestContext,
  strictSinceVersion: number,
): ControllerMutationQuota {
  return d.quotas.controllerMutation.newQuotaFor(ctx, strictSinceVersion)
}

/** The throttle time of the response; the channel is muted for it. */
export function controllerMutationThrottle(
  d: Pick<Services, 'quotas'>,
  ctx: RequestContext,
  quota: ControllerMutationQuota,
): number {
  const ms = quota.throttleTime()
  d.quotas.controllerMutation.throttle(ctx.channel, ms)
  return ms
}
