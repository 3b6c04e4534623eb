/**
 * How each listener secures its connections, from the broker's config: TLS material and client authentication
 * for SSL and SASL_SSL listeners, the principal of a client certificate (ssl.principal.mapping.rules), and the
 * SASL authenticator of SASL listeners.
 */
import type { BrokerConfig } from '../../config/broker-config.js'
import type { Endpoint } from '../../config/listeners.js'
import { userPrincipal } from '../../network/channel.js'
import type { ListenerSecurity } from '../../network/socket-server.js'
import { SslPrincipalMapper, subjectDistinguishedName } from './ssl-principal.js'
import { listenerTls, tlsServerOptions, type ListenerTls } from './tls-material.js'

export interface ListenerSecuritySetup {
  readonly security: ListenerSecurity | undefined
  /** The TLS of an SSL / SASL_SSL listener. */
  readonly tls: ListenerTls | undefined
}

export function listenerSecurity(config: BrokerConfig, listener: Endpoint): ListenerSecuritySetup {
  const protocol = listener.securityProtocol
  if (protocol === 'PLAINTEXT') return { security: undefined, tls: undefined }
  const useTls = protocol === 'SSL' || protocol === 'SASL_SSL'
  const t = useTls ? listenerTls(config, listener.name, protocol) : undefined
  let certificatePrincipal: ListenerSecurity['certificatePrincipal']
  if (protocol === 'SSL') {
    const rules = config.listenerValue(listener.name, 'ssl.principal.mapping.rules')
    const mapper = new SslPrincipalMapper(typeof rules === 'string' ? rules : 'DEFAULT')
    certificatePrincipal = (der) => userPrincipal(mapper.getName(subjectDistinguishedName(der)))
  }
  return {
    security: {
      ...(t ? { tls: tlsServerOptions(t) } : {}),
      ...(certificatePrincipal ? { certificatePrincipal } : {}),
    },
    tls: t,
  }
}
