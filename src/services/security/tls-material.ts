/**
 * TLS for a listener from Kafka's ssl.* configs (Kafka's DefaultSslEngineFactory), as Node TLS options:
 *
 * - key store: `ssl.keystore.type` PKCS12 (`ssl.keystore.location` + `ssl.keystore.password`) or PEM (KIP-651: a
 *   file at `ssl.keystore.location` holding the private key and certificate chain, or the inline
 *   `ssl.keystore.key` + `ssl.keystore.certificate.chain`; `ssl.key.password` decrypts an encrypted key). Type JKS
 *   opens PKCS12 files as Java's does; real JKS files are refused with a message saying how to convert them.
 * - trust store: `ssl.truststore.type` PEM (`ssl.truststore.location` or inline `ssl.truststore.certificates`) or
 *   PKCS12; without one, the system's default CAs (as Java falls back to its cacerts), with the certificates of
 *   NODE_EXTRA_CA_CERTS when bin/kafka-server-start.sh deferred that file (deferExtraCaCerts).
 * - `ssl.client.auth` none / requested / required (for SASL_SSL only when set with the listener prefix, KIP-684),
 *   `ssl.enabled.protocols`, `ssl.cipher.suites` (standard names).
 *
 * Every value is read for one listener (`listener.name.<l>.ssl.…` over the broker-wide value). Problems are
 * ConfigExceptions with Kafka's messages, raised when the broker starts.
 */
import { readFileSync } from 'node:fs'
import tls from 'node:tls'
import crypto from 'node:crypto'
import { createRequire } from 'node:module'
import type Forge from 'node-forge'
import type { BrokerConfig } from '../../config/broker-config.js'
import { ConfigException, Password, type ConfigValue } from '../../config/config-def.js'
import { subjectDistinguishedName } from './ssl-principal.js'
import { openSslCipherName } from './tls-ciphers.js'

export type ClientAuth = 'none' | 'requested' | 'required'

/** The TLS material and policy of one listener. */
export interface ListenerTls {
  readonly secureContext: tls.SecureContextOptions
  readonly clientAuth: ClientAuth
  /** The keystore's certificate (DER), for checks on reload. */
  readonly certificate: Buffer | undefined
}

const password = (v: ConfigValue): string | null => (v instanceof Password ? v.value : null)
const str = (v: ConfigValue): string | null => (typeof v === 'string' ? v : null)

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

/**
 * NODE_EXTRA_CA_CERTS, deferred: Node reads and parses every certificate of that file when it starts, before any
 * code runs (about 80 ms of a start-up for a system bundle of 144 certificates), while the broker needs them only
 * where a TLS context has no trust store of its own. bin/kafka-server-start.sh hands the file over as
 * SAMSA_EXTRA_CA_CERTS, and the broker's command line passes it here; such a context then trusts Node's root
 * certificates plus the file's, as it would have with the variable. A file that does not load is ignored with a
 * warning, as Node ignores it.
 */
let deferredCa: { file: string; warn: (message: string) => void; certs?: string[] } | undefined

export function deferExtraCaCerts(file: string, warn: (message: string) => void): void {
  deferredCa = { file, warn }
}

/** The default trust (undefined: Node's own), with the deferred NODE_EXTRA_CA_CERTS if there is one. */
function defaultTrust(): string[] | undefined {
  if (!deferredCa) return undefined
  if (!deferredCa.certs) {
    let extra: string[]
    try {
      extra = readFileSync(deferredCa.file, 'utf8').match(PEM_CERT) ?? []
      for (const c of extra) new crypto.X509Certificate(c)
    } catch (e) {
      extra = []
      deferredCa.warn(
        `Ignoring extra certs from \`${deferredCa.file}\`, load failed: ${(e as Error).message}`,
      )
    }
    deferredCa.certs = [...tls.rootCertificates, ...extra]
  }
  return deferredCa.certs
}
const PEM_KEY =
  /-----BEGIN (?:ENCRYPTED |RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:ENCRYPTED |RSA |EC )?PRIVATE KEY-----/

