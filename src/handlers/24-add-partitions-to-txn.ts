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
 * Authorization: v4+ (from brokers) needs ClusterAction on the cluster (else CLUSTER_AUTHORIZATION_FAILED); v0-3
 * needs Write on the transactional id (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED on every partition) and on each
 * topic — internal topics are never writable this way — (else TOPIC_AUTHORIZATION_FAILED, which fails the
 * transaction like an unknown partition).
 */
import type { AddPartitionsToTxnRequest } from '../protocol/messages/24-add-partitions-to-txn.js'
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode } from '../protocol/errors.js'
import type { Infer } from '../protocol/codec/schema.js'
import type { Services } from '../services/services.js'
import type { TopicPartition } from '../services/transaction/metadata.js'
import { verifyTransactionForBroker } from '../services/transaction/transports.js'
import { AclOperation, authorize, filterAuthorized, requireCluster, ResourceType } from './authz.js'
import { groupBy } from './common.js'
import { INTERNAL_TOPICS } from '../services/metadata/topic-admin.js'
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

export function addPartitionsToTxnHandler(
  d: Pick<Services, 'transactions' | 'cache' | 'authorizer'>,
): Handler {
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
    writable: (topic: string) => boolean = () => true,
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
    const failure = (tp: TopicPartition): number | null =>
      !writable(tp.topic)
        ? ErrorCode.TOPIC_AUTHORIZATION_FAILED
        : !exists(tp)
          ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
          : null
    if (partitions.some((tp) => failure(tp) !== null)) {
      return resultOf(
        t.transactionalId,
        partitions.map((tp) => ({ tp, errorCode: failure(tp) ?? ErrorCode.OPERATION_NOT_ATTEMPTED })),
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
        const txnId = req.v3AndBelowTransactionalId
        if (!authorize(d.authorizer, ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, txnId)) {
          const denied = partitionsOf(req.v3AndBelowTopics).map((tp) => ({
            tp,
            errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
          }))
          return { throttleTimeMs: 0, resultsByTopicV3AndBelow: resultOf(txnId, denied).topicResults }
        }
        const writable = filterAuthorized(
          d.authorizer,
          ctx,
          AclOperation.WRITE,
          ResourceType.TOPIC,
          req.v3AndBelowTopics.map((t) => t.name).filter((n) => !INTERNAL_TOPICS.has(n)),
        )
        const r = await handleOne(
          v,
          {
            transactionalId: txnId,
            producerId: req.v3AndBelowProducerId,
            producerEpoch: req.v3AndBelowProducerEpoch,
            verifyOnly: false,
            topics: req.v3AndBelowTopics,
          },
          (topic) => writable.has(topic),
        )
        return { throttleTimeMs: 0, resultsByTopicV3AndBelow: r.topicResults }
      }
      requireCluster(d.authorizer, ctx, AclOperation.CLUSTER_ACTION)
      const results = await Promise.all(req.transactions.map((t) => handleOne(v, t)))
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction: results }
    },
  })
}
