/**
 * Control records: the records of a control batch. The key is an int16 version followed by an int16
 * control type; for transaction markers (ABORT, COMMIT) the value is an int16 version followed by the
 * coordinator epoch. Both are 4 and 6 bytes long at version 0.
 *
 * Kafka reads a newer key or value version as version 0 (ignoring anything after) and refuses a negative
 * version or a buffer too short for version 0.
 */
import { decode, encode } from '../../codec/codec.js'
import { DecodeError } from '../../codec/errors.js'
import { Reader } from '../../codec/reader.js'
import { int16, int32, message, type Infer } from '../../codec/schema.js'
import { Writer } from '../../codec/writer.js'

// Kafka calls this schema ControlRecordTypeSchema; the version prefix is outside it.
export const ControlRecordKey = message({
  name: 'ControlRecordKey',
  kind: 'data',
  validVersions: '0',
  flexibleVersions: 'none',
  fields: [int16('type')],
})

export const EndTxnMarker = message({
  name: 'EndTxnMarker',
  kind: 'data',
  validVersions: '0',
  flexibleVersions: 'none',
  fields: [int32('coordinatorEpoch')],
})

export type ControlRecordKeyData = Infer<typeof ControlRecordKey>
export type EndTxnMarkerData = Infer<typeof EndTxnMarker>

/** Control types of transaction markers. (Other types, e.g. KRaft's, exist; they decode as their number.) */
export const ControlRecordType = { ABORT: 0, COMMIT: 1 } as const

export const CONTROL_RECORD_KEY_VERSION = 0
export const END_TXN_MARKER_VERSION = 0

function readVersion(r: Reader, what: string, minBytes: number): number {
  if (r.remaining < minBytes) {
    throw new DecodeError(`${what}: ${r.remaining} bytes, need at least ${minBytes}`)
  }
  const version = r.int16()
  if (version < 0) throw new DecodeError(`${what}: invalid version ${version}`)
  return version
}

export function encodeControlRecordKey(type: number): Buffer {
  const w = new Writer(4)
  w.int16(CONTROL_RECORD_KEY_VERSION)
  encode(ControlRecordKey, CONTROL_RECORD_KEY_VERSION, { type }, w)
  return w.toBuffer()
}

/** `version` as on the wire; the type is read as version 0. */
export function decodeControlRecordKey(buf: Buffer): { version: number; type: number } {
  const r = new Reader(buf)
  const version = readVersion(r, 'control record key', 4)
  return { version, type: decode(ControlRecordKey, 0, r).type }
}

export function encodeEndTxnMarker(coordinatorEpoch: number): Buffer {
  const w = new Writer(6)
  w.int16(END_TXN_MARKER_VERSION)
  encode(EndTxnMarker, END_TXN_MARKER_VERSION, { coordinatorEpoch }, w)
  return w.toBuffer()
}

/** `version` as on the wire; the coordinator epoch is read as version 0. */
export function decodeEndTxnMarker(buf: Buffer): { version: number; coordinatorEpoch: number } {
  const r = new Reader(buf)
  const version = readVersion(r, 'end transaction marker', 6)
  return { version, coordinatorEpoch: decode(EndTxnMarker, 0, r).coordinatorEpoch }
}
