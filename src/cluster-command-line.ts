/**
 * The command line of `bin/samsa-cluster` / `npx samsa cluster` (src/cluster-cli.ts): parsing (node:util
 * parseArgs) and the usage text, testable on their own.
 */
import { parseArgs } from 'node:util'
import { ConfigException } from './config/config-def.js'
import { parseHttpListeners, type HttpListener } from './config/listeners.js'

export interface ClusterArgs {
  /** A properties file every broker starts from (broker.id, listeners' ports, log.dirs are the cluster's). */
  readonly file: string | undefined
  readonly brokers: number
  readonly zookeeper: string | undefined
  /** Where the control API listens. */
  readonly http: HttpListener
  /** `property=value` for every broker, in order. */
  readonly overrides: readonly string[]
  /** Per broker id, its own `property=value`s. */
  readonly brokerOverrides: ReadonlyMap<number, readonly string[]>
  readonly manualTime: boolean
  readonly dataDir: string | undefined
  readonly logLevel: string
  /** Write the ready line (JSON) here too once the cluster runs. */
  readonly readyFile: string | undefined
}

export function clusterUsage(program: string): string {
  return `USAGE: ${program} [server.properties] [--brokers N] [--http host:port] [--zookeeper host:port[/chroot]]
       [--override property=value]* [--broker-override id:property=value]* [--manual-time]
       [--data-dir DIR] [--log-level LEVEL] [--ready-file FILE]

Starts a cluster of N Samsa brokers in this process (coordinated through an in-process ZooKeeper, or the real one
given with --zookeeper) and serves its fault and time controls as a JSON API over HTTP (see the README, "Driving a
cluster over HTTP"): kill/stop/start/restart/pause/resume a broker, fail or fill its disk, partition and heal the
network, inject latency per request type, advance manual time, wait for a leader, an ISR, a group or a lag, read a
partition, list the requests each broker served.

Once every broker runs it prints one line of JSON on stdout:
  {"bootstrapServers":"127.0.0.1:41001,...","http":"http://127.0.0.1:9600","brokers":[...]}
SIGTERM, SIGINT or POST /cluster/stop stop the cluster (and remove its data unless --data-dir was given).

Options:
  --brokers N                 How many brokers, ids 0..N-1 (default 3).
  --http host:port            Where the control API listens (default 127.0.0.1:0, an ephemeral port: read it
                              from the ready line).
  --zookeeper CONNECT         A real ZooKeeper to coordinate through (give each cluster its own chroot).
  --override property=value   A broker property (Kafka's names) for every broker; may be given several times.
  --broker-override id:property=value
                              A property of one broker.
  --manual-time               Every broker on one manual clock, moved only by POST /time/advance.
  --data-dir DIR              Keep the brokers' data in DIR/broker-<id> (default: a temporary directory).
  --log-level LEVEL           Log level of the brokers (default warn; logs go to stderr).
  --ready-file FILE           Also write the ready line to FILE.
  --help                      Print this help and exit.
`
}

function httpListener(v: string): HttpListener {
  const url = /^[a-z]+:\/\//i.test(v) ? v : `http://${v.includes(':') ? v : `127.0.0.1:${v}`}`
  try {
    const [l] = parseHttpListeners([url])
    return l!
  } catch (e) {
    throw new ConfigException(`--http ${v}: ${(e as Error).message}`)
  }
}

function propertyArg(option: string, kv: string): string {
  if (!kv.includes('=') || kv.startsWith('='))
    throw new ConfigException(`${option} needs property=value (got ${kv})`)
  return kv
}

export function parseClusterArgs(argv: readonly string[]): ClusterArgs | 'help' {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(argv)
  } catch (e) {
    throw new ConfigException((e as Error).message)
  }
  const v = parsed.values
  if (v.help) return 'help'
  if (parsed.positionals.length > 1)
    throw new ConfigException(`Found non argument parameters: ${parsed.positionals.slice(1).join(' ')}`)
  const brokers = Number(v.brokers ?? '3')
  if (!Number.isInteger(brokers) || brokers < 1 || brokers > 64)
    throw new ConfigException(`--brokers must be an integer from 1 to 64 (got ${v.brokers})`)
  const brokerOverrides = new Map<number, string[]>()
  for (const a of v['broker-override'] ?? []) {
    const m = /^(\d+):(.*)$/.exec(a)
    if (!m) throw new ConfigException(`--broker-override needs id:property=value (got ${a})`)
    const id = Number(m[1])
    if (id >= brokers) throw new ConfigException(`--broker-override ${a}: there is no broker ${id}`)
    brokerOverrides.set(id, [...(brokerOverrides.get(id) ?? []), propertyArg('--broker-override', m[2]!)])
  }
  return {
    file: parsed.positionals[0],
    brokers,
    zookeeper: v.zookeeper,
    http: httpListener(v.http ?? '127.0.0.1:0'),
    overrides: (v.override ?? []).map((kv) => propertyArg('--override', kv)),
    brokerOverrides,
    manualTime: v['manual-time'] ?? false,
    dataDir: v['data-dir'],
    logLevel: v['log-level'] ?? 'warn',
    readyFile: v['ready-file'],
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      brokers: { type: 'string' },
      http: { type: 'string' },
      zookeeper: { type: 'string' },
      override: { type: 'string', multiple: true },
      'broker-override': { type: 'string', multiple: true },
      'manual-time': { type: 'boolean' },
      'data-dir': { type: 'string' },
      'log-level': { type: 'string' },
      'ready-file': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
}
