/**
 * Transactions with real, unchanged clients against one standalone Samsa broker:
 *  - kafkajs `producer.transaction()` and confluent-kafka (librdkafka) `init_transactions()`: 30 transactions,
 *    every third aborted, with keys interleaved over 3 partitions; read_committed consumers (kafkajs,
 *    confluent-kafka) get exactly the committed records, once each, in per-key order; read_uncommitted also
 *    gets the aborted ones, and never a control record. (kafka-python 2.0.2, Debian's, predates transaction
 *    support: it always fetches READ_UNCOMMITTED and does not skip control records — with Apache Kafka too.)
 *  - consume-transform-produce with kafkajs `sendOffsets` and confluent-kafka `send_offsets_to_transaction`:
 *    every input record appears exactly once in the output and the group has nothing left to read;
 *  - zombie fencing: a second producer with the same transactional id fences the first, whose open
 *    transaction is aborted and which can never commit;
 *  - a producer killed -9 inside a transaction: the coordinator aborts it after transaction.timeout.ms and
 *    read_committed consumers move past it;
 *  - KIP-664 views (DescribeTransactions, ListTransactions, DescribeProducers) and KIP-890 refusals, with the
 *    repo's own codec.
 */
import { type Kafka } from 'kafkajs'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Apis } from '../src/protocol/messages/index.js'
import { buildRecordBatch } from '../src/protocol/records/batch.js'
import { type BrokerProcess, printBrokerLogsOnFailure, startBroker } from './support/broker.js'
import { uniqueName, waitFor } from './support/env.js'
import { EventProcess, resultOf, stopGroupProcesses, withRaw } from './support/groups.js'
import { consumeWithGroup, createTopic, kafkajs, withAdmin, withProducer } from './support/kafkajs.js'
import { SUPPORT_DIR, SYSTEM_PYTHON } from './support/env.js'
import { runPython, type PyConsumed } from './support/python.js'
import { join } from 'node:path'

let broker: BrokerProcess
let kafka: Kafka

printBrokerLogsOnFailure()

beforeAll(async () => {
  broker = await startBroker({
    overrides: {
      // the producer killed inside a transaction is aborted within seconds
      'transaction.abort.timed.out.transaction.cleanup.interval.ms': 500,
      'transaction.state.log.num.partitions': 5,
    },
  })
  kafka = kafkajs(broker.bootstrap)
})

afterEach(async () => {
  await stopGroupProcesses()
})

afterAll(async () => {
  await broker?.stop()
})

/** confluent-kafka's transactional producer script (support/python/txn_confluent.py) as an EventProcess. */
function txnConfluent(name: string, args: Record<string, unknown>): EventProcess {
  return new EventProcess(`txn-confluent-${name}`, SYSTEM_PYTHON, [
    join(SUPPORT_DIR, 'python', 'txn_confluent.py'),
    JSON.stringify({ bootstrap: broker.bootstrap, ...args }),
  ])
}

const PARTITIONS = 3
const TXNS = 30
const KEYS = 6

/** Transaction i writes one record per key ("k<j>:<i>"), keys in a rotating order. */
function transactionRecords(i: number): { key: string; value: string }[] {
  return Array.from({ length: KEYS }, (_, j) => {
    const key = `k${(i + j) % KEYS}`
    return { key, value: `${key}:${i}` }
  })
}

const isCommitted = (i: number): boolean => i % 3 !== 2
const SENTINEL = 'end'

/** The records a read_committed consumer must see: committed transactions' records, by key, in order. */
function expectedByKey(committed: (i: number) => boolean): Map<string, number[]> {
  const m = new Map<string, number[]>()
  for (let i = 0; i < TXNS; i++) {
    if (!committed(i)) continue
    for (const r of transactionRecords(i)) {
      const list = m.get(r.key) ?? []
      list.push(i)
      m.set(r.key, list)
    }
  }
  return m
}

