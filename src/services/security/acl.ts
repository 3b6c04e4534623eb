/**
 * Kafka's ACL model (org.apache.kafka.common.acl / .resource): resource types, pattern types, operations and
 * permission types with their wire codes; resource patterns and access control entries; the filters that
 * DescribeAcls and DeleteAcls match with (ANY / MATCH); the names Kafka writes in ZooKeeper and the operation
 * implications of AclAuthorizer (Read/Write/Delete/Alter imply Describe, AlterConfigs implies DescribeConfigs,
 * All implies everything).
 */
import { ErrorCode } from '../../protocol/errors.js'

export const ResourceType = {
  UNKNOWN: 0,
  ANY: 1,
  TOPIC: 2,
  GROUP: 3,
  CLUSTER: 4,
  TRANSACTIONAL_ID: 5,
  DELEGATION_TOKEN: 6,
  USER: 7,
} as const
export type ResourceType = (typeof ResourceType)[keyof typeof ResourceType]

export const PatternType = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const
export type PatternType = (typeof PatternType)[keyof typeof PatternType]

export const AclOperation = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const
export type AclOperation = (typeof AclOperation)[keyof typeof AclOperation]

export const AclPermissionType = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const
export type AclPermissionType = (typeof AclPermissionType)[keyof typeof AclPermissionType]

/** The one name of the cluster resource. */
export const CLUSTER_NAME = 'kafka-cluster'
/** A literal resource named `*` matches every resource of its type. */
export const WILDCARD_RESOURCE = '*'
/** An entry for `User:*` applies to every user principal. */
export const WILDCARD_PRINCIPAL = 'User:*'
/** An entry for host `*` applies to every client address. */
export const WILDCARD_HOST = '*'

/** A resource an operation is performed on (always a literal name). */
export interface Resource {
  readonly resourceType: ResourceType
  readonly name: string
}

/** The resources an ACL applies to: a literal name (or `*`) or a name prefix. */
export interface ResourcePattern {
  readonly resourceType: ResourceType
  readonly name: string
  readonly patternType: PatternType
}

export interface AccessControlEntry {
  /** `Type:name`, e.g. `User:alice`, or `User:*`. */
  readonly principal: string
  /** A client IP address (as Java prints it) or `*`. */
  readonly host: string
  readonly operation: AclOperation
  readonly permissionType: AclPermissionType
}

export interface AclBinding {
  readonly pattern: ResourcePattern
  readonly entry: AccessControlEntry
}

export interface ResourcePatternFilter {
  readonly resourceType: ResourceType
  /** null matches any name. */
  readonly name: string | null
  readonly patternType: PatternType
}

export interface AccessControlEntryFilter {
  readonly principal: string | null
  readonly host: string | null
  readonly operation: AclOperation
  readonly permissionType: AclPermissionType
}

export interface AclBindingFilter {
  readonly patternFilter: ResourcePatternFilter
  readonly entryFilter: AccessControlEntryFilter
}

const codeNames = <T extends Record<string, number>>(o: T): Map<number, keyof T & string> =>
  new Map(Object.entries(o).map(([k, v]) => [v, k as keyof T & string]))

const RESOURCE_TYPE_ENUM = codeNames(ResourceType)
const PATTERN_TYPE_ENUM = codeNames(PatternType)
const OPERATION_ENUM = codeNames(AclOperation)
const PERMISSION_ENUM = codeNames(AclPermissionType)

/** `TRANSACTIONAL_ID` -> `TransactionalId` (SecurityUtils.toPascalCase). */
function pascal(enumName: string): string {
  return enumName
    .toLowerCase()
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('')
}

