/**
 * An API: its key, its request and response schemas, and the shape of its error response. Declared once, at the
 * end of its schema file (`messages/NN-kebab-name.ts`, NN being the key; a test checks the file name), and shared
 * by the server's handlers and the broker's client. The name is the request schema's name without "Request".
 */
import type { MessageSchema } from './codec/schema.js'
import { checkErrorShape, TOP_LEVEL_ERROR_CODE, type ErrorResponseShape } from './error-response.js'

export interface ApiDef<Req, Res> {
  readonly key: number
  readonly name: string
  readonly request: MessageSchema<Req>
  readonly response: MessageSchema<Res>
  /** How a request that failed as a whole is answered (Kafka's `AbstractRequest.getErrorResponse`). */
  readonly errorResponse: ErrorResponseShape
}

export interface ApiDeclaration<Req, Res> {
  readonly key: number
  readonly request: MessageSchema<Req>
  readonly response: MessageSchema<Res>
  /** Defaults to the top-level error code only (the response must have one then). */
  readonly errorResponse?: ErrorResponseShape
}

export function api<Req, Res>(d: ApiDeclaration<Req, Res>): ApiDef<Req, Res> {
  const name = d.request.name.replace(/Request$/, '')
  if (d.request.name !== `${name}Request` || d.response.name !== `${name}Response`) {
    throw new Error(
      `API ${d.key}: schemas ${d.request.name}/${d.response.name} are not a Request/Response pair`,
    )
  }
  const errorResponse = d.errorResponse ?? TOP_LEVEL_ERROR_CODE
  checkErrorShape(`${name} error response`, errorResponse, d.request, d.response)
  return { key: d.key, name, request: d.request, response: d.response, errorResponse }
}
