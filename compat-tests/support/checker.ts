/**
 * The fault tests' checker: real clients write and read a topic while a test injects faults, and afterwards the
 * checker says whether anything acknowledged was lost, whether anything was written twice, whether per-key order
 * held, and how long the cluster made no progress. It needs only bootstrap servers (plus, for the replica
 * comparison, each replica's data directory), so process clusters, in-process clusters and the soak run share it.
 *
 *  - Producers: kafkajs (`idempotent: true`, acks=-1, one request in flight) and librdkafka (confluent-kafka with
 *    enable.idempotence, acks=all; support/python/cluster_idempotent_producer.py). Each writes keys in turn with
 *    values `<key>:<seq>`, seq counting up per key, and records every acknowledgement with its offset and time.
 *  - A consumer group (kafkajs) reads the topic all along and records what it got and when.
 *  - The verdict reads every partition back from the start (kcat) and checks: every acknowledged record is in the
 *    log at the offset it was acknowledged with (0 lost), no value is in the log twice (0 duplicated), per key the
 *    sequence numbers only go up with the offset (order), and the group saw every acknowledged record. The longest
 *    time without progress is the longest gap between acknowledgements (and between deliveries to the group) while
 *    the checker ran.
 *  - `replicaDivergence` compares the .log bytes of every replica up to the high watermark;
 *    `waitForIdenticalReplicas` does it for every partition of a topic of a process cluster.
 *
 * Use: `const c = await Checker.start({ bootstrap, topic, partitions })`, inject faults, `await
 * c.waitForProgress(...)` after each (it returns how long service took to come back), `const v = await c.stop()`,
 * then `expect(v.problems).toEqual([])`, `await waitForIdenticalReplicas(cluster, topic, partitions)`; print
 * `v.summary`. The clients' timeouts (`requestTimeoutMs`) bound how soon they notice a frozen or cut-off leader.
 */
import { appendFileSync, closeSync, openSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Consumer, type LogEntry, logLevel, type Producer } from 'kafkajs'
import { readBatchHeader } from '../../src/protocol/records/batch.js'
import { type Cluster, highWatermarkOf, logBytesUpTo } from './cluster.js'
import { logsDir, runDir, sleep, SUPPORT_DIR, SYSTEM_PYTHON, uniqueName, waitFor } from './env.js'
import { kafkajs } from './kafkajs.js'
import { kcatConsume } from './kcat.js'
import { spawnLogged, type Spawned, stopProcess, tailFile } from './procs.js'
import { jsonLines } from './run.js'

/** One acknowledged record. */
export interface Ack {
  readonly key: string
  readonly seq: number
  readonly partition: number
  readonly offset: number
  /** When the acknowledgement arrived (ms since the epoch). */
  readonly at: number
}

export interface ProducerReport {
  readonly name: string
  readonly acked: readonly Ack[]
  readonly failed: number
  readonly sent: number
  /** Errors the client reported (the first few), fatal ones prefixed with FATAL. */
  readonly problems: readonly string[]
}

/** A producer loop the checker runs. */
export interface CheckedProducer {
  readonly name: string
  start(): void
  /** Acknowledged so far. */
  acked(): number
  /** Acknowledged so far, per partition. */
  ackedPerPartition(): ReadonlyMap<number, number>
  stop(): Promise<ProducerReport>
}

export interface ProducerOptions {
  readonly bootstrap: readonly string[]
  readonly topic: string
  /** Key prefix; keys are `<prefix>-k<i>`. */
  readonly prefix: string
  /** Number of keys written in turn (default 8). */
  readonly keys?: number
  /** The client's request timeout (default 10 s): how long a request to a frozen or cut-off broker waits. */
  readonly requestTimeoutMs?: number
}

/** kafkajs, idempotent, acks=-1, one request in flight; key i goes to partition i % partitions. */
export class KafkajsProducer implements CheckedProducer {
  readonly name = 'kafkajs'
  private readonly acks: Ack[] = []
  private readonly errors: string[] = []
  private readonly perPartition = new Map<number, number>()
  private sent = 0
  private failed = 0
  private stopping = false
  private done: Promise<void> | undefined

  constructor(
    private readonly opts: ProducerOptions & { readonly partitions: number; readonly pauseMs?: number },
  ) {}

  start(): void {
    this.done = this.run()
  }

