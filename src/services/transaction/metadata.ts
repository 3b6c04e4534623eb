/**
 * A transactional id's state as the transaction coordinator keeps it (Kafka 3.9's `TransactionMetadata`,
 * `TxnTransitMetadata`, `TransactionState`), and the state machine:
 *
 *   Empty ──AddPartitions/AddOffsets──▶ Ongoing ──EndTxn(commit)──▶ PrepareCommit ──markers──▶ CompleteCommit
 *                                          │    ──EndTxn(abort)───▶ PrepareAbort  ──markers──▶ CompleteAbort
 *                                          └──InitProducerId / timeout──▶ PrepareEpochFence ──▶ PrepareAbort
 *   Empty / CompleteCommit / CompleteAbort ──expiration──▶ Dead (removed from the cache)
 *
 * A change is made in two steps, as in Kafka: `prepare*` computes the target (a `TxnTransitMetadata`) and marks
 * it pending, which refuses any other change meanwhile; once the target has been written to `__transaction_state`
 * (acks=all), `completeTransitionTo` applies it. A failed write clears the pending state instead.
 *
 * This is the transaction.version 0 protocol (the only one in ZooKeeper mode): an EndTxn does not bump the epoch.
 */
import { ErrorCode } from '../../protocol/errors.js'

export const NO_PRODUCER_ID = -1
export const NO_PRODUCER_EPOCH = -1
/** Java's Short.MAX_VALUE: epochs stop at MAX-1 so that the coordinator can always fence with one more. */
export const MAX_PRODUCER_EPOCH = 32767

export type TransactionStateName =
  | 'Empty'
  | 'Ongoing'
  | 'PrepareCommit'
  | 'PrepareAbort'
  | 'CompleteCommit'
  | 'CompleteAbort'
  | 'Dead'
  | 'PrepareEpochFence'

interface StateInfo {
  /** The transaction_status byte of TransactionLogValue. */
  readonly id: number
  readonly validPreviousStates: readonly TransactionStateName[]
  /** Whether the transactional id may expire (transactional.id.expiration.ms) in this state. */
  readonly isExpirationAllowed: boolean
}

export const TRANSACTION_STATES: Readonly<Record<TransactionStateName, StateInfo>> = {
  Empty: {
    id: 0,
    validPreviousStates: ['Empty', 'CompleteCommit', 'CompleteAbort'],
    isExpirationAllowed: true,
  },
  Ongoing: {
    id: 1,
    validPreviousStates: ['Ongoing', 'Empty', 'CompleteCommit', 'CompleteAbort'],
    isExpirationAllowed: false,
  },
  PrepareCommit: { id: 2, validPreviousStates: ['Ongoing'], isExpirationAllowed: false },
  PrepareAbort: { id: 3, validPreviousStates: ['Ongoing', 'PrepareEpochFence'], isExpirationAllowed: false },
  CompleteCommit: { id: 4, validPreviousStates: ['PrepareCommit'], isExpirationAllowed: true },
  CompleteAbort: { id: 5, validPreviousStates: ['PrepareAbort'], isExpirationAllowed: true },
  Dead: {
    id: 6,
    validPreviousStates: ['Empty', 'CompleteAbort', 'CompleteCommit'],
    isExpirationAllowed: false,
  },
  PrepareEpochFence: { id: 7, validPreviousStates: ['Ongoing'], isExpirationAllowed: false },
}

const STATE_BY_ID = new Map<number, TransactionStateName>(
  Object.entries(TRANSACTION_STATES).map(([name, s]) => [s.id, name as TransactionStateName]),
)

/** The state of a transaction_status byte; an unknown id is a corrupt record (Kafka throws too). */
export function stateFromId(id: number): TransactionStateName {
  const s = STATE_BY_ID.get(id)
  if (s === undefined)
    throw new Error(`Unknown transaction state id ${id} from the transaction status message`)
  return s
}

export function isTransactionStateName(name: string): name is TransactionStateName {
  return Object.hasOwn(TRANSACTION_STATES, name)
}

export function isEpochExhausted(producerEpoch: number): boolean {
  return producerEpoch >= MAX_PRODUCER_EPOCH - 1
}

export interface TopicPartition {
  readonly topic: string
  readonly partition: number
}

const tpKey = (tp: TopicPartition): string => `${tp.topic}\u0000${tp.partition}`

