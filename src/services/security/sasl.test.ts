import { connectionQuotaConfig } from '../../network/connection-quotas.js'
import net from 'node:net'
import { EventEmitter } from 'node:events'
import { afterEach, describe, expect, it } from 'vitest'
import { BrokerConfig } from '../../config/broker-config.js'
import { RequestDispatcher } from '../../handlers/dispatcher.js'
import { saslAuthenticateHandler, saslHandshakeHandler } from '../../handlers/17-sasl-handshake.js'
import { apiVersionsHandler } from '../../handlers/18-api-versions.js'
import { defineHandler, type Handler } from '../../handlers/handler.js'
import { BrokerClient, type SaslClientCredentials } from '../../network/broker-client.js'
import { principalToString } from '../../network/channel.js'
import { SocketServer } from '../../network/socket-server.js'
import { decode, encode } from '../../protocol/codec/codec.js'
import { Reader } from '../../protocol/codec/reader.js'
import { ErrorCode } from '../../protocol/errors.js'
import { Writer } from '../../protocol/codec/writer.js'
import { RequestHeader } from '../../protocol/headers.js'
import { Apis } from '../../protocol/messages/index.js'
import { oauthBearerClientToken } from '../../protocol/sasl/oauthbearer.js'
import { plainClientToken } from '../../protocol/sasl/plain.js'
import { credentialFromPassword, formatCredential, SCRAM_MECHANISMS } from '../../protocol/sasl/scram.js'
import { createLogger, silentLogger } from '../../util/logger.js'
import { interBrokerClientSecurity, listenerSecurity } from './listener-security.js'
import { unsecuredJws, WhoAmI } from './test-helpers.js'
import { ScramCredentialStore } from './scram-credentials.js'

const JAAS =
  'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" ' +
  'user_admin="admin-secret" user_alice="alice-secret";'
const SCRAM_JAAS = 'org.apache.kafka.common.security.scram.ScramLoginModule required;'

/** /config/users as the metadata cache presents it. */
class Users extends EventEmitter {
  readonly userConfigs = new Map<string, Map<string, string>>()
  set(user: string, password: string | null, iterations = 4096): void {
    const m = new Map<string, string>()
    if (password !== null)
      for (const mech of SCRAM_MECHANISMS)
        m.set(mech.name, formatCredential(credentialFromPassword(mech, password, iterations)))
    this.userConfigs.set(user, m)
    this.emit('userConfig')
  }
}

let server: SocketServer | undefined
let now = 1_000_000
const sleeps: number[] = []
afterEach(async () => {
  await server?.stop()
  server = undefined
})

async function serve(props: Record<string, string> = {}, users = new Users()): Promise<number> {
  const cfg = new BrokerConfig(
    new Map(
      Object.entries({
        listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
        'security.inter.broker.protocol': 'SASL_PLAINTEXT',
        'sasl.mechanism.inter.broker.protocol': 'PLAIN',
        'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
        'listener.name.sasl_plaintext.plain.sasl.jaas.config': JAAS,
        'sasl.jaas.config': SCRAM_JAAS,
        ...props,
      }),
    ),
  )
  const scramCredentials = new ScramCredentialStore(silentLogger)
  scramCredentials.attach(users)
  const d = new RequestDispatcher([], silentLogger)
  d.register(apiVersionsHandler(() => d.handlers))
  d.register(saslHandshakeHandler())
  d.register(saslAuthenticateHandler())
  // Served once authenticated (their schemas also shape the refusal of an early request).
  d.register(defineHandler(Apis.Metadata, { handle: () => ({ brokers: [], topics: [] }) }) as Handler)
  d.register(
    defineHandler(WhoAmI, {
      handle: (_r, ctx) => ({ principal: principalToString(ctx.principal) }),
    }) as Handler,
  )
  const l = cfg.listeners[0]!
  const security = listenerSecurity(cfg, l, {
    scramCredentials,
    now: () => now,
    sleep: (ms) => {
      sleeps.push(ms)
      return Promise.resolve()
    },
    log: process.env.SASL_DEBUG ? createLogger({ level: 'debug' }) : silentLogger,
  }).security
  server = new SocketServer(
    {
      listeners: [{ ...l, security }],
      limits: { maxRequestSize: 1 << 20, maxInFlight: 100, writeHighWaterMark: 1 << 20 },
      connectionQuotas: connectionQuotaConfig({ maxConnections: 100, maxConnectionsPerIp: 100 }),
      connectionsMaxIdleMs: 600_000,
    },
    d,
    process.env.SASL_DEBUG ? createLogger({ level: 'debug' }) : silentLogger,
  )
  const [bound] = await server.start()
  return bound!.boundPort
}