  acked(): number {
    return this.acks.length
  }

  ackedPerPartition(): ReadonlyMap<number, number> {
    return this.perPartition
  }

  private async run(): Promise<void> {
    const keys = this.opts.keys ?? 8
    const debugLog = process.env.SAMSA_CHECKER_KAFKAJS_DEBUG
      ? join(logsDir(), `${uniqueName('checker-kafkajs')}.jsonl`)
      : undefined
    const client = kafkajs([...this.opts.bootstrap], {
      logLevel: debugLog ? logLevel.DEBUG : logLevel.NOTHING,
      ...(debugLog
        ? {
            logCreator: () => (e: LogEntry) =>
              appendFileSync(debugLog, `${JSON.stringify({ ns: e.namespace, ...e.log })}\n`),
          }
        : {}),
      retry: { retries: 40, initialRetryTime: 100, maxRetryTime: 1000 },
      requestTimeout: this.opts.requestTimeoutMs ?? 10_000,
    })
    const connect = async (): Promise<Producer> => {
      for (;;) {
        const p = client.producer({ idempotent: true, maxInFlightRequests: 1 })
        try {
          await p.connect()
          return p
        } catch (e) {
          if (this.stopping) throw e
          if (this.errors.length < 50) this.errors.push(`connect: ${String((e as Error).message)}`)
          await sleep(500)
        }
      }
    }
    let producer = await connect()
    const seqs = new Array<number>(keys).fill(0)
    try {
      while (!this.stopping) {
        // One send() per partition: kafkajs 2.2.4 drops the partitions of a send whose leader moved, during its
        // retries, to a broker that already answered for another partition of the same send (sendMessages.js
        // skips brokers with a response) and rolls their sequence numbers back, so its next batch reuses them and
        // the broker, seeing a duplicate of the batch it has, answers with that batch's offset: a record
        // "acknowledged" that is not in the log, by the client's doing.
        for (let partition = 0; partition < this.opts.partitions && !this.stopping; partition++) {
          const batch = []
          for (let i = partition; i < keys; i += this.opts.partitions) {
            const key = `${this.opts.prefix}-k${i}`
            batch.push({ key, seq: seqs[i]!, value: `${key}:${seqs[i]!}` })
            seqs[i]!++ // a sent record uses its sequence number up, acknowledged or not
          }
          try {
            const res = await producer.send({
              topic: this.opts.topic,
              acks: -1,
              messages: batch.map((m) => ({ key: m.key, value: m.value, partition })),
            })
            const r = res.find((x) => x.partition === partition)
            if (!r || r.errorCode !== 0) throw new Error(`partition ${partition}: ${JSON.stringify(res)}`)
            const at = Date.now()
            batch.forEach((m, j) =>
              this.acks.push({ key: m.key, seq: m.seq, partition, offset: Number(r.baseOffset) + j, at }),
            )
            this.perPartition.set(partition, (this.perPartition.get(partition) ?? 0) + batch.length)
          } catch (e) {
            this.failed += batch.length
            if (this.errors.length < 50) this.errors.push(String((e as Error).message))
            // kafkajs rolls the sequence numbers of a failed send back although the broker may have appended it;
            // its next batch would then be taken for a duplicate of that one. A new producer (a new producer id)
            // starts clean.
            await producer.disconnect().catch(() => {})
            producer = await connect()
          }
          this.sent += batch.length
        }
        await sleep(this.opts.pauseMs ?? 5)
      }
    } finally {
      await producer.disconnect().catch(() => {})
    }
  }

  async stop(): Promise<ProducerReport> {
    this.stopping = true
    await this.done
    return {
      name: this.name,
      acked: this.acks,
      failed: this.failed,
      sent: this.sent,
      problems: this.errors.slice(0, 10),
    }
  }
}

/**
 * librdkafka (confluent-kafka, enable.idempotence, acks=all), support/python/cluster_idempotent_producer.py. It
 * lets librdkafka partition the keys. `config` adds librdkafka properties (e.g. `debug: 'metadata'`); its log
 * (JSON lines plus librdkafka's debug output) is `logFile`.
 */
