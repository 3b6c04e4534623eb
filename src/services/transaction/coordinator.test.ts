import { describe, expect, it } from 'vitest'
import { ErrorCode } from '../../protocol/errors.js'
import { decodeTransactionLogValue } from '../../protocol/messages/data/transaction-log.js'
import { readTxnRecordKey } from './log-records.js'
import { MAX_PRODUCER_EPOCH, TransactionMetadata } from './metadata.js'
import { settle, setupCoordinator, type TxnTestEnv } from './test-helpers.js'

const tp = (topic: string, partition: number) => ({ topic, partition })

/** The states written to the log, in order, as "id:State@epoch". */
function written(env: TxnTestEnv): string[] {
  return env.store.records(0).map((r) => {
    const key = readTxnRecordKey(r.key!)
    const id = 'transactionalId' in key ? key.transactionalId : '?'
    const v = decodeTransactionLogValue(r.value)
    if (v === null) return `${id}:tombstone`
    const names = [
      'Empty',
      'Ongoing',
      'PrepareCommit',
      'PrepareAbort',
      'CompleteCommit',
      'CompleteAbort',
      'Dead',
      'PrepareEpochFence',
    ]
    return `${id}:${names[v.value.transactionStatus]}@${v.value.producerEpoch}`
  })
}

async function initAndBegin(env: TxnTestEnv, id = 'tx', partitions = [tp('t', 0), tp('t', 1)]) {
  const init = await env.c.handleInitProducerId(id, 60_000)
  expect(init.error).toBe(ErrorCode.NONE)
  const add = await env.c.handleAddPartitionsToTransaction(
    id,
    init.producerId,
    init.producerEpoch,
    partitions,
  )
  expect(add).toBe(ErrorCode.NONE)
  return init
}