function readStoreFile(location: string, what: string): Buffer {
  try {
    return readFileSync(location)
  } catch (e) {
    throw new ConfigException(`Failed to load SSL ${what} ${location}: ${(e as Error).message}`)
  }
}

/** Java's keystore types: JKS opens PKCS12 files too (keystore.type.compat). */
function fileFormat(data: Buffer): 'JKS' | 'JCEKS' | 'PKCS12' {
  const magic = data.length >= 4 ? data.readUInt32BE(0) : 0
  if (magic === 0xfeedfeed) return 'JKS'
  if (magic === 0xcececece) return 'JCEKS'
  return 'PKCS12'
}

function storeType(config: View, name: string): string {
  return (str(config(name)) ?? 'JKS').toUpperCase()
}

type View = (name: string) => ConfigValue

function refuseJks(location: string, kind: 'key store' | 'trust store', format: string): never {
  throw new ConfigException(
    `SSL ${kind} ${location} is a ${format} file, which Samsa cannot read: convert it to PKCS12 ` +
      `(keytool -importkeystore -srckeystore ${location} -destkeystore <file>.p12 -deststoretype PKCS12) ` +
      'or use PEM (ssl.keystore.type=PEM / ssl.truststore.type=PEM)',
  )
}

/** The key store part of the options, or undefined when no key store is configured. */
function keyStore(
  config: View,
): { options: tls.SecureContextOptions; certificate: Buffer | undefined } | undefined {
  const type = storeType(config, 'ssl.keystore.type')
  const location = str(config('ssl.keystore.location'))
  const storePassword = password(config('ssl.keystore.password'))
  const keyPassword = password(config('ssl.key.password'))
  const inlineKey = password(config('ssl.keystore.key'))
  const inlineChain = password(config('ssl.keystore.certificate.chain'))

  if (inlineKey !== null) {
    if (type !== 'PEM')
      throw new ConfigException(
        `SSL private key can be specified only for PEM, but key store type is ${type}.`,
      )
    if (location !== null)
      throw new ConfigException('Both SSL key store location and separate private key are specified.')
    if (inlineChain === null)
      throw new ConfigException('SSL private key is specified, but certificate chain is not specified.')
    return pemKeyStore(inlineKey, inlineChain, keyPassword, 'ssl.keystore.key')
  }
  if (inlineChain !== null)
    throw new ConfigException('SSL certificate chain is specified, but private key is not specified')
  if (location === null) {
    if (storePassword !== null)
      throw new ConfigException('SSL key store is not specified, but key store password is specified.')
    return undefined
  }
  const data = readStoreFile(location, 'key store')
  if (type === 'PEM') {
    if (storePassword !== null)
      throw new ConfigException(
        'SSL key store password cannot be specified with PEM format, only key password may be specified',
      )
    const text = data.toString('utf8')
    return pemKeyStore(text, text, keyPassword, location)
  }
  if (type !== 'JKS' && type !== 'PKCS12')
    throw new ConfigException(
      `Failed to load SSL keystore ${location} of type ${type}: unknown key store type`,
    )
  const format = fileFormat(data)
  if (format !== 'PKCS12') refuseJks(location, 'key store', format)
  if (storePassword === null)
    throw new ConfigException('SSL key store is specified, but key store password is not specified.')
  const options: tls.SecureContextOptions = { pfx: [{ buf: data, passphrase: storePassword }] }
  checkContext(options, `Failed to load SSL keystore ${location} of type ${type}`)
  return { options, certificate: pkcs12Certificate(data, storePassword) }
}

