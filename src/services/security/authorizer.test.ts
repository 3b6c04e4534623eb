import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { userPrincipal, type KafkaPrincipal } from '../../network/channel.js'
import { ErrorCode } from '../../protocol/errors.js'
import { silentLogger } from '../../util/logger.js'
import { eventually } from '../../util/test-helpers.js'
import { LocalMetadataStore } from '../metadata/local-store.js'
import type { MetadataStore } from '../metadata/store.js'
import {
  AclOperation,
  AclPermissionType,
  CLUSTER_NAME,
  PatternType,
  ResourceType,
  type AccessControlEntry,
  type AclBinding,
  type AclBindingFilter,
  type ResourcePattern,
} from './acl.js'
import { encodeAcls, resourcePath } from './acl-store.js'
import { AclAuthorizer, type AclAuthorizerOptions } from './authorizer.js'

const O = AclOperation
const ALLOW = AclPermissionType.ALLOW
const DENY = AclPermissionType.DENY
const alice = userPrincipal('alice')
const bob = userPrincipal('bob')

const running: AclAuthorizer[] = []
afterEach(() => {
  for (const a of running.splice(0)) a.stop()
})

async function start(
  store: MetadataStore = new LocalMetadataStore(undefined),
  opts: Partial<AclAuthorizerOptions> = {},
): Promise<AclAuthorizer> {
  const a = new AclAuthorizer(store, {
    superUsers: [],
    allowEveryoneIfNoAclFound: false,
    log: silentLogger,
    retryBackoff: () => Promise.resolve(),
    ...opts,
  })
  await a.start()
  running.push(a)
  return a
}

const pattern = (
  name: string,
  patternType: PatternType = PatternType.LITERAL,
  resourceType: ResourceType = ResourceType.TOPIC,
): ResourcePattern => ({ resourceType, name, patternType })

const entry = (
  principal: string,
  operation: AclOperation,
  permissionType: AclPermissionType = ALLOW,
  host = '*',
): AccessControlEntry => ({ principal, host, operation, permissionType })

const binding = (p: ResourcePattern, e: AccessControlEntry): AclBinding => ({ pattern: p, entry: e })

const may = (
  a: AclAuthorizer,
  who: KafkaPrincipal,
  op: AclOperation,
  name: string,
  type: ResourceType = ResourceType.TOPIC,
  host = '10.0.0.1',
) => a.authorize(who, host, op, { resourceType: type, name })

const everything: AclBindingFilter = {
  patternFilter: { resourceType: ResourceType.ANY, name: null, patternType: PatternType.ANY },
  entryFilter: { principal: null, host: null, operation: O.ANY, permissionType: AclPermissionType.ANY },
}

