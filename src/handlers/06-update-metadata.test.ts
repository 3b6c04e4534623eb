import { describe, expect, it } from 'vitest'
import type { BrokerConfig } from '../config/broker-config.js'
import { ErrorCode } from '../protocol/errors.js'
import type { MetadataCache } from '../services/metadata/metadata-cache.js'
import { DISABLED_AUTHORIZER } from '../services/security/authorizer.js'
import { updateMetadataHandler } from './06-update-metadata.js'
import { testRequestContext } from './test-context.js'

const ctx = (apiVersion: number) => testRequestContext(6, apiVersion)

const partition = (topicName: string, partitionIndex: number, offlineReplicas: number[]) => ({
  topicName,
  partitionIndex,
  controllerEpoch: 3,
  leader: 1,
  leaderEpoch: 4,
  isr: [1],
  zkVersion: 5,
  replicas: [1, 2],
  offlineReplicas,
})

describe('UpdateMetadata', () => {
  it("applies the offline replicas of each partition state; refuses an older controller's and a stale broker epoch", async () => {
    const applied: { epoch: number; parts: string[] }[] = []
    let lastEpoch = -1
    const cache = {
      brokers: new Map([[1, { epoch: 100 }]]),
      applyOfflineReplicas: (
        epoch: number,
        parts: Iterable<{ topic: string; partition: number; offlineReplicas: readonly number[] }>,
      ) => {
        if (epoch < lastEpoch) return false
        lastEpoch = epoch
        applied.push({
          epoch,
          parts: [...parts].map((p) => `${p.topic}-${p.partition}:${p.offlineReplicas.join()}`),
        })
        return true
      },
    } as unknown as MetadataCache
    const h = updateMetadataHandler({
      cache,
      authorizer: DISABLED_AUTHORIZER,
      config: { brokerId: 1 } as BrokerConfig,
    })
    const req = (controllerEpoch: number, brokerEpoch: number) => ({
      controllerId: 2,
      controllerEpoch,
      brokerEpoch,
      ungroupedPartitionStates: [partition('a', 0, [2])],
      topicStates: [
        { topicName: 'b', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitionStates: [partition('', 1, [2])] },
      ],
      liveBrokers: [],
    })
    const answer = async (v: number, r: ReturnType<typeof req>) =>
      ((await h.handle(r, ctx(v))) as { errorCode: number }).errorCode
    expect(await answer(7, req(3, 100))).toBe(ErrorCode.NONE)
    expect(applied.pop()).toEqual({ epoch: 3, parts: ['b-1:2'] })
    expect(await answer(4, req(3, -1))).toBe(ErrorCode.NONE) // v0-4: ungrouped, with topic names
    expect(applied.pop()).toEqual({ epoch: 3, parts: ['a-0:2'] })
    expect(await answer(3, req(3, -1))).toBe(ErrorCode.NONE) // no offline replicas before v4: nothing changes
    expect(applied.pop()).toEqual({ epoch: 3, parts: [] })
    expect(await answer(7, req(2, 100))).toBe(ErrorCode.STALE_CONTROLLER_EPOCH)
    expect(await answer(7, req(4, 99))).toBe(ErrorCode.STALE_BROKER_EPOCH)
    expect(applied).toEqual([])
  })
})
