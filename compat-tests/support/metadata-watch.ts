/**
 * Watching what brokers tell clients about partition leaders during fail-overs:
 *  - `ZkStateHistory` records every (leader, leader epoch) a topic's partition state znodes went through, with the
 *    time it was seen;
 *  - `BrokerMetadataMonitor` asks every broker for the topic's Metadata over and over and reports any broker
 *    whose answers went back to an older leader epoch (a broker's view must only move forward);
 *  - `librdkafkaMetadataAnswers` + `staleLeaderAnswers` read a librdkafka client's `debug=metadata` log and find
 *    answers naming a leader the partition state had already replaced (what makes librdkafka stick to a dead
 *    leader).
 */
import zookeeper from 'node-zookeeper-client'
import { Apis } from '../../src/protocol/messages/index.js'
import { sleep } from './env.js'
import { RawConnection } from './raw.js'

export interface StateChange {
  /** When the test saw it (ms since the epoch). */
  readonly t: number
  readonly partition: number
  readonly leader: number
  readonly epoch: number
}

/** Polls the partition state znodes of `topic` (every `intervalMs`) and keeps every change. */
export class ZkStateHistory {
  readonly changes: StateChange[] = []
  private stopped = false
  private readonly client: zookeeper.Client
  private readonly done: Promise<void>

  constructor(zkConnect: string, topic: string, partitions: number, intervalMs = 20) {
    this.client = zookeeper.createClient(zkConnect, { sessionTimeout: 30_000, spinDelay: 200 })
    this.client.connect()
    const last = new Map<number, string>()
    this.done = (async () => {
      while (!this.stopped) {
        for (let p = 0; p < partitions; p++) {
          const s = await new Promise<{ leader: number; leader_epoch: number } | undefined>((resolve) => {
            this.client.getData(`/brokers/topics/${topic}/partitions/${p}/state`, (err, data) => {
              if (err || !data) return resolve(undefined)
              try {
                resolve(JSON.parse(data.toString('utf8')) as { leader: number; leader_epoch: number })
              } catch {
                resolve(undefined)
              }
            })
          })
          if (!s) continue
          const k = `${s.leader}/${s.leader_epoch}`
          if (last.get(p) === k) continue
          last.set(p, k)
          this.changes.push({ t: Date.now(), partition: p, leader: s.leader, epoch: s.leader_epoch })
        }
        await sleep(intervalMs)
      }
    })()
  }

  async stop(): Promise<StateChange[]> {
    this.stopped = true
    await this.done
    this.client.close()
    return this.changes
  }
}

export interface MetadataAnswer {
  /** When the client received it (ms since the epoch). */
  readonly t: number
  /** The broker that answered, as the client names it (host:port/id). */
  readonly from: string
  readonly partition: number
  readonly leader: number
}

/** The partition leaders of every Metadata response in a librdkafka `debug=metadata` log. */
export function librdkafkaMetadataAnswers(log: string, topic: string): MetadataAnswer[] {
  const out: MetadataAnswer[] = []
  let from = ''
  let t = 0
  const escaped = topic.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const partitionLine = new RegExp(
    `^%7\\|(\\d+\\.\\d+)\\|METADATA\\|.*Topic ${escaped} partition (\\d+) Leader (-?\\d+)`,
  )
  for (const l of log.split('\n')) {
    const h = /^%7\|(\d+\.\d+)\|METADATA\|.*\]: (\S+): ===== Received metadata/.exec(l)
    if (h) {
      t = Math.round(Number(h[1]) * 1000)
      from = h[2]!
      continue
    }
    const m = partitionLine.exec(l)
    if (m) out.push({ t, from, partition: Number(m[2]), leader: Number(m[3]) })
  }
  return out
}

/**
 * Answers naming a leader that the partition state had replaced more than `graceMs` before the answer arrived
 * (a broker a little behind ZooKeeper is normal; one answering with a superseded leader seconds later is not).
 */
