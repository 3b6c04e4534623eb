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

  it('refuses an authorizer and classes it cannot load, listing each', () => {
    const c = cfg({
      'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer',
      'principal.builder.class': 'com.example.MyBuilder',
    })
    const problems = unsupportedSettings(c)
    expect(problems).toHaveLength(2)
    expect(problems[1]).toContain('authorizer.class.name=kafka.security.authorizer.AclAuthorizer')
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
})
