/**
 * SASL with real, unchanged clients: PLAIN (users in the JAAS configuration), SCRAM-SHA-256 and SCRAM-SHA-512
 * (users in ZooKeeper), each over SASL_PLAINTEXT and SASL_SSL (a CA made by openssl at test time). Wrong
 * passwords are refused; a SCRAM user written into ZooKeeper while the broker runs logs in within seconds, and
 * removing it locks it out. One broker for the whole file; each client runs its whole matrix.
 */
import { readFileSync } from 'node:fs'
import type { SASLOptions } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { printBrokerLogsOnFailure } from './support/broker.js'
import { uniqueName, waitFor } from './support/env.js'
import { kafkajs, withProducer } from './support/kafkajs.js'
import { kcatConsume, kcatProduce } from './support/kcat.js'
import {
  SASL_MECHANISMS,
  setScramUser,
  startSecureBroker,
  userFor,
  type SaslMechanism,
  type SaslProtocol,
  type SecureBroker,
} from './support/security.js'

printBrokerLogsOnFailure()

const PROTOCOLS: readonly SaslProtocol[] = ['SASL_PLAINTEXT', 'SASL_SSL']
const MATRIX = PROTOCOLS.flatMap((protocol) => SASL_MECHANISMS.map((mechanism) => ({ protocol, mechanism })))

let sb: SecureBroker
beforeAll(async () => {
  sb = await startSecureBroker(inject('zkConnect'))
})
afterAll(async () => {
  await sb?.broker.stop()
})

function librdkafkaProps(
  protocol: SaslProtocol,
  mechanism: SaslMechanism,
  user = userFor(mechanism),
): Record<string, string> {
  return {
    'security.protocol': protocol.toLowerCase(),
    'sasl.mechanisms': mechanism,
    'sasl.username': user.username,
    'sasl.password': user.password,
    ...(protocol === 'SASL_SSL' ? { 'ssl.ca.location': sb.pki.caPem } : {}),
  }
}

describe('kcat (librdkafka)', () => {
  it('produces and consumes with every mechanism over SASL_PLAINTEXT and SASL_SSL', async () => {
    for (const { protocol, mechanism } of MATRIX) {
      const topic = uniqueName(`kcat-${mechanism}-${protocol}`.toLowerCase())
      const props = librdkafkaProps(protocol, mechanism)
      const value = `${mechanism} over ${protocol}`
      await kcatProduce(sb.bootstrap(protocol), topic, [{ value }], { props })
      const got = await kcatConsume(sb.bootstrap(protocol), topic, { props, count: 1 })
      expect(
        got.map((m) => m.payload),
        `${mechanism} over ${protocol}`,
      ).toEqual([value])
    }
  })

  it('is refused with a wrong password', async () => {
    for (const mechanism of SASL_MECHANISMS) {
      const props = librdkafkaProps('SASL_PLAINTEXT', mechanism, { ...userFor(mechanism), password: 'wrong' })
      await expect(
        kcatProduce(sb.saslPlaintext, uniqueName('kcat-refused'), [{ value: 'x' }], {
          props: { ...props, 'message.timeout.ms': 3000 },
          timeoutMs: 20_000,
        }),
        mechanism,
      ).rejects.toThrow(/Authentication failed|SASL authentication error/)
    }
  })
})

function kafkajsSasl(mechanism: SaslMechanism, user = userFor(mechanism)): SASLOptions {
  const m = mechanism.toLowerCase() as 'plain' | 'scram-sha-256' | 'scram-sha-512'
  return { mechanism: m, username: user.username, password: user.password } as SASLOptions
}

const kafkajsClient = (protocol: SaslProtocol, sasl: SASLOptions): ReturnType<typeof kafkajs> =>
  kafkajs(sb.bootstrap(protocol), {
    sasl,
    ssl: protocol === 'SASL_SSL' ? { ca: [readFileSync(sb.pki.caPem, 'utf8')] } : false,
    retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 500 },
  })

describe('kafkajs', () => {
  it('produces and consumes with every mechanism over SASL_PLAINTEXT and SASL_SSL', async () => {
    for (const { protocol, mechanism } of MATRIX) {
      const kafka = kafkajsClient(protocol, kafkajsSasl(mechanism))
      const topic = uniqueName(`kjs-${mechanism}-${protocol}`.toLowerCase())
      const value = `${mechanism} over ${protocol}`
      await withProducer(kafka, { allowAutoTopicCreation: true }, (p) =>
        p.send({ topic, acks: -1, messages: [{ value }] }),
      )
      const got = await kcatConsume(sb.bootstrap(protocol), topic, {
        props: librdkafkaProps(protocol, mechanism),
        count: 1,
      })
      expect(
        got.map((m) => m.payload),
        `${mechanism} over ${protocol}`,
      ).toEqual([value])
    }
  })

  it("is refused with a wrong password, with Kafka's message", async () => {
    const kafka = kafkajsClient('SASL_SSL', kafkajsSasl('PLAIN', { username: 'alice', password: 'wrong' }))
    await expect(withProducer(kafka, {}, () => Promise.resolve())).rejects.toThrow(
      'Authentication failed: Invalid username or password',
    )
  })

  it('a SCRAM user written into ZooKeeper while the broker runs logs in within seconds; removed, it is locked out', async () => {
    const user = { username: uniqueName('late'), password: 'late-secret' }
    const connects = async (): Promise<boolean> => {
      try {
        await withProducer(kafkajsClient('SASL_PLAINTEXT', kafkajsSasl('SCRAM-SHA-512', user)), {}, () =>
          Promise.resolve(),
        )
        return true
      } catch {
        return false
      }
    }
    expect(await connects()).toBe(false)
    await setScramUser(sb.zkConnect, user.username, user.password)
    await waitFor('the new user to log in', connects, { timeoutMs: 10_000, intervalMs: 200 })
    await setScramUser(sb.zkConnect, user.username, null)
    await waitFor('the removed user to be locked out', async () => !(await connects()), {
      timeoutMs: 10_000,
      intervalMs: 200,
    })
  })
})
