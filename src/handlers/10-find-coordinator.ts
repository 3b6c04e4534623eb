/**
 * FindCoordinator (10), v0-6. The coordinator of a group is the leader of its __consumer_offsets partition
 * (abs(groupId.hashCode) % offsets.topic.num.partitions); the topic is created on first use (the caller gets
 * COORDINATOR_NOT_AVAILABLE meanwhile and retries), and COORDINATOR_NOT_AVAILABLE is also the answer while
 * that partition has no live leader reachable on the request's listener.
 * Version notes: v1 key type (0 group, 1 transaction) and error messages; v3 flexible; v4+ many keys per
 * request with a result per key. Transaction coordinators are not available (transactions are not implemented).
 */
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode, errorInfo, toErrorCode } from '../protocol/errors.js'
import { OFFSETS_TOPIC } from '../services/metadata/topic-admin.js'
import type { Services } from '../services/services.js'
import { endpointOf } from './common.js'
import { defineHandler, type Handler } from './handler.js'

export const FindCoordinatorApi = Apis.FindCoordinator

const GROUP = 0
const TRANSACTION = 1

interface Found {
  readonly key: string
  readonly errorCode: number
  readonly errorMessage: string | null
  readonly nodeId: number
  readonly host: string
  readonly port: number
}

export function findCoordinatorHandler(d: Pick<Services, 'cache' | 'topicAdmin' | 'groups'>): Handler {
  const fail = (key: string, code: number, message?: string): Found => ({
    key,
    errorCode: code,
    errorMessage: message ?? errorInfo(code).message,
    nodeId: -1,
    host: '',
    port: -1,
  })

  const find = async (key: string, keyType: number, listener: string): Promise<Found> => {
    if (keyType === TRANSACTION) {
      return fail(key, ErrorCode.COORDINATOR_NOT_AVAILABLE, 'Transactions are not supported by this broker.')
    }
    if (keyType !== GROUP) return fail(key, ErrorCode.INVALID_REQUEST, `Unknown coordinator type ${keyType}`)
    const topic = d.cache.topic(OFFSETS_TOPIC)
    if (!topic) {
      try {
        await d.topicAdmin.ensureInternalTopic(OFFSETS_TOPIC)
      } catch (e) {
        const code = toErrorCode(e)
        return fail(
          key,
          ErrorCode.COORDINATOR_NOT_AVAILABLE,
          code === ErrorCode.COORDINATOR_NOT_AVAILABLE ? (e as Error).message : undefined,
        )
      }
      return fail(key, ErrorCode.COORDINATOR_NOT_AVAILABLE)
    }
    const state = topic.partitions.get(d.groups.partitionFor(key))?.state
    const ep = state && state.leader >= 0 ? endpointOf(d.cache, state.leader, listener) : undefined
    if (!ep) return fail(key, ErrorCode.COORDINATOR_NOT_AVAILABLE)
    return { key, errorCode: ErrorCode.NONE, errorMessage: null, nodeId: ep.id, host: ep.host, port: ep.port }
  }

  return defineHandler(FindCoordinatorApi, {
    async handle(req, ctx) {
      const listener = ctx.connection.listenerName
      if (ctx.apiVersion >= 4) {
        const coordinators = await Promise.all(req.coordinatorKeys.map((k) => find(k, req.keyType, listener)))
        return { throttleTimeMs: 0, coordinators }
      }
      const f = await find(req.key, req.keyType, listener)
      return {
        throttleTimeMs: 0,
        errorCode: f.errorCode,
        errorMessage: f.errorMessage,
        nodeId: f.nodeId,
        host: f.host,
        port: f.port,
      }
    },
  })
}
