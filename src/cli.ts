/**
 * `bin/kafka-server-start.sh server.properties [--override property=value]*` — Kafka's command line: a
 * properties file with Kafka's names, then any number of `--override key=value`. SIGTERM and SIGINT shut the
 * broker down cleanly (flush, checkpoints, deregistration) before the process exits. A configuration the broker
 * cannot run with (a bad value, a port in use, an unusable log directory) ends it with one line and exit code 1.
 */
import { readFileSync } from 'node:fs'
import { configErrorLine, parseArgs, PidFile, programOf, usage, type StartArgs } from './command-line.js'
import { BrokerConfig } from './config/broker-config.js'
import { ConfigException } from './config/config-def.js'
import { Broker } from './server/broker.js'
import { deferExtraCaCerts } from './services/security/tls-material.js'
import { createLogger, type Logger } from './util/logger.js'

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
  return pkg.version
}

async function main(): Promise<void> {
  const program = programOf(process.argv[1])
  let parsed: StartArgs | 'help' | 'version'
  try {
    parsed = parseArgs(process.argv.slice(2))
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${usage(program)}`)
    process.exit(1)
  }
  if (parsed === 'help') {
    process.stdout.write(usage(program))
    return
  }
  if (parsed === 'version') {
    process.stdout.write(`${version()}\n`)
    return
  }
  const args = parsed
  let root: Logger
  try {
    root = createLogger()
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`)
    process.exit(1)
  }
  let log = root.child({ name: 'kafka.Kafka' })
  // bin/kafka-server-start.sh deferred NODE_EXTRA_CA_CERTS (see deferExtraCaCerts): put it back for whatever reads
  // the environment, and have the certificates loaded where a TLS context needs them
  const extraCa = process.env.SAMSA_EXTRA_CA_CERTS
  delete process.env.SAMSA_EXTRA_CA_CERTS
  if (extraCa) {
    process.env.NODE_EXTRA_CA_CERTS = extraCa
    deferExtraCaCerts(extraCa, (m) => log.warn(m))
  }
  let config: BrokerConfig
  try {
    config = BrokerConfig.load(args.file, args.overrides)
  } catch (e) {
    log.fatal(configErrorLine(e, args))
    process.exitCode = 1
    return
  }
  // Every line carries the broker id (with broker.id=-1 the broker adds it once ZooKeeper has assigned one).
  if (config.brokerId >= 0) {
    root = root.child({ broker: config.brokerId })
    log = root.child({ name: 'kafka.Kafka' })
  }
  const pidDir = process.env.SAMSA_PID_DIR
  const pidFile = pidDir ? new PidFile(pidDir) : undefined
  process.on('exit', () => pidFile?.remove())
  if (pidFile && config.brokerId >= 0) pidFile.write(config.brokerId)

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
    broker = await Broker.start({
      config,
      logger: root,
      signal: startup.signal,
      onFatal: () => process.exit(1),
    })
  } catch (e) {
    if (stopSignal !== undefined) {
      log.info(`Startup stopped by ${stopSignal}: ${(e as Error).message}`)
      process.exit(0)
    }
    if (e instanceof ConfigException) {
      // A setting the broker cannot run with (port in use, unusable log directory): one line, no stack trace.
      log.fatal(`Fatal error during KafkaServer startup: ${configErrorLine(e, args)}`)
    } else {
      log.fatal(
        { err: e },
        `Fatal error during KafkaServer startup. Prepare to shutdown: ${(e as Error).message}`,
      )
    }
    process.exit(1)
  }
  pidFile?.write(broker.brokerId)
  if (stopSignal !== undefined) shutdown(broker)
}

void main()
