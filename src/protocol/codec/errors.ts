import { StacklessError } from '../../util/stackless-error.js'

/** Thrown when bytes on the wire do not match the schema being decoded. The connection is closed. No stack. */
export class DecodeError extends StacklessError {
  constructor(message: string) {
    super(message)
    this.name = 'DecodeError'
  }
}

/** Thrown when a value cannot be encoded at the requested version (a programming error on our side). */
export class EncodeError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'EncodeError'
  }
}
