import { describe, expect, it } from 'vitest'
import { BrokerConfig } from './broker-config.js'
import { ConfigException } from './config-def.js'
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

  it('refuses SASL between brokers of a ZooKeeper cluster, and an authorizer, listing both', () => {
    const c = cfg({
      'zookeeper.connect': 'localhost:2181',
      listeners: 'CLIENT://:9092,BROKER://:9093',
      'listener.security.protocol.map': 'CLIENT:PLAINTEXT,BROKER:SASL_SSL',
      'inter.broker.listener.name': 'BROKER',
      'sasl.mechanism.inter.broker.protocol': 'PLAIN',
      'sasl.enabled.mechanisms': 'PLAIN',
      'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer',
    })
    const problems = unsupportedSettings(c)
    expect(problems).toHaveLength(2)
    expect(problems[0]).toContain('The inter-broker listener BROKER uses SASL_SSL')
    expect(problems[1]).toContain('authorizer.class.name=kafka.security.authorizer.AclAuthorizer')
    expect(() => checkSupported(c)).toThrow(ConfigException)
    expect(() => checkSupported(c)).toThrow(/Unsupported configuration:\n {2}- The inter-broker listener/)
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
})
