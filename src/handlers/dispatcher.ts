/**
 * Turns request frames into handler calls and handler results into response frames.
 *
 * Kafka's rules, in order: an unknown API key or a version outside the handler's range closes the connection
 * (InvalidRequestException), except ApiVersions, which answers a too-new version in the v0 format with
 * UNSUPPORTED_VERSION and its own supported range so the client can retry (KIP-511). A body that does not
 * parse also closes the connection. Everything is logged; nothing here can crash the process.
 *
 * Handlers contain their success path only: whatever a handler throws becomes the API's error response, built
 * from the request and the response schema as Kafka's `AbstractRequest.getErrorResponse` builds it (the shape
 * is declared next to each schema, see protocol/error-response.ts): a KafkaError gives its code (and message),
 * anything else UNKNOWN_SERVER_ERROR, logged with its stack. `CloseConnection` closes the connection instead.
 */
import { decode, decodeSliced, encode, encodeSliced, isFlexible } from '../protocol/codec/codec.js'
import { DecodeError } from '../protocol/codec/errors.js'
import { Reader } from '../protocol/codec/reader.js'
import { Writer } from '../protocol/codec/writer.js'
import { apiErrorOf, buildErrorResponse } from '../protocol/error-response.js'
import { ErrorCode, errorName } from '../protocol/errors.js'
import {
  API_VERSIONS_KEY,
  RequestHeader,
  requestHeaderVersion,
  ResponseHeader,
  responseHeaderVersion,
} from '../protocol/headers.js'
import { ApiVersionsResponse } from '../protocol/messages/18-api-versions.js'
import type { ChannelControl, ConnectionInfo } from '../network/channel.js'
import { CloseConnection, type RequestProcessor, type ResponseChunks } from '../network/connection.js'
import { Apis } from '../protocol/messages/index.js'
import { fetchBufferPool } from '../util/buffer-pool.js'
import type { Logger } from '../util/logger.js'
import { TimeSlicer } from '../util/time-slicer.js'

import { NO_RESPONSE, type Handler, type HandlerResult, type RequestContext } from './handler.js'

/** What a request interceptor is told of each request, before its handler runs. */
export interface InterceptedRequest {
  readonly apiKey: number
  /** The API's name (Produce, Fetch, ...). */
  readonly api: string
  readonly apiVersion: number
  readonly correlationId: number
  readonly clientId: string | null
  readonly connection: ConnectionInfo
}

/**
 * Sees every decoded request before its handler runs; a promise it returns holds the request until it settles (the
 * latency an in-process test cluster injects per request type). It must not throw.
 */
export type RequestInterceptor = (req: InterceptedRequest) => void | Promise<void>

/** What the dispatcher reports of each request it answers (the broker's metrics; Kafka's RequestMetrics). */
export interface RequestObserver {
  /** Monotonic milliseconds (the broker's clock). */
  now(): number
  /** A request answered (or dropped, for acks=0) after `ms`, under `request` (Kafka's request metric name). */
  requestCompleted(request: string, version: number, ms: number): void
  /**
   * The request quota (request_percentage): the broker's time in a request's handler (`ms`, its synchronous part),
   * recorded for its sender before the response is built; the throttle time (0 within the quota). The response
   * carries it in throttle_time_ms.
   */
  handlerTime?(ctx: RequestContext, body: unknown, ms: number): number
  /** The time spent encoding the response, recorded without a throttle (Kafka's network thread time). */
  networkTime?(ctx: RequestContext, ms: number): void
}

/**
 * Request frames of this size or more (Produce aside: its records are opaque bytes) are decoded time-sliced, and
 * responses with this many elements in their top-level arrays are encoded time-sliced: a Metadata request naming a
 * million topics (21 MB) takes seconds to parse and answer, and the other connections are served meanwhile.
 */
const SLICED_BYTES = 1 << 20
const SLICED_ELEMENTS = 10_000

/** How many elements a response's top-level arrays hold. */
function topLevelElements(res: unknown): number {
  let n = 0
  if (res && typeof res === 'object') for (const v of Object.values(res)) if (Array.isArray(v)) n += v.length
  return n
}