const connect = (port: number, sasl: SaslClientCredentials): Promise<BrokerClient> =>
  BrokerClient.connect({ host: '127.0.0.1', port, clientId: 't', requestTimeoutMs: 5000, sasl })

async function whoAmI(port: number, sasl: SaslClientCredentials): Promise<string> {
  const c = await connect(port, sasl)
  try {
    return (await c.send(WhoAmI, 0, {})).principal
  } finally {
    c.close()
  }
}

/** A raw connection: frames out, size-prefixed frames (or the close) in. */
class Raw {
  private readonly socket: net.Socket
  private buf = Buffer.alloc(0)
  private waiters: ((f: Buffer | null) => void)[] = []
  private frames: (Buffer | null)[] = []
  private corr = 1
  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1')
    this.socket.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d])
      while (this.buf.length >= 4 && this.buf.length >= 4 + this.buf.readInt32BE(0)) {
        const n = this.buf.readInt32BE(0)
        this.push(this.buf.subarray(4, 4 + n))
        this.buf = this.buf.subarray(4 + n)
      }
    })
    this.socket.on('close', () => this.push(null))
    this.socket.on('error', () => {})
  }
  private push(f: Buffer | null): void {
    const w = this.waiters.shift()
    if (w) w(f)
    else this.frames.push(f)
  }
  next(): Promise<Buffer | null> {
    if (this.frames.length > 0) return Promise.resolve(this.frames.shift()!)
    return new Promise((r) => this.waiters.push(r))
  }
  request(apiKey: number, version: number, schema: Parameters<typeof encode>[0], body: unknown): void {
    const w = new Writer(64)
    const size = w.reserveInt32()
    encode(
      RequestHeader,
      1,
      { requestApiKey: apiKey, requestApiVersion: version, correlationId: this.corr++, clientId: 'raw' },
      w,
    )
    encode(schema, version, body as never, w)
    Writer.patchInt32(size, w.length - 4)
    this.socket.write(Buffer.concat(w.finish()))
  }
  /** A request header alone (a request that does not parse). */
  header(apiKey: number, version: number): void {
    const w = new Writer(64)
    const size = w.reserveInt32()
    encode(
      RequestHeader,
      1,
      { requestApiKey: apiKey, requestApiVersion: version, correlationId: this.corr++, clientId: 'raw' },
      w,
    )
    Writer.patchInt32(size, w.length - 4)
    this.socket.write(Buffer.concat(w.finish()))
  }
  token(t: Buffer): void {
    const size = Buffer.alloc(4)
    size.writeInt32BE(t.length)
    this.socket.write(Buffer.concat([size, t]))
  }
  close(): void {
    this.socket.destroy()
  }
}

const plain = (username: string, password: string): SaslClientCredentials => ({
  mechanism: 'PLAIN',
  username,
  password,
})

describe('SASL/PLAIN with JAAS users', () => {
  it('authenticates user_<name> users; the principal is User:<name>', async () => {
    const port = await serve()
    expect(await whoAmI(port, plain('alice', 'alice-secret'))).toBe('User:alice')
    expect(await whoAmI(port, plain('admin', 'admin-secret'))).toBe('User:admin')
  })

  it("a wrong password gets SASL_AUTHENTICATION_FAILED with Kafka's message after failed.authentication.delay.ms, then the connection closes", async () => {
    const port = await serve({ 'failed.authentication.delay.ms': '250' })
    sleeps.length = 0
    await expect(whoAmI(port, plain('alice', 'wrong'))).rejects.toThrow(
      'SASL_AUTHENTICATION_FAILED: Authentication failed: Invalid username or password',
    )
    expect(sleeps).toEqual([250])
    await expect(whoAmI(port, plain('nobody', 'x'))).rejects.toThrow('Invalid username or password')
  })
})

