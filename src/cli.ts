/**
 * `bin/kafka-server-start.sh server.properties [--override property=value]*` — Kafka's command line: a
 * properties file with Kafka's names, then any number of `--override key=value`. SIGTERM and SIGINT shut the
 * broker down cleanly (flush, checkpoints, deregistration) before the process exits.
 */
import { readFileSync } from 'node:fs'
import { BrokerConfig } from './config/broker-config.js'
import { ConfigException } from './config/config-def.js'
import { Broker } from './server/broker.js'
import { createLogger } from './util/logger.js'

const USAGE = `USAGE: kafka-server-start.sh [-daemon] server.properties [--override property=value]*

Starts a Samsa broker (a Kafka-compatible broker) with the given Kafka server.properties file.

Options:
  --override property=value   Optional property that should override the value set in server.properties.
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

Examples:
  bin/kafka-server-start.sh config/standalone.properties
  bin/kafka-server-start.sh config/server.properties --override broker.id=1 --override listeners=PLAINTEXT://:9093
`

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
  return pkg.version
}

export function parseArgs(
  argv: readonly string[],
): { file: string; overrides: string[] } | 'help' | 'version' {
  if (argv.includes('--help') || argv.includes('-h')) return 'help'
  if (argv.includes('--version')) return 'version'
  const args = argv.filter((a) => a !== '-daemon')
  const file = args[0]
  if (!file || file.startsWith('--')) throw new ConfigException('Missing the server.properties file argument')
  const overrides: string[] = []
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!
    if (a === '--override') {
      const kv = args[++i]
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

async function main(): Promise<void> {
  const log = createLogger()
  let parsed
  try {
    parsed = parseArgs(process.argv.slice(2))
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${USAGE}`)
    process.exit(1)
  }
  if (parsed === 'help') {
    process.stdout.write(USAGE)
    return
  }
  if (parsed === 'version') {
    process.stdout.write(`${version()}\n`)
    return
  }
  let config: BrokerConfig
  try {
    config = BrokerConfig.load(parsed.file, parsed.overrides)
  } catch (e) {
    log.fatal(`Invalid configuration in ${parsed.file}: ${(e as Error).message}`)
    process.exitCode = 1
    return
  }
  process.on('unhandledRejection', (err) => log.error({ err }, 'Unhandled promise rejection'))
  // Signal handlers go in before startup: a SIGTERM that arrives while the broker is still starting (it may already
  // be registered in ZooKeeper, or still waiting for ZooKeeper to answer) must still stop it cleanly rather than
  // kill the process with the default action. A second signal while a shutdown is pending exits at once.
  let broker: Broker | undefined
  let stopSignal: string | undefined
  const startup = new AbortController()
  const shutdown = (b: Broker): void => {
    b.shutdown().then(
      () => process.exit(0),
      (e: unknown) => {
        log.error({ err: e }, 'Error during shutdown')
        process.exit(1)
      },
    )
  }
  const onSignal = (signal: string): void => {
    if (stopSignal !== undefined) {
      log.warn(`Received ${signal} again while shutting down: exiting now`)
      process.exit(1)
    }
    stopSignal = signal
    if (broker) {
      log.info(`Received ${signal}: shutting down`)
      shutdown(broker)
    } else {
      log.info(`Received ${signal} during startup: stopping the startup`)
      startup.abort()
    }
  }
  process.on('SIGTERM', () => onSignal('SIGTERM'))
  process.on('SIGINT', () => onSignal('SIGINT'))
  try {
    broker = await Broker.start({ config, logger: log, signal: startup.signal })
  } catch (e) {
    if (stopSignal !== undefined) {
      log.info(`Startup stopped by ${stopSignal}: ${(e as Error).message}`)
      process.exit(0)
    }
    log.fatal(
      { err: e },
      `Fatal error during KafkaServer startup. Prepare to shutdown: ${(e as Error).message}`,
    )
    process.exit(1)
  }
  if (stopSignal !== undefined) shutdown(broker)
}

void main()
