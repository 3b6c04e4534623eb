/**
 * Listener parsing as Kafka does it: `listener.security.protocol.map` (NAME:PROTOCOL pairs), `listeners` and
 * `advertised.listeners` (NAME://host:port, NAME://[ipv6]:port, NAME://:port for the default interface), the
 * distinct-name and distinct-port rules, and resolving an advertised endpoint that has no host.
 */
import net from 'node:net'
import { ConfigException } from './config-def.js'
import { SECURITY_PROTOCOLS, type SecurityProtocol } from './definitions.js'

export interface Endpoint {
  /** The listener name, upper-cased (Kafka's ListenerName.normalised). */
  readonly name: string
  readonly securityProtocol: SecurityProtocol
  /** '' when the listener names no host (bind every interface; advertise the canonical host name). */
  readonly host: string
  readonly port: number
}

/** Java's String.split with limit 0: trailing empty strings are dropped. */
function javaSplit(s: string, re: RegExp): string[] {
  if (s === '') return ['']
  const parts = s.split(re)
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop()
  return parts
}

/** Kafka's Csv.parseCsvList: comma-separated, blanks dropped. */
export function parseCsvList(value: string | null | undefined): string[] {
  if (value === null || value === undefined || value === '') return []
  return javaSplit(value, /\s*,\s*/).filter((v) => v !== '')
}

/** Kafka's Csv.parseCsvMap: `k:v,k:v`, split at the last ':' of each entry. */
export function parseCsvMap(propName: string, value: string | null | undefined): Map<string, string> {
  const map = new Map<string, string>()
  if (value === null || value === undefined || value === '') return map
  for (const entry of javaSplit(value, /\s*,\s*/)) {
    const i = entry.lastIndexOf(':')
    if (i < 0) {
      throw new ConfigException(
        `Error parsing configuration property '${propName}': begin 0, end -1, length ${entry.length}`,
        propName,
      )
    }
    map.set(entry.slice(0, i).trim(), entry.slice(i + 1).trim())
  }
  return map
}

/** SecurityProtocol.forName (case-insensitive); undefined for an unknown name. */
export function securityProtocolForName(name: string): SecurityProtocol | undefined {
  const upper = name.toUpperCase()
  return (SECURITY_PROTOCOLS as readonly string[]).includes(upper) ? (upper as SecurityProtocol) : undefined
}

/** Parses listener.security.protocol.map into listener name (upper-cased) → security protocol. */
export function parseListenerSecurityProtocolMap(
  value: string | null,
  configName = 'listener.security.protocol.map',
): Map<string, SecurityProtocol> {
  const out = new Map<string, SecurityProtocol>()
  for (const [name, protocol] of parseCsvMap(configName, value)) {
    const sp = securityProtocolForName(protocol)
    if (sp === undefined)
      throw new ConfigException(`Invalid security protocol \`${protocol}\` defined in ${configName}`)
    out.set(name.toUpperCase(), sp)
  }
  return out
}

const URI_PARSE = /^(.*):\/\/\[?([0-9a-zA-Z\-%._:]*)\]?:(-?[0-9]+)$/

/** Parses one `NAME://host:port` entry. */
function parseEndpoint(entry: string, protocols: ReadonlyMap<string, SecurityProtocol>): Endpoint {
  const m = URI_PARSE.exec(entry)
  if (!m) throw new Error(`Unable to parse ${entry} to a broker endpoint`)
  const name = (m[1] as string).toUpperCase()
  const portString = m[3] as string
  const port = Number(portString)
  if (!Number.isSafeInteger(port) || port > 2147483647 || port < -2147483648)
    throw new Error(`For input string: "${portString}"`)
  // Kafka fails later, when binding (java.net.InetSocketAddress): "port out of range:99999".
  if (port < 0 || port > 65535) throw new Error(`port out of range:${port}`)
  const securityProtocol = protocols.get(name)
  if (securityProtocol === undefined) throw new Error(`No security protocol defined for listener ${name}`)
  return { name, securityProtocol, host: m[2] as string, port }
}

/**
 * Parses a listeners value (`listeners` or `advertised.listeners`) as Kafka's listenerListToEndPoints does.
 * Listener names must be distinct; with `requireDistinctPorts` (listeners, not advertised.listeners) so must the
 * ports, except that one IPv4 and one IPv6 listener may share a port. Port 0 is exempt.
 */
