/**
 * Network partitions for a process cluster, made with fault proxies (support/fault-proxy.ts) rather than network
 * namespaces: every link a broker has goes through a proxy the test controls, so a fault can be one link, one
 * direction, one kind of peer.
 *  - Kafka traffic: each broker listens on a private port and advertises its proxy's port (advertised.listeners),
 *    so clients and the other brokers (follower fetches) reach it only through the proxy. The proxy tells the
 *    other brokers' connections (client id `broker-<id>-...`) from clients' ones, so "broker 1 cut from broker 2"
 *    and "broker 1 cut from its clients" are rules on the proxies of 1 and 2.
 *  - ZooKeeper: each broker has its own proxy in front of the ZooKeeper (zookeeper.connect names it), so one
 *    broker can lose ZooKeeper while the rest keep it.
 * A cut 'both' ways holds the bytes of both directions (TCP across a partition: the connection stays up, nothing
 * gets through until it heals); 'requests' loses what the cut side sends towards the broker, 'answers' what the
 * broker sends back (one-way partitions: the request arrives and is acted on, the answer never does, or the
 * other way round).
 */
import type { PropValue } from './broker.js'
import { type Cluster, type ClusterOptions, sharedZooKeeper, startCluster } from './cluster.js'
import { uniqueName } from './env.js'
import { FaultProxy, type LinkFault } from './fault-proxy.js'
import { freePort } from './procs.js'

/** Which way a cut goes: both ways, only what goes to the broker (requests), or only what comes back (answers). */
export type CutDirection = 'both' | 'requests' | 'answers'

function fault(dir: CutDirection): LinkFault {
  if (dir === 'both') return { up: 'hold', down: 'hold' }
  return dir === 'requests' ? { up: 'drop' } : { down: 'drop' }
}

export class ProxiedCluster {
  constructor(
    readonly cluster: Cluster,
    /** By broker id: the proxy in front of its Kafka listener (its advertised address). */
    readonly kafkaProxies: ReadonlyMap<number, FaultProxy>,
    /** By broker id: the proxy its ZooKeeper connection goes through. */
    readonly zkProxies: ReadonlyMap<number, FaultProxy>,
  ) {}

  /** Advertised (proxied) addresses of every broker: what clients bootstrap from. */
  bootstrapAll(): string[] {
    return [...this.kafkaProxies.values()].map((p) => p.address)
  }

  /** The advertised (proxied) address of one broker. */
  endpoint(id: number): { host: string; port: number } {
    const p = this.kafkaProxies.get(id)!
    return { host: p.host, port: p.port }
  }

  /**
   * Cuts broker `a` from broker `b`: with 'both', no byte passes either way between them; with 'requests', what
   * `b` sends to `a` (its fetches from `a`) is lost, and what `a` sends to `b` too — `a` and `b` cannot ask each
   * other anything, every connection is one-way; with 'answers' their requests arrive and the answers are lost.
   * `oneSided` limits the cut to `b`'s connections to `a` (a follower `b` cannot fetch from leader `a`, while `a`
   * still fetches from `b`).
   */
  cutBrokers(a: number, b: number, dir: CutDirection = 'both', oneSided = false): void {
    this.kafkaProxies.get(a)!.set(fault(dir), `broker-${b}`)
    if (!oneSided) this.kafkaProxies.get(b)!.set(fault(dir), `broker-${a}`)
  }

  /** Cuts broker `id` from ZooKeeper (its session expires unless the cut is healed in time). */
  cutZooKeeper(id: number, dir: CutDirection = 'both'): void {
    this.zkProxies.get(id)!.set(fault(dir))
  }

  /** Cuts the clients (everything that is not a broker) from broker `id`. */
  cutClients(id: number, dir: CutDirection = 'both'): void {
    this.kafkaProxies.get(id)!.set(fault(dir), 'client')
  }

  /** Every link passes again (held bytes are delivered, in order). */
  healAll(): void {
    for (const p of [...this.kafkaProxies.values(), ...this.zkProxies.values()]) p.heal()
  }

  async stop(): Promise<void> {
    await this.cluster.stop()
    for (const p of [...this.kafkaProxies.values(), ...this.zkProxies.values()]) await p.close()
  }
}

/**
 * A cluster (support/cluster.ts startCluster) whose every Kafka and ZooKeeper link goes through a fault proxy.
 * Note `cluster.bootstrapAll()` and `cluster.broker(id).bootstrap` are the private (unproxied) listeners, for the
 * test's own look-ups that must not be cut; clients use `bootstrapAll()` of the ProxiedCluster.
 */
export async function startProxiedCluster(opts: ClusterOptions = {}): Promise<ProxiedCluster> {
  const ids = opts.ids ?? Array.from({ length: opts.size ?? 3 }, (_, i) => i)
  const zkHosts = opts.zkHosts ?? sharedZooKeeper()
  const chroot = opts.chroot ?? `/${uniqueName('samsa-proxied')}`
  const [zkHost, zkPort] = zkHosts.split(',')[0]!.split(':') as [string, string]
  const kafkaProxies = new Map<number, FaultProxy>()
  const zkProxies = new Map<number, FaultProxy>()
  const advertisedPorts = new Map<number, number>()
  for (const id of ids) {
    advertisedPorts.set(id, await freePort())
    zkProxies.set(
      id,
      await FaultProxy.start({ host: zkHost, port: Number(zkPort) }, { source: `zk-of-${id}` }),
    )
  }
  const privatePorts = new Map<number, number>()
  const cluster = await startCluster({
    ...opts,
    ids,
    zkHosts,
    chroot,
    start: false,
    brokerOverrides: (id, port): Record<string, PropValue> => {
      privatePorts.set(id, port)
      return {
        'advertised.listeners': `PLAINTEXT://127.0.0.1:${advertisedPorts.get(id)!}`,
        'zookeeper.connect': `${zkProxies.get(id)!.address}${chroot}`,
        ...opts.brokerOverrides?.(id, port),
      }
    },
  })
  for (const id of ids) {
    kafkaProxies.set(
      id,
      await FaultProxy.start(
        { host: '127.0.0.1', port: privatePorts.get(id)! },
        { port: advertisedPorts.get(id)!, classify: true },
      ),
    )
  }
  const pc = new ProxiedCluster(cluster, kafkaProxies, zkProxies)
  if (opts.start ?? true) {
    try {
      await Promise.all(cluster.brokers.map((b) => b.start()))
    } catch (e) {
      await pc.stop()
      throw e
    }
  }
  return pc
}
