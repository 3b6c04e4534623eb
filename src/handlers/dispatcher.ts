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
import { decode, encode, isFlexible } from '../protocol/codec/codec.js'
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
    const conn = channel.info
    const decoded = this.decodeRequest(frame, conn.remoteAddress)
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
    if (this.observer) this.observe(result, handler, ctx, body, started)
    if (ctx.apiKey === Apis.Produce.key) {
      // The dispatcher's hold on a produce frame ends with its handling: whatever keeps its bytes longer (a queued
      // write) holds its own reference on ctx.frame. Frames of other APIs are left to the garbage collector, since
      // their decoded requests may live on in views of the frame (group metadata, for one).
      if (result instanceof Promise) {
        return result.then(
          (res) => {
            ctx.frame.release()
            return this.respond(handler, ctx, res)
          },
          (e: unknown) => {
            ctx.frame.release()
            throw e
          },
        )
      }
      ctx.frame.release()
    }
    if (result instanceof Promise) return result.then((res) => this.respond(handler, ctx, res))
    return this.respond(handler, ctx, result)
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
    const decoded = this.decodeRequest(frame, 'a client')
    if (!('body' in decoded)) return decoded.response
    const res = buildErrorResponse(decoded.handler.api, decoded.apiVersion, decoded.body, {
      code: errorCode,
      message,
    })
    return res === null ? null : this.respond(decoded.handler, decoded, res)
  }

  /**
   * The handler, header and body of a request frame; for a too-new ApiVersions, its v0 answer instead. Throws
   * CloseConnection for an unknown API key, an unsupported version or a body that does not parse.
   */
  private decodeRequest(
    frame: Buffer,
    from: string,
  ):
    | {
        handler: Handler
        apiKey: number
        apiVersion: number
        correlationId: number
        clientId: string | null
        body: unknown
      }
    | { response: ResponseChunks } {
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
    try {
      const header = decode(RequestHeader, requestHeaderVersion(apiKey, flexibleRequest, apiVersion), r)
      const body = decode(reqSchema, apiVersion, r)
      return { handler, apiKey, apiVersion, correlationId, clientId: header.clientId, body }
    } catch (e) {
      if (e instanceof DecodeError) {
        throw new CloseConnection(
          `malformed ${name} v${apiVersion} request (correlation id ${correlationId}): ${e.message}`,
        )
      }
      throw e
    }
  }

  private respond(
    handler: Handler,
    ctx: Pick<RequestContext, 'apiKey' | 'apiVersion' | 'correlationId'>,
    res: HandlerResult<unknown>,
  ): ResponseChunks {
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
