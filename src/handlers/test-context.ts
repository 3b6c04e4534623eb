/** A handler's RequestContext for unit tests: an anonymous PLAINTEXT channel from 127.0.0.1, an empty frame lease. */
import { ANONYMOUS, Channel } from '../network/channel.js'
import { fetchBufferPool } from '../util/buffer-pool.js'
import type { RequestContext } from './handler.js'

export function testRequestContext(apiKey: number, apiVersion: number): RequestContext {
  const channel = new Channel({
    id: 'c1',
    listenerName: 'PLAINTEXT',
    securityProtocol: 'PLAINTEXT',
    remoteAddress: '127.0.0.1',
    remotePort: 1,
    localAddress: '127.0.0.1',
    localPort: 9092,
  })
  return {
    apiKey,
    apiVersion,
    correlationId: 1,
    clientId: 'c',
    requestSize: 0,
    principal: ANONYMOUS,
    connection: channel.info,
    channel,
    frame: fetchBufferPool.lease(Buffer.alloc(0)),
  }
}
