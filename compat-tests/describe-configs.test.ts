/**
 * A topic's configs as `kafka-configs --describe --all` shows them, read by kafkajs and by confluent-kafka
 * (librdkafka) from one standalone broker: every entry in Kafka's order, each with its source, and the broker
 * synonyms Kafka lists for retention.ms, segment.ms, segment.jitter.ms and flush.ms (from the primary broker
 * property on: the topic override, then the static broker properties, then the defaults).
 */
import { ConfigResourceTypes } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigSource } from '../src/config/config-def.js'
import { KAFKA_TOPIC_CONFIG_ORDER } from '../src/config/test-helpers.js'
import { type BrokerProcess, printBrokerLogsOnFailure, startBroker } from './support/broker.js'
import { uniqueName } from './support/env.js'
import { kafkajs, withAdmin } from './support/kafkajs.js'
import { runPython } from './support/python.js'

printBrokerLogsOnFailure()

let broker: BrokerProcess
const topic = uniqueName('configs')

const S = ConfigSource.STATIC_BROKER_CONFIG
const D = ConfigSource.DEFAULT_CONFIG
/** name -> [value, source, synonyms as [name, value, source]] */
const EXPECTED: Record<string, [string, number, Array<[string, string, number]>]> = {
  'retention.ms': [
    '7200000',
    ConfigSource.TOPIC_CONFIG,
    [
      ['retention.ms', '7200000', ConfigSource.TOPIC_CONFIG],
      ['log.retention.ms', '86400000', S],
      ['log.retention.hours', '168', S], // config/standalone.properties
      ['log.retention.hours', '168', D],
    ],
  ],
  'segment.ms': [
    '3600000',
    S,
    [
      ['log.roll.ms', '3600000', S],
      ['log.roll.hours', '168', D],
    ],
  ],
  'segment.jitter.ms': [
    '60000',
    S,
    [
      ['log.roll.jitter.ms', '60000', S],
      ['log.roll.jitter.hours', '0', D],
    ],
  ],
  'flush.ms': [
    '120000',
    S,
    [
      ['log.flush.interval.ms', '120000', S],
      ['log.flush.scheduler.interval.ms', '9223372036854775807', D],
    ],
  ],
}

beforeAll(async () => {
  broker = await startBroker({
    overrides: {
      'log.retention.ms': 86_400_000,
      'log.roll.ms': 3_600_000,
      'log.roll.jitter.ms': 60_000,
      'log.flush.interval.ms': 120_000,
    },
  })
  await withAdmin(kafkajs(broker.bootstrap), (a) =>
    a.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '7200000' }] }],
    }),
  )
})
afterAll(async () => {
  await broker?.stop()
})

describe('DescribeConfigs of a topic with synonyms (kafka-configs --describe --all)', () => {
  it('kafkajs: entries in Kafka order, sources, and the broker synonyms', async () => {
    const res = await withAdmin(kafkajs(broker.bootstrap), (a) =>
      a.describeConfigs({
        includeSynonyms: true,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
      }),
    )
    const entries = res.resources[0]!.configEntries
    expect(entries.map((e) => e.configName)).toEqual(KAFKA_TOPIC_CONFIG_ORDER)
    for (const [name, [value, source, synonyms]] of Object.entries(EXPECTED)) {
      const e = entries.find((x) => x.configName === name)!
      expect([e.configValue, e.configSource], name).toEqual([value, source])
      expect(
        e.configSynonyms.map((s) => [s.configName, s.configValue, s.configSource]),
        name,
      ).toEqual(synonyms)
    }
    // a config set nowhere: its default, with the broker default as its synonym
    expect(entries.find((e) => e.configName === 'segment.bytes')).toMatchObject({
      configSource: S, // log.segment.bytes in config/standalone.properties
      configSynonyms: [
        { configName: 'log.segment.bytes', configValue: '1073741824', configSource: S },
        { configName: 'log.segment.bytes', configValue: '1073741824', configSource: D },
      ],
    })
  })

  it('confluent-kafka (librdkafka): the same order, sources and synonyms', async () => {
    type Entry = { name: string; value: string | null; source: number }
    const r = await runPython<{ entries: Array<Entry & { synonyms: Entry[] }> }>('confluent-kafka', {
      action: 'describe_configs',
      bootstrap: broker.bootstrap,
      topic,
    })
    expect(r.entries.map((e) => e.name)).toEqual(KAFKA_TOPIC_CONFIG_ORDER)
    for (const [name, [value, source, synonyms]] of Object.entries(EXPECTED)) {
      const e = r.entries.find((x) => x.name === name)!
      expect([e.value, e.source], name).toEqual([value, source])
      // confluent-kafka keeps one synonym per name (the last one librdkafka gave it)
      const lastPerName = new Map(synonyms.map(([n, v, s]) => [n, [n, v, s]]))
      expect(
        e.synonyms.map((s) => [s.name, s.value, s.source]),
        name,
      ).toEqual([...lastPerName.values()])
    }
  })
})