/** Groups consumed "k<j>:<i>" values by key, in consumption order; sentinels and anything else apart. */
function byKey(values: readonly (string | null)[]): {
  keys: Map<string, number[]>
  other: (string | null)[]
} {
  const keys = new Map<string, number[]>()
  const other: (string | null)[] = []
  for (const v of values) {
    const m = v ? /^(k\d+):(\d+)$/.exec(v) : null
    if (!m) {
      other.push(v)
      continue
    }
    const list = keys.get(m[1]!) ?? []
    list.push(Number(m[2]))
    keys.set(m[1]!, list)
  }
  return { keys, other }
}

/** One committed transaction with a sentinel per partition: a consumer that saw all of them has read past the rest. */
async function writeSentinels(topic: string): Promise<void> {
  await withProducer(
    kafka,
    { transactionalId: uniqueName('sentinel'), idempotent: true, maxInFlightRequests: 1 },
    async (p) => {
      const t = await p.transaction()
      await t.send({
        topic,
        messages: Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, value: SENTINEL })),
      })
      await t.commit()
    },
  )
}

function checkCommittedRead(values: readonly (string | null)[], committed: (i: number) => boolean): void {
  const { keys, other } = byKey(values)
  expect(other.sort()).toEqual(Array.from({ length: PARTITIONS }, () => SENTINEL))
  expect(Object.fromEntries(keys)).toEqual(Object.fromEntries(expectedByKey(committed)))
}

function checkUncommittedRead(values: readonly (string | null)[]): void {
  const { keys, other } = byKey(values)
  // every record of every transaction, and nothing else (no control record shows up as a message)
  expect(other.sort()).toEqual(Array.from({ length: PARTITIONS }, () => SENTINEL))
  expect(Object.fromEntries(keys)).toEqual(Object.fromEntries(expectedByKey(() => true)))
}

async function kafkajsRead(topic: string, readUncommitted: boolean) {
  const got = await consumeWithGroup(kafka, {
    topic,
    groupId: uniqueName('txn-read'),
    count: (readUncommitted ? TXNS : (TXNS * 2) / 3) * KEYS + PARTITIONS,
    consumerConfig: { readUncommitted },
  })
  return got.map((m) => m.value)
}

describe('transactions from kafkajs', () => {
  const topic = uniqueName('txn-kafkajs')

  it('30 transactions, every third aborted', async () => {
    await createTopic(broker.bootstrap, topic, { partitions: PARTITIONS })
    await withProducer(
      kafka,
      { transactionalId: uniqueName('kjs'), idempotent: true, maxInFlightRequests: 1 },
      async (p) => {
        for (let i = 0; i < TXNS; i++) {
          const t = await p.transaction()
          await t.send({ topic, messages: transactionRecords(i) })
          if (isCommitted(i)) await t.commit()
          else await t.abort()
        }
      },
    )
    await writeSentinels(topic)
  })

  it('read_committed consumers see exactly the committed records, once, in per-key order', async () => {
    checkCommittedRead(await kafkajsRead(topic, false), isCommitted)
    const confluent = await runPython<{ messages: PyConsumed[] }>('confluent-kafka', {
      action: 'consume',
      bootstrap: broker.bootstrap,
      topic,
      group: uniqueName('txn-confluent-read'),
      count: (TXNS * 2 * KEYS) / 3 + PARTITIONS,
      config: { 'isolation.level': 'read_committed' },
      timeout_ms: 30_000,
    })
    checkCommittedRead(
      confluent.messages.map((m) => m.value),
      isCommitted,
    )
  })

  it('read_uncommitted consumers also see the aborted records, but no control records', async () => {
    checkUncommittedRead(await kafkajsRead(topic, true))
  })
})

describe('transactions from confluent-kafka (librdkafka)', () => {
  const topic = uniqueName('txn-confluent')

  it('30 transactions, every third aborted; read_committed sees exactly the committed ones', async () => {
    await createTopic(broker.bootstrap, topic, { partitions: PARTITIONS })
    const p = txnConfluent('30', {
      action: 'transactions',
      topic,
      transactional_id: uniqueName('rdk'),
      transactions: Array.from({ length: TXNS }, (_, i) => ({
        messages: transactionRecords(i),
        commit: isCommitted(i),
      })),
    })
    await p.waitExit(90_000)
    const r = resultOf<{ committed: number[]; aborted: number[] }>(p)
    expect(r.committed).toEqual(Array.from({ length: TXNS }, (_, i) => i).filter(isCommitted))
    await writeSentinels(topic)
    checkCommittedRead(await kafkajsRead(topic, false), isCommitted)
    checkUncommittedRead(await kafkajsRead(topic, true))
  })
})