interface DecodedRequest {
  handler: Handler
  apiKey: number
  apiVersion: number
  correlationId: number
  clientId: string | null
  body: unknown
}

export class RequestDispatcher implements RequestProcessor {
  private readonly byKey = new Map<number, Handler>()

  constructor(
    handlers: readonly Handler[],
    private readonly log: Logger,
    private readonly interceptor?: RequestInterceptor,
    private readonly observer?: RequestObserver,
  ) {
    for (const h of handlers) this.register(h)
  }

  register(h: Handler): void {
    if (this.byKey.has(h.api.key)) throw new Error(`two handlers for API key ${h.api.key}`)
    this.byKey.set(h.api.key, h)
  }

  get handlers(): readonly Handler[] {
    return [...this.byKey.values()].sort((a, b) => a.api.key - b.api.key)
  }

  /** Pipelined Produce requests are appended in arrival order without waiting for each other's acks. */
  mayOverlap(frame: Buffer): boolean {
    return frame.length >= 2 && frame.readInt16BE(0) === Apis.Produce.key
  }

  process(frame: Buffer, channel: ChannelControl): ResponseChunks | Promise<ResponseChunks> {
    const decoded = this.decodeRequest(frame, channel.info.remoteAddress)
    if (decoded instanceof Promise) return decoded.then((d) => this.dispatch(frame, channel, d))
    return this.dispatch(frame, channel, decoded)
  }

  private dispatch(
    frame: Buffer,
    channel: ChannelControl,
    decoded: DecodedRequest | { response: ResponseChunks },
  ): ResponseChunks | Promise<ResponseChunks> {
    const conn = channel.info
    if (!('body' in decoded)) return decoded.response
    const { handler, apiKey, apiVersion, correlationId, clientId, body } = decoded
    const name = handler.api.name
    const ctx: RequestContext = {
      apiKey,
      apiVersion,
      correlationId,
      clientId,
      requestSize: frame.length,
      connection: conn,
      principal: channel.principal,
      channel,
      frame: fetchBufferPool.lease(frame),
    }
    if (this.log.isLevelEnabled('trace')) {
      this.log.trace(
        { api: name, version: apiVersion, correlationId, clientId, connection: conn.id },
        'request',
      )
    }
    const held = this.interceptor?.({
      apiKey,
      api: name,
      apiVersion,
      correlationId,
      clientId,
      connection: conn,
    })
    if (held) return held.then(() => this.handle(handler, body, ctx))
    return this.handle(handler, body, ctx)
  }

  private handle(
    handler: Handler,
    body: unknown,
    ctx: RequestContext,
  ): ResponseChunks | Promise<ResponseChunks> {
    const started = this.observer?.now() ?? 0
    const result = handleRequest(handler, body, ctx, this.log)
    const handlerMs = this.observer ? this.observer.now() - started : 0
    if (this.observer) this.observe(result, handler, ctx, body, started)
    if (ctx.apiKey === Apis.Produce.key) {
      // The dispatcher's hold on a produce frame ends with its handling: whatever keeps its bytes longer (a queued
      // write) holds its own reference on ctx.frame. Frames of other APIs are left to the garbage collector, since
      // their decoded requests may live on in views of the frame (group metadata, for one).
      if (result instanceof Promise) {
        return result.then(
          (res) => {
            ctx.frame.release()
            return this.respondMetered(handler, ctx, body, res, handlerMs)
          },
          (e: unknown) => {
            ctx.frame.release()
            throw e
          },
        )
      }
      ctx.frame.release()
    }
    if (result instanceof Promise)
      return result.then((res) => this.respondMetered(handler, ctx, body, res, handlerMs))
    return this.respondMetered(handler, ctx, body, result, handlerMs)
  }