function pemKeyStore(
  keyText: string,
  chainText: string,
  keyPassword: string | null,
  source: string,
): { options: tls.SecureContextOptions; certificate: Buffer | undefined } {
  const key = PEM_KEY.exec(keyText)?.[0]
  if (!key)
    throw new ConfigException(`Failed to load SSL keystore ${source} of type PEM: no private key found`)
  const chain = chainText.match(PEM_CERT) ?? []
  if (chain.length === 0)
    throw new ConfigException(`Failed to load SSL keystore ${source} of type PEM: no certificate chain found`)
  const options: tls.SecureContextOptions = {
    key: [{ pem: key, passphrase: keyPassword ?? undefined }],
    cert: chain.join('\n'),
  }
  checkContext(options, `Failed to load SSL keystore ${source} of type PEM`)
  return { options, certificate: new crypto.X509Certificate(chain[0]!).raw }
}

/** The first certificate of a PKCS12 store that has a private key next to it (best effort). */
function pkcs12Certificate(data: Buffer, pass: string): Buffer | undefined {
  try {
    const certs = pkcs12Certificates(data, pass)
    return certs[0] ? new crypto.X509Certificate(certs[0]).raw : undefined
  } catch {
    return undefined
  }
}

let forgeModule: typeof Forge | undefined
/** node-forge, loaded on first use: only PKCS12 keystores and truststores need it, and it is slow to load. */
function loadForge(): typeof Forge {
  return (forgeModule ??= createRequire(import.meta.url)('node-forge') as typeof Forge)
}

/** The certificates of a PKCS12 file, as PEM (node-forge reads OpenSSL 3's and Java's PKCS12). */
function pkcs12Certificates(data: Buffer, pass: string | null): string[] {
  const forge = loadForge()
  const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(data.toString('binary')), pass ?? '')
  const bags = p12.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag] ?? []
  const out: string[] = []
  for (const bag of bags) {
    // A certificate forge cannot decode (an EC key, say) still comes with its ASN.1.
    const asn1 = bag.cert ? forge.pki.certificateToAsn1(bag.cert) : bag.asn1
    if (!asn1) continue
    const der = Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary')
    out.push(
      `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----`,
    )
  }
  return out
}

/** The trusted certificates (PEM), or undefined for the system's default CAs. */
function trustStore(config: View): string[] | undefined {
  const type = storeType(config, 'ssl.truststore.type')
  const location = str(config('ssl.truststore.location'))
  const storePassword = password(config('ssl.truststore.password'))
  const inline = password(config('ssl.truststore.certificates'))
  if (inline !== null) {
    if (type !== 'PEM')
      throw new ConfigException(
        `SSL trust store certs can be specified only for PEM, but trust store type is ${type}.`,
      )
    if (location !== null)
      throw new ConfigException(
        'Both SSL trust store location and separate trust certificates are specified.',
      )
    if (storePassword !== null)
      throw new ConfigException('SSL trust store password cannot be specified for PEM format.')
    return pemCertificates(inline, 'ssl.truststore.certificates')
  }
  if (location === null) {
    if (storePassword !== null)
      throw new ConfigException('SSL trust store is not specified, but trust store password is specified.')
    return defaultTrust()
  }
  const data = readStoreFile(location, 'trust store')
  if (type === 'PEM') {
    if (storePassword !== null)
      throw new ConfigException('SSL trust store password cannot be specified for PEM format.')
    return pemCertificates(data.toString('utf8'), location)
  }
  if (type !== 'JKS' && type !== 'PKCS12')
    throw new ConfigException(
      `Failed to load SSL truststore ${location} of type ${type}: unknown trust store type`,
    )
  const format = fileFormat(data)
  if (format !== 'PKCS12') refuseJks(location, 'trust store', format)
  let certs: string[]
  try {
    certs = pkcs12Certificates(data, storePassword)
  } catch (e) {
    throw new ConfigException(
      `Failed to load SSL truststore ${location} of type ${type}: ${(e as Error).message}`,
    )
  }
  if (certs.length === 0)
    throw new ConfigException(
      `Failed to load SSL truststore ${location} of type ${type}: no certificates found`,
    )
  return certs
}

