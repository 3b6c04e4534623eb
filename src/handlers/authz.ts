/**
 * Access checks as Kafka's handlers make them (kafka.server.AuthHelper): on the request's principal and client
 * address, with the request's API named in the audit log. Without an authorizer everything is allowed and
 * `authorized_operations` report every operation a resource type supports, as Kafka does.
 */
import { ALL_APIS } from '../protocol/messages/index.js'
import { ErrorCode, KafkaError } from '../protocol/errors.js'
import {
  authorizationError,
  CLUSTER_NAME,
  javaHostAddress,
  operationsBitField,
  ResourceType,
  supportedOperations,
  AclOperation,
} from '../services/security/acl.js'
import type { Authorizer } from '../services/security/authorizer.js'
import type { RequestContext } from './handler.js'

export { AclOperation, ResourceType }

/** What a check needs of the request (a RequestContext has it all). */
export type AuthzContext = Pick<RequestContext, 'principal' | 'connection' | 'apiKey'>

export interface CheckOptions {
  /** Log an allowed access (default true). */
  readonly logIfAllowed?: boolean
  /** Log a denied access (default true; false when the check only filters what is shown). */
  readonly logIfDenied?: boolean
}

const apiNames = new Map(ALL_APIS.map((a) => [a.key, a.name]))

function audit(ctx: AuthzContext, opts: CheckOptions, refCount = 1) {
  return { ...opts, api: apiNames.get(ctx.apiKey) ?? String(ctx.apiKey), refCount }
}

/** The client address an ACL host is compared with. */
export const clientHost = (ctx: AuthzContext): string => javaHostAddress(ctx.connection.remoteAddress)

export function authorize(
  a: Authorizer,
  ctx: AuthzContext,
  op: AclOperation,
  type: ResourceType,
  name: string,
  opts: CheckOptions = {},
): boolean {
  if (!a.enabled) return true
  return a.authorize(ctx.principal, clientHost(ctx), op, { resourceType: type, name }, audit(ctx, opts))
}

/** The names (of those given) the principal may perform `op` on; each checked once, however often it is named. */
export function filterAuthorized(
  a: Authorizer,
  ctx: AuthzContext,
  op: AclOperation,
  type: ResourceType,
  names: Iterable<string>,
  opts: CheckOptions = {},
): Set<string> {
  const counts = new Map<string, number>()
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1)
  if (!a.enabled) return new Set(counts.keys())
  const host = clientHost(ctx)
  const out = new Set<string>()
  for (const [name, count] of counts) {
    if (a.authorize(ctx.principal, host, op, { resourceType: type, name }, audit(ctx, opts, count)))
      out.add(name)
  }
  return out
}

/** filterAuthorized for the topics of a request (elements with a `name`). */
export function authorizedTopics(
  a: Authorizer,
  ctx: AuthzContext,
  op: AclOperation,
  topics: readonly { readonly name: string }[],
): Set<string> {
  return filterAuthorized(
    a,
    ctx,
    op,
    ResourceType.TOPIC,
    topics.map((t) => t.name),
  )
}

export function authorizeCluster(
  a: Authorizer,
  ctx: AuthzContext,
  op: AclOperation,
  opts: CheckOptions = {},
): boolean {
  return authorize(a, ctx, op, ResourceType.CLUSTER, CLUSTER_NAME, opts)
}

/** AuthHelper.authorizeClusterOperation: the whole request fails with CLUSTER_AUTHORIZATION_FAILED. */
export function requireCluster(a: Authorizer, ctx: AuthzContext, op: AclOperation): void {
  if (!authorizeCluster(a, ctx, op)) throw new KafkaError(ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
}

export function authorizeByResourceType(
  a: Authorizer,
  ctx: AuthzContext,
  op: AclOperation,
  type: ResourceType,
): boolean {
  if (!a.enabled) return true
  return a.authorizeByResourceType(ctx.principal, clientHost(ctx), op, type)
}

/** The `authorized_operations` bit field of a resource: each supported operation the principal may perform. */
export function authorizedOperations(
  a: Authorizer,
  ctx: AuthzContext,
  type: ResourceType,
  name: string,
): number {
  const ops = supportedOperations(type)
  if (!a.enabled) return operationsBitField(ops)
  const host = clientHost(ctx)
  const quiet = audit(ctx, { logIfAllowed: false, logIfDenied: false })
  return operationsBitField(
    ops.filter((op) => a.authorize(ctx.principal, host, op, { resourceType: type, name }, quiet)),
  )
}

/** The whole request fails with the resource type's authorization error (GROUP_AUTHORIZATION_FAILED, ...). */
export function requireAccess(
  a: Authorizer,
  ctx: AuthzContext,
  op: AclOperation,
  type: ResourceType,
  name: string,
): void {
  if (!authorize(a, ctx, op, type, name)) throw new KafkaError(authorizationError(type))
}

/** ConfigResource types. */
const CONFIG_TOPIC = 2
const CONFIG_BROKER = 4
const CONFIG_BROKER_LOGGER = 8

/**
 * Whether the principal may describe or alter the configs of a resource: DescribeConfigs / AlterConfigs on the
 * cluster for brokers and broker loggers, on the topic for topics. Answers the error for the resource (NONE when
 * allowed; other resource types are left to the config service to refuse).
 */
export function configResourceAccess(
  a: Authorizer,
  ctx: AuthzContext,
  access: 'describe' | 'alter',
  resourceType: number,
  resourceName: string,
): number {
  const op = access === 'describe' ? AclOperation.DESCRIBE_CONFIGS : AclOperation.ALTER_CONFIGS
  switch (resourceType) {
    case CONFIG_BROKER:
    case CONFIG_BROKER_LOGGER:
      return authorizeCluster(a, ctx, op) ? ErrorCode.NONE : ErrorCode.CLUSTER_AUTHORIZATION_FAILED
    case CONFIG_TOPIC:
      return authorize(a, ctx, op, ResourceType.TOPIC, resourceName)
        ? ErrorCode.NONE
        : ErrorCode.TOPIC_AUTHORIZATION_FAILED
    default:
      return ErrorCode.NONE
  }
}