describe('TransactionCoordinator: InitProducerId', () => {
  it('gives idempotent producers a new id with epoch 0 and writes nothing', async () => {
    const env = await setupCoordinator()
    expect(await env.c.handleInitProducerId(null, 0)).toEqual({
      error: 0,
      producerId: 1000,
      producerEpoch: 0,
    })
    expect(await env.c.handleInitProducerId(null, 0)).toEqual({
      error: 0,
      producerId: 1001,
      producerEpoch: 0,
    })
    expect(env.store.records(0)).toHaveLength(0)
  })

  it('creates a transactional id at epoch 0, then bumps the epoch on every init (fencing older producers)', async () => {
    const env = await setupCoordinator()
    expect(await env.c.handleInitProducerId('tx', 60_000)).toEqual({
      error: 0,
      producerId: 1000,
      producerEpoch: 0,
    })
    expect(await env.c.handleInitProducerId('tx', 60_000)).toEqual({
      error: 0,
      producerId: 1000,
      producerEpoch: 1,
    })
    expect(written(env)).toEqual(['tx:Empty@0', 'tx:Empty@1'])
    // the fenced producer (epoch 0) can no longer add partitions
    expect(await env.c.handleAddPartitionsToTransaction('tx', 1000, 0, [tp('t', 0)])).toBe(
      ErrorCode.PRODUCER_FENCED,
    )
  })

  it('refuses an empty transactional id and timeouts out of (0, transaction.max.timeout.ms]', async () => {
    const env = await setupCoordinator()
    expect((await env.c.handleInitProducerId('', 1000)).error).toBe(ErrorCode.INVALID_REQUEST)
    expect((await env.c.handleInitProducerId('tx', 0)).error).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT)
    expect((await env.c.handleInitProducerId('tx', 900_001)).error).toBe(
      ErrorCode.INVALID_TRANSACTION_TIMEOUT,
    )
    expect((await env.c.handleInitProducerId('tx', 900_000)).error).toBe(ErrorCode.NONE)
  })

  it('KIP-360: continues with the expected epoch, repeats a bump whose answer was lost, fences anything else', async () => {
    const env = await setupCoordinator()
    const first = await env.c.handleInitProducerId('tx', 60_000)
    const bumped = await env.c.handleInitProducerId('tx', 60_000, {
      producerId: first.producerId,
      producerEpoch: 0,
    })
    expect(bumped).toEqual({ error: 0, producerId: 1000, producerEpoch: 1 })
    // a retry of that bump (the producer never saw the answer) gets the same epoch again
    expect(await env.c.handleInitProducerId('tx', 60_000, { producerId: 1000, producerEpoch: 0 })).toEqual({
      error: 0,
      producerId: 1000,
      producerEpoch: 1,
    })
    expect(
      (await env.c.handleInitProducerId('tx', 60_000, { producerId: 1000, producerEpoch: 7 })).error,
    ).toBe(ErrorCode.PRODUCER_FENCED)
    expect((await env.c.handleInitProducerId('tx', 60_000, { producerId: 55, producerEpoch: 1 })).error).toBe(
      ErrorCode.PRODUCER_FENCED,
    )
  })

  it('rotates to a new producer id once the epochs are exhausted', async () => {
    const env = await setupCoordinator()
    await env.c.handleInitProducerId('tx', 60_000)
    const md = env.c.stateManager.getTransactionState('tx').found!.metadata
    md.producerEpoch = MAX_PRODUCER_EPOCH - 1
    expect(await env.c.handleInitProducerId('tx', 60_000)).toEqual({
      error: 0,
      producerId: 1001,
      producerEpoch: 0,
    })
  })

  it('aborts the open transaction of a fenced producer and asks the new one to retry', async () => {
    const env = await setupCoordinator()
    const old = await initAndBegin(env)
    const fence = await env.c.handleInitProducerId('tx', 60_000)
    expect(fence.error).toBe(ErrorCode.CONCURRENT_TRANSACTIONS)
    await settle()
    // the abort markers carry the bumped epoch, so the zombie's late writes are refused by the partitions
    expect(env.transport.markers.sort()).toEqual(['t-0:ABORT@1', 't-1:ABORT@1'])
    expect(written(env)).toEqual(['tx:Empty@0', 'tx:Ongoing@0', 'tx:PrepareAbort@1', 'tx:CompleteAbort@1'])
    const retry = await env.c.handleInitProducerId('tx', 60_000)
    expect(retry).toEqual({ error: 0, producerId: old.producerId, producerEpoch: 2 })
    expect(await env.c.handleEndTransaction('tx', old.producerId, old.producerEpoch, 'COMMIT')).toBe(
      ErrorCode.PRODUCER_FENCED,
    )
  })

  it('answers CONCURRENT_TRANSACTIONS while a transaction is being completed', async () => {
    const env = await setupCoordinator()
    const p = await initAndBegin(env)
    env.transport.respond = () => 'disconnect'
    expect(await env.c.handleEndTransaction('tx', p.producerId, p.producerEpoch, 'COMMIT')).toBe(
      ErrorCode.NONE,
    )
    expect((await env.c.handleInitProducerId('tx', 60_000)).error).toBe(ErrorCode.CONCURRENT_TRANSACTIONS)
    expect(
      await env.c.handleAddPartitionsToTransaction('tx', p.producerId, p.producerEpoch, [tp('u', 0)]),
    ).toBe(ErrorCode.CONCURRENT_TRANSACTIONS)
  })
})