/** The Java enum name of a resource type (`TOPIC`, `TRANSACTIONAL_ID`), as literal change notifications carry it. */
export const resourceTypeEnumName = (t: number): string => RESOURCE_TYPE_ENUM.get(t) ?? 'UNKNOWN'
export const patternTypeEnumName = (t: number): string => PATTERN_TYPE_ENUM.get(t) ?? 'UNKNOWN'
export const operationEnumName = (o: number): string => OPERATION_ENUM.get(o) ?? 'UNKNOWN'
export const permissionEnumName = (p: number): string => PERMISSION_ENUM.get(p) ?? 'UNKNOWN'

/** SecurityUtils.resourceTypeName: `Topic`, `TransactionalId` (the znode names under /kafka-acl). */
export const resourceTypeName = (t: number): string => pascal(resourceTypeEnumName(t))
/** SecurityUtils.operationName: `Read`, `IdempotentWrite`, `All`. */
export const operationName = (o: number): string => pascal(operationEnumName(o))
/** SecurityUtils.permissionTypeName: `Allow`, `Deny`. */
export const permissionTypeName = (p: number): string => pascal(permissionEnumName(p))

function byName<T extends number>(enumNames: Map<number, string>, unknown: T): (name: string) => T {
  const m = new Map<string, T>()
  for (const [code, n] of enumNames) {
    m.set(n, code as T)
    m.set(pascal(n), code as T)
  }
  // SecurityUtils.valueFromMap: the name as written, then upper-cased (`topic` and `Topic` both work).
  return (name) => m.get(name) ?? m.get(name.toUpperCase()) ?? unknown
}

export const parseResourceType = byName<ResourceType>(RESOURCE_TYPE_ENUM, ResourceType.UNKNOWN)
export const parsePatternType = byName<PatternType>(PATTERN_TYPE_ENUM, PatternType.UNKNOWN)
export const parseOperation = byName<AclOperation>(OPERATION_ENUM, AclOperation.UNKNOWN)
export const parsePermissionType = byName<AclPermissionType>(PERMISSION_ENUM, AclPermissionType.UNKNOWN)

/** A wire code as a model value (codes Kafka does not know become UNKNOWN, as `fromCode` does). */
export const resourceTypeOf = (code: number): ResourceType =>
  RESOURCE_TYPE_ENUM.has(code) ? (code as ResourceType) : ResourceType.UNKNOWN
export const patternTypeOf = (code: number): PatternType =>
  PATTERN_TYPE_ENUM.has(code) ? (code as PatternType) : PatternType.UNKNOWN
export const operationOf = (code: number): AclOperation =>
  OPERATION_ENUM.has(code) ? (code as AclOperation) : AclOperation.UNKNOWN
export const permissionTypeOf = (code: number): AclPermissionType =>
  PERMISSION_ENUM.has(code) ? (code as AclPermissionType) : AclPermissionType.UNKNOWN

/** The concrete resource types (what ACLs can be stored for). */
export const CONCRETE_RESOURCE_TYPES: readonly ResourceType[] = [
  ResourceType.TOPIC,
  ResourceType.GROUP,
  ResourceType.CLUSTER,
  ResourceType.TRANSACTIONAL_ID,
  ResourceType.DELEGATION_TOKEN,
  ResourceType.USER,
]

/** AclEntry.supportedOperations: what `authorized_operations` fields report for a resource type. */
export function supportedOperations(t: ResourceType): readonly AclOperation[] {
  const O = AclOperation
  switch (t) {
    case ResourceType.TOPIC:
      return [O.READ, O.WRITE, O.CREATE, O.DESCRIBE, O.DELETE, O.ALTER, O.DESCRIBE_CONFIGS, O.ALTER_CONFIGS]
    case ResourceType.GROUP:
      return [O.READ, O.DESCRIBE, O.DELETE]
    case ResourceType.CLUSTER:
      return [
        O.CREATE,
        O.CLUSTER_ACTION,
        O.DESCRIBE_CONFIGS,
        O.ALTER_CONFIGS,
        O.IDEMPOTENT_WRITE,
        O.ALTER,
        O.DESCRIBE,
      ]
    case ResourceType.TRANSACTIONAL_ID:
      return [O.DESCRIBE, O.WRITE]
    case ResourceType.DELEGATION_TOKEN:
      return [O.DESCRIBE]
    case ResourceType.USER:
      return [O.CREATE_TOKENS, O.DESCRIBE_TOKENS]
    default:
      throw new Error('Not a concrete resource type')
  }
}

