import { writeSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino'
import type PinoPretty from 'pino-pretty'
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
  /**
   * Kafka's log directory (default: SAMSA_LOG_DIR, if set): the loggers that Kafka's log4j.properties sends to
   * files of their own go there instead of the main output (KAFKA_SIDE_LOGS). Unset: every logger writes to the
   * main output.
   */
  readonly logDir?: string
}

/**
 * The loggers Kafka's config/log4j.properties gives an appender of their own (additivity false): their lines are
 * not in server.log or on the console but in these files of the log directory.
 */
export const KAFKA_SIDE_LOGS: readonly (readonly [prefix: string, file: string])[] = [
  ['kafka.controller', 'controller.log'],
  ['state.change.logger', 'state-change.log'],
  ['kafka.log.LogCleaner', 'log-cleaner.log'],
  ['kafka.authorizer.logger', 'kafka-authorizer.log'],
  ['kafka.request.logger', 'kafka-request.log'],
]

/** The side log file of a logger name, if Kafka gives it one. */
export function sideLogFile(name: string): string | undefined {
  for (const [prefix, file] of KAFKA_SIDE_LOGS)
    if (name === prefix || name.startsWith(`${prefix}.`)) return file
  return undefined
}

/** The `name` binding of one serialized pino line (bindings come before the message, so the first is it). */
function loggerNameOf(line: string): string | undefined {
  const at = line.indexOf(',"name":"')
  if (at < 0) return undefined
  const start = at + 9
  const end = line.indexOf('"', start)
  return end < 0 ? undefined : line.slice(start, end)
}

/** Writes each line to `main`, or to the side log file its logger has in `dir` (opened on first use). */
function routingStream(main: DestinationStream, dir: string, open: (file: string) => DestinationStream) {
  const sides = new Map<string, DestinationStream>()
  return {
    write(line: string): void {
      const name = loggerNameOf(line)
      const file = name === undefined ? undefined : sideLogFile(name)
      if (file === undefined) {
        main.write(line)
        return
      }
      let side = sides.get(file)
      if (side === undefined) {
        side = open(path.join(dir, file))
        sides.set(file, side)
      }
      side.write(line)
    },
  }
}

/**
 * A log destination whose write errors never stop the broker: pino's own handler passes on everything but EPIPE,
 * and an 'error' event nobody listens to kills the process — a full disk under the log file (ENOSPC) did, in the
 * middle of a disk-full episode the broker itself survives. Lines are lost while writes fail (as log4j's appenders
 * lose them); the first failure is said once on stderr, if stderr can take it.
 */
function tolerant(dest: number | string): DestinationStream {
  const d = pino.destination({ dest, append: true, sync: true })
  let said = false
  d.on('error', (err: Error) => {
    if (said) return
    said = true
    try {
      writeSync(
        2,
        `samsa: writing the log to ${String(dest)} failed (${err.message}); lines are dropped while it fails\n`,
      )
    } catch {
      // stderr is gone too
    }
  })
  return d
}

/** The text layout: `[2026-01-31 12:00:00.000] INFO (kafka.log.LogManager): [broker 1] message`. */
function textStream(destination: DestinationStream | number, colorize: boolean): DestinationStream {
  // loaded here, not at start-up: JSON output (no terminal, no file) never needs it
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty
  return pretty({
    destination: typeof destination === 'number' ? tolerant(destination) : destination,
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
 * SAMSA_LOG_FORMAT, else text on a terminal or in a file and JSON otherwise; the output is stdout, or the file
 * `options.file` / SAMSA_LOG_FILE; with a log directory (`options.logDir` / SAMSA_LOG_DIR) the loggers Kafka
 * gives files of their own write to those (controller.log, state-change.log, ...). An unknown level or format
 * throws an error naming where it came from.
 */
export function createLogger(options: LoggerSettings = {}): Logger {
  const { format: formatOption, file: fileOption, fd, logDir: logDirOption, ...pinoOptions } = options
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
  const chosen =
    formatOption ??
    (env.SAMSA_LOG_FORMAT ? checkLogFormat(env.SAMSA_LOG_FORMAT, 'SAMSA_LOG_FORMAT') : undefined)
  const format = chosen ?? (tty || file !== undefined ? 'text' : 'json')
  const logDir = logDirOption ?? (env.SAMSA_LOG_DIR || undefined)
  const settings: LoggerOptions = { base: undefined, ...pinoOptions, level }
  const fileStream = (dest: string): DestinationStream => {
    mkdirs(path.dirname(path.resolve(dest)))
    const d = tolerant(dest)
    return (chosen ?? 'text') === 'text' ? textStream(d, false) : d
  }
  let main: DestinationStream
  if (file !== undefined) main = fileStream(file)
  else if (format === 'text') main = textStream(fd ?? 1, tty)
  else if (fd === undefined || fd === 1) {
    main = tolerant(1)
  } else main = tolerant(fd)
  if (logDir !== undefined) {
    mkdirs(path.resolve(logDir))
    main = routingStream(main, logDir, fileStream)
  }
  return pino(settings, main)
}

/** A logger that drops everything (unit tests). */
export const silentLogger: Logger = pino({ level: 'silent' })
