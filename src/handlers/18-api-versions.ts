/**
 * ApiVersions (18), v0-4. Lists every API this broker serves with the version range its handler accepts — the
 * list is derived from the handler registry, so nothing is advertised that is not implemented. A version newer
 * than we know is answered by the dispatcher in the v0 format with UNSUPPORTED_VERSION (KIP-511).
 * v3+ requests carry the client's software name and version, which Kafka validates against a pattern.
 * Not sent: supported/finalized features (a ZooKeeper-mode broker without feature versioning has none).
 */
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode } from '../protocol/errors.js'
import { defineHandler, type Handler } from './handler.js'

export const ApiVersionsApi = Apis.ApiVersions

const SOFTWARE_PATTERN = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/

export function apiVersionsHandler(registry: () => readonly Handler[]): Handler {
  return defineHandler(ApiVersionsApi, {
    handle(req, ctx) {
      const apiKeys = [...registry()]
        .sort((a, b) => a.api.key - b.api.key)
        .map((h) => ({
          apiKey: h.api.key,
          minVersion: h.minVersion,
          maxVersion: h.maxVersion,
        }))
      if (
        ctx.apiVersion >= 3 &&
        (!SOFTWARE_PATTERN.test(req.clientSoftwareName) || !SOFTWARE_PATTERN.test(req.clientSoftwareVersion))
      ) {
        return { errorCode: ErrorCode.INVALID_REQUEST, apiKeys, throttleTimeMs: 0 }
      }
      return { errorCode: ErrorCode.NONE, apiKeys, throttleTimeMs: 0 }
    },
  }) as Handler
}
