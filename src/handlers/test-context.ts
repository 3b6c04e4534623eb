/**
 * A handler's RequestContext for unit tests: an anonymous PLAINTEXT channel (default from 127.0.0.1, client id 'c'),
 * an empty frame lease.
 */
import { ANONYMOUS, Channel } from '../network/channel.js'
import { fetchBufferPool } from '../util/buffer-pool.js'
import type { RequestContext } from './handler.js'

export function testRequestContext(
  apiKey: number,
  apiVersion: number,
  opts: { readonly clientId?: string | null; readonly remoteAddress?: string } = {},
): RequestContext {
  const channel = new Channel({
    id: 'c1',
    listenerName: 'PLAINTEXT',
    securityProtocol: 'PLAINTEXT',
    remoteAddress: opts.remoteAddress ?? '127.0.0.1',
    remotePort: 1,
    localAddress: '127.0.0.1',
    localPort: 9092,
  })
  return {
    apiKey,
    apiVersion,
    correlationId: 1,
    clientId: opts.clientId === undefined ? 'c' : opts.clientId,
    requestSize: 0,
    principal: ANONYMOUS,
    connection: channel.info,
    channel,
    frame: fetchBufferPool.lease(Buffer.alloc(0)),
  }
}
