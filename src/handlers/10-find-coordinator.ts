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
import type { PartitionInfo } from '../services/metadata/metadata-cache.js'
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

export function findCoordinatorHandler(
  d: Pick<Services, 'cache' | 'topicAdmin' | 'groups' | 'log'>,
): Handler {
  // Partitions of __consumer_offsets we have warned about as leaderless; warned again after a leader came back.
  const warned = new Set<number>()
  const warnLeaderless = (key: string, p: PartitionInfo): void => {
    if (warned.has(p.partition)) return
    warned.add(p.partition)
    const live = [...d.cache.brokers.keys()].sort((a, b) => a - b)
    const leader = p.state?.leader ?? -1
    const why =
      leader < 0
        ? 'has no leader'
        : `has leader ${leader}, which is not registered or has no listener for this connection`
    d.log.warn(
      `Group coordinator partition ${OFFSETS_TOPIC}-${p.partition} ${why} (replicas [${p.replicas.join(',')}], ` +
        `ISR [${p.state?.isr.join(',') ?? ''}], live brokers [${live.join(',')}]): groups that map to it, such as ` +
        `'${key}', get COORDINATOR_NOT_AVAILABLE until one of its replicas is back. ${OFFSETS_TOPIC} has ` +
        `replication factor ${p.replicas.length} (offsets.topic.replication.factor): each of its partitions ` +
        `needs a live replica in the ISR.`,
    )
  }

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
    const partition = topic.partitions.get(d.groups.partitionFor(key))
    const state = partition?.state
    const ep = state && state.leader >= 0 ? endpointOf(d.cache, state.leader, listener) : undefined
    if (!ep) {
      if (partition && state) warnLeaderless(key, partition)
      return fail(key, ErrorCode.COORDINATOR_NOT_AVAILABLE)
    }
    warned.delete(partition!.partition)
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
