/**
 * The network of an in-process cluster: which node reaches which, per direction. Nodes are the brokers (by id),
 * `'clients'` (every connection that is not a broker's: test clients in this or another process) and
 * `'zookeeper'`. A fault on a direction says what happens to what one node sends the other:
 *  - `hold`   held until healed, the connections staying up (a partition: TCP keeps retransmitting);
 *  - `drop`   lost, the connections staying up (a peer that never answers);
 *  - `refuse` connections refused and the current ones reset (a host that answers with RST);
 *  - `delayMs` (with none of the above) added latency.
 * The network is the test's; what a broker's own state does (a killed broker refuses, a paused one holds) is laid
 * over it by the cluster when it applies a link's state.
 */
export type NodeId = number | 'clients' | 'zookeeper'

export type FaultMode = 'hold' | 'drop' | 'refuse'

export interface LinkFault {
  readonly mode?: FaultMode
  /** Added to every byte that passes (with no `mode`). */
  readonly delayMs?: number
}

export interface PartitionOptions {
  /** What the cut links do (default 'hold', as a real partition: packets dropped, connections hanging). */
  readonly mode?: FaultMode
}

export interface LinkOptions extends LinkFault {
  /** Only what `from` sends `to` (default: both ways). */
  readonly oneWay?: boolean
}

const key = (from: NodeId, to: NodeId): string => `${String(from)}>${String(to)}`

export class NetworkModel {
  private readonly faults = new Map<string, LinkFault>()

  /** The fault on what `from` sends `to`, if any. */
  fault(from: NodeId, to: NodeId): LinkFault | undefined {
    return this.faults.get(key(from, to))
  }

  /** Whether `a` and `b` cannot talk (either way refused, held or dropped). */
  cut(a: NodeId, b: NodeId): boolean {
    return this.fault(a, b)?.mode !== undefined || this.fault(b, a)?.mode !== undefined
  }

  set(from: NodeId, to: NodeId, opts: LinkOptions): void {
    if (from === to) throw new Error(`a link needs two different nodes (got ${String(from)} twice)`)
    const fault: LinkFault = { mode: opts.mode, delayMs: opts.delayMs }
    const empty = fault.mode === undefined && !fault.delayMs
    for (const [a, b] of opts.oneWay
      ? [[from, to]]
      : [
          [from, to],
          [to, from],
        ]) {
      if (empty) this.faults.delete(key(a!, b!))
      else this.faults.set(key(a!, b!), fault)
    }
  }

  /**
   * Splits the listed nodes into groups that cannot reach each other; a node listed in no group keeps reaching
   * every other (clients and ZooKeeper reach all brokers unless they are listed).
   */
  partition(groups: readonly (readonly NodeId[])[], opts: PartitionOptions = {}): void {
    const seen = new Map<string, number>()
    groups.forEach((g, i) => {
      for (const n of g) {
        const prev = seen.get(String(n))
        if (prev !== undefined && prev !== i)
          throw new Error(`${String(n)} is in two groups of the partition`)
        seen.set(String(n), i)
      }
    })
    for (let i = 0; i < groups.length; i++)
      for (let j = i + 1; j < groups.length; j++)
        for (const a of groups[i]!) for (const b of groups[j]!) this.set(a, b, { mode: opts.mode ?? 'hold' })
  }

  heal(): void {
    this.faults.clear()
  }

  /** Every fault in place, for a report. */
  list(): { from: string; to: string; fault: LinkFault }[] {
    return [...this.faults].map(([k, fault]) => {
      const [from, to] = k.split('>') as [string, string]
      return { from, to, fault }
    })
  }
}