export class LibrdkafkaProducer implements CheckedProducer {
  readonly name = 'librdkafka'
  readonly logFile: string
  private proc: Spawned | undefined
  private readonly stopFile = join(runDir(), uniqueName('stop'))
  /** What the log said so far (read incrementally: a long run writes a line per acknowledgement). */
  private readFrom = 0
  private partial = ''
  private progressSeen = 0
  private readonly perPartition = new Map<number, number>()

  constructor(
    private readonly opts: ProducerOptions & {
      readonly rate?: number
      readonly config?: Record<string, string | number | boolean>
      readonly maxSeconds?: number
    },
  ) {
    this.logFile = join(logsDir(), `${uniqueName(`librdkafka-${opts.prefix}`)}.log`)
  }

  start(): void {
    const args = {
      bootstrap: this.opts.bootstrap.join(','),
      topic: this.opts.topic,
      prefix: this.opts.prefix,
      keys: this.opts.keys ?? 8,
      rate: this.opts.rate ?? 400,
      stop_file: this.stopFile,
      max_seconds: this.opts.maxSeconds ?? 240,
      config: {
        ...(this.opts.requestTimeoutMs !== undefined
          ? {
              'request.timeout.ms': this.opts.requestTimeoutMs,
              'socket.timeout.ms': this.opts.requestTimeoutMs,
            }
          : {}),
        ...this.opts.config,
      },
    }
    this.proc = spawnLogged(
      'librdkafka idempotent producer',
      SYSTEM_PYTHON,
      [join(SUPPORT_DIR, 'python', 'cluster_idempotent_producer.py'), JSON.stringify(args)],
      this.logFile,
    )
  }

  private lines(): Array<Record<string, unknown>> {
    return jsonLines<Record<string, unknown>>(tailFile(this.logFile, 1e10))
  }

  /** Reads what the log gained since the last call and counts it. */
  private catchUp(): void {
    let size: number
    try {
      size = statSync(this.logFile).size
    } catch {
      return
    }
    if (size <= this.readFrom) return
    const fd = openSync(this.logFile, 'r')
    const buf = Buffer.alloc(size - this.readFrom)
    try {
      readSync(fd, buf, 0, buf.length, this.readFrom)
    } finally {
      closeSync(fd)
    }
    this.readFrom = size
    const text = this.partial + buf.toString('utf8')
    const cut = text.lastIndexOf('\n')
    this.partial = text.slice(cut + 1)
    for (const l of jsonLines<Record<string, unknown>>(text.slice(0, cut + 1))) {
      if (typeof l.progress === 'number') this.progressSeen = l.progress
      if (typeof l.p === 'number' && typeof l.o === 'number')
        this.perPartition.set(l.p, (this.perPartition.get(l.p) ?? 0) + 1)
    }
  }

  acked(): number {
    this.catchUp()
    return this.progressSeen
  }

  ackedPerPartition(): ReadonlyMap<number, number> {
    this.catchUp()
    return this.perPartition
  }

  async stop(): Promise<ProducerReport> {
    writeFileSync(this.stopFile, '')
    const proc = this.proc!
    const code = await Promise.race([proc.exited, sleep(150_000).then(() => 'timeout')])
    if (code === 'timeout') await stopProcess(proc, 'SIGKILL')
    rmSync(this.stopFile, { force: true })
    const lines = this.lines()
    const done = lines.find((l) => l.done === true) as
      { sent: number; failed: number; in_queue: number; fatal: string[]; errors: string[] } | undefined
    if (!done)
      throw new Error(
        `the librdkafka producer did not finish (exit ${String(code)}):\n${tailFile(this.logFile, 3000)}`,
      )
    const acked: Ack[] = []
    for (const l of lines) {
      if (typeof l.k === 'string' && typeof l.o === 'number') {
        acked.push({ key: l.k, seq: l.s as number, partition: l.p as number, offset: l.o, at: l.t as number })
      }
    }
    const problems = [...done.fatal.map((f) => `FATAL ${f}`), ...done.errors]
    if (done.in_queue) problems.push(`${done.in_queue} messages still in queue at exit`)
    return { name: this.name, acked, failed: done.failed, sent: done.sent, problems }
  }
}

/** A record as read from the log or delivered to the group. */
export interface ProducerIdentity {
  readonly producerId: number
  readonly producerEpoch: number
}

/**
 * The producer id and epoch of every offset in a replica's log (every whole v2 batch of its segment files, as
 * logBytesUpTo reads them), for judge() to tell a client's re-send under a new epoch from a broker's duplicate.
 */
