/**
 * Shared fixtures for the group coordinator's tests (not used by the broker).
 */
import { ManualClock, ManualScheduler } from '../../util/scheduler.js'
import { encodeSubscription } from '../../protocol/messages/data/consumer-protocol.js'
import type { GroupCoordinatorConfigInput } from './config.js'
import { GroupCoordinator } from './coordinator.js'
import type { TopicsView } from './consumer/coordinator.js'
import { InMemoryGroupLogStore } from './memory-log-store.js'
import type { JoinGroupParams, Protocol, SyncGroupParams } from './types.js'

export interface TestEnv {
  readonly c: GroupCoordinator
  readonly clock: ManualClock
  readonly scheduler: ManualScheduler
  readonly store: InMemoryGroupLogStore
}

/** A started coordinator with one `__consumer_offsets` partition (0), already loaded. */
export async function setup(
  config: Partial<GroupCoordinatorConfigInput> = {},
  store: InMemoryGroupLogStore = new InMemoryGroupLogStore(),
  topics?: TopicsView,
): Promise<TestEnv> {
  const clock = new ManualClock()
  const scheduler = new ManualScheduler(clock)
  const c = new GroupCoordinator({
    config: { brokerId: 1, offsetsTopicNumPartitions: 1, groupInitialRebalanceDelayMs: 0, ...config },
    logStore: store,
    scheduler,
    ...(topics === undefined ? {} : { topics }),
  })
  c.startup()
  await c.onElection(0, 0)
  await scheduler.advance(0) // the first offset-expiration pass, due at start-up
  return { c, clock, scheduler, store }
}

/** Lets promise continuations (appends, callbacks) run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

export function subscription(topics: readonly string[]): Buffer {
  return encodeSubscription({ topics, ownedPartitions: [] })
}

export function protocols(...names: string[]): Protocol[] {
  return names.map((name) => ({ name, metadata: subscription(['t1']) }))
}

export function joinParams(over: Partial<JoinGroupParams> = {}): JoinGroupParams {
  return {
    groupId: 'g',
    memberId: '',
    groupInstanceId: null,
    requireKnownMemberId: false,
    supportSkippingAssignment: false,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    rebalanceTimeoutMs: 60_000,
    sessionTimeoutMs: 10_000,
    protocolType: 'consumer',
    protocols: protocols('range'),
    reason: null,
    ...over,
  }
}

export function syncParams(over: Partial<SyncGroupParams> = {}): SyncGroupParams {
  return {
    groupId: 'g',
    generationId: 1,
    memberId: '',
    groupInstanceId: null,
    protocolType: null,
    protocolName: null,
    assignments: [],
    ...over,
  }
}

/** Wraps a promise so that a test can see whether it has settled yet. */
export function track<T>(p: Promise<T>): {
  readonly done: boolean
  readonly value: T | undefined
  readonly promise: Promise<T>
} {
  const state = { done: false, value: undefined as T | undefined, promise: p }
  void p.then((v) => {
    state.done = true
    state.value = v
  })
  return state
}
