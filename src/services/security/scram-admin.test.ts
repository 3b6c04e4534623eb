import crypto from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBroker, type RunningBroker } from '../../index.js'
import { BrokerClient } from '../../network/broker-client.js'
import { Apis } from '../../protocol/messages/index.js'
import { saltedPassword, scramMechanism } from '../../protocol/sasl/scram.js'

let broker: RunningBroker
let saslPort: number
beforeAll(async () => {
  broker = await startBroker({
    properties: {
      listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
      'sasl.enabled.mechanisms': 'SCRAM-SHA-256,SCRAM-SHA-512',
      'sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    },
    logLevel: 'silent',
  })
  saslPort = broker.broker.boundListeners.find((l) => l.name === 'SASL_PLAINTEXT')!.boundPort
})
afterAll(async () => {
  await broker?.stop()
})

const admin = (): Promise<BrokerClient> =>
  BrokerClient.connect({ host: broker.host, port: broker.port, clientId: 'admin', requestTimeoutMs: 5000 })

function upsertion(name: string, mechanism: 1 | 2, password: string, iterations = 4096) {
  const m = scramMechanism(mechanism === 1 ? 'SCRAM-SHA-256' : 'SCRAM-SHA-512')!
  const salt = crypto.randomBytes(16)
  return { name, mechanism, iterations, salt, saltedPassword: saltedPassword(m, password, salt, iterations) }
}

const login = async (mechanism: string, username: string, password: string): Promise<boolean> => {
  try {
    const c = await BrokerClient.connect({
      host: broker.host,
      port: saslPort,
      clientId: 'u',
      requestTimeoutMs: 5000,
      sasl: { mechanism, username, password },
    })
    c.close()
    return true
  } catch {
    return false
  }
}

describe('DescribeUserScramCredentials / AlterUserScramCredentials (KIP-554)', () => {
  it('adds credentials that log in at once, describes them, and deletes them', async () => {
    const c = await admin()
    const alter = await c.send(Apis.AlterUserScramCredentials, 0, {
      deletions: [],
      upsertions: [upsertion('carol', 1, 'carol-pw'), upsertion('carol', 2, 'carol-pw', 8192)],
    })
    expect(alter.results).toEqual([{ user: 'carol', errorCode: 0, errorMessage: null }])
    await expect.poll(() => login('SCRAM-SHA-256', 'carol', 'carol-pw')).toBe(true)
    expect(await login('SCRAM-SHA-512', 'carol', 'carol-pw')).toBe(true)
    expect(await login('SCRAM-SHA-256', 'carol', 'wrong')).toBe(false)

    const all = await c.send(Apis.DescribeUserScramCredentials, 0, { users: null })
    expect(all.results).toEqual([
      {
        user: 'carol',
        errorCode: 0,
        errorMessage: null,
        credentialInfos: [
          { mechanism: 1, iterations: 4096 },
          { mechanism: 2, iterations: 8192 },
        ],
      },
    ])
    const some = await c.send(Apis.DescribeUserScramCredentials, 0, {
      users: [{ name: 'nobody' }, { name: '' }, { name: 'carol' }, { name: 'carol' }],
    })
    expect(some.results.map((r) => [r.user, r.errorCode, r.errorMessage])).toEqual([
      ['nobody', 91, 'Attempt to describe a user credential that does not exist: nobody'],
      ['', 91, 'Username must not be empty'],
      ['carol', 92, 'Cannot describe SCRAM credentials for the same user twice in a single request: carol'],
    ])

    const del = await c.send(Apis.AlterUserScramCredentials, 0, {
      deletions: [{ name: 'carol', mechanism: 1 }],
      upsertions: [],
    })
    expect(del.results).toEqual([{ user: 'carol', errorCode: 0, errorMessage: null }])
    await expect.poll(() => login('SCRAM-SHA-256', 'carol', 'carol-pw')).toBe(false)
    expect(await login('SCRAM-SHA-512', 'carol', 'carol-pw')).toBe(true)
    c.close()
  })

  it("refuses what Kafka refuses, with Kafka's codes and messages", async () => {
    const c = await admin()
    const r = await c.send(Apis.AlterUserScramCredentials, 0, {
      deletions: [
        { name: 'dave', mechanism: 1 },
        { name: 'erin', mechanism: 9 },
      ],
      upsertions: [
        upsertion('', 1, 'x'),
        upsertion('frank', 1, 'x', 1000),
        upsertion('gina', 2, 'x', 20000),
        upsertion('hank', 1, 'x'),
        upsertion('hank', 1, 'y'),
      ],
    })
    const byUser = Object.fromEntries(r.results.map((x) => [x.user, [x.errorCode, x.errorMessage]]))
    expect(byUser).toEqual({
      '': [93, 'Username must not be empty'],
      dave: [91, 'Attempt to delete a user credential that does not exist'],
      erin: [33, 'Unknown SCRAM mechanism'],
      frank: [93, 'Too few iterations'],
      gina: [93, 'Too many iterations'],
      hank: [92, 'A user credential cannot be altered twice in the same request'],
    })
    c.close()
  })
})