/** Utils.to32BitField: one bit per operation code. */
export function operationsBitField(ops: Iterable<AclOperation>): number {
  let bits = 0
  for (const op of ops) bits |= 1 << op
  return bits
}

/** The error a denied operation on a resource of this type is answered with (AclEntry.authorizationError). */
export function authorizationError(t: ResourceType): number {
  switch (t) {
    case ResourceType.TOPIC:
      return ErrorCode.TOPIC_AUTHORIZATION_FAILED
    case ResourceType.GROUP:
      return ErrorCode.GROUP_AUTHORIZATION_FAILED
    case ResourceType.CLUSTER:
      return ErrorCode.CLUSTER_AUTHORIZATION_FAILED
    case ResourceType.TRANSACTIONAL_ID:
      return ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    case ResourceType.DELEGATION_TOKEN:
      return ErrorCode.DELEGATION_TOKEN_AUTHORIZATION_FAILED
    default:
      throw new Error('Authorization error type not known')
  }
}

/**
 * The operations whose Allow entries grant `op` (AclAuthorizer.authorizeAction): Describe is implied by Read,
 * Write, Delete and Alter; DescribeConfigs by AlterConfigs. `All` grants everything (checked separately).
 */
export function grantingOperations(op: AclOperation): readonly AclOperation[] {
  const O = AclOperation
  if (op === O.DESCRIBE) return [O.DESCRIBE, O.READ, O.WRITE, O.DELETE, O.ALTER]
  if (op === O.DESCRIBE_CONFIGS) return [O.DESCRIBE_CONFIGS, O.ALTER_CONFIGS]
  return [op]
}

/** SecurityUtils.parseKafkaPrincipal: `Type:name`, split at the first colon; null when it has no colon. */
export function parsePrincipal(s: string): { principalType: string; name: string } | null {
  const i = s.indexOf(':')
  if (i < 0) return null
  return { principalType: s.slice(0, i), name: s.slice(i + 1) }
}

// --- filters (ResourcePatternFilter, AccessControlEntryFilter, AclBindingFilter) ---

/** ResourcePatternFilter.matches. */
export function patternFilterMatches(f: ResourcePatternFilter, p: ResourcePattern): boolean {
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== p.resourceType) return false
  if (
    f.patternType !== PatternType.ANY &&
    f.patternType !== PatternType.MATCH &&
    f.patternType !== p.patternType
  )
    return false
  if (f.name === null) return true
  if (f.patternType === PatternType.ANY || f.patternType === p.patternType) return f.name === p.name
  // MATCH: the patterns that would apply to a resource with this name.
  switch (p.patternType) {
    case PatternType.LITERAL:
      return f.name === p.name || p.name === WILDCARD_RESOURCE
    case PatternType.PREFIXED:
      return f.name.startsWith(p.name)
    default:
      return false
  }
}

/** ResourcePatternFilter.findIndefiniteField: why the filter may match more than one pattern (null if it cannot). */
export function indefiniteField(f: ResourcePatternFilter): string | null {
  if (f.resourceType === ResourceType.ANY) return 'Resource type is ANY.'
  if (f.resourceType === ResourceType.UNKNOWN) return 'Resource type is UNKNOWN.'
  if (f.name === null) return 'Resource name is NULL.'
  if (f.patternType === PatternType.MATCH) return 'Resource pattern type is MATCH.'
  if (f.patternType === PatternType.UNKNOWN) return 'Resource pattern type is UNKNOWN.'
  return null
}