function pemCertificates(text: string, source: string): string[] {
  const certs = text.match(PEM_CERT) ?? []
  if (certs.length === 0)
    throw new ConfigException(`Failed to load SSL truststore ${source} of type PEM: no certificates found`)
  for (const c of certs) {
    try {
      new crypto.X509Certificate(c)
    } catch (e) {
      throw new ConfigException(
        `Failed to load SSL truststore ${source} of type PEM: ${(e as Error).message}`,
      )
    }
  }
  return certs
}

function checkContext(options: tls.SecureContextOptions, what: string): void {
  try {
    tls.createSecureContext(options)
  } catch (e) {
    throw new ConfigException(`${what}: ${(e as Error).message}`)
  }
}

const PROTOCOLS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const
type TlsVersion = (typeof PROTOCOLS)[number]
const NO_PROTOCOL_OPTION: Record<TlsVersion, number> = {
  TLSv1: crypto.constants.SSL_OP_NO_TLSv1,
  'TLSv1.1': crypto.constants.SSL_OP_NO_TLSv1_1,
  'TLSv1.2': crypto.constants.SSL_OP_NO_TLSv1_2,
  'TLSv1.3': crypto.constants.SSL_OP_NO_TLSv1_3,
}

/** ssl.enabled.protocols as Node's version range (plus options switching off versions inside the range). */
function protocolOptions(enabled: readonly string[]): tls.SecureContextOptions {
  if (enabled.length === 0) throw new ConfigException('ssl.enabled.protocols must not be empty')
  const unknown = enabled.filter((p) => !(PROTOCOLS as readonly string[]).includes(p))
  if (unknown.length > 0)
    throw new ConfigException(
      `Unsupported SSL protocols in ssl.enabled.protocols: ${unknown.join(', ')} (supported: ${PROTOCOLS.join(', ')})`,
    )
  const indices = enabled.map((p) => PROTOCOLS.indexOf(p as TlsVersion))
  const min = Math.min(...indices)
  const max = Math.max(...indices)
  let secureOptions = 0
  for (let i = min; i <= max; i++)
    if (!indices.includes(i)) secureOptions |= NO_PROTOCOL_OPTION[PROTOCOLS[i]!]
  return {
    minVersion: PROTOCOLS[min] as tls.SecureVersion,
    maxVersion: PROTOCOLS[max] as tls.SecureVersion,
    ...(secureOptions !== 0 ? { secureOptions } : {}),
  }
}

function cipherOptions(suites: readonly string[]): tls.SecureContextOptions {
  if (suites.length === 0) return {}
  const names = suites.map((s) => {
    const n = openSslCipherName(s)
    if (n === undefined) throw new ConfigException(`Unsupported cipher suite in ssl.cipher.suites: ${s}`)
    return n
  })
  // Node takes the TLS 1.3 suites (TLS_…) in the same list.
  return { ciphers: names.join(':') }
}

/** The value reader for one listener's ssl.* configs. */
export function listenerView(config: BrokerConfig, listenerName: string): View {
  return (name) => config.listenerValue(listenerName, name)
}

/** ssl.client.auth of a listener (KIP-684: on SASL_SSL only a listener-prefixed value counts). */
export function listenerClientAuth(
  config: BrokerConfig,
  listenerName: string,
  securityProtocol: string,
): ClientAuth {
  if (securityProtocol === 'SASL_SSL' && config.listenerRaw(listenerName, 'ssl.client.auth') === undefined)
    return 'none'
  return (str(config.listenerValue(listenerName, 'ssl.client.auth')) ?? 'none').toLowerCase() as ClientAuth
}

