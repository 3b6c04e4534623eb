import { Channel } from '../../network/channel.js'

/** A channel over a stand-in connection: enough to watch quota mutes. */
export function testChannel(): Channel {
  const connection = {
    id: 'c1',
    remoteAddress: '127.0.0.1',
    remotePort: 1,
    localAddress: '127.0.0.1',
    localPort: 2,
    listenerName: 'PLAINTEXT',
    securityProtocol: 'PLAINTEXT',
  } as unknown as ConstructorParameters<typeof Channel>[0]
  return new Channel(connection)
}