describe('TransactionCoordinator: a transaction', () => {
  it('commits: PrepareCommit in the log, then the markers, then CompleteCommit', async () => {
    const env = await setupCoordinator()
    const p = await initAndBegin(env)
    expect(env.c.handleDescribeTransactions('tx')).toMatchObject({
      errorCode: 0,
      transactionState: 'Ongoing',
      producerId: p.producerId,
      topics: [{ topic: 't', partitions: [0, 1] }],
    })
    expect(await env.c.handleEndTransaction('tx', p.producerId, p.producerEpoch, 'COMMIT')).toBe(
      ErrorCode.NONE,
    )
    await settle()
    expect(env.transport.sent).toHaveLength(1)
    expect(env.transport.sent[0]!.markers[0]).toMatchObject({
      producerId: p.producerId,
      producerEpoch: 0,
      coordinatorEpoch: 0,
      result: 'COMMIT',
    })
    expect(written(env)).toEqual(['tx:Empty@0', 'tx:Ongoing@0', 'tx:PrepareCommit@0', 'tx:CompleteCommit@0'])
    expect(env.c.handleDescribeTransactions('tx')).toMatchObject({
      transactionState: 'CompleteCommit',
      topics: [],
    })
    // a retried EndTxn(commit) is answered without doing anything; abort after commit is a state error
    expect(await env.c.handleEndTransaction('tx', p.producerId, p.producerEpoch, 'COMMIT')).toBe(
      ErrorCode.NONE,
    )
    expect(await env.c.handleEndTransaction('tx', p.producerId, p.producerEpoch, 'ABORT')).toBe(
      ErrorCode.INVALID_TXN_STATE,
    )
  })

  it('adds partitions already in the transaction without writing', async () => {
    const env = await setupCoordinator()
    const p = await initAndBegin(env)
    const before = env.store.records(0).length
    expect(await env.c.handleAddPartitionsToTransaction('tx', p.producerId, 0, [tp('t', 1)])).toBe(
      ErrorCode.NONE,
    )
    expect(env.store.records(0)).toHaveLength(before)
    expect(await env.c.handleAddPartitionsToTransaction('tx', p.producerId, 0, [tp('u', 3)])).toBe(
      ErrorCode.NONE,
    )
    expect(env.store.records(0)).toHaveLength(before + 1)
  })

  it('refuses requests for unknown ids, other producer ids and wrong epochs', async () => {
    const env = await setupCoordinator()
    expect(await env.c.handleAddPartitionsToTransaction('nope', 1, 0, [tp('t', 0)])).toBe(
      ErrorCode.INVALID_PRODUCER_ID_MAPPING,
    )
    const p = await initAndBegin(env)
    expect(await env.c.handleAddPartitionsToTransaction('tx', p.producerId + 1, 0, [tp('t', 0)])).toBe(
      ErrorCode.INVALID_PRODUCER_ID_MAPPING,
    )
    expect(await env.c.handleEndTransaction('tx', p.producerId, 5, 'COMMIT')).toBe(ErrorCode.PRODUCER_FENCED)
    expect(await env.c.handleEndTransaction('', p.producerId, 0, 'COMMIT')).toBe(ErrorCode.INVALID_REQUEST)
    const empty = await env.c.handleInitProducerId('other', 1000)
    expect(await env.c.handleEndTransaction('other', empty.producerId, 0, 'COMMIT')).toBe(
      ErrorCode.INVALID_TXN_STATE,
    )
  })

  it('retries markers after retriable errors and lost connections, then completes', async () => {
    const env = await setupCoordinator()
    const p = await initAndBegin(env)
    let calls = 0
    env.transport.respond = (_b, _m, partition) => {
      calls++
      if (calls === 1) return 'disconnect'
      return partition.partition === 0 && calls < 5 ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.NONE
    }
    await env.c.handleEndTransaction('tx', p.producerId, 0, 'ABORT')
    await settle()
    expect(env.c.handleDescribeTransactions('tx').transactionState).toBe('PrepareAbort')
    for (let i = 0; i < 5; i++) {
      await env.scheduler.advance(100)
      await settle()
    }
    expect(env.c.handleDescribeTransactions('tx').transactionState).toBe('CompleteAbort')
    expect(env.c.markerChannel.numTxnsWithPendingMarkers).toBe(0)
  })

  it('skips partitions that no longer exist and waits for leaders that are not available', async () => {
    const env = await setupCoordinator()
    const p = await initAndBegin(env, 'tx', [tp('gone', 0), tp('t', 0)])
    let leaderUp = false
    env.destination = (x) =>
      x.topic === 'gone'
        ? { kind: 'unknown-partition' }
        : leaderUp
          ? { kind: 'leader', brokerId: 2 }
          : { kind: 'unavailable' }
    await env.c.handleEndTransaction('tx', p.producerId, 0, 'COMMIT')
    await settle()
    await env.scheduler.advance(100)
    await settle()
    expect(env.transport.sent).toHaveLength(0)
    leaderUp = true
    await env.scheduler.advance(100)
    await settle()
    expect(env.transport.sent.map((s) => s.brokerId)).toEqual([2])
    expect(env.c.handleDescribeTransactions('tx').transactionState).toBe('CompleteCommit')
  })

  it('gives up the markers of a transaction whose producer was fenced at the partition', async () => {
    const env = await setupCoordinator()
    const p = await initAndBegin(env)
    env.transport.respond = () => ErrorCode.INVALID_PRODUCER_EPOCH
    await env.c.handleEndTransaction('tx', p.producerId, 0, 'COMMIT')
    await settle()
    expect(env.c.markerChannel.numTxnsWithPendingMarkers).toBe(0)
    expect(env.c.handleDescribeTransactions('tx').transactionState).toBe('PrepareCommit')
  })

  it('reports a failed log write to the client and leaves the state unchanged', async () => {
    const env = await setupCoordinator()
    const p = await env.c.handleInitProducerId('tx', 60_000)
    env.store.failNextAppends(ErrorCode.NOT_ENOUGH_REPLICAS)
    expect(await env.c.handleAddPartitionsToTransaction('tx', p.producerId, 0, [tp('t', 0)])).toBe(
      ErrorCode.COORDINATOR_NOT_AVAILABLE,
    )
    env.store.failNextAppends(ErrorCode.NOT_LEADER_OR_FOLLOWER)
    expect(await env.c.handleAddPartitionsToTransaction('tx', p.producerId, 0, [tp('t', 0)])).toBe(
      ErrorCode.NOT_COORDINATOR,
    )
    expect(env.c.handleDescribeTransactions('tx').transactionState).toBe('Empty')
    expect(await env.c.handleAddPartitionsToTransaction('tx', p.producerId, 0, [tp('t', 0)])).toBe(
      ErrorCode.NONE,
    )
  })
})

