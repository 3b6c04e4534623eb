/**
 * The framing shared by Kafka's embedded data structs (the consumer protocol, `__consumer_offsets` and
 * `__transaction_state` records): an int16 version followed by the struct in that version.
 */
import { decode, encode } from '../../codec/codec.js'
import { DecodeError } from '../../codec/errors.js'
import { Reader } from '../../codec/reader.js'
import type { Input, MessageSchema } from '../../codec/schema.js'
import { inRange } from '../../codec/versions.js'
import { Writer } from '../../codec/writer.js'

export function encodeVersionPrefixed<Tv>(
  schema: MessageSchema<Tv>,
  version: number,
  value: Input<Tv>,
): Buffer {
  const w = new Writer()
  w.int16(version)
  encode(schema, version, value, w)
  return w.toBuffer()
}

/**
 * Reads the version and the struct. A version outside the schema's range is an error (Kafka refuses record
 * versions it does not know), unless `newer: 'read-as-highest'`: then a newer version is read as the highest
 * known one and the bytes after it are ignored (Kafka's rule for the consumer protocol, whose new versions may
 * only append fields). `version` is always the one on the wire.
 */
export function decodeVersionPrefixed<Tv>(
  schema: MessageSchema<Tv>,
  buf: Buffer,
  newer: 'refuse' | 'read-as-highest' = 'refuse',
): { version: number; value: Tv } {
  const r = new Reader(buf)
  const version = r.int16()
  if (newer === 'read-as-highest') {
    if (version < schema.validVersions.min)
      throw new DecodeError(`${schema.name}: unsupported version ${version}`)
    return { version, value: decode(schema, Math.min(version, schema.validVersions.max), r) }
  }
  if (!inRange(schema.validVersions, version))
    throw new DecodeError(`${schema.name}: unknown version ${version}`)
  return { version, value: decode(schema, version, r) }
}