describe('consume-transform-produce', () => {
  const N = 60

  async function setup(name: string): Promise<{ input: string; output: string; groupId: string }> {
    const input = uniqueName(`${name}-in`)
    const output = uniqueName(`${name}-out`)
    await createTopic(broker.bootstrap, input, { partitions: PARTITIONS })
    await createTopic(broker.bootstrap, output, { partitions: PARTITIONS })
    await withProducer(kafka, {}, (p) =>
      p.send({
        topic: input,
        messages: Array.from({ length: N }, (_, i) => ({ key: `k${i}`, value: `in${i}` })),
      }),
    )
    return { input, output, groupId: uniqueName(`${name}-group`) }
  }

  /** The output, read_committed: every input exactly once; and the group has nothing left to read. */
  async function check(input: string, output: string, groupId: string): Promise<void> {
    await writeSentinels(output)
    const values = (
      await consumeWithGroup(kafka, {
        topic: output,
        groupId: uniqueName('ctp-check'),
        count: N + PARTITIONS,
      })
    ).map((m) => m.value)
    expect(values.filter((v) => v !== SENTINEL).sort()).toEqual(
      Array.from({ length: N }, (_, i) => `out:in${i}`).sort(),
    )
    await withAdmin(kafka, async (admin) => {
      const ends = await admin.fetchTopicOffsets(input)
      const committed = await admin.fetchOffsets({ groupId, topics: [input] })
      const byPartition = new Map(committed[0]!.partitions.map((p) => [p.partition, p.offset]))
      for (const e of ends) expect(byPartition.get(e.partition)).toBe(e.high)
    })
  }

  it('kafkajs: transaction.sendOffsets', async () => {
    const { input, output, groupId } = await setup('ctp-kjs')
    const producer = kafka.producer({
      transactionalId: uniqueName('ctp-kjs'),
      idempotent: true,
      maxInFlightRequests: 1,
    })
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200, sessionTimeout: 10_000 })
    await producer.connect()
    await consumer.connect()
    let processed = 0
    try {
      await consumer.subscribe({ topics: [input], fromBeginning: true })
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset }) => {
          if (batch.messages.length === 0) return
          const t = await producer.transaction()
          await t.send({
            topic: output,
            messages: batch.messages.map((m) => ({ key: m.key, value: `out:${m.value?.toString() ?? ''}` })),
          })
          await t.sendOffsets({
            consumerGroupId: groupId,
            topics: [
              {
                topic: input,
                partitions: [{ partition: batch.partition, offset: String(Number(batch.lastOffset()) + 1) }],
              },
            ],
          })
          await t.commit()
          for (const m of batch.messages) resolveOffset(m.offset)
          processed += batch.messages.length
        },
      })
      await waitFor(`kafkajs processed ${N} records`, () => processed >= N, { timeoutMs: 60_000 })
    } finally {
      await consumer.disconnect()
      await producer.disconnect()
    }
    expect(processed).toBe(N)
    await check(input, output, groupId)
  })

  it('confluent-kafka: send_offsets_to_transaction', async () => {
    const { input, output, groupId } = await setup('ctp-rdk')
    const p = txnConfluent('ctp', {
      action: 'ctp',
      input,
      output,
      group: groupId,
      transactional_id: uniqueName('ctp-rdk'),
      count: N,
      timeout_ms: 60_000,
    })
    await p.waitExit(90_000)
    expect(resultOf<{ processed: number }>(p).processed).toBe(N)
    await check(input, output, groupId)
  })
})

