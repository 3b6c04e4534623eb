import { pino, type Logger, type LoggerOptions } from 'pino'

export type { Logger }

/**
 * The broker's logger. Messages follow Kafka's style ("[Log partition=foo-0, dir=/tmp/kafka-logs] Rolled new
 * log segment at offset 42"), with structured fields added where useful.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino({
    level: process.env.SAMSA_LOG_LEVEL ?? process.env.LOG_LEVEL ?? 'info',
    base: undefined,
    ...options,
  })
}

/** A logger that drops everything (unit tests). */
export const silentLogger: Logger = pino({ level: 'silent' })