describe('TransactionCoordinator: time', () => {
  it('aborts a transaction open longer than its timeout, with an epoch fence', async () => {
    const env = await setupCoordinator()
    const init = await env.c.handleInitProducerId('tx', 15_000)
    await env.c.handleAddPartitionsToTransaction('tx', init.producerId, 0, [tp('t', 0)])
    await env.scheduler.advance(10_000)
    await settle()
    expect(env.c.handleDescribeTransactions('tx').transactionState).toBe('Ongoing')
    await env.scheduler.advance(10_000)
    await settle()
    expect(env.transport.markers).toEqual(['t-0:ABORT@1'])
    expect(env.c.handleDescribeTransactions('tx')).toMatchObject({
      transactionState: 'CompleteAbort',
      producerEpoch: 1,
    })
    expect(await env.c.handleEndTransaction('tx', init.producerId, 0, 'COMMIT')).toBe(
      ErrorCode.PRODUCER_FENCED,
    )
  })

  it('expires transactional ids idle for transactional.id.expiration.ms with a tombstone', async () => {
    const env = await setupCoordinator({
      config: { transactionalIdExpirationMs: 5000, removeExpiredTransactionalIdsIntervalMs: 1000 },
    })
    await env.c.handleInitProducerId('old', 60_000)
    await env.scheduler.advance(3000)
    await env.c.handleInitProducerId('young', 60_000)
    await env.scheduler.advance(3000)
    await settle()
    expect(written(env)).toContain('old:tombstone')
    expect(written(env)).not.toContain('young:tombstone')
    expect(env.c.handleDescribeTransactions('old').errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND)
    expect(env.c.handleDescribeTransactions('young').errorCode).toBe(ErrorCode.NONE)
  })
})

describe('TransactionCoordinator: fail-over', () => {
  it('a new coordinator completes a transaction the previous one decided but did not finish', async () => {
    const first = await setupCoordinator()
    const p = await initAndBegin(first)
    first.transport.respond = () => 'disconnect'
    await first.c.handleEndTransaction('tx', p.producerId, 0, 'COMMIT')
    await settle()
    await first.c.shutdown()

    const second = await setupCoordinator({ store: first.store, epoch: 1, firstProducerId: 5000 })
    await settle()
    expect(second.transport.markers.sort()).toEqual(['t-0:COMMIT@0', 't-1:COMMIT@0'])
    expect(second.transport.sent[0]!.markers[0]!.coordinatorEpoch).toBe(1)
    expect(second.c.handleDescribeTransactions('tx')).toMatchObject({
      transactionState: 'CompleteCommit',
      producerId: p.producerId,
    })
    // the producer carries on with the next epoch of the same id
    expect(await second.c.handleInitProducerId('tx', 60_000)).toMatchObject({
      producerId: p.producerId,
      producerEpoch: 1,
    })
  })

  it('answers NOT_COORDINATOR after resigning and COORDINATOR_LOAD_IN_PROGRESS while loading', async () => {
    const env = await setupCoordinator()
    await env.c.handleInitProducerId('tx', 60_000)
    env.c.onResignation(0, 1)
    expect((await env.c.handleInitProducerId('tx', 60_000)).error).toBe(ErrorCode.NOT_COORDINATOR)
    const loading = env.c.onElection(0, 2)
    expect((await env.c.handleInitProducerId('tx', 60_000)).error).toBe(
      ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
    )
    expect(env.c.handleListTransactions(new Set(), new Set()).errorCode).toBe(
      ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
    )
    await loading
    expect(await env.c.handleInitProducerId('tx', 60_000)).toMatchObject({ error: 0, producerEpoch: 1 })
  })

  it('drops a write that completes after the partition was unloaded and loaded again', async () => {
    const env = await setupCoordinator()
    const p = await env.c.handleInitProducerId('tx', 60_000)
    env.store.hold()
    const add = env.c.handleAddPartitionsToTransaction('tx', p.producerId, 0, [tp('t', 0)])
    env.c.onResignation(0, 1)
    env.store.release()
    expect(await add).toBe(ErrorCode.NOT_COORDINATOR)
  })
})