/** The server side TLS of a listener (SSL or SASL_SSL). */
export function listenerTls(
  config: BrokerConfig,
  listenerName: string,
  securityProtocol: string,
): ListenerTls {
  const view = listenerView(config, listenerName)
  const ks = keyStore(view)
  if (!ks)
    throw new ConfigException(
      `Listener ${listenerName} (${securityProtocol}) has no key store: set ssl.keystore.location ` +
        `(or listener.name.${listenerName.toLowerCase()}.ssl.keystore.location), or ssl.keystore.key and ` +
        'ssl.keystore.certificate.chain with ssl.keystore.type=PEM',
    )
  const ca = trustStore(view)
  const secureContext: tls.SecureContextOptions = {
    ...ks.options,
    ...(ca ? { ca } : {}),
    ...protocolOptions((view('ssl.enabled.protocols') as readonly string[] | null) ?? []),
    ...cipherOptions((view('ssl.cipher.suites') as readonly string[] | null) ?? []),
  }
  checkContext(secureContext, `Invalid SSL configuration of listener ${listenerName}`)
  return {
    secureContext,
    clientAuth: listenerClientAuth(config, listenerName, securityProtocol),
    certificate: ks.certificate,
  }
}

/** Node TLS server options of a listener. */
export function tlsServerOptions(t: ListenerTls): tls.TlsOptions {
  return {
    ...t.secureContext,
    requestCert: t.clientAuth !== 'none',
    // 'requested': a missing certificate is fine; one that was sent is checked by the socket server.
    rejectUnauthorized: t.clientAuth === 'required',
  }
}

/**
 * The client side TLS this broker uses towards other brokers' listener `listenerName` (its own key store as the
 * client certificate, its trust store for theirs, host name verification per
 * ssl.endpoint.identification.algorithm).
 */
export function tlsClientOptions(config: BrokerConfig, listenerName: string): tls.ConnectionOptions {
  const view = listenerView(config, listenerName)
  const ks = keyStore(view)
  const ca = trustStore(view)
  const verifyHost = (str(view('ssl.endpoint.identification.algorithm')) ?? '').toLowerCase() === 'https'
  return {
    ...(ks ? ks.options : {}),
    ...(ca ? { ca } : {}),
    ...protocolOptions((view('ssl.enabled.protocols') as readonly string[] | null) ?? []),
    ...cipherOptions((view('ssl.cipher.suites') as readonly string[] | null) ?? []),
    rejectUnauthorized: true,
    ...(verifyHost ? {} : { checkServerIdentity: () => undefined }),
  }
}

/** Whether a listener's TLS material (key store, trust store, protocols, ciphers) differs from what it serves. */
export function tlsMaterialChanged(current: ListenerTls, next: ListenerTls): boolean {
  const a = current.secureContext as Record<string, unknown>
  const b = next.secureContext as Record<string, unknown>
  const same = (x: unknown, y: unknown): boolean => {
    if (Buffer.isBuffer(x) && Buffer.isBuffer(y)) return x.equals(y)
    if (Array.isArray(x) && Array.isArray(y)) return x.length === y.length && x.every((v, i) => same(v, y[i]))
    return x === y
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)])
  return [...keys].some((k) => !same(a[k], b[k]))
}

/**
 * Kafka's check of a reloaded key store (SslFactory's CertificateEntries.ensureCompatible): the new certificate
 * must have the same subject and at least the subject alternative names of the one it replaces, so clients that
 * verify the broker keep connecting. Throws a ConfigException otherwise.
 */
export function checkKeystoreCompatible(current: ListenerTls, next: ListenerTls): void {
  if (!current.certificate || !next.certificate) return
  const fail = (m: string): never => {
    throw new ConfigException(`Validation of dynamic config update of SSLFactory failed: ${m}`)
  }
  const oldDn = subjectDistinguishedName(current.certificate)
  const newDn = subjectDistinguishedName(next.certificate)
  if (oldDn !== newDn)
    fail(`Keystore DistinguishedName does not match:  existing={DN=${oldDn}}, new={DN=${newDn}}`)
  const sans = (der: Buffer): string[] =>
    (new crypto.X509Certificate(der).subjectAltName ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
  const oldSans = sans(current.certificate)
  const newSans = sans(next.certificate)
  if (!oldSans.every((s) => newSans.includes(s)))
    fail(
      `Keystore SubjectAltNames do not match:  existing={SAN=[${oldSans.join(', ')}]}, new={SAN=[${newSans.join(', ')}]}`,
    )
}
