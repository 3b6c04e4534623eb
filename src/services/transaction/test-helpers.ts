/**
 * Fixtures for the transaction coordinator's tests (not used by the broker): an in-memory `__transaction_state`,
 * a manual clock and scheduler, producer ids from a counter, and a marker transport that records what was sent and
 * answers as told.
 */
import { ErrorCode } from '../../protocol/errors.js'
import { silentLogger } from '../../util/logger.js'
import { ManualClock, ManualScheduler } from '../../util/scheduler.js'
import { InMemoryGroupLogStore } from '../group/memory-log-store.js'
import { TransactionCoordinator } from './coordinator.js'
import type {
  MarkerDestination,
  TxnMarkerEntry,
  TxnMarkerTransport,
  WriteTxnMarkersOutcome,
} from './marker-channel.js'
import type { TopicPartition } from './metadata.js'
import type { TransactionConfig } from './state-manager.js'

export const TEST_TXN_CONFIG: TransactionConfig = {
  transactionalIdExpirationMs: 7 * 24 * 3600 * 1000,
  transactionMaxTimeoutMs: 900_000,
  transactionLogNumPartitions: 1,
  abortTimedOutTransactionsIntervalMs: 10_000,
  removeExpiredTransactionalIdsIntervalMs: 3600_000,
  requestTimeoutMs: 30_000,
  maxBatchBytes: 1_048_588,
}

/** Answers WriteTxnMarkers with NONE for every partition unless `respond` says otherwise. */
export class FakeMarkerTransport implements TxnMarkerTransport {
  readonly sent: { brokerId: number; markers: readonly TxnMarkerEntry[] }[] = []
  /** The error for a partition of a marker (NONE by default); 'disconnect' fails the whole request. */
  respond: (brokerId: number, m: TxnMarkerEntry, tp: TopicPartition) => number | 'disconnect' = () =>
    ErrorCode.NONE

  send(brokerId: number, markers: readonly TxnMarkerEntry[]): Promise<WriteTxnMarkersOutcome> {
    this.sent.push({ brokerId, markers })
    const errors = new Map<string, number>()
    for (const m of markers) {
      for (const tp of m.partitions) {
        const r = this.respond(brokerId, m, tp)
        if (r === 'disconnect') return Promise.resolve({ kind: 'disconnected', reason: 'test' })
        errors.set(`${m.producerId}/${tp.topic}/${tp.partition}`, r)
      }
    }
    return Promise.resolve({
      kind: 'response',
      errorFor: (producerId, tp) => errors.get(`${producerId}/${tp.topic}/${tp.partition}`),
    })
  }

  /** Every partition a marker was sent for, as "topic-partition:COMMIT|ABORT@epoch". */
  get markers(): string[] {
    return this.sent.flatMap((s) =>
      s.markers.flatMap((m) =>
        m.partitions.map((tp) => `${tp.topic}-${tp.partition}:${m.result}@${m.producerEpoch}`),
      ),
    )
  }
}

export interface TxnTestEnv {
  readonly c: TransactionCoordinator
  readonly clock: ManualClock
  readonly scheduler: ManualScheduler
  readonly store: InMemoryGroupLogStore
  readonly transport: FakeMarkerTransport
  /** Where each partition's marker goes (broker 1 by default). */
  destination: (tp: TopicPartition) => MarkerDestination
}

/** A started coordinator owning partition 0 of a one-partition `__transaction_state` at epoch `epoch`. */
export async function setupCoordinator(
  opts: {
    config?: Partial<TransactionConfig>
    store?: InMemoryGroupLogStore
    clock?: ManualClock
    epoch?: number
    firstProducerId?: number
  } = {},
): Promise<TxnTestEnv> {
  const clock = opts.clock ?? new ManualClock()
  const scheduler = new ManualScheduler(clock)
  const store = opts.store ?? new InMemoryGroupLogStore()
  const transport = new FakeMarkerTransport()
  let nextId = opts.firstProducerId ?? 1000
  const env: { destination: (tp: TopicPartition) => MarkerDestination } = {
    destination: () => ({ kind: 'leader', brokerId: 1 }),
  }
  const c = new TransactionCoordinator({
    brokerId: 1,
    config: { ...TEST_TXN_CONFIG, ...opts.config },
    logStore: store,
    producerIds: { generateProducerId: () => Promise.resolve(nextId++) },
    markerDestination: (tp) => env.destination(tp),
    markerTransport: transport,
    scheduler,
    logger: silentLogger,
  })
  c.startup(() => 1)
  await c.onElection(0, opts.epoch ?? 0)
  const out: TxnTestEnv = {
    c,
    clock,
    scheduler,
    store,
    transport,
    get destination() {
      return env.destination
    },
    set destination(f) {
      env.destination = f
    },
  }
  return out
}

/** Lets promise continuations (appends, marker responses) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r))
}