/** AccessControlEntryFilter.matches. */
export function entryFilterMatches(f: AccessControlEntryFilter, e: AccessControlEntry): boolean {
  if (f.principal !== null && f.principal !== e.principal) return false
  if (f.host !== null && f.host !== e.host) return false
  if (f.operation !== AclOperation.ANY && f.operation !== e.operation) return false
  return f.permissionType === AclPermissionType.ANY || f.permissionType === e.permissionType
}

export function bindingFilterMatches(f: AclBindingFilter, b: AclBinding): boolean {
  return patternFilterMatches(f.patternFilter, b.pattern) && entryFilterMatches(f.entryFilter, b.entry)
}

/**
 * Why a new ACL binding is invalid (null when it is valid): what StandardAuthorizer's AclControlManager and the
 * broker's AclApis refuse, with their messages.
 */
export function invalidBindingReason(b: AclBinding): string | null {
  const p = b.pattern
  const e = b.entry
  if (p.resourceType === ResourceType.UNKNOWN || p.resourceType === ResourceType.ANY)
    return `Invalid resourceType ${resourceTypeEnumName(p.resourceType)}`
  if (p.patternType !== PatternType.LITERAL && p.patternType !== PatternType.PREFIXED)
    return `Invalid patternType ${patternTypeEnumName(p.patternType)}`
  if (e.operation === AclOperation.UNKNOWN || e.operation === AclOperation.ANY)
    return `Invalid operation ${operationEnumName(e.operation)}`
  if (e.permissionType !== AclPermissionType.ALLOW && e.permissionType !== AclPermissionType.DENY)
    return `Invalid permissionType ${permissionEnumName(e.permissionType)}`
  if (p.resourceType === ResourceType.CLUSTER && p.name !== CLUSTER_NAME)
    return `The only valid name for the CLUSTER resource is ${CLUSTER_NAME}`
  if (p.name === '') return 'Invalid empty resource name'
  // ACLs of a resource live in a znode named after it.
  if (p.name.includes('/')) return `ACL binding contains invalid resource name: ${p.name}`
  if (parsePrincipal(e.principal) === null)
    return (
      `Could not parse principal from \`${e.principal}\` ` +
      '(no colon is present separating the principal type from the principal name)'
    )
  return null
}

/** A stable key of an entry (entries are a set per resource pattern). */
export const entryKey = (e: AccessControlEntry): string =>
  `${e.principal}\u0000${e.host}\u0000${e.operation}\u0000${e.permissionType}`

export const patternKey = (p: ResourcePattern): string =>
  `${p.resourceType}\u0000${p.patternType}\u0000${p.name}`

/** `Topic:LITERAL:orders`, as Kafka prints a resource pattern in its logs. */
export const patternString = (p: ResourcePattern): string =>
  `${resourceTypeName(p.resourceType)}:${patternTypeEnumName(p.patternType)}:${p.name}`

/**
 * The client address as Java's InetAddress.getHostAddress prints it, which is what ACL host entries are compared
 * with: IPv4 dotted quads (an IPv4-mapped IPv6 address counts as IPv4), IPv6 as eight uncompressed hex groups
 * without leading zeros (`0:0:0:0:0:0:0:1`), with its `%scope` kept.
 */
export function javaHostAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped) return mapped[1]!
  if (!address.includes(':')) return address
  const pct = address.indexOf('%')
  const scope = pct >= 0 ? address.slice(pct) : ''
  let ip = pct >= 0 ? address.slice(0, pct) : address
  // An embedded IPv4 tail (::1.2.3.4) becomes two groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip)
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number]
    ip = ip.slice(0, v4.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const halves = ip.split('::')
  const head = halves[0] ? halves[0].split(':') : []
  const tail = halves.length > 1 && halves[1] ? halves[1].split(':') : []
  const zeros = halves.length > 1 ? Array<string>(Math.max(0, 8 - head.length - tail.length)).fill('0') : []
  const groups = [...head, ...zeros, ...tail].map((g) => parseInt(g || '0', 16).toString(16))
  return groups.join(':') + scope
}