describe('SASL/SCRAM with credentials from /config/users', () => {
  it.each(['SCRAM-SHA-256', 'SCRAM-SHA-512'])(
    '%s: users added later log in; removed users are locked out',
    async (mechanism) => {
      const users = new Users()
      const port = await serve({}, users)
      const bob = { mechanism, username: 'bob', password: 'bob-secret' }
      await expect(whoAmI(port, bob)).rejects.toThrow(
        `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`,
      )
      users.set('bob', 'bob-secret')
      expect(await whoAmI(port, bob)).toBe('User:bob')
      await expect(whoAmI(port, { ...bob, password: 'nope' })).rejects.toThrow('invalid credentials')
      users.set('bob', null)
      await expect(whoAmI(port, bob)).rejects.toThrow('invalid credentials')
    },
  )

  it('user names with , and = travel as =2C and =3D; the znode name is sanitized', async () => {
    const users = new Users()
    users.set('a%2Cb%3Dc', 'pw')
    const port = await serve({}, users)
    expect(await whoAmI(port, { mechanism: 'SCRAM-SHA-256', username: 'a,b=c', password: 'pw' })).toBe(
      'User:a,b=c',
    )
  })
})

describe('the SASL exchange', () => {
  it('a request other than ApiVersions/SaslHandshake first fails the authentication: not answered, closed after failed.authentication.delay.ms', async () => {
    const port = await serve({ 'failed.authentication.delay.ms': '300' })
    sleeps.length = 0
    const r = new Raw(port)
    r.request(3, 1, Apis.Metadata.request, { topics: [{ name: 't' }] })
    expect(await r.next()).toBeNull()
    expect(sleeps).toEqual([300])
    // After ApiVersions as well; a second ApiVersions closes at once.
    const after = new Raw(port)
    after.request(18, 2, Apis.ApiVersions.request, {})
    expect(await after.next()).not.toBeNull()
    after.request(10, 1, Apis.FindCoordinator.request, { key: 'g' })
    expect(await after.next()).toBeNull()
    expect(sleeps).toEqual([300, 300])
    const twice = new Raw(port)
    twice.request(18, 2, Apis.ApiVersions.request, {})
    await twice.next()
    twice.request(18, 2, Apis.ApiVersions.request, {})
    expect(await twice.next()).toBeNull()
    expect(sleeps).toEqual([300, 300])
  })

  it("a request between the handshake and authentication is answered with ILLEGAL_SASL_STATE in its API's error response after the delay, then the connection closes", async () => {
    const port = await serve({ 'failed.authentication.delay.ms': '300' })
    sleeps.length = 0
    const r = new Raw(port)
    r.request(17, 1, Apis.SaslHandshake.request, { mechanism: 'PLAIN' })
    expect(await r.next()).not.toBeNull()
    r.request(3, 1, Apis.Metadata.request, { topics: [{ name: 't' }] })
    const f = (await r.next())!
    const res = decode(Apis.Metadata.response, 1, new Reader(f.subarray(4)))
    expect(res.topics).toMatchObject([{ name: 't', errorCode: ErrorCode.ILLEGAL_SASL_STATE }])
    expect(sleeps).toEqual([300])
    expect(await r.next()).toBeNull()
  })

  it('a request the broker does not serve during authentication closes the connection at once', async () => {
    const port = await serve({ 'failed.authentication.delay.ms': '300' })
    sleeps.length = 0
    const r = new Raw(port)
    r.request(17, 1, Apis.SaslHandshake.request, { mechanism: 'PLAIN' })
    await r.next()
    r.header(3, 99) // a version nobody serves: it does not parse
    expect(await r.next()).toBeNull()
    expect(sleeps).toEqual([])
  })

  it('answers an unknown mechanism with UNSUPPORTED_SASL_MECHANISM and the enabled ones, then closes', async () => {
    const port = await serve()
    const r = new Raw(port)
    r.request(17, 1, Apis.SaslHandshake.request, { mechanism: 'GSSAPI' })
    const f = (await r.next())!
    expect(f.readInt16BE(4)).toBe(33)
    expect(f.toString('latin1')).toContain('SCRAM-SHA-512')
    expect(await r.next()).toBeNull()
  })

  it('supports the v0 handshake followed by raw SASL tokens', async () => {
    const port = await serve()
    const r = new Raw(port)
    r.request(17, 0, Apis.SaslHandshake.request, { mechanism: 'PLAIN' })
    expect((await r.next())!.readInt16BE(4)).toBe(0)
    r.token(plainClientToken('alice', 'alice-secret'))
    expect((await r.next())!.length).toBe(0) // PLAIN answers an empty token
    r.request(1001, 0, WhoAmI.request, {})
    expect((await r.next())!.subarray(4).toString('latin1')).toContain('User:alice')
    r.close()
    const bad = new Raw(port)
    bad.request(17, 0, Apis.SaslHandshake.request, { mechanism: 'PLAIN' })
    await bad.next()
    bad.token(plainClientToken('alice', 'wrong'))
    expect(await bad.next()).toBeNull()
  })

  it('refuses oversized frames before authentication (sasl.server.max.receive.size)', async () => {
    const port = await serve({ 'sasl.server.max.receive.size': '1000' })
    const r = new Raw(port)
    r.request(17, 1, Apis.SaslHandshake.request, { mechanism: 'x'.repeat(2000) })
    expect(await r.next()).toBeNull()
  })

  it('answers SaslHandshake/SaslAuthenticate on an authenticated connection without a session lifetime with ILLEGAL_SASL_STATE', async () => {
    const port = await serve()
    const c = await connect(port, plain('alice', 'alice-secret'))
    expect((await c.send(Apis.SaslHandshake, 1, { mechanism: 'PLAIN' })).errorCode).toBe(34)
    const a = await c.send(Apis.SaslAuthenticate, 2, { authBytes: Buffer.alloc(0) })
    expect(a).toMatchObject({
      errorCode: 34,
      errorMessage: 'SaslAuthenticate request received after successful authentication',
    })
    c.close()
  })
})

