import { describe, expect, it } from 'vitest'
import { BrokerConfig } from './broker-config.js'
import { ConfigException } from './config-def.js'
import { checkSupported, unsupportedSettings } from './unsupported.js'

const cfg = (props: Record<string, string>): BrokerConfig => new BrokerConfig(new Map(Object.entries(props)))

describe('settings Samsa cannot honour', () => {
  it('accepts PLAINTEXT and SSL listeners', () => {
    const c = cfg({
      listeners: 'PLAINTEXT://:9092,INTERNAL://:9093',
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,INTERNAL:SSL',
    })
    expect(unsupportedSettings(c)).toEqual([])
    expect(() => checkSupported(c)).not.toThrow()
  })

  it.each(['SASL_PLAINTEXT', 'SASL_SSL'])(
    'refuses a %s listener instead of serving it as PLAINTEXT',
    (sp) => {
      const c = cfg({ listeners: `PLAINTEXT://:9092,${sp}://127.0.0.1:9093` })
      expect(() => checkSupported(c)).toThrow(ConfigException)
      expect(() => checkSupported(c)).toThrow(
        `Listener ${sp}://127.0.0.1:9093 uses security protocol ${sp}, which Samsa does not support yet`,
      )
    },
  )

  it('refuses a named listener mapped to a secure protocol, and an authorizer, listing both', () => {
    const c = cfg({
      listeners: 'CLIENT://:9092,BROKER://:9093',
      'listener.security.protocol.map': 'CLIENT:SASL_SSL,BROKER:PLAINTEXT',
      'inter.broker.listener.name': 'BROKER',
      'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer',
    })
    const problems = unsupportedSettings(c)
    expect(problems).toHaveLength(2)
    expect(problems[0]).toContain('Listener CLIENT://:9092 uses security protocol SASL_SSL')
    expect(problems[1]).toContain('authorizer.class.name=kafka.security.authorizer.AclAuthorizer')
    expect(() => checkSupported(c)).toThrow(/Unsupported configuration:\n {2}- Listener CLIENT/)
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
