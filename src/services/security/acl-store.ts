/**
 * ACLs in the metadata store exactly as ZooKeeper-mode Kafka keeps them (kafka.zk.ZkData, AclEntry), so that
 * kafka-acls.sh against ZooKeeper, Kafka brokers and Samsa brokers all see the same ACLs:
 *
 *   /kafka-acl/<Type>/<name>                      literal patterns, e.g. /kafka-acl/Topic/orders
 *   /kafka-acl-extended/prefixed/<Type>/<prefix>  prefixed patterns
 *     data: {"version":1,"acls":[{"principal":"User:alice","permissionType":"Allow","operation":"Read","host":"*"}]}
 *   /kafka-acl-changes/acl_changes_<seq>          a literal pattern changed: "TOPIC:orders"
 *   /kafka-acl-extended-changes/acl_changes_<seq> another pattern changed:
 *                                                 {"version":1,"resourceType":"TOPIC","name":"ord","patternType":"PREFIXED"}
 *
 * Updates are conditional on the znode's version (zkVersion), as AclAuthorizer makes them, so two brokers that
 * change the ACLs of one resource at once cannot lose either change.
 */
import { ensurePath, isStoreError, type MetadataStore } from '../metadata/store.js'
import {
  CONCRETE_RESOURCE_TYPES,
  parseOperation,
  parsePatternType,
  parsePermissionType,
  parsePrincipal,
  parseResourceType,
  patternTypeEnumName,
  PatternType,
  operationName,
  permissionTypeName,
  resourceTypeEnumName,
  resourceTypeName,
  ResourceType,
  AclOperation,
  AclPermissionType,
  type AccessControlEntry,
  type ResourcePattern,
} from './acl.js'

export const LITERAL_ACL_PATH = '/kafka-acl'
export const EXTENDED_ACL_PATH = '/kafka-acl-extended'
export const PREFIXED_ACL_PATH = `${EXTENDED_ACL_PATH}/prefixed`
export const LITERAL_ACL_CHANGES_PATH = '/kafka-acl-changes'
export const EXTENDED_ACL_CHANGES_PATH = '/kafka-acl-extended-changes'
export const ACL_CHANGE_PREFIX = 'acl_changes_'

/** The stored ACLs of one resource pattern and the version of their znode (-1 when there is none). */
export interface VersionedAcls {
  readonly entries: readonly AccessControlEntry[]
  readonly zkVersion: number
}

export const NO_ACLS: VersionedAcls = { entries: [], zkVersion: -1 }

const storePath = (patternType: PatternType): string =>
  patternType === PatternType.LITERAL ? LITERAL_ACL_PATH : PREFIXED_ACL_PATH

/** The znode of a resource pattern (ResourceZNode.path). */
export const resourcePath = (p: ResourcePattern): string =>
  `${storePath(p.patternType)}/${resourceTypeName(p.resourceType)}/${p.name}`

// --- znode contents ---

export function encodeAcls(entries: readonly AccessControlEntry[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      version: 1,
      acls: entries.map((e) => ({
        principal: e.principal,
        permissionType: permissionTypeName(e.permissionType),
        operation: operationName(e.operation),
        host: e.host,
      })),
    }),
    'utf8',
  )
}

/** AclEntry.fromBytes; entries that do not parse are reported through `bad` and left out. */
export function decodeAcls(data: Buffer | null, bad: (why: string) => void = () => {}): AccessControlEntry[] {
  if (!data || data.length === 0) return []
  let o: unknown
  try {
    o = JSON.parse(data.toString('utf8'))
  } catch {
    bad(`invalid JSON: ${data.toString('utf8').slice(0, 200)}`)
    return []
  }
  const root = o as { version?: unknown; acls?: unknown }
  if (root === null || typeof root !== 'object' || root.version !== 1 || !Array.isArray(root.acls)) {
    bad(`not a version 1 ACL list: ${data.toString('utf8').slice(0, 200)}`)
    return []
  }
  const out: AccessControlEntry[] = []
  for (const item of root.acls as unknown[]) {
    const a = item as Record<string, unknown>
    const principal = typeof a.principal === 'string' ? a.principal : ''
    const host = typeof a.host === 'string' ? a.host : ''
    const operation = parseOperation(String(a.operation))
    const permissionType = parsePermissionType(String(a.permissionType))
    if (
      parsePrincipal(principal) === null ||
      host === '' ||
      operation === AclOperation.UNKNOWN ||
      permissionType === AclPermissionType.UNKNOWN
    ) {
      bad(`invalid ACL entry ${JSON.stringify(item)}`)
      continue
    }
    out.push({ principal, host, operation, permissionType })
  }
  return out
}

/** The data of a change notification for a pattern (LiteralAclChangeStore / ExtendedAclChangeStore.encode). */
export function encodeAclChange(p: ResourcePattern): { path: string; data: Buffer } {
  if (p.patternType === PatternType.LITERAL) {
    return {
      path: `${LITERAL_ACL_CHANGES_PATH}/${ACL_CHANGE_PREFIX}`,
      data: Buffer.from(`${resourceTypeEnumName(p.resourceType)}:${p.name}`, 'utf8'),
    }
  }
  return {
    path: `${EXTENDED_ACL_CHANGES_PATH}/${ACL_CHANGE_PREFIX}`,
    data: Buffer.from(
      JSON.stringify({
        version: 1,
        resourceType: resourceTypeEnumName(p.resourceType),
        name: p.name,
        patternType: patternTypeEnumName(p.patternType),
      }),
      'utf8',
    ),
  }
}