export function producersByOffset(bytes: Buffer): Map<number, ProducerIdentity> {
  const out = new Map<number, ProducerIdentity>()
  let pos = 0
  while (pos + 61 <= bytes.length) {
    const h = readBatchHeader(bytes, pos)
    if (h.sizeInBytes <= 0 || pos + h.sizeInBytes > bytes.length) break
    for (let o = h.baseOffset; o <= h.lastOffset; o++)
      out.set(o, { producerId: h.producerId, producerEpoch: h.producerEpoch })
    pos += h.sizeInBytes
  }
  return out
}

/**
 * judge()'s producerOf for a topic: the producer id and epoch of a record, read from the segment files of the given
 * log directories (every replica's; the first that has the offset answers). Read once per partition, and only when
 * judge() asks — that is, only when a value is in the log more than once.
 */
export function producerLookup(
  logDirs: () => readonly string[],
  topic: string,
): (partition: number, offset: number) => ProducerIdentity | undefined {
  const byPartition = new Map<number, Map<number, ProducerIdentity>>()
  return (partition, offset) => {
    let m = byPartition.get(partition)
    if (!m) {
      m = new Map()
      for (const dir of logDirs()) {
        try {
          for (const [o, id] of producersByOffset(
            logBytesUpTo(dir, topic, partition, Number.MAX_SAFE_INTEGER),
          ))
            if (!m.has(o)) m.set(o, id)
        } catch {
          // no replica of this partition in that directory, or a tail being written: the others answer
        }
      }
      byPartition.set(partition, m)
    }
    return m.get(offset)
  }
}

export interface LogRecord {
  readonly partition: number
  readonly offset: number
  readonly value: string | null
  /** Delivery time (group consumer only). */
  readonly at?: number
}

/**
 * A kafkajs group member with the checker's settings: retries long enough to ride out a broker's fail-over;
 * `requestTimeoutMs` (default kafkajs's 30 s) bounds how soon it gives up on a request whose answer is lost.
 */
export function faultTolerantMember(
  bootstrap: readonly string[],
  groupId: string,
  requestTimeoutMs?: number,
): Consumer {
  return kafkajs([...bootstrap], {
    logLevel: logLevel.NOTHING,
    retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 2000 },
    ...(requestTimeoutMs !== undefined ? { requestTimeout: requestTimeoutMs } : {}),
  }).consumer({
    groupId,
    sessionTimeout: 10_000,
    rebalanceTimeout: 10_000,
    heartbeatInterval: 1_000,
    maxWaitTimeInMs: 200,
    retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 2000 },
  })
}

/** A kafkajs consumer group member reading the topic from the beginning, recording what it gets. */
export class GroupConsumer {
  readonly records: LogRecord[] = []
  private consumer: Consumer | undefined
  private crashed: unknown

  constructor(
    private readonly bootstrap: readonly string[],
    private readonly topic: string,
    readonly groupId: string,
    private readonly requestTimeoutMs?: number,
  ) {}

  async start(): Promise<void> {
    const consumer = faultTolerantMember(this.bootstrap, this.groupId, this.requestTimeoutMs)
    this.consumer = consumer
    // a crash kafkajs restarts from (a retriable error: COORDINATOR_NOT_AVAILABLE while the coordinator cannot
    // store the group, ...) is a rejoin, not the end of the member
    consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart) this.crashed = e.payload.error
    })
    await consumer.connect()
    await consumer.subscribe({ topics: [this.topic], fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        this.records.push({
          partition,
          offset: Number(message.offset),
          value: message.value ? message.value.toString() : null,
          at: Date.now(),
        })
      },
    })
  }

  get crash(): unknown {
    return this.crashed
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => {})
  }
}

/** Every partition of `topic` read from the start to its end (kcat). */
export async function readBack(bootstrap: string, topic: string, partitions: number): Promise<LogRecord[]> {
  const out: LogRecord[] = []
  for (let p = 0; p < partitions; p++) {
    const got = await kcatConsume(bootstrap, topic, { partition: p, timeoutMs: 90_000 })
    for (const m of got) out.push({ partition: m.partition, offset: m.offset, value: m.payload })
  }
  return out
}