export function parseListeners(
  value: string,
  protocols: ReadonlyMap<string, SecurityProtocol>,
  requireDistinctPorts = true,
  configName = requireDistinctPorts ? 'listeners' : 'advertised.listeners',
): Endpoint[] {
  let endpoints: Endpoint[]
  try {
    endpoints = parseCsvList(value.trim()).map((e) => parseEndpoint(e, protocols))
  } catch (e) {
    throw new ConfigException(
      `Error creating broker listeners from '${value}': ${(e as Error).message}`,
      configName,
    )
  }
  if (new Set(endpoints.map((e) => e.name)).size !== endpoints.length)
    throw new ConfigException(`Each listener must have a different name, listeners: ${value}`, configName)
  if (!requireDistinctPorts) return endpoints

  const byPort = new Map<number, Endpoint[]>()
  for (const ep of endpoints) {
    if (ep.port === 0) continue
    byPort.set(ep.port, [...(byPort.get(ep.port) ?? []), ep])
  }
  for (const [port, eps] of byPort) {
    if (eps.length < 2) continue
    const withIp = eps.filter((ep) => ep.host !== '' && net.isIP(ep.host) !== 0)
    const withoutIp = eps.filter((ep) => !withIp.includes(ep))
    if (new Set(withoutIp.map((ep) => ep.port)).size !== withoutIp.length)
      throw new ConfigException(`Each listener must have a different port, listeners: ${value}`, configName)
    if (withIp.length === 0) continue
    if (withIp.length === 2) {
      const message =
        'If you have two listeners on the same port then one needs to be IPv4 and the other IPv6, ' +
        `listeners: ${value}, port: ${port}`
      const [a, b] = withIp as [Endpoint, Endpoint]
      const oneOfEach =
        (net.isIPv4(a.host) && net.isIPv6(b.host)) || (net.isIPv6(a.host) && net.isIPv4(b.host))
      if (!oneOfEach || withoutIp.length > 0) throw new ConfigException(message, configName)
      continue
    }
    throw new ConfigException(
      'Each listener must have a different port unless exactly one listener has an IPv4 address and the other ' +
        `IPv6 address, listeners: ${value}, port: ${port}`,
      configName,
    )
  }
  return endpoints
}

/**
 * Fills in the host of advertised endpoints that name none ('' or 0.0.0.0): Kafka registers such a listener
 * under the machine's canonical host name, which the caller supplies (e.g. from os.hostname() or DNS).
 */
export function resolveAdvertisedEndpoints(
  endpoints: readonly Endpoint[],
  fallbackHost: () => string,
): Endpoint[] {
  let host: string | undefined
  return endpoints.map((ep) => {
    if (ep.host.trim() !== '' && ep.host !== '0.0.0.0') return ep
    host ??= fallbackHost()
    return { ...ep, host }
  })
}

/** `NAME://host:port`, with IPv6 hosts in brackets (how Kafka prints an endpoint). */
export function endpointToString(ep: Endpoint): string {
  const host = ep.host.includes(':') ? `[${ep.host}]` : ep.host
  return `${ep.name}://${host}:${ep.port}`
}

/** One entry of http.listeners (Samsa's own setting): `http://host:port`. */
export interface HttpListener {
  /** As configured. */
  readonly url: string
  /** '' binds every interface. */
  readonly host: string
  readonly port: number
}

const HTTP_URL = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/\[?([0-9a-zA-Z\-%._:]*)\]?:(-?[0-9]+)\/?$/

/** Parses http.listeners: `http://host:port` entries (`http://:port` or `http://0.0.0.0:port` for every interface). */
export function parseHttpListeners(entries: readonly string[]): HttpListener[] {
  const out: HttpListener[] = []
  for (const entry of entries) {
    const url = entry.trim()
    if (url === '') continue
    const m = HTTP_URL.exec(url)
    const fail = (why: string): ConfigException =>
      ConfigException.invalid('http.listeners', entries.join(','), `${url}: ${why}`)
    if (!m) throw fail('expected http://host:port')
    const scheme = m[1]!.toLowerCase()
    if (scheme === 'https')
      throw fail(
        'https is not supported (serve it through a TLS-terminating proxy, or use http on a private interface)',
      )
    if (scheme !== 'http') throw fail(`unknown scheme ${m[1]}`)
    const port = Number(m[3])
    if (!Number.isSafeInteger(port) || port < 0 || port > 65535) throw fail(`port out of range:${m[3]}`)
    const host = m[2] === '0.0.0.0' ? '' : m[2]!
    if (out.some((o) => o.port === port && o.host === host && port !== 0)) throw fail('listed twice')
    out.push({ url, host, port })
  }
  return out
}

/** Whether two listener hosts can bind the same address ('' is every interface). */
export function sameHost(a: string, b: string): boolean {
  return a === '' || b === '' || a === b
}
