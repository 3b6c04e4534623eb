import { describe, expect, it } from 'vitest'
import type { HttpRequest, HttpResponse } from '../http-server.js'
import { type ClusterClient, decodeAssignment } from './cluster-client.js'
import { ANONYMOUS } from '../../network/channel.js'
import { AclOperation, ResourceType } from '../../services/security/acl.js'
import { DISABLED_AUTHORIZER } from '../../services/security/authorizer.js'
import { authorizerAccess, type ConsoleAccess, consoleRoutes, OPEN_ACCESS } from './console-routes.js'

/** A ClusterClient stand-in that records the calls made to it. */
function fakeClient(calls: string[]): ClusterClient {
  const record =
    (name: string, result: unknown = undefined) =>
    (...args: unknown[]) => {
      calls.push(`${name} ${JSON.stringify(args)}`)
      return Promise.resolve(result)
    }
  return {
    brokers: () => ({ servedBy: 1, controller: 1, brokers: [] }),
    topics: (groupVisible: (g: string) => boolean) => {
      // which groups' commits count as messages out
      calls.push(`topics groups:${['g', 'secret'].filter(groupVisible).join(',')}`)
      return Promise.resolve([
        { name: 'a', partitions: 1 },
        { name: 'secret', partitions: 1 },
      ])
    },
    topic: record('topic', { name: 'a' }),
    createTopic: record('createTopic'),
    deleteTopic: record('deleteTopic'),
    addPartitions: record('addPartitions'),
    alterConfigs: record('alterConfigs'),
    produce: record('produce', { partition: 0, offset: 7 }),
    messages: record('messages', { messages: [] }),
    groups: record('groups', []),
    group: record('group', { partitions: [] }),
    resetOffsets: record('resetOffsets', []),
  } as unknown as ClusterClient
}

function request(method: string, path: string, body?: unknown, json = true): HttpRequest {
  const url = new URL(path, 'http://x')
  return {
    method,
    path: url.pathname,
    query: url.searchParams,
    headers: body !== undefined && json ? { 'content-type': 'application/json' } : {},
    body: body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body),
    remoteAddress: '127.0.0.1',
  }
}

async function call(
  access: ConsoleAccess,
  req: HttpRequest,
  calls: string[] = [],
): Promise<{ status: number; body: Record<string, unknown> }> {
  const route = consoleRoutes({ client: fakeClient(calls), access, now: () => 1000 })
  const r = (await route(req)) as HttpResponse
  return { status: r.status, body: JSON.parse(String(r.body)) as Record<string, unknown> }
}

