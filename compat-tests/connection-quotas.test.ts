/**
 * Connection quotas (Kafka's ConnectionQuotas) on a real broker process: max.connection.creation.rate holds kafkajs
 * clients connecting at once to the rate (the acceptor delays them, none fails), and an IP quota set with
 * AlterClientQuotas (connection_creation_rate of /config/ips/<default>) closes connections over it unanswered.
 * With quota.window.num=2 and quota.window.size.seconds=1 the measured window is never under 1 s, so the first
 * second's worth goes at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Apis } from '../src/protocol/messages/index.js'
import { printBrokerLogsOnFailure, startBroker, type BrokerProcess } from './support/broker.js'
import { kafkajs } from './support/kafkajs.js'
import { RawConnection } from './support/raw.js'

printBrokerLogsOnFailure()

const RATE = 4
let broker: BrokerProcess

beforeAll(async () => {
  broker = await startBroker({
    overrides: {
      'max.connection.creation.rate': RATE,
      'quota.window.num': 2,
      'quota.window.size.seconds': 1,
    },
  })
}, 60_000)

afterAll(async () => {
  await broker?.stop()
})

describe('connection quotas', () => {
  it('max.connection.creation.rate delays new connections to the rate; every client still connects', async () => {
    const clients = Array.from({ length: 12 }, () => kafkajs(`${broker.host}:${broker.port}`).admin())
    const started = Date.now()
    try {
      await Promise.all(clients.map((a) => a.connect()))
      const elapsed = Date.now() - started
      // 12 connections at 4/s with the first second's worth at once: at least 2 s (8 more at 4/s).
      expect(elapsed).toBeGreaterThanOrEqual(1_800)
      const topics = await clients[11]!.listTopics()
      expect(Array.isArray(topics)).toBe(true)
    } finally {
      await Promise.all(clients.map((a) => a.disconnect()))
    }
  }, 60_000)

  it('an IP over its connection_creation_rate (AlterClientQuotas, entity ip) is closed unanswered', async () => {
    // Let the broker-wide rate's window pass so only the IP quota is in play.
    await new Promise((r) => setTimeout(r, 2_100))
    const admin = await RawConnection.connect(broker.host, broker.port)
    try {
      const altered = await admin.request(Apis.AlterClientQuotas, 1, {
        entries: [
          {
            entity: [{ entityType: 'ip', entityName: null }],
            ops: [{ key: 'connection_creation_rate', value: 1, remove: false }],
          },
          {
            entity: [
              { entityType: 'ip', entityName: '127.0.0.1' },
              { entityType: 'user', entityName: 'alice' },
            ],
            ops: [{ key: 'connection_creation_rate', value: 1, remove: false }],
          },
        ],
        validateOnly: false,
      })
      expect(altered.entries.map((e) => [e.errorCode, e.errorMessage])).toEqual([
        [0, null],
        [
          42,
          'Invalid quota entity combination, IP entity should not be combined with User or ClientId entity.',
        ],
      ])
      const described = await admin.request(Apis.DescribeClientQuotas, 1, {
        components: [{ entityType: 'ip', matchType: 1, match: null }],
        strict: true,
      })
      expect(described.entries).toEqual([
        {
          entity: [{ entityType: 'ip', entityName: null }],
          values: [{ key: 'connection_creation_rate', value: 1 }],
        },
      ])
      // One connection a second: of three at once, one is served and the others closed unanswered.
      const conns = await Promise.all([1, 2, 3].map(() => RawConnection.connect(broker.host, broker.port)))
      const outcomes = await Promise.all(
        conns.map(async (c) => {
          try {
            await c.request(Apis.ApiVersions, 0, {})
            return 'answered'
          } catch {
            return 'closed'
          }
        }),
      )
      conns.forEach((c) => c.close())
      expect(outcomes.filter((o) => o === 'answered')).toHaveLength(1)
      expect(outcomes.filter((o) => o === 'closed')).toHaveLength(2)
    } finally {
      await admin
        .request(Apis.AlterClientQuotas, 1, {
          entries: [
            {
              entity: [{ entityType: 'ip', entityName: null }],
              ops: [{ key: 'connection_creation_rate', value: 0, remove: true }],
            },
          ],
          validateOnly: false,
        })
        .catch(() => undefined)
      admin.close()
    }
  }, 60_000)
})
