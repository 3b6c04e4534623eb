/**
 * AddPartitionsToTxn (24), v0-5 (KafkaApis.handleAddPartitionsToTxnRequest). Versions 0-3 come from producers:
 * one transaction, whose partitions are added to it before the producer writes to them. Versions 4+ come from
 * brokers: a batch of transactions, each either added (verifyOnly false) or — KIP-890 — only checked: the
 * partition leader asks whether the partitions are already in the transaction (see partition-verifier.ts).
 *
 * A partition the metadata does not know fails its whole transaction: UNKNOWN_TOPIC_OR_PARTITION for it,
 * OPERATION_NOT_ATTEMPTED for the others. Otherwise every partition gets the coordinator's answer.
 * Version notes: v2 may answer PRODUCER_FENCED (v0-1 get INVALID_PRODUCER_EPOCH); v3 flexible; v4 batches and
 * a top-level error code; v5 may answer TRANSACTION_ABORTABLE (older versions get INVALID_TXN_STATE).
 * Not implemented: authorization (TransactionalId Write for v0-3, Cluster ClusterAction for v4+).
 */
import type { AddPartitionsToTxnRequest } from '../protocol/messages/24-add-partitions-to-txn.js'
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode } from '../protocol/errors.js'
import type { Infer } from '../protocol/codec/schema.js'
import type { Services } from '../services/services.js'
import type { TopicPartition } from '../services/transaction/metadata.js'
import { verifyTransactionForBroker } from '../services/transaction/transports.js'
import { groupBy } from './common.js'
import { defineHandler, type Handler } from './handler.js'

export const AddPartitionsToTxnApi = Apis.AddPartitionsToTxn

type Topics = Infer<typeof AddPartitionsToTxnRequest>['v3AndBelowTopics']

interface TxnResult {
  readonly transactionalId: string
  readonly topicResults: {
    name: string
    resultsByPartition: { partitionIndex: number; partitionErrorCode: number }[]
  }[]
}

function partitionsOf(topics: Topics): TopicPartition[] {
  const seen = new Set<string>()
  const out: TopicPartition[] = []
  for (const t of topics) {
    for (const partition of t.partitions) {
      const k = `${t.name}\u0000${partition}`
      if (seen.has(k)) continue
      seen.add(k)
      out.push({ topic: t.name, partition })
    }
  }
  return out
}

function resultOf(
  transactionalId: string,
  errors: readonly { tp: TopicPartition; errorCode: number }[],
): TxnResult {
  return {
    transactionalId,
    topicResults: [...groupBy(errors, (e) => e.tp.topic)].map(([name, list]) => ({
      name,
      resultsByPartition: list.map((e) => ({
        partitionIndex: e.tp.partition,
        partitionErrorCode: e.errorCode,
      })),
    })),
  }
}

export function addPartitionsToTxnHandler(d: Pick<Services, 'transactions' | 'cache'>): Handler {
  const exists = (tp: TopicPartition): boolean => d.cache.partition(tp.topic, tp.partition) !== undefined

  const handleOne = async (
    version: number,
    t: {
      transactionalId: string
      producerId: number
      producerEpoch: number
      verifyOnly: boolean
      topics: Topics
    },
  ): Promise<TxnResult> => {
    const partitions = partitionsOf(t.topics)
    if (t.verifyOnly) {
      const errors = verifyTransactionForBroker(d.transactions, exists, { ...t, partitions })
      // brokers sending v4 do not know TRANSACTION_ABORTABLE
      const compatible =
        version < 5
          ? errors.map((e) =>
              e.errorCode === ErrorCode.TRANSACTION_ABORTABLE
                ? { ...e, errorCode: ErrorCode.INVALID_TXN_STATE }
                : e,
            )
          : errors
      return resultOf(t.transactionalId, compatible)
    }
    const missing = partitions.filter((tp) => !exists(tp))
    if (missing.length > 0) {
      return resultOf(
        t.transactionalId,
        partitions.map((tp) => ({
          tp,
          errorCode: missing.includes(tp)
            ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
            : ErrorCode.OPERATION_NOT_ATTEMPTED,
        })),
      )
    }
    let error = await d.transactions.handleAddPartitionsToTransaction(
      t.transactionalId,
      t.producerId,
      t.producerEpoch,
      partitions,
    )
    // clients of older versions do not know these codes
    if (version < 2 && error === ErrorCode.PRODUCER_FENCED) error = ErrorCode.INVALID_PRODUCER_EPOCH
    else if (version < 5 && error === ErrorCode.TRANSACTION_ABORTABLE) error = ErrorCode.INVALID_TXN_STATE
    return resultOf(
      t.transactionalId,
      partitions.map((tp) => ({ tp, errorCode: error })),
    )
  }

  return defineHandler(AddPartitionsToTxnApi, {
    async handle(req, ctx) {
      const v = ctx.apiVersion
      if (v < 4) {
        const r = await handleOne(v, {
          transactionalId: req.v3AndBelowTransactionalId,
          producerId: req.v3AndBelowProducerId,
          producerEpoch: req.v3AndBelowProducerEpoch,
          verifyOnly: false,
          topics: req.v3AndBelowTopics,
        })
        return { throttleTimeMs: 0, resultsByTopicV3AndBelow: r.topicResults }
      }
      const results = await Promise.all(req.transactions.map((t) => handleOne(v, t)))
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction: results }
    },
  })
}
