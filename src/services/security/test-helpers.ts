/**
 * TLS material for tests, made with the `openssl` command at test time: a CA, certificates it signs (server
 * certificates for localhost / 127.0.0.1, client certificates), PEM and PKCS12 files.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { api } from '../../protocol/api.js'
import { message, string } from '../../protocol/codec/schema.js'

/** A test-only API (key 1001) that answers with the principal of the request. */
export const WhoAmI = api({
  key: 1001,
  request: message({
    name: 'WhoAmIRequest',
    kind: 'request',
    validVersions: '0',
    flexibleVersions: 'none',
    fields: [],
  }),
  response: message({
    name: 'WhoAmIResponse',
    kind: 'response',
    validVersions: '0',
    flexibleVersions: 'none',
    fields: [string('principal')],
  }),
  errorResponse: {},
})

export interface Pki {
  readonly dir: string
  /** CA certificate (PEM file). */
  readonly caPem: string
  /** A PKCS12 trust store with the CA certificate (password `trustpass`). */
  readonly caP12: string
  issue(name: string, subject: string, opts?: IssueOptions): Issued
}

export interface IssueOptions {
  /** subjectAltName entries (default DNS:localhost,IP:127.0.0.1). */
  readonly san?: string
  /** Password of the PKCS12 file and of the encrypted PEM key (default `storepass`). */
  readonly password?: string
  /** Sign with another CA than the PKI's own (to make an untrusted certificate). */
  readonly selfSigned?: boolean
}

export interface Issued {
  /** Certificate (PEM file). */
  readonly cert: string
  /** Unencrypted private key (PEM file, PKCS#8). */
  readonly key: string
  /** Private key encrypted with the password (PEM file, PKCS#8). */
  readonly encryptedKey: string
  /** Key and certificate chain in one PEM file (unencrypted key). */
  readonly pemStore: string
  /** Key and certificate chain as PKCS12 (password). */
  readonly p12: string
  readonly password: string
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] })
}

export function makePki(dir = mkdtempSync(join(tmpdir(), 'samsa-pki-'))): Pki {
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '3',
    ].concat(['-subj', '/O=Samsa Test/CN=Samsa Test CA']),
    dir,
  )
  const caPem = join(dir, 'ca.pem')
  const caP12 = join(dir, 'ca-trust.p12')
  openssl(['pkcs12', '-export', '-nokeys', '-in', caPem, '-out', caP12, '-passout', 'pass:trustpass'], dir)
  return {
    dir,
    caPem,
    caP12,
    issue(name, subject, opts = {}) {
      const password = opts.password ?? 'storepass'
      const key = join(dir, `${name}.key`)
      const cert = join(dir, `${name}.pem`)
      openssl(
        [
          'req',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-keyout',
          key,
          '-out',
          `${name}.csr`,
          '-subj',
          subject,
        ],
        dir,
      )
      writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${opts.san ?? 'DNS:localhost,IP:127.0.0.1'}\n`)
      if (opts.selfSigned) {
        openssl(['x509', '-req', '-in', `${name}.csr`, '-signkey', key, '-out', cert, '-days', '3'], dir)
      } else {
        openssl(
          [
            'x509',
            '-req',
            '-in',
            `${name}.csr`,
            '-CA',
            'ca.pem',
            '-CAkey',
            'ca.key',
            '-CAcreateserial',
            '-out',
            cert,
          ].concat(['-days', '3', '-extfile', `${name}.ext`]),
          dir,
        )
      }
      const encryptedKey = join(dir, `${name}-enc.key`)
      openssl(['pkcs8', '-topk8', '-in', key, '-out', encryptedKey, '-passout', `pass:${password}`], dir)
      const pemStore = join(dir, `${name}-store.pem`)
      writeFileSync(
        pemStore,
        readFileSync(key, 'utf8') + readFileSync(cert, 'utf8') + readFileSync(caPem, 'utf8'),
      )
      const p12 = join(dir, `${name}.p12`)
      openssl(
        ['pkcs12', '-export', '-in', cert, '-inkey', key, '-certfile', caPem, '-out', p12].concat([
          '-passout',
          `pass:${password}`,
        ]),
        dir,
      )
      return { cert, key, encryptedKey, pemStore, p12, password }
    },
  }
}

/** An unsecured JWS (RFC 7519 `alg: none`, empty signature), as OAUTHBEARER clients send for Kafka's default validator. */
export function unsecuredJws(
  claims: Record<string, unknown>,
  header: Record<string, unknown> = { alg: 'none' },
): string {
  const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url')
  return `${b64(header)}.${b64(claims)}.`
}
