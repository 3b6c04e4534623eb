import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { checkLogLevel, createLogger } from './logger.js'

const saved = { ...process.env }
afterEach(() => {
  for (const k of ['SAMSA_LOG_LEVEL', 'SAMSA_LOG_FORMAT', 'SAMSA_LOG_FILE', 'SAMSA_LOG_DIR']) {
    if (saved[k] === undefined) delete process.env[k]
    else process.env[k] = saved[k]
  }
})

const logFile = (): string => join(mkdtempSync(join(tmpdir(), 'samsa-logger-')), 'logs', 'server.log')

describe('log levels', () => {
  it('accepts pino levels in any case', () => {
    expect(checkLogLevel('DEBUG')).toBe('debug')
    expect(createLogger({ level: 'warn' }).level).toBe('warn')
  })

  it('a bad SAMSA_LOG_LEVEL is an error naming the variable and the valid levels', () => {
    process.env.SAMSA_LOG_LEVEL = 'verbose'
    expect(() => createLogger()).toThrow(
      "Invalid SAMSA_LOG_LEVEL 'verbose': expected one of trace, debug, info, warn, error, fatal, silent",
    )
    process.env.SAMSA_LOG_LEVEL = 'error'
    expect(createLogger().level).toBe('error')
  })
})

describe('log formats', () => {
  it('text: time, level name, logger, broker id and message on one line', () => {
    const file = logFile()
    const log = createLogger({ format: 'text', file, level: 'info' })
    log.child({ broker: 0 }).child({ name: 'kafka.log.LogManager' }).info('[LogManager] Loading logs')
    log.warn('no logger, no broker')
    expect(readFileSync(file, 'utf8').split('\n')).toEqual([
      expect.stringMatching(
        /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] INFO \(kafka\.log\.LogManager\): \[broker 0\] \[LogManager\] Loading logs$/,
      ),
      expect.stringMatching(/^\[[^\]]+\] WARN: no logger, no broker$/),
      '',
    ])
  })

  it('SAMSA_LOG_FILE appends to a file, as text unless SAMSA_LOG_FORMAT=json', () => {
    const file = logFile()
    process.env.SAMSA_LOG_FILE = file
    createLogger({ level: 'info' }).child({ broker: 3, name: 'kafka.server.KafkaServer' }).info('first')
    process.env.SAMSA_LOG_FORMAT = 'json'
    createLogger({ level: 'info' }).info('second')
    const lines = readFileSync(file, 'utf8').trim().split('\n')
    expect(lines[0]).toMatch(/^\[[^\]]+\] INFO \(kafka\.server\.KafkaServer\): \[broker 3\] first$/)
    expect(JSON.parse(lines[1] ?? '')).toEqual({ level: 30, time: expect.any(Number), msg: 'second' })
    expect(lines).toHaveLength(2)
  })

  it('with a log directory, the loggers Kafka sends apart write controller.log, state-change.log, ...', () => {
    const file = logFile()
    const dir = join(file, '..')
    const log = createLogger({ format: 'json', file, logDir: dir, level: 'info' }).child({ broker: 1 })
    log.child({ name: 'kafka.server.KafkaServer' }).info('main "name":"kafka.controller.KafkaController"')
    log.child({ name: 'kafka.controller.KafkaController' }).info('elected')
    log.child({ name: 'state.change.logger' }).info('starts at leader epoch 1')
    log.child({ name: 'kafka.authorizer.logger' }).info('denied')
    log.child({ name: 'kafka.controllerish' }).info('not a kafka.controller logger')
    const msgs = (f: string): unknown[] =>
      readFileSync(join(dir, f), 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { msg: string }).msg)
    expect(msgs('server.log')).toEqual([
      'main "name":"kafka.controller.KafkaController"',
      'not a kafka.controller logger',
    ])
    expect(msgs('controller.log')).toEqual(['elected'])
    expect(msgs('state-change.log')).toEqual(['starts at leader epoch 1'])
    expect(msgs('kafka-authorizer.log')).toEqual(['denied'])
  })

  it('a bad SAMSA_LOG_FORMAT is an error naming the variable', () => {
    process.env.SAMSA_LOG_FORMAT = 'pretty'
    expect(() => createLogger()).toThrow("Invalid SAMSA_LOG_FORMAT 'pretty': expected one of text, json")
  })
})

describe('a log destination that fails', () => {
  it('a full disk under the log (ENOSPC, /dev/full) drops lines but never throws or stops the process', () => {
    const fd = openSync('/dev/full', 'w')
    try {
      const logFileOnFullDisk = join(mkdtempSync(join(tmpdir(), 'samsa-logger-')), 'logs')
      for (const log of [
        createLogger({ fd, format: 'json' }),
        createLogger({ fd, format: 'text' }),
        createLogger({ fd, format: 'json', logDir: logFileOnFullDisk }),
      ]) {
        expect(() => {
          log.error('the first line fails')
          log.child({ name: 'kafka.controller' }).info('a side file line')
          log.warn('and so does the next')
        }).not.toThrow()
      }
    } finally {
      closeSync(fd)
    }
  })
})