/** The longest gap between consecutive times (and from `from` to the first, and the last to `to`). */
export function longestGap(times: readonly number[], from: number, to: number): { ms: number; at: number } {
  const sorted = times.filter((t) => t >= from && t <= to).sort((a, b) => a - b)
  let best = { ms: 0, at: from }
  let prev = from
  for (const t of [...sorted, to]) {
    if (t - prev > best.ms) best = { ms: t - prev, at: prev }
    prev = t
  }
  return best
}

export interface Verdict {
  /** Acknowledged records (all producers). */
  readonly acknowledged: number
  /** Records in the log. */
  readonly inLog: number
  /** Records the group got (with redeliveries). */
  readonly delivered: number
  readonly lost: readonly string[]
  readonly duplicated: readonly string[]
  /** Values a producer wrote again under a new producer epoch (a client's re-send, not counted as a problem). */
  readonly resentUnderNewEpoch: readonly string[]
  readonly outOfOrder: readonly string[]
  /** Acknowledged records the group never got. */
  readonly notDelivered: readonly string[]
  /** Deliveries whose value differs from the log at that offset. */
  readonly inconsistent: readonly string[]
  readonly longestProducePauseMs: number
  readonly longestProducePauseAt: number
  readonly longestConsumePauseMs: number
  readonly failedSends: number
  readonly clientProblems: readonly string[]
  /** Every violation (lost, duplicated, out of order, not delivered, inconsistent); empty when all is well. */
  readonly problems: readonly string[]
  readonly summary: string
}

/**
 * Checks the producers' acknowledgements against the log (and the group's deliveries, if any): see the file
 * comment. `window` bounds the pause measurement (default: first to last acknowledgement).
 */
