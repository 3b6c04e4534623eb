import { describe, expect, it } from 'vitest'
import { desanitizeEntityName, sanitizeEntityName } from './znodes.js'

describe('entity names in znodes (Kafka Sanitizer)', () => {
  it('URL-encodes what is not a letter, digit, dot, underscore or dash, and decodes it back', () => {
    for (const [name, znode] of [
      ['rdkafka', 'rdkafka'],
      ['a.b_c-1', 'a.b_c-1'],
      ['', ''],
      ['user@example.com', 'user%40example.com'],
      ['CN=a b*', 'CN%3Da%20b%2A'],
      ['ü/x', '%C3%BC%2Fx'],
    ]) {
      expect(sanitizeEntityName(name!)).toBe(znode)
      expect(desanitizeEntityName(znode!)).toBe(name)
    }
  })
})