describe('console routes', () => {
  it('serves the page at / and leaves other paths to the next routes', async () => {
    const route = consoleRoutes({ client: fakeClient([]), access: OPEN_ACCESS, now: () => 0 })
    const page = (await route(request('GET', '/')))!
    expect(page.status).toBe(200)
    expect(page.headers?.['content-type']).toMatch(/text\/html/)
    expect(String(page.body)).toContain('<title>Samsa console</title>')
    expect(route(request('GET', '/metrics'))).toBeUndefined()
  })

  it('passes parsed actions to the cluster client', async () => {
    const calls: string[] = []
    expect(
      (await call(OPEN_ACCESS, request('POST', '/api/topics', { name: 't', partitions: '3' }), calls)).status,
    ).toBe(200)
    await call(
      OPEN_ACCESS,
      request('PUT', '/api/topics/t/configs', { configs: { 'retention.ms': 5, 'x.y': '' } }),
      calls,
    )
    await call(
      OPEN_ACCESS,
      request('GET', '/api/topics/t%2Fx/messages?partition=2&offset=5&limit=9999'),
      calls,
    )
    await call(
      OPEN_ACCESS,
      request('POST', '/api/groups/g/offsets', { topic: 't', to: { timestamp: '1970-01-01T00:00:01Z' } }),
      calls,
    )
    const p = await call(
      OPEN_ACCESS,
      request('POST', '/api/topics/t/messages', { value: 'v', headers: { h: 'w' } }),
      calls,
    )
    expect(p.body).toEqual({ partition: 0, offset: 7 })
    expect(calls.slice(0, 4)).toEqual([
      'createTopic ["t",3,-1,{}]',
      'alterConfigs ["t",{"retention.ms":"5","x.y":null}]',
      'messages ["t/x",2,{"offset":5},500]',
      'resetOffsets ["g","t",{"timestamp":1000}]',
    ])
    expect(calls[4]).toMatch(/^produce \["t",null,\{"key":null,"value":\{"type":"Buffer"/)
  })

  it('refuses bad input with 400, non-JSON changes with 415, unknown routes with 404', async () => {
    expect((await call(OPEN_ACCESS, request('POST', '/api/topics', 'name=x', false))).status).toBe(415)
    expect((await call(OPEN_ACCESS, request('POST', '/api/topics', '{not json'))).status).toBe(400)
    expect((await call(OPEN_ACCESS, request('POST', '/api/topics', { name: '' }))).status).toBe(400)
    expect((await call(OPEN_ACCESS, request('POST', '/api/topics/t/partitions', { count: -1 }))).status).toBe(
      400,
    )
    expect(
      (await call(OPEN_ACCESS, request('POST', '/api/groups/g/offsets', { topic: 't', to: 'x' }))).status,
    ).toBe(400)
    expect((await call(OPEN_ACCESS, request('GET', '/api/topics/t/messages?offset=abc'))).status).toBe(400)
    expect((await call(OPEN_ACCESS, request('PATCH', '/api/topics'))).status).toBe(404)
    expect((await call(OPEN_ACCESS, request('GET', '/api/%E0%A4%A'))).status).toBe(400)
  })

  it('with an authorizer on, refuses every change and shows only what the anonymous user may describe', async () => {
    const asked: string[] = []
    const acls: ConsoleAccess = {
      enabled: true,
      allowed: (host, op, r) => {
        asked.push(`${host} ${op} ${r.type}:${r.name}`)
        return r.name !== 'secret'
      },
    }
    const calls: string[] = []
    for (const req of [
      request('POST', '/api/topics', { name: 't' }),
      request('DELETE', '/api/topics/a'),
      request('POST', '/api/topics/a/partitions', { count: 2 }),
      request('PUT', '/api/topics/a/configs', { configs: {} }),
      request('POST', '/api/topics/a/messages', { value: 'v' }),
      request('POST', '/api/groups/g/offsets', { topic: 'a', to: 'latest' }),
    ]) {
      const r = await call(acls, req, calls)
      expect(r.status).toBe(403)
      expect(r.body.error).toMatch(/refuses changes while ACLs are on/)
    }
    expect(calls).toEqual([])
    const topics = await call(acls, request('GET', '/api/topics'), calls)
    expect(topics.body).toEqual([{ name: 'a', partitions: 1 }])
    // messages out/s counts only the commits of groups the anonymous user may describe
    expect(calls).toEqual(['topics groups:g'])
    expect((await call(acls, request('GET', '/api/topics/secret'))).status).toBe(403)
    expect(asked).toContain('127.0.0.1 Describe Topic:secret')
  })

  it("asks the broker's authorizer as User:ANONYMOUS at the client's address", () => {
    const asked: unknown[] = []
    const authorizer = {
      ...DISABLED_AUTHORIZER,
      enabled: true,
      authorize: (...args: unknown[]) => {
        asked.push(args)
        return false
      },
    }
    expect(authorizerAccess(DISABLED_AUTHORIZER)).toBe(OPEN_ACCESS)
    const access = authorizerAccess(authorizer)
    expect(access.enabled).toBe(true)
    expect(access.allowed('10.0.0.9', 'Describe', { type: 'Topic', name: 't' })).toBe(false)
    expect(asked).toEqual([
      [ANONYMOUS, '10.0.0.9', AclOperation.DESCRIBE, { resourceType: ResourceType.TOPIC, name: 't' }],
    ])
  })

  it('decodes consumer protocol assignments, and shows none for other layouts', () => {
    const b = Buffer.alloc(2 + 4 + 2 + 1 + 4 + 8 + 4)
    let pos = b.writeInt16BE(0, 0)
    pos = b.writeInt32BE(1, pos)
    pos = b.writeInt16BE(1, pos)
    pos += b.write('t', pos)
    pos = b.writeInt32BE(2, pos)
    pos = b.writeInt32BE(0, pos)
    pos = b.writeInt32BE(3, pos)
    b.writeInt32BE(-1, pos)
    expect(decodeAssignment(b)).toEqual([{ topic: 't', partitions: [0, 3] }])
    expect(decodeAssignment(Buffer.from([0, 0, 0, 0, 0, 9, 1]))).toEqual([])
    expect(decodeAssignment(null)).toEqual([])
  })
})
