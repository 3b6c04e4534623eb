/** An API as a pair of schemas with its key and name, shared by the server's handlers and the broker's client. */
import type { MessageSchema } from './codec/schema.js'

export interface ApiDef<Req, Res> {
  readonly key: number
  readonly name: string
  readonly request: MessageSchema<Req>
  readonly response: MessageSchema<Res>
}

export function api<Req, Res>(
  key: number,
  name: string,
  request: MessageSchema<Req>,
  response: MessageSchema<Res>,
): ApiDef<Req, Res> {
  return { key, name, request, response }
}