/** A set of topic partitions, in insertion order. */
export class TopicPartitionSet implements Iterable<TopicPartition> {
  private readonly m = new Map<string, TopicPartition>()

  constructor(tps: Iterable<TopicPartition> = []) {
    for (const tp of tps) this.add(tp)
  }

  add(tp: TopicPartition): void {
    const k = tpKey(tp)
    if (!this.m.has(k)) this.m.set(k, { topic: tp.topic, partition: tp.partition })
  }
  delete(tp: TopicPartition): boolean {
    return this.m.delete(tpKey(tp))
  }
  has(tp: TopicPartition): boolean {
    return this.m.has(tpKey(tp))
  }
  clear(): void {
    this.m.clear()
  }
  get size(): number {
    return this.m.size
  }
  [Symbol.iterator](): Iterator<TopicPartition> {
    return this.m.values()
  }
  /** True when every partition of this set is in `other`. */
  isSubsetOf(other: TopicPartitionSet): boolean {
    for (const k of this.m.keys()) if (!other.m.has(k)) return false
    return true
  }
  equals(other: TopicPartitionSet): boolean {
    return this.size === other.size && this.isSubsetOf(other)
  }
  /** The partitions grouped by topic (topics in first-seen order). */
  byTopic(): Map<string, number[]> {
    const out = new Map<string, number[]>()
    for (const tp of this.m.values()) {
      const list = out.get(tp.topic)
      if (list) list.push(tp.partition)
      else out.set(tp.topic, [tp.partition])
    }
    return out
  }
  toString(): string {
    return `[${[...this.m.values()].map((tp) => `${tp.topic}-${tp.partition}`).join(', ')}]`
  }
}

/** The target of a state change (immutable). */
export interface TxnTransitMetadata {
  readonly producerId: number
  readonly lastProducerId: number
  readonly producerEpoch: number
  readonly lastProducerEpoch: number
  readonly txnTimeoutMs: number
  readonly txnState: TransactionStateName
  readonly topicPartitions: TopicPartitionSet
  readonly txnStartTimestamp: number
  readonly txnLastUpdateTimestamp: number
}

export function describeTransit(t: TxnTransitMetadata): string {
  return (
    `TxnTransitMetadata(producerId=${t.producerId}, lastProducerId=${t.lastProducerId}, producerEpoch=${t.producerEpoch}, ` +
    `lastProducerEpoch=${t.lastProducerEpoch}, txnTimeoutMs=${t.txnTimeoutMs}, txnState=${t.txnState}, ` +
    `topicPartitions=${t.topicPartitions.toString()}, txnStartTimestamp=${t.txnStartTimestamp}, ` +
    `txnLastUpdateTimestamp=${t.txnLastUpdateTimestamp})`
  )
}

/** An internal inconsistency of the state machine (Kafka's IllegalStateException): a bug, never a client error. */
export class IllegalTransactionStateError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'IllegalTransactionStateError'
  }
}

export interface TransactionMetadataInit {
  readonly transactionalId: string
  readonly producerId: number
  readonly lastProducerId?: number
  readonly producerEpoch: number
  readonly lastProducerEpoch?: number
  readonly txnTimeoutMs: number
  readonly state: TransactionStateName
  readonly topicPartitions?: Iterable<TopicPartition>
  readonly txnStartTimestamp?: number
  readonly txnLastUpdateTimestamp: number
}

export class TransactionMetadata {
  readonly transactionalId: string
  producerId: number
  lastProducerId: number
  producerEpoch: number
  lastProducerEpoch: number
  txnTimeoutMs: number
  state: TransactionStateName
  readonly topicPartitions: TopicPartitionSet
  txnStartTimestamp: number
  txnLastUpdateTimestamp: number
  /** The state a prepared change leads to, until it is completed or dropped. */
  pendingState: TransactionStateName | undefined = undefined
  /**
   * A fence (epoch bump) whose log write failed: the bumped epoch was never given out, so the next fence does
   * not bump again.
   */
  hasFailedEpochFence = false

