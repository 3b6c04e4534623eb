/**
 * Request and response headers, and the rules for which header version goes with which API version
 * (Kafka's ApiMessageType): flexible request versions use request header v2, others v1; flexible responses
 * use response header v1, others v0. Two exceptions are fixed by Kafka: ApiVersions responses always use
 * header v0 (KIP-511, so a client can read the error of a version it sent too new), and ControlledShutdown
 * v0 requests use request header v0 (no client id).
 */
import { int16, int32, message, string } from './codec/schema.js'
import { ApiVersions } from './messages/18-api-versions.js'
import { ControlledShutdown } from './messages/07-controlled-shutdown.js'

export const RequestHeader = message({
  name: 'RequestHeader',
  kind: 'data',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    int16('requestApiKey'),
    int16('requestApiVersion'),
    int32('correlationId'),
    // Kept as a classic (int16-length) string even in the flexible header v2.
    string('clientId', { versions: '1+', nullable: '1+', flexibleVersions: 'none', default: null }),
  ],
})

export const ResponseHeader = message({
  name: 'ResponseHeader',
  kind: 'data',
  validVersions: '0-1',
  flexibleVersions: '1+',
  fields: [int32('correlationId')],
})

export const API_VERSIONS_KEY = ApiVersions.key
const CONTROLLED_SHUTDOWN_KEY = ControlledShutdown.key

export function requestHeaderVersion(apiKey: number, flexible: boolean, apiVersion: number): number {
  if (apiKey === CONTROLLED_SHUTDOWN_KEY && apiVersion === 0) return 0
  return flexible ? 2 : 1
}

export function responseHeaderVersion(apiKey: number, flexible: boolean): number {
  if (apiKey === API_VERSIONS_KEY) return 0
  return flexible ? 1 : 0
}
