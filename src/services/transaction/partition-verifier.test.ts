import { describe, expect, it } from 'vitest'
import { ErrorCode } from '../../protocol/errors.js'
import { silentLogger } from '../../util/logger.js'
import {
  AddPartitionsToTxnManager,
  type VerificationTransport,
  type VerifyOutcome,
  type VerifyTransactionData,
} from './partition-verifier.js'

const tp = (topic: string, partition: number) => ({ topic, partition })

/** Holds every request until `answer` is called; records what was sent. */
class HeldTransport implements VerificationTransport {
  readonly sent: { brokerId: number; txns: readonly VerifyTransactionData[] }[] = []
  private pending: ((o: VerifyOutcome) => void)[] = []
  send(brokerId: number, txns: readonly VerifyTransactionData[]): Promise<VerifyOutcome> {
    this.sent.push({ brokerId, txns })
    return new Promise((resolve) => this.pending.push(resolve))
  }
  answer(o: (txns: readonly VerifyTransactionData[]) => VerifyOutcome): void {
    const i = this.sent.length - this.pending.length
    const txns = this.sent[i]!.txns
    this.pending.shift()!(o(txns))
  }
}

const tick = () => new Promise((r) => setImmediate(r))

function setup(coordinator: { brokerId: number } | { error: number } = { brokerId: 2 }) {
  const transport = new HeldTransport()
  const m = new AddPartitionsToTxnManager({
    coordinatorFor: () => coordinator,
    transport,
    logger: silentLogger,
  })
  return { m, transport }
}

const respond =
  (code: (tpi: { topic: string; partition: number }) => number) =>
  (txns: readonly VerifyTransactionData[]): VerifyOutcome => ({
    kind: 'response',
    errorCode: 0,
    results: new Map(
      txns.map((t) => [t.transactionalId, t.partitions.map((p) => ({ tp: p, errorCode: code(p) }))]),
    ),
  })

describe('AddPartitionsToTxnManager (KIP-890 verification)', () => {
  it('batches verifications per coordinator, one request in flight, and maps the answers for old clients', async () => {
    const { m, transport } = setup()
    const a = m.verifyTransaction('a', 1, 0, [tp('t', 0), tp('t', 1)], false)
    const b = m.verifyTransaction('b', 2, 0, [tp('t', 0)], true)
    await tick()
    expect(transport.sent).toHaveLength(1)
    expect(transport.sent[0]!.txns.map((t) => t.transactionalId)).toEqual(['a', 'b'])
    const c = m.verifyTransaction('c', 3, 0, [tp('t', 2)], false)
    await tick()
    expect(transport.sent).toHaveLength(1) // waits for the one in flight
    transport.answer(respond((p) => (p.partition === 1 ? ErrorCode.TRANSACTION_ABORTABLE : ErrorCode.NONE)))
    expect([...(await a).values()]).toEqual([ErrorCode.INVALID_TXN_STATE]) // Produce < v11
    expect((await b).size).toBe(0)
    await tick()
    expect(transport.sent).toHaveLength(2)
    transport.answer(respond(() => ErrorCode.PRODUCER_FENCED))
    expect([...(await c).values()]).toEqual([ErrorCode.INVALID_PRODUCER_EPOCH])
  })

  it('a newer epoch of a queued transactional id replaces the older one, which is fenced', async () => {
    const { m, transport } = setup()
    const first = m.verifyTransaction('a', 1, 0, [tp('t', 0)], false)
    const second = m.verifyTransaction('a', 1, 1, [tp('t', 0)], false)
    const stale = m.verifyTransaction('a', 1, 0, [tp('t', 0)], false)
    // a retry with the same epoch while `second` is still queued replaces it too
    const retry = m.verifyTransaction('a', 1, 1, [tp('t', 0)], false)
    expect([...(await first).values()]).toEqual([ErrorCode.INVALID_PRODUCER_EPOCH])
    expect([...(await stale).values()]).toEqual([ErrorCode.INVALID_PRODUCER_EPOCH])
    expect([...(await second).values()]).toEqual([ErrorCode.NETWORK_EXCEPTION])
    await tick()
    expect(transport.sent).toHaveLength(1)
    transport.answer(respond(() => ErrorCode.NONE))
    expect((await retry).size).toBe(0)
  })

  it('no coordinator, lost connections, top-level errors and brokers without verification', async () => {
    expect([
      ...(
        await setup({ error: ErrorCode.COORDINATOR_NOT_AVAILABLE }).m.verifyTransaction(
          'a',
          1,
          0,
          [tp('t', 0)],
          false,
        )
      ).values(),
    ]).toEqual([ErrorCode.COORDINATOR_NOT_AVAILABLE])
    const { m, transport } = setup()
    const lost = m.verifyTransaction('a', 1, 0, [tp('t', 0)], false)
    await tick()
    transport.answer(() => ({ kind: 'disconnected', reason: 'test' }))
    expect([...(await lost).values()]).toEqual([ErrorCode.NETWORK_EXCEPTION])
    const denied = m.verifyTransaction('a', 1, 0, [tp('t', 0)], false)
    await tick()
    transport.answer(() => ({
      kind: 'response',
      errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
      results: new Map(),
    }))
    expect([...(await denied).values()]).toEqual([ErrorCode.INVALID_TXN_STATE])
    const old = m.verifyTransaction('a', 1, 0, [tp('t', 0)], false)
    await tick()
    transport.answer(() => ({ kind: 'unsupported' }))
    expect((await old).size).toBe(0)
  })
})