describe('TransactionCoordinator: verification and admin views', () => {
  it('verifies which partitions a transaction includes (KIP-890)', async () => {
    const env = await setupCoordinator()
    const p = await initAndBegin(env, 'tx', [tp('t', 0)])
    const r = env.c.handleVerifyPartitionsInTransaction('tx', p.producerId, 0, [tp('t', 0), tp('t', 9)])
    expect([...r.values()]).toEqual([ErrorCode.NONE, ErrorCode.TRANSACTION_ABORTABLE])
    expect([
      ...env.c.handleVerifyPartitionsInTransaction('tx', p.producerId, 3, [tp('t', 0)]).values(),
    ]).toEqual([ErrorCode.PRODUCER_FENCED])
    expect([...env.c.handleVerifyPartitionsInTransaction('zz', 1, 0, [tp('t', 0)]).values()]).toEqual([
      ErrorCode.INVALID_PRODUCER_ID_MAPPING,
    ])
  })

  it('lists transactions with state, producer id and duration filters', async () => {
    const env = await setupCoordinator()
    const a = await initAndBegin(env, 'a')
    env.clock.advance(5000)
    const b = await env.c.handleInitProducerId('b', 60_000)
    const all = env.c.handleListTransactions(new Set(), new Set())
    expect(all.transactionStates.map((t) => `${t.transactionalId}:${t.transactionState}`).sort()).toEqual([
      'a:Ongoing',
      'b:Empty',
    ])
    const ongoing = env.c.handleListTransactions(new Set(), new Set(['Ongoing', 'Bogus']))
    expect(ongoing.transactionStates.map((t) => t.transactionalId)).toEqual(['a'])
    expect(ongoing.unknownStateFilters).toEqual(['Bogus'])
    expect(env.c.handleListTransactions(new Set([b.producerId]), new Set()).transactionStates).toEqual([
      { transactionalId: 'b', producerId: b.producerId, transactionState: 'Empty' },
    ])
    expect(
      env.c
        .handleListTransactions(new Set(), new Set(['Ongoing']), 4000)
        .transactionStates.map((t) => t.producerId),
    ).toEqual([a.producerId])
    expect(env.c.handleListTransactions(new Set(), new Set(['Ongoing']), 6000).transactionStates).toEqual([])
  })

  it('describes unknown ids as TRANSACTIONAL_ID_NOT_FOUND', async () => {
    const env = await setupCoordinator()
    expect(env.c.handleDescribeTransactions('x').errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND)
    expect(env.c.handleDescribeTransactions('').errorCode).toBe(ErrorCode.INVALID_REQUEST)
  })
})

describe('TransactionMetadata', () => {
  it('refuses a second change while one is pending and transitions that skip a state', () => {
    const md = new TransactionMetadata({
      transactionalId: 'x',
      producerId: 1,
      producerEpoch: 0,
      txnTimeoutMs: 1000,
      state: 'Empty',
      txnLastUpdateTimestamp: 0,
    })
    md.prepareAddPartitions([tp('t', 0)], 1)
    expect(() => md.prepareAddPartitions([tp('t', 1)], 2)).toThrow(/pending state/)
    md.pendingState = undefined
    expect(() => md.prepareAbortOrCommit('PrepareCommit', 3)).toThrow(/not a valid previous state/)
  })
})
