/**
 * kafkajs as users run it, plus every compression codec: gzip is built in, snappy and lz4 come from
 * kafkajs-snappy / kafkajs-lz4, zstd from our WASM codec (zstd-codec.ts).
 */
import {
  type Admin,
  CompressionCodecs,
  CompressionTypes,
  type Consumer,
  type ConsumerConfig,
  type EachMessagePayload,
  Kafka,
  type KafkaConfig,
  logLevel,
  type Producer,
  type ProducerConfig,
} from 'kafkajs'
import LZ4Codec from 'kafkajs-lz4'
import SnappyCodec from 'kafkajs-snappy'
import { sleep } from './env.js'
import { ZstdCodec } from './zstd-codec.js'

let registered = false

/** Installs the snappy, lz4 and zstd codecs into kafkajs (once). */
export function registerKafkajsCodecs(): void {
  if (registered) return
  registered = true
  CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec
  CompressionCodecs[CompressionTypes.LZ4] = new LZ4Codec().codec
  CompressionCodecs[CompressionTypes.ZSTD] = ZstdCodec
}

/** A kafkajs client for a bootstrap "host:port" (quiet logs, short retries so failures surface quickly). */
export function kafkajs(bootstrap: string | string[], config: Partial<KafkaConfig> = {}): Kafka {
  registerKafkajsCodecs()
  return new Kafka({
    clientId: 'samsa-compat',
    brokers: Array.isArray(bootstrap) ? bootstrap : [bootstrap],
    logLevel: process.env.KAFKAJS_LOG_LEVEL ? Number(process.env.KAFKAJS_LOG_LEVEL) : logLevel.ERROR,
    connectionTimeout: 5_000,
    requestTimeout: 30_000,
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2_000 },
    ...config,
  })
}

/** Runs `fn` with a connected admin client and disconnects. */
export async function withAdmin<T>(kafka: Kafka, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    return await fn(admin)
  } finally {
    await admin.disconnect()
  }
}

/** Runs `fn` with a connected producer and disconnects. */
export async function withProducer<T>(
  kafka: Kafka,
  config: ProducerConfig,
  fn: (producer: Producer) => Promise<T>,
): Promise<T> {
  const producer = kafka.producer(config)
  await producer.connect()
  try {
    return await fn(producer)
  } finally {
    await producer.disconnect()
  }
}

export interface ConsumedMessage {
  topic: string
  partition: number
  offset: string
  key: string | null
  value: string | null
  timestamp: string
  headers: Record<string, string>
}

function toConsumed({ topic, partition, message }: EachMessagePayload): ConsumedMessage {
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(message.headers ?? {})) {
    if (v === undefined) continue
    headers[k] = Array.isArray(v) ? v.map((x) => x.toString()).join(',') : v.toString()
  }
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key ? message.key.toString() : null,
    value: message.value ? message.value.toString() : null,
    timestamp: message.timestamp,
    headers,
  }
}

/**
 * Consumes with a consumer group (the only way kafkajs consumes) until `count` messages arrived or `timeoutMs`
 * passed; returns what arrived (in arrival order). `seek` positions partitions once the group has started.
 */
export async function consumeWithGroup(
  kafka: Kafka,
  opts: {
    topic: string
    count: number
    groupId: string
    fromBeginning?: boolean
    timeoutMs?: number
    seek?: Array<{ partition: number; offset: string }>
    consumerConfig?: Partial<ConsumerConfig>
  },
): Promise<ConsumedMessage[]> {
  const consumer: Consumer = kafka.consumer({
    groupId: opts.groupId,
    sessionTimeout: 10_000,
    rebalanceTimeout: 10_000,
    heartbeatInterval: 1_000,
    maxWaitTimeInMs: 200,
    retry: { retries: 3 },
    ...opts.consumerConfig,
  })
  const got: ConsumedMessage[] = []
  let crashed: unknown
  consumer.on(consumer.events.CRASH, (e) => {
    crashed = e.payload.error
  })
  await consumer.connect()
  try {
    await consumer.subscribe({ topics: [opts.topic], fromBeginning: opts.fromBeginning ?? true })
    let resolveDone!: () => void
    const done = new Promise<void>((r) => (resolveDone = r))
    await consumer.run({
      eachMessage: async (payload) => {
        got.push(toConsumed(payload))
        if (got.length >= opts.count) resolveDone()
      },
    })
    if (opts.seek) for (const s of opts.seek) consumer.seek({ topic: opts.topic, ...s })
    const timeoutMs = opts.timeoutMs ?? 30_000
    const deadline = Date.now() + timeoutMs
    while (got.length < opts.count && Date.now() < deadline && !crashed) {
      await Promise.race([done, sleep(100)])
    }
    if (crashed) {
      throw new Error(
        `kafkajs consumer crashed after ${got.length}/${opts.count} messages: ${String((crashed as Error).stack ?? crashed)}`,
      )
    }
    if (got.length < opts.count) {
      throw new Error(
        `kafkajs consumer got ${got.length}/${opts.count} messages of ${opts.topic} within ${timeoutMs} ms: ${JSON.stringify(got.slice(0, 5))}`,
      )
    }
    return got
  } finally {
    await consumer.disconnect()
  }
}

/** Creates a topic with kafkajs' admin client (waits for leaders); fails if it already exists. */
export async function createTopic(
  bootstrap: string,
  topic: string,
  opts: { partitions?: number; configs?: Record<string, string> } = {},
): Promise<void> {
  await withAdmin(kafkajs(bootstrap), async (admin) => {
    const created = await admin.createTopics({
      waitForLeaders: true,
      timeout: 20_000,
      topics: [
        {
          topic,
          numPartitions: opts.partitions ?? 1,
          replicationFactor: 1,
          configEntries: Object.entries(opts.configs ?? {}).map(([name, value]) => ({ name, value })),
        },
      ],
    })
    if (!created) throw new Error(`createTopics(${topic}) returned false: the topic already existed`)
  })
}
