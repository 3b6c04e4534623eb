import { describe, expect, it } from 'vitest'
import { parseJaasConfig } from './jaas.js'

describe("Kafka's JAAS config syntax", () => {
  it('parses a login module, its flag and its options (quoted, bare, escaped, with comments)', () => {
    const [e] = parseJaasConfig(
      `org.apache.kafka.common.security.plain.PlainLoginModule required /* users */
        username="admin" password='admin-secret' // the broker's own
        user_admin="admin-secret" user_alice="a \\"quoted\\" \\\\ secret" mode=bare-word;`,
    )
    expect(e!.loginModule).toBe('org.apache.kafka.common.security.plain.PlainLoginModule')
    expect(e!.controlFlag).toBe('required')
    expect(Object.fromEntries(e!.options)).toEqual({
      username: 'admin',
      password: 'admin-secret',
      user_admin: 'admin-secret',
      user_alice: 'a "quoted" \\ secret',
      mode: 'bare-word',
    })
  })

  it('accepts several modules and refuses malformed entries with Kafka messages', () => {
    expect(parseJaasConfig('a.B required; c.D optional x="1";')).toHaveLength(2)
    expect(() => parseJaasConfig('a.B required x="1"')).toThrow(
      'JAAS config entry not terminated by semi-colon',
    )
    expect(() => parseJaasConfig('a.B')).toThrow('Login module control flag not specified in JAAS config')
    expect(() => parseJaasConfig('a.B always;')).toThrow(
      "Invalid login module control flag 'always' in JAAS config",
    )
    expect(() => parseJaasConfig('a.B required x=1;')).toThrow(
      "Value not specified for key 'x' in JAAS config",
    )
    expect(() => parseJaasConfig('  ')).toThrow('Login module not specified in JAAS config')
  })
})