  /**
   * Kafka's request quota around a response: the handler time recorded (throttle_time_ms of the response, at
   * least what the handler set, and the channel muted by the quota manager), then the encoding time.
   */
  private respondMetered(
    handler: Handler,
    ctx: RequestContext,
    body: unknown,
    res: HandlerResult<unknown>,
    handlerMs: number,
  ): ResponseChunks | Promise<ResponseChunks> {
    const observer = this.observer
    if (!observer?.handlerTime) return this.respond(handler, ctx, res)
    const throttleMs = observer.handlerTime(ctx, body, handlerMs)
    let answer = res
    if (throttleMs > 0 && res !== NO_RESPONSE && typeof res === 'object' && res !== null) {
      const own = (res as { throttleTimeMs?: number }).throttleTimeMs ?? 0
      answer = { ...res, throttleTimeMs: Math.max(own, throttleMs) }
    }
    const started = observer.now()
    const out = this.respond(handler, ctx, answer)
    const encoded = (): void => observer.networkTime?.(ctx, observer.now() - started)
    if (out instanceof Promise) void out.then(encoded, () => {})
    else encoded()
    return out
  }

  /** Reports the request once its handling settles; Fetch also under FetchConsumer or FetchFollower, as Kafka. */
  private observe(
    result: unknown,
    handler: Handler,
    ctx: RequestContext,
    body: unknown,
    started: number,
  ): void {
    const observer = this.observer!
    const done = (): void => {
      const ms = observer.now() - started
      observer.requestCompleted(handler.api.name, ctx.apiVersion, ms)
      if (ctx.apiKey === Apis.Fetch.key) {
        const f = body as { replicaId?: number; replicaState?: { replicaId: number } }
        const replicaId = ctx.apiVersion >= 15 ? (f.replicaState?.replicaId ?? -1) : (f.replicaId ?? -1)
        observer.requestCompleted(replicaId >= 0 ? 'FetchFollower' : 'FetchConsumer', ctx.apiVersion, ms)
      }
    }
    if (result instanceof Promise) result.then(done, done)
    else done()
  }

  /** A request refused as a whole before it is handled (during SASL authentication): its API's error response. */
  errorResponse(frame: Buffer, errorCode: number, message: string): ResponseChunks {
    const decoded = this.decodeRequest(frame, 'a client', false)
    if (!('body' in decoded)) return decoded.response
    const res = buildErrorResponse(decoded.handler.api, decoded.apiVersion, decoded.body, {
      code: errorCode,
      message,
    })
    return res === null ? null : this.respond(decoded.handler, decoded, res, false)
  }

  /**
   * The handler, header and body of a request frame; for a too-new ApiVersions, its v0 answer instead. Throws
   * (or rejects with) CloseConnection for an unknown API key, an unsupported version or a body that does not
   * parse. A frame of SLICED_BYTES or more is decoded time-sliced (the event loop runs meanwhile).
   */
  private decodeRequest(
    frame: Buffer,
    from: string,
    sliced: false,
  ): DecodedRequest | { response: ResponseChunks }
  private decodeRequest(
    frame: Buffer,
    from: string,
    sliced?: boolean,
  ): DecodedRequest | { response: ResponseChunks } | Promise<DecodedRequest>
  private decodeRequest(
    frame: Buffer,
    from: string,
    sliced = true,
  ): DecodedRequest | { response: ResponseChunks } | Promise<DecodedRequest> {
    const apiKey = frame.readInt16BE(0)
    const apiVersion = frame.readInt16BE(2)
    const correlationId = frame.readInt32BE(4)
    const handler = this.byKey.get(apiKey)
    if (!handler) {
      throw new CloseConnection(`unknown API key ${apiKey} (correlation id ${correlationId}) from ${from}`)
    }
    const name = handler.api.name
    if (apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
      if (apiKey === API_VERSIONS_KEY)
        return { response: this.unsupportedApiVersions(correlationId, handler) }
      throw new CloseConnection(
        `unsupported version ${apiVersion} of ${name} (supported ${handler.minVersion}-${handler.maxVersion})`,
      )
    }
    const reqSchema = handler.api.request
    const flexibleRequest = isFlexible(reqSchema, apiVersion)
    const r = new Reader(frame)
    const malformed = (e: unknown): never => {
      if (e instanceof DecodeError) {
        throw new CloseConnection(
          `malformed ${name} v${apiVersion} request (correlation id ${correlationId}): ${e.message}`,
        )
      }
      throw e
    }
    const decoded = (clientId: string | null, body: unknown): DecodedRequest => ({
      handler,
      apiKey,
      apiVersion,
      correlationId,
      clientId,
      body,
    })
    try {
      const header = decode(RequestHeader, requestHeaderVersion(apiKey, flexibleRequest, apiVersion), r)
      if (sliced && frame.length >= SLICED_BYTES && apiKey !== Apis.Produce.key) {
        return decodeSliced(reqSchema, apiVersion, r, new TimeSlicer()).then(
          (body) => decoded(header.clientId, body),
          malformed,
        )
      }
      return decoded(header.clientId, decode(reqSchema, apiVersion, r))
    } catch (e) {
      return malformed(e)
    }
  }

