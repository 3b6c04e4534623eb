/**
 * An error that captures no stack trace: for errors that are control flow on a client's bad input — a hostile
 * client makes the broker throw them by the million — whose message says all there is to say (capturing a stack
 * costs more than the rest of refusing the frame).
 */
export class StacklessError extends Error {
  constructor(message: string) {
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    super(message)
    Error.stackTraceLimit = limit
  }
}
