/**
 * The pieces of the command line (src/cli.ts) that can be tested on their own: argument parsing, the usage text,
 * the one line a bad configuration prints, and the pid files bin/kafka-server-stop.sh reads.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs'
import path from 'node:path'
import { ConfigException } from './config/config-def.js'
import { mkdirs } from './util/fs.js'

/** How the broker was started: the shell script (Kafka's name) or the npm bin (`npx samsa`). */
export type Program = 'kafka-server-start.sh' | 'samsa'

export function programOf(argv1: string | undefined): Program {
  return /(^|[/\\])samsa(\.js)?$/.test(argv1 ?? '') ? 'samsa' : 'kafka-server-start.sh'
}

export function usage(program: Program): string {
  const synopsis =
    program === 'samsa'
      ? 'USAGE: samsa server.properties [--override property=value]*\n       npx samsa node_modules/samsa/config/standalone.properties'
      : 'USAGE: kafka-server-start.sh [-daemon] server.properties [--override property=value]*'
  const daemon =
    program === 'samsa'
      ? ''
      : `  -daemon                     Run in the background; logs go to $LOG_DIR/server.log and
                              $LOG_DIR/kafkaServer.out (LOG_DIR defaults to logs/ of the installation).
`
  return `${synopsis}

Starts a Samsa broker (a Kafka-compatible broker) with the given Kafka server.properties file.

Options:
${daemon}  --override property=value   Optional property that should override the value set in server.properties.
                              May be given several times.
  --help                      Print this help and exit.
  --version                   Print the Samsa version and exit.

Modes:
  zookeeper.connect set       ZooKeeper mode: the broker registers in ZooKeeper like a ZooKeeper-mode Kafka
                              broker and forms a cluster with the other brokers registered there.
  zookeeper.connect unset     Standalone: one broker, its cluster metadata kept in the first log directory
                              (samsa-metadata.json); no other service needed.

Environment:
  SAMSA_LOG_LEVEL             Log level (trace, debug, info, warn, error, fatal, silent). Default: info.
  SAMSA_LOG_FORMAT            text (time, level, logger, message) or json (one JSON object per line).
                              Default: text on a terminal or in a file, json otherwise.
  SAMSA_LOG_FILE              Append the log to this file instead of stdout${program === 'samsa' ? '.' : ' (-daemon: $LOG_DIR/server.log).'}
  SAMSA_LOG_DIR               Where the loggers Kafka's log4j.properties sends apart write: controller.log,
                              state-change.log, kafka-authorizer.log${program === 'samsa' ? '. Unset: all in the main log.' : ' (the script: $LOG_DIR; set and\n                              empty: all in the main log).'}
  SAMSA_PID_DIR               Where the broker writes samsa-broker-<broker.id>-<pid>.pid, which
                              kafka-server-stop.sh reads (the scripts default it to run/ of the installation).

Examples:
  ${program === 'samsa' ? 'samsa' : 'bin/kafka-server-start.sh'} config/standalone.properties
  ${program === 'samsa' ? 'samsa' : 'bin/kafka-server-start.sh'} config/server.properties --override broker.id=1 --override listeners=PLAINTEXT://:9093
`
}

export interface StartArgs {
  readonly file: string
  /** `property=value`, in the order given. */
  readonly overrides: readonly string[]
}

export function parseArgs(argv: readonly string[]): StartArgs | 'help' | 'version' {
  if (argv.includes('--help') || argv.includes('-h')) return 'help'
  if (argv.includes('--version')) return 'version'
  if (argv.includes('-daemon'))
    throw new ConfigException(
      '-daemon is an option of bin/kafka-server-start.sh (it starts this in the background)',
    )
  const file = argv[0]
  if (!file || file.startsWith('--')) throw new ConfigException('Missing the server.properties file argument')
  const overrides: string[] = []
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--override') {
      const kv = argv[++i]
      if (kv === undefined || !kv.includes('='))
        throw new ConfigException(`--override needs a property=value argument`)
      overrides.push(kv)
    } else if (a.startsWith('--override=')) {
      overrides.push(a.slice('--override='.length))
    } else {
      throw new ConfigException(`Found non argument parameters: ${a}`)
    }
  }
  return { file, overrides }
}

function mentions(message: string, property: string): boolean {
  const escaped = property.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(`(^|[^\\w.])${escaped}($|[^\\w.])`).test(message)
}

/**
 * The one line for a configuration the broker cannot run with: it names where the bad property came from — the
 * `--override` that set it, or the properties file — and Kafka's message. A ConfigException's configName says
 * which property it is about; otherwise the properties its message names are looked up among the overrides.
 */
export function configErrorLine(e: unknown, args: StartArgs): string {
  const message = e instanceof Error ? e.message : String(e)
  const configName = e instanceof ConfigException ? e.configName : undefined
  const overridden = new Map<string, string>()
  for (const kv of args.overrides) overridden.set(kv.slice(0, kv.indexOf('=')).trim(), kv)
  const candidates =
    configName !== undefined ? [configName] : [...overridden.keys()].filter((k) => mentions(message, k))
  const override = candidates.map((k) => overridden.get(k)).find((kv) => kv !== undefined)
  const what = configName !== undefined && !mentions(message, configName) ? `${configName}: ` : ''
  if (override !== undefined) return `Invalid --override ${override}: ${what}${message}`
  return `Invalid configuration in ${args.file}: ${what}${message}`
}

/**
 * `<dir>/samsa-broker-<id>-<pid>.pid`, holding the pid: one file per broker process, so that
 * `kafka-server-stop.sh --node-id=N` stops exactly the brokers with that id started from this installation.
 */
export function pidFileName(dir: string, brokerId: number, pid = process.pid): string {
  return path.join(dir, `samsa-broker-${brokerId}-${pid}.pid`)
}

/** This process's pid file: written once the broker id is known, removed when the process exits. */
export class PidFile {
  private file: string | undefined

  constructor(private readonly dir: string) {}

  write(brokerId: number): void {
    const file = pidFileName(this.dir, brokerId)
    if (file === this.file) return
    this.remove()
    mkdirs(this.dir)
    const fd = openSync(file, 'w', 0o644)
    try {
      writeSync(fd, `${process.pid}\n`)
    } finally {
      closeSync(fd)
    }
    this.file = file
  }

  /** Removes the file if it still names this process. */
  remove(): void {
    const file = this.file
    this.file = undefined
    if (file === undefined) return
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file)
    } catch {
      /* already gone */
    }
  }
}
