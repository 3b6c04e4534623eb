import { describe, expect, it } from 'vitest'
import { ErrorCode } from '../../protocol/errors.js'
import {
  AclOperation,
  AclPermissionType,
  authorizationError,
  entryFilterMatches,
  indefiniteField,
  invalidBindingReason,
  javaHostAddress,
  operationName,
  operationsBitField,
  parseOperation,
  parseResourceType,
  patternFilterMatches,
  PatternType,
  resourceTypeName,
  ResourceType,
  supportedOperations,
  type AclBinding,
  type ResourcePattern,
} from './acl.js'

const T = ResourceType
const P = PatternType
const topic = (name: string, patternType: PatternType = P.LITERAL): ResourcePattern => ({
  resourceType: T.TOPIC,
  name,
  patternType,
})

describe('names as Kafka writes them', () => {
  it('resource types and operations in Pascal case, parsed in either form', () => {
    expect(resourceTypeName(T.TRANSACTIONAL_ID)).toBe('TransactionalId')
    expect(resourceTypeName(T.DELEGATION_TOKEN)).toBe('DelegationToken')
    expect(operationName(AclOperation.IDEMPOTENT_WRITE)).toBe('IdempotentWrite')
    expect(operationName(AclOperation.ALL)).toBe('All')
    expect(parseResourceType('TransactionalId')).toBe(T.TRANSACTIONAL_ID)
    expect(parseResourceType('TRANSACTIONAL_ID')).toBe(T.TRANSACTIONAL_ID)
    expect(parseResourceType('topic')).toBe(T.TOPIC)
    expect(parseResourceType('Nope')).toBe(T.UNKNOWN)
    expect(parseOperation('DescribeConfigs')).toBe(AclOperation.DESCRIBE_CONFIGS)
    expect(parseOperation('read')).toBe(AclOperation.READ)
  })

  it('authorized_operations bit fields and error codes', () => {
    expect(operationsBitField(supportedOperations(T.GROUP))).toBe((1 << 3) | (1 << 8) | (1 << 6))
    expect(authorizationError(T.TRANSACTIONAL_ID)).toBe(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
    expect(() => supportedOperations(T.ANY)).toThrow()
  })
})

describe('resource pattern filters (ResourcePatternFilter.matches)', () => {
  it('LITERAL and PREFIXED match their own pattern type by exact name', () => {
    expect(
      patternFilterMatches({ resourceType: T.TOPIC, name: 'a', patternType: P.LITERAL }, topic('a')),
    ).toBe(true)
    expect(
      patternFilterMatches(
        { resourceType: T.TOPIC, name: 'a', patternType: P.LITERAL },
        topic('a', P.PREFIXED),
      ),
    ).toBe(false)
    expect(
      patternFilterMatches({ resourceType: T.TOPIC, name: 'ab', patternType: P.LITERAL }, topic('a')),
    ).toBe(false)
  })

  it('ANY matches either pattern type with the exact name; a null name matches every name', () => {
    const any = { resourceType: T.TOPIC, name: 'a', patternType: P.ANY }
    expect(patternFilterMatches(any, topic('a'))).toBe(true)
    expect(patternFilterMatches(any, topic('a', P.PREFIXED))).toBe(true)
    expect(patternFilterMatches(any, topic('*'))).toBe(false)
    expect(patternFilterMatches({ ...any, name: null }, topic('zz', P.PREFIXED))).toBe(true)
    expect(patternFilterMatches({ ...any, resourceType: T.GROUP }, topic('a'))).toBe(false)
    expect(patternFilterMatches({ ...any, resourceType: T.ANY }, topic('a'))).toBe(true)
  })

  it('MATCH finds the patterns that apply to a name: itself, the wildcard and its prefixes', () => {
    const match = { resourceType: T.TOPIC, name: 'orders-eu', patternType: P.MATCH }
    expect(patternFilterMatches(match, topic('orders-eu'))).toBe(true)
    expect(patternFilterMatches(match, topic('*'))).toBe(true)
    expect(patternFilterMatches(match, topic('orders', P.PREFIXED))).toBe(true)
    expect(patternFilterMatches(match, topic('orders-eu-1', P.PREFIXED))).toBe(false)
    expect(patternFilterMatches(match, topic('orders'))).toBe(false)
  })

  it('definite filters name at most one pattern', () => {
    expect(indefiniteField({ resourceType: T.TOPIC, name: 'a', patternType: P.LITERAL })).toBeNull()
    expect(indefiniteField({ resourceType: T.ANY, name: 'a', patternType: P.LITERAL })).toBe(
      'Resource type is ANY.',
    )
    expect(indefiniteField({ resourceType: T.TOPIC, name: null, patternType: P.LITERAL })).toBe(
      'Resource name is NULL.',
    )
    expect(indefiniteField({ resourceType: T.TOPIC, name: 'a', patternType: P.MATCH })).toBe(
      'Resource pattern type is MATCH.',
    )
  })
})

describe('entry filters (AccessControlEntryFilter.matches)', () => {
  const e = {
    principal: 'User:alice',
    host: '*',
    operation: AclOperation.READ,
    permissionType: AclPermissionType.ALLOW,
  }
  it('null and ANY match anything, other values exactly', () => {
    const any = {
      principal: null,
      host: null,
      operation: AclOperation.ANY,
      permissionType: AclPermissionType.ANY,
    }
    expect(entryFilterMatches(any, e)).toBe(true)
    expect(entryFilterMatches({ ...any, principal: 'User:alice' }, e)).toBe(true)
    expect(entryFilterMatches({ ...any, principal: 'User:bob' }, e)).toBe(false)
    // A filter for host 1.2.3.4 does not match an entry for every host: filters compare, they do not authorize.
    expect(entryFilterMatches({ ...any, host: '1.2.3.4' }, e)).toBe(false)
    expect(entryFilterMatches({ ...any, operation: AclOperation.ALL }, e)).toBe(false)
    expect(entryFilterMatches({ ...any, permissionType: AclPermissionType.DENY }, e)).toBe(false)
  })
})

describe('bindings that cannot be stored', () => {
  const ok: AclBinding = {
    pattern: topic('t'),
    entry: {
      principal: 'User:a',
      host: '*',
      operation: AclOperation.READ,
      permissionType: AclPermissionType.ALLOW,
    },
  }
  it.each<[string, AclBinding, string]>([
    ['MATCH pattern', { ...ok, pattern: topic('t', P.MATCH) }, 'Invalid patternType MATCH'],
    ['ANY resource', { ...ok, pattern: { ...ok.pattern, resourceType: T.ANY } }, 'Invalid resourceType ANY'],
    [
      'ANY operation',
      { ...ok, entry: { ...ok.entry, operation: AclOperation.ANY } },
      'Invalid operation ANY',
    ],
    [
      'ANY permission',
      { ...ok, entry: { ...ok.entry, permissionType: AclPermissionType.ANY } },
      'Invalid permissionType ANY',
    ],
    ['empty name', { ...ok, pattern: topic('') }, 'Invalid empty resource name'],
    ['slash', { ...ok, pattern: topic('a/b') }, 'invalid resource name: a/b'],
    [
      'cluster name',
      { ...ok, pattern: { resourceType: T.CLUSTER, name: 'x', patternType: P.LITERAL } },
      'The only valid name for the CLUSTER resource is kafka-cluster',
    ],
    [
      'principal',
      { ...ok, entry: { ...ok.entry, principal: 'alice' } },
      'Could not parse principal from `alice`',
    ],
  ])('%s', (_, b, why) => {
    expect(invalidBindingReason(b)).toContain(why)
    expect(invalidBindingReason(ok)).toBeNull()
  })
})

describe('client addresses as Java prints them', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['::1', '0:0:0:0:0:0:0:1'],
    ['fe80::1%lo', 'fe80:0:0:0:0:0:0:1%lo'],
    ['2001:db8::a:0:0:1', '2001:db8:0:0:a:0:0:1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8:0:0:0:0:0:1'],
    ['::', '0:0:0:0:0:0:0:0'],
    ['64:ff9b::1.2.3.4', '64:ff9b:0:0:0:0:102:304'],
  ])('%s -> %s', (from, to) => {
    expect(javaHostAddress(from)).toBe(to)
  })
})
