/**
 * DescribeUserScramCredentials (50), v0 (KIP-554): the SCRAM mechanisms and iteration counts of users (never the
 * credentials themselves), from /config/users as a ZooKeeper-mode broker reads them. A null or empty user list
 * describes every user that has a credential; a named user without one gets RESOURCE_NOT_FOUND, a name given
 * twice DUPLICATE_RESOURCE.
 *
 * Authorization: Describe on the cluster (else the request fails with CLUSTER_AUTHORIZATION_FAILED).
 */
import { Apis } from '../protocol/messages/index.js'
import type { Services } from '../services/services.js'
import { AclOperation, requireCluster } from './authz.js'
import { defineHandler, type Handler } from './handler.js'

export const DescribeUserScramCredentialsApi = Apis.DescribeUserScramCredentials

export function describeUserScramCredentialsHandler(s: Pick<Services, 'scramAdmin' | 'authorizer'>): Handler {
  return defineHandler(DescribeUserScramCredentialsApi, {
    async handle(req, ctx) {
      requireCluster(s.authorizer, ctx, AclOperation.DESCRIBE)
      const r = await s.scramAdmin.describe(req.users?.map((u) => u.name) ?? null)
      return { throttleTimeMs: 0, ...r }
    },
  })
}
