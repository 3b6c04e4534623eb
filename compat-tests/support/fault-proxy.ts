/**
 * A fault-injecting TCP proxy for process clusters: the in-process cluster's `FaultLink` (src/cluster/fault-link.ts)
 * on real time, in front of a broker's advertised listener (or of ZooKeeper). The test decides, per direction and
 * per source, what the network does: 'pass' (after `delayMs`), 'hold' (bytes wait, the connection staying up, and
 * are delivered in order once healed — TCP across a partition, a peer that hangs), 'drop' (bytes discarded, the
 * connection staying up — a peer that never answers). `up` is client → server, `down` server → client.
 * `refuse()` stops listening and resets every connection (a host that is down), `cut()` resets the current
 * connections, `retarget()` points new connections elsewhere (a restarted service on another port).
 *
 * Sources: with `classify`, the proxy reads the client id of a connection's first Kafka request and calls the
 * connection 'broker-<id>' when it comes from a broker (Samsa's inter-broker client ids are `broker-<id>-...`)
 * and 'client' otherwise; rules can then differ per source — a partition between two brokers is the proxy of
 * one refusing to pass the other's traffic. Without `classify` every connection has the proxy's `source` name.
 */
import { FaultLink, type LinkState, type Target } from '../../src/cluster/fault-link.js'
import { systemScheduler } from '../../src/util/scheduler.js'
import { freePort } from './procs.js'

export type { LinkMode } from '../../src/cluster/fault-link.js'
export type LinkFault = LinkState
export type Endpoint = Target

/** The source of a Kafka connection from its first request's client id, once enough bytes are there. */
export function kafkaSource(b: Buffer): string | undefined {
  // size int32, api key int16, api version int16, correlation id int32, client id (int16 length + bytes)
  if (b.length < 14) return undefined
  const len = b.readInt16BE(12)
  if (len < 0) return 'client'
  if (b.length < 14 + len) return undefined
  const id = /^broker-(\d+)-/.exec(b.toString('utf8', 14, 14 + len))
  return id ? `broker-${id[1]}` : 'client'
}

export type FaultProxy = FaultLink

export const FaultProxy = {
  /** A proxy listening on a free port of 127.0.0.1 (or `port`), forwarding to `target`. */
  async start(
    target: Endpoint,
    opts: { port?: number; classify?: boolean; source?: string } = {},
  ): Promise<FaultProxy> {
    return FaultLink.open(`proxy>${target.host}:${target.port}`, systemScheduler, target, '127.0.0.1', {
      port: opts.port ?? (await freePort()),
      classify: opts.classify ? kafkaSource : undefined,
      source: opts.source,
    })
  },
}
