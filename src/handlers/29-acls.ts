/**
 * DescribeAcls (29), CreateAcls (30), DeleteAcls (31), v0-3 (kafka.server.AclApis): the ACLs of the authorizer.
 *
 * Describing needs Describe on the cluster, creating and deleting Alter on the cluster (else the request fails with
 * CLUSTER_AUTHORIZATION_FAILED). Without an authorizer (authorizer.class.name empty) Kafka answers SECURITY_DISABLED
 * — for the whole DescribeAcls request ("No Authorizer is configured on the broker"), and for each creation and each
 * deletion filter ("No Authorizer is configured."). A filter or creation with an UNKNOWN (0) element does not parse
 * in Kafka (the connection is closed); one naming something that cannot be stored (a MATCH pattern, ANY operation,
 * an empty name, a principal without a type, ...) is refused with INVALID_REQUEST.
 * Version notes: v1 adds the pattern type (LITERAL before; a v0 filter matches literal patterns only); v2 is
 * flexible; v3 adds the USER resource type.
 */
import { CloseConnection } from '../network/connection.js'
import { ErrorCode } from '../protocol/errors.js'
import { Apis } from '../protocol/messages/index.js'
import {
  AclOperation,
  operationOf,
  patternKey,
  patternTypeOf,
  PatternType,
  permissionTypeOf,
  resourceTypeOf,
  type AclBinding,
  type AclBindingFilter,
} from '../services/security/acl.js'
import type { Services } from '../services/services.js'
import { requireCluster } from './authz.js'
import { defineHandler, type Handler } from './handler.js'

export const DescribeAclsApi = Apis.DescribeAcls
export const CreateAclsApi = Apis.CreateAcls
export const DeleteAclsApi = Apis.DeleteAcls

const UNKNOWN = 0

interface FilterFields {
  readonly resourceTypeFilter: number
  readonly resourceNameFilter: string | null
  readonly patternTypeFilter: number
  readonly principalFilter: string | null
  readonly hostFilter: string | null
  readonly operation: number
  readonly permissionType: number
}

/** The filter of a request; a v0 request's ANY pattern type means LITERAL, as Kafka normalizes it. */
function toFilter(f: FilterFields, api: string, version: number): AclBindingFilter {
  if (
    f.resourceTypeFilter === UNKNOWN ||
    f.patternTypeFilter === UNKNOWN ||
    f.operation === UNKNOWN ||
    f.permissionType === UNKNOWN
  )
    throw new CloseConnection(`${api} request contains UNKNOWN elements`)
  let patternType = patternTypeOf(f.patternTypeFilter)
  if (version === 0 && patternType === PatternType.ANY) patternType = PatternType.LITERAL
  return {
    patternFilter: {
      resourceType: resourceTypeOf(f.resourceTypeFilter),
      name: f.resourceNameFilter,
      patternType,
    },
    entryFilter: {
      principal: f.principalFilter,
      host: f.hostFilter,
      operation: operationOf(f.operation),
      permissionType: permissionTypeOf(f.permissionType),
    },
  }
}

const aclOut = (b: AclBinding) => ({
  principal: b.entry.principal,
  host: b.entry.host,
  operation: b.entry.operation,
  permissionType: b.entry.permissionType,
})

export function aclHandlers(d: Pick<Services, 'authorizer'>): Handler[] {
  const a = d.authorizer
  return [
    defineHandler(DescribeAclsApi, {
      handle(req, ctx) {
        requireCluster(a, ctx, AclOperation.DESCRIBE)
        const filter = toFilter(req, 'DescribeAcls', ctx.apiVersion)
        if (!a.enabled) {
          return {
            throttleTimeMs: 0,
            errorCode: ErrorCode.SECURITY_DISABLED,
            errorMessage: 'No Authorizer is configured on the broker',
            resources: [],
          }
        }
        // DescribeAclsResponse.aclsResources: one entry per resource pattern.
        const byPattern = new Map<string, AclBinding[]>()
        for (const b of a.acls(filter)) {
          const k = patternKey(b.pattern)
          const list = byPattern.get(k)
          if (list) list.push(b)
          else byPattern.set(k, [b])
        }
        return {
          throttleTimeMs: 0,
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          resources: [...byPattern.values()].map((bs) => ({
            resourceType: bs[0]!.pattern.resourceType,
            resourceName: bs[0]!.pattern.name,
            patternType: bs[0]!.pattern.patternType,
            acls: bs.map(aclOut),
          })),
        }
      },
    }),
    defineHandler(CreateAclsApi, {
      async handle(req, ctx) {
        requireCluster(a, ctx, AclOperation.ALTER)
        for (const c of req.creations) {
          if (
            c.resourceType === UNKNOWN ||
            c.resourcePatternType === UNKNOWN ||
            c.operation === UNKNOWN ||
            c.permissionType === UNKNOWN
          )
            throw new CloseConnection('CreateAcls request contains unknown elements')
        }
        if (!a.enabled) {
          return {
            throttleTimeMs: 0,
            results: req.creations.map(() => ({
              errorCode: ErrorCode.SECURITY_DISABLED,
              errorMessage: 'No Authorizer is configured.',
            })),
          }
        }
        const results = await a.createAcls(
          req.creations.map((c) => ({
            pattern: {
              resourceType: resourceTypeOf(c.resourceType),
              name: c.resourceName,
              patternType: patternTypeOf(c.resourcePatternType),
            },
            entry: {
              principal: c.principal,
              host: c.host,
              operation: operationOf(c.operation),
              permissionType: permissionTypeOf(c.permissionType),
            },
          })),
        )
        return { throttleTimeMs: 0, results }
      },
    }),
    defineHandler(DeleteAclsApi, {
      async handle(req, ctx) {
        requireCluster(a, ctx, AclOperation.ALTER)
        const filters = req.filters.map((f) => toFilter(f, 'DeleteAcls', ctx.apiVersion))
        if (!a.enabled) {
          return {
            throttleTimeMs: 0,
            filterResults: req.filters.map(() => ({
              errorCode: ErrorCode.SECURITY_DISABLED,
              errorMessage: 'No Authorizer is configured.',
              matchingAcls: [],
            })),
          }
        }
        const results = await a.deleteAcls(filters)
        return {
          throttleTimeMs: 0,
          filterResults: results.map((r) => ({
            errorCode: ErrorCode.NONE,
            errorMessage: null,
            matchingAcls: r.deleted.map(({ binding: b, result }) => ({
              errorCode: result.errorCode,
              errorMessage: result.errorMessage,
              resourceType: b.pattern.resourceType,
              resourceName: b.pattern.name,
              patternType: b.pattern.patternType,
              ...aclOut(b),
            })),
          })),
        }
      },
    }),
  ] as Handler[]
}
