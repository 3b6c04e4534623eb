/**
 * `bin/samsa-cluster` / `npx samsa cluster`: an in-process cluster of N brokers (startCluster) with its fault and
 * time controls served as JSON over HTTP (cluster/control-routes.ts), for test suites in other languages. See
 * cluster-command-line.ts for the options.
 */
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { brokerJson } from './cluster/control-routes.js'
import { startClusterServer, type ClusterServer } from './cluster/test-runner.js'
import { clusterUsage, parseClusterArgs, type ClusterArgs } from './cluster-command-line.js'
import { loadPropertiesFileSync, parseKeyValueArgs } from './config/properties.js'
import { createLogger } from './util/logger.js'

const program = process.env.SAMSA_CLUSTER_PROGRAM ?? path.basename(process.argv[1] ?? 'samsa-cluster')

function fail(message: string): never {
  process.stderr.write(`${message}\n`)
  process.exit(1)
}

function propsOf(overrides: readonly string[]): Record<string, string> {
  return Object.fromEntries(parseKeyValueArgs(overrides))
}

async function main(argv: readonly string[]): Promise<void> {
  let args: ClusterArgs | 'help'
  try {
    args = parseClusterArgs(argv)
  } catch (e) {
    fail(`${(e as Error).message}\n\n${clusterUsage(program)}`)
  }
  if (args === 'help') {
    process.stdout.write(clusterUsage(program))
    return
  }
  const a = args
  const fromFile = a.file ? Object.fromEntries(loadPropertiesFileSync(a.file)) : {}
  const log = createLogger({ level: a.logLevel, fd: 2 }).child({ name: 'samsa.cluster' })
  let server: ClusterServer | undefined
  let stopping: Promise<void> | undefined
  const stop = (why: string): Promise<void> =>
    (stopping ??= (async () => {
      log.info(`${why}: stopping the cluster`)
      await server?.stop().catch((e: unknown) => log.error({ err: e }, 'Error while stopping the cluster'))
      process.exit(0)
    })())
  process.on('SIGTERM', () => void stop('SIGTERM'))
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('unhandledRejection', (err) => log.error({ err }, 'Unhandled promise rejection'))
  try {
    server = await startClusterServer({
      brokers: a.brokers,
      zookeeper: a.zookeeper,
      properties: { ...fromFile, ...propsOf(a.overrides) },
      brokerProperties: (id) => propsOf(a.brokerOverrides.get(id) ?? []),
      manualTime: a.manualTime,
      dataDir: a.dataDir,
      logLevel: a.logLevel,
      logFd: 2,
      http: a.http,
      onStop: () => void stop('POST /cluster/stop'),
    })
    const ready = JSON.stringify({
      bootstrapServers: server.cluster.bootstrap,
      http: server.url,
      brokers: server.cluster.brokers.map(brokerJson),
    })
    if (a.readyFile) writeFileSync(a.readyFile, `${ready}\n`)
    process.stdout.write(`${ready}\n`)
  } catch (e) {
    fail(`samsa-cluster could not start: ${(e as Error).message}`)
  }
}

void main(process.argv.slice(2))
