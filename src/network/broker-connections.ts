/**
 * A pool of inter-broker client connections, one per destination broker, opened on first use and dropped when
 * they fail (the next send opens a new one). Used by the services that send requests to other brokers on their
 * own schedule (transaction markers, transaction verification), like Kafka's per-purpose NetworkClients.
 */
import type { ApiDef } from '../protocol/api.js'
import type { Input } from '../protocol/codec/schema.js'
import { BrokerClient, BrokerClientError, type BrokerClientOptions } from './broker-client.js'

export class BrokerConnections {
  private readonly clients = new Map<number, Promise<BrokerClient>>()
  private closed = false

  /** `optionsFor`: how to reach a broker (its inter-broker endpoint), undefined while it is not known. */
  constructor(private readonly optionsFor: (brokerId: number) => BrokerClientOptions | undefined) {}

  private client(brokerId: number): Promise<BrokerClient> {
    const existing = this.clients.get(brokerId)
    if (existing) return existing
    const opts = this.optionsFor(brokerId)
    if (!opts) return Promise.reject(new BrokerClientError(`no endpoint known for broker ${brokerId}`))
    const p = BrokerClient.connect(opts)
    this.clients.set(brokerId, p)
    p.then(
      (c) => {
        if (this.closed) c.close()
      },
      () => {
        if (this.clients.get(brokerId) === p) this.clients.delete(brokerId)
      },
    )
    return p
  }

  /**
   * Sends a request at the highest version both sides support (at most `wanted`, at least `atLeast`). Rejects
   * with a BrokerClientError when the broker cannot be reached, the connection drops, or there is no common
   * version (`noCommonVersion` is then set).
   */
  async send<Req, Res>(
    brokerId: number,
    api: ApiDef<Req, Res>,
    wanted: number,
    atLeast: number,
    build: (version: number) => Input<Req>,
  ): Promise<{ version: number; response: Res }> {
    if (this.closed) throw new BrokerClientError('connections closed')
    const p = this.client(brokerId)
    const c = await p
    if (!c.isOpen) {
      if (this.clients.get(brokerId) === p) this.clients.delete(brokerId)
      return this.send(brokerId, api, wanted, atLeast, build)
    }
    let version: number
    try {
      version = c.version(api.key, wanted, atLeast)
    } catch (e) {
      throw Object.assign(e as BrokerClientError, { noCommonVersion: true })
    }
    try {
      return { version, response: await c.send(api, version, build(version)) }
    } catch (e) {
      if (this.clients.get(brokerId) === p) this.clients.delete(brokerId)
      c.close()
      throw e
    }
  }

  close(): void {
    this.closed = true
    for (const p of this.clients.values())
      p.then(
        (c) => c.close(),
        () => {},
      )
    this.clients.clear()
  }
}

/** True for the error `send` throws when the broker does not support the API at the versions asked for. */
export function isNoCommonVersion(e: unknown): boolean {
  return (
    e instanceof BrokerClientError &&
    (e as BrokerClientError & { noCommonVersion?: boolean }).noCommonVersion === true
  )
}
