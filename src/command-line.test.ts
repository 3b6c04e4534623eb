import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { configErrorLine, parseArgs, PidFile, pidFileName, programOf, usage } from './command-line.js'
import { BrokerConfig } from './config/broker-config.js'
import { ConfigException } from './config/config-def.js'

const propsFile = (text: string): string => {
  const f = join(mkdtempSync(join(tmpdir(), 'samsa-cli-')), 'server.properties')
  writeFileSync(f, text)
  return f
}

/** The line the command line prints for this file and these overrides (undefined: the config is valid). */
const errorLine = (text: string, overrides: string[]): string | undefined => {
  const args = { file: propsFile(text), overrides }
  try {
    BrokerConfig.load(args.file, args.overrides)
    return undefined
  } catch (e) {
    return configErrorLine(e, args).replace(args.file, 'server.properties')
  }
}

describe('parseArgs', () => {
  it('takes a properties file and --override property=value arguments in both spellings', () => {
    expect(parseArgs(['a.properties', '--override', 'broker.id=1', '--override=log.dirs=/x'])).toEqual({
      file: 'a.properties',
      overrides: ['broker.id=1', 'log.dirs=/x'],
    })
    expect(parseArgs(['--help'])).toBe('help')
    expect(parseArgs(['x', '--version'])).toBe('version')
  })

  it('rejects a missing file, a bare --override, stray arguments and -daemon (a script option)', () => {
    expect(() => parseArgs([])).toThrow('Missing the server.properties file argument')
    expect(() => parseArgs(['a', '--override'])).toThrow('--override needs a property=value argument')
    expect(() => parseArgs(['a', 'b'])).toThrow('Found non argument parameters: b')
    expect(() => parseArgs(['-daemon', 'a'])).toThrow('-daemon is an option of bin/kafka-server-start.sh')
  })
})

describe('usage', () => {
  it('names the program it was started as', () => {
    expect(programOf('/x/node_modules/.bin/samsa')).toBe('samsa')
    expect(programOf('/x/samsa/bin/samsa.js')).toBe('samsa')
    expect(programOf('/x/samsa/dist/cli.js')).toBe('kafka-server-start.sh')
    expect(usage('samsa')).toMatch(/^USAGE: samsa server.properties/)
    expect(usage('samsa')).not.toContain('-daemon')
    expect(usage('kafka-server-start.sh')).toMatch(/^USAGE: kafka-server-start.sh \[-daemon\]/)
  })
})

describe('configErrorLine', () => {
  it('names the --override that set a bad value', () => {
    expect(errorLine('broker.id=0\n', ['num.partitions=zero'])).toBe(
      'Invalid --override num.partitions=zero: Invalid value zero for configuration num.partitions: Not a number of type INT',
    )
    expect(errorLine('broker.id=0\n', ['listeners=PLAINTEXT://127.0.0.1:99999'])).toBe(
      "Invalid --override listeners=PLAINTEXT://127.0.0.1:99999: Error creating broker listeners from 'PLAINTEXT://127.0.0.1:99999': port out of range:99999",
    )
    // a rule about two properties, one of them overridden
    expect(errorLine('replica.lag.time.max.ms=30000\n', ['replica.fetch.wait.max.ms=40000'])).toBe(
      'Invalid --override replica.fetch.wait.max.ms=40000: replica.socket.timeout.ms should always be at ' +
        'least replica.fetch.wait.max.ms to prevent unnecessary socket timeouts',
    )
    expect(errorLine('broker.id=0\n', ['log.roll.ms=0'])).toBe(
      'Invalid --override log.roll.ms=0: log.roll.ms must be greater than or equal to 1',
    )
  })

  it('names the properties file when the bad value is in it', () => {
    expect(errorLine('num.partitions=zero\n', ['broker.id=1'])).toBe(
      'Invalid configuration in server.properties: Invalid value zero for configuration num.partitions: Not a number of type INT',
    )
  })

  it('names the property of a start-up failure whose message does not', () => {
    const args = { file: 'server.properties', overrides: ['log.dirs=/proc/nope'] }
    const e = new ConfigException('Failed to create data directory /proc/nope: no such file', 'log.dirs')
    expect(configErrorLine(e, args)).toBe(
      'Invalid --override log.dirs=/proc/nope: log.dirs: Failed to create data directory /proc/nope: no such file',
    )
    expect(configErrorLine(e, { ...args, overrides: [] })).toBe(
      'Invalid configuration in server.properties: log.dirs: Failed to create data directory /proc/nope: no such file',
    )
  })
})

describe('PidFile', () => {
  it('writes samsa-broker-<id>-<pid>.pid, moves it when the id changes and removes it', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'samsa-pid-')), 'run')
    const f = new PidFile(dir)
    f.write(1)
    expect(readFileSync(pidFileName(dir, 1), 'utf8')).toBe(`${process.pid}\n`)
    f.write(10)
    expect(readdirSync(dir)).toEqual([`samsa-broker-10-${process.pid}.pid`])
    f.remove()
    expect(existsSync(pidFileName(dir, 10))).toBe(false)
  })

  it('leaves a file that another process has taken over', () => {
    const dir = mkdtempSync(join(tmpdir(), 'samsa-pid-'))
    const f = new PidFile(dir)
    f.write(2)
    writeFileSync(pidFileName(dir, 2), '1\n')
    f.remove()
    expect(existsSync(pidFileName(dir, 2))).toBe(true)
  })
})