describe('zombie fencing', () => {
  it('a second producer with the same transactional id fences the first and aborts its transaction', async () => {
    const topic = uniqueName('txn-zombie')
    await createTopic(broker.bootstrap, topic, { partitions: PARTITIONS })
    const transactionalId = uniqueName('zombie')
    const config = { transactionalId, idempotent: true, maxInFlightRequests: 1 }
    const zombie = kafka.producer(config)
    await zombie.connect()
    const open = await zombie.transaction()
    await open.send({ topic, messages: [{ partition: 0, value: 'zombie-1' }] })
    // the new incarnation: its InitProducerId aborts the zombie's transaction and bumps the epoch
    await withProducer(kafka, { transactionalId, idempotent: true, maxInFlightRequests: 1 }, async (p) => {
      const t = await p.transaction()
      await t.send({ topic, messages: [{ partition: 0, value: 'successor' }] })
      await t.commit()
    })
    await expect(open.send({ topic, messages: [{ partition: 0, value: 'zombie-2' }] })).rejects.toThrow()
    await expect(open.commit()).rejects.toThrow(/epoch|fenced/i)
    await zombie.disconnect().catch(() => undefined)
    await writeSentinels(topic)
    const committed = await consumeWithGroup(kafka, {
      topic,
      groupId: uniqueName('zombie-read'),
      count: 1 + PARTITIONS,
    })
    expect(committed.map((m) => m.value).sort()).toEqual([SENTINEL, SENTINEL, SENTINEL, 'successor'])
  })
})

/** DescribeTransactions of one transactional id, asked of its coordinator (the only broker here). */
async function describeTransaction(transactionalId: string) {
  return withRaw(broker, async (c) => {
    const r = await c.request(Apis.DescribeTransactions, 0, { transactionalIds: [transactionalId] })
    return r.transactionStates[0]!
  })
}

describe('a producer killed -9 inside a transaction', () => {
  it('is aborted after its timeout, and read_committed consumers move past it', async () => {
    const topic = uniqueName('txn-killed')
    await createTopic(broker.bootstrap, topic, { partitions: 1 })
    const transactionalId = uniqueName('killed')
    const p = txnConfluent('killed', {
      action: 'transactions',
      topic,
      transactional_id: transactionalId,
      config: { 'transaction.timeout.ms': 3000 },
      transactions: [
        { messages: [{ key: 'a', value: 'committed-before' }], commit: true },
        {
          messages: [
            { key: 'a', value: 'in-flight-1' },
            { key: 'a', value: 'in-flight-2' },
          ],
        },
      ],
      hold_last_open: true,
    })
    await p.until('the transaction is open', (events) => events.find((e) => e.event === 'open'), 60_000)
    await p.kill()
    expect((await describeTransaction(transactionalId)).transactionState).toBe('Ongoing')
    // another producer commits behind the dead one's open transaction: invisible until that is aborted
    await withProducer(
      kafka,
      { transactionalId: uniqueName('after'), idempotent: true, maxInFlightRequests: 1 },
      async (q) => {
        const t = await q.transaction()
        await t.send({ topic, messages: [{ value: 'committed-after' }] })
        await t.commit()
      },
    )
    const got = await consumeWithGroup(kafka, {
      topic,
      groupId: uniqueName('killed-read'),
      count: 2,
      timeoutMs: 30_000,
    })
    expect(got.map((m) => m.value)).toEqual(['committed-before', 'committed-after'])
    const described = await describeTransaction(transactionalId)
    expect(described.transactionState).toBe('CompleteAbort')
    expect(described.producerEpoch).toBeGreaterThan(0)
  })
})