describe('KIP-368 re-authentication (connections.max.reauth.ms)', () => {
  const reauth = (c: BrokerClient, s: SaslClientCredentials): Promise<void> =>
    (c as unknown as { authenticate(s: SaslClientCredentials): Promise<void> }).authenticate(s)

  it('tells the client the session lifetime; re-authentication extends it; an expired session is closed', async () => {
    const port = await serve({ 'listener.name.sasl_plaintext.plain.connections.max.reauth.ms': '10000' })
    const alice = plain('alice', 'alice-secret')
    const c = await connect(port, alice)
    const r = await c.send(Apis.SaslHandshake, 1, { mechanism: 'PLAIN' }) // starts a re-authentication
    expect(r.errorCode).toBe(0)
    const a = await c.send(Apis.SaslAuthenticate, 2, { authBytes: plainClientToken('alice', 'alice-secret') })
    expect(a.sessionLifetimeMs).toBe(10000)
    now += 6000
    await reauth(c, alice)
    now += 6000 // past the first session's end, inside the renewed one
    expect((await c.send(WhoAmI, 0, {})).principal).toBe('User:alice')
    now += 10_001
    await expect(c.send(WhoAmI, 0, {})).rejects.toThrow('closed')
  })

  it('refuses a re-authentication as another user or with another mechanism', async () => {
    const users = new Users()
    users.set('alice', 'alice-secret')
    const port = await serve({ 'connections.max.reauth.ms': '60000' }, users)
    const c = await connect(port, plain('alice', 'alice-secret'))
    now += 2000
    await expect(reauth(c, plain('admin', 'admin-secret'))).rejects.toThrow(
      'Cannot change principals during re-authentication from User.alice: User.admin',
    )
    const d = await connect(port, plain('alice', 'alice-secret'))
    now += 2000
    await expect(
      reauth(d, { mechanism: 'SCRAM-SHA-256', username: 'alice', password: 'alice-secret' }),
    ).rejects.toThrow()
  })
})

