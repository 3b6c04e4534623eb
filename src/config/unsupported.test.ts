import { describe, expect, it } from 'vitest'
import { BrokerConfig } from './broker-config.js'
import { ConfigException } from './config-def.js'
import { authorizerConfig } from './authorizer.js'
import { checkSupported, unsupportedSettings } from './unsupported.js'

const cfg = (props: Record<string, string>): BrokerConfig => new BrokerConfig(new Map(Object.entries(props)))

describe('settings Samsa cannot honour', () => {
  it('accepts PLAINTEXT, SSL and SASL listeners', () => {
    const c = cfg({
      listeners: 'PLAINTEXT://:9092,INTERNAL://:9093,SASL_PLAINTEXT://:9094',
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,INTERNAL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT',
    })
    expect(unsupportedSettings(c)).toEqual([])
    expect(() => checkSupported(c)).not.toThrow()
  })

  it('refuses an authorizer it cannot load and classes it cannot load, listing each', () => {
    const c = cfg({
      'authorizer.class.name': 'com.example.RangerAuthorizer',
      'principal.builder.class': 'com.example.MyBuilder',
    })
    const problems = unsupportedSettings(c)
    expect(problems).toHaveLength(2)
    expect(problems[1]).toContain(
      'authorizer.class.name=com.example.RangerAuthorizer: Samsa cannot load this class',
    )
    expect(() => checkSupported(c)).toThrow(ConfigException)
    expect(() => checkSupported(c)).toThrow(/Unsupported configuration:\n {2}- principal.builder.class/)
  })

  it('refuses classes it cannot load', () => {
    const c = cfg({
      'principal.builder.class': 'com.example.MyBuilder',
      'ssl.engine.factory.class': 'com.example.Engines',
    })
    expect(unsupportedSettings(c)).toEqual([
      expect.stringContaining('principal.builder.class=com.example.MyBuilder'),
      expect.stringContaining('ssl.engine.factory.class=com.example.Engines'),
    ])
  })
  it.each([
    'kafka.security.authorizer.AclAuthorizer',
    'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
  ])('accepts Kafka ACL authorizer %s', (name) => {
    expect(unsupportedSettings(cfg({ 'authorizer.class.name': name }))).toEqual([])
  })

  it('refuses a separate ZooKeeper for the ACLs', () => {
    const c = cfg({
      'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer',
      'authorizer.zookeeper.url': 'zk2:2181',
    })
    expect(unsupportedSettings(c)).toEqual([expect.stringContaining('authorizer.zookeeper.url')])
  })
})

describe('the authorizer settings', () => {
  const acl = { 'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer' }

  it('is null without an authorizer', () => {
    expect(authorizerConfig(cfg({ 'super.users': 'User:a' }))).toBeNull()
  })

  it('reads super.users and allow.everyone.if.no.acl.found (default false)', () => {
    expect(authorizerConfig(cfg(acl))).toEqual({ superUsers: [], allowEveryoneIfNoAclFound: false })
    expect(
      authorizerConfig(
        cfg({
          ...acl,
          'super.users': ' User:admin ; User:CN=broker,O=x',
          'allow.everyone.if.no.acl.found': 'TRUE',
        }),
      ),
    ).toEqual({ superUsers: ['User:admin', 'User:CN=broker,O=x'], allowEveryoneIfNoAclFound: true })
  })

  it('refuses a super user without a principal type, and a bad boolean', () => {
    expect(() => authorizerConfig(cfg({ ...acl, 'super.users': 'admin' }))).toThrow(
      'expected a string in format principalType:principalName but got admin',
    )
    expect(() => authorizerConfig(cfg({ ...acl, 'allow.everyone.if.no.acl.found': 'yes' }))).toThrow(
      ConfigException,
    )
  })

  it("accepts Kafka's two replica selectors and refuses any other class rather than ignoring it", () => {
    for (const cls of [
      'org.apache.kafka.common.replica.RackAwareReplicaSelector',
      'org.apache.kafka.common.replica.LeaderSelector',
    ])
      expect(unsupportedSettings(cfg({ 'replica.selector.class': cls }))).toEqual([])
    const c = cfg({ 'replica.selector.class': 'com.example.NearestSelector' })
    expect(unsupportedSettings(c)).toEqual([
      expect.stringContaining('replica.selector.class=com.example.NearestSelector'),
    ])
    expect(unsupportedSettings(cfg({}))).toEqual([])
  })
})