/** The pattern a literal change notification names ("TOPIC:orders"; older brokers wrote "Topic:orders"). */
export function decodeLiteralAclChange(data: Buffer): ResourcePattern {
  const s = data.toString('utf8')
  const i = s.indexOf(':')
  if (i < 0) throw new Error(`expected a string in format ResourceType:ResourceName but got ${s}`)
  const resourceType = parseResourceType(s.slice(0, i))
  if (resourceType === ResourceType.UNKNOWN) throw new Error(`unknown resource type in ACL change ${s}`)
  return { resourceType, name: s.slice(i + 1), patternType: PatternType.LITERAL }
}

export function decodeExtendedAclChange(data: Buffer): ResourcePattern {
  const s = data.toString('utf8')
  let o: Record<string, unknown>
  try {
    o = JSON.parse(s) as Record<string, unknown>
  } catch {
    throw new Error(`Failed to parse ACL change event ${s}`)
  }
  if (typeof o.version !== 'number' || o.version > 1)
    throw new Error(`Acl change event received for unsupported version: ${String(o.version)}`)
  const resourceType = parseResourceType(String(o.resourceType))
  const patternType = parsePatternType(String(o.patternType))
  if (
    resourceType === ResourceType.UNKNOWN ||
    patternType !== PatternType.PREFIXED ||
    typeof o.name !== 'string'
  )
    throw new Error(`Failed to convert ACL change event to resource: ${s}`)
  return { resourceType, name: o.name, patternType }
}

// --- operations on the store (KafkaZkClient's ACL methods) ---

/** The ACL paths every broker with an authorizer creates (KafkaZkClient.createAclPaths). */
export async function createAclPaths(store: MetadataStore): Promise<void> {
  for (const root of [LITERAL_ACL_PATH, PREFIXED_ACL_PATH]) {
    for (const t of CONCRETE_RESOURCE_TYPES) await ensurePath(store, `${root}/${resourceTypeName(t)}`)
  }
  await ensurePath(store, LITERAL_ACL_CHANGES_PATH)
  await ensurePath(store, EXTENDED_ACL_CHANGES_PATH)
}

export async function readAcls(
  store: MetadataStore,
  p: ResourcePattern,
  bad?: (why: string) => void,
): Promise<VersionedAcls> {
  const r = await store.getData(resourcePath(p))
  if (!r) return NO_ACLS
  return { entries: decodeAcls(r.data, bad), zkVersion: r.stat.version }
}

/** Every stored pattern (loadAllAcls): the children of each resource type under both roots. */
export async function listAclPatterns(
  store: MetadataStore,
  unknownType: (name: string) => void = () => {},
): Promise<ResourcePattern[]> {
  const out: ResourcePattern[] = []
  for (const [root, patternType] of [
    [LITERAL_ACL_PATH, PatternType.LITERAL],
    [PREFIXED_ACL_PATH, PatternType.PREFIXED],
  ] as const) {
    for (const typeName of (await store.getChildren(root)) ?? []) {
      const resourceType = parseResourceType(typeName)
      if (resourceType === ResourceType.UNKNOWN) {
        unknownType(typeName)
        continue
      }
      for (const name of (await store.getChildren(`${root}/${typeName}`)) ?? [])
        out.push({ resourceType, name, patternType })
    }
  }
  return out
}

/**
 * Writes the ACLs of a pattern if its znode is still at `expectedVersion` (-1: if it does not exist yet); deletes
 * the znode when `entries` is empty. Resolves with the new version, or null when the znode changed meanwhile.
 */
export async function writeAclsConditionally(
  store: MetadataStore,
  p: ResourcePattern,
  entries: readonly AccessControlEntry[],
  expectedVersion: number,
): Promise<number | null> {
  const path = resourcePath(p)
  try {
    if (entries.length === 0) {
      if (expectedVersion >= 0) await store.delete(path, expectedVersion)
      else if (await store.exists(path)) return null
      return -1
    }
    if (expectedVersion >= 0) return (await store.setData(path, encodeAcls(entries), expectedVersion)).version
    await ensurePath(store, path.slice(0, path.lastIndexOf('/')))
    await store.create(path, encodeAcls(entries), 'persistent')
    return 0
  } catch (e) {
    if (isStoreError(e, 'BAD_VERSION') || isStoreError(e, 'NODE_EXISTS')) return null
    if (isStoreError(e, 'NO_NODE')) return entries.length === 0 ? -1 : null
    throw e
  }
}

/** Tells every broker that the ACLs of a pattern changed (KafkaZkClient.createAclChangeNotification). */
export async function createAclChangeNotification(store: MetadataStore, p: ResourcePattern): Promise<void> {
  const { path, data } = encodeAclChange(p)
  await store.create(path, data, 'persistent_sequential')
}