describe("SASL/OAUTHBEARER with Kafka's unsecured JWS validator", () => {
  const OAUTH_JAAS =
    'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required ' +
    'unsecuredLoginStringClaim_sub="admin" unsecuredValidatorRequiredScope="kafka";'
  const serveOAuth = (): Promise<number> =>
    serve({
      'sasl.enabled.mechanisms': 'PLAIN,OAUTHBEARER',
      'listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config': OAUTH_JAAS,
    })
  const authenticate = async (r: Raw, bytes: Buffer) => {
    r.request(36, 1, Apis.SaslAuthenticate.request, { authBytes: bytes })
    const f = await r.next()
    return f && decode(Apis.SaslAuthenticate.response, 1, new Reader(f.subarray(4)))
  }

  it('the principal is the token subject; the session ends when the token expires', async () => {
    const port = await serveOAuth()
    const r = new Raw(port)
    r.request(17, 1, Apis.SaslHandshake.request, { mechanism: 'OAUTHBEARER' })
    expect((await r.next())!.readInt16BE(4)).toBe(0)
    const exp = (now + 30_000) / 1000
    const a = await authenticate(
      r,
      oauthBearerClientToken(unsecuredJws({ sub: 'carol', exp, scope: ['kafka'] })),
    )
    expect(a).toMatchObject({ errorCode: 0, sessionLifetimeMs: 30_000 })
    r.request(1001, 0, WhoAmI.request, {})
    expect((await r.next())!.subarray(4).toString('latin1')).toContain('User:carol')
    now += 30_001
    r.request(1001, 0, WhoAmI.request, {})
    expect(await r.next()).toBeNull()
  })

  it('a refused token gets the JSON error challenge, then SASL_AUTHENTICATION_FAILED with it, and the connection closes', async () => {
    const port = await serveOAuth()
    const r = new Raw(port)
    r.request(17, 1, Apis.SaslHandshake.request, { mechanism: 'OAUTHBEARER' })
    await r.next()
    const noScope = unsecuredJws({ sub: 'carol', exp: (now + 30_000) / 1000 })
    const challenge = await authenticate(r, oauthBearerClientToken(noScope))
    expect(challenge).toMatchObject({ errorCode: 0 })
    expect(challenge!.authBytes.toString()).toBe('{"status":"insufficient_scope", "scope":"[kafka]"}')
    expect(await authenticate(r, Buffer.from([1]))).toMatchObject({
      errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED,
      errorMessage: '{"status":"insufficient_scope", "scope":"[kafka]"}',
    })
    expect(await r.next()).toBeNull()
  })

  it('stops the broker at start-up on a JAAS line of another login module, or OAUTHBEARER between brokers', async () => {
    await expect(
      serve({ 'sasl.enabled.mechanisms': 'PLAIN,OAUTHBEARER', 'sasl.jaas.config': JAAS }),
    ).rejects.toThrow('must use org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule')
    const cfg = new BrokerConfig(
      new Map(
        Object.entries({
          listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
          'security.inter.broker.protocol': 'SASL_PLAINTEXT',
          'sasl.mechanism.inter.broker.protocol': 'OAUTHBEARER',
          'sasl.enabled.mechanisms': 'OAUTHBEARER',
          'sasl.jaas.config': OAUTH_JAAS,
        }),
      ),
    )
    expect(() => interBrokerClientSecurity(cfg)).toThrow(
      'sasl.mechanism.inter.broker.protocol=OAUTHBEARER is not supported by Samsa',
    )
  })
})
