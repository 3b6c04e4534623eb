/** Whole brokers in the test's process on manual time, with a raw client each; stopped after every test. */
import { afterEach } from 'vitest'
import { startBroker, type RunningBroker } from '../index.js'
import { BrokerClient } from '../network/broker-client.js'
import type { Infer } from '../protocol/codec/schema.js'
import type { ProduceResponse } from '../protocol/messages/00-produce.js'
import type { FetchResponse } from '../protocol/messages/01-fetch.js'
import { Apis } from '../protocol/messages/index.js'
import { buildRecordBatch } from '../protocol/records/batch.js'
import { ManualScheduler } from '../util/scheduler.js'

export interface ManualBroker {
  readonly b: RunningBroker
  readonly s: ManualScheduler
  /** A client connected to the broker's first listener. */
  readonly c: BrokerClient
}

/** Registers the clean-up and returns a function starting a standalone broker with `properties`. */
export function useManualBrokers(): (properties?: Record<string, string | number>) => Promise<ManualBroker> {
  const running: RunningBroker[] = []
  const clients: BrokerClient[] = []
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close()
    for (const b of running.splice(0)) await b.stop()
  })
  return async (properties = {}) => {
    const s = new ManualScheduler()
    const b = await startBroker({ scheduler: s, properties })
    running.push(b)
    const c = await BrokerClient.connect({
      host: b.host,
      port: b.port,
      clientId: 'test',
      requestTimeoutMs: 30_000,
    })
    clients.push(c)
    return { b, s, c }
  }
}

/** A consumer's Fetch request body for partition 0 of a topic (every version's fields; the codec takes its own). */
export function consumerFetchBody(
  topic: string,
  opts: { fetchOffset?: number; maxWaitMs?: number; minBytes?: number; rackId?: string } = {},
) {
  return {
    replicaId: -1,
    maxWaitMs: opts.maxWaitMs ?? 0,
    minBytes: opts.minBytes ?? 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        partitions: [
          {
            partition: 0,
            currentLeaderEpoch: -1,
            fetchOffset: opts.fetchOffset ?? 0,
            lastFetchedEpoch: -1,
            logStartOffset: -1,
            partitionMaxBytes: 1 << 20,
          },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: opts.rackId ?? '',
  }
}

/** Fetch (v12 at most) of partition 0 of a topic from offset 0 by a consumer. */
export function fetchPartition0(
  c: BrokerClient,
  topic: string,
  wait: { maxWaitMs: number; minBytes: number },
): Promise<Infer<typeof FetchResponse>> {
  const api = Apis.Fetch
  return c.send(api, c.version(api.key, 12, 4), consumerFetchBody(topic, wait))
}

type PartitionProduceResponse = Infer<
  typeof ProduceResponse
>['responses'][number]['partitionResponses'][number]

/** Produce (v9) of one record with value 'v' to partition 0 of a topic with acks=1, timestamped `now` if given. */
export async function producePartition0(
  c: BrokerClient,
  topic: string,
  now?: number,
): Promise<PartitionProduceResponse> {
  const api = Apis.Produce
  const records = buildRecordBatch(
    now === undefined ? { records: [{ value: 'v' }] } : { records: [{ value: 'v', timestamp: now }], now },
  )
  const r = await c.send(api, c.version(api.key, 9), {
    transactionalId: null,
    acks: 1,
    timeoutMs: 30_000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  })
  return r.responses[0]!.partitionResponses[0]!
}
