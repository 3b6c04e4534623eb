/**
 * AlterUserScramCredentials (51), v0 (KIP-554): adds, replaces and deletes users' SCRAM credentials. The client
 * sends the salted password; the broker derives the stored and server keys and writes Kafka's credential string
 * to /config/users/<user> with a change notification, so every broker authenticates with it at once. In ZooKeeper
 * mode only the active controller accepts it (NOT_CONTROLLER elsewhere; the admin client sends it there).
 *
 * Authorization: Alter on the cluster (else the request fails with CLUSTER_AUTHORIZATION_FAILED), checked after
 * NOT_CONTROLLER as Kafka does.
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js'
import { Apis } from '../protocol/messages/index.js'
import type { Services } from '../services/services.js'
import { AclOperation, requireCluster } from './authz.js'
import { defineHandler, type Handler } from './handler.js'

export const AlterUserScramCredentialsApi = Apis.AlterUserScramCredentials

export function alterUserScramCredentialsHandler(
  s: Pick<Services, 'scramAdmin' | 'controller' | 'authorizer'>,
): Handler {
  return defineHandler(AlterUserScramCredentialsApi, {
    async handle(req, ctx) {
      if (!s.controller.isActive) throw new KafkaError(ErrorCode.NOT_CONTROLLER)
      requireCluster(s.authorizer, ctx, AclOperation.ALTER)
      return { throttleTimeMs: 0, results: await s.scramAdmin.alter(req.deletions, req.upsertions) }
    },
  })
}
