/**
 * What a handler is: the API it serves (request and response schemas), the versions it accepts, and a function
 * from a decoded request to a response value. The dispatcher decodes and encodes; handlers never touch bytes
 * of the request envelope. ApiVersions is derived from the registered handlers, so the broker can never
 * advertise an API or a version it does not serve.
 */
import type { BufferLease } from '../util/buffer-pool.js'
import type { ApiDef } from '../protocol/api.js'
import type { Infer, Input } from '../protocol/codec/schema.js'
import type { ChannelControl, KafkaPrincipal } from '../network/channel.js'
import type { ConnectionInfo } from '../network/connection.js'

export { api, type ApiDef } from '../protocol/api.js'

export interface RequestContext {
  readonly apiKey: number
  readonly apiVersion: number
  readonly correlationId: number
  readonly clientId: string | null
  /** Size of the request (header and body) in bytes, as Kafka's request.sizeInBytes. */
  readonly requestSize: number
  readonly connection: ConnectionInfo
  /**
   * Who sent the request: User:ANONYMOUS on PLAINTEXT (and SSL without a client certificate), the mapped
   * certificate subject on SSL, the SASL user on SASL listeners — as it was when the request arrived.
   */
  readonly principal: KafkaPrincipal
  /** The connection's controls (close after the response, mute for throttling). */
  readonly channel: ChannelControl
  /**
   * The request's frame, which the decoded request's byte fields (records above all) are views into. It is valid
   * while the handler runs; code that keeps those bytes after the handler's result settles must `retain()` the
   * lease and `release()` it when done (DEVELOPERS.md, "Buffer ownership").
   */
  readonly frame: BufferLease
}

/** Returned by a handler when Kafka sends no response (Produce with acks=0). */
export const NO_RESPONSE: unique symbol = Symbol('no response')

export type HandlerResult<Res> = Input<Res> | typeof NO_RESPONSE

export interface Handler<Req = unknown, Res = unknown> {
  readonly api: ApiDef<Req, Res>
  readonly minVersion: number
  readonly maxVersion: number
  handle(req: Req, ctx: RequestContext): HandlerResult<Res> | Promise<HandlerResult<Res>>
}

export interface HandlerImpl<Req, Res> {
  /** Lowest version accepted; Kafka 3.x accepts (and advertises) every version from 0. */
  readonly minVersion?: number
  /** Highest version accepted; defaults to the schema's newest (Kafka 3.9's maximum). */
  readonly maxVersion?: number
  handle(req: Req, ctx: RequestContext): HandlerResult<Res> | Promise<HandlerResult<Res>>
}

export function defineHandler<Req, Res>(
  def: ApiDef<Req, Res>,
  impl: HandlerImpl<Req, Res>,
): Handler<Req, Res> {
  return {
    api: def,
    minVersion: impl.minVersion ?? def.request.validVersions.min,
    maxVersion: impl.maxVersion ?? def.request.validVersions.max,
    handle: impl.handle,
  }
}

/** The encodable form of a message (all fields optional, arrays readonly). */
export type Out<M> = Input<Infer<M>>

/** Element type of an array field of an encodable message. */
export type Elem<A> = NonNullable<A> extends readonly (infer E)[] ? E : never