export function judge(
  reports: readonly ProducerReport[],
  log: readonly LogRecord[],
  delivered: readonly LogRecord[] | undefined,
  window?: { from: number; to: number },
  producerOf?: (partition: number, offset: number) => ProducerIdentity | undefined,
): Verdict {
  const lost: string[] = []
  const duplicated: string[] = []
  const resentUnderNewEpoch: string[] = []
  const outOfOrder: string[] = []
  const outOfOrderValues: string[] = []
  const copies = new Map<string, LogRecord[]>()
  const notDelivered: string[] = []
  const inconsistent: string[] = []
  const at = new Map<string, LogRecord>()
  const count = new Map<string, number>()
  const lastSeq = new Map<string, { seq: number; offset: number; partition: number }>()
  const sorted = [...log].sort((a, b) => a.partition - b.partition || a.offset - b.offset)
  for (const m of sorted) {
    at.set(`${m.partition}@${m.offset}`, m)
    const v = m.value ?? ''
    count.set(v, (count.get(v) ?? 0) + 1)
    const c = copies.get(v)
    if (c) c.push(m)
    else copies.set(v, [m])
    const i = v.lastIndexOf(':')
    if (i < 0) continue
    const key = v.slice(0, i)
    const seq = Number(v.slice(i + 1))
    const prev = lastSeq.get(key)
    if (prev && prev.partition === m.partition && seq <= prev.seq) {
      outOfOrder.push(
        `${key} seq ${seq} at ${m.partition}@${m.offset} after seq ${prev.seq} at offset ${prev.offset}`,
      )
      outOfOrderValues.push(v)
    }
    lastSeq.set(key, { seq, offset: m.offset, partition: m.partition })
  }
  // A value written again by the same producer under a NEW producer epoch is the client's re-send, which no broker
  // can recognise (Kafka deduplicates within an epoch only): librdkafka before 2.11 bumps the epoch of an
  // idempotent producer on an OUT_OF_ORDER_SEQUENCE_NUMBER answer — normal for the requests queued behind a failed
  // one during a leader change — and sends again messages whose first write did land (confluentinc/librdkafka#4953,
  // seen with real Kafka). Reported apart; a copy within one epoch stays a DUPLICATE (a broker's failure).
  const resent = new Set<string>()
  for (const [value, n] of count) {
    if (n <= 1) continue
    const ids = producerOf ? copies.get(value)!.map((m) => producerOf(m.partition, m.offset)) : []
    const epochs = new Set(ids.map((i) => i?.producerEpoch))
    if (
      ids.length === n &&
      ids.every((i) => i !== undefined && i.producerId >= 0 && i.producerId === ids[0]!.producerId) &&
      epochs.size === n
    ) {
      resent.add(value)
      const where = copies
        .get(value)!
        .map((m, k) => `${m.partition}@${m.offset} (epoch ${ids[k]!.producerEpoch})`)
        .join(', ')
      resentUnderNewEpoch.push(`${value} of producer ${ids[0]!.producerId} at ${where}`)
    } else duplicated.push(`${value} is in the log ${n} times`)
  }
  for (let k = outOfOrderValues.length - 1; k >= 0; k--) {
    if (resent.has(outOfOrderValues[k]!)) outOfOrder.splice(k, 1)
  }
  const deliveredValues = new Set<string>()
  if (delivered) {
    for (const d of delivered) {
      const m = at.get(`${d.partition}@${d.offset}`)
      if (m && m.value !== d.value)
        inconsistent.push(`group got ${d.value} at ${d.partition}@${d.offset}, the log has ${m.value}`)
      if (d.value !== null) deliveredValues.add(d.value)
    }
  }
  const ackTimes: number[] = []
  let acknowledged = 0
  for (const r of reports) {
    for (const a of r.acked) {
      acknowledged++
      ackTimes.push(a.at)
      const want = `${a.key}:${a.seq}`
      const m = at.get(`${a.partition}@${a.offset}`)
      if (!m) lost.push(`${r.name}: acknowledged ${want} at ${a.partition}@${a.offset} is not in the log`)
      else if (m.value !== want)
        lost.push(
          `${r.name}: acknowledged ${want} at ${a.partition}@${a.offset}, but the log has ${m.value} there`,
        )
      if (delivered && !deliveredValues.has(want))
        notDelivered.push(`${r.name}: ${want} (${a.partition}@${a.offset})`)
    }
  }
  // (no Math.min(...xs): a long run's millions of elements overflow the stack as arguments)
  const from = window?.from ?? ackTimes.reduce((m, t) => Math.min(m, t), Infinity)
  const to = window?.to ?? ackTimes.reduce((m, t) => Math.max(m, t), -Infinity)
  const produceGap = ackTimes.length ? longestGap(ackTimes, from, to) : { ms: to - from, at: from }
  const consumeGap = delivered?.length
    ? longestGap(
        delivered.map((d) => d.at ?? 0),
        from,
        Math.min(
          to,
          delivered.reduce((m, d) => Math.max(m, d.at ?? 0), 0),
        ),
      )
    : { ms: 0, at: from }
  const clientProblems = reports.flatMap((r) => r.problems.map((p) => `${r.name}: ${p}`))
  const failedSends = reports.reduce((n, r) => n + r.failed, 0)
  const problems = [
    ...lost.map((x) => `LOST ${x}`),
    ...duplicated.map((x) => `DUPLICATE ${x}`),
    ...outOfOrder.map((x) => `ORDER ${x}`),
    ...notDelivered.map((x) => `NOT DELIVERED ${x}`),
    ...inconsistent.map((x) => `INCONSISTENT ${x}`),
  ]
  const summary =
    `${acknowledged} acknowledged (${reports.map((r) => `${r.name} ${r.acked.length}/${r.sent} sent, ${r.failed} failed`).join('; ')}), ` +
    `${sorted.length} in the log, ${delivered?.length ?? 0} delivered to the group; ` +
    `lost ${lost.length}, duplicated ${duplicated.length}, out of order ${outOfOrder.length}, not delivered ${notDelivered.length}` +
    (resentUnderNewEpoch.length
      ? ` (re-sent by a client under a new producer epoch: ${resentUnderNewEpoch.join('; ')})`
      : '') +
    '; ' +
    `longest time without an acknowledgement ${produceGap.ms} ms (from ${new Date(produceGap.at).toISOString()}), ` +
    `without a delivery ${consumeGap.ms} ms`
  return {
    acknowledged,
    inLog: sorted.length,
    delivered: delivered?.length ?? 0,
    lost,
    duplicated,
    resentUnderNewEpoch,
    outOfOrder,
    notDelivered,
    inconsistent,
    longestProducePauseMs: produceGap.ms,
    longestProducePauseAt: produceGap.at,
    longestConsumePauseMs: consumeGap.ms,
    failedSends,
    clientProblems,
    problems,
    summary,
  }
}