  /** The response's bytes; one with SLICED_ELEMENTS or more top-level elements is encoded time-sliced. */
  private respond(
    handler: Handler,
    ctx: Pick<RequestContext, 'apiKey' | 'apiVersion' | 'correlationId'>,
    res: HandlerResult<unknown>,
    sliced: false,
  ): ResponseChunks
  private respond(
    handler: Handler,
    ctx: Pick<RequestContext, 'apiKey' | 'apiVersion' | 'correlationId'>,
    res: HandlerResult<unknown>,
  ): ResponseChunks | Promise<ResponseChunks>
  private respond(
    handler: Handler,
    ctx: Pick<RequestContext, 'apiKey' | 'apiVersion' | 'correlationId'>,
    res: HandlerResult<unknown>,
    sliced = true,
  ): ResponseChunks | Promise<ResponseChunks> {
    if (res === NO_RESPONSE) return null
    const schema = handler.api.response
    const w = new Writer(512)
    const flexible = isFlexible(schema, ctx.apiVersion)
    encode(
      ResponseHeader,
      responseHeaderVersion(ctx.apiKey, flexible),
      { correlationId: ctx.correlationId },
      w,
    )
    if (sliced && topLevelElements(res) >= SLICED_ELEMENTS) {
      return encodeSliced(schema, ctx.apiVersion, res, w, new TimeSlicer()).then(() => w.finish())
    }
    encode(schema, ctx.apiVersion, res, w)
    return w.finish()
  }

  private unsupportedApiVersions(correlationId: number, handler: Handler): ResponseChunks {
    const w = new Writer(64)
    encode(ResponseHeader, 0, { correlationId }, w)
    encode(
      ApiVersionsResponse,
      0,
      {
        errorCode: ErrorCode.UNSUPPORTED_VERSION,
        apiKeys: [
          { apiKey: API_VERSIONS_KEY, minVersion: handler.minVersion, maxVersion: handler.maxVersion },
        ],
      },
      w,
    )
    return w.finish()
  }
}

/**
 * Runs a handler on a decoded request. What it throws (synchronously or by rejecting) is answered with the
 * API's error response; `CloseConnection`, and an error of a request that wants no response (Produce with
 * acks=0), close the connection.
 */
export function handleRequest(
  handler: Handler,
  req: unknown,
  ctx: RequestContext,
  log: Logger,
): HandlerResult<unknown> | Promise<HandlerResult<unknown>> {
  let result: HandlerResult<unknown> | Promise<HandlerResult<unknown>>
  try {
    result = handler.handle(req, ctx)
  } catch (e) {
    return errorResult(handler, req, ctx, e, log)
  }
  if (result instanceof Promise) return result.catch((e: unknown) => errorResult(handler, req, ctx, e, log))
  return result
}

function errorResult(
  handler: Handler,
  req: unknown,
  ctx: RequestContext,
  e: unknown,
  log: Logger,
): HandlerResult<unknown> {
  if (e instanceof CloseConnection) throw e
  const error = apiErrorOf(e)
  const what = `${handler.api.name} v${ctx.apiVersion} request (correlation id ${ctx.correlationId}, client ${ctx.clientId})`
  if (error.code === ErrorCode.UNKNOWN_SERVER_ERROR)
    log.error({ err: e }, `Unexpected error handling ${what}`)
  else if (log.isLevelEnabled('debug'))
    log.debug(`${what} failed: ${errorName(error.code)} ${error.message ?? ''}`)
  const res = buildErrorResponse(handler.api, ctx.apiVersion, req, error)
  if (res === null)
    throw new CloseConnection(`${what} failed with ${errorName(error.code)} and expects no response`)
  return res
}
