import path from 'node:path'
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino'
import pretty from 'pino-pretty'
import { mkdirs } from './fs.js'

export type { Logger }

/** The levels a logger accepts, lowest first (pino's, which are Kafka's plus `silent`). */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const

/** `text`: one readable line per message (time, level, logger, message); `json`: pino's JSON lines. */
export const LOG_FORMATS = ['text', 'json'] as const
export type LogFormat = (typeof LOG_FORMATS)[number]

/** Throws an error naming `source` (e.g. SAMSA_LOG_LEVEL) when `level` is not one of LOG_LEVELS. */
export function checkLogLevel(level: string, source = 'log level'): string {
  const l = level.trim().toLowerCase()
  if (!(LOG_LEVELS as readonly string[]).includes(l))
    throw new Error(`Invalid ${source} '${level}': expected one of ${LOG_LEVELS.join(', ')}`)
  return l
}

/** Throws an error naming `source` when `format` is not one of LOG_FORMATS. */
export function checkLogFormat(format: string, source = 'log format'): LogFormat {
  const f = format.trim().toLowerCase()
  if (!(LOG_FORMATS as readonly string[]).includes(f))
    throw new Error(`Invalid ${source} '${format}': expected one of ${LOG_FORMATS.join(', ')}`)
  return f as LogFormat
}

export interface LoggerSettings extends LoggerOptions {
  /** Default: SAMSA_LOG_FORMAT, else `text` when writing to a terminal and `json` otherwise. */
  readonly format?: LogFormat
  /** Append to this file instead of writing to stdout (default: SAMSA_LOG_FILE, if set). */
  readonly file?: string
  /** Write to this file descriptor instead of stdout (2: stderr); `file` wins over it. */
  readonly fd?: number
}

/** The text layout: `[2026-01-31 12:00:00.000] INFO (kafka.log.LogManager): [broker 1] message`. */
function textStream(destination: DestinationStream | number, colorize: boolean): DestinationStream {
  return pretty({
    destination,
    sync: true,
    colorize,
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
    ignore: 'pid,hostname,broker',
    messageFormat: (log, messageKey) =>
      `${log.broker !== undefined ? `[broker ${String(log.broker)}] ` : ''}${String(log[messageKey] ?? '')}`,
  })
}

/**
 * The broker's logger. Messages follow Kafka's style ("[Log partition=foo-0, dir=/tmp/kafka-logs] Rolled new
 * log segment at offset 42"), with structured fields added where useful; child loggers carry Kafka's logger
 * name (`name`: kafka.log.LogManager, ...) and the broker id (`broker`).
 *
 * The level comes from `options.level`, else SAMSA_LOG_LEVEL, else info; the format from `options.format`, else
 * SAMSA_LOG_FORMAT, else text on a terminal and JSON otherwise; the output is stdout, or the file
 * `options.file` / SAMSA_LOG_FILE. An unknown level or format throws an error naming where it came from.
 */
export function createLogger(options: LoggerSettings = {}): Logger {
  const { format: formatOption, file: fileOption, fd, ...pinoOptions } = options
  const env = process.env
  const fromEnv = env.SAMSA_LOG_LEVEL || env.LOG_LEVEL
  const level =
    options.level !== undefined
      ? checkLogLevel(options.level)
      : fromEnv
        ? checkLogLevel(fromEnv, env.SAMSA_LOG_LEVEL ? 'SAMSA_LOG_LEVEL' : 'LOG_LEVEL')
        : 'info'
  const file = fileOption ?? (env.SAMSA_LOG_FILE || undefined)
  const tty = file === undefined && (fd === 2 ? process.stderr : process.stdout).isTTY === true
  const format =
    formatOption ??
    (env.SAMSA_LOG_FORMAT ? checkLogFormat(env.SAMSA_LOG_FORMAT, 'SAMSA_LOG_FORMAT') : tty ? 'text' : 'json')
  let destination: DestinationStream | number = fd ?? 1
  if (file !== undefined) {
    mkdirs(path.dirname(path.resolve(file)))
    destination = pino.destination({ dest: file, append: true, sync: true })
  }
  const settings: LoggerOptions = { base: undefined, ...pinoOptions, level }
  if (format === 'text') return pino(settings, textStream(destination, tty))
  if (destination === 1) return pino(settings)
  return pino(
    settings,
    typeof destination === 'number' ? pino.destination({ dest: destination, sync: true }) : destination,
  )
}

/** A logger that drops everything (unit tests). */
export const silentLogger: Logger = pino({ level: 'silent' })