export interface CheckerOptions {
  readonly bootstrap: readonly string[]
  readonly topic: string
  readonly partitions: number
  /** Which producers run (default both). */
  readonly producers?: ReadonlyArray<'kafkajs' | 'librdkafka'>
  /** Run a consumer group alongside (default true). */
  readonly group?: boolean
  /** Extra librdkafka properties for its producer. */
  readonly librdkafkaConfig?: Record<string, string | number | boolean>
  /** librdkafka messages per second (default 400). */
  readonly rate?: number
  /** Both producers' request timeout (default: kafkajs 10 s, librdkafka its script's socket.timeout.ms 10 s), and the group member's (default kafkajs's 30 s). */
  readonly requestTimeoutMs?: number
  /** The librdkafka producer gives up by itself after this long (default 240 s): set it above a long run. */
  readonly maxSeconds?: number
  /**
   * The brokers' log directories (asked at stop()): with them, a value in the log twice under two epochs of one
   * producer is judged as the client's re-send (producerLookup), not as a DUPLICATE.
   */
  readonly logDirs?: () => readonly string[]
}

/** Producers and a consumer group on one topic, started together, judged together. */
export class Checker {
  readonly producers: CheckedProducer[]
  readonly group: GroupConsumer | undefined
  private startedAt = 0
  private readonly probes: Ack[] = []

  constructor(readonly opts: CheckerOptions) {
    const kinds = opts.producers ?? ['kafkajs', 'librdkafka']
    this.producers = kinds.map((k) =>
      k === 'kafkajs'
        ? new KafkajsProducer({
            bootstrap: opts.bootstrap,
            topic: opts.topic,
            prefix: 'js',
            partitions: opts.partitions,
            requestTimeoutMs: opts.requestTimeoutMs,
          })
        : new LibrdkafkaProducer({
            bootstrap: opts.bootstrap,
            topic: opts.topic,
            prefix: 'rd',
            // SAMSA_CHECKER_LIBRDKAFKA_DEBUG=metadata,eos,broker,topic: librdkafka's debug output into its log
            config: process.env.SAMSA_CHECKER_LIBRDKAFKA_DEBUG
              ? { debug: process.env.SAMSA_CHECKER_LIBRDKAFKA_DEBUG, ...opts.librdkafkaConfig }
              : opts.librdkafkaConfig,
            rate: opts.rate,
            requestTimeoutMs: opts.requestTimeoutMs,
            maxSeconds: opts.maxSeconds,
          }),
    )
    this.group =
      (opts.group ?? true)
        ? new GroupConsumer(opts.bootstrap, opts.topic, uniqueName('checker'), opts.requestTimeoutMs)
        : undefined
  }

  static async start(opts: CheckerOptions): Promise<Checker> {
    const c = new Checker(opts)
    c.startedAt = Date.now()
    for (const p of c.producers) p.start()
    await c.group?.start()
    return c
  }

  /** An acknowledgement the test got by itself (a raw acks=all write); judged with the producers' ones. */
  recordAck(ack: Ack): void {
    this.probes.push(ack)
  }

  /** Acknowledged so far, per producer. */
  progress(): Record<string, number> {
    return Object.fromEntries(this.producers.map((p) => [p.name, p.acked()]))
  }

  /**
   * Waits until every producer (or those named in `only`) has `n` more acknowledgements than now (and, with
   * `everyPartition`, some on every partition): the sign that service came back after a fault. Returns how long it
   * took.
   */
  async waitForProgress(
    what: string,
    n: number,
    opts: {
      timeoutMs?: number
      everyPartition?: boolean
      only?: ReadonlyArray<'kafkajs' | 'librdkafka'>
    } = {},
  ): Promise<number> {
    const t0 = Date.now()
    const base = this.producers.map((p) => ({ total: p.acked(), parts: new Map(p.ackedPerPartition()) }))
    const only = opts.only
    const required = only === undefined ? 'every producer' : only.join(', ')
    await waitFor(
      `${what}: ${n} more acknowledgements from ${required}${opts.everyPartition ? ' on every partition' : ''}`,
      () =>
        this.producers.every((p, i) => {
          if (only !== undefined && !only.includes(p.name as 'kafkajs' | 'librdkafka')) return true
          if (p.acked() < base[i]!.total + n) return false
          if (!opts.everyPartition) return true
          const parts = p.ackedPerPartition()
          for (let q = 0; q < this.opts.partitions; q++)
            if ((parts.get(q) ?? 0) <= (base[i]!.parts.get(q) ?? 0)) return false
          return true
        }),
      { timeoutMs: opts.timeoutMs ?? 45_000, intervalMs: 200 },
    ).catch((e: Error) => {
      const now = this.producers.map(
        (p, i) =>
          `${p.name} ${base[i]!.total} -> ${p.acked()} (per partition ${JSON.stringify([...base[i]!.parts])} -> ${JSON.stringify([...p.ackedPerPartition()])})`,
      )
      throw new Error(`${e.message}; ${now.join('; ')}`, { cause: e })
    })
    return Date.now() - t0
  }