describe('admin views and refusals (repo codec)', () => {
  it('ListTransactions filters; DescribeProducers shows an open transaction', async () => {
    const topic = uniqueName('txn-views')
    await createTopic(broker.bootstrap, topic, { partitions: 1 })
    const transactionalId = uniqueName('views')
    const p = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 })
    await p.connect()
    try {
      const t = await p.transaction()
      await t.send({ topic, messages: [{ value: 'x' }] })
      await withRaw(broker, async (c) => {
        const ongoing = await c.request(Apis.ListTransactions, 1, {
          stateFilters: ['Ongoing', 'NoSuchState'],
          producerIdFilters: [],
          durationFilter: -1,
        })
        expect(ongoing.errorCode).toBe(0)
        expect(ongoing.unknownStateFilters).toEqual(['NoSuchState'])
        const mine = ongoing.transactionStates.find((s) => s.transactionalId === transactionalId)
        expect(mine?.transactionState).toBe('Ongoing')
        const producers = await c.request(Apis.DescribeProducers, 0, {
          topics: [{ name: topic, partitionIndexes: [0] }],
        })
        const active = producers.topics[0]!.partitions[0]!.activeProducers
        expect(active.find((a) => a.producerId === mine!.producerId)?.currentTxnStartOffset).toBe(0)
        const later = await c.request(Apis.ListTransactions, 1, {
          stateFilters: [],
          producerIdFilters: [mine!.producerId],
          durationFilter: 3_600_000,
        })
        expect(later.transactionStates).toEqual([])
      })
      await t.commit()
    } finally {
      await p.disconnect()
    }
    // EndTxn is answered once PrepareCommit is written (as Kafka's); CompleteCommit follows the markers
    const d = await waitFor(
      'the transaction to complete its commit',
      async () => {
        const t = await describeTransaction(transactionalId)
        return t.transactionState === 'PrepareCommit' ? undefined : t
      },
      { timeoutMs: 10_000, intervalMs: 20 },
    )
    expect(d.transactionState).toBe('CompleteCommit')
    expect(d.topics).toEqual([])
  })

  it('a transactional batch for a partition the producer did not add is refused (KIP-890)', async () => {
    const topic = uniqueName('txn-unverified')
    await createTopic(broker.bootstrap, topic, { partitions: 1 })
    const transactionalId = uniqueName('unverified')
    await withRaw(broker, async (c) => {
      // find the coordinator first (creates __transaction_state), then get an id and epoch
      await waitFor('the transaction coordinator', async () => {
        const f = await c.request(Apis.FindCoordinator, 3, { key: transactionalId, keyType: 1 })
        return f.errorCode === 0
      })
      const init = await waitFor('InitProducerId', async () => {
        const r = await c.request(Apis.InitProducerId, 4, { transactionalId, transactionTimeoutMs: 60_000 })
        return r.errorCode === 0 ? r : undefined
      })
      const batch = buildRecordBatch({
        records: [{ key: null, value: Buffer.from('sneaky'), timestamp: Date.now() }],
        producerId: init.producerId,
        producerEpoch: init.producerEpoch,
        baseSequence: 0,
        isTransactional: true,
      })
      const produce = await c.request(Apis.Produce, 9, {
        transactionalId,
        acks: -1,
        timeoutMs: 10_000,
        topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }],
      })
      expect(produce.responses[0]!.partitionResponses[0]!.errorCode).toBe(48) // INVALID_TXN_STATE
      // the coordinator's own refusals
      const end = await c.request(Apis.EndTxn, 3, {
        transactionalId,
        producerId: init.producerId,
        producerEpoch: init.producerEpoch,
        committed: true,
      })
      expect(end.errorCode).toBe(48) // INVALID_TXN_STATE: nothing to commit
      const add = await c.request(Apis.AddPartitionsToTxn, 3, {
        v3AndBelowTransactionalId: uniqueName('never-initialized'),
        v3AndBelowProducerId: init.producerId,
        v3AndBelowProducerEpoch: 0,
        v3AndBelowTopics: [{ name: topic, partitions: [0] }],
      })
      expect(add.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode).toBe(49) // INVALID_PRODUCER_ID_MAPPING
      const fenced = await c.request(Apis.AddPartitionsToTxn, 3, {
        v3AndBelowTransactionalId: transactionalId,
        v3AndBelowProducerId: init.producerId,
        v3AndBelowProducerEpoch: init.producerEpoch + 1,
        v3AndBelowTopics: [
          { name: topic, partitions: [0] },
          { name: 'no-such-topic', partitions: [0] },
        ],
      })
      const codes = fenced.resultsByTopicV3AndBelow.map((t) => t.resultsByPartition[0]!.partitionErrorCode)
      expect(codes).toEqual([55, 3]) // OPERATION_NOT_ATTEMPTED, UNKNOWN_TOPIC_OR_PARTITION
    })
  })
})
