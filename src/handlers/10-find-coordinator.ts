/**
 * FindCoordinator (10), v0-6. The coordinator of a group is the leader of its __consumer_offsets partition
 * (abs(groupId.hashCode) % offsets.topic.num.partitions), the coordinator of a transactional id the leader of
 * its __transaction_state partition (abs(transactionalId.hashCode) % transaction.state.log.num.partitions);
 * the internal topic is created on first use (the caller gets COORDINATOR_NOT_AVAILABLE meanwhile and retries),
 * and COORDINATOR_NOT_AVAILABLE is also the answer while that partition has no live leader reachable on the
 * request's listener.
 * Version notes: v1 key type (0 group, 1 transaction) and error messages; v3 flexible; v4+ many keys per
 * request with a result per key.
 * Authorization: Describe on the group, or on the transactional id (else GROUP_AUTHORIZATION_FAILED or
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED for that key).
 */
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode, errorInfo, toErrorCode } from '../protocol/errors.js'
import type { PartitionInfo } from '../services/metadata/metadata-cache.js'
import { OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC } from '../services/metadata/topic-admin.js'
import type { Services } from '../services/services.js'
import { AclOperation, authorize, ResourceType, type AuthzContext } from './authz.js'
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
  d: Pick<Services, 'cache' | 'topicAdmin' | 'groups' | 'transactions' | 'log' | 'authorizer'>,
): Handler {
  // Coordinator partitions we have warned about as leaderless; warned again after a leader came back.
  const warned = new Set<string>()
  const warnLeaderless = (key: string, p: PartitionInfo): void => {
    if (warned.has(`${p.topic}-${p.partition}`)) return
    warned.add(`${p.topic}-${p.partition}`)
    const live = [...d.cache.brokers.keys()].sort((a, b) => a - b)
    const leader = p.state?.leader ?? -1
    const why =
      leader < 0
        ? 'has no leader'
        : `has leader ${leader}, which is not registered or has no listener for this connection`
    const group = p.topic === OFFSETS_TOPIC
    d.log.warn(
      `${group ? 'Group' : 'Transaction'} coordinator partition ${p.topic}-${p.partition} ${why} (replicas ` +
        `[${p.replicas.join(',')}], ISR [${p.state?.isr.join(',') ?? ''}], live brokers [${live.join(',')}]): ` +
        `${group ? 'groups' : 'transactional ids'} that map to it, such as '${key}', get COORDINATOR_NOT_AVAILABLE ` +
        `until one of its replicas is back. ${p.topic} has replication factor ${p.replicas.length} ` +
        `(${group ? 'offsets.topic' : 'transaction.state.log'}.replication.factor): each of its partitions needs ` +
        `a live replica in the ISR.`,
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

  const find = async (key: string, keyType: number, ctx: AuthzContext, listener: string): Promise<Found> => {
    if (keyType === GROUP && !authorize(d.authorizer, ctx, AclOperation.DESCRIBE, ResourceType.GROUP, key))
      return fail(key, ErrorCode.GROUP_AUTHORIZATION_FAILED)
    if (
      keyType === TRANSACTION &&
      !authorize(d.authorizer, ctx, AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, key)
    )
      return fail(key, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
    if (keyType !== GROUP && keyType !== TRANSACTION)
      return fail(key, ErrorCode.INVALID_REQUEST, `Unknown coordinator type ${keyType}`)
    const internalTopic = keyType === GROUP ? OFFSETS_TOPIC : TRANSACTION_STATE_TOPIC
    const topic = d.cache.topic(internalTopic)
    if (!topic) {
      try {
        await d.topicAdmin.ensureInternalTopic(internalTopic)
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
    const partition = topic.partitions.get(
      keyType === GROUP ? d.groups.partitionFor(key) : d.transactions.partitionFor(key),
    )
    const state = partition?.state
    const ep = state && state.leader >= 0 ? endpointOf(d.cache, state.leader, listener) : undefined
    if (!ep) {
      if (partition && state) warnLeaderless(key, partition)
      return fail(key, ErrorCode.COORDINATOR_NOT_AVAILABLE)
    }
    warned.delete(`${partition!.topic}-${partition!.partition}`)
    return { key, errorCode: ErrorCode.NONE, errorMessage: null, nodeId: ep.id, host: ep.host, port: ep.port }
  }

  return defineHandler(FindCoordinatorApi, {
    async handle(req, ctx) {
      const listener = ctx.connection.listenerName
      if (ctx.apiVersion >= 4) {
        const coordinators = await Promise.all(
          req.coordinatorKeys.map((k) => find(k, req.keyType, ctx, listener)),
        )
        return { throttleTimeMs: 0, coordinators }
      }
      const f = await find(req.key, req.keyType, ctx, listener)
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