  constructor(i: TransactionMetadataInit) {
    this.transactionalId = i.transactionalId
    this.producerId = i.producerId
    this.lastProducerId = i.lastProducerId ?? NO_PRODUCER_ID
    this.producerEpoch = i.producerEpoch
    this.lastProducerEpoch = i.lastProducerEpoch ?? NO_PRODUCER_EPOCH
    this.txnTimeoutMs = i.txnTimeoutMs
    this.state = i.state
    this.topicPartitions = new TopicPartitionSet(i.topicPartitions ?? [])
    this.txnStartTimestamp = i.txnStartTimestamp ?? -1
    this.txnLastUpdateTimestamp = i.txnLastUpdateTimestamp
  }

  get pendingTransitionInProgress(): boolean {
    return this.pendingState !== undefined
  }

  get isProducerEpochExhausted(): boolean {
    return isEpochExhausted(this.producerEpoch)
  }

  private get hasPendingTransaction(): boolean {
    return this.state === 'Ongoing' || this.state === 'PrepareAbort' || this.state === 'PrepareCommit'
  }

  addPartitions(partitions: Iterable<TopicPartition>): void {
    for (const tp of partitions) this.topicPartitions.add(tp)
  }

  /** A partition whose marker was written: only while the markers of a decided transaction are being sent. */
  removePartition(tp: TopicPartition): void {
    if (this.state !== 'PrepareCommit' && this.state !== 'PrepareAbort') {
      throw new IllegalTransactionStateError(
        `Transaction metadata's current state is ${this.state}, and its pending state is ${this.pendingState} ` +
          `while trying to remove partitions whose txn marker has been sent, this is not expected`,
      )
    }
    this.topicPartitions.delete(tp)
  }

  /** The current values as a target, without marking anything pending. */
  prepareNoTransit(): TxnTransitMetadata {
    return {
      producerId: this.producerId,
      lastProducerId: this.lastProducerId,
      producerEpoch: this.producerEpoch,
      lastProducerEpoch: this.lastProducerEpoch,
      txnTimeoutMs: this.txnTimeoutMs,
      txnState: this.state,
      topicPartitions: new TopicPartitionSet(this.topicPartitions),
      txnStartTimestamp: this.txnStartTimestamp,
      txnLastUpdateTimestamp: this.txnLastUpdateTimestamp,
    }
  }

  /** Bumps the epoch to fence the current producer (its open transaction is then aborted). */
  prepareFenceProducerEpoch(): TxnTransitMetadata {
    if (this.producerEpoch === MAX_PRODUCER_EPOCH) {
      throw new IllegalTransactionStateError(
        'Cannot fence producer with epoch equal to Short.MaxValue since this would overflow',
      )
    }
    const bumped = this.hasFailedEpochFence ? this.producerEpoch : this.producerEpoch + 1
    return this.prepareTransitionTo(
      'PrepareEpochFence',
      this.producerId,
      bumped,
      NO_PRODUCER_EPOCH,
      this.txnTimeoutMs,
      new TopicPartitionSet(this.topicPartitions),
      this.txnStartTimestamp,
      this.txnLastUpdateTimestamp,
    )
  }

  /**
   * InitProducerId of a known transactional id: the next epoch. With an expected epoch (KIP-360) the producer
   * continues after an error: the current epoch is bumped if it matches, a retry of a bump it did not hear about
   * gets the current epoch again, anything else is fenced (PRODUCER_FENCED).
   */
  prepareIncrementProducerEpoch(
    newTxnTimeoutMs: number,
    expectedProducerEpoch: number | undefined,
    updateTimestamp: number,
  ): { error: number } | { transit: TxnTransitMetadata } {
    if (this.isProducerEpochExhausted) {
      throw new IllegalTransactionStateError(
        `Cannot allocate any more producer epochs for producerId ${this.producerId}`,
      )
    }
    const bumped = this.producerEpoch + 1
    let next: number
    let last: number
    if (expectedProducerEpoch === undefined) {
      next = bumped
      last = NO_PRODUCER_EPOCH
    } else if (this.producerEpoch === NO_PRODUCER_EPOCH || expectedProducerEpoch === this.producerEpoch) {
      next = bumped
      last = this.producerEpoch
    } else if (expectedProducerEpoch === this.lastProducerEpoch) {
      next = this.producerEpoch
      last = this.lastProducerEpoch
    } else {
      return { error: ErrorCode.PRODUCER_FENCED }
    }
    return {
      transit: this.prepareTransitionTo(
        'Empty',
        this.producerId,
        next,
        last,
        newTxnTimeoutMs,
        new TopicPartitionSet(),
        -1,
        updateTimestamp,
      ),
    }
  }