export function staleLeaderAnswers(
  answers: readonly MetadataAnswer[],
  history: readonly StateChange[],
  graceMs = 500,
): string[] {
  const out: string[] = []
  for (const a of answers) {
    if (a.leader < 0) continue
    const before = history.filter((s) => s.partition === a.partition && s.t <= a.t)
    const cur = before[before.length - 1]
    if (!cur || cur.leader === a.leader) continue
    // The monitor polls: an answer ahead of it (the next change it saw, moments later) is not stale.
    const next = history.find((s) => s.partition === a.partition && s.t > a.t)
    if (next && next.leader === a.leader && next.t - a.t < 250) continue
    const older = before.slice(0, -1).find((s) => s.leader === a.leader)
    if (!older || a.t - cur.t <= graceMs) continue
    out.push(
      `${new Date(a.t).toISOString()} ${a.from} said partition ${a.partition} is led by ${a.leader} (leader at epoch ` +
        `${older.epoch}), ${a.t - cur.t} ms after the state moved to leader ${cur.leader} at epoch ${cur.epoch}`,
    )
  }
  return out
}

export interface BrokerAddress {
  readonly id: number
  readonly host: string
  readonly port: number
}

/**
 * Asks every broker (`brokers()` is called each round, so restarted brokers are picked up) for the Metadata of
 * `topic` every `intervalMs` and records, per broker and partition, the leader epochs it answered. A broker that
 * answers an epoch lower than one it answered before is reported in `regressions` (a restarted broker counts as
 * the same broker: it loads the current state, which can only be newer).
 */
export class BrokerMetadataMonitor {
  readonly regressions: string[] = []
  answers = 0
  private readonly highest = new Map<string, { epoch: number; leader: number; t: number }>()
  private readonly conns = new Map<number, RawConnection>()
  private stopped = false
  private readonly done: Promise<void>

  constructor(
    private readonly brokers: () => readonly BrokerAddress[],
    private readonly topic: string,
    intervalMs = 50,
  ) {
    this.done = (async () => {
      const asking = new Map<number, Promise<void>>()
      while (!this.stopped) {
        // A broker that does not answer (frozen) must not hold up the others.
        for (const b of this.brokers()) {
          if (asking.has(b.id)) continue
          asking.set(
            b.id,
            this.ask(b).finally(() => asking.delete(b.id)),
          )
        }
        await sleep(intervalMs)
      }
      await Promise.all(asking.values())
    })()
  }

  private async ask(b: BrokerAddress): Promise<void> {
    try {
      let c = this.conns.get(b.id)
      if (!c || c.closed) {
        c = await RawConnection.connect(b.host, b.port, 1000)
        this.conns.set(b.id, c)
      }
      const md = await c.request(
        Apis.Metadata,
        9,
        {
          topics: [{ name: this.topic }],
          allowAutoTopicCreation: false,
          includeTopicAuthorizedOperations: false,
        },
        5000,
      )
      const t = Date.now()
      this.answers++
      for (const tp of md.topics) {
        if (tp.errorCode !== 0 && tp.errorCode !== 5) continue
        for (const p of tp.partitions) {
          const k = `${b.id}/${p.partitionIndex}`
          const prev = this.highest.get(k)
          if (prev && p.leaderEpoch < prev.epoch) {
            this.regressions.push(
              `${new Date(t).toISOString()} broker ${b.id} answered partition ${p.partitionIndex} leader ${p.leaderId} ` +
                `epoch ${p.leaderEpoch} after answering leader ${prev.leader} epoch ${prev.epoch} at ${new Date(prev.t).toISOString()}`,
            )
          }
          if (!prev || p.leaderEpoch > prev.epoch)
            this.highest.set(k, { epoch: p.leaderEpoch, leader: p.leaderId, t })
        }
      }
    } catch {
      this.conns.get(b.id)?.close()
      this.conns.delete(b.id)
    }
  }

  async stop(): Promise<string[]> {
    this.stopped = true
    await this.done
    for (const c of this.conns.values()) c.close()
    return this.regressions
  }
}