describe('AclAuthorizer decisions', () => {
  it('denies by default, allows super users everything and honours allow.everyone.if.no.acl.found', async () => {
    const a = await start(undefined, { superUsers: ['User:admin'] })
    expect(may(a, alice, O.READ, 't')).toBe(false)
    expect(may(a, userPrincipal('admin'), O.ALTER, CLUSTER_NAME, ResourceType.CLUSTER)).toBe(true)
    const open = await start(undefined, { allowEveryoneIfNoAclFound: true })
    expect(may(open, alice, O.READ, 't')).toBe(true)
    await open.createAcls([binding(pattern('t'), entry('User:bob', O.READ))])
    // Once a resource has an ACL, only the ACLs decide.
    expect(may(open, alice, O.READ, 't')).toBe(false)
    expect(may(open, alice, O.READ, 'other')).toBe(true)
  })

  it('literal, wildcard and prefixed patterns; Deny wins; hosts and User:*', async () => {
    const a = await start()
    await a.createAcls([
      binding(pattern('orders'), entry('User:alice', O.WRITE)),
      binding(pattern('logs-', PatternType.PREFIXED), entry('User:alice', O.READ)),
      binding(pattern('logs-secret', PatternType.PREFIXED), entry('User:*', O.READ, DENY)),
      binding(pattern('*'), entry('User:bob', O.DESCRIBE)),
      binding(pattern('pinned'), entry('User:alice', O.READ, ALLOW, '10.0.0.9')),
    ])
    expect(may(a, alice, O.WRITE, 'orders')).toBe(true)
    expect(may(a, alice, O.WRITE, 'orders2')).toBe(false)
    expect(may(a, alice, O.READ, 'logs-app')).toBe(true)
    expect(may(a, alice, O.READ, 'logs-secret-1')).toBe(false)
    expect(may(a, bob, O.DESCRIBE, 'anything')).toBe(true)
    expect(may(a, bob, O.READ, 'anything')).toBe(false)
    expect(may(a, alice, O.READ, 'pinned')).toBe(false)
    expect(may(a, alice, O.READ, 'pinned', ResourceType.TOPIC, '10.0.0.9')).toBe(true)
    // The principal type matters: Group:alice is not User:alice.
    expect(may(a, { principalType: 'Group', name: 'alice' }, O.WRITE, 'orders')).toBe(false)
  })

  it('Read, Write, Delete and Alter imply Describe; AlterConfigs implies DescribeConfigs; All implies everything', async () => {
    const a = await start()
    for (const [name, op] of [
      ['r', O.READ],
      ['w', O.WRITE],
      ['d', O.DELETE],
      ['al', O.ALTER],
    ] as const) {
      await a.createAcls([binding(pattern(name), entry('User:alice', op))])
      expect(may(a, alice, O.DESCRIBE, name)).toBe(true)
      expect(may(a, alice, O.DESCRIBE_CONFIGS, name)).toBe(false)
    }
    await a.createAcls([
      binding(pattern('ac'), entry('User:alice', O.ALTER_CONFIGS)),
      binding(pattern('all'), entry('User:alice', O.ALL)),
      binding(pattern('c'), entry('User:alice', O.CREATE)),
    ])
    expect(may(a, alice, O.DESCRIBE_CONFIGS, 'ac')).toBe(true)
    expect(may(a, alice, O.DESCRIBE, 'ac')).toBe(false)
    expect(may(a, alice, O.DESCRIBE, 'c')).toBe(false)
    for (const op of [O.READ, O.WRITE, O.DESCRIBE, O.ALTER_CONFIGS, O.IDEMPOTENT_WRITE]) {
      expect(may(a, alice, op, 'all')).toBe(true)
    }
    // A Deny of Read does not deny the Describe a Write grants.
    await a.createAcls([
      binding(pattern('w'), entry('User:alice', O.READ, DENY)),
      binding(pattern('all'), entry('User:alice', O.ALL, DENY)),
    ])
    expect(may(a, alice, O.DESCRIBE, 'w')).toBe(true)
    expect(may(a, alice, O.READ, 'all')).toBe(false)
  })

  describe('authorizeByResourceType (any topic at all?)', () => {
    const write = (a: AclAuthorizer, who: KafkaPrincipal = alice) =>
      a.authorizeByResourceType(who, '10.0.0.1', O.WRITE, ResourceType.TOPIC)

    it.each<[string, AclBinding[], boolean]>([
      ['no ACLs', [], false],
      ['a literal Allow', [binding(pattern('t1'), entry('User:alice', O.WRITE))], true],
      ['an Allow for everyone', [binding(pattern('t1'), entry('User:*', O.WRITE))], true],
      ['an Allow of another operation', [binding(pattern('t1'), entry('User:alice', O.READ))], false],
      [
        'an Allow of another type',
        [binding(pattern('g', PatternType.LITERAL, ResourceType.GROUP), entry('User:alice', O.WRITE))],
        false,
      ],
      [
        'a literal Allow under a prefixed Deny',
        [
          binding(pattern('abc'), entry('User:alice', O.WRITE)),
          binding(pattern('ab', PatternType.PREFIXED), entry('User:alice', O.WRITE, DENY)),
        ],
        false,
      ],
      [
        'a literal Allow with its literal Deny',
        [
          binding(pattern('abc'), entry('User:alice', O.WRITE)),
          binding(pattern('abc'), entry('User:*', O.ALL, DENY)),
        ],
        false,
      ],
      [
        'a prefixed Allow under a shorter prefixed Deny',
        [
          binding(pattern('abc', PatternType.PREFIXED), entry('User:alice', O.WRITE)),
          binding(pattern('a', PatternType.PREFIXED), entry('User:alice', O.WRITE, DENY)),
        ],
        false,
      ],
      [
        'a prefixed Allow with a literal Deny inside it',
        [
          binding(pattern('ab', PatternType.PREFIXED), entry('User:alice', O.WRITE)),
          binding(pattern('abc'), entry('User:alice', O.WRITE, DENY)),
        ],
        true,
      ],
      [
        'a Deny of every topic',
        [
          binding(pattern('t1'), entry('User:alice', O.WRITE)),
          binding(pattern('*'), entry('User:alice', O.WRITE, DENY)),
        ],
        false,
      ],
      [
        'an Allow of every topic beside a prefixed Deny',
        [
          binding(pattern('*'), entry('User:alice', O.WRITE)),
          binding(pattern('x', PatternType.PREFIXED), entry('User:alice', O.WRITE, DENY)),
        ],
        true,
      ],
    ])('%s', async (_, acls, expected) => {
      const a = await start()
      if (acls.length > 0) await a.createAcls(acls)
      expect(write(a)).toBe(expected)
    })

    it('super users, and allow.everyone.if.no.acl.found unless every topic is denied', async () => {
      expect(write(await start(undefined, { superUsers: ['User:alice'] }))).toBe(true)
      const open = await start(undefined, { allowEveryoneIfNoAclFound: true })
      expect(write(open)).toBe(true)
      await open.createAcls([binding(pattern('*'), entry('User:alice', O.WRITE, DENY))])
      expect(write(open)).toBe(false)
    })
  })

  describe('agrees with a direct reading of the rules (property)', () => {
    const names = ['a', 'ab', 'abc', 'b', '*']
    const principals = ['User:alice', 'User:bob', 'User:*']
    const hosts = ['*', '10.0.0.1', '10.0.0.2']
    const ops = [O.READ, O.WRITE, O.DELETE, O.ALTER, O.DESCRIBE, O.ALTER_CONFIGS, O.DESCRIBE_CONFIGS, O.ALL]
    const arbBinding = fc.record({
      name: fc.constantFrom(...names),
      prefixed: fc.boolean(),
      group: fc.boolean(),
      principal: fc.constantFrom(...principals),
      host: fc.constantFrom(...hosts),
      op: fc.constantFrom(...ops),
      deny: fc.boolean(),
    })
    const arbQuery = fc.record({
      name: fc.constantFrom('a', 'ab', 'abc', 'abcd', 'b', 'c'),
      group: fc.boolean(),
      principal: fc.constantFrom('alice', 'bob', 'carol'),
      host: fc.constantFrom('10.0.0.1', '10.0.0.2'),
      op: fc.constantFrom(...ops.filter((o) => o !== O.ALL)),
    })
    type B = typeof arbBinding extends fc.Arbitrary<infer V> ? V : never
    type Q = typeof arbQuery extends fc.Arbitrary<infer V> ? V : never
    const toBinding = (b: B): AclBinding =>
      binding(
        pattern(
          b.name === '*' && b.prefixed ? 'x' : b.name,
          b.prefixed && b.name !== '*' ? PatternType.PREFIXED : PatternType.LITERAL,
          b.group ? ResourceType.GROUP : ResourceType.TOPIC,
        ),
        entry(b.principal, b.op, b.deny ? DENY : ALLOW, b.host),
      )

    /** AclAuthorizer.authorizeAction, read straight off the list of bindings. */
    function model(bindings: readonly AclBinding[], q: Q, allowIfNone: boolean): boolean {
      const type = q.group ? ResourceType.GROUP : ResourceType.TOPIC
      const applies = bindings.filter(
        (b) =>
          b.pattern.resourceType === type &&
          (b.pattern.patternType === PatternType.LITERAL
            ? b.pattern.name === q.name || b.pattern.name === '*'
            : q.name.startsWith(b.pattern.name)),
      )
      if (applies.length === 0) return allowIfNone
      const hit = (e: AccessControlEntry, op: AclOperation) =>
        (e.principal === `User:${q.principal}` || e.principal === 'User:*') &&
        (e.host === q.host || e.host === '*') &&
        (e.operation === op || e.operation === O.ALL)
      if (applies.some((b) => b.entry.permissionType === DENY && hit(b.entry, q.op))) return false
      const granting: AclOperation[] =
        q.op === O.DESCRIBE
          ? [O.DESCRIBE, O.READ, O.WRITE, O.DELETE, O.ALTER]
          : q.op === O.DESCRIBE_CONFIGS
            ? [O.DESCRIBE_CONFIGS, O.ALTER_CONFIGS]
            : [q.op]
      return applies.some((b) => b.entry.permissionType === ALLOW && granting.some((op) => hit(b.entry, op)))
    }

    it('for random ACLs and requests', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(arbBinding, { maxLength: 12 }),
          fc.array(arbQuery, { minLength: 1, maxLength: 10 }),
          fc.boolean(),
          async (bs, qs, allowIfNone) => {
            const a = await start(undefined, { allowEveryoneIfNoAclFound: allowIfNone })
            const bindings = bs.map(toBinding)
            if (bindings.length > 0) await a.createAcls(bindings)
            for (const q of qs) {
              const got = may(
                a,
                userPrincipal(q.principal),
                q.op,
                q.name,
                q.group ? ResourceType.GROUP : ResourceType.TOPIC,
                q.host,
              )
              expect(got).toBe(model(bindings, q, allowIfNone))
            }
            a.stop()
          },
        ),
        { numRuns: 150 },
      )
    })

    it('adding a Deny never grants access', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(arbBinding, { maxLength: 8 }),
          arbBinding,
          arbQuery,
          async (bs, extra, q) => {
            const a = await start()
            if (bs.length > 0) await a.createAcls(bs.map(toBinding))
            const args = [
              userPrincipal(q.principal),
              q.op,
              q.name,
              q.group ? ResourceType.GROUP : ResourceType.TOPIC,
              q.host,
            ] as const
            const before = may(a, ...args)
            await a.createAcls([toBinding({ ...extra, deny: true })])
            if (!before) expect(may(a, ...args)).toBe(false)
            a.stop()
          },
        ),
        { numRuns: 100 },
      )
    })
  })
})