  /** A new producer id once the epochs of the current one are exhausted. */
  prepareProducerIdRotation(
    newProducerId: number,
    newTxnTimeoutMs: number,
    updateTimestamp: number,
    recordLastEpoch: boolean,
  ): TxnTransitMetadata {
    if (this.hasPendingTransaction) {
      throw new IllegalTransactionStateError(
        'Cannot rotate producer ids while a transaction is still pending',
      )
    }
    return this.prepareTransitionTo(
      'Empty',
      newProducerId,
      0,
      recordLastEpoch ? this.producerEpoch : NO_PRODUCER_EPOCH,
      newTxnTimeoutMs,
      new TopicPartitionSet(),
      -1,
      updateTimestamp,
    )
  }

  prepareAddPartitions(added: Iterable<TopicPartition>, updateTimestamp: number): TxnTransitMetadata {
    const start =
      this.state === 'Empty' || this.state === 'CompleteAbort' || this.state === 'CompleteCommit'
        ? updateTimestamp
        : this.txnStartTimestamp
    const partitions = new TopicPartitionSet(this.topicPartitions)
    for (const tp of added) partitions.add(tp)
    return this.prepareTransitionTo(
      'Ongoing',
      this.producerId,
      this.producerEpoch,
      this.lastProducerEpoch,
      this.txnTimeoutMs,
      partitions,
      start,
      updateTimestamp,
    )
  }

  prepareAbortOrCommit(
    newState: 'PrepareCommit' | 'PrepareAbort',
    updateTimestamp: number,
  ): TxnTransitMetadata {
    return this.prepareTransitionTo(
      newState,
      this.producerId,
      this.producerEpoch,
      this.lastProducerEpoch,
      this.txnTimeoutMs,
      new TopicPartitionSet(this.topicPartitions),
      this.txnStartTimestamp,
      updateTimestamp,
    )
  }

  prepareComplete(updateTimestamp: number): TxnTransitMetadata {
    const newState = this.state === 'PrepareCommit' ? 'CompleteCommit' : 'CompleteAbort'
    // the decision is in the log: a fence that failed earlier no longer matters
    this.hasFailedEpochFence = false
    return this.prepareTransitionTo(
      newState,
      this.producerId,
      this.producerEpoch,
      this.lastProducerEpoch,
      this.txnTimeoutMs,
      new TopicPartitionSet(),
      this.txnStartTimestamp,
      updateTimestamp,
    )
  }

  prepareDead(): TxnTransitMetadata {
    return this.prepareTransitionTo(
      'Dead',
      this.producerId,
      this.producerEpoch,
      this.lastProducerEpoch,
      this.txnTimeoutMs,
      new TopicPartitionSet(),
      this.txnStartTimestamp,
      this.txnLastUpdateTimestamp,
    )
  }

  private prepareTransitionTo(
    newState: TransactionStateName,
    newProducerId: number,
    newEpoch: number,
    newLastEpoch: number,
    newTxnTimeoutMs: number,
    newTopicPartitions: TopicPartitionSet,
    newTxnStartTimestamp: number,
    updateTimestamp: number,
  ): TxnTransitMetadata {
    if (this.pendingState !== undefined) {
      throw new IllegalTransactionStateError(
        `Preparing transaction state transition to ${newState} while it already a pending state ${this.pendingState}`,
      )
    }
    if (newProducerId < 0) throw new IllegalTransactionStateError(`Illegal new producer id ${newProducerId}`)
    if (newState !== 'Dead' && newEpoch < 0)
      throw new IllegalTransactionStateError(`Illegal new producer epoch ${newEpoch}`)
    if (!TRANSACTION_STATES[newState].validPreviousStates.includes(this.state)) {
      throw new IllegalTransactionStateError(
        `Preparing transaction state transition to ${newState} failed since the target state ${newState} is not a ` +
          `valid previous state of the current state ${this.state}`,
      )
    }
    this.pendingState = newState
    return {
      producerId: newProducerId,
      lastProducerId: this.producerId,
      producerEpoch: newEpoch,
      lastProducerEpoch: newLastEpoch,
      txnTimeoutMs: newTxnTimeoutMs,
      txnState: newState,
      topicPartitions: newTopicPartitions,
      txnStartTimestamp: newTxnStartTimestamp,
      txnLastUpdateTimestamp: updateTimestamp,
    }
  }