  /**
   * Stops the producers, lets the group catch up with everything acknowledged, reads the log back and judges.
   * `readFrom` is the bootstrap server the log is read back from (default the first).
   */
  async stop(readFrom = this.opts.bootstrap[0]!): Promise<Verdict> {
    const stoppedAt = Date.now()
    const reports = await Promise.all(this.producers.map((p) => p.stop()))
    if (this.probes.length)
      reports.push({ name: 'probes', acked: this.probes, failed: 0, sent: this.probes.length, problems: [] })
    const log = await readBack(readFrom, this.opts.topic, this.opts.partitions)
    if (this.group) {
      const want = new Set(reports.flatMap((r) => r.acked.map((a) => `${a.key}:${a.seq}`)))
      const has = (): boolean => {
        const got = new Set(this.group!.records.map((r) => r.value))
        for (const w of want) if (!got.has(w)) return false
        return true
      }
      await waitFor(
        'the group to have every acknowledged record',
        () => has() || this.group!.crash !== undefined,
        {
          timeoutMs: 60_000,
          intervalMs: 250,
        },
      ).catch(() => {})
      await this.group.stop()
    }
    const producerOf = this.opts.logDirs ? producerLookup(this.opts.logDirs, this.opts.topic) : undefined
    return judge(reports, log, this.group?.records, { from: this.startedAt, to: stoppedAt }, producerOf)
  }
}

/**
 * Whether every replica's .log bytes of a partition are identical up to `hw` (the leader's high watermark): the
 * description of the differences, or undefined when they are identical.
 */
export function replicaDivergence(
  replicas: ReadonlyArray<{ readonly id: number; readonly dataDir: string }>,
  leaderId: number,
  topic: string,
  partition: number,
  hw: number,
): string | undefined {
  const logs = replicas.map((b) => {
    try {
      return { id: b.id, bytes: logBytesUpTo(b.dataDir, topic, partition, hw), error: undefined }
    } catch (e) {
      return { id: b.id, bytes: Buffer.alloc(0), error: (e as Error).message }
    }
  })
  const ref = logs.find((l) => l.id === leaderId)?.bytes ?? Buffer.alloc(0)
  if (ref.length > 0 && logs.every((l) => l.bytes.equals(ref))) return undefined
  return logs
    .map((l) => `broker ${l.id}: ${l.bytes.length} bytes${l.error ? ` (${l.error})` : ''}`)
    .join(', ')
}

/**
 * Waits until, for every partition of `topic`, every replica's log is byte-identical to the leader's up to the
 * leader's high watermark (asked of the leader's own listener). Throws with the differences after `timeoutMs`.
 */
export async function waitForIdenticalReplicas(
  cluster: Cluster,
  topic: string,
  partitions: number,
  timeoutMs = 30_000,
): Promise<void> {
  for (let p = 0; p < partitions; p++) {
    let last: string | undefined = 'not compared yet'
    await waitFor(
      `replicas of ${topic}-${p} byte-identical up to the high watermark`,
      async () => {
        const s = await cluster.partitionState(topic, p)
        if (!s || s.leader < 0) return false
        const hw = await highWatermarkOf(cluster.broker(s.leader), topic, p)
        const assigned = (await cluster.topicZnode(topic))?.partitions[String(p)] ?? []
        const replicas = cluster.brokers.filter((b) => assigned.includes(b.id))
        last = replicaDivergence(replicas, s.leader, topic, p, hw)
        return last === undefined
      },
      { timeoutMs, intervalMs: 250 },
    ).catch((e: Error) => {
      throw new Error(`${e.message}: ${last}`, { cause: e })
    })
  }
}