describe('AclAuthorizer ACL administration', () => {
  it('creates, describes with filters and deletes; invalid bindings are refused one by one', async () => {
    const a = await start()
    const results = await a.createAcls([
      binding(pattern('t1'), entry('User:alice', O.READ)),
      binding(pattern('t1'), entry('User:alice', O.READ)), // the same entry twice: stored once
      binding(pattern('t', PatternType.PREFIXED), entry('User:bob', O.WRITE)),
      binding(pattern('t2', PatternType.MATCH), entry('User:bob', O.WRITE)),
      binding(pattern('x', PatternType.LITERAL, ResourceType.CLUSTER), entry('User:bob', O.ALTER)),
    ])
    expect(results.map((r) => r.errorCode)).toEqual([
      0,
      0,
      0,
      ErrorCode.INVALID_REQUEST,
      ErrorCode.INVALID_REQUEST,
    ])
    expect(results[3]!.errorMessage).toBe('Invalid patternType MATCH')
    expect(a.acls(everything)).toHaveLength(2)
    const matchT1: AclBindingFilter = {
      ...everything,
      patternFilter: { resourceType: ResourceType.TOPIC, name: 't1', patternType: PatternType.MATCH },
    }
    expect(
      a
        .acls(matchT1)
        .map((b) => b.entry.principal)
        .sort(),
    ).toEqual(['User:alice', 'User:bob'])

    const deleted = await a.deleteAcls([
      { ...everything, entryFilter: { ...everything.entryFilter, principal: 'User:bob' } },
      everything,
    ])
    // Each deleted binding is reported once, for the first filter that matched it.
    expect(deleted[0]!.deleted.map((d) => d.binding.entry.principal)).toEqual(['User:bob'])
    expect(deleted[1]!.deleted.map((d) => d.binding.entry.principal)).toEqual(['User:alice'])
    expect(a.acls(everything)).toEqual([])
  })

  it('stores ACLs in the znodes Kafka uses, with change notifications', async () => {
    const store = new LocalMetadataStore(undefined)
    const a = await start(store)
    await a.createAcls([
      binding(pattern('orders'), entry('User:alice', O.READ)),
      binding(pattern('app-', PatternType.PREFIXED, ResourceType.GROUP), entry('User:alice', O.READ)),
      binding(
        pattern('tx', PatternType.LITERAL, ResourceType.TRANSACTIONAL_ID),
        entry('User:alice', O.WRITE),
      ),
    ])
    const read = async (path: string) => (await store.getData(path))?.data.toString('utf8')
    expect(JSON.parse((await read('/kafka-acl/Topic/orders'))!)).toEqual({
      version: 1,
      acls: [{ principal: 'User:alice', permissionType: 'Allow', operation: 'Read', host: '*' }],
    })
    expect(await read('/kafka-acl-extended/prefixed/Group/app-')).toContain('"operation":"Read"')
    expect(await read('/kafka-acl/TransactionalId/tx')).toContain('"operation":"Write"')
    const literalChanges = (await store.getChildren('/kafka-acl-changes'))!.sort()
    expect(literalChanges).toHaveLength(2)
    expect(literalChanges[0]).toMatch(/^acl_changes_\d{10}$/)
    expect(await read(`/kafka-acl-changes/${literalChanges[0]}`)).toBe('TOPIC:orders')
    const extended = (await store.getChildren('/kafka-acl-extended-changes'))!
    expect(JSON.parse((await read(`/kafka-acl-extended-changes/${extended[0]}`))!)).toEqual({
      version: 1,
      resourceType: 'GROUP',
      name: 'app-',
      patternType: 'PREFIXED',
    })
    for (const t of ['Topic', 'Group', 'Cluster', 'TransactionalId', 'DelegationToken', 'User'])
      expect(await store.exists(`/kafka-acl-extended/prefixed/${t}`)).not.toBeNull()
    // Deleting the last entry removes the znode.
    await a.deleteAcls([everything])
    expect(await store.exists('/kafka-acl/Topic/orders')).toBeNull()
  })

  it('other brokers learn of changes through the notifications; a restart loads what is stored', async () => {
    const store = new LocalMetadataStore(undefined)
    const a = await start(store)
    const b = await start(store)
    await a.createAcls([binding(pattern('t'), entry('User:alice', O.READ))])
    await eventually(() => may(b, alice, O.READ, 't'))
    // kafka-acls.sh against ZooKeeper writes the znode and a notification, as AclAuthorizer does.
    const p = pattern('z', PatternType.PREFIXED)
    await store.create(resourcePath(p), encodeAcls([entry('User:bob', O.WRITE)]), 'persistent')
    await store.create(
      '/kafka-acl-extended-changes/acl_changes_',
      Buffer.from(JSON.stringify({ version: 1, resourceType: 'TOPIC', name: 'z', patternType: 'PREFIXED' })),
      'persistent_sequential',
    )
    await eventually(() => may(a, bob, O.WRITE, 'zebra') && may(b, bob, O.WRITE, 'zebra'))
    await b.deleteAcls([everything])
    await eventually(() => !may(a, alice, O.READ, 't'))
    await b.createAcls([binding(pattern('t'), entry('User:alice', O.READ))])
    const c = await start(store)
    expect(may(c, alice, O.READ, 't')).toBe(true)
  })

  it('an update that raced another broker is retried on the new version and keeps both changes', async () => {
    const store = new LocalMetadataStore(undefined)
    const a = await start(store)
    await a.createAcls([binding(pattern('t'), entry('User:alice', O.READ))])
    // Another broker adds an entry; this one has not seen the notification yet (its cache is at version 0).
    await store.setData(
      '/kafka-acl/Topic/t',
      encodeAcls([entry('User:alice', O.READ), entry('User:bob', O.READ)]),
      0,
    )
    const r = await a.createAcls([binding(pattern('t'), entry('User:carol', O.READ))])
    expect(r[0]!.errorCode).toBe(0)
    const stored = JSON.parse((await store.getData('/kafka-acl/Topic/t'))!.data.toString('utf8')) as {
      acls: { principal: string }[]
    }
    expect(stored.acls.map((x) => x.principal).sort()).toEqual(['User:alice', 'User:bob', 'User:carol'])
  })

  it('gives up after the retries and reports the failure on the binding', async () => {
    const store = new LocalMetadataStore(undefined)
    const a = await start(store, { maxUpdateRetries: 2 })
    await a.createAcls([binding(pattern('t'), entry('User:alice', O.READ))])
    // Every write loses the race.
    const setData = store.setData.bind(store)
    let bumps = 0
    store.setData = async (path, data, version) => {
      bumps++
      await setData(path, encodeAcls([entry(`User:x${bumps}`, O.READ)]))
      return setData(path, data, version)
    }
    const r = await a.createAcls([binding(pattern('t'), entry('User:carol', O.READ))])
    expect(r[0]!.errorCode).toBe(ErrorCode.UNKNOWN_SERVER_ERROR)
    // As Kafka's ApiError.fromThrowable: an unexpected error's text stays in the broker's log, not in the response.
    expect(r[0]!.errorMessage).toBeNull()
  })
})