  /**
   * Applies a prepared change once its record is in the log. Each kind of change may only alter what it is
   * meant to; anything else means the state machine is broken, and throws.
   */
  completeTransitionTo(t: TxnTransitMetadata): void {
    const toState = this.pendingState
    if (toState === undefined) {
      throw new IllegalTransactionStateError(
        `TransactionalId ${this.transactionalId} completing transaction state transition while it does not have a pending state`,
      )
    }
    if (toState !== t.txnState) this.throwStateTransitionFailure(t)
    switch (toState) {
      case 'Empty': // InitProducerId
        if (
          (this.producerEpoch !== t.producerEpoch && !this.validProducerEpochBump(t)) ||
          t.topicPartitions.size > 0 ||
          t.txnStartTimestamp !== -1
        )
          this.throwStateTransitionFailure(t)
        this.txnTimeoutMs = t.txnTimeoutMs
        this.producerEpoch = t.producerEpoch
        this.lastProducerEpoch = t.lastProducerEpoch
        this.producerId = t.producerId
        this.lastProducerId = t.lastProducerId
        break
      case 'Ongoing': // AddPartitions / AddOffsets
        if (
          !this.validProducerEpoch(t) ||
          !this.topicPartitions.isSubsetOf(t.topicPartitions) ||
          this.txnTimeoutMs !== t.txnTimeoutMs
        )
          this.throwStateTransitionFailure(t)
        this.txnStartTimestamp = t.txnStartTimestamp
        this.addPartitions(t.topicPartitions)
        break
      case 'PrepareAbort':
      case 'PrepareCommit': // EndTxn
        if (
          !this.validProducerEpoch(t) ||
          !this.topicPartitions.equals(t.topicPartitions) ||
          this.txnTimeoutMs !== t.txnTimeoutMs ||
          this.txnStartTimestamp !== t.txnStartTimestamp
        )
          this.throwStateTransitionFailure(t)
        break
      case 'CompleteAbort':
      case 'CompleteCommit': // all markers written
        if (!this.validProducerEpoch(t) || this.txnTimeoutMs !== t.txnTimeoutMs || t.txnStartTimestamp === -1)
          this.throwStateTransitionFailure(t)
        this.txnStartTimestamp = t.txnStartTimestamp
        this.topicPartitions.clear()
        break
      case 'PrepareEpochFence':
        // a fence goes straight on to PrepareAbort; it is never completed on its own
        this.throwStateTransitionFailure(t)
        break
      case 'Dead':
        throw new IllegalTransactionStateError(
          `TransactionalId ${this.transactionalId} is trying to complete a transition to Dead. This means that the ` +
            `transactionalId was being expired, and the only acceptable completion of this operation is to remove ` +
            `the transaction metadata from the cache, not to persist the Dead in the log.`,
        )
    }
    this.txnLastUpdateTimestamp = t.txnLastUpdateTimestamp
    this.pendingState = undefined
    this.state = toState
  }

  private validProducerEpoch(t: TxnTransitMetadata): boolean {
    return t.producerEpoch === this.producerEpoch && t.producerId === this.producerId
  }

  private validProducerEpochBump(t: TxnTransitMetadata): boolean {
    return (
      t.producerEpoch === this.producerEpoch + 1 ||
      (t.producerEpoch === 0 && t.producerId !== this.producerId)
    )
  }

  private throwStateTransitionFailure(t: TxnTransitMetadata): never {
    throw new IllegalTransactionStateError(
      `TransactionalId ${this.transactionalId} failed transition to state ${describeTransit(t)} due to unexpected ` +
        `metadata (current: ${this.toString()})`,
    )
  }

  toString(): string {
    return (
      `TransactionMetadata(transactionalId=${this.transactionalId}, producerId=${this.producerId}, ` +
      `producerEpoch=${this.producerEpoch}, txnTimeoutMs=${this.txnTimeoutMs}, state=${this.state}, ` +
      `pendingState=${this.pendingState ?? 'None'}, topicPartitions=${this.topicPartitions.toString()}, ` +
      `txnStartTimestamp=${this.txnStartTimestamp}, txnLastUpdateTimestamp=${this.txnLastUpdateTimestamp})`
    )
  }
}
